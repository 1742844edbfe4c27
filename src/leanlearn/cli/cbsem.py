"""``leanlearn cbsem DATA MODEL --out DIR [--controls a,b]``: CB-SEM cross-check.

Fits the model as a covariance-based SEM (ML, semopy; see :mod:`leanlearn.cbsem.sem`) and
compares every structural path with PLS and PLSc (:func:`leanlearn.estimate` with
``consistent=False`` / ``True``). All three estimators use the same cases: rows with a
missing item or control are dropped (listwise) first; controls
are added with :func:`leanlearn.data.controls.add_controls` (dummies for categorical controls,
never imputed). Outputs (written atomically)::

    cbsem_paths.csv           source, target, estimate (standardised), std_error (delta
                              method), z_value, p_value, unstandardized,
                              unstandardized_std_error
    cbsem_fit.csv             index, value, threshold, direction, meets,
                              acceptable_threshold, meets_acceptable, source
    pls_plsc_cbsem_paths.csv  source, target, pls, plsc, cbsem, cbsem_std_error,
                              cbsem_p_value
    cbsem_status.csv          status (ok | not_converged | improper: the CB-SEM numbers
                              are then not to be interpreted), converged, n_problems,
                              problems (why the solution is inadmissible), notes
    settings.json             inputs, cases, controls, the lavaan syntax, the interaction
                              approximation, status, problems (why a solution is improper),
                              warnings

A solution the optimiser reports as converged can still be inadmissible (Heywood cases,
R² outside [0, 1], a non-positive-definite implied covariance, standardised values beyond
±1, invalid standard errors; :func:`leanlearn.cbsem.sem._improper`). Then the fit is
repeated with a second optimiser; when that is admissible it is reported (with a note),
otherwise ``cbsem_status.csv`` says so and the report shows no CB-SEM number.

Interaction terms ``X:Z`` are approximated in CB-SEM by the centred product of
standardised CFA factor scores (not LMS); see :func:`leanlearn.cbsem.sem.fit_sem`.
"""

from __future__ import annotations

import argparse
import json
import logging

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_config, read_model, user_errors, write_csv
from leanlearn.cli._options import add_data_model

log = logging.getLogger("leanlearn.cbsem")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cbsem",
        help="CB-SEM (ML) cross-check and a PLS / PLSc / CB-SEM path comparison",
        description="Fit the model as a covariance-based SEM by maximum likelihood and write the standardised paths, "
        "fit indices and a side-by-side table of PLS, PLSc and CB-SEM path coefficients.",
    )
    add_data_model(p, data_help="clean analysis data (CSV, XLSX, SAV, DTA)", model_help="model file (lavaan-style syntax)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--controls",
        default=None,
        help="comma-separated control variables (default: controls.variables of --config, else none; '' for "
        "none); they enter the constructs in controls.targets (default: every endogenous construct), "
        "categorical ones as dummies (leanlearn.data.controls.add_controls); cases without a control value are left out",
    )
    p.add_argument("--config", default=None, help="pipeline config YAML (controls, robustness.cfa thresholds)")
    p.add_argument(
        "--factor-scores", choices=["regression", "bartlett"], default="regression",
        help="factor scores for the CB-SEM interaction approximation",
    )
    p.set_defaults(func=run)


def _controls(args, config: dict) -> tuple[list[str], list[str] | None, list[str]]:
    """(variables, targets, categorical) from --controls and the config's ``controls`` section.

    The section is either a list of variables or a mapping with ``variables``, ``targets``
    (default: every endogenous construct) and ``categorical``. ``--controls`` replaces the
    variables and keeps the config's targets and categorical settings.
    """
    section = config.get("controls") or {}
    if isinstance(section, (list, str)):
        section = {"variables": [section] if isinstance(section, str) else section}
    if not isinstance(section, dict):
        raise UserError(f"{args.config}: controls: expected a list or a mapping, got {section!r}")
    variables = section.get("variables") or []
    targets = section.get("targets")
    categorical = section.get("categorical") or []
    for key, value in (("variables", variables), ("targets", targets or []), ("categorical", categorical)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{args.config}: controls.{key}: expected a list of names, got {value!r}")
    if args.controls is not None:
        variables = [c.strip() for c in args.controls.split(",") if c.strip()]
    return list(variables), (list(targets) if targets else None), [c for c in categorical if c in variables]


def comparison_table(pls_paths: pd.DataFrame, plsc_paths: pd.DataFrame, cbsem_paths: pd.DataFrame) -> pd.DataFrame:
    """Side-by-side path table: source, target, pls, plsc, cbsem, cbsem_std_error, cbsem_p_value."""
    keys = ["source", "target"]
    out = cbsem_paths[keys].copy()
    out = out.merge(pls_paths[keys + ["estimate"]].rename(columns={"estimate": "pls"}), on=keys, how="outer")
    out = out.merge(plsc_paths[keys + ["estimate"]].rename(columns={"estimate": "plsc"}), on=keys, how="left")
    cb = cbsem_paths[keys + ["estimate", "std_error", "p_value"]].rename(
        columns={"estimate": "cbsem", "std_error": "cbsem_std_error", "p_value": "cbsem_p_value"}
    )
    out = out.merge(cb, on=keys, how="left")
    order = {k: i for i, k in enumerate(zip(pls_paths["source"], pls_paths["target"]))}
    out["_order"] = [order.get(k, len(order)) for k in zip(out["source"], out["target"])]
    out = out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return out[["source", "target", "pls", "plsc", "cbsem", "cbsem_std_error", "cbsem_p_value"]]


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli.estimate import read_data
    from leanlearn.errors import DataError
    from leanlearn.pls.engine import estimate
    from leanlearn.cbsem.sem import fit_sem, fit_table, fit_thresholds

    config = read_config(args.config) if args.config else {}
    with user_errors(str(args.config)):
        thresholds = fit_thresholds(config)
    variables, targets, categorical = _controls(args, config)
    data = read_data(args.data)
    spec = read_model(args.model)
    targets = targets or list(spec.endogenous)
    with user_errors(args.data):
        if variables:
            from leanlearn.data.controls import add_controls

            spec, data_used, _ = add_controls(
                spec,
                data,
                variables=variables,
                targets=targets,
                categorical=categorical,
                source=args.data,
            )
        else:
            data_used = data
        missing_cols = [c for c in spec.items if c not in data_used.columns]
        if missing_cols:
            raise DataError(f"the data have no column(s) {', '.join(missing_cols)}")
        used = data_used[list(spec.items)].apply(pd.to_numeric, errors="coerce")
        keep = used.notna().all(axis=1)
        complete = data_used.loc[keep]
        n_dropped = int(len(data) - len(complete))
        if n_dropped:
            log.info("%d case(s) with a missing item or control dropped for all three estimators", n_dropped)
        cb = fit_sem(complete, spec, factor_score_method=args.factor_scores, missing="listwise")
        pls = estimate(complete, spec, consistent=False, missing="listwise", source=args.data, assess=False)
        plsc = estimate(complete, spec, consistent=True, missing="listwise", source=args.data, assess=False)
    for msg in cb.messages:
        log.warning("%s", msg)
    table = comparison_table(pls.path_coefficients, plsc.path_coefficients, cb.paths)
    status = pd.DataFrame([{"status": cb.status, "converged": cb.converged, "n_problems": len(cb.problems), "problems": "; ".join(cb.problems),
                            "notes": "; ".join(m for m in cb.messages if m not in cb.problems)}])  # fmt: skip
    if not cb.proper:
        log.warning(
            "CB-SEM solution is %s (%s); its estimates are not interpreted: the tables show them as missing",
            cb.status.replace("_", " "), "; ".join(cb.problems) or "the optimiser did not converge",
        )  # fmt: skip
    settings = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "config": str(args.config) if args.config else None,
        "controls": variables,
        "control_targets": targets if variables else [],
        "n_rows": int(len(data)),
        "n_used": int(cb.n),
        "rows_dropped_listwise": n_dropped,
        "cbsem_estimator": "ML (semopy, covariance structure, T = N * F_ML), standardised paths with delta-method SEs",
        "pls": "leanlearn.estimate(consistent=False), path weighting, two-stage interaction",
        "plsc": "leanlearn.estimate(consistent=True)",
        "interaction": cb.interaction_note or None,
        "factor_scores": args.factor_scores,
        "converged": cb.converged,
        "status": cb.status,
        "problems": list(cb.problems),
        "messages": list(cb.messages),
        "syntax": cb.syntax,
    }
    with atomic_dir(args.out) as tmp:
        write_csv(cb.paths, tmp / "cbsem_paths.csv")
        write_csv(fit_table(cb.fit, thresholds), tmp / "cbsem_fit.csv")
        write_csv(table, tmp / "pls_plsc_cbsem_paths.csv")
        write_csv(status, tmp / "cbsem_status.csv")
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    log.info("CB-SEM on %d cases (%d paths); wrote %s", cb.n, len(cb.paths), args.out)
    return 0
