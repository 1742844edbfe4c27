r"""Importance-performance map analysis (IPMA) and its combination with NCA (cIPMA).

Ringle & Sarstedt (2016), "Gain more insight from your PLS-SEM results: the
importance-performance map analysis", *Industrial Management & Data Systems* 116(9),
1865–1886; Hair, Sarstedt, Ringle & Gudergan (2024), *Advanced Issues in PLS-SEM*, 2nd
ed., ch. 3; Hauff, Richter, Sarstedt & Ringle (2024), "Importance and performance in
PLS-SEM and NCA: introducing the combined importance-performance map analysis
(cIPMA)", *Journal of Retailing and Consumer Services* 78, 103723.

Procedure
---------
1. Every indicator is rescaled to 0–100 with the *scale's* minimum and maximum
   (from the codebook, or one range for all items), :math:`\tilde x = 100\,(x - \min)/(\max - \min)`.
   Without a known scale the observed minimum and maximum are used (and reported).
2. The standardised outer weights :math:`w_j` of the estimated model (weights of
   z-scored indicators giving unit-variance scores) become *unstandardised* weights of
   the rescaled indicators, :math:`w_j / \tilde s_j` (:math:`\tilde s_j` the SD of
   :math:`\tilde x_j`, n − 1), and are then divided by their sum within the construct:

   .. math:: r_j = \frac{w_j / \tilde s_j}{\sum_{l \in k} w_l / \tilde s_l}.

3. The rescaled construct scores :math:`\tilde\xi_k = \sum_{j \in k} r_j \tilde x_j` lie
   on 0–100 when every :math:`r_j \ge 0`; a construct's **performance** is their mean,
   :math:`\sum_j r_j\,\overline{\tilde x_j}`, and an indicator's performance is
   :math:`\overline{\tilde x_j}`.
4. :math:`\tilde\xi_k` is an increasing affine function of the standardised score
   :math:`\xi_k` with slope :math:`sd(\tilde\xi_k)`, so the *unstandardised* path
   coefficients are :math:`\tilde b_{st} = b_{st}\, sd(\tilde\xi_t)/sd(\tilde\xi_s)` (for
   PLS, exactly the OLS slopes of the rescaled scores on each other), and the
   **importance** of construct s for the target is the unstandardised total effect
   :math:`\tilde T_{s,target}` with :math:`\tilde T = (I - \tilde B)^{-1} - I`. An
   indicator's importance is :math:`r_j\,\tilde T_{k(j),target}`: the change of the
   target's 0–100 score when the indicator rises by one point (Ringle & Sarstedt 2016).

Preconditions (Ringle & Sarstedt 2016): all indicators coded in the same direction
(reverse-keyed items recoded, as ``leanlearn ingest`` does), a scale with known end
points, and positive outer weights. A negative rescaled weight is reported in
:attr:`IPMAResult.notes`: the construct's performance can then leave 0–100.

cIPMA (Hauff et al. 2024)
-------------------------
Every construct of the IPMA is also tested as a necessary condition of the target with
NCA (:mod:`leanlearn.robustness.nca`) on the rescaled 0–100 scores; for a desired target
level (default 80 on the target's 0–100 scale) the ceiling gives the construct level
that is required, and ``cases_below`` is the percentage of cases below it (cases that
cannot reach the target level unless that construct improves). A construct is called
necessary by Dul et al.'s rule (d ≥ 0.1 and p < 0.05, :func:`leanlearn.robustness.nca.necessity`).

Checked by invariances and hand computation (tests/test_ipma.py): single-item constructs
reduce to regressions of the rescaled items (importance = OLS slope of the rescaled target
item on the rescaled predictor, performance = the rescaled mean); for a multi-item model
the importance equals the OLS slopes (direct paths) and the implied total effects of the
regression of the rescaled construct scores; recoding an item's scale affinely (e.g. 1–7
to 0–6 with the scale moved alike) leaves every importance and performance unchanged;
the construct's performance equals the weighted mean of its indicators' performances.
Interaction terms have no performance and no unconditional total effect, so models with
interactions are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from leanlearn.effects.algebra import total_effects
from leanlearn.errors import DataError, SpecError

__all__ = ["IPMAResult", "ipma", "cipma", "DEFAULT_TARGET_LEVEL"]

DEFAULT_TARGET_LEVEL = 80.0


@dataclass(frozen=True)
class IPMAResult:
    """IPMA of one target construct. All tables are tidy DataFrames.

    Attributes
    ----------
    target : str
    constructs : DataFrame
        construct, importance (unstandardised total effect on the target), performance
        (0–100): every construct with a structural total effect on the target, in model
        order (``ipma_constructs.csv``).
    indicators : DataFrame
        construct, indicator, weight (rescaled outer weight r_j, summing to 1 within the
        construct), importance (r_j × the construct's importance), performance (mean of
        the rescaled indicator) (``ipma_indicators.csv``).
    scales : DataFrame
        indicator, scale_min, scale_max, source ("codebook", "option" or "observed").
    scores : DataFrame
        Rescaled (0–100) construct scores, one row per case, one column per construct.
    paths : DataFrame
        source, target, standardised, unstandardised: the structural paths.
    target_performance : float
        Performance of the target itself.
    notes : list of str
        Departures from the preconditions (negative weights, observed scale ends).
    """

    target: str
    constructs: pd.DataFrame = field(repr=False)
    indicators: pd.DataFrame = field(repr=False)
    scales: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    paths: pd.DataFrame = field(repr=False)
    target_performance: float
    notes: list = field(default_factory=list, repr=False)


def _scale_table(items, X: np.ndarray, scales: Mapping | None, scale_range: tuple[float, float] | None) -> pd.DataFrame:
    rows = []
    for j, item in enumerate(items):
        if scale_range is not None:
            lo, hi, src = float(scale_range[0]), float(scale_range[1]), "option"
        elif scales is not None and item in scales:
            lo, hi, src = float(scales[item][0]), float(scales[item][1]), "codebook"
        else:
            lo, hi, src = float(X[:, j].min()), float(X[:, j].max()), "observed"
        if not hi > lo:
            raise DataError(
                f"IPMA: indicator {item!r} has no range to rescale ({'its values are constant' if src == 'observed' else 'scale maximum not above its minimum'}); "
                "give its scale in the codebook or with --scale-min/--scale-max"
            )
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        outside = int(np.sum((X[:, j] < lo - tol) | (X[:, j] > hi + tol)))
        if outside:
            raise DataError(
                f"IPMA: indicator {item!r} has {outside} value(s) outside its scale {lo:g}-{hi:g} ({src}); "
                "check the scale in the codebook or --scale-min/--scale-max, or the data's coding"
            )
        rows.append((item, lo, hi, src))
    return pd.DataFrame(rows, columns=["indicator", "scale_min", "scale_max", "source"])


def ipma(res, target: str, *, scales: Mapping[str, tuple[float, float]] | None = None,
         scale_range: tuple[float, float] | None = None) -> IPMAResult:  # fmt: skip
    """Importance-performance map analysis of ``target`` in an estimated model.

    Parameters
    ----------
    res : leanlearn.pls.engine.PLSResult
        The estimated model (its prepared data, weights and paths are used).
    target : str
        The target construct (must be endogenous).
    scales : mapping item -> (min, max), optional
        Scale end points per indicator, e.g. ``codebook.item_scales()``.
    scale_range : (min, max), optional
        One scale for every indicator (overrides ``scales``).

    Returns
    -------
    IPMAResult
        See the module notes for the formulas.
    """
    spec = res.spec
    if spec.interactions:
        raise SpecError(
            "IPMA: the model has interaction terms, which have neither a performance nor an unconditional total effect; "
            "run the IPMA on the main-effects model (without the X:Z terms; the ipma verb's --main-effects)"
        )
    lay = res.plan.final
    names = list(lay.constructs)
    if target not in names:
        raise SpecError(f"IPMA: target {target!r} is not a construct of the model (constructs: {', '.join(names)})")
    t = names.index(target)
    if not lay.adjacency[:, t].any():
        raise SpecError(f"IPMA: target {target!r} is exogenous (no construct points to it); choose an endogenous construct")
    X = res.prepared.X[:, lay.sources]
    items = list(lay.columns)
    scale_df = _scale_table(items, X, scales, scale_range)
    lo, hi = scale_df.scale_min.to_numpy(), scale_df.scale_max.to_numpy()
    Xr = 100.0 * (X - lo) / (hi - lo)
    sd = Xr.std(axis=0, ddof=1)
    if np.any(sd <= 0):
        bad = [items[j] for j in np.flatnonzero(sd <= 0)]
        raise DataError(f"IPMA: indicator(s) {', '.join(bad)} are constant in the data used")
    w = res.batch.weights[0] / sd
    onehot = lay.onehot
    sums = w @ onehot
    notes: list[str] = []
    if np.any(np.abs(sums) < 1e-12):
        raise DataError("IPMA: a construct's unstandardised weights sum to zero, so its rescaled score is undefined")
    r = w / sums[lay.block]
    scores = Xr @ (r[:, None] * onehot)
    neg = [items[j] for j in np.flatnonzero(r < 0)]
    if neg:
        notes.append(
            f"negative rescaled outer weight(s) for {', '.join(neg)}: the performance of their construct(s) can leave 0-100 "
            "(Ringle & Sarstedt 2016 require positive weights; check the items' coding and collinearity)"
        )
    observed = scale_df.indicator[scale_df.source == "observed"].tolist()
    if observed:
        notes.append(f"no scale known for {', '.join(observed)}: rescaled with the observed minimum and maximum")
    perf_items = Xr.mean(axis=0)
    perf = scores.mean(axis=0)
    ssd = scores.std(axis=0, ddof=1)
    P = res.batch.paths[0]
    B = P * ssd[None, :] / ssd[:, None]
    T = total_effects(B)
    reach = total_effects(lay.adjacency.astype(float)) != 0
    sources = [k for k in range(len(names)) if reach[k, t]]
    constructs = pd.DataFrame({"construct": [names[k] for k in sources], "importance": [T[k, t] for k in sources],
                               "performance": [perf[k] for k in sources]})  # fmt: skip
    ind_rows = []
    for k in sources:
        for j in lay.cols(k):
            ind_rows.append((names[k], items[j], r[j], r[j] * T[k, t], perf_items[j]))
    indicators = pd.DataFrame(ind_rows, columns=["construct", "indicator", "weight", "importance", "performance"])
    path_rows = [(p.source, p.target, P[names.index(p.source), names.index(p.target)], B[names.index(p.source), names.index(p.target)])
                 for p in spec.paths]  # fmt: skip
    return IPMAResult(
        target=target,
        constructs=constructs,
        indicators=indicators,
        scales=scale_df,
        scores=pd.DataFrame(scores, columns=names, index=res.scores.index),
        paths=pd.DataFrame(path_rows, columns=["source", "target", "standardised", "unstandardised"]),
        target_performance=float(perf[t]),
        notes=notes,
    )


def cipma(result: IPMAResult, *, permutations: int = 10000, seed=None, ceiling: str = "cr_fdh",
          target_level: float = DEFAULT_TARGET_LEVEL) -> pd.DataFrame:  # fmt: skip
    """Combined importance-performance map analysis (Hauff et al. 2024).

    Parameters
    ----------
    result : IPMAResult
    permutations, seed :
        NCA permutation test (:func:`leanlearn.robustness.nca.nca_scores`; construct j of
        the IPMA table draws from stream ``(seed, "permutation", "nca", j)``).
    ceiling : {"cr_fdh", "ce_fdh"}
        Ceiling used for the effect size and the required level.
    target_level : float
        Desired level of the target on its 0–100 scale.

    Returns
    -------
    DataFrame
        construct, importance, performance, ceiling, effect_size, p_value, necessary,
        target_level, required_level (construct level on 0–100 that the ceiling requires;
        NaN when not attainable in the data), status ("not necessary", "required", "not
        attainable"), cases_below (percentage of cases below the required level).
    """
    from leanlearn.robustness.nca import CEILINGS, nca_scores, required_level

    if ceiling not in CEILINGS:
        raise ValueError(f"ceiling must be one of {CEILINGS}, not {ceiling!r}")
    if not 0 <= target_level <= 100:
        raise ValueError(f"target_level must be between 0 and 100 (the target's 0-100 scale), got {target_level}")
    pairs = [(c, result.target) for c in result.constructs.construct]
    res = nca_scores(result.scores, pairs, permutations=permutations, seed=seed)
    d = res.details[res.details.ceiling == ceiling]
    eff = dict(zip(d.source, d.effect_size))
    pval = dict(zip(d.source, d.p_value))
    nec = dict(zip(d.source, d.necessary))
    rows = []
    y = result.scores[result.target].to_numpy()
    for r in result.constructs.itertuples():
        c = str(r.construct)
        x = result.scores[c].to_numpy()
        value, status = required_level(x, y, target_level, ceiling=ceiling)
        below = 0.0 if status == "not necessary" else (100.0 * float(np.mean(x < value)) if status == "required" else np.nan)
        rows.append((c, r.importance, r.performance, ceiling, eff[c], pval[c], bool(nec[c]), float(target_level),
                     value if status != "not attainable" else np.nan, status, below))  # fmt: skip
    return pd.DataFrame(rows, columns=["construct", "importance", "performance", "ceiling", "effect_size", "p_value", "necessary",
                                       "target_level", "required_level", "status", "cases_below"])  # fmt: skip
