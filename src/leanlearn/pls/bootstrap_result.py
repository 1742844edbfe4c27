"""Bootstrap, part 3: :class:`BootstrapResult`, the draws and their summary tables.

Re-exported by :mod:`leanlearn.pls.bootstrap`, whose :func:`~leanlearn.pls.bootstrap.bootstrap`
builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx
from leanlearn.pls.bootstrap_intervals import (
    _interval_columns,
    bca_constants,
    bca_interval,
    percentile_interval,
    tail_levels,
)
from leanlearn.pls.engine import PLSResult

if TYPE_CHECKING:
    from leanlearn.pls.summary import Summary


STAT_COLUMNS = [
    "estimate", "bootstrap_mean", "std_error", "t_value", "p_value", "ci_lower", "ci_upper", "ci_level",
    "bca_lower", "bca_upper", "bca_p_value", "n_resamples",
]  # fmt: skip


def stat_table(labels: pd.DataFrame, est, draws, jack, ci_level: float) -> pd.DataFrame:
    """One family's bootstrap table: the key columns of ``labels``, then estimate, bootstrap_mean,
    std_error, t_value, p_value, ci_lower, ci_upper, ci_level, bca_lower, bca_upper,
    bca_p_value, n_resamples (see :meth:`BootstrapResult.table`). ``jack`` None gives NaN BCa
    columns (pooled draws of several imputations have no one jackknife)."""
    est = np.asarray(est, dtype=float)
    draws = np.asarray(draws, dtype=float)
    se = draws.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = est / se
    cols = _interval_columns(draws, est, None if jack is None else np.asarray(jack, dtype=float), ci_level)
    stats = {
        "estimate": est, "bootstrap_mean": draws.mean(axis=0), "std_error": se, "t_value": t, "p_value": cols["p_value"],
        "ci_lower": cols["ci_lower"], "ci_upper": cols["ci_upper"], "ci_level": ci_level, "bca_lower": cols["bca_lower"],
        "bca_upper": cols["bca_upper"], "bca_p_value": cols["bca_p_value"], "n_resamples": draws.shape[0],
    }  # fmt: skip
    # built in one go: a column assignment per statistic costs more than the statistics
    keys = {c: labels[c].array for c in labels.columns if c not in stats}
    return pd.DataFrame({**keys, **stats}, index=pd.RangeIndex(len(labels)))


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap draws of a fitted model and their summaries.

    Attributes
    ----------
    result : PLSResult
        The model estimated on the sample.
    resamples : int
        Resamples requested.
    seed : int or None
    ci_level : float
    path_draws : ndarray, shape (B_valid, K, K)
        Path-coefficient matrices of the valid resamples; every effect (total, specific
        indirect, conditional, differences) is derived from these, so all inference uses
        the same draws.
    path_jackknife : ndarray, shape (n, K, K), or None
        None when the bootstrap ran without the jackknife (``bootstrap(..., jackknife=False)``).
    draws, jackknife, estimates : dict of ndarray
        Per family ("paths", "outer_loadings", "outer_weights", "htmt", "r_squared"):
        (B_valid, m), (n, m) and (m,) arrays; labels in :attr:`labels`. ``jackknife`` is None
        without the jackknife (then every BCa column is NaN).
    labels : dict of DataFrame
    status : DataFrame
        One row per reason: reason ("valid", "singular", "not_converged"), count.
    """

    result: PLSResult
    resamples: int
    seed: int | np.random.SeedSequence | None
    ci_level: float
    path_draws: np.ndarray = field(repr=False)
    path_jackknife: np.ndarray | None = field(repr=False)
    draws: dict = field(repr=False)
    jackknife: dict | None = field(repr=False)
    estimates: dict = field(repr=False)
    labels: dict = field(repr=False)
    status: pd.DataFrame = field(repr=False)

    @property
    def n_valid(self) -> int:
        return int(self.path_draws.shape[0])

    @property
    def bca_available(self) -> bool:
        """Whether the jackknife ran, so BCa intervals are defined."""
        return self.path_jackknife is not None

    def _jack(self, func: Callable[[np.ndarray], np.ndarray]):
        """``func`` of the jackknife's path matrices, None without the jackknife."""
        return None if self.path_jackknife is None else func(self.path_jackknife)

    @property
    def n_failed(self) -> int:
        return self.resamples - self.n_valid

    def summary(self) -> "Summary":
        """Bootstrap tables (estimate, mean, SE, t, p, percentile and BCa intervals) as text, Markdown, LaTeX or HTML.

        See :meth:`leanlearn.pls.summary.Summary.from_bootstrap` for the tables and notes.

        Examples
        --------
        >>> import leanlearn as ll
        >>> res = ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)
        >>> boot = ll.bootstrap(res, resamples=200, seed=1)
        >>> s = boot.summary()
        >>> [title for title, _ in s.tables][:3]
        ['Path coefficients', 'Total indirect effects', 'Specific indirect effects']
        >>> s.notes[0]
        'n = 344; 200 resamples requested, 200 valid; seed: 1'
        """
        from leanlearn.pls.summary import Summary

        return Summary.from_bootstrap(self)

    def __repr__(self) -> str:
        return (
            f"BootstrapResult(resamples={self.resamples}, valid={self.n_valid}, seed={self.seed}, "
            f"ci_level={self.ci_level:g}, result={self.result!r})"
        )

    # -- tables --
    def _stat_table(self, labels: pd.DataFrame, est, draws, jack) -> pd.DataFrame:
        return stat_table(labels, est, draws, jack, self.ci_level)

    def table(self, family: str) -> pd.DataFrame:
        """Tidy table of one family with bootstrap columns.

        Families: "paths", "outer_loadings", "outer_weights", "htmt", "r_squared",
        "total_effects", "total_indirect_effects", "indirect_effects".
        Columns: the family's key columns, then estimate, bootstrap_mean, std_error, t_value,
        p_value (bootstrap p matching the percentile interval), ci_lower, ci_upper
        (percentile), ci_level, bca_lower, bca_upper, bca_p_value (matching the BCa
        interval), n_resamples. See :func:`bootstrap_p_value`.
        """
        if family in self.draws:
            jk = None if self.jackknife is None else self.jackknife[family]
            return self._stat_table(self.labels[family], self.estimates[family], self.draws[family], jk)
        names = list(self.result.constructs)
        if family in ("total_effects", "total_indirect_effects"):
            f = lambda P: fx.total_effects(P) - (P if family == "total_indirect_effects" else 0)  # noqa: E731
            est, draws, jack = f(self.result.path_matrix), f(self.path_draws), self._jack(f)
            keep = np.argwhere(np.abs(est) > 0) if family == "total_effects" else self._indirect_pairs()
            labels = pd.DataFrame({"source": [names[i] for i, _ in keep], "target": [names[j] for _, j in keep]})
            if not len(keep):
                return _empty(labels)
            sel = (slice(None), keep[:, 0], keep[:, 1])
            return self._stat_table(labels, est[keep[:, 0], keep[:, 1]], draws[sel], None if jack is None else jack[sel])
        if family == "indirect_effects":
            ch = fx.chains(self.result.plan.final.adjacency)
            labels = pd.DataFrame(
                {
                    "path": [c.label(names) for c in ch],
                    "source": [names[c.source] for c in ch],
                    "target": [names[c.target] for c in ch],
                }
            )
            if not ch:
                return _empty(labels)
            return self.derived(labels, lambda P: fx.chain_effects(P, ch))
        raise KeyError(f"unknown family {family!r}")

    def _indirect_pairs(self) -> np.ndarray:
        ch = fx.chains(self.result.plan.final.adjacency)
        pairs = sorted({(c.source, c.target) for c in ch})
        return np.array(pairs, dtype=int).reshape(-1, 2)

    def derived(self, labels: pd.DataFrame, func: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
        """Bootstrap table of statistics derived from the path coefficients.

        ``func`` maps path matrices (..., K, K) to (..., m); it is applied to the sample's
        paths, every valid resample and the jackknife, so derived effects (differences of
        indirect effects, conditional indirect effects, indices of moderated mediation)
        share the draws of all other results.
        """
        est = np.asarray(func(self.result.path_matrix[None]))[0]
        return self._stat_table(labels, est, func(self.path_draws), self._jack(func))

    def derived_test(self, func: Callable[[np.ndarray], np.ndarray], *, method: str = "percentile", level: float | None = None, value: float = 0.0) -> dict:
        """Interval and matching bootstrap p-values of the first statistic of ``func`` (see :meth:`derived`).

        Returns a dict: estimate, lower, upper (the two-sided interval of ``method``,
        "percentile" or "bca", at ``level``, default :attr:`ci_level`), p_below, p_above (the
        one-sided bootstrap p-values of H0: θ ≤ ``value`` and H0: θ ≥ ``value``; see
        :func:`tail_levels`), p_value (two-sided, :func:`bootstrap_p_value`) and n (valid
        draws). The interval at level 1 − α excludes ``value`` exactly when p_value < α.
        """
        if method not in ("percentile", "bca"):
            raise ValueError(f"method must be 'percentile' or 'bca', not {method!r}")
        est = np.asarray(func(self.result.path_matrix[None]), dtype=float)[0]
        jack = func(self.path_jackknife) if method == "bca" and self.path_jackknife is not None else None
        return interval_test(est, func(self.path_draws), jack, method=method, level=self.ci_level if level is None else level, value=value)

    def derived_draws(self, func: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(estimate, draws) of a derived statistic, for callers that need the raw draws."""
        return np.asarray(func(self.result.path_matrix[None]))[0], func(self.path_draws)


def interval_test(est, draws, jack, *, method: str, level: float, value: float = 0.0) -> dict:
    """Interval and matching bootstrap p-values of the first of the statistics (see :meth:`BootstrapResult.derived_test`).

    ``est`` (m,) the sample's estimates, ``draws`` (B, m) the valid resamples' and ``jack``
    (n, m) the jackknife's (None: BCa undefined, its bounds and p-values NaN). Returns
    estimate, lower, upper, p_below, p_above, p_value, n, std_error. Shared by the bootstrap
    and the pooled multiple-imputation bootstrap.
    """
    est = np.asarray(est, dtype=float)[:1]
    draws = np.asarray(draws, dtype=float)[:, :1]
    out = {"estimate": float(est[0]), "n": int(draws.shape[0]), "std_error": float(draws[:, 0].std(ddof=1))}
    level = float(level)
    z0 = a = None
    if method == "bca":
        if jack is None:
            return {**out, "lower": np.nan, "upper": np.nan, "p_below": np.nan, "p_above": np.nan, "p_value": np.nan}
        jack = np.asarray(jack, dtype=float)[:, :1]
        z0, a = bca_constants(draws, est, jack)
        lo, hi = bca_interval(draws, est, jack, level)
    else:
        lo, hi = percentile_interval(draws, level)
    below, above = tail_levels(draws, value, method=method, z0=z0, a=a)
    return {**out, "lower": float(lo[0]), "upper": float(hi[0]), "p_below": float(below[0]), "p_above": float(above[0]),
            "p_value": float(min(1.0, 2.0 * min(below[0], above[0])))}  # fmt: skip


def _empty(labels: pd.DataFrame) -> pd.DataFrame:
    """A table with no rows but every bootstrap column (a model without such effects)."""
    out = labels.copy()
    for col in STAT_COLUMNS:
        out[col] = pd.Series(dtype=float)
    return out


def _labels(result: PLSResult) -> dict[str, pd.DataFrame]:
    lay = result.plan.final
    names = list(lay.constructs)
    pairs = [(a, b) for a in range(lay.K) for b in range(a + 1, lay.K)]
    endo = lay.endogenous
    return {
        "paths": result.path_coefficients[["source", "target"]].copy(),
        "outer_loadings": result.outer_loadings[["construct", "indicator"]].copy(),
        "outer_weights": result.outer_weights[["construct", "indicator"]].copy(),
        "htmt": pd.DataFrame({"construct_a": [names[a] for a, _ in pairs], "construct_b": [names[b] for _, b in pairs]}),
        "r_squared": pd.DataFrame({"construct": [names[j] for j in endo]}),
    }


def _flatten(result: PLSResult, summ: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    lay = result.plan.final
    names = list(lay.constructs)
    pidx = [(names.index(s), names.index(t)) for s, t in zip(result.path_coefficients.source, result.path_coefficients.target)]
    pa, pb = np.array([i for i, _ in pidx]), np.array([j for _, j in pidx])
    iu = np.triu_indices(lay.K, 1)
    return {
        "paths": summ["paths"][:, pa, pb],
        "outer_loadings": summ["outer_loadings"],
        "outer_weights": summ["outer_weights"],
        "htmt": summ["htmt"][:, iu[0], iu[1]],
        "r_squared": summ["r_squared"][:, lay.endogenous],
    }
