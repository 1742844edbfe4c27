"""The numbers of the results sections of the manuscript (measurement, bias, structural model,
hypotheses, moderation, robustness), one function per section; called by :func:`leanlearn.report.numbers.paper_numbers`.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from leanlearn.effects.hypotheses import rule_text
from leanlearn.format import ci, pval
from leanlearn.report.tables import label as _label
from leanlearn.report.numbers_format import _and, _estimate, _f, _fit_numbers, _g, _i, _key, _label_of, _path_key, _pct, _sd_key, _verdict_summary  # noqa: F401


def measurement_numbers(out: dict, r: Mapping) -> None:
    """Loadings, reliability, validity and the CFA."""
    s = r.get("settings")
    # measurement
    a = r.get("measurement_assessment")
    if a is not None and len(a):
        met = a.meets.map(lambda v: str(v).strip().lower() == "true" if isinstance(v, str) else bool(v))
        out["meas.n_criteria"] = str(len(a))
        out["meas.n_met"] = str(int(met.sum()))
        out["meas.n_not_met"] = str(int((~met).sum()))
    lo = r.get("outer_loadings")
    rel = r.get("reliability")
    if lo is not None:
        from leanlearn.report.tables import _multi_item_constructs

        multi = _multi_item_constructs(lo)
        ml = lo[lo.construct.isin(multi)]
        out["meas.loading_min"] = _f(ml.estimate.min())
        out["meas.loading_max"] = _f(ml.estimate.max())
        out["meas.n_items"] = str(len(ml))
        out["meas.n_constructs"] = str(len(multi))
        ctl_names = set(s.get("controls") or []) if isinstance(s, Mapping) else set()
        model_constructs = [c for c in pd.unique(lo.construct) if ":" not in str(c) and str(c) not in ctl_names]
        out["model.n_constructs"] = str(len(model_constructs))
        out["model.constructs"] = _and(_label_of(out, c) for c in model_constructs)
        single = [c for c in model_constructs if c not in set(multi)]
        if single:
            out["model.single_item"] = _and(_label_of(out, c) for c in single)

        if rel is not None:
            rr = rel[rel.construct.isin(multi)]
            for col in ("cronbach_alpha", "rho_a", "rho_c", "ave"):
                out[f"meas.{col}_min"] = _f(rr[col].min())
                out[f"meas.{col}_max"] = _f(rr[col].max())
            for row in rr.itertuples():
                for col in ("cronbach_alpha", "rho_a", "rho_c", "ave"):
                    out[f"rel.{_key(row.construct)}.{col}"] = _f(getattr(row, col))
        hb = r.get("htmt_upper_bounds")
        if hb is not None and len(hb):
            sub = hb[hb.construct_a.isin(multi) & hb.construct_b.isin(multi)]
            if len(sub):
                worst = sub.sort_values("upper_bound").iloc[-1]
                out["meas.htmt_largest"] = _f(worst.estimate)
                out["meas.htmt_largest_upper"] = _f(worst.upper_bound)
                out["meas.htmt_largest_pair"] = f"{worst.construct_a}–{worst.construct_b}"
    _fit_numbers(out, "cfa", r.get("cfa_fit"), chi2=True)


def bias_numbers(out: dict, r: Mapping) -> None:
    """Non-response, common-method and key-informant checks."""
    # bias
    fc = r.get("full_collinearity_vif")
    if fc is not None and "vif" in fc and len(fc):
        out["bias.fc_vif_max"] = _f(fc.vif.max(), 2)
        if "threshold" in fc:
            out["bias.fc_threshold"] = _g(float(fc.threshold.iloc[0]))
    hm = r.get("harman")
    if hm is not None and "first_factor_share" in hm and len(hm):
        pc = hm[hm.method == "principal_components"] if "method" in hm else hm
        row = (pc if len(pc) else hm).iloc[0]
        out["bias.harman_share"] = _pct(row.first_factor_share)
        if "threshold" in hm:
            out["bias.harman_threshold"] = _pct(row.threshold, 0)
    mk = r.get("marker_correction")
    if mk is not None and "r_m" in mk and len(mk):
        out["bias.marker"] = str(mk.marker.iloc[0])
        out["bias.marker_rm"] = _f(mk.r_m.iloc[0])
        sig_u = mk.significant_u.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
        sig_a = mk.significant_a.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
        out["bias.marker_n_pairs"] = str(len(mk))
        out["bias.marker_n_lost"] = str(int((sig_u & ~sig_a).sum()))
        out["bias.marker_n_significant"] = str(int(sig_u.sum()))
        if isinstance(mk.r_m_source.iloc[0], str):
            out["bias.marker_rm_source"] = str(mk.r_m_source.iloc[0])
        out["bias.marker_rule"] = str(mk.marker_rule.iloc[0]).replace("_", " ")
    mcor = r.get("marker_correlations")
    if mcor is not None and "r" in mcor and len(mcor):
        out["bias.marker_correlations"] = "; ".join(f"{row.construct} {_f(row.r)}" for row in mcor.itertuples())
    mp = r.get("marker_paths")
    if mp is not None and "corrected_estimate" in mp and len(mp):
        out["bias.marker_max_path_change"] = _f(mp.difference.abs().max())
        worst = mp.loc[mp.difference.abs().idxmax()]
        out["bias.marker_max_path_change_path"] = f"{worst.source} → {worst.target}"
    mf = r.get("method_factor")
    if mf is not None and "model" in mf and len(mf):
        d = mf.set_index("model")
        out["bias.mf_technique"] = {"cfa_marker": "CFA marker technique", "ulmc": "unmeasured latent method construct"}.get(str(mf.technique.iloc[0]), str(mf.technique.iloc[0]))
        flagged = mf.flagged.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v)).iloc[0]
        out["bias.mf_verdict"] = "flags method variance" if flagged else "does not flag method variance"
        for m in ("method_c", "method_u"):
            if m in d.index:
                out[f"bias.mf_{m}_dchi2"] = _f(d.loc[m, "delta_chi2"], 2)
                out[f"bias.mf_{m}_ddf"] = _i(d.loc[m, "delta_df"])
                out[f"bias.mf_{m}_p"] = pval(float(d.loc[m, "delta_p_value"]))
                out[f"bias.mf_{m}_share"] = _pct(d.loc[m, "method_variance_share"])
        out["bias.mf_alpha_per_test"] = _g(float(d["alpha_per_test"].dropna().iloc[0])) if d["alpha_per_test"].notna().any() else ""
    tri = r.get("archival_triangulation")
    if tri is not None and "r" in tri and len(tri):
        row = tri.iloc[0]
        out["bias.tri_construct"] = str(row.construct)
        out["bias.tri_measure"] = str(row.measure)
        out["bias.tri_n"] = _i(row.n)
        out["bias.tri_r"] = _f(row.r)
        out["bias.tri_ci"] = f"{_pct(row.ci_level, 0)} CI [{_f(row.ci_lower)}, {_f(row.ci_upper)}]"
        out["bias.tri_p"] = pval(float(row.p_value))
    el = r.get("nonresponse_early_late")
    if el is not None and "variable" in el and len(el):
        cont = el[el.kind == "continuous"] if "kind" in el else el
        if len(cont):
            out["bias.n_early"] = _i(cont.n_a.iloc[0])
            out["bias.n_late"] = _i(cont.n_b.iloc[0])
            out["bias.el_n_compared"] = str(len(cont))
            out["bias.el_n_significant"] = str(int((cont.t_p_value < 0.05).sum()))
            eq = cont.equivalent.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
            out["bias.el_n_equivalent"] = str(int(eq.sum()))
            out["bias.el_max_abs_g"] = _f(cont.hedges_g.abs().max(), 2)
    ki = r.get("key_informants")
    if ki is not None and {"variable", "statistic", "value"} <= set(ki.columns):
        d = {(row.variable, row.statistic): row.value for row in ki.itertuples() if pd.isna(row.level) or row.level == ""}
        if ("tenure_years", "mean") in d:
            out["ki.tenure_mean"] = _f(d[("tenure_years", "mean")], 1)
        if ("knowledge", "mean") in d:
            out["ki.knowledge_mean"] = _f(d[("knowledge", "mean")], 2)


def structural_numbers(out: dict, r: Mapping) -> None:
    """Paths, R², f², VIF and model fit."""
    s = r.get("settings")
    # structural
    control_names = set(s.get("controls") or []) if isinstance(s, Mapping) else set()
    paths = r.get("paths")
    if paths is not None:
        level = float(paths["ci_level"].iloc[0]) if "ci_level" in paths and len(paths) else 0.95
        for row in paths.itertuples():
            _estimate(f"beta.{_path_key(row.source, row.target)}", out, row.estimate, getattr(row, "ci_lower", None), getattr(row, "ci_upper", None),
                      getattr(row, "p_value", None), level)
            src = " × ".join(_label_of(out, part) for part in str(row.source).split(":"))
            out[f"beta.{_path_key(row.source, row.target)}.label"] = f"{src} → {_label_of(out, row.target)}"
            out[f"beta.{_path_key(row.source, row.target)}.kind"] = (
                "control" if str(row.source) in control_names else "interaction" if ":" in str(row.source) else "structural")
    f2 = r.get("f_squared")
    if f2 is not None:
        for row in f2.itertuples():
            if not pd.isna(row.f_squared):
                out[f"f2.{_path_key(row.source, row.target)}"] = _f(row.f_squared)
    vi = r.get("vif_inner")
    if vi is not None and len(vi):
        out["vif_inner_max"] = _f(vi.vif.max(), 2)
    r2 = r.get("r_squared")
    if r2 is not None:
        for row in r2.itertuples():
            out[f"r2.{_key(row.construct)}"] = _f(row.r_squared)
            out[f"r2_adj.{_key(row.construct)}"] = _f(row.r_squared_adj)
    fit = r.get("fit")
    if fit is not None and "srmr" in fit and len(fit):
        out["srmr"] = _f(fit.srmr.iloc[0])


def hypothesis_numbers(out: dict, r: Mapping) -> None:
    """Every hypothesis: its quantity, interval and verdict."""
    # hypotheses
    hyp = r.get("hypotheses")
    if hyp is not None:
        for i, row in enumerate(hyp.itertuples(), start=1):
            k = _key(row.hypothesis)
            out[f"{k}.order"] = str(i)
            _estimate(k, out, row.estimate, row.ci_lower, row.ci_upper, row.p_value, float(getattr(row, "ci_level", 0.95)))
            out[f"{k}.verdict"] = str(row.verdict)
            out[f"{k}.quantity"] = _label(row.quantity)
            out[f"{k}.statement"] = str(row.statement)
            if "conditional_on" in hyp and isinstance(row.conditional_on, str) and row.conditional_on:
                out[f"{k}.conditional_on"] = _label(row.conditional_on)
            if "sesoi" in hyp and not pd.isna(row.sesoi):
                out[f"{k}.sesoi"] = "±" + _g(float(row.sesoi))
                out[f"{k}.tost_ci"] = ci(row.tost_lower, row.tost_upper, float(row.tost_level))
                out[f"{k}.tost_p"] = pval(float(row.tost_p_value))
        out["n_hypotheses"] = str(len(hyp))
        out["n_supported"] = str(int((hyp.verdict == "supported").sum()))
        out["verdicts.summary"] = _verdict_summary(hyp)
        level = float(hyp.ci_level.iloc[0]) if "ci_level" in hyp and len(hyp) else 0.95
        interval = str(hyp.interval.iloc[0]) if "interval" in hyp and len(hyp) else "percentile"
        sesoi = hyp["sesoi"].tolist() if "sesoi" in hyp else []
        out["inference.interval"] = "BCa" if interval == "bca" else "percentile"
        out["inference.rule"] = rule_text(interval, level, sesoi)
        declared = sorted({float(v) for v in sesoi if not pd.isna(v)})
        out["inference.sesoi"] = ", ".join("±" + _g(v) for v in declared) if declared else "none declared"
        out["inference.tost_level"] = f"{round(100 * (1 - 2 * (1 - level)))}%"
        if "n_resamples" in hyp and len(hyp):
            out["inference.p_value_resolution"] = f"1/{int(hyp.n_resamples.iloc[0]):,}"
        stab = r.get("multiverse_stability")
        if isinstance(stab, pd.DataFrame) and len(stab) and {"hypothesis", "n_same", "n_variants"} <= set(stab.columns):
            from leanlearn.robustness.multiverse import flag_fragile

            hyp = flag_fragile(hyp, stab)
        fragile = hyp[hyp.fragile.map(lambda v: str(v).strip().lower() in ("true", "1"))].hypothesis.tolist() if "fragile" in hyp else []
        out["verdicts.fragile"] = _and(fragile) if fragile else "none"
    med = r.get("mediation")
    if med is not None:
        for row in med.itertuples():
            k = "med." + _key(str(row.path).replace(" -> ", "_"))
            out[f"{k}.label"] = " → ".join(_label_of(out, part.strip()) for part in str(row.path).split("->"))
            out[f"{k}.indirect"] = _f(row.indirect)
            out[f"{k}.indirect_ci"] = ci(row.indirect_ci_lower, row.indirect_ci_upper, float(row.ci_level))
            out[f"{k}.direct"] = _f(row.direct)
            out[f"{k}.direct_ci"] = ci(row.direct_ci_lower, row.direct_ci_upper, float(row.ci_level))
            out[f"{k}.total"] = _f(row.total)
            out[f"{k}.type"] = str(row.type)
            if "vaf" in med and not pd.isna(row.vaf):
                out[f"{k}.vaf"] = _pct(row.vaf)


def moderation_numbers(out: dict, r: Mapping) -> None:
    """Simple slopes, Johnson-Neyman, conditional indirect effects, the index of moderated mediation, PROCESS."""
    # moderation and moderated mediation
    mm = r.get("moderated_mediation")
    if mm is not None and len(mm):
        row = mm.iloc[0]
        _estimate("imm", out, row["index"], row.ci_lower, row.ci_upper, row.get("p_value"), float(row.ci_level))
    cie = r.get("conditional_indirect_effects")
    if cie is not None and len(cie):
        first = cie[(cie.path == cie.path.iloc[0]) & (cie.moderator == cie.moderator.iloc[0])]
        for row in first.itertuples():
            k = _sd_key(row.moderator_value)
            if k:
                _estimate(f"cie.{k}", out, row.estimate, row.ci_lower, row.ci_upper, getattr(row, "p_value", None), float(row.ci_level))
    ss = r.get("simple_slopes")
    if ss is not None and len(ss):
        first = ss[(ss.interaction == ss.interaction.iloc[0])] if "interaction" in ss else ss
        for row in first.itertuples():
            k = _sd_key(row.moderator_value)
            if k:
                _estimate(f"slope.{k}", out, row.estimate, row.ci_lower, row.ci_upper, getattr(row, "p_value", None), float(row.ci_level))
    jn = r.get("johnson_neyman")
    if jn is not None and len(jn):
        row = jn.iloc[0]
        if not pd.isna(row.boundary):
            out["jn.boundary"] = _f(row.boundary, 2)
        if not pd.isna(row.significant_from):
            out["jn.from"] = _f(row.significant_from, 2)
            out["jn.to"] = _f(row.significant_to, 2)
        if "boundary_percentile" in jn and not pd.isna(row.boundary_percentile):
            out["jn.percentile"] = _f(row.boundary_percentile, 0)
        if "share_cases_significant" in jn and not pd.isna(row.share_cases_significant):
            out["jn.share_cases"] = _pct(row.share_cases_significant, 0)
        if "region" in jn and isinstance(row.region, str):
            out["jn.region"] = row.region
    pa = r.get("process_agreement")
    if pa is not None and len(pa):
        out["process.n"] = str(len(pa))
        out["process.same_sign"] = str(int(pa.same_sign.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v)).sum()))
        out["process.same_significance"] = str(int(pa.same_significance.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v)).sum()))


def prediction_numbers(out: dict, r: Mapping) -> None:
    """PLSpredict, PLSc and CB-SEM paths, the copula test."""
    # robustness
    ps = r.get("predict_summary")
    if ps is not None and len(ps):
        for row in ps.itertuples():
            out[f"predict.{_key(row.construct)}.verdict"] = str(row.verdict)
            out[f"predict.{_key(row.construct)}.n_better"] = _i(row.n_pls_better_rmse)
            out[f"predict.{_key(row.construct)}.n_indicators"] = _i(row.n_indicators)
    pi = r.get("predict_items")
    if pi is not None and len(pi):
        out["predict.q2_min"] = _f(pi.q2_predict.min())
        out["predict.q2_max"] = _f(pi.q2_predict.max())
    est = r.get("pls_plsc_cbsem_paths")
    st = r.get("cbsem_status")
    cb_state = str(st["status"].iloc[0]) if isinstance(st, pd.DataFrame) and len(st) and "status" in st else "ok"
    cb_ok = cb_state == "ok"
    if est is not None and len(est):
        for row in est.itertuples():
            k = _path_key(row.source, row.target)
            out[f"plsc.{k}"] = _f(row.plsc)
            out[f"cbsem.{k}"] = _f(row.cbsem) if cb_ok else "—"
    if cb_ok:
        _fit_numbers(out, "cbsem", r.get("cbsem_fit"))
    else:
        out["cbsem.problem"] = (
            f"the covariance-based solution is {cb_state.replace('_', ' ')} (no admissible maximum-likelihood solution), so its estimates "
            "and fit are not interpreted"
        )
    cop = r.get("copula")
    if cop is not None and len(cop) and "significant" in cop:
        single = cop[cop.combination == cop.predictor] if {"combination", "predictor"} <= set(cop.columns) else cop
        sig = single.significant.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
        out["copula.n_terms"] = str(len(single))
        out["copula.n_significant"] = str(int(sig.sum()))
        if "counted" in cop:  # terms of every specification that meet the preconditions (identification, non-normality)
            counted = cop.counted.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
            sig_all = cop.significant.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
            out["copula.n_all_terms"] = str(len(cop))
            out["copula.n_counted"] = str(int(counted.sum()))
            out["copula.n_counted_significant"] = str(int((counted & sig_all).sum()))


def group_numbers(out: dict, r: Mapping, cfg: Mapping) -> None:
    """The grouping variable, MICOM and MGA."""
    rob = cfg.get("robustness") or {}
    groups = rob.get("groups")
    gcol = groups.get("column") if isinstance(groups, Mapping) else (groups if isinstance(groups, str) and groups != "none" else None)
    if gcol:
        out["groups.column"] = str(gcol)
    mic = r.get("micom_summary")
    if mic is not None and len(mic) and "invariance" in mic:
        out["micom.n"] = str(len(mic))
        out["micom.n_full"] = str(int((mic.invariance == "full").sum()))
        out["micom.n_groups"] = str(len(pd.unique(pd.concat([mic.group_a, mic.group_b]))))
    mga = r.get("mga")
    if mga is not None and len(mga) and "significant" in mga:
        sig = mga.significant.map(lambda v: str(v).lower() == "true" if isinstance(v, str) else bool(v))
        out["mga.n"] = str(len(mga))
        out["mga.n_significant"] = str(int(sig.sum()))


def power_numbers(out: dict, r: Mapping) -> None:
    """Monte Carlo power at the study's N and the notes on its population."""
    pw = r.get("power")
    if pw is not None and len(pw) and "scenario" in pw.columns:
        # an effect-size grid: one value per scenario, "0.12 / 0.55 / 0.87 (small / medium / large)"
        scens = list(pd.unique(pw.scenario))
        tail = f" ({' / '.join(map(str, scens))})"
        for (par, n), g in pw.groupby(["parameter", "n"], sort=False):
            d = dict(zip(g.scenario, g.power))
            out[f"power.{_key(par)}.n{int(n)}"] = " / ".join(_f(d[s], 2) if s in d else "—" for s in scens) + tail
            for sc in scens:
                if sc in d:
                    out[f"power.{_key(par)}.{_key(str(sc))}.n{int(n)}"] = _f(d[sc], 2)
    elif pw is not None and len(pw):
        for row in pw.itertuples():
            out[f"power.{_key(row.parameter)}.n{int(row.n)}"] = _f(row.power, 2)
    if pw is not None and len(pw):
        # the grid N closest to the analysed sample: the manuscript cites it whatever the grid
        target = int(out["n_analysed"]) if str(out.get("n_analysed", "")).isdigit() else int(pw.n.max())
        ns = sorted(int(n) for n in pd.unique(pw.n))
        near = min(ns, key=lambda n: (abs(n - target), n))
        out["power.study_n"] = str(near)
        for par in pd.unique(pw[pw.n == near].parameter):
            out[f"power.{_key(par)}.study_n"] = out[f"power.{_key(par)}.n{near}"]
        out["power.n_replications"] = _i(pw.n_replications.min()) if "n_replications" in pw else "—"
        src = str(pw.population_source.iloc[0]) if "population_source" in pw else ""
        sentence = {
            "estimates": "The population is the fitted model's own estimates, so this is post-hoc power, which is not evidence about this study's result (Hoenig & Heisey 2001).",
            "effects": "The population is the effect sizes declared in the configuration.",
            "study": "The population is the simulator's documented population model.",
            "grid": "The population is an a priori grid of effect sizes in which every path has Cohen's (1988) small, medium or large f² "
                    "(interaction paths the smaller levels suggested for moderation), not this study's estimates.",
        }.get(src, "")  # fmt: skip
        if "coincides_with" in pw:
            pairs = sorted({tuple(sorted((str(x.parameter), o))) for x in pw.itertuples() if isinstance(x.coincides_with, str) for o in x.coincides_with.split()})
            if pairs:
                sentence += " " + "; ".join(f"{a} and {b}" for a, b in pairs) + " reached the same decision in nearly every replication, so their powers are one result reported twice."
        out["power.notes"] = sentence.strip()


def multiverse_numbers(out: dict, r: Mapping) -> None:
    """Minimum N (inverse square root) and the multiverse's stability."""
    mn = r.get("minimum_n")
    if mn is not None and len(mn):
        for row in mn.itertuples():
            if not pd.isna(getattr(row, "minimum_n_inverse_sqrt_one_tailed", float("nan"))):
                out[f"min_n.{_key(row.parameter)}"] = _i(row.minimum_n_inverse_sqrt_one_tailed)
    mv = r.get("multiverse_stability")
    if mv is not None and len(mv):
        out["multiverse.n_variants"] = _i(mv.n_variants.max())
        out["multiverse.n_hypotheses_stable"] = str(int((mv.n_same == mv.n_variants).sum()))
        for row in mv.itertuples():
            out[f"multiverse.{_key(row.hypothesis)}.n_same"] = _i(row.n_same)
