"""Draft a study folder from a survey export (``leanlearn init``).

:func:`classify_columns` looks at every column of a raw export (as read by
:func:`leanlearn.data.ingest.read_export`) and guesses what it is; :func:`draft_study`
turns that guess into the texts of a draft codebook, model skeleton and config. The user
edits the draft; ``leanlearn check`` then validates it against the data. Nothing here
reads or writes files, and no cell value of a column that may hold personal data ever
appears in an output (only counts).

What is guessed, and from what
------------------------------
identifier
    the respondent id: a column named like ``ResponseId``, ``CASE``, ``id``,
    ``respondent_id`` whose values are unique.
paradata
    start/end/submission times, duration, progress, finished flag, wave, by name
    (Qualtrics, SoSci Survey and LimeSurvey spellings); Qualtrics page timers
    (``Q2_timer_Page Submit``) are tied to the items of the block with the same prefix.
    Other survey-tool bookkeeping (``Status``, ``UserLanguage``, click counts ...) is listed
    as ``ignore``.
personal
    e-mail addresses, IP addresses, names, phone numbers, locations and free text, by
    column name *and* by content (share of cells that look like an e-mail or IP address;
    text of several words with mostly distinct values). Action ``drop`` (``hash`` keeps a
    salted pseudonym instead, see ``docs/methods.md``).
item
    a column whose cells are all whole numbers on a short range (at most 11 codes, e.g.
    1-5, 1-7, 0-10) and whose name has a block prefix and an item number: ``BF01_01``,
    ``Q2_1``, ``csor_3``, ``LP4``. Items sharing a prefix form one item group, drafted as
    one construct. Codes far outside the others (negative codes such as -99 or -9, or 90
    and above on a short scale) are taken as missing-value codes, not as scale points.
scale
    from the observed codes of the group (or the SPSS/Stata value labels when present).
reverse-keyed (suggested)
    within a group of at least three items: the item with the most negative corrected
    item-rest correlation is flipped, and so on until no item-rest correlation is below
    zero. Each flipped item is drafted as ``reverse: true`` with a ``CHECK`` comment giving
    its item-rest correlation, listed in the summary: the wording must confirm it.
covariate
    demographics and other questions that are not items (``age``, ``gender``, a single
    question ``Q12`` ...): categorical when text or when it has value labels or few codes,
    numeric otherwise. Covariates can be controls and grouping variables.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "Draft", "classify_columns", "suspect_reverse", "draft_study", "question_texts"]

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
    two_words = (cells.str.split().str.len() >= 2).mean()
    if share_name >= 0.8 and (distinct >= 0.5 or (two_words >= 0.8 and distinct >= 0.2)) and cells.str.len().mean() <= 30 and n >= 5:
        return "name", f"{share_name:.0%} of the {n} filled cells look like personal names"
    words = cells.str.split().str.len()
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
    rows = []
    id_found = False
    candidates: dict[str, tuple[str, int]] = {}
    for col in raw.columns:
        key = _item_key(str(col))
        if key:
            candidates[str(col)] = key
    group_sizes = pd.Series([p for p, _ in candidates.values()]).value_counts().to_dict() if candidates else {}

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

        personal_kind = next((k for k, names in _PERSONAL_NAMES.items() if norm in names), None)
        if personal_kind is None and toks & {"email", "mail"}:
            personal_kind = "email"
        content_kind, content_why = _personal_by_content(s)
        if personal_kind or content_kind:
            kind = personal_kind or content_kind
            why = f"column name suggests {kind.replace('_', ' ')}" if personal_kind else content_why
            if personal_kind and content_kind and content_kind != personal_kind:
                why += f"; content looks like {content_kind.replace('_', ' ')}"
            row.update(kind="personal", name=kind, action="drop", codes="",
                       note=why + "; dropped before anything is written (or action: hash for a salted pseudonym)")
            rows.append(row)
            continue
        if not id_found and norm in _RESPONDENT_ID and s.dropna().is_unique and n_filled == len(s):
            id_found = True
            row.update(kind="identifier", name="respondent_id", action="keep", note="unique per row")
            rows.append(row)
            continue
        para = next((k for k, names in _PARADATA.items() if norm in names), None)
        if para:
            row.update(kind="paradata", name=para, action="keep", codes=_range(nums.dropna()) if numeric_share == 1 else "",
                       note=f"paradata ({para}) by its name")
            rows.append(row)
            continue
        tm = _TIMER_RE.match(col)
        if tm or re.match(r"^TIME\d{3}$", col):
            what = tm.group("what").lower() if tm else ""
            if tm and what.replace(" ", "") == "pagesubmit":
                row.update(kind="page_timer", name=tm.group("prefix"), action="keep",
                           note=f"page-submit timer of block {tm.group('prefix')} (seconds on the page)")
            else:
                row.update(note="survey-tool timer (not used)")
            rows.append(row)
            continue
        if norm in _TOOL_COLUMNS:
            row.update(note="survey-tool bookkeeping (not used)")
            rows.append(row)
            continue
        labels = value_labels.get(col)
        if n_filled and numeric_share == 1.0:
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
            rows.append(row)
            continue
        if n_filled:
            cells = _text_cells(s)
            levels = cells.nunique()
            if levels <= 20 and levels <= max(2, 0.5 * len(cells)):
                row.update(kind="covariate", name=_safe_name(col), action="keep", codes=f"{levels} levels",
                           note="categorical covariate (text)")
            else:
                row.update(note=f"text column with {levels} distinct values, not used (add it to personal_data if it identifies someone)")
        else:
            row.update(note="empty column")
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


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


# ---- the draft -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    """A drafted study: file texts and what was guessed.

    Attributes
    ----------
    columns : DataFrame
        :func:`classify_columns`, plus ``reverse_suspected`` (bool) and ``item_rest_r``.
    codebook, model, config : str
        Texts of ``codebook.yaml``, ``model.lav`` and ``config.yaml`` (YAML with comments).
    todo : tuple of str
        What the user must do or check before the study can run, in order.
    """

    columns: pd.DataFrame
    codebook: str
    model: str
    config: str
    todo: tuple[str, ...]


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _split_stem(texts: list[str]) -> tuple[str, list[str]]:
    """Qualtrics matrix texts 'Stem - Statement': common stem and the statements."""
    parts = [t.rsplit(" - ", 1) if " - " in t else [None, t] for t in texts]
    stems = {p[0] for p in parts}
    if len(stems) == 1 and None not in stems and texts:
        return parts[0][0], [p[1] for p in parts]
    return "", texts


def _construct_name(prefix: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", prefix).upper()
    if not _NAME_OK.match(base):
        base = "C_" + base
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def draft_study(raw: pd.DataFrame, info: Mapping | None = None, *, texts: Mapping[str, str] | None = None,
                survey: str = "data/export.csv", name: str = "my_study") -> Draft:
    """Draft a codebook, model skeleton and config for a survey export.

    Parameters
    ----------
    raw : DataFrame
        The export (:func:`leanlearn.data.ingest.read_export`).
    info : mapping, optional
        :func:`leanlearn.data.ingest.read_info` (format, value labels, header rows dropped).
    texts : mapping, optional
        Column -> question text (:func:`question_texts`).
    survey : str
        Path of the export as the config should name it (relative to the study folder).
    name : str
        Study name (used in comments and the ``study:`` entry).

    Returns
    -------
    Draft
        Checked on Qualtrics-like, plain CSV and SPSS exports in ``tests/test_init.py``:
        item groups, scales, reverse-keyed suggestions, personal columns and paradata.
    """
    info = dict(info or {})
    texts = dict(texts or {})
    cols = classify_columns(raw, info, texts)
    cols["reverse_suspected"] = False
    cols["item_rest_r"] = np.nan
    value_labels = info.get("value_labels") or {}
    items = cols[cols.kind == "item"]
    groups = list(dict.fromkeys(items.group))
    taken: set[str] = set(items.name)
    construct_of = {g: _construct_name(g, taken) for g in groups}
    todo: list[str] = []

    # scales: one per distinct code range (and label set)
    scale_names: dict[tuple, str] = {}
    group_scale: dict[str, str] = {}
    scale_defs: list[tuple[str, int, int, dict]] = []
    for g in groups:
        gi = items[items.group == g]
        lo_hi = [tuple(int(v) for v in c.split("-")) if not c.startswith("-") else None for c in gi.codes]
        lo = min(p[0] for p in lo_hi if p)
        hi = max(p[1] for p in lo_hi if p)
        labels = {}
        first_labels = value_labels.get(gi.column.iloc[0]) or {}
        if first_labels and all((value_labels.get(c) or {}) == first_labels for c in gi.column):
            labels = {int(k): str(v) for k, v in first_labels.items()
                      if isinstance(k, (int, float)) and float(k).is_integer() and lo <= k <= hi and not _MISSING_LABEL_RE.search(str(v))}
            if labels:
                lo, hi = min(lo, min(labels)), max(hi, max(labels))
        key = (lo, hi, tuple(sorted(labels.items())))
        if key not in scale_names:
            base = f"scale_{lo}_{hi}"
            nm = base if base not in {s[0] for s in scale_defs} else f"{base}_{len(scale_defs) + 1}"
            scale_names[key] = nm
            scale_defs.append((nm, lo, hi, labels))
        group_scale[g] = scale_names[key]

    # reverse-keyed suggestions
    data_items = {}
    for g in groups:
        gi = items[items.group == g]
        if len(gi) < 3:
            continue
        block = pd.DataFrame({c: _numeric(raw[c]) for c in gi.column})
        lo, hi = next((s[1], s[2]) for s in scale_defs if s[0] == group_scale[g])
        block = block.where((block >= lo) & (block <= hi))
        rev = suspect_reverse(block)
        data_items[g] = rev
        for r in rev.itertuples():
            idx = cols.index[cols.column == r.item][0]
            cols.loc[idx, "item_rest_r"] = r.item_rest_r
            if r.suspected:
                cols.loc[idx, "reverse_suspected"] = True
                cols.loc[idx, "note"] += f"; SUSPECTED REVERSE-KEYED (item-rest r = {r.item_rest_r:.2f}): check its wording"

    # ---- codebook text
    ident = cols[cols.kind == "identifier"]
    para = cols[cols.kind == "paradata"]
    timers = cols[cols.kind == "page_timer"]
    personal = cols[cols.kind == "personal"]
    covs = cols[cols.kind == "covariate"]
    fmt = "qualtrics" if "ImportId" in (info.get("header_rows_dropped") or []) or "question text" in (info.get("header_rows_dropped") or []) else "plain"
    L: list[str] = [
        f"# Codebook of {name} (drafted by `leanlearn init` from {survey}).",
        "#",
        "# It tells leanlearn how to read the raw export: which column holds which item, the",
        "# scale of each item, reverse-keyed items, attention checks, paradata, identifiers,",
        "# personal data and covariates. Everything below is a GUESS from the column names and",
        "# codes: read it through, fix it, then run `leanlearn check` on the study folder.",
        "# Lines marked CHECK need a decision.",
        f"study: {_q('TODO: one sentence on what the study is about (population, setting).')}",
        "",
        "# What one row (case) of the data is; used in every generated sentence.",
        "unit: {name: respondent, plural: respondents}",
        "",
        f"source_format: {fmt}        # qualtrics (two extra header rows after the column names) | plain",
        "",
        "identifiers:",
    ]
    if len(ident):
        L.append(f"  respondent_id: {_q(ident.column.iloc[0])}   # unique per response")
    else:
        L.append('  respondent_id: "TODO"   # CHECK: no unique id column found; add one to the export (row numbers will not survive re-exports)')
        todo.append("codebook.yaml identifiers.respondent_id: no unique response id column was found; add one to the export")
    L += ["", "# Columns that identify a person: removed (drop) or replaced by a salted SHA-256 hash (hash)",
          "# before anything is written. Found by column name and by content; add any the draft missed."]
    if len(personal):
        L.append("personal_data:")
        for r in personal.itertuples():
            L.append(f"  - {{column: {_q(r.column)}, action: {r.action}, kind: {r.name}}}   # {r.note.split(';')[0]}")
    else:
        L.append("personal_data: []")
    L += ["", "# Survey-tool paradata (optional; the screening indices that need them are skipped without)."]
    if len(para) or len(timers):
        L.append("paradata:")
        for r in para.itertuples():
            L.append(f"  {r.name}: {_q(r.column)}")
        tl = []
        for r in timers.itertuples():
            grp_items = [it for it, g in zip(items.name, items.group) if g == r.name]
            if grp_items:
                tl.append(f"    - {{column: {_q(r.column)}, items: [{', '.join(grp_items)}]}}")
        if tl:
            L.append("  # page-submit timers and the items shown on that page (page-time speeding index)")
            L.append("  page_timers:")
            L += tl
    else:
        L.append("paradata: {}")
    L += ["", "# Answer scales, from the codes observed in the export. CHECK the end points: a scale whose",
          "# highest point nobody chose looks shorter than it is.", "scales:"]
    for nm, lo, hi, labels in scale_defs:
        L.append(f"  {nm}:")
        L.append(f"    min: {lo}")
        L.append(f"    max: {hi}")
        if labels:
            L.append("    labels: {" + ", ".join(f"{k}: {_q(v)}" for k, v in sorted(labels.items())) + "}")
    L += ["", "# One construct per item group (columns with the same prefix). Rename constructs and items",
          "# freely (the model uses the names given here), give each a label, merge or split groups,",
          "# and set `role: marker` on a marker-variable block.", "constructs:"]
    for g in groups:
        gi = cols[(cols.kind == "item") & (cols.group == g)]
        stem, stmts = _split_stem([t for t in gi.label])
        L.append(f"  {construct_of[g]}:")
        L.append(f"    label: {_q('TODO: name of the construct measured by ' + g)}")
        L.append(f"    scale: {group_scale[g]}")
        if stem:
            L.append(f"    stem: {_q(stem)}")
        L.append("    items:")
        for r, text in zip(gi.itertuples(), stmts):
            entry = f"      - {{id: {r.name}, column: {_q(r.column)}"
            if r.reverse_suspected:
                entry += ", reverse: true"
            entry += f", text: {_q(text or 'TODO: item wording')}}}"
            if r.reverse_suspected:
                entry += f"   # CHECK: suggested reverse-keyed (item-rest r = {r.item_rest_r:.2f} before recoding); confirm from the wording"
                todo.append(f"codebook.yaml constructs.{construct_of[g]}: {r.name} suggested reverse-keyed (item-rest r = {r.item_rest_r:.2f}); confirm from its wording or remove 'reverse: true'")
            L.append(entry)
    if not groups:
        L.append("  {}   # CHECK: no item groups found; list your constructs and items here")
        todo.append("codebook.yaml constructs: no item groups were recognised; list the constructs and their item columns")
    L += ["", "# Survey covariates kept by ingest (demographics, characteristics asked in the questionnaire).",
          "# They can be controls (config.yaml controls.variables), grouping variables (robustness.groups.column)",
          "# and moderators. Remove the ones you do not need."]
    if len(covs):
        L.append("covariates:")
        for r in covs.itertuples():
            typ = "categorical" if r.note.startswith("categorical") else "numeric"
            lab = f", text: {_q(r.label)}" if r.label else ""
            L.append(f"  {r.name}: {{column: {_q(r.column)}, type: {typ}{lab}}}   # {r.codes}")
    else:
        L.append("covariates: {}")
    L += ["", "# Instructed-response (attention) checks, if the survey had any, e.g.",
          "# attention_checks:",
          "#   - {id: ATT1, column: Q2_9, expected: 3, scale: scale_1_7, text: \"Please select 'Somewhat disagree'.\"}",
          "attention_checks: []", ""]
    codebook = "\n".join(L)

    # ---- model text
    M = [f"# Model of {name} in lavaan-style syntax (drafted by `leanlearn init`).",
         "#   =~  reflective measurement (Mode A)      <~  formative (Mode B)",
         "#   ~   structural paths                      X:Z an interaction of X and Z",
         "# One construct per item group of the codebook; drop the ones that are not in the model.", ""]
    for g in groups:
        gi = items[items.group == g]
        M.append(f"{construct_of[g]} =~ " + " + ".join(gi.name))
    M += ["", "# TODO: write the structural paths, e.g.", "#   " + (f"{construct_of[groups[-1]]} ~ " + " + ".join(construct_of[g] for g in groups[:-1]) if len(groups) > 1 else "Y ~ X"), ""]
    model = "\n".join(M)
    todo.append("model.lav: write the structural paths (the draft has only the measurement model)")
    todo.append("codebook.yaml: give every construct a label (and check items, scales and personal data)")

    # ---- config text
    config = _config_text(name=name, survey=survey, covariates=list(covs.name))
    todo.append("config.yaml: state the hypotheses; choose controls and a grouping variable if you want them")
    return Draft(columns=cols, codebook=codebook, model=model, config=config, todo=tuple(todo))


def _config_text(*, name: str, survey: str, covariates: list[str]) -> str:
    cov = ", ".join(covariates[:2])
    return CONFIG_TEMPLATE.format(name=name, survey=_q(survey), covariates=", ".join(covariates) or "none found",
                                  example_controls=cov or "age")


CONFIG_TEMPLATE = """\
# Configuration of {name} (drafted by `leanlearn init`). Every key is documented; defaults and
# their sources are in docs/methods.md. Paths are relative to this file's folder.
# Run `leanlearn check` on this folder after editing.

# ---- inputs -------------------------------------------------------------------------------
survey: {survey}                 # the raw export (CSV, XLSX, SAV, DTA)
codebook: codebook.yaml          # what each column is
model: model.lav                 # the model in lavaan-style syntax
# manuscript: manuscript.md      # your own manuscript template; leave out for the generic results paper
# archival: data/firms.csv       # optional: archival data, one row per unit, joined on identifiers
# sampling_frame: data/frame.csv # optional: everyone invited (respondents and non-respondents)
seed: 1                          # one seed for everything random

# ---- personal data --------------------------------------------------------------------------
salt_file: .leanlearn_salt       # hashing salt (or the environment variable LEANLEARN_SALT)

# ---- screening (docs/methods.md, "Screening") -----------------------------------------------
screening:
  require_finished: true                # incomplete responses (finished = 0) are excluded
  min_progress: 100                     # percent completed required
  duplicates:
    keep: first                         # first | last | most_complete: which of duplicate responses is kept
  seconds_per_item_hard: 1.0            # Wood et al. 2017: below this on any page -> excluded
  seconds_per_item_flag: 2.0            # Huang et al. 2012: page-time flag
  longstring_block_all_identical: true  # the same answer on every item of every block -> excluded
  longstring_percentile: 0.95           # longest run at or above this percentile -> flag
  irv_flag_tails: 0.025                 # intra-individual response variability, both tails -> flag
  mahalanobis_alpha: 0.001              # chi-square tail probability -> flag
  evenodd_flag_below: 0.30              # even-odd consistency (Johnson 2005) -> flag
  evenodd_min_items: 4                  # scales with fewer items are left out of even-odd
  psychsyn_critval: 0.60                # psychometric synonyms (Meade & Craig 2012)
  psychsyn_min_pairs: 5                 # fewer synonym pairs -> index skipped with a note
  psychsyn_flag_below: 0.0              # within-person synonym correlation below this -> flag
  attention_fail_hard: true             # failing an attention check -> excluded (when the survey has checks)
  attention_fail_min: 1                 # checks failed to count as failing
  attention_missing_is_fail: true       # an unanswered check counts as failed
  max_case_missing_share: 0.15          # Hair et al.: responses missing more items are excluded
  max_item_missing_share: 0.20          # items missing more often are reported and dropped
  knowledge_below_midpoint: flag        # flag | exclude | ignore (key-informant knowledge, when asked)
  exclude_if_n_flags_at_least: 2        # soft flags needed for exclusion

missing:
  treatment: mean                       # mean | listwise | iterative (model-based imputation)
  mean_replacement_max_item_missing: 0.05   # warn above this share (refuse when strict)
  strict: false                         # true: refuse mean replacement above that share
  alternative: iterative                # the treatment of the sensitivity table

# ---- controls -----------------------------------------------------------------------------
# Covariates declared in codebook.yaml (found: {covariates}) or archival variables.
controls:
  variables: []                         # e.g. [{example_controls}]
  targets: []                           # endogenous constructs that receive every control
  categorical: []                       # controls entered as dummies (reference = most frequent level)

# ---- bias checks (docs/methods.md, "Bias checks") -------------------------------------------
bias:
  full_collinearity_vif_max: 3.3        # Kock 2015
  harman_first_factor_max: 0.50         # reported only; weak evidence (Aguirre-Urreta & Hu 2019)
  harman_factors: kaiser                # kaiser | an integer
  tost_margin_sd: 0.3                   # equivalence margin (SD units), early vs late respondents
  early_late: auto                      # auto | wave | quartile (of submission time)
  early_late_quantile: 0.25             # share of earliest / latest respondents compared
  marker_rule: smallest                 # Lindell & Whitney 2001: smallest | second_smallest
  alpha: 0.05                           # significance level of the bias tests
  ci_level: 0.95                        # confidence level of their intervals
  permutations: 2000                    # permutation p of chi-square tests with sparse cells

# ---- measurement model (docs/methods.md, "Measurement") -------------------------------------
measurement:
  loading_min: 0.708                    # Hair et al. 2019
  loading_drop_below: 0.40              # Hair et al. 2019
  alpha_min: 0.70                       # Cronbach's alpha (Hair et al. 2019)
  rho_a_min: 0.70                       # Dijkstra & Henseler 2015
  rho_c_range: [0.70, 0.95]             # Hair et al. 2019
  ave_min: 0.50                         # Fornell & Larcker 1981
  htmt_max: 0.85                        # Henseler, Ringle & Sarstedt 2015
  htmt_similar_max: 0.90                # HTMT for conceptually similar constructs
  htmt_similar_pairs: []                # pairs of constructs judged conceptually similar
  htmt_upper_quantile: 0.95             # one-sided bootstrap upper bound of HTMT
  formative_vif_max: 5.0                # Hair et al. 2019

# ---- structural model (docs/methods.md, "Structural model") ---------------------------------
structural:
  vif_max: 5.0                          # inner VIF (Hair et al. 2019; ideally below 3)
  f_squared_cutoffs: [0.02, 0.15, 0.35] # Cohen 1988: small, medium, large
  srmr_max: 0.08                        # Henseler et al. 2016 (model fit, reported with caution)

# ---- estimation ---------------------------------------------------------------------------
estimation:
  scheme: path                          # path | centroid | factorial
  interaction: two_stage                # two_stage | product_indicator | orthogonal
  consistent: false                     # PLSc for reflective constructs
  max_iterations: 300                   # iterations of the PLS algorithm at most
  tolerance: 1.0e-7                     # stop criterion: sum of absolute weight changes
bootstrap:
  resamples: 10000                      # Hair et al. 2019
  ci_level: 0.95                        # percentile intervals
  workers: 2                            # processes (results identical for any number)

# ---- hypotheses ---------------------------------------------------------------------------
# test: path | indirect | indirect_difference | interaction | moderated_mediation | conditional_indirect
# direction: positive | negative | nonzero | none (a hypothesis of no effect)
# Uncomment and write one entry per hypothesis (leanlearn check verifies them against the model):
# hypotheses:
#  - id: H1
#    statement: X is positively related to Y.
#    test: path
#    source: X
#    target: Y
#    direction: positive

# ---- robustness ---------------------------------------------------------------------------
robustness:
  cfa: {{cfi_min: 0.95, tli_min: 0.95, rmsea_max: 0.06, rmsea_acceptable_max: 0.08, srmr_max: 0.08}}   # Hu & Bentler 1999
  multiverse_resamples: 10000           # per variant
  predict: {{folds: 10, repetitions: 10, technique: direct, benchmark: paired}}   # Shmueli et al. 2019; docs/robustness.md
  copula_resamples: 2000                # Gaussian copulas (Park & Gupta 2012)
  micom_permutations: 5000              # Henseler, Ringle & Sarstedt 2016 (not adjusted; docs/groups.md)
  mga_p_adjust: holm                    # across the whole family of group comparisons
  # groups:                             # MICOM and multigroup analysis (none without this key)
  #   column: gender                    # a categorical covariate; each level is a group
  #   clusters: {{Women: [female], Men: [male]}}   # optional: merge levels into groups

# ---- power ----------------------------------------------------------------------------------
power:
  n_grid: [100, 200, 400]               # sample sizes simulated
  blocks: 2                             # jobs per sample size
  replications_per_block: 50            # replications per job
  resamples: 200                        # bootstrap resamples per replication
  ci_level: 0.95                        # interval of the simulated tests
  target_power: 0.80                    # power sought (smallest N reaching it is reported)
  population:
    source: grid                        # grid: a priori effect sizes, one scenario per level (docs/power.md);
                                        # estimates: the fitted model's own (post-hoc power); effects: paths below
    grid:                               # Cohen's f2 for every path; smaller levels for interaction paths
      - {{label: small, f2: 0.02, f2_interaction: 0.005}}    # Cohen 1988; interactions: Kenny 2018
      - {{label: medium, f2: 0.15, f2_interaction: 0.01}}    # (moderating effects are small: Aguinis et al. 2005)
      - {{label: large, f2: 0.35, f2_interaction: 0.025}}    # replace with values from prior studies when known
"""
