"""``leanlearn hypotheses``: the study's structural model, bootstrapped once, and its hypotheses.

Writes the full estimation tables of the configured model (with controls) into
``--tables`` (the same files as ``leanlearn estimate``, see :mod:`leanlearn.cli.estimate`)
and the hypothesis tests into ``--out``:

    hypotheses.csv          the columns of leanlearn.effects.hypotheses.COLUMNS: hypothesis, statement,
                            test, direction, quantity, conditional_on, estimate, std_error, interval,
                            ci_lower, ci_upper, ci_level, p_value (the configured interval type and its
                            matching bootstrap p), percentile and BCa intervals and p-values,
                            n_resamples, p_value_resolution, sesoi, tost_lower, tost_upper, tost_level,
                            tost_p_value, equivalent, fragile, verdict, explanation
                            (rule: config section ``inference``; docs/inference.md)
    bootstrap_draws.csv     resample, then one column per hypothesis: its quantity in every valid
                            resample (the draws behind the intervals; see hypothesis_draws)
    mediation.csv           every specific indirect effect with direct/total effects and its
                            Zhao-Lynch-Chen type; conditional on the moderators (inference.moderator_value)
                            in a moderated model (see leanlearn.effects.mediation.mediation_table)
    indirect_contrasts.csv  differences between indirect effects with the same outcome
    excluded_cases.csv      cases left out because a control value is missing
    model.lav               the model as estimated (controls added)

With ``missing.treatment: multiple`` in the config the answers missing in ``--untreated``
are imputed ``missing.imputations`` times, every imputed set is estimated and bootstrapped,
and the tables and verdicts come from the pooled estimates and the pooled draws
(:class:`leanlearn.data.imputation.PooledBootstrap`; docs/imputation.md): hypotheses.csv
gains n_imputations, fmi, lambda, rubin_lower, rubin_upper; bootstrap_draws.csv holds the
draws of all imputations; ``--tables`` also gets pooled_<family>.csv and imputation_report.csv.
"""

from __future__ import annotations

import logging

from leanlearn.cli._io import atomic_dir, read_config, user_errors, write_csv
from leanlearn.cli._options import add_resamples

log = logging.getLogger("leanlearn.effects.hypotheses")


def register(sub) -> None:
    p = sub.add_parser("hypotheses", help="estimate the study's model, bootstrap it and test the configured hypotheses")
    p.add_argument("data", help="analysis data (the merged, screened file)")
    p.add_argument("model", help="model file (lavaan-style)")
    p.add_argument("--config", required=True, help="config.yaml with hypotheses, controls, estimation and bootstrap settings")
    p.add_argument("--out", required=True, help="directory for the hypothesis tables")
    p.add_argument("--tables", required=True, help="directory for the estimation tables")
    add_resamples(p, default=None, help="bootstrap resamples (default: config bootstrap.resamples)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: config seed)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: config bootstrap.workers)")
    p.add_argument("--untreated", default=None, help="kept responses before missing-data treatment (needed with missing.treatment: multiple)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    import pandas as pd

    from leanlearn.cli._study import bootstrap_settings, multiple_tables, study_bootstrap
    from leanlearn.cli.estimate import settings_record, tables
    from leanlearn.effects.hypotheses import evaluate_hypotheses, hypothesis_draws, load_hypotheses, load_inference
    from leanlearn.effects.mediation import indirect_contrasts, mediation_table

    cfg = read_config(args.config)
    with user_errors(f"{args.config}"):
        hyps = load_hypotheses(cfg.get("hypotheses"))
        rules = load_inference(cfg.get("inference"))
    bs = bootstrap_settings(cfg, resamples=args.resamples, seed=args.seed, workers=args.workers)
    res, boot, data, excluded, mi = study_bootstrap(args, cfg, bs, log)
    with user_errors(args.config):
        hyp = evaluate_hypotheses(boot, hyps, rules=rules)
    controls = [c.name for c in res.spec.constructs if c.kind == "observed"]
    contrasts = indirect_contrasts(boot, exclude=controls, moderator_value=rules.moderator_value)

    out_tables = tables(res, boot)
    if mi is not None:
        out_tables = multiple_tables(mi, out_tables)
    with atomic_dir(args.tables) as tmp:
        for name, df in out_tables.items():
            write_csv(df, tmp / name)
        text = res.summary().to_text()
        if mi is not None:
            text = (f"Pooled over {mi.imputations} imputations (Rubin's rules; intervals from the {boot.n_valid} pooled bootstrap "
                    f"draws of all imputations; docs/imputation.md)\n\n") + text  # fmt: skip
        (tmp / "summary.txt").write_text(text + "\n", encoding="utf-8")
        rec = settings_record(res, boot, args.data, args.model)
        rec["controls"] = controls
        if mi is not None:
            rec.update(mi.settings_record())
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    with atomic_dir(args.out) as tmp:
        write_csv(hyp, tmp / "hypotheses.csv")
        write_csv(hypothesis_draws(boot, hyps, rules), tmp / "bootstrap_draws.csv")
        write_csv(mediation_table(boot, exclude=controls, moderator_value=rules.moderator_value), tmp / "mediation.csv")
        write_csv(contrasts, tmp / "indirect_contrasts.csv")
        write_csv(excluded if excluded is not None else pd.DataFrame(columns=["row", "variable", "reason"]), tmp / "excluded_cases.csv")
        (tmp / "model.lav").write_text(res.spec.text, encoding="utf-8")
    for row in hyp.itertuples():
        log.info("%s: %s", row.hypothesis, row.verdict)
    return 0
