"""PLS engine, part 2: batched linear algebra and the PLS iterations.

Solves and inverses that mark singular data sets instead of raising, weighted
standardisation and correlations, the iterations on (B, p, p) correlation matrices
(:func:`_iterate`) and on the rows (:func:`_iterate_rows`, for frequency-weighted resamples),
and the inner weighting schemes (:func:`_inner_plan`). Re-exported by :mod:`leanlearn.pls.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leanlearn.pls import kernel
from leanlearn.pls.plan import Layout, Settings


# ---- batched linear algebra helpers --------------------------------------------------------
def _solve(A: np.ndarray, b: np.ndarray, bad: np.ndarray, *, check: bool = True) -> np.ndarray:
    """Batched solve of A x = b; data sets with a singular A are marked in ``bad`` and give NaN.

    With ``check`` the reciprocal condition number of every A is tested (singular when
    cond(A) > 1e12); without it (inside the iterations, where speed matters and the final
    estimates are checked anyway) only exact singularity is caught. With ``check`` and the
    compiled kernel, x is the compiled inverse (the one the condition bound needs) times b;
    otherwise LAPACK's solve (the same numbers to rounding).
    """
    sing = ~np.isfinite(A).all(axis=(-2, -1)) | ~np.isfinite(b.reshape(b.shape[0], -1)).all(axis=1)
    if sing.any():
        A, b = A.copy(), b.copy()
        A[sing] = np.eye(A.shape[-1])
        b[sing] = 0.0
    vector = b.ndim == A.ndim - 1
    rhs = b[..., None] if vector else b
    if check and kernel.available():  # the compiled inverse serves the condition check and the solution
        x = np.matmul(_inverse(A, sing), rhs)
    else:
        x = _lapack_solve(A, rhs, sing, check)
    if vector:
        x = x[..., 0]
    bad |= sing
    if sing.any():
        x[sing] = np.nan
    return x


def _lapack_solve(A: np.ndarray, rhs: np.ndarray, sing: np.ndarray, check: bool) -> np.ndarray:
    """:func:`_solve`'s LAPACK form: X of A X = rhs; singular systems are marked in ``sing`` (updated)."""
    if check:
        sing |= _ill_conditioned(A, 1e12)
    if sing.any():
        A = A.copy()
        A[sing] = np.eye(A.shape[-1])
    try:
        return np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        x = np.empty(np.broadcast_shapes(A.shape[:-1], rhs.shape[:-2] + (A.shape[-1],)) + rhs.shape[-1:])
        for i in range(A.shape[0]):
            try:
                x[i] = np.linalg.solve(A[i], rhs[i])
            except np.linalg.LinAlgError:
                sing[i] = True
                x[i] = np.nan
        return x


def _inverse(A: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Batched inverse of finite square matrices; an ill-conditioned one (cond > 1e12) is marked in ``bad`` and gives NaN.

    The same flags and numbers as ``_solve(A, I, bad)`` (LAPACK's inverse is its solve with
    the identity), with the inverse computed once: the condition bound of
    :func:`_ill_conditioned` reuses it.
    """
    if kernel.available():
        inv, bound = kernel.inverse(A)
        sing = _exactly_ill_conditioned(A, 1e12, bound)
        if sing.any():
            bad |= sing
            inv[sing] = np.nan
        return inv
    try:
        inv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return _solve(A, np.broadcast_to(np.eye(A.shape[-1]), A.shape).copy(), bad)
    sing = _ill_conditioned(A, 1e12, inv)
    if sing.any():
        bad |= sing
        inv[sing] = np.nan
    return inv


def _ill_conditioned(A: np.ndarray, limit: float, inv: np.ndarray | None = None) -> np.ndarray:
    """cond₂(A) > limit (or undefined), per matrix of a batch of finite square matrices.

    The same decision as ``~(numpy.linalg.cond(A) < limit)`` at a fraction of its cost:
    cond₂(A) ≤ ‖A‖_F ‖A⁻¹‖_F, so a matrix whose Frobenius bound is below limit / 10 (the
    margin absorbs the rounding of the computed inverse) is well conditioned; only the
    others (rare) get the singular value decomposition.
    """
    if inv is None and kernel.available():
        return _exactly_ill_conditioned(A, limit, kernel.inverse(A)[1])
    if inv is None:
        try:
            inv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return ~(np.linalg.cond(A) < limit)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = np.sqrt((A * A).sum(axis=(-2, -1)) * (inv * inv).sum(axis=(-2, -1)))
    return _exactly_ill_conditioned(A, limit, bound)


def _exactly_ill_conditioned(A: np.ndarray, limit: float, bound: np.ndarray) -> np.ndarray:
    """cond₂(A) > limit (or undefined) given the Frobenius bound ‖A‖_F ‖A⁻¹‖_F of every matrix:
    the exact condition number is computed only where the bound is not below limit / 10."""
    out = ~(bound < limit / 10)
    if out.any():
        out[out] = ~(np.linalg.cond(A[out]) < limit)
    return out


@dataclass(frozen=True)
class Stage1:
    """Iterations and convergence of the two-stage interaction's first stage, per data set."""

    iterations: np.ndarray
    converged: np.ndarray


def _weighted_standardize(X: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-score the columns of every data set in a batch, with case weights.

    ``X`` has shape (B, n, q) (or (n, q), shared by the batch) and ``c`` (B, n) holds the
    case counts of each data set (bootstrap counts; 1 for the sample, 0 for a case left
    out). Means and the N - 1 SD use the counts (N = sum of counts), so a resample gives
    exactly what its materialised rows would give. Returns (Z, sd) with Z (B, n, q).
    """
    N = c.sum(axis=1)
    if X.ndim == 2:
        mean = (c @ X) / N[:, None]
        D = X[None, :, :] - mean[:, None, :]
    else:
        mean = np.einsum("bn,bnq->bq", c, X) / N[:, None]
        D = X - mean[:, None, :]
    var = np.einsum("bn,bnq->bq", c, D * D) / (N - 1)[:, None]
    sd = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = D / sd[:, None, :]
    return Z, sd


def _degenerate(sd: np.ndarray, reference_sd: np.ndarray) -> np.ndarray:
    """Data sets in which some column is constant (SD at rounding level relative to its usual SD)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(~(sd > 1e-6 * reference_sd).all(axis=1))


def _weighted_corr(Z: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Correlation matrices of z-scored data with case counts, (B, n, p) -> (B, p, p)."""
    N = c.sum(axis=1)
    return np.matmul((Z * c[:, :, None]).transpose(0, 2, 1), Z) / (N - 1)[:, None, None]


# ---- the PLS iterations -------------------------------------------------------------------
# data sets per pass of the PLS iterations (a bootstrap block of 500 resamples is one pass)
ITERATION_BATCH = 512


def _iterate(R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray):
    """Run the PLS iterations on a batch of item correlation matrices.

    Returns weights (B, p) scaled to unit-variance composites, the 0-based iteration at
    which each resample stopped (seminr's ``iterations``) and a convergence flag.
    Resamples stop individually (a per-resample convergence mask), so a resample's result
    never depends on the others. Where the compiled kernel is installed
    (:mod:`leanlearn.pls.kernel`) every data set is iterated in C, one at a time; otherwise
    the batch is run in passes of :data:`ITERATION_BATCH` data sets (:func:`_iterate_rows`),
    and up to :data:`FEW_DATA_SETS` data sets one by one (:func:`_iterate_one`). The forms
    agree to rounding (tests/test_kernel.py, tests/test_pls.py).
    """
    B, p, _ = R.shape
    if kernel.available():
        segs = _segments(lay)
        w, iters, active = kernel.iterate(R, lay, settings, bad, segs, _mode_b_inverses(R, lay, segs, bad))
        return w, iters, ~active & ~bad
    return _iterate_numpy(R, lay, settings, bad)


def _iterate_moments(R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray):
    """:func:`_iterate` and the correlations at its weights: (weights, iterations, converged,
    RW = R (w ⊙ O) (B, p, K), C = (w ⊙ O)ᵀ RW (B, K, K)).

    The compiled kernel returns RW and C from the last pass of each data set's iterations;
    the NumPy form computes them from the weights (the same numbers to rounding).
    """
    if kernel.available():
        segs = _segments(lay)
        w, iters, active, RW, C = kernel.iterate(R, lay, settings, bad, segs, _mode_b_inverses(R, lay, segs, bad), moments=True)
        return w, iters, ~active & ~bad, RW, C
    w, iters, conv = _iterate_numpy(R, lay, settings, bad)
    W = w[:, :, None] * lay.onehot
    RW = np.matmul(R, W)
    return w, iters, conv, RW, np.matmul(W.transpose(0, 2, 1), RW)


def _iterate_numpy(R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray):
    """The NumPy forms of :func:`_iterate` (in passes of :data:`ITERATION_BATCH` data sets, or one by one)."""
    B, p, _ = R.shape
    w = np.ones((B, p))
    iters = np.zeros(B, dtype=int)
    active = ~bad
    if B <= FEW_DATA_SETS:
        for i in range(B):
            if not bad[i]:
                w[i], iters[i], active[i], bad[i] = _iterate_one(R[i], lay, settings)
        return w, iters, ~active & ~bad
    for a in range(0, B, ITERATION_BATCH):
        sl = slice(a, min(a + ITERATION_BATCH, B))
        sub = bad[sl]  # a view: flags set by the iterations land in ``bad``
        w[sl], iters[sl], active[sl] = _iterate_rows(R[sl], lay, settings, sub)
    converged = ~active & ~bad
    return w, iters, converged


def _segments(lay: Layout) -> list[slice]:
    """Each construct's indicator columns as a slice (``_layout`` lists them block by block)."""
    out = []
    for k in range(lay.K):
        c = lay.cols(k)
        if c.size == 0 or c[-1] - c[0] + 1 != c.size:
            raise ValueError(f"indicator columns of construct {lay.constructs[k]!r} are not contiguous")
        out.append(slice(int(c[0]), int(c[-1]) + 1))
    return out


def _mode_b_inverses(R: np.ndarray, lay: Layout, segs: list[slice], bad: np.ndarray) -> dict[int, np.ndarray]:
    """The inverse of every Mode B block's correlation matrices (b, s, s), by construct; data
    sets with an ill-conditioned block are marked in ``bad`` (:func:`_inverse`)."""
    return {k: _inverse(R[:, segs[k], segs[k]], bad) for k in range(lay.K) if lay.modes[k] == "B"}


def _iterate_rows(R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray):
    """The PLS iterations on a batch (b, p, p); returns (weights, iterations, still active).

    With unscaled weights T and the block-membership matrix O (p, K), one iteration needs
    the item-composite covariances RW = R (T ⊙ O), the composite covariances
    (T ⊙ O)ᵀ RW, the inner weights E, and the new, unscaled weights
    Tᵢ = (RW E)ᵢ,block(i) (Mode A), premultiplied by the inverse of the block's correlation
    matrix (Mode B). The composite variances that rescale T to unit-variance composites are
    the diagonal of the next iteration's (T ⊙ O)ᵀ R (T ⊙ O), so each pass over R serves
    both: pass t + 1 first rescales T of iteration t and applies the stop rule to it, then
    goes on with iteration t + 1 (the rescaling of RW's columns is folded into E's rows).

    The batch is the last, contiguous axis of every array (R is copied once to (p, p, b)),
    so each step is a handful of vectorised operations over the whole batch instead of one
    small matrix product per data set: (RW)ᵀ_k· = Σ_{i ∈ block k} Tᵢ R[i, ·] is one
    ``einsum`` per construct on a contiguous block of R's rows (R is symmetric), and only
    the nonzero entries of T ⊙ O and of RW E are ever formed. The arrays of the data sets
    still iterating are compacted when fewer than half of those carried along are active;
    rows that stopped are carried along, unused, until then.
    """
    b, p, _ = R.shape
    K = lay.K
    block = lay.block
    segs = _segments(lay)
    invB = _mode_b_inverses(R, lay, segs, bad)
    inner = _inner_plan(lay, settings.scheme)
    w = np.ones((b, p))
    iters = np.zeros(b, dtype=int)
    active = ~bad
    rows = np.flatnonzero(active)
    live = np.ones(rows.size, dtype=bool)
    every = rows.size == b  # usually no data set failed before the iterations: no gather, one copy

    def batch_last(A: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((A if every else A[rows]).transpose(1, 2, 0))

    Rt = batch_last(R)  # (p, p, m): the batch on the contiguous axis
    invBt = {k: batch_last(v) for k, v in invB.items()}
    m = rows.size
    Ta = np.ones((p, m))
    prev = Ta
    RWt = np.empty((K, p, m))
    Cu = np.empty((K, K, m))
    limit = settings.max_iterations
    diag = np.arange(K)
    for it in range(-1, limit + 1):
        if live.sum() < 0.5 * m:
            keep = np.flatnonzero(live)
            rows, Ta, prev = rows[keep], Ta[:, keep], prev[:, keep]
            if rows.size == 0:
                break
            m = rows.size
            Rt = np.take(Rt, keep, axis=2)
            invBt = {k: np.take(v, keep, axis=2) for k, v in invBt.items()}
            live = np.ones(m, dtype=bool)
            RWt = np.empty((K, p, m))
            Cu = np.empty((K, K, m))
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for k, sl in enumerate(segs):
                np.einsum("ijm,im->jm", Rt[sl], Ta[sl], out=RWt[k])
            for k, sl in enumerate(segs):
                np.einsum("kim,im->km", RWt[:, sl], Ta[sl], out=Cu[:, k])
            scale = 1.0 / np.sqrt(Cu[diag, diag])  # (K, m)
            new = Ta * scale[block]
        if it >= 0:
            with np.errstate(invalid="ignore"):
                sub_bad = ~np.isfinite(new).all(axis=0)
                diff = np.abs(new - prev).sum(axis=0)
            upd = np.flatnonzero(live)
            tgt = rows[upd]
            bad[tgt] |= sub_bad[upd]
            w[tgt] = new[:, upd].T
            iters[tgt] = it
            done = (diff[upd] < settings.tolerance) | sub_bad[upd]
            active[tgt[done]] = False
            live[upd[done]] = False
            if it == limit or not live.any():
                break
        prev = new
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            C = Cu * (scale[:, None, :] * scale[None, :, :])
            E = inner(C) * scale[:, None, :]  # (K, K, m): E[l, k] scale_l
            Ta = np.empty((p, m))
            for k, sl in enumerate(segs):
                np.einsum("lim,lm->im", RWt[:, sl], E[:, k], out=Ta[sl])
            for k, inv in invBt.items():
                sl = segs[k]
                Ta[sl] = np.einsum("ijm,jm->im", inv, Ta[sl])
    return w, iters, active


# batches of up to this many data sets are iterated one by one with matrix products (:func:`_iterate_one`)
FEW_DATA_SETS = 4


def _iterate_one(R: np.ndarray, lay: Layout, settings: Settings) -> tuple[np.ndarray, int, bool, bool]:
    """The PLS iterations on one item correlation matrix (p, p): (weights, iteration, still active, failed).

    The steps of :func:`_iterate_rows` for a single data set, as products of small
    matrices (the sample's estimate and the reduced models of f² call the iterations on
    one data set; there the batched form's per-pass overhead would dominate). The same
    numbers to rounding; a set whose weights become non-finite fails.
    """
    bad = np.zeros(1, dtype=bool)
    segs = _segments(lay)
    invB = {k: v[0] for k, v in _mode_b_inverses(R[None], lay, segs, bad).items()}
    block, onehot = lay.block, lay.onehot
    own = (np.arange(lay.p), block)
    inner = _inner_plan(lay, settings.scheme)
    T = np.ones(lay.p)
    w, prev, last = T, T, 0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for it in range(-1, settings.max_iterations + 1):
            W = onehot * T[:, None]
            RW = R @ W
            Cu = W.T @ RW
            scale = 1.0 / np.sqrt(np.diagonal(Cu))
            new = T * scale[block]
            if it >= 0:
                w, last = new, it
                if not np.isfinite(new).all():
                    return w, last, False, True
                if np.abs(new - prev).sum() < settings.tolerance:
                    return w, last, False, bool(bad[0])
                if it == settings.max_iterations:
                    break
            prev = new
            E = inner((Cu * np.outer(scale, scale))[:, :, None])[:, :, 0] * scale[:, None]
            T = (RW @ E)[own]
            for k, inv in invB.items():
                T[segs[k]] = inv @ T[segs[k]]
    return w, last, True, bool(bad[0])


# predictor sets up to this size are solved by :func:`_small_spd_solve` inside the iterations
SMALL_SOLVE = 8


def _small_spd_solve(A: np.ndarray, k: int) -> np.ndarray:
    """Solve small symmetric positive definite systems in place, batch on the last axis.

    ``A`` (k, k + m, b) holds [L | Y] of b systems L x = Y; on return ``A[:, k:]`` is x.
    Gauss–Jordan elimination without pivoting (stable for positive definite matrices such
    as the predictors' correlation matrices): k steps of three array operations over the
    whole batch, the batch on the contiguous axis, instead of one LAPACK call per data
    set. A singular L gives non-finite values (the iterations flag them at the stop
    rule). The same solution as ``numpy.linalg.solve`` up to rounding.
    """
    for i in range(k):
        piv = A[i] / A[i, i]
        A -= A[:, i, None, :] * piv[None, :, :]
        A[i] = piv
    return A[:, k:]


def _inner_plan(lay: Layout, scheme: str):
    """The inner weighting scheme as a function of a batch of construct correlations (K, K, b).

    The batch is on the last axis (as in :func:`_iterate_rows`). Path scheme: predecessors
    enter with the OLS coefficients of the construct regressed on them (one batched solve
    per distinct predictor set, for all its targets at once), successors with correlations;
    factorial: correlations; centroid: signs of correlations. Non-finite or singular sets
    give NaN or infinite weights and fail at the stop rule.
    """
    A = lay.adjacency.astype(float)
    sym = (A + A.T)[:, :, None]
    if scheme == "factorial":
        return lambda C: C * sym
    if scheme == "centroid":
        return lambda C: np.sign(C) * sym
    targets: dict[tuple[int, ...], list[int]] = {}
    for j in lay.endogenous:
        targets.setdefault(tuple(lay.preds(j)), []).append(j)
    groups = []
    for key, js in targets.items():
        P = np.array(key)
        groups.append((P, np.array(js), np.concatenate([P, js])))
    AT = A.T.copy()[:, :, None]

    def path(Ct: np.ndarray) -> np.ndarray:
        Et = Ct * AT
        for P, js, both in groups:
            k = P.size
            if k <= SMALL_SOLVE:
                Et[P[:, None], js] = _small_spd_solve(Ct[P[:, None], both], k)
            else:
                L, Y = Ct[P[:, None], P].transpose(2, 0, 1), Ct[P[:, None], js].transpose(2, 0, 1)
                x = _solve(L, Y, np.zeros(L.shape[0], dtype=bool), check=False)
                Et[P[:, None], js] = x.transpose(1, 2, 0)
        return Et

    return path
