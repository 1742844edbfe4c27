"""The bootstrap reproduces seminr's draws exactly, its 5,000-draw summaries within the
band seminr meets between seeds, and gives identical results with 1 and 2 workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import MOBI_MODERATION, model_text
from leanlearn.pls.bootstrap import _chunk_bounds, bca_interval, bootstrap, percentile_interval, resample_counts, resample_indices
from leanlearn.pls.engine import estimate


@pytest.fixture(scope="module")
def ecsi(mobi, ref_mobi):
    return estimate(mobi, model_text(ref_mobi["specification"]))


@pytest.fixture(scope="module")
def boot5000(ecsi):
    return bootstrap(ecsi, resamples=5000, seed=123)


def _lookup(table, keys):
    return table.set_index(keys)


def test_first_ten_draws_match_seminr_exactly(ecsi, ref_boot_mobi):
    draws = ref_boot_mobi["first_draws"]
    idx = np.array([d["row_indices_1based"] for d in draws]) - 1
    b = bootstrap(ecsi, indices=idx)
    paths = list(zip(ecsi.path_coefficients.source, ecsi.path_coefficients.target))
    items = list(zip(ecsi.outer_weights.construct, ecsi.outer_weights.indicator))
    for i, d in enumerate(draws):
        for j, (s, t) in enumerate(paths):
            assert b.draws["paths"][i, j] == pytest.approx(d["path_coefficients"][s][t], abs=1e-10)
        for j, (c, it) in enumerate(items):
            assert b.draws["outer_weights"][i, j] == pytest.approx(d["outer_weights"][c][it], abs=1e-10)
            assert b.draws["outer_loadings"][i, j] == pytest.approx(d["outer_loadings"][c][it], abs=1e-10)


def _within_band(row, ref):
    sd = ref["boot_sd"]
    assert row.estimate == pytest.approx(ref["original"], abs=1e-6)
    if sd < 1e-8:  # a single item: weight and loading are 1 in every resample
        assert row.std_error < 1e-8 and row.ci_lower == pytest.approx(1, abs=1e-12)
        return
    assert abs(row.bootstrap_mean - ref["boot_mean"]) <= 0.1 * sd
    assert abs(row.std_error / sd - 1) <= 0.07
    assert abs(row.ci_lower - ref["ci_2.5"]) <= 0.25 * sd
    assert abs(row.ci_upper - ref["ci_97.5"]) <= 0.25 * sd


def test_path_bootstrap_is_within_seminr_seed_band(boot5000, ref_boot_mobi):
    tab = boot5000.table("paths")
    assert len(tab) == 12
    for row in tab.itertuples():
        _within_band(row, ref_boot_mobi["paths"][row.source][row.target])


@pytest.mark.parametrize("family,key", [("outer_loadings", "loadings"), ("outer_weights", "weights")])
def test_loading_and_weight_bootstrap_is_within_seminr_seed_band(boot5000, ref_boot_mobi, family, key):
    for row in boot5000.table(family).itertuples():
        _within_band(row, ref_boot_mobi[key][row.construct][row.indicator])


def test_htmt_bootstrap_is_within_seminr_seed_band(boot5000, ref_boot_mobi):
    ref = ref_boot_mobi["htmt"]
    n = 0
    for row in boot5000.table("htmt").itertuples():
        r = ref.get(row.construct_a, {}).get(row.construct_b) or ref.get(row.construct_b, {}).get(row.construct_a)
        _within_band(row, r)
        n += 1
    assert n == 21


def test_total_and_specific_indirect_effects_are_within_seminr_seed_band(boot5000, ref_boot_mobi):
    tot = boot5000.table("total_effects")
    checked = 0
    for row in tot.itertuples():
        ref = ref_boot_mobi["total_effects"].get(row.source, {}).get(row.target)
        if ref is not None:
            _within_band(row, ref)
            checked += 1
    assert checked == len(tot)
    spec = boot5000.table("indirect_effects").set_index("path")
    for ref in ref_boot_mobi["specific_indirect_effects"]:
        row = spec.loc[ref["effect"]]
        _within_band(row, ref)


def test_same_seed_gives_identical_results_with_one_and_two_workers(ecsi):
    a = bootstrap(ecsi, resamples=600, seed=9, workers=1)
    b = bootstrap(ecsi, resamples=600, seed=9, workers=2)
    np.testing.assert_array_equal(a.path_draws, b.path_draws)
    pd.testing.assert_frame_equal(a.table("paths"), b.table("paths"))
    pd.testing.assert_frame_equal(a.table("htmt"), b.table("htmt"))


def test_three_workers_and_the_process_pool_give_the_same_bytes_as_one(ecsi, monkeypatch):
    """Forked workers (three processes) and the process pool used where fork is not available
    (forced here) give the tables of one process."""
    from leanlearn.pls import bootstrap_workers

    one = bootstrap(ecsi, resamples=1100, seed=4, workers=1)
    three = bootstrap(ecsi, resamples=1100, seed=4, workers=3)
    monkeypatch.setattr(bootstrap_workers, "_can_fork", lambda: False)
    pool = bootstrap(ecsi, resamples=1100, seed=4, workers=2)
    for other in (three, pool):
        np.testing.assert_array_equal(one.path_draws, other.path_draws)
        pd.testing.assert_frame_equal(one.table("paths"), other.table("paths"))
        pd.testing.assert_frame_equal(one.table("outer_loadings"), other.table("outer_loadings"))
    assert not bootstrap_workers._CHILDREN


def _raise_in_worker(parent: int, original):
    import os

    def run(chunk):
        if os.getpid() != parent:
            raise ValueError("block failed in a worker")
        return original(chunk)

    return run


def test_an_error_in_a_worker_process_reaches_the_caller_and_no_worker_is_left(ecsi, monkeypatch):
    import os

    from leanlearn.pls import bootstrap_workers

    monkeypatch.setattr(bootstrap_workers, "_run_chunk", _raise_in_worker(os.getpid(), bootstrap_workers._run_chunk))
    with pytest.raises(ValueError, match="block failed in a worker"):
        bootstrap(ecsi, resamples=2000, seed=4, workers=2)
    assert not bootstrap_workers._CHILDREN
    with pytest.raises(ChildProcessError):  # every forked worker has been waited for
        os.waitpid(-1, os.WNOHANG)


def test_a_worker_that_dies_without_its_results_is_reported(ecsi, monkeypatch):
    import os

    from leanlearn.pls import bootstrap_workers

    parent, original = os.getpid(), bootstrap_workers._run_chunk

    def run(chunk):
        if os.getpid() != parent:
            os._exit(9)  # as if killed: no results sent
        return original(chunk)

    monkeypatch.setattr(bootstrap_workers, "_run_chunk", run)
    with pytest.raises(RuntimeError, match="ended without its results"):
        bootstrap(ecsi, resamples=2000, seed=4, workers=2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_interaction_model_draws_match_between_workers(mobi):
    res = estimate(mobi, MOBI_MODERATION)
    a = bootstrap(res, resamples=300, seed=1, workers=1)
    b = bootstrap(res, resamples=300, seed=1, workers=2)
    np.testing.assert_array_equal(a.path_draws, b.path_draws)


def test_resample_draws_reestimate_exactly_what_materialised_rows_give(mobi):
    res = estimate(mobi, MOBI_MODERATION)
    idx = np.random.default_rng(4).integers(0, len(mobi), size=(3, len(mobi)))
    b = bootstrap(res, indices=idx)
    for i in range(3):
        again = estimate(mobi.iloc[idx[i]].reset_index(drop=True), MOBI_MODERATION)
        np.testing.assert_allclose(b.draws["paths"][i], again.path_coefficients.estimate, atol=1e-10)


def test_different_seeds_give_different_draws(ecsi):
    a = bootstrap(ecsi, resamples=300, seed=1)
    b = bootstrap(ecsi, resamples=300, seed=2)
    assert not np.array_equal(a.path_draws, b.path_draws)


def test_failed_resamples_are_counted_and_dropped_not_hidden():
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame(rng.standard_normal((n, 4)), columns=["x1", "x2", "y1", "y2"])
    df["x2"] = 0.0
    df.loc[0, "x2"] = 1.0  # a resample without case 0 has a constant item
    res = estimate(df, "X =~ x1 + x2\nY =~ y1 + y2\nY ~ X")
    b = bootstrap(res, resamples=400, seed=3)
    status = b.status.set_index("reason")["count"]
    idx = np.vstack([resample_indices(3, 400, n, c) for c in range(len(_chunk_bounds(400)))])
    expected_failed = int((resample_counts(idx, n)[:, 0] == 0).sum())
    assert status["singular_or_undefined"] == expected_failed > 0
    assert status["valid"] + status["singular_or_undefined"] + status["not_converged"] == 400
    assert b.n_valid == status["valid"]
    assert b.table("paths").n_resamples.iloc[0] == status["valid"]


def test_percentile_interval_uses_type_7_quantiles():
    d = np.arange(1.0, 11.0)[:, None]
    lo, hi = percentile_interval(d, 0.9)
    assert lo[0] == pytest.approx(np.quantile(d, 0.05)) and lo[0] == pytest.approx(1.45)
    assert hi[0] == pytest.approx(9.55)


def test_bca_reduces_to_percentile_without_bias_or_skew():
    d = np.linspace(-3, 3, 2001)[:, None]
    jack = np.linspace(-1, 1, 51)[:, None]
    lo, hi = bca_interval(d, np.array([0.0]), jack, 0.95)
    plo, phi = percentile_interval(d, 0.95)
    assert lo[0] == pytest.approx(plo[0], abs=1e-12) and hi[0] == pytest.approx(phi[0], abs=1e-12)


def test_bca_bias_correction_by_hand():
    d = np.linspace(0, 1, 100001)[:, None]
    est = np.array([0.3])  # 30 % of draws below the estimate
    jack = np.linspace(-1, 1, 51)[:, None]  # symmetric: acceleration 0
    lo, hi = bca_interval(d, est, jack, 0.95)
    z0 = stats.norm.ppf(0.3)
    assert lo[0] == pytest.approx(stats.norm.cdf(2 * z0 + stats.norm.ppf(0.025)), abs=1e-4)
    assert hi[0] == pytest.approx(stats.norm.cdf(2 * z0 + stats.norm.ppf(0.975)), abs=1e-4)


def test_bca_agrees_with_scipy_for_a_skewed_statistic():
    rng = np.random.default_rng(3)
    x = rng.exponential(size=60)
    B = 40000
    idx = rng.integers(0, 60, size=(B, 60))
    draws = x[idx].mean(axis=1)[:, None]
    jack = np.array([np.delete(x, i).mean() for i in range(60)])[:, None]
    lo, hi = bca_interval(draws, np.array([x.mean()]), jack, 0.95)
    ref = stats.bootstrap((x,), np.mean, n_resamples=B, method="BCa", random_state=5).confidence_interval
    assert lo[0] == pytest.approx(ref.low, abs=0.02)
    assert hi[0] == pytest.approx(ref.high, abs=0.03)


@pytest.mark.parametrize("with_missing", [False, True])
def test_moment_path_equals_row_path_for_two_stage_and_missing_cells(mobi, with_missing):
    from leanlearn.pls.engine import batch_correlations, fit_correlations, moment_correlations

    data = mobi.copy()
    if with_missing:
        rng = np.random.default_rng(8)
        for col in ("IMAG2", "CUEX1", "CUSA3"):
            data.loc[rng.choice(len(data), 12, replace=False), col] = np.nan
    res = estimate(data, MOBI_MODERATION)
    X = res.prepared.raw
    counts = resample_counts(np.random.default_rng(0).integers(0, len(X), size=(20, len(X))), len(X))
    fast = fit_correlations(res.plan, *moment_correlations(res.plan, X, counts))
    R, sd, _, bad, stage1 = batch_correlations(res.plan, X, counts)
    slow = fit_correlations(res.plan, R, sd, bad, stage1)
    np.testing.assert_allclose(fast.paths, slow.paths, atol=1e-10)
    np.testing.assert_allclose(fast.weights, slow.weights, atol=1e-10)
    np.testing.assert_allclose(fast.loadings, slow.loadings, atol=1e-10)


def test_resamples_hitting_the_iteration_limit_are_counted_as_not_converged(mobi):
    from leanlearn import ConvergenceWarning

    with pytest.warns(ConvergenceWarning):
        res = estimate(mobi, MOBI_MODERATION, max_iterations=2)
    b = bootstrap(res, resamples=100, seed=1)
    status = b.status.set_index("reason")["count"]
    assert status["not_converged"] > 0 and status["singular_or_undefined"] == 0
    assert b.n_valid == status["valid"] == 100 - status["not_converged"]


# ---- bootstrap p-values invert the intervals ---------------------------------------------------
from leanlearn.pls.bootstrap import bca_constants, bootstrap_p_value, tail_levels  # noqa: E402


def _random_draws(rng, B):
    d = rng.standard_normal((B, 3)) * rng.uniform(0.05, 1) + rng.normal() * 0.3
    d[:, 2] = np.exp(d[:, 2]) - 1.2  # skewed
    return d


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_interval_excludes_zero_exactly_when_bootstrap_p_is_below_alpha_at_every_level(method):
    rng = np.random.default_rng(11)
    for rep in range(20):
        B = int(rng.integers(20, 400))
        d = _random_draws(rng, B)
        if rep % 4 == 0:
            d[: B // 5, 1] = 0.0  # ties at zero
        est = d.mean(axis=0) + rng.normal(size=3) * 0.05
        jack = rng.standard_normal((50, 3)) ** 3 * 0.1  # skewed jackknife: acceleration != 0
        z0, a = bca_constants(d, est, jack)
        p = bootstrap_p_value(d, method=method, z0=z0, a=a)
        for level in np.linspace(0.5, 0.999, 30):
            lo, hi = percentile_interval(d, level) if method == "percentile" else bca_interval(d, est, jack, level)
            np.testing.assert_array_equal((lo > 0) | (hi < 0), p < 1 - level)


def test_percentile_p_is_twice_the_smaller_tail_share():
    d = np.concatenate([-np.arange(1.0, 6.0), np.arange(1.0, 96.0)])[:, None]  # 5 of 100 draws below 0
    below, above = tail_levels(d, 0.0)
    # type-7 rank of 0 lies between the 5th and 6th order statistic (ranks 4/99 and 5/99)
    assert 4 / 99 < below[0] < 5 / 99 and above[0] == pytest.approx(1 - below[0])
    assert bootstrap_p_value(d)[0] == pytest.approx(2 * below[0])
    assert bootstrap_p_value(np.arange(1.0, 11.0)[:, None])[0] == 0.0  # every draw above zero


def test_bca_p_equals_percentile_p_without_bias_or_skew():
    d = np.linspace(-1, 3, 2001)[:, None]
    z0, a = np.array([0.0]), np.array([0.0])
    assert bootstrap_p_value(d, method="bca", z0=z0, a=a)[0] == pytest.approx(bootstrap_p_value(d)[0], abs=1e-12)


def test_bootstrap_tables_report_the_p_matching_each_interval(boot5000):
    for fam in ("paths", "indirect_effects", "total_effects", "outer_loadings"):
        t = boot5000.table(fam)
        alpha = 1 - t.ci_level
        np.testing.assert_array_equal((t.ci_lower > 0) | (t.ci_upper < 0), t.p_value < alpha)
        np.testing.assert_array_equal((t.bca_lower > 0) | (t.bca_upper < 0), t.bca_p_value < alpha)


def test_type7_quantiles_from_sorted_draws_are_numpys_to_the_bit():
    from leanlearn.pls.bootstrap import _type7

    rng = np.random.default_rng(4)
    for B in (2, 7, 501):
        x = rng.standard_normal((B, 12))
        x[:, 3] = 0.25  # a constant column
        x[: B // 2, 4] = -1.0  # ties
        xs = np.sort(x, axis=0)
        for q in (0.0, 0.025, 0.5, 0.975, 1.0):
            assert (_type7(xs, q) == np.quantile(x, q, axis=0, method="linear")).all()
        levels = rng.random(12)
        per_column = np.array([np.quantile(x[:, j], levels[j], method="linear") for j in range(12)])
        assert (_type7(xs, levels) == per_column).all()


def test_normal_quantile_and_distribution_function_agree_with_scipy_special():
    from scipy.special import ndtr, ndtri

    from leanlearn.pls.bootstrap import _ndtr, _ndtri

    u = np.r_[np.linspace(1e-9, 1 - 1e-9, 4001), 1e-4, 0.025, 0.975]
    np.testing.assert_allclose(_ndtri(u), ndtri(u), rtol=1e-14, atol=1e-14)
    assert _ndtri(np.array([0.0]))[0] == -np.inf and _ndtri(np.array([1.0]))[0] == np.inf
    x = np.linspace(-9, 9, 4001)
    np.testing.assert_allclose(_ndtr(x), ndtr(x), rtol=1e-14, atol=1e-16)


def test_normal_quantile_is_bit_for_bit_the_standard_librarys_normal_dist_inv_cdf():
    from statistics import NormalDist

    from leanlearn.pls.bootstrap import _ndtri

    u = np.r_[np.linspace(1e-12, 1 - 1e-12, 20001), np.random.default_rng(5).random(2000)]
    assert _ndtri(u).tolist() == [NormalDist().inv_cdf(x) for x in u.tolist()]
