"""``leanlearn estimate DATA MODEL --out DIR``: estimate (and bootstrap) a PLS-SEM model.

Output contract (one CSV per table; construct and item names exactly as in the model and
data; interaction constructs named ``X:Z``)::

    paths.csv            source, target, estimate [, std_error, t_value, p_value, ci_lower, ci_upper, ci_level]
    outer_loadings.csv   construct, indicator, estimate [, bootstrap columns]
    outer_weights.csv    construct, indicator, estimate [, bootstrap columns]
    r_squared.csv        construct, r_squared, r_squared_adj
    reliability.csv      construct, cronbach_alpha, rho_a, rho_c, ave
    htmt.csv             square: construct names as header and first column
    fornell_larcker.csv  square: sqrt(AVE) on the diagonal, correlations below
    f_squared.csv        source, target, f_squared
    vif_inner.csv        source, target, vif
    vif_items.csv        construct, indicator, vif
    effects.csv          source, target, direct, indirect, total
    indirect_effects.csv path, estimate [, bootstrap columns]
    scores.csv           case (1-based row of the data file), one column per construct
    fit.csv              srmr, d_uls, d_g (estimated model)

Also written: fit_saturated.csv, htmt2.csv, cross_loadings.csv, missing_data.csv,
summary.txt, settings.json; with --resamples: bootstrap_status.csv (valid and failed
resamples by reason), bca_intervals.csv, htmt_bootstrap.csv, r_squared_bootstrap.csv,
total_effects_bootstrap.csv; with --resamples and interaction terms: simple_slopes.csv,
floodlight.csv, johnson_neyman.csv and, when an interaction sits on a mediated path,
conditional_indirect_effects.csv, conditional_indirect_grid.csv,
conditional_indirect_differences.csv and moderated_mediation.csv.

A model with higher-order constructs (``H =~ X + W`` over constructs X, W) is estimated by
``--hoc two_stage`` (default), ``embedded_two_stage`` or ``repeated_indicators``
(:mod:`leanlearn.pls.hoc`); the tables above are then of the final stage, and also written
are hoc_indicators.csv (hoc, loc, loading, weight, vif), hoc_reliability.csv (hoc, method,
cronbach_alpha, rho_a, rho_c, ave), hoc_assessment.csv (criterion, construct, indicator, value,
threshold, meets, source) and, for the two-stage approaches, the lower-order constructs'
stage-1 measurement model: first_stage_loadings.csv, first_stage_weights.csv,
first_stage_reliability.csv.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_model, user_errors, write_csv
from leanlearn.cli._options import add_resamples
from leanlearn.extras import require, require_installed

log = logging.getLogger("leanlearn.estimate")

BOOT_COLS = ["std_error", "t_value", "p_value", "ci_lower", "ci_upper", "ci_level"]


def register(sub) -> None:
    p = sub.add_parser(
        "estimate",
        help="estimate a PLS-SEM model (and bootstrap it)",
        description="Estimate a PLS-SEM model from a data file and a lavaan-style model file; write one CSV per result table.",
    )
    p.add_argument("data", help="data file (CSV with any common delimiter, XLSX, SAV or DTA)")
    p.add_argument("model", help="model file in lavaan-style syntax (=~, <~, ~, X:Z)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--missing-value", default=None, help="code that marks missing cells, e.g. -99")
    p.add_argument("--missing", choices=["mean", "listwise", "multiple"], default="mean",
                   help="missing-data treatment: mean replacement (default), listwise deletion, or multiple imputation (--imputations)")
    p.add_argument("--imputations", type=int, default=20, metavar="M",
                   help="imputed data sets with --missing multiple (default 20); needs --seed")
    p.add_argument("--scheme", choices=["path", "centroid", "factorial"], default="path", help="inner weighting scheme")
    p.add_argument("--consistent", action="store_true", help="PLSc: correct reflective (=~) constructs for measurement error")
    p.add_argument("--interaction", choices=["two_stage", "product_indicator", "orthogonal"], default="two_stage")
    p.add_argument("--hoc", choices=["two_stage", "embedded_two_stage", "repeated_indicators"], default=None,
                   help="approach for higher-order constructs (default two_stage when the model has any)")
    add_resamples(p, default=0, help="bootstrap resamples (0 = no bootstrap)")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    p.add_argument("--workers", type=int, default=1, help="worker processes for the bootstrap")
    p.add_argument("--ci-level", type=float, default=0.95, help="confidence level of the intervals")
    p.add_argument("--weights", default=None, metavar="COLUMN",
                   help="column of case weights (weighted PLS; frequency weights: integer weights = duplicated rows)")
    p.add_argument("--max-iterations", type=int, default=300)
    p.add_argument("--tolerance", type=float, default=1e-7)
    p.set_defaults(func=run)


def _missing_value(text):
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def read_data(path: str) -> pd.DataFrame:
    """Read a data file with leanlearn's reader (delimiter, encoding and format detected)."""
    from leanlearn.data.ingest import read_export

    if not Path(path).exists():
        raise UserError(f"{path}: file not found")
    with user_errors():
        return read_export(path)


def read_numbers(path: str) -> pd.DataFrame:
    """:func:`read_data`, then number columns converted with the file's decimal and thousands
    separators (:func:`leanlearn.data.ingest.numeric_columns`; ambiguous ones refused), so that
    ``leanlearn estimate`` reads a raw semicolon file's ``1.391`` as 1391, never 1.391."""
    from leanlearn.data.ingest import numeric_columns

    raw = read_data(path)
    notes: list[str] = []
    with user_errors():
        data = numeric_columns(raw, source=str(path), notes=notes)
    for note in notes:
        log.info("%s", note)
    return data


def _square(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.index.name = "construct"
    return out.reset_index()


def _merge_boot(point: pd.DataFrame, keys: list[str], boot_table: pd.DataFrame | None) -> pd.DataFrame:
    """``point`` with the bootstrap columns of ``boot_table`` matched on ``keys`` (a left join, one to one).

    The bootstrap's tables list their rows in the order of the point tables, so the join is
    positional when the keys agree row by row (the same frame as the merge gives, without its
    hashing); otherwise a merge that checks the keys are unique."""
    if boot_table is None:
        return point
    if len(point) == len(boot_table) and all(np.array_equal(point[k].to_numpy(), boot_table[k].to_numpy()) for k in keys) \
            and not point.duplicated(keys).any():
        cols = {c: point[c].array for c in point.columns}
        cols.update((c, boot_table[c].array) for c in BOOT_COLS if c not in cols)
        return pd.DataFrame(cols, index=pd.RangeIndex(len(point)))
    return point.merge(boot_table[keys + BOOT_COLS], on=keys, how="left", validate="one_to_one")


def tables(res, boot=None) -> dict[str, pd.DataFrame]:
    """All output tables of an estimation (and bootstrap), keyed by file name."""
    boot_tables = _BootTables(boot)
    out = _estimate_tables(res, boot_tables)
    out.update(_hoc_tables(res))
    if boot is None:
        return out
    out["bootstrap_status.csv"] = boot.status
    out["htmt_bootstrap.csv"] = boot_tables("htmt")
    out["r_squared_bootstrap.csv"] = boot_tables("r_squared")
    out["total_effects_bootstrap.csv"] = boot_tables("total_effects")
    out["bca_intervals.csv"] = _bca_intervals(boot_tables)
    if res.spec.interactions:
        out.update(_conditional_tables(res, boot))
    return out


class _BootTables:
    """Each family's bootstrap table, computed once (None for every family without a bootstrap)."""

    def __init__(self, boot) -> None:
        self.boot = boot
        self.computed: dict[str, pd.DataFrame] = {}

    def __call__(self, fam: str) -> pd.DataFrame:
        if fam not in self.computed:
            self.computed[fam] = self.boot.table(fam)
        return self.computed[fam]

    def optional(self, fam: str) -> pd.DataFrame | None:
        return None if self.boot is None else self(fam)


def _estimate_tables(res, bt: _BootTables) -> dict[str, pd.DataFrame]:
    """The point estimates and assessment tables, with bootstrap columns where there is a bootstrap."""
    out: dict[str, pd.DataFrame] = {}
    out["paths.csv"] = _merge_boot(res.path_coefficients[["source", "target", "estimate"]], ["source", "target"], bt.optional("paths"))
    out["outer_loadings.csv"] = _merge_boot(res.outer_loadings, ["construct", "indicator"], bt.optional("outer_loadings"))
    out["outer_weights.csv"] = _merge_boot(res.outer_weights, ["construct", "indicator"], bt.optional("outer_weights"))
    out["r_squared.csv"] = res.r_squared[["construct", "r_squared", "r_squared_adj"]]
    out["reliability.csv"] = res.reliability[["construct", "cronbach_alpha", "rho_a", "rho_c", "ave"]]
    out["htmt.csv"] = _square(res.htmt)
    out["fornell_larcker.csv"] = _square(res.fornell_larcker)
    out["f_squared.csv"] = res.f_squared[["source", "target", "f_squared"]]
    out["vif_inner.csv"] = res.vif_inner[["source", "target", "vif"]]
    out["vif_items.csv"] = res.vif_items[["construct", "indicator", "vif"]]
    out["effects.csv"] = res.effects[["source", "target", "direct", "indirect", "total"]]
    out["indirect_effects.csv"] = _merge_boot(res.indirect_effects[["path", "estimate"]], ["path"], bt.optional("indirect_effects"))
    scores = res.scores.copy()
    scores.insert(0, "case", _case_numbers(res))
    out["scores.csv"] = scores
    fit = res.fit.set_index("model")
    out["fit.csv"] = fit.loc[["estimated"], ["srmr", "d_uls", "d_g"]].reset_index(drop=True)
    out["fit_saturated.csv"] = fit.loc[["saturated"], ["srmr", "d_uls", "d_g"]].reset_index(drop=True)
    out["htmt2.csv"] = _square(res.htmt2)
    out["cross_loadings.csv"] = res.cross_loadings.reset_index()
    out["missing_data.csv"] = res.data_report
    return out


def _hoc_tables(res) -> dict[str, pd.DataFrame]:
    """Higher-order constructs: their indicators, reliability and assessment, and the first stage's tables."""
    staged = getattr(res.plan, "staged", None)
    if staged is None or not staged.spec.higher_order:
        return {}
    from leanlearn.measurement import assessment as ma

    out = {
        "hoc_indicators.csv": ma.hoc_indicators(res),
        "hoc_reliability.csv": ma.hoc_reliability(res),
        "hoc_assessment.csv": ma.hoc_assessment(res),
    }
    if staged.first_stage:
        out["first_stage_loadings.csv"] = staged.first_stage["outer_loadings"]
        out["first_stage_weights.csv"] = staged.first_stage["outer_weights"]
        out["first_stage_reliability.csv"] = staged.first_stage["reliability"][["construct", "cronbach_alpha", "rho_a", "rho_c", "ave"]]
    return out


# the families of bca_intervals.csv and the columns that label their rows
_BCA_FAMILIES = (
    ("paths", ["source", "target"]),
    ("outer_loadings", ["construct", "indicator"]),
    ("outer_weights", ["construct", "indicator"]),
    ("indirect_effects", ["path"]),
    ("total_effects", ["source", "target"]),
    ("htmt", ["construct_a", "construct_b"]),
    ("r_squared", ["construct"]),
)


def _bca_intervals(table: _BootTables) -> pd.DataFrame:
    """The BCa interval of every bootstrapped estimate in one table (table, label, estimate, ci_lower, ci_upper, ci_level)."""
    bca = []
    for fam, keys in _BCA_FAMILIES:
        t = table(fam)
        if t.empty or "estimate" not in t:
            continue
        sep = " -> " if fam in ("paths", "total_effects") else " / "
        label = [sep.join(parts) for parts in zip(*(t[k].astype(str).tolist() for k in keys))]
        bca.append(pd.DataFrame({"table": fam, "label": label, "estimate": t.estimate, "ci_lower": t.bca_lower, "ci_upper": t.bca_upper, "ci_level": t.ci_level}))
    return pd.concat(bca, ignore_index=True)


def _conditional_tables(res, boot) -> dict[str, pd.DataFrame]:
    """Moderation: simple slopes, floodlight and Johnson-Neyman, conditional indirect effects, moderated mediation."""
    from leanlearn.effects import conditional as cond

    out: dict[str, pd.DataFrame] = {}
    out["simple_slopes.csv"] = cond.simple_slopes(res, boot)
    flood = cond.floodlight(res, boot)
    out["floodlight.csv"] = flood
    out["johnson_neyman.csv"] = cond.johnson_neyman(flood, res.scores)
    cie = cond.conditional_indirect_effects(res, boot)
    if not cie.empty:
        out["conditional_indirect_effects.csv"] = cie[["path", "moderator", "moderator_value", "estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"]]
        out["conditional_indirect_grid.csv"] = cond.conditional_indirect_grid(res, boot)
        out["conditional_indirect_differences.csv"] = cond.conditional_indirect_differences(res, boot)
        mmed = cond.moderated_mediation(res, boot)
        if not mmed.empty:
            out["moderated_mediation.csv"] = mmed[["path", "moderator", "index", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"]]
    return out


def _case_numbers(res):
    idx = res.scores.index
    if pd.api.types.is_integer_dtype(idx):
        return (idx.to_numpy() + 1).astype(int)
    return list(idx)


def settings_record(res, boot, data_path: str, model_path: str) -> dict:
    from leanlearn import __version__

    s = res.settings
    rec = {
        "leanlearn_version": __version__,
        "data": str(data_path),
        "model": str(model_path),
        "n_rows_in_data": int(res.prepared.n_raw),
        "n_used": int(res.n),
        "rows_dropped_listwise": [str(r) for r in res.prepared.dropped_rows],
        "scheme": s.scheme,
        "interaction": s.interaction,
        "consistent": s.consistent,
        "missing": s.missing,
        "missing_value": s.missing_value,
        "tolerance": s.tolerance,
        "max_iterations": s.max_iterations,
        "iterations": res.iterations,
        "converged": res.converged,
        "weights": res.prepared.weights_name,
    }
    staged = getattr(res.plan, "staged", None)
    if staged is not None:
        rec["hoc"] = staged.method
        rec["higher_order_constructs"] = {h.name: list(h.indicators) for h in staged.spec.higher_order}
    if res.prepared.weights is not None:
        rec["sum_of_weights"] = float(res.prepared.weights.sum())
    if boot is not None:
        rec.update(
            bootstrap_resamples=boot.resamples,
            bootstrap_valid=boot.n_valid,
            bootstrap_failed=boot.n_failed,
            seed=boot.seed,
            ci_level=boot.ci_level,
            interval="percentile (BCa in bca_intervals.csv)",
        )
    return rec


def run_bootstrap(res, *, resamples: int, seed, workers: int, ci_level: float):
    """Bootstrap with a progress bar on stderr when stderr is a terminal.

    Without a terminal (a pipeline, a log file) there is no bar to draw, so tqdm is not
    imported (its import, with its command-line module and package metadata, costs more
    than the tables of a run); it must still be installed, so that a run fails the same
    way whether or not it has a terminal.
    """
    from leanlearn.pls.bootstrap import bootstrap

    if not _is_terminal(sys.stderr):
        require_installed("tqdm", "the bootstrap's progress bar")
        boot = bootstrap(res, resamples=resamples, seed=seed, workers=workers, ci_level=ci_level)
        _warn_failed(boot)
        return boot
    tqdm = require("tqdm", "the bootstrap's progress bar").tqdm
    with tqdm(total=resamples, desc="bootstrap", unit="resample", file=sys.stderr, mininterval=1.0) as bar:
        last = [0]

        def progress(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        boot = bootstrap(res, resamples=resamples, seed=seed, workers=workers, ci_level=ci_level, progress=progress)
    _warn_failed(boot)
    return boot


def _is_terminal(stream) -> bool:
    """Whether ``stream`` is a terminal (tqdm's own test for ``disable=None``)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _warn_failed(boot) -> None:
    if boot.n_failed:
        log.warning("%d of %d bootstrap resamples failed and were dropped (see bootstrap_status.csv)", boot.n_failed, boot.resamples)


MI_FAMILIES = {"paths.csv": ("paths", ["source", "target"]), "outer_loadings.csv": ("outer_loadings", ["construct", "indicator"]),
               "outer_weights.csv": ("outer_weights", ["construct", "indicator"]), "indirect_effects.csv": ("indirect_effects", ["path"])}  # fmt: skip


def run_multiple(args, spec, data) -> int:
    """``--missing multiple``: impute M times, estimate and bootstrap each, pool (Rubin; pooled draws).

    Writes the tables of a single estimation with every entry averaged over the imputations
    (the pooled point estimates); paths, loadings, weights and indirect effects carry the
    pooled bootstrap columns and the fraction of missing information (``fmi``). Also:
    ``pooled_<family>.csv`` (every column of :data:`leanlearn.data.imputation.POOLED_COLUMNS`
    for paths, outer_loadings, outer_weights, indirect_effects, total_effects, r_squared,
    htmt) and ``imputation_report.csv``.
    """
    from leanlearn.data.imputation import POOLED_COLUMNS, multiple_imputation
    from leanlearn.pls.engine import Settings

    if args.seed is None:
        raise UserError("--missing multiple needs --seed: the imputed data sets are drawn at random and must be reproducible")
    if args.imputations < 1:
        raise UserError(f"--imputations must be a whole number of at least 1 (got {args.imputations})")
    settings = Settings(scheme=args.scheme, interaction=args.interaction, consistent=args.consistent, tolerance=args.tolerance,
                        max_iterations=args.max_iterations, missing="mean", missing_value=_missing_value(args.missing_value))  # fmt: skip
    with user_errors(args.data):
        mi = multiple_imputation(data, spec, imputations=args.imputations, seed=args.seed, settings=settings, resamples=args.resamples,
                                 workers=args.workers, ci_level=args.ci_level, source=args.data, hoc=args.hoc if spec.higher_order else None,
                                 weights=args.weights)  # fmt: skip
    log.info("estimated %s on %d imputed data sets (%d cases each)", args.model, mi.imputations, mi.results[0].n)
    out = mi.point_tables(lambda r: tables(r))
    extra = ["fmi", "lambda", "rubin_lower", "rubin_upper", "df", "n_imputations"] if args.resamples else ["between_variance", "n_imputations"]
    for name, (family, keys) in MI_FAMILIES.items():
        pooled = mi.pooled[family]
        cols = keys + (["estimate"] + BOOT_COLS if args.resamples else ["estimate"]) + extra
        out[name] = pooled[cols]
    out["missing_data.csv"] = mi.report
    with atomic_dir(args.out) as tmp:
        for name, df in out.items():
            write_csv(df, tmp / name)
        for family, table in mi.pooled.items():
            write_csv(table, tmp / f"pooled_{family}.csv")
        write_csv(mi.report, tmp / "imputation_report.csv")
        paths = mi.pooled["paths"]
        text = [f"PLS-SEM estimation pooled over {mi.imputations} imputations (chained equations; Rubin's rules"
                + ("; intervals from the pooled bootstrap draws)" if args.resamples else "; no bootstrap: point estimates only)"), ""]
        text.append(paths[["source", "target"] + [c for c in POOLED_COLUMNS if c in ("estimate", "std_error", "ci_lower", "ci_upper", "fmi")]].to_string(index=False))
        (tmp / "summary.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
        from leanlearn import __version__

        rec = {
            "leanlearn_version": __version__, "data": str(args.data), "model": str(args.model), "n_rows_in_data": int(len(data)),
            "n_used": int(mi.results[0].n), "scheme": settings.scheme, "interaction": settings.interaction,
            "consistent": settings.consistent, "missing": "multiple", "missing_value": settings.missing_value,
            "imputations": mi.imputations, "imputation_method": "chained equations, scikit-learn IterativeImputer(sample_posterior=True)",
            "imputation_stream": "leanlearn.random.integer_seed(seed, 'imputation', 'multiple', m)",
            "bootstrap_streams": "imputation 0: stream(seed, 'bootstrap', block); m >= 1: stream(seed, 'bootstrap', 'imputation', m)",
            "seed": args.seed, "bootstrap_resamples": args.resamples, "ci_level": args.ci_level,
            "interval": "percentile of the pooled draws of all imputations (Rubin t interval in pooled_*.csv)" if args.resamples else None,
            "tolerance": settings.tolerance, "max_iterations": settings.max_iterations, "weights": args.weights,
        }  # fmt: skip
        if spec.higher_order:
            rec["hoc"] = args.hoc or "two_stage"
            rec["higher_order_constructs"] = {h.name: list(h.indicators) for h in spec.higher_order}
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0


def check_options(args) -> None:
    """Refuse bad option values before anything is read or computed (exit 2, no traceback)."""
    from leanlearn.cli._io import check_bootstrap_options

    check_bootstrap_options(resamples=args.resamples, workers=args.workers, ci_level=args.ci_level, allow_zero=True,
                            names=("--resamples", "--workers", "--ci-level"))
    if args.max_iterations < 1:
        raise UserError(f"--max-iterations must be a whole number of at least 1 (got {args.max_iterations})")
    if not (args.tolerance > 0 and args.tolerance < 1):
        raise UserError(f"--tolerance must be a positive number below 1, e.g. 1e-7 (got {args.tolerance})")


def run(args) -> int:
    from leanlearn.pls.engine import estimate

    check_options(args)
    spec = read_model(args.model)
    if args.hoc is not None and not spec.higher_order:
        raise UserError(
            f"{args.model}: --hoc {args.hoc} was given but the model has no higher-order construct "
            "(a construct whose indicators are constructs, e.g. 'LP =~ JIT + TQM'); drop --hoc"
        )
    data = read_numbers(args.data)
    if args.missing == "multiple":
        return run_multiple(args, spec, data)
    fit = estimate
    if spec.higher_order:
        from functools import partial

        from leanlearn.pls.hoc import estimate_hoc

        fit = partial(estimate_hoc, method=args.hoc or "two_stage")
    with user_errors(args.data):
        res = fit(
            data,
            spec,
            scheme=args.scheme,
            interaction=args.interaction,
            consistent=args.consistent,
            missing=args.missing,
            missing_value=_missing_value(args.missing_value),
            tolerance=args.tolerance,
            max_iterations=args.max_iterations,
            source=args.data,
            weights=args.weights,
        )
    log.info("estimated %s on %d cases (iteration %d)", args.model, res.n, res.iterations)
    boot = None
    if args.resamples:
        boot = run_bootstrap(res, resamples=args.resamples, seed=args.seed, workers=args.workers, ci_level=args.ci_level)
    with atomic_dir(args.out) as tmp:
        for name, df in tables(res, boot).items():
            write_csv(df, tmp / name)
        (tmp / "summary.txt").write_text(res.summary().to_text() + "\n", encoding="utf-8")
        (tmp / "settings.json").write_text(json.dumps(settings_record(res, boot, args.data, args.model), indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
