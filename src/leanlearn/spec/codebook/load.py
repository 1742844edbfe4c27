"""Reading a codebook mapping into a :class:`~leanlearn.spec.codebook.Codebook` (:func:`load_codebook`)."""

from __future__ import annotations

from typing import Any, Mapping

from leanlearn.spec.codebook.records import (
    FIRM_ID,
    PARADATA_KEYS,
    RESPONDENT_ID,
    AttentionCheck,
    Codebook,
    Construct,
    Covariate,
    Item,
    KeyInformantField,
    PageTimer,
    Paradata,
    PersonalColumn,
    Scale,
    Unit,
)
from leanlearn.spec.codebook.validate import (
    _ATTENTION_KEYS,
    _ITEM_KEYS,
    _NAME_RE,
    COVARIATE_TYPES,
    PERSONAL_ACTIONS,
    ROLES,
    SOURCE_FORMATS,
    _as_int,
    _as_list,
    _as_mapping,
    _as_str,
    _date_format,
    _fail,
    _labels,
    _no_reverse_flag,
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
    ld = _Loader(cb)
    ld.identifiers()
    ld.read_scales()
    ld.constructs_and_items()
    ld.attention_checks()
    ld.personal_data()
    ld.paradata()
    ld.key_informant()
    ld.covariates()
    ld.check_reserved_names()
    unit = _unit(cb)

    # -- everything else the schema says (unknown keys at every level, types)
    from leanlearn.spec.config import validate_mapping

    validate_mapping(dict(cb), "codebook")

    date_format = cb.get("date_format")
    if date_format is not None:
        date_format = _date_format(date_format)
    sheet = cb.get("sheet")
    if sheet is not None:
        sheet = _as_str(sheet, "sheet")
    decimal = cb.get("decimal_separator")
    if decimal is not None and decimal not in (".", ","):
        raise _fail("decimal_separator", "expected '.' or ',' (in quotes)")

    return Codebook(
        source_format=str(source_format),
        respondent_id=ld.respondent_id,
        firm_id=ld.firm_id,
        scales=tuple(ld.scales.values()),
        constructs=tuple(ld.constructs),
        items=tuple(ld.items),
        attention_checks=tuple(ld.attention),
        personal_data=tuple(ld.personal),
        paradata=Paradata(tuple(ld.para_cols), tuple(ld.timers)),
        key_informant=tuple(ld.ki),
        study=str(cb.get("study", "")),
        date_format=date_format,
        sheet=sheet,
        decimal_separator=decimal,
        unit=unit,
        covariates=tuple(ld.covariates_),
    )


def _unit(cb: Mapping) -> Unit:
    """The unit of analysis (default: a respondent)."""
    unit_entry = cb.get("unit")
    if unit_entry is None:
        return Unit()
    unit_entry = _as_mapping(unit_entry, "unit")
    uname = _as_str(unit_entry.get("name"), "unit.name").strip()
    return Unit(uname, str(unit_entry.get("plural") or f"{uname}s").strip())


class _Loader:
    """The sections of one codebook, validated in order; later sections check against earlier ones."""

    def __init__(self, cb: Mapping) -> None:
        self.cb = cb
        #: column -> key path of its first use (duplicate-column check)
        self.used_columns: dict[str, str] = {}
        self.respondent_id = ""
        self.firm_id: str | None = None
        self.scales: dict[str, Scale] = {}
        self.constructs: list[Construct] = []
        self.items: list[Item] = []
        self.item_home: dict[str, tuple[str, str]] = {}  # id -> (construct, path)
        self.construct_names: set[str] = set()
        self.attention: list[AttentionCheck] = []
        self.personal: list[PersonalColumn] = []
        self.para_cols: list[tuple[str, str]] = []
        self.timers: list[PageTimer] = []
        self.ki: list[KeyInformantField] = []
        self.covariates_: list[Covariate] = []

    def use_column(self, col: str, path: str) -> None:
        used_columns = self.used_columns
        if col in used_columns:
            raise _fail(
                path,
                f"column '{col}' is already used by {used_columns[col]}; each data column can "
                "have one meaning only",
            )
        used_columns[col] = path

    def known_scale(self, name: Any, path: str) -> str:
        scales = self.scales
        if name not in scales:
            raise _fail(path, f"unknown scale {name!r}; defined scales: {', '.join(scales) or '(none)'}")
        return str(name)

    def identifiers(self) -> None:
        """``identifiers``: the respondent id column (and the firm id column)."""
        if "identifiers" not in self.cb:
            raise _fail("identifiers", "missing; give the respondent_id column (and firm_id when cases are firms joined to archival data)")
        ident = _as_mapping(self.cb["identifiers"], "identifiers")
        if "respondent_id" not in ident:
            raise _fail("identifiers.respondent_id", "missing; name the column that holds it")
        self.respondent_id = respondent_id = _as_str(ident["respondent_id"], "identifiers.respondent_id")
        self.firm_id = firm_id = _as_str(ident["firm_id"], "identifiers.firm_id") if ident.get("firm_id") is not None else None
        self.use_column(respondent_id, "identifiers.respondent_id")
        if firm_id is not None:
            self.use_column(firm_id, "identifiers.firm_id")

    def read_scales(self) -> None:
        """``scales``: integer codes min..max and their labels."""
        if "scales" not in self.cb:
            raise _fail("scales", "missing; define at least one scale with min and max")
        scales = self.scales
        for name, entry in _as_mapping(self.cb["scales"], "scales").items():
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

    def constructs_and_items(self) -> None:
        """``constructs``: each construct, its scale and role, and its items (ids unique across constructs)."""
        if "constructs" not in self.cb:
            raise _fail("constructs", "missing; define at least one construct with items")
        constructs, items, item_home = self.constructs, self.items, self.item_home
        for cname, centry in _as_mapping(self.cb["constructs"], "constructs").items():
            cpath = f"constructs.{cname}"
            cname = str(cname)
            if not _NAME_RE.match(cname):
                raise _fail(cpath, f"'{cname}' is not a valid construct name (letters, digits, '_' and '.')")
            centry = _as_mapping(centry, cpath)
            _no_reverse_flag(centry, cpath, f"construct {cname}")
            if "scale" not in centry:
                raise _fail(f"{cpath}.scale", "missing; name one of the scales defined under 'scales'")
            cscale = self.known_scale(centry["scale"], f"{cpath}.scale")
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
                self.use_column(col, f"{ipath}.column")
                iscale = self.known_scale(ientry["scale"], f"{ipath}.scale") if "scale" in ientry else cscale
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
        construct_names = self.construct_names = {c.name for c in constructs}
        clash = construct_names & set(item_home)
        if clash:
            name = sorted(clash)[0]
            raise _fail(item_home[name][1], f"'{name}' is both a construct and an item id; rename one")

    def attention_checks(self) -> None:
        """``attention_checks``: instructed-response items and their expected answers."""
        attention, item_home, construct_names = self.attention, self.item_home, self.construct_names
        for i, aentry in enumerate(_as_list(self.cb.get("attention_checks", []) or [], "attention_checks")):
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
            self.use_column(col, f"{apath}.column")
            ascale = self.known_scale(aentry["scale"], f"{apath}.scale")
            expected = _as_int(aentry["expected"], f"{apath}.expected")
            s = self.scales[ascale]
            if not s.min <= expected <= s.max:
                raise _fail(
                    f"{apath}.expected",
                    f"{expected} is outside scale {ascale} ({s.min}-{s.max}); give the code of the instructed answer",
                )
            attention.append(AttentionCheck(aid, col, expected, ascale, str(aentry.get("text", ""))))

    def personal_data(self) -> None:
        """``personal_data``: columns to drop or hash."""
        for i, pentry in enumerate(_as_list(self.cb.get("personal_data", []) or [], "personal_data")):
            ppath = f"personal_data[{i}]"
            pentry = _as_mapping(pentry, ppath)
            col = _as_str(pentry.get("column"), f"{ppath}.column")
            action = pentry.get("action", "drop")
            if action not in PERSONAL_ACTIONS:
                raise _fail(f"{ppath}.action", f"unknown action {action!r}; use drop or hash")
            self.use_column(col, f"{ppath}.column")
            self.personal.append(PersonalColumn(col, str(action), str(pentry.get("kind", ""))))

    def paradata(self) -> None:
        """``paradata``: known paradata keys and page timers over known items."""
        pd_entry = _as_mapping(self.cb.get("paradata", {}) or {}, "paradata")
        all_answerable = set(self.item_home) | {a.id for a in self.attention}
        for key, value in pd_entry.items():
            if key == "page_timers":
                continue
            if key not in PARADATA_KEYS:
                raise _fail(f"paradata.{key}", f"unknown paradata key; known keys: {', '.join(PARADATA_KEYS)}, page_timers")
            col = _as_str(value, f"paradata.{key}")
            self.use_column(col, f"paradata.{key}")
            self.para_cols.append((str(key), col))
        for i, tentry in enumerate(_as_list(pd_entry.get("page_timers", []) or [], "paradata.page_timers")):
            tpath = f"paradata.page_timers[{i}]"
            tentry = _as_mapping(tentry, tpath)
            col = _as_str(tentry.get("column"), f"{tpath}.column")
            self.use_column(col, f"{tpath}.column")
            titems = _as_list(tentry.get("items"), f"{tpath}.items")
            if not titems:
                raise _fail(f"{tpath}.items", "list the items shown on the page")
            for j, iid in enumerate(titems):
                if iid not in all_answerable:
                    raise _fail(f"{tpath}.items[{j}]", f"unknown item {iid!r}; use item or attention-check ids")
            self.timers.append(PageTimer(f"page_seconds_{i + 1}", col, tuple(map(str, titems))))

    def key_informant(self) -> None:
        """``key_informant``: questions about the respondent (knowledge, position, ...)."""
        for key, kentry in _as_mapping(self.cb.get("key_informant", {}) or {}, "key_informant").items():
            kpath = f"key_informant.{key}"
            kentry = _as_mapping(kentry, kpath)
            _no_reverse_flag(kentry, kpath, "a key-informant question")
            col = _as_str(kentry.get("column"), f"{kpath}.column")
            self.use_column(col, f"{kpath}.column")
            kscale = self.known_scale(kentry["scale"], f"{kpath}.scale") if "scale" in kentry else None
            self.ki.append(
                KeyInformantField(
                    key=str(key),
                    column=col,
                    scale=kscale,
                    labels=_labels(kentry.get("labels"), f"{kpath}.labels", self.scales.get(kscale) if kscale else None),
                    text=str(kentry.get("text", "")),
                )
            )

    def covariates(self) -> None:
        """``covariates``: numeric or categorical questionnaire variables."""
        for name, centry in _as_mapping(self.cb.get("covariates", {}) or {}, "covariates").items():
            cpath = f"covariates.{name}"
            name = str(name)
            if not _NAME_RE.match(name):
                raise _fail(cpath, f"'{name}' is not a valid covariate name (letters, digits, '_' and '.')")
            centry = _as_mapping(centry, cpath)
            _no_reverse_flag(centry, cpath, "a covariate")
            col = _as_str(centry.get("column"), f"{cpath}.column")
            self.use_column(col, f"{cpath}.column")
            ctype = centry.get("type")
            if ctype not in COVARIATE_TYPES:
                raise _fail(f"{cpath}.type", f"{ctype!r} is not allowed; expected one of {', '.join(COVARIATE_TYPES)}")
            self.covariates_.append(Covariate(name, col, str(ctype), _labels(centry.get("labels"), f"{cpath}.labels", None), str(centry.get("text", ""))))

    def check_reserved_names(self) -> None:
        """Canonical names must not collide with item ids or with each other."""
        reserved = {RESPONDENT_ID, FIRM_ID, *PARADATA_KEYS, *(t.name for t in self.timers), *(f.name for f in self.ki)}
        for iid, (_, path) in self.item_home.items():
            if iid in reserved:
                raise _fail(path, f"item id '{iid}' is reserved for a canonical column; rename the item")
        taken = reserved | set(self.item_home) | self.construct_names | {a.id for a in self.attention}
        for c in self.covariates_:
            if c.name in taken:
                raise _fail(f"covariates.{c.name}", f"'{c.name}' is already the name of an item, construct, check or canonical column; rename the covariate")
