"""``leanlearn process``: regression-based cross-check of the moderated mediation (PROCESS model 7).

Re-estimates the configured PLS model (no bootstrap needed: the point estimates are
deterministic), fits the model-7 equations by OLS on its construct scores with their own
bootstrap (:mod:`leanlearn.robustness.process`), and compares sign and significance with the PLS
results in ``--hypotheses``/``--tables``. Writes into ``--out``:

    process_model7.csv     quantity, estimate, std_error, ci_lower, ci_upper, ci_level, p_value
    process_agreement.csv  quantity, pls_*, process_*, same_sign, same_significance

For a model without a first-stage moderated chain both files hold one row ``status,
reason`` (skipped, and why) and the verb succeeds.
"""

from __future__ import annotations

import logging
from pathlib import Path

from leanlearn.cli._io import atomic_dir, read_config, write_csv
from leanlearn.cli._options import add_resamples

log = logging.getLogger("leanlearn.robustness.process")


def register(sub) -> None:
    p = sub.add_parser("process", help="PROCESS model 7 regression cross-check of the moderated mediation")
    p.add_argument("data")
    p.add_argument("model")
    p.add_argument("--config", required=True)
    p.add_argument("--tables", required=True, help="the PLS estimation tables (leanlearn hypotheses --tables)")
    p.add_argument("--out", required=True)
    add_resamples(p, default=None, help="bootstrap resamples of the regression (default: config bootstrap.resamples)")
    p.set_defaults(func=run)


def _pls_quantities(tables: Path, eq: dict):
    import pandas as pd

    paths = pd.read_csv(tables / "paths.csv")

    def path(s, t):
        r = paths[(paths.source == s) & (paths.target == t)].iloc[0]
        return (r.estimate, r.ci_lower, r.ci_upper)

    rows = [
        ("a1",) + path(eq["x"], eq["m"]),
        ("a3",) + path(eq["interaction"], eq["m"]),
        ("b",) + path(eq["m"], eq["y"]),
    ]
    if eq["x"] in eq["y_predictors"]:
        rows.append(("c_prime",) + path(eq["x"], eq["y"]))
    chain = f"{eq['x']} -> {eq['m']} -> {eq['y']}"
    mm = pd.read_csv(tables / "moderated_mediation.csv")
    r = mm[(mm.path == chain) & (mm.moderator == eq["w"])].iloc[0]
    rows.append(("index", r["index"], r.ci_lower, r.ci_upper))
    ci = pd.read_csv(tables / "conditional_indirect_effects.csv")
    for r in ci[(ci.path == chain) & (ci.moderator == eq["w"])].itertuples():
        rows.append((f"conditional_indirect_{r.moderator_value:+g}", r.estimate, r.ci_lower, r.ci_upper))
    return pd.DataFrame(rows, columns=["quantity", "estimate", "ci_lower", "ci_upper"])


def run(args) -> int:
    import pandas as pd

    from leanlearn.cli._study import bootstrap_settings, study_model
    from leanlearn.effects.conditional import moderated_chains
    from leanlearn.robustness.process import agreement, model7_equations, process_model7

    cfg = read_config(args.config)
    res, _, _ = study_model(args.data, args.model, cfg)
    chains = [mc for mc in moderated_chains(res) if len(mc.chain.nodes) == 3 and mc.n_moderated == 1 and mc.links[0][2] is not None]
    if not chains:
        # the check does not apply to this model: say so in both outputs (status, reason) and succeed
        reason = "the model has no first-stage moderated chain X -> M -> Y; the PROCESS model 7 check does not apply"
        skipped = pd.DataFrame({"status": ["skipped"], "reason": [reason]})
        with atomic_dir(args.out) as tmp:
            write_csv(skipped, tmp / "process_model7.csv")
            write_csv(skipped, tmp / "process_agreement.csv")
        log.info("PROCESS model 7 check skipped: %s", reason)
        return 0
    bs = bootstrap_settings(cfg, resamples=args.resamples)
    fits, agree = [], []
    for mc in chains:
        eq = model7_equations(res, mc)
        out = process_model7(res.scores, eq, resamples=bs["resamples"], seed=bs["seed"], ci_level=bs["ci_level"])
        out.insert(0, "chain", mc.label)
        out.insert(1, "moderator", mc.moderator)
        fits.append(out)
        a = agreement(out.drop(columns=["chain", "moderator"]), _pls_quantities(Path(args.tables), eq))
        a.insert(0, "chain", mc.label)
        a.insert(1, "moderator", mc.moderator)
        agree.append(a)
    agree_df = pd.concat(agree, ignore_index=True)
    with atomic_dir(args.out) as tmp:
        write_csv(pd.concat(fits, ignore_index=True), tmp / "process_model7.csv")
        write_csv(agree_df, tmp / "process_agreement.csv")
    log.info(
        "PROCESS model 7 check: same sign %d/%d, same significance %d/%d",
        agree_df.same_sign.sum(), len(agree_df), agree_df.same_significance.sum(), len(agree_df),
    )
    return 0
