"""Tests of MICOM and MGA on any model and any grouping (``leanlearn micom``, ``leanlearn mga``).

Claims: Henseler's PLS-MGA p-value equals its double sum written out; the parametric and
Welch t statistics equal the formulas worked by hand; a path that differs between two
populations is detected by every method and one that does not differ is not; with three
groups every pair is compared and the p-values are adjusted across the whole family;
results do not depend on the worker count; the verbs read any categorical column
(numeric codes kept as written), refuse a missing column (exit 2) and write their
documented tables.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leanlearn.cli import main
from leanlearn.robustness.groups import MGA_COLUMNS, _t_test, henseler_p_value, multigroup_analysis

from test_groups import SMALL, draw, two_groups


def test_henseler_p_value_equals_the_double_sum():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.5, 0.1, 37), rng.normal(0.4, 0.12, 23)
    b[:3] = 2 * b.mean() - (2 * a.mean() - a[:3])  # exact ties count one half
    x, y = 2 * a.mean() - a, 2 * b.mean() - b
    z = x[:, None] - y[None, :]
    theta = np.where(z > 0, 1.0, np.where(z == 0, 0.5, 0.0))
    assert henseler_p_value(0.5, a, 0.4, b) == pytest.approx(1 - theta.sum() / (37 * 23), abs=1e-15)
    # far apart: a above b gives p near 0, the reverse near 1
    assert henseler_p_value(1, a + 1, 0, b) == 0.0 and henseler_p_value(0, b, 1, a + 1) == 1.0


def test_parametric_and_welch_t_by_hand():
    # theta_a = 0.5, theta_b = 0.2, se 0.1 and 0.15, n 100 and 60
    t, df = _t_test("parametric", np.array([0.5]), np.array([0.2]), np.array([0.1]), np.array([0.15]), 100, 60)
    pooled = np.sqrt(99**2 / 158 * 0.01 + 59**2 / 158 * 0.0225) * np.sqrt(1 / 100 + 1 / 60)
    assert t[0] == pytest.approx(0.3 / pooled, rel=1e-14) and df[0] == 158
    t, df = _t_test("welch", np.array([0.5]), np.array([0.2]), np.array([0.1]), np.array([0.15]), 100, 60)
    va, vb = 0.99 * 0.01, 59 / 60 * 0.0225
    assert t[0] == pytest.approx(0.3 / np.sqrt(va + vb), rel=1e-14)
    assert df[0] == pytest.approx((va + vb) ** 2 / (99 / 100**2 * 0.1**4 + 59 / 60**2 * 0.15**4) - 2, rel=1e-14)


@pytest.mark.parametrize("method", ["permutation", "bootstrap", "parametric", "welch"])
def test_every_method_detects_a_path_difference_and_not_an_equal_path(method):
    data = two_groups(draw(200, 4, beta=(0.6, 0.3)), draw(200, 5, beta=(0.0, 0.3)))
    out = multigroup_analysis(data, SMALL, groups="g", method=method, resamples=300, seed=6, parameters="paths")
    assert list(out.table.columns) == MGA_COLUMNS
    t = out.table.set_index("parameter")
    assert t.loc["X -> Y", "significant"] and t.loc["X -> Y", "p_value"] < 0.01
    assert not t.loc["W -> Y", "significant"]
    assert t.loc["X -> Y", "difference"] == pytest.approx(0.6, abs=0.2)
    assert (t["family_size"] == 2).all() and (t["n_a"] == 200).all()
    if method != "permutation":
        assert (t["std_error_a"] > 0).all() and (t["draws_a"] == 300).all()
        assert t.loc["X -> Y", "p_value_one_sided"] < 0.01  # H1: group A's path is larger
    if method in ("parametric", "welch"):
        one = stats.t.sf(t["statistic"], t["df"])
        np.testing.assert_allclose(t["p_value_one_sided"], one, rtol=1e-12)


def test_three_groups_pairwise_with_holm_across_the_family_and_worker_independent():
    data = pd.concat([draw(120, 11).assign(g="a"), draw(120, 12).assign(g="b"), draw(120, 13, beta=(0.0, 0.3)).assign(g="c")], ignore_index=True)
    one = multigroup_analysis(data, SMALL, groups="g", method="welch", resamples=120, seed=2, parameters="paths")
    two = multigroup_analysis(data, SMALL, groups="g", method="welch", resamples=120, seed=2, parameters="paths", workers=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    t = one.table
    assert list(zip(t.group_a, t.group_b)) == [("a", "b")] * 2 + [("a", "c")] * 2 + [("b", "c")] * 2
    assert (t["family_size"] == 6).all()
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(t["p_adjusted"], multipletests(t["p_value"], method="holm")[1], rtol=1e-12)


def _write(tmp_path, data):
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.lav").write_text(SMALL)
    return str(tmp_path / "data.csv"), str(tmp_path / "model.lav")


def test_cli_micom_and_mga_write_their_tables(tmp_path):
    data = two_groups(draw(150, 31), draw(150, 32))
    data["g"] = data["g"].map({"A": 1, "B": 2}).astype("Int64")  # numeric codes: labels kept as written
    data.loc[5, "g"] = np.nan  # a case in no group is left out
    d, m = _write(tmp_path, data)
    assert main(["micom", d, m, "--group", "g", "--out", str(tmp_path / "micom"), "--permutations", "50", "--seed", "3"]) == 0
    sizes = pd.read_csv(tmp_path / "micom" / "group_sizes.csv")
    assert sizes["group"].astype(str).tolist() == ["1", "2"] and sizes["n"].tolist() == [149, 150]
    comp = pd.read_csv(tmp_path / "micom" / "micom_compositional.csv")
    assert set(comp["construct"]) == {"X", "W", "Y"} and (comp["n_permutations"] == 50).all()
    assert "MGA multiplicity" not in (tmp_path / "micom" / "notes.txt").read_text()
    rec = json.loads((tmp_path / "micom" / "settings.json").read_text())
    assert rec["group_column"] == "g" and rec["seed"] == 3
    for method in ("permutation", "bootstrap"):
        out = tmp_path / f"mga_{method}"
        assert main(["mga", d, m, "--group", "g", "--out", str(out), "--method", method, "--permutations", "40", "--seed", "3"]) == 0
        mga = pd.read_csv(out / "mga.csv")
        assert list(mga.columns) == MGA_COLUMNS and (mga["method"] == method).all()
        assert json.loads((out / "settings.json").read_text())["method"] == method


def test_cli_refuses_a_missing_group_column_and_bad_options(tmp_path, capsys):
    d, m = _write(tmp_path, draw(60, 33))
    assert main(["micom", d, m, "--group", "country", "--out", str(tmp_path / "o")]) == 2
    assert "no column 'country'" in capsys.readouterr().err
    assert main(["mga", d, m, "--group", "x1", "--out", str(tmp_path / "o")]) == 2
    assert "is an item of the model" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_pipeline_groups_step_writes_the_configured_extra_mga_methods(tmp_path):
    data = two_groups(draw(120, 41), draw(120, 42))
    d, m = _write(tmp_path, data)
    cfg = {"seed": 3, "robustness": {"micom_permutations": 30, "groups": "g", "mga_parameters": "paths", "mga_methods": ["bootstrap", "welch"], "mga_resamples": 40}}
    (tmp_path / "cfg.yaml").write_text(json.dumps(cfg))
    out = tmp_path / "groups"
    assert main(["groups", d, m, "--config", str(tmp_path / "cfg.yaml"), "--out", str(out)]) == 0
    for method in ("bootstrap", "welch"):
        t = pd.read_csv(out / f"mga_{method}.csv")
        assert list(t.columns) == MGA_COLUMNS and (t["method"] == method).all() and (t["draws_a"] == 40).all()
    # the same bootstrap streams: both methods see the same standard errors
    np.testing.assert_array_equal(pd.read_csv(out / "mga_bootstrap.csv")["std_error_a"], pd.read_csv(out / "mga_welch.csv")["std_error_a"])
    assert json.loads((out / "settings.json").read_text())["mga_methods"] == ["permutation", "bootstrap", "welch"]
    assert "Welch" in (out / "notes.txt").read_text()
