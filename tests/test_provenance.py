"""Provenance: the manifest records every input and result; the reviewer's check passes on an
unchanged tree and fails, naming the file, after a result is altered.

The full rerun (``leanlearn verify`` without ``--results``) is exercised by ``make verify``; here
the comparison runs on a small fixture tree, and the rerun's set-up (copying the inputs into a
fresh folder) is checked on a fake repository.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from leanlearn.cli import main
from leanlearn.cli.manifest import hash_tree, sha256_file
from leanlearn.cli.verify import check_inputs, check_results, load_manifest, prepare_workdir
from leanlearn.report.provenance import (
    EXCLUDE,
    Difference,
    compare_hashes,
    format_differences,
    git_commit,
    input_paths,
    is_excluded,
    sha256_bytes,
    software_versions,
)


@pytest.fixture
def repo(tmp_path):
    """A tiny repository: inputs named by a config, workflow files and a results tree."""
    root = tmp_path / "repo"
    study = root / "studies" / "s"
    (root / "data" / "raw").mkdir(parents=True)
    study.mkdir(parents=True)
    (root / "workflow" / "envs").mkdir(parents=True)
    (root / "data" / "raw" / "survey.csv").write_text("id,q1\n1,5\n2,6\n")
    (root / "data" / "raw" / "archival.csv").write_text("firm,employees\nF1,10\n")
    (study / "codebook.yaml").write_text("items: []\n")
    (study / "model.lav").write_text("A =~ a1 + a2\n")
    # paths in a config file are relative to its folder
    cfg = {"survey": "../../data/raw/survey.csv", "archival": "../../data/raw/archival.csv", "codebook": "codebook.yaml",
           "model": "model.lav", "manuscript": "manuscript.md", "seed": 20240209, "bootstrap": {"resamples": 200}}
    (study / "config.yaml").write_text(yaml.safe_dump(cfg))
    (root / "workflow" / "Snakefile").write_text("rule all:\n    input: []\n")
    (root / "workflow" / "envs" / "leanlearn.yaml").write_text("name: x\n")
    (study / "manuscript.md").write_text("# T\n")
    res = root / "results"
    (res / "structural").mkdir(parents=True)
    (res / "tables").mkdir()
    (res / "paper").mkdir()
    (res / "structural" / "paths.csv").write_text("source,target,estimate\nLP,LS,0.275087118271\n")
    (res / "structural" / "settings.json").write_text('{"seed": 20240209}\n')
    (res / "tables" / "hypotheses.csv").write_text("Hypothesis,Estimate\nH1,0.275\n")
    (res / "summary.md").write_text("# summary\n")
    (res / "paper" / "manuscript.pdf").write_bytes(b"%PDF-1.5 built at some time")
    (res / "README.md").write_text("results/\n")
    (res / "report.log").write_text("2026-01-01 12:00 INFO something\n")
    return root


def _manifest(repo) -> dict:
    code = main(["manifest", "--results", str(repo / "results"), "--config", str(repo / "studies" / "s" / "config.yaml"),
                 "--out", str(repo / "results" / "manifest.json"), "--repo", str(repo)])
    assert code == 0
    return json.loads((repo / "results" / "manifest.json").read_text())


def test_excluded_files_are_those_that_cannot_be_byte_identical():
    assert is_excluded("manifest.json")
    assert is_excluded("report.log") and is_excluded("logs/x/y.log") and is_excluded("power/replications/n1.log")
    assert is_excluded("paper/manuscript.pdf")
    assert is_excluded("tables/.index.md.tmp-123")
    assert not is_excluded("tables/hypotheses.csv")
    assert not is_excluded("paper/manuscript.html")
    assert not is_excluded("figures/forest.png")
    assert all(reason for reason in EXCLUDE.values())


def test_manifest_records_inputs_results_versions_seed_and_commit(repo):
    m = _manifest(repo)
    assert set(m["results"]) == {"structural/paths.csv", "structural/settings.json", "tables/hypotheses.csv", "summary.md"}
    assert m["results"]["tables/hypotheses.csv"] == sha256_file(repo / "results" / "tables" / "hypotheses.csv")
    assert set(m["excluded"]["files"]) == {"paper/manuscript.pdf", "README.md", "report.log"}
    assert m["inputs"]["survey"] == {"path": "data/raw/survey.csv", "sha256": sha256_file(repo / "data" / "raw" / "survey.csv")}
    assert set(m["inputs"]) == {"survey", "archival", "codebook", "model", "manuscript", "config"}
    assert m["inputs"]["config"]["path"] == "studies/s/config.yaml"
    assert m["inputs"]["manuscript"]["path"] == "studies/s/manuscript.md"
    assert set(m["workflow"]) >= {"workflow/Snakefile", "workflow/envs/leanlearn.yaml"}
    assert m["seed"] == 20240209 and m["bootstrap"] == {"resamples": 200, "ci_level": 0.95, "workers": 1}
    assert m["config"]["model"] == "studies/s/model.lav"
    for pkg in ("leanlearn", "numpy", "pandas", "scipy", "statsmodels", "semopy", "snakemake", "python"):
        assert m["software"][pkg]
    assert m["git_commit"] == "unknown"  # tmp_path is not a git checkout


def test_manifest_is_deterministic(repo):
    first = (_manifest(repo), (repo / "results" / "manifest.json").read_bytes())[1]
    second = (_manifest(repo), (repo / "results" / "manifest.json").read_bytes())[1]
    assert first == second
    assert b"time" not in first.lower().replace(b"timestamps", b"")


def test_check_passes_on_an_unchanged_tree(repo):
    m = _manifest(repo)
    assert check_results(m, repo / "results") == []


def test_check_fails_naming_the_altered_file(repo):
    m = _manifest(repo)
    target = repo / "results" / "tables" / "hypotheses.csv"
    expected = sha256_file(target)
    target.write_text("Hypothesis,Estimate\nH1,0.276\n")
    diffs = check_results(m, repo / "results")
    assert diffs == [Difference("tables/hypotheses.csv", expected, sha256_file(target))]
    line = format_differences(diffs)[0]
    assert "results/tables/hypotheses.csv" in line and expected in line and sha256_file(target) in line
    assert line.startswith("CHANGED")


def test_logs_and_the_pdf_may_change_freely(repo):
    m = _manifest(repo)
    (repo / "results" / "report.log").write_text("another time\n")
    (repo / "results" / "paper" / "manuscript.pdf").write_bytes(b"%PDF other build")
    assert check_results(m, repo / "results") == []


def test_missing_and_unexpected_results_are_differences():
    diffs = compare_hashes({"a.csv": "1", "b.csv": "2"}, {"a.csv": "1", "c.csv": "3"})
    assert [(d.path, d.kind) for d in diffs] == [("b.csv", "missing"), ("c.csv", "unexpected")]


def test_verify_cli_exit_codes(repo, capsys):
    _manifest(repo)
    manifest = str(repo / "results" / "manifest.json")
    assert main(["verify", "--manifest", manifest, "--results", str(repo / "results")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("verify: OK")
    (repo / "results" / "structural" / "paths.csv").write_text("source,target,estimate\nLP,LS,0.3\n")
    assert main(["verify", "--manifest", manifest, "--results", str(repo / "results")]) == 1
    out = capsys.readouterr().out
    assert "CHANGED    results/structural/paths.csv" in out and "FAILED" in out
    assert main(["verify", "--manifest", str(repo / "nope.json")]) == 2


def test_changed_inputs_are_reported_before_any_rerun(repo, capsys):
    m = _manifest(repo)
    assert check_inputs(m, repo) == []
    (repo / "data" / "raw" / "survey.csv").write_text("id,q1\n1,7\n")
    problems = check_inputs(m, repo)
    assert len(problems) == 1 and "survey" in problems[0] and "changed" in problems[0]
    assert main(["verify", "--manifest", str(repo / "results" / "manifest.json"), "--repo", str(repo)]) == 1
    assert "inputs differ" in capsys.readouterr().err


def test_rerun_folder_gets_the_inputs_and_nothing_else(repo, tmp_path):
    m = _manifest(repo)
    work = tmp_path / "rerun"
    prepare_workdir(m, repo, work)
    for rel in ("workflow/Snakefile", "workflow/envs/leanlearn.yaml", "studies/s/config.yaml", "studies/s/model.lav", "data/raw/survey.csv",
                "studies/s/manuscript.md"):
        assert (work / rel).read_bytes() == (repo / rel).read_bytes(), rel
    assert not (work / "results").exists()
    with pytest.raises(Exception, match="empty"):
        prepare_workdir(m, repo, work)


def test_hash_tree_and_bytes_agree(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"abc")
    hashes, excluded = hash_tree(tmp_path)
    assert hashes == {"a.txt": sha256_bytes(b"abc")} and excluded == {}


def test_git_commit_inside_and_outside_a_checkout(tmp_path):
    assert git_commit(tmp_path) == "unknown"
    root = Path(__file__).resolve().parents[1]
    inside = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    if inside.returncode == 0:
        assert git_commit(root) == inside.stdout.strip()


def test_inputs_and_versions():
    assert input_paths({"survey": "s.csv", "model": "m.lav", "other": 1}, configfile="c.yaml") == {"survey": "s.csv", "model": "m.lav", "config": "c.yaml"}
    v = software_versions(["numpy", "surely-not-installed-pkg"])
    assert v["surely-not-installed-pkg"] == "not installed" and v["numpy"][0].isdigit() and "python" in v


def test_load_manifest_rejects_other_json(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("[1, 2]")
    with pytest.raises(Exception, match="not a leanlearn manifest"):
        load_manifest(p)
