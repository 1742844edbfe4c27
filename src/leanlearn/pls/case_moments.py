"""Case features and the item moments of resamples (part 1 of :mod:`leanlearn.pls.moments`).

A resample of the sample is a vector of case counts c (n,); the jackknife's leave-one-out
samples are the counts 1 − e_j. Every statistic of a PLS path model estimated on such a
data set is a function of its item covariance matrix, and that matrix follows from sums
over the cases weighted by c: Σc, Σc x and Σc x xᵀ (plus, with missing cells, the sums
that repeat the mean replacement inside every resample). With one row of *features* per
case, f_i = (1, x_i, the upper triangle of x_i x_iᵀ, ...), the sums of all resamples of a
block are one matrix product ``counts @ F`` of the (B, n) count matrix with the (n, m)
feature matrix, and the sums of the n jackknife samples are ``F.sum(0) − F`` (no product
at all). The PLS iterations then run on the small (B, p, p) correlation matrices, batched
over resamples (:func:`leanlearn.pls.engine.fit_correlations`).

Only a two-stage interaction term needs the cases themselves: its product column is
built from the first stage's scores of each resample. Its covariances with the items need
Σc g, Σc g² and Σc g x, computed from the (B, n) products of the scores with a
matrix product ``(c ⊙ g) @ X`` over a sub-block of resamples small enough to keep the
arrays in memory bounds (:data:`ROW_ELEMENTS`).

Mean replacement inside a resample: with x⁰ the item centred at the sample's observed mean
(0 where missing), o the observed indicator, u = 1 − o and m the resample's mean of the
observed values, the imputed cross products are

.. math::
    \\sum c\\, x^0_j x^0_k + m_k \\sum c\\, x^0_j u_k + m_j \\sum c\\, u_j x^0_k + m_j m_k \\sum c\\, u_j u_k,

so the features hold x⁰, the triangle of x⁰x⁰ᵀ and, for the q items with missing cells,
u, x⁰ ⊗ u and the triangle of u uᵀ (Hair et al. 2017 and seminr repeat mean replacement
within every bootstrap resample; so does leanlearn).

Memory: the feature matrix is built (and kept) in blocks of cases when it would exceed
:data:`FEATURE_ELEMENTS` elements; the counts come in blocks of
:data:`leanlearn.pls.bootstrap.CHUNK` resamples. The numbers agree with the row-by-row
path of :func:`leanlearn.pls.engine.batch_correlations` to rounding (1e-12;
tests/test_moments.py), and do not depend on the other resamples of the block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from leanlearn.pls import kernel
from leanlearn.pls.engine import Plan, Stage1, _iterate, final_block, with_product_columns

FEATURE_ELEMENTS = 8_000_000
# (resamples x cases) arrays of the two-stage interaction are formed for at most this many
# elements at a time (2 MB of float64, so that they stay in the CPU cache)
ROW_ELEMENTS = 262_144


@dataclass
class CaseFeatures:
    """The sample's rows in the form the moment sums need (built by :func:`case_features`).

    Attributes
    ----------
    X0 : ndarray (n, p)
        Items centred at their observed means, 0 where missing.
    O : ndarray (n, p) or None
        1 where observed (None without missing cells).
    miss : ndarray (q,)
        Items with missing cells.
    ref_var : ndarray (p,)
        The sample's item variances (observed cells); a resample whose item variance falls
        below 1e-12 of it is degenerate.
    blocks : list of (slice, ndarray or None)
        Case blocks and their feature matrices (None: built when needed).
    products : dict
        :class:`ProductFeatures` of the product-indicator and orthogonal plans fitted on this
        sample, by the plan's generated columns (built once by :func:`product_features`).
    """

    X0: np.ndarray
    O: np.ndarray | None
    miss: np.ndarray
    ref_var: np.ndarray
    blocks: list
    products: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.X0.shape[0]

    @property
    def p(self) -> int:
        return self.X0.shape[1]

    def features(self, rows: "slice | np.ndarray") -> np.ndarray:
        """Feature rows (cases ``rows``): 1, x⁰, triangle of x⁰x⁰ᵀ [, u, x⁰⊗u, triangle of uuᵀ]."""
        X0 = self.X0[rows]
        n, p = X0.shape
        q = self.miss.size
        F = np.empty((n, 1 + p + p * (p + 1) // 2 + (q + p * q + q * (q + 1) // 2 if q else 0)))
        F[:, 0] = 1.0
        F[:, 1 : 1 + p] = X0
        at = 1 + p
        for j in range(p):  # the triangle row by row (numpy.triu_indices order), written in place
            np.multiply(X0[:, j : j + 1], X0[:, j:], out=F[:, at : at + p - j])
            at += p - j
        if q:
            U = 1.0 - self.O[rows][:, self.miss]  # type: ignore[index]
            F[:, at : at + q] = U
            at += q
            for j in range(p):  # x⁰ ⊗ u, item by item
                np.multiply(X0[:, j : j + 1], U, out=F[:, at : at + q])
                at += q
            for k in range(q):
                np.multiply(U[:, k : k + 1], U[:, k:], out=F[:, at : at + q - k])
                at += q - k
        return F

    def sums(self, counts: np.ndarray) -> np.ndarray:
        """Count-weighted feature sums of every data set: counts (B, n) -> (B, m)."""
        out = None
        for i, (rows, F) in enumerate(self.blocks):
            F = F if F is not None else self.features(rows)
            part = counts[:, rows] @ F
            out = part if out is None else out + part
        return out  # type: ignore[return-value]

    def jackknife_sums(self, leave_out: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Feature sums of the samples without case j, for every j in ``leave_out``: total − f_j.

        With case ``weights`` (n,) the sums are weighted: Σᵢ wᵢ fᵢ − w_j f_j.
        """
        total = None
        for rows, F in self.blocks:
            F = F if F is not None else self.features(rows)
            s = F.sum(axis=0) if weights is None else weights[rows] @ F
            total = s if total is None else total + s
        own = self.features(leave_out)
        if weights is not None:
            own *= weights[leave_out][:, None]
        return total[None, :] - own  # type: ignore[index]


def case_features(X: np.ndarray) -> CaseFeatures:
    """Prepare the sample's raw items (n, p), NaN where missing, for :func:`resample_correlations`."""
    X = np.asarray(X, dtype=float)
    obs = ~np.isnan(X)
    X0 = np.where(obs, X - np.nanmean(X, axis=0), 0.0)
    n, p = X0.shape
    miss = np.flatnonzero(~obs.all(axis=0))
    q = miss.size
    m = 1 + p + p * (p + 1) // 2 + (q + p * q + q * (q + 1) // 2 if q else 0)
    step = max(1, FEATURE_ELEMENTS // m)
    feats = CaseFeatures(X0=X0, O=obs.astype(float) if q else None, miss=miss, ref_var=np.nanvar(X, axis=0, ddof=1), blocks=[])
    keep = n * m <= FEATURE_ELEMENTS
    for a in range(0, n, step):
        rows = slice(a, min(a + step, n))
        feats.blocks.append((rows, feats.features(rows) if keep else None))
    return feats


def item_moments(feats: CaseFeatures, sums: np.ndarray):
    """Case totals N (B,), resample means m (B, p) and covariance matrices S (B, p, p) of the items from feature sums.

    ``sums`` (B, m) are count-weighted feature sums (:meth:`CaseFeatures.sums` or
    :meth:`CaseFeatures.jackknife_sums`); the covariances use N − 1 and repeat the mean
    replacement of missing cells within every data set.
    """
    p, miss, q = feats.p, feats.miss, feats.miss.size
    B = sums.shape[0]
    N = sums[:, 0]
    sx = sums[:, 1 : 1 + p]
    at = 1 + p
    ntri = p * (p + 1) // 2
    S = sums[:, at + _symmetric_positions(p)].reshape(B, p, p)  # the triangle's sums, mirrored
    at += ntri
    if q:
        nu = sums[:, at : at + q]  # Σc u: missing cells of each item with missing cells
        at += q
        Bm = sums[:, at : at + p * q].reshape(B, p, q)  # Σc x⁰ⱼ uₖ
        at += p * q
        ju = np.triu_indices(q)
        D = np.empty((B, q, q))
        D[:, ju[0], ju[1]] = sums[:, at : at + ju[0].size]
        D[:, ju[1], ju[0]] = sums[:, at : at + ju[0].size]
        nobs = np.repeat(N[:, None], p, axis=1)
        nobs[:, miss] -= nu
        with np.errstate(invalid="ignore", divide="ignore"):
            m = sx / nobs
        mm_ = m[:, miss]
        S[:, :, miss] += Bm * mm_[:, None, :]
        S[:, miss, :] += Bm.transpose(0, 2, 1) * mm_[:, :, None]
        S[:, miss[:, None], miss] += D * mm_[:, :, None] * mm_[:, None, :]
    else:
        m = sx / N[:, None]
    Nm = N[:, None] * m
    S -= Nm[:, :, None] * m[:, None, :]
    S /= (N - 1)[:, None, None]
    return N, m, S


def _symmetric_positions(p: int) -> np.ndarray:
    """For every (j, k) of a p × p matrix (row-major), the position of (min, max) in the
    upper triangle's row-major order (``numpy.triu_indices``)."""
    j, k = np.divmod(np.arange(p * p), p)
    lo, hi = np.minimum(j, k), np.maximum(j, k)
    return lo * p - lo * (lo - 1) // 2 + (hi - lo)


def resample_correlations(
    plan: Plan, feats: CaseFeatures, sums: np.ndarray, counts, *, leave_out: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple:
    """Correlation matrices of the final stage's indicator columns from feature sums.

    ``sums`` (B, m) are the count-weighted feature sums of the data sets
    (:meth:`CaseFeatures.sums` or :meth:`CaseFeatures.jackknife_sums`); ``counts`` is a
    function ``(a, b) -> (b − a, n)`` giving the counts of data sets a..b, called only for a
    two-stage interaction. For the jackknife's samples (data set s leaves out case
    ``leave_out[s]``; case ``weights`` if weighted) a two-stage interaction's sums come from
    the sample's moment tensors instead (:func:`_two_stage_jackknife`), and ``counts`` is not
    called. Returns ``(R, column_sd, bad, stage1)`` as
    :func:`leanlearn.pls.engine.moment_correlations`.
    """
    settings = plan.settings
    if kernel.available():
        R, m, sd, N, bad = kernel.correlations(sums, feats.p, feats.miss, feats.ref_var)
    else:
        N, m, S = item_moments(feats, sums)
        var = np.diagonal(S, axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            bad = np.asarray(~(var > 1e-12 * feats.ref_var).all(axis=1))
        sd = np.sqrt(np.where(var > 0, var, 1.0))
        R = S / (sd[:, :, None] * sd[:, None, :])
    B, p = m.shape
    stage1 = None
    col_sd = np.ones((B, p))
    if plan.generated:
        l1 = plan.stage1
        assert l1 is not None  # two-stage interactions only (see moment_form)
        R1 = _submatrices(R, l1.sources, bad)
        w1, it1, conv1 = _iterate(R1, l1, settings, bad)
        stage1 = Stage1(it1, conv1)
        if leave_out is not None:
            gx, gg = _two_stage_jackknife(plan, feats, w1, sd, m, N, leave_out, weights)
        else:
            gx, gg = _two_stage_moments(plan, feats, w1, sd, m, N, counts)
        R, col_sd, bad = with_product_columns(R, col_sd, sd, gx, gg, bad)
    return final_block(plan, R, col_sd, bad) + (stage1,)


def _submatrices(R: np.ndarray, cols: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """R[:, cols][:, :, cols] (b, s, s), the identity for the data sets flagged in ``bad``; a slice
    (no gather) when ``cols`` are consecutive columns."""
    if cols.size and (np.diff(cols) == 1).all():
        out = R[:, cols[0] : cols[-1] + 1, cols[0] : cols[-1] + 1]
    else:
        out = R[:, cols[:, None], cols]
    if bad.any():
        out = np.array(out)  # a copy: R itself stays as it is
        out[bad] = np.eye(cols.size)
    return out


def _score_rows(feats: CaseFeatures, items: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The sample's rows in the forms :func:`_two_stage_moments` multiplies: per stage-1 construct
    k, [x⁰ᵀ; oᵀ] (or [x⁰ᵀ; 1] without missing cells) of its items ``items[k]``, and [x⁰, o, 1]
    (or [x⁰, 1]) of all items. Built once per sample and set of items, kept in ``feats``."""
    X0, O = feats.X0, feats.O
    n = X0.shape[0]
    key = ("two_stage_rows",) + tuple((k, tuple(v.tolist())) for k, v in sorted(items.items()))
    if key not in feats.products:
        ones = np.ones((n, 1))
        XT = {k: np.ascontiguousarray(np.concatenate([X0[:, v], O[:, v] if O is not None else ones], axis=1).T)
              for k, v in items.items()}  # fmt: skip
        XA = np.concatenate([X0, O, ones] if O is not None else [X0, ones], axis=1)
        feats.products[key] = (XT, XA)
    return feats.products[key]


def _two_stage_moments(plan: Plan, feats: CaseFeatures, w1, sd, m, N, counts):
    """Covariances of the two-stage product columns with the items (B, q, p) and among themselves (B, q, q).

    With s the centred stage-1 scores of a resample and g = s_a s_b its product column,
    cov(g, xⱼ) ∝ Σc g x⁰ⱼ − mⱼ Σc g oⱼ (the imputed deviation x̃ⱼ − mⱼ is oⱼ(x⁰ⱼ − mⱼ), whose
    count-weighted sum is 0) and var(g) ∝ Σc g² − (Σc g)²/N.
    """
    X0, O = feats.X0, feats.O
    n, p = X0.shape
    B = w1.shape[0]
    gens = plan.generated
    q = len(gens)
    needed, items, alpha = _stage1_scores(plan, w1, sd, m, O)
    gx = np.empty((B, q, p))
    gg = np.empty((B, q, q))
    step = max(1, ROW_ELEMENTS // max(n, 1))
    # scores as one matrix product each: [coef, −coef ⊙ m] @ [x⁰ᵀ; oᵀ] (with missing cells) or
    # [coef, −coef · m] @ [x⁰ᵀ; 1]; the products' sums Σc g x⁰, Σc g o and Σc g as one
    # product with [x⁰, o, 1] or [x⁰, 1]
    XT, XA = _score_rows(feats, items)
    # the (sub-block × cases) arrays are written into the same buffers for every sub-block
    # (fresh arrays of this size cost the operating system's page faults at every sub-block)
    rows = min(step, B)
    score_buf = {k: np.empty((rows, n)) for k in needed}
    cg_buf = [np.empty((rows, n)) for _ in gens]
    for a in range(0, B, step):
        b = min(a + step, B)
        c = counts(a, b)
        scores = {k: np.matmul(alpha[k][a:b], XT[k], out=score_buf[k][: b - a]) for k in needed}  # (b − a, n)
        if kernel.available():  # cg = c ⊙ g and Σc g g' in one pass over the cases
            cg, cgg = kernel.products([scores[g.a] for g in gens], [scores[g.b] for g in gens], c, out=[x[: b - a] for x in cg_buf])
        else:
            prods = [scores[g.a] * scores[g.b] for g in gens]
            cg = [c * pr for pr in prods]
            cgg = np.empty((b - a, q, q))
            for u in range(q):
                for v in range(u, q):
                    cgg[:, u, v] = cgg[:, v, u] = np.einsum("bn,bn->b", cg[u], prods[v])
        gx[a:b], gg[a:b] = _product_covariances([x @ XA for x in cg], cgg, m[a:b], N[a:b], O is not None)
    return gx, gg


def _product_covariances(sums: list[np.ndarray], cgg: np.ndarray, m: np.ndarray, N: np.ndarray, missing: bool):
    """The product columns' covariances with the items (b, q, p) and among themselves (b, q, q)
    from their count-weighted sums: ``sums[u]`` (b, p [+ p] + 1) = [Σc g_u x⁰, (Σc g_u o,) Σc g_u]
    and ``cgg`` (b, q, q) = Σc g gᵀ; ``m`` (b, p) the data sets' item means, ``N`` (b,) their sizes."""
    p = m.shape[1]
    s1 = np.stack([t[:, -1] for t in sums], axis=1)  # Σc g, (b, q)
    gx = np.stack([t[:, :p] - m * (t[:, p : 2 * p] if missing else s1[:, u, None]) for u, t in enumerate(sums)], axis=1)
    gg = cgg - s1[:, :, None] * s1[:, None, :] / N[:, None, None]
    gx /= (N - 1)[:, None, None]
    gg /= (N - 1)[:, None, None]
    return gx, gg


def _stage1_scores(plan: Plan, w1: np.ndarray, sd: np.ndarray, m: np.ndarray, O) -> tuple[list[int], dict, dict]:
    """The stage-1 constructs a product needs, their items and, per data set, the coefficients
    [coef, −coef ⊙ m] (with missing cells) or [coef, −coef · m] of the rows of
    :func:`_score_rows`: a case's centred score is this vector times its row."""
    l1 = plan.stage1
    assert l1 is not None
    needed = sorted({g.a for g in plan.generated} | {g.b for g in plan.generated})
    items, alpha = {}, {}
    for k in needed:
        cols = l1.cols(k)
        items[k] = l1.sources[cols]
        ck = w1[:, cols] / sd[:, items[k]]  # weights on the centred raw items
        cm = ck * m[:, items[k]]
        alpha[k] = np.concatenate([ck, -cm if O is not None else -cm.sum(axis=1)[:, None]], axis=1)
    return needed, items, alpha


def _two_stage_jackknife(plan: Plan, feats: CaseFeatures, w1, sd, m, N, leave_out: np.ndarray, weights: np.ndarray | None):
    """:func:`_two_stage_moments` for the jackknife's samples, from the sample's moment tensors.

    A case's product column is g = (αᵀz_a)(βᵀz_b) with z the case's row of
    :func:`_score_rows` and α, β the data set's coefficients, so
    Σᵢ cᵢ g_u xᵢ = (α ⊗ β)ᵀ T3_u with T3_u = Σᵢ wᵢ z_a ⊗ z_b ⊗ xᵢ, and Σᵢ cᵢ g_u g_v =
    (α_u ⊗ β_u)ᵀ T4_uv (α_v ⊗ β_v) with T4_uv = Σᵢ wᵢ (z_a ⊗ z_b)(z_a' ⊗ z_b')ᵀ (x the case's row
    [x⁰, o, 1] or [x⁰, 1], w the case weights, 1 unweighted). Sample j's counts are the weights
    with case j's set to 0, so its sums are these contractions less case j's own term. The
    tensors are built once per sample (kept with its case features); a sample then costs a few
    hundred multiply-adds instead of a pass over its n − 1 cases. The same numbers as the pass
    over the cases to rounding (tests/test_moments.py).
    """
    X0, O = feats.X0, feats.O
    n, p = X0.shape
    gens = plan.generated
    q = len(gens)
    needed, items, alpha = _stage1_scores(plan, w1, sd, m, O)
    XT, XA = _score_rows(feats, items)
    wts = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    key = ("two_stage_tensors", tuple((k, tuple(items[k].tolist())) for k in needed), tuple((g.a, g.b) for g in gens),
           None if weights is None else wts.tobytes())
    if key not in feats.products:
        P = [(XT[g.a].T[:, :, None] * XT[g.b].T[:, None, :]).reshape(n, -1) for g in gens]  # rows z_a ⊗ z_b
        T3 = [Pu.T @ (wts[:, None] * XA) for Pu in P]
        T4 = {(u, v): P[u].T @ (wts[:, None] * P[v]) for u in range(q) for v in range(u, q)}
        feats.products[key] = (T3, T4)
    T3, T4 = feats.products[key]
    j = np.asarray(leave_out, dtype=int)
    B = j.size
    ab = [(alpha[g.a][:, :, None] * alpha[g.b][:, None, :]).reshape(B, -1) for g in gens]  # α ⊗ β per data set
    own = [np.einsum("bi,ib->b", alpha[g.a], XT[g.a][:, j]) * np.einsum("bi,ib->b", alpha[g.b], XT[g.b][:, j]) for g in gens]
    wj = wts[j]
    sums = [ab[u] @ T3[u] - (wj * own[u])[:, None] * XA[j] for u in range(q)]  # (B, p [+ p] + 1)
    cgg = np.empty((B, q, q))
    for u in range(q):
        for v in range(u, q):
            cgg[:, u, v] = cgg[:, v, u] = np.einsum("bi,bi->b", ab[u] @ T4[(u, v)], ab[v]) - wj * own[u] * own[v]
    return _product_covariances(sums, cgg, m, N, O is not None)
