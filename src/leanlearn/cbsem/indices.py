"""Maximum-likelihood fit indices (:func:`fit_indices`, :func:`rmsea_ci`) and their long form against thresholds (:func:`fit_table`).

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from leanlearn.cbsem.thresholds import DEFAULT_FIT_THRESHOLDS, FitThreshold
from leanlearn.errors import DataError

FIT_COLUMNS = [
    "n", "n_parameters", "chi2", "df", "p_value", "baseline_chi2", "baseline_df", "cfi", "tli",
    "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_ci_level", "rmsea_close_p_value", "srmr",
    "log_likelihood", "aic", "bic",
]  # fmt: skip


# =================================================================================================
# Fit indices
# =================================================================================================
def rmsea_ci(chi2: float, df: float, n: int, *, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square distribution.

    .. math::

        \\text{lower} = \\sqrt{\\lambda_L / (df\\,N)}, \\quad
        F_{\\chi^2}(T; df, \\lambda_L) = (1 + \\text{level})/2 \\\\
        \\text{upper} = \\sqrt{\\lambda_U / (df\\,N)}, \\quad
        F_{\\chi^2}(T; df, \\lambda_U) = (1 - \\text{level})/2

    where :math:`F_{\\chi^2}(\\cdot; df, \\lambda)` is the noncentral chi-square cdf; a
    bound is 0 when even :math:`\\lambda = 0` puts T below the required quantile
    (Browne & Cudeck 1993; MacCallum, Browne & Sugawara 1996). N (not N - 1) matches
    :math:`T = N F_{ML}`, as in lavaan.

    Parameters
    ----------
    chi2 : float
        Test statistic T.
    df : float
        Degrees of freedom (> 0).
    n : int
        Sample size N.
    level : float
        Two-sided confidence level (0.90 by convention).

    Returns
    -------
    (lower, upper) : tuple of float
        NaN when df <= 0.
    """
    if df <= 0 or not np.isfinite(chi2):
        return (math.nan, math.nan)
    upper_q, lower_q = (1 + level) / 2, (1 - level) / 2

    def bound(q: float) -> float:
        # cdf(T; df, lambda) decreases in lambda; find lambda with cdf = q
        if stats.chi2.cdf(chi2, df) < q:
            return 0.0
        hi = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, hi) > q:
            hi *= 2
        return optimize.brentq(lambda lam: stats.ncx2.cdf(chi2, df, lam) - q, 0.0, hi, xtol=1e-12)

    lam_l, lam_u = bound(upper_q), bound(lower_q)
    return (math.sqrt(lam_l / (df * n)), math.sqrt(lam_u / (df * n)))


def fit_indices(
    sample_covariance: np.ndarray | pd.DataFrame,
    implied_covariance: np.ndarray | pd.DataFrame,
    *,
    n: int,
    n_parameters: int,
    rmsea_ci_level: float = 0.90,
) -> pd.DataFrame:
    """Maximum-likelihood fit indices from the sample and model-implied covariance matrices.

    Parameters
    ----------
    sample_covariance : array (p, p)
        S with divisor N.
    implied_covariance : array (p, p)
        :math:`\\hat\\Sigma` at the ML estimates.
    n : int
        Sample size N.
    n_parameters : int
        Free parameters k of the covariance structure.
    rmsea_ci_level : float
        Level of the RMSEA confidence interval (0.90).

    Returns
    -------
    DataFrame
        One row with columns

        =======================  ==========================================================================
        ``n``                    N
        ``n_parameters``         k
        ``chi2``                 :math:`T = N F_{ML}`, :math:`F_{ML} = \\log|\\hat\\Sigma| + tr(S\\hat\\Sigma^{-1}) - \\log|S| - p`
        ``df``                   :math:`p(p+1)/2 - k`
        ``p_value``              :math:`P(\\chi^2_{df} > T)`
        ``baseline_chi2``        T of the independence model (:math:`\\Sigma_0 = diag(S)`):
                                 :math:`N(\\sum_i \\log s_{ii} - \\log|S|)`
        ``baseline_df``          :math:`p(p-1)/2`
        ``cfi``                  :math:`1 - \\max(T - df, 0) / \\max(T_0 - df_0, T - df, 0)` (Bentler 1990)
        ``tli``                  :math:`(T_0/df_0 - T/df) / (T_0/df_0 - 1)` (Tucker & Lewis 1973; not truncated)
        ``rmsea``                :math:`\\sqrt{\\max(T - df, 0) / (df\\,N)}` (Steiger 1990)
        ``rmsea_ci_lower``,      90 % CI from the noncentral :math:`\\chi^2` (:func:`rmsea_ci`)
        ``rmsea_ci_upper``  
        ``rmsea_ci_level``       the CI level
        ``rmsea_close_p_value``  :math:`P(T' \\ge T)`, :math:`T' \\sim \\chi^2(df, .05^2\\,df\\,N)` (test of RMSEA <= .05)
        ``srmr``                 :math:`\\sqrt{\\sum_{i \\le j} [(s_{ij} - \\hat\\sigma_{ij})/\\sqrt{s_{ii}s_{jj}}]^2 / (p(p+1)/2)}`
                                 (Bentler 1995; lavaan's ``srmr`` without a mean structure)
        ``log_likelihood``       :math:`-\\tfrac{N}{2}[p\\log 2\\pi + \\log|\\hat\\Sigma| + tr(S\\hat\\Sigma^{-1})]`
        ``aic``, ``bic``         :math:`-2\\ell + 2k`, :math:`-2\\ell + k\\log N`
        =======================  ==========================================================================

    Notes
    -----
    Conventions follow lavaan (``estimator = "ML"``, ``likelihood = "normal"``, no mean
    structure); the values were checked against lavaan 0.6-14 in tests/test_sem.py.
    """
    s = np.asarray(sample_covariance, dtype=float)
    sig = np.asarray(implied_covariance, dtype=float)
    p = s.shape[0]
    _, logdet_s = np.linalg.slogdet(s)
    sign, logdet_sig = np.linalg.slogdet(sig)
    if sign <= 0:
        raise DataError("the model-implied covariance matrix is not positive definite")
    tr = float(np.trace(s @ np.linalg.inv(sig)))
    f_ml = logdet_sig + tr - logdet_s - p
    t = max(n * f_ml, 0.0)
    df = p * (p + 1) // 2 - int(n_parameters)
    p_value = float(stats.chi2.sf(t, df)) if df > 0 else math.nan
    t0 = n * (float(np.sum(np.log(np.diag(s)))) - logdet_s)
    df0 = p * (p - 1) // 2
    denom = max(t0 - df0, t - df, 0.0)
    cfi = 1.0 - max(t - df, 0.0) / denom if denom > 0 else 1.0
    tli = ((t0 / df0) - (t / df)) / ((t0 / df0) - 1.0) if df > 0 and df0 > 0 else math.nan
    rmsea = math.sqrt(max(t - df, 0.0) / (df * n)) if df > 0 else math.nan
    lo, hi = rmsea_ci(t, df, n, level=rmsea_ci_level)
    p_close = float(stats.ncx2.sf(t, df, 0.05**2 * df * n)) if df > 0 else math.nan
    d = np.sqrt(np.diag(s))
    resid = (s - sig) / np.outer(d, d)
    iu = np.triu_indices(p)
    srmr = math.sqrt(float(np.mean(resid[iu] ** 2)))
    loglik = -0.5 * n * (p * math.log(2 * math.pi) + logdet_sig + tr)
    k = int(n_parameters)
    row = {
        "n": int(n),
        "n_parameters": k,
        "chi2": t,
        "df": df,
        "p_value": p_value,
        "baseline_chi2": t0,
        "baseline_df": df0,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi,
        "rmsea_ci_level": rmsea_ci_level,
        "rmsea_close_p_value": p_close,
        "srmr": srmr,
        "log_likelihood": loglik,
        "aic": -2 * loglik + 2 * k,
        "bic": -2 * loglik + k * math.log(n),
    }
    return pd.DataFrame([row], columns=FIT_COLUMNS)


def fit_table(fit: pd.DataFrame, thresholds: Sequence[FitThreshold] = DEFAULT_FIT_THRESHOLDS) -> pd.DataFrame:
    """Fit indices in long form, each flagged against its threshold.

    Parameters
    ----------
    fit : DataFrame
        One row as returned by :func:`fit_indices` (``SEMResult.fit``).
    thresholds : sequence of FitThreshold

    Returns
    -------
    DataFrame
        ``index, value, threshold, direction, meets, acceptable_threshold,
        meets_acceptable, source``: one row per index of ``chi2, df, p_value, cfi, tli,
        rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr, aic, bic`` (and ``n``). ``direction`` is
        ``min`` (value >= threshold) or ``max`` (value <= threshold); indices without a
        threshold have NaN/empty flag columns. ``meets`` is NaN when the value is NaN.
    """
    row = fit.iloc[0]
    by_index = {t.index: t for t in thresholds}
    rows = []
    for name in ("n", "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic"):
        value = float(row[name])
        t = by_index.get(name)
        rec = {
            "index": name,
            "value": value,
            "threshold": math.nan,
            "direction": "",
            "meets": pd.NA,
            "acceptable_threshold": math.nan,
            "meets_acceptable": pd.NA,
            "source": "",
        }
        if t is not None:
            rec.update(threshold=t.threshold, direction=t.direction, source=t.source)
            rec["meets"] = _meets(value, t.threshold, t.direction)
            if t.acceptable is not None:
                rec["acceptable_threshold"] = t.acceptable
                rec["meets_acceptable"] = _meets(value, t.acceptable, t.direction)
        rows.append(rec)
    out = pd.DataFrame(rows)
    for col in ("meets", "meets_acceptable"):
        out[col] = out[col].astype("boolean")
    return out


def _meets(value: float, threshold: float, direction: str):
    if not np.isfinite(value):
        return pd.NA
    return bool(value >= threshold) if direction == "min" else bool(value <= threshold)
