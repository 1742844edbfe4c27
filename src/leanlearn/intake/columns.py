"""Guessing what each column of a survey export is (:func:`classify_columns`) and which items look
reverse-keyed (:func:`suspect_reverse`); the first step of ``leanlearn init``.

The rules are documented in :mod:`leanlearn.intake.draft`, which re-exports these names. No
cell value of a column that may hold personal data appears in an output (only counts).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "classify_columns", "suspect_reverse", "question_texts"]

#: columns of the table returned by :func:`classify_columns`
COLUMNS = (
    "column",      # name in the export
    "kind",        # identifier | paradata | page_timer | personal | item | covariate | ignore
    "name",        # what it becomes: item id, paradata key, covariate name, personal kind
    "group",       # item group (drafted construct) for items; empty otherwise
    "action",      # keep | drop | hash | ignore
    "n_valid",     # non-missing cells
    "n_missing",   # missing cells (blank, or a missing-value code)
    "codes",       # observed codes of an item or numeric covariate ("1-7"); never values of text columns
    "label",       # question text or variable label from the export
    "note",        # why it was classified this way, what to check
)

_RESPONDENT_ID = {"responseid", "respondentid", "respondent", "case", "caseid", "id", "respid", "lfdn", "recordid", "record", "responseno"}
_PARADATA = {
    "start": {"startdate", "started", "starttime", "start", "startedat"},
    "end": {"enddate", "endtime", "end", "lastdata", "endedat"},
    "recorded": {"recordeddate", "submitdate", "submitted", "datestamp", "submittedat", "recorded"},
    "duration_seconds": {"durationinseconds", "duration", "durationseconds", "timesum", "totaltime"},
    "progress": {"progress"},
    "finished": {"finished", "complete", "completed"},
    "wave": {"wave"},
}
_TOOL_COLUMNS = {
    "status", "distributionchannel", "userlanguage", "qviewer", "lastpage", "maxpage", "missing", "missrel",
    "timersi", "degtime", "mode", "questnnr", "ref", "startlanguage", "seed", "refurl", "interviewtime",
    "qualtricsid", "externaldatareference",
}
_PERSONAL_NAMES = {
    "email": {"email", "e-mail", "mail", "emailaddress", "recipientemail"},
    "ip_address": {"ipaddress", "ip", "ipaddr"},
    "name": {"name", "firstname", "lastname", "surname", "fullname", "recipientfirstname", "recipientlastname",
             "vorname", "nachname", "givenname", "familyname"},
    "phone": {"phone", "telephone", "tel", "mobile", "phonenumber", "cellphone"},
    "location": {"latitude", "longitude", "locationlatitude", "locationlongitude", "lat", "lon", "lng", "address",
                 "street", "zip", "zipcode", "postcode", "postalcode", "geolocation"},
    "external_id": {"externalreference", "externalref", "serial", "panelid", "workerid", "prolificpid", "mturkid"},
}
_DEMOGRAPHICS = {
    "age", "gender", "sex", "education", "income", "occupation", "country", "region", "tenure", "experience",
    "industry", "sector", "employees", "size", "position", "role", "department", "marital", "household", "nphh",
    "ethnicity", "nationality", "language", "job", "function", "seniority", "yearsofexperience", "type",
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_IPV4_RE = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")
_IPV6_RE = re.compile(r"^[0-9A-Fa-f:]{6,}$")
_PERSON_NAME_RE = re.compile(r"^[A-ZÀ-Þ][a-zß-ÿ'’-]+( [A-ZÀ-Þ][a-zß-ÿ'’-]+){0,2}$")
_ITEM_SEP_RE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9]*?)[_.](?P<idx>\d+)$")
_ITEM_JOINED_RE = re.compile(r"^(?P<prefix>[A-Za-z]{2,})(?P<idx>\d+)$")
_QUESTION_RE = re.compile(r"^Q\d+$", re.IGNORECASE)
_TIMER_RE = re.compile(r"^(?P<prefix>.+?)_timer_(?P<what>.+)$", re.IGNORECASE)
_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_MISSING_LABEL_RE = re.compile(r"missing|not answered|no answer|don.t know|refused|keine angabe|weiß nicht|n/?a\b", re.IGNORECASE)
MAX_CODES = 11


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t}


def _numeric(series: pd.Series) -> pd.Series:
    """Cells as floats (decimal commas allowed); non-numbers become NaN."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip().str.replace(r"^([-+]?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _text_cells(series: pd.Series) -> pd.Series:
    s = series.dropna()
    return s.astype(str).str.strip().loc[lambda x: x != ""]


def question_texts(header_row: Mapping[str, Any] | None, info: Mapping) -> dict[str, str]:
    """Column -> question text: Qualtrics' question-text header row, else SPSS/Stata variable labels."""
    out = {str(k): str(v).strip() for k, v in (info.get("column_labels") or {}).items() if v}
    for k, v in (header_row or {}).items():
        if isinstance(v, str) and v.strip() and v.strip() != str(k):
            out[str(k)] = v.strip()
    return out


# ---- column classification ------------------------------------------------------------------
def _item_key(column: str) -> tuple[str, int] | None:
    m = _ITEM_SEP_RE.match(column)
    if m:
        return m.group("prefix"), int(m.group("idx"))
    m = _ITEM_JOINED_RE.match(column)
    if m and not _QUESTION_RE.match(column):
        return m.group("prefix"), int(m.group("idx"))
    return None


def _codes(values: pd.Series, labels: Mapping | None) -> tuple[pd.Series, list[float]]:
    """Split numeric cells into scale codes and missing-value codes."""
    v = values.dropna()
    missing_codes: set[float] = set()
    for code, lab in (labels or {}).items():
        if isinstance(lab, str) and _MISSING_LABEL_RE.search(lab) and isinstance(code, (int, float)):
            missing_codes.add(float(code))
    pos = v[(v >= 0) & ~v.isin(missing_codes)]
    if len(pos):
        hi = pos[pos < 90].max() if (pos < 90).any() else pos.max()
        for c in v.unique():
            if c < 0 and (v >= 0).any():
                missing_codes.add(float(c))
            elif c >= 90 and hi <= MAX_CODES:
                missing_codes.add(float(c))
    return v[~v.isin(missing_codes)], sorted(missing_codes)


def _range(codes: pd.Series) -> str:
    if not len(codes):
        return ""
    lo, hi = codes.min(), codes.max()
    fmt = (lambda x: str(int(x))) if float(lo).is_integer() and float(hi).is_integer() else (lambda x: f"{x:g}")
    return f"{fmt(lo)}-{fmt(hi)}"


def _personal_by_content(series: pd.Series) -> tuple[str | None, str]:
    cells = _text_cells(series)
    if not len(cells):
        return None, ""
    n = len(cells)
    share_email = cells.str.match(_EMAIL_RE).mean()
    if share_email >= 0.5:
        return "email", f"{share_email:.0%} of the {n} filled cells look like e-mail addresses"
    share_ip = (cells.str.match(_IPV4_RE) | (cells.str.contains(":") & cells.str.match(_IPV6_RE))).mean()
    if share_ip >= 0.5:
        return "ip_address", f"{share_ip:.0%} of the {n} filled cells look like IP addresses"
    if _numeric(cells).notna().mean() >= 0.9:
        return None, ""
    distinct = cells.nunique() / n
    share_name = cells.str.match(_PERSON_NAME_RE).mean()
    words = cells.map(lambda t: len(str(t).split()))
    two_words = (words >= 2).mean()
    if share_name >= 0.8 and (distinct >= 0.5 or (two_words >= 0.8 and distinct >= 0.2)) and cells.str.len().mean() <= 30 and n >= 5:
        return "name", f"{share_name:.0%} of the {n} filled cells look like personal names"
    if (words.mean() >= 3 or cells.str.len().mean() >= 25) and distinct >= 0.5:
        return "free_text", f"free text ({distinct:.0%} of the {n} filled cells distinct, {words.mean():.1f} words on average)"
    return None, ""


def classify_columns(raw: pd.DataFrame, info: Mapping | None = None, texts: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Guess what every column of a survey export is.

    Parameters
    ----------
    raw : DataFrame
        The export as read by :func:`leanlearn.data.ingest.read_export` (untouched cells).
    info : mapping, optional
        :func:`leanlearn.data.ingest.read_info` of it (value labels of SPSS/Stata files).
    texts : mapping, optional
        Column -> question text (:func:`question_texts`).

    Returns
    -------
    DataFrame
        One row per column, in export order, with the columns :data:`COLUMNS`. For
        personal and free-text columns ``codes`` is empty: no cell value is reported.
    """
    info = dict(info or {})
    texts = dict(texts or {})
    value_labels = info.get("value_labels") or {}
    candidates: dict[str, tuple[str, int]] = {}
    for col in raw.columns:
        key = _item_key(str(col))
        if key:
            candidates[str(col)] = key
    group_sizes: dict[str, int] = {str(k): int(v) for k, v in pd.Series([p for p, _ in candidates.values()]).value_counts().items()}
    rows = []
    id_found = False
    for col in raw.columns:
        col = str(col)
        s = raw[col]
        norm, toks = _norm(col), _tokens(col)
        nums = _numeric(s)
        filled = s.notna() & (s.astype(str).str.strip() != "")
        n_filled = int(filled.sum())
        numeric_share = float(nums[filled].notna().mean()) if n_filled else 0.0
        row = dict(column=col, kind="ignore", name="", group="", action="ignore", n_valid=n_filled,
                   n_missing=int(len(s) - n_filled), codes="", label=texts.get(col, ""), note="")
        if _personal_column(row, s, norm, toks):
            pass
        elif not id_found and norm in _RESPONDENT_ID and s.dropna().is_unique and n_filled == len(s):
            id_found = True
            row.update(kind="identifier", name="respondent_id", action="keep", note="unique per row")
        elif _tool_column(row, col, norm, nums, numeric_share):
            pass
        elif n_filled and numeric_share == 1.0:
            _numeric_column(row, s, nums, value_labels.get(col), norm, toks, candidates, group_sizes)
        else:
            _text_column(row, s, n_filled)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _personal_column(row: dict, s: pd.Series, norm: str, toks: set[str]) -> bool:
    """Mark ``row`` personal (action drop) when the column's name or content suggests personal data."""
    personal_kind = next((k for k, names in _PERSONAL_NAMES.items() if norm in names), None)
    if personal_kind is None and toks & {"email", "mail"}:
        personal_kind = "email"
    content_kind, content_why = _personal_by_content(s)
    if not (personal_kind or content_kind):
        return False
    kind = str(personal_kind or content_kind)
    why = f"column name suggests {kind.replace('_', ' ')}" if personal_kind else content_why
    if personal_kind and content_kind and content_kind != personal_kind:
        why += f"; content looks like {content_kind.replace('_', ' ')}"
    row.update(kind="personal", name=kind, action="drop", codes="",
               note=why + "; dropped before anything is written (or action: hash for a salted pseudonym)")
    return True


def _tool_column(row: dict, col: str, norm: str, nums: pd.Series, numeric_share: float) -> bool:
    """Mark ``row`` as paradata, a page timer or survey-tool bookkeeping, by the column's name."""
    para = next((k for k, names in _PARADATA.items() if norm in names), None)
    if para:
        row.update(kind="paradata", name=para, action="keep", codes=_range(nums.dropna()) if numeric_share == 1 else "",
                   note=f"paradata ({para}) by its name")
        return True
    tm = _TIMER_RE.match(col)
    if tm or re.match(r"^TIME\d{3}$", col):
        what = tm.group("what").lower() if tm else ""
        if tm and what.replace(" ", "") == "pagesubmit":
            row.update(kind="page_timer", name=tm.group("prefix"), action="keep",
                       note=f"page-submit timer of block {tm.group('prefix')} (seconds on the page)")
        else:
            row.update(note="survey-tool timer (not used)")
        return True
    if norm in _TOOL_COLUMNS:
        row.update(note="survey-tool bookkeeping (not used)")
        return True
    return False


def _numeric_column(row: dict, s: pd.Series, nums: pd.Series, labels, norm: str, toks: set[str],
                    candidates: Mapping[str, tuple[str, int]], group_sizes: Mapping[str, int]) -> None:
    """Classify a column whose filled cells are all numbers: an item of a group, else a covariate."""
    col = row["column"]
    codes, missing_codes = _codes(nums, labels)
    whole = bool(len(codes)) and bool((codes == codes.round()).all())
    n_codes = int(codes.max() - codes.min() + 1) if whole else 0
    n_miss_codes = int(nums.isin(missing_codes).sum())
    row["n_valid"] = int(len(codes))
    row["n_missing"] = int(len(s) - len(codes))
    row["codes"] = _range(codes)
    miss_note = (f"; code(s) {', '.join(f'{c:g}' for c in missing_codes)} taken as missing ({n_miss_codes} cells)"
                 if missing_codes else "")
    item_like = whole and 2 <= n_codes <= MAX_CODES
    demographic = bool(toks & _DEMOGRAPHICS) or norm in _DEMOGRAPHICS
    if col in candidates and item_like and not demographic:
        prefix = candidates[col][0]
        row.update(kind="item", name=col if _NAME_OK.match(col) else re.sub(r"\W", "_", col), group=prefix,
                   action="keep",
                   note=f"item of group {prefix} ({group_sizes.get(prefix, 1)} item(s)){miss_note}")
    else:
        categorical = bool(labels) or (whole and codes.nunique() <= 10 and demographic and norm not in {"age", "tenure", "experience", "employees", "income"})
        row.update(kind="covariate", name=_safe_name(col), action="keep",
                   note=("categorical" if categorical else "numeric") + f" covariate{miss_note}")
        row["codes"] = row["codes"] if not categorical else f"{codes.nunique()} levels"


def _text_column(row: dict, s: pd.Series, n_filled: int) -> None:
    """Classify a text (or empty) column: a categorical covariate when it has few levels, else unused."""
    if n_filled:
        cells = _text_cells(s)
        levels = cells.nunique()
        if levels <= 20 and levels <= max(2, 0.5 * len(cells)):
            row.update(kind="covariate", name=_safe_name(row["column"]), action="keep", codes=f"{levels} levels",
                       note="categorical covariate (text)")
        else:
            row.update(note=f"text column with {levels} distinct values, not used (add it to personal_data if it identifies someone)")
    else:
        row.update(note="empty column")


def _safe_name(col: str) -> str:
    s = re.sub(r"\W+", "_", str(col)).strip("_")
    return s if s and not s[0].isdigit() else f"v_{s}"


# ---- reverse keying ----------------------------------------------------------------------------
def suspect_reverse(data: pd.DataFrame) -> pd.DataFrame:
    """Items of one group that look reverse-keyed (negative corrected item-rest correlation).

    Repeatedly flips the item with the most negative corrected item-rest correlation
    (correlation of the item with the mean of the *other* items, pairwise complete cases,
    the other items taken as currently keyed) until none is negative. This recovers the
    minority of reverse-worded items whether there are one or several of them.

    Parameters
    ----------
    data : DataFrame
        The items of one group (numeric, missing as NaN), at least three columns.

    Returns
    -------
    DataFrame
        Columns ``item``, ``item_rest_r`` (before any flip) and ``suspected`` (bool).
    """
    items = list(data.columns)
    x = data.astype(float)
    sign = {c: 1.0 for c in items}

    def item_rest(c):
        rest = pd.concat([x[o] * sign[o] for o in items if o != c], axis=1).mean(axis=1)
        pair = pd.concat([x[c] * sign[c], rest], axis=1).dropna()
        if len(pair) < 3 or pair.iloc[:, 0].std() == 0 or pair.iloc[:, 1].std() == 0:
            return math.nan
        return float(np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1])

    before = {c: item_rest(c) for c in items}
    if len(items) >= 3:
        for _ in range(len(items) // 2):
            r = {c: item_rest(c) for c in items}
            worst = min((c for c in items if not math.isnan(r[c])), key=lambda c: r[c], default=None)
            if worst is None or r[worst] >= 0:
                break
            sign[worst] = -sign[worst]
    return pd.DataFrame({"item": items, "item_rest_r": [before[c] for c in items],
                         "suspected": [sign[c] < 0 for c in items]})
