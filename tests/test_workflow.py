"""A small end-to-end Snakemake run on the bundled data, rerun rules, config overrides, and `snakemake --lint`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow


def _env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["LEANLEARN_SALT"] = "workflow-test-salt"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(workdir / "workflow" / "Snakefile"), "-d", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=workdir)


def _planned(workdir: Path) -> set[str]:
    out = _snakemake(workdir, "-n", "--quiet", "rules")
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    if "Nothing to be done" in text:
        return set()
    block = text.split("Job stats:")[1].split("total")[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", block, re.M)} - {"all", "job"}


SENTINELS = {
    "RecipientEmail": "zebulon.quattrocchi@sentinel-firm.example",
    "IPAddress": "203.0.113.77",
    "RecipientFirstName": "Zebulonx",
    "RecipientLastName": "Quattrocchix",
    "Q7_comments": "Please call Zebulonx Quattrocchix on extension 4471 about the plant visit",
}


def _personal_columns() -> list[str]:
    cb = yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text())
    return [p["column"] for p in cb["personal_data"]]


def _plant_personal_values(path: Path) -> None:
    """Put known, distinctive personal values into the export copy (first row that has each field)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = pd.read_csv(path, skiprows=[1, 2], dtype=str, keep_default_na=False)
    assert len(rows) == len(lines) - 3  # one line per response
    for col, value in SENTINELS.items():
        i = int(rows.index[rows[col].str.len() > 0][0])
        assert rows.at[i, col] in lines[3 + i], col
        lines[3 + i] = lines[3 + i].replace(rows.at[i, col], value, 1)
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    wd = tmp_path_factory.mktemp("wf")
    for folder in ("config", "studies", "workflow"):
        shutil.copytree(ROOT / folder, wd / folder)
    shutil.copytree(ROOT / "data" / "raw", wd / "data" / "raw")
    _plant_personal_values(wd / "data" / "raw" / "survey_export.csv")
    cfg = yaml.safe_load((wd / "studies" / "lean" / "config.yaml").read_text())
    cfg["bootstrap"]["resamples"] = 200
    cfg["bootstrap"]["workers"] = 1
    cfg["robustness"]["higher_order"]["resamples"] = 100
    cfg["robustness"].update(multiverse_resamples=100, copula_resamples=100, micom_permutations=99,
                             predict={"folds": 5, "repetitions": 1, "technique": "direct", "benchmark": "exogenous"})
    cfg["robustness"]["nca"] = {"enabled": True, "permutations": 99}
    cfg["robustness"]["cvpat"] = {"enabled": True, "folds": 5, "repetitions": 1, "resamples": 200, "compare": "main_effects"}
    cfg["power"].update(n_grid=[100], blocks=2, replications_per_block=2, resamples=50)
    cfg["bias"]["permutations"] = 99
    (wd / "studies" / "lean" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = _snakemake(wd, "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    return wd


def test_pipeline_runs_from_raw_export_to_summary(workflow):
    summary = (workflow / "results" / "summary.md").read_text()
    assert "The bundled data are synthetic" in summary
    flow = pd.read_csv(workflow / "results" / "screening" / "flow.csv")
    kept = int(flow[flow.step == "multiple_soft_flags"].n_after.iloc[0])
    assert f"**{kept} kept**" in summary
    hyp = pd.read_csv(workflow / "results" / "hypotheses" / "hypotheses.csv")
    from leanlearn.effects.hypotheses import VERDICTS

    assert set(hyp.verdict) <= set(VERDICTS)  # the three-way vocabulary of docs/inference.md
    assert not hyp[hyp.direction == "none"].verdict.isin(["supported"]).any()
    for row in hyp.itertuples():
        assert f"| {row.hypothesis} |" in summary
    assert (workflow / "logs" / "hypotheses.log").exists()


def test_fimix_step_writes_its_tables_and_a_summary_line(workflow):
    fit = pd.read_csv(workflow / "results" / "robustness" / "fimix" / "fimix_fit.csv")
    assert fit.segments.tolist() == list(range(1, len(fit) + 1)) and len(fit) >= 2
    assert (workflow / "results" / "robustness" / "fimix" / "fimix_paths.csv").exists()
    assert "- FIMIX-PLS (Hahn et al. 2002; Sarstedt et al. 2011" in (workflow / "results" / "summary.md").read_text()


def test_nothing_left_to_do_after_a_run(workflow):
    assert _planned(workflow) == set()


def test_changing_a_screening_threshold_reruns_only_what_depends_on_it(workflow):
    path = workflow / "studies" / "lean" / "config.yaml"
    original = path.read_text()
    try:
        cfg = yaml.safe_load(original)
        cfg["screening"]["mahalanobis_alpha"] = 0.01
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert _planned(workflow) == {"screen", "merge", "measurement", "hypotheses", "process", "multiverse",
                                      "predict", "endogeneity", "groups", "describe", "bias", "cfa", "cbsem", "power_replicate", "power", "summary",
                                      "report", "paper", "manifest", "ipma", "nca", "cvpat", "fimix"}
        cfg = yaml.safe_load(original)
        cfg["measurement"]["ave_min"] = 0.6
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert _planned(workflow) == {"measurement", "summary", "report", "paper", "manifest"}
    finally:
        path.write_text(original)


def test_snakemake_lint_is_clean():
    out = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], capture_output=True, text=True, env=_env(), cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_power_analysis_fans_out_by_n_and_block(workflow):
    reps = sorted(p.name for p in (workflow / "results" / "robustness" / "power" / "replications").glob("*.csv"))
    assert reps == ["n100_block0.csv", "n100_block1.csv"]
    power = pd.read_csv(workflow / "results" / "robustness" / "power" / "power.csv")
    assert (power.replications == 4).all()


def test_no_personal_value_reaches_results_or_processed_data(workflow):
    export = pd.read_csv(workflow / "data" / "raw" / "survey_export.csv", skiprows=[1, 2], dtype=str, keep_default_na=False)
    cols = _personal_columns()
    known = set(SENTINELS.values())
    for col in ("RecipientEmail", "IPAddress", "Q7_comments"):
        known |= {v for v in export[col] if len(v) >= 8}
    known |= {f"{a} {b}" for a, b in zip(export.RecipientFirstName, export.RecipientLastName) if a and b}
    assert set(cols) >= {"RecipientEmail", "IPAddress", "Q7_comments"}
    scanned = 0
    for folder in ("results", "data/processed", "logs"):
        for path in (workflow / folder).rglob("*"):
            if not path.is_file() or path.suffix.lower() in {".png", ".pdf"}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            scanned += 1
            leaks = [v for v in known if v in text]
            assert not leaks, (str(path.relative_to(workflow)), leaks[:3])
    assert scanned > 50


def test_pipeline_ends_with_the_manuscript_and_a_manifest_of_every_result(workflow):
    html = (workflow / "results" / "paper" / "manuscript.html").read_text(encoding="utf-8")
    hyp = pd.read_csv(workflow / "results" / "hypotheses" / "hypotheses.csv")
    assert "The bundled data are synthetic" in html or "synthetic" in html
    assert 'data-key="H1.estimate"' in html
    manifest = json.loads((workflow / "results" / "manifest.json").read_text())
    assert "hypotheses/hypotheses.csv" in manifest["results"]
    assert "paper/manuscript.html" in manifest["results"]
    assert {f"figures/{name}.png" for name in ("path_diagram", "bootstrap_distributions")} <= set(manifest["results"])
    draws = pd.read_csv(workflow / "results" / "hypotheses" / "bootstrap_draws.csv")
    assert list(draws.columns) == ["resample", *hyp.hypothesis]


def test_reviewer_check_passes_unchanged_and_names_an_altered_result(workflow, tmp_path):
    copy = tmp_path / "results"
    shutil.copytree(workflow / "results", copy)
    manifest = str(workflow / "results" / "manifest.json")
    cmd = [sys.executable, "-m", "leanlearn", "verify", "--manifest", manifest, "--results", str(copy)]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verify: OK" in ok.stdout
    target = copy / "hypotheses" / "hypotheses.csv"
    target.write_text(target.read_text().replace("supported", "supported ", 1))
    bad = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    assert bad.returncode == 1
    assert "CHANGED" in bad.stdout and "results/hypotheses/hypotheses.csv" in bad.stdout


def test_snakemake_report_collects_the_figures_with_captions(workflow, tmp_path):
    out = tmp_path / "report.html"
    run = _snakemake(workflow, "--report", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text(encoding="utf-8", errors="replace")
    for figure in ("path_diagram", "conditional_indirect", "bootstrap_distributions", "manuscript"):
        assert f"{figure}." in text, figure
    assert "Johnson" in text and "percentile interval" in text


@pytest.fixture(scope="module")
def rerun_copy(workflow, tmp_path_factory):
    """A copy of the finished run (results and Snakemake's records) for tests that change settings."""
    wd = tmp_path_factory.mktemp("wf_copy")
    shutil.copytree(workflow, wd, dirs_exist_ok=True, symlinks=True)
    assert _planned(wd) == set()
    return wd


def _effective(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "results" / "config.yaml").read_text(encoding="utf-8"))


def _bootstrap_record(workdir: Path) -> tuple[int, str]:
    settings = json.loads((workdir / "results" / "structural" / "settings.json").read_text())
    log = (workdir / "logs" / "hypotheses.log").read_text(encoding="utf-8")
    return settings["bootstrap_resamples"], log


def test_a_config_override_on_the_command_line_reaches_the_rules(rerun_copy):
    out = _snakemake(rerun_copy, "--cores", "2", "results/hypotheses/hypotheses.csv", "--config", "bootstrap={resamples: 120}")
    assert out.returncode == 0, out.stderr[-3000:]
    eff = _effective(rerun_copy)
    assert eff["bootstrap"]["resamples"] == 120 and eff["bootstrap"]["workers"] == 1  # the rest of the section is kept
    resamples, log = _bootstrap_record(rerun_copy)
    assert resamples == 120 and "bootstrap: 120 resamples" in log
    assert len(pd.read_csv(rerun_copy / "results" / "hypotheses" / "bootstrap_draws.csv")) <= 120


def test_a_configfile_reaches_the_rules_and_the_manifest(rerun_copy):
    study = rerun_copy / "studies" / "lean"
    cfg = yaml.safe_load((study / "config.yaml").read_text())
    cfg["bootstrap"]["resamples"] = 150
    (study / "fewer_resamples.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))  # paths relative to its folder
    out = _snakemake(rerun_copy, "--cores", "2", "--configfile", str(study / "fewer_resamples.yaml"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert _effective(rerun_copy)["bootstrap"]["resamples"] == 150
    resamples, log = _bootstrap_record(rerun_copy)
    assert resamples == 150 and "bootstrap: 150 resamples" in log
    manifest = json.loads((rerun_copy / "results" / "manifest.json").read_text())
    assert manifest["bootstrap"]["resamples"] == 150 and manifest["config"]["bootstrap"]["resamples"] == 150
    assert manifest["inputs"]["config"]["path"] == "results/config.yaml" and "config.yaml" in manifest["results"]


def test_a_killed_step_is_redone_with_everything_downstream(rerun_copy):
    # what Snakemake leaves after a step died: its declared outputs are removed
    for rel in ("results/hypotheses/hypotheses.csv", "results/hypotheses/bootstrap_draws.csv", "results/structural"):
        path = rerun_copy / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    planned = _planned(rerun_copy)
    assert {"hypotheses", "process", "summary", "report", "paper", "manifest"} <= planned
    assert "ingest" not in planned and "screen" not in planned


def test_a_mistyped_input_path_fails_before_anything_runs(workflow):
    before = (workflow / "results" / "summary.md").stat().st_mtime_ns
    out = _snakemake(workflow, "--cores", "1", "--config", "survey=data/raw/survey_exprt.csv")
    assert out.returncode != 0
    assert "config key 'survey': file not found: data/raw/survey_exprt.csv" in out.stdout + out.stderr
    assert (workflow / "results" / "summary.md").stat().st_mtime_ns == before


def test_a_config_typo_fails_before_anything_runs_naming_the_key(workflow):
    out = _snakemake(workflow, "-n", "--config", "bootstrp={resamples: 200}")
    assert out.returncode != 0
    assert "bootstrp: unknown key" in out.stdout + out.stderr
    out = _snakemake(workflow, "-n", "--config", "estimation={consistent: 'no'}")
    assert out.returncode != 0 and "estimation.consistent: 'no' is not allowed; expected true or false" in out.stdout + out.stderr


def test_higher_order_variant_runs_on_the_simulated_bundles_and_reaches_the_summary(workflow):
    folder = workflow / "results" / "robustness" / "higher_order"
    rel = pd.read_csv(folder / "hoc_reliability.csv")
    assert rel.hoc.tolist() == ["LP"] and rel.method.tolist() == ["two_stage"]
    locs = pd.read_csv(folder / "hoc_indicators.csv")["loc"].tolist()
    assert locs == ["JIT", "TQM", "TPM", "HRM"]
    paths = pd.read_csv(folder / "paths.csv")
    assert paths.std_error.gt(0).all()
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["hoc"] == "two_stage" and settings["bootstrap_resamples"] == 100
    data = pd.read_csv(workflow / "data" / "processed" / "hoc_simulated_items.csv")
    assert len(data) == 209
    summary = (workflow / "results" / "summary.md").read_text()
    assert "Higher-order variant (two-stage approach on items simulated with LP bundles, N = 209)" in summary


def test_every_result_file_is_a_declared_output(workflow):
    """So that Snakemake knows what a step makes: nothing a verb writes goes unnoticed when it is removed."""
    out = _snakemake(workflow, "--list-untracked")
    assert out.returncode == 0, out.stderr[-2000:]
    directories = ("results/structural/", "results/robustness/groups/", "results/robustness/higher_order/", "results/tables/")  # declared as directory()
    # results/config.yaml is written when a run starts (see workflow/rules/common.smk)
    untracked = [line.strip() for line in (out.stdout + out.stderr).splitlines()
                 if line.strip().startswith(("results/", "data/processed/")) and not line.strip().startswith(directories)
                 and line.strip() != "results/config.yaml"]
    assert untracked == [], untracked[:20]


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
