"""What the workflow plans without running it: the dry-run checks of the Snakefile and its config.

These need no finished run (tests/test_workflow.py has the end-to-end run and the reruns), so
they are a file of their own, which a parallel test run can give to another worker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from test_workflow import _env, _snakemake

pytestmark = pytest.mark.slow


def test_snakemake_lint_is_clean():
    out = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], capture_output=True, text=True, env=_env(), cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_config_typo_fails_before_anything_runs_naming_the_key(tmp_path):
    def dry_run(*config):
        cmd = [sys.executable, "-m", "snakemake", "-n", "-d", str(tmp_path), "--config", *config]
        return subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT)

    out = dry_run("bootstrp={resamples: 200}")
    assert out.returncode != 0
    assert "bootstrp: unknown key" in out.stdout + out.stderr
    out = dry_run("estimation={consistent: 'no'}")
    assert out.returncode != 0 and "estimation.consistent: 'no' is not allowed; expected true or false" in out.stdout + out.stderr
    assert not (tmp_path / "results").exists()


def test_a_study_without_archival_data_or_frame_plans_no_merge(tmp_path):
    for folder in ("config", "studies", "workflow"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(ROOT / "data" / "raw", tmp_path / "data" / "raw")
    cfg = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text())
    for key in ("archival", "sampling_frame"):
        cfg.pop(key)
    cfg["controls"] = {"variables": []}
    cfg["robustness"].pop("multiverse")
    (tmp_path / "studies" / "lean" / "person.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = _snakemake(tmp_path, "-n", "-p", "--configfile", str(tmp_path / "studies" / "lean" / "person.yaml"))
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout + out.stderr
    assert "rule merge" not in text and "rule hypotheses" in text
    assert "no archival data configured" in text and "no sampling frame configured" in text
    assert "data/processed/survey_clean.csv" in text.split("rule hypotheses")[1].split("output")[0]
    assert "--frame" not in text.split("rule bias")[1].split("rule ")[0]


def _planned_resources(text: str) -> dict[str, dict]:
    """rule (with wildcards) -> {threads, mem_mb, runtime} from a dry run's job listing."""
    out: dict[str, dict] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        m = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"resources: .*?runtime=(\d+), mem_mb=(\d+)", block)
        if not m or not res:
            continue
        wc = re.search(r"wildcards: (.+)", block)
        threads = re.search(r"threads: (\d+)", block)
        key = m.group(1) + (f"[{wc.group(1).strip()}]" if wc else "")
        out[key] = {"threads": int(threads.group(1)) if threads else 1, "runtime": int(res.group(1)), "mem_mb": int(res.group(2))}
    return out


def test_every_rule_declares_resources_from_the_config_or_built_in_sizes(tmp_path):
    """The config's resources: section beats the built-in sizes; power jobs grow with n; workers set threads and memory."""
    def plan(*config):
        cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "8", "-d", str(tmp_path), "--config", *config]
        out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT)
        assert out.returncode == 0, out.stderr[-2000:]
        return _planned_resources(out.stdout + out.stderr)

    base = plan("power={n_grid: [100, 20000], blocks: 1, replications_per_block: 500}", "bootstrap={workers: 2}")
    rules = {k.split("[")[0] for k in base}
    assert rules == {"ingest", "screen", "merge", "describe", "bias", "measurement", "cfa", "hypotheses", "process", "multiverse",
                     "predict", "endogeneity", "groups", "cbsem", "power_replicate", "power", "summary", "report", "paper", "manifest",
                     "hoc_data", "higher_order", "ipma", "nca", "cvpat", "fimix"}
    assert base["higher_order"]["threads"] == 2 and base["higher_order"]["mem_mb"] == 2 * 1500
    assert all(r["mem_mb"] >= 1000 and r["runtime"] >= 10 for r in base.values())
    assert base["hypotheses"]["threads"] == 2 and base["hypotheses"]["mem_mb"] == 2 * 1500 and base["ingest"]["threads"] == 1
    small, large = base["power_replicate[n=100, block=0]"], base["power_replicate[n=20000, block=0]"]
    assert small["mem_mb"] == 1000 and large["mem_mb"] > 10_000 and large["runtime"] > small["runtime"]

    over = plan("resources={default: {runtime: 45}, hypotheses: {mem_mb: 7000, threads: 3}, power_replicate: {mem_mb: 2500}}",
                "power={n_grid: [100], blocks: 1}")
    assert over["hypotheses"] == {"threads": 3, "runtime": 45, "mem_mb": 7000}
    assert over["power_replicate[n=100, block=0]"] == {"threads": 1, "runtime": 45, "mem_mb": 2500}
    # default sets the runtime only; memory stays built-in (per worker)
    assert over["multiverse"]["runtime"] == 45 and over["multiverse"]["mem_mb"] == 2000 * over["multiverse"]["threads"]


def test_a_misspelt_rule_in_resources_fails_before_anything_runs(tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-n", "-d", str(tmp_path), "--config", "resources={hypothesis: {mem_mb: 4000}}"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT)
    assert out.returncode != 0
    assert "resources.hypothesis: unknown key" in out.stdout + out.stderr and not (tmp_path / "results").exists()


def test_every_rule_has_resources_and_a_resources_key_in_the_schema():
    from leanlearn.spec.config import schema

    keys = set(schema("config")["properties"]["resources"]["properties"])
    rules = {}
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for m in re.finditer(r"^( *)rule (\w+):\n(.*?)(?=^\1(?:rule |\S)|\Z)", path.read_text(), re.M | re.S):
            rules[m.group(2)] = m.group(3)
    assert len(rules) >= 20
    for name, body in rules.items():
        for call in (f'threads: rule_threads("{name}")', f'mem_mb=rule_mem_mb("{name}")', f'runtime=rule_runtime("{name}")'):
            assert call in body, (name, call)
    assert keys == set(rules) | {"default"}
