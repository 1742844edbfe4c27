"""PLSpredict, part 5: the predicted columns, the LM predictors and the run over the training folds.

:func:`targets` lists the predicted indicator columns (for a higher-order model the items
behind every stage-2 column), :func:`lm_groups` the LM benchmark's predictors of each
endogenous construct, and :class:`Sums` adds up every fold's predictions of its test
cases. Two runners fill it: :func:`run_moments` (every fold of a plain plan in batched
moment form, :mod:`leanlearn.robustness.predict_batched`) and :func:`run_rows` (the
row-by-row fit of each batch of folds, kept for higher-order models). Both visit the folds
in the same order, repetition by repetition, so the sums are added in the same order.
Used by :func:`leanlearn.robustness.predict.pls_predict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from leanlearn.pls.engine import Plan
from leanlearn.pls.moments import case_features
from leanlearn.robustness.predict_batched import fit_fold_batch, fold_models, lm_predict, lm_slopes
from leanlearn.robustness.predict_folds import _fit_folds, _fit_folds_hoc, _fold_model, _lm_fit_predict, _predict_fold
from leanlearn.robustness.predict_result import _BATCH_ELEMENTS
from leanlearn.spec.model import ModelSpec


@dataclass
class Targets:
    """The predicted columns: final-layout column, item index, stage-1 loading position (-1: none), indicator name."""

    cols: np.ndarray
    items: np.ndarray
    load1: np.ndarray
    indicator: list[str]


def targets(lay: Any, items: Sequence[str], staged: Any) -> Targets:
    """The endogenous constructs' indicator columns; for a staged (higher-order) model the items behind them."""
    endo = list(lay.endogenous)
    cols = np.flatnonzero(np.isin(lay.block, endo))
    out = Targets(cols, lay.sources[cols], np.full(len(cols), -1), [lay.columns[c] for c in cols])
    if staged is None:
        return out
    item_pos = {it: j for j, it in enumerate(items)}
    lay1 = staged.first.final
    locs = list(staged.locs)
    tc: list[int] = []
    ti: list[int] = []
    tl: list[int] = []
    tn: list[str] = []
    for c in cols:
        j = int(staged.final_columns[lay.sources[c]])
        if j >= 0:
            tc.append(int(c))
            ti.append(j)
            tl.append(-1)
            tn.append(lay.columns[c])
            continue
        k1 = int(staged.loc_index[-1 - j])
        assert lay1.constructs[k1] == locs[-1 - j]
        for q in np.flatnonzero(lay1.block == k1):
            tc.append(int(c))
            ti.append(item_pos[lay1.columns[q]])
            tl.append(int(q))
            tn.append(lay1.columns[q])
    return Targets(np.array(tc), np.array(ti), np.array(tl), tn)


def lm_groups(spec: ModelSpec, lay: Any, items: Sequence[str], benchmark: str, target_cols: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(predictor items, positions among the predicted columns) of every endogenous construct's LM benchmark."""
    item_pos = {it: j for j, it in enumerate(items)}
    inter = {i.name for i in spec.interactions}
    lower = set(spec.lower_order) if spec.higher_order else set()  # LOCs count through their HOC, never on their own
    exo_names = [c for c in spec.exogenous if c not in inter and c not in lower]

    def items_of(constructs: Sequence[str]) -> list[int]:
        seen: dict[int, None] = {}
        for c in constructs:
            if c in inter:
                continue
            todo = list(spec.construct(c).indicators)
            while todo:  # a HOC's indicators are constructs: their items
                it = todo.pop(0)
                if it in item_pos:
                    seen.setdefault(item_pos[it], None)
                else:
                    todo[:0] = list(spec.construct(it).indicators)
        return list(seen)

    names = lay.constructs
    groups = []
    for k in lay.endogenous:
        if benchmark == "exogenous":
            preds = items_of(exo_names)
        elif benchmark == "antecedents":
            preds = items_of(list(spec.predecessors(names[k])))
        else:
            preds = items_of([c.name for c in spec.constructs if c.name != names[k] and c.name not in lower])
        groups.append((np.asarray(preds, dtype=int), np.flatnonzero(lay.block[target_cols] == k)))
    return groups


@dataclass
class Sums:
    """Per-case sums over the folds that predicted each case (averaged by :meth:`means`)."""

    pls: np.ndarray  # (n, m) predicted indicators
    lm: np.ndarray  # (n, m)
    mean: np.ndarray  # (n, m) training means
    score: np.ndarray  # (n, K_endo) predicted construct scores
    score_mean: np.ndarray  # (n, K_endo) training means of the full-sample scores
    count: np.ndarray  # (n,)
    failed: int = 0
    nonconverged: int = 0

    @classmethod
    def zeros(cls, n: int, m: int, k: int) -> "Sums":
        return cls(np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, k)), np.zeros((n, k)), np.zeros(n))

    def means(self) -> tuple[np.ndarray, ...]:
        """(pls, lm, mean, score, score_mean) averaged over the folds that predicted each case (NaN: none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(self.count > 0, 1.0 / self.count, np.nan)[:, None]
        return self.pls * inv, self.lm * inv, self.mean * inv, self.score * inv, self.score_mean * inv


@dataclass
class Job:
    """What every runner needs: the plans, the items, the folds and what is predicted."""

    plan: Plan
    stage1_plan: Plan | None
    staged: Any
    X: np.ndarray
    assign: np.ndarray  # (repetitions, n) fold of every case
    folds: int
    technique: str
    targets: Targets
    lm_groups: list[tuple[np.ndarray, np.ndarray]]  # (predictor items, positions among the predicted columns)
    actual_scores: np.ndarray  # (n, K_endo) full-sample scores of the endogenous constructs

    @property
    def endo(self) -> list[int]:
        return list(self.plan.final.endogenous)

    def blocks(self, width: int) -> list[list[tuple[int, int]]]:
        """The (repetition, fold) pairs in order, in chunks whose (B, n, width) arrays stay within :data:`_BATCH_ELEMENTS`."""
        pairs = [(r, f) for r in range(self.assign.shape[0]) for f in range(self.folds)]
        chunk = max(1, _BATCH_ELEMENTS // max(1, self.X.shape[0] * width))
        return [pairs[a : a + chunk] for a in range(0, len(pairs), chunk)]

    def counts(self, block: list[tuple[int, int]]) -> np.ndarray:
        return np.stack([(self.assign[r] != f).astype(float) for r, f in block])


def run_moments(job: Job) -> Sums:
    """Every training fold in batched moment form; each fold's test cases predicted from its statistics."""
    X, t, endo = job.X, job.targets, job.endo
    sums = Sums.zeros(X.shape[0], len(t.cols), len(endo))
    feats = case_features(X)
    shift = X.mean(axis=0)  # feats.X0 = X - shift
    width = len(job.plan.final.columns) + X.shape[1]
    for block in job.blocks(width):
        counts = job.counts(block)
        fb = fit_fold_batch(job.plan, job.stage1_plan, X, feats, counts)
        sums.failed += int((~fb.ok).sum())
        sums.nonconverged += int((~fb.converged).sum())
        if not fb.ok.any():
            continue
        models = fold_models(job.plan, fb, feats.X0, shift)
        slopes = [lm_slopes(fb, preds, t.items[where]) for preds, where in job.lm_groups]
        train_scores = np.matmul(fb.counts, job.actual_scores) / fb.N[:, None]
        for b, pos in enumerate(np.flatnonzero(fb.ok)):
            test = np.flatnonzero(counts[pos] == 0)
            fm = models[b]
            pred_scores, pred_z = _predict_fold(job.plan, fm, X[test], job.technique)
            mu, sd = fm.mean[t.items], fm.sd[t.items]
            sums.pls[test] += mu + sd * pred_z[:, t.cols]
            sums.mean[test] += mu
            for (preds, where), sl in zip(job.lm_groups, slopes):
                sums.lm[np.ix_(test, where)] += lm_predict(fb, b, X, test, preds, t.items[where], sl)
            sums.score[test] += pred_scores[:, endo]
            sums.score_mean[test] += train_scores[b]
            sums.count[test] += 1
    return sums


def run_rows(job: Job) -> Sums:
    """Every batch of training folds fitted on its rows (:func:`leanlearn.pls.engine.fit_batch`), one fold predicted at a time."""
    X, t, endo, plan, staged = job.X, job.targets, job.endo, job.plan, job.staged
    sums = Sums.zeros(X.shape[0], len(t.cols), len(endo))
    for block in job.blocks(plan.final.p):
        counts = job.counts(block)
        if staged is None:
            fits = _fit_folds(plan, job.stage1_plan, X, counts)
        else:
            fits, X2s = _fit_folds_hoc(staged, job.stage1_plan, X, counts)
        for b, ((r, f), fold) in enumerate(zip(block, fits)):
            if fold is None:
                sums.failed += 1
                continue
            sums.nonconverged += not fold["converged"]
            test = np.flatnonzero(job.assign[r] == f)
            train = np.flatnonzero(job.assign[r] != f)
            Xf = X if staged is None else X2s[b]  # the final stage's columns of this fold
            fm = _fold_model(plan, Xf[train], fold["weights"], fold["loadings"], fold["paths"], fold["scale"], fold["stage1_weights"])
            pred_scores, pred_z = _predict_fold(plan, fm, Xf[test], job.technique)
            if staged is None:
                mu, sd = fm.mean[t.items], fm.sd[t.items]
                sums.pls[test] += mu + sd * pred_z[:, t.cols]
            else:  # items of a LOC: the predicted standardised LOC score times the item's stage-1 loading
                mu, sd = X[train].mean(axis=0)[t.items], X[train].std(axis=0, ddof=1)[t.items]
                lam = np.where(t.load1 >= 0, fold["loadings1"][np.maximum(t.load1, 0)], 1.0)
                sums.pls[test] += mu + sd * lam * pred_z[:, t.cols]
            sums.mean[test] += mu
            for preds, where in job.lm_groups:
                ycols = t.items[where]
                sums.lm[np.ix_(test, where)] += _lm_fit_predict(X[np.ix_(train, preds)], X[np.ix_(train, ycols)], X[np.ix_(test, preds)])
            sums.score[test] += pred_scores[:, endo]
            sums.score_mean[test] += job.actual_scores[train].mean(axis=0)
            sums.count[test] += 1
    return sums
