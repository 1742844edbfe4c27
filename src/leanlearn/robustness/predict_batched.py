r"""PLSpredict, part 4: every training fold of a plain plan at once, through the moment form.

A training fold is a 0/1 case-count row, as a bootstrap resample is a row of case counts,
so the folds of all repetitions are estimated by one batched call of
:func:`leanlearn.pls.moments.fit_resamples` (one matrix product of the counts with the
sample's case features, then the PLS iterations on the folds' small correlation matrices).
The same feature sums give every fold's item means :math:`\bar x_f`, SDs :math:`s_f`
(n − 1) and covariance matrix :math:`S_f`, from which the linear-model benchmark's OLS
slopes follow without touching the rows, :math:`\beta_f = S_{f,PP}^{-1} S_{f,PY}` (P the
predictors, Y the predicted indicators; the intercept is the training mean, as in OLS with
an intercept on centred predictors).

Each fold's hold-out cases are then predicted from those statistics
(:func:`leanlearn.robustness.predict_folds._predict_fold` on a
:class:`~leanlearn.robustness.predict_folds._FoldModel` built by :func:`fold_models`):
z-scores with the fold's training means and SDs, construct scores with its weights, the
structural prediction with its paths, indicators with its loadings. The training statistics
of interaction columns (means, SDs, orthogonalisation coefficients) come from arrays over
folds (:func:`generated_stats`, the procedure of
:func:`leanlearn.robustness.predict_folds._fold_model` vectorised over folds).

The numbers equal those of the row-by-row path (:func:`leanlearn.pls.engine.fit_batch` per
fold, :func:`numpy.linalg.lstsq` for the LM) to rounding (tests/test_predict_batched.py,
1e-10). A fold whose LM predictors are nearly collinear (condition number of their
correlation matrix above :data:`LM_CONDITION`, where normal equations lose digits) gets the
row path's least-squares fit instead. Plans without a moment form (higher-order models)
keep the row path (:func:`moment_path`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leanlearn.pls.engine import Plan
from leanlearn.pls.moments import CaseFeatures, fit_resamples, item_moments, moment_form, product_form
from leanlearn.robustness.predict_folds import _FoldModel, _lm_fit_predict

# LM predictors whose training correlation matrix has a larger condition number are fitted
# on the rows by least squares (normal equations would lose more than ~6 digits)
LM_CONDITION = 1e4


def moment_path(plan: Plan) -> bool:
    """True when the folds of ``plan`` are fitted in moment form (no higher-order constructs)."""
    return getattr(plan, "staged", None) is None and (moment_form(plan) or product_form(plan))


@dataclass
class FoldBatch:
    """The estimates and training statistics of a batch of B training folds.

    ``ok`` marks the folds that could be estimated; the other arrays hold those folds only,
    in the order of ``np.flatnonzero(ok)``.
    """

    ok: np.ndarray  # (B,) bool
    converged: np.ndarray  # (B_ok,)
    counts: np.ndarray  # (B_ok, n) 0/1
    N: np.ndarray  # (B_ok,)
    mean: np.ndarray  # (B_ok, p_items)
    sd: np.ndarray  # (B_ok, p_items)
    cov: np.ndarray  # (B_ok, p_items, p_items)
    weights: np.ndarray  # (B_ok, p)
    loadings: np.ndarray
    paths: np.ndarray  # (B_ok, K, K)
    scale: np.ndarray  # (B_ok, K)
    stage1_weights: np.ndarray | None  # (B_ok, p1)


def fit_fold_batch(plan: Plan, stage1_plan: Plan | None, X: np.ndarray, feats: CaseFeatures, counts: np.ndarray) -> FoldBatch:
    """Estimate the model (and the stage-1 model of a two-stage interaction) on training folds.

    A fold in which an item is constant fails up front, as in
    :func:`leanlearn.robustness.predict_folds._fit_folds`; the rest go to
    :func:`leanlearn.pls.moments.fit_resamples` in one call (one at a time should the
    batched linear algebra break on a degenerate fold).
    """
    N, m, S = item_moments(feats, feats.sums(counts))
    var = np.diagonal(S, axis1=1, axis2=2)
    ok = np.asarray((var > 1e-12 * feats.ref_var).all(axis=1), dtype=bool)
    idx = np.flatnonzero(ok)
    fits = _fit_moments(plan, stage1_plan, X, feats, counts, idx)
    good = np.array([f is not None for f in fits], dtype=bool)
    ok[idx[~good]] = False
    keep = idx[good]
    kept = [f for f in fits if f is not None]

    def stack(k: int) -> np.ndarray:
        return np.stack([f[k] for f in kept]) if kept else np.zeros((0,))

    sel = np.flatnonzero(good)
    return FoldBatch(
        ok=ok, converged=np.array([f[4] for f in kept], dtype=bool), counts=counts[keep], N=N[idx][sel],
        mean=m[idx][sel] + np.mean(X, axis=0), sd=np.sqrt(var[idx][sel]), cov=S[idx][sel],
        weights=stack(0), loadings=stack(1), paths=stack(2), scale=stack(3),
        stage1_weights=stack(5) if stage1_plan is not None and kept else None,
    )  # fmt: skip


def _fit_moments(plan: Plan, stage1_plan: Plan | None, X: np.ndarray, feats: CaseFeatures, counts: np.ndarray, idx: np.ndarray) -> list:
    """(weights, loadings, paths, scale, converged, stage-1 weights) of the folds ``idx``; None where a fold failed."""
    out: list = [None] * idx.size
    if idx.size == 0:
        return out

    def run(pos: np.ndarray) -> None:
        c = counts[idx[pos]]
        fit = fit_resamples(plan, X, c, feats)
        fit1 = fit_resamples(stage1_plan, X, c, feats) if stage1_plan is not None else None
        for b, i in enumerate(pos):
            if fit.failed[b] or (fit1 is not None and fit1.failed[b]):
                continue
            w1 = fit1.weights[b] if fit1 is not None else None
            out[i] = (fit.weights[b], fit.loadings[b], fit.paths[b], fit.scale[b], bool(fit.converged[b]), w1)

    try:
        run(np.arange(idx.size))
    except np.linalg.LinAlgError:
        for i in range(idx.size):
            try:
                run(np.array([i]))
            except np.linalg.LinAlgError:
                out[i] = None
    return out


def generated_stats(plan: Plan, fb: FoldBatch, X0: np.ndarray, shift: np.ndarray) -> list[dict]:
    """Each fold's training statistics of the interaction columns, as :class:`~leanlearn.robustness.predict_folds._FoldModel` keeps them.

    ``X0`` are the items centred at ``shift`` (the sample means), so that the fold means minus
    ``shift`` are small and no digits are lost. The raw columns of every case are built per
    fold (B, n, q): two-stage products of the stage-1 scores (from the fold's stage-1
    weights, means and SDs) or products of the z-scored items; an orthogonalised product is
    centred at its training mean and regressed by OLS on the regressors' z-scored items over
    the training cases. Returns, per fold, ``gen_center``, ``gen_beta`` ({regressors:
    (members, slopes)}), ``gen_mean`` and ``gen_sd`` (n − 1) over the training cases.
    """
    c, N = fb.counts, fb.N
    mean0 = fb.mean - shift

    def z(cols) -> np.ndarray:  # z-scores (B, n, len(cols)) of item columns with each fold's statistics
        return (X0[None, :, cols] - mean0[:, None, cols]) / fb.sd[:, None, cols]

    scores1 = None
    if plan.stage1 is not None:
        l1 = plan.stage1
        assert fb.stage1_weights is not None
        # Z W = X0 (W / s) - (m0 / s) W without forming the (B, n, p) z-scores
        coef = fb.stage1_weights[:, :, None] * l1.onehot / fb.sd[:, l1.sources, None]
        scores1 = np.matmul(X0[:, l1.sources], coef) - np.einsum("bp,bpk->bk", mean0[:, l1.sources], coef)[:, None, :]
    cols = []
    for g in plan.generated:
        if g.kind == "two_stage":
            assert scores1 is not None
            cols.append(scores1[:, :, g.a] * scores1[:, :, g.b])
        else:
            cols.append(z([g.a, g.b]).prod(axis=2))
    G = np.stack(cols, axis=2)
    B, q = G.shape[0], G.shape[2]
    center = np.zeros((B, q))
    betas: dict[tuple[int, ...], tuple[list[int], np.ndarray]] = {}
    orth = [i for i, g in enumerate(plan.generated) if g.kind == "orthogonal"]
    if orth:
        center = np.einsum("bn,bnq->bq", c, G) / N[:, None]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in orth:
            groups.setdefault(plan.generated[i].regressors, []).append(i)
        for regs, members in groups.items():
            Xr = z(list(regs))
            Yc = G[:, :, members] - center[:, None, members]
            Xw = (Xr * c[:, :, None]).transpose(0, 2, 1)
            beta = np.linalg.solve(np.matmul(Xw, Xr), np.matmul(Xw, Yc))
            G[:, :, members] = Yc - np.matmul(Xr, beta)
            betas[regs] = (members, beta)
    gmean = np.einsum("bn,bnq->bq", c, G) / N[:, None]
    D = G - gmean[:, None, :]
    gsd = np.sqrt(np.einsum("bn,bnq->bq", c, D * D) / (N - 1)[:, None])
    return [
        {
            "gen_center": center[b], "gen_beta": {r: (m, beta[b]) for r, (m, beta) in betas.items()} or None,
            "gen_mean": gmean[b], "gen_sd": gsd[b],
        }  # fmt: skip
        for b in range(B)
    ]


def fold_models(plan: Plan, fb: FoldBatch, X0: np.ndarray, shift: np.ndarray) -> list[_FoldModel]:
    """What every fold of the batch fixes for predicting its test cases (:class:`_FoldModel`)."""
    gen = generated_stats(plan, fb, X0, shift) if plan.generated else [{}] * fb.N.size
    w1 = fb.stage1_weights
    return [
        _FoldModel(fb.mean[b], fb.sd[b], fb.weights[b], fb.loadings[b], fb.paths[b], fb.scale[b], None if w1 is None else w1[b], **gen[b])
        for b in range(fb.N.size)
    ]


def lm_slopes(fb: FoldBatch, preds: np.ndarray, ycols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS slopes (B, |P|, |Y|) of the LM benchmark from the folds' training covariances, and a
    (B,) flag of the folds whose predictors are too collinear for the normal equations
    (:data:`LM_CONDITION`; those need :func:`lm_rows`)."""
    B = fb.cov.shape[0]
    if not preds.size:
        return np.zeros((B, 0, ycols.size)), np.zeros(B, dtype=bool)
    P = preds
    A = fb.cov[:, P[:, None], P]
    sdp = fb.sd[:, P]
    cond = np.linalg.cond(A / (sdp[:, :, None] * sdp[:, None, :]))
    rows = ~(cond < LM_CONDITION)
    Asafe = np.where(rows[:, None, None], np.eye(P.size), A)
    return np.linalg.solve(Asafe, fb.cov[:, P[:, None], ycols]), rows


def lm_predict(fb: FoldBatch, b: int, X: np.ndarray, test: np.ndarray, preds: np.ndarray, ycols: np.ndarray, slopes: tuple) -> np.ndarray:
    """LM predictions of fold ``b`` for its test cases: training mean + centred predictors × slopes."""
    beta, rows = slopes
    if rows[b]:
        train = fb.counts[b] > 0
        return _lm_fit_predict(X[np.ix_(train, preds)], X[np.ix_(train, ycols)], X[np.ix_(test, preds)])
    mu = fb.mean[b]
    return mu[ycols] + (X[np.ix_(test, preds)] - mu[preds]) @ beta[b]
