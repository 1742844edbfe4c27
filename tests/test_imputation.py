"""Multiple imputation with pooling (``estimate --missing multiple --imputations M``).

Claims: Rubin's rules equal a hand-worked example; one imputation of complete data gives
exactly the complete-data estimates and bootstrap; the pooled tables are byte-identical
for 1 and 2 workers and for the same seed, and differ for another seed; on simulated
data with 20 % of the answers missing completely at random the pooled paths recover the
complete-data paths, the pooled intervals cover the population paths, and the fraction of
missing information lies in (0, 1); the CLI writes the pooled tables and refuses to run
without a seed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import leanlearn as ll
from leanlearn.cli import main
from leanlearn.data.imputation import POOLED_COLUMNS, multiple_imputation, rubin_pool
from leanlearn.pls.bootstrap import bootstrap
from leanlearn.pls.engine import estimate

from test_groups import SMALL, draw


def test_rubin_rules_by_hand():
    Q = np.array([[1.0], [2.0], [3.0]])  # M = 3
    U = np.array([[0.5], [0.7], [0.6]])
    out = rubin_pool(Q, U)
    ubar, B = 0.6, 1.0
    T = ubar + (4 / 3) * B
    r = (4 / 3) * B / ubar
    nu = 2 * (1 + 1 / r) ** 2
    assert out["estimate"][0] == 2.0 and out["within_variance"][0] == pytest.approx(ubar)
    assert out["between_variance"][0] == pytest.approx(B) and out["total_variance"][0] == pytest.approx(T)
    assert out["df"][0] == pytest.approx(nu) and out["lambda"][0] == pytest.approx((4 / 3) * B / T)
    assert out["fmi"][0] == pytest.approx((r + 2 / (nu + 3)) / (r + 1))
    from scipy import stats

    assert out["rubin_upper"][0] == pytest.approx(2.0 + stats.t.ppf(0.975, nu) * np.sqrt(T))
    one = rubin_pool(Q[:1], U[:1])
    assert one["total_variance"][0] == 0.5 and np.isnan(one["fmi"][0]) and np.isnan(one["between_variance"][0])


def test_one_imputation_of_complete_data_is_the_complete_data_result():
    data = ll.datasets.load("mobi")
    spec = ll.datasets.model("mobi")
    mi = multiple_imputation(data, spec, imputations=1, seed=11, resamples=200)
    res = estimate(data, spec)
    boot = bootstrap(res, resamples=200, seed=11)
    pd.testing.assert_frame_equal(mi.results[0].path_coefficients, res.path_coefficients, check_exact=True)
    for family, keys in (("paths", ["source", "target"]), ("outer_loadings", ["construct", "indicator"]), ("indirect_effects", ["path"])):
        b = boot.table(family)
        p = mi.pooled[family]
        assert p[keys].equals(b[keys])
        for col in ("estimate", "ci_lower", "ci_upper", "p_value"):
            np.testing.assert_array_equal(p[col].to_numpy(), b[col].to_numpy(), err_msg=f"{family}.{col}")
        np.testing.assert_allclose(p["std_error"], b["std_error"], rtol=1e-14, atol=0)
        assert p["fmi"].isna().all() and (p["n_draws"] == 200).all()


def _mcar(n=400, share=0.2, seed=3):
    full = draw(n, seed, beta=(0.4, 0.3))
    rng = np.random.default_rng(seed + 100)
    holes = rng.random(full.shape) < share
    return full, full.mask(holes)


def test_same_seed_same_tables_for_any_worker_count_and_another_seed_differs():
    _, data = _mcar(150, 0.15, 5)
    a = multiple_imputation(data, SMALL, imputations=2, seed=4, resamples=60)
    b = multiple_imputation(data, SMALL, imputations=2, seed=4, resamples=60, workers=2)
    c = multiple_imputation(data, SMALL, imputations=2, seed=5, resamples=60)
    for family in a.pooled:
        pd.testing.assert_frame_equal(a.pooled[family], b.pooled[family], check_exact=True)
    assert not np.array_equal(a.pooled["paths"]["estimate"], c.pooled["paths"]["estimate"])
    assert list(a.pooled["paths"].columns) == ["source", "target"] + POOLED_COLUMNS


def test_recovery_on_simulated_mcar_data():
    full, data = _mcar()
    complete = estimate(full, SMALL)
    cboot = bootstrap(complete, resamples=150, seed=8).table("paths").set_index(["source", "target"])
    mi = multiple_imputation(data, SMALL, imputations=6, seed=8, resamples=150)
    p = mi.pooled["paths"].set_index(["source", "target"])
    c = complete.path_coefficients.set_index(["source", "target"])["estimate"]
    np.testing.assert_allclose(p["estimate"], c.loc[p.index], atol=0.04)
    # the pooled intervals cover the complete-data estimate and are wider than the complete-data ones
    for key in c.index:
        assert p.loc[key, "ci_lower"] < c[key] < p.loc[key, "ci_upper"]
        assert p.loc[key, "rubin_lower"] < c[key] < p.loc[key, "rubin_upper"]
        assert p.loc[key, "std_error"] > cboot.loc[key, "std_error"]
    loads = mi.pooled["outer_loadings"]
    assert ((loads["fmi"] > 0) & (loads["fmi"] < 1)).all()
    assert (p["between_variance"] > 0).all()
    # the imputations differ (posterior draws), observed answers are untouched
    a, b = (r.prepared.X for r in mi.results[:2])
    obs = ~np.isnan(data[list(complete.prepared.items)].to_numpy())
    assert not np.array_equal(a[~obs], b[~obs]) and np.array_equal(a[obs], b[obs])
    assert (mi.report["n_missing"] > 0).all()


def test_cli_estimate_missing_multiple(tmp_path, capsys):
    _, data = _mcar(150, 0.1, 9)
    data.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "m.lav").write_text(SMALL)
    base = ["estimate", str(tmp_path / "d.csv"), str(tmp_path / "m.lav"), "--missing", "multiple", "--imputations", "3"]
    assert main([*base, "--out", str(tmp_path / "o"), "--resamples", "40", "--seed", "2"]) == 0
    paths = pd.read_csv(tmp_path / "o" / "paths.csv")
    assert {"estimate", "std_error", "ci_lower", "ci_upper", "fmi"} <= set(paths.columns)
    pooled = pd.read_csv(tmp_path / "o" / "pooled_paths.csv")
    np.testing.assert_allclose(paths["estimate"], pooled["estimate"], rtol=1e-15)
    assert (pd.read_csv(tmp_path / "o" / "imputation_report.csv")["imputations"] == 3).all()
    rec = json.loads((tmp_path / "o" / "settings.json").read_text())
    assert rec["missing"] == "multiple" and rec["imputations"] == 3
    assert (tmp_path / "o" / "reliability.csv").exists()
    assert main([*base, "--out", str(tmp_path / "x")]) == 2
    assert "needs --seed" in capsys.readouterr().err
