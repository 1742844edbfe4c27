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

The module is the public face of four parts, each re-exported here (import from
``leanlearn.pls.engine``): :mod:`~leanlearn.pls.plan` (:class:`Settings`, the layout and
:func:`make_plan`), :mod:`~leanlearn.pls.iteration` (batched linear algebra and the PLS
iterations), :mod:`~leanlearn.pls.batch` (one batch of data sets: correlations, two-stage
products, final estimates, :func:`fit_batch`) and :mod:`~leanlearn.pls.result`
(:class:`PLSResult`). This module holds :func:`estimate` (the sample fit with f² and the
assessment tables).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.errors import ConvergenceError, ConvergenceWarning, DataError
from leanlearn.pls import metrics as mm
from leanlearn.pls.batch import (  # noqa: F401  (re-exported)
    BatchFit,
    _generated_columns,
    _impute_means,
    batch_correlations,
    final_block,
    fit_batch,
    fit_correlations,
    fit_counts,
    moment_correlations,
    with_product_columns,
)
from leanlearn.pls.iteration import (  # noqa: F401  (re-exported)
    ITERATION_BATCH,
    SMALL_SOLVE,
    Stage1,
    _degenerate,
    _ill_conditioned,
    _inner_plan,
    _inverse,
    _iterate,
    _iterate_rows,
    _segments,
    _small_spd_solve,
    _solve,
    _weighted_corr,
    _weighted_standardize,
)
from leanlearn.pls.plan import INTERACTION_METHODS, SCHEMES, Generated, Layout, Plan, Settings, _layout, make_plan  # noqa: F401  (re-exported)
from leanlearn.pls.prepare import PreparedData, prepare_data
from leanlearn.pls.result import PLSResult, _indicator_frame  # noqa: F401  (re-exported)
from leanlearn.spec.model import ModelSpec, parse_model

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


# ---- the user-facing estimate() -----------------------------------------------------------


def _f_squared(spec: ModelSpec, result_r2: dict, prepared: PreparedData, settings: Settings) -> pd.DataFrame:
    r"""f² of every path by re-estimating the model without it (as seminr does).

    .. math:: f^2 = \frac{R^2_{incl} - R^2_{excl}}{1 - R^2_{incl}}

    The reduced model is re-estimated in full (weights included) on the same prepared
    data. For a main effect X -> Y that also enters an interaction X:W -> Y, removing it
    leaves a model with the interaction but not its main effect, so f² is not defined
    there (NaN; seminr reports NA as well). Checked against seminr 2.3.1 on corp_rep and
    mobi at 1e-6.

    Reduced models that correlate the same indicator columns, none of them generated (every
    reduced model of a model without interaction terms), share one computation of the
    correlation matrix (:func:`_shared_correlations`); each is then fitted from it.
    """
    rows = []
    inter_terms = {i.name: i.terms for i in spec.interactions}
    pos = {it: j for j, it in enumerate(prepared.items)}
    shared: dict = {}
    for path in spec.paths:
        tgt_inters = [n for n in spec.predecessors(path.target) if n in inter_terms]
        if any(path.source in inter_terms[n] for n in tgt_inters):
            rows.append((path.source, path.target, np.nan))
            continue
        reduced = spec.without_path(path.source, path.target)
        plan = make_plan(reduced, settings)
        X = prepared.X[:, [pos[i] for i in plan.items]]
        if plan.staged is None and not plan.generated:
            R, col_sd, bad = _shared_correlations(shared, plan, X, _counts(prepared))
            fit = fit_correlations(plan, R.copy(), col_sd, bad.copy())
        else:
            fit = fit_batch(plan, X, _counts(prepared))
        names = plan.final.constructs
        r2_excl = float(fit.r_squared[0, names.index(path.target)]) if path.target in names else 0.0
        if not np.isfinite(r2_excl):
            r2_excl = 0.0  # the target lost all its predictors
        r2_incl = result_r2[path.target]
        rows.append((path.source, path.target, (r2_incl - r2_excl) / (1 - r2_incl)))
    return pd.DataFrame(rows, columns=["source", "target", "f_squared"])


def _shared_correlations(cache: dict, plan: Plan, X: np.ndarray, counts: np.ndarray | None):
    """(R, column_sd, bad) of :func:`batch_correlations` for ``plan`` (no generated columns) on the
    item columns ``X``, computed once per set of indicator columns: what :func:`fit_batch` would
    compute for each reduced model, from the same input."""
    key = (tuple(plan.items), plan.final.sources.tobytes())
    if key not in cache:
        R, col_sd, _, bad, _ = batch_correlations(plan, X, np.ones((1, X.shape[0])) if counts is None else counts)
        cache[key] = (R, col_sd, bad)
    return cache[key]


def _counts(prepared: PreparedData) -> np.ndarray | None:
    """The case-count row of the sample: the case weights (1, n), or None (all ones)."""
    return None if prepared.weights is None else prepared.weights[None, :]


def _check_sample_fit(fit: BatchFit, settings: Settings, source: str | None, on_nonconvergence: str) -> None:
    """Step of :func:`estimate`: raise on a failed sample fit; warn or raise on non-convergence."""
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
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)  # the caller of estimate()


def _path_table(spec: ModelSpec, lay: Layout, fit: BatchFit) -> pd.DataFrame:
    """Step of :func:`estimate`: the path coefficients of the sample, in the model's path order."""
    names = lay.constructs
    P = fit.paths[0]
    path_rows = []
    for path in spec.paths:
        s, t = names.index(path.source), names.index(path.target)
        path_rows.append((path.source, path.target, P[s, t]))
    return pd.DataFrame(path_rows, columns=["source", "target", "estimate"])


def _r_squared_table(lay: Layout, fit: BatchFit, prepared: PreparedData) -> pd.DataFrame:
    """Step of :func:`estimate`: R² and adjusted R² of every endogenous construct."""
    names = lay.constructs
    n = prepared.X.shape[0]
    n_eff = n if prepared.weights is None else float(prepared.weights.sum())  # frequency weights: N = their sum
    r2_rows = []
    for j in lay.endogenous:
        k = int(lay.adjacency[:, j].sum())
        r2 = fit.r_squared[0, j]
        r2_rows.append((names[j], r2, 1 - (1 - r2) * (n_eff - 1) / (n_eff - k - 1)))
    return pd.DataFrame(r2_rows, columns=["construct", "r_squared", "r_squared_adj"])


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
    _check_sample_fit(fit, settings, source, on_nonconvergence)
    names = lay.constructs
    n = prepared.X.shape[0]
    path_df = _path_table(spec, lay, fit)
    r2_df = _r_squared_table(lay, fit, prepared)
    assert fit.Z is not None  # the sample's fit keeps its z-scored columns (keep_rows)
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
    assert fit.rho_a is not None  # the sample's fit computes rho_A
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
