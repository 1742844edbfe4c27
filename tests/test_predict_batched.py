"""PLSpredict in batched moment form gives the row-by-row path's numbers (1e-10).

The folds of a plain plan are fitted together through :func:`leanlearn.pls.moments.fit_resamples`
and their test cases predicted with arrays over folds; the row path fits every batch of folds on
its rows (:func:`leanlearn.pls.engine.fit_batch`) and predicts one fold at a time. Both are
run here on the same folds and every table is compared: Mode A and Mode B blocks, mean
replacement of missing cells, both techniques and all benchmarks, and the three interaction
methods. (PLSpredict takes no case weights.)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import leanlearn.robustness.predict as predict_module
from conftest import CORP_REP_EXTENDED, MOBI_MODERATION
from leanlearn.pls.engine import Settings, make_plan
from leanlearn.robustness.predict import pls_predict
from leanlearn.robustness.predict_batched import moment_path
from leanlearn.spec.model import parse_model

CORP_REP_SIMPLE = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""

TABLES = ("items", "constructs", "cases", "construct_cases", "summary")


def both_paths(monkeypatch, data, model, **options):
    """The same PLSpredict run in moment form and on the rows."""
    batched = pls_predict(data, model, **options)
    with monkeypatch.context() as m:
        m.setattr(predict_module, "moment_path", lambda plan: False)
        rows = pls_predict(data, model, **options)
    return batched, rows


def assert_same_tables(a, b, atol=1e-10):
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        assert list(x.columns) == list(y.columns)
        num = [c for c in x.columns if pd.api.types.is_float_dtype(x[c])]
        other = [c for c in x.columns if c not in num]
        pd.testing.assert_frame_equal(x[other], y[other])
        np.testing.assert_allclose(x[num].to_numpy(), y[num].to_numpy(), rtol=0, atol=atol, err_msg=name)
    assert a.n_failed_folds == b.n_failed_folds
    np.testing.assert_array_equal(a.fold_assignment, b.fold_assignment)


@pytest.mark.parametrize("technique,benchmark", [("direct", "antecedents"), ("earliest", "exogenous"), ("direct", "all_other")])
def test_mode_a_folds_with_mean_replaced_missing_cells_match_the_row_path(monkeypatch, corp_rep, technique, benchmark):
    assert (corp_rep == -99).any().any()  # corp_rep codes missing cells as -99
    a, b = both_paths(
        monkeypatch, corp_rep, CORP_REP_SIMPLE, folds=5, repetitions=2, seed=3, technique=technique, benchmark=benchmark, missing_value=-99
    )
    assert_same_tables(a, b)
    assert np.isfinite(a.cases["predicted_pls"]).all()


def test_mode_b_drivers_match_the_row_path(monkeypatch, corp_rep):
    a, b = both_paths(monkeypatch, corp_rep, CORP_REP_EXTENDED, folds=4, repetitions=2, seed=5, technique="earliest", missing_value=-99)
    assert_same_tables(a, b)


@pytest.mark.parametrize("method", ["two_stage", "product_indicator", "orthogonal"])
def test_interaction_folds_match_the_row_path(monkeypatch, mobi, method):
    a, b = both_paths(monkeypatch, mobi, MOBI_MODERATION, interaction=method, folds=5, repetitions=2, seed=1)
    assert_same_tables(a, b)


def test_leave_one_out_matches_the_row_path(monkeypatch, corp_rep):
    a, b = both_paths(monkeypatch, corp_rep.iloc[:120], CORP_REP_SIMPLE, loo=True, missing_value=-99)
    assert_same_tables(a, b)


def test_a_degenerate_fold_fails_on_both_paths_alike(monkeypatch):
    from leanlearn.errors import ConvergenceWarning

    rng = np.random.default_rng(0)
    n = 40
    x = rng.standard_normal(n)
    df = pd.DataFrame({f"x{i}": x + rng.normal(0, 0.6, n) for i in (1, 2, 3)})
    for i in (1, 2):
        df[f"y{i}"] = 0.5 * x + rng.normal(0, 0.8, n)
    df["x3"] = 0.0
    df.loc[5, "x3"] = 1.0  # leaving case 5 out makes x3 constant in that training fold
    model = "X =~ x1 + x2 + x3\nY =~ y1 + y2\nY ~ X"
    with pytest.warns(ConvergenceWarning, match="1 of 40 training folds"):
        a, b = both_paths(monkeypatch, df, model, loo=True)
    assert a.n_failed_folds == 1
    assert a.cases.loc[a.cases.case == 5, "predicted_pls"].isna().all()
    assert_same_tables(a, b)


def test_plain_plans_take_the_moment_form_and_higher_order_ones_the_rows():
    for text, method in ((CORP_REP_SIMPLE, "two_stage"), (MOBI_MODERATION, "two_stage"), (MOBI_MODERATION, "orthogonal")):
        assert moment_path(make_plan(parse_model(text), Settings(interaction=method)))
    staged = replace(make_plan(parse_model(CORP_REP_SIMPLE)), staged=object())  # a higher-order model's plan refits its stages
    assert not moment_path(staged)


@pytest.mark.parametrize("noise,row_fit", [(1e-4, True), (0.5, False)])
def test_only_nearly_collinear_lm_predictors_fall_back_to_least_squares_on_the_rows(monkeypatch, noise, row_fit):
    import leanlearn.robustness.predict_batched as pb

    rng = np.random.default_rng(4)
    n = 80
    x = rng.standard_normal(n)
    df = pd.DataFrame({"x1": x + rng.normal(0, 0.5, n)})
    df["x2"] = df["x1"] + rng.normal(0, noise, n)  # with noise 1e-4 the LM's predictors are nearly collinear
    for i in (1, 2):
        df[f"y{i}"] = 0.6 * x + rng.normal(0, 0.7, n)
    model = "X =~ x1 + x2\nY =~ y1 + y2\nY ~ X"
    fallbacks = []
    real = pb.lm_slopes

    def spy(fb, preds, ycols):
        out = real(fb, preds, ycols)
        fallbacks.append(out[1])
        return out

    monkeypatch.setattr("leanlearn.robustness.predict_run.lm_slopes", spy)
    a, b = both_paths(monkeypatch, df, model, folds=5, repetitions=1, seed=3)
    flags = np.concatenate(fallbacks)
    assert flags.all() if row_fit else not flags.any()
    assert_same_tables(a, b)
