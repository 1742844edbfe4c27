"""``leanlearn measurement``: reliability and validity of the study's measurement model.

Estimates the configured model (controls included, as in the structural stage), bootstraps
it for the intervals of loadings, weights and HTMT, and checks every criterion against the
thresholds in config.yaml (``measurement:``). Writes into ``--out``:

    outer_loadings.csv, outer_weights.csv   construct, indicator, estimate + bootstrap columns
    reliability.csv                         construct, cronbach_alpha, rho_a, rho_c, ave
    htmt.csv, htmt2.csv, fornell_larcker.csv, construct_correlations.csv   square tables
    htmt_bootstrap.csv                      construct_a, construct_b, estimate, CI columns
    htmt_upper_bounds.csv                   construct_a, construct_b, estimate, upper_bound, quantile
    cross_loadings.csv, vif_items.csv
    measurement_assessment.csv              criterion, construct, indicator, value, threshold, meets, source

With ``missing.treatment: multiple`` every table is pooled over the imputations of
``--untreated`` (point values averaged, Rubin's rules; HTMT bounds and intervals from the
pooled bootstrap draws; docs/imputation.md), and pooled_<family>.csv and
imputation_report.csv are written as well.
"""

from __future__ import annotations

import logging

from leanlearn.cli._io import atomic_dir, read_config, write_csv
from leanlearn.cli._options import add_resamples

log = logging.getLogger("leanlearn.pls.metrics")


def register(sub) -> None:
    p = sub.add_parser("measurement", help="assess reliability and validity of the measurement model")
    p.add_argument("data")
    p.add_argument("model")
    p.add_argument("--config", required=True)
    p.add_argument("--out", required=True)
    add_resamples(p, default=None, help="bootstrap resamples (default: config bootstrap.resamples)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--untreated", default=None, help="kept responses before missing-data treatment (needed with missing.treatment: multiple)")
    p.set_defaults(func=run)


def run(args) -> int:
    from leanlearn.measurement.assessment import htmt_upper_bounds, measurement_assessment
    from leanlearn.cli._study import bootstrap_settings, multiple_tables, study_bootstrap
    from leanlearn.cli.estimate import _square, tables

    cfg = read_config(args.config)
    bs = bootstrap_settings(cfg, resamples=args.resamples, seed=args.seed, workers=args.workers)
    res, boot, _, _, mi = study_bootstrap(args, cfg, bs, log)
    thresholds = cfg.get("measurement", {}) or {}
    bounds = htmt_upper_bounds(boot, float(thresholds.get("htmt_upper_quantile", 0.95)))
    assess = measurement_assessment(res, bounds, thresholds)
    all_tables = tables(res, boot)
    keep = ["outer_loadings.csv", "outer_weights.csv", "reliability.csv", "htmt.csv", "htmt2.csv", "fornell_larcker.csv",
            "htmt_bootstrap.csv", "cross_loadings.csv", "vif_items.csv", "bootstrap_status.csv"]
    if mi is not None:
        all_tables = multiple_tables(mi, all_tables)
        keep += ["pooled_outer_loadings.csv", "pooled_outer_weights.csv", "pooled_htmt.csv", "imputation_report.csv"]
    with atomic_dir(args.out) as tmp:
        for name in keep:
            write_csv(all_tables[name], tmp / name)
        write_csv(_square(res.construct_correlations), tmp / "construct_correlations.csv")
        write_csv(bounds, tmp / "htmt_upper_bounds.csv")
        write_csv(assess, tmp / "measurement_assessment.csv")
    failed = assess[~assess.meets.astype(bool)]
    log.info("measurement: %d of %d criteria met", len(assess) - len(failed), len(assess))
    for r in failed.itertuples():
        log.info("not met: %s %s %s = %.3f (%s)", r.criterion, r.construct, r.indicator, r.value, r.threshold)
    return 0
