"""The manuscript: every number from the result tables, through one macro per number.

Pure: result tables in, strings out (only the CLI reads and writes files).

1. :func:`paper_numbers` turns the result tables (and the config and software versions)
   into a flat mapping ``key -> formatted string`` — one entry per number in the paper,
   rounded through :mod:`leanlearn.format`. The CLI writes it to ``numbers.json`` and, for
   LaTeX users, ``numbers.tex`` (:func:`numbers_tex`: ``\\llnum{H1.estimate}``).
2. :func:`render` fills the manuscript source (Markdown with Jinja placeholders):

   ``{{ n_kept }}``, ``{{ H1.estimate }}``, ``{{ H1.ci }}``
       a number (HTML: ``<span class="num" data-key="H1.estimate">0.275</span>``, so that
       every number in the rendered paper can be traced to its key);
   ``{{ table:hypotheses }}`` / ``{{ figure:conditional_indirect }}``
       a table of :mod:`leanlearn.report.tables` or a figure of :mod:`leanlearn.report.figures`, numbered
       in order of appearance; a table whose stage did not run says "not run";
   ``{{ ref:table:hypotheses }}`` / ``{{ ref:figure:forest }}``
       "Table 3" / "Figure 2";
   ``{{ block:methods }}``
       a generated paragraph (:data:`BLOCKS`), itself made of placeholders;
   ``{% if ran.bias %} … {% else %} … {% endif %}``
       text that depends on which stages ran (``ran`` maps stage -> bool).

   A placeholder without a value raises :class:`PlaceholderError` naming it and its line:
   a missing number fails the build.
3. :func:`markdown_to_html` and :func:`page` make the HTML manuscript.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from leanlearn.effects.hypotheses import rule_text
from leanlearn.errors import SpecError
from leanlearn.extras import require
from leanlearn.format import ci, num, pval
from leanlearn.report.provenance import SOFTWARE, software_versions
from leanlearn.report.tables import label as _label
from leanlearn.screening.careless import screening_config

__all__ = [
    "SOFTWARE",
    "BLOCKS",
    "PlaceholderError",
    "FigureRef",
    "software_versions",
    "paper_numbers",
    "stages_run",
    "numbers_tex",
    "software_table",
    "render",
    "markdown_to_html",
    "page",
    "dumps_numbers",
]



class PlaceholderError(SpecError):
    """A placeholder of the manuscript source has no value (or names no table or figure)."""


@dataclass(frozen=True)
class FigureRef:
    """A figure as the manuscript sees it: caption, image source (path or data URI), availability."""

    name: str
    title: str
    caption: str
    src: str
    available: bool = True


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
def _key(name) -> str:
    """A placeholder-safe key segment: ``LP:DIG`` -> ``LP_x_DIG``."""
    s = str(name).replace(":", "_x_")
    s = re.sub(r"\W+", "_", s).strip("_")
    return s if not s[:1].isdigit() else "n" + s


def _path_key(*names) -> str:
    return "_".join(_key(n) for n in names)


def _f(x, digits=3) -> str:
    return num(None if x is None or pd.isna(x) else float(x), digits)


def _i(x) -> str:
    return str(int(round(float(x))))


def _pct(x, digits=1) -> str:
    return num(100 * float(x), digits) + "%"


def _g(v) -> str:
    """A configured setting as configured (not a result, so not rounded)."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return str(v)


def _sd_key(v: float) -> str | None:
    return {-1.0: "low", 0.0: "mean", 1.0: "high"}.get(float(v))


def _estimate(prefix: str, out: dict, est, lo=None, hi=None, p=None, level=0.95) -> None:
    out[f"{prefix}.estimate"] = _f(est)
    if lo is not None and not pd.isna(lo):
        out[f"{prefix}.ci_lower"] = _f(lo)
        out[f"{prefix}.ci_upper"] = _f(hi)
        out[f"{prefix}.ci"] = ci(lo, hi, level)
    if p is not None and not pd.isna(p):
        out[f"{prefix}.p"] = pval(float(p))


def _verdict_summary(hyp: pd.DataFrame) -> str:
    """'7 of 9 hypotheses are supported; H4a and H6b are inconclusive': every verdict, with ids."""
    n = len(hyp)
    parts = []
    sup = hyp[hyp.verdict == "supported"]
    parts.append(f"{len(sup)} of {n} hypotheses {'is' if len(sup) == 1 else 'are'} supported")
    for v in ("not supported", "equivalent", "not equivalent", "inconclusive"):
        ids = hyp[hyp.verdict == v].hypothesis.astype(str).tolist()
        if ids:
            parts.append(f"{_and(ids)} {'is' if len(ids) == 1 else 'are'} {v}")
    return "; ".join(parts)


def _and(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


def _fit_numbers(out: dict, prefix: str, fit, *, chi2: bool = False) -> None:
    """CFI, TLI, RMSEA, SRMR (and chi² with df) of a fit table (columns index, value) as ``prefix.<index>``."""
    if fit is None or not {"index", "value"} <= set(fit.columns):
        return
    v = dict(zip(fit["index"], fit["value"]))
    for k in ("cfi", "tli", "rmsea", "srmr"):
        if k in v:
            out[f"{prefix}.{k}"] = _f(v[k])
    if chi2 and "chi2" in v:
        out[f"{prefix}.chi2"] = _f(v["chi2"], 2)
    if chi2 and "df" in v:
        out[f"{prefix}.df"] = _i(v["df"])


def study_words(codebook: Mapping | None) -> dict[str, str]:
    """The study's own words for generated texts: its unit and its construct labels.

    Parameters
    ----------
    codebook : mapping or None
        The codebook as read from YAML (``unit``, ``constructs.<C>.label``, ``study``).

    Returns
    -------
    dict
        ``unit.name`` ("respondent", "firm" ...), ``unit.plural``, ``unit.Name`` and
        ``unit.Plural`` (capitalised), ``label.<C>`` per construct (its name when it has no
        label), ``study.text`` when the codebook has a ``study`` sentence.
    """
    cb = dict(codebook or {})
    unit = cb.get("unit") or {}
    name = str(unit.get("name") or "respondent")
    plural = str(unit.get("plural") or (name + "s"))
    out = {"unit.name": name, "unit.plural": plural, "unit.Name": name[:1].upper() + name[1:],
           "unit.Plural": plural[:1].upper() + plural[1:]}
    for cname, entry in (cb.get("constructs") or {}).items():
        lab = entry.get("label") if isinstance(entry, Mapping) else None
        out[f"label.{_key(cname)}"] = str(lab or cname)
    if cb.get("study"):
        out["study.text"] = " ".join(str(cb["study"]).split())
    if cb.get("constructs"):
        items = [it for c in cb["constructs"].values() if isinstance(c, Mapping) for it in (c.get("items") or []) if isinstance(it, Mapping)]
        out["codebook.n_reverse"] = str(sum(1 for it in items if it.get("reverse") is True))
        out["codebook.n_attention"] = str(len(cb.get("attention_checks") or []))
    if cb.get("covariates"):
        out["codebook.covariates"] = ", ".join(str(k) for k in cb["covariates"])
    return out


def _label_of(words: Mapping[str, str], construct) -> str:
    return words.get(f"label.{_key(construct)}", str(construct))


def paper_numbers(results: Mapping[str, object], config: Mapping | None = None, *, versions: Mapping[str, str] | None = None,
                  codebook: Mapping | None = None) -> dict[str, str]:
    """Every number (and short result label) the manuscript may cite, formatted.

    Parameters
    ----------
    results : mapping
        Result tables keyed as :data:`leanlearn.report.tables.RESULT_FILES`.
    config : mapping, optional
        The pipeline config (thresholds, screening rules).
    versions : mapping, optional
        Software versions (default :func:`software_versions`).
    codebook : mapping, optional
        The codebook (its unit and construct labels, :func:`study_words`).

    Returns
    -------
    dict
        Flat ``key -> text``, sorted by key. Keys are dotted paths of identifiers
        (``H1.estimate``, ``beta.LP_LS.ci``, ``cie.high.estimate``); only results that exist
        produce keys, so a manuscript citing an absent result fails to build.
    """
    cfg = dict(config or {})
    # a stage that did not apply leaves a one-row "status, reason" note instead of its table
    r = {k: v for k, v in results.items()
         if not (isinstance(v, pd.DataFrame) and {"status", "reason"} <= set(v.columns))}
    out: dict[str, str] = study_words(codebook)
    for name, v in (versions or software_versions()).items():
        out[f"version.{_key(name)}"] = str(v)
    if "seed" in cfg:
        out["seed"] = str(cfg["seed"])

    flow = r.get("flow")
    n_kept = None
    if flow is not None:
        f = flow.set_index("step")
        steps = flow[~flow.step.isin(["responses_in", "flagged_but_kept"])]
        n_in = int(f.loc["responses_in", "n_after"]) if "responses_in" in f.index else int(steps.n_before.iloc[0])
        n_kept = int(steps.n_after.iloc[-1])
        out["n_responses"] = str(n_in)
        out["n_kept"] = str(n_kept)
        out["n_excluded"] = str(n_in - n_kept)
        for row in steps.itertuples():
            out[f"excluded.{_key(row.step)}"] = _i(row.n_excluded)
        if "flagged_but_kept" in f.index:
            out["n_flagged_kept"] = _i(f.loc["flagged_but_kept", "n_flagged"])
    skipped = _skipped_checks(r)
    soft = [("mahalanobis", "Mahalanobis distance"), ("evenodd", "even-odd consistency"), ("psychsyn", "psychometric synonyms"),
            ("longstring", "long strings"), ("page_time", "page times")]
    para = (codebook or {}).get("paradata") or {}
    no_timers = codebook is not None and not (isinstance(para, Mapping) and para.get("page_timers"))
    out["screen.soft_indices"] = ", ".join(name for key, name in soft if key not in skipped and not (key == "page_time" and no_timers))
    merge = r.get("merge_report")
    if merge is not None and {"section", "quantity", "value"} <= set(merge.columns):
        m = {row.quantity: row.value for row in merge[merge.section == "match"].itertuples()}
        for q, k in (("n_frame_firms", "n_frame"), ("n_matched_firms", "n_matched"), ("n_survey_firms", "n_survey_firms"),
                     ("n_survey_firms_unmatched", "n_unmatched"), ("n_archival_firms", "n_archival")):
            if q in m:
                out[k] = _i(m[q])
        if "n_frame_firms" in m and "n_responses" in out:
            from leanlearn.report.tables import _response_rates

            rate, units = _response_rates(r.get("response"), flow, float(m["n_frame_firms"]))
            out["response_rate"] = _pct(rate)
            out["n_responding_units"] = str(units)
            if n_kept is not None:
                out["usable_response_rate"] = _pct(n_kept / float(m["n_frame_firms"]))
    s = r.get("settings")
    if isinstance(s, Mapping):
        if "n_used" in s:
            out["n_analysed"] = str(s["n_used"])
        exc = r.get("excluded_cases")
        out["n_controls_missing"] = str(int(exc["row"].nunique()) if exc is not None and len(exc) else 0)
        for k in ("scheme", "interaction", "missing", "max_iterations", "iterations"):
            if k in s:
                out[f"settings.{k}"] = _g(s[k]).replace("_", "-")
        if "tolerance" in s:
            out["settings.tolerance"] = f"{float(s['tolerance']):.0e}".replace("e-0", "e-")
        if "consistent" in s:
            out["settings.consistent"] = "PLSc" if s["consistent"] else "PLS (Mode A composites)"
        if "bootstrap_resamples" in s:
            out["boot.resamples"] = f"{int(s['bootstrap_resamples']):,}"
            out["boot.valid"] = f"{int(s['bootstrap_valid']):,}"
            out["boot.failed"] = str(int(s["bootstrap_failed"]))
            out["boot.seed"] = str(s.get("seed"))
            out["ci_level"] = _pct(s.get("ci_level", 0.95), 0)
        ctl = list(s.get("controls") or [])
        out["controls"] = _and(ctl) if ctl else "none"
        out["n_controls"] = str(len(ctl))
        r2t = r.get("r_squared")
        endo = [str(c) for c in r2t.construct] if r2t is not None and "construct" in r2t else []
        targets = [t for t in ((cfg.get("controls") or {}).get("targets") or endo) if t in endo] if ctl else []
        if targets:
            if set(targets) == set(endo):
                out["controls_targets"] = {1: "the endogenous construct", 2: "both endogenous constructs"}.get(len(endo), "every endogenous construct")
            else:
                out["controls_targets"] = _and(_label_of(out, t) for t in targets)
    mt = r.get("missing_treatment")
    if mt is not None and len(mt):
        out["missing.method"] = str(mt["method"].iloc[0])
        out["missing.n_imputed"] = _i(mt["n_imputed"].sum())
        out["missing.max_share"] = _pct(mt["share_missing"].max())
    mcar = r.get("little_mcar")
    if mcar is not None and len(mcar) and not pd.isna(mcar["statistic"].iloc[0]):
        out["mcar.chi2"] = _f(mcar["statistic"].iloc[0], 2)
        out["mcar.df"] = _i(mcar["df"].iloc[0])
        out["mcar.p"] = pval(float(mcar["p_value"].iloc[0]))

    # thresholds (configured values, printed as configured)
    from leanlearn.report.tables import measurement_thresholds, structural_thresholds

    mth = measurement_thresholds(cfg)
    for k in ("loading_min", "alpha_min", "rho_a_min", "ave_min", "htmt_max", "htmt_similar_max", "formative_vif_max"):
        out[f"th.{k}"] = _g(mth[k])
    out["th.rho_c_min"], out["th.rho_c_max"] = (_g(v) for v in mth["rho_c_range"])
    out["th.htmt_quantile"] = _pct(mth["htmt_upper_quantile"], 0)
    sth = structural_thresholds(cfg)
    out["th.vif_max"] = _g(sth["vif_max"])
    out["th.srmr_max"] = _g(sth["srmr_max"])
    for k, v in zip(("small", "medium", "large"), sth["f_squared_cutoffs"]):
        out[f"th.f2_{k}"] = _g(v)
    # the thresholds the screen step applied: the configured ones, else its defaults (a config
    # that leaves them out must still fill the template's sentences)
    scr = screening_config(cfg.get("screening"))
    for k in ("seconds_per_item_hard", "seconds_per_item_flag", "exclude_if_n_flags_at_least", "attention_fail_min", "mahalanobis_alpha", "evenodd_flag_below", "psychsyn_critval"):
        out[f"screen.{k}"] = _g(getattr(scr, k))
    out["screen.max_case_missing_share"] = _pct(scr.max_case_missing_share, 0)

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
        out["power.replications"] = _i(pw.replications.min()) if "replications" in pw else "—"
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
    return dict(sorted(out.items()))


def stages_run(results: Mapping[str, object], codebook: Mapping | None = None) -> dict[str, bool]:
    """Which optional stages and checks ran (for ``{% if ran.<stage> %}`` in the manuscript).

    Stage keys come from the results that exist. Screening checks that depend on the
    instrument come from the codebook: ``attention`` (attention checks declared),
    ``page_times`` (page timers declared), ``key_informant`` (key-informant questions);
    ``merge`` (archival data were merged), ``frame`` (respondents compared with a sampling
    frame), ``early_late``, ``mediation``, ``moderation`` (an interaction in the model),
    ``controls`` (control variables entered the model).
    """
    def has(*keys):
        for k in keys:
            v = results.get(k)
            if v is None:
                continue
            if isinstance(v, pd.DataFrame) and ("status" in v.columns and "reason" in v.columns):
                continue
            return True
        return False

    return {
        "screening": has("flow"),
        "descriptives": has("items"),
        "measurement": has("outer_loadings"),
        "cfa": has("cfa_fit"),
        "bias": has("full_collinearity_vif", "harman", "marker_correction", "nonresponse_early_late"),
        "marker": has("marker_correction"),
        "marker_paths": has("marker_paths"),
        "jn_percentile": isinstance(results.get("johnson_neyman"), pd.DataFrame) and "boundary_percentile" in results["johnson_neyman"]
        and results["johnson_neyman"]["boundary_percentile"].notna().any(),
        "method_factor": has("method_factor"),
        "triangulation": has("archival_triangulation"),
        "nonresponse": has("nonresponse_early_late", "nonresponse_frame"),
        "structural": has("paths"),
        "hypotheses": has("hypotheses"),
        "moderated_mediation": has("moderated_mediation", "conditional_indirect_effects"),
        "process": has("process_agreement"),
        "predict": has("predict_items"),
        "cbsem": has("pls_plsc_cbsem_paths"),
        "copula": has("copula"),
        "groups": has("micom_summary", "mga"),
        "power": has("power"),
        "multiverse": has("multiverse_stability"),
        "robustness": has("predict_items", "pls_plsc_cbsem_paths", "copula", "micom_summary", "power", "multiverse_stability"),
        **_instrument_checks(results, codebook),
    }


def _skipped_checks(results: Mapping[str, object]) -> set[str]:
    """Screening indices and rules that screening_notes.csv says were not computed or applied."""
    notes = results.get("screening_notes")
    if not isinstance(notes, pd.DataFrame) or not {"index", "note"} <= set(notes.columns):
        return set()
    gone = notes.note.astype(str).str.contains("not computed|not applied|skipped", regex=True)
    return set(notes["index"][gone].astype(str))


def _instrument_checks(results: Mapping[str, object], codebook: Mapping | None) -> dict[str, bool]:
    cb = dict(codebook or {})
    skipped = _skipped_checks(results)
    para = cb.get("paradata") or {}
    merge = results.get("merge_report")
    merged = isinstance(merge, pd.DataFrame) and "quantity" in merge.columns and "n_matched_firms" in set(merge.quantity)
    s = results.get("settings")
    controls = bool(isinstance(s, Mapping) and s.get("controls"))
    med = results.get("mediation")
    ss = results.get("simple_slopes")
    paths = results.get("paths")
    moderation = isinstance(ss, pd.DataFrame) and len(ss) > 0 or (
        isinstance(paths, pd.DataFrame) and "source" in paths and paths.source.astype(str).str.contains(":").any())
    frame = results.get("nonresponse_frame")
    el = results.get("nonresponse_early_late")
    return {
        "attention": (bool(cb.get("attention_checks")) if codebook is not None else True) and "attention" not in skipped,
        "page_times": (bool(isinstance(para, Mapping) and para.get("page_timers")) if codebook is not None else True) and "page_time" not in skipped,
        "key_informant": (bool(cb.get("key_informant")) if codebook is not None else True) and "key_informant" not in skipped,
        "merge": merged,
        "frame": isinstance(frame, pd.DataFrame) and len(frame) > 0 and "status" not in frame.columns,
        "early_late": isinstance(el, pd.DataFrame) and len(el) > 0 and "status" not in el.columns,
        "mediation": isinstance(med, pd.DataFrame) and len(med) > 0,
        "moderation": bool(moderation),
        "controls": controls,
    }


def numbers_tex(numbers: Mapping[str, str]) -> str:
    """LaTeX macros: ``\\llnum{H1.estimate}`` expands to the number (pdflatex-safe text)."""
    from leanlearn.report.tables import latex_escape

    lines = [
        "% leanlearn: one macro per number of the paper; generated, do not edit.",
        r"\providecommand{\llnum}[1]{\csname llnum@#1\endcsname}",
    ]
    for k, v in numbers.items():
        lines.append(r"\expandafter\def\csname llnum@" + k + r"\endcsname{" + latex_escape(v) + "}")
    return "\n".join(lines) + "\n"


def software_table(numbers: Mapping[str, str]):
    """Software and settings (docs/methods.md section 7, item 10) as a :class:`leanlearn.report.tables.Table`."""
    from leanlearn.report.tables import Table

    rows = []
    for name in SOFTWARE + ("python",):
        k = f"version.{_key(name)}"
        if k in numbers:
            rows.append(("Software", name, numbers[k]))
    settings = [
        ("Estimator", "settings.consistent"), ("Inner weighting scheme", "settings.scheme"), ("Stop criterion", "settings.tolerance"),
        ("Maximum iterations", "settings.max_iterations"), ("Iterations to convergence", "settings.iterations"),
        ("Interaction term", "settings.interaction"), ("Missing data", "missing.method"), ("Bootstrap resamples", "boot.resamples"),
        ("Failed resamples (dropped)", "boot.failed"), ("Seed", "seed"), ("Confidence level", "ci_level"),
    ]
    for label_, k in settings:
        if k in numbers:
            rows.append(("Setting", label_, numbers[k]))
    if "boot.resamples" in numbers:
        rows.append(("Setting", "Interval", "percentile (BCa in the supplement)"))
        rows.append(("Setting", "Sign-change correction", "none"))
    return Table("software", "Software and estimation settings", ("", "Item", "Value"), tuple(rows),
                 note="Versions read from the installed packages at build time.", align=("l", "l", "l"))


# ---------------------------------------------------------------------------------------------
# Generated blocks (themselves placeholders, so every number in them has a key)
# ---------------------------------------------------------------------------------------------
BLOCKS: dict[str, str] = {
    "methods": (
        "The model was estimated with partial least squares path modelling in leanlearn {{ version.leanlearn }} "
        "(Python {{ version.python }}; numpy {{ version.numpy }}, pandas {{ version.pandas }}, scipy {{ version.scipy }}, "
        "statsmodels {{ version.statsmodels }}, semopy {{ version.semopy }}, matplotlib {{ version.matplotlib }}; "
        "the workflow ran under Snakemake {{ version.snakemake }}). Reflective constructs were estimated as Mode A composites "
        "({{ settings.consistent }}) with the {{ settings.scheme }} weighting scheme, a stop criterion of {{ settings.tolerance }} and at most "
        "{{ settings.max_iterations }} iterations (the algorithm converged after {{ settings.iterations }})"
        "{% if ran.moderation %}; the interaction term was built "
        "with the {{ settings.interaction }} approach (Becker, Ringle & Sarstedt 2018){% endif %}. Significance was assessed with "
        "{{ boot.resamples }} bootstrap resamples (seed {{ seed }}; {{ boot.failed }} resample(s) failed and were dropped) and "
        "{{ ci_level }} percentile and BCa intervals, without sign-change correction; p-values are the bootstrap p-values that match "
        "the intervals (p < α exactly when the interval excludes zero; resolution {{ inference.p_value_resolution }})"
        "{% if ran.moderation %}; every derived effect (indirect, conditional "
        "indirect, index of moderated mediation) was computed from the same resampled path matrices"
        "{% elif ran.mediation %}; indirect effects were computed from the same resampled path matrices{% endif %}."
        "{% if ran.controls %} The control variables ({{ controls }}) entered {{ controls_targets }} and were never imputed.{% endif %}"
    ),
    "screening": (
        "Of the {{ n_responses }} responses in the export, {{ n_excluded }} were excluded: {{ excluded.incomplete }} incomplete, "
        "{{ excluded.duplicates }} duplicates, {% if ran.attention %}{{ excluded.attention }} failing an attention check, {% endif %}"
        "{% if ran.page_times %}{{ excluded.speed }} faster than "
        "{{ screen.seconds_per_item_hard }} s per item on a page (Wood et al. 2017), {% endif %}{{ excluded.straight_lining }} straight-lining "
        "across every item, {{ excluded.missingness }} with more than {{ screen.max_case_missing_share }} of the items missing, and "
        "{{ excluded.multiple_soft_flags }} with soft flags from at least {{ screen.exclude_if_n_flags_at_least }} careless-responding "
        "indices ({{ screen.soft_indices }}). "
        "{{ n_kept }} responses were kept; {{ n_flagged_kept }} of them carry a single soft flag and are dropped in a sensitivity analysis. "
        "Item missingness was at most {{ missing.max_share }} per item; "
        "{% if missing.method == \"listwise\" %}responses with a missing item were left out (listwise deletion)."
        "{% elif missing.n_imputed == \"0\" %}no cell had to be imputed."
        "{% elif missing.method == \"mean\" %}the {{ missing.n_imputed }} missing cells were replaced by item means."
        "{% else %}the {{ missing.n_imputed }} missing cells were treated by {{ missing.method }} imputation.{% endif %}"
    ),
}


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
_SPECIAL = re.compile(r"\{\{\s*(ref:table|ref:figure|table|figure|block):([A-Za-z0-9_]+)\s*\}\}")
_TOKEN = re.compile(r"@@LL(TABLE|FIGURE|REFTABLE|REFFIGURE):([A-Za-z0-9_]+)@@")


class _Leaf:
    __slots__ = ("key", "value", "mode")

    def __init__(self, key, value, mode):
        self.key, self.value, self.mode = key, value, mode

    def __eq__(self, other):  # lets the source compare, e.g. {% if H1.verdict == "supported" %}
        return self.value == (other.value if isinstance(other, _Leaf) else other)

    def __hash__(self):
        return hash(self.value)

    def __str__(self):
        if self.mode == "html":
            return f'<span class="num" data-key="{html.escape(self.key)}">{html.escape(self.value)}</span>'
        return self.value

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        _RECORD[-1](f"{self.key}.{name}", f"'{self.key}' is a number, not a group of numbers")
        return _Missing(f"{self.key}.{name}", recorded=True)


# the recorder of the render() call in progress: (placeholder, problem) -> None
_RECORD: list = [lambda name, what: (_ for _ in ()).throw(PlaceholderError(f"{{{{ {name} }}}}: {what}"))]


class _Missing:
    """A placeholder without a value: recorded (with its line) when used, rendered as itself."""

    def __init__(self, name, *, recorded=False, what="no such number in the results (numbers.json)"):
        self._name, self._recorded, self._what = name, recorded, what

    def _use(self):
        if not self._recorded:
            _RECORD[-1](self._name, self._what)
            self._recorded = True

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        return _Missing(f"{self._name}.{name}")

    def __getitem__(self, name):
        return _Missing(f"{self._name}.{name}")

    def __str__(self):
        self._use()
        return "{{ " + self._name + " }}"

    def __bool__(self):
        self._use()
        return False

    def __eq__(self, other):
        self._use()
        return False

    def __hash__(self):
        return hash(self._name)

    def __iter__(self):
        self._use()
        return iter(())

    def __call__(self, *args, **kwargs):
        self._use()
        return self


class _Node:
    def __init__(self, path, children, mode):
        self._path, self._children, self._mode = path, children, mode

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name not in self._children:
            full = f"{self._path}.{name}" if self._path else name
            return _Missing(full)
        return self._children[name]

    def __iter__(self):
        return iter(self._children)

    def __str__(self):
        _RECORD[-1](self._path, f"a group of numbers, not a number (use e.g. {{{{ {self._path}.estimate }}}})")
        return "{{ " + self._path + " }}"


def _tree(numbers: Mapping[str, str], mode: str) -> dict:
    root: dict = {}
    for key, value in numbers.items():
        parts = key.split(".")
        d = root
        for i, p in enumerate(parts[:-1]):
            sub = d.get(p)
            if sub is None:
                sub = d[p] = {}
            elif isinstance(sub, _Leaf):
                raise ValueError(f"number key {key!r} clashes with {'.'.join(parts[: i + 1])!r}")
            d = sub
        d[parts[-1]] = _Leaf(key, value, mode)

    def nodes(d, path):
        return _Node(path, {k: (nodes(v, f"{path}.{k}" if path else k) if isinstance(v, dict) else v) for k, v in d.items()}, mode)

    return {k: (nodes(v, k) if isinstance(v, dict) else v) for k, v in root.items()}


def _line_of(source: str, needle: str) -> int | None:
    """Line of the first placeholder spelled ``needle`` (not merely starting with it)."""
    core = needle.strip("{} ")
    pattern = re.compile(r"(?<![\w.])" + re.escape(core) + r"(?![\w.])")
    for i, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line):
            return i
    return None


def render(
    source: str,
    numbers: Mapping[str, str],
    *,
    tables: Mapping[str, object] | None = None,
    figures: Mapping[str, FigureRef] | None = None,
    ran: Mapping[str, bool] | None = None,
    mode: str = "html",
    source_name: str = "manuscript.md",
) -> str:
    """Fill the manuscript source; return Markdown (with HTML blocks in ``html`` mode).

    Parameters
    ----------
    source : str
        Manuscript source (Markdown + placeholders, see the module docstring).
    numbers : mapping
        :func:`paper_numbers` (possibly read back from numbers.json).
    tables : mapping
        name -> :class:`leanlearn.report.tables.Table` or :class:`leanlearn.report.tables.NotRun`.
    figures : mapping
        name -> :class:`FigureRef`.
    ran : mapping
        stage -> bool (:func:`stages_run`).
    mode : {"html", "markdown", "pandoc"}
        ``html``: numbers as traceable spans, tables as HTML; ``markdown``: plain numbers,
        pipe tables; ``pandoc``: plain numbers, LaTeX tables (for a PDF through pandoc).

    Raises
    ------
    PlaceholderError
        A placeholder names no number, table, figure or block; the message gives the line.
    """
    jinja2 = require("jinja2", "rendering the manuscript")

    from leanlearn.report.tables import NotRun, table_html, table_latex, table_markdown

    if mode not in ("html", "markdown", "pandoc"):
        raise ValueError(f"mode must be html, markdown or pandoc, got {mode!r}")
    tables = dict(tables or {})
    figures = dict(figures or {})

    problems: list[tuple[int, str]] = []
    seen: set[str] = set()

    def record(needle, msg):
        if msg in seen:
            return
        seen.add(msg)
        problems.append((_line_of(source, needle) or 0, msg))

    # 1. expand blocks and table/figure placeholders into tokens
    def expand(m):
        kind, name = m.group(1), m.group(2)
        if kind == "block":
            if name not in BLOCKS:
                record(m.group(0), f"{{{{ block:{name} }}}}: no such block (known: {', '.join(BLOCKS)})")
                return ""
            return BLOCKS[name]
        if kind.endswith("table") and name not in tables:
            record(m.group(0), f"{{{{ {kind}:{name} }}}}: no such table (known: {', '.join(tables)})")
            return ""
        if kind.endswith("figure") and name not in figures:
            record(m.group(0), f"{{{{ {kind}:{name} }}}}: no such figure (known: {', '.join(figures)})")
            return ""
        return "@@LL" + kind.replace("ref:", "REF").upper() + f":{name}@@"

    text = _SPECIAL.sub(expand, re.sub(r"\{#.*?#\}", "", source, flags=re.S))

    # 2. numbers and conditionals through Jinja; every unknown name is recorded, not raised,
    #    so that one build lists all of them
    class Recording(jinja2.Undefined):
        def _full(self):
            obj = self._undefined_obj
            if isinstance(obj, dict):
                return f"ran.{self._undefined_name}"
            if isinstance(obj, _Node):
                return f"{obj._path}.{self._undefined_name}"
            return str(self._undefined_name)

        def _use(self):
            name = self._full()
            where = "no such stage (see leanlearn.report.paper.stages_run)" if name.startswith("ran.") else "no such number in the results (numbers.json)"
            record(name, f"{{{{ {name} }}}}: {where}")

        def __str__(self):
            self._use()
            return "{{ " + self._full() + " }}"

        def __bool__(self):
            self._use()
            return False

        def __iter__(self):
            self._use()
            return iter(())

        def __eq__(self, other):
            self._use()
            return False

        __hash__ = jinja2.Undefined.__hash__

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Missing(f"{self._full()}.{name}")

        def __getitem__(self, name):
            return _Missing(f"{self._full()}.{name}")

    env = jinja2.Environment(undefined=Recording, autoescape=False, keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=True)
    context = _tree(numbers, mode)
    ids = [k.split(".")[0] for k in numbers if k.count(".") == 1 and k.endswith(".verdict")]
    tree = dict(context)

    def hyp(h):
        if h not in tree:
            return _Missing(str(h), what="no such hypothesis in the results (numbers.json)")
        return tree[h]

    def children(prefix):
        """Keys below a group of numbers, e.g. children("r2") -> ["CUSA", "CUSL"] (sorted as in numbers.json)."""
        node = tree.get(prefix)
        return list(node) if isinstance(node, _Node) else []

    context["hyp"] = hyp
    context["children"] = children
    context["has"] = lambda key: key in numbers
    context["has_table"] = lambda name: name in tables and not isinstance(tables[name], NotRun)
    context["has_figure"] = lambda name: name in figures and figures[name].available
    context["hypothesis_ids"] = sorted(ids, key=lambda h: int(numbers.get(f"{h}.order", 0)))
    context["ran"] = dict(ran or {})
    _RECORD.append(lambda name, what: record(name, f"{{{{ {name} }}}}: {what}"))
    try:
        text = env.from_string(text).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise PlaceholderError(f"{source_name}, line {exc.lineno}: template syntax error: {exc.message}") from exc
    finally:
        _RECORD.pop()
    if problems:
        problems.sort(key=lambda p: p[0])
        lines = [(f"line {ln}: " if ln else "") + msg for ln, msg in problems]
        raise PlaceholderError(
            f"{source_name}: {len(problems)} placeholder(s) without a value:\n  " + "\n  ".join(lines)
            + "\nSee numbers.json (written next to the manuscript) for every key that exists."
        )

    # 3. number tables and figures in order of appearance, then fill them in
    order = {"TABLE": [], "FIGURE": []}
    for m in _TOKEN.finditer(text):
        kind, name = m.group(1), m.group(2)
        if kind in order and name not in order[kind]:
            if kind == "TABLE" and isinstance(tables[name], NotRun):
                continue
            if kind == "FIGURE" and not figures[name].available:
                continue
            order[kind].append(name)

    def number(kind, name):
        return f"{'Table' if kind == 'TABLE' else 'Figure'} {order[kind].index(name) + 1}"

    def fill(m):
        kind, name = m.group(1), m.group(2)
        if kind in ("REFTABLE", "REFFIGURE"):
            base = kind[3:]
            if name not in order[base]:
                return f"({'table' if base == 'TABLE' else 'figure'} not available)"
            return number(base, name)
        if kind == "TABLE":
            t = tables[name]
            if isinstance(t, NotRun):
                return f"*{t.title}: {t.reason}.*"
            label_ = number("TABLE", name)
            if mode == "html":
                return table_html(t, number=label_)
            if mode == "pandoc":
                return table_latex(t)
            return table_markdown(t, number=label_)
        f = figures[name]
        if not f.available:
            return f"*{f.title}: not available (its inputs are absent).*"
        label_ = number("FIGURE", name)
        if mode == "html":
            return (f'<figure class="figure" id="figure-{html.escape(name)}">\n<img src="{html.escape(f.src)}" alt="{html.escape(f.title)}">\n'
                    f'<figcaption><span class="label">{label_}.</span> {html.escape(f.caption)}</figcaption>\n</figure>')
        if mode == "pandoc":  # LaTeX numbers the figure itself
            return f"![{f.caption}]({f.src})"
        return f"![{label_}. {f.caption}]({f.src})"

    def fill_block(m):
        out = fill(m)
        return out if m.group(1).startswith("REF") else "\n\n" + out.strip("\n") + "\n\n"

    text = _TOKEN.sub(fill_block, text)
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")


def markdown_to_html(text: str) -> str:
    """Markdown (with raw HTML blocks) to an HTML fragment (Python-Markdown)."""
    markdown = require("markdown", "rendering the manuscript")

    return markdown.markdown(text, extensions=["tables", "attr_list", "sane_lists", "toc"], output_format="html")


_CSS = """
body { font-family: Georgia, 'DejaVu Serif', serif; line-height: 1.5; color: #222; margin: 0; background: #fff; }
main { max-width: 50em; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; line-height: 1.25; } h2 { font-size: 1.25em; margin-top: 1.8em; } h3 { font-size: 1.05em; }
figure { margin: 1.6em 0; } figure img { width: 100%; max-width: 34em; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 0.9em; margin: 0.4em 0; } .label { font-weight: bold; }
figure.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.4em 0; border-top: 2px solid #222; border-bottom: 2px solid #222; }
thead th { border-bottom: 1px solid #222; font-weight: normal; font-style: italic; }
th, td { padding: 0.2em 0.6em; vertical-align: top; } td.r, th.r { text-align: right; white-space: nowrap; } td.l, th.l { text-align: left; }
tr.panel td { font-style: italic; padding-top: 0.6em; white-space: normal; }
td:first-child { white-space: nowrap; }
p.note { font-size: 0.8em; } blockquote { border-left: 3px solid #c0392b; margin-left: 0; padding-left: 1em; color: #444; }

"""


def page(*, title: str, body: str, css: str = _CSS) -> str:
    """A complete, self-contained HTML5 page (no scripts, no external resources, no timestamps)."""
    jinja2 = require("jinja2", "rendering the manuscript")

    tpl = jinja2.Environment(autoescape=False).from_string(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"leanlearn\">\n<title>{{ title | e }}</title>\n<style>{{ css }}</style>\n</head>\n"
        "<body>\n<main>\n{{ body }}\n</main>\n</body>\n</html>\n"
    )
    return tpl.render(title=title, body=body, css=css)


def dumps_numbers(numbers: Mapping[str, str]) -> str:
    """numbers.json text (sorted keys, UTF-8, trailing newline)."""
    return json.dumps(dict(sorted(numbers.items())), indent=1, ensure_ascii=False) + "\n"
