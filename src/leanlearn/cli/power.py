"""``leanlearn power``: minimum sample size and Monte Carlo power.

Three subcommands::

    leanlearn power minimum-n --beta-min B [B ...] [--alpha .05] [--power .8] [--n N] [--out FILE]
        Inverse square root method (Kock & Hadaya 2018), one- and two-tailed. Columns:
        tails, alpha, power, constant, beta_min, minimum_n [, n, minimum_detectable_beta].
        Without --out the table goes to stdout.

    leanlearn power replicate [DATA] --model LAV --n N --block B --out FILE.csv [--config CFG] [--seed S] ...
        ONE block of Monte Carlo replications (replications B*R .. B*R+R-1 of sample size N,
        R = power.replications_per_block): draw from the population model, estimate with the
        pipeline's model and settings (all replications of the block in one engine batch),
        test every quantity. One row per replication and quantity (columns: see
        :func:`leanlearn.robustness.power.replicate_block`). DATA (the analysis data) is
        needed for the default population, the fitted model's own estimates. The random
        streams derive from the config seed (or --seed), N and the replication number.

    leanlearn power summarize --out DIR FILE.csv [FILE.csv ...] [--config CFG] [--target-power .8]
        power.csv, minimum_n.csv, coincident_tests.csv, replications.csv, notes.txt,
        settings.json (see docs/power.md). Exit 2 when an N has no usable replication.

Config keys (section ``power``; unknown keys are errors): n_grid, blocks,
replications_per_block, target_power, ci_level, test (monte_carlo | bootstrap), mc_draws,
resamples, sesoi, quantities, population {source (grid | estimates | effects | study), grid,
paths, default_path, loadings, correlations, categories, study {likert, method_factor,
loading_scale}}. The default population is ``grid``: an a priori grid of effect sizes
(Cohen's small / medium / large f² for every path, smaller levels for interactions), one
scenario per level; see docs/power.md. Also read: ``seed``, ``estimation``, ``controls`` and ``hypotheses``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, read_model, user_errors, write_csv
from leanlearn.cli._study import add_estimation_arguments, estimation_settings_from_args, load_config, provenance, section

log = logging.getLogger("leanlearn.robustness.power")

POWER_KEYS = {
    "n_grid", "blocks", "replications_per_block", "target_power", "ci_level", "test", "mc_draws",
    "resamples", "sesoi", "quantities", "population",
}  # fmt: skip
POPULATION_KEYS = {"source", "grid", "paths", "default_path", "loadings", "correlations", "categories", "study"}
STUDY_KEYS = {"likert", "method_factor", "loading_scale"}
SOURCES = ("grid", "estimates", "effects", "study")
DEFAULTS = {"replications_per_block": 500, "ci_level": 0.95, "test": "monte_carlo", "mc_draws": 5000, "resamples": 1999, "target_power": 0.80}


def register(sub) -> None:
    p = sub.add_parser(
        "power",
        help="minimum sample size (inverse square root) and Monte Carlo power",
        description="Sample size and power: the inverse square root rule and a Monte Carlo power analysis of any model.",
    )
    ps = p.add_subparsers(dest="power_command", metavar="COMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    m = ps.add_parser("minimum-n", help="minimum N for a path size (Kock & Hadaya 2018)")
    m.add_argument("--beta-min", type=float, nargs="+", required=True, metavar="B", help="smallest path(s) to detect")
    m.add_argument("--alpha", type=float, default=0.05)
    m.add_argument("--power", type=float, default=0.80)
    m.add_argument("--n", type=float, default=None, help="also report the minimum detectable |beta| at this N")
    m.add_argument("--out", default=None, metavar="FILE", help="CSV file (default: stdout)")
    m.set_defaults(func=run_minimum_n)

    r = ps.add_parser("replicate", help="one block of Monte Carlo replications -> rows per replication and quantity")
    r.add_argument("data", nargs="?", default=None, metavar="DATA", help="analysis data (needed for the population 'estimates')")
    r.add_argument("--model", required=True, metavar="LAV", help="model file")
    r.add_argument("--n", type=int, required=True, help="sample size")
    r.add_argument("--block", type=int, required=True, help="block index (0, 1, ...): replications block*R .. block*R+R-1")
    r.add_argument("--seed", type=int, default=None, help="config seed the streams derive from (default: the config's 'seed', else 0)")
    r.add_argument("--replications", type=int, default=None, help="replications in the block (default: power.replications_per_block or 500)")
    r.add_argument("--out", required=True, metavar="FILE.csv")
    r.add_argument("--config", default=None, help="config.yaml (default: built-in defaults)")
    r.add_argument("--population", choices=SOURCES, default=None, help="population source (default: power.population.source or grid)")
    r.add_argument("--test", choices=("monte_carlo", "bootstrap"), default=None, help="test per replication (default: power.test or monte_carlo)")
    r.add_argument("--mc-draws", type=int, default=None, help="Monte Carlo CI draws per replication (default: power.mc_draws or 5000)")
    r.add_argument("--resamples", type=int, default=None, help="bootstrap resamples per replication for --test bootstrap (default: power.resamples or 1999)")
    r.add_argument("--ci-level", type=float, default=None, help="interval level (default: power.ci_level or 0.95)")
    r.add_argument("--loading-scale", type=float, default=None, help="population 'study': set every loading to this value")
    r.add_argument("--continuous", action="store_true", help="population 'study': continuous items instead of 7-point items")
    r.add_argument("--no-method-factor", action="store_true", help="population 'study': draw without the common-method factor")
    r.add_argument("--no-controls", action="store_true", help="simulate and estimate without the configured controls")
    add_estimation_arguments(r)
    r.set_defaults(func=run_replicate)

    s = ps.add_parser("summarize", help="power per N from replication rows")
    s.add_argument("files", nargs="+", metavar="FILE.csv", help="rows written by 'power replicate'")
    s.add_argument("--out", required=True, metavar="DIR")
    s.add_argument("--target-power", type=float, default=None, help="default: power.target_power or 0.80")
    s.add_argument("--alpha", type=float, default=0.05, help="level of the inverse square root column")
    s.add_argument("--config", default=None, help="config.yaml (power.target_power); default: built-in defaults")
    s.set_defaults(func=run_summarize)


def run_minimum_n(args) -> int:
    from leanlearn.robustness.power import minimum_n_table

    try:
        table = minimum_n_table(args.beta_min, alpha=args.alpha, power=args.power, n=args.n)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.out:
        with atomic_file(args.out) as tmp:
            write_csv(table, tmp)
        log.info("wrote %s", args.out)
    else:
        write_csv(table, sys.stdout)
    return 0


def power_config(config: dict, where: str = "config") -> dict:
    """The ``power`` section with defaults, checked: unknown keys and wrong types are errors naming the key."""
    pw = section(config, "power")
    unknown = sorted(set(pw) - POWER_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key power.{unknown[0]} (allowed: {', '.join(sorted(POWER_KEYS))})")
    pop = pw.get("population") or {}
    if not isinstance(pop, dict):
        raise UserError(f"{where}: power.population must be a mapping (source, paths, loadings, ...)")
    unknown = sorted(set(pop) - POPULATION_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key power.population.{unknown[0]} (allowed: {', '.join(sorted(POPULATION_KEYS))})")
    study = pop.get("study") or {}
    if not isinstance(study, dict) or set(study) - STUDY_KEYS:
        raise UserError(f"{where}: power.population.study must be a mapping with keys {', '.join(sorted(STUDY_KEYS))}")
    out = {**DEFAULTS, **{k: v for k, v in pw.items() if v is not None}}
    for key in ("replications_per_block", "mc_draws", "resamples"):
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UserError(f"{where}: power.{key} must be a whole number >= 1, got {v!r}")
    if out["mc_draws"] < 1000:
        raise UserError(f"{where}: power.mc_draws must be at least 1000 (the interval ends need >= 25 draws beyond them), got {out['mc_draws']}")
    for key in ("ci_level", "target_power"):
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise UserError(f"{where}: power.{key} must be a number strictly between 0 and 1, got {v!r}")
    if out["test"] not in ("monte_carlo", "bootstrap"):
        raise UserError(f"{where}: power.test must be 'monte_carlo' or 'bootstrap', got {out['test']!r}")
    source = pop.get("source") or "grid"
    if source not in SOURCES:
        raise UserError(f"{where}: power.population.source must be one of {', '.join(SOURCES)}, got {source!r}")
    out["population"] = {**pop, "source": source, "study": study}
    return out


def _simulated_controls(config: dict, args) -> tuple[list[str], list[str] | None]:
    """The configured controls the study simulator draws (log_employees, firm_age) and their targets."""
    if args.no_controls:
        return [], None
    ctl = config.get("controls") or {}
    if isinstance(ctl, list):
        ctl = {"variables": ctl}
    if not isinstance(ctl, dict):
        raise UserError("config key 'controls': expected a mapping with 'variables' (and 'targets', 'categorical')")
    variables = list(ctl.get("variables") or [])
    kept = [v for v in variables if v in ("log_employees", "firm_age") and v not in (ctl.get("categorical") or [])]
    dropped = [v for v in variables if v not in kept]
    if dropped:
        log.warning("controls the study simulator does not draw are left out of the Monte Carlo model: %s", ", ".join(dropped))
    targets = ctl.get("targets")
    return kept, (list(targets) if targets else None)


def _hypothesised_signs(hypotheses) -> tuple[dict, list]:
    """Signs and zeros the grid gives the paths the hypotheses are about.

    A ``path`` or ``interaction`` hypothesis predicting a negative effect makes its path
    negative; one predicting no effect (direction ``none``) sets its path to 0, so that the
    power to show equivalence is simulated where the hypothesis is true.
    """
    signs, zero = {}, []
    for h in hypotheses:
        if h.test not in ("path", "interaction"):
            continue
        key = (h.params["source"] if h.test == "path" else h.params["interaction"], h.params["target"])
        if h.direction == "negative":
            signs[key] = -1.0
        elif h.direction == "none":
            zero.append(key)
    return signs, zero


def _population(args, config: dict, pw: dict, settings, hypotheses=None):
    """(list of populations, notes) for the configured source (one population per grid level)."""
    from leanlearn.robustness import power as P

    pop_cfg = pw["population"]
    source = args.population or pop_cfg["source"]
    notes: list[str] = []
    if source == "grid":
        spec = read_model(args.model)
        signs, zero = _hypothesised_signs(hypotheses or [])
        if not args.no_controls and (config.get("controls") or {}):
            notes.append("The effect-size grid covers the model's own paths; the configured controls are not part of its population.")
        with user_errors("config power.population"):
            pops = P.effect_grid_populations(
                spec, pop_cfg.get("grid"), signs=signs, zero=zero, loadings=pop_cfg.get("loadings", P.DEFAULT_LOADING),
                correlations=pop_cfg.get("correlations", 0.0), categories=pop_cfg.get("categories"),
            )  # fmt: skip
        return pops, notes
    if source == "estimates":
        from leanlearn.cli._study import study_data
        from leanlearn.pls.engine import estimate

        if not args.data:
            raise UserError(
                "power replicate: the population 'estimates' (the default) needs the analysis data: pass DATA, "
                "or set power.population.source to 'effects' (with power.population.paths) or 'study'"
            )
        data, spec, _, ctl = study_data(args.data, args.model, config, controls=not args.no_controls)
        with user_errors(args.data):
            res = estimate(data, spec, settings=settings, source=args.data, assess=False)
        if not res.converged:
            raise UserError(f"{args.data}: PLS did not converge on the analysis data; no population can be taken from its estimates")
        if ctl["terms"]:
            notes.append(
                f"The controls ({', '.join(ctl['terms'])}) enter the population as normal exogenous variables measured without "
                "error, with their estimated paths and correlations."
            )
        with user_errors("config power.population"):
            return [P.population_from_estimates(res, categories=pop_cfg.get("categories"))], notes
    spec = read_model(args.model)
    if source == "effects":
        if not pop_cfg.get("paths"):
            raise UserError("config power.population.paths: the source 'effects' needs the standardised paths, e.g. {'LP -> LS': 0.3}")
        with user_errors("config power.population"):
            pop = P.population_from_effects(
                spec, paths=pop_cfg["paths"], default_path=pop_cfg.get("default_path", 0.0),
                loadings=pop_cfg.get("loadings", P.DEFAULT_LOADING), correlations=pop_cfg.get("correlations", 0.0),
                categories=pop_cfg.get("categories"),
            )  # fmt: skip
        return [pop], notes
    study = pop_cfg.get("study") or {}
    controls, targets = _simulated_controls(config, args)
    if controls:
        from leanlearn.data.controls import add_controls

        dummy = pd.DataFrame({c: [0.0, 1.0] for c in controls})
        spec, _, _ = add_controls(spec, dummy, variables=controls, targets=targets or list(spec.endogenous))
    loading_scale = args.loading_scale if args.loading_scale is not None else study.get("loading_scale")
    with user_errors("config power.population"):
        study_pop = P.study_population(
            spec, likert=not args.continuous and bool(study.get("likert", True)), loading_scale=loading_scale,
            method_factor=not args.no_method_factor and bool(study.get("method_factor", True)),
        )  # fmt: skip
    return [study_pop], notes


def run_replicate(args) -> int:
    from leanlearn.effects.hypotheses import load_hypotheses
    from leanlearn.pls.engine import make_plan
    from leanlearn.robustness import power as P

    t0, c0 = time.time(), time.process_time()
    config, config_path = load_config(args.config)
    where = config_path or "config"
    pw = power_config(config, where)
    settings = estimation_settings_from_args(config, args)
    seed = args.seed if args.seed is not None else config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"{where}: seed must be a non-negative whole number, got {seed!r}")
    if args.block < 0:
        raise UserError("--block must be 0 or larger")
    reps = args.replications if args.replications is not None else pw["replications_per_block"]
    if reps < 1:
        raise UserError("--replications must be at least 1")
    hyps = []
    if config.get("hypotheses"):
        with user_errors(f"{where} hypotheses"):
            hyps = load_hypotheses(config["hypotheses"])
    pops, notes = _population(args, config, pw, settings, hypotheses=hyps)
    if pw.get("quantities") is not None:
        hyps = []
    pop = pops[0]
    plan = make_plan(pop.spec, settings)
    with user_errors(f"{where} power"):
        quantities, qnotes = P.quantities_of_interest(pop.spec, plan, hypotheses=hyps, entries=pw.get("quantities"), sesoi=pw.get("sesoi"))
    for note in qnotes:
        log.info("%s", note)
    frames = []
    try:
        with user_errors("power replicate"):
            for one in pops:
                frames.append(P.replicate_block(
                    one, n=args.n, seed=seed, block=args.block, replications=reps, quantities=quantities, settings=settings,
                    ci_level=args.ci_level if args.ci_level is not None else pw["ci_level"], test=args.test or pw["test"],
                    mc_draws=args.mc_draws if args.mc_draws is not None else pw["mc_draws"],
                    resamples=args.resamples if args.resamples is not None else pw["resamples"],
                ))  # fmt: skip
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    rows = pd.concat(frames, ignore_index=True)
    # block-level text once per file (first row), not on every row
    rows["population_description"] = ["; ".join(p.description for p in pops)] + [""] * (len(rows) - 1)
    rows["notes"] = [" ".join(qnotes + notes)] + [""] * (len(rows) - 1)
    with atomic_file(args.out) as tmp:
        write_csv(rows, tmp)
    ok = int((rows.drop_duplicates("replication").status == "ok").sum())
    log.info(
        "N = %d, block %d: %d replications (%d ok), %d quantities, population %s, seed %d; %.1f s CPU, %.1f s wall -> %s",
        args.n, args.block, reps, ok, len(quantities), pop.source, seed, time.process_time() - c0, time.time() - t0, args.out,
    )  # fmt: skip
    return 0


def run_summarize(args) -> int:
    from pathlib import Path

    from leanlearn.robustness.power import coincident_tests, mark_coincident, minimum_n, power_notes, summarize

    config, config_path = load_config(args.config)
    pw = power_config(config, config_path or "config")
    target = args.target_power if args.target_power is not None else float(pw["target_power"])
    frames = []
    for f in args.files:
        if not Path(f).exists():
            raise UserError(f"{f}: file not found")
        try:
            frames.append(pd.read_csv(f))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UserError(f"{f}: not a replication CSV ({exc})") from exc
    rows = pd.concat(frames, ignore_index=True)
    need = {"n", "replication", "quantity", "status"}
    if need - set(rows.columns):
        raise UserError(f"{args.files[0]}: not rows of 'power replicate' (columns {', '.join(sorted(need - set(rows.columns)))} missing); rerun 'power replicate'")
    rows = rows.sort_values(["n", "replication"], kind="stable").reset_index(drop=True)
    dup = rows.duplicated([c for c in ("scenario", "n", "replication", "quantity") if c in rows.columns])
    if dup.any():
        first = rows.loc[dup].iloc[0]
        raise UserError(f"replication {int(first.replication)} at N = {int(first.n)} appears more than once; give every block its own --block index")
    for col in ("population_source", "ci_level"):
        if col in rows and rows[col].nunique() > 1:
            raise UserError(f"the replication files mix {col} values ({', '.join(map(str, rows[col].unique()))}); summarise one configuration at a time")
    try:
        table = summarize(rows)
        mins = minimum_n(table, target_power=target, alpha=args.alpha)
        coinc = coincident_tests(rows)
        table = mark_coincident(table, coinc)
    except ValueError as exc:
        raise UserError(f"power summarize: {exc}") from exc
    def first_text(col):
        vals = [v for v in rows[col] if isinstance(v, str) and v.strip()] if col in rows else []
        return vals[0] if vals else None

    desc, extra = first_text("population_description"), first_text("notes")
    notes = power_notes(rows, table, coinc, extra=[extra] if extra else [], description=desc, mc_draws=pw["mc_draws"], resamples=pw["resamples"])
    keep = ["n", "block", "replication", "quantity", "status", "population_value", "estimate", "std_error", "ci_lower", "ci_upper",
            "tost_lower", "tost_upper", "detected", "equivalent"]  # fmt: skip
    slim = rows[[c for c in keep if c in rows]]
    with atomic_dir(args.out) as tmp:
        write_csv(table, tmp / "power.csv")
        write_csv(mins, tmp / "minimum_n.csv")
        write_csv(coinc, tmp / "coincident_tests.csv")
        write_csv(slim, tmp / "replications.csv")
        (tmp / "notes.txt").write_text(notes, encoding="utf-8")
        rec = provenance(
            files=[str(f) for f in args.files], replications_per_n=_replications_per_n(rows),
            population_source=str(rows["population_source"].iloc[0]) if "population_source" in rows else None,
            test=sorted(set(rows["test"])) if "test" in rows else None, target_power=target, alpha=args.alpha, config=config_path,
        )  # fmt: skip
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("summarised %d replications over N = %s -> %s", rows.replication.nunique(), sorted(rows["n"].unique().tolist()), args.out)
    return 0


def _replications_per_n(rows: pd.DataFrame) -> dict[str, int]:
    """N -> distinct replications at that N, for settings.json."""
    out = {}
    n: Any  # the N of a group, as pandas gives it
    for n, g in rows.groupby("n"):
        out[str(int(n))] = int(g.replication.nunique())
    return out
