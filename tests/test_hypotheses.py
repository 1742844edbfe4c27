"""Hypotheses from config are validated, tested on the bootstrap, and get plain-word verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from leanlearn import bootstrap, estimate
from leanlearn.errors import SpecError
from leanlearn.effects.hypotheses import _verdict, evaluate_hypotheses, hypothesis_draws, load_hypotheses
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
    assert list(out.columns) == [
        "hypothesis", "statement", "test", "direction", "quantity", "estimate", "std_error",
        "ci_lower", "ci_upper", "ci_level", "p_value", "verdict", "explanation",
    ]
    for row in out.itertuples():
        assert row.verdict == _verdict(row.direction, row.ci_lower, row.ci_upper)[0]
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
    "direction,lo,hi,verdict",
    [
        ("positive", 0.1, 0.3, "supported"),
        ("positive", -0.1, 0.3, "not supported"),
        ("negative", -0.3, -0.1, "supported"),
        ("nonzero", -0.3, -0.1, "supported"),
        ("none", -0.1, 0.3, "supported"),
        ("none", 0.1, 0.3, "not supported"),
    ],
)
def test_verdict_rule(direction, lo, hi, verdict):
    assert _verdict(direction, lo, hi)[0] == verdict


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
    assert list(draws.columns) == ["draw", *[h.id for h in hyps]]
    assert len(draws) == boot.n_valid and draws.draw.tolist() == list(range(1, boot.n_valid + 1))
    for h in hyps:
        x = draws[h.id].to_numpy()
        assert np.quantile(x, 0.025) == pytest.approx(table.loc[h.id, "ci_lower"], abs=1e-12)
        assert np.quantile(x, 0.975) == pytest.approx(table.loc[h.id, "ci_upper"], abs=1e-12)
        assert x.std(ddof=1) == pytest.approx(table.loc[h.id, "std_error"], abs=1e-12)
