"""``leanlearn endogeneity DATA MODEL --out DIR``: Gaussian copula test of the structural equations.

Estimates the model with the config's ``controls`` (added as every study-level verb adds
them, :func:`leanlearn.data.controls.add_controls`; ``--no-controls`` for the run without),
then runs :func:`leanlearn.robustness.endogeneity.gaussian_copula` on the construct scores.

Output contract::

    copula.csv               target, combination, predictor, estimate, std_error, t_value, p_value,
                             ci_lower, ci_upper, ci_level, significant, corrected_estimate,
                             corrected_std_error, corrected_ci_lower, corrected_ci_upper,
                             uncorrected_estimate, non_normal, n_resamples, specification,
                             corr_copula_term, vif_copula_term, preconditions_met, counted
                             (one row per equation x combination x copula term, single and joint
                             specifications; estimate etc. are the copula coefficient, corrected_*
                             the coefficient of the predictor in the same regression; terms that
                             fail a precondition are shown with counted = False)
    copula_summary.csv       target, combination, specification, n_terms, n_counted,
                             n_significant_counted, n_significant_not_counted
    preconditions.csv        variable, n, shapiro_p_value, cvm_p_value, non_normal, corr_copula_term,
                             vif_copula_term, identified, preconditions_met, reason
    copula_coefficients.csv  target, combination, term, role, estimate, std_error, t_value, p_value,
                             ci_lower, ci_upper, ci_level, n_resamples (every coefficient; combination
                             "none" = the regression without copula terms = the PLS paths)
    normality.csv            variable, n, skewness, excess_kurtosis, shapiro_w, shapiro_p_value,
                             cvm_statistic, cvm_p_value, non_normal, corr_copula_term
    notes.txt                the plain-language caveat (Becker, Proksch & Ringle 2022), the counts,
                             and a plain statement when the test is uninformative
    excluded_cases.csv       cases left out for a missing control value (controls are never imputed)
    settings.json            provenance

This module also holds the helpers the ``groups`` and ``power`` verbs share (config
loading, estimation settings from the config and the command line, the study's data and
model with controls).
"""

from __future__ import annotations

import json
import logging

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv
from leanlearn.cli._study import (
    add_estimation_arguments,
    estimation_settings_from_args,
    load_config,
    provenance,
    section,
    settings_json,
    study_data,
)

log = logging.getLogger("leanlearn.robustness.endogeneity")


# ---- the verb ------------------------------------------------------------------------------------------
def register(sub) -> None:
    p = sub.add_parser(
        "endogeneity",
        help="Gaussian copula test of the structural equations (a weak diagnostic at small N)",
        description=(
            "Estimate the model and run the Gaussian copula test (Park & Gupta 2012; Hult et al. 2018) on the "
            "construct scores: every combination of copula terms per structural equation, bootstrap inference, "
            "non-normality preconditions. Writes copula.csv, copula_coefficients.csv, normality.csv, notes.txt."
        ),
    )
    p.add_argument("data", help="analysis data (the merged, screened file: items and controls)")
    p.add_argument("model", help="model file in lavaan-style syntax")
    p.add_argument("--config", required=True, help="config.yaml (controls, estimation, seed, robustness.copula_resamples)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--no-controls", action="store_true", help="run without the configured controls (Hult et al. 2018: report both)")
    p.add_argument("--resamples", type=int, default=None, help="bootstrap resamples (default: robustness.copula_resamples or 2000)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's seed)")
    p.add_argument("--no-residualize", action="store_true", help="do not residualise copula terms on the controls (original Park & Gupta)")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the normality precondition and of 'significant'")
    p.add_argument("--ci-level", type=float, default=0.95)
    p.add_argument("--max-vif", type=float, default=None, help="identification precondition: 1/(1 - corr(x, copula)^2) below this (default: robustness.copula_max_vif or 25)")
    add_estimation_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from leanlearn.robustness.endogeneity import gaussian_copula
    from leanlearn.pls.engine import estimate

    config, config_path = load_config(args.config)
    robust = section(config, "robustness")
    settings = estimation_settings_from_args(config, args)
    resamples = args.resamples if args.resamples is not None else int(robust.get("copula_resamples", 2000))
    seed = args.seed if args.seed is not None else config.get("seed")
    if resamples < 2:
        raise UserError("--resamples must be at least 2")
    max_vif = args.max_vif if args.max_vif is not None else robust.get("copula_max_vif", 25.0)
    if isinstance(max_vif, bool) or not isinstance(max_vif, (int, float)) or max_vif <= 1:
        raise UserError(f"{config_path or 'config'}: robustness.copula_max_vif must be a number above 1, got {max_vif!r}")
    data, spec, excluded, ctl = study_data(args.data, args.model, config, controls=not args.no_controls)
    controls = ctl["terms"]
    with user_errors(args.data):
        res = estimate(data, spec, settings=settings, assess=False, source=args.data)
        out = gaussian_copula(
            res, controls=controls, resamples=resamples, seed=seed, residualize=not args.no_residualize,
            alpha=args.alpha, ci_level=args.ci_level, max_vif=float(max_vif),
        )  # fmt: skip
    n_sig = int((out.terms["significant"] & out.terms["counted"]).sum()) if len(out.terms) else 0
    n_counted = int(out.terms["counted"].sum()) if len(out.terms) else 0
    log.info(
        "copula test on %d cases: %d of %d copula terms (single and joint) meet the preconditions, %d of those significant at %.2f%s",
        out.n, n_counted, len(out.terms), n_sig, args.alpha, "" if out.informative else "; the test is uninformative here",
    )  # fmt: skip
    with atomic_dir(args.out) as tmp:
        write_csv(out.terms, tmp / "copula.csv")
        write_csv(out.coefficients, tmp / "copula_coefficients.csv")
        write_csv(out.normality, tmp / "normality.csv")
        write_csv(out.preconditions, tmp / "preconditions.csv")
        write_csv(out.summary, tmp / "copula_summary.csv")
        if excluded is not None:
            write_csv(excluded, tmp / "excluded_cases.csv")
        (tmp / "notes.txt").write_text(out.note + "\n", encoding="utf-8")
        rec = provenance(
            data=str(args.data), model=str(args.model), config=config_path, n_used=out.n, controls=ctl,
            control_terms=controls, resamples=resamples, seed=seed, residualize=not args.no_residualize,
            alpha=args.alpha, ci_level=args.ci_level, ecdf="rank/(n+1)", max_vif=float(max_vif), informative=out.informative,
            random_streams={"bootstrap": "stream(seed, 'bootstrap', 'copula')", "normality": "stream(seed, 'montecarlo', 'normality', j)"},
            **settings_json(settings),
        )  # fmt: skip
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
