"""PLS path modelling: the estimation engine.

The engine is written once, for a *batch* of data sets: an array of shape (B, n, p) of
raw item values. The point estimate is a batch of one (the sample); the bootstrap passes
its resamples in fixed-size batches. Every resample therefore goes through exactly the
same arithmetic as the original sample, with no Python loop per resample: the PLS
iterations run on the (B, p, p) item correlation matrices, and only the two-stage
interaction term needs the rows themselves.

Algorithm (Lohmöller 1989; as implemented by seminr 2.3.1, whose conventions leanlearn
follows — see docs/conventions.md):

1. Items are z-scored with the n − 1 standard deviation.
2. Outer weights start at 1. Each iteration standardises the composites, forms inner
   proxies with the inner weighting scheme (path: predecessors enter with the OLS
   coefficients of the construct regressed on them, successors with correlations;
   factorial: correlations; centroid: signs of correlations), then updates the outer
   weights — Mode A: covariance of each item with its construct's proxy; Mode B: the
   OLS coefficients of the proxy on the block's items — and rescales every composite to
   unit variance.
3. Iteration stops when the sum of absolute weight changes falls below the tolerance
   (default 1e-7, seminr's ``stopCriterion = 7``) or after ``max_iterations`` (300).
4. Path coefficients are OLS coefficients of each endogenous construct on its
   predecessors; loadings are item–composite correlations.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.pls import metrics as mm
from leanlearn.errors import ConvergenceError, ConvergenceWarning, DataError
from leanlearn.pls.prepare import PreparedData, prepare_data
from leanlearn.spec.model import ModelSpec, parse_model

if TYPE_CHECKING:
    from leanlearn.pls.summary import Summary

__all__ = [
    "SCHEMES",
    "INTERACTION_METHODS",
    "Settings",
    "Plan",
    "make_plan",
    "fit_batch",
    "fit_counts",
    "fit_correlations",
    "batch_correlations",
    "moment_correlations",
    "estimate",
    "PLSResult",
]

SCHEMES = ("path", "centroid", "factorial")
INTERACTION_METHODS = ("two_stage", "product_indicator", "orthogonal")


@dataclass(frozen=True)
class Settings:
    """Estimation settings.

    Attributes
    ----------
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    interaction : {"two_stage", "product_indicator", "orthogonal"}
        How interaction terms are built.
    consistent : bool
        Apply PLSc (Dijkstra & Henseler 2015) to reflective (``=~``) constructs.
    tolerance : float
        Stop when the sum of absolute outer-weight changes is below this.
    max_iterations : int
    missing : {"mean", "listwise"}
    missing_value : number or str, optional
    """

    scheme: str = "path"
    interaction: str = "two_stage"
    consistent: bool = False
    tolerance: float = 1e-7
    max_iterations: int = 300
    missing: str = "mean"
    missing_value: float | int | str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {self.scheme!r}")
        if self.interaction not in INTERACTION_METHODS:
            raise ValueError(f"interaction must be one of {INTERACTION_METHODS}, not {self.interaction!r}")
        if not self.tolerance > 0:
            raise ValueError("tolerance must be positive")
        if int(self.max_iterations) < 1:
            raise ValueError("max_iterations must be at least 1")


# ---- layout: constructs, indicator columns, blocks ---------------------------------------
@dataclass(frozen=True)
class Layout:
    """Constructs and indicator columns of one estimation stage.

    ``sources[i]`` is the index of indicator column i in the stage's data columns (the
    model's items followed by generated interaction columns); an item used by two
    constructs appears as two columns.
    """

    constructs: tuple[str, ...]
    columns: tuple[str, ...]
    sources: np.ndarray
    block: np.ndarray
    modes: tuple[str, ...]
    reflective: tuple[bool, ...]
    is_interaction: tuple[bool, ...]
    adjacency: np.ndarray

    @property
    def K(self) -> int:
        return len(self.constructs)

    @property
    def p(self) -> int:
        return len(self.columns)

    @property
    def onehot(self) -> np.ndarray:
        oh = np.zeros((self.p, self.K))
        oh[np.arange(self.p), self.block] = 1.0
        return oh

    def cols(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.block == k)

    def preds(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.adjacency[:, k])

    @property
    def endogenous(self) -> list[int]:
        return [k for k in range(self.K) if self.adjacency[:, k].any()]


@dataclass(frozen=True)
class Generated:
    """An interaction column built during estimation.

    kind "two_stage": product of the stage-1 scores of constructs ``a`` and ``b``
    (indices into the stage-1 layout). kind "product": product of the z-scored items
    ``a`` and ``b`` (indices into the items); "orthogonal" additionally residualises the
    product on ``regressors`` (item indices).
    """

    name: str
    kind: str
    a: int
    b: int
    regressors: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything needed to run the engine on a batch: layouts and generated columns."""

    spec: ModelSpec
    settings: Settings
    items: tuple[str, ...]
    final: Layout
    stage1: Layout | None
    generated: tuple[Generated, ...]
    # A model fitted in stages by a layer above the engine (leanlearn.pls.hoc): an object whose
    # ``fit(X, counts, keep_rows)`` returns the final stage's BatchFit for raw items X in
    # ``items`` order. fit_batch and fit_counts hand the batch to it, so the bootstrap and the
    # jackknife redo every stage per resample.
    staged: Any = None


def _layout(spec: ModelSpec, items: Sequence[str], interaction_columns: dict[str, list[str]]) -> Layout:
    names = list(spec.construct_names)
    index = {n: k for k, n in enumerate(names)}
    data_cols = list(items)
    for cols in interaction_columns.values():
        data_cols.extend(cols)
    pos = {c: i for i, c in enumerate(data_cols)}
    columns, sources, block, modes, reflective, inter = [], [], [], [], [], []
    for k, name in enumerate(names):
        if name in interaction_columns:
            inds = interaction_columns[name]
            modes.append("A")
            reflective.append(False)
            inter.append(True)
        else:
            c = spec.construct(name)
            inds = list(c.indicators)
            modes.append(c.mode if len(inds) > 1 else "A")
            reflective.append(c.reflective and c.kind == "measured")
            inter.append(False)
        for ind in inds:
            columns.append(ind)
            sources.append(pos[ind])
            block.append(k)
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for path in spec.paths:
        adj[index[path.source], index[path.target]] = True
    return Layout(
        constructs=tuple(names),
        columns=tuple(columns),
        sources=np.asarray(sources, dtype=int),
        block=np.asarray(block, dtype=int),
        modes=tuple(modes),
        reflective=tuple(reflective),
        is_interaction=tuple(inter),
        adjacency=adj,
    )


def make_plan(spec: ModelSpec, settings: Settings | None = None) -> Plan:
    """Build the estimation plan (layouts and interaction columns) for a model."""
    settings = settings or Settings()
    if spec.higher_order:
        from leanlearn.errors import SpecError

        raise SpecError(
            f"the model has higher-order constructs ({', '.join(c.name for c in spec.higher_order)}); "
            "estimate it with leanlearn.pls.hoc.estimate_hoc (CLI: leanlearn estimate ... --hoc METHOD)"
        )
    items = spec.items
    item_pos = {it: i for i, it in enumerate(items)}
    if not spec.interactions:
        return Plan(spec, settings, items, _layout(spec, items, {}), None, ())
    generated: list[Generated] = []
    inter_cols: dict[str, list[str]] = {}
    if settings.interaction == "two_stage":
        main = spec.without_interactions()
        stage1 = _layout(main, items, {})
        idx = {n: k for k, n in enumerate(stage1.constructs)}
        for inter in spec.interactions:
            x, z = inter.terms
            generated.append(Generated(inter.name, "two_stage", idx[x], idx[z]))
            inter_cols[inter.name] = [inter.name]
        return Plan(spec, settings, items, _layout(spec, items, inter_cols), stage1, tuple(generated))
    for inter in spec.interactions:
        x, z = (spec.construct(t) for t in inter.terms)
        regress = tuple(item_pos[i] for i in dict.fromkeys(x.indicators + z.indicators))
        cols = []
        for xi in x.indicators:
            for zi in z.indicators:
                name = f"{xi}:{zi}"
                kind = "orthogonal" if settings.interaction == "orthogonal" else "product"
                generated.append(Generated(name, kind, item_pos[xi], item_pos[zi], regress))
                cols.append(name)
        inter_cols[inter.name] = cols
    return Plan(spec, settings, items, _layout(spec, items, inter_cols), None, tuple(generated))


# ---- batched linear algebra helpers --------------------------------------------------------
def _solve(A: np.ndarray, b: np.ndarray, bad: np.ndarray, *, check: bool = True) -> np.ndarray:
    """Batched solve of A x = b; data sets with a singular A are marked in ``bad`` and give NaN.

    With ``check`` the reciprocal condition number of every A is tested (singular when
    cond(A) > 1e12); without it (inside the iterations, where speed matters and the final
    estimates are checked anyway) only exact singularity is caught.
    """
    sing = ~np.isfinite(A).all(axis=(-2, -1)) | ~np.isfinite(b.reshape(b.shape[0], -1)).all(axis=1)
    if sing.any():
        A, b = A.copy(), b.copy()
        A[sing] = np.eye(A.shape[-1])
        b[sing] = 0.0
    if check:
        sing |= _ill_conditioned(A, 1e12)
    if sing.any():
        A = A.copy()
        A[sing] = np.eye(A.shape[-1])
    vector = b.ndim == A.ndim - 1
    rhs = b[..., None] if vector else b
    try:
        x = np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        x = np.empty(np.broadcast_shapes(A.shape[:-1], rhs.shape[:-2] + (A.shape[-1],)) + rhs.shape[-1:])
        for i in range(A.shape[0]):
            try:
                x[i] = np.linalg.solve(A[i], rhs[i])
            except np.linalg.LinAlgError:
                sing[i] = True
                x[i] = np.nan
    if vector:
        x = x[..., 0]
    bad |= sing
    if sing.any():
        x[sing] = np.nan
    return x


def _inverse(A: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Batched inverse of finite square matrices; an ill-conditioned one (cond > 1e12) is marked in ``bad`` and gives NaN.

    The same flags and numbers as ``_solve(A, I, bad)`` (LAPACK's inverse is its solve with
    the identity), with the inverse computed once: the condition bound of
    :func:`_ill_conditioned` reuses it.
    """
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
    if inv is None:
        try:
            inv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return ~(np.linalg.cond(A) < limit)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = np.sqrt((A * A).sum(axis=(-2, -1)) * (inv * inv).sum(axis=(-2, -1)))
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
        return ~(sd > 1e-6 * reference_sd).all(axis=1)


def _weighted_corr(Z: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Correlation matrices of z-scored data with case counts, (B, n, p) -> (B, p, p)."""
    N = c.sum(axis=1)
    return np.matmul((Z * c[:, :, None]).transpose(0, 2, 1), Z) / (N - 1)[:, None, None]


# ---- the PLS iterations -------------------------------------------------------------------
# rows per pass of the PLS iterations: the correlation matrices of one pass stay in the CPU cache
ITERATION_BATCH = 256


def _iterate(R: np.ndarray, lay: Layout, settings: Settings, bad: np.ndarray):
    """Run the PLS iterations on a batch of item correlation matrices.

    Returns weights (B, p) scaled to unit-variance composites, the 0-based iteration at
    which each resample stopped (seminr's ``iterations``) and a convergence flag.
    Resamples stop individually (a per-resample convergence mask), so a resample's result
    never depends on the others; the batch is run in passes of :data:`ITERATION_BATCH`
    data sets (:func:`_iterate_rows`).
    """
    B, p, _ = R.shape
    w = np.ones((B, p))
    iters = np.zeros(B, dtype=int)
    active = ~bad
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

    RW is formed block by block as (RW)ᵀ_k· = T_kᵀ R[c_k, :] (R is symmetric): one batched
    vector-matrix product per construct on contiguous row blocks of R, which costs about
    half of one batched (p × p)(p × K) product with the zeros of T ⊙ O. The arrays of the
    data sets still iterating are compacted when fewer than 3/4 of the rows carried along
    are active; rows that stopped are carried along, unused, until then.
    """
    b, p, _ = R.shape
    K = lay.K
    block = lay.block
    segs = _segments(lay)
    flat = np.arange(p) * K + block  # position of weight i in a data set's flattened (p, K) matrix T ⊙ O
    own = block * p + np.arange(p)  # position of (block(i), i) in a flattened (K, p) matrix
    modeB = [k for k in range(K) if lay.modes[k] == "B"]
    invB = {k: _inverse(R[:, segs[k], segs[k]], bad) for k in modeB}
    inner = _inner_plan(lay, settings.scheme)
    w = np.ones((b, p))
    iters = np.zeros(b, dtype=int)
    active = ~bad
    rows = np.flatnonzero(active)  # data sets carried in the compacted arrays
    live = np.ones(rows.size, dtype=bool)
    Ra = None
    Ta = w[rows]  # the unscaled weights of the last iteration, per row carried along
    limit = settings.max_iterations
    for it in range(-1, limit + 1):  # pass it + 1: rescale and test iteration it, then run iteration it + 1
        if Ra is None or live.sum() < 0.75 * rows.size:
            rows, Ta = rows[live], Ta[live]
            if rows.size == 0:
                break
            m = rows.size
            Ra = R[rows]
            invBa = {k: v[rows] for k, v in invB.items()}
            prev = w[rows]
            live = np.ones(m, dtype=bool)
            W = np.zeros((m, p, K))  # T ⊙ O: only the entries at ``flat`` are ever set
            Wf = W.reshape(m, p * K)
            RWt = np.empty((m, K, p))  # (RW)ᵀ
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for k, sl in enumerate(segs):
                np.matmul(Ta[:, None, sl], Ra[:, sl, :], out=RWt[:, k : k + 1, :])
            Wf[:, flat] = Ta
            Cu = np.matmul(RWt, W).transpose(0, 2, 1)  # (T ⊙ O)ᵀ R (T ⊙ O)
            scale = 1.0 / np.sqrt(np.diagonal(Cu, axis1=1, axis2=2))
            new = Ta * scale[:, block]
        if it >= 0:
            with np.errstate(invalid="ignore"):
                sub_bad = ~np.isfinite(new).all(axis=1)
                diff = np.abs(new - prev).sum(axis=1)
            upd = np.flatnonzero(live)
            tgt = rows[upd]
            bad[tgt] |= sub_bad[upd]
            w[tgt] = new[upd]
            iters[tgt] = it
            done = (diff[upd] < settings.tolerance) | sub_bad[upd]
            active[tgt[done]] = False
            live[upd[done]] = False
            if it == limit:
                break
        prev = new
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            C = Cu * (scale[:, :, None] * scale[:, None, :])
            E = inner(C, np.zeros(m, dtype=bool))  # a singular set gives NaN: flagged at the stop rule
            # Tᵢ = Σ_l RW[i, l] scale_l E[l, block(i)]: the composites' rescaling folded into E's rows
            Ta = np.matmul((E * scale[:, :, None]).transpose(0, 2, 1), RWt).reshape(m, K * p)[:, own]
            for k, inv in invBa.items():
                sl = segs[k]
                Ta[:, sl] = np.matmul(inv, Ta[:, sl, None])[:, :, 0]
    return w, iters, active


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
    """The inner weighting scheme as a function of a batch of construct correlations (b, K, K).

    Path scheme: predecessors enter with the OLS coefficients of the construct regressed on
    them (one batched solve per distinct predictor set, for all its targets at once),
    successors with correlations; factorial: correlations; centroid: signs of correlations.
    Non-finite or singular sets give NaN or infinite weights and fail at the stop rule
    (predictor sets larger than :data:`SMALL_SOLVE` go through LAPACK, where an exactly
    singular set is flagged in ``bad``).
    """
    A = lay.adjacency.astype(float)
    sym = A + A.T
    if scheme == "factorial":
        return lambda C, bad: C * sym
    if scheme == "centroid":
        return lambda C, bad: np.sign(C) * sym
    targets: dict[tuple[int, ...], list[int]] = {}
    for j in lay.endogenous:
        targets.setdefault(tuple(lay.preds(j)), []).append(j)
    groups = []
    for key, js in targets.items():
        P = np.array(key)
        groups.append((P, np.array(js), np.concatenate([P, js])))
    AT = A.T.copy()

    def path(C: np.ndarray, bad: np.ndarray) -> np.ndarray:
        Ct = np.ascontiguousarray(C.transpose(1, 2, 0))  # (K, K, b): the batch on the contiguous axis
        Et = Ct * AT[:, :, None]
        for P, js, both in groups:
            k = P.size
            if k <= SMALL_SOLVE:
                Et[P[:, None], js] = _small_spd_solve(Ct[P[:, None], both], k)
            else:
                L, Y = C[:, P[:, None], P], C[:, P[:, None], js]
                try:
                    x = np.linalg.solve(L, Y)
                except np.linalg.LinAlgError:
                    x = _solve(L, Y, bad, check=False)
                Et[P[:, None], js] = x.transpose(1, 2, 0)
        return Et.transpose(2, 0, 1)

    return path


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
    rho_a: np.ndarray  # (B, K)
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


def fit_correlations(
    plan: Plan, R: np.ndarray, col_sd: np.ndarray, bad: np.ndarray | None = None, stage1: "Stage1 | None" = None
) -> BatchFit:
    """Estimate the model from a batch of indicator correlation matrices (B, p, p).

    ``col_sd`` is the raw SD of every indicator column (ones for items). ``bad`` flags
    data sets already known to fail; it is updated in place. ``stage1`` carries the
    convergence of a two-stage interaction's first stage: a data set whose first stage hit
    the iteration limit is reported as not converged.
    """
    settings = plan.settings
    lay = plan.final
    B = R.shape[0]
    if bad is None:
        bad = np.zeros(B, dtype=bool)
    w, iters, conv = _iterate(R, lay, settings, bad)
    onehot = lay.onehot
    W = w[:, :, None] * onehot
    RW = np.matmul(R, W)  # item-construct correlations (B, p, K)
    C = np.matmul(W.transpose(0, 2, 1), RW)
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
    rho = np.ones((B, lay.K))
    for k in range(lay.K):
        c = lay.cols(k)
        if len(c) > 1 and lay.modes[k] == "A" and not lay.is_interaction[k]:
            rho[:, k] = mm.rho_a(w[:, c], R[:, c[:, None], c])

    paths = np.zeros((B, lay.K, lay.K))
    r2 = np.full((B, lay.K), np.nan)
    if settings.consistent:
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


# ---- the user-facing estimate() -----------------------------------------------------------
def _indicator_frame(lay: Layout, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": [lay.constructs[k] for k in lay.block],
            "indicator": list(lay.columns),
            "estimate": values,
        }
    )


@dataclass(frozen=True)
class PLSResult:
    """A fitted PLS-SEM model. All tables are tidy DataFrames.

    Attributes
    ----------
    spec : ModelSpec
    settings : Settings
    constructs : tuple of str
    outer_weights, outer_loadings : DataFrame
        Columns construct, indicator, estimate.
    cross_loadings : DataFrame
        Item–construct correlations; index indicator, one column per construct.
    path_coefficients : DataFrame
        Columns source, target, estimate (model order).
    r_squared : DataFrame
        Columns construct, r_squared, r_squared_adj.
    reliability : DataFrame
        Columns construct, cronbach_alpha, rho_c, ave, rho_a.
    htmt, htmt2, fornell_larcker, construct_correlations : DataFrame
        Square tables indexed and labelled by construct.
    vif_items : DataFrame
        Columns construct, indicator, vif.
    vif_inner : DataFrame
        Columns source, target, vif (NaN when the target has a single antecedent).
    f_squared : DataFrame
        Columns source, target, f_squared.
    effects : DataFrame
        Columns source, target, direct, indirect, total (every pair with a non-zero total).
    indirect_effects : DataFrame
        Columns path, source, target, estimate: every specific indirect effect.
    scores : DataFrame
        Construct scores, one row per case used.
    fit : DataFrame
        Columns model (saturated/estimated), srmr, d_uls, d_g.
    iterations : int
        0-based iteration at which the stop rule held (seminr's convention).
    converged : bool
    n : int
        Cases used.
    data_report : DataFrame
        Missing data per item (see :class:`leanlearn.pls.prepare.PreparedData`).
    """

    spec: ModelSpec
    settings: Settings
    plan: Plan = field(repr=False)
    constructs: tuple[str, ...]
    outer_weights: pd.DataFrame = field(repr=False)
    outer_loadings: pd.DataFrame = field(repr=False)
    cross_loadings: pd.DataFrame = field(repr=False)
    path_coefficients: pd.DataFrame = field(repr=False)
    r_squared: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    htmt: pd.DataFrame = field(repr=False)
    htmt2: pd.DataFrame = field(repr=False)
    fornell_larcker: pd.DataFrame = field(repr=False)
    construct_correlations: pd.DataFrame = field(repr=False)
    vif_items: pd.DataFrame = field(repr=False)
    vif_inner: pd.DataFrame = field(repr=False)
    f_squared: pd.DataFrame = field(repr=False)
    effects: pd.DataFrame = field(repr=False)
    indirect_effects: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    fit: pd.DataFrame = field(repr=False)
    iterations: int
    converged: bool
    n: int
    data_report: pd.DataFrame = field(repr=False)
    prepared: PreparedData = field(repr=False)
    batch: BatchFit = field(repr=False)

    @property
    def path_matrix(self) -> np.ndarray:
        return self.batch.paths[0]

    def path(self, source: str, target: str) -> float:
        row = self.path_coefficients[
            (self.path_coefficients.source == source) & (self.path_coefficients.target == target)
        ]
        if row.empty:
            raise KeyError(f"no path {source} -> {target}")
        return float(row.estimate.iloc[0])

    def summary(self) -> "Summary":
        """Tables of the estimates and the assessment as text, Markdown, LaTeX or HTML.

        Examples
        --------
        >>> import leanlearn as ll
        >>> res = ll.estimate(ll.datasets.load("mobi"), ll.datasets.model("mobi"))
        >>> print(res.summary().to_text().splitlines()[0])
        PLS-SEM estimation
        >>> "tabular" in res.summary().to_latex()
        True
        """
        from leanlearn.pls.summary import Summary

        return Summary.from_result(self)

    def __repr__(self) -> str:
        return (
            f"PLSResult(n={self.n}, constructs={len(self.constructs)}, paths={len(self.path_coefficients)}, "
            f"scheme={self.settings.scheme!r}, converged={self.converged}, iterations={self.iterations})"
        )


def _f_squared(spec: ModelSpec, result_r2: dict, prepared: PreparedData, settings: Settings) -> pd.DataFrame:
    r"""f² of every path by re-estimating the model without it (as seminr does).

    .. math:: f^2 = \frac{R^2_{incl} - R^2_{excl}}{1 - R^2_{incl}}

    The reduced model is re-estimated in full (weights included) on the same prepared
    data. For a main effect X -> Y that also enters an interaction X:W -> Y, removing it
    leaves a model with the interaction but not its main effect, so f² is not defined
    there (NaN; seminr reports NA as well). Checked against seminr 2.3.1 on corp_rep and
    mobi at 1e-6.
    """
    rows = []
    inter_terms = {i.name: i.terms for i in spec.interactions}
    pos = {it: j for j, it in enumerate(prepared.items)}
    for path in spec.paths:
        tgt_inters = [n for n in spec.predecessors(path.target) if n in inter_terms]
        if any(path.source in inter_terms[n] for n in tgt_inters):
            rows.append((path.source, path.target, np.nan))
            continue
        reduced = spec.without_path(path.source, path.target)
        plan = make_plan(reduced, settings)
        fit = fit_batch(plan, prepared.X[:, [pos[i] for i in plan.items]], _counts(prepared))
        names = plan.final.constructs
        r2_excl = float(fit.r_squared[0, names.index(path.target)]) if path.target in names else 0.0
        if not np.isfinite(r2_excl):
            r2_excl = 0.0  # the target lost all its predictors
        r2_incl = result_r2[path.target]
        rows.append((path.source, path.target, (r2_incl - r2_excl) / (1 - r2_incl)))
    return pd.DataFrame(rows, columns=["source", "target", "f_squared"])


def _counts(prepared: PreparedData) -> np.ndarray | None:
    """The case-count row of the sample: the case weights (1, n), or None (all ones)."""
    return None if prepared.weights is None else prepared.weights[None, :]


def estimate(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    scheme: str = "path",
    interaction: str = "two_stage",
    consistent: bool = False,
    missing: str = "mean",
    missing_value: float | int | str | None = None,
    tolerance: float = 1e-7,
    max_iterations: int = 300,
    on_nonconvergence: str = "warn",
    settings: Settings | None = None,
    source: str | None = None,
    assess: bool = True,
    weights: str | Sequence[float] | np.ndarray | None = None,
) -> PLSResult:
    """Estimate a PLS path model.

    Parameters
    ----------
    data : DataFrame
        One row per case; items as columns.
    model : ModelSpec or str
        A parsed model or lavaan-style model text (see :mod:`leanlearn.spec.model`).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (default path weighting, as seminr and SmartPLS).
    interaction : {"two_stage", "product_indicator", "orthogonal"}
        Interaction-term method (default two-stage, Becker, Ringle & Sarstedt 2018).
    consistent : bool
        PLSc for reflective constructs (Dijkstra & Henseler 2015).
    missing : {"mean", "listwise"}
    missing_value : number or str, optional
        Code marking missing cells, e.g. -99.
    tolerance, max_iterations :
        Stop rule: sum of absolute weight changes < tolerance (default 1e-7 = seminr's
        ``stopCriterion = 7``), at most ``max_iterations`` (300).
    on_nonconvergence : {"warn", "error"}
        Raise :class:`ConvergenceError` or warn with :class:`ConvergenceWarning`.
    settings : Settings, optional
        Overrides the keyword settings above.
    source : str, optional
        Data file name for error messages.
    assess : bool
        Compute the assessment tables (reliability, HTMT, f², VIFs, effects, fit). Set to
        False in loops that need only weights, paths and scores (prediction, permutation
        tests, simulations); the tables are then empty.
    weights : str or array-like, optional
        Case weights (weighted PLS): a column of ``data`` or one number per row
        (:func:`leanlearn.pls.prepare.case_weights`). They are *frequency weights*: every
        mean, SD and correlation of the algorithm and the assessment is weighted, with
        N = the sum of the weights in the N − 1 denominators and in the adjusted R², so
        integer weights give exactly the result of duplicating rows (tests/test_weights.py).
        Multiplying all weights by a constant leaves the correlations, and so weights,
        loadings, paths, R², reliability, HTMT and fit, unchanged. The bootstrap resamples
        cases and carries their weights (:func:`leanlearn.pls.bootstrap.bootstrap`).

    Returns
    -------
    PLSResult

    Notes
    -----
    Point estimates match seminr 2.3.1 at 1e-6 on corp_rep (simple model) and mobi (ECSI
    model); see tests/test_pls.py and docs/conventions.md for every convention.

    Examples
    --------
    The corporate-reputation model of Hair et al. (2021, ch. 3-4) on seminr's data, where
    ``-99`` marks missing cells (replaced by item means, as seminr does):

    >>> import leanlearn as ll
    >>> data = ll.datasets.load("corp_rep")
    >>> res = ll.estimate(data, ll.datasets.model("corp_rep"), missing_value=-99)
    >>> res.path_coefficients.round(3)
      source target  estimate
    0   COMP   CUSA     0.162
    1   LIKE   CUSA     0.424
    2   COMP   CUSL     0.009
    3   LIKE   CUSL     0.342
    4   CUSA   CUSL     0.504
    >>> res.reliability.round(3).head(2)
      construct  cronbach_alpha  rho_c    ave  rho_a
    0      COMP           0.776  0.865  0.681  0.832
    1      LIKE           0.831  0.899  0.747  0.836
    """
    spec = parse_model(model) if isinstance(model, str) else model
    if settings is None:
        settings = Settings(
            scheme=scheme,
            interaction=interaction,
            consistent=consistent,
            tolerance=tolerance,
            max_iterations=max_iterations,
            missing=missing,
            missing_value=missing_value,
        )
    if on_nonconvergence not in ("warn", "error"):
        raise ValueError("on_nonconvergence must be 'warn' or 'error'")
    prepared = prepare_data(
        data, spec.items, missing_value=settings.missing_value, missing=settings.missing, source=source, weights=weights
    )
    plan = make_plan(spec, settings)
    fit = fit_batch(plan, prepared.X, _counts(prepared), keep_rows=True)
    lay = plan.final
    where = f"{source}: " if source else ""
    if fit.failed[0]:
        raise DataError(
            f"{where}the model cannot be estimated on these data: a block or a set of predictors is "
            "perfectly collinear (singular correlation matrix), or a construct's weights are undefined. "
            "Check for duplicated or linearly dependent items, or an item that is a sum of others."
        )
    if not fit.converged[0]:
        msg = (
            f"{where}PLS did not converge within {settings.max_iterations} iterations "
            f"(tolerance {settings.tolerance:g}); results may be unreliable"
        )
        if on_nonconvergence == "error":
            raise ConvergenceError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)

    names = lay.constructs
    P = fit.paths[0]
    path_rows = []
    for path in spec.paths:
        s, t = names.index(path.source), names.index(path.target)
        path_rows.append((path.source, path.target, P[s, t]))
    path_df = pd.DataFrame(path_rows, columns=["source", "target", "estimate"])
    n = prepared.X.shape[0]
    n_eff = n if prepared.weights is None else float(prepared.weights.sum())  # frequency weights: N = their sum
    r2_rows = []
    for j in lay.endogenous:
        k = int(lay.adjacency[:, j].sum())
        r2 = fit.r_squared[0, j]
        r2_rows.append((names[j], r2, 1 - (1 - r2) * (n_eff - 1) / (n_eff - k - 1)))
    r2_df = pd.DataFrame(r2_rows, columns=["construct", "r_squared", "r_squared_adj"])

    scores = np.matmul(fit.Z[0], fit.weights[0][:, None] * lay.onehot) * fit.scale[0][None, :]
    scores_df = pd.DataFrame(scores, columns=list(names), index=prepared.index)

    result = PLSResult(
        spec=spec,
        settings=settings,
        plan=plan,
        constructs=names,
        outer_weights=_indicator_frame(lay, fit.weights[0]),
        outer_loadings=_indicator_frame(lay, fit.loadings[0]),
        cross_loadings=pd.DataFrame(fit.cross_loadings[0], index=pd.Index(lay.columns, name="indicator"), columns=list(names)),
        path_coefficients=path_df,
        r_squared=r2_df,
        reliability=pd.DataFrame(),
        htmt=pd.DataFrame(),
        htmt2=pd.DataFrame(),
        fornell_larcker=pd.DataFrame(),
        construct_correlations=pd.DataFrame(fit.construct_corr[0], index=list(names), columns=list(names)),
        vif_items=pd.DataFrame(),
        vif_inner=pd.DataFrame(),
        f_squared=pd.DataFrame(),
        effects=pd.DataFrame(),
        indirect_effects=pd.DataFrame(),
        scores=scores_df,
        fit=pd.DataFrame(),
        iterations=int(fit.iterations[0]),
        converged=bool(fit.converged[0]),
        n=n,
        data_report=prepared.report,
        prepared=prepared,
        batch=fit,
    )
    if not assess:
        return result
    return replace(result, **_assess(result, data, source))


def _assess(res: PLSResult, data: pd.DataFrame, source: str | None) -> dict:
    """Measurement, validity, effects and fit tables of a fitted model."""
    from leanlearn.pls import fit as model_fit

    lay = res.plan.final
    fit = res.batch
    names = list(lay.constructs)
    R = fit.R[0]
    onehot = lay.onehot
    rel_rows, vif_rows = [], []
    ave_vals = np.zeros(lay.K)
    for k, name in enumerate(names):
        c = lay.cols(k)
        lam = fit.loadings[0, c]
        Rk = R[np.ix_(c, c)]
        a = float(mm.cronbach_alpha(Rk))
        rc, av = float(mm.rho_c(lam)), float(mm.ave(lam))
        ave_vals[k] = av
        rel_rows.append((name, a, rc, av, float(fit.rho_a[0, k])))
        vifs = mm.vif_from_correlation(Rk) if len(c) > 1 else np.ones(1)
        for i, v in zip(c, np.atleast_1d(vifs)):
            vif_rows.append((name, lay.columns[i], float(v)))
    reliability = pd.DataFrame(rel_rows, columns=["construct", "cronbach_alpha", "rho_c", "ave", "rho_a"])
    square = lambda M: pd.DataFrame(M, index=pd.Index(names), columns=names)  # noqa: E731
    ht = mm.htmt(R, onehot)
    ht2 = mm.htmt2(R, onehot)
    fl = mm.fornell_larcker(fit.construct_corr[0], ave_vals)

    C = fit.construct_corr[0]
    inner_rows = []
    for j in lay.endogenous:
        P = lay.preds(j)
        v = mm.vif_from_correlation(C[np.ix_(P, P)]) if len(P) > 1 else np.full(1, np.nan)
        for i, val in zip(P, np.atleast_1d(v)):
            inner_rows.append((names[i], names[j], float(val)))
    vif_inner = pd.DataFrame(inner_rows, columns=["source", "target", "vif"])

    r2 = dict(zip(res.r_squared.construct, res.r_squared.r_squared))
    f2 = _f_squared(res.spec, r2, res.prepared, res.settings)

    P = fit.paths[0]
    T = fx.total_effects(P)
    eff_rows = []
    for s in range(lay.K):
        for t in range(lay.K):
            if T[s, t] != 0 or P[s, t] != 0:
                eff_rows.append((names[s], names[t], P[s, t], T[s, t] - P[s, t], T[s, t]))
    effects = pd.DataFrame(eff_rows, columns=["source", "target", "direct", "indirect", "total"])
    ch = fx.chains(lay.adjacency)
    ind = fx.chain_effects(P, ch)
    indirect = pd.DataFrame(
        {
            "path": [c.label(names) for c in ch],
            "source": [names[c.source] for c in ch],
            "target": [names[c.target] for c in ch],
            "estimate": ind,
        }
    )
    fit_df = model_fit.fit_indices(R, fit.weights[0], fit.loadings[0], C, P, lay, consistent=res.settings.consistent, rho_a=fit.rho_a[0])
    return dict(
        reliability=reliability,
        htmt=square(ht),
        htmt2=square(ht2),
        fornell_larcker=square(fl),
        vif_items=pd.DataFrame(vif_rows, columns=["construct", "indicator", "vif"]),
        vif_inner=vif_inner,
        f_squared=f2,
        effects=effects,
        indirect_effects=indirect,
        fit=fit_df,
    )
