"""Higher-order models with weighted PLS, multiple imputation, PLSpredict and MICOM/MGA.

Claims: integer case weights give exactly (1e-10) the estimates of the data with every row
repeated weight times, in every approach and in both stages (stage-1 tables, HOC
assessment); the staged refit with the weights as case counts reproduces the weighted
point estimate; unit weights give the unweighted bootstrap draw for draw; ``estimate
--weights`` accepts a higher-order model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leanlearn import bootstrap
from leanlearn.cli import main
from leanlearn.measurement import assessment as ma
from leanlearn.pls.hoc import estimate_hoc

from test_hoc import MOBI_HOC

TABLES = ("path_coefficients", "outer_weights", "outer_loadings", "r_squared", "reliability", "htmt", "vif_items", "vif_inner",
          "f_squared", "effects", "construct_correlations", "scores")  # fmt: skip


def _weights(n, seed=0):
    return np.random.default_rng(seed).integers(0, 4, n)


def _dup(data, w):
    return data.loc[data.index.repeat(w)].reset_index(drop=True)


def _same(a, b, w, atol=1e-10):
    for name in TABLES:
        if name == "scores":  # every case's scores, repeated weight times, are the duplicated data's scores
            np.testing.assert_allclose(np.repeat(a.scores.to_numpy(), w, axis=0), b.scores.to_numpy(), rtol=0, atol=atol)
            continue
        ta, tb = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(ta.reset_index(drop=True), tb.reset_index(drop=True), check_exact=False, rtol=0, atol=atol, obj=name)


@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage", "repeated_indicators"])
@pytest.mark.parametrize("op", ["=~", "<~"])
def test_integer_weights_equal_duplicated_rows_in_every_stage(mobi, method, op):
    w = _weights(len(mobi))
    model = MOBI_HOC.format(op=op)
    weighted = estimate_hoc(mobi.assign(w=w), model, method=method, weights="w")
    dup = estimate_hoc(_dup(mobi, w), model, method=method)
    _same(weighted, dup, w)
    for fn in (ma.hoc_indicators, ma.hoc_reliability, ma.hoc_assessment):
        pd.testing.assert_frame_equal(fn(weighted), fn(dup), check_exact=False, rtol=0, atol=1e-10)
    for key in ("outer_loadings", "outer_weights", "reliability"):
        fa, fb = weighted.plan.staged.first_stage.get(key), dup.plan.staged.first_stage.get(key)
        if fa is not None:
            pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=0, atol=1e-10, obj=key)
    # the bootstrap's staged refit, with the weights as case counts, is the weighted estimate
    fit = weighted.plan.staged.fit(weighted.prepared.raw, weighted.prepared.weights[None, :])
    np.testing.assert_allclose(fit.paths[0], weighted.batch.paths[0], rtol=0, atol=1e-12)


def test_unit_weights_give_the_unweighted_hoc_bootstrap(mobi):
    model = MOBI_HOC.format(op="=~")
    plain = bootstrap(estimate_hoc(mobi, model), resamples=30, seed=2)
    unit = bootstrap(estimate_hoc(mobi.assign(w=1.0), model, weights="w"), resamples=30, seed=2)
    np.testing.assert_array_equal(plain.path_draws, unit.path_draws)
    np.testing.assert_array_equal(plain.path_jackknife, unit.path_jackknife)


def test_cli_estimate_accepts_weights_for_a_higher_order_model(tmp_path, mobi):
    w = _weights(len(mobi), 1)
    mobi.assign(w=w).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(MOBI_HOC.format(op="=~"))
    assert main(["estimate", str(tmp_path / "d.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "o"), "--weights", "w"]) == 0
    paths = pd.read_csv(tmp_path / "o" / "paths.csv")
    dup = estimate_hoc(_dup(mobi, w), MOBI_HOC.format(op="=~"))
    np.testing.assert_allclose(paths.estimate, dup.path_coefficients.estimate, rtol=0, atol=1e-10)
