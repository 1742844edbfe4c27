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


# ---- multiple imputation --------------------------------------------------------------------------
def test_one_imputation_of_complete_data_is_the_complete_data_hoc_result(mobi):
    from leanlearn.data.imputation import multiple_imputation

    model = MOBI_HOC.format(op="=~")
    mi = multiple_imputation(mobi, model, imputations=1, seed=4, resamples=40, hoc="embedded_two_stage")
    res = estimate_hoc(mobi, model, method="embedded_two_stage")
    boot = bootstrap(res, resamples=40, seed=4)
    pd.testing.assert_frame_equal(mi.results[0].path_coefficients, res.path_coefficients, check_exact=True)
    for family in ("paths", "outer_loadings", "indirect_effects"):
        for col in ("estimate", "ci_lower", "ci_upper", "p_value"):
            np.testing.assert_array_equal(mi.pooled[family][col].to_numpy(), boot.table(family)[col].to_numpy(), err_msg=f"{family}.{col}")


def test_pooled_hoc_estimates_are_the_mean_of_per_imputation_hoc_fits(mobi):
    from leanlearn import parse_model
    from leanlearn.data.imputation import impute_items, multiple_imputation

    model = MOBI_HOC.format(op="=~")
    holes = np.random.default_rng(5).random(mobi.shape) < 0.08
    data = mobi.mask(holes)
    mi = multiple_imputation(data, model, imputations=3, seed=6, resamples=0)
    sets, _ = impute_items(data, parse_model(model).items, imputations=3, seed=6)
    fits = [estimate_hoc(d, model) for d in sets]  # the independent route: impute, then fit each set
    expect = np.mean([f.path_coefficients.estimate.to_numpy() for f in fits], axis=0)
    np.testing.assert_allclose(mi.pooled["paths"]["estimate"], expect, rtol=0, atol=1e-14)
    assert (mi.pooled["paths"]["between_variance"] > 0).all()
    pooled = mi.point_tables(lambda r: {"hoc": ma.hoc_reliability(r)})["hoc"]
    np.testing.assert_allclose(pooled["rho_c"], np.mean([ma.hoc_reliability(f)["rho_c"] for f in fits], axis=0), rtol=0, atol=1e-14)


def test_cli_estimate_missing_multiple_on_a_higher_order_model(tmp_path, mobi):
    holes = np.random.default_rng(7).random(mobi.shape) < 0.05
    mobi.mask(holes).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(MOBI_HOC.format(op="=~"))
    argv = ["estimate", str(tmp_path / "d.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "o"), "--missing", "multiple",
            "--imputations", "2", "--resamples", "30", "--seed", "3"]  # fmt: skip
    assert main(argv) == 0
    assert {"fmi", "ci_lower"} <= set(pd.read_csv(tmp_path / "o" / "paths.csv").columns)
    assert (tmp_path / "o" / "hoc_reliability.csv").exists() and (tmp_path / "o" / "first_stage_loadings.csv").exists()
    import json

    rec = json.loads((tmp_path / "o" / "settings.json").read_text())
    assert rec["hoc"] == "two_stage" and rec["imputations"] == 2


# ---- MICOM and MGA ---------------------------------------------------------------------------------
SINGLE = "A =~ IMAG1\nB =~ IMAG2\nC =~ IMAG3\nImage =~ A + B + C\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image\n"
PLAIN = "Image =~ IMAG1 + IMAG2 + IMAG3\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image\n"


def _groups(mobi):
    return pd.Series(np.where(np.arange(len(mobi)) % 2 == 0, "a", "b"), index=mobi.index, dtype=object)


@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage"])
def test_micom_and_mga_of_a_hoc_with_single_item_locs_equal_those_of_the_plain_model(mobi, method):
    from leanlearn.robustness.groups import compare_groups, multigroup_analysis

    g = _groups(mobi)
    hoc = compare_groups(mobi, SINGLE, groups=g, permutations=60, seed=3, hoc=method)
    plain = compare_groups(mobi, PLAIN, groups=g, permutations=60, seed=3)
    np.testing.assert_allclose(hoc.compositional["c"], plain.compositional["c"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(hoc.means_variances.select_dtypes("number"), plain.means_variances.select_dtypes("number"), rtol=0, atol=1e-10)
    np.testing.assert_allclose(hoc.mga["difference"], plain.mga["difference"], rtol=0, atol=1e-10)
    np.testing.assert_array_equal(hoc.mga["p_value"], plain.mga["p_value"])
    boot_hoc = multigroup_analysis(mobi, SINGLE, groups=g, method="welch", resamples=40, seed=2, hoc=method)
    boot_plain = multigroup_analysis(mobi, PLAIN, groups=g, method="welch", resamples=40, seed=2)
    np.testing.assert_allclose(boot_hoc.table["statistic"], boot_plain.table["statistic"], rtol=0, atol=1e-8)


def test_final_stage_data_reproduces_the_hoc_estimate(mobi):
    from leanlearn import estimate
    from leanlearn.pls.hoc import final_stage_data

    model = MOBI_HOC.format(op="=~")
    data, spec = final_stage_data(mobi, model)
    again = estimate(data, spec)
    np.testing.assert_allclose(again.path_coefficients.estimate, estimate_hoc(mobi, model).path_coefficients.estimate, rtol=0, atol=1e-12)
    assert not spec.higher_order and {"Image", "Expect"} <= set(data.columns)


def test_cli_micom_runs_on_a_higher_order_model(tmp_path, mobi):
    import json

    mobi.assign(g=_groups(mobi)).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(MOBI_HOC.format(op="=~"))
    assert main(["micom", str(tmp_path / "d.csv"), str(tmp_path / "m.lav"), "--group", "g", "--out", str(tmp_path / "o"),
                 "--permutations", "20", "--seed", "1"]) == 0  # fmt: skip
    comp = pd.read_csv(tmp_path / "o" / "micom_compositional.csv")
    assert "Antecedents" in set(comp["construct"])
    assert json.loads((tmp_path / "o" / "settings.json").read_text())["hoc"] == "two_stage"


# ---- PLSpredict -------------------------------------------------------------------------------------
ENDO_SINGLE = "A =~ CUSA1\nB =~ CUSA2\nC =~ CUSA3\nSatisfaction =~ A + B + C\nImage =~ IMAG1 + IMAG2 + IMAG3\nSatisfaction ~ Image\n"
ENDO_PLAIN = "Image =~ IMAG1 + IMAG2 + IMAG3\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image\n"


@pytest.mark.parametrize("model, plain", [(SINGLE, PLAIN), (ENDO_SINGLE, ENDO_PLAIN)], ids=["exogenous_hoc", "endogenous_hoc"])
@pytest.mark.parametrize("technique", ["direct", "earliest"])
def test_plspredict_of_a_hoc_with_single_item_locs_equals_the_plain_model(mobi, model, plain, technique):
    from leanlearn.robustness.predict import pls_predict

    a = pls_predict(mobi, model, folds=5, repetitions=2, seed=4, technique=technique)
    b = pls_predict(mobi, plain, folds=5, repetitions=2, seed=4, technique=technique)
    assert list(a.items.indicator) == list(b.items.indicator)
    num = ["rmse_pls", "mae_pls", "rmse_lm", "mae_lm", "q2_predict"]
    np.testing.assert_allclose(a.items[num], b.items[num], rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.cases.predicted_pls, b.cases.predicted_pls, rtol=0, atol=1e-10)
    assert list(a.summary.verdict) == list(b.summary.verdict)
    c = pls_predict(mobi, model, folds=5, repetitions=2, seed=4, technique=technique, benchmark="all_other")
    d = pls_predict(mobi, plain, folds=5, repetitions=2, seed=4, technique=technique, benchmark="all_other")
    np.testing.assert_allclose(c.items[num], d.items[num], rtol=0, atol=1e-10)


def test_plspredict_of_a_hoc_predicts_the_locs_items_and_refits_both_stages_per_fold(mobi):
    from leanlearn.robustness.predict import pls_predict

    model = """Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Quality =~ PERQ1 + PERQ2 + PERQ3
Value =~ PERV1 + PERV2
Outcome =~ Quality + Value
Outcome ~ Image
"""
    res = pls_predict(mobi, model, folds=5, repetitions=1, seed=1)
    assert set(res.items.construct) == {"Outcome"}
    assert list(res.items.indicator) == ["PERQ1", "PERQ2", "PERQ3", "PERV1", "PERV2"]
    assert (res.items.q2_predict > 0).all()
    # with the whole sample as the single "training fold", the prediction chain reproduces the HOC estimate's scores
    est = estimate_hoc(mobi, model)
    assert res.n == est.n
    with pytest.raises(Exception, match="two-stage approach"):
        pls_predict(mobi, model, folds=5, repetitions=1, seed=1, hoc="repeated_indicators")


def test_cli_predict_runs_on_a_higher_order_model(tmp_path, mobi):
    mobi.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(ENDO_SINGLE.replace("CUSA1", "CUSA1 + PERQ1"))
    argv = ["predict", str(tmp_path / "d.csv"), str(tmp_path / "m.lav"), "--out", str(tmp_path / "o"), "--folds", "5",
            "--repetitions", "1", "--seed", "2"]  # fmt: skip
    assert main(argv) == 0
    items = pd.read_csv(tmp_path / "o" / "predict_items.csv")
    assert list(items["indicator"]) == ["CUSA1", "PERQ1", "CUSA2", "CUSA3"]  # the LOCs' items of the endogenous HOC
    import json

    assert json.loads((tmp_path / "o" / "predict_settings.json").read_text())["hoc"] == "two_stage"  # the default, recorded
