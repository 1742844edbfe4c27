"""Every number the manuscript may cite (:func:`paper_numbers`), which stages ran (:func:`stages_run`),
and the numbers as LaTeX macros and a software table.

Part of :mod:`leanlearn.report.paper`, which re-exports the public names.
"""

from __future__ import annotations

import json
from typing import Mapping

import pandas as pd

from leanlearn.format import pval
from leanlearn.report.provenance import SOFTWARE, software_versions
from leanlearn.screening.careless import screening_config
from leanlearn.report.numbers_format import _and, _f, _g, _i, _key, _label_of, _pct, study_words
from leanlearn.report.numbers_results import (
    bias_numbers, group_numbers, hypothesis_numbers, measurement_numbers, moderation_numbers, multiverse_numbers, power_numbers,
    prediction_numbers, structural_numbers,
)  # fmt: skip


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
    _sample_numbers(out, r, codebook)
    _settings_numbers(out, r, cfg)
    _missing_numbers(out, r)
    _threshold_numbers(out, cfg)
    measurement_numbers(out, r)
    bias_numbers(out, r)
    structural_numbers(out, r)
    hypothesis_numbers(out, r)
    moderation_numbers(out, r)
    prediction_numbers(out, r)
    group_numbers(out, r, cfg)
    power_numbers(out, r)
    multiverse_numbers(out, r)
    return dict(sorted(out.items()))


def _sample_numbers(out: dict, r: Mapping, codebook: Mapping | None) -> None:
    """Responses, exclusions, the soft screening indices applied, the match to the frame and the response rate."""
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
        if "n_frame_firms" in m and "n_responses" in out and flow is not None:  # n_responses comes from flow
            from leanlearn.report.tables import _response_rates

            rate, units = _response_rates(r.get("response"), flow, float(m["n_frame_firms"]))
            out["response_rate"] = _pct(rate)
            out["n_responding_units"] = str(units)
            if n_kept is not None:
                out["usable_response_rate"] = _pct(n_kept / float(m["n_frame_firms"]))


def _settings_numbers(out: dict, r: Mapping, cfg: Mapping) -> None:
    """Estimation settings, bootstrap, controls."""
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


def _missing_numbers(out: dict, r: Mapping) -> None:
    """Missing-data treatment and Little's MCAR test."""
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


def _threshold_numbers(out: dict, cfg: Mapping) -> None:
    """The thresholds as configured, and the screening thresholds the screen step applied."""
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

    jn = results.get("johnson_neyman")
    return {
        "screening": has("flow"),
        "descriptives": has("items"),
        "measurement": has("outer_loadings"),
        "cfa": has("cfa_fit"),
        "bias": has("full_collinearity_vif", "harman", "marker_correction", "nonresponse_early_late"),
        "marker": has("marker_correction"),
        "marker_paths": has("marker_paths"),
        "jn_percentile": isinstance(jn, pd.DataFrame) and "boundary_percentile" in jn and jn["boundary_percentile"].notna().any(),
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


def dumps_numbers(numbers: Mapping[str, str]) -> str:
    """numbers.json text (sorted keys, UTF-8, trailing newline)."""
    return json.dumps(dict(sorted(numbers.items())), indent=1, ensure_ascii=False) + "\n"
