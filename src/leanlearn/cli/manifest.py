"""``leanlearn manifest``: record the SHA-256 of every input and result file of a run.

::

    leanlearn manifest --results results --config studies/lean/config.yaml --out results/manifest.json

The manifest (see :mod:`leanlearn.report.provenance`) lists every input named by the config (raw
survey export, archival data, sampling frame, codebook, model, manuscript template, the config
itself; in the workflow the config is ``results/config.yaml``, the effective config of the run),
the workflow files (everything under ``workflow/``), and every file under
``--results`` except the patterns of :data:`leanlearn.report.provenance.EXCLUDE` (the manifest itself,
logs, the optional PDF, hidden files), plus package versions, the seed and the git commit. It
holds no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from leanlearn.cli._io import UserError, atomic_file, read_config
from leanlearn.cli._options import config_of_results

log = logging.getLogger("leanlearn.manifest")


def register(sub) -> None:
    p = sub.add_parser("manifest", help="write results/manifest.json: SHA-256 of every input and result, versions, seed, git commit")
    p.add_argument("--results", default="results", help="the results directory")
    p.add_argument("--config", default=None, help="pipeline config (default: config.yaml in --results, the effective config of the run)")
    p.add_argument("--out", default="results/manifest.json")
    p.add_argument("--repo", default=".", help="repository root: input paths are relative to it (default: the working directory)")
    p.set_defaults(func=run)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_tree(root: str | Path, *, exclude=None) -> tuple[dict[str, str], dict[str, str]]:
    """SHA-256 of every file under ``root`` (POSIX paths relative to it).

    Returns
    -------
    (hashes, excluded) : dict, dict
        path -> hash for the files kept; path -> reason for the files left out.
    """
    from leanlearn.report.provenance import EXCLUDE, is_excluded

    patterns = dict(EXCLUDE if exclude is None else exclude)
    root = Path(root)
    hashes, excluded = {}, {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        hit = next((p for p in patterns if is_excluded(rel, [p])), None)
        if hit is not None:
            excluded[rel] = patterns[hit]
            continue
        hashes[rel] = sha256_file(path)
    return hashes, excluded


def workflow_hashes(repo: Path, source_files=()) -> dict[str, str]:
    """SHA-256 of the workflow files: every file under ``workflow/`` plus ``source_files``."""
    out = {}
    for rel in source_files:
        p = repo / rel
        if p.is_file():
            out[rel] = sha256_file(p)
    wf = repo / "workflow"
    if wf.is_dir():
        for p in sorted(wf.rglob("*")):
            if p.is_file():
                out[p.relative_to(repo).as_posix()] = sha256_file(p)
    return out


def input_hashes(config: dict, configfile: str, repo: Path) -> dict[str, dict[str, str]]:
    from leanlearn.report.provenance import input_paths

    out = {}
    for label, rel in input_paths(config, configfile=configfile).items():
        path = Path(rel) if Path(rel).is_absolute() else repo / rel
        if not path.is_file():
            raise UserError(f"input '{label}' ({rel}) not found under {repo}")
        out[label] = {"path": rel, "sha256": sha256_file(path)}
    return out


def run(args) -> int:
    from leanlearn.report.provenance import LOCK_FILES, build_manifest, git_commit, git_dirty, software_versions

    config_of_results(args)
    repo = Path(args.repo)
    cfg = read_config(args.config, start=repo)  # validated; input paths relative to the repository
    results = Path(args.results)
    if not results.is_dir():
        raise UserError(f"{results}: results directory not found")
    configfile = Path(args.config)
    try:
        configfile_rel = configfile.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        configfile_rel = str(configfile)
    out = Path(args.out)
    hashes, excluded = hash_tree(results)
    try:  # the manifest's own path is never recorded, wherever it is written
        own = out.resolve().relative_to(results.resolve()).as_posix()
        hashes.pop(own, None)
        excluded.pop(own, None)
    except ValueError:
        pass
    manifest = build_manifest(
        results=hashes,
        inputs=input_hashes(cfg, configfile_rel, repo),
        workflow=workflow_hashes(repo),
        config=cfg,
        configfile=configfile_rel,
        versions=software_versions(),
        commit=git_commit(repo),
        dirty=git_dirty(repo),
        excluded=excluded,
        lock={rel: sha256_file(repo / rel) for rel in LOCK_FILES if (repo / rel).is_file()},
    )
    with atomic_file(out) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    log.info("manifest: %d result files, %d inputs, %d excluded; git %s; wrote %s", len(hashes), len(manifest["inputs"]), len(excluded), manifest["git_commit"][:12], out)
    return 0
