"""The one-page headline of a pipeline run (``results/summary.md``), built from result tables.

Pure: a dict of DataFrames (keyed by the result file's path relative to ``results/``) in,
Markdown out. Sections whose tables are absent say so instead of inventing numbers. All
numbers go through :mod:`leanlearn.format`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leanlearn.effects.hypotheses import rule_text
from leanlearn.format import ci, num, pval

__all__ = ["summary_markdown"]


def _usable(df):
    """None for an absent table or a stage's "skipped" note (columns status, reason)."""
    if df is None or (isinstance(df, pd.DataFrame) and {"status", "reason"} <= set(df.columns)):
        return None
    return df


def _w(t: dict, key: str, default: str) -> str:
    return str((t.get("__words__") or {}).get(key, default))


def _flow(t: dict) -> list[str]:
    flow = t.get("screening/flow.csv")
    if flow is None:
        return ["- Screening: not run."]
    f = flow.set_index("step")
    n_in = int(f.loc["responses_in", "n_after"])
    steps = flow[(flow.step != "responses_in") & (flow.step != "flagged_but_kept")]
    kept = int(steps.n_after.iloc[-1])
    parts = [f"{int(r.n_excluded)} {r.step.replace('_', ' ')}" for r in steps.itertuples() if r.n_excluded]
    lines = [f"- **Responses:** {n_in} in the export; {n_in - kept} excluded ({'; '.join(parts)}); **{kept} kept**."]
    if "flagged_but_kept" in f.index:
        lines.append(f"- {int(f.loc['flagged_but_kept', 'n_flagged'])} kept responses carry a single soft flag (listed in `screening/flagged_kept.csv`; sensitivity runs re-estimate without them).")
    merge = t.get("screening/merge_report.csv")
    if merge is not None and {"section", "quantity", "value"} <= set(merge.columns):
        m = {r.quantity: r.value for r in merge[merge.section == "match"].itertuples()}
        if "n_matched_firms" in m:
            lines.append(
                f"- Archival merge: {int(float(m['n_matched_firms']))} of {int(float(m.get('n_survey_firms', 0)))} {_w(t, 'unit.plural', 'respondents')} of the survey found in the archival data "
                f"({int(float(m.get('n_survey_firms_unmatched', 0)))} not found; listed in `screening/unmatched_firms.csv`)."
            )
    resp = t.get("descriptives/response.csv")
    if resp is not None and {"quantity", "value"} <= set(resp.columns):
        q = dict(zip(resp.quantity, resp.value))
        if {"n_frame", "n_responding_units", "response_rate"} <= set(q):
            lines.append(
                f"- Response rate: {int(q['n_responding_units'])} responding {_w(t, 'unit.plural', 'respondents')} of {int(q['n_frame'])} invited = {num(100 * q['response_rate'], 1)}% "
                f"(distinct {_w(t, 'unit.plural', 'respondents')} after removing {int(q.get('n_duplicate_responses', 0))} duplicate responses)"
                + (f"; usable: {int(q['n_kept'])} = {num(100 * q['usable_response_rate'], 1)}%." if "n_kept" in q else ".")
            )
    excl = t.get("hypotheses/excluded_cases.csv")
    settings = t.get("structural/settings")
    if settings is not None:
        n_out = excl["row"].nunique() if excl is not None and len(excl) else 0
        lines.append(f"- **Analysed:** N = {settings['n_used']} {_w(t, 'unit.plural', 'respondents')}" + (f" ({n_out} without a value on a control variable left out; controls are never imputed)" if n_out else "") + ".")
        if settings.get("missing") == "multiple":
            lines.append(
                f"- **Missing answers:** multiple imputation, M = {settings.get('imputations')} imputed data sets, seed {settings.get('imputation_seed')}; "
                f"imputer: {settings.get('imputation_method')}, {settings.get('imputation_rounds')} rounds, clipped {settings.get('imputation_clipping')}. "
                f"Measurement and hypotheses pooled: {settings.get('pooling')}. The other steps read one model-based imputation."
            )
    return lines


def _measurement(t: dict) -> list[str]:
    a = t.get("measurement/measurement_assessment.csv")
    if a is None:
        return ["- Measurement: not run."]
    met = a.meets.astype(bool)
    lines = [f"- {int(met.sum())} of {len(a)} reliability and validity criteria met (thresholds and sources in `measurement/measurement_assessment.csv`)."]
    for r in a[~met].itertuples():
        lines.append(f"  - not met: {r.criterion} {r.construct} {r.indicator} = {num(r.value)} (threshold {r.threshold})")
    rel = t.get("measurement/reliability.csv")
    if rel is not None:
        rel = rel[~rel.construct.str.contains(":")]
        multi = rel[rel.ave < 1]
        if len(multi):
            lines.append(
                f"- Composite reliability {num(multi.rho_c.min())}–{num(multi.rho_c.max())}, AVE {num(multi.ave.min())}–{num(multi.ave.max())}."
            )
    hb = t.get("measurement/htmt_upper_bounds.csv")
    if hb is not None and len(hb):
        worst = hb.sort_values("upper_bound").iloc[-1]
        lines.append(f"- Largest HTMT: {worst.construct_a}–{worst.construct_b} {num(worst.estimate)} (one-sided {worst['quantile']:.0%} upper bound {num(worst.upper_bound)}).")
    cfa = t.get("measurement/cfa_fit.csv")
    if cfa is not None and {"index", "value"} <= set(cfa.columns):
        vals = ", ".join(f"{r.index.upper()} {num(r.value)}" for r in cfa.itertuples() if r.index in ("cfi", "tli", "rmsea", "srmr"))
        lines.append(f"- CFA: {vals}.")
    return lines


def _hypotheses(t: dict) -> list[str]:
    h: Any = t.get("hypotheses/hypotheses.csv")
    if h is None:
        return ["Hypotheses: not run."]
    stab = _usable(t.get("robustness/multiverse_stability.csv"))
    if stab is not None and {"hypothesis", "n_same", "n_variants"} <= set(stab.columns):
        from leanlearn.robustness.multiverse import flag_fragile

        h = flag_fragile(h, stab)
    level = float(h.ci_level.iloc[0]) if "ci_level" in h and len(h) else 0.95
    interval = str(h.interval.iloc[0]) if "interval" in h and len(h) else "percentile"
    lines = [f"| Hypothesis | Quantity | Estimate | {round(100 * level)}% CI | p | Verdict |", "|---|---|---|---|---|---|"]
    for r in h.itertuples():
        flag = " (fragile)" if "fragile" in h and str(r.fragile).strip().lower() in ("true", "1") else ""
        lines.append(
            f"| {r.hypothesis} | {r.quantity} | {num(r.estimate)} | [{num(r.ci_lower)}, {num(r.ci_upper)}] | {pval(r.p_value).replace('p ', '')} | **{r.verdict}**{flag} |"
        )
    lines.append("")
    counts = h.verdict.value_counts()
    order = ["supported", "not supported", "equivalent", "not equivalent", "inconclusive"]
    lines.append("- **Verdicts:** " + "; ".join(f"{int(counts[v])} {v}" for v in order if v in counts) + f" (of {len(h)}).")
    rule = rule_text(interval, level, h["sesoi"].tolist() if "sesoi" in h else [])
    if "n_resamples" in h and len(h):
        rule += f" p resolution 1/B = 1/{int(h.n_resamples.iloc[0]):,}."
    if "n_imputations" in h and len(h) and int(h.n_imputations.iloc[0]) > 1:
        rule += (f" Pooled over {int(h.n_imputations.iloc[0])} imputations: the estimate is the mean of the imputations' estimates and the "
                 "interval comes from their bootstrap draws taken together; fraction of missing information "
                 + ", ".join(f"{r.hypothesis} {num(r.fmi)}" for r in h.itertuples()) + ".")
    lines.append(f"- **Rule:** {rule}")
    for r in h.itertuples():
        lines.append(f"- **{r.hypothesis}** ({r.statement}) {r.explanation}")
    if "fragile_reason" in h:
        frag = [f"{r.hypothesis} ({r.fragile_reason})" for r in h.itertuples() if r.fragile]
        agree = h["multiverse_min_agreement"].dropna()
        share = float(agree.iloc[0]) if len(agree) else 1.0
        rule = ("any alternative analysis of the multiverse reaches another verdict" if share >= 1
                else f"fewer than {100 * share:.0f} % of the alternative analyses reach the same verdict")
        lines.append(
            "- **Fragile verdicts:** " + ("; ".join(frag) if frag else "none")
            + f". Rule: a bound of the test interval within the fragile margin of zero, or {rule} (inference.fragile_agreement)."
        )
    return lines


def _moderated_mediation(t: dict) -> list[str]:
    lines = []
    mm = t.get("structural/moderated_mediation.csv")
    cie = t.get("structural/conditional_indirect_effects.csv")
    if mm is not None:
        for r in mm.itertuples():
            lines.append(f"- Index of moderated mediation of {r.path} by {r.moderator}: {num(r.index)}, {ci(r.ci_lower, r.ci_upper, r.ci_level)}.")
    if cie is not None:
        for path, g in cie.groupby("path", sort=False):
            parts = [f"{r.moderator} {r.moderator_value:+g} SD: {num(r.estimate)} [{num(r.ci_lower)}, {num(r.ci_upper)}]" for r in g.itertuples()]
            lines.append(f"- Conditional indirect effect of {path} (conditional on {g.moderator.iloc[0]}): " + "; ".join(parts) + ".")
    jn = t.get("structural/johnson_neyman.csv")
    if jn is not None:
        for r in jn.itertuples():
            if pd.notna(r.boundary):
                pct = getattr(r, "boundary_percentile", np.nan)
                share = getattr(r, "share_cases_significant", np.nan)
                region = getattr(r, "region", None)
                lines.append(
                    f"- Johnson–Neyman: the 95% interval of the effect of {r.focal} on {r.target} crosses zero at {r.moderator} = {r.boundary:+.2f} SD"
                    + (f" (percentile {num(pct, 0)} of the observed {r.moderator})" if pd.notna(pct) else "")
                    + (f"; significant for {region}" if isinstance(region, str) else "")
                    + (f", {num(100 * share, 0)}% of the analysed {_w(t, 'unit.plural', 'respondents')}" if pd.notna(share) else "")
                    + "."
                )
            elif pd.notna(r.significant_from):
                lines.append(f"- Johnson–Neyman: the effect of {r.focal} on {r.target} is significant on the whole probed range of {r.moderator} ({r.grid_min:+g} to {r.grid_max:+g} SD).")
    agree = _usable(t.get("hypotheses/process_agreement.csv"))
    if agree is not None:
        lines.append(
            f"- Regression cross-check (PROCESS model 7 on the construct scores): same sign for {int(agree.same_sign.sum())}/{len(agree)} quantities, "
            f"same significance for {int(agree.same_significance.sum())}/{len(agree)}."
        )
    return lines or ["- No interaction terms in the model."]


def _structural(t: dict) -> list[str]:
    r2 = t.get("structural/r_squared.csv")
    if r2 is None:
        return []
    return ["- R²: " + "; ".join(f"{r.construct} {num(r.r_squared)} (adjusted {num(r.r_squared_adj)})" for r in r2.itertuples()) + "."]


def _comparison_line(df: pd.DataFrame, label: str) -> str:
    cont = df[df.kind == "continuous"]
    sig = cont[cont.t_p_value < 0.05]
    equiv = cont[cont.equivalent.astype(str).str.lower() == "true"] if "equivalent" in cont else cont.iloc[0:0]
    cat = df[df.kind == "categorical"]
    cat_sig = cat[cat.chi2_p_value_permutation < 0.05] if "chi2_p_value_permutation" in cat else cat.iloc[0:0]
    parts = [f"{len(sig)} of {len(cont)} continuous variables differ at p < .05"]
    if len(sig):
        parts[-1] += " (" + ", ".join(f"{r.variable}: g = {num(r.hedges_g)}" for r in sig.itertuples()) + ")"
    parts.append(f"{len(equiv)} of {len(cont)} shown equivalent by TOST (margin {num(cont.tost_margin_sd.iloc[0], 1)} SD)" if len(cont) else "")
    if len(cat):
        parts.append(f"{len(cat_sig)} of {len(cat)} categorical variables differ")
    return f"- {label}: " + "; ".join(p for p in parts if p) + "."


def _bias(t: dict) -> list[str]:
    lines = []
    el = t.get("bias/nonresponse_early_late.csv")
    if el is not None and "kind" in el:
        lines.append(_comparison_line(el, f"Early vs late respondents ({el.split.iloc[0]})" if "split" in el else "Early vs late respondents"))
    fr = t.get("bias/nonresponse_frame.csv")
    if fr is not None and "kind" in fr:
        lines.append(_comparison_line(fr, f"Respondents vs non-responding {_w(t, 'unit.plural', 'respondents')} of the sampling frame"))
    vif = t.get("bias/full_collinearity_vif.csv")
    if vif is not None and "vif" in vif:
        lines.append(f"- Full-collinearity VIFs (Kock 2015): {num(vif.vif.min(), 2)}–{num(vif.vif.max(), 2)}; {int(vif.exceeds.astype(bool).sum())} above {num(vif.threshold.iloc[0], 1)}.")
    mk = t.get("bias/marker_correction.csv")
    if mk is not None and "r_a" in mk:
        lost = mk[mk.significant_u.astype(bool) & ~mk.significant_a.astype(bool)]
        src = mk.r_m_source.iloc[0] if "r_m_source" in mk and isinstance(mk.r_m_source.iloc[0], str) else ""
        rule = str(mk.marker_rule.iloc[0]).replace("_", " ") if "marker_rule" in mk else "smallest"
        mc = t.get("bias/marker_correlations.csv")
        all_r = ("; marker correlations " + ", ".join(f"{r.construct} {num(r.r)}" for r in mc.itertuples())) if mc is not None and "r" in mc else ""
        lines.append(
            f"- Marker-variable correction (Lindell & Whitney 2001): r_M = {num(mk.r_m.iloc[0])}, the {rule} positive marker correlation"
            + (f" (with {src})" if src else "") + f"{all_r}; {len(lost)} of {int(mk.significant_u.astype(bool).sum())} significant construct correlations lose significance."
        )
        mp = t.get("bias/marker_paths.csv")
        if mp is not None and "corrected_estimate" in mp and len(mp):
            lines.append(
                "  - Paths re-estimated on the corrected correlations (uncorrected → corrected): "
                + "; ".join(f"{r.source} -> {r.target} {num(r.estimate)} → {num(r.corrected_estimate)}" for r in mp.itertuples()) + "."
            )
    mf = t.get("bias/method_factor.csv")
    if mf is not None and "delta_chi2" in mf:
        d = mf.set_index("model")
        tech = "CFA marker technique (Williams, Hartman & Cavazotte 2010)" if mf.technique.iloc[0] == "cfa_marker" else "unmeasured latent method construct (Podsakoff et al. 2003)"
        parts = [f"{m.replace('_', '-')}: Δχ² = {num(d.loc[m, 'delta_chi2'], 2)} on {int(d.loc[m, 'delta_df'])} df, {pval(d.loc[m, 'delta_p_value'])}, method variance {num(100 * d.loc[m, 'method_variance_share'], 1)}%"
                 for m in ("method_c", "method_u") if m in d.index]
        flagged = str(mf.flagged.iloc[0]).lower() == "true"
        lines.append(f"- Latent method factor, {tech}, N = {int(mf.n.iloc[0])}: " + "; ".join(parts) + f" — method variance {'flagged' if flagged else 'not flagged'} (each test at α = {num(mf.alpha_per_test.dropna().iloc[0], 3)}).")
    tri = t.get("bias/archival_triangulation.csv")
    if tri is not None and "r" in tri:
        for r in tri.itertuples():
            lines.append(f"- Archival triangulation (Wall et al. 2004): corr({r.construct}, {r.measure}) = {num(r.r)} [{num(r.ci_lower)}, {num(r.ci_upper)}], {pval(r.p_value)}, n = {int(r.n)} {_w(t, 'unit.plural', 'respondents')} with archival data.")
    hm = t.get("bias/harman.csv")
    if hm is not None and "first_factor_share" in hm:
        pc = hm.iloc[0]
        lines.append(f"- Harman's single factor ({pc.method.replace('_', ' ')}): {pc.first_factor_share:.0%} of the variance — weak evidence either way (Aguirre-Urreta & Hu 2019), reported for comparability only.")
    rem = t.get("bias/procedural_remedies.csv")
    if rem is not None and "available" in rem:
        avail = rem[rem.available.astype(bool)].remedy.str.replace("_", " ").tolist()
        missing = rem[~rem.available.astype(bool)].remedy.str.replace("_", " ").tolist()
        lines.append(f"- Procedural remedies the data allow: {', '.join(avail) or 'none'}; not available: {', '.join(missing) or 'none'}.")
    return lines or ["- Bias checks: not run."]


def _robustness(t: dict) -> list[str]:
    """The robustness section: one step per check, each a list of lines (empty when the check did not run)."""
    lines: list[str] = []
    lines += _cbsem_lines(t)
    lines += _sensitivity_lines(t)
    lines += _multiverse_lines(t)
    lines += _predict_lines(t)
    lines += _copula_lines(t)
    lines += _groups_lines(t)
    lines += _power_lines(t)
    lines += _higher_order(t)
    from leanlearn.report.analyses import summary_lines

    lines += summary_lines(t)
    return lines or ["- Robustness checks: not run."]


def _cbsem_lines(t: dict) -> list[str]:
    """PLS, PLSc and CB-SEM compared, or why the CB-SEM solution is not interpreted."""
    lines: list[str] = []
    cb = _usable(t.get("robustness/cbsem/pls_plsc_cbsem_paths.csv"))
    st = _usable(t.get("robustness/cbsem/cbsem_status.csv"))
    status = str(st["status"].iloc[0]) if st is not None and len(st) and "status" in st else "ok"
    if status != "ok":
        why = st["problems"].iloc[0] if "problems" in st and isinstance(st["problems"].iloc[0], str) else ""
        lines.append(
            f"- CB-SEM (semopy): the solution is {status.replace('_', ' ')}" + (f" ({why})" if why else "")
            + ", so it is no admissible maximum-likelihood solution; its estimates and fit are not interpreted and not compared with PLS."
        )
    elif cb is not None and len(cb):
        controls = list((t.get("structural/settings") or {}).get("controls") or [])
        main = cb[~cb.source.isin(controls)]
        same = (np.sign(main.pls) == np.sign(main.cbsem)).sum()
        lines.append(
            f"- PLS, PLSc and CB-SEM (semopy; interaction by a product of factor scores): same sign on {int(same)} of {len(main)} structural paths; "
            + "; ".join(f"{r.source} -> {r.target} {num(r.pls)} / {num(r.plsc)} / {num(r.cbsem)}" for r in main.itertuples())
            + "."
        )
    return lines


def _sensitivity_lines(t: dict) -> list[str]:
    """The largest change of a path under the screening and missing-data variants."""
    lines: list[str] = []
    sens = t.get("screening/sensitivity_paths.csv")
    if sens is not None and len(sens):
        other = sens[sens.variant != "main"]
        worst = other.loc[other.difference.abs().idxmax()] if len(other) else None
        if worst is not None:
            lines.append(
                f"- Sensitivity to screening and missing data ({', '.join(sorted(other.variant.unique()))}): the largest change in a "
                f"path is {num(worst.difference)} ({worst.source} -> {worst.target}, {worst.variant}, N = {int(worst.n)})."
            )
    return lines


def _multiverse_lines(t: dict) -> list[str]:
    """How often each hypothesis keeps its verdict across the multiverse."""
    lines: list[str] = []
    stab = _usable(t.get("robustness/multiverse_stability.csv"))
    if stab is not None:
        for r in stab.itertuples():
            differing = f" (differs: {r.differing})" if isinstance(r.differing, str) and r.differing else ""
            lines.append(f"- Multiverse: {r.hypothesis} ({r.main_verdict}) holds in {int(r.n_same)} of {int(r.n_variants)} alternative analyses{differing}.")
    return lines


def _predict_lines(t: dict) -> list[str]:
    """The PLSpredict verdicts."""
    lines: list[str] = []
    pairs = t.get("robustness/predict/predict_verdicts.csv")
    pred = t.get("robustness/predict/predict_summary.csv")
    if pairs is not None and len(pairs):
        parts = [
            f"{r.construct}: {r.verdict} with {r.technique} antecedents ({int(r.n_pls_better_rmse)} of {int(r.n_indicators)} indicators better than the LM on the "
            f"{ {'antecedents': 'direct antecedents’', 'exogenous': 'exogenous constructs’'}.get(r.benchmark, r.benchmark)} indicators)"
            for r in pairs.itertuples()
        ]
        lines.append("- PLSpredict (out-of-sample, technique and benchmark paired; Shmueli et al. 2019 verdict rule): " + "; ".join(parts) + ".")
    elif pred is not None:
        parts = [f"{r.construct}: {r.verdict} ({int(r.n_pls_better_rmse)} of {int(r.n_indicators)} indicators better than the linear model)" for r in pred.itertuples()]
        lines.append("- PLSpredict (out-of-sample): " + "; ".join(parts) + ".")
    return lines


def _copula_lines(t: dict) -> list[str]:
    """The Gaussian copula test: terms counted (preconditions met) and significant."""
    lines: list[str] = []
    cop = t.get("robustness/endogeneity/copula.csv")
    if cop is not None and len(cop) and "counted" in cop.columns:
        counted = cop[cop.counted.astype(bool)]
        sig = counted[counted.significant.astype(bool)]
        n_sig_all = int(cop.significant.astype(bool).sum())
        text = (
            f"- Gaussian copula (weak diagnostic at this N): {len(cop)} copula terms in all single and joint specifications, "
            f"{len(counted)} meeting the preconditions (non-normal regressor, copula term not collinear with it)"
        )
        if len(counted):
            text += f"; {len(sig)} of those significant" + (f" ({', '.join(f'{r.predictor} -> {r.target} [{r.combination}]' for r in sig.itertuples())})" if len(sig) else "") + "."
        else:
            text += (f"; the test is uninformative here ({n_sig_all} significant terms not counted), and its corrected estimates are not corrections.")
        lines.append(text)
    elif cop is not None and len(cop):
        single = cop[cop.combination == cop.predictor]
        sig = single[single.significant.astype(bool)]
        lines.append(
            f"- Gaussian copula (weak diagnostic at this N): {len(sig)} of {len(single)} single copula terms significant"
            + (f" ({', '.join(f'{r.predictor} -> {r.target}' for r in sig.itertuples())})" if len(sig) else "") + "."
        )
    return lines


def _groups_lines(t: dict) -> list[str]:
    """MICOM and the permutation MGA."""
    lines: list[str] = []
    micom = t.get("robustness/groups/micom_summary.csv")
    mga = t.get("robustness/groups/mga.csv")
    if micom is not None and not len(micom):
        lines.append("- Group comparison (MICOM, MGA): skipped, no grouping configured.")
    elif micom is not None:
        inv = micom.invariance.value_counts().to_dict()
        words = {"full": "no evidence against full invariance", "partial": "partial invariance only (evidence against equal means or variances)", "none": "evidence against compositional invariance"}
        sizes = ""
        if {"n_a", "n_b"} <= set(micom.columns):
            n = pd.concat([micom.n_a, micom.n_b])
            sizes = f"; groups of {int(n.min())} to {int(n.max())} cases, so only large differences would be detected"
        lines.append("- MICOM (raw permutation p-values, not adjusted): " + ", ".join(f"{words.get(k, k)} for {v}" for k, v in inv.items()) + f" construct-pair comparisons{sizes}.")
    if mga is not None and len(mga):
        sig = mga[mga.significant.astype(bool)]
        fam = f" (one family of {int(mga.family_size.iloc[0])} tests: parameters x pairs of groups)" if "family_size" in mga.columns else ""
        lines.append(f"- Permutation MGA: {len(sig)} of {len(mga)} group differences significant after adjustment across the family{fam}.")
    return lines


def _power_lines(t: dict) -> list[str]:
    """Monte Carlo power per N and the tests that coincide."""
    lines: list[str] = []
    power = _usable(t.get("robustness/power/power.csv"))
    if power is not None and len(power):
        ns = sorted(int(n) for n in pd.unique(power.n))
        src = str(power.population_source.iloc[0]) if "population_source" in power else ""
        what = {"estimates": "population = the fitted model's estimates, i.e. post-hoc power", "effects": "population = effect sizes from config",
                "study": "population = the bundled simulator's model",
                "grid": "population = an a priori grid of effect sizes (Cohen's f² for every path; docs/power.md), not this study's estimates"}.get(src, "")  # fmt: skip
        if "scenario" in power.columns:
            per = "; ".join(
                f"{par} ({scen}) " + " / ".join(f"{p:.2f}" for p in g.sort_values("n").power)
                for (scen, par), g in power.groupby(["scenario", "parameter"], sort=False)
            )
        else:
            per = "; ".join(
                f"{par} " + " / ".join(f"{p:.2f}" for p in g.sort_values("n").power) for par, g in power.groupby("parameter", sort=False)
            )
        se = f", Monte Carlo SE <= {power.mc_std_error.max():.3f}" if "mc_std_error" in power else ""
        lines.append(
            f"- Monte Carlo power at N = {' / '.join(map(str, ns))}: {per} ({int(power.n_replications.min())} replications per N{se}"
            + (f"; {what}" if what else "") + ")."
        )
        if "coincides_with" in power:
            pairs = sorted({tuple(sorted((r.parameter, o))) for r in power.itertuples() if isinstance(r.coincides_with, str) for o in r.coincides_with.split()})
            if pairs:
                lines.append("- Power: " + ", ".join(f"{a} and {b}" for a, b in pairs) + " are in effect one test (the same decision in nearly every replication), not separate evidence.")
    return lines


def _higher_order(t: dict) -> list[str]:
    """One line on the higher-order variant (robustness/higher_order), if it ran."""
    paths = t.get("robustness/higher_order/paths.csv")
    rel = t.get("robustness/higher_order/hoc_reliability.csv")
    ind = t.get("robustness/higher_order/hoc_indicators.csv")
    if paths is None or rel is None or ind is None or not len(rel):
        return []
    settings = t.get("robustness/higher_order/settings") or {}
    data = str(settings.get("data", ""))
    hocs = []
    for r in rel.itertuples():
        locs = ", ".join(ind.loc[ind.hoc == r.hoc, "loc"].astype(str))
        hocs.append(f"{r.hoc} of {locs} (rho_C {num(r.rho_c)}, AVE {num(r.ave)})")
    names = set(rel.hoc)
    touches = lambda name: any(part in names for part in str(name).split(":"))  # noqa: E731  (X:HOC terms too)
    own = paths[paths.source.map(touches) | paths.target.map(touches)]
    level = float(own.ci_level.iloc[0]) if "ci_level" in own and len(own) else None
    parts = []
    for r in own.itertuples():
        ci = f" [{num(r.ci_lower)}, {num(r.ci_upper)}]" if level is not None else ""
        parts.append(f"{r.source} -> {r.target} {num(r.estimate)}{ci}")
    method = {"two_stage": "two-stage", "embedded_two_stage": "embedded two-stage", "repeated_indicators": "repeated-indicators"}.get(
        str(rel.method.iloc[0]), str(rel.method.iloc[0]))
    where = " on items simulated with LP bundles" if "hoc_simulated" in data else ""
    ci_note = f"; {level:.0%} percentile intervals, {int(settings.get('bootstrap_valid', 0))} resamples" if level is not None else ""
    return [
        f"- Higher-order variant ({method} approach{where}, N = {int(settings.get('n_used', 0))}): "
        + "; ".join(hocs) + ". Paths: " + ", ".join(parts) + f"{ci_note}."
    ]


def summary_markdown(tables: dict, *, title: str = "leanlearn: results at a glance", notes: list[str] | None = None,
                     extra_sections: list[tuple[str, list[str]]] | None = None, words: dict | None = None) -> str:
    """Render the headline page.

    Parameters
    ----------
    tables : dict
        Result tables keyed by their path under ``results/`` (e.g. ``"screening/flow.csv"``);
        ``"structural/settings"`` may hold the parsed ``settings.json`` of the structural stage.
    notes : list of str, optional
        Lines for the top of the page (data provenance, synthetic-data warning).
    extra_sections : list of (title, lines), optional
        Further sections (bias checks, robustness) rendered by their own modules.
    words : dict, optional
        The study's words (:func:`leanlearn.report.paper.study_words`: ``unit.plural`` ...);
        default "respondents".
    """
    tables = dict(tables)
    tables["__words__"] = dict(words or {})
    out = [f"# {title}", ""]
    out += list(notes or [])
    if notes:
        out.append("")
    out += ["## Data and screening", ""] + _flow(tables) + [""]
    out += ["## Bias checks", ""] + _bias(tables) + [""]
    out += ["## Measurement model", ""] + _measurement(tables) + [""]
    out += ["## Structural model and hypotheses", ""] + _structural(tables) + [""] + _hypotheses(tables) + [""]
    out += ["## Moderated mediation", ""] + _moderated_mediation(tables) + [""]
    out += ["## Robustness", ""] + _robustness(tables) + [""]
    for title_, lines in extra_sections or []:
        out += [f"## {title_}", ""] + lines + [""]
    return "\n".join(out).rstrip() + "\n"
