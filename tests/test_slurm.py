"""The workflow through a real SLURM scheduler gives byte-identical results to a local run.

A small fan-out -- ingest, screening and the archival merge, then the Monte Carlo power step at
two sample sizes in two blocks each (four power_replicate jobs, submitted as one SLURM job
array) and its summary -- runs twice from the same study: once locally (``--cores 2``) and once
through SLURM with the profile ``workflow/profiles/slurm-local``. Every file the two runs write
under ``results/`` and ``data/processed/`` must be the same, byte for byte, and the SLURM run
must really have gone through the scheduler (each job submitted with sbatch, the fan-out as an
array, with the memory and time limits its rule declares).

It takes minutes (SLURM polls job states; every job starts a Snakemake of its own), so it runs
only when asked: ``pytest --slurm tests/test_slurm.py`` or ``make test-slurm``. It is skipped,
saying why, where SLURM is not installed, the executor plugin is missing or the cluster is not
up; ``sudo workflow/cluster/start-slurm.sh`` installs and starts a single-node cluster
(docs/cluster.md). The timings of both runs are printed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

PROFILE = ROOT / "workflow" / "profiles" / "slurm-local"
TARGET = "results/robustness/power/power.csv"
# two sample sizes x two blocks of 20 replications: four power_replicate jobs (one job array)
POWER = "{n_grid: [100, 209], blocks: 2, replications_per_block: 20, mc_draws: 1000}"
COMPARED = ("results", "data/processed")


def _why_no_cluster() -> str | None:
    """None when a SLURM cluster takes jobs here, else the reason to skip."""
    missing = [tool for tool in ("sbatch", "sinfo", "squeue") if shutil.which(tool) is None]
    if missing:
        return (f"SLURM is not installed ({', '.join(missing)} not on PATH): `sudo workflow/cluster/start-slurm.sh` "
                "installs slurm-wlm and munge and starts a single-node cluster")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed: pip install 'leanlearn[cluster]'"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "the SLURM cluster does not answer (sinfo timed out): start it with `sudo workflow/cluster/start-slurm.sh`"
    states = {s.strip().rstrip("*~#") for s in out.stdout.split()}
    if out.returncode != 0:
        return f"the SLURM cluster is not up (sinfo: {out.stderr.strip()[:200]}): start it with `sudo workflow/cluster/start-slurm.sh`"
    if not states & {"idle", "mixed", "allocated", "completing"}:
        return f"no SLURM node takes jobs (node states: {', '.join(sorted(states)) or 'none'}): `sudo workflow/cluster/start-slurm.sh`"
    return None


SALT = secrets.token_hex(32)  # one salt for both runs: the hashed case ids must agree


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["LEANLEARN_SALT"] = SALT
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _snakemake(workdir: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "workflow" / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(ROOT / "studies" / "lean" / "config.yaml"), "--config", f"power={POWER}", *args, "--", TARGET]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=workdir.parent)
    return out, time.perf_counter() - t0


def _files(workdir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(workdir)): p.read_bytes()
            for top in COMPARED for p in sorted((workdir / top).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, request):
    reason = _why_no_cluster()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("slurm")
    local, slurm = base / "local", base / "slurm"
    local.mkdir()
    slurm.mkdir()
    out_local, t_local = _snakemake(local, "--cores", "2")
    assert out_local.returncode == 0, out_local.stderr[-3000:]
    out_slurm, t_slurm = _snakemake(slurm, "--profile", str(PROFILE))
    assert out_slurm.returncode == 0, out_slurm.stderr[-5000:]
    line = (f"SLURM test timings: local run (--cores 2) {t_local:.1f} s, through SLURM {t_slurm:.1f} s "
            "(8 jobs: ingest, screen, merge, 4 x power_replicate as one array, power)")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + line, flush=True)
    (base / "timings.txt").write_text(line + "\n", encoding="utf-8")
    return {"local": local, "slurm": slurm, "log": out_slurm.stdout + out_slurm.stderr}


def test_every_job_went_through_the_scheduler_and_the_fan_out_as_one_array(runs):
    log = runs["log"]
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    singles = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    array = re.search(r"Submitted array job with Snakemake IDs ([\d,]+) and SLURM job ID (\d+)", log)
    assert array, log[-3000:]
    assert len(array.group(1).split(",")) == 4  # 2 sample sizes x 2 blocks
    assert len(singles) == 4  # ingest, screen, merge, power
    # the scheduler ran them with the limits the rules declare (slurmctld keeps finished jobs for MinJobAge)
    q = subprocess.run(["squeue", "-h", "-t", "all", "--name", run_id, "-o", "%i|%T|%m|%l|%C"], capture_output=True, text=True)
    rows = [line.split("|") for line in q.stdout.split()]
    assert len(rows) == 8 and all(state == "COMPLETED" for _, state, *_ in rows), q.stdout
    assert all(int(mem.rstrip("M")) >= 1000 and limit in ("10:00", "15:00") and cpus == "1" for _, _, mem, limit, cpus in rows), q.stdout
    assert "localrule" not in log.split("Job stats:")[1]  # nothing ran outside the scheduler


def test_results_through_slurm_are_byte_identical_to_the_local_run(runs):
    local, slurm = _files(runs["local"]), _files(runs["slurm"])
    assert sorted(slurm) == sorted(local)
    assert len([f for f in local if f.startswith("results/robustness/power/replications/")]) == 4
    assert {"results/robustness/power/power.csv", "results/robustness/power/replications.csv", "data/processed/analysis.csv"} <= set(local)
    differ = [f for f in local if local[f] != slurm[f]]
    assert differ == []
