"""``leanlearn verify``: the reviewer's check — rerun from scratch and compare with the manifest.

::

    leanlearn verify --manifest results/manifest.json [--workdir DIR] [--cores all]
    leanlearn verify --manifest results/manifest.json --results DIR     # compare a tree, no rerun

1. Checks that the repository's inputs still have the hashes the manifest recorded.
2. Copies the inputs (workflow/, config/, studies/, data/raw/ and any input the config names
   elsewhere in the repository, the run's effective config results/config.yaml included) into
   a fresh folder (``--workdir``,
   which must be empty or absent; default a new temporary folder).
3. Reruns the whole pipeline there with the recorded config:
   ``python -m snakemake --cores all -d DIR -s DIR/workflow/Snakefile --configfile DIR/CONFIG``
   with this Python first on PATH (log in ``DIR/verify_snakemake.log``).
4. Compares the SHA-256 of every result file with the manifest and prints each difference
   (kind, file name, expected and found hash).

Exit code 0 with one line ``verify: OK ...`` when every file matches; 1 when any result
differs, is missing or is unexpected (the rerun folder is kept for inspection); 2 for usage
errors (no manifest, non-empty workdir, the rerun failed). Whatever the outcome, the copies
of the raw data (and the processed data and salt file of the rerun) are deleted from the
rerun folder before ``verify`` returns (:func:`remove_data_copies`); only results and logs
are kept.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from leanlearn.cli._io import UserError

log = logging.getLogger("leanlearn.verify")


def register(sub) -> None:
    p = sub.add_parser("verify", help="rerun the pipeline from the inputs in a fresh folder and compare every result with the manifest")
    p.add_argument("--manifest", default="results/manifest.json", help="manifest of the run to check")
    p.add_argument("--workdir", default=None, help="folder for the rerun (must be empty or absent; default: a new temporary folder)")
    p.add_argument("--repo", default=".", help="repository whose inputs are copied (default: the working directory)")
    p.add_argument("--cores", default="all", help="snakemake --cores for the rerun")
    p.add_argument("--results", default=None, help="compare this results directory instead of rerunning")
    p.add_argument("--keep", action="store_true", help="keep the rerun folder even when everything matches")
    p.set_defaults(func=run)


def load_manifest(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: manifest not found (run 'leanlearn manifest' or 'make run' first)")
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(m, dict) or "results" not in m:
        raise UserError(f"{path}: not a leanlearn manifest (no 'results' section)")
    return m


def check_results(manifest: dict, results: str | Path) -> list:
    """Differences between the manifest's result hashes and a results tree (same exclusions)."""
    from leanlearn.cli.manifest import hash_tree
    from leanlearn.report.provenance import compare_hashes

    patterns = (manifest.get("excluded") or {}).get("patterns")
    found, _ = hash_tree(results, exclude=patterns)
    return compare_hashes(manifest["results"], found)


def check_inputs(manifest: dict, repo: Path) -> list[str]:
    """Inputs whose current hash differs from the manifest's."""
    from leanlearn.cli.manifest import sha256_file

    problems = []
    for label, rec in (manifest.get("inputs") or {}).items():
        path = Path(rec["path"]) if Path(rec["path"]).is_absolute() else repo / rec["path"]
        if not path.is_file():
            problems.append(f"input {label} ({rec['path']}) not found")
        elif sha256_file(path) != rec["sha256"]:
            problems.append(f"input {label} ({rec['path']}) changed since the manifest: expected {rec['sha256']} found {sha256_file(path)}")
    return problems


def prepare_workdir(manifest: dict, repo: Path, workdir: Path) -> None:
    """Copy the workflow files and the inputs into an empty folder."""
    from leanlearn.report.provenance import WORKFLOW_FILES

    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise UserError(f"{workdir}: the rerun folder must be empty")
    rels = list(WORKFLOW_FILES) + [rec["path"] for rec in (manifest.get("inputs") or {}).values() if not Path(rec["path"]).is_absolute()]
    for rel in rels:
        src = repo / rel
        dst = workdir / rel
        if not src.exists() or dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dst)


#: folders of a rerun that hold (copies of) survey data; removed on every exit path
DATA_FOLDERS = ("data/raw", "data/processed", "data/interim")


def remove_data_copies(manifest: dict, workdir: Path) -> None:
    """Delete every copy of the raw (and processed) data from a rerun folder.

    Called on every way out of :func:`run` (success, differences, a failed rerun, an
    exception, SIGTERM): the copied input files the manifest names, ``data/raw``,
    ``data/processed``, ``data/interim`` and a salt file the rerun created. Results and
    logs stay for inspection; they hold no raw personal data.
    """
    if not workdir.exists():
        return
    for rec in (manifest.get("inputs") or {}).values():
        rel = Path(rec.get("path", ""))
        if rel.is_absolute() or not str(rel) or ".." in rel.parts:
            continue
        target = workdir / rel
        is_data = rel.parts[0] == "data" or rel.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".sav", ".zsav", ".dta")
        if is_data and target.is_file():
            target.unlink()
    for folder in DATA_FOLDERS:
        shutil.rmtree(workdir / folder, ignore_errors=True)
    for salt in (workdir / ".leanlearn_salt",):
        if salt.is_file():
            salt.unlink()


def rerun(workdir: Path, *, cores: str, configfile: str | None) -> None:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "-d", str(workdir), "-s", str(workdir / "workflow" / "Snakefile")]
    if configfile:
        cmd += ["--configfile", str(workdir / configfile)]
    log.info("rerunning the pipeline in %s: %s", workdir, " ".join(cmd))
    logfile = workdir / "verify_snakemake.log"
    with open(logfile, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        tail = logfile.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise UserError(f"the rerun failed (exit {proc.returncode}); see {logfile}:\n{tail}")


def run(args) -> int:
    from leanlearn.report.provenance import format_differences

    manifest = load_manifest(args.manifest)
    repo = Path(args.repo)
    if args.results:
        diffs = check_results(manifest, args.results)
        where = str(args.results)
    else:
        problems = check_inputs(manifest, repo)
        for p in problems:
            print(f"verify: {p}", file=sys.stderr)
        if problems:
            print("verify: FAILED — the inputs differ from those the manifest recorded; a rerun cannot reproduce it", file=sys.stderr)
            return 1
        if args.workdir:
            workdir = Path(args.workdir)
            if workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
                raise UserError(f"{workdir}: the rerun folder must be empty")
        else:
            workdir = Path(tempfile.mkdtemp(prefix="leanlearn-verify-"))
        try:
            prepare_workdir(manifest, repo, workdir)
            rerun(workdir, cores=args.cores, configfile=manifest.get("configfile"))
            diffs = check_results(manifest, workdir / "results")
        except BaseException:
            remove_data_copies(manifest, workdir)
            raise
        remove_data_copies(manifest, workdir)
        where = str(workdir / "results")
    n = len(manifest["results"])
    if diffs:
        for line in format_differences(diffs):
            print(line)
        print(f"verify: FAILED — {len(diffs)} of {n} result files differ from {args.manifest} (results compared: {where})")
        return 1
    print(f"verify: OK — all {n} result files identical to {args.manifest} ({where})")
    if not args.results and not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
