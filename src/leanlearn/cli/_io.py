"""File helpers shared by the CLI verbs: atomic writes, deterministic CSV, config loading.

Only the CLI touches files. Every verb writes its outputs through :func:`atomic_dir` or
:func:`atomic_file`, so a failing run leaves nothing half-written behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from leanlearn.errors import DataError, SpecError

FLOAT_FORMAT = "%.12g"


class UserError(Exception):
    """An error the user can fix; the CLI prints it in one line and exits with code 2."""


@contextlib.contextmanager
def user_errors(context: str | None = None) -> Iterator[None]:
    """Turn library input errors (SpecError, DataError) into UserError, prefixed by context."""
    try:
        yield
    except (SpecError, DataError) as exc:
        msg = str(exc)
        if context and not msg.startswith(context):
            msg = f"{context}: {msg}"
        raise UserError(msg) from exc


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory whose files are moved into ``out`` only on success.

    Files already in ``out`` that the verb does not write again are left alone; a file the
    verb writes replaces the old one atomically (``os.replace``).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                dest = out / path.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> None:
    """Write a CSV deterministically: fixed float format, '\\n' line ends, UTF-8."""
    df.to_csv(path, index=index, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8")


def read_yaml(path: str | os.PathLike) -> dict:
    """Read a YAML file; errors name the file and the line."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise UserError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def read_text(path: str | os.PathLike) -> str:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    return path.read_text(encoding="utf-8")


def read_config(path: str | os.PathLike, *, start: str | os.PathLike | None = None) -> dict:
    """Read a study config, validate it against the schema and fill in its defaults.

    Path keys (survey, archival, codebook, model, ...) are relative to the config file's
    folder in the file; the returned mapping has them relative to the working directory
    (:func:`leanlearn.spec.config.resolve_paths`; ``start`` names another folder they should
    be relative to, e.g. the repository root of a manifest). Errors (exit 2) name the file, the key
    path, the value and what is allowed.
    """
    from leanlearn.spec.config import resolve_paths, validate_config

    raw = read_yaml(path)
    try:
        cfg = validate_config(raw, source=str(path))
    except SpecError as exc:
        raise UserError(str(exc)) from exc
    return resolve_paths(cfg, Path(path).parent, start=start)


def read_codebook(path: str | os.PathLike):
    """Read and validate a codebook (:func:`leanlearn.spec.codebook.load_codebook`)."""
    from leanlearn.spec.codebook import load_codebook

    raw = read_yaml(path)
    with user_errors(str(path)):
        return load_codebook(raw)


def check_config_arguments(args) -> None:
    """Validate the files a verb was given with ``--config`` and ``--codebook`` before it runs.

    Called by :func:`leanlearn.cli.main` for every verb, so that a typo, a wrong type or an
    out-of-range value in either file stops the verb with exit 2 and a message naming the
    key path, whatever the verb does with the file later.
    """
    config = getattr(args, "config", None)
    if isinstance(config, (str, os.PathLike)) and config:
        read_config(config)
    codebook = getattr(args, "codebook", None)
    if isinstance(codebook, (str, os.PathLike)) and codebook and Path(codebook).suffix.lower() in (".yaml", ".yml", ".json"):
        read_codebook(codebook)
