"""``leanlearn multiverse DATA MODEL``: sensitivity of the results to every analysis choice.

DATA is the ingested responses (all of them, before screening), MODEL the model file.

Rebuilds the analysis data under other screening rules and missing-data treatments from
the ingested responses (merged with ``--archival`` when the study has archival data),
builds the variants from what the study has (its controls, its model, its screening rules),
re-estimates and bootstraps each variant (see
:mod:`leanlearn.robustness.multiverse`), and writes:

    --out/multiverse.csv             variant, factor, level, n, hypothesis, quantity, estimate,
                                     ci_lower, ci_upper, ci_level, interval, verdict, same_as_main
    --out/multiverse_stability.csv   hypothesis, main_verdict, n_variants, n_same, share_same, differing,
                                     fragile (share_same below inference.fragile_agreement), min_agreement
    --out/multiverse_paths.csv       variant, n, source, target, estimate, ci_lower, ci_upper
    --out/multiverse_skipped.csv     variant, factor, level, reason: variants the study cannot apply
                                     (no interaction term, no controls, an extra control column
                                     not in the data, an estimation that failed), one row each
    --sensitivity                    the screening and missing-data variants' paths next to the main
                                     analysis (variant, n, source, target, estimate, ci_lower,
                                     ci_upper, main_estimate, difference)
"""

from __future__ import annotations

import logging

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, read_codebook, read_config, read_model, user_errors, write_csv
from leanlearn.cli._options import add_data_model, add_resamples

log = logging.getLogger("leanlearn.robustness.multiverse")


def register(sub) -> None:
    p = sub.add_parser("multiverse", help="re-estimate the hypotheses under every alternative analysis choice")
    add_data_model(p, data_help="all responses after ingest (data/processed/survey_ingested.csv)", model_help="model file (lavaan-style syntax)",
                   data_alias="--ingested")
    p.add_argument("--flags", required=True, help="screening flags (results/screening/flags.csv)")
    p.add_argument("--archival", default=None, help="archival data (omit for a study without)")
    p.add_argument("--codebook", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--sensitivity", required=True, help="CSV for the screening and missing-data sensitivity table")
    add_resamples(p, default=None, help="bootstrap resamples per variant (default robustness.multiverse_resamples)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=run)


def run(args) -> int:
    import pandas as pd

    from leanlearn.cli._study import bootstrap_settings
    from leanlearn.cli.estimate import read_data
    from leanlearn.cli.screen import read_survey
    from leanlearn.effects.hypotheses import load_hypotheses, load_inference
    from leanlearn.robustness.multiverse import (
        analysis_variant, default_variants, main_missing_treatment, run_multiverse, sensitivity_paths, skipped_table, stability,
    )  # fmt: skip

    cfg = read_config(args.config)
    codebook = read_codebook(args.codebook)
    spec = read_model(args.model)
    with user_errors(args.config):
        hyps = load_hypotheses(cfg.get("hypotheses"))
    ingested = read_survey(args.data)
    flags = read_survey(args.flags)
    archival = read_data(args.archival) if args.archival else None
    scales = codebook.item_scales()
    items = [i for i in spec.items if i in scales]
    bounds = {i: scales[i][:2] for i in items}
    main_missing = main_missing_treatment(cfg)
    cache: dict = {}

    def data_for(keep, missing):
        key = (keep, missing or main_missing)
        if key not in cache:
            with user_errors(args.data):
                cache[key] = analysis_variant(ingested, flags, archival, keep=keep, method=key[1], items=items, bounds=bounds, config=cfg)
        return cache[key]

    rob = cfg.get("robustness", {}) or {}
    bs = bootstrap_settings(cfg, workers=args.workers)
    resamples = int(args.resamples if args.resamples is not None else rob.get("multiverse_resamples", 2000))
    try:
        variants, skipped = default_variants(cfg, spec, columns=data_for("main", None).columns, return_skipped=True)
    except ValueError as exc:
        raise UserError(f"{args.config}: {exc}") from exc
    for s in skipped:
        log.info("variant %s skipped: %s", s.name, s.reason)
    with user_errors("multiverse"):
        out = run_multiverse(
            variants, data_for, spec, cfg, hyps, resamples=resamples, seed=bs["seed"], workers=bs["workers"],
            progress=lambda k, name: log.info("variant %d/%d: %s", k, len(variants), name),
        )
    with user_errors(args.config):
        rules = load_inference(cfg.get("inference"))
    stab = stability(out.verdicts, min_agreement=rules.fragile_agreement)
    with atomic_dir(args.out) as tmp, atomic_file(args.sensitivity) as sens:
        write_csv(out.verdicts, tmp / "multiverse.csv")
        write_csv(stab, tmp / "multiverse_stability.csv")
        write_csv(out.paths, tmp / "multiverse_paths.csv")
        write_csv(pd.concat([skipped_table(skipped), out.skipped], ignore_index=True), tmp / "multiverse_skipped.csv")
        write_csv(sensitivity_paths(out.paths), sens)
    for r in stab.itertuples():
        log.info("%s (%s): same verdict in %d of %d variants", r.hypothesis, r.main_verdict, r.n_same, r.n_variants)
    return 0
