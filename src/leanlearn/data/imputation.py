r"""Multiple imputation of missing item answers, with estimation, bootstrap and pooling.

``leanlearn estimate --missing multiple --imputations M`` (:func:`multiple_imputation`):

1. **Imputation** by chained equations (van Buuren & Groothuis-Oudshoorn 2011): every item
   with missing answers is regressed on all other items of the model, in turns, until the
   imputations settle; imputed values are *draws* from the posterior predictive
   distribution of a Bayesian ridge regression, not predictions, so that the imputed data
   sets differ by the uncertainty about the missing answers (scikit-learn's
   ``IterativeImputer(sample_posterior=True)``). Imputations are clipped to the observed
   range of each item (or to the scale given in ``bounds``) and not rounded; 10 rounds of
   the chained regressions per imputed data set (mice's default is 5). Imputation m
   (0-based) is seeded with ``leanlearn.random.integer_seed(seed, "imputation", "multiple", m)``.
2. **Estimation and bootstrap** of the model on every imputed data set. Imputation 0
   bootstraps with the study's bootstrap stream (``seed``), imputation m ≥ 1 with
   ``stream(seed, "bootstrap", "imputation", m)``, so one imputation of complete data
   gives exactly the complete-data result (tests/test_imputation.py).
3. **Pooling.** For each estimate with values :math:`\hat Q_m` and bootstrap variances
   :math:`U_m` (squared bootstrap SE) in the M imputations, Rubin's (1987) rules:

   .. math::
       \bar Q = \frac1M \sum_m \hat Q_m, \quad \bar U = \frac1M \sum_m U_m, \quad
       B = \frac{1}{M-1} \sum_m (\hat Q_m - \bar Q)^2, \quad T = \bar U + (1 + \tfrac1M) B

   with degrees of freedom :math:`\nu = (M-1)(1 + 1/r)^2`, :math:`r = (1 + 1/M)B/\bar U`
   (the relative increase in variance), the proportion of the variance due to missingness
   :math:`\lambda = (1 + 1/M)B/T` and the fraction of missing information
   :math:`\gamma = (r + 2/(\nu + 3))/(r + 1)` (Rubin 1987; van Buuren 2018, §2.3). The
   Rubin interval is :math:`\bar Q \pm t_{\nu, (1+\text{level})/2}\sqrt T`.

   The reported interval (``ci_lower``, ``ci_upper``) and p-value are the **pooled-draws**
   bootstrap: the percentile interval of all M·B bootstrap draws taken together, and the
   bootstrap p-value that inverts it (Schomaker & Heumann 2018 compare it with the other
   ways of combining MI and the bootstrap; Wood, White & Royston 2008 on pooling draws). The
   Rubin interval is reported beside it (``rubin_lower``, ``rubin_upper``). With M = 1 there
   is no between-imputation variance: B, ν, λ and γ are NaN and T = Ū.

The missingness of the items and of the cases is reported before imputation
(``imputation_report.csv``). Chained equations assume the answers are missing at random
given the other items (MAR); they do not repair answers missing for reasons that the items
do not capture (MNAR).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.effects import algebra as fx
from leanlearn.errors import DataError
from leanlearn.extras import require
from leanlearn.pls.bootstrap import BootstrapResult, bootstrap, bootstrap_p_value, percentile_interval
from leanlearn.pls.engine import PLSResult, Settings, estimate
from leanlearn.pls.prepare import prepare_data
from leanlearn.random import integer_seed, stream
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "POOLED_COLUMNS", "POOLED_FAMILIES", "IMPUTER", "rubin_pool", "impute_items", "multiple_imputation", "MIResult",
    "PooledResult", "PooledBootstrap", "restore_missing",
]  # fmt: skip

IMPUTER = {
    "method": "chained equations (scikit-learn IterativeImputer, BayesianRidge, sample_posterior=True)",
    "rounds": 10,
    "clipping": "to the item's scale (codebook) or, without one, its observed range, not rounded",
    "imputation_stream": "leanlearn.random.integer_seed(seed, 'imputation', 'multiple', m)",
    "bootstrap_streams": "imputation 0: stream(seed, 'bootstrap', block); m >= 1: stream(seed, 'bootstrap', 'imputation', m)",
    "pooling": "Rubin (1987) for point estimates and variances; intervals, p-values and verdicts from the pooled draws of all imputations (Schomaker & Heumann 2018)",
}
"""The imputer's settings, as written to settings.json (:meth:`MIResult.settings_record`)."""

POOLED_FAMILIES = ("paths", "outer_loadings", "outer_weights", "indirect_effects", "total_effects", "r_squared", "htmt")
POOLED_COLUMNS = [
    "estimate", "std_error", "t_value", "p_value", "ci_lower", "ci_upper", "ci_level", "rubin_lower", "rubin_upper", "df",
    "within_variance", "between_variance", "total_variance", "lambda", "fmi", "n_imputations", "n_draws",
]  # fmt: skip
"""Columns after the key columns of every pooled table (:attr:`MIResult.pooled`)."""


def rubin_pool(estimates, variances, *, level: float = 0.95) -> dict[str, np.ndarray]:
    """Rubin's rules for M imputations of k estimates (see the module docstring).

    Parameters
    ----------
    estimates, variances : array of shape (M, k)
        Estimates and their (squared-SE) variances in every imputation.
    level : float
        Level of the Rubin t interval.

    Returns
    -------
    dict of arrays (k,): estimate, within_variance, between_variance, total_variance, df,
    lambda, fmi, rubin_lower, rubin_upper. Worked by hand in tests/test_imputation.py.
    """
    Q = np.atleast_2d(np.asarray(estimates, dtype=float))
    U = np.atleast_2d(np.asarray(variances, dtype=float))
    M = Q.shape[0]
    qbar, ubar = Q.mean(axis=0), U.mean(axis=0)
    if M > 1:
        B = Q.var(axis=0, ddof=1)
        T = ubar + (1 + 1 / M) * B
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (1 + 1 / M) * B / ubar
            df = (M - 1) * (1 + 1 / r) ** 2
            lam = (1 + 1 / M) * B / T
            fmi = (r + 2 / (df + 3)) / (r + 1)
        df = np.where(B > 0, df, np.inf)  # no between-imputation variance: the complete-data normal limit
        fmi = np.where(B > 0, fmi, 0.0)
    else:
        B = np.full_like(qbar, np.nan)
        T = ubar
        df = lam = fmi = np.full_like(qbar, np.nan)
    q = stats.t.ppf((1 + level) / 2, np.where(np.isfinite(df), df, np.inf)) if M > 1 else stats.norm.ppf((1 + level) / 2)
    half = q * np.sqrt(T)
    return {
        "estimate": qbar, "within_variance": ubar, "between_variance": B, "total_variance": T, "df": df,
        "lambda": lam, "fmi": fmi, "rubin_lower": qbar - half, "rubin_upper": qbar + half,
    }  # fmt: skip


def impute_items(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    imputations: int,
    seed: int,
    missing_value=None,
    bounds: dict[str, tuple[float, float]] | None = None,
    max_iter: int = IMPUTER["rounds"],
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


def _family(boot: BootstrapResult, family: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(labels, estimates (k,), draws (B, k)) of one family of a bootstrap."""
    if family in boot.draws:
        return boot.labels[family].reset_index(drop=True), np.asarray(boot.estimates[family], dtype=float), np.asarray(boot.draws[family], dtype=float)
    names = list(boot.result.constructs)
    P = boot.result.path_matrix
    func: Callable
    if family == "total_effects":
        keep = np.argwhere(np.abs(fx.total_effects(P)) > 0)
        labels = pd.DataFrame({"source": [names[i] for i, _ in keep], "target": [names[j] for _, j in keep]})

        def func(Ps):
            return fx.total_effects(Ps)[..., keep[:, 0], keep[:, 1]]
    elif family == "indirect_effects":
        ch = fx.chains(boot.result.plan.final.adjacency)
        labels = pd.DataFrame({"path": [c.label(names) for c in ch], "source": [names[c.source] for c in ch], "target": [names[c.target] for c in ch]})

        def func(Ps):
            return fx.chain_effects(Ps, ch) if ch else np.zeros(Ps.shape[:-2] + (0,))
    else:
        raise KeyError(f"unknown family {family!r}")
    return labels, np.asarray(func(P[None]), dtype=float)[0], np.asarray(func(boot.path_draws), dtype=float)


def _point_family(res: PLSResult, family: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(labels, estimates) of one family without a bootstrap."""
    names = list(res.constructs)
    if family == "paths":
        return res.path_coefficients[["source", "target"]], res.path_coefficients["estimate"].to_numpy(dtype=float)
    if family in ("outer_loadings", "outer_weights"):
        t = getattr(res, family)
        return t[["construct", "indicator"]], t["estimate"].to_numpy(dtype=float)
    if family == "r_squared":
        return res.r_squared[["construct"]], res.r_squared["r_squared"].to_numpy(dtype=float)
    if family == "htmt":
        K = len(names)
        pairs = [(a, b) for a in range(K) for b in range(a + 1, K)]
        H = res.htmt.to_numpy(dtype=float) if not res.htmt.empty else np.full((K, K), np.nan)
        return pd.DataFrame({"construct_a": [names[a] for a, _ in pairs], "construct_b": [names[b] for _, b in pairs]}), np.array([H[a, b] for a, b in pairs])
    if family == "total_effects":
        T = fx.total_effects(res.path_matrix)
        keep = np.argwhere(np.abs(T) > 0)
        return pd.DataFrame({"source": [names[i] for i, _ in keep], "target": [names[j] for _, j in keep]}), T[keep[:, 0], keep[:, 1]]
    if family == "indirect_effects":
        ch = fx.chains(res.plan.final.adjacency)
        labels = pd.DataFrame({"path": [c.label(names) for c in ch], "source": [names[c.source] for c in ch], "target": [names[c.target] for c in ch]})
        return labels, np.asarray(fx.chain_effects(res.path_matrix[None], ch), dtype=float)[0] if ch else np.zeros(0)
    raise KeyError(f"unknown family {family!r}")


@dataclass(frozen=True)
class MIResult:
    """Estimates of M imputed data sets and their pooled values.

    Attributes
    ----------
    results : list of PLSResult
        One per imputation.
    boots : list of BootstrapResult, or None
        One per imputation (None without a bootstrap).
    pooled : dict of DataFrame
        Per family (:data:`POOLED_FAMILIES`): the family's key columns and
        :data:`POOLED_COLUMNS`: estimate (Q̄), std_error (√T), t_value (Q̄/√T), p_value (the
        pooled-draws bootstrap p-value matching the interval), ci_lower, ci_upper (percentile
        interval of the pooled draws), ci_level, rubin_lower, rubin_upper (Q̄ ± t_ν √T), df
        (ν), within_variance (Ū), between_variance (B), total_variance (T), lambda (λ), fmi
        (γ, fraction of missing information), n_imputations, n_draws (valid draws pooled).
        Without a bootstrap the variance-based columns other than between_variance are NaN.
    report : DataFrame
        From :func:`impute_items`.
    imputations, seed, resamples, ci_level :
        Settings of the run.
    """

    results: list = field(repr=False)
    boots: list | None = field(repr=False)
    pooled: dict = field(repr=False)
    report: pd.DataFrame = field(repr=False)
    imputations: int
    seed: int | None
    resamples: int
    ci_level: float

    def pooled_result(self) -> "PooledResult":
        """The pooled point estimates read like a PLSResult (:class:`PooledResult`)."""
        return PooledResult(self.results, self.report)

    def pooled_bootstrap(self) -> "PooledBootstrap":
        """The bootstraps of all imputations pooled (:class:`PooledBootstrap`); needs ``resamples`` > 0."""
        if not self.boots:
            raise ValueError("no bootstrap was run (resamples = 0)")
        return PooledBootstrap(self.boots, self.pooled_result())

    def settings_record(self) -> dict:
        """Settings of the imputation for settings.json: M, seed, resamples per imputation and :data:`IMPUTER`."""
        return {"missing": "multiple", "imputations": self.imputations, "imputation_seed": self.seed,
                "resamples_per_imputation": self.resamples, "imputation_method": IMPUTER["method"],
                "imputation_rounds": IMPUTER["rounds"], "imputation_clipping": IMPUTER["clipping"],
                "imputation_stream": IMPUTER["imputation_stream"], "bootstrap_streams": IMPUTER["bootstrap_streams"],
                "pooling": IMPUTER["pooling"]}  # fmt: skip

    def point_tables(self, tables: Callable[[PLSResult], dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
        """Tables of every imputation (``tables(result)``), numeric columns averaged over the imputations.

        The average is Rubin's pooled point estimate of every entry (reliability, HTMT,
        f², VIFs, fit indices, scores ...). Text columns are taken from the first imputation.
        """
        per = [tables(r) for r in self.results]
        out = {}
        for name, first in per[0].items():
            frame = first.copy()
            num = [c for c in first.columns if pd.api.types.is_numeric_dtype(first[c]) and not pd.api.types.is_bool_dtype(first[c]) and c != "case"]
            if num:
                stack = np.stack([p[name][num].to_numpy(dtype=float) for p in per])
                frame[num] = stack.mean(axis=0)
            out[name] = frame
        return out


def multiple_imputation(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    imputations: int = 20,
    seed: int,
    settings: Settings | None = None,
    resamples: int = 0,
    workers: int = 1,
    ci_level: float = 0.95,
    bounds: dict[str, tuple[float, float]] | None = None,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    hoc: str | None = None,
    weights=None,
) -> MIResult:
    """Multiple imputation, estimation (and bootstrap) of every imputed set, and pooling.

    Parameters
    ----------
    data : DataFrame
        Items of the model, with missing answers (NaN, empty or ``settings.missing_value``).
    model : ModelSpec or str
    imputations : int
        M, the number of imputed data sets (at least 1; 20 or more keeps the Monte Carlo
        error of the pooled estimates small, van Buuren 2018, §2.8).
    seed : int
        The study seed (required): imputation m draws from ``integer_seed(seed,
        "imputation", "multiple", m)``; its bootstrap from the streams in the module
        docstring.
    settings : Settings, optional
        Estimation settings (``missing`` is ignored: nothing is missing after imputation).
    resamples : int
        Bootstrap resamples per imputed data set (0: point estimates only).
    workers : int
        Worker processes of every bootstrap; results are byte-identical for any value.
    ci_level : float
    bounds : dict, optional
        Item -> (min, max) of its scale for clipping imputations (default: the observed range).
    source : str, optional
        File name for messages.
    progress : callable, optional
        Called with (imputation done, M).
    hoc : str, optional
        Approach for a model with higher-order constructs (:data:`leanlearn.pls.hoc.HOC_METHODS`;
        default ``two_stage``): every imputed data set is fitted in stages by
        :func:`leanlearn.pls.hoc.estimate_hoc` and bootstrapped with both stages redone per
        resample; the stage-1 and higher-order tables are pooled like every other table.
    weights : str or array-like, optional
        Case weights (weighted PLS) of every imputed data set's estimation and bootstrap.
        The imputation model itself is unweighted.

    Returns
    -------
    MIResult

    Notes
    -----
    Checked in tests/test_imputation.py: one imputation of complete data gives the
    complete-data estimate and bootstrap exactly; Rubin's rules on a hand-worked example;
    byte-identical pooled tables for 1 and 2 workers; on simulated data with answers
    missing completely at random, the pooled paths are close to the complete-data paths
    and the fraction of missing information is positive and below 1.
    """
    spec = parse_model(model) if isinstance(model, str) else model
    settings = settings or Settings()
    imputed, report = impute_items(data, spec.items, imputations=imputations, seed=seed, missing_value=settings.missing_value, bounds=bounds, source=source)
    est_settings = replace(settings, missing="mean", missing_value=None)
    fit: Callable = estimate
    if spec.higher_order:
        from functools import partial

        from leanlearn.pls.hoc import estimate_hoc

        fit = partial(estimate_hoc, method=hoc or "two_stage")
    elif hoc is not None:
        raise ValueError("hoc was given but the model has no higher-order construct")
    results, boots = [], []
    for m, frame in enumerate(imputed):
        where = f"{source} (imputation {m + 1})" if source else f"imputation {m + 1}"
        res = fit(frame, spec, settings=est_settings, source=where, weights=weights)
        results.append(res)
        if resamples:
            boot_seed = seed if m == 0 else stream(seed, "bootstrap", "imputation", m)
            boots.append(bootstrap(res, resamples=resamples, seed=boot_seed, workers=workers, ci_level=ci_level))
        if progress:
            progress(m + 1, len(imputed))
    pooled = {}
    for family in POOLED_FAMILIES:
        if resamples:
            parts = [_family(b, family) for b in boots]
            labels = parts[0][0]
            est = np.stack([p[1] for p in parts])
            draws = [p[2] for p in parts]
            var = np.stack([d.std(axis=0, ddof=1) ** 2 for d in draws])
            allq = np.concatenate(draws)
            rb = rubin_pool(est, var, level=ci_level)
            lo, hi = percentile_interval(allq, ci_level) if allq.shape[1] else (np.zeros(0), np.zeros(0))
            p = bootstrap_p_value(allq) if allq.shape[1] else np.zeros(0)
            n_draws = allq.shape[0]
        else:
            parts2 = [_point_family(r, family) for r in results]
            labels = parts2[0][0].reset_index(drop=True)
            est = np.stack([p[1] for p in parts2])
            rb = rubin_pool(est, np.full(est.shape, np.nan), level=ci_level)
            lo = hi = p = np.full(est.shape[1], np.nan)
            n_draws = 0
        se = np.sqrt(rb["total_variance"])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = rb["estimate"] / se
        table = labels.reset_index(drop=True).copy()
        cols = {
            "estimate": rb["estimate"], "std_error": se, "t_value": t, "p_value": p, "ci_lower": lo, "ci_upper": hi,
            "ci_level": ci_level, "rubin_lower": rb["rubin_lower"], "rubin_upper": rb["rubin_upper"], "df": rb["df"],
            "within_variance": rb["within_variance"], "between_variance": rb["between_variance"],
            "total_variance": rb["total_variance"], "lambda": rb["lambda"], "fmi": rb["fmi"],
            "n_imputations": len(imputed), "n_draws": n_draws,
        }  # fmt: skip
        for k in POOLED_COLUMNS:
            table[k] = cols[k]
        pooled[family] = table
    if not results:
        raise DataError("no imputed data set could be estimated")
    return MIResult(results=results, boots=boots if resamples else None, pooled=pooled, report=report, imputations=len(imputed),
                    seed=seed, resamples=int(resamples), ci_level=ci_level)  # fmt: skip


# ---- pooled results for the pipeline's verdict machinery -------------------------------------
def _mean_frame(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``frames[0]`` with every numeric (non-boolean) column averaged over the frames."""
    first = frames[0]
    if len(frames) == 1:
        return first
    out = first.copy()
    num = [c for c in first.columns if pd.api.types.is_numeric_dtype(first[c]) and not pd.api.types.is_bool_dtype(first[c]) and c != "case"]
    if num:
        out[num] = np.stack([f[num].to_numpy(dtype=float) for f in frames]).mean(axis=0)
    return out


class PooledResult:
    """Rubin's pooled point estimates of M fitted models, read like a :class:`~leanlearn.pls.engine.PLSResult`.

    Every table (DataFrame attribute: paths, loadings, weights, reliability, HTMT, VIFs, f²,
    effects, fit, scores ...) is the mean of its numeric entries over the imputations (text
    and boolean columns from the first imputation); ``path_matrix`` is the mean of the path
    matrices; ``data_report`` is the imputation report; ``converged`` holds when every
    imputation converged. The model structure (``spec``, ``plan``, ``constructs``,
    ``settings``, ``prepared``, ``n``) is that of the first imputation, which every
    imputation shares. With one imputation every table is that imputation's, exactly.
    """

    def __init__(self, results: Sequence[PLSResult], report: pd.DataFrame | None = None):
        if not results:
            raise ValueError("PooledResult needs at least one result")
        self.__dict__["_results"] = list(results)
        self.__dict__["_report"] = report
        self.__dict__["_cache"] = {}

    @property
    def results(self) -> list:
        return self.__dict__["_results"]

    @property
    def n_imputations(self) -> int:
        return len(self.results)

    @property
    def converged(self) -> bool:
        return all(bool(r.converged) for r in self.results)

    @property
    def data_report(self) -> pd.DataFrame:
        report = self.__dict__["_report"]
        return report if report is not None else self.results[0].data_report

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name not in cache:
            values = [getattr(r, name) for r in self.__dict__["_results"]]
            first = values[0]
            if isinstance(first, pd.DataFrame):
                cache[name] = _mean_frame(values)
            elif isinstance(first, np.ndarray) and first.dtype.kind == "f":
                cache[name] = first if len(values) == 1 else np.stack(values).mean(axis=0)
            elif callable(first):
                raise AttributeError(f"PooledResult has no method {name!r} (use the tables, or the results of single imputations)")
            else:
                cache[name] = first
        return cache[name]

    def path(self, source: str, target: str) -> float:
        """The pooled path coefficient ``source -> target``."""
        pc = self.path_coefficients
        row = pc[(pc.source == source) & (pc.target == target)]
        if row.empty:
            raise KeyError(f"no path {source} -> {target}")
        return float(row.estimate.iloc[0])

    def summary(self):
        """The pooled tables as a :class:`~leanlearn.pls.summary.Summary`."""
        from leanlearn.pls.summary import Summary

        return Summary.from_result(self)

    def __repr__(self) -> str:
        return f"PooledResult(imputations={self.n_imputations}, n={self.n}, constructs={len(self.constructs)})"


class PooledBootstrap:
    r"""The bootstrap draws of M imputed data sets pooled, read like a :class:`~leanlearn.pls.bootstrap.BootstrapResult`.

    The *pooled-draws* approach (Schomaker & Heumann 2018, "MI Boot pooled"; Wood, White &
    Royston 2008): every statistic θ = f(P) of the path matrices (a path, an indirect,
    conditional or total effect, a difference of indirect effects, an index of moderated
    mediation) has

    - the point estimate :math:`\bar\theta = \frac1M \sum_m f(\hat P_m)` (Rubin 1987: the mean
      of the M imputations' estimates, not f of the mean paths);
    - the draws :math:`\{f(P^*_{m,b})\}`, all B valid resamples of all M imputations taken
      together (in imputation order); ``std_error`` is their SD, the percentile interval and
      the bootstrap p-value that inverts it are taken from them
      (:func:`~leanlearn.pls.bootstrap.percentile_interval`,
      :func:`~leanlearn.pls.bootstrap.tail_levels`), so the verdicts of
      :func:`leanlearn.effects.hypotheses.evaluate_hypotheses` follow the same rule as
      without missing data;
    - Rubin's pooled variance and fraction of missing information (:meth:`pool_quantity`,
      :func:`rubin_pool` with the per-imputation bootstrap variances).

    The BCa interval needs one jackknife of one data set: it is available for M = 1 (where
    every number equals that of the single bootstrap, exactly) and NaN for M > 1
    (``bca_available`` False; the pipeline refuses ``inference.interval: bca`` with multiple
    imputation).
    """

    def __init__(self, parts: Sequence[BootstrapResult], result: PooledResult | None = None):
        if not parts:
            raise ValueError("PooledBootstrap needs at least one bootstrap")
        self.parts = list(parts)
        self.result = result if result is not None else PooledResult([b.result for b in self.parts])
        self.ci_level = float(self.parts[0].ci_level)
        self.seed = self.parts[0].seed
        self._cache: dict = {}

    # -- the BootstrapResult attributes --
    @property
    def n_imputations(self) -> int:
        return len(self.parts)

    @property
    def bca_available(self) -> bool:
        return len(self.parts) == 1

    @property
    def resamples(self) -> int:
        return int(sum(b.resamples for b in self.parts))

    @property
    def n_valid(self) -> int:
        return int(sum(b.n_valid for b in self.parts))

    @property
    def n_failed(self) -> int:
        return self.resamples - self.n_valid

    @property
    def status(self) -> pd.DataFrame:
        first = self.parts[0].status
        if len(self.parts) == 1:
            return first
        out = first.copy()
        out["count"] = np.sum([b.status["count"].to_numpy() for b in self.parts], axis=0)
        return out

    @property
    def path_draws(self) -> np.ndarray:
        if "path_draws" not in self._cache:
            self._cache["path_draws"] = self.parts[0].path_draws if len(self.parts) == 1 else np.concatenate([b.path_draws for b in self.parts])
        return self._cache["path_draws"]

    @property
    def path_jackknife(self) -> np.ndarray:
        if not self.bca_available:
            raise ValueError("the jackknife (BCa) is not defined for draws pooled over several imputations")
        return self.parts[0].path_jackknife

    @property
    def labels(self) -> dict:
        return self.parts[0].labels

    @property
    def estimates(self) -> dict:
        if "estimates" not in self._cache:
            self._cache["estimates"] = {k: _mean([np.asarray(b.estimates[k], dtype=float) for b in self.parts]) for k in self.parts[0].estimates}
        return self._cache["estimates"]

    @property
    def draws(self) -> dict:
        if "draws" not in self._cache:
            self._cache["draws"] = {k: _concat([b.draws[k] for b in self.parts]) for k in self.parts[0].draws}
        return self._cache["draws"]

    def __repr__(self) -> str:
        return f"PooledBootstrap(imputations={self.n_imputations}, resamples={self.resamples}, valid={self.n_valid}, seed={self.seed}, ci_level={self.ci_level:g})"

    # -- statistics --
    def _parts_of(self, func: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(per-imputation estimates (M, m), per-imputation draws [(B_m, m)]) of ``func``."""
        est = np.stack([np.asarray(func(b.result.path_matrix[None]), dtype=float)[0] for b in self.parts])
        return est, [np.asarray(func(b.path_draws), dtype=float) for b in self.parts]

    def derived_draws(self, func: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(pooled estimate, pooled draws) of a statistic of the path matrices."""
        est, draws = self._parts_of(func)
        return _mean(list(est)), _concat(draws)

    def pool_quantity(self, func: Callable[[np.ndarray], np.ndarray], *, level: float | None = None) -> dict[str, np.ndarray]:
        """Rubin's rules (:func:`rubin_pool`) for a statistic: per-imputation estimates and bootstrap variances."""
        est, draws = self._parts_of(func)
        var = np.stack([d.std(axis=0, ddof=1) ** 2 for d in draws])
        return rubin_pool(est, var, level=self.ci_level if level is None else float(level))

    def _stat_table(self, labels: pd.DataFrame, est, draws, jack=None) -> pd.DataFrame:
        from leanlearn.pls.bootstrap_result import stat_table

        return stat_table(labels, est, draws, jack, self.ci_level)

    def derived(self, labels: pd.DataFrame, func: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
        """Pooled bootstrap table of statistics of the path matrices (see :meth:`BootstrapResult.derived`)."""
        est, draws = self.derived_draws(func)
        jack = func(self.parts[0].path_jackknife) if self.bca_available else None
        return self._stat_table(labels, est, draws, jack)

    def derived_test(self, func: Callable[[np.ndarray], np.ndarray], *, method: str = "percentile", level: float | None = None, value: float = 0.0) -> dict:
        """As :meth:`BootstrapResult.derived_test`, on the pooled draws; BCa bounds and p are NaN for M > 1."""
        from leanlearn.pls.bootstrap import bca_constants, bca_interval, tail_levels

        if method not in ("percentile", "bca"):
            raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
        level = self.ci_level if level is None else float(level)
        est, draws = self.derived_draws(func)
        est, draws = np.asarray(est, dtype=float)[:1], np.asarray(draws, dtype=float)[:, :1]
        out = {"estimate": float(est[0]), "n": int(draws.shape[0]), "std_error": float(draws[:, 0].std(ddof=1))}
        if method == "bca" and not self.bca_available:
            return {**out, "lower": np.nan, "upper": np.nan, "p_below": np.nan, "p_above": np.nan, "p_value": np.nan}
        z0 = a = None
        if method == "bca":
            jack = np.asarray(func(self.parts[0].path_jackknife), dtype=float)[:, :1]
            z0, a = bca_constants(draws, est, jack)
            lo, hi = bca_interval(draws, est, jack, level)
        else:
            lo, hi = percentile_interval(draws, level)
        below, above = tail_levels(draws, value, method=method, z0=z0, a=a)
        return {**out, "lower": float(lo[0]), "upper": float(hi[0]), "p_below": float(below[0]), "p_above": float(above[0]),
                "p_value": float(min(1.0, 2.0 * min(below[0], above[0])))}  # fmt: skip

    def table(self, family: str) -> pd.DataFrame:
        """Pooled table of one family, columns as :meth:`BootstrapResult.table`."""
        if family in self.parts[0].draws:
            jack = self.parts[0].jackknife[family] if self.bca_available else None
            return self._stat_table(self.labels[family], self.estimates[family], self.draws[family], jack)
        names = list(self.result.constructs)
        if family in ("total_effects", "total_indirect_effects"):
            P = self.result.path_matrix
            if family == "total_effects":
                keep = np.argwhere(np.abs(fx.total_effects(P)) > 0)
            else:
                keep = self.parts[0]._indirect_pairs()
            labels = pd.DataFrame({"source": [names[i] for i, _ in keep], "target": [names[j] for _, j in keep]})
            if not len(keep):
                return self.parts[0].table(family).iloc[0:0]
            sub = family == "total_indirect_effects"

            def f(Ps, keep=keep, sub=sub):
                T = fx.total_effects(Ps) - (Ps if sub else 0)
                return T[..., keep[:, 0], keep[:, 1]]

            return self.derived(labels, f)
        if family == "indirect_effects":
            ch = fx.chains(self.result.plan.final.adjacency)
            if not ch:
                return self.parts[0].table(family)
            labels = pd.DataFrame({"path": [c.label(names) for c in ch], "source": [names[c.source] for c in ch], "target": [names[c.target] for c in ch]})
            return self.derived(labels, lambda P: fx.chain_effects(P, ch))
        raise KeyError(f"unknown family {family!r}")


def _mean(arrays: list[np.ndarray]) -> np.ndarray:
    """Mean of the arrays (the array itself, exactly, when there is one)."""
    return arrays[0] if len(arrays) == 1 else np.stack(arrays).mean(axis=0)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


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
    raw = lookup.loc[keys.to_numpy()].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    have = data[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    obs = ~np.isnan(raw)
    if not np.allclose(raw[obs], have[obs], rtol=0, atol=1e-9):
        bad = sorted({cols[j] for j in np.argwhere(obs & ~np.isclose(raw, have, rtol=0, atol=1e-9, equal_nan=True))[:, 1]})
        raise DataError(f"{where}observed answers of {', '.join(bad[:5])} differ between the analysis data and the untreated data; both must come from the same screening run")
    out = data.copy()
    out[cols] = np.where(obs, have, np.nan)
    return out
