"""PLS engine, part 3: one batch of data sets, start to finish.

The correlation matrices of a batch (row form :func:`batch_correlations`, moment form
:func:`moment_correlations`), the two-stage product columns, the final block of estimates
(:func:`final_block`) and the batch entry points :func:`fit_batch`, :func:`fit_counts` and
:func:`fit_correlations`, which return a :class:`BatchFit`. Re-exported by
:mod:`leanlearn.pls.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leanlearn.pls import kernel
from leanlearn.pls import metrics as mm
from leanlearn.pls.iteration import (
    Stage1,
    _degenerate,
    _exactly_ill_conditioned,
    _iterate,
    _iterate_moments,
    _solve,
    _weighted_corr,
    _weighted_standardize,
)
from leanlearn.pls.plan import Plan


# ---- one batch, start to finish -------------------------------------------------------------
@dataclass
class BatchFit:
    """Arrays for a batch of B data sets (see :func:`fit_batch`)."""

    weights: np.ndarray  # (B, p) unit-variance composite weights
    loadings: np.ndarray  # (B, p) as reported (seminr: interaction loadings rescaled)
    cross_loadings: np.ndarray  # (B, p, K) item-construct correlations
    construct_corr: np.ndarray  # (B, K, K) correlations of construct scores
    paths: np.ndarray  # (B, K, K)
    r_squared: np.ndarray  # (B, K) NaN for exogenous constructs
    R: np.ndarray  # (B, p, p) correlations of indicator columns
    rho_a: np.ndarray | None  # (B, K); None when the caller did not ask for it (resampling)
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,)
    failed: np.ndarray  # (B,) singular blocks, non-finite results
    scale: np.ndarray  # (B, K) score SD (1, or seminr's interaction rescaling)
    stage1_iterations: np.ndarray | None = None
    Z: np.ndarray | None = None  # (B, n, p) z-scored indicator columns (kept on request)
    column_sd: np.ndarray | None = None  # (B, p) raw SD of every indicator column


def _impute_means(X: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mean replacement within every data set of the batch: (n, p) -> (B, n, p) when NaN present."""
    miss = np.isnan(X)
    if not miss.any():
        return X
    obs = (~miss).astype(float)
    X0 = np.where(miss, 0.0, X)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (c @ X0) / (c @ obs)
    return np.where(miss[None, :, :], means[:, None, :], X0[None, :, :])


def _generated_columns(plan: Plan, Zitems: np.ndarray, scores1: np.ndarray | None, c: np.ndarray):
    """Raw (unstandardised) generated interaction columns, (B, n, q)."""
    cols = []
    for g in plan.generated:
        if g.kind == "two_stage":
            assert scores1 is not None  # two-stage columns come from the first stage's scores
            cols.append(scores1[:, :, g.a] * scores1[:, :, g.b])
        else:
            cols.append(Zitems[:, :, g.a] * Zitems[:, :, g.b])
    G = np.stack(cols, axis=2)
    orth = [i for i, g in enumerate(plan.generated) if g.kind == "orthogonal"]
    if orth:
        # residualise each product on its constructs' items (weighted OLS with intercept;
        # the items are centred, so centring the products absorbs the intercept)
        N = c.sum(axis=1)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in orth:
            groups.setdefault(plan.generated[i].regressors, []).append(i)
        for regs, members in groups.items():
            Xr = Zitems[:, :, list(regs)]
            Y = G[:, :, members]
            Yc = Y - (np.einsum("bn,bnq->bq", c, Y) / N[:, None])[:, None, :]
            Xw = (Xr * c[:, :, None]).transpose(0, 2, 1)
            beta = np.linalg.solve(np.matmul(Xw, Xr), np.matmul(Xw, Yc))
            G[:, :, members] = Yc - np.matmul(Xr, beta)
    return G


def batch_correlations(plan: Plan, X: np.ndarray, counts: np.ndarray):
    """Correlation matrices of the final stage's indicator columns for a batch of data sets.

    Parameters
    ----------
    plan : Plan
    X : ndarray, shape (n, p_items) or (B, n, p_items)
        The sample's raw item values (NaN where missing), or B distinct data sets of n
        cases each without missing cells (Monte Carlo replications; counts are then ones).
    counts : ndarray, shape (B, n)
        Case counts of each data set: ones for the sample, bootstrap counts for resamples,
        a zero for the case left out by the jackknife.

    Missing cells are mean-replaced within each data set (seminr's ``mean_replacement``,
    repeated inside every resample); generated interaction columns (two-stage products
    of stage-1 scores, product indicators, orthogonalised products) are built per data set.

    Returns
    -------
    (R, column_sd, Z, bad, stage1): R (B, p, p); the raw SD of every indicator column (1
    for items; the product columns' SD feeds seminr's interaction rescaling); the z-scored
    columns (B, n, p); a (B,) flag of failed data sets; the first stage's
    :class:`Stage1` record (None without two-stage interactions).
    """
    settings = plan.settings
    c = np.asarray(counts, dtype=float)
    B = c.shape[0]
    Xi = _impute_means(np.asarray(X, dtype=float), c)
    bad = np.zeros(B, dtype=bool)
    Zi, item_sd = _weighted_standardize(Xi, c)
    bad |= _degenerate(item_sd, np.nanstd(np.asarray(X, dtype=float), axis=-2, ddof=1))
    stage1_iters = None
    lay = plan.final
    if plan.generated:
        scores1 = None
        if plan.stage1 is not None:
            l1 = plan.stage1
            Z1 = Zi[:, :, l1.sources]
            w1, it1, conv1 = _iterate(_weighted_corr(Z1, c), l1, settings, bad)
            stage1_iters = Stage1(it1, conv1)
            scores1 = np.matmul(Z1, w1[:, :, None] * l1.onehot)
        G = _generated_columns(plan, Zi, scores1, c)
        Gz, Gsd = _weighted_standardize(G, c)
        bad |= _degenerate(Gsd, np.median(Gsd, axis=0))
        D = np.concatenate([Zi, np.nan_to_num(Gz)], axis=2)
        raw_sd = np.concatenate([np.ones((B, Zi.shape[2])), Gsd], axis=1)
    else:
        D = Zi
        raw_sd = np.ones((B, Zi.shape[2]))
    Z = D[:, :, lay.sources]
    R = _weighted_corr(Z, c)
    bad |= ~np.isfinite(R).all(axis=(1, 2))
    # a failed data set is neutralised (identity correlations) so it cannot break the batch
    R = np.where(bad[:, None, None], np.eye(R.shape[1]), R)
    return R, raw_sd[:, lay.sources], Z, bad, stage1_iters


def moment_correlations(plan: Plan, X: np.ndarray, counts: np.ndarray):
    """:func:`batch_correlations` from sums over cases instead of per-resample rows.

    A resample's item covariances follow from its case counts and the rows' cross
    products, so the covariance matrices of a whole batch come out of one (B, n) x (n, p²)
    matrix product; a two-stage interaction needs only each resample's product column
    and its covariances with the items, another (B, n) x (n, p) product. The work per
    resample is O(n·p) after one shared O(n·p²) step, instead of O(n·p²) per resample.

    Missing cells are mean-replaced within each resample exactly as in the row-by-row
    path: with x⁰ the centred item (0 where missing), o the observed indicator and m the
    resample's mean of the observed values, the imputed cross products are
    Σc x⁰ⱼx⁰ₖ + mₖ Σc x⁰ⱼ(1−oₖ) + mⱼ Σc (1−oⱼ)x⁰ₖ + mⱼmₖ Σc (1−oⱼ)(1−oₖ).

    It gives the numbers of the row-by-row path up to rounding (tests/test_bootstrap.py).
    Product-indicator and orthogonalised interactions are not handled (returns None).

    Returns ``(R, column_sd, bad, stage1)`` (see :func:`batch_correlations`) or None.
    """
    if any(g.kind != "two_stage" for g in plan.generated):
        return None
    settings = plan.settings
    c = np.asarray(counts, dtype=float)
    B = c.shape[0]
    X = np.asarray(X, dtype=float)
    obs = ~np.isnan(X)
    X0 = np.where(obs, X - np.nanmean(X, axis=0), 0.0)
    n, p = X0.shape
    N = c.sum(axis=1)
    miss = np.flatnonzero(~obs.all(axis=0))
    if miss.size:
        with np.errstate(invalid="ignore", divide="ignore"):
            m = (c @ X0) / (c @ obs.astype(float))
    else:
        m = (c @ X0) / N[:, None]
    S = (c @ (X0[:, :, None] * X0[:, None, :]).reshape(n, p * p)).reshape(B, p, p)
    if miss.size:
        U = (~obs[:, miss]).astype(float)
        q = miss.size
        Bm = (c @ (X0[:, :, None] * U[:, None, :]).reshape(n, p * q)).reshape(B, p, q)  # Σc x⁰ⱼ(1−oₖ)
        D = (c @ (U[:, :, None] * U[:, None, :]).reshape(n, q * q)).reshape(B, q, q)
        mm_ = m[:, miss]
        S[:, :, miss] += Bm * mm_[:, None, :]
        S[:, miss, :] += Bm.transpose(0, 2, 1) * mm_[:, :, None]
        S[:, miss[:, None], miss] += D * mm_[:, :, None] * mm_[:, None, :]
    S = (S - N[:, None, None] * m[:, :, None] * m[:, None, :]) / (N - 1)[:, None, None]
    var = np.diagonal(S, axis1=1, axis2=2)
    with np.errstate(invalid="ignore"):
        bad = ~(var > 1e-12 * np.nanvar(X, axis=0, ddof=1)).all(axis=1)
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    R = S / (sd[:, :, None] * sd[:, None, :])
    stage1_iters = None
    col_sd = np.ones((B, p))
    if plan.generated:
        l1 = plan.stage1
        assert l1 is not None  # generated columns come with a first stage
        R1 = np.where(bad[:, None, None], np.eye(p), R)[:, l1.sources[:, None], l1.sources]
        w1, it1, conv1 = _iterate(R1, l1, settings, bad)
        stage1_iters = Stage1(it1, conv1)
        Of = obs.astype(float)
        scores = {}
        for k in sorted({g.a for g in plan.generated} | {g.b for g in plan.generated}):
            cols = l1.cols(k)
            items = l1.sources[cols]
            coef = w1[:, cols] / sd[:, items]  # weights on the centred raw items
            # score = Σⱼ coefⱼ (x̃ⱼ − mⱼ) with x̃ⱼ − mⱼ = oⱼ (x⁰ⱼ − mⱼ)
            sc = (X0[:, items] @ coef.T).T
            if miss.size:
                sc -= (Of[:, items] @ (coef * m[:, items]).T).T
            else:
                sc -= (m[:, items] * coef).sum(axis=1)[:, None]
            scores[k] = sc
        prods = []
        for g in plan.generated:
            pr = scores[g.a] * scores[g.b]
            prods.append(pr - ((c * pr).sum(axis=1) / N)[:, None])
        G = np.stack(prods, axis=1)  # (B, q, n), centred
        Gc = G * c[:, None, :]
        gg = np.matmul(Gc, G.transpose(0, 2, 1)) / (N - 1)[:, None, None]
        gx = np.matmul(Gc, X0)  # Σc g (x̃ − m) = Σc g o (x⁰ − m)
        if miss.size:
            gx -= np.matmul(Gc, Of) * m[:, None, :]
        gx /= (N - 1)[:, None, None]
        R, col_sd, bad = with_product_columns(R, col_sd, sd, gx, gg, bad)
    return final_block(plan, R, col_sd, bad) + (stage1_iters,)


def with_product_columns(R, col_sd, sd, gx, gg, bad):
    """Extend the items' correlations (B, p, p) by the two-stage product columns.

    ``gx`` (B, q, p) and ``gg`` (B, q, q) are the products' covariances with the items and
    among themselves, ``sd`` (B, p) the items' SDs. A data set where a product has no
    variance is marked in ``bad``. Returns ``(R, column_sd, bad)`` over the p + q columns.
    """
    B, p = sd.shape
    q = gg.shape[1]
    gsd = np.sqrt(np.diagonal(gg, axis1=1, axis2=2))
    bad = bad | ~(gsd > 0).all(axis=1)
    gsd_safe = np.where(gsd > 0, gsd, 1.0)
    full = np.empty((B, p + q, p + q))
    full[:, :p, :p] = R
    cross = gx / (gsd_safe[:, :, None] * sd[:, None, :])
    full[:, p:, :p] = cross
    full[:, :p, p:] = cross.transpose(0, 2, 1)
    full[:, p:, p:] = gg / (gsd_safe[:, :, None] * gsd_safe[:, None, :])
    return full, np.concatenate([col_sd, gsd], axis=1), bad


def final_block(plan: Plan, R, col_sd, bad):
    """The final stage's columns of R and their SDs; a bad data set gets the identity."""
    src = plan.final.sources
    if src.size == R.shape[1] and (src == np.arange(src.size)).all():  # every column, in order: no gather
        if bad.any():
            R = R.copy()
            R[bad] = np.eye(src.size)
        return R, col_sd, bad
    R = R[:, src[:, None], src]
    R[bad] = np.eye(len(src))
    return R, col_sd[:, src], bad


def fit_counts(plan: Plan, X: np.ndarray, counts: np.ndarray) -> BatchFit:
    """Estimate the model on many data sets drawn from one sample, given as case counts.

    The fast path for resampling and permutation methods: ``counts`` (B, n) selects or
    weights the cases of each data set (bootstrap counts; 0/1 for a subsample or group).
    Uses :func:`moment_correlations` when it applies and the row-by-row
    :func:`batch_correlations` otherwise; both give the same numbers up to rounding.
    Construct scores are not kept (use :func:`fit_batch` with ``keep_rows``).
    """
    if plan.staged is not None:
        return plan.staged.fit(X, counts, keep_rows=False)
    fast = moment_correlations(plan, X, counts)
    if fast is not None:
        R, col_sd, bad, stage1 = fast
        return fit_correlations(plan, R, col_sd, bad, stage1)
    R, col_sd, _, bad, stage1 = batch_correlations(plan, X, counts)
    return fit_correlations(plan, R, col_sd, bad, stage1)


def fit_batch(plan: Plan, X: np.ndarray, counts: np.ndarray | None = None, *, keep_rows: bool = False) -> BatchFit:
    """Estimate the model on a batch of data sets drawn from one sample.

    Parameters
    ----------
    plan : Plan
    X : ndarray, shape (n, p_items) or (B, n, p_items)
        Raw item values in ``plan.items`` order (NaN where missing), or B distinct complete
        data sets (Monte Carlo replications, :mod:`leanlearn.robustness.power`).
    counts : ndarray, shape (B, n), optional
        Case counts of each data set (default: the sample itself, B = 1).
    keep_rows : bool
        Keep the z-scored indicator columns (needed for construct scores).

    Returns
    -------
    BatchFit
    """
    if counts is None:
        counts = np.ones((1, X.shape[0]))
    if plan.staged is not None:
        return plan.staged.fit(X, counts, keep_rows=keep_rows)
    R, col_sd, Z, bad, stage1 = batch_correlations(plan, X, counts)
    fit = fit_correlations(plan, R, col_sd, bad, stage1)
    fit.stage1_iterations = None if stage1 is None else stage1.iterations
    if keep_rows:
        fit.Z = Z
    return fit


def _compiled_paths(M: np.ndarray, lay, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients (B, K, K) and R² (B, K) of every endogenous construct from the construct
    correlations M, in C (:func:`leanlearn.pls.kernel.paths`), with the flags of
    :func:`leanlearn.pls.iteration._solve`: a data set whose predecessor matrix is not finite or
    has cond > 1e12 is marked in ``bad`` and gets NaN."""
    paths, r2, bound, nonfinite = kernel.paths(M, lay.adjacency)
    for j in lay.endogenous:
        sing = nonfinite[:, j].copy()
        ok = ~sing
        if not (bound[ok, j] < 1e11).all():  # rare: some bound not clearly below the limit
            P = lay.preds(j)
            sing[ok] = _exactly_ill_conditioned(M[ok][:, P[:, None], P], 1e12, bound[ok, j])
        if sing.any():
            bad |= sing
            paths[np.ix_(sing, lay.preds(j), [j])] = np.nan
            r2[sing, j] = np.nan
    return paths, r2


def fit_correlations(
    plan: Plan, R: np.ndarray, col_sd: np.ndarray, bad: np.ndarray | None = None, stage1: "Stage1 | None" = None,
    *, reliability: bool = True,
) -> BatchFit:
    """Estimate the model from a batch of indicator correlation matrices (B, p, p).

    ``col_sd`` is the raw SD of every indicator column (ones for items). ``bad`` flags
    data sets already known to fail; it is updated in place. ``stage1`` carries the
    convergence of a two-stage interaction's first stage: a data set whose first stage hit
    the iteration limit is reported as not converged. Without ``reliability`` ρ_A is left out
    (``rho_a`` None) unless PLSc needs it.
    """
    settings = plan.settings
    lay = plan.final
    B = R.shape[0]
    if bad is None:
        bad = np.zeros(B, dtype=bool)
    # weights, item-construct correlations RW (B, p, K) and construct correlations C (B, K, K)
    w, iters, conv, RW, C = _iterate_moments(R, lay, settings, bad)
    loading = RW[:, np.arange(lay.p), lay.block]

    # seminr rescales interaction scores by the |loading|-weighted mean SD of their raw
    # product columns (Henseler & Chin 2010), so the interaction path is on the scale of
    # the product of standardised scores; reported loadings are rescaled alike.
    scale = np.ones((B, lay.K))
    for k in range(lay.K):
        if lay.is_interaction[k]:
            c = lay.cols(k)
            aw = np.abs(loading[:, c])
            scale[:, k] = (col_sd[:, c] * aw).sum(axis=1) / aw.sum(axis=1)
    loading_reported = loading * scale[:, lay.block]

    # reliability rho_A (needed for PLSc and the reliability table)
    rho = np.ones((B, lay.K)) if reliability or settings.consistent else None
    for k in range(lay.K if rho is not None else 0):
        c = lay.cols(k)
        if len(c) > 1 and lay.modes[k] == "A" and not lay.is_interaction[k]:
            rho[:, k] = mm.rho_a(w[:, c], R[:, c[:, None], c])  # type: ignore[index]

    paths = np.zeros((B, lay.K, lay.K))
    r2 = np.full((B, lay.K), np.nan)
    if settings.consistent:
        assert rho is not None
        corr_rho = np.where(np.array(lay.reflective)[None, :], rho, 1.0)
        bad |= ~(corr_rho > 0).all(axis=1)
        with np.errstate(invalid="ignore"):
            Cs = C / np.sqrt(corr_rho[:, :, None] * corr_rho[:, None, :])
        Cs[:, np.arange(lay.K), np.arange(lay.K)] = 1.0
        for j in lay.endogenous:
            P = lay.preds(j)
            beta = _solve(Cs[:, P[:, None], P], Cs[:, P, j], bad)
            paths[:, P, j] = beta
            r2[:, j] = np.einsum("bi,bi->b", beta, Cs[:, P, j])
        for k in range(lay.K):
            c = lay.cols(k)
            if lay.reflective[k] and len(c) > 1:
                wk = w[:, c]
                loading_reported[:, c] = wk * (np.sqrt(rho[:, k]) / np.einsum("bi,bi->b", wk, wk))[:, None]
    else:
        rescaled = any(lay.is_interaction)  # otherwise scale is 1 and Sig is C: one solve serves both
        Sig = C * scale[:, :, None] * scale[:, None, :] if rescaled else C
        if kernel.available():
            paths, r2 = _compiled_paths(Sig, lay, bad)
            if rescaled:
                r2 = _compiled_paths(C, lay, bad)[1]
        else:
            for j in lay.endogenous:
                P = lay.preds(j)
                paths[:, P, j] = _solve(Sig[:, P[:, None], P], Sig[:, P, j], bad)
                beta_std = _solve(C[:, P[:, None], P], C[:, P, j], bad) if rescaled else paths[:, P, j]
                r2[:, j] = np.einsum("bi,bi->b", beta_std, C[:, P, j])

    bad |= ~np.isfinite(paths).all(axis=(1, 2))
    if stage1 is not None:
        conv = conv & stage1.converged
    return BatchFit(
        weights=w,
        loadings=loading_reported,
        cross_loadings=RW,
        construct_corr=C,
        paths=paths,
        r_squared=r2,
        R=R,
        rho_a=rho,
        iterations=iters,
        converged=conv & ~bad,
        failed=bad,
        scale=scale,
        column_sd=col_sd,
    )
