"""NCA: ceiling zones, lines, effect sizes, bottlenecks and the permutation test agree with
values worked by hand on tiny data and with full enumeration; d is invariant to increasing
affine transformations; the CLI writes the contracted tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from leanlearn.robustness.nca import (
    _permuted_effects,
    bottleneck,
    ceiling_zone_ce_fdh,
    cr_fdh_line,
    effect_sizes,
    nca_scores,
    peers,
    permutation_p_values,
)

# worked by hand: scope 4 x 4 = 16; peers (1,2), (2,4), (4,5);
# CE-FDH zone 1*3 + 2*1 + 1*0 = 5; CR-FDH line y = 1.5 + 13/14 x, zone 324/91
X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
Y = np.array([2.0, 4.0, 3.0, 5.0, 1.0])


def test_peers_are_the_corners_of_the_step_ceiling_worked_by_hand():
    px, py = peers(X, Y)
    assert px.tolist() == [1.0, 2.0, 4.0] and py.tolist() == [2.0, 4.0, 5.0]


def test_tied_x_values_count_once_with_their_largest_y():
    px, py = peers([1, 1, 2, 3], [1, 3, 2, 4])
    assert px.tolist() == [1.0, 3.0] and py.tolist() == [3.0, 4.0]


def test_ce_fdh_zone_and_effect_size_match_the_hand_computation():
    assert ceiling_zone_ce_fdh(X, Y) == pytest.approx(5.0, abs=1e-12)
    assert effect_sizes(X, Y)["ce_fdh"]["effect_size"] == pytest.approx(5 / 16, abs=1e-12)


def test_cr_fdh_line_zone_and_accuracy_match_the_hand_computation():
    a, b = cr_fdh_line(X, Y)
    assert a == pytest.approx(1.5, abs=1e-12) and b == pytest.approx(13 / 14, abs=1e-12)
    e = effect_sizes(X, Y)["cr_fdh"]
    assert e["zone"] == pytest.approx(324 / 91, abs=1e-12)
    assert e["effect_size"] == pytest.approx(81 / 364, abs=1e-12)
    assert e["accuracy"] == pytest.approx(80.0)  # (2, 4) lies above the line


def test_cr_fdh_line_is_clipped_at_the_bottom_of_the_scope():
    # peers (0,0),(1,10): line y = 10x from y_min=0 to y_max=10 over x in [0, 2]:
    # zone = triangle 0.5*1*10 = 5 (x in [0,1]) + 0 (x in [1,2]); no negative area below y_min
    e = effect_sizes([0, 1, 2], [0, 10, 0])["cr_fdh"]
    assert e["zone"] == pytest.approx(5.0) and e["effect_size"] == pytest.approx(0.25)
    # a line starting below y_min: peers (0,0),(1,1),(2,10): OLS y = -4/3 + 5x, crosses y_min=0
    # at 4/15; zone = 10 * 4/15 + trapezoid 0.5 * (10 + 4/3) * (2 - 4/15) = 1124/90
    a, b = cr_fdh_line([0, 1, 2], [0, 1, 10])
    assert (a, b) == pytest.approx((-4 / 3, 5.0))
    zone = effect_sizes([0, 1, 2], [0, 1, 10])["cr_fdh"]["zone"]
    assert zone == pytest.approx(1124 / 90, abs=1e-12)


def test_one_peer_means_no_empty_zone():
    e = effect_sizes([1, 2, 3], [5, 1, 2])
    assert e["ce_fdh"]["effect_size"] == 0 and e["cr_fdh"]["effect_size"] == 0


def test_bottleneck_matches_the_hand_computation():
    b = bottleneck(X, Y, steps=4).set_index(["ceiling", "outcome_level"])
    ce = b.loc["ce_fdh"]
    assert ce.required_level.tolist() == pytest.approx([0, 0, 25, 25, 75])
    assert ce.status.tolist()[:2] == ["not necessary", "not necessary"]
    cr = b.loc["cr_fdh"]
    assert cr.required_level.tolist() == pytest.approx([0, 0, 200 / 13, 1100 / 26, 900 / 13])


def test_bottleneck_marks_levels_beyond_the_data_as_not_attainable():
    # CR-FDH through (0,0),(1,1),(2,10): y = -4/3 + 5x needs x = 34/15 > 2 for y = 10
    b = bottleneck([0, 1, 2], [0, 1, 10], steps=1)
    top = b[(b.ceiling == "cr_fdh") & (b.outcome_level == 100)].iloc[0]
    assert top.status == "not attainable" and np.isnan(top.required_level)


def test_effect_size_is_invariant_to_increasing_affine_transformations():
    rng = np.random.default_rng(3)
    x = rng.normal(size=60)
    y = np.minimum(x, 0) + rng.uniform(-1, 1, 60)
    d0 = effect_sizes(x, y)
    d1 = effect_sizes(3 + 20 * x, -7 + 0.5 * y)
    for c in ("ce_fdh", "cr_fdh"):
        assert d1[c]["effect_size"] == pytest.approx(d0[c]["effect_size"], abs=1e-12)
    b0, b1 = bottleneck(x, y), bottleneck(3 + 20 * x, -7 + 0.5 * y)
    np.testing.assert_allclose(b0.required_level.to_numpy(), b1.required_level.to_numpy(), atol=1e-9)


def test_vectorised_permutation_effects_equal_the_scalar_computation():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, 30).astype(float)  # ties in x
    y = rng.integers(1, 8, 30).astype(float)
    Yp = np.stack([y[rng.permutation(30)] for _ in range(50)])
    eff = _permuted_effects(x, Yp)
    for k in range(50):
        e = effect_sizes(x, Yp[k])
        assert eff["ce_fdh"][k] == pytest.approx(e["ce_fdh"]["effect_size"], abs=1e-12)
        assert eff["cr_fdh"][k] == pytest.approx(e["cr_fdh"]["effect_size"], abs=1e-12)


def test_permutation_p_value_approaches_the_exact_enumeration():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    obs = effect_sizes(x, y)
    exact = {}
    for c in ("ce_fdh", "cr_fdh"):
        ds = [effect_sizes(x, y[list(p)])[c]["effect_size"] for p in itertools.permutations(range(5))]
        exact[c] = np.mean(np.array(ds) >= obs[c]["effect_size"] - 1e-12)
    P = 20000
    p = permutation_p_values(x, y, {c: obs[c]["effect_size"] for c in exact}, permutations=P, rng=np.random.default_rng(1))
    for c in exact:
        se = np.sqrt(exact[c] * (1 - exact[c]) / P)
        assert abs(p[c] - exact[c]) < 4 * se + 1e-9


def test_a_strong_ceiling_is_significant_and_noise_is_not():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 200)
    ceiling = pd.DataFrame({"x": x, "y": x * rng.uniform(0, 1, 200), "z": rng.uniform(0, 1, 200)})
    res = nca_scores(ceiling, [("x", "y"), ("x", "z")], permutations=500, seed=1).details.set_index(["target", "ceiling"])
    assert res.loc[("y", "cr_fdh"), "p_value"] < 0.01 and bool(res.loc[("y", "cr_fdh"), "necessary"])
    assert res.loc[("z", "ce_fdh"), "p_value"] > 0.01


def test_nca_is_deterministic_for_a_seed_and_changes_with_it():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    r1 = nca_scores(df, [("a", "c"), ("b", "c")], permutations=200, seed=9).effects
    r2 = nca_scores(df, [("a", "c"), ("b", "c")], permutations=200, seed=9).effects
    pd.testing.assert_frame_equal(r1, r2)
    r3 = nca_scores(df, [("a", "c"), ("b", "c")], permutations=200, seed=10).effects
    assert not r3.p_value.equals(r1.p_value)


# ---- the CLI ---------------------------------------------------------------------------------
CORP_MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""


@pytest.fixture(scope="module")
def corp_model(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "corp.lav"
    p.write_text(CORP_MODEL)
    return p


def _nca(model, out, *extra):
    from conftest import REF
    from leanlearn.cli import main

    return main(["nca", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out), "--missing-value", "-99", *extra])


def test_nca_cli_writes_the_contracted_tables_reproducibly(tmp_path, corp_model):
    import filecmp

    from leanlearn import estimate

    assert _nca(corp_model, tmp_path / "a", "--permutations", "300", "--seed", "4", "--figures", str(tmp_path / "f")) == 0
    assert _nca(corp_model, tmp_path / "b", "--permutations", "300", "--seed", "4") == 0
    t = pd.read_csv(tmp_path / "a" / "nca.csv")
    assert list(t.columns) == ["source", "target", "ceiling", "effect_size", "p_value"]
    assert len(t) == 10 and set(t.ceiling) == {"ce_fdh", "cr_fdh"}
    b = pd.read_csv(tmp_path / "a" / "nca_bottleneck.csv")
    assert list(b.columns) == ["source", "target", "ceiling", "outcome_level", "outcome_value", "required_level", "required_value", "status"]
    for name in ("nca.csv", "nca_bottleneck.csv", "nca_details.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)
    assert (tmp_path / "f" / "nca_CUSA_CUSL.png").stat().st_size > 1000
    # the effect sizes are those of the estimated model's construct scores
    from conftest import REF

    res = estimate(pd.read_csv(REF / "corp_rep_data.csv"), CORP_MODEL, missing_value=-99, assess=False)
    d = effect_sizes(res.scores["CUSA"], res.scores["CUSL"])
    row = t[(t.source == "CUSA") & (t.target == "CUSL") & (t.ceiling == "cr_fdh")].iloc[0]
    assert row.effect_size == pytest.approx(d["cr_fdh"]["effect_size"], abs=1e-10)


def test_nca_cli_refuses_a_negative_permutation_count(tmp_path, corp_model, capsys):
    assert _nca(corp_model, tmp_path / "o", "--permutations", "-1") == 2
    assert "--permutations" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_summary_lines_name_the_necessary_conditions_and_skip_absent_steps():
    from leanlearn.report.analyses import summary_lines

    details = pd.DataFrame({"source": ["A", "B"], "target": ["Y", "Y"], "ceiling": ["cr_fdh", "cr_fdh"], "effect_size": [0.25, 0.05],
                            "p_value": [0.0, 0.3], "necessary": [True, False]})
    lines = summary_lines({"robustness/nca/nca_details.csv": details})
    assert len(lines) == 1 and "A for Y" in lines[0] and "B for Y" not in lines[0] and "p < .001" in lines[0]
    assert summary_lines({}) == []
