"""Shared by the study-level verbs: the configured model (with controls) and its settings."""

from __future__ import annotations

from leanlearn.cli._io import UserError, read_text, read_yaml, user_errors


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


def study_model(data_path: str, model_path: str, cfg: dict, *, with_controls: bool = True, overrides: dict | None = None):
    """Read data and model, add the configured controls, estimate. Returns (result, data, excluded)."""
    from leanlearn.cli.estimate import read_data
    from leanlearn.controls import add_controls
    from leanlearn.pls import estimate
    from leanlearn.spec import parse_model

    data = read_data(data_path)
    with user_errors(model_path):
        spec = parse_model(read_text(model_path))
    excluded = None
    if with_controls:
        ctl = control_settings(cfg, spec)
        with user_errors("config.yaml controls"):
            spec, data, excluded = add_controls(spec, data, source=data_path, **ctl)
    settings = estimation_settings(cfg)
    settings.update(overrides or {})
    with user_errors(data_path):
        res = estimate(data, spec, source=data_path, **settings)
    if not res.converged:
        raise UserError(f"{data_path}: PLS did not converge; see the warning above")
    return res, data, excluded
