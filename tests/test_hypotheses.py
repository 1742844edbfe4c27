"""Hypotheses from config are validated, tested on the bootstrap with one documented rule
(interval type, matching bootstrap p, equivalence test against a declared SESOI), and get
three-way plain-word verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn import bootstrap, estimate
from leanlearn.errors import SpecError
from leanlearn.effects.hypotheses import (
    COLUMNS,
    InferenceRules,
    evaluate_hypotheses,
    hypothesis_draws,
    load_hypotheses,
    load_inference,
    verdict_rule,
)
from leanlearn.datasets.simulate import PopulationModel, draw_items

STUDY = open(__import__("conftest").ROOT / "studies" / "lean" / "model.lav").read()


@pytest.fixture(scope="module")
def boot():
    df = draw_items(600, PopulationModel(), seed=8)
    return bootstrap(estimate(df, STUDY), resamples=500, seed=5)


CONFIG = [
    {"id": "H1", "statement": "LP -> LS", "test": "path", "source": "LP", "target": "LS", "direction": "positive"},
    {"id": "H3", "test": "indirect", "path": ["LP", "LS", "OP"], "direction": "positive"},
    {"id": "H4", "test": "indirect", "path": ["DIG", "LS", "OP"], "direction": "none"},
    {"id": "H5", "test": "interaction", "interaction": "LP:DIG", "target": "LS", "direction": "positive"},
    {"id": "H6", "test": "moderated_mediation", "path": ["LP", "LS", "OP"], "moderator": "DIG"},
    {"id": "H6a", "test": "conditional_indirect", "path": ["LP", "LS", "OP"], "moderator": "DIG", "at": 1},
    {"id": "H7", "test": "indirect_difference", "path": ["LP", "LS", "OP"], "versus": ["DIG", "LS", "OP"]},
]


def test_hypotheses_table_has_the_documented_columns_and_consistent_verdicts(boot):
    out = evaluate_hypotheses(boot, load_hypotheses(CONFIG))
    assert list(out.columns) == COLUMNS == [
        "hypothesis", "statement", "test", "direction", "quantity", "conditional_on", "estimate", "std_error",
        "interval", "ci_lower", "ci_upper", "ci_level", "p_value",
        "percentile_lower", "percentile_upper", "percentile_p_value", "bca_lower", "bca_upper", "bca_p_value",
        "n_resamples", "p_value_resolution", "sesoi", "tost_lower", "tost_upper", "tost_level", "tost_p_value", "equivalent",
        "fragile", "verdict", "explanation",
    ]
    for row in out.itertuples():
        eq = None if np.isnan(row.sesoi) else bool(row.equivalent)
        assert row.verdict == verdict_rule(row.direction, row.ci_lower, row.ci_upper, eq)[0]
        assert row.hypothesis in row.explanation and row.verdict in row.explanation
    res = boot.result
    h1 = out.set_index("hypothesis").loc["H1"]
    assert h1.estimate == pytest.approx(res.path("LP", "LS"))
    h6 = out.set_index("hypothesis").loc["H6"]
    assert h6.estimate == pytest.approx(res.path("LP:DIG", "LS") * res.path("LS", "OP"))


def test_simulated_study_pattern_gives_the_published_verdicts(boot):
    out = evaluate_hypotheses(boot, load_hypotheses(CONFIG)).set_index("hypothesis")
    assert out.loc["H1", "verdict"] == "supported"
    assert out.loc["H3", "verdict"] == "supported"
    assert out.loc["H5", "verdict"] == "supported"
    assert out.loc["H6a", "verdict"] == "supported"


@pytest.mark.parametrize(
    "direction,lo,hi,equivalent,verdict",
    [
        ("positive", 0.1, 0.3, None, "supported"),
        ("positive", -0.1, 0.3, None, "inconclusive"),
        ("positive", -0.3, -0.1, None, "not supported"),
        ("positive", -0.01, 0.01, True, "not supported"),
        ("positive", -0.1, 0.3, False, "inconclusive"),
        ("negative", -0.3, -0.1, None, "supported"),
        ("nonzero", -0.3, -0.1, None, "supported"),
        ("nonzero", -0.01, 0.01, True, "not supported"),
        ("none", -0.1, 0.3, None, "inconclusive"),
        ("none", -0.1, 0.3, False, "inconclusive"),
        ("none", -0.01, 0.01, True, "equivalent"),
        ("none", 0.1, 0.3, None, "not equivalent"),
        ("none", 0.1, 0.3, False, "not equivalent"),
    ],
)
def test_verdict_rule(direction, lo, hi, equivalent, verdict):
    assert verdict_rule(direction, lo, hi, equivalent)[0] == verdict


def test_no_effect_hypothesis_without_sesoi_is_never_supported_by_an_interval_that_includes_zero():
    verdict, why = verdict_rule("none", -0.1, 0.3, None)
    assert verdict == "inconclusive" and "no smallest effect size of interest" in why and "absence of evidence" in why


@pytest.mark.parametrize(
    "entries,message",
    [
        ([], "non-empty list"),
        ([{"test": "path"}], r"hypotheses\[0\]: missing 'id'"),
        ([{"id": "H1", "test": "banana"}], r"hypotheses\[0\] \(H1\): test must be one of"),
        ([{"id": "H1", "test": "path", "source": "LP"}], r"\(H1\): test 'path' needs the key 'target'"),
        ([{"id": "H1", "test": "indirect", "path": ["LP", "OP"]}], "chain of at least three"),
        ([{"id": "H1", "test": "path", "source": "A", "target": "B", "direction": "up"}], "direction must be one of"),
        ([{"id": "H1", "test": "path", "source": "A", "target": "B"}, {"id": "H1", "test": "path", "source": "A", "target": "B"}], "id used twice"),
        ([{"id": "H1", "test": "path", "source": "A", "target": "B", "sesoi": -0.1}], r"\(H1\): sesoi: expected a positive number"),
        ([{"id": "H1", "test": "conditional_indirect", "path": ["A", "B", "C"], "moderator": "W", "at": "high"}], r"\(H1\): at"),
    ],
)
def test_config_errors_name_the_entry_and_key(entries, message):
    with pytest.raises(SpecError, match=message):
        load_hypotheses(entries)


def test_hypothesis_on_a_path_not_in_the_model_is_refused(boot):
    hyps = load_hypotheses([{"id": "H9", "test": "path", "source": "OP", "target": "LP"}])
    with pytest.raises(SpecError, match="H9: the model has no path OP -> LP"):
        evaluate_hypotheses(boot, hyps)


def test_saved_draws_reproduce_each_hypothesis_interval_and_standard_error(boot):
    hyps = load_hypotheses(CONFIG)
    table = evaluate_hypotheses(boot, hyps).set_index("hypothesis")
    draws = hypothesis_draws(boot, hyps)
    assert list(draws.columns) == ["resample", *[h.id for h in hyps]]
    assert len(draws) == boot.n_valid and draws["resample"].tolist() == list(range(1, boot.n_valid + 1))
    for h in hyps:
        x = draws[h.id].to_numpy()
        assert np.quantile(x, 0.025) == pytest.approx(table.loc[h.id, "ci_lower"], abs=1e-12)
        assert np.quantile(x, 0.975) == pytest.approx(table.loc[h.id, "ci_upper"], abs=1e-12)
        assert x.std(ddof=1) == pytest.approx(table.loc[h.id, "std_error"], abs=1e-12)


@pytest.mark.parametrize(
    "section,message",
    [
        ({"interval": "t"}, "inference.interval: must be one of percentile, bca"),
        ({"sesoi": 0}, "inference.sesoi: expected a positive number or null"),
        ({"fragile_margin": -1}, "inference.fragile_margin"),
        ({"fragile_agreement": 0}, "inference.fragile_agreement"),
        ({"fragile_agreement": 1.5}, "inference.fragile_agreement"),
        ({"alpha": 0.05}, "unknown key"),
    ],
)
def test_inference_config_errors_name_the_key(section, message):
    with pytest.raises(SpecError, match=message):
        load_inference(section)


def test_inference_defaults_are_percentile_without_sesoi():
    r = load_inference(None)
    assert (r.interval, r.sesoi, r.fragile_margin, r.moderator_value) == ("percentile", None, 0.01, 0.0)
    assert r.fragile_agreement == 1.0 and load_inference({"fragile_agreement": 0.8}).fragile_agreement == 0.8


def test_interval_and_p_agree_for_every_hypothesis_quantity_and_interval_type(boot):
    hyps = load_hypotheses(CONFIG)
    for interval in ("percentile", "bca"):
        out = evaluate_hypotheses(boot, hyps, interval=interval)
        assert (out.interval == interval).all()
        alpha = 1 - out.ci_level
        for kind in ("percentile", "bca"):
            excludes = (out[f"{kind}_lower"] > 0) | (out[f"{kind}_upper"] < 0)
            assert (excludes == (out[f"{kind}_p_value"] < alpha)).all()
        assert ((out.ci_lower > 0) | (out.ci_upper < 0)).eq(out.p_value < alpha).all()
        key = "bca" if interval == "bca" else "percentile"
        assert out.ci_lower.eq(out[f"{key}_lower"]).all() and out.p_value.eq(out[f"{key}_p_value"]).all()


def test_indirect_effect_in_a_moderated_model_is_conditional_at_the_stated_moderator_value(boot):
    res = boot.result
    a1, a2, a3, b = res.path("LP", "LS"), res.path("DIG", "LS"), res.path("LP:DIG", "LS"), res.path("LS", "OP")
    hyps = load_hypotheses([
        {"id": "H3", "test": "indirect", "path": ["LP", "LS", "OP"]},
        {"id": "H4", "test": "indirect", "path": ["DIG", "LS", "OP"], "direction": "none", "at": 1},
    ])
    out = evaluate_hypotheses(boot, hyps, rules=InferenceRules(moderator_value=-1.0)).set_index("hypothesis")
    assert out.loc["H3", "quantity"] == "LP -> LS -> OP at DIG = -1 SD" and out.loc["H3", "conditional_on"] == "DIG = -1 SD"
    assert out.loc["H3", "estimate"] == pytest.approx((a1 - a3) * b, abs=1e-12)
    # DIG's indirect effect is conditional on LP: (a2 + a3 LP) b, here at the hypothesis' own 'at'
    assert out.loc["H4", "quantity"] == "DIG -> LS -> OP at LP = +1 SD"
    assert out.loc["H4", "estimate"] == pytest.approx((a2 + a3) * b, abs=1e-12)
    default = evaluate_hypotheses(boot, hyps[:1]).iloc[0]
    assert default.quantity == "LP -> LS -> OP at DIG = mean" and default.estimate == pytest.approx(a1 * b, abs=1e-12)


# ---- equivalence tests on simulated data with known effects -------------------------------------
def _regression_boot(n, beta, seed, resamples=400):
    from leanlearn.pls.engine import estimate as est

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = beta * x + np.sqrt(1 - beta**2) * rng.standard_normal(n)
    import pandas as pd

    df = pd.DataFrame({"x": x, "y": y})
    return bootstrap(est(df, "X =~ x\nY =~ y\nY ~ X", assess=False), resamples=resamples, seed=seed)


ZERO = [{"id": "H0", "test": "path", "source": "X", "target": "Y", "direction": "none", "sesoi": 0.1}]
POS = [{"id": "H1", "test": "path", "source": "X", "target": "Y", "direction": "positive", "sesoi": 0.1}]


def test_zero_effect_is_equivalent_at_large_n():
    out = evaluate_hypotheses(_regression_boot(3000, 0.0, 1), load_hypotheses(ZERO)).iloc[0]
    assert out.verdict == "equivalent" and out.tost_p_value < 0.05
    assert -0.1 < out.tost_lower and out.tost_upper < 0.1 and out.tost_level == pytest.approx(0.90)


def test_zero_effect_is_inconclusive_at_small_n():
    out = evaluate_hypotheses(_regression_boot(40, 0.0, 2), load_hypotheses(ZERO)).iloc[0]
    assert out.verdict == "inconclusive" and out.tost_p_value >= 0.05
    assert out.ci_lower < 0 < out.ci_upper


def test_nonzero_effect_is_not_equivalent_and_a_positive_prediction_is_supported():
    boot = _regression_boot(400, 0.3, 3)
    assert evaluate_hypotheses(boot, load_hypotheses(ZERO)).iloc[0].verdict == "not equivalent"
    assert evaluate_hypotheses(boot, load_hypotheses(POS)).iloc[0].verdict == "supported"


def test_positive_prediction_on_a_zero_effect_at_large_n_is_not_supported_by_equivalence():
    out = evaluate_hypotheses(_regression_boot(3000, 0.0, 1), load_hypotheses(POS)).iloc[0]
    assert out.verdict == "not supported" and "equivalent to zero" in out.explanation


def test_global_sesoi_applies_unless_a_hypothesis_declares_its_own():
    boot = _regression_boot(3000, 0.0, 1)
    h = load_hypotheses([{"id": "A", "test": "path", "source": "X", "target": "Y", "direction": "none"},
                         {"id": "B", "test": "path", "source": "X", "target": "Y", "direction": "none", "sesoi": None}])
    out = evaluate_hypotheses(boot, h, rules=InferenceRules(sesoi=0.1)).set_index("hypothesis")
    assert out.loc["A", "sesoi"] == 0.1 and out.loc["A", "verdict"] == "equivalent"
    assert np.isnan(out.loc["B", "sesoi"]) and out.loc["B", "verdict"] == "inconclusive"


def test_a_bound_near_zero_is_flagged_fragile(boot):
    hyps = load_hypotheses(CONFIG)
    out = evaluate_hypotheses(boot, hyps, rules=InferenceRules(fragile_margin=0.0))
    assert not out.fragile.any()
    wide = evaluate_hypotheses(boot, hyps, rules=InferenceRules(fragile_margin=10.0))
    assert wide.fragile.all() and wide.explanation.str.contains("Fragile").all()
    m = 0.02
    mid = evaluate_hypotheses(boot, hyps, rules=InferenceRules(fragile_margin=m))
    expect = (mid.ci_lower.abs() <= m) | (mid.ci_upper.abs() <= m)
    assert mid.fragile.eq(expect).all()


@pytest.mark.parametrize("interval", ["percentile", "bca"])
def test_equivalent_exactly_when_tost_p_is_below_alpha(boot, interval):
    hyps = load_hypotheses(CONFIG)
    for delta in (0.01, 0.05, 0.1, 0.2, 0.4):
        out = evaluate_hypotheses(boot, hyps, interval=interval, rules=InferenceRules(sesoi=delta))
        alpha = 1 - out.ci_level
        inside = (out.tost_lower > -delta) & (out.tost_upper < delta)
        assert out.equivalent.astype(bool).eq(inside).all()
        assert inside.eq(out.tost_p_value < alpha).all()


def test_indirect_difference_in_a_moderated_model_holds_each_moderator_at_its_value(boot):
    res = boot.result
    a1, a2, a3, b = res.path("LP", "LS"), res.path("DIG", "LS"), res.path("LP:DIG", "LS"), res.path("LS", "OP")
    hyps = load_hypotheses([{"id": "H", "test": "indirect_difference", "path": ["LP", "LS", "OP"], "versus": ["DIG", "LS", "OP"],
                             "at": {"DIG": 1, "LP": -1}}])
    row = evaluate_hypotheses(boot, hyps).iloc[0]
    assert row.quantity == "(LP -> LS -> OP at DIG = +1 SD) minus (DIG -> LS -> OP at LP = -1 SD)"
    assert row.conditional_on == "DIG = +1 SD; LP = -1 SD"
    assert row.estimate == pytest.approx((a1 + a3) * b - (a2 - a3) * b, abs=1e-12)
