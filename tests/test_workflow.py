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


def test_power_analysis_fans_out_by_n_and_block(workflow):
    reps = sorted(p.name for p in (workflow / "results" / "robustness" / "power" / "replications").glob("*.csv"))
    assert reps == ["n100_block0.csv", "n100_block1.csv"]
    power = pd.read_csv(workflow / "results" / "robustness" / "power" / "power.csv")
    assert (power.n_replications == 4).all()


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
