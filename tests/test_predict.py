"""PLSpredict reproduces the seminr port's predict_pls (LOO and k-fold), standardises every
fold correctly, and applies the Q²_predict formula and the Shmueli et al. (2019) verdict.

Tolerances: predictions and metrics against the seminr port 1e-6 (measured ~1e-13); against
an explicit per-fold computation with ``estimate`` 1e-8 (both stop the PLS iterations at
the same rule, so they agree to rounding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import MOBI_MODERATION, REF
from leanlearn import estimate
from leanlearn.errors import DataError
from leanlearn.pls.engine import Settings, fit_batch, make_plan
from leanlearn.robustness.predict import (
    _columns,
    _fold_model,
    fold_assignments,
    pls_predict,
    predictive_power,
    q2_predict,
    verdict,
)
from leanlearn.spec.model import parse_model

CORP_REP_SIMPLE = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
ENDO_ITEMS = ["cusa", "cusl_1", "cusl_2", "cusl_3"]

CHAIN = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ X + M
"""


def simulate_chain(n: int, seed: int, *, lam: float = 0.85) -> pd.DataFrame:
    """X -> M -> Y with X -> Y (R² of M 0.49, of Y 0.69); three normal items per construct."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    m = 0.7 * x + np.sqrt(1 - 0.49) * rng.standard_normal(n)
    y = 0.4 * x + 0.5 * m + np.sqrt(1 - 0.69) * rng.standard_normal(n)
    out = {}
    for name, eta in (("x", x), ("m", m), ("y", y)):
        for i in range(1, 4):
            out[f"{name}{i}"] = 4 + lam * eta + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    return pd.DataFrame(out)


def wide(result, value: str, columns=ENDO_ITEMS) -> np.ndarray:
    return result.cases.pivot(index="case", columns="indicator", values=value)[columns].to_numpy()


# ---- the seminr port as oracle ------------------------------------------------------------------
@pytest.fixture(scope="module")
def port(corp_rep):
    import seminr  # the seminr Python port: a test-only oracle, installed by `make test`
    from seminr.predict import item_metrics

    mm = seminr.constructs(
        seminr.composite("COMP", seminr.multi_items("comp_", range(1, 4))),
        seminr.composite("LIKE", seminr.multi_items("like_", range(1, 4))),
        seminr.composite("CUSA", seminr.single_item("cusa")),
        seminr.composite("CUSL", seminr.multi_items("cusl_", range(1, 4))),
    )
    sm = seminr.relationships(
        seminr.paths(from_=["COMP", "LIKE"], to="CUSA"),
        seminr.paths(from_=["COMP", "LIKE", "CUSA"], to="CUSL"),
    )
    model = seminr.estimate_pls(corp_rep, mm, sm, missing_value=-99)
    out = {}
    for key, technique, folds, seed in (
        ("loo_da", seminr.predict_DA, None, 1),
        ("loo_ea", seminr.predict_EA, None, 1),
        ("k10_da", seminr.predict_DA, 10, 42),
    ):
        pred = seminr.predict_pls(model, technique=technique, no_folds=folds, seed=seed)
        assert list(pred.items.pls_out_of_sample.cols) == ENDO_ITEMS
        metrics = item_metrics(pred)
        out[key] = {
            "pls": pred.items.pls_out_of_sample.values,
            "lm": pred.items.lm_out_of_sample.values,
            "scores": pred.composites.composite_out_of_sample.values[:, 2:],  # CUSA, CUSL
            "pls_metrics": metrics.pls_out_of_sample.values,  # rows RMSE, MAE
            "lm_metrics": metrics.lm_out_of_sample.values,
        }
    return out


@pytest.fixture(scope="module")
def loo(corp_rep):
    return {
        "loo_da": pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, technique="direct", benchmark="antecedents", missing_value=-99),
        "loo_ea": pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, technique="earliest", benchmark="exogenous", missing_value=-99),
    }


@pytest.mark.parametrize("key", ["loo_da", "loo_ea"])
def test_loo_rmse_and_mae_match_seminr_port_for_pls_and_lm(loo, port, key):
    items = loo[key].items.set_index("indicator").loc[ENDO_ITEMS]
    ref = port[key]
    np.testing.assert_allclose(items.rmse_pls, ref["pls_metrics"][0], atol=1e-6, rtol=0)
    np.testing.assert_allclose(items.mae_pls, ref["pls_metrics"][1], atol=1e-6, rtol=0)
    np.testing.assert_allclose(items.rmse_lm, ref["lm_metrics"][0], atol=1e-6, rtol=0)
    np.testing.assert_allclose(items.mae_lm, ref["lm_metrics"][1], atol=1e-6, rtol=0)


@pytest.mark.parametrize("key", ["loo_da", "loo_ea"])
def test_loo_case_predictions_match_seminr_port(loo, port, key):
    res, ref = loo[key], port[key]
    np.testing.assert_allclose(wide(res, "predicted_pls"), ref["pls"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(wide(res, "predicted_lm"), ref["lm"], atol=1e-6, rtol=0)
    scores = res.construct_cases.pivot(index="case", columns="construct", values="predicted")[["CUSA", "CUSL"]]
    np.testing.assert_allclose(scores.to_numpy(), ref["scores"], atol=1e-6, rtol=0)


def test_kfold_with_the_ports_seed_reproduces_its_folds_and_predictions(corp_rep, port):
    res = pls_predict(
        corp_rep, CORP_REP_SIMPLE, folds=10, repetitions=1, seed=np.random.SeedSequence(42), technique="direct", benchmark="antecedents", missing_value=-99
    )
    np.testing.assert_allclose(wide(res, "predicted_pls"), port["k10_da"]["pls"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(wide(res, "predicted_lm"), port["k10_da"]["lm"], atol=1e-6, rtol=0)


def test_loo_training_mean_benchmark_is_the_mean_without_the_case(loo, corp_rep):
    res = loo["loo_da"]
    y = wide(res, "actual")
    n = y.shape[0]
    expected = (y.sum(axis=0) - y) / (n - 1)
    np.testing.assert_allclose(wide(res, "predicted_mean"), expected, atol=1e-12)
    assert res.folds == n and res.repetitions == 1 and res.seed is None


def test_default_benchmark_is_paired_with_the_technique_and_all_other_adds_every_construct(corp_rep, loo):
    default = pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, missing_value=-99)
    assert (default.technique, default.benchmark) == ("direct", "antecedents")
    pd.testing.assert_frame_equal(default.items, loo["loo_da"].items)
    ea = pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, technique="earliest", missing_value=-99)
    assert ea.benchmark == "exogenous"
    res = pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, benchmark="exogenous", missing_value=-99)
    assert (res.technique, res.benchmark) == ("direct", "exogenous")
    # PLS predictions do not depend on the benchmark; the LM's do
    pd.testing.assert_series_equal(res.items.rmse_pls, loo["loo_da"].items.rmse_pls)
    exo = res.items.set_index("indicator")
    ante = loo["loo_da"].items.set_index("indicator")
    # CUSA's antecedents are COMP and LIKE, the exogenous constructs: same LM
    assert exo.loc["cusa", "rmse_lm"] == pytest.approx(ante.loc["cusa", "rmse_lm"], abs=1e-12)
    # CUSL's antecedents add cusa, which the exogenous LM does not see
    assert exo.loc["cusl_1", "rmse_lm"] > ante.loc["cusl_1", "rmse_lm"]
    every = pls_predict(corp_rep, CORP_REP_SIMPLE, loo=True, benchmark="all_other", missing_value=-99).items.set_index("indicator")
    # for CUSL every other construct is exactly its antecedents
    assert every.loc["cusl_1", "rmse_lm"] == pytest.approx(ante.loc["cusl_1", "rmse_lm"], abs=1e-12)
    # for CUSA, "all other" also includes CUSL's indicators
    assert every.loc["cusa", "rmse_lm"] != pytest.approx(ante.loc["cusa", "rmse_lm"], abs=1e-9)


# ---- folds, seeds, repetitions ----------------------------------------------------------------
def test_kfold_is_deterministic_for_a_seed_and_changes_with_another_seed(corp_rep):
    kw = dict(folds=5, repetitions=2, missing_value=-99)
    a = pls_predict(corp_rep, CORP_REP_SIMPLE, seed=11, **kw)
    b = pls_predict(corp_rep, CORP_REP_SIMPLE, seed=11, **kw)
    c = pls_predict(corp_rep, CORP_REP_SIMPLE, seed=12, **kw)
    np.testing.assert_array_equal(a.fold_assignment, b.fold_assignment)
    pd.testing.assert_frame_equal(a.items, b.items)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    assert (a.fold_assignment != c.fold_assignment).any()
    assert not np.allclose(a.items.rmse_pls, c.items.rmse_pls, atol=1e-9, rtol=0)


def test_a_drawn_seed_is_reported_and_reproduces_the_run():
    df = simulate_chain(60, 3)
    a = pls_predict(df, CHAIN, folds=4, repetitions=2)
    assert isinstance(a.seed, int)
    b = pls_predict(df, CHAIN, folds=4, repetitions=2, seed=a.seed)
    pd.testing.assert_frame_equal(a.cases, b.cases)


@pytest.mark.parametrize("n, k", [(10, 3), (344, 10), (50, 50), (7, 2)])
def test_every_case_is_tested_once_per_repetition_in_near_equal_folds(n, k):
    assign = fold_assignments(n, k, 3, 5)
    assert assign.shape == (3, n)
    for row in assign:
        sizes = np.bincount(row, minlength=k)
        assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1 and sizes.sum() == n
    assert (assign[0] != assign[1]).any()  # a fresh split per repetition


def test_repetitions_average_per_case_predictions_over_their_training_folds():
    df = simulate_chain(45, 8)
    res = pls_predict(df, CHAIN, folds=3, repetitions=3, seed=2)
    X = df[["m1", "m2", "m3", "y1", "y2", "y3"]].to_numpy()
    expected = np.zeros_like(X)
    for row in res.fold_assignment:
        for f in range(res.folds):
            expected[row == f] += X[row != f].mean(axis=0)
    expected /= res.repetitions
    got = res.cases.pivot(index="case", columns="indicator", values="predicted_mean")[["m1", "m2", "m3", "y1", "y2", "y3"]]
    np.testing.assert_allclose(got.to_numpy(), expected, atol=1e-12)


# ---- per-fold standardisation, checked against an explicit computation --------------------------
def test_training_folds_use_their_own_statistics_and_test_rows_the_training_ones():
    df = simulate_chain(60, 11)
    res = pls_predict(df, CHAIN, folds=3, repetitions=1, seed=4, technique="direct", benchmark="antecedents")
    endo_items = ["m1", "m2", "m3", "y1", "y2", "y3"]
    blocks = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2", "m3"], "Y": ["y1", "y2", "y3"]}
    expected_pls = np.zeros((60, 6))
    wrong_pls = np.zeros((60, 6))
    expected_lm = np.zeros((60, 6))
    for f in range(3):
        test = res.fold_assignment[0] == f
        train_df, test_df = df[~test], df[test]
        fold_fit = estimate(train_df, CHAIN, assess=False)
        w = fold_fit.outer_weights.set_index("indicator").estimate
        lam = fold_fit.outer_loadings.set_index("indicator").estimate

        def predict(mean, sd):
            z = (test_df - mean) / sd
            s = {c: z[items].to_numpy() @ w[items].to_numpy() for c, items in blocks.items()}
            eta = {"M": fold_fit.path("X", "M") * s["X"], "Y": fold_fit.path("X", "Y") * s["X"] + fold_fit.path("M", "Y") * s["M"]}
            cols = [mean[i] + sd[i] * lam[i] * eta[c] for c in ("M", "Y") for i in blocks[c]]
            return np.column_stack(cols)

        expected_pls[test] = predict(train_df.mean(), train_df.std(ddof=1))
        wrong_pls[test] = predict(df.mean(), df.std(ddof=1))  # full-sample statistics: leakage
        for target, preds in (("M", blocks["X"]), ("Y", blocks["X"] + blocks["M"])):
            D = np.column_stack([np.ones(len(train_df)), train_df[preds]])
            beta = np.linalg.lstsq(D, train_df[blocks[target]], rcond=None)[0]
            pos = [endo_items.index(i) for i in blocks[target]]
            expected_lm[np.ix_(test, pos)] = np.column_stack([np.ones(len(test_df)), test_df[preds]]) @ beta
    np.testing.assert_allclose(wide(res, "predicted_pls", endo_items), expected_pls, atol=1e-8, rtol=0)
    np.testing.assert_allclose(wide(res, "predicted_lm", endo_items), expected_lm, atol=1e-8, rtol=0)
    assert np.abs(wrong_pls - expected_pls).max() > 1e-3  # the check can tell the two apart


@pytest.mark.parametrize("method", ["two_stage", "product_indicator", "orthogonal"])
def test_interaction_columns_rebuilt_for_new_cases_equal_the_engines_on_the_training_cases(mobi, method):
    spec = parse_model(MOBI_MODERATION)
    settings = Settings(interaction=method)
    res = estimate(mobi, spec, settings=settings, assess=False)
    plan, X = res.plan, res.prepared.X
    fit = fit_batch(plan, X, keep_rows=True)
    w1 = fit_batch(make_plan(spec.without_interactions(), settings), X).weights[0] if plan.stage1 is not None else None
    fm = _fold_model(plan, X, fit.weights[0], fit.loadings[0], fit.paths[0], fit.scale[0], w1)
    np.testing.assert_allclose(_columns(plan, fm, X), fit.Z[0], atol=1e-12)
    pred = pls_predict(mobi, spec, interaction=method, folds=5, repetitions=1, seed=1)
    assert np.isfinite(pred.items.drop(columns=["construct", "indicator"]).to_numpy()).all()


def test_mean_replacement_happens_once_before_the_split(corp_rep):
    items = [c for c in corp_rep.columns if c.split("_")[0] in ("comp", "like", "cusa", "cusl")]
    imputed = corp_rep.copy()
    for c in items:
        col = imputed[c].where(imputed[c] != -99)
        imputed[c] = col.fillna(col.mean())
    kw = dict(folds=5, repetitions=1, seed=3)
    a = pls_predict(corp_rep, CORP_REP_SIMPLE, missing_value=-99, **kw)
    b = pls_predict(imputed, CORP_REP_SIMPLE, **kw)
    pd.testing.assert_frame_equal(a.items, b.items, atol=1e-12, rtol=0)


# ---- Q²_predict and the verdict -------------------------------------------------------------------
def test_q2_predict_formula_by_hand():
    actual = np.array([[1.0], [2.0], [3.0], [4.0]])
    predicted = np.array([[1.5], [2.0], [2.5], [4.0]])
    train_mean = np.array([[2.0], [2.0], [3.0], [3.0]])
    # SSE = 0.25 + 0 + 0.25 + 0 = 0.5; SSO = 1 + 0 + 0 + 1 = 2
    assert q2_predict(actual, predicted, train_mean)[0] == pytest.approx(0.75, abs=1e-15)
    assert q2_predict(actual, train_mean, train_mean)[0] == 0.0  # the naive benchmark itself


def test_reported_q2_predict_is_one_minus_sse_over_the_training_mean_sse():
    df = simulate_chain(50, 21)
    res = pls_predict(df, CHAIN, folds=5, repetitions=2, seed=9)
    for ind, g in res.cases.groupby("indicator"):
        expected = 1 - (g.error_pls**2).sum() / ((g.actual - g.predicted_mean) ** 2).sum()
        got = res.items.set_index("indicator").q2_predict[ind]
        assert got == pytest.approx(expected, abs=1e-12)
        assert res.items.set_index("indicator").rmse_pls[ind] == pytest.approx(np.sqrt((g.error_pls**2).mean()), abs=1e-12)
        assert res.items.set_index("indicator").mae_lm[ind] == pytest.approx(g.error_lm.abs().mean(), abs=1e-12)


@pytest.mark.parametrize(
    "n_indicators, n_better, expected",
    [
        (3, 0, "no predictive power"),
        (3, 1, "low"),
        (5, 2, "low"),
        (3, 2, "medium"),
        (4, 2, "medium"),  # "the majority (or the same number)"
        (3, 3, "high"),
        (1, 1, "high"),
        (1, 0, "no predictive power"),
    ],
)
def test_verdict_rule_of_shmueli_et_al(n_indicators, n_better, expected):
    assert verdict(n_indicators, n_better) == expected


def test_summary_counts_only_indicators_with_positive_q2_and_uses_the_chosen_metric():
    items = pd.DataFrame(
        {
            "construct": ["A", "A", "A", "B", "B"],
            "indicator": ["a1", "a2", "a3", "b1", "b2"],
            "rmse_pls": [1.0, 1.0, 1.0, 1.0, 1.0],
            "mae_pls": [0.8, 0.8, 0.8, 0.8, 0.8],
            "rmse_lm": [1.1, 1.1, 0.9, 0.9, 0.9],
            "mae_lm": [0.9, 0.9, 0.9, 0.7, 0.9],
            "q2_predict": [0.3, -0.1, 0.2, 0.4, 0.4],
        }
    )
    rmse = predictive_power(items, metric="rmse").set_index("construct")
    # a2 beats the LM but not the training mean: it does not count
    assert rmse.loc["A", ["n_indicators", "n_q2_positive", "n_pls_better_rmse", "n_pls_better_mae"]].tolist() == [3, 2, 1, 2]
    assert rmse.loc["A", "verdict"] == "low"
    assert rmse.loc["B", "verdict"] == "no predictive power"
    mae = predictive_power(items, metric="mae").set_index("construct")
    assert mae.loc["A", "verdict"] == "medium"
    assert mae.loc["B", "verdict"] == "medium"


def test_q2_predict_is_positive_for_all_endogenous_indicators_of_a_strong_model():
    res = pls_predict(simulate_chain(250, 1), CHAIN, folds=10, repetitions=2, seed=1)
    assert set(res.items.indicator) == {"m1", "m2", "m3", "y1", "y2", "y3"}
    assert (res.items.q2_predict > 0.2).all()
    assert (res.constructs.q2_predict > 0.3).all()


def test_a_training_fold_that_cannot_be_estimated_is_skipped_with_a_warning():
    from leanlearn.errors import ConvergenceWarning

    df = simulate_chain(40, 1)
    df["x3"] = 0.0
    df.loc[5, "x3"] = 1.0  # leaving case 5 out makes x3 constant in that training fold
    with pytest.warns(ConvergenceWarning, match="1 of 40 training folds"):
        res = pls_predict(df, CHAIN, loo=True)
    assert res.n_failed_folds == 1
    assert res.cases.loc[res.cases.case == 5, ["predicted_pls", "predicted_lm"]].isna().all().all()
    assert res.cases.loc[res.cases.case != 5, ["predicted_pls", "predicted_lm"]].notna().all().all()
    assert np.isfinite(res.items.drop(columns=["construct", "indicator"]).to_numpy()).all()


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"technique": "EA"}, "technique"),
        ({"benchmark": "everything"}, "benchmark"),
        ({"metric": "mse"}, "metric"),
        ({"folds": 1}, "folds"),
        ({"folds": 2.5}, "folds"),
        ({"folds": 100}, "cannot exceed"),
        ({"repetitions": 0}, "repetitions"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"scheme": "magic"}, "scheme"),
    ],
)
def test_bad_options_raise_value_errors_naming_the_option(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pls_predict(simulate_chain(30, 2), CHAIN, **kwargs)


def test_items_missing_from_the_data_raise_data_error():
    with pytest.raises(DataError, match="y3"):
        pls_predict(simulate_chain(30, 2).drop(columns="y3"), CHAIN, folds=3, repetitions=1, seed=1)


# ---- CLI ----------------------------------------------------------------------------------------
def test_cli_writes_the_three_tables_with_the_contracted_columns(tmp_path, loo):
    from leanlearn.cli import main

    model = tmp_path / "model.txt"
    model.write_text(CORP_REP_SIMPLE)
    out = tmp_path / "out"
    code = main(["predict", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out), "--loo", "--missing-value", "-99"])
    assert code == 0
    items = pd.read_csv(out / "predict_items.csv")
    summary = pd.read_csv(out / "predict_summary.csv")
    cases = pd.read_csv(out / "predict_cases.csv")
    assert list(items.columns) == ["indicator", "rmse_pls", "mae_pls", "rmse_lm", "mae_lm", "q2_predict"]
    assert list(summary.columns) == ["construct", "n_indicators", "n_q2_positive", "n_pls_better_rmse", "n_pls_better_mae", "verdict"]
    assert list(cases.columns) == ["case", "indicator", "actual", "predicted_pls", "predicted_lm"]
    assert cases.case.min() == 1 and cases.case.max() == 344
    np.testing.assert_allclose(items.rmse_pls, loo["loo_da"].items.rmse_pls, atol=1e-9)
    assert (out / "predict_settings.json").exists()


@pytest.mark.parametrize("extra", [["--folds", "1"], ["--folds", "1000"], ["--repetitions", "0"]])
def test_cli_reports_bad_options_with_exit_code_2_and_writes_nothing(tmp_path, extra, capsys):
    from leanlearn.cli import main

    model = tmp_path / "model.txt"
    model.write_text(CORP_REP_SIMPLE)
    out = tmp_path / "out"
    code = main(["predict", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out), "--missing-value", "-99", *extra])
    assert code == 2
    assert "error" in capsys.readouterr().err
    assert not out.exists()


# ---- fair pairs of technique and benchmark, on the analysed model -------------------------------
def test_paired_assessment_runs_both_fair_pairs_on_the_same_folds(corp_rep, loo):
    from leanlearn.robustness.predict import VERDICT_RULE, paired_assessment

    out = paired_assessment(corp_rep, CORP_REP_SIMPLE, loo=True, missing_value=-99)
    assert {(t, out["results"][t].benchmark) for t in out["results"]} == {("direct", "antecedents"), ("earliest", "exogenous")}
    pd.testing.assert_frame_equal(out["results"]["direct"].items, loo["loo_da"].items)
    pd.testing.assert_frame_equal(out["results"]["earliest"].items, loo["loo_ea"].items)
    assert list(out["summary"].columns[:3]) == ["technique", "benchmark", "pairing"]
    assert len(out["summary"]) == 2 * 2 and len(out["items"]) == 2 * len(ENDO_ITEMS)
    assert out["rule"] == VERDICT_RULE.format(metric="RMSE") and "half or more: medium" in out["rule"]
    kfold = paired_assessment(simulate_chain(80, 5), CHAIN, folds=5, repetitions=2, seed=3)
    np.testing.assert_array_equal(kfold["results"]["direct"].fold_assignment, kfold["results"]["earliest"].fold_assignment)


def test_folds_come_from_the_seeds_folds_stream():
    from leanlearn.random import stream

    res = pls_predict(simulate_chain(40, 2), CHAIN, folds=4, repetitions=2, seed=7)
    np.testing.assert_array_equal(res.fold_assignment, fold_assignments(40, 4, 2, stream(7, "folds")))
    assert (res.fold_assignment != fold_assignments(40, 4, 2, 7)).any()  # not the raw seed, which other purposes share


def test_crossing_direct_antecedents_with_the_exogenous_lm_flatters_pls():
    df = simulate_chain(200, 4)
    fair = pls_predict(df, CHAIN, folds=10, repetitions=2, seed=1, technique="direct")  # paired: antecedents
    crossed = pls_predict(df, CHAIN, folds=10, repetitions=2, seed=1, technique="direct", benchmark="exogenous")
    y = ["y1", "y2", "y3"]
    f, c = fair.items.set_index("indicator").loc[y], crossed.items.set_index("indicator").loc[y]
    # same PLS predictions; the exogenous-only LM misses the mediator's indicators and predicts Y worse
    np.testing.assert_allclose(f.rmse_pls, c.rmse_pls, atol=1e-12)
    assert (c.rmse_lm > f.rmse_lm).all()


def test_cli_with_config_predicts_the_analysed_model_with_its_controls_and_cases(tmp_path):
    import json

    from leanlearn.cli import main

    df = simulate_chain(90, 6)
    df["size"] = np.random.default_rng(1).standard_normal(90)
    df.loc[[3, 10], "size"] = np.nan  # cases without the control are left out, as in the main analysis
    df.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(CHAIN)
    cfg = {"seed": 5, "controls": {"variables": ["size"], "targets": ["M", "Y"]}, "robustness": {"predict": {"folds": 5, "repetitions": 2, "technique": "direct", "benchmark": "paired"}}}
    (tmp_path / "cfg.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "out"
    assert main(["predict", str(tmp_path / "data.csv"), str(tmp_path / "model.lav"), "--out", str(out), "--config", str(tmp_path / "cfg.yaml")]) == 0
    rec = json.loads((out / "predict_settings.json").read_text())
    assert rec["n_cases"] == 88 and rec["controls"]["terms"] == ["size"] and rec["seed"] == 5 and (rec["folds"], rec["repetitions"]) == (5, 2)
    assert (rec["technique"], rec["benchmark"]) == ("direct", "antecedents")
    assert len(pd.read_csv(out / "excluded_cases.csv")) == 2
    verdicts = pd.read_csv(out / "predict_verdicts.csv")
    assert set(zip(verdicts.technique, verdicts.benchmark)) == {("direct", "antecedents"), ("earliest", "exogenous")}
    assert set(verdicts.construct) == {"M", "Y"}
    notes = (out / "notes.txt").read_text()
    assert "Verdict rule (Shmueli et al. 2019" in notes and "with the controls size" in notes and "2 case(s) without a control value" in notes
    # the control is an exogenous predictor: the earliest-antecedents LM uses it
    pairs = pd.read_csv(out / "predict_pairs.csv")
    assert list(pairs.columns[:2]) == ["technique", "benchmark"] and len(pairs) == 2 * 6
