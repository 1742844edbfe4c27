"""The validated codebook as frozen dataclasses, and the canonical column names after ingest."""

from __future__ import annotations

from dataclasses import dataclass, field

RESPONDENT_ID = "respondent_id"
FIRM_ID = "firm_id"
PARADATA_KEYS = ("start", "end", "recorded", "duration_seconds", "progress", "finished", "wave")


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
    #: decimal separator of a text export ("." or ","), the other one being the thousands separator;
    #: None: detected from the delimiter and the cells (ambiguous files are refused)
    decimal_separator: str | None = None
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
