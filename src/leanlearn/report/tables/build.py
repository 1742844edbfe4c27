"""The table registry: which builder makes which table from which result files, and each table's n."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import pandas as pd

from leanlearn.errors import DataError
from leanlearn.report.tables.bias import (
    full_collinearity_table,
    harman_table,
    key_informant_table,
    marker_table,
    method_factor_table,
    nonresponse_table,
    procedural_remedies_table,
    triangulation_table,
)
from leanlearn.report.tables.cells import (
    NotRun,
    Table,
    _multi_item_constructs,
    _status_reason,
    measurement_thresholds,
    structural_thresholds,
)
from leanlearn.report.tables.measurement import (
    cfa_loadings_table,
    fit_index_table,
    fornell_larcker_table,
    htmt_table,
    measurement_table,
)
from leanlearn.report.tables.registry import RESULT_FILES, TABLE_ORDER
from leanlearn.report.tables.robustness import (
    copula_table,
    estimators_table,
    mga_table,
    micom_table,
    multiverse_table,
    power_table,
    predict_table,
)
from leanlearn.report.tables.sample import correlation_table, descriptives_table, sample_table
from leanlearn.report.tables.structural import (
    hypotheses_table,
    mediation_table,
    moderated_mediation_table,
    r_squared_table,
    structural_table,
)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    title: str
    requires: tuple[str, ...]
    build: Callable = field(repr=False)


def _controls(r):
    s = r.get("settings")
    return tuple((s or {}).get("controls", ())) if isinstance(s, Mapping) else ()


def _constructs(r):
    lo = r.get("outer_loadings")
    return _multi_item_constructs(lo) if lo is not None else None


_SPECS: dict[str, _Spec] = {
    "sample": _Spec("Sample and screening flow", ("flow",), lambda r, c: sample_table(
        r["flow"], merge_report=r.get("merge_report"), settings=r.get("settings"), excluded_cases=r.get("excluded_cases"), screening=c.get("screening"),
        response=r.get("response"), screening_notes=r.get("screening_notes"), unit=(c.get("__words__") or {}).get("unit.name", "respondent"),
        plural=(c.get("__words__") or {}).get("unit.plural", "respondents"),
        covariates=tuple(filter(None, str((c.get("__words__") or {}).get("codebook.covariates", "")).split(", "))))),
    "descriptives": _Spec("Item descriptives", ("items",), lambda r, c: descriptives_table(r["items"])),
    "correlations": _Spec("Construct means, standard deviations and correlations", ("descriptive_correlations|construct_correlations",),
                          lambda r, c: correlation_table(r["descriptive_correlations"]) if r.get("descriptive_correlations") is not None
                          else correlation_table(r["construct_correlations"], source="measurement")),
    "measurement": _Spec("Measurement model", ("outer_loadings", "reliability"), lambda r, c: measurement_table(
        r["outer_loadings"], r["reliability"], vif_items=r.get("vif_items"), thresholds=measurement_thresholds(c))),
    "fornell_larcker": _Spec("Fornell–Larcker criterion", ("fornell_larcker",), lambda r, c: fornell_larcker_table(r["fornell_larcker"], constructs=_constructs(r))),
    "htmt": _Spec("HTMT", ("htmt",), lambda r, c: htmt_table(r["htmt"], upper_bounds=r.get("htmt_upper_bounds"), constructs=_constructs(r), thresholds=measurement_thresholds(c))),
    "cfa_fit": _Spec("CFA fit", ("cfa_fit",), lambda r, c: fit_index_table(r["cfa_fit"], name="cfa_fit", title="Confirmatory factor analysis: model fit")),
    "cfa_loadings": _Spec("CFA loadings", ("cfa_loadings",), lambda r, c: cfa_loadings_table(r["cfa_loadings"], thresholds=measurement_thresholds(c))),
    "full_collinearity_vif": _Spec("Full-collinearity VIFs", ("full_collinearity_vif",), lambda r, c: full_collinearity_table(r["full_collinearity_vif"])),
    "marker_correction": _Spec("Marker-variable correction", ("marker_correction",), lambda r, c: marker_table(
        r["marker_correction"], correlations=r.get("marker_correlations"), paths=r.get("marker_paths"))),
    "method_factor": _Spec("Latent method factor", ("method_factor",), lambda r, c: method_factor_table(r["method_factor"])),
    "triangulation": _Spec("Archival triangulation", ("archival_triangulation",), lambda r, c: triangulation_table(r["archival_triangulation"])),
    "harman": _Spec("Harman's single-factor test", ("harman",), lambda r, c: harman_table(r["harman"])),
    "nonresponse": _Spec("Non-response bias", ("nonresponse_early_late|nonresponse_frame",), lambda r, c: nonresponse_table(r.get("nonresponse_early_late"), r.get("nonresponse_frame"))),
    "key_informants": _Spec("Key informants", ("key_informants",), lambda r, c: key_informant_table(r["key_informants"])),
    "procedural_remedies": _Spec("Procedural remedies", ("procedural_remedies",), lambda r, c: procedural_remedies_table(r["procedural_remedies"])),
    "structural": _Spec("Structural model", ("paths",), lambda r, c: structural_table(
        r["paths"], f_squared=r.get("f_squared"), vif_inner=r.get("vif_inner"), controls=_controls(r), thresholds=structural_thresholds(c),
        fit=r.get("fit"), r_squared=r.get("r_squared"))),
    "r_squared": _Spec("Explained variance", ("r_squared",), lambda r, c: r_squared_table(r["r_squared"], boot=r.get("r_squared_bootstrap"))),
    "mediation": _Spec("Mediation", ("mediation",), lambda r, c: mediation_table(r["mediation"], contrasts=r.get("indirect_contrasts"))),
    "moderated_mediation": _Spec("Moderated mediation", ("simple_slopes|conditional_indirect_effects|moderated_mediation",), lambda r, c: moderated_mediation_table(
        simple_slopes=r.get("simple_slopes"), conditional=r.get("conditional_indirect_effects"), index=r.get("moderated_mediation"), johnson_neyman=r.get("johnson_neyman"))),
    "hypotheses": _Spec("Hypothesis tests", ("hypotheses",), lambda r, c: hypotheses_table(
        r["hypotheses"], r["multiverse_stability"] if isinstance(r.get("multiverse_stability"), pd.DataFrame) else None)),
    "predict": _Spec("PLSpredict", ("predict_items",), lambda r, c: predict_table(r["predict_items"], summary=r.get("predict_summary"))),
    "estimators": _Spec("PLS, PLSc and CB-SEM", ("pls_plsc_cbsem_paths",), lambda r, c: estimators_table(r["pls_plsc_cbsem_paths"], r.get("cbsem_status"))),
    "cbsem_fit": _Spec("CB-SEM fit", ("cbsem_fit",), lambda r, c: fit_index_table(r["cbsem_fit"], name="cbsem_fit", title="Robustness: CB-SEM model fit")),
    "copula": _Spec("Gaussian copula", ("copula",), lambda r, c: copula_table(r["copula"])),
    "micom": _Spec("MICOM", ("micom_summary",), lambda r, c: micom_table(r["micom_summary"], sizes=r.get("group_sizes"))),
    "mga": _Spec("Multi-group analysis", ("mga",), lambda r, c: mga_table(r["mga"])),
    "power": _Spec("Power", ("power",), lambda r, c: power_table(r["power"], minimum_n=r.get("minimum_n"))),
    "multiverse": _Spec("Multiverse", ("multiverse_stability",), lambda r, c: multiverse_table(r["multiverse_stability"])),
}
assert set(_SPECS) == set(TABLE_ORDER)


def _json_n(results: Mapping, key: str, *fields_: str):
    s = results.get(key)
    if isinstance(s, Mapping):
        for f in fields_:
            if s.get(f) is not None:
                return int(s[f])
    return None


def _fit_n(results: Mapping, key: str):
    fit = results.get(key)
    if isinstance(fit, pd.DataFrame) and {"index", "value"} <= set(fit.columns):
        v = fit.loc[fit["index"] == "n", "value"]
        return int(float(v.iloc[0])) if len(v) else None
    return None


def _col_n(results: Mapping, key: str, col: str = "n"):
    df = results.get(key)
    if isinstance(df, pd.DataFrame) and col in df.columns and len(df) and pd.notna(df[col].iloc[0]):
        return int(df[col].iloc[0])
    return None


# Where each table's number of cases comes from (None: the table states its own n or has none).
_TABLE_N: dict[str, Callable] = {
    "descriptives": lambda r: _json_n(r, "descriptives_settings", "n_rows_items", "n_rows"),
    "correlations": lambda r: _json_n(r, "descriptives_settings", "n_scores") if r.get("descriptive_correlations") is not None else _json_n(r, "measurement_settings", "n_used"),
    "measurement": lambda r: _json_n(r, "measurement_settings", "n_used"),
    "fornell_larcker": lambda r: _json_n(r, "measurement_settings", "n_used"),
    "htmt": lambda r: _json_n(r, "measurement_settings", "n_used"),
    "cfa_fit": lambda r: _fit_n(r, "cfa_fit"),
    "cfa_loadings": lambda r: _fit_n(r, "cfa_fit"),
    "full_collinearity_vif": lambda r: _json_n(r, "bias_settings", "n_rows"),
    "harman": lambda r: _col_n(r, "harman"),
    "key_informants": lambda r: _json_n(r, "bias_settings", "n_rows"),
    "structural": lambda r: _json_n(r, "settings", "n_used"),
    "r_squared": lambda r: _json_n(r, "settings", "n_used"),
    "mediation": lambda r: _json_n(r, "settings", "n_used"),
    "moderated_mediation": lambda r: _json_n(r, "settings", "n_used"),
    "hypotheses": lambda r: _json_n(r, "settings", "n_used"),
    "estimators": lambda r: _fit_n(r, "cbsem_fit"),
    "cbsem_fit": lambda r: _fit_n(r, "cbsem_fit"),
}


def sample_sizes(results: Mapping) -> dict:
    """The sample flow's sizes: ``n_kept`` (after screening) and ``n_analysed`` (main analysis)."""
    out = {}
    flow = results.get("flow")
    if isinstance(flow, pd.DataFrame) and {"step", "n_after"} <= set(flow.columns):
        steps = flow[~flow.step.isin(["responses_in", "flagged_but_kept"])]
        if len(steps):
            out["n_kept"] = int(steps.n_after.iloc[-1])
    n = _json_n(results, "settings", "n_used")
    if n is not None:
        out["n_analysed"] = n
    return out


def n_sentence(n: int, sizes: Mapping, plural: str = "respondents") -> str:
    """Which cases a table uses and why, relative to the sample flow (kept -> analysed).

    ``plural`` names the cases (the codebook's ``unit``); cases between "kept" and
    "analysed" are those the main analysis leaves out for a missing control value.
    """
    kept, analysed = sizes.get("n_kept"), sizes.get("n_analysed")
    if analysed is not None and n == analysed:
        if kept is not None and kept > analysed:
            return f"N = {n} analysed {plural} ({kept} kept after screening, {kept - n} without a control value left out)."
        return f"N = {n} analysed {plural}."
    if kept is not None and n == kept:
        if analysed is not None and analysed < kept:
            return (f"N = {n}: every response kept after screening, including the {kept - analysed} {plural} without a control value "
                    f"that the structural model leaves out (this analysis uses no controls).")
        return f"N = {n} {plural} kept after screening."
    return f"N = {n}."


def _present(results: Mapping, key: str) -> bool:
    df = results.get(key)
    if df is None:
        return False
    if isinstance(df, pd.DataFrame) and _status_reason(df) is not None:
        return False
    return True


def build_tables(results: Mapping[str, object], config: Mapping | None = None, *, names=None, words: Mapping | None = None) -> dict[str, "Table | NotRun"]:
    """Every publication table that the available results allow.

    Parameters
    ----------
    results : mapping
        Result tables keyed by the keys of :data:`RESULT_FILES` (DataFrames; ``settings`` is
        the parsed ``structural/settings.json``).
    config : mapping, optional
        The pipeline config (thresholds).
    names : iterable of str, optional
        Tables to build (default: all, in :data:`TABLE_ORDER`).
    words : mapping, optional
        The study's words (:func:`leanlearn.report.paper.study_words`): what a case is.

    Returns
    -------
    dict
        name -> :class:`Table`, or :class:`NotRun` naming the missing result file (or the
        reason a stage's output cannot be used, e.g. a marker correction without a marker).
    """
    config = dict(config or {})
    config["__words__"] = dict(words or {})
    out: dict = {}
    for name in names or TABLE_ORDER:
        spec = _SPECS[name]
        missing = []
        for req in spec.requires:
            alts = req.split("|")
            if not any(_present(results, a) for a in alts):
                tables = [results.get(a) for a in alts]
                reasons = [r for r in (_status_reason(t) for t in tables if isinstance(t, pd.DataFrame)) if r]
                missing.append(reasons[0] if reasons else " or ".join(RESULT_FILES[a][0] for a in alts) + " absent")
        if missing:
            out[name] = NotRun(name, spec.title, "not run: " + "; ".join(missing))
            continue
        try:
            table = spec.build(results, config)
        except DataError as exc:
            out[name] = NotRun(name, spec.title, f"not rendered: {exc}")
            continue
        n = _TABLE_N[name](results) if name in _TABLE_N else None
        if n is not None:
            sizes = sample_sizes(results)
            table = replace(table, note=(table.note + " " + n_sentence(n, sizes, (config.get("__words__") or {}).get("unit.plural", "respondents"))).strip())
        out[name] = table
    return out
