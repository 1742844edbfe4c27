r"""Multiple imputation, step 3: Rubin's rules and the pooled results.

:func:`rubin_pool` applies Rubin's (1987) rules to M estimates and their variances;
:class:`PooledResult` reads the M fitted models like one
:class:`~leanlearn.pls.engine.PLSResult` (every table averaged over the imputations), and
:class:`PooledBootstrap` their M bootstraps like one
:class:`~leanlearn.pls.bootstrap.BootstrapResult` (the pooled-draws approach). The
formulas are in the docstring of :mod:`leanlearn.data.imputation`, which re-exports these
names.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.effects import algebra as fx
from leanlearn.pls.bootstrap import BootstrapResult
from leanlearn.pls.bootstrap_result import interval_test
from leanlearn.pls.engine import PLSResult

__all__ = ["rubin_pool", "PooledResult", "PooledBootstrap"]


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
        return len(self.parts) == 1 and self.parts[0].bca_available

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
            raise ValueError("the jackknife (BCa) is not defined for draws pooled over several imputations or a bootstrap run without it")
        jack = self.parts[0].path_jackknife
        assert jack is not None  # bca_available
        return jack

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
        jack = func(self.path_jackknife) if self.bca_available else None
        return self._stat_table(labels, est, draws, jack)

    def derived_test(self, func: Callable[[np.ndarray], np.ndarray], *, method: str = "percentile", level: float | None = None, value: float = 0.0) -> dict:
        """As :meth:`BootstrapResult.derived_test`, on the pooled draws; BCa bounds and p are NaN for M > 1."""
        if method not in ("percentile", "bca"):
            raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
        est, draws = self.derived_draws(func)
        jack = func(self.path_jackknife) if method == "bca" and self.bca_available else None
        return interval_test(est, draws, jack, method=method, level=self.ci_level if level is None else level, value=value)

    def table(self, family: str) -> pd.DataFrame:
        """Pooled table of one family, columns as :meth:`BootstrapResult.table`."""
        if family in self.parts[0].draws:
            part_jack = self.parts[0].jackknife
            jack = part_jack[family] if self.bca_available and part_jack is not None else None
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
