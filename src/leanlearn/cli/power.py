"""``leanlearn power``: minimum sample size and Monte Carlo power.

Three subcommands::

    leanlearn power minimum-n --beta-min B [B ...] [--alpha .05] [--power .8] [--n N] [--out FILE]
        Inverse square root method (Kock & Hadaya 2018), one- and two-tailed. Columns:
        tails, alpha, power, constant, beta_min, minimum_n [, n, minimum_detectable_beta].
        Without --out the table goes to stdout.

    leanlearn power replicate --n N --seed S --out FILE.csv [--resamples R] [--model LAV] ...
        ONE Monte Carlo replication (draw N firms from the population model, estimate with the
        pipeline's model and settings, bootstrap) -> ONE row (columns: see
        :func:`leanlearn.robustness.power.replicate`). Snakemake fans this out over N and seeds.

    leanlearn power summarize --out DIR FILE.csv [FILE.csv ...] [--target-power .8]
        Aggregates replication rows into
        power.csv      n, parameter, population_value, mean_estimate, bias, power, mc_std_error,
                       replications, estimate_sd, bias_mc_std_error, coverage, replications_excluded
        minimum_n.csv  parameter, population_value, target_power, minimum_n_monte_carlo,
                       power_at_minimum_n, largest_n_simulated, power_at_largest_n,
                       minimum_n_inverse_sqrt_one_tailed, minimum_n_inverse_sqrt_two_tailed
        replications.csv (all rows, sorted by n and seed) and notes.txt.

Config keys: ``estimation`` (settings), ``controls`` (only the simulated ``log_employees``
and ``firm_age`` can enter the Monte Carlo model; others are left out with a warning),
and the section ``power``: ``resamples`` (bootstrap resamples per replication, 500),
``ci_level`` (0.95), ``target_power`` (0.80); ``n_grid`` and ``replications`` are read by
the workflow that fans ``replicate`` out. ``--config`` is optional for this verb: without
it the built-in defaults apply.
"""

from __future__ import annotations

import json
import logging
import sys

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, user_errors, write_csv
from leanlearn.cli._study import add_estimation_arguments, estimation_settings_from_args, load_config, provenance, section

log = logging.getLogger("leanlearn.robustness.power")


def register(sub) -> None:
    p = sub.add_parser(
        "power",
        help="minimum sample size (inverse square root) and Monte Carlo power",
        description="Sample size and power: the inverse square root rule and a Monte Carlo power analysis of the study's model.",
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

    r = ps.add_parser("replicate", help="Monte Carlo replications -> one CSV row each")
    r.add_argument("--n", type=int, required=True, help="sample size")
    r.add_argument("--seed", type=int, required=True, help="replication seed, or block number with --replications (non-negative)")
    r.add_argument(
        "--replications", type=int, default=1,
        help="replications in this call: seeds seed*R .. seed*R+R-1 (a block; Snakemake fans out blocks), default 1",
    )
    r.add_argument("--out", required=True, metavar="FILE.csv")
    r.add_argument("--resamples", type=int, default=None, help="bootstrap resamples (default: power.resamples or 500)")
    r.add_argument("--model", default=None, metavar="LAV", help="model file (default: the study's model, leanlearn.robustness.power.DEFAULT_MODEL)")
    r.add_argument("--ci-level", type=float, default=None, help="interval level (default: power.ci_level or 0.95)")
    r.add_argument("--loading-scale", type=float, default=None, help="set every loading to this value (e.g. 0.95); default: the population's loadings")
    r.add_argument("--continuous", action="store_true", help="continuous items instead of 7-point items")
    r.add_argument("--no-method-factor", action="store_true", help="draw without the common-method factor")
    r.add_argument("--config", default=None, help="config.yaml: estimation settings, controls, power.resamples, power.ci_level (default: built-in defaults)")
    r.add_argument("--no-controls", action="store_true", help="estimate without the configured controls")
    add_estimation_arguments(r)
    r.set_defaults(func=run_replicate)

    s = ps.add_parser("summarize", help="power per N from replication rows")
    s.add_argument("files", nargs="+", metavar="FILE.csv", help="replication rows written by 'power replicate'")
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


SIMULATED_CONTROLS = ("log_employees", "firm_age")


def _simulated_controls(config: dict, args) -> tuple[list[str], list[str] | None]:
    """The configured controls that the simulation draws (log_employees, firm_age) and their targets."""
    if args.no_controls:
        return [], None
    ctl = config.get("controls") or {}
    if isinstance(ctl, list):
        ctl = {"variables": ctl}
    if not isinstance(ctl, dict):
        raise UserError("config key 'controls': expected a mapping with 'variables' (and 'targets', 'categorical')")
    variables = list(ctl.get("variables") or [])
    kept = [v for v in variables if v in SIMULATED_CONTROLS and v not in (ctl.get("categorical") or [])]
    dropped = [v for v in variables if v not in kept]
    if dropped:
        log.warning("controls not drawn by the simulation are left out of the Monte Carlo model: %s", ", ".join(dropped))
    targets = ctl.get("targets")
    return kept, (list(targets) if targets else None)


def run_replicate(args) -> int:
    from leanlearn.cli._io import read_text
    from leanlearn.robustness.power import replicate
    from leanlearn.spec.model import parse_model

    config, config_path = load_config(args.config)
    pw = section(config, "power")
    settings = estimation_settings_from_args(config, args)
    controls, targets = _simulated_controls(config, args)
    resamples = args.resamples if args.resamples is not None else int(pw.get("resamples", 500))
    ci_level = args.ci_level if args.ci_level is not None else float(pw.get("ci_level", 0.95))
    model = None
    if args.model:
        with user_errors(args.model):
            model = parse_model(read_text(args.model))
    if args.replications < 1:
        raise UserError("--replications must be at least 1")
    seeds = [args.seed] if args.replications == 1 else [args.seed * args.replications + r for r in range(args.replications)]
    rows = []
    with user_errors("power replicate"):
        for seed in seeds:
            try:
                rows.append(replicate(
                    args.n, seed, model=model, controls=controls, control_targets=targets, settings=settings, resamples=resamples,
                    ci_level=ci_level, likert=not args.continuous, loading_scale=args.loading_scale,
                    method_factor=not args.no_method_factor,
                ))  # fmt: skip
            except ValueError as exc:
                raise UserError(str(exc)) from exc
    import pandas as pd

    row = pd.concat(rows, ignore_index=True)
    row.insert(row.columns.get_loc("consistent") + 1, "controls", " ".join(controls))
    row.insert(row.columns.get_loc("controls") + 1, "model", str(args.model) if args.model else "default")
    with atomic_file(args.out) as tmp:
        write_csv(row, tmp)
    log.info("%d replication(s) n=%d from seed %d: %d ok -> %s", len(row), args.n, seeds[0], int((row["status"] == "ok").sum()), args.out)
    return 0


def run_summarize(args) -> int:
    from pathlib import Path

    from leanlearn.robustness.power import MONTE_CARLO_NOTE, minimum_n, summarize

    config, config_path = load_config(args.config)
    pw = section(config, "power")
    target = args.target_power if args.target_power is not None else float(pw.get("target_power", 0.80))
    frames = []
    for f in args.files:
        if not Path(f).exists():
            raise UserError(f"{f}: file not found")
        try:
            frames.append(pd.read_csv(f))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UserError(f"{f}: not a replication CSV ({exc})") from exc
    rows = pd.concat(frames, ignore_index=True).sort_values(["n", "seed"], kind="stable").reset_index(drop=True)
    dup = rows.duplicated(["n", "seed"])
    if dup.any():
        first = rows.loc[dup].iloc[0]
        raise UserError(f"replication n={int(first.n)} seed={int(first.seed)} appears more than once; each (n, seed) must be unique")
    try:
        table = summarize(rows)
        mins = minimum_n(table, target_power=target, alpha=args.alpha)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    settings = sorted({(r.likert, r.loading_scale if r.loading_scale == r.loading_scale else None, r.method_factor, r.consistent) for r in rows.itertuples()}, key=str)
    if len(settings) > 1:
        log.warning("replications mix simulation settings (likert, loading_scale, method_factor, consistent): %s", settings)
    with atomic_dir(args.out) as tmp:
        write_csv(table, tmp / "power.csv")
        write_csv(mins, tmp / "minimum_n.csv")
        write_csv(rows, tmp / "replications.csv")
        (tmp / "notes.txt").write_text(MONTE_CARLO_NOTE + "\n", encoding="utf-8")
        rec = provenance(files=[str(f) for f in args.files], replications=len(rows), target_power=target, alpha=args.alpha, config=config_path)
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("summarised %d replications over N = %s -> %s", len(rows), sorted(rows["n"].unique().tolist()), args.out)
    return 0
