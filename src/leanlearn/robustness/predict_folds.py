"""PLSpredict, part 3: one training fold.

The model fitted on a training fold (:class:`_FoldModel`), the interaction columns rebuilt
for the test cases from it, the fold's predictions, the batched fold fits (also for
higher-order models) and the linear-model benchmark. Re-exported by
:mod:`leanlearn.robustness.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leanlearn.pls.engine import Plan, fit_batch
from leanlearn.robustness.predict_metrics import _predict_scores


# ---- one training fold ----------------------------------------------------------------------
@dataclass
class _FoldModel:
    """What a training fold fixes for predicting new cases."""

    mean: np.ndarray  # (p_items,) training means of the items
    sd: np.ndarray  # (p_items,) training SDs (n - 1)
    weights: np.ndarray  # (p,) outer weights of the final layout
    loadings: np.ndarray  # (p,)
    paths: np.ndarray  # (K, K)
    scale: np.ndarray  # (K,) interaction score rescaling (1 otherwise)
    stage1_weights: np.ndarray | None = None
    gen_center: np.ndarray | None = None  # (q,) training means of the raw generated columns
    gen_beta: dict | None = None  # orthogonal: regressors -> (len(regs), len(members)) betas
    gen_mean: np.ndarray | None = None  # (q,) training mean of the generated columns
    gen_sd: np.ndarray | None = None  # (q,)


def _generated(plan: Plan, fm: _FoldModel, Zi: np.ndarray) -> np.ndarray:
    """Generated interaction columns for rows already z-scored with the training statistics.

    Mirrors the engine's construction (two-stage products of stage-1 scores; products of
    z-scored items; orthogonalised products), with every coefficient taken from the
    training fold, then z-scores them with the training means and SDs.
    """
    scores1 = None
    if plan.stage1 is not None:
        l1 = plan.stage1
        assert fm.stage1_weights is not None  # a two-stage interaction's fold model carries them
        scores1 = Zi[:, l1.sources] @ (fm.stage1_weights[:, None] * l1.onehot)
    cols = []
    for g in plan.generated:
        if g.kind == "two_stage":
            assert scores1 is not None
            cols.append(scores1[:, g.a] * scores1[:, g.b])
        else:
            cols.append(Zi[:, g.a] * Zi[:, g.b])
    G = np.stack(cols, axis=1)
    if fm.gen_beta:
        assert fm.gen_center is not None
        for regs, (members, beta) in fm.gen_beta.items():
            G[:, members] = (G[:, members] - fm.gen_center[members]) - Zi[:, list(regs)] @ beta
    return G


def _columns(plan: Plan, fm: _FoldModel, X: np.ndarray) -> np.ndarray:
    """The final layout's indicator columns for rows X (m, p_items), z-scored with training statistics."""
    with np.errstate(invalid="ignore", divide="ignore"):
        Zi = (X - fm.mean) / fm.sd
        if plan.generated:
            Gz = (_generated(plan, fm, Zi) - fm.gen_mean) / fm.gen_sd
            Zi = np.concatenate([Zi, Gz], axis=1)
    return Zi[:, plan.final.sources]


def _fold_model(plan: Plan, Xtrain: np.ndarray, weights, loadings, paths, scale, stage1_weights) -> _FoldModel:
    mean = Xtrain.mean(axis=0)
    sd = Xtrain.std(axis=0, ddof=1)
    fm = _FoldModel(mean, sd, weights, loadings, paths, scale, stage1_weights)
    if plan.generated:
        with np.errstate(invalid="ignore", divide="ignore"):
            Zi = (Xtrain - mean) / sd
            fm.gen_center = np.zeros(len(plan.generated))
            G = _generated(plan, fm, Zi)
            orth = [i for i, g in enumerate(plan.generated) if g.kind == "orthogonal"]
            if orth:
                fm.gen_center = G.mean(axis=0)
                groups: dict[tuple[int, ...], list[int]] = {}
                for i in orth:
                    groups.setdefault(plan.generated[i].regressors, []).append(i)
                fm.gen_beta = {}
                for regs, members in groups.items():
                    Xr = Zi[:, list(regs)]
                    Yc = G[:, members] - fm.gen_center[members]
                    fm.gen_beta[regs] = (members, np.linalg.lstsq(Xr, Yc, rcond=None)[0])
                G = _generated(plan, fm, Zi)
            fm.gen_mean = G.mean(axis=0)
            fm.gen_sd = G.std(axis=0, ddof=1)
    return fm


def _predict_fold(plan: Plan, fm: _FoldModel, X: np.ndarray, technique: str):
    """Predicted construct scores (m, K) and standardised indicator predictions (m, p)."""
    lay = plan.final
    Z = _columns(plan, fm, X)
    scores = (Z @ (fm.weights[:, None] * lay.onehot)) * fm.scale
    pred = _predict_scores(scores, fm.paths, lay.adjacency, technique)
    return pred, pred[:, lay.block] * fm.loadings


def _fit_folds(plan: Plan, stage1_plan: Plan | None, X: np.ndarray, counts: np.ndarray) -> list[dict | None]:
    """Estimate the model on a batch of training folds (0/1 case counts); None for a failed fold.

    Folds in which an item is constant are failed up front. The remaining folds go to
    :func:`leanlearn.pls.engine.fit_batch` in one call; should the batched linear algebra still
    break on one degenerate fold (``LinAlgError``), the folds are refitted one at a time
    so that only the offending fold fails.
    """
    N = counts.sum(axis=1)
    mean = counts @ X / N[:, None]
    var = (counts @ (X * X) - N[:, None] * mean * mean) / (N - 1)[:, None]
    ok = (var > 1e-12 * X.var(axis=0, ddof=1)).all(axis=1)
    out: list[dict | None] = [None] * len(counts)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out

    def run(rows: np.ndarray) -> None:
        fit = fit_batch(plan, X, counts[rows])
        fit1 = fit_batch(stage1_plan, X, counts[rows]) if stage1_plan is not None else None
        for b, i in enumerate(rows):
            if fit.failed[b] or (fit1 is not None and fit1.failed[b]):
                continue
            out[i] = {
                "weights": fit.weights[b],
                "loadings": fit.loadings[b],
                "paths": fit.paths[b],
                "scale": fit.scale[b],
                "converged": bool(fit.converged[b]),
                "stage1_weights": fit1.weights[b] if fit1 is not None else None,
            }

    try:
        run(idx)
    except np.linalg.LinAlgError:
        for i in idx:
            try:
                run(np.array([i]))
            except np.linalg.LinAlgError:
                out[i] = None
    return out


def _fit_folds_hoc(staged, stage1_plan: Plan | None, X: np.ndarray, counts: np.ndarray) -> tuple[list[dict | None], np.ndarray]:
    """Both stages of a two-stage HOC model on a batch of training folds: the fold fits (as
    :func:`_fit_folds`, plus the stage-1 loadings ``loadings1``) and each fold's stage-2
    columns (B, n, p2), the test cases' LOC scores formed with that fold's stage 1."""
    N = counts.sum(axis=1)
    mean = counts @ X / N[:, None]
    var = (counts @ (X * X) - N[:, None] * mean * mean) / (N - 1)[:, None]
    ok = (var > 1e-12 * X.var(axis=0, ddof=1)).all(axis=1)
    out: list[dict | None] = [None] * len(counts)
    X2s = np.zeros((len(counts), X.shape[0], len(staged.final_columns)))
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out, X2s
    try:
        fit1, X2, fit = staged.fit_stages(X, counts[idx])
    except np.linalg.LinAlgError:
        return out, X2s
    fits1 = fit_batch(stage1_plan, X2, counts[idx]) if stage1_plan is not None else None
    for b, i in enumerate(idx):
        X2s[i] = X2[b]
        if fit.failed[b] or (fits1 is not None and fits1.failed[b]):
            continue
        out[i] = {
            "weights": fit.weights[b], "loadings": fit.loadings[b], "paths": fit.paths[b], "scale": fit.scale[b],
            "converged": bool(fit.converged[b]), "stage1_weights": fits1.weights[b] if fits1 is not None else None,
            "loadings1": fit1.loadings[b],
        }  # fmt: skip
    return out, X2s


def _lm_fit_predict(Xtrain: np.ndarray, Ytrain: np.ndarray, Xtest: np.ndarray) -> np.ndarray:
    """OLS with intercept on the training cases; predictions for the test cases."""
    center = Xtrain.mean(axis=0)
    D = np.column_stack([np.ones(len(Xtrain)), Xtrain - center])
    beta = np.linalg.lstsq(D, Ytrain, rcond=None)[0]
    return np.column_stack([np.ones(len(Xtest)), Xtest - center]) @ beta
