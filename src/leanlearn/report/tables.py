"""Publication tables from the pipeline's result tables, and their CSV, Markdown, LaTeX and HTML forms.

Pure: result DataFrames in, :class:`Table` objects out, and strings from the writers. Nothing
here computes a statistic; every number comes from a result file and **all rounding
happens here**, through :mod:`leanlearn.format`, so a number reads the same in a table, a
sentence of the paper and ``results/summary.md``.

Each table carries a note that prints the thresholds it is judged against **with their
source**. Threshold values come from the config (``screening:``, ``measurement:``,
``structural:``, ``bias:``) or from the result file itself (``threshold`` columns written by
the stage); defaults are those of ``leanlearn.measurement.assessment.DEFAULTS`` and
:data:`STRUCTURAL_DEFAULTS` (docs/methods.md section 8). Citations come from
``leanlearn.measurement.assessment.SOURCES`` and :data:`SOURCES`.

Result files are looked up by the keys of :data:`RESULT_FILES` (each key lists the paths or
glob patterns under ``results/`` where a stage may write it). A table whose inputs are absent
is a :class:`NotRun` that names the missing file: the report says "not run" and never
invents numbers.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import pandas as pd

from leanlearn.measurement.assessment import DEFAULTS as MEASUREMENT_DEFAULTS
from leanlearn.measurement.assessment import SOURCES as MEASUREMENT_SOURCES
from leanlearn.errors import DataError
from leanlearn.effects.hypotheses import rule_text
from leanlearn.format import num, pval

__all__ = [
    "RESULT_FILES",
    "TABLE_ORDER",
    "STRUCTURAL_DEFAULTS",
    "SOURCES",
    "Table",
    "NotRun",
    "label",
    "is_true",
    "p_cell",
    "ci_cell",
    "measurement_thresholds",
    "structural_thresholds",
    "build_tables",
    "table_csv",
    "table_markdown",
    "table_latex",
    "table_html",
    "latex_escape",
    "not_run_text",
    "sample_sizes",
    "n_sentence",
]

# ---------------------------------------------------------------------------------------------
# Where the stages write their results (relative to results/; globs allowed, first match wins)
# ---------------------------------------------------------------------------------------------
RESULT_FILES: dict[str, tuple[str, ...]] = {
    "flow": ("screening/flow.csv",),
    "screening_notes": ("screening/screening_notes.csv",),
    "merge_report": ("screening/merge_report.csv",),
    "missing_treatment": ("screening/missing_treatment.csv",),
    "little_mcar": ("screening/little_mcar.csv",),
    "excluded_cases": ("hypotheses/excluded_cases.csv",),
    "items": ("descriptives/items.csv", "describe/items.csv"),
    "response": ("descriptives/response.csv", "describe/response.csv"),
    "descriptive_correlations": ("descriptives/construct_correlations.csv", "describe/construct_correlations.csv"),
    "construct_correlations": ("measurement/construct_correlations.csv",),
    "outer_loadings": ("measurement/outer_loadings.csv", "structural/outer_loadings.csv"),
    "reliability": ("measurement/reliability.csv", "structural/reliability.csv"),
    "vif_items": ("measurement/vif_items.csv", "structural/vif_items.csv"),
    "fornell_larcker": ("measurement/fornell_larcker.csv", "structural/fornell_larcker.csv"),
    "htmt": ("measurement/htmt.csv", "structural/htmt.csv"),
    "htmt_upper_bounds": ("measurement/htmt_upper_bounds.csv",),
    "measurement_assessment": ("measurement/measurement_assessment.csv",),
    "cfa_fit": ("measurement/cfa_fit.csv",),
    "cfa_loadings": ("measurement/cfa_loadings.csv",),
    "full_collinearity_vif": ("bias/full_collinearity_vif.csv",),
    "marker_correction": ("bias/marker_correction.csv",),
    "marker_correlations": ("bias/marker_correlations.csv",),
    "marker_paths": ("bias/marker_paths.csv",),
    "method_factor": ("bias/method_factor.csv",),
    "method_factor_loadings": ("bias/method_factor_loadings.csv",),
    "archival_triangulation": ("bias/archival_triangulation.csv",),
    "harman": ("bias/harman.csv",),
    "nonresponse_early_late": ("bias/nonresponse_early_late.csv",),
    "nonresponse_frame": ("bias/nonresponse_frame.csv",),
    "key_informants": ("bias/key_informants.csv",),
    "procedural_remedies": ("bias/procedural_remedies.csv",),
    "paths": ("structural/paths.csv",),
    "r_squared": ("structural/r_squared.csv",),
    "f_squared": ("structural/f_squared.csv",),
    "vif_inner": ("structural/vif_inner.csv",),
    "fit": ("structural/fit.csv",),
    "settings": ("structural/settings.json",),
    "measurement_settings": ("measurement/settings.json",),
    "descriptives_settings": ("descriptives/settings.json", "describe/settings.json"),
    "bias_settings": ("bias/settings.json",),
    "r_squared_bootstrap": ("structural/r_squared_bootstrap.csv",),
    "simple_slopes": ("structural/simple_slopes.csv",),
    "floodlight": ("structural/floodlight.csv",),
    "johnson_neyman": ("structural/johnson_neyman.csv",),
    "conditional_indirect_effects": ("structural/conditional_indirect_effects.csv",),
    "conditional_indirect_grid": ("structural/conditional_indirect_grid.csv",),
    "moderated_mediation": ("structural/moderated_mediation.csv",),
    "hypotheses": ("hypotheses/hypotheses.csv",),
    "hypothesis_draws": ("hypotheses/bootstrap_draws.csv",),
    "mediation": ("hypotheses/mediation.csv",),
    "indirect_contrasts": ("hypotheses/indirect_contrasts.csv",),
    "process_agreement": ("hypotheses/process_agreement.csv",),
    "predict_items": ("robustness/predict_items.csv", "robustness/**/predict_items.csv"),
    "predict_summary": ("robustness/predict_summary.csv", "robustness/**/predict_summary.csv"),
    "pls_plsc_cbsem_paths": ("robustness/pls_plsc_cbsem_paths.csv", "robustness/**/pls_plsc_cbsem_paths.csv"),
    "cbsem_fit": ("robustness/cbsem_fit.csv", "robustness/**/cbsem_fit.csv"),
    "copula": ("robustness/copula.csv", "robustness/**/copula.csv"),
    "micom_summary": ("robustness/micom_summary.csv", "robustness/**/micom_summary.csv"),
    "mga": ("robustness/mga.csv", "robustness/**/mga.csv"),
    "group_sizes": ("robustness/group_sizes.csv", "robustness/**/group_sizes.csv"),
    "power": ("robustness/power.csv", "robustness/**/power.csv"),
    "minimum_n": ("robustness/minimum_n.csv", "robustness/**/minimum_n.csv"),
    "multiverse_stability": ("robustness/multiverse_stability.csv", "robustness/**/multiverse_stability.csv"),
}

# Structural-model thresholds (docs/methods.md section 8); a `structural:` section of config.yaml overrides them.
STRUCTURAL_DEFAULTS: dict = {
    "vif_max": 5.0,
    "f2_cutoffs": [0.02, 0.15, 0.35],
    "f2_interaction_cutoffs": [0.005, 0.01, 0.025],
    "srmr_max": 0.08,
}

# Citations of thresholds and methods that are not in leanlearn.measurement.assessment.SOURCES.
SOURCES: dict[str, str] = {
    "seconds_per_item_hard": "Wood et al. 2017",
    "seconds_per_item_flag": "Huang et al. 2012; Bowling et al. 2016",
    "attention": "instructed-response items; Meade & Craig 2012",
    "max_case_missing_share": "Hair et al., PLS-SEM Primer",
    "mahalanobis_alpha": "chi-square tail probability; Meade & Craig 2012",
    "evenodd_flag_below": "Johnson 2005",
    "psychsyn_critval": "Meade & Craig 2012",
    "exclude_if_n_flags_at_least": "design choice; sensitivity in the multiverse analysis",
    "vif_max": "Hair et al. 2019",
    "f2_cutoffs": "Cohen 1988",
    "f2_interaction_cutoffs": "Kenny 2018, via Hair et al. 2022",
    "srmr_max": "Henseler et al. 2016; Hu & Bentler 1999",
    "full_collinearity_vif": "Kock 2015",
    "harman": "Podsakoff et al. 2003",
    "marker": "Lindell & Whitney 2001",
    "method_factor": "Williams, Hartman & Cavazotte 2010",
    "ulmc": "Podsakoff et al. 2003; Liang et al. 2007",
    "triangulation": "Wall et al. 2004",
    "johnson_neyman": "Johnson & Neyman 1936; Hayes 2022",
    "tost": "Lakens 2017",
    "equivalence": "Lakens 2017; Lakens, Scheel & Isager 2018",
    "intervals": "Efron 1987; Efron & Tibshirani 1993",
    "nonresponse": "Armstrong & Overton 1977",
    "mediation_types": "Zhao, Lynch & Chen 2010",
    "moderation": "Becker, Ringle & Sarstedt 2018",
    "moderated_mediation": "Hayes 2015",
    "predict": "Shmueli et al. 2019",
    "copula": "Park & Gupta 2012; Becker, Proksch & Ringle 2022",
    "micom": "Henseler, Ringle & Sarstedt 2016",
    "mga": "Chin & Dibbern 2010",
    "inverse_sqrt": "Kock & Hadaya 2018",
    "cfa": "Hu & Bentler 1999",
    "bootstrap": "Hair et al. 2019",
}

# Publication order of the tables (the paper numbers them by first use instead).
TABLE_ORDER = (
    "sample",
    "descriptives",
    "correlations",
    "measurement",
    "fornell_larcker",
    "htmt",
    "cfa_fit",
    "cfa_loadings",
    "full_collinearity_vif",
    "marker_correction",
    "method_factor",
    "harman",
    "triangulation",
    "nonresponse",
    "key_informants",
    "procedural_remedies",
    "structural",
    "r_squared",
    "mediation",
    "moderated_mediation",
    "hypotheses",
    "predict",
    "estimators",
    "cbsem_fit",
    "copula",
    "micom",
    "mga",
    "power",
    "multiverse",
)


# ---------------------------------------------------------------------------------------------
# Table objects
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A publication table: every cell already formatted.

    Attributes
    ----------
    name : str
        File stem (``results/tables/<name>.*``) and anchor.
    title : str
    columns : tuple of str
    rows : tuple of tuple of str
        Body cells, one tuple per row, as many cells as columns.
    note : str
        Thresholds with their sources, abbreviations, conventions.
    align : tuple of str
        ``"l"`` or ``"r"`` per column.
    panels : tuple of (int, str)
        Panel headings inserted before the body row with that index.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    align: tuple[str, ...] = ()
    panels: tuple[tuple[int, str], ...] = ()

    def __post_init__(self):
        k = len(self.columns)
        for r in self.rows:
            if len(r) != k:
                raise ValueError(f"table {self.name}: a row has {len(r)} cells for {k} columns")
        if self.align and len(self.align) != k:
            raise ValueError(f"table {self.name}: {len(self.align)} alignments for {k} columns")

    @property
    def alignment(self) -> tuple[str, ...]:
        return self.align or ("l",) + ("r",) * (len(self.columns) - 1)

    def frame(self) -> pd.DataFrame:
        """The body as a DataFrame of strings (with a ``panel`` column when the table has panels)."""
        df = pd.DataFrame(list(self.rows), columns=list(self.columns), dtype=object)
        if self.panels:
            starts = dict(self.panels)
            current, labels = "", []
            for i in range(len(self.rows)):
                current = starts.get(i, current)
                labels.append(current)
            df.insert(0, "panel", labels)
        return df


@dataclass(frozen=True)
class NotRun:
    """A table whose stage did not run (or whose inputs cannot be used)."""

    name: str
    title: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Cell formatting (all rounding goes through leanlearn.format)
# ---------------------------------------------------------------------------------------------
def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _f(x, digits: int = 3) -> str:
    return "—" if _missing(x) else num(float(x), digits)


def _int(x) -> str:
    return "—" if _missing(x) else str(int(round(float(x))))


def _pct(x, digits: int = 1) -> str:
    return "—" if _missing(x) else num(100 * float(x), digits) + "%"


def p_cell(p) -> str:
    """A p-value for a table cell: ``.042`` or ``< .001`` (APA, via :func:`leanlearn.format.pval`)."""
    if _missing(p):
        return "—"
    s = pval(float(p))
    return s[len("p = "):] if s.startswith("p = ") else s[len("p "):]


def ci_cell(lo, hi, digits: int = 3) -> str:
    """``[lo, hi]``."""
    if _missing(lo) and _missing(hi):
        return "—"
    return f"[{_f(lo, digits)}, {_f(hi, digits)}]"


def _bool(x) -> str:
    if _missing(x):
        return "—"
    if isinstance(x, str):
        x = x.strip().lower() in ("true", "1", "yes")
    return "yes" if bool(x) else "no"


def _thr(v) -> str:
    """A configured threshold as configured (no rounding: it is an input, not a result)."""
    if isinstance(v, (list, tuple)):
        return "–".join(_thr(x) for x in v)
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return str(v)


def label(name) -> str:
    """Display form of a path or term: ``LP -> LS`` -> ``LP → LS``, ``LP:DIG`` -> ``LP × DIG``."""
    s = str(name)
    s = s.replace("->", "→")
    return re.sub(r"(?<=\w):(?=\w)", " × ", s)


def is_true(x) -> bool:
    """A boolean cell of a result CSV ("True"/"1"/"yes" or a true non-missing value)."""
    if isinstance(x, str):
        return x.strip().lower() in ("true", "1", "yes")
    return bool(x) and not _missing(x)


def _need(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what}: column(s) {', '.join(missing)} missing (the stage's output contract changed?)")


# ---------------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------------
def measurement_thresholds(config: Mapping | None) -> dict:
    """The ``measurement:`` thresholds of the config over leanlearn.measurement.assessment.DEFAULTS."""
    return {**MEASUREMENT_DEFAULTS, **dict((config or {}).get("measurement") or {})}


def structural_thresholds(config: Mapping | None) -> dict:
    """The ``structural:`` thresholds of the config over :data:`STRUCTURAL_DEFAULTS`."""
    return {**STRUCTURAL_DEFAULTS, **dict((config or {}).get("structural") or {})}


def _multi_item_constructs(loadings: pd.DataFrame) -> list[str]:
    """Constructs measured by more than one indicator, in model order (interaction terms excluded)."""
    counts = loadings.groupby("construct", sort=False)["indicator"].count()
    return [c for c, k in counts.items() if k > 1 and ":" not in str(c)]


def _square(df: pd.DataFrame) -> pd.DataFrame:
    first = df.columns[0]
    return df.set_index(first)


# ---------------------------------------------------------------------------------------------
# Table builders
# ---------------------------------------------------------------------------------------------
def _response_rates(response, flow: pd.DataFrame, n_frame: float) -> tuple[float, int]:
    """(response rate, responding units): distinct units after duplicate removal over the frame.

    From ``descriptives/response.csv`` when present; otherwise the records in the export less
    the duplicates the screening removed (flow.csv), which is the same count unless a unit
    also left an incomplete record.
    """
    if response is not None and {"quantity", "value"} <= set(response.columns):
        q = dict(zip(response.quantity, response.value))
        if "n_responding_units" in q:
            units = int(q["n_responding_units"])
            return units / float(q.get("n_frame", n_frame)), units
    f = flow.set_index("step")
    units = int(f.loc["responses_in", "n_after"]) - (int(f.loc["duplicates", "n_excluded"]) if "duplicates" in f.index else 0)
    return units / n_frame, units


# screening_notes.csv index -> flow step of a rule that was not applied (no such column in the data)
_NOT_APPLIED_STEP = {"attention": "attention", "key_informant": "key_informant", "page_time": "speed", "completion": "incomplete"}


def sample_table(flow: pd.DataFrame, *, merge_report=None, settings=None, excluded_cases=None, screening=None,
                 screening_notes=None, unit: str = "respondent", plural: str = "respondents", covariates=(), response=None) -> Table:
    """Sample and screening flow (CONSORT style) with the screening rules and their sources.

    Rules that were not applied (``screening_notes.csv``: no attention checks, no page
    timers, no key-informant question) are left out of the rows and of the rules note;
    ``unit``/``plural`` name what a case is; controls that are all survey ``covariates`` are
    called control variables, others archival controls.
    """
    _need(flow, ["step", "description", "n_excluded", "n_after"], "screening/flow.csv")
    not_applied = set()
    if isinstance(screening_notes, pd.DataFrame) and {"index", "note"} <= set(screening_notes.columns):
        gone = screening_notes[screening_notes.note.astype(str).str.contains("not applied|not computed", regex=True)]
        not_applied = {_NOT_APPLIED_STEP[i] for i in gone["index"].astype(str) if i in _NOT_APPLIED_STEP}
    rows = []
    f = flow.set_index("step")
    steps = flow[~flow.step.isin(["responses_in", "flagged_but_kept"])]
    if "responses_in" in f.index:
        rows.append(("Responses in the export", "", _int(f.loc["responses_in", "n_after"])))
    for r in steps.itertuples():
        if r.step in not_applied and not r.n_excluded:
            continue
        text = str(r.description).replace("of a firm", f"of the same {unit}") if unit != "firm" else str(r.description)
        rows.append((text[:1].upper() + text[1:], _int(r.n_excluded), _int(r.n_after)))
    n_kept = int(steps.n_after.iloc[-1]) if len(steps) else None
    merged = False
    if merge_report is not None and {"section", "quantity", "value"} <= set(merge_report.columns):
        merged = "n_matched_firms" in set(merge_report.quantity)
    if settings is not None and "n_used" in settings and n_kept is not None and (settings.get("controls") or merged):
        n_out = int(excluded_cases["row"].nunique()) if excluded_cases is not None and len(excluded_cases) else 0
        survey_only = bool(settings.get("controls")) and set(settings.get("controls")) <= set(covariates) and not merged
        what = "Control variables missing (never imputed)" if survey_only else "Archival controls missing (never imputed)"
        rows.append((what, _int(n_out), _int(settings["n_used"])))
    notes = []
    if "flagged_but_kept" in f.index:
        notes.append(f"{_int(f.loc['flagged_but_kept', 'n_flagged'])} kept responses carry a single soft flag (kept; see the sensitivity analyses).")
    if merge_report is not None and {"section", "quantity", "value"} <= set(merge_report.columns):
        m = {r.quantity: r.value for r in merge_report[merge_report.section == "match"].itertuples()}
        if "n_matched_firms" in m:
            notes.append(
                f"Archival merge: {_int(m['n_matched_firms'])} of {_int(m.get('n_survey_firms'))} responding {plural} found in the archival data."
            )
        if "n_frame_firms" in m and "responses_in" in f.index:
            frame = float(m["n_frame_firms"])
            rate, units = _response_rates(response, flow, frame)
            notes.append(
                f"Sampling frame: {_int(frame)} {plural} invited; {_int(units)} responding {plural} after duplicate removal, response rate {_pct(rate)}"
                + (f", usable response rate {_pct(n_kept / frame)}." if n_kept is not None else ".")
            )
    s = dict(screening or {})
    rules = []
    if "seconds_per_item_hard" in s and "speed" not in not_applied:
        rules.append(f"speeders: fewer than {_thr(s['seconds_per_item_hard'])} s per item on a page ({SOURCES['seconds_per_item_hard']})")
    if s.get("attention_fail_hard") and "attention" not in not_applied:
        rules.append(f"failing at least {_thr(s.get('attention_fail_min', 1))} attention check ({SOURCES['attention']})")
    if "max_case_missing_share" in s:
        rules.append(f"more than {_pct(s['max_case_missing_share'], 0)} of items missing ({SOURCES['max_case_missing_share']})")
    if "exclude_if_n_flags_at_least" in s:
        rules.append(f"at least {_thr(s['exclude_if_n_flags_at_least'])} soft flags from different indices ({SOURCES['exclude_if_n_flags_at_least']})")
    if rules:
        notes.append("Exclusion rules: " + "; ".join(rules) + ".")
    return Table(
        "sample",
        "Sample and screening flow",
        ("Step", "Excluded", "Remaining"),
        tuple(rows),
        note=" ".join(notes),
    )


def descriptives_table(items: pd.DataFrame) -> Table:
    """Item descriptives (n, mean, SD, range, skewness, excess kurtosis, missing share)."""
    _need(items, ["item", "construct", "n", "mean", "sd", "min", "max", "skewness", "kurtosis"], "descriptives/items.csv")
    rows = []
    for r in items.itertuples():
        rows.append((
            str(r.item), str(r.construct), _int(r.n), _f(r.mean, 2), _f(r.sd, 2), f"{_f(r.min, 0)}–{_f(r.max, 0)}",
            _f(r.skewness, 2), _f(r.kurtosis, 2), _pct(getattr(r, "share_missing", None)),
        ))
    return Table(
        "descriptives",
        "Item descriptives",
        ("Item", "Construct", "n", "M", "SD", "Range", "Skewness", "Kurtosis", "Missing"),
        tuple(rows),
        note="SD with divisor n − 1; skewness G1 and excess kurtosis G2 (bias-corrected). Missing: share of the kept responses before treatment.",
        align=("l", "l") + ("r",) * 7,
    )


def correlation_table(corr: pd.DataFrame, *, source: str = "descriptives") -> Table:
    """Construct means, SDs and score correlations (lower triangle).

    ``corr`` is either ``descriptives/construct_correlations.csv`` (construct, mean, sd, one
    column per construct) or the square ``measurement/construct_correlations.csv``.
    """
    df = corr.copy()
    first = df.columns[0]
    df = df.set_index(first)
    has_moments = {"mean", "sd"} <= set(df.columns)
    names = [c for c in df.columns if c not in ("mean", "sd") and ":" not in str(c)]
    names = [c for c in names if c in df.index]
    cols = ["Construct"] + (["M", "SD"] if has_moments else []) + [f"({i + 1})" for i in range(len(names))]
    rows = []
    for i, a in enumerate(names):
        cells = [f"({i + 1}) {label(a)}"]
        if has_moments:
            cells += [_f(df.loc[a, "mean"], 2), _f(df.loc[a, "sd"], 2)]
        for j, b in enumerate(names):
            if j < i:
                cells.append(_f(df.loc[a, b]))
            elif j == i:
                cells.append("1")
            else:
                cells.append("")
        rows.append(tuple(cells))
    note = "Correlations of the PLS construct scores."
    if has_moments:
        note += " Means and SDs on the items' scale (weighted item means)."
    return Table("correlations", "Construct means, standard deviations and correlations", tuple(cols), tuple(rows), note=note)


def measurement_table(loadings: pd.DataFrame, reliability: pd.DataFrame, *, vif_items=None, thresholds: Mapping | None = None) -> Table:
    """Loadings (with bootstrap CI), item VIF, alpha, rho_A, rho_C and AVE of every multi-item construct."""
    _need(loadings, ["construct", "indicator", "estimate"], "outer_loadings.csv")
    _need(reliability, ["construct", "alpha", "rho_a", "rho_c", "ave"], "reliability.csv")
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    rel = reliability.set_index("construct")
    vif = {} if vif_items is None else {(r.construct, r.indicator): r.vif for r in vif_items.itertuples()}
    has_ci = {"ci_lower", "ci_upper"} <= set(loadings.columns)
    rows = []
    for c in _multi_item_constructs(loadings):
        block = loadings[loadings.construct == c]
        for k, r in enumerate(block.itertuples()):
            first = k == 0
            cells = [label(c) if first else "", str(r.indicator), _f(r.estimate)]
            if has_ci:
                cells.append(ci_cell(r.ci_lower, r.ci_upper))
            if vif:
                cells.append(_f(vif.get((c, r.indicator)), 2))
            cells += [_f(rel.loc[c, col]) if first and c in rel.index else "" for col in ("alpha", "rho_a", "rho_c", "ave")]
            rows.append(tuple(cells))
    cols = ["Construct", "Item", "Loading"] + (["95% CI"] if has_ci else []) + (["VIF"] if vif else []) + ["α", "ρA", "ρC", "AVE"]
    lo, hi = t["rho_c_range"]
    note = (
        f"Thresholds: loading ≥ {_thr(t['loading_min'])} ({MEASUREMENT_SOURCES['loading']}); "
        f"α ≥ {_thr(t['alpha_min'])} ({MEASUREMENT_SOURCES['alpha']}); "
        f"ρA ≥ {_thr(t['rho_a_min'])} ({MEASUREMENT_SOURCES['rho_a']}); "
        f"ρC {_thr(lo)}–{_thr(hi)} ({MEASUREMENT_SOURCES['rho_c']}); "
        f"AVE ≥ {_thr(t['ave_min'])} ({MEASUREMENT_SOURCES['ave']})"
        + (f"; item VIF < {_thr(t['formative_vif_max'])} ({MEASUREMENT_SOURCES['vif']})" if vif else "")
        + ". "
        + ("95% CI: bootstrap percentile interval. " if has_ci else "")
        + "α: Cronbach's alpha (standardised); ρA: Dijkstra–Henseler reliability; ρC: composite reliability; AVE: average variance extracted."
    )
    return Table("measurement", "Measurement model: loadings, reliability and convergent validity", tuple(cols), tuple(rows), note=note,
                 align=("l", "l") + ("r",) * (len(cols) - 2))


def fornell_larcker_table(fl: pd.DataFrame, *, constructs=None) -> Table:
    """Fornell–Larcker criterion: sqrt(AVE) on the diagonal, construct correlations below."""
    sq = _square(fl)
    names = [c for c in (constructs or sq.index) if c in sq.index and ":" not in str(c)]
    rows = []
    for i, a in enumerate(names):
        rows.append(tuple([label(a)] + [_f(sq.loc[a, b]) if j <= i else "" for j, b in enumerate(names)]))
    return Table(
        "fornell_larcker",
        "Discriminant validity: Fornell–Larcker criterion",
        tuple(["Construct"] + [label(n) for n in names]),
        tuple(rows),
        note=f"Diagonal: square root of the AVE; below: construct correlations. Criterion: the diagonal exceeds every correlation in its row and column ({MEASUREMENT_SOURCES['fornell_larcker']}).",
    )


def htmt_table(htmt: pd.DataFrame, *, upper_bounds=None, constructs=None, thresholds: Mapping | None = None) -> Table:
    """HTMT ratios (lower triangle) with their one-sided bootstrap upper bounds in brackets."""
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    sq = _square(htmt)
    names = [c for c in (constructs or sq.index) if c in sq.index and ":" not in str(c)]
    ub = {}
    q = None
    if upper_bounds is not None and len(upper_bounds):
        for r in upper_bounds.itertuples():
            ub[frozenset((r.construct_a, r.construct_b))] = r.upper_bound
        q = float(upper_bounds["quantile"].iloc[0]) if "quantile" in upper_bounds else None
    rows = []
    for i, a in enumerate(names):
        cells = [label(a)]
        for j, b in enumerate(names):
            if j < i:
                v = _f(sq.loc[a, b])
                bound = ub.get(frozenset((a, b)))
                cells.append(v + (f" [{_f(bound)}]" if bound is not None else ""))
            else:
                cells.append("")
        rows.append(tuple(cells))
    similar = [tuple(p) for p in (t.get("htmt_similar_pairs") or [])]
    note = f"Heterotrait–monotrait ratios of the item correlations; threshold {_thr(t['htmt_max'])}"
    note += f" ({_thr(t['htmt_similar_max'])} for conceptually similar constructs: {', '.join('–'.join(p) for p in similar)})" if similar else ""
    note += f" ({MEASUREMENT_SOURCES['htmt']})."
    if ub:
        note += f" In brackets: one-sided bootstrap upper bound (the {_pct(q, 0) if q is not None else '95%'} quantile of the bootstrap HTMTs), which should lie below the threshold."
    return Table("htmt", "Discriminant validity: heterotrait–monotrait ratio (HTMT)", tuple(["Construct"] + [label(n) for n in names]), tuple(rows), note=note)


_FIT_LABELS = {
    "n": "N", "chi2": "χ²", "df": "df", "p_value": "p (χ²)", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
    "rmsea_ci_lower": "RMSEA 90% CI lower", "rmsea_ci_upper": "RMSEA 90% CI upper", "srmr": "SRMR", "aic": "AIC", "bic": "BIC",
}


def fit_index_table(fit: pd.DataFrame, *, name: str, title: str) -> Table:
    """A fit-index table from a long ``index, value, threshold, direction, meets, source`` file (CFA, CB-SEM)."""
    _need(fit, ["index", "value"], f"{name}.csv")
    rows, sources = [], []
    for r in fit.itertuples():
        idx = str(r.index)
        if idx in ("n", "df"):
            value = _int(r.value)
        elif idx in ("aic", "bic", "chi2"):
            value = _f(r.value, 2)
        elif idx == "p_value":
            value = p_cell(r.value)
        else:
            value = _f(r.value)
        thr = getattr(r, "threshold", None)
        direction = getattr(r, "direction", None)
        crit = "" if _missing(thr) else (("≥ " if direction == "min" else "≤ ") + _thr(float(thr)))
        meets = "" if _missing(thr) else _bool(getattr(r, "meets", None))
        rows.append((_FIT_LABELS.get(idx, idx), value, crit, meets))
        src = getattr(r, "source", None)
        if isinstance(src, str) and src and src not in sources:
            sources.append(src)
    note = "Maximum-likelihood estimation (semopy). Thresholds: " + ("; ".join(sources) if sources else SOURCES["cfa"]) + "."
    return Table(name, title, ("Index", "Value", "Threshold", "Met"), tuple(rows), note=note)


def cfa_loadings_table(loadings: pd.DataFrame, *, thresholds: Mapping | None = None) -> Table:
    """Standardised CFA loadings."""
    _need(loadings, ["construct", "indicator", "estimate", "std_error", "p_value"], "cfa_loadings.csv")
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    rows, last = [], None
    for r in loadings.itertuples():
        rows.append((label(r.construct) if r.construct != last else "", str(r.indicator), _f(r.estimate), _f(r.std_error), p_cell(r.p_value)))
        last = r.construct
    return Table(
        "cfa_loadings",
        "Confirmatory factor analysis: standardised loadings",
        ("Construct", "Item", "Loading", "SE", "p"),
        tuple(rows),
        note=f"Standardised loadings, delta-method standard errors. Threshold: loading ≥ {_thr(t['loading_min'])} ({MEASUREMENT_SOURCES['loading']}).",
        align=("l", "l", "r", "r", "r"),
    )


def _status_reason(df: pd.DataFrame) -> str | None:
    if "status" in df.columns and "reason" in df.columns and len(df):
        return str(df["reason"].iloc[0])
    return None


def full_collinearity_table(vif: pd.DataFrame) -> Table:
    """Full-collinearity VIFs (common-method bias screen)."""
    _need(vif, ["construct", "r_squared", "vif"], "bias/full_collinearity_vif.csv")
    rows = tuple((label(r.construct), _f(r.r_squared), _f(r.vif, 2), _bool(getattr(r, "exceeds", None))) for r in vif.itertuples())
    thr = vif["threshold"].dropna().unique() if "threshold" in vif else []
    note = "Each construct score regressed on all other construct scores."
    if len(thr):
        note += f" Threshold: VIF ≤ {_thr(float(thr[0]))} ({SOURCES['full_collinearity_vif']}); a screen for pathological collinearity, not proof of the absence of common-method bias."
    return Table("full_collinearity_vif", "Common-method bias: full-collinearity VIFs", ("Construct", "R²", "VIF", "Above threshold"), rows, note=note)


def marker_table(marker: pd.DataFrame, *, correlations=None, paths=None) -> Table:
    """Lindell–Whitney marker-variable correction: every marker correlation, the corrected
    construct correlations and the structural paths re-estimated on the corrected matrix."""
    _need(marker, ["construct_a", "construct_b", "r_u", "p_value_u", "r_a", "p_value"], "bias/marker_correction.csv")
    rows, panels = [], []
    if correlations is not None and {"construct", "r", "p_value"} <= set(correlations.columns) and len(correlations):
        panels.append((0, "Correlations of the marker with the substantive constructs"))
        for r in correlations.itertuples():
            chosen = " (r_M)" if is_true(getattr(r, "chosen", False)) else ""
            rows.append((f"{label(r.marker)} – {label(r.construct)}{chosen}", _f(r.r), p_cell(r.p_value), "", ""))
    if panels:
        panels.append((len(rows), "Construct correlations"))
    for r in marker.itertuples():
        rows.append((f"{label(r.construct_a)} – {label(r.construct_b)}", _f(r.r_u), p_cell(r.p_value_u), _f(r.r_a), p_cell(r.p_value)))
    if paths is not None and {"source", "target", "estimate", "estimate_corrected"} <= set(paths.columns) and len(paths):
        panels.append((len(rows), "Structural paths re-estimated on the corrected correlations"))
        for r in paths.itertuples():
            rows.append((f"{label(r.source)} → {label(r.target)}", _f(r.estimate), "", _f(r.estimate_corrected), ""))
    first = marker.iloc[0] if len(marker) else None
    note = f"Marker-variable correction ({SOURCES['marker']})"
    if first is not None and "r_m" in marker:
        rule = str(first.get("marker_rule", "smallest")).replace("_", " ")
        note += f": marker {first.get('marker', '')}, r_M = {_f(first['r_m'])}"
        if isinstance(first.get("r_m_source"), str) and first.get("r_m_source"):
            note += f", the {rule} positive marker correlation (with {first['r_m_source']}; rule set by bias.marker_rule)"
        if isinstance(first.get("note"), str) and first.get("note"):
            note += f"; {first['note']}"
    n = _int(first["n"]) if first is not None and "n" in marker else None
    note += (
        ". r_U: uncorrected correlation of the construct scores; r_A = (r_U − r_M)/(1 − r_M), t-test on N − 3 df"
        + (f"; N = {n}" if n else "")
        + "."
    )
    if paths is not None and len(paths):
        note += (
            " Paths: standardised OLS coefficients on the uncorrected and on the corrected construct correlation matrix "
            "(the uncorrected ones equal the PLS paths of the model without controls); correlations with interaction terms are not corrected; "
            "no intervals for the corrected paths."
        )
    return Table("marker_correction", "Common-method bias: marker-variable correction", ("Quantity", "Uncorrected", "p", "Marker-adjusted", "p (adjusted)"),
                 tuple(rows), note=note, panels=tuple(panels))


def method_factor_table(models: pd.DataFrame) -> Table:
    """CFA without and with a latent method factor (chi-square difference tests, method variance)."""
    _need(models, ["technique", "model", "chi2", "df", "delta_chi2", "delta_df", "delta_p_value", "method_variance_share"], "bias/method_factor.csv")
    names = {"baseline": "Baseline (no method loadings)", "method_c": "Method-C (equal method loadings)", "method_u": "Method-U (free method loadings)"}
    rows = tuple(
        (names.get(str(r.model), str(r.model)), _f(r.chi2, 2), _int(r.df), _f(r.delta_chi2, 2), _int(r.delta_df), p_cell(r.delta_p_value), _pct(r.method_variance_share))
        for r in models.itertuples()
    )
    tech = str(models.technique.iloc[0])
    src = SOURCES["method_factor"] if tech == "cfa_marker" else SOURCES["ulmc"]
    flagged = is_true(models.flagged.iloc[0]) if "flagged" in models else False
    a = models["alpha_per_test"].dropna()
    note = (
        ("CFA marker technique: the marker's latent variable loads on every substantive item" if tech == "cfa_marker"
         else "Unmeasured latent method construct: a method factor without items of its own loads on every substantive item")
        + f", orthogonal to the substantive factors ({src}). Δχ²: chi-square difference test against the baseline; "
        + f"method variance is flagged when either method model fits better at α = {_thr(float(a.iloc[0])) if len(a) else '—'} per test "
        + "(Bonferroni over the two). Method variance: mean squared standardised method loading of the substantive items. "
        + f"N = {_int(models.n.iloc[0])}, ML estimation (semopy). Verdict: method variance {'flagged' if flagged else 'not flagged'}"
        + ("; a non-significant test is not evidence of the absence of method variance (low power for small method loadings)." if not flagged else ".")
    )
    return Table("method_factor", "Common-method bias: latent method factor", ("Model", "χ²", "df", "Δχ²", "Δdf", "p (Δχ²)", "Method variance"), rows, note=note)


def triangulation_table(tri: pd.DataFrame) -> Table:
    """Correlation of perceived constructs with archival measures of the same concept."""
    _need(tri, ["construct", "measure", "n", "r", "ci_lower", "ci_upper", "p_value"], "bias/archival_triangulation.csv")
    rows = tuple(
        (label(r.construct), str(r.measure), _int(r.n), _f(r.r), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value), _f(getattr(r, "spearman_rho", None)))
        for r in tri.itertuples()
    )
    level = tri["ci_level"].iloc[0] if "ci_level" in tri and len(tri) else 0.95
    note = (
        f"Pearson r of the PLS construct score with the archival measure ({_pct(level, 0)} Fisher-z interval) and Spearman's ρ ({SOURCES['triangulation']}). "
        "N: cases with both the score and the archival value (archival data missing for the others). The archival measure comes from another source, "
        "so the correlation carries no common-method variance."
    )
    return Table("triangulation", "Archival triangulation of perceived performance", ("Construct", "Archival measure", "n", "r", f"{_pct(level, 0)} CI", "p", "Spearman ρ"),
                 rows, note=note, align=("l", "l", "r", "r", "r", "r", "r"))


def harman_table(harman: pd.DataFrame) -> Table:
    """Harman's single-factor test (reported for comparability only, with its caveat)."""
    _need(harman, ["method", "n_factors", "first_factor_share"], "bias/harman.csv")
    names = {"principal_components": "Principal components (first of 1)", "principal_axis": "Principal-axis factoring"}
    rows = tuple(
        (names.get(r.method, str(r.method)), _int(r.n_factors), _pct(r.first_factor_share), _pct(getattr(r, "threshold", None), 0), _bool(getattr(r, "exceeds", None)))
        for r in harman.itertuples()
    )
    caveat = str(harman["caveat"].iloc[0]) if "caveat" in harman and len(harman) and isinstance(harman["caveat"].iloc[0], str) else ""
    note = f"Share of item variance of the first unrotated factor ({SOURCES['harman']}). {caveat}".strip()
    return Table("harman", "Common-method bias: Harman's single-factor test", ("Extraction", "Factors", "First factor", "Threshold", "Above"), rows, note=note)


def nonresponse_table(early_late=None, frame=None) -> Table:
    """Non-response bias: early vs late respondents and respondents vs non-respondents."""
    def panel(df):
        out = []
        for r in df.itertuples():
            if getattr(r, "kind", "continuous") == "categorical":
                out.append((
                    label(r.variable), f"{_int(r.n_a)} / {_int(r.n_b)}", "—", "—",
                    f"χ²({_int(r.chi2_dof)}) = {_f(r.chi2, 2)}, V = {_f(r.cramers_v, 2)}", p_cell(r.chi2_p_value), "—",
                ))
            else:
                out.append((
                    label(r.variable), f"{_int(r.n_a)} / {_int(r.n_b)}", _f(r.mean_a, 2), _f(r.mean_b, 2),
                    f"g = {_f(r.hedges_g, 2)} {ci_cell(r.g_ci_lower, r.g_ci_upper, 2)}", p_cell(r.t_p_value), _bool(r.equivalent),
                ))
        return out

    rows, panels = [], []
    margin = None
    for df, head in ((early_late, "early vs late respondents"), (frame, "respondents vs non-respondents (sampling frame)")):
        if df is None or _status_reason(df) is not None or not len(df):
            continue
        _need(df, ["variable", "n_a", "n_b", "group_a", "group_b"], "bias/nonresponse")
        a, b = str(df.group_a.iloc[0]), str(df.group_b.iloc[0])
        title = f"{head[:1].upper()}{head[1:]}" + (f": {df['split'].iloc[0]}" if "split" in df.columns else "") + f" (a = {a}, b = {b})"
        panels.append((len(rows), title))
        rows += panel(df)
        if "tost_margin_sd" in df and margin is None and df["tost_margin_sd"].notna().any():
            margin = float(df["tost_margin_sd"].dropna().iloc[0])
    if not rows:
        raise DataError("non-response comparison: no usable rows")
    note = (
        f"Late respondents stand in for non-respondents ({SOURCES['nonresponse']}). Continuous variables: Welch t-test and Hedges' g with its 95% CI; "
        f"categorical: χ² test and Cramér's V. Equivalent: TOST equivalence test ({SOURCES['tost']})"
        + (f" with a margin of ±{_thr(margin)} SD" if margin is not None else "")
        + "; a non-significant difference alone is not evidence of no difference."
    )
    return Table("nonresponse", "Non-response bias", ("Variable", "n (a / b)", "M (a)", "M (b)", "Effect size", "p", "Equivalent"),
                 tuple(rows), note=note, panels=tuple(panels))


def key_informant_table(ki: pd.DataFrame) -> Table:
    """Key-informant profile (role shares, tenure, self-rated knowledge)."""
    _need(ki, ["variable", "statistic", "level", "value"], "bias/key_informants.csv")
    rows = []
    roles = ki[(ki.variable == "role")]
    for lvl, g in roles.groupby("level", sort=False):
        d = dict(zip(g.statistic, g.value))
        rows.append(("Role", str(lvl), f"{_int(d.get('count'))} ({_pct(d.get('share'))})"))
    for var, name in (("tenure_years", "Tenure (years)"), ("knowledge", "Knowledge of the practices")):
        g = ki[ki.variable == var]
        if not len(g):
            continue
        d = dict(zip(g.statistic, g.value))
        rows.append((name, "mean (SD)", f"{_f(d.get('mean'), 1)} ({_f(d.get('sd'), 1)})"))
        if "min" in d:
            rows.append((name, "range", f"{_f(d.get('min'), 0)}–{_f(d.get('max'), 0)}"))
        if "n_below_midpoint" in d:
            rows.append((name, f"below the scale midpoint ({_f(d.get('midpoint'), 0)})", f"{_int(d['n_below_midpoint'])} ({_pct(d.get('share_below_midpoint'))})"))
    return Table("key_informants", "Key informants", ("Characteristic", "Level", "Value"), tuple(rows),
                 note="One key informant per firm; knowledge self-rated on the survey's scale.", align=("l", "l", "r"))


def procedural_remedies_table(rem: pd.DataFrame) -> Table:
    _need(rem, ["remedy", "available", "evidence"], "bias/procedural_remedies.csv")
    rows = tuple((str(r.remedy).replace("_", " "), _bool(r.available), str(r.evidence), str(getattr(r, "reference", "") or "")) for r in rem.itertuples())
    return Table("procedural_remedies", "Common-method bias: procedural remedies the design allows", ("Remedy", "Available", "Evidence", "Reference"),
                 rows, note="Derived from the codebook, the model and the data; nothing typed by hand.", align=("l", "l", "l", "l"))


def structural_table(paths: pd.DataFrame, *, f_squared=None, vif_inner=None, controls=(), thresholds: Mapping | None = None, fit=None, r_squared=None) -> Table:
    """Path coefficients with bootstrap CI and p, effect sizes f² and inner VIFs."""
    _need(paths, ["source", "target", "estimate"], "structural/paths.csv")
    t = {**STRUCTURAL_DEFAULTS, **dict(thresholds or {})}
    f2 = {} if f_squared is None else {(r.source, r.target): r.f_squared for r in f_squared.itertuples()}
    vif = {} if vif_inner is None else {(r.source, r.target): r.vif for r in vif_inner.itertuples()}
    has_boot = {"ci_lower", "ci_upper", "p_value"} <= set(paths.columns)
    rows, panels = [], []
    controls = set(controls)
    main = paths[~paths.source.isin(controls)]
    ctl = paths[paths.source.isin(controls)]
    for part, head in ((main, "Structural paths"), (ctl, "Controls")):
        if not len(part):
            continue
        if len(ctl):
            panels.append((len(rows), head))
        for r in part.itertuples():
            cells = [f"{label(r.source)} → {label(r.target)}", _f(r.estimate)]
            if has_boot:
                cells += [ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value)]
            cells += [_f(f2.get((r.source, r.target))), _f(vif.get((r.source, r.target)), 2)]
            rows.append(tuple(cells))
    cols = ["Path", "β"] + (["95% CI", "p"] if has_boot else []) + ["f²", "VIF"]
    level = paths["ci_level"].iloc[0] if "ci_level" in paths and len(paths) else None
    note = ""
    if has_boot:
        note += (
            f"β: standardised path coefficient; {_pct(level, 0) if level is not None else '95%'} CI: bootstrap percentile interval; "
            "p: two-sided bootstrap p matching that interval (p < α exactly when the 1 − α interval excludes 0; resolution 1/B). "
        )
    note += (
        f"f² thresholds {_thr(t['f2_cutoffs'][0])} / {_thr(t['f2_cutoffs'][1])} / {_thr(t['f2_cutoffs'][2])} small / medium / large ({SOURCES['f2_cutoffs']}); "
        f"interaction terms {_thr(t['f2_interaction_cutoffs'][0])} / {_thr(t['f2_interaction_cutoffs'][1])} / {_thr(t['f2_interaction_cutoffs'][2])} ({SOURCES['f2_interaction_cutoffs']}); "
        "f² is not defined for a main effect that also forms an interaction term on the same outcome (—). "
        f"Inner VIF < {_thr(t['vif_max'])} ({SOURCES['vif_max']})."
    )
    if r_squared is not None and len(r_squared):
        note += " R²: " + "; ".join(f"{label(r.construct)} {_f(r.r_squared)} (adjusted {_f(r.r_squared_adj)})" for r in r_squared.itertuples()) + "."
    if fit is not None and "srmr" in fit and len(fit):
        note += f" SRMR = {_f(fit['srmr'].iloc[0])} (threshold {_thr(t['srmr_max'])}; {SOURCES['srmr_max']})."
    return Table("structural", "Structural model: path coefficients, effect sizes and collinearity", tuple(cols), tuple(rows), note=note, panels=tuple(panels))


def r_squared_table(r_squared: pd.DataFrame, *, boot=None) -> Table:
    _need(r_squared, ["construct", "r_squared", "r_squared_adj"], "structural/r_squared.csv")
    b = {} if boot is None else {r.construct: r for r in boot.itertuples()}
    rows = []
    for r in r_squared.itertuples():
        cells = [label(r.construct), _f(r.r_squared), _f(r.r_squared_adj)]
        if b:
            x = b.get(r.construct)
            cells.append(ci_cell(x.ci_lower, x.ci_upper) if x is not None else "—")
        rows.append(tuple(cells))
    cols = ("Construct", "R²", "Adjusted R²") + (("95% CI",) if b else ())
    return Table("r_squared", "Explained variance", cols, tuple(rows), note="Adjusted R² = 1 − (1 − R²)(n − 1)/(n − k − 1).")


def mediation_table(mediation: pd.DataFrame, *, contrasts=None) -> Table:
    """Indirect, direct and total effects with CIs and the Zhao–Lynch–Chen type; contrasts of indirect effects."""
    _need(mediation, ["path", "indirect", "indirect_ci_lower", "indirect_ci_upper", "direct", "direct_ci_lower", "direct_ci_upper",
                      "total", "total_ci_lower", "total_ci_upper", "type"], "hypotheses/mediation.csv")
    rows, panels = [], []

    def est(x, lo, hi):
        return f"{_f(x)} {ci_cell(lo, hi)}"

    conditional = []
    for r in mediation.itertuples():
        at = getattr(r, "conditional_on", "")
        at = at if isinstance(at, str) else ""
        if at:
            conditional.append(at)
        rows.append((
            label(r.path) + (f" (at {label(at)})" if at else ""), est(r.indirect, r.indirect_ci_lower, r.indirect_ci_upper),
            est(r.direct, r.direct_ci_lower, r.direct_ci_upper), est(r.total, r.total_ci_lower, r.total_ci_upper), str(r.type), _pct(getattr(r, "vaf", None)),
        ))
    if contrasts is not None and len(contrasts):
        panels = [(0, "Specific indirect effects"), (len(rows), "Differences between indirect effects")]
        for r in contrasts.itertuples():
            at = getattr(r, "conditional_on", "")
            at = at if isinstance(at, str) else ""
            rows.append((label(r.contrast) + (f" (at {label(at)})" if at else ""), est(r.estimate, r.ci_lower, r.ci_upper), "", "", "", ""))
    note = (
        f"Bootstrap percentile intervals. Type of mediation after {SOURCES['mediation_types']}; "
        "VAF (variance accounted for = indirect / total) is descriptive only and given for complementary and indirect-only mediation."
    )
    if conditional:
        note += (
            " In this moderated model an indirect effect through a moderated link varies with the moderator, so it is the conditional "
            f"indirect effect at the stated moderator value ({SOURCES['moderated_mediation']}), and its type and VAF hold at that value only; "
            "the moderated mediation table gives it at other values."
        )
    return Table("mediation", "Mediation: indirect, direct and total effects",
                 ("Path", "Indirect [95% CI]", "Direct [95% CI]", "Total [95% CI]", "Type", "VAF"), tuple(rows), note=note, panels=tuple(panels),
                 align=("l", "r", "r", "r", "l", "r"))


def _sd(v) -> str:
    v = float(v)
    return "mean" if v == 0 else f"{'+' if v > 0 else '−'}{_thr(abs(v))} SD"


def moderated_mediation_table(*, simple_slopes=None, conditional=None, index=None, johnson_neyman=None) -> Table:
    """Simple slopes of the first stage, conditional indirect effects and the index of moderated mediation."""
    rows, panels = [], []
    if simple_slopes is not None and len(simple_slopes):
        for key, g in simple_slopes.groupby(["focal", "moderator", "target"], sort=False):
            focal, mod, target = key
            panels.append((len(rows), f"Conditional effect of {label(focal)} on {label(target)} (simple slopes)"))
            for r in g.itertuples():
                rows.append((f"{label(mod)} at {_sd(r.moderator_value)}", _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if conditional is not None and len(conditional):
        for (path, mod), g in conditional.groupby(["path", "moderator"], sort=False):
            panels.append((len(rows), f"Conditional indirect effect {label(path)}"))
            for r in g.itertuples():
                rows.append((f"{label(mod)} at {_sd(r.moderator_value)}", _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if index is not None and len(index):
        panels.append((len(rows), "Index of moderated mediation"))
        for r in index.itertuples():
            rows.append((f"{label(r.path)} by {label(r.moderator)}", _f(r.index), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if not rows:
        raise DataError("moderated mediation: no conditional-effect tables (the model has no interaction term?)")
    note = (
        f"Moderator values in SD units of its construct score. Bootstrap percentile intervals; the same resamples for every quantity "
        f"({SOURCES['moderation']}; {SOURCES['moderated_mediation']}). p: two-sided bootstrap p matching the percentile interval "
        "(p < α exactly when the 1 − α interval excludes 0), the same rule for every quantity. With an interaction X × W on a mediated "
        "link, the indirect effects of both X and W are conditional on the other."
    )
    if johnson_neyman is not None and len(johnson_neyman):
        for r in johnson_neyman.itertuples():
            if _missing(r.boundary):
                continue
            pct = getattr(r, "boundary_percentile", None)
            region = getattr(r, "region", None)
            share = getattr(r, "share_cases_significant", None)
            note += (
                f" Johnson–Neyman ({SOURCES['johnson_neyman']}): the interval of the effect of {label(r.focal)} on {label(r.target)} crosses zero at "
                f"{label(r.moderator)} = {_f(r.boundary, 2)} SD"
                + (f" (percentile {_f(pct, 0)} of the observed {label(r.moderator)} scores)" if not _missing(pct) else "")
                + (f"; region of significance {region} (probed from {_f(r.grid_min, 1)} to {_f(r.grid_max, 1)} SD)" if isinstance(region, str) else "")
                + (f", which holds {_pct(share, 0)} of the observed cases" if not _missing(share) else "")
                + "."
            )
    return Table("moderated_mediation", "Moderation and moderated mediation", ("Quantity", "Estimate", "95% CI", "p"), tuple(rows), note=note, panels=tuple(panels))


_DIRECTION = {"positive": "+", "negative": "−", "nonzero": "≠ 0", "none": "0"}


def hypotheses_table(hyp: pd.DataFrame) -> Table:
    """The hypotheses with estimates, intervals, p-values, equivalence tests and verdicts (rule in the note)."""
    _need(hyp, ["hypothesis", "quantity", "direction", "estimate", "ci_lower", "ci_upper", "p_value", "verdict"], "hypotheses/hypotheses.csv")
    has_eq = {"sesoi", "tost_lower", "tost_upper"} <= set(hyp.columns)
    rows = []
    for r in hyp.itertuples():
        cells = [str(r.hypothesis), label(r.quantity), _DIRECTION.get(str(r.direction), str(r.direction)), _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value)]
        if has_eq:
            cells.append("—" if _missing(r.sesoi) else f"{ci_cell(r.tost_lower, r.tost_upper)} vs ±{_thr(float(r.sesoi))}")
        cells.append(str(r.verdict))
        if "fragile" in hyp:
            cells.append("yes" if is_true(r.fragile) else "")
        rows.append(tuple(cells))
    level = hyp["ci_level"].iloc[0] if "ci_level" in hyp and len(hyp) else 0.95
    interval = str(hyp["interval"].iloc[0]) if "interval" in hyp and len(hyp) else "percentile"
    sesoi = hyp["sesoi"].tolist() if "sesoi" in hyp else []
    n = int(hyp["n_resamples"].iloc[0]) if "n_resamples" in hyp and len(hyp) else None
    note = (
        "Predicted sign: + positive, − negative, ≠ 0 non-zero, 0 no effect. "
        + rule_text(interval, float(level), sesoi)
        + f" Intervals: {SOURCES['intervals']}; equivalence: {SOURCES['equivalence']}."
        + (f" p: bootstrap p of the same interval type, resolution 1/B = 1/{n:,}." if n else "")
        + (" Fragile: a bound of the interval lies within the configured margin of zero." if "fragile" in hyp else "")
    )
    cols = ["Hypothesis", "Effect", "Predicted", "Estimate", f"{_pct(level, 0)} CI", "p"]
    if has_eq:
        cols.append(f"Equivalence {_pct(1 - 2 * (1 - float(level)), 0)} CI")
    cols.append("Verdict")
    if "fragile" in hyp:
        cols.append("Fragile")
    align = tuple(["l", "l", "l", "r", "r", "r"] + (["r"] if has_eq else []) + ["l"] + (["l"] if "fragile" in hyp else []))
    return Table("hypotheses", "Hypothesis tests", tuple(cols), tuple(rows), note=note, align=align)


def predict_table(items: pd.DataFrame, *, summary=None) -> Table:
    _need(items, ["indicator", "rmse_pls", "rmse_lm", "mae_pls", "mae_lm", "q2_predict"], "predict_items.csv")
    rows = tuple((str(r.indicator), _f(r.q2_predict), _f(r.rmse_pls), _f(r.rmse_lm), _f(r.mae_pls), _f(r.mae_lm)) for r in items.itertuples())
    note = f"PLSpredict ({SOURCES['predict']}): out-of-sample prediction errors of PLS and of the linear-model benchmark (LM)."
    if summary is not None and len(summary):
        note += " Predictive power: " + "; ".join(
            f"{label(r.construct)} {r.verdict} ({_int(r.n_pls_better_rmse)} of {_int(r.n_indicators)} indicators with a lower RMSE than LM)" for r in summary.itertuples()
        ) + "."
    return Table("predict", "Out-of-sample predictive power (PLSpredict)", ("Indicator", "Q²predict", "RMSE PLS", "RMSE LM", "MAE PLS", "MAE LM"), rows, note=note)


def estimators_table(cmp: pd.DataFrame) -> Table:
    _need(cmp, ["source", "target", "pls", "plsc", "cbsem"], "pls_plsc_cbsem_paths.csv")
    rows = tuple(
        (f"{label(r.source)} → {label(r.target)}", _f(r.pls), _f(r.plsc), _f(r.cbsem), p_cell(getattr(r, "cbsem_p_value", None))) for r in cmp.itertuples()
    )
    return Table("estimators", "Robustness: PLS, PLSc and CB-SEM path coefficients", ("Path", "PLS", "PLSc", "CB-SEM", "p (CB-SEM)"), rows,
                 note="Same cases for all three estimators. CB-SEM: maximum likelihood; the interaction term is approximated by the product of factor scores (not LMS).")


def _copula_counts(cop: pd.DataFrame) -> str:
    if "counted" not in cop.columns or not len(cop):
        return ""
    counted = cop["counted"].map(is_true) if cop["counted"].dtype == object else cop["counted"].astype(bool)
    text = f" Every single and joint specification is shown; {int(counted.sum())} of {len(cop)} terms meet the preconditions (non-normal regressor, copula term not collinear with it, preconditions.csv)"
    if not counted.any():
        return text + "; none does, so the test is uninformative here and the corrected estimates are not corrections."
    return text + "; only those are counted."


def copula_table(cop: pd.DataFrame) -> Table:
    _need(cop, ["target", "combination", "predictor", "estimate", "ci_lower", "ci_upper", "p_value"], "copula.csv")
    rows = tuple(
        (label(r.target), label(str(r.combination).replace("+", " + ")), label(r.predictor), _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value),
         _f(getattr(r, "uncorrected_estimate", None)), _f(getattr(r, "corrected_estimate", None)))
        for r in cop.itertuples()
    )
    return Table("copula", "Robustness: Gaussian copula test of endogeneity",
                 ("Outcome", "Copula terms", "Predictor", "Copula coefficient", "95% CI", "p", "β (PLS)", "β (corrected)"), rows,
                 note=f"Gaussian copula ({SOURCES['copula']}); a weak diagnostic at this sample size: a non-significant copula term is weak evidence of exogeneity."
                 + _copula_counts(cop),
                 align=("l", "l", "l") + ("r",) * 5)


def micom_table(micom: pd.DataFrame, *, sizes=None) -> Table:
    _need(micom, ["group_a", "group_b", "construct", "configural", "compositional", "equal_mean", "equal_variance", "invariance"], "micom_summary.csv")
    rows = tuple(
        (f"{r.group_a} vs {r.group_b}", label(r.construct), _bool(r.configural), _bool(r.compositional), _bool(r.equal_mean), _bool(r.equal_variance), str(r.invariance))
        for r in micom.itertuples()
    )
    note = (f"MICOM ({SOURCES['micom']}); permutation tests at 5 %, p-values not adjusted (as Henseler et al. 2016). 'Invariance' names the "
            "outcome level; not rejecting a step is no evidence against invariance, not evidence for it, and small groups detect only large differences.")
    if sizes is not None and {"group", "n"} <= set(sizes.columns):
        note += " Group sizes: " + "; ".join(f"{r.group} n = {_int(r.n)}" for r in sizes.itertuples()) + "."
    return Table("micom", "Robustness: measurement invariance across groups (MICOM)",
                 ("Groups", "Construct", "Configural", "Compositional", "Equal means", "Equal variances", "Invariance"), rows, note=note,
                 align=("l", "l", "l", "l", "l", "l", "l"))


def mga_table(mga: pd.DataFrame) -> Table:
    _need(mga, ["group_a", "group_b", "parameter", "estimate_a", "estimate_b", "difference", "p_value"], "mga.csv")
    has_adj = "p_adjusted" in mga.columns
    rows = tuple(
        (f"{r.group_a} vs {r.group_b}", label(r.parameter), _f(r.estimate_a), _f(r.estimate_b), _f(r.difference), p_cell(r.p_value))
        + ((p_cell(r.p_adjusted),) if has_adj else ())
        for r in mga.itertuples()
    )
    cols = ("Groups", "Parameter", "Group a", "Group b", "Difference", "p") + (("p (adjusted)",) if has_adj else ())
    fam = f" p adjusted across one family of {_int(mga.family_size.iloc[0])} tests (every parameter x every pair of groups)." if "family_size" in mga.columns and len(mga) else ""
    return Table("mga", "Robustness: permutation multi-group analysis", cols, rows, note=f"Permutation test of the group difference ({SOURCES['mga']}).{fam}",
                 align=("l", "l") + ("r",) * (len(cols) - 2))


def power_table(power: pd.DataFrame, *, minimum_n=None) -> Table:
    _need(power, ["n", "parameter", "population_value", "power"], "power.csv")
    ns = sorted(power.n.unique())
    rows = []
    for par, g in power.groupby("parameter", sort=False):
        d = dict(zip(g.n, g.power))
        cells = [label(par), _f(g.population_value.iloc[0])] + [_f(d.get(n), 2) for n in ns]
        rows.append(tuple(cells))
    reps = power["replications"].min() if "replications" in power else None
    note = (
        "Monte Carlo power: share of replications in which the test succeeds (a directional hypothesis: its interval excludes 0 "
        "in the predicted direction; a hypothesis of no effect: equivalence within its SESOI, never non-significance)"
    )
    note += f" ({_int(reps)} replications per N" if reps is not None else " ("
    note += f"; Monte Carlo SE at most {_f(power.mc_std_error.max())})." if "mc_std_error" in power else ")."
    src = str(power.population_source.iloc[0]) if "population_source" in power and len(power) else ""
    if src == "estimates":
        note += " Population: the fitted model's own estimates, so this is post-hoc power, which is not evidence about the study's result (Hoenig & Heisey 2001)."
    elif src == "effects":
        note += " Population: effect sizes declared in config (power.population)."
    if "coincides_with" in power:
        pairs = sorted({tuple(sorted((str(r.parameter), o))) for r in power.itertuples() if isinstance(r.coincides_with, str) for o in r.coincides_with.split()})
        if pairs:
            note += " " + "; ".join(f"{label(a)} and {label(b)}" for a, b in pairs) + ": the same decision in nearly every replication (one test reported twice)."
    if minimum_n is not None and "target_power" in minimum_n and len(minimum_n):
        note += f" Target power {_thr(float(minimum_n.target_power.iloc[0]))} (config power.target_power)."
    if minimum_n is not None and "minimum_n_inverse_sqrt_one_tailed" in minimum_n:
        mins = [f"{label(r.parameter)} {_int(r.minimum_n_inverse_sqrt_one_tailed)}" for r in minimum_n.itertuples() if not _missing(r.minimum_n_inverse_sqrt_one_tailed)]
        if mins:
            note += f" Minimum N by the inverse square root method ({SOURCES['inverse_sqrt']}, one-tailed): " + "; ".join(mins) + "."
    return Table("power", "Statistical power by sample size", tuple(["Parameter", "Population value"] + [f"N = {_int(n)}" for n in ns]), tuple(rows), note=note)


def multiverse_table(stab: pd.DataFrame) -> Table:
    _need(stab, ["hypothesis", "main_verdict", "n_variants", "n_same"], "multiverse_stability.csv")
    rows = tuple(
        (str(r.hypothesis), str(r.main_verdict), f"{_int(r.n_same)} of {_int(r.n_variants)}", str(r.differing) if isinstance(getattr(r, "differing", None), str) else "")
        for r in stab.itertuples()
    )
    return Table("multiverse", "Robustness: verdicts across alternative analysis choices", ("Hypothesis", "Main verdict", "Same verdict", "Differs under"), rows,
                 note="Screening rules, missing-data treatments, interaction method and controls varied one at a time.", align=("l", "l", "r", "l"))


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
    "hypotheses": _Spec("Hypothesis tests", ("hypotheses",), lambda r, c: hypotheses_table(r["hypotheses"])),
    "predict": _Spec("PLSpredict", ("predict_items",), lambda r, c: predict_table(r["predict_items"], summary=r.get("predict_summary"))),
    "estimators": _Spec("PLS, PLSc and CB-SEM", ("pls_plsc_cbsem_paths",), lambda r, c: estimators_table(r["pls_plsc_cbsem_paths"])),
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
                reasons = [_status_reason(results[a]) for a in alts if isinstance(results.get(a), pd.DataFrame)]
                reasons = [x for x in reasons if x]
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


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def table_csv(table: Table) -> str:
    """The body as CSV (formatted cells as printed; a ``panel`` column when the table has panels)."""
    buf = io.StringIO()
    df = table.frame()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(df.columns))
    for row in df.itertuples(index=False):
        w.writerow(list(row))
    return buf.getvalue()


def _md_cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def table_markdown(table: Table, *, number: str | None = None) -> str:
    """A pipe table with the title above and the note below (Pandoc and Python-Markdown read it)."""
    head = f"**{number + '. ' if number else ''}{table.title}**"
    align = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [head, "", "| " + " | ".join(_md_cell(c) for c in table.columns) + " |", "|" + "|".join(align[a] for a in table.alignment) + "|"]
    starts = dict(table.panels)
    k = len(table.columns)
    for i, row in enumerate(table.rows):
        if i in starts:
            lines.append("| " + " | ".join([f"*{_md_cell(starts[i])}*"] + [""] * (k - 1)) + " |")
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    if table.note:
        lines += ["", f"*Note.* {table.note}"]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_UNICODE = {
    "→": r"$\rightarrow$", "×": r"$\times$", "−": r"$-$", "–": "--", "—": "---", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$",
    "±": r"$\pm$", "²": r"$^{2}$", "α": r"$\alpha$", "β": r"$\beta$", "ρ": r"$\rho$", "χ": r"$\chi$", "√": r"$\surd$",
    "’": "'", "é": r"\'{e}", "ö": r'\"{o}', "ü": r'\"{u}', "ä": r'\"{a}', "…": r"\ldots{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX specials and map the symbols leanlearn prints to pdflatex-safe commands."""
    out = []
    for ch in str(text):
        out.append(_LATEX_SPECIAL.get(ch) or _LATEX_UNICODE.get(ch) or ch)
    s = "".join(out)
    return s.replace("$$", "")  # adjacent math pieces (e.g. "−²") merge


def table_latex(table: Table) -> str:
    """A booktabs ``table`` float (needs ``\\usepackage{booktabs}``)."""
    k = len(table.columns)
    spec = []
    for j, a in enumerate(table.alignment):
        longest = max([len(str(r[j])) for r in table.rows] + [len(table.columns[j])])
        spec.append(r"p{0.3\linewidth}" if a == "l" and longest > 45 else a)  # long text wraps
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{" + latex_escape(table.title) + "}",
        r"\label{tab:" + table.name + "}",
        r"\small",
        r"\begin{tabular}{" + "".join(spec) + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\midrule",
    ]
    starts = dict(table.panels)
    for i, row in enumerate(table.rows):
        if i in starts:
            if i:
                lines.append(r"\addlinespace")
            lines.append(r"\multicolumn{" + str(k) + "}{l}{\\textit{" + latex_escape(starts[i]) + r"}} \\")
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}")
    if table.note:
        lines.append(r"\par\smallskip")
        lines.append(r"\parbox{\linewidth}{\footnotesize\textit{Note.} " + latex_escape(table.note) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def table_html(table: Table, *, number: str | None = None) -> str:
    """An HTML ``<figure class="table">`` fragment (caption, table, note)."""
    e = html.escape
    cls = {"l": "l", "r": "r", "c": "c"}
    out = [f'<figure class="table" id="table-{e(table.name)}">']
    prefix = f'<span class="label">{e(number)}.</span> ' if number else ""
    out.append(f"<figcaption>{prefix}{e(table.title)}</figcaption>")
    out.append("<table>")
    out.append("<thead><tr>" + "".join(f'<th class="{cls[a]}">{e(c)}</th>' for c, a in zip(table.columns, table.alignment)) + "</tr></thead>")
    out.append("<tbody>")
    starts = dict(table.panels)
    for i, row in enumerate(table.rows):
        if i in starts:
            out.append(f'<tr class="panel"><td colspan="{len(table.columns)}">{e(starts[i])}</td></tr>')
        out.append("<tr>" + "".join(f'<td class="{cls[a]}">{e(c)}</td>' for c, a in zip(row, table.alignment)) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    if table.note:
        out.append(f'<p class="note"><em>Note.</em> {e(table.note)}</p>')
    out.append("</figure>")
    return "\n".join(out) + "\n"


def not_run_text(item: NotRun) -> str:
    """One line for a table that could not be made."""
    return f"{item.title}: {item.reason}."
