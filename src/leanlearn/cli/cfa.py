"""``leanlearn cfa DATA MODEL [--config YAML] --out DIR``: CFA of the measurement model.

Maximum-likelihood confirmatory factor analysis of the model's reflective (``=~``)
constructs with semopy (see :mod:`leanlearn.cbsem.sem` for every convention). Outputs (written
atomically)::

    cfa_loadings.csv      construct, indicator, estimate (standardised loading), std_error
                          (delta method), z_value, p_value, unstandardized,
                          unstandardized_std_error
    cfa_fit.csv           index, value, threshold, direction, meets, acceptable_threshold,
                          meets_acceptable, source   (n, chi2, df, p_value, cfi, tli, rmsea,
                          its 90 % CI, srmr, aic, bic; thresholds from robustness.cfa of the
                          config, else Hu & Bentler 1999)
    cfa_correlations.csv  construct_a, construct_b, estimate, std_error, z_value, p_value
                          (factor correlations)
    settings.json         inputs, cases used, the lavaan syntax fitted, warnings
"""

from __future__ import annotations

import argparse
import json
import logging

from leanlearn.cli._io import atomic_dir, read_config, read_model, user_errors, write_csv
from leanlearn.cli._options import add_data_model

log = logging.getLogger("leanlearn.cfa")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cfa",
        help="confirmatory factor analysis (CB-SEM, ML) of the reflective measurement model",
        description="Fit a CFA of the model's reflective constructs by maximum likelihood (semopy) and write "
        "standardised loadings and fit indices flagged against Hu & Bentler (1999) thresholds.",
    )
    add_data_model(p, data_help="clean analysis data (CSV, XLSX, SAV, DTA)", model_help="model file (lavaan-style syntax)")
    p.add_argument("--config", default=None, help="pipeline config YAML (robustness.cfa thresholds)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--missing", choices=["listwise", "mean"], default="listwise", help="missing-data treatment")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli.estimate import read_data
    from leanlearn.cbsem.sem import fit_cfa, fit_table, fit_thresholds

    config = read_config(args.config) if args.config else {}
    with user_errors(str(args.config)):
        thresholds = fit_thresholds(config)
    data = read_data(args.data)
    spec = read_model(args.model)
    with user_errors(args.data):
        res = fit_cfa(data, spec, missing=args.missing)
    for msg in res.messages:
        log.warning("%s", msg)
    settings = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "config": str(args.config) if args.config else None,
        "estimator": "ML (semopy, covariance structure, T = N * F_ML)",
        "missing": args.missing,
        "n_rows": int(len(data)),
        "n_used": int(res.n),
        "converged": res.converged,
        "messages": list(res.messages),
        "syntax": res.syntax,
    }
    with atomic_dir(args.out) as tmp:
        write_csv(res.loadings, tmp / "cfa_loadings.csv")
        write_csv(fit_table(res.fit, thresholds), tmp / "cfa_fit.csv")
        write_csv(res.construct_correlations, tmp / "cfa_correlations.csv")
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    fit = res.fit.iloc[0]
    log.info(
        "CFA on %d cases: chi2(%d) = %.2f, CFI = %.3f, RMSEA = %.3f, SRMR = %.3f; wrote %s",
        res.n, int(fit["df"]), fit["chi2"], fit["cfi"], fit["rmsea"], fit["srmr"], args.out,
    )
    return 0
