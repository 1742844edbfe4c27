"""Survey codebook: which column holds which item, scales, reverse keying, paradata.

:func:`load_codebook` validates a mapping (as read from ``studies/lean/codebook.yaml`` by the
CLI) and returns a frozen :class:`Codebook`. Every validation error is a
:class:`~leanlearn.errors.SpecError` whose message starts with the key path of the
offending entry (``constructs.LS.items[3]: ...``) and says what to do.

After ingest (:func:`leanlearn.data.ingest.apply_codebook`) the data carry *canonical* column
names, so that later steps do not depend on the survey tool's export:

==========================  ==================================================
canonical name              source
==========================  ==================================================
``respondent_id``           ``identifiers.respondent_id``
``firm_id``                 ``identifiers.firm_id``
``start``, ``end``, ...     ``paradata.<key>`` (the key is the canonical name)
``page_seconds_<k>``        ``paradata.page_timers[k-1].column`` (k = 1, 2, ...)
item ids (``LP1``, ...)     ``constructs.<C>.items[i].column``
attention ids (``ATT1``)    ``attention_checks[i].column``
``ki_<key>``                ``key_informant.<key>.column`` (``ki_knowledge``, ...)
covariate names (``age``)   ``covariates.<name>.column``
==========================  ==================================================

Without ``identifiers.firm_id`` the case id is the respondent id (``firm_id`` then holds a
copy of ``respondent_id``). ``unit`` says what a case is (default a respondent) and is used
in generated texts; ``covariates`` are questionnaire variables that are neither items nor
paradata (demographics, firm characteristics): kept by ingest, usable as controls, grouping
variables and moderators.

The mapping is first checked against the codebook schema
(``leanlearn/spec/schemas/codebook.schema.yaml``), which rejects unknown keys at every level
(``attention_check:``, ``personal_date:``, ``acton:``).

This module reads no files but the shipped schema (:mod:`leanlearn.spec.config`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from leanlearn.errors import DataError, SpecError

__all__ = [
    "Scale",
    "Item",
    "Construct",
    "AttentionCheck",
    "PersonalColumn",
    "PageTimer",
    "KeyInformantField",
    "Covariate",
    "Unit",
    "Paradata",
    "Codebook",
    "load_codebook",
    "check_columns",
    "column_hint",
    "RESPONDENT_ID",
    "FIRM_ID",
]

RESPONDENT_ID = "respondent_id"
FIRM_ID = "firm_id"
PARADATA_KEYS = ("start", "end", "recorded", "duration_seconds", "progress", "finished", "wave")
SOURCE_FORMATS = ("qualtrics", "plain")
PERSONAL_ACTIONS = ("drop", "hash")
ROLES = ("marker",)
COVARIATE_TYPES = ("numeric", "categorical")

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ITEM_KEYS = {"id", "column", "text", "bundle", "reverse", "scale"}
_ATTENTION_KEYS = {"id", "column", "expected", "scale", "text"}
_REVERSE_KEYS = ("reverse", "reverse_coded", "reversed")


# ---- dataclasses ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    """A response scale with integer codes ``min`` .. ``max``.

    Attributes
    ----------
    name : str
    min, max : int
        Lowest and highest valid code.
    labels : tuple of (int, str)
        Optional value labels.
    """

    name: str
    min: int
    max: int
    labels: tuple[tuple[int, str], ...] = ()

    @property
    def midpoint(self) -> float:
        """(min + max) / 2; 4 on a 1-7 scale."""
        return (self.min + self.max) / 2

    def contains(self, value: float) -> bool:
        """True if ``value`` is an integer code within [min, max]."""
        return self.min <= value <= self.max and float(value).is_integer()


@dataclass(frozen=True)
class Item:
    """A questionnaire item that belongs to a construct."""

    id: str
    column: str
    construct: str
    scale: str
    reverse: bool = False
    text: str = ""
    bundle: str | None = None


@dataclass(frozen=True)
class Construct:
    """A construct (block of items) of the instrument.

    ``role`` is ``"marker"`` for a marker variable (used for common-method checks, not
    part of the substantive model) and ``None`` otherwise.
    """

    name: str
    label: str
    scale: str
    items: tuple[str, ...]
    role: str | None = None
    stem: str = ""


@dataclass(frozen=True)
class AttentionCheck:
    """An instructed-response item: the answer must equal ``expected``."""

    id: str
    column: str
    expected: int
    scale: str
    text: str = ""


@dataclass(frozen=True)
class PersonalColumn:
    """A column that identifies a person: dropped or replaced by a salted hash."""

    column: str
    action: str
    kind: str = ""


@dataclass(frozen=True)
class PageTimer:
    """A page-submit timer (seconds on the page) and the items shown on that page."""

    name: str
    column: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class KeyInformantField:
    """A key-informant question (role, tenure, knowledge, ...)."""

    key: str
    column: str
    scale: str | None = None
    labels: tuple[tuple[int, str], ...] = ()
    text: str = ""

    @property
    def name(self) -> str:
        """Canonical column name after ingest: ``ki_<key>``."""
        return f"ki_{self.key}"


@dataclass(frozen=True)
class Covariate:
    """A survey covariate (demographic or firm characteristic asked in the questionnaire).

    ``type`` is ``"numeric"`` (a number per case) or ``"categorical"`` (a level per case; the
    label text when ``labels`` are given). Its canonical column name after ingest is ``name``.
    """

    name: str
    column: str
    type: str
    labels: tuple[tuple[int, str], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Unit:
    """What a case is: ``name`` (singular) and ``plural``, used in generated texts."""

    name: str = "respondent"
    plural: str = "respondents"


@dataclass(frozen=True)
class Paradata:
    """Paradata columns: ``columns`` maps canonical keys (start, end, ...) to export columns."""

    columns: tuple[tuple[str, str], ...] = ()
    page_timers: tuple[PageTimer, ...] = ()

    def column(self, key: str) -> str | None:
        return dict(self.columns).get(key)


@dataclass(frozen=True)
class Codebook:
    """A validated survey codebook (see :func:`load_codebook`).

    Collections are tuples in codebook order; the helper methods build lookups.
    """

    source_format: str
    respondent_id: str
    firm_id: str | None
    scales: tuple[Scale, ...]
    constructs: tuple[Construct, ...]
    items: tuple[Item, ...]
    attention_checks: tuple[AttentionCheck, ...] = ()
    personal_data: tuple[PersonalColumn, ...] = ()
    paradata: Paradata = field(default_factory=Paradata)
    key_informant: tuple[KeyInformantField, ...] = ()
    study: str = ""
    #: strftime format of the date columns (``"%d/%m/%Y %H:%M"``); None: ISO 8601 only
    date_format: str | None = None
    #: worksheet of an .xlsx export to read; None: the only sheet, or all sheets if their headers agree
    sheet: str | None = None
    unit: Unit = field(default_factory=Unit)
    covariates: tuple[Covariate, ...] = ()

    # ---- lookups ------------------------------------------------------------------------
    def scale(self, name: str) -> Scale:
        for s in self.scales:
            if s.name == name:
                return s
        raise KeyError(name)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """All construct items in codebook (questionnaire) order."""
        return tuple(it.id for it in self.items)

    @property
    def items_by_construct(self) -> dict[str, tuple[str, ...]]:
        """Construct name -> its item ids, in codebook order."""
        return {c.name: c.items for c in self.constructs}

    @property
    def item_columns(self) -> dict[str, str]:
        """Item id -> export column, for construct items."""
        return {it.id: it.column for it in self.items}

    @property
    def attention_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.attention_checks)

    def item_scales(self, *, include_attention: bool = True) -> dict[str, tuple[int, int, float]]:
        """Item id -> (min, max, midpoint) of its scale (attention checks included by default)."""
        out = {}
        for it in self.items:
            s = self.scale(it.scale)
            out[it.id] = (s.min, s.max, s.midpoint)
        if include_attention:
            for a in self.attention_checks:
                s = self.scale(a.scale)
                out[a.id] = (s.min, s.max, s.midpoint)
        return out

    @property
    def reverse_items(self) -> tuple[str, ...]:
        """Ids of reverse-keyed items."""
        return tuple(it.id for it in self.items if it.reverse)

    @property
    def marker_constructs(self) -> tuple[str, ...]:
        """Constructs with ``role: marker``."""
        return tuple(c.name for c in self.constructs if c.role == "marker")

    @property
    def substantive_constructs(self) -> tuple[str, ...]:
        """Constructs that are not markers."""
        return tuple(c.name for c in self.constructs if c.role != "marker")

    @property
    def substantive_items(self) -> tuple[str, ...]:
        """Items of the non-marker constructs, in codebook order."""
        keep = set(self.substantive_constructs)
        return tuple(it.id for it in self.items if it.construct in keep)

    def key_informant_field(self, key: str) -> KeyInformantField | None:
        for f in self.key_informant:
            if f.key == key:
                return f
        return None

    def canonical_names(self) -> dict[str, str]:
        """Export column -> canonical column name after ingest (see module docstring)."""
        out = {self.respondent_id: RESPONDENT_ID}
        if self.firm_id is not None:
            out[self.firm_id] = FIRM_ID
        for key, col in self.paradata.columns:
            out[col] = key
        for t in self.paradata.page_timers:
            out[t.column] = t.name
        for it in self.items:
            out[it.column] = it.id
        for a in self.attention_checks:
            out[a.column] = a.id
        for f in self.key_informant:
            out[f.column] = f.name
        for c in self.covariates:
            out[c.column] = c.name
        return out

    @property
    def covariate_names(self) -> tuple[str, ...]:
        """Canonical names of the covariates, in codebook order."""
        return tuple(c.name for c in self.covariates)

    def required_columns(self) -> dict[str, str]:
        """Export columns a data file must have -> what they are (identifiers, items, checks)."""
        out = {self.respondent_id: "identifiers.respondent_id"}
        if self.firm_id is not None:
            out[self.firm_id] = "identifiers.firm_id"
        for it in self.items:
            out[it.column] = f"item {it.id}"
        for a in self.attention_checks:
            out[a.column] = f"attention check {a.id}"
        for c in self.covariates:
            out[c.column] = f"covariate {c.name}"
        return out

    def optional_columns(self) -> dict[str, str]:
        """Export columns that are used when present (paradata, key informant)."""
        out = {}
        for key, col in self.paradata.columns:
            out[col] = f"paradata.{key}"
        for t in self.paradata.page_timers:
            out[t.column] = f"page timer {t.name}"
        for f in self.key_informant:
            out[f.column] = f"key_informant.{f.key}"
        return out


# ---- validation -----------------------------------------------------------------------------
def _fail(path: str, what: str) -> SpecError:
    return SpecError(f"{path}: {what}")


def _as_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"expected a non-empty text, got {value!r}")
    return value


def _as_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, f"expected a whole number, got {value!r}")
    if float(value) != int(value):
        raise _fail(path, f"expected a whole number, got {value!r}")
    return int(value)


def _as_mapping(value: Any, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise _fail(path, f"expected a mapping of keys to values, got {type(value).__name__}")
    return value


def _as_list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise _fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _labels(value: Any, path: str, scale: Scale | None) -> tuple[tuple[int, str], ...]:
    if value is None:
        return ()
    mapping = _as_mapping(value, path)
    out = []
    for k, v in mapping.items():
        if isinstance(k, str) and re.fullmatch(r"\s*-?\d+\s*", k):
            k = int(k)  # quoted codes in YAML/JSON: "1": Strongly disagree
        code = _as_int(k, f"{path}.{k}")
        if scale is not None and not (scale.min <= code <= scale.max):
            raise _fail(f"{path}.{k}", f"label code {code} is outside the scale {scale.min}-{scale.max}")
        out.append((code, str(v)))
    return tuple(sorted(out))


def _no_reverse_flag(entry: Mapping, path: str, what: str) -> None:
    for key in _REVERSE_KEYS:
        if key in entry:
            raise _fail(
                f"{path}.{key}",
                f"a reverse-coded flag is only allowed on construct items, not on {what}. "
                "Put 'reverse: true' on the item entry under constructs.<C>.items",
            )


def load_codebook(mapping: dict) -> Codebook:
    """Validate a codebook mapping and return a :class:`Codebook`.

    Parameters
    ----------
    mapping : dict
        The codebook as read from YAML (see ``studies/lean/codebook.yaml`` for the layout).

    Returns
    -------
    Codebook

    Raises
    ------
    SpecError
        Message ``<key path>: <problem and fix>`` for, among others: a scale without
        min/max or with min >= max; a construct or item with an unknown scale; an item id
        used twice (``constructs.OP.items[5]: item 'LS4' appears in constructs LS and
        OP``); a reverse-coded flag on something that is not an item; an unknown key in an
        item entry (a typo such as ``revers``); a data column used twice; an attention
        check whose ``expected`` answer lies outside its scale; a page timer listing an
        unknown item; a personal-data action other than drop/hash.
    """
    cb = _as_mapping(mapping, "codebook")

    source_format = cb.get("source_format", "plain")
    if source_format not in SOURCE_FORMATS:
        raise _fail("source_format", f"unknown format {source_format!r}; use one of {', '.join(SOURCE_FORMATS)}")

    # -- identifiers
    if "identifiers" not in cb:
        raise _fail("identifiers", "missing; give the respondent_id column (and firm_id when cases are firms joined to archival data)")
    ident = _as_mapping(cb["identifiers"], "identifiers")
    if "respondent_id" not in ident:
        raise _fail("identifiers.respondent_id", "missing; name the column that holds it")
    respondent_id = _as_str(ident["respondent_id"], "identifiers.respondent_id")
    firm_id = _as_str(ident["firm_id"], "identifiers.firm_id") if ident.get("firm_id") is not None else None

    # column -> key path of its first use (duplicate-column check)
    used_columns: dict[str, str] = {}

    def use_column(col: str, path: str) -> None:
        if col in used_columns:
            raise _fail(
                path,
                f"column '{col}' is already used by {used_columns[col]}; each data column can "
                "have one meaning only",
            )
        used_columns[col] = path

    use_column(respondent_id, "identifiers.respondent_id")
    if firm_id is not None:
        use_column(firm_id, "identifiers.firm_id")

    # -- scales
    if "scales" not in cb:
        raise _fail("scales", "missing; define at least one scale with min and max")
    scales: dict[str, Scale] = {}
    for name, entry in _as_mapping(cb["scales"], "scales").items():
        path = f"scales.{name}"
        entry = _as_mapping(entry, path)
        for key in ("min", "max"):
            if key not in entry:
                raise _fail(path, f"scale without '{key}'; give both min and max (e.g. min: 1, max: 7)")
        lo, hi = _as_int(entry["min"], f"{path}.min"), _as_int(entry["max"], f"{path}.max")
        if lo >= hi:
            raise _fail(path, f"min ({lo}) must be below max ({hi})")
        bare = Scale(str(name), lo, hi)
        scales[str(name)] = Scale(str(name), lo, hi, _labels(entry.get("labels"), f"{path}.labels", bare))

    def known_scale(name: Any, path: str) -> str:
        if name not in scales:
            raise _fail(path, f"unknown scale {name!r}; defined scales: {', '.join(scales) or '(none)'}")
        return str(name)

    # -- constructs and items
    if "constructs" not in cb:
        raise _fail("constructs", "missing; define at least one construct with items")
    constructs: list[Construct] = []
    items: list[Item] = []
    item_home: dict[str, tuple[str, str]] = {}  # id -> (construct, path)
    for cname, centry in _as_mapping(cb["constructs"], "constructs").items():
        cpath = f"constructs.{cname}"
        cname = str(cname)
        if not _NAME_RE.match(cname):
            raise _fail(cpath, f"'{cname}' is not a valid construct name (letters, digits, '_' and '.')")
        centry = _as_mapping(centry, cpath)
        _no_reverse_flag(centry, cpath, f"construct {cname}")
        if "scale" not in centry:
            raise _fail(f"{cpath}.scale", "missing; name one of the scales defined under 'scales'")
        cscale = known_scale(centry["scale"], f"{cpath}.scale")
        role = centry.get("role")
        if role is not None and role not in ROLES:
            raise _fail(f"{cpath}.role", f"unknown role {role!r}; the only role is 'marker' (or leave it out)")
        raw_items = _as_list(centry.get("items"), f"{cpath}.items")
        if not raw_items:
            raise _fail(f"{cpath}.items", "a construct needs at least one item")
        ids = []
        for i, ientry in enumerate(raw_items):
            ipath = f"{cpath}.items[{i}]"
            ientry = _as_mapping(ientry, ipath)
            unknown = set(ientry) - _ITEM_KEYS
            if unknown:
                raise _fail(
                    ipath,
                    f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(_ITEM_KEYS))}",
                )
            for key in ("id", "column"):
                if key not in ientry:
                    raise _fail(ipath, f"item without '{key}'")
            iid = _as_str(ientry["id"], f"{ipath}.id")
            if not _NAME_RE.match(iid):
                raise _fail(f"{ipath}.id", f"'{iid}' is not a valid item id (letters, digits, '_' and '.')")
            if iid in item_home:
                first_c, first_path = item_home[iid]
                raise _fail(
                    ipath,
                    f"item '{iid}' appears in constructs {first_c} and {cname} (first at {first_path}); "
                    "an item belongs to one construct only",
                )
            item_home[iid] = (cname, ipath)
            col = _as_str(ientry["column"], f"{ipath}.column")
            use_column(col, f"{ipath}.column")
            iscale = known_scale(ientry["scale"], f"{ipath}.scale") if "scale" in ientry else cscale
            reverse = ientry.get("reverse", False)
            if not isinstance(reverse, bool):
                raise _fail(f"{ipath}.reverse", f"expected true or false, got {reverse!r}")
            bundle = ientry.get("bundle")
            items.append(
                Item(
                    id=iid,
                    column=col,
                    construct=cname,
                    scale=iscale,
                    reverse=reverse,
                    text=str(ientry.get("text", "")),
                    bundle=None if bundle is None else str(bundle),
                )
            )
            ids.append(iid)
        constructs.append(
            Construct(
                name=cname,
                label=str(centry.get("label", cname)),
                scale=cscale,
                items=tuple(ids),
                role=role,
                stem=str(centry.get("stem", "")),
            )
        )
    construct_names = {c.name for c in constructs}
    clash = construct_names & set(item_home)
    if clash:
        name = sorted(clash)[0]
        raise _fail(item_home[name][1], f"'{name}' is both a construct and an item id; rename one")

    # -- attention checks
    attention: list[AttentionCheck] = []
    for i, aentry in enumerate(_as_list(cb.get("attention_checks", []) or [], "attention_checks")):
        apath = f"attention_checks[{i}]"
        aentry = _as_mapping(aentry, apath)
        _no_reverse_flag(aentry, apath, "an attention check")
        unknown = set(aentry) - _ATTENTION_KEYS
        if unknown:
            raise _fail(apath, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(_ATTENTION_KEYS))}")
        for key in ("id", "column", "expected", "scale"):
            if key not in aentry:
                raise _fail(apath, f"attention check without '{key}'")
        aid = _as_str(aentry["id"], f"{apath}.id")
        if aid in item_home or aid in {a.id for a in attention} or aid in construct_names:
            raise _fail(f"{apath}.id", f"id '{aid}' is already used by an item, construct or attention check")
        col = _as_str(aentry["column"], f"{apath}.column")
        use_column(col, f"{apath}.column")
        ascale = known_scale(aentry["scale"], f"{apath}.scale")
        expected = _as_int(aentry["expected"], f"{apath}.expected")
        s = scales[ascale]
        if not s.min <= expected <= s.max:
            raise _fail(
                f"{apath}.expected",
                f"{expected} is outside scale {ascale} ({s.min}-{s.max}); give the code of the instructed answer",
            )
        attention.append(AttentionCheck(aid, col, expected, ascale, str(aentry.get("text", ""))))

    # -- personal data
    personal: list[PersonalColumn] = []
    for i, pentry in enumerate(_as_list(cb.get("personal_data", []) or [], "personal_data")):
        ppath = f"personal_data[{i}]"
        pentry = _as_mapping(pentry, ppath)
        col = _as_str(pentry.get("column"), f"{ppath}.column")
        action = pentry.get("action", "drop")
        if action not in PERSONAL_ACTIONS:
            raise _fail(f"{ppath}.action", f"unknown action {action!r}; use drop or hash")
        use_column(col, f"{ppath}.column")
        personal.append(PersonalColumn(col, str(action), str(pentry.get("kind", ""))))

    # -- paradata
    pd_entry = _as_mapping(cb.get("paradata", {}) or {}, "paradata")
    para_cols: list[tuple[str, str]] = []
    timers: list[PageTimer] = []
    all_answerable = set(item_home) | {a.id for a in attention}
    for key, value in pd_entry.items():
        if key == "page_timers":
            continue
        if key not in PARADATA_KEYS:
            raise _fail(f"paradata.{key}", f"unknown paradata key; known keys: {', '.join(PARADATA_KEYS)}, page_timers")
        col = _as_str(value, f"paradata.{key}")
        use_column(col, f"paradata.{key}")
        para_cols.append((str(key), col))
    for i, tentry in enumerate(_as_list(pd_entry.get("page_timers", []) or [], "paradata.page_timers")):
        tpath = f"paradata.page_timers[{i}]"
        tentry = _as_mapping(tentry, tpath)
        col = _as_str(tentry.get("column"), f"{tpath}.column")
        use_column(col, f"{tpath}.column")
        titems = _as_list(tentry.get("items"), f"{tpath}.items")
        if not titems:
            raise _fail(f"{tpath}.items", "list the items shown on the page")
        for j, iid in enumerate(titems):
            if iid not in all_answerable:
                raise _fail(f"{tpath}.items[{j}]", f"unknown item {iid!r}; use item or attention-check ids")
        timers.append(PageTimer(f"page_seconds_{i + 1}", col, tuple(map(str, titems))))

    # -- key informant
    ki: list[KeyInformantField] = []
    for key, kentry in _as_mapping(cb.get("key_informant", {}) or {}, "key_informant").items():
        kpath = f"key_informant.{key}"
        kentry = _as_mapping(kentry, kpath)
        _no_reverse_flag(kentry, kpath, "a key-informant question")
        col = _as_str(kentry.get("column"), f"{kpath}.column")
        use_column(col, f"{kpath}.column")
        kscale = known_scale(kentry["scale"], f"{kpath}.scale") if "scale" in kentry else None
        ki.append(
            KeyInformantField(
                key=str(key),
                column=col,
                scale=kscale,
                labels=_labels(kentry.get("labels"), f"{kpath}.labels", scales.get(kscale) if kscale else None),
                text=str(kentry.get("text", "")),
            )
        )

    # -- covariates
    covariates: list[Covariate] = []
    for name, centry in _as_mapping(cb.get("covariates", {}) or {}, "covariates").items():
        cpath = f"covariates.{name}"
        name = str(name)
        if not _NAME_RE.match(name):
            raise _fail(cpath, f"'{name}' is not a valid covariate name (letters, digits, '_' and '.')")
        centry = _as_mapping(centry, cpath)
        _no_reverse_flag(centry, cpath, "a covariate")
        col = _as_str(centry.get("column"), f"{cpath}.column")
        use_column(col, f"{cpath}.column")
        ctype = centry.get("type")
        if ctype not in COVARIATE_TYPES:
            raise _fail(f"{cpath}.type", f"{ctype!r} is not allowed; expected one of {', '.join(COVARIATE_TYPES)}")
        covariates.append(Covariate(name, col, str(ctype), _labels(centry.get("labels"), f"{cpath}.labels", None), str(centry.get("text", ""))))

    # -- canonical names must not collide with item ids or with each other
    reserved = {RESPONDENT_ID, FIRM_ID, *PARADATA_KEYS, *(t.name for t in timers), *(f.name for f in ki)}
    for iid, (_, path) in item_home.items():
        if iid in reserved:
            raise _fail(path, f"item id '{iid}' is reserved for a canonical column; rename the item")
    taken = reserved | set(item_home) | construct_names | {a.id for a in attention}
    for c in covariates:
        if c.name in taken:
            raise _fail(f"covariates.{c.name}", f"'{c.name}' is already the name of an item, construct, check or canonical column; rename the covariate")

    # -- unit of analysis
    unit_entry = cb.get("unit")
    if unit_entry is None:
        unit = Unit()
    else:
        unit_entry = _as_mapping(unit_entry, "unit")
        uname = _as_str(unit_entry.get("name"), "unit.name").strip()
        unit = Unit(uname, str(unit_entry.get("plural") or f"{uname}s").strip())

    # -- everything else the schema says (unknown keys at every level, types)
    from leanlearn.spec.config import validate_mapping

    validate_mapping(dict(cb), "codebook")

    date_format = cb.get("date_format")
    if date_format is not None:
        date_format = _date_format(date_format)
    sheet = cb.get("sheet")
    if sheet is not None:
        sheet = _as_str(sheet, "sheet")

    return Codebook(
        source_format=str(source_format),
        respondent_id=respondent_id,
        firm_id=firm_id,
        scales=tuple(scales.values()),
        constructs=tuple(constructs),
        items=tuple(items),
        attention_checks=tuple(attention),
        personal_data=tuple(personal),
        paradata=Paradata(tuple(para_cols), tuple(timers)),
        key_informant=tuple(ki),
        study=str(cb.get("study", "")),
        date_format=date_format,
        sheet=sheet,
        unit=unit,
        covariates=tuple(covariates),
    )


_DATE_DIRECTIVES = set("dmyYHIMSpfbBaAjz")


def _date_format(value: Any) -> str:
    """Validate the codebook's ``date_format`` (a strftime pattern with day, month and year)."""
    if not isinstance(value, str) or not value.strip():
        raise _fail("date_format", "expected a strftime pattern such as '%d/%m/%Y %H:%M' (day first) or "
                    "'%m/%d/%Y %H:%M' (month first)")
    directives = re.findall(r"%(.)", value)
    unknown = sorted(set(directives) - _DATE_DIRECTIVES - {"%"})
    if unknown:
        raise _fail("date_format", f"unknown directive(s) {', '.join('%' + d for d in unknown)} in {value!r}; "
                    "use %d %m %Y %y %H %M %S (and %I %p %b %B %f)")
    if not ({"d"} <= set(directives) and ({"m", "b", "B"} & set(directives)) and ({"Y", "y"} & set(directives))):
        raise _fail("date_format", f"{value!r} must contain the day (%d), the month (%m or %b) and the year (%Y or %y)")
    return value


def check_columns(codebook: Codebook, columns: Iterable[str], *, source: str, strict: bool = False) -> tuple[str, ...]:
    """Check that a data file has the columns the codebook needs.

    Parameters
    ----------
    codebook : Codebook
    columns : iterable of str
        Column names of the raw export.
    source : str
        File name, used in the message.
    strict : bool
        Absent optional columns are errors too (used for SPSS/Stata exports, whose column
        names the researcher did not see in the survey tool).

    Returns
    -------
    tuple of str
        Optional codebook columns (paradata, page timers, key informant) that are absent;
        the indices that need them are skipped with a note.

    Raises
    ------
    DataError
        If any required column (identifiers, construct items, attention checks) is absent
        (with ``strict``: any column). The message lists *every* codebook column missing
        from the file, required ones first, with what each is, and a hint when a column
        of the file nearly matches (:func:`column_hint`).
    """
    columns = [str(c) for c in columns]
    present = set(columns)
    required = codebook.required_columns()
    optional = codebook.optional_columns()
    missing_req = [c for c in required if c not in present]
    missing_opt = [c for c in optional if c not in present]
    if missing_req or (strict and missing_opt):
        parts = [f"'{c}' ({required[c]})" for c in missing_req]
        parts += [f"'{c}' ({optional[c]}, optional)" for c in missing_opt]
        hints = [h for c in (*missing_req, *missing_opt) if (h := column_hint(c, columns))]
        why = (
            " In an SPSS/Stata export every codebook column must be present (optional ones too): a missing one "
            "would silently switch off the checks that use it."
            if strict and not missing_req else ""
        )
        raise DataError(
            f"{source}: {len(parts)} codebook column(s) missing from the data file: {', '.join(parts)}."
            f"{why} Rename the columns in the export, or correct the 'column:' entries in the codebook."
            + (" Hint: " + "; ".join(hints) + "." if hints else "")
        )
    return tuple(missing_opt)


def _spss_name(name: str) -> str:
    """A column name as Qualtrics writes it in SPSS exports (non-alphanumerics -> '_')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def column_hint(wanted: str, columns: Iterable[str]) -> str:
    """Why codebook column ``wanted`` may be missing: a near match among ``columns`` ('' if none).

    Recognised: surrounding spaces (``'Q2_1 '``), a different case (``'q2_1'``) and the
    SPSS form of a Qualtrics name (``Duration (in seconds)`` -> ``Duration__in_seconds_``).
    """
    columns = [str(c) for c in columns]
    for c in columns:
        if c != wanted and c.strip() == wanted.strip():
            return (f"the file has {c!r} for {wanted!r} (spaces around the name); remove the spaces in the export "
                    "or write the name exactly in the codebook")
    for c in columns:
        if c != wanted and c.strip().lower() == wanted.strip().lower():
            return f"the file has {c!r} for {wanted!r} (different upper/lower case)"
    spss = _spss_name(wanted)
    for c in columns:
        if c != wanted and (c == spss or _spss_name(c) == spss):
            return (f"the file has {c!r} for {wanted!r}: Qualtrics' SPSS/Stata exports replace spaces and "
                    f"brackets by '_'; write column: {c!r} in the codebook")
    return ""
