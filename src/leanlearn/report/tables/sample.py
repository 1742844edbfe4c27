"""Tables of the sample: the screening flow and response, item descriptives, construct correlations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from leanlearn.report.tables.cells import Table, _f, _int, _need, _pct, _thr, label
from leanlearn.report.tables.registry import SOURCES


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
        q: dict[str, Any] = dict(zip(response["quantity"], response["value"]))
        if "n_responding_units" in q:
            units = int(q["n_responding_units"])
            return units / float(q.get("n_frame", n_frame)), units
    f = flow.set_index("step")
    n_after, n_excluded = f["n_after"].astype(float), f["n_excluded"].astype(float)
    units = int(n_after["responses_in"]) - (int(n_excluded["duplicates"]) if "duplicates" in f.index else 0)
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
    _need(items, ["item", "construct", "n", "mean", "sd", "min", "max", "skewness", "excess_kurtosis"], "descriptives/items.csv")
    rows = []
    for r in items.itertuples():
        rows.append((
            str(r.item), str(r.construct), _int(r.n), _f(r.mean, 2), _f(r.sd, 2), f"{_f(r.min, 0)}–{_f(r.max, 0)}",
            _f(r.skewness, 2), _f(r.excess_kurtosis, 2), _pct(getattr(r, "share_missing", None)),
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
