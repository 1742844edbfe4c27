"""Join the clean survey to archival firm data (Orbis) and derive the firm controls.

:func:`merge_archival` left-joins the survey (one row per kept response) to the archival
table (one row per firm) by firm id, reports unmatched firms on both sides, and derives

==================  ====================================================================
column              definition
==================  ====================================================================
``log_employees``   :math:`\\ln(\\text{employees})`; missing when employees <= 0 or missing
``firm_age``        survey year - ``founding_year``; the survey year is the year of
                    ``recorded`` (submission); missing when negative or unknown
``industry``        NACE Rev. 2 division, two digits as text (``"25"``)
``industry_group``  Eurostat technology-intensity group of the manufacturing division:
                    ``high`` (21, 26), ``medium_high`` (20, 27-30), ``medium_low`` (19,
                    22-25, 33), ``low`` (10-18, 31, 32); ``non_manufacturing`` otherwise
``country``         from the archival data (``country``, ``country_iso``)
==================  ====================================================================

Financial variables are winsorised at the configured quantiles of the analysis sample
(matched firms) and **never imputed**: a missing value stays missing and is counted in
the report (docs/methods.md 1.9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from leanlearn.spec.codebook import FIRM_ID
from leanlearn.errors import DataError, SpecError
from leanlearn.data.ingest import coerce_numeric, id_text

__all__ = ["MergeResult", "merge_archival", "nace_division", "industry_group", "winsorize", "ARCHIVAL_REQUIRED"]

ARCHIVAL_REQUIRED = (FIRM_ID, "employees", "founding_year", "nace2")
_TECH_GROUPS = {
    "high": {21, 26},
    "medium_high": {20, 27, 28, 29, 30},
    "medium_low": {19, 22, 23, 24, 25, 33},
    "low": {10, 11, 12, 13, 14, 15, 16, 17, 18, 31, 32},
}


@dataclass(frozen=True)
class MergeResult:
    """Output of :func:`merge_archival`.

    Attributes
    ----------
    data : DataFrame
        The survey rows (same order) with the archival columns (``bvd_id``, ``country``,
        ``country_iso``, ``nace2``, ``employees``, financials winsorised,
        ``founding_year``; a name already in the survey gets the suffix ``_archival``)
        and the derived ``log_employees``, ``firm_age``, ``industry``,
        ``industry_group``, ``survey_year``.
    unmatched : DataFrame
        ``firm_id``, ``side`` (survey | archival), ``reason``.
    report : DataFrame
        Long format: ``section`` (match | read | coverage | controls | winsorize), ``variable``,
        ``quantity``, ``value``.
    """

    data: pd.DataFrame
    unmatched: pd.DataFrame
    report: pd.DataFrame


def nace_division(code: object) -> str | float:
    """Two-digit NACE Rev. 2 division from a code such as ``25``, ``"2511"``, ``"25.11"``, ``"C25"``.

    Codes of one or two digits are zero-padded (``5`` -> ``"05"``); longer codes keep their
    first two digits. Missing or digit-less codes give NaN.
    """
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return np.nan
    if isinstance(code, (float, np.floating)) and float(code).is_integer():
        code = int(code)
    text = str(code).strip()
    head = text.split(".")[0]
    digits = re.sub(r"\D", "", head)
    if not digits:
        return np.nan
    return digits.zfill(2) if len(digits) <= 2 else digits[:2]


def industry_group(division: object) -> str | float:
    """Eurostat technology-intensity group of a two-digit NACE division (see module docstring)."""
    if not isinstance(division, str):
        return np.nan
    d = int(division)
    for name, divisions in _TECH_GROUPS.items():
        if d in divisions:
            return name
    return "non_manufacturing"


def winsorize(values: pd.Series, *, limits: tuple[float, float]) -> tuple[pd.Series, dict]:
    """Clip values to their ``limits`` quantiles (missing values stay missing).

    .. math:: x^w = \\min(\\max(x, q_{lo}), q_{hi})

    with :math:`q` the sample quantiles (linear interpolation, ``numpy.quantile``) of the
    non-missing values.

    Returns
    -------
    clipped : Series
    info : dict
        ``lower_bound``, ``upper_bound``, ``n_clipped_low``, ``n_clipped_high``,
        ``n_missing``.
    """
    lo_q, hi_q = limits
    if not 0 <= lo_q < hi_q <= 1:
        raise SpecError(f"archival_merge.winsorize: expected two quantiles 0 <= lower < upper <= 1, got {list(limits)}")
    v = values.astype(float)
    observed = v.dropna()
    if observed.empty:
        return v, {"lower_bound": np.nan, "upper_bound": np.nan, "n_clipped_low": 0, "n_clipped_high": 0,
                   "n_missing": int(v.isna().sum())}
    lo, hi = np.quantile(observed, [lo_q, hi_q])
    info = {
        "lower_bound": float(lo),
        "upper_bound": float(hi),
        "n_clipped_low": int((v < lo).sum()),
        "n_clipped_high": int((v > hi).sum()),
        "n_missing": int(v.isna().sum()),
    }
    return v.clip(lower=lo, upper=hi), info


def _ids(series: pd.Series) -> pd.Series:
    return series.map(lambda v: np.nan if pd.isna(v) else id_text(v)).astype(object)


def _id_shape(ids: set) -> str:
    """How a set of ids looks, without showing one: lengths and character classes."""
    if not ids:
        return "none"
    lengths = sorted({len(str(i)) for i in ids})
    span = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
    classes = []
    if any(any(c.isalpha() for c in str(i)) for i in ids):
        classes.append("letters")
    if any(any(c.isdigit() for c in str(i)) for i in ids):
        classes.append("digits")
    if any(any(not c.isalnum() for c in str(i)) for i in ids):
        classes.append("other characters")
    return f"{span} characters ({', '.join(classes)})"


def merge_archival(
    survey: pd.DataFrame,
    archival: pd.DataFrame,
    *,
    frame: pd.DataFrame | None = None,
    winsorize_limits: tuple[float, float] = (0.01, 0.99),
    financials: Sequence[str] = ("revenue_usd_th",),
    survey_year: int | None = None,
    source: str = "archival data",
) -> MergeResult:
    """Join the survey to archival firm data and derive the controls.

    Parameters
    ----------
    survey : DataFrame
        Clean survey data with ``firm_id`` and, for ``firm_age``, ``recorded``.
    archival : DataFrame
        One row per firm: ``firm_id``, ``employees``, ``founding_year``, ``nace2`` (and
        ``bvd_id``, ``country``, ``country_iso``, financials). Numeric cells are checked
        (a non-numeric cell raises DataError naming ``source``, column and row). Thousands
        separators follow the file's locale (:func:`leanlearn.data.ingest.coerce_numeric`:
        ``"1,234"`` in a comma-delimited file is 1234); each separator read is reported
        (section ``read``).
    frame : DataFrame, optional
        Sampling frame (all invited firms, ``firm_id``): refines the reasons for
        unmatched firms.
    winsorize_limits : (float, float)
        Quantiles for winsorising ``financials``.
    financials : sequence of str
        Archival financial columns: winsorised, never imputed.
    survey_year : int, optional
        Used for ``firm_age`` when a response has no ``recorded`` date.
    source : str
        Name of the archival file, for messages.

    Returns
    -------
    MergeResult

    Raises
    ------
    DataError
        Missing columns, firm ids missing or repeated in the archival file, a non-numeric
        archival number (named by column and row, the cell not shown), no survey rows, or
        **no survey firm matched** (``0 firms matched: ...`` with the number of firms on
        each side and the form of their ids).
    """
    if FIRM_ID not in survey.columns:
        raise DataError("the survey data have no 'firm_id' column; run 'leanlearn ingest' and 'screen' first")
    arch, number_notes = _checked_archival(archival, financials, source)

    surv = survey.copy()
    surv[FIRM_ID] = _ids(surv[FIRM_ID])
    survey_firms = set(surv[FIRM_ID].dropna())
    archival_firms = set(arch[FIRM_ID])
    frame_firms = set(_ids(frame[FIRM_ID]).dropna()) if frame is not None and FIRM_ID in frame.columns else None
    if frame is not None and frame_firms is None:
        raise DataError("the sampling frame has no 'firm_id' column")
    _check_some_match(surv, survey_firms, archival_firms, source)
    unmatched = _unmatched_firms(surv, survey_firms, archival_firms, frame_firms)

    # -- join
    rename = {c: f"{c}_archival" for c in arch.columns if c != FIRM_ID and c in surv.columns}
    arch = arch.rename(columns=rename)
    merged = surv.merge(arch, on=FIRM_ID, how="left", validate="many_to_one", sort=False)

    report: list[tuple[str, str, str, object]] = [
        ("match", "", "n_survey_responses", len(surv)),
        ("match", "", "n_survey_firms", len(survey_firms)),
        ("match", "", "n_archival_firms", len(archival_firms)),
        ("match", "", "n_matched_firms", len(survey_firms & archival_firms)),
        ("match", "", "n_survey_firms_unmatched", len(survey_firms - archival_firms)),
        ("match", "", "n_archival_firms_unmatched", len(archival_firms - survey_firms)),
    ]
    if frame_firms is not None:
        report.append(("match", "", "n_frame_firms", len(frame_firms)))
    for note in number_notes:
        report.append(("read", note.split("'")[1] if "'" in note else "", "number_format", note))

    report += _derive_controls(merged, rename, survey_year)
    report += _winsorize_financials(merged, financials, rename, winsorize_limits)

    # -- coverage (missing stays missing)
    coverage = [c for c in arch.columns if c != FIRM_ID] + ["log_employees", "firm_age", "industry", "country"]
    for col in dict.fromkeys(coverage):
        if col in merged.columns:
            report.append(("coverage", col, "n_missing", int(merged[col].isna().sum())))

    return MergeResult(
        data=merged,
        unmatched=unmatched,
        report=pd.DataFrame(report, columns=["section", "variable", "quantity", "value"]),
    )


def _checked_archival(
    archival: pd.DataFrame, financials: Sequence[str], source: str
) -> tuple[pd.DataFrame, list[str]]:
    """The archival table with text firm ids (present, unique) and numeric columns checked.

    Returns the copy and the notes on the thousands separators read.
    """
    missing = [c for c in (*ARCHIVAL_REQUIRED, *financials) if c not in archival.columns]
    if missing:
        raise DataError(
            f"{source}: column(s) {', '.join(missing)} missing from the archival file; it needs "
            f"{', '.join((*ARCHIVAL_REQUIRED, *financials))} (set archival_merge.financials for other financials)"
        )
    arch = archival.copy()
    arch[FIRM_ID] = _ids(arch[FIRM_ID])
    if arch[FIRM_ID].isna().any():
        raise DataError(f"{source}: {int(arch[FIRM_ID].isna().sum())} row(s) without a firm_id; fill them in or remove them")
    dups = arch[FIRM_ID][arch[FIRM_ID].duplicated()].unique()
    if len(dups):
        raise DataError(
            f"{source}: firm_id(s) {', '.join(map(str, dups[:10]))} appear more than once; the archival file "
            "needs one row per firm"
        )
    number_notes: list[str] = []
    for col in ("employees", "founding_year", *financials):
        arch[col] = coerce_numeric(
            archival, col, what="archival number", source=source,
            fix="Archival values must be numbers; fix the cell or leave it empty (missing).", notes=number_notes,
        ).to_numpy()
    return arch, number_notes


def _check_some_match(surv: pd.DataFrame, survey_firms: set, archival_firms: set, source: str) -> None:
    """Refuse an empty survey and a merge in which no survey firm is in the archival file."""
    if len(surv) == 0:
        raise DataError("0 survey responses to merge: the screened survey data have no rows")
    if not survey_firms & archival_firms:
        n_no_id = int(surv[FIRM_ID].isna().sum())
        raise DataError(
            f"{source}: 0 firms matched: none of the {len(survey_firms)} firm id(s) of the {len(surv)} survey "
            f"response(s){f' ({n_no_id} without a firm id)' if n_no_id else ''} is among the {len(archival_firms)} "
            f"firm id(s) of the archival file. Both files must use the same firm ids (column 'firm_id'; "
            f"survey ids {_id_shape(survey_firms)}, archival ids {_id_shape(archival_firms)}); check the codebook's "
            "identifiers.firm_id and the archival file."
        )


def _unmatched_firms(
    surv: pd.DataFrame, survey_firms: set, archival_firms: set, frame_firms: set | None
) -> pd.DataFrame:
    """The firms without a partner on the other side, with the reason (``firm_id``, ``side``, ``reason``)."""
    rows = []
    n_no_id = int(surv[FIRM_ID].isna().sum())
    if n_no_id:
        rows.append({FIRM_ID: "", "side": "survey", "reason": f"{n_no_id} response(s) without a firm id"})
    for f in sorted(survey_firms - archival_firms):
        rows.append({FIRM_ID: f, "side": "survey", "reason": "no archival record; its controls stay missing"})
    if frame_firms is not None:
        for f in sorted(survey_firms - frame_firms):
            rows.append({FIRM_ID: f, "side": "survey", "reason": "not in the sampling frame"})
    for f in sorted(archival_firms - survey_firms):
        if frame_firms is None:
            reason = "no kept survey response"
        elif f in frame_firms:
            reason = "invited (in the sampling frame) but no kept survey response"
        else:
            reason = "not in the sampling frame"
        rows.append({FIRM_ID: f, "side": "archival", "reason": reason})
    return pd.DataFrame(rows, columns=[FIRM_ID, "side", "reason"])


def _derive_controls(
    merged: pd.DataFrame, rename: dict[str, str], survey_year: int | None
) -> list[tuple[str, str, str, object]]:
    """Add ``log_employees``, ``survey_year``, ``firm_age``, ``industry``, ``industry_group``
    (and ``country`` from ``country_iso``) to ``merged`` in place; the report rows."""
    report: list[tuple[str, str, str, object]] = []
    employees = merged[rename.get("employees", "employees")].astype(float)
    nonpositive = employees <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["log_employees"] = np.log(employees.where(~nonpositive))
    report.append(("controls", "log_employees", "n_employees_nonpositive_set_missing", int(nonpositive.sum())))

    if "recorded" in merged.columns:
        year = pd.to_datetime(merged["recorded"], errors="coerce").dt.year.astype(float)
        year_source = "recorded"
    else:
        year = pd.Series(np.nan, index=merged.index)
        year_source = "none"
    if survey_year is not None:
        if year.isna().any():
            year_source = f"{year_source}; survey_year={survey_year} where recorded is missing"
        year = year.fillna(float(survey_year))
    merged["survey_year"] = year
    age = year - merged[rename.get("founding_year", "founding_year")].astype(float)
    negative = age < 0
    merged["firm_age"] = age.where(~negative)
    report.append(("controls", "firm_age", "survey_year_source", year_source))
    report.append(("controls", "firm_age", "n_negative_set_missing", int(negative.sum())))

    merged["industry"] = merged[rename.get("nace2", "nace2")].map(nace_division).astype(object)
    merged["industry_group"] = merged["industry"].map(industry_group).astype(object)
    if "country" not in merged.columns and "country_iso" in merged.columns:
        merged["country"] = merged["country_iso"]
    return report


def _winsorize_financials(
    merged: pd.DataFrame,
    financials: Sequence[str],
    rename: dict[str, str],
    winsorize_limits: tuple[float, float],
) -> list[tuple[str, str, str, object]]:
    """Winsorise the financial columns of ``merged`` in place (never impute); the report rows."""
    report: list[tuple[str, str, str, object]] = []
    for col in financials:
        name = rename.get(col, col)
        lower, upper = winsorize_limits
        merged[name], info = winsorize(merged[name], limits=(lower, upper))
        report.append(("winsorize", name, "lower_quantile", float(winsorize_limits[0])))
        report.append(("winsorize", name, "upper_quantile", float(winsorize_limits[1])))
        for key, value in info.items():
            report.append(("winsorize", name, key, value))
    return report
