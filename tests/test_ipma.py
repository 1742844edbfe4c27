"""IPMA: importance is the unstandardised total effect (recovered by regressing the rescaled
scores), performance the 0–100 mean; both are invariant to affine recoding of the items with
their scales; single-item models reduce to hand-computable regressions; cIPMA and the CLI keep
their contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REF
from leanlearn import estimate
from leanlearn.cli import main
from leanlearn.errors import DataError, SpecError
from leanlearn.robustness.ipma import cipma, ipma

CORP_MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""


@pytest.fixture(scope="module")
def corp():
    return pd.read_csv(REF / "corp_rep_data.csv")


@pytest.fixture(scope="module")
def corp_ipma(corp):
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    return ipma(res, "CUSL", scale_range=(1, 7))


def _ols(y, X):
    D = np.column_stack([np.ones(len(X)), X])
    return np.linalg.lstsq(D, y, rcond=None)[0][1:]


def test_single_item_constructs_reduce_to_a_regression_of_the_rescaled_items():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 8, 150).astype(float)
    y = np.clip(np.round(0.6 * x + rng.normal(0, 1.2, 150) + 1), 1, 7)
    res = estimate(pd.DataFrame({"x": x, "y": y}), "X =~ x\nY =~ y\nY ~ X", assess=False)
    r = ipma(res, "Y", scale_range=(1, 7))
    row = r.constructs.iloc[0]
    assert row.construct == "X"
    assert row.importance == pytest.approx(np.polyfit(x, y, 1)[0], abs=1e-10)  # same scale: slope unchanged
    assert row.performance == pytest.approx(100 * (x.mean() - 1) / 6, abs=1e-10)
    assert r.target_performance == pytest.approx(100 * (y.mean() - 1) / 6, abs=1e-10)


def test_importance_equals_the_total_effects_of_the_regressions_of_the_rescaled_scores(corp_ipma):
    S = corp_ipma.scores
    b_cusa = _ols(S.CUSA, S[["COMP", "LIKE"]])
    b_cusl = _ols(S.CUSL, S[["COMP", "LIKE", "CUSA"]])
    total = {"COMP": b_cusl[0] + b_cusa[0] * b_cusl[2], "LIKE": b_cusl[1] + b_cusa[1] * b_cusl[2], "CUSA": b_cusl[2]}
    got = corp_ipma.constructs.set_index("construct").importance
    for c, v in total.items():
        assert got[c] == pytest.approx(v, abs=1e-9)


def test_rescaled_scores_are_affine_in_the_standardised_scores(corp, corp_ipma):
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    for c in ("COMP", "LIKE", "CUSA", "CUSL"):
        assert np.corrcoef(res.scores[c], corp_ipma.scores[c])[0, 1] == pytest.approx(1.0, abs=1e-12)


def test_construct_performance_is_the_weighted_mean_of_its_indicators(corp_ipma):
    ind = corp_ipma.indicators
    for c, g in ind.groupby("construct"):
        assert g.weight.sum() == pytest.approx(1.0, abs=1e-12)
        perf = corp_ipma.constructs.set_index("construct").performance[c]
        assert (g.weight * g.performance).sum() == pytest.approx(perf, abs=1e-10)
        imp = corp_ipma.constructs.set_index("construct").importance[c]
        np.testing.assert_allclose(g.importance, g.weight * imp, atol=1e-12)


def test_affine_recoding_of_an_item_with_its_scale_changes_nothing(corp):
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    items = res.prepared.items
    base = ipma(res, "CUSL", scales={i: (1, 7) for i in items})
    recoded = corp.copy()
    for col in ("comp_1", "cusl_2"):
        recoded[col] = np.where(recoded[col] == -99, -99, 10 * (recoded[col] - 1))  # 1..7 -> 0..60
    res2 = estimate(recoded, CORP_MODEL, missing_value=-99, assess=False)
    scales = {i: (1, 7) for i in items} | {"comp_1": (0, 60), "cusl_2": (0, 60)}
    other = ipma(res2, "CUSL", scales=scales)
    pd.testing.assert_frame_equal(base.constructs, other.constructs, atol=1e-9, rtol=0)
    pd.testing.assert_frame_equal(base.indicators, other.indicators, atol=1e-9, rtol=0)


def test_the_scale_ends_not_the_observed_ones_set_performance(corp):
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    wide = ipma(res, "CUSL", scale_range=(0, 10)).constructs.set_index("construct")
    narrow = ipma(res, "CUSL", scale_range=(1, 7)).constructs.set_index("construct")
    # performance moves with the scale, importance (points per point) does not
    x = res.prepared.X[:, list(res.prepared.items).index("cusa")]
    assert wide.performance["CUSA"] == pytest.approx(10 * x.mean(), abs=1e-9)
    assert narrow.performance["CUSA"] == pytest.approx(100 * (x.mean() - 1) / 6, abs=1e-9)
    np.testing.assert_allclose(wide.importance, narrow.importance, atol=1e-12)


def test_values_outside_the_scale_are_refused_naming_the_item(corp):
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    with pytest.raises(DataError, match="'comp_1'.*outside its scale 2-7"):
        ipma(res, "CUSL", scales={i: (2 if i == "comp_1" else 1, 7) for i in res.prepared.items})


def test_interaction_models_and_exogenous_targets_are_refused(corp):
    res = estimate(corp, CORP_MODEL + "CUSL ~ COMP:LIKE\n", missing_value=-99, assess=False)
    with pytest.raises(SpecError, match="interaction"):
        ipma(res, "CUSL", scale_range=(1, 7))
    res = estimate(corp, CORP_MODEL, missing_value=-99, assess=False)
    with pytest.raises(SpecError, match="exogenous"):
        ipma(res, "COMP", scale_range=(1, 7))


def test_negative_weights_are_reported():
    rng = np.random.default_rng(4)
    n = 300
    a = rng.normal(size=n)
    b = 0.9 * a + 0.3 * rng.normal(size=n)  # suppressor pair in a Mode B block
    y = a - 0.8 * b + 0.5 * rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": b, "y": y})
    res = estimate(df, "X <~ a + b\nY =~ y\nY ~ X", assess=False)
    r = ipma(res, "Y")
    assert any("negative rescaled outer weight" in n for n in r.notes)
    assert any("observed minimum and maximum" in n for n in r.notes)


def test_cipma_adds_nca_of_the_rescaled_scores(corp_ipma):
    from leanlearn.robustness.nca import effect_sizes

    c = cipma(corp_ipma, permutations=200, seed=3, target_level=80)
    assert list(c.construct) == ["COMP", "LIKE", "CUSA"]
    d = effect_sizes(corp_ipma.scores["CUSA"], corp_ipma.scores["CUSL"])["cr_fdh"]["effect_size"]
    row = c.set_index("construct").loc["CUSA"]
    assert row.effect_size == pytest.approx(d, abs=1e-12)
    x = corp_ipma.scores["CUSA"]
    assert row.cases_below == pytest.approx(100 * np.mean(x < row.required_level))
    assert c.set_index("construct").loc[:, "importance"].equals(corp_ipma.constructs.set_index("construct").importance)


def test_ipma_cli_writes_the_contract_and_cipma(tmp_path):
    model = tmp_path / "corp.lav"
    model.write_text(CORP_MODEL)
    out = tmp_path / "o"
    args = ["ipma", str(REF / "corp_rep_data.csv"), str(model), "--target", "CUSL", "--out", str(out), "--missing-value", "-99",
            "--scale-min", "1", "--scale-max", "7", "--nca", "--permutations", "100", "--seed", "1", "--figures", str(tmp_path / "f")]
    assert main(args) == 0
    assert list(pd.read_csv(out / "ipma_constructs.csv").columns) == ["construct", "importance", "performance"]
    assert list(pd.read_csv(out / "ipma_indicators.csv").columns) == ["construct", "indicator", "weight", "importance", "performance"]
    assert "cases_below" in pd.read_csv(out / "ipma_combined.csv").columns
    assert (tmp_path / "f" / "ipma_map.png").exists() and (tmp_path / "f" / "cipma_map.svg").exists()


def test_ipma_cli_errors_exit_2(tmp_path, capsys):
    model = tmp_path / "corp.lav"
    model.write_text(CORP_MODEL)
    base = ["ipma", str(REF / "corp_rep_data.csv"), str(model), "--out", str(tmp_path / "o"), "--missing-value", "-99"]
    assert main(base + ["--scale-min", "1"]) == 2
    assert "both --scale-min and --scale-max" in capsys.readouterr().err
    assert main(base + ["--target", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
