"""Shared by the study-level verbs: the configured model (with controls) and its settings."""

from __future__ import annotations

import argparse

from leanlearn.cli._io import UserError, read_config, read_model, user_errors


def estimation_settings(cfg: dict) -> dict:
    est = cfg.get("estimation", {}) or {}
    return {
        "scheme": est.get("scheme", "path"),
        "interaction": est.get("interaction", "two_stage"),
        "consistent": bool(est.get("consistent", False)),
        "max_iterations": int(est.get("max_iterations", 300)),
        "tolerance": float(est.get("tolerance", 1e-7)),
    }


def bootstrap_settings(cfg: dict, *, resamples=None, seed=None, workers=None) -> dict:
    b = cfg.get("bootstrap", {}) or {}
    return {
        "resamples": int(resamples if resamples is not None else b.get("resamples", 10000)),
        "seed": int(seed if seed is not None else cfg.get("seed", 0)),
        "workers": int(workers if workers is not None else b.get("workers", 1)),
        "ci_level": float(b.get("ci_level", 0.95)),
    }


def control_settings(cfg: dict, spec) -> dict:
    c = cfg.get("controls") or {}
    if isinstance(c, list):
        c = {"variables": c}
    return {
        "variables": list(c.get("variables", [])),
        "targets": list(c.get("targets", spec.endogenous)),
        "categorical": list(c.get("categorical", [])),
    }


def study_model(data_path: str, model_path: str, cfg: dict, *, with_controls: bool = True, overrides: dict | None = None, weighted: bool = False):
    """Read data and model, add the configured controls, estimate. Returns (result, data, excluded).

    ``weighted``: apply the case weights of ``estimation.weights`` (a column of the data),
    for the verbs that support weighted PLS (measurement, hypotheses)."""
    from leanlearn.pls.engine import estimate

    data, spec, excluded, _ = study_data(data_path, model_path, cfg, controls=with_controls)
    settings = estimation_settings(cfg)
    settings.update(overrides or {})
    weights = (cfg.get("estimation") or {}).get("weights") if weighted else None
    with user_errors(data_path):
        res = estimate(data, spec, source=data_path, weights=weights, **settings)
    if not res.converged:
        raise UserError(f"{data_path}: PLS did not converge; see the warning above")
    return res, data, excluded


def load_config(path: str | None) -> tuple[dict, str | None]:
    """The validated config (defaults filled, paths relative to the working directory) and its path.

    ``None`` means built-in defaults (no file read).
    """
    if path is None:
        return {}, None
    return read_config(path), str(path)


def section(config: dict, key: str) -> dict:
    value = config.get(key) or {}
    if not isinstance(value, dict):
        raise UserError(f"config key '{key}': expected a mapping")
    return value


def add_estimation_arguments(p: argparse.ArgumentParser) -> None:
    """Options that override the config's ``estimation`` section for this verb."""
    p.add_argument("--missing-value", default=None, help="code that marks missing cells, e.g. -99")
    p.add_argument("--missing", choices=["mean", "listwise"], default="mean", help="missing-data treatment of the items (default mean)")
    p.add_argument("--scheme", choices=["path", "centroid", "factorial"], default=None, help="default: estimation.scheme")
    p.add_argument("--interaction", choices=["two_stage", "product_indicator", "orthogonal"], default=None, help="default: estimation.interaction")
    p.add_argument("--consistent", action="store_true", default=None, help="PLSc for reflective constructs (default: estimation.consistent)")


def estimation_settings_from_args(config: dict, args):
    """:class:`leanlearn.pls.engine.Settings`: the config's ``estimation`` section, overridden by the command line."""
    from leanlearn.cli.estimate import _missing_value
    from leanlearn.pls.engine import Settings

    values = estimation_settings(config)
    for k in ("scheme", "interaction", "consistent"):
        v = getattr(args, k, None)
        if v is not None:
            values[k] = v
    values["missing"] = getattr(args, "missing", None) or "mean"
    values["missing_value"] = _missing_value(getattr(args, "missing_value", None))
    try:
        return Settings(**values)
    except (TypeError, ValueError) as exc:
        raise UserError(f"estimation settings: {exc}") from exc


def study_data(data_path: str, model_path: str, config: dict, *, controls: bool = True):
    """Data and model with the config's controls, as :func:`leanlearn.cli._study.study_model` adds them.

    Returns (data, spec, excluded, ctl): ``excluded`` lists the cases left out for a
    missing control value (None without controls); ``ctl`` is the control settings used,
    with ``terms`` the model names the controls entered as (dummies included).
    """
    from leanlearn.cli.estimate import read_data
    from leanlearn.data.controls import add_controls

    data = read_data(data_path)
    spec = read_model(model_path)
    ctl: dict[str, list[str]] = {"variables": [], "targets": [], "categorical": [], "terms": []}
    excluded = None
    if controls:
        before = set(spec.construct_names)
        ctl = control_settings(config, spec)
        with user_errors("config.yaml controls"):
            spec, data, excluded = add_controls(spec, data, source=data_path, **ctl)
        ctl["terms"] = [c for c in spec.construct_names if c not in before]
    return data, spec, excluded, ctl


def settings_json(settings) -> dict:
    return {
        "scheme": settings.scheme,
        "interaction": settings.interaction,
        "consistent": settings.consistent,
        "missing": settings.missing,
        "missing_value": settings.missing_value,
        "tolerance": settings.tolerance,
        "max_iterations": settings.max_iterations,
    }


def provenance(**extra) -> dict:
    from leanlearn import __version__

    return {"leanlearn_version": __version__, **extra}


def multiple_imputation_on(cfg: dict) -> bool:
    """True when the config asks for multiple imputation (``missing.treatment: multiple``)."""
    return ((cfg.get("missing") or {}).get("treatment")) == "multiple"


def check_multiple_imputation(cfg: dict, spec, *, config_path: str, resamples: int) -> int:
    """Refuse what multiple imputation cannot pool (exit 2, naming the key); returns M."""
    from leanlearn.data.missing import missing_config

    with user_errors(config_path):
        mcfg = missing_config(cfg.get("missing"))
    M = mcfg.imputations
    why = []
    if spec.higher_order:
        why.append("the model has higher-order constructs; pooling of the two-stage estimates over imputations is not available")
    interval = (cfg.get("inference") or {}).get("interval", "percentile")
    if interval == "bca" and M > 1:
        why.append(f"inference.interval is bca, but BCa needs the jackknife of one data set and is not defined for draws pooled over {M} "
                   "imputations; use interval: percentile")  # fmt: skip
    if resamples < 2:
        why.append("the pooled-draws intervals need a bootstrap: bootstrap.resamples (or --boot) must be at least 2")
    if why:
        raise UserError(f"{config_path}: missing.treatment: multiple cannot be used here: " + "; ".join(why))
    return M


def study_multiple(data_path: str, model_path: str, cfg: dict, *, untreated: str | None, config_path: str, bootstrap: dict,
                   weighted: bool = False, progress=None):  # fmt: skip
    """Multiple imputation of the study model (``missing.treatment: multiple``): (pooled result, pooled bootstrap, data, excluded, MIResult).

    The analysis data hold the screening step's single imputation; the answers missing in
    ``untreated`` (the kept responses before treatment, matched on the respondent id) are
    set missing again and imputed ``missing.imputations`` times
    (:func:`leanlearn.data.imputation.multiple_imputation`, clipped to the codebook's
    scales), each imputed set is estimated with the configured controls and settings and
    bootstrapped; the pooled result and bootstrap feed the same tables and verdicts as a
    single estimation.
    """
    from pathlib import Path

    from leanlearn.data.imputation import multiple_imputation, restore_missing
    from leanlearn.pls.engine import Settings
    from leanlearn.spec.codebook import RESPONDENT_ID
    from leanlearn.cli.screen import read_survey
    from leanlearn.cli._io import read_codebook

    data, spec, excluded, _ = study_data(data_path, model_path, cfg, controls=True)
    M = check_multiple_imputation(cfg, spec, config_path=config_path, resamples=bootstrap["resamples"])
    if untreated is None:
        raise UserError("missing.treatment: multiple needs --untreated (the kept responses before treatment, from 'leanlearn screen')")
    raw = read_survey(untreated)
    with user_errors(untreated):
        data = restore_missing(data, raw, [i for i in spec.items if i in raw.columns], key=RESPONDENT_ID, source=data_path)
    bounds = None
    cb = cfg.get("codebook")
    if cb and Path(cb).exists():
        scales = read_codebook(cb).item_scales()
        bounds = {i: tuple(scales[i][:2]) for i in spec.items if i in scales}
    with user_errors(data_path):
        mi = multiple_imputation(data, spec, imputations=M, seed=bootstrap["seed"], settings=Settings(**estimation_settings(cfg)),
                                 resamples=bootstrap["resamples"], workers=bootstrap["workers"], ci_level=bootstrap["ci_level"],
                                 bounds=bounds, source=data_path, progress=progress,
                                 weights=(cfg.get("estimation") or {}).get("weights") if weighted else None)  # fmt: skip
    pooled = mi.pooled_bootstrap()
    if not pooled.result.converged:
        raise UserError(f"{data_path}: PLS did not converge on every imputed data set; see the warning above")
    return pooled.result, pooled, data, excluded, mi


MI_KEYS = {"paths.csv": ("paths", ["source", "target"]), "outer_loadings.csv": ("outer_loadings", ["construct", "indicator"]),
           "outer_weights.csv": ("outer_weights", ["construct", "indicator"]), "indirect_effects.csv": ("indirect_effects", ["path"])}  # fmt: skip
MI_EXTRA = ["fmi", "lambda", "rubin_lower", "rubin_upper", "df", "n_imputations"]


def study_bootstrap(args, cfg: dict, bs: dict, log):
    """Estimate the study model with its weights and bootstrap it, pooled over imputations when
    the config asks for multiple imputation: (result, bootstrap, data, excluded, MIResult or None).

    The one route of the verbs whose tables rest on the main model's bootstrap (measurement,
    hypotheses); ``args`` carries ``data``, ``model``, ``untreated`` and ``config``."""
    from leanlearn.cli.estimate import run_bootstrap

    if multiple_imputation_on(cfg):
        res, boot, data, excluded, mi = study_multiple(
            args.data, args.model, cfg, untreated=args.untreated, config_path=args.config, bootstrap=bs, weighted=True,
            progress=lambda m, M: log.info("imputation %d of %d estimated and bootstrapped", m, M),
        )
        log.info("multiple imputation: %d imputed data sets, %d resamples each (%d pooled draws), seed %d, %d worker(s)",
                 mi.imputations, bs["resamples"], boot.n_valid, bs["seed"], bs["workers"])  # fmt: skip
        return res, boot, data, excluded, mi
    res, data, excluded = study_model(args.data, args.model, cfg, weighted=True)
    log.info("bootstrap: %d resamples, seed %d, %d worker(s)", bs["resamples"], bs["seed"], bs["workers"])
    return res, run_bootstrap(res, **bs), data, excluded, None


def multiple_tables(mi, out: dict) -> dict:
    """The estimation tables of a pooled run (``out``, from :func:`leanlearn.cli.estimate.tables`) with Rubin's
    columns (:data:`MI_EXTRA`) added to paths, loadings, weights and indirect effects, and the
    ``pooled_<family>.csv`` tables and ``imputation_report.csv`` of :class:`leanlearn.data.imputation.MIResult`."""
    out = dict(out)
    for name, (family, keys) in MI_KEYS.items():
        if name in out:
            extra = mi.pooled[family][keys + MI_EXTRA]
            out[name] = out[name].merge(extra, on=keys, how="left", validate="one_to_one")
    for family, table in mi.pooled.items():
        out[f"pooled_{family}.csv"] = table
    out["imputation_report.csv"] = mi.report
    return out
