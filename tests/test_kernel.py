"""The compiled PLS kernel (src/leanlearn/pls/_kernel.c) gives the NumPy forms' numbers.

Each test computes the same quantity twice: through the compiled functions, and with the
compiled kernel switched off (``kernel._LIB = [None]``, as ``LEANLEARN_KERNEL=numpy`` does),
through the NumPy forms it replaces.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
from conftest import CORP_REP_EXTENDED, MOBI_MODERATION

from leanlearn import bootstrap, datasets, estimate
from leanlearn.pls import case_moments, iteration, kernel, metrics
from leanlearn.random import generator

ECSI = datasets.model("mobi")  # the ECSI model of the bundled mobi data


# tests that call the compiled functions themselves (the install test below fails when the
# kernel is missing; these are skipped then, as under LEANLEARN_KERNEL=numpy)
compiled = pytest.mark.skipif(not kernel.available(), reason="the compiled kernel is not installed or switched off")


@pytest.fixture
def numpy_forms(monkeypatch):
    """Switch the compiled kernel off for the duration of a block (``with numpy_forms():``)."""
    from contextlib import contextmanager

    @contextmanager
    def off():
        with monkeypatch.context() as m:
            m.setattr(kernel, "_LIB", [None])
            yield

    return off


def _resample_R(res, draws: int, seed: int = 3):
    feats = case_moments.case_features(res.prepared.raw)
    n = res.prepared.raw.shape[0]
    counts = np.stack([np.bincount(generator(seed, "bootstrap", i).integers(0, n, n), minlength=n) for i in range(draws)])
    counts = counts.astype(float)
    sums = feats.sums(counts)
    return feats, sums, counts


def test_the_compiled_kernel_is_built_by_the_install():
    """`pip install` compiles the kernel (CI would otherwise test only the NumPy forms)."""
    if os.environ.get("LEANLEARN_KERNEL", "").lower() == "numpy":
        pytest.skip("LEANLEARN_KERNEL=numpy switches the compiled kernel off")
    assert kernel.available()


@pytest.mark.parametrize("scheme", ["path", "factorial", "centroid"])
@pytest.mark.parametrize("max_iterations", [300, 3])
def test_compiled_iterations_give_the_numpy_weights_counts_and_flags(corp_rep, numpy_forms, scheme, max_iterations):
    """Mode A and Mode B blocks, every scheme, stopped by convergence or by the iteration limit,
    with a data set known to fail beforehand: weights to 1e-12, equal iterations and flags."""
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 40)
    R, _, bad, _ = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])
    bad[7] = True
    settings = replace(res.plan.settings, scheme=scheme, max_iterations=max_iterations)
    bad_c = bad.copy()
    compiled = iteration._iterate(R, res.plan.final, settings, bad_c)
    with numpy_forms():
        bad_n = bad.copy()
        numpy = iteration._iterate(R, res.plan.final, settings, bad_n)
    ok = ~bad_n
    assert ok.sum() == 39
    np.testing.assert_allclose(compiled[0][ok], numpy[0][ok], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(compiled[1][ok], numpy[1][ok])
    np.testing.assert_array_equal(compiled[2], numpy[2])
    np.testing.assert_array_equal(bad_c, bad_n)
    assert compiled[2][ok].all() == (max_iterations == 300)


@pytest.mark.parametrize("scheme", ["path", "factorial", "centroid"])
def test_compiled_iterations_return_the_item_and_construct_correlations_at_their_weights(corp_rep, numpy_forms, scheme):
    """RW = R (w ⊙ O) and C = (w ⊙ O)ᵀ RW from the last pass of the compiled iterations, also
    for a data set failed beforehand (weights 1): the NumPy form's products to 1e-12."""
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 30)
    R, _, bad, _ = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])
    bad[4] = True
    settings = replace(res.plan.settings, scheme=scheme)
    lay = res.plan.final
    w, _, conv, RW, C = iteration._iterate_moments(R, lay, settings, bad.copy())
    with numpy_forms():
        wn, _, convn, RWn, Cn = iteration._iterate_moments(R, lay, settings, bad.copy())
    W = w[:, :, None] * lay.onehot
    np.testing.assert_allclose(RW, R @ W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(C, W.transpose(0, 2, 1) @ (R @ W), rtol=0, atol=1e-12)
    np.testing.assert_allclose(RW, RWn, rtol=0, atol=1e-11)
    np.testing.assert_allclose(C, Cn, rtol=0, atol=1e-11)
    np.testing.assert_array_equal(conv, convn)
    assert (w[4] == 1).all() and not conv[4]
    diag = np.diagonal(C, axis1=1, axis2=2)
    np.testing.assert_allclose(diag[conv], 1.0, rtol=0, atol=1e-7)  # unit-variance composites (to the tolerance)


def test_compiled_iterations_fail_a_data_set_whose_mode_b_block_is_singular(corp_rep, numpy_forms):
    """A Mode B block with two identical items: its inverse is refused (cond > 1e12) by both forms."""
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 6)
    R, _, bad, _ = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])
    lay = res.plan.final
    k = next(k for k in range(lay.K) if lay.modes[k] == "B")
    i, j = lay.cols(k)[:2]
    R = R.copy()
    R[2, j, :] = R[2, i, :]
    R[2, :, j] = R[2, :, i]
    flags = {}
    for name in ("compiled", "numpy"):
        b = bad.copy()
        if name == "numpy":
            with numpy_forms():
                iteration._iterate(R, lay, res.plan.settings, b)
        else:
            iteration._iterate(R, lay, res.plan.settings, b)
        flags[name] = b
    assert flags["compiled"][2] and flags["numpy"][2]
    np.testing.assert_array_equal(flags["compiled"], flags["numpy"])


@compiled
def test_compiled_item_correlations_repeat_mean_replacement_as_numpy(corp_rep, numpy_forms):
    """corp_rep's four items with missing cells: correlations, means, SDs and N from the feature sums."""
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, _ = _resample_R(res, 30)
    assert feats.miss.size == 4
    R, m, sd, N, bad = kernel.correlations(sums, feats.p, feats.miss, feats.ref_var)
    N0, m0, S0 = case_moments.item_moments(feats, sums)
    var = np.diagonal(S0, axis1=1, axis2=2)
    sd0 = np.sqrt(var)
    np.testing.assert_allclose(R, S0 / (sd0[:, :, None] * sd0[:, None, :]), rtol=0, atol=1e-13)
    np.testing.assert_allclose(m, m0, rtol=1e-13, atol=0)
    np.testing.assert_allclose(sd, sd0, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(N, N0)
    assert not bad.any()


@compiled
def test_compiled_item_correlations_flag_a_resample_with_a_constant_item(mobi):
    """A resample that draws one case only has zero item variances: bad, with SD 1 taken for the division."""
    res = estimate(mobi, ECSI)
    feats = case_moments.case_features(res.prepared.raw)
    counts = np.zeros((2, res.n))
    counts[0, 5] = 250
    counts[1] = 1.0
    R, m, sd, N, bad = kernel.correlations(feats.sums(counts), feats.p, feats.miss, feats.ref_var)
    assert bad.tolist() == [True, False]
    np.testing.assert_allclose(R[1], np.corrcoef(res.prepared.raw, rowvar=False), atol=1e-12)


@compiled
def test_compiled_htmt_is_the_htmt_formula(corp_rep):
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 25)
    R = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])[0]
    onehot = res.plan.final.onehot
    out = kernel.htmt(R, onehot)
    ref = metrics.htmt(R, onehot)
    assert np.isnan(out[:, np.arange(onehot.shape[1]), np.arange(onehot.shape[1])]).all()
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=0)


@compiled
def test_compiled_inverse_and_condition_bound():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(50, 6, 6))
    A = A @ A.transpose(0, 2, 1) + 0.05 * np.eye(6)
    inv, bound = kernel.inverse(A)
    np.testing.assert_allclose(inv, np.linalg.inv(A), rtol=1e-9, atol=1e-11)
    assert (bound >= np.linalg.cond(A) * (1 - 1e-12)).all()
    singular = np.ones((1, 3, 3))
    inv, bound = kernel.inverse(singular)
    assert not np.isfinite(bound).any()
    assert iteration._ill_conditioned(singular, 1e12).all()


@pytest.mark.parametrize("model", ["corp_rep", "mobi_moderation"])
def test_bootstrap_with_the_compiled_kernel_matches_the_numpy_forms(corp_rep, mobi, numpy_forms, model):
    """Whole bootstraps (Mode B with missing cells; a two-stage interaction): every statistic to 1e-10."""
    if model == "corp_rep":
        res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    else:
        res = estimate(mobi, MOBI_MODERATION)
    compiled = bootstrap(res, resamples=300, seed=11)
    with numpy_forms():
        numpy = bootstrap(res, resamples=300, seed=11)
    assert compiled.status.equals(numpy.status)
    assert set(compiled.draws) == set(numpy.draws) >= {"paths", "outer_weights", "outer_loadings", "htmt", "r_squared"}
    for family, draws in compiled.draws.items():
        np.testing.assert_allclose(draws, numpy.draws[family], rtol=0, atol=1e-10, err_msg=family)
        np.testing.assert_allclose(compiled.jackknife[family], numpy.jackknife[family], rtol=0, atol=1e-10, err_msg=family)


@compiled
def test_a_data_set_gets_the_same_bits_alone_or_in_a_batch(corp_rep):
    """Results do not depend on how resamples are split between blocks or workers."""
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 20)
    R, _, bad, _ = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])
    whole = iteration._iterate(R, res.plan.final, res.plan.settings, bad.copy())
    part = iteration._iterate(R[13:14], res.plan.final, res.plan.settings, bad[13:14].copy())
    assert whole[0][13].tobytes() == part[0][0].tobytes()
    assert whole[1][13] == part[1][0]


@compiled
def test_compiled_counts_are_bincounts_and_refuse_an_index_out_of_range():
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 40, size=(30, 40))
    out = kernel.counts(idx, 40)
    np.testing.assert_array_equal(out, np.stack([np.bincount(r, minlength=40) for r in idx]))
    idx[17, 3] = 40
    assert kernel.counts(idx, 40) is None
    idx[17, 3] = -1
    assert kernel.counts(idx, 40) is None


@compiled
def test_compiled_product_columns_are_the_weighted_products_and_their_cross_sums():
    """Two products (q = 2): cg = c ⊙ a ⊙ b and Σ cg_u g_v, symmetric in u and v."""
    rng = np.random.default_rng(5)
    first = [rng.normal(size=(7, 30)) for _ in range(2)]
    second = [rng.normal(size=(7, 30)) for _ in range(2)]
    c = rng.integers(0, 3, size=(7, 30)).astype(float)
    cg, gg = kernel.products(first, second, c)
    g = [a * b for a, b in zip(first, second)]
    for u in range(2):
        np.testing.assert_allclose(cg[u], c * g[u], rtol=1e-15, atol=0)
        for v in range(2):
            np.testing.assert_allclose(gg[:, u, v], (c * g[u] * g[v]).sum(axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(gg, gg.transpose(0, 2, 1))


def test_a_kernel_built_from_other_sources_is_not_called(monkeypatch):
    """A compiled file whose ll_abi() differs from KERNEL_ABI (an editable install not rebuilt
    after an update) is refused with a warning that says how to rebuild; the NumPy forms run."""
    if not kernel.available():
        pytest.skip("the compiled kernel is not installed")
    monkeypatch.setattr(kernel, "_LIB", [])
    monkeypatch.setattr(kernel, "KERNEL_ABI", kernel.KERNEL_ABI + 1)
    with pytest.warns(RuntimeWarning, match="compiled from other sources.*pip install"):
        assert not kernel.available()
    assert kernel._LIB == [None]


@compiled
@pytest.mark.parametrize("n", [2, 7, 344, 70_001])
def test_compiled_draw_counts_are_the_counts_of_numpys_bootstrap_draws(n):
    """ll_draw_counts repeats Generator.integers(0, n, (b, n)) of PCG64 draw for draw (also from a
    generator holding a buffered half-output), and bootstrap blocks use it: the same counts."""
    from leanlearn.pls import bootstrap_workers

    b = 3 if n > 10_000 else 40
    for chunk in range(3):
        want = bootstrap_workers.resample_counts(generator(11, "bootstrap", chunk).integers(0, n, size=(b, n)), n)
        np.testing.assert_array_equal(kernel.draw_counts(generator(11, "bootstrap", chunk), b, n), want)
    g = generator(11, "bootstrap", 9)
    g.integers(0, 5)  # leaves half of a 64-bit output buffered
    assert g.bit_generator.state["has_uint32"] == 1
    state = g.bit_generator.state
    got = kernel.draw_counts(g, b, n)
    g.bit_generator.state = state
    np.testing.assert_array_equal(got, bootstrap_workers.resample_counts(g.integers(0, n, size=(b, n)), n))
    if n < 10_000:  # a bootstrap block's counts: the second block of 2 x CHUNK resamples
        resamples = 2 * bootstrap_workers.CHUNK
        np.testing.assert_array_equal(
            bootstrap_workers.block_counts(5, resamples, n, 1),
            bootstrap_workers.resample_counts(bootstrap_workers.resample_indices(5, resamples, n, 1), n),
        )


def test_draw_counts_step_aside_for_a_generator_other_than_pcg64():
    """Another bit generator (or NumPy's draws not reproduced) gives None: the caller draws with NumPy."""
    if not kernel.available():
        pytest.skip("the compiled kernel is not installed")
    assert kernel.draw_counts(np.random.Generator(np.random.MT19937(1)), 4, 10) is None


def test_compiled_path_solves_give_the_numpy_paths_r_squared_and_flags(corp_rep, numpy_forms):
    """Every endogenous construct's OLS on its predecessors in one compiled call: the paths and R² of
    the NumPy solves to 1e-12, the same failure flags for a data set with two identical
    predecessors (cond > 1e12) and one with a non-finite correlation."""
    from leanlearn.pls import batch

    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats, sums, counts = _resample_R(res, 25)
    R, col_sd, bad, _ = case_moments.resample_correlations(res.plan, feats, sums, lambda a, b: counts[a:b])
    lay = res.plan.final
    C = iteration._iterate_moments(R, lay, res.plan.settings, bad.copy())[4]
    j = next(j for j in lay.endogenous if len(lay.preds(j)) >= 2)
    a, b = lay.preds(j)[:2]
    C[3, b, :], C[3, :, b] = C[3, a, :], C[3, :, a]
    C[3, b, b] = 1.0
    C[5, a, j] = np.nan
    if not kernel.available():
        pytest.skip("the compiled kernel is not installed")
    bad_c = np.zeros(25, dtype=bool)
    paths, r2 = batch._compiled_paths(C, lay, bad_c)
    bad_n = np.zeros(25, dtype=bool)
    want_p, want_r2 = np.zeros_like(paths), np.full_like(r2, np.nan)
    with numpy_forms():  # LAPACK's solves
        for k in lay.endogenous:
            P = lay.preds(k)
            want_p[:, P, k] = iteration._solve(C[:, P[:, None], P], C[:, P, k], bad_n)
            want_r2[:, k] = np.einsum("bi,bi->b", want_p[:, P, k], C[:, P, k])
    np.testing.assert_array_equal(bad_c, bad_n)
    assert bad_c[3] and bad_c[5] and bad_c.sum() == 2
    ok = ~bad_c
    np.testing.assert_allclose(paths[ok], want_p[ok], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r2[ok], want_r2[ok], rtol=0, atol=1e-12)
    assert np.isnan(paths[3][lay.preds(j), j]).all() and np.isnan(r2[5, j])
