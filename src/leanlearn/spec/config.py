"""The study configuration: its schema, validation with defaults, and input paths.

A study config (``studies/<name>/config.yaml``) is checked against one JSON Schema,
``leanlearn/spec/schemas/config.schema.yaml`` (also ``workflow/schemas/config.schema.yaml``,
which the workflow validates with :func:`snakemake.utils.validate`). The codebook has its own
schema, ``codebook.schema.yaml``, applied by :func:`leanlearn.spec.codebook.load_codebook`.

:func:`validate_config` returns a copy of the config with the schema's defaults filled in
and raises :class:`~leanlearn.errors.SpecError` for the first problem, in a message that names

* the key path (``bootstrap.resamples``, ``hypotheses[2].direction``),
* the value found (config values are settings, never personal data), and
* what is allowed (the enum, the type, the range, or the known keys of the mapping).

Paths in a config file are relative to the folder of that file (:data:`PATH_KEYS`,
:func:`resolve_paths`), so a study folder can live anywhere and be run from anywhere.

This module reads the two schema files shipped with the package and no other file.
"""

from __future__ import annotations

import copy
import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from leanlearn.errors import SpecError

__all__ = [
    "PATH_KEYS",
    "OPTIONAL_INPUTS",
    "schema",
    "schema_path",
    "validate_config",
    "validate_mapping",
    "fill_defaults",
    "resolve_paths",
    "relative_paths",
    "command_line_scalars",
]

PATH_KEYS = ("survey", "archival", "sampling_frame", "codebook", "model", "hoc_model", "manuscript", "salt_file")
"""Config keys holding a file path (relative to the config file's folder)."""

OPTIONAL_INPUTS = ("archival", "sampling_frame", "manuscript", "hoc_model")
"""Inputs a study may leave out (the stages that need them are skipped with a note)."""


def schema_path(name: str) -> Path:
    """Path of a shipped schema file: ``name`` is ``"config"`` or ``"codebook"``."""
    return Path(str(resources.files("leanlearn.spec") / "schemas" / f"{name}.schema.yaml"))


@functools.lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    import yaml  # type: ignore[import-untyped]

    # libyaml's loader where PyYAML has it (the package's own schema: the same objects, ~8x faster)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(schema_path(name), encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # a safe loader either way


def schema(name: str) -> dict:
    """The parsed schema (a fresh copy): ``"config"`` or ``"codebook"``."""
    return copy.deepcopy(_schema(name))


# ---- messages ---------------------------------------------------------------------------------
def _key_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_TYPE_WORDS = {
    "boolean": "true or false (without quotes)",
    "integer": "a whole number",
    "number": "a number",
    "string": "a text",
    "object": "a mapping of keys to values",
    "array": "a list",
    "null": "null",
}


def _resolve(sub: Mapping, root: Mapping) -> Mapping:
    while isinstance(sub, Mapping) and "$ref" in sub:
        ref = sub["$ref"]
        node: Any = root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        sub = {**node, **{k: v for k, v in sub.items() if k != "$ref"}}
    return sub


def _allowed(sub: Mapping, root: Mapping) -> str:
    """What a schema node allows, in words."""
    sub = _resolve(sub, root)
    if "enum" in sub:
        return "one of " + ", ".join(map(str, sub["enum"]))
    if "const" in sub:
        return repr(sub["const"])
    if "oneOf" in sub or "anyOf" in sub:
        return " or ".join(_allowed(s, root) for s in (sub.get("oneOf") or sub.get("anyOf") or ()))
    types = sub.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in types) or "a value"
    bounds = []
    if "minimum" in sub:
        bounds.append(f">= {sub['minimum']}")
    if "exclusiveMinimum" in sub:
        bounds.append(f"> {sub['exclusiveMinimum']}")
    if "maximum" in sub:
        bounds.append(f"<= {sub['maximum']}")
    if "exclusiveMaximum" in sub:
        bounds.append(f"< {sub['exclusiveMaximum']}")
    if "minItems" in sub and sub.get("minItems") == sub.get("maxItems"):
        bounds.append(f"exactly {sub['minItems']} entries")
    elif "minItems" in sub:
        bounds.append(f"at least {sub['minItems']} entries")
    if "minLength" in sub and "string" in types:
        bounds.append("not empty")
    return words + (f" ({', '.join(bounds)})" if bounds else "")


#: keys of earlier versions -> their new place (named in the error instead of "unknown key")
RENAMED = {
    "robustness.group_column": "robustness.groups.column",
    "robustness.region_clusters": "robustness.groups.clusters",
    "structural.f2_cutoffs": "structural.f_squared_cutoffs",
    "structural.f2_interaction_cutoffs": "structural.f_squared_interaction_cutoffs",
}


def _message(error, root: Mapping, what: str) -> str:
    path = _key_path(error.absolute_path)
    where = path or what
    v = error.validator
    if v == "additionalProperties":
        props = sorted(map(str, _resolve(error.schema, root).get("properties", {})))
        extra = sorted(set(map(str, error.instance)) - set(props))
        key = extra[0] if extra else "?"
        full = f"{path}.{key}" if path else key
        known = ", ".join(props) if props else "(none)"
        renamed = [f"{path}.{k} is now {RENAMED[f'{path}.{k}']}" for k in extra if f"{path}.{k}" in RENAMED]
        if renamed:
            return "; ".join(renamed) + " (renamed keys; see docs/glossary.md and docs/groups.md)"
        return f"{full}: unknown key; allowed keys{' in ' + path if path else ''}: {known}"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        full = f"{path}.{missing}" if path else missing
        return f"{full}: required key missing"
    if v in ("enum", "const", "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "pattern", "oneOf", "anyOf", "minItems", "maxItems", "minProperties"):
        return f"{where}: {_show(error.instance)} is not allowed; expected {_allowed(error.schema, root)}"
    return f"{where}: {error.message}"


def _best_error(errors):
    """The deepest error first (most specific key path); ties in document order."""
    return sorted(errors, key=lambda e: (-len(e.absolute_path), list(map(str, e.absolute_path))))[0]


def validate_mapping(mapping: Any, name: str, *, what: str | None = None) -> None:
    """Check a mapping against a shipped schema; raise :class:`SpecError` for the first problem.

    Parameters
    ----------
    mapping : any
        The parsed YAML.
    name : {"config", "codebook"}
        Which schema.
    what : str, optional
        Name used when the problem is at the top level (default ``name``).
    """
    from leanlearn.extras import require

    jsonschema = require("jsonschema", "validating a config or codebook")
    root = _schema(name)
    validator = jsonschema.Draft202012Validator(root)
    errors = list(validator.iter_errors(mapping))
    if not errors:
        return
    err = _best_error(errors)
    # a oneOf/anyOf wrapper: report the branch that got furthest
    while err.validator in ("oneOf", "anyOf") and err.context:
        deeper = [e for e in err.context if len(e.absolute_path) > len(err.absolute_path)]
        if not deeper:
            break
        err = _best_error(deeper)
    raise SpecError(_message(err, root, what or name))


def fill_defaults(instance: Any, sub: Mapping, root: Mapping) -> Any:
    """Fill the schema's ``default`` values into a (valid) instance, recursively; returns a copy."""
    sub = _resolve(sub, root)
    if isinstance(instance, dict) and sub.get("type") == "object":
        out = dict(instance)
        for key, prop in (sub.get("properties") or {}).items():
            prop_r = _resolve(prop, root)
            if key not in out and "default" in prop_r:
                out[key] = copy.deepcopy(prop_r["default"])
            if key in out:
                out[key] = fill_defaults(out[key], prop_r, root)
        return out
    if isinstance(instance, list) and isinstance(sub.get("items"), Mapping):
        return [fill_defaults(v, sub["items"], root) for v in instance]
    return instance


def validate_config(mapping: Any, *, source: str = "config") -> dict:
    """Validate a study config and return it with the schema's defaults filled in.

    Parameters
    ----------
    mapping : mapping
        The config as read from YAML (and merged with command-line overrides).
    source : str
        File name put in front of the message (``config.yaml: bootstrap.resamples: ...``).

    Returns
    -------
    dict
        A new dict; the input is not changed.

    Raises
    ------
    SpecError
        ``<source>: <key path>: <value> is not allowed; expected <what>`` for a wrong type
        or an out-of-range value, ``<key path>: unknown key; allowed keys: ...`` for a
        misspelt key, at any level.
    """
    try:
        validate_mapping(mapping, "config")
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}") from None
    root = _schema("config")
    return fill_defaults(copy.deepcopy(dict(mapping)), root, root)


def resolve_paths(config: Mapping, base: str | os.PathLike, *, keys=PATH_KEYS, start: str | os.PathLike | None = None) -> dict:
    """Rewrite the path keys of a config from "relative to ``base``" to "relative to ``start``".

    ``base`` is the folder of the config file; ``start`` the working directory (default the
    current one). Absolute paths stay absolute; null / absent keys are left alone. The result
    is normalised (``results/../data/x.csv`` -> ``data/x.csv``).
    """
    out = dict(config)
    start = Path(start) if start is not None else Path.cwd()
    for key in keys:
        value = out.get(key)
        if not isinstance(value, str) or not value:
            continue
        if os.path.isabs(value):
            continue
        full = Path(os.path.abspath(Path(base) / value))
        out[key] = os.path.relpath(full, os.path.abspath(start)).replace(os.sep, "/")
    return out


def relative_paths(config: Mapping, folder: str | os.PathLike, *, keys=PATH_KEYS, start: str | os.PathLike | None = None) -> dict:
    """The inverse of :func:`resolve_paths`: paths relative to ``start`` -> relative to ``folder``.

    Used to write the effective config into ``results/config.yaml`` so that its paths, like
    those of any config file, are relative to its own folder.
    """
    start = Path(start) if start is not None else Path.cwd()
    out = dict(config)
    for key in keys:
        value = out.get(key)
        if not isinstance(value, str) or not value or os.path.isabs(value):
            continue
        full = os.path.abspath(start / value)
        out[key] = os.path.relpath(full, os.path.abspath(start / folder)).replace(os.sep, "/")
    return out


_INT_RE = __import__("re").compile(r"^[-+]?[0-9]+$")
_FLOAT_RE = __import__("re").compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$")


def command_line_scalars(value: Any) -> Any:
    """Give the text leaves of a ``--config`` override their YAML 1.2 (core schema) type.

    Snakemake reads ``--config bootstrap={resamples: 200}`` with every nested value as text
    (``'200'``). This turns such texts into what a config file would hold: whole numbers,
    decimal numbers, ``true`` / ``false``, ``null``. Anything else stays text, so
    ``consistent: no`` is still refused as "not true or false" (YAML 1.1's yes/no/on/off are
    not booleans here).
    """
    if isinstance(value, Mapping):
        return {k: command_line_scalars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [command_line_scalars(v) for v in value]
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    return value
