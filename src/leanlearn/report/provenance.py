"""Provenance: what a run used and produced, and the reviewer's comparison of two runs.

The manifest (``results/manifest.json``, written by ``leanlearn manifest``) records

* the SHA-256 of every **input** (raw survey export, archival data, sampling frame, codebook,
  model, manuscript template, the config), and of the workflow files (everything under
  ``workflow/``: Snakefile, rule files, schemas, environment file, report captions),
* the SHA-256 of every **result file** under ``results/`` except :data:`EXCLUDE` (files that are
  not byte-reproducible by design, listed with the reason),
* the effective config (``results/config.yaml``: the study config merged with command-line
  overrides, validated, defaults filled in), the seed, the versions of Python and the scientific
  packages, and the git commit (``"unknown"`` outside a git checkout) with a flag for uncommitted
  changes,
* the SHA-256 of the dependency locks (:data:`LOCK_FILES`; ``make run`` and ``make test``
  install exactly these hash-checked versions), so a rerun can tell whether it used the same
  environment as the recorded one.

It contains no timestamps, so two runs of the same tree in the same environment produce the
same manifest. ``leanlearn verify`` reruns the pipeline from the inputs in a fresh folder and
compares the new result hashes with the recorded ones (:func:`compare_hashes`).

Pure functions except :func:`git_commit` / :func:`git_dirty` (which ask git) and
:func:`software_versions` (which asks the installed package metadata); hashing files is the
CLI's job (:mod:`leanlearn.cli.manifest`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.metadata
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

__all__ = [
    "MANIFEST_VERSION",
    "SOFTWARE",
    "EXCLUDE",
    "WORKFLOW_FILES",
    "LOCK_FILES",
    "Difference",
    "sha256_bytes",
    "is_excluded",
    "software_versions",
    "git_commit",
    "git_dirty",
    "input_paths",
    "build_manifest",
    "compare_hashes",
    "format_differences",
]

MANIFEST_VERSION = 1

SOFTWARE = ("leanlearn", "numpy", "pandas", "scipy", "statsmodels", "semopy", "snakemake", "matplotlib", "scikit-learn", "jinja2", "markdown")

# Result files that are not part of the byte-for-byte comparison, with the reason (glob
# patterns relative to results/; "*" also matches "/").
EXCLUDE: dict[str, str] = {
    "manifest.json": "the manifest itself",
    "README.md": "documentation kept in git, not a result",
    "*.log": "log files carry timestamps",
    "logs/*": "log files carry timestamps",
    "paper/manuscript.pdf": "written only where pandoc and LaTeX are installed; TeX embeds its own build information",
    "*/.*": "hidden temporary files",
    ".*": "hidden temporary files",
}

# The dependency locks (requirements/README.md): the pipeline's and the development one.
LOCK_FILES = ("requirements/pipeline.txt", "requirements/dev.txt")

# Files copied, besides the data inputs, for a rerun from scratch.
WORKFLOW_FILES = ("workflow", "config", "studies", "data/raw")


@dataclass(frozen=True)
class Difference:
    """One result file whose hash differs between the manifest and a rerun."""

    path: str
    expected: str | None
    found: str | None

    @property
    def kind(self) -> str:
        if self.expected is None:
            return "unexpected"
        if self.found is None:
            return "missing"
        return "changed"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def is_excluded(relpath: str, patterns: Iterable[str] = EXCLUDE) -> bool:
    """Whether a result path (POSIX, relative to results/) is left out of the manifest."""
    return any(fnmatch.fnmatchcase(relpath, p) for p in patterns)


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Installed versions (``importlib.metadata``) of the packages, plus Python and the platform."""
    out = {}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def _git(args: list[str], cwd) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit(cwd: str | Path = ".") -> str:
    """``git rev-parse HEAD`` in ``cwd``; ``"unknown"`` outside a git checkout or without git."""
    return _git(["rev-parse", "HEAD"], cwd) or "unknown"


def git_dirty(cwd: str | Path = ".") -> bool | None:
    """Whether tracked files have uncommitted changes (None outside git)."""
    out = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    return None if out is None else bool(out)


def input_paths(config: Mapping, *, configfile: str) -> dict[str, str]:
    """The run's inputs: label -> path as given in the config (relative to the working directory).

    Labels: ``survey``, ``archival``, ``sampling_frame``, ``codebook``, ``model``,
    ``manuscript`` (when the config names them) and ``config``. The salt file is never an
    input (it is a secret).
    """
    out = {}
    for key in ("survey", "archival", "sampling_frame", "codebook", "model", "manuscript"):
        if config.get(key):
            out[key] = str(config[key])
    out["config"] = str(configfile)
    return out


def build_manifest(
    *,
    results: Mapping[str, str],
    inputs: Mapping[str, Mapping[str, str]],
    workflow: Mapping[str, str],
    config: Mapping,
    configfile: str,
    versions: Mapping[str, str],
    commit: str,
    dirty: bool | None,
    excluded: Mapping[str, str],
    lock: Mapping[str, str] | None = None,
) -> dict:
    """The manifest as a JSON-ready dict (keys sorted by the writer).

    Parameters
    ----------
    results : mapping
        Result path (relative to results/) -> SHA-256.
    inputs : mapping
        Label -> {"path": ..., "sha256": ...}.
    workflow : mapping
        Workflow file path -> SHA-256 (Snakefile, environment.yml, manuscript source, ...).
    excluded : mapping
        Result files left out -> reason.
    lock : mapping, optional
        Lock file path (:data:`LOCK_FILES`) -> SHA-256, for the files present; recorded under
        ``"lock"``.
    """
    return {
        "manifest_version": MANIFEST_VERSION,
        "git_commit": commit,
        "git_dirty": dirty,
        "seed": config.get("seed"),
        "bootstrap": dict(config.get("bootstrap") or {}),
        "configfile": str(configfile),
        "config": dict(config),
        "software": dict(versions),
        "platform": {"system": platform.system(), "machine": platform.machine()},
        "inputs": {k: dict(v) for k, v in inputs.items()},
        "workflow": dict(workflow),
        "lock": dict(sorted((lock or {}).items())),
        "results": dict(sorted(results.items())),
        "excluded": {"patterns": dict(EXCLUDE), "files": dict(sorted(excluded.items()))},
    }


def compare_hashes(expected: Mapping[str, str], found: Mapping[str, str]) -> list[Difference]:
    """Every path whose hash differs, is missing from ``found`` or is not in ``expected``, sorted by path."""
    out = []
    for path in sorted(set(expected) | set(found)):
        e, f = expected.get(path), found.get(path)
        if e != f:
            out.append(Difference(path, e, f))
    return out


def format_differences(diffs: Iterable[Difference], *, prefix: str = "results/") -> list[str]:
    """One line per difference: kind, file name, expected and found hash."""
    lines = []
    for d in diffs:
        lines.append(f"{d.kind.upper():10s} {prefix}{d.path}  expected {d.expected or '(absent)'}  found {d.found or '(absent)'}")
    return lines
