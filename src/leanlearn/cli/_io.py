"""File helpers shared by the CLI verbs: atomic writes, deterministic CSV, config loading.

Only the CLI touches files. Every verb writes its outputs through :func:`atomic_dir` or
:func:`atomic_file`, so a failing run leaves nothing half-written behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from leanlearn.errors import DataError, SpecError, prefixed
from leanlearn.extras import require

if TYPE_CHECKING:  # pandas is imported by the verbs that use it, not by ``leanlearn --help``
    import pandas as pd

    from leanlearn.spec.model import ModelSpec

FLOAT_FORMAT = "%.12g"


class UserError(Exception):
    """An error the user can fix; the CLI prints it in one line and exits with code 2."""


@contextlib.contextmanager
def user_errors(context: str | None = None) -> Iterator[None]:
    """Turn library input errors (SpecError, DataError) into UserError, prefixed by context."""
    try:
        with prefixed(context):
            yield
    except (SpecError, DataError) as exc:
        raise UserError(str(exc)) from exc


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory that replaces the verb's previous outputs in ``out`` on success.

    All-or-nothing: the verb writes into a fresh sibling directory; only when the block
    finishes without an exception are its files put in place, and nothing of the previous
    run of the same verb survives that it did not write again (so a rerun never mixes files
    of two runs). Which verb wrote which files of ``out`` is recorded in
    ``<parent of out>/.leanlearn-written.log`` (JSON; a ``*.log`` file, which the manifest
    leaves out).

    * ``out`` absent, empty, or holding only files of this verb's previous run: the new
      directory is swapped in whole (two ``rename`` calls; a kill between them leaves no
      ``out`` at all, never a mix).
    * ``out`` shared with other verbs or holding files of unknown origin: the new files
      replace the old ones one by one (``os.replace``), then the files of this verb's
      previous run that were not written again are deleted; other files are left alone.

    On an exception, and on SIGTERM/SIGINT (the CLI turns them into exceptions), the
    temporary directory is removed and ``out`` is untouched. Leftovers of a killed run
    (``.<name>.tmp-<pid>-*``, ``.<name>.old-<pid>-*`` of a process that no longer exists)
    are removed at the next call.
    """
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    try:
        yield tmp
        _chmod_default_dir(tmp)
        written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        with _dir_lock(out.parent):
            registry = _read_registry(out.parent)
            key = f"{out.name}/{_VERB}"
            previous = registry.get(key)
            cwd = Path(os.getcwd())
            swappable = cwd != out and out not in cwd.parents  # never move the working directory away
            try:
                if swappable and _only_ours(out, previous):
                    _swap_whole(tmp, out)
                else:
                    _replace_files(tmp, out, written, previous)
            except OSError:  # e.g. a mount point: cannot be renamed; fall back to file by file
                if not tmp.exists():
                    raise
                _replace_files(tmp, out, written, previous)
            registry[key] = written
            _write_registry(out.parent, registry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_VERB = "leanlearn"
REGISTRY = ".leanlearn-written.log"


def set_verb(verb: str | None) -> None:
    """Name the running verb (set by :func:`leanlearn.cli.main`); outputs are recorded under it."""
    global _VERB
    _VERB = re.sub(r"[^A-Za-z0-9_-]", "_", verb or "leanlearn")


def _read_registry(parent: Path) -> dict[str, list[str]]:
    import json

    path = parent / REGISTRY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [str(f) for f in v] for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}


def _write_registry(parent: Path, registry: dict[str, list[str]]) -> None:
    import json

    fd, tmp = tempfile.mkstemp(prefix=f"{REGISTRY}.tmp-", dir=parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(registry.items())), fh, indent=1)
        fh.write("\n")
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, parent / REGISTRY)


def _only_ours(out: Path, previous: list[str] | None) -> bool:
    """Whether ``out`` may be replaced whole: nothing in it but this verb's previous files."""
    if not out.exists():
        return True
    if not out.is_dir() or out.is_symlink():
        return False
    present = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() or p.is_symlink()]
    if not present:
        return True
    if previous is None:
        return False
    mine = set(previous)
    return all(p in mine for p in present)


def _swap_whole(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _replace_files(tmp: Path, out: Path, written: list[str], previous: list[str] | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for rel in written:
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dest)
    for rel in sorted(set(previous or ()) - set(written)):
        stale = out / rel
        if stale.is_file() or stale.is_symlink():
            stale.unlink()


@contextlib.contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``directory`` (serialises swaps of sibling outputs)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(out: Path) -> None:
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?:tmp|old)-(\d+)-")
    for sibling in out.parent.iterdir():
        m = pattern.match(sibling.name)
        if m and sibling.is_dir() and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            shutil.rmtree(sibling, ignore_errors=True)


def _chmod_default_dir(path: Path) -> None:
    """Give a ``mkdtemp`` directory (0700) the mode a plain ``mkdir`` would have."""
    os.chmod(path, 0o777 & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode open() would
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(df: pd.DataFrame, path: str | os.PathLike | IO[str], *, index: bool = False) -> None:
    """Write a CSV deterministically: fixed float format, '\\n' line ends, UTF-8.

    The bytes are those of ``df.to_csv(path, index=index, float_format=FLOAT_FORMAT,
    lineterminator="\\n", encoding="utf-8")``. A frame of str-labelled float64, integer,
    bool and text columns (every result table) is written by the standard library's csv
    writer from cells formatted as pandas formats them (:func:`_csv_cells`), which saves
    pandas' fixed cost per file (about 0.6 ms, more than most tables take to write); any
    other frame, an index, or a compressed file name goes through ``to_csv``.
    """
    cells = None if index or not _plain_target(path) else _csv_cells(df)
    if cells is None:
        df.to_csv(path, index=index, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8")
        return
    if isinstance(path, (str, os.PathLike)):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            _write_rows(fh, list(df.columns), cells)
    else:  # a text stream
        _write_rows(path, list(df.columns), cells)


def _plain_target(path) -> bool:
    """A text stream, or a file name that pandas would not compress (it infers compression from the suffix)."""
    if isinstance(path, io.TextIOBase):
        return True
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).lower().endswith(".csv")


def _write_rows(fh: IO[str], header: list[str], cells: list[list[str]]) -> None:
    import csv

    writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)  # pandas' dialect for to_csv
    writer.writerow(header)
    writer.writerows(zip(*cells))


def _csv_cells(df: pd.DataFrame) -> list[list[str]] | None:
    """Each column's cells as ``to_csv`` with :data:`FLOAT_FORMAT` writes them, or None when a
    column is of another kind (then the caller uses ``to_csv``).

    float64: ``FLOAT_FORMAT % value``, missing as an empty cell; integer and bool: ``str``;
    text (``str``) columns and object columns holding only str and missing cells (None, NaN,
    pd.NA): the text, missing as an empty cell. Column labels must be unique strings.
    """
    import numpy as np
    import pandas as pd

    if df.shape[1] == 0 or not df.columns.is_unique or not all(type(c) is str for c in df.columns):
        return None
    out = []
    for _, col in df.items():
        dtype = col.dtype
        if isinstance(dtype, pd.StringDtype):  # pandas' text dtype: its cells as objects, missing as NaN or pd.NA
            values = col.to_numpy(dtype=object).tolist()
        elif isinstance(dtype, np.dtype):
            values = col.to_numpy().tolist()
        else:
            return None
        if dtype == np.float64:
            out.append([FLOAT_FORMAT % v if v == v else "" for v in values])
        elif dtype.kind in "iub":
            out.append([str(v) for v in values])
        elif all(type(v) is str or v is None or v is pd.NA or (type(v) is float and v != v) for v in values):
            out.append([v if type(v) is str else "" for v in values])  # object or text columns
        else:
            return None
    return out


def read_yaml(path: str | os.PathLike) -> dict:
    """Read a YAML file; errors name the file and the line."""
    yaml = require("yaml", "reading the config and codebook")

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


#: environment variable naming the directory for internal-error logs
CRASH_DIR_ENV = "LEANLEARN_LOG_DIR"


def crash_log(verb: str, argv: list[str]) -> Path:
    """Write the current exception's traceback to a private log file and return its path.

    The file is ``$LEANLEARN_LOG_DIR`` (default ``logs/``, else the system temporary
    folder when ``logs/`` cannot be written) ``/leanlearn-<verb>-<UTC time>-<pid>.log``,
    mode 0600 (a traceback may show data).
    """
    import time
    import traceback

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    text = f"leanlearn {verb} {' '.join(argv)}\n\n{traceback.format_exc()}"
    candidates = [Path(os.environ[CRASH_DIR_ENV])] if os.environ.get(CRASH_DIR_ENV) else []
    candidates += [Path("logs"), Path(tempfile.gettempdir())]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"leanlearn-{verb}-{stamp}-{os.getpid()}.log"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return path.resolve()
        except OSError:
            continue
    return Path("(no writable log folder)")


def make_private(path: str | os.PathLike) -> None:
    """Mode 0600 (owner read/write only) for a file, or every file under a directory."""
    path = Path(path)
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    for f in files:
        os.chmod(f, 0o600)


def check_bootstrap_options(
    *, resamples, workers=1, ci_level=0.95, allow_zero: bool = False,
    names: tuple[str, str, str] = ("bootstrap.resamples", "bootstrap.workers", "bootstrap.ci_level"),
) -> None:
    """Refuse bootstrap settings the engine cannot use, naming the option (UserError).

    ``resamples`` must be a whole number of at least 2 (0 too with ``allow_zero``: no
    bootstrap), ``workers`` a whole number of at least 1, ``ci_level`` a proportion
    strictly between 0 and 1 (``95`` is refused with the hint ``0.95``).
    """
    r_name, w_name, c_name = names

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if not whole(resamples) or resamples < 0 or (resamples < 2 and not (allow_zero and resamples == 0)):
        need = "0 (no bootstrap) or at least 2" if allow_zero else "at least 2"
        raise UserError(f"{r_name} must be a whole number, {need} (got {resamples!r}); the study uses 10000")
    if not whole(workers) or workers < 1:
        raise UserError(f"{w_name} must be a whole number of at least 1 (got {workers!r})")
    if isinstance(ci_level, bool) or not isinstance(ci_level, (int, float)) or not 0 < ci_level < 1:
        hint = f"; write {ci_level / 100:g} for {ci_level:g} %" if isinstance(ci_level, (int, float)) and 1 < ci_level < 100 else ""
        raise UserError(f"{c_name} must be a proportion between 0 and 1, e.g. 0.95 (got {ci_level!r}){hint}")


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


def read_model(path) -> "ModelSpec":
    """The model file at ``path``, parsed; a syntax error becomes a user error naming the file and line."""
    from leanlearn.spec.model import parse_model

    with user_errors(path):
        return parse_model(read_text(path))
