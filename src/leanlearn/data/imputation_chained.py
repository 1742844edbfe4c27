r"""Multiple imputation, step 1: the imputed data sets (chained equations) and the untreated answers.

:func:`impute_items` draws M imputed copies of the items by chained equations (van Buuren &
Groothuis-Oudshoorn 2011) with posterior draws of a Bayesian ridge regression
(scikit-learn's ``IterativeImputer(sample_posterior=True)``), clipped to each item's scale;
:func:`restore_missing` puts back the missing answers that the screening step's single
imputation filled. The settings are in :data:`IMPUTER`; the whole procedure is described in
:mod:`leanlearn.data.imputation`, which re-exports these names.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.extras import require
from leanlearn.pls.prepare import prepare_data
from leanlearn.random import integer_seed

__all__ = ["IMPUTER", "impute_items", "restore_missing"]

ROUNDS = 10
"""Rounds of the chained regressions per imputed data set (mice's default is 5)."""

IMPUTER = {
    "method": "chained equations (scikit-learn IterativeImputer, BayesianRidge, sample_posterior=True)",
    "rounds": ROUNDS,
    "clipping": "to the item's scale (codebook) or, without one, its observed range, not rounded",
    "imputation_stream": "leanlearn.random.integer_seed(seed, 'imputation', 'multiple', m)",
    "bootstrap_streams": "imputation 0: stream(seed, 'bootstrap', block); m >= 1: stream(seed, 'bootstrap', 'imputation', m)",
    "pooling": "Rubin (1987) for point estimates and variances; intervals, p-values and verdicts from the pooled draws of all imputations (Schomaker & Heumann 2018)",
}
"""The imputer's settings, as written to settings.json (:meth:`MIResult.settings_record`)."""


def impute_items(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    imputations: int,
    seed: int,
    missing_value=None,
    bounds: dict[str, tuple[float, float]] | None = None,
    max_iter: int = ROUNDS,
    source: str | None = None,
) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """M imputed copies of ``data`` (chained equations, posterior draws; module docstring).

    Returns
    -------
    (imputed, report)
        ``imputed``: M DataFrames equal to ``data`` except the items, which hold no missing
        value; ``report``: indicator, n_missing, share_missing, n_imputed, imputations, lower,
        upper (the clipping bounds), method.

    Raises
    ------
    DataError
        From :func:`leanlearn.pls.prepare.prepare_data` (items absent, not numbers, never
        answered or constant), or a seed that is missing.
    """
    if seed is None:
        raise DataError("multiple imputation needs a seed (--seed, or the config's seed) so that the imputed data sets can be reproduced")
    if int(imputations) < 1:
        raise ValueError("imputations must be at least 1")
    prepared = prepare_data(data, items, missing_value=missing_value, missing="mean", source=source)
    raw = prepared.raw
    miss = np.isnan(raw)
    lo = np.array([bounds[c][0] if bounds and c in bounds else np.nanmin(raw[:, j]) for j, c in enumerate(items)], dtype=float)
    hi = np.array([bounds[c][1] if bounds and c in bounds else np.nanmax(raw[:, j]) for j, c in enumerate(items)], dtype=float)
    out = []
    for m in range(int(imputations)):
        if miss.any():
            require("sklearn.experimental.enable_iterative_imputer", "multiple imputation")
            IterativeImputer = require("sklearn.impute", "multiple imputation").IterativeImputer
            imputer = IterativeImputer(
                sample_posterior=True, max_iter=max_iter, random_state=integer_seed(seed, "imputation", "multiple", m),
                min_value=lo, max_value=hi, skip_complete=True,
            )  # fmt: skip
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)  # ConvergenceWarning of posterior draws (they never settle exactly)
                filled = imputer.fit_transform(raw)
            filled = np.where(miss, filled, raw)  # observed answers stay exactly as they were
        else:
            filled = raw
        frame = data.copy()
        frame[list(items)] = pd.DataFrame(filled, index=data.index, columns=list(items))
        out.append(frame)
    n_missing = miss.sum(axis=0)
    report = pd.DataFrame(
        {
            "indicator": list(items), "n_missing": n_missing.astype(int), "share_missing": n_missing / raw.shape[0],
            "n_imputed": n_missing.astype(int), "imputations": int(imputations), "lower": lo, "upper": hi,
            "method": "chained equations (IterativeImputer, BayesianRidge, posterior draws)",
        }
    )  # fmt: skip
    return out, report


def restore_missing(data: pd.DataFrame, untreated: pd.DataFrame, items: Sequence[str], *, key: str, source: str | None = None) -> pd.DataFrame:
    """``data`` with the item cells that are empty in ``untreated`` (matched on ``key``) set to NaN.

    The pipeline's analysis data hold a single imputation of the items (the screening step's
    treatment); multiple imputation starts again from the answers as given. Rows of ``data``
    are matched to ``untreated`` by the identifier column ``key``; observed answers are
    compared and must agree (they do unless the files belong to different runs).

    Raises
    ------
    DataError
        The key column is absent or not unique, a row of ``data`` has no row in
        ``untreated``, or an observed answer differs between the two files.
    """
    where = f"{source}: " if source else ""
    for name, frame in (("analysis data", data), ("untreated data", untreated)):
        if key not in frame.columns:
            raise DataError(f"{where}the {name} have no column '{key}' to match the untreated answers on")
    if untreated[key].duplicated().any():
        raise DataError(f"{where}the untreated data have repeated values of '{key}'; one row per case is needed to restore missing answers")
    cols = [c for c in items if c in untreated.columns and c in data.columns]
    lookup = untreated.set_index(untreated[key].astype(str))[cols]
    keys = data[key].astype(str)
    absent = ~keys.isin(lookup.index)
    if absent.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(absent.to_numpy())[:5])
        raise DataError(f"{where}{int(absent.sum())} row(s) of the analysis data (file rows {rows}) have no row in the untreated data; rerun the screening step")
    raw = lookup.loc[keys.tolist()].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    have = data[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    obs = ~np.isnan(raw)
    if not np.allclose(raw[obs], have[obs], rtol=0, atol=1e-9):
        bad = sorted({cols[j] for j in np.argwhere(obs & ~np.isclose(raw, have, rtol=0, atol=1e-9, equal_nan=True))[:, 1]})
        raise DataError(f"{where}observed answers of {', '.join(bad[:5])} differ between the analysis data and the untreated data; both must come from the same screening run")
    out = data.copy()
    out[cols] = np.where(obs, have, np.nan)
    return out
