"""The notebooks run clean on a fresh results tree (and are stored without outputs).

They read ``results/`` through ``LEANLEARN_RESULTS``; the tree comes from the pipeline verbs run
on the bundled data with a small bootstrap (:func:`test_paper.pipeline_results`). The kernel is
the ``python3`` kernelspec that ipykernel installs; jupyter_client starts it with this Python.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# nbclient waits 4 s by default for a cell's outputs after the kernel's reply and then drops
# them without an error; on a busy machine a cell's printed text can arrive later, so wait
# longer and fail, rather than test a notebook with missing output, if it still has not come
IOPUB = {"iopub_timeout": 60, "raise_on_iopub_timeout": True}


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_and_screening.ipynb",
        "02_measurement.ipynb",
        "03_structural_and_moderated_mediation.ipynb",
        "04_extending_the_model.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.fixture(scope="module")
def results_env():
    from test_paper import RESAMPLES, pipeline_results

    base = pipeline_results()
    env = {
        "LEANLEARN_RESULTS": str(base / "results"),
        "LEANLEARN_CONFIG": str(base / "config.yaml"),
        "LEANLEARN_DATA": str(base / "data" / "processed" / "analysis.csv"),
        "LEANLEARN_NOTEBOOK_RESAMPLES": str(RESAMPLES),
        "MPLBACKEND": "Agg",
    }
    return env


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_clean(path, results_env, monkeypatch):
    from nbclient import NotebookClient

    for k, v in results_env.items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}, **IOPUB)
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type in ("display_data", "execute_result")]
    assert shown, "the notebook showed nothing"
    if path.stem.startswith("03") or path.stem.startswith("02"):
        assert any("image/png" in o.get("data", {}) for o in shown), "figures should display inline"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_a_study_of_another_shape(path, monkeypatch):
    """The notebooks serve any study: here the person-level corp_rep example (no archival data, no interaction)."""
    from nbclient import NotebookClient

    from test_corp_rep import corp_rep_results

    out = corp_rep_results()
    monkeypatch.setenv("LEANLEARN_RESULTS", str(out / "results"))
    monkeypatch.setenv("LEANLEARN_NOTEBOOK_RESAMPLES", "100")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for var in ("LEANLEARN_CONFIG", "LEANLEARN_DATA"):
        monkeypatch.delenv(var, raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}, **IOPUB).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")
    assert "firms" not in text
    if path.stem.startswith("04"):
        assert "respondents" in text and "extension: CUSL ~" in text
