"""The moment-matrix bootstrap (leanlearn.pls.moments) gives, resample by resample, what the
row-by-row engine gives; the jackknife by downdating equals the jackknife with (n, n) counts;
the batched PLS iterations equal a one-data-set-at-a-time loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import MOBI_MODERATION, REF
from leanlearn.pls import case_moments, moments
from leanlearn.pls.bootstrap import resample_counts
from leanlearn.pls.engine import _iterate, batch_correlations, estimate, fit_correlations, fit_counts

FIELDS = ("paths", "weights", "loadings", "r_squared", "R", "rho_a")


def _assert_same_fit(a, b, atol=1e-12):
    for name in FIELDS:
        if name == "rho_a" and a.rho_a is None:  # resampling skips rho_A (no bootstrap statistic needs it)
            continue
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=atol, rtol=0, err_msg=name)
    np.testing.assert_array_equal(a.failed, b.failed)
    np.testing.assert_array_equal(a.converged, b.converged)
    np.testing.assert_array_equal(a.iterations, b.iterations)


def _with_missing(data: pd.DataFrame, cols, k: int = 12, seed: int = 8) -> pd.DataFrame:
    out = data.copy()
    rng = np.random.default_rng(seed)
    for col in cols:
        out.loc[rng.choice(len(out), k, replace=False), col] = np.nan
    return out


@pytest.fixture(scope="module")
def corp_extended():
    data = pd.read_csv(REF / "corp_rep_data.csv")
    return estimate(data, (REF.parent / "models" / "corp_rep_extended.lav").read_text(), missing_value=-99)


@pytest.fixture(scope="module")
def moderated(mobi):
    return estimate(_with_missing(mobi, ("IMAG2", "CUEX1", "CUSA3")), MOBI_MODERATION)


@pytest.fixture(scope="module")
def moderated_complete(mobi):
    return estimate(mobi, MOBI_MODERATION)


def _rows_fit(res, counts):
    """The row-by-row engine: every resample's rows standardised and correlated on their own."""
    R, sd, _, bad, stage1 = batch_correlations(res.plan, res.prepared.raw, counts)
    return fit_correlations(res.plan, R, sd, bad, stage1)


@pytest.mark.parametrize("case", ["corp_extended", "moderated"])
def test_batched_moment_path_equals_the_row_path_per_resample_to_1e_12(case, request):
    res = request.getfixturevalue(case)
    X = res.prepared.raw
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(3).integers(0, n, size=(40, n)), n)
    _assert_same_fit(moments.fit_resamples(res.plan, X, counts), _rows_fit(res, counts))


def test_a_resample_gives_the_same_numbers_alone_or_in_a_block(moderated):
    X = moderated.prepared.raw
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(5).integers(0, n, size=(30, n)), n)
    block = moments.fit_resamples(moderated.plan, X, counts)
    for i in (0, 17, 29):
        alone = moments.fit_resamples(moderated.plan, X, counts[i : i + 1])
        np.testing.assert_allclose(block.paths[i], alone.paths[0], atol=1e-13, rtol=0)
        np.testing.assert_allclose(block.weights[i], alone.weights[0], atol=1e-13, rtol=0)


@pytest.mark.parametrize("case", ["corp_extended", "moderated", "moderated_complete"])
def test_jackknife_by_downdating_equals_the_jackknife_with_leave_one_out_counts(case, request):
    """Feature sums less the case's own (and, for a two-stage interaction, the sample's moment
    tensors less the case's own term) against the row path on leave-one-out counts."""
    res = request.getfixturevalue(case)
    X = res.prepared.raw
    n = X.shape[0]
    leave = np.arange(0, n, 7)
    counts = np.ones((leave.size, n))
    counts[np.arange(leave.size), leave] = 0.0
    _assert_same_fit(moments.fit_jackknife(res.plan, X, leave), fit_counts(res.plan, X, counts), atol=1e-11)


def test_weighted_jackknife_leaves_out_the_case_with_its_weight(moderated):
    X = moderated.prepared.raw
    n = X.shape[0]
    w = np.random.default_rng(2).integers(1, 4, n).astype(float)
    leave = np.arange(0, n, 11)
    counts = np.repeat(w[None, :], leave.size, axis=0)
    counts[np.arange(leave.size), leave] = 0.0
    _assert_same_fit(moments.fit_jackknife(moderated.plan, X, leave, weights=w), fit_counts(moderated.plan, X, counts), atol=1e-11)


def test_feature_matrix_built_in_case_blocks_gives_the_same_moments(corp_extended, monkeypatch):
    X = corp_extended.prepared.raw
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(1).integers(0, n, size=(10, n)), n)
    whole = moments.fit_resamples(corp_extended.plan, X, counts)
    monkeypatch.setattr(case_moments, "FEATURE_ELEMENTS", 20_000)  # blocks of a few dozen cases, rebuilt when needed
    feats = moments.case_features(X)
    assert len(feats.blocks) > 1 and feats.blocks[0][1] is None
    _assert_same_fit(moments.fit_resamples(corp_extended.plan, X, counts, feats), whole, atol=1e-12)


def test_the_row_path_in_sub_blocks_gives_the_same_numbers_as_one_block(mobi, monkeypatch):
    res = estimate(mobi, MOBI_MODERATION, interaction="product_indicator")
    X = res.prepared.raw
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(6).integers(0, n, size=(12, n)), n)
    monkeypatch.setattr(case_moments, "ROW_ELEMENTS", 1000)  # forces sub-blocks of one resample
    _assert_same_fit(moments._rows_fit(res.plan, X, counts), fit_counts(res.plan, X, counts), atol=1e-13)


def test_batched_iterations_equal_a_loop_over_data_sets(corp_extended):
    X = corp_extended.prepared.raw
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(9).integers(0, n, size=(25, n)), n)
    R, _, bad, _ = moments.resample_correlations(corp_extended.plan, moments.case_features(X), moments.case_features(X).sums(counts), None)
    lay, settings = corp_extended.plan.final, corp_extended.plan.settings
    w, it, conv = _iterate(R, lay, settings, bad.copy())
    for i in range(R.shape[0]):
        wi, iti, ci = _iterate(R[i : i + 1], lay, settings, bad[i : i + 1].copy())
        np.testing.assert_allclose(w[i], wi[0], atol=1e-13, rtol=0)
        assert it[i] == iti[0] and conv[i] == ci[0]


# ---- product-indicator and orthogonalised interactions in moment form ---------------------------
PRODUCT_METHODS = ("product_indicator", "orthogonal")


@pytest.fixture(scope="module")
def mobi_missing(mobi):
    return _with_missing(mobi, ("IMAG2", "CUEX1", "CUSA3", "CUSA1"))


@pytest.fixture(scope="module")
def study_shaped():
    """The bundled study's model (LP × DIG: 48 product indicators, 25 items) on 400 drawn cases, 1 % cells missing."""
    from leanlearn.datasets.simulate import draw_items

    from conftest import ROOT

    items = draw_items(400, seed=5)
    rng = np.random.default_rng(5)
    model = (ROOT / "studies" / "lean" / "model.lav").read_text()
    data = items.mask(rng.random(items.shape) < 0.01)
    return data, model


@pytest.mark.parametrize("method", PRODUCT_METHODS)
@pytest.mark.parametrize("missing", [False, True])
def test_product_moment_path_equals_the_row_path_per_resample_to_1e_12(method, missing, mobi, mobi_missing):
    res = estimate(mobi_missing if missing else mobi, MOBI_MODERATION, interaction=method)
    X = res.prepared.raw
    assert np.isnan(X).any() == missing
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(3).integers(0, n, size=(40, n)), n)
    fast = moments.fit_resamples(res.plan, X, counts)
    _assert_same_fit(fast, _rows_fit(res, counts))
    np.testing.assert_allclose(fast.column_sd, _rows_fit(res, counts).column_sd, atol=1e-12, rtol=0)


@pytest.mark.parametrize("method", PRODUCT_METHODS)
def test_product_moment_path_equals_the_row_path_on_the_study_shaped_model(method, study_shaped):
    data, model = study_shaped
    res = estimate(data, model, interaction=method)
    X = res.prepared.raw
    assert len(res.plan.generated) == 48 and np.isnan(X).any()
    n = X.shape[0]
    counts = resample_counts(np.random.default_rng(4).integers(0, n, size=(16, n)), n)
    _assert_same_fit(moments.fit_resamples(res.plan, X, counts), _rows_fit(res, counts))


@pytest.mark.parametrize("method", PRODUCT_METHODS)
def test_weighted_product_resamples_and_jackknife_equal_the_row_path(method, mobi_missing):
    res = estimate(mobi_missing, MOBI_MODERATION, interaction=method)
    X = res.prepared.raw
    n = X.shape[0]
    w = np.random.default_rng(2).integers(1, 4, n).astype(float)
    counts = resample_counts(np.random.default_rng(7).integers(0, n, size=(20, n)), n) * w[None, :]
    _assert_same_fit(moments.fit_resamples(res.plan, X, counts), _rows_fit(res, counts))
    leave = np.arange(0, n, 9)
    jc = np.repeat(w[None, :], leave.size, axis=0)
    jc[np.arange(leave.size), leave] = 0.0
    _assert_same_fit(moments.fit_jackknife(res.plan, X, leave, weights=w), _rows_fit(res, jc), atol=1e-11)


@pytest.mark.parametrize("method", PRODUCT_METHODS)
def test_product_jackknife_by_downdating_equals_leave_one_out_counts(method, mobi_missing):
    res = estimate(mobi_missing, MOBI_MODERATION, interaction=method)
    X = res.prepared.raw
    n = X.shape[0]
    leave = np.arange(0, n, 5)
    counts = np.ones((leave.size, n))
    counts[np.arange(leave.size), leave] = 0.0
    _assert_same_fit(moments.fit_jackknife(res.plan, X, leave), _rows_fit(res, counts), atol=1e-11)


def _materialised_correlations(X, idx, x_items, z_items, orthogonal):
    """By hand: the resample's rows, mean replacement, z-scores (n − 1), products, OLS residuals, correlations."""
    D = X[idx].copy()
    mean = np.nanmean(D, axis=0)
    D = np.where(np.isnan(D), mean, D)
    Z = (D - D.mean(0)) / D.std(0, ddof=1)
    P = np.stack([Z[:, i] * Z[:, j] for i in x_items for j in z_items], axis=1)
    if orthogonal:
        A = np.column_stack([np.ones(len(Z)), Z[:, list(x_items) + list(z_items)]])
        P = P - A @ np.linalg.lstsq(A, P, rcond=None)[0]
    return np.corrcoef(np.column_stack([Z, P]), rowvar=False), P.std(0, ddof=1)


@pytest.mark.parametrize("method", PRODUCT_METHODS)
def test_product_columns_of_a_tiny_model_match_a_hand_computation_on_the_resampled_rows(method):
    rng = np.random.default_rng(11)
    n = 30
    f = rng.standard_normal((n, 3))
    X = np.column_stack([f[:, 0] + 0.5 * rng.standard_normal(n), f[:, 0] + 0.5 * rng.standard_normal(n),
                         f[:, 1] + 0.5 * rng.standard_normal(n), f[:, 1] + 0.5 * rng.standard_normal(n),
                         f[:, 2] + f[:, 0] * f[:, 1] + 0.5 * rng.standard_normal(n)])  # fmt: skip
    X[[2, 7], 0] = np.nan
    X[[7, 19], 3] = np.nan  # case 7 misses two items of the interaction
    data = pd.DataFrame(X, columns=["x1", "x2", "z1", "z2", "y1"])
    res = estimate(data, "X =~ x1 + x2\nZ =~ z1 + z2\nY =~ y1\nY ~ X + Z + X:Z", interaction=method)
    assert [g.name for g in res.plan.generated] == ["x1:z1", "x1:z2", "x2:z1", "x2:z2"]
    idx = rng.integers(0, n, size=(3, n))
    counts = resample_counts(idx, n)
    feats = moments.case_features(res.prepared.raw)
    pf = moments.product_features(res.plan, feats)
    R, col_sd, bad = moments.product_correlations(res.plan, feats, pf, feats.sums(counts), pf.sums(counts))
    src = res.plan.final.sources
    for b in range(3):
        ref, psd = _materialised_correlations(X, idx[b], (0, 1), (2, 3), method == "orthogonal")
        np.testing.assert_allclose(R[b], ref[np.ix_(src, src)], atol=1e-12, rtol=0)
        np.testing.assert_allclose(col_sd[b][src >= 5], psd, atol=1e-12, rtol=0)
    assert not bad.any()


def test_product_bootstrap_gives_byte_identical_tables_for_one_and_two_workers(mobi_missing):
    from leanlearn.pls.bootstrap import bootstrap

    res = estimate(mobi_missing, MOBI_MODERATION, interaction="orthogonal")
    one = bootstrap(res, resamples=120, seed=4, workers=1)
    two = bootstrap(res, resamples=120, seed=4, workers=2)
    for family in ("paths", "outer_loadings", "htmt"):
        pd.testing.assert_frame_equal(one.table(family), two.table(family), check_exact=True)
