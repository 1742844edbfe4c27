"""PLS engine, part 4: :class:`PLSResult`, the fitted model with its tidy tables.

Re-exported by :mod:`leanlearn.pls.engine`, whose :func:`~leanlearn.pls.engine.estimate`
builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from leanlearn.pls.batch import BatchFit
from leanlearn.pls.plan import Layout, Plan, Settings
from leanlearn.pls.prepare import PreparedData
from leanlearn.spec.model import ModelSpec

if TYPE_CHECKING:
    from leanlearn.pls.summary import Summary


# ---- the fitted model -----------------------------------------------------------------------
def _indicator_frame(lay: Layout, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": [lay.constructs[k] for k in lay.block],
            "indicator": list(lay.columns),
            "estimate": values,
        }
    )


@dataclass(frozen=True)
class PLSResult:
    """A fitted PLS-SEM model. All tables are tidy DataFrames.

    Attributes
    ----------
    spec : ModelSpec
    settings : Settings
    constructs : tuple of str
    outer_weights, outer_loadings : DataFrame
        Columns construct, indicator, estimate.
    cross_loadings : DataFrame
        Item–construct correlations; index indicator, one column per construct.
    path_coefficients : DataFrame
        Columns source, target, estimate (model order).
    r_squared : DataFrame
        Columns construct, r_squared, r_squared_adj.
    reliability : DataFrame
        Columns construct, cronbach_alpha, rho_c, ave, rho_a.
    htmt, htmt2, fornell_larcker, construct_correlations : DataFrame
        Square tables indexed and labelled by construct.
    vif_items : DataFrame
        Columns construct, indicator, vif.
    vif_inner : DataFrame
        Columns source, target, vif (NaN when the target has a single antecedent).
    f_squared : DataFrame
        Columns source, target, f_squared.
    effects : DataFrame
        Columns source, target, direct, indirect, total (every pair with a non-zero total).
    indirect_effects : DataFrame
        Columns path, source, target, estimate: every specific indirect effect.
    scores : DataFrame
        Construct scores, one row per case used.
    fit : DataFrame
        Columns model (saturated/estimated), srmr, d_uls, d_g.
    iterations : int
        0-based iteration at which the stop rule held (seminr's convention).
    converged : bool
    n : int
        Cases used.
    data_report : DataFrame
        Missing data per item (see :class:`leanlearn.pls.prepare.PreparedData`).
    """

    spec: ModelSpec
    settings: Settings
    plan: Plan = field(repr=False)
    constructs: tuple[str, ...]
    outer_weights: pd.DataFrame = field(repr=False)
    outer_loadings: pd.DataFrame = field(repr=False)
    cross_loadings: pd.DataFrame = field(repr=False)
    path_coefficients: pd.DataFrame = field(repr=False)
    r_squared: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    htmt: pd.DataFrame = field(repr=False)
    htmt2: pd.DataFrame = field(repr=False)
    fornell_larcker: pd.DataFrame = field(repr=False)
    construct_correlations: pd.DataFrame = field(repr=False)
    vif_items: pd.DataFrame = field(repr=False)
    vif_inner: pd.DataFrame = field(repr=False)
    f_squared: pd.DataFrame = field(repr=False)
    effects: pd.DataFrame = field(repr=False)
    indirect_effects: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    fit: pd.DataFrame = field(repr=False)
    iterations: int
    converged: bool
    n: int
    data_report: pd.DataFrame = field(repr=False)
    prepared: PreparedData = field(repr=False)
    batch: BatchFit = field(repr=False)

    @property
    def path_matrix(self) -> np.ndarray:
        return self.batch.paths[0]

    def path(self, source: str, target: str) -> float:
        row = self.path_coefficients[
            (self.path_coefficients.source == source) & (self.path_coefficients.target == target)
        ]
        if row.empty:
            raise KeyError(f"no path {source} -> {target}")
        return float(row.estimate.iloc[0])

    def summary(self) -> "Summary":
        """Tables of the estimates and the assessment as text, Markdown, LaTeX or HTML.

        Examples
        --------
        >>> import leanlearn as ll
        >>> res = ll.estimate(ll.datasets.load("mobi"), ll.datasets.model("mobi"))
        >>> print(res.summary().to_text().splitlines()[0])
        PLS-SEM estimation
        >>> "tabular" in res.summary().to_latex()
        True
        """
        from leanlearn.pls.summary import Summary

        return Summary.from_result(self)

    def __repr__(self) -> str:
        return (
            f"PLSResult(n={self.n}, constructs={len(self.constructs)}, paths={len(self.path_coefficients)}, "
            f"scheme={self.settings.scheme!r}, converged={self.converged}, iterations={self.iterations})"
        )
