"""Check a study folder before anything runs (``leanlearn check``).

:func:`check_study` validates the config, codebook, model and survey data *together* and
returns every problem it finds, not only the first: a schema error of the config or the
codebook, a model that does not parse, model indicators the codebook does not define,
codebook columns missing from the export, item codes outside their scale, controls and
grouping variables that are neither covariates nor archival columns, control targets that
are not endogenous, hypotheses that name paths, chains or interactions the model does not
have, conceptually similar HTMT pairs of unknown constructs, and ``TODO`` placeholders left from a
``leanlearn init`` draft (:func:`placeholder_problems`).

Problems are ``error`` (the pipeline would fail or misread something) or ``note`` (worth
knowing, does not stop the run, e.g. a few out-of-range codes that ingest will set to
missing and list). No cell value of the data appears in a message, only counts and the
configured values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from leanlearn.errors import DataError, SpecError
from leanlearn.extras import require

if TYPE_CHECKING:
    from leanlearn.spec.codebook import Codebook, Item, Scale
    from leanlearn.spec.model import ModelSpec

__all__ = ["PROBLEM_COLUMNS", "check_study", "schema_problems", "hypothesis_problems", "placeholder_problems", "summary_lines"]

#: columns of the problem table
PROBLEM_COLUMNS = ("severity", "file", "where", "problem")

#: share of an item's filled cells outside its scale above which the scale is taken to be wrong
OUT_OF_RANGE_ERROR_SHARE = 0.20


def _p(rows: list, severity: str, file: str, where: str, problem: str) -> None:
    rows.append({"severity": severity, "file": file, "where": where, "problem": problem})


_TODO_RE = re.compile(r"\bTODO\b(?!-)")  # "TODO", "TODO:"; not a word such as "TODO-list"


def _comment_start(line: str) -> int:
    """Index of the ``#`` that starts a comment (YAML and model syntax: outside quotes, at the
    start or after a space), or -1."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return i
    return -1


_TODO_ACTIONS = {
    "study": "write one sentence on what the study is about (population, setting)",
    "respondent_id": "name the column that identifies each case (add one to the export if there is none)",
    "label": "write the construct's name as tables and the manuscript should show it",
    "text": "give the item's wording, or delete the text key",
}


def _todo_hint(line: str, pos: int, keyed: bool = True) -> str:
    """What to do about the placeholder: by its key, else the draft's own words after ``TODO:``."""
    own = line[pos + 4 :].lstrip(" :").split("#")[0].strip().strip("\"'}, ").strip().rstrip(".")
    key = line[:pos].split("#")[0].strip().rstrip("\"'").rstrip() if keyed else ""
    key = key.rstrip(":").split(",")[-1].split("{")[-1].strip().lstrip("- ").strip() if key.endswith(":") else ""
    what = _TODO_ACTIONS.get(key) or (f"replace it ({own})" if own else "replace it with the real value")
    return (f"'{key}' is still the placeholder of the `leanlearn init` draft: {what}" if key
            else f"a TODO placeholder is still in the text: {what}")


def placeholder_problems(texts: Mapping[str, str], *, comments: Iterable[str] = ()) -> list[dict]:
    """``TODO`` placeholders left from a ``leanlearn init`` draft, one problem per line.

    Parameters
    ----------
    texts : mapping
        File name (as shown in the messages) -> its text (config, codebook, model,
        manuscript template).
    comments : iterable of str
        The files among ``texts`` whose ``#`` starts a comment (YAML and model files).

    Returns
    -------
    list of problem rows (:data:`PROBLEM_COLUMNS`), ``where`` = ``line N``. A ``TODO`` in a
    value (``label: "TODO: ..."``, ``respondent_id: "TODO"``, a manuscript sentence) is an
    *error*: the placeholder would be read as data or printed in the results. A ``TODO``
    only in a comment (``# TODO: write the structural paths``) is a *note*: do what it says,
    then delete the comment. The message says what to do, in the draft's own words.
    """
    rows: list[dict] = []
    with_comments = set(comments)
    for file, text in texts.items():
        for n, line in enumerate((text or "").splitlines(), start=1):
            m = _TODO_RE.search(line)
            if not m:
                continue
            c = _comment_start(line) if file in with_comments else -1
            values = [mm for mm in _TODO_RE.finditer(line) if c < 0 or mm.start() < c]
            if values:
                _p(rows, "error", file, f"line {n}", _todo_hint(line, values[0].start(), keyed=file in with_comments))
            else:
                own = line[m.end():].lstrip(" :").strip()
                _p(rows, "note", file, f"line {n}",
                   "a TODO comment of the `leanlearn init` draft is still there"
                   + (f" ({own.rstrip('.')})" if own else "") + "; do what it says, then delete the comment")
    return rows


def _key_path(parts: Iterable) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def schema_problems(mapping: Any, schema: Mapping, *, file: str) -> list[dict]:
    """Every JSON-Schema violation of ``mapping`` as a problem row (key path, value, what is allowed)."""
    jsonschema = require("jsonschema", "checking a study against the config and codebook schemas")

    rows: list[dict] = []
    validator = jsonschema.Draft7Validator(schema)
    for err in sorted(validator.iter_errors(mapping), key=lambda e: [str(p) for p in e.absolute_path]):
        where = _key_path(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = sorted((err.schema.get("properties") or {}).keys())
            extra = sorted(set(err.instance) - set(allowed)) if isinstance(err.instance, dict) else []
            for key in extra or [None]:
                at = f"{where}.{key}" if key and where != "(top level)" else (key or where)
                msg = f"unknown key '{key}'" if key else err.message
                if allowed:
                    msg += f"; known keys: {', '.join(allowed)}"
                _p(rows, "error", file, at, msg)
            continue
        if err.validator == "enum":
            msg = f"{err.instance!r} is not allowed; use one of {', '.join(map(str, err.validator_value))}"
        elif err.validator == "type":
            msg = f"{err.instance!r} has the wrong type; expected {err.validator_value}"
        else:
            msg = err.message
        _p(rows, "error", file, where, msg)
    return rows


def _chain_links(chain) -> list[tuple[str, str]]:
    return [(chain[i], chain[i + 1]) for i in range(len(chain) - 1)]


#: the keys each hypothesis test needs besides ``id`` and ``test``
_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "path": ("source", "target"), "interaction": ("interaction", "target"), "indirect": ("path",),
    "indirect_difference": ("path", "versus"), "moderated_mediation": ("path", "moderator"),
    "conditional_indirect": ("path", "moderator", "at"),
}


def hypothesis_problems(hypotheses: Any, spec, *, file: str = "config.yaml") -> list[dict]:
    """Problems of the ``hypotheses`` list against a parsed model (paths, chains, interactions)."""
    rows: list[dict] = []
    if not hypotheses:
        return rows
    paths = {(p.source, p.target) for p in spec.paths}
    names = set(spec.construct_names)
    inter = {i.name: i for i in spec.interactions}
    seen = set()
    for k, h in enumerate(hypotheses if isinstance(hypotheses, list) else []):
        if not isinstance(h, Mapping):
            continue
        hid = str(h.get("id", ""))
        where = f"hypotheses[{k}] ({hid})"
        if hid in seen:
            _p(rows, "error", file, where, f"id '{hid}' is used twice")
        seen.add(hid)
        test = h.get("test")
        required = _REQUIRED_KEYS.get(test, ()) if isinstance(test, str) else ()
        missing = [key for key in required if key not in h]
        if missing:
            _p(rows, "error", file, where, f"test '{test}' needs the key(s) {', '.join(missing)}")
            continue

        def known(name, key):
            if name not in names:
                _p(rows, "error", file, f"{where}.{key}", f"'{name}' is not a construct of the model ({', '.join(sorted(names))})")
                return False
            return True

        if test == "path":
            if known(h["source"], "source") & known(h["target"], "target") and (h["source"], h["target"]) not in paths:
                _p(rows, "error", file, where, f"the model has no path {h['source']} -> {h['target']}; add it to the model or correct the hypothesis")
        elif test == "interaction":
            term = str(h["interaction"])
            a, _, b = term.partition(":")
            match = [n for n, i in inter.items() if {a, b} == set(n.split(":"))]
            if not match:
                _p(rows, "error", file, f"{where}.interaction", f"the model has no interaction {term} (interactions: {', '.join(inter) or 'none'})")
            elif known(h["target"], "target") and (match[0], h["target"]) not in paths:
                _p(rows, "error", file, where, f"the model has no path {term} -> {h['target']}")
        else:
            chains = [("path", h["path"])] + ([("versus", h["versus"])] if test == "indirect_difference" else [])
            ok = True
            for key, chain in chains:
                if not isinstance(chain, list) or len(chain) < 3:
                    continue  # the schema reports it
                for s, t in _chain_links(chain):
                    if not (known(s, key) & known(t, key)):
                        ok = False
                    elif (s, t) not in paths:
                        ok = False
                        _p(rows, "error", file, f"{where}.{key}", f"the chain {' -> '.join(chain)} needs the path {s} -> {t}, which the model does not have")
            if ok and test in ("moderated_mediation", "conditional_indirect"):
                mod = h["moderator"]
                moderated = [
                    (s, t) for s, t in _chain_links(h["path"])
                    for n in inter if set(n.split(":")) == {s, mod} and (n, t) in paths
                ]
                if not moderated:
                    _p(rows, "error", file, f"{where}.moderator",
                       f"no link of {' -> '.join(h['path'])} is moderated by {mod} in the model (add e.g. {h['path'][1]} ~ {h['path'][0]}:{mod})")
    return rows


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip().str.replace(r"^([-+]?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float)


def check_study(
    config: Mapping | None,
    codebook: Mapping | None,
    model_text: str | None,
    data: pd.DataFrame | None,
    *,
    archival_columns: Iterable[str] | None = None,
    files: Mapping[str, str] | None = None,
    config_schema: Mapping | None = None,
    codebook_schema: Mapping | None = None,
) -> pd.DataFrame:
    """Validate a study's config, codebook, model and data together.

    Parameters
    ----------
    config, codebook : mapping or None
        As read from YAML (None when the file could not be read; its reading problem is
        the caller's to report).
    model_text : str or None
    data : DataFrame or None
        The raw export (:func:`leanlearn.data.ingest.read_export`).
    archival_columns : iterable of str, optional
        Columns of the archival file when the study has one.
    files : mapping, optional
        ``config``/``codebook``/``model``/``survey`` -> file name used in the messages.
    config_schema, codebook_schema : mapping, optional
        JSON Schemas to validate against (every violation is reported).

    Returns
    -------
    DataFrame
        One row per problem, columns :data:`PROBLEM_COLUMNS` (``severity`` is ``error`` or
        ``note``), in the order config, codebook, model, data, cross-checks. Empty when all
        is well.
    """
    f = {"config": "config.yaml", "codebook": "codebook.yaml", "model": "model.lav", "survey": "survey"}
    f.update(files or {})
    rows: list[dict] = []
    cfg = dict(config or {})
    if config is not None and config_schema is not None:
        rows += schema_problems(config, config_schema, file=f["config"])
    cb = _read_codebook(codebook, codebook_schema, rows, file=f["codebook"])
    spec = _parse_model(model_text, rows, file=f["model"])
    covariates = dict((codebook or {}).get("covariates") or {}) if isinstance(codebook, Mapping) else {}
    # when the codebook did not validate, cross-check what can be read from it anyway
    raw_items = _raw_items(codebook) if cb is None and isinstance(codebook, Mapping) else []
    if spec is not None and (cb is not None or raw_items):
        rows += _model_against_codebook(spec, cb, raw_items, covariates, file=f["model"])
    if data is not None and cb is None and raw_items:
        absent = [f"'{c}' (item {i})" for i, c in raw_items if c not in data.columns]
        if absent:
            _p(rows, "error", f["survey"], "(columns)", f"{len(absent)} codebook column(s) missing from the data file: {', '.join(absent)}")
    if data is not None and cb is not None:
        rows += _data_against_codebook(data, cb, covariates, file=f["survey"])
    if spec is not None:
        archival = set(archival_columns or ())
        rows += _config_against_study(cfg, spec, covariates, archival, data, file=f["config"])
    if config is not None and not cfg.get("hypotheses"):
        _p(rows, "note", f["config"], "hypotheses", "no hypotheses configured; the results describe the paths but test no hypothesis")
    return pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))


def _read_codebook(codebook: Mapping | None, schema: Mapping | None, rows: list[dict], *, file: str) -> Codebook | None:
    """The codebook validated against its schema, then loaded; None (problems added to ``rows``) when it fails."""
    from leanlearn.spec.codebook import load_codebook

    if codebook is None:
        return None
    n_before = len(rows)
    if schema is not None:
        rows += schema_problems(codebook, schema, file=file)
    if len(rows) != n_before:
        return None
    try:
        return load_codebook(dict(codebook))
    except (SpecError, DataError) as exc:
        where, _, what = str(exc).partition(": ")
        _p(rows, "error", file, where if what else "(codebook)", what or str(exc))
        return None


def _parse_model(model_text: str | None, rows: list[dict], *, file: str) -> ModelSpec | None:
    """The parsed model; None (a problem with its line added to ``rows``) when it does not parse."""
    from leanlearn.spec.model import parse_model

    if model_text is None:
        return None
    try:
        return parse_model(model_text)
    except SpecError as exc:
        msg = str(exc)
        where = msg.split(":")[0] if msg.startswith("line ") else "(model)"
        _p(rows, "error", file, where, msg.partition(": ")[2] if msg.startswith("line ") else msg)
        return None


def _model_against_codebook(
    spec: ModelSpec, cb: Codebook | None, raw_items: list[tuple[str, str]], covariates: Mapping, *, file: str
) -> list[dict]:
    """Model indicators that are no items (or covariates) of the codebook; marker constructs in the model."""
    rows: list[dict] = []
    known_items = set(cb.item_ids if cb is not None else (i for i, _ in raw_items)) | set(covariates)
    for c in spec.constructs:
        bad = [i for i in c.indicators if i not in known_items]
        if bad:
            _p(rows, "error", file, f"construct {c.name}",
               f"indicator(s) {', '.join(bad)} are not items (or covariates) of the codebook; use the item ids of codebook.yaml")
    markers = set(cb.marker_constructs) if cb is not None else set()
    for c in spec.constructs:
        if c.name in markers:
            _p(rows, "note", file, f"construct {c.name}", "is a marker construct in the codebook; markers are usually left out of the model")
    return rows


def _data_against_codebook(data: pd.DataFrame, cb: Codebook, covariates: Mapping, *, file: str) -> list[dict]:
    """Codebook columns absent from the export, item codes that are no numbers or outside their scale, covariate columns."""
    from leanlearn.spec.codebook import check_columns

    rows: list[dict] = []
    try:
        absent = check_columns(cb, data.columns, source=file)
        for name in absent:
            _p(rows, "note", file, name, "optional codebook column absent; the checks that need it are skipped")
    except DataError as exc:
        _p(rows, "error", file, "(columns)", str(exc).partition(": ")[2] or str(exc))
    scales = {s.name: s for s in cb.scales}
    for it in cb.items:
        if it.column in data.columns:
            rows += _item_code_problems(data[it.column], it, scales[it.scale], file=file)
    for name, entry in covariates.items():
        col = entry.get("column") if isinstance(entry, Mapping) else None
        if col and col not in data.columns:
            _p(rows, "error", file, f"covariates.{name}", f"column '{col}' is not in the export")
        elif col and isinstance(entry, Mapping) and entry.get("type") == "numeric":
            raw = data[str(col)]  # a column of the export (its names are text)
            filled = raw.notna() & (raw.astype(str).str.strip() != "")
            n_text = int((filled & _numeric(raw).isna()).sum())
            if n_text:
                _p(rows, "error", file, f"covariates.{name}", f"{n_text} cell(s) of numeric covariate column '{col}' are not numbers; declare it type: categorical")
    return rows


def _item_code_problems(raw: pd.Series, it: Item, s: Scale, *, file: str) -> list[dict]:
    """One item's column: text cells, codes outside the scale (an error above :data:`OUT_OF_RANGE_ERROR_SHARE`), emptiness."""
    rows: list[dict] = []
    filled = raw.notna() & (raw.astype(str).str.strip() != "")
    nums = _numeric(raw)
    n_text = int((filled & nums.isna()).sum())
    valid = nums[filled & nums.notna()]
    n_out = int(((valid < s.min) | (valid > s.max) | (valid != np.round(valid))).sum())
    n_filled = int(filled.sum())
    where = f"{it.column} (item {it.id})"
    if n_text:
        _p(rows, "error", file, where, f"{n_text} cell(s) are not numbers; items must hold numeric codes (recode text answers in the export)")
    if n_out:
        share = n_out / max(n_filled, 1)
        sev = "error" if share > OUT_OF_RANGE_ERROR_SHARE else "note"
        hint = (f"the scale {it.scale} ({s.min}-{s.max}) looks wrong for this item; correct it in the codebook"
                if sev == "error" else "ingest will set them to missing and list them (missing-value codes such as -99 are expected here)")
        _p(rows, sev, file, where, f"{n_out} of {n_filled} filled cell(s) outside scale {it.scale} ({s.min}-{s.max}); {hint}")
    if n_filled == 0:
        _p(rows, "error", file, where, "the column is empty")
    return rows


def _config_against_study(
    cfg: Mapping, spec: ModelSpec, covariates: Mapping, archival: set[str], data: pd.DataFrame | None, *, file: str
) -> list[dict]:
    """Controls, the grouping variable, hypotheses and HTMT pairs of the config against the model, codebook and data."""
    rows = _control_problems(cfg, spec, covariates, archival, file=file)
    rows += _group_problems(cfg, covariates, archival, data, file=file)
    rows += hypothesis_problems(cfg.get("hypotheses"), spec, file=file)
    meas = cfg.get("measurement") or {}
    if isinstance(meas, Mapping):
        for k, pair in enumerate(meas.get("htmt_similar_pairs") or []):
            for name in pair or []:
                if name not in spec.construct_names:
                    _p(rows, "error", file, f"measurement.htmt_similar_pairs[{k}]", f"'{name}' is not a construct of the model")
    return rows


def _is_known_variable(v: str, covariates: Mapping, archival: set[str], has_archival: bool) -> bool:
    """A covariate of the codebook, or an archival column (any name when the archival file could not be read)."""
    return v in set(covariates) | archival or (has_archival and (not archival or v in _derived_archival(archival)))


def _unknown_variable(v: str, covariates: Mapping, has_archival: bool) -> str:
    return (f"'{v}' is neither a covariate of the codebook ({', '.join(sorted(covariates)) or 'none declared'})"
            + (" nor an archival column" if has_archival else " (the study has no archival data)"))


def _control_problems(cfg: Mapping, spec: ModelSpec, covariates: Mapping, archival: set[str], *, file: str) -> list[dict]:
    """``controls``: variables that are neither covariates nor archival, categorical ones not listed, targets not endogenous."""
    rows: list[dict] = []
    controls = cfg.get("controls") or {}
    if not isinstance(controls, Mapping):
        return rows
    has_archival = bool(cfg.get("archival"))
    for k, v in enumerate(controls.get("variables") or []):
        if not _is_known_variable(v, covariates, archival, has_archival):
            _p(rows, "error", file, f"controls.variables[{k}]", _unknown_variable(v, covariates, has_archival))
    for k, v in enumerate(controls.get("categorical") or []):
        if v not in (controls.get("variables") or []):
            _p(rows, "error", file, f"controls.categorical[{k}]", f"'{v}' is not listed in controls.variables")
    endo = set(spec.endogenous)
    for k, v in enumerate(controls.get("targets") or []):
        if v not in endo:
            _p(rows, "error", file, f"controls.targets[{k}]",
               f"'{v}' is not an endogenous construct of the model ({', '.join(spec.endogenous)})")
    return rows


def _group_problems(cfg: Mapping, covariates: Mapping, archival: set[str], data: pd.DataFrame | None, *, file: str) -> list[dict]:
    """``robustness.groups``: a column that is neither covariate nor archival, cluster levels absent from the data."""
    rows: list[dict] = []
    rob = cfg.get("robustness") or {}
    groups_entry = rob.get("groups") if isinstance(rob, Mapping) else None
    if isinstance(groups_entry, str) and groups_entry != "none":  # robustness.groups: <column>
        groups_entry = {"column": groups_entry}
    if not (isinstance(groups_entry, Mapping) and groups_entry.get("column")):
        return rows
    group_key = "robustness.groups.column"
    has_archival = bool(cfg.get("archival"))
    g, clusters = groups_entry["column"], groups_entry.get("clusters")
    if not _is_known_variable(g, covariates, archival, has_archival):
        _p(rows, "error", file, group_key, _unknown_variable(g, covariates, has_archival))
    elif g in covariates and data is not None and isinstance(clusters, Mapping):
        col = covariates[g].get("column")
        if col in data.columns:
            levels = set(data[col].dropna().astype(str).str.strip())
            for cluster, members in clusters.items():
                for m in members or []:
                    if str(m) not in levels:
                        _p(rows, "error", file, f"robustness.groups.clusters.{cluster}", f"level '{m}' does not occur in column '{col}'")
    if g in covariates and isinstance(covariates[g], Mapping) and covariates[g].get("type") == "numeric":
        _p(rows, "note", file, group_key, f"'{g}' is a numeric covariate; every distinct value becomes a group")
    return rows


def _group_column(config: Mapping) -> str | None:
    """The grouping column: ``robustness.groups.column`` or ``robustness.group_column``."""
    rob = config.get("robustness") or {}
    groups = rob.get("groups") if isinstance(rob, Mapping) else None
    if isinstance(groups, Mapping) and groups.get("column"):
        return str(groups["column"])
    return rob.get("group_column") if isinstance(rob, Mapping) else None


def _raw_items(codebook: Mapping) -> list[tuple[str, str]]:
    """(item id, column) pairs readable from a codebook mapping that did not validate."""
    out = []
    constructs = codebook.get("constructs")
    for c in (constructs.values() if isinstance(constructs, Mapping) else []):
        for it in (c.get("items") or []) if isinstance(c, Mapping) else []:
            if isinstance(it, Mapping) and isinstance(it.get("id"), str) and isinstance(it.get("column"), str):
                out.append((it["id"], it["column"]))
    return out


def _derived_archival(columns: set[str]) -> set[str]:
    """Controls the merge derives from archival columns (log_employees, firm_age, industry_group ...)."""
    out = set(columns)
    if "employees" in columns:
        out.add("log_employees")
    if "founding_year" in columns:
        out.add("firm_age")
    if "nace2" in columns:
        out |= {"industry_group", "industry"}
    if "revenue_usd_th" in columns:
        out.add("log_revenue")
    return out


def summary_lines(config: Mapping, codebook: Mapping, spec, data: pd.DataFrame | None) -> list[str]:
    """What a passing study consists of, for the 'OK' message."""
    cb = codebook or {}
    constructs = cb.get("constructs") or {}
    n_items = sum(len(c.get("items") or []) for c in constructs.values())
    unit = (cb.get("unit") or {}).get("plural") or "respondents"
    lines = [
        f"export: {len(data) if data is not None else '?'} rows ({unit}), {data.shape[1] if data is not None else '?'} columns",
        f"codebook: {len(constructs)} construct(s), {n_items} item(s), {len(cb.get('covariates') or {})} covariate(s), "
        f"{len(cb.get('attention_checks') or [])} attention check(s), {len(cb.get('personal_data') or [])} personal-data column(s)",
        f"model: {len(spec.constructs)} construct(s), {len(spec.paths)} path(s), {len(spec.interactions)} interaction(s)",
        f"config: {len(config.get('hypotheses') or [])} hypothesis(es); controls: "
        f"{', '.join((config.get('controls') or {}).get('variables') or []) or 'none'}; groups: "
        f"{_group_column(config) or 'none'}",
        "optional inputs: " + ", ".join(f"{k} {'given' if config.get(k) else 'absent (skipped)'}" for k in ("archival", "sampling_frame")),
    ]
    return lines
