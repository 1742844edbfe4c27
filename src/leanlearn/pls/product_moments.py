"""Product-indicator and orthogonalised interactions in moment form (part 2 of :mod:`leanlearn.pls.moments`).

A product indicator of a resample is g = dᵢdⱼ/(sᵢsⱼ), the product of the resample-standardised items
(d = x̃ − m, s the n − 1 SD), standardised again by the engine; the orthogonal method
(Little, Bovaird & Widaman 2006) replaces g by its OLS residual on the standardised items
of both constructs. With d = x⁰ − m·o, every covariance of the products with the items and
among themselves is a polynomial in the resample means m of degree ≤ 4 whose
coefficients are count-weighted sums of monomials in x⁰ and o (Σc x⁰ᵢx⁰ⱼx⁰ₖ,
Σc x⁰ᵢx⁰ₖ oⱼ, ...), and the residualisation is a linear map of those covariances
(cov(r, z) = cov(g, z) − βᵀR, β = R_rr⁻¹ cov(z_r, g)). The monomials without a missing
factor come from one product of the counts with their per-case values; those with a
factor uₛ = 1 − oₛ (o = 1 − u, expanded by inclusion–exclusion) are non-zero only for the
few cases missing item s, and are summed over those cases alone. Same numbers as the
row path to rounding (1e-12; tests/test_moments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leanlearn.pls import case_moments
from leanlearn.pls.case_moments import CaseFeatures, item_moments
from leanlearn.pls.engine import BatchFit, Plan, final_block, fit_correlations, with_product_columns

# The product indicators of a resample are products of its standardised items,
# g = dᵢdⱼ/(sᵢsⱼ) with d = x̃ − m the deviation of the mean-replaced item from the resample's
# mean. With x⁰ the item centred at the sample's observed mean (0 where missing) and o the
# observed indicator, d = x⁰ − m·o, so every moment of (d, g) that the engine needs is a
# polynomial in the resample means m whose coefficients are count-weighted sums of
# monomials in x⁰ and o of degree ≤ 4 (docs/speed.md, "Product-indicator and orthogonal
# interactions").

# (resamples x terms) arrays of the moment expansion are formed for at most this many elements
TERM_ELEMENTS = 2_000_000


@dataclass
class ProductFeatures:
    """Monomial sums and their expansion into the moments of product indicators (:func:`product_features`).

    Attributes
    ----------
    X0 : ndarray (n, p)
        Items centred at their observed means, 0 where missing (as :class:`CaseFeatures`).
    dense : ndarray (M₀, 4)
        x⁰-monomials (item indices; p stands for the constant 1) of the sums without a
        missing-cell factor, the first M₀ columns of the monomial sums.
    values : ndarray (n, M₀) or None
        Their per-case values, kept when within :data:`FEATURE_ELEMENTS` (else built in
        case blocks when needed).
    groups : list of (ndarray, ndarray, ndarray)
        For each set S of items with missing cells that some case misses together: those
        cases, the columns of the sums that carry the factor Πuₛ (u = 1 − o) and the
        per-case values of their x⁰ parts.
    n_sums : int
        Monomial sums (columns).
    to_o : scipy.sparse matrix (n_sums, M_o)
        Sums of monomials in x⁰ and o from those in x⁰ and u (inclusion–exclusion,
        o = 1 − u).
    classes : list of (ndarray, ndarray, ndarray, ndarray)
        The expansion terms grouped by their number r of mean factors: (moments, first
        term of each moment, o-monomial of each term, (T_r, r) mean factors). A term adds
        Πₛ(−mₛ) × (its o-monomial sum) to its moment.
    n_gx, n_gg, n_g : int
        Moments: Σc eᵢⱼ dₖ (q·p), Σc eᵢⱼ eₖₗ (upper triangle of q×q) and Σc eᵢⱼ (q), in
        this order, with e = d dᵀ the unscaled products.
    ref_sd : ndarray (q,) or None
        The SD of every generated column in the sample (unit counts); a data set whose
        column SD falls below 1e-6 of it is degenerate.
    """

    X0: np.ndarray
    dense: np.ndarray
    values: np.ndarray | None
    groups: list
    n_sums: int
    to_o: Any
    classes: list
    n_gx: int
    n_gg: int
    n_g: int
    ref_sd: np.ndarray | None = None

    @property
    def n_moments(self) -> int:
        return self.n_gx + self.n_gg + self.n_g

    @staticmethod
    def _values(X0: np.ndarray, idx: np.ndarray) -> np.ndarray:
        ext = np.concatenate([X0, np.ones((X0.shape[0], 1))], axis=1)
        V = ext[:, idx[:, 0]]
        for k in range(1, 4):
            if (idx[:, k] < X0.shape[1]).any():
                V = V * ext[:, idx[:, k]]
        return V

    def sums(self, counts: np.ndarray) -> np.ndarray:
        """Count-weighted monomial sums of every data set: counts (B, n) -> (B, n_sums)."""
        B, n = counts.shape
        out = np.zeros((B, self.n_sums))
        nd = self.dense.shape[0]
        if self.values is not None:
            out[:, :nd] = counts @ self.values
        else:
            step = max(1, case_moments.FEATURE_ELEMENTS // max(nd, 1))
            for a in range(0, n, step):
                rows = slice(a, min(a + step, n))
                out[:, :nd] += counts[:, rows] @ self._values(self.X0[rows], self.dense)
        for rows, cols, V in self.groups:
            out[:, cols] = counts[:, rows] @ V
        return out

    def own(self, rows: np.ndarray) -> np.ndarray:
        """The monomials of cases ``rows`` themselves (len(rows), n_sums)."""
        out = np.zeros((rows.size, self.n_sums))
        nd = self.dense.shape[0]
        out[:, :nd] = self.values[rows] if self.values is not None else self._values(self.X0[rows], self.dense)
        for grp, cols, V in self.groups:
            hit = np.flatnonzero(np.isin(rows, grp))
            if hit.size:
                out[np.ix_(hit, cols)] = V[np.searchsorted(grp, rows[hit])]
        return out

    def jackknife_sums(self, leave_out: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Monomial sums of the samples without case j (with its weight), for every j in ``leave_out``."""
        leave_out = np.asarray(leave_out, dtype=int)
        w = np.ones(self.X0.shape[0]) if weights is None else np.asarray(weights, dtype=float)
        return self.sums(w[None, :]) - self.own(leave_out) * w[leave_out][:, None]

    def moments(self, sums: np.ndarray, m: np.ndarray) -> np.ndarray:
        """The moments (B, n_moments) from monomial sums (B, n_sums) and resample means m (B, p)."""
        B = sums.shape[0]
        T = sum(c[2].size for c in self.classes)
        out = np.zeros((B, self.n_moments))
        step = max(1, TERM_ELEMENTS // max(T, 1))
        for a in range(0, B, step):
            b = min(a + step, B)
            so = np.asarray((self.to_o.T @ sums[a:b].T).T)
            neg = -m[a:b]
            for ent, starts, mono, coef in self.classes:
                t = so[:, mono]
                for k in range(coef.shape[1]):
                    t *= neg[:, coef[:, k]]
                out[a:b, ent] += np.add.reduceat(t, starts, axis=1)
        return out


def _expand(factors: tuple[int, ...], complete: np.ndarray):
    """Terms of Σc Π_f (x⁰_f − m_f o_f) over every subset S of the factors: (mean factors S, x-items, o-items)."""
    terms = []
    L = len(factors)
    for mask in range(1 << L):
        S = tuple(factors[i] for i in range(L) if mask >> i & 1)
        xs = tuple(sorted(factors[i] for i in range(L) if not mask >> i & 1))
        os_ = tuple(sorted({s for s in S if s not in xs and not complete[s]}))
        terms.append((S, xs, os_))
    return terms


def product_features(plan: Plan, feats: CaseFeatures) -> ProductFeatures:
    """The monomial sums and expansion terms of a product-indicator or orthogonal plan.

    Built once per sample and plan and kept on ``feats`` (a bootstrap worker builds it at
    its first block).
    """
    from scipy import sparse

    cache = feats.products
    if plan.generated in cache:
        return cache[plan.generated]
    X0, p, obs = feats.X0, feats.p, feats.O
    complete = np.ones(p, dtype=bool)
    complete[feats.miss] = False
    gens = plan.generated
    q = len(gens)
    entries: list[tuple[int, ...]] = [(g.a, g.b, k) for g in gens for k in range(p)]
    entries += [(gens[u].a, gens[u].b, gens[v].a, gens[v].b) for u in range(q) for v in range(u, q)]
    entries += [(g.a, g.b) for g in gens]
    o_index: dict = {}
    by_r: dict[int, tuple[list, list, list]] = {}
    for e, f in enumerate(entries):
        for S, xs, os_ in _expand(f, complete):
            ent, mono, coef = by_r.setdefault(len(S), ([], [], []))
            ent.append(e)
            mono.append(o_index.setdefault((xs, os_), len(o_index)))
            coef.append(S)
    classes = []
    for r, (ent, mono, coef) in sorted(by_r.items()):
        ent_a = np.asarray(ent)
        starts = np.flatnonzero(np.r_[True, ent_a[1:] != ent_a[:-1]])
        classes.append((ent_a[starts], starts, np.asarray(mono, dtype=int), np.asarray(coef, dtype=int).reshape(len(coef), r)))
    # o-monomials from x⁰/u monomials: Σc x_T Π_{s∈O}(1 − u_s) = Σ_{S⊆O} (−1)^|S| Σc x_T u_S
    miss_rows: dict = {}

    def support(S: tuple) -> np.ndarray:
        if S not in miss_rows:
            miss_rows[S] = np.flatnonzero((1.0 - obs[:, list(S)]).prod(axis=1) > 0)  # type: ignore[index]
        return miss_rows[S]

    u_index: dict = {}
    rows_ie, cols_ie, vals_ie = [], [], []
    for (xs, os_), j in o_index.items():
        for mask in range(1 << len(os_)):
            S = tuple(os_[i] for i in range(len(os_)) if mask >> i & 1)
            if S and not support(S).size:
                continue  # no case misses all of S: the sum is 0
            rows_ie.append(u_index.setdefault((xs, S), len(u_index)))
            cols_ie.append(j)
            vals_ie.append(-1.0 if len(S) % 2 else 1.0)
    keys = sorted(u_index, key=lambda k: (len(k[1]), k[1], k[0]))  # dense monomials first, then by missing set
    order = {k: i for i, k in enumerate(keys)}
    pad = lambda xs: tuple(xs) + (p,) * (4 - len(xs))  # noqa: E731
    dense = np.array([pad(xs) for xs, S in keys if not S], dtype=int).reshape(-1, 4)
    by_set: dict = {}
    for k in keys:
        if k[1]:
            by_set.setdefault(k[1], []).append(k)
    groups = []
    for S, ks in by_set.items():
        rows = support(S)
        idx = np.array([pad(k[0]) for k in ks], dtype=int).reshape(-1, 4)
        groups.append((rows, np.array([order[k] for k in ks]), ProductFeatures._values(X0[rows], idx)))
    remap = np.array([order[k] for k in u_index], dtype=int)
    to_o = sparse.csr_matrix((vals_ie, (remap[np.asarray(rows_ie, dtype=int)], cols_ie)), shape=(len(u_index), len(o_index)))
    n = feats.n
    keep = n * dense.shape[0] <= case_moments.FEATURE_ELEMENTS
    pf = ProductFeatures(
        X0=X0, dense=dense, values=ProductFeatures._values(X0, dense) if keep else None, groups=groups,
        n_sums=len(u_index), to_o=to_o, classes=classes, n_gx=q * p, n_gg=q * (q + 1) // 2, n_g=q,
    )  # fmt: skip
    ones = np.ones((1, n))
    pf.ref_sd = _product_moments(plan, feats, pf, feats.sums(ones), pf.sums(ones))[5][0]
    cache[plan.generated] = pf
    return pf


def _product_moments(plan: Plan, feats: CaseFeatures, pf: ProductFeatures, item_sums: np.ndarray, sums: np.ndarray):
    """Item correlations and the generated columns' covariances of every data set.

    ``item_sums`` are the data sets' item feature sums (:meth:`CaseFeatures.sums`), ``sums``
    their monomial sums (:meth:`ProductFeatures.sums`). Returns ``(R, sd, bad, gx, gg,
    gsd)``: the item correlations (B, p, p) and SDs (B, p), the degenerate data sets, the
    generated columns' covariances with the raw items (B, q, p) and among themselves
    (B, q, q), and their SDs (B, q), as the row path builds the columns
    (:func:`leanlearn.pls.engine._generated_columns`): products of the resample-standardised
    items, orthogonalised by OLS on the regressors' standardised items.
    """
    N, m, S = item_moments(feats, item_sums)
    B, p = m.shape
    var = np.diagonal(S, axis1=1, axis2=2)
    with np.errstate(invalid="ignore"):
        bad: np.ndarray = np.asarray(~(var > 1e-12 * feats.ref_var).all(axis=1))
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    R = S / (sd[:, :, None] * sd[:, None, :])
    gens = plan.generated
    q = len(gens)
    mom = pf.moments(sums, m)
    ga = np.array([g.a for g in gens])
    gb = np.array([g.b for g in gens])
    sg = sd[:, ga] * sd[:, gb]  # (B, q): the products' scale
    se = mom[:, pf.n_gx + pf.n_gg :]  # Σc e
    # covariances of the standardised products g = e/(sₐs_b) with the raw items and among themselves
    gx = mom[:, : pf.n_gx].reshape(B, q, p) / ((N - 1)[:, None, None] * sg[:, :, None])
    iu = np.triu_indices(q)
    ee = np.empty((B, q, q))
    ee[:, iu[0], iu[1]] = mom[:, pf.n_gx : pf.n_gx + pf.n_gg]
    ee[:, iu[1], iu[0]] = mom[:, pf.n_gx : pf.n_gx + pf.n_gg]
    ee -= se[:, :, None] * se[:, None, :] / N[:, None, None]
    gg = ee / ((N - 1)[:, None, None] * sg[:, :, None] * sg[:, None, :])
    if any(g.kind == "orthogonal" for g in gens):
        # residualise on the regressors' standardised items: r = g − Σₖ βₖ zₖ with β = R_rr⁻¹ cov(z_r, g)
        C = gx / sd[:, None, :]  # cov(g, z), (B, q, p)
        Bm = np.zeros((B, q, p))
        regs: dict[tuple[int, ...], list[int]] = {}
        for i, g in enumerate(gens):
            regs.setdefault(g.regressors, []).append(i)
        for rg, members in regs.items():
            r = np.asarray(rg)
            mem = np.asarray(members)
            beta = _solve_regression(R[:, r[:, None], r], C[:, mem][:, :, r].transpose(0, 2, 1), bad)
            Bm[:, mem[:, None], r] = beta.transpose(0, 2, 1)
        BR = np.matmul(Bm, R)
        gg = gg - np.matmul(Bm, C.transpose(0, 2, 1)) - np.matmul(C, Bm.transpose(0, 2, 1)) + np.matmul(BR, Bm.transpose(0, 2, 1))
        gx = (C - BR) * sd[:, None, :]
    gsd = np.sqrt(np.clip(np.diagonal(gg, axis1=1, axis2=2), 0.0, None))
    return R, sd, bad, gx, gg, gsd


def _solve_regression(A: np.ndarray, b: np.ndarray, bad: np.ndarray) -> np.ndarray:
    from leanlearn.pls.engine import _solve

    return _solve(A, b, bad, check=False)


def product_correlations(plan: Plan, feats: CaseFeatures, pf: ProductFeatures, item_sums: np.ndarray, sums: np.ndarray) -> tuple:
    """Correlation matrices of the final stage's columns for a product-indicator or orthogonal plan.

    Returns ``(R, column_sd, bad)`` as :func:`leanlearn.pls.engine.moment_correlations`;
    a data set where a generated column's SD falls below 1e-6 of its SD in the sample is
    degenerate (the row path compares with the batch's median SD instead, which would make
    a resample's verdict depend on the other resamples of its block).
    """
    R, sd, bad, gx, gg, gsd = _product_moments(plan, feats, pf, item_sums, sums)
    if pf.ref_sd is not None:
        with np.errstate(invalid="ignore"):
            bad = bad | ~(gsd > 1e-6 * pf.ref_sd).all(axis=1)
    R, col_sd, bad = with_product_columns(R, np.ones_like(sd), sd, gx, gg, bad)
    bad |= ~np.isfinite(R).all(axis=(1, 2))
    return final_block(plan, R, col_sd, bad)


def product_form(plan: Plan) -> bool:
    """True when the plan's interaction columns are product indicators or orthogonalised products (moment form here)."""
    kinds = {g.kind for g in plan.generated}
    return getattr(plan, "staged", None) is None and bool(kinds) and kinds <= {"product", "orthogonal"}


def _product_fit(plan: Plan, feats: CaseFeatures, counts: np.ndarray | None = None, leave_out=None, weights=None) -> BatchFit:
    """:func:`fit_resamples` (``counts``) or :func:`fit_jackknife` (``leave_out``, ``weights``) of a product plan."""
    pf = product_features(plan, feats)
    if counts is not None:
        item_sums, sums = feats.sums(counts), pf.sums(counts)
    else:
        item_sums, sums = feats.jackknife_sums(leave_out, weights), pf.jackknife_sums(leave_out, weights)
    R, col_sd, bad = product_correlations(plan, feats, pf, item_sums, sums)
    return fit_correlations(plan, R, col_sd, bad, None)

