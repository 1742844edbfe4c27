"""Weighted PLS (case weights, ``estimate --weights COLUMN``).

Claims: integer weights give exactly (1e-10) the estimates and the whole assessment of the
data with every row repeated weight times — with mean replacement (weighted item means),
listwise deletion, a two-stage interaction and PLSc; weights of zero drop a case; scaling
all weights leaves the correlation-based estimates unchanged; unit weights give the
unweighted bootstrap byte for byte; a weighted resample equals the duplicated data with
each original case's copies drawn together; bad weights stop with a message naming the
file and the column and never a cell value (exit 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import leanlearn as ll
from leanlearn.cli import main
from leanlearn.errors import DataError
from leanlearn.pls.bootstrap import bootstrap, resample_counts, resample_indices
from leanlearn.pls.engine import estimate, fit_counts

MODERATED = ll.datasets.model("corp_rep") + "\nCUSL ~ COMP:LIKE\n"
TABLES = ("path_coefficients", "outer_weights", "outer_loadings", "r_squared", "reliability", "htmt", "htmt2", "fornell_larcker",
          "vif_items", "vif_inner", "f_squared", "effects", "indirect_effects", "fit", "construct_correlations", "cross_loadings")  # fmt: skip


def _data(seed=0):
    data = ll.datasets.load("corp_rep")
    w = np.random.default_rng(seed).integers(0, 4, len(data))
    return data.assign(w=w), w


def _duplicated(data, w):
    return data.loc[data.index.repeat(w)].reset_index(drop=True)


def _assert_same(a, b, *, atol=1e-10):
    for name in TABLES:
        ta, tb = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(ta.reset_index(drop=True), tb.reset_index(drop=True), check_exact=False, rtol=0, atol=atol, obj=name)


@pytest.mark.parametrize(
    "model, options",
    [
        (ll.datasets.model("corp_rep"), {"missing": "mean"}),
        (ll.datasets.model("corp_rep"), {"missing": "listwise"}),
        (MODERATED, {"missing": "mean"}),
        (ll.datasets.model("corp_rep"), {"missing": "mean", "consistent": True}),
    ],
    ids=["mean_replacement", "listwise", "two_stage_interaction", "plsc"],
)
def test_integer_weights_equal_duplicated_rows(model, options):
    data, w = _data()
    weighted = estimate(data, model, missing_value=-99, weights="w", **options)
    dup = estimate(_duplicated(data, w), model, missing_value=-99, **options)
    _assert_same(weighted, dup)
    # mean replacement used the weighted item means, which are the duplicated rows' means
    # (an item whose missing cells all sit in zero-weight rows is replaced there only: no effect on any estimate)
    both = dup.prepared.report["replaced_by"].notna().to_numpy()
    np.testing.assert_allclose(weighted.data_report["replaced_by"][both], dup.prepared.report["replaced_by"][both], rtol=0, atol=1e-12)
    # scores: every case with a positive weight has the score of its copies
    keep = weighted.prepared.weights > 0
    first = np.cumsum(weighted.prepared.weights.astype(int)) - weighted.prepared.weights.astype(int)
    np.testing.assert_allclose(weighted.scores.to_numpy()[keep], dup.scores.to_numpy()[first[keep]], rtol=0, atol=1e-10)


def test_weights_as_an_array_and_scaled_weights():
    data, w = _data(1)
    a = estimate(data, ll.datasets.model("corp_rep"), missing_value=-99, weights="w")
    b = estimate(data.drop(columns="w"), ll.datasets.model("corp_rep"), missing_value=-99, weights=w * 2.5)
    for name in ("path_coefficients", "outer_weights", "outer_loadings", "reliability", "htmt", "fit"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=False, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.r_squared.r_squared, b.r_squared.r_squared, rtol=0, atol=1e-12)
    assert not np.allclose(a.r_squared.r_squared_adj, b.r_squared.r_squared_adj, rtol=0, atol=1e-9)  # N is the sum of weights


def test_unit_weights_give_the_unweighted_bootstrap_exactly():
    data = ll.datasets.load("corp_rep")
    plain = estimate(data, ll.datasets.model("corp_rep"), missing_value=-99)
    ones = estimate(data, ll.datasets.model("corp_rep"), missing_value=-99, weights=np.ones(len(data)))
    bp, bo = bootstrap(plain, resamples=200, seed=5), bootstrap(ones, resamples=200, seed=5)
    np.testing.assert_array_equal(bp.path_draws, bo.path_draws)
    pd.testing.assert_frame_equal(bp.table("paths"), bo.table("paths"))


def test_a_weighted_resample_is_the_duplicated_data_with_each_cases_copies_drawn_together():
    data, w = _data(2)
    res = estimate(data, ll.datasets.model("corp_rep"), missing_value=-99, weights="w")
    boot = bootstrap(res, resamples=20, seed=8)
    dup = estimate(_duplicated(data, w), ll.datasets.model("corp_rep"), missing_value=-99)
    counts = resample_counts(resample_indices(8, 20, len(data), 0), len(data))
    fit = fit_counts(dup.plan, dup.prepared.raw, np.repeat(counts, w, axis=1))
    np.testing.assert_allclose(boot.path_draws, fit.paths, rtol=0, atol=1e-10)
    # and the result does not depend on the worker count
    again = bootstrap(res, resamples=20, seed=8, workers=2)
    np.testing.assert_array_equal(boot.path_draws, again.path_draws)


@pytest.mark.parametrize(
    "cells, message",
    [
        (["a", 1.0], "1 cell(s) that are not numbers (first at row 1)"),
        ([None, 1.0], "1 row(s) without a weight (first at row 1)"),
        ([-2.0, 1.0], "1 negative weight(s) (first at row 1)"),
        ([0.0, 0.0], "every weight is zero"),
    ],
)
def test_bad_weights_name_file_and_column_and_no_value(cells, message):
    data = ll.datasets.load("corp_rep")
    wcol = pd.Series([cells[1]] * len(data), dtype=object)
    wcol.iloc[0] = cells[0]
    with pytest.raises(DataError) as err:
        estimate(data.assign(wt=wcol), ll.datasets.model("corp_rep"), missing_value=-99, weights="wt", source="survey.csv")
    text = str(err.value)
    assert text.startswith("survey.csv: weights column 'wt'") and message in text
    assert "-2" not in text and "'a'" not in text


def test_cli_estimate_with_weights_and_bad_weights(tmp_path, capsys):
    data, w = _data(3)
    data.to_csv(tmp_path / "data.csv", index=False)
    _duplicated(data, w).drop(columns="w").to_csv(tmp_path / "dup.csv", index=False)
    (tmp_path / "m.lav").write_text(ll.datasets.model("corp_rep"))
    args = ["--missing-value", "-99"]
    assert main(["estimate", str(tmp_path / "data.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "w"), "--weights", "w", *args]) == 0
    assert main(["estimate", str(tmp_path / "dup.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "d"), *args]) == 0
    for name in ("paths.csv", "outer_loadings.csv", "reliability.csv", "htmt.csv", "fit.csv", "r_squared.csv"):
        a, b = pd.read_csv(tmp_path / "w" / name), pd.read_csv(tmp_path / "d" / name)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-10)
    import json

    assert json.loads((tmp_path / "w" / "settings.json").read_text())["weights"] == "w"
    data.loc[4, "w"] = -1
    data.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["estimate", str(tmp_path / "bad.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "b"), "--weights", "w", *args]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "weights column 'w'" in err and "row 5" in err and "Traceback" not in err
    assert main(["estimate", str(tmp_path / "data.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "b"), "--weights", "nope", *args]) == 2
    assert "no weights column 'nope'" in capsys.readouterr().err


def test_pipeline_switch_estimation_weights_weights_the_measurement_step(tmp_path):
    import json

    data, w = _data(4)
    data.to_csv(tmp_path / "data.csv", index=False)
    _duplicated(data, w).to_csv(tmp_path / "dup.csv", index=False)
    (tmp_path / "m.lav").write_text(ll.datasets.model("corp_rep"))
    # corp_rep marks missing cells with -99: blank them so the study verbs read them as missing
    for name in ("data.csv", "dup.csv"):
        frame = pd.read_csv(tmp_path / name).replace(-99, np.nan)
        frame.to_csv(tmp_path / name, index=False)
    (tmp_path / "w.yaml").write_text(json.dumps({"seed": 1, "estimation": {"weights": "w"}}))
    (tmp_path / "u.yaml").write_text(json.dumps({"seed": 1}))
    common = ["--resamples", "50", "--workers", "1"]
    assert main(["measurement", str(tmp_path / "data.csv"), str(tmp_path / "m.lav"), "--config", str(tmp_path / "w.yaml"), "--out", str(tmp_path / "a"), *common]) == 0
    assert main(["measurement", str(tmp_path / "dup.csv"), str(tmp_path / "m.lav"), "--config", str(tmp_path / "u.yaml"), "--out", str(tmp_path / "b"), *common]) == 0
    a, b = pd.read_csv(tmp_path / "a" / "reliability.csv"), pd.read_csv(tmp_path / "b" / "reliability.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-10)
