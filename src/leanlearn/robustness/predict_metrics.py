"""PLSpredict, part 2: small pure pieces.

Fold assignments, Q²predict, the predictive-power verdict and its table, RMSE/MAE, the causal
order of the constructs and the score predictions of a technique (direct or earliest
antecedents). Re-exported by :mod:`leanlearn.robustness.predict`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.robustness.predict_result import METRICS


# ---- small pure pieces ----------------------------------------------------------------------
def fold_assignments(n: int, folds: int, repetitions: int, seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """Fold of every case in every repetition, shape (repetitions, n), 0-based.

    Each repetition draws a permutation of the cases and cuts the permuted positions into
    ``folds`` contiguous blocks as R's ``cut(seq_len(n), breaks = folds)`` does (1-based
    position i goes to fold max(1, ⌈(i − 1)·k / (n − 1)⌉)), so block sizes differ by at
    most one. The permutations come from one ``numpy.random.Generator`` (PCG64) seeded
    with ``seed``; the first repetition therefore reproduces seminr-port's
    ``predict_pls(seed=...)`` folds.
    """
    if n < 2:
        raise DataError("cross-validation needs at least 2 cases")
    rng = np.random.Generator(np.random.PCG64(seed))
    pos = np.arange(n)
    block = np.maximum(1, -(-(pos * folds) // (n - 1))) - 1
    out = np.empty((repetitions, n), dtype=int)
    for r in range(repetitions):
        perm = rng.permutation(n)
        out[r, perm] = block
    return out


def q2_predict(actual: np.ndarray, predicted: np.ndarray, train_mean: np.ndarray) -> np.ndarray:
    r"""Q²_predict of every column: :math:`1 - \sum (y - \hat y)^2 / \sum (y - \bar y_{train})^2`.

    ``train_mean`` holds, for every case, the mean of the training fold that predicted it
    (Shmueli et al. 2019; SmartPLS). Columns are indicators; rows with a missing
    prediction are skipped.
    """
    y = np.asarray(actual, dtype=float)
    e = y - np.asarray(predicted, dtype=float)
    e0 = y - np.asarray(train_mean, dtype=float)
    ok = np.isfinite(e) & np.isfinite(e0)
    sse = np.where(ok, e * e, 0.0).sum(axis=0)
    sso = np.where(ok, e0 * e0, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - sse / sso


def verdict(n_indicators: int, n_better: int) -> str:
    """Predictive power of a construct (Shmueli et al. 2019, p. 2336).

    ``n_better`` counts the indicators with Q²_predict > 0 whose PLS error (RMSE, or MAE)
    is below the LM benchmark's. None → "no predictive power"; fewer than half → "low";
    half or more (the majority "or the same number") → "medium"; all → "high".
    """
    if n_indicators < 1 or not 0 <= n_better <= n_indicators:
        raise ValueError(f"need 0 <= n_better <= n_indicators and n_indicators >= 1, got {n_better}, {n_indicators}")
    if n_better == 0:
        return "no predictive power"
    if n_better == n_indicators:
        return "high"
    return "medium" if 2 * n_better >= n_indicators else "low"


def predictive_power(items: pd.DataFrame, *, metric: str = "rmse") -> pd.DataFrame:
    """Per-construct PLSpredict verdict from an indicator table.

    Parameters
    ----------
    items : DataFrame
        Columns construct, indicator, rmse_pls, mae_pls, rmse_lm, mae_lm, q2_predict (as
        :attr:`PredictResult.items`).
    metric : {"rmse", "mae"}
        Error compared with the LM benchmark for the verdict.

    Returns
    -------
    DataFrame
        construct, n_indicators, n_q2_positive, n_pls_better_rmse, n_pls_better_mae,
        verdict. The two counts include only indicators with Q²_predict > 0 (an
        indicator that does not beat the training mean cannot show predictive power);
        the verdict applies :func:`verdict` to the count of ``metric``.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
    rows = []
    for construct, t in items.groupby("construct", sort=False):
        pos = t.q2_predict > 0
        better_rmse = int((pos & (t.rmse_pls < t.rmse_lm)).sum())
        better_mae = int((pos & (t.mae_pls < t.mae_lm)).sum())
        n_ind = len(t)
        chosen = better_rmse if metric == "rmse" else better_mae
        rows.append((construct, n_ind, int(pos.sum()), better_rmse, better_mae, verdict(n_ind, chosen)))
    return pd.DataFrame(
        rows, columns=["construct", "n_indicators", "n_q2_positive", "n_pls_better_rmse", "n_pls_better_mae", "verdict"]
    )


def _rmse_mae(err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.sqrt(np.nanmean(err * err, axis=0)), np.nanmean(np.abs(err), axis=0)


def _causal_order(adjacency: np.ndarray) -> list[int]:
    """Endogenous constructs in an order where every antecedent comes first."""
    K = adjacency.shape[0]
    done = {k for k in range(K) if not adjacency[:, k].any()}
    order: list[int] = []
    pending = [k for k in range(K) if k not in done]
    while pending:
        ready = [k for k in pending if all(s in done for s in np.flatnonzero(adjacency[:, k]))]
        order.extend(ready)
        done.update(ready)
        pending = [k for k in pending if k not in done]
    return order


def _predict_scores(scores: np.ndarray, paths: np.ndarray, adjacency: np.ndarray, technique: str) -> np.ndarray:
    """Predicted construct scores (m, K) from the test cases' own scores (m, K).

    Exogenous constructs keep their scores. "direct": each endogenous construct from the
    scores of its direct antecedents; "earliest": from the predictions of its antecedents,
    starting at the exogenous constructs (seminr's predict_DA / predict_EA).
    """
    out = scores.copy()
    order = _causal_order(adjacency)
    if technique == "direct":
        for j in order:
            out[:, j] = scores @ paths[:, j]
        return out
    out[:, order] = 0.0
    for j in order:
        out[:, j] = out @ paths[:, j]
    return out
