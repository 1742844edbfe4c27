"""Higher-order constructs (HOCs): a layer above the engine that estimates them in stages.

A higher-order construct is measured by constructs, its lower-order constructs (LOCs):
``LP =~ JIT + TQM + TPM + HRM`` (a Mode A HOC; ``<~`` for a Mode B HOC). The engine fits
one-stage models; this module turns a HOC model into engine models and chains them.

Approaches (Sarstedt, Hair, Cheah, Becker & Ringle 2019; Becker, Klein & Wetzels 2012)
--------------------------------------------------------------------------------------
``two_stage`` (the disjoint two-stage approach, seminr's ``higher_composite`` default)
    Stage 1 estimates the model with every HOC replaced by its LOCs: each antecedent of the
    HOC points to every LOC, every LOC points to each outcome of the HOC (interaction terms
    are left out of stage 1, as in seminr). Stage 2 estimates the model with the HOC
    measured by the stage-1 scores of its LOCs; every other construct is measured by its
    items as usual.
``embedded_two_stage``
    Stage 1 is the repeated-indicators model (below, without interaction terms); stage 2 is
    the same as in the two-stage approach.
``repeated_indicators``
    One stage: the HOC is measured by all items of its LOCs (Mode A for ``=~``, Mode B for
    ``<~``, Becker et al. 2012), and the LOCs enter the structural model — HOC -> LOC for
    a ``=~`` HOC (reflective-reflective type), LOC -> HOC for a ``<~`` HOC
    (reflective-formative type). The HOC–LOC paths are reported with the other paths.

The result is an ordinary :class:`leanlearn.pls.engine.PLSResult` of the final stage: its
``spec`` is the final stage's model (for the two-stage approaches the HOC's indicators are
named after its LOCs and hold their stage-1 scores), its ``prepared`` holds the raw items of
the whole model, and its ``plan.staged`` is a :class:`HOCStages` that refits every stage.
:func:`leanlearn.pls.bootstrap.bootstrap` therefore redoes stage 1 and stage 2 in every
resample (and in the jackknife) without knowing about HOCs: stage 1 runs on the resample's
case counts, its LOC scores become the stage-2 indicators of that resample, and a resample
fails if either stage fails or does not converge.

The assessment of the higher-order level (reliability, convergent validity, VIF of the
LOCs as the HOC's indicators) is :func:`leanlearn.measurement.assessment.hoc_assessment`.

Checked against the seminr Python port (``higher_composite``, two-stage) at 1e-6 on the mobi
data (tests/test_hoc.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from leanlearn.errors import SpecError
from leanlearn.pls.engine import (
    BatchFit,
    Plan,
    PLSResult,
    Settings,
    _impute_means,
    estimate,
    fit_batch,
)
from leanlearn.pls.prepare import prepare_data
from leanlearn.spec.model import ModelSpec, Path, parse_model

__all__ = [
    "HOC_METHODS",
    "HOCStages",
    "estimate_hoc",
    "first_stage_spec",
    "second_stage_spec",
    "repeated_indicators_spec",
    "final_stage_data",
]

HOC_METHODS = ("two_stage", "embedded_two_stage", "repeated_indicators")


# ---- the engine models of each stage ----------------------------------------------------------
def _check(spec: ModelSpec) -> None:
    if not spec.higher_order:
        raise SpecError("the model has no higher-order construct (a construct whose indicators are constructs)")


def first_stage_spec(spec: ModelSpec) -> ModelSpec:
    """Stage 1 of the (disjoint) two-stage approach: every HOC replaced by its LOCs.

    Paths into a HOC go to each of its LOCs, paths out of it leave from each LOC (a path
    between two HOCs links every pair of their LOCs); interaction terms are left out.
    """
    _check(spec)
    locs = {h.name: h.indicators for h in spec.higher_order}
    paths: list[Path] = []
    seen: set[tuple[str, str]] = set()
    inter = {i.name for i in spec.interactions}
    for p in spec.paths:
        if p.source in inter:
            continue
        for s in locs.get(p.source, (p.source,)):
            for t in locs.get(p.target, (p.target,)):
                if (s, t) not in seen:
                    seen.add((s, t))
                    paths.append(Path(s, t))
    constructs = tuple(c for c in spec.constructs if not c.is_higher_order)
    return _connected(ModelSpec(constructs=constructs, interactions=(), paths=tuple(paths)), "first stage")


def second_stage_spec(spec: ModelSpec) -> ModelSpec:
    """Stage 2 of both two-stage approaches: each HOC measured by columns named after its LOCs.

    The LOCs leave the model as constructs; the HOC keeps its operator (``=~`` Mode A,
    ``<~`` Mode B) and every path, interaction terms included.
    """
    _check(spec)
    lower = set(spec.lower_order)
    constructs = tuple(
        replace(c, kind="measured") if c.is_higher_order else c for c in spec.constructs if c.name not in lower
    )
    text = spec.text
    return ModelSpec(constructs=constructs, interactions=spec.interactions, paths=spec.paths, text=text)


def repeated_indicators_spec(spec: ModelSpec, *, interactions: bool = True) -> ModelSpec:
    """The repeated-indicators model: each HOC measured by all items of its LOCs.

    ``=~`` HOCs point to their LOCs (HOC -> LOC), ``<~`` HOCs receive paths from them
    (LOC -> HOC). The LOC–HOC paths come after the model's own paths. With
    ``interactions=False`` interaction terms are left out (the embedded two-stage
    approach's first stage).
    """
    _check(spec)
    by_name = {c.name: c for c in spec.constructs}
    constructs = []
    extra: list[Path] = []
    for c in spec.constructs:
        if c.is_higher_order:
            items = tuple(i for loc in c.indicators for i in by_name[loc].indicators)
            constructs.append(replace(c, indicators=items, kind="measured"))
            for loc in c.indicators:
                extra.append(Path(c.name, loc) if c.reflective else Path(loc, c.name))
        else:
            constructs.append(c)
    inter = {i.name for i in spec.interactions}
    own = tuple(p for p in spec.paths if interactions or p.source not in inter)
    out = ModelSpec(
        constructs=tuple(constructs),
        interactions=spec.interactions if interactions else (),
        paths=own + tuple(extra),
    )
    return _connected(out, "repeated-indicators model")


def _connected(spec: ModelSpec, what: str) -> ModelSpec:
    used = {p.source for p in spec.paths} | {p.target for p in spec.paths}
    loose = [c.name for c in spec.constructs if c.name not in used]
    if loose:
        raise SpecError(
            f"in the {what} of this higher-order model, {', '.join(loose)} would be in no structural path "
            "(it is linked to the rest only through interaction terms, which that stage leaves out)"
        )
    return spec


# ---- the staged fit used by fit_batch / fit_counts --------------------------------------------
@dataclass(frozen=True)
class HOCStages:
    """How to refit a HOC model on a batch of data sets (the engine's ``Plan.staged`` hook).

    Attributes
    ----------
    method : str
        One of :data:`HOC_METHODS`.
    spec : ModelSpec
        The model as written (with its higher-order constructs).
    first : Plan or None
        Engine plan of stage 1 (None for repeated indicators).
    first_columns : ndarray of int
        Positions of stage 1's items (``first.items``) in the raw items.
    loc_index : ndarray of int
        For each LOC score column of stage 2, its construct index in stage 1.
    final : Plan
        Engine plan of the final stage (stage 2, or the repeated-indicators model).
    final_columns : ndarray of int
        For each item of ``final.items``: its position in the raw items, or -1 - j for the
        j-th LOC score column.
    first_stage : dict of DataFrame
        Stage-1 tables of the sample (outer_loadings, outer_weights, reliability,
        vif_items, htmt; empty for repeated indicators): the LOCs' own measurement model.
    """

    method: str
    spec: ModelSpec
    first: Plan | None
    first_columns: np.ndarray
    loc_index: np.ndarray
    final: Plan
    final_columns: np.ndarray
    first_stage: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def locs(self) -> tuple[str, ...]:
        return self.spec.lower_order

    def fit(self, X: np.ndarray, counts: np.ndarray, keep_rows: bool = False) -> BatchFit:
        """Fit every stage on the data sets given by ``counts`` (B, n) over raw items ``X`` (n, p)."""
        X = np.asarray(X, dtype=float)
        c = np.asarray(counts, dtype=float)
        if self.first is None:
            return fit_batch(self.final, X[:, self.final_columns], c, keep_rows=keep_rows)
        return self.fit_stages(X, c, keep_rows=keep_rows)[2]

    def fit_stages(self, X: np.ndarray, counts: np.ndarray, keep_rows: bool = False) -> tuple[BatchFit, np.ndarray, BatchFit]:
        """(stage-1 fit, stage-2 columns (B, n, p2), stage-2 fit) of the two-stage approaches.

        The stage-2 columns of every data set hold its items and its LOC scores, formed for
        *all* n rows with that data set's stage-1 weights, means and SDs (rows with count 0
        included: PLSpredict uses them for the test cases of a fold).
        """
        X = np.asarray(X, dtype=float)
        c = np.asarray(counts, dtype=float)
        if self.first is None:
            raise ValueError("the repeated-indicators approach has one stage")
        fit1 = fit_batch(self.first, X[:, self.first_columns], c, keep_rows=True)
        lay1 = self.first.final
        assert fit1.Z is not None
        # stage-1 scores of the LOCs in every data set: z-scored columns times unit-variance weights
        W = fit1.weights[:, :, None] * lay1.onehot[None, :, self.loc_index]
        with np.errstate(invalid="ignore"):
            scores = np.matmul(fit1.Z, W)
        failed1 = fit1.failed | ~np.isfinite(scores).all(axis=(1, 2))
        scores = np.where(failed1[:, None, None], 0.0, scores)
        Xi = _impute_means(X, c)  # the mean replacement of each data set, as in stage 1
        B, n = c.shape
        if Xi.ndim == 2:
            Xi = np.broadcast_to(Xi, (B,) + Xi.shape)
        cols = []
        for j in self.final_columns:
            cols.append(Xi[:, :, j] if j >= 0 else scores[:, :, -1 - j])
        X2 = np.stack(cols, axis=2)
        fit2 = fit_batch(self.final, X2, c, keep_rows=keep_rows)
        fit2.failed = fit2.failed | failed1
        fit2.converged = fit2.converged & fit1.converged & ~fit2.failed
        return fit1, X2, fit2


# ---- estimation ---------------------------------------------------------------------------------
def estimate_hoc(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    method: str = "two_stage",
    settings: Settings | None = None,
    source: str | None = None,
    assess: bool = True,
    on_nonconvergence: str = "warn",
    weights=None,
    **kwargs,
) -> PLSResult:
    """Estimate a model with higher-order constructs.

    Parameters
    ----------
    data : DataFrame
        One row per case; items as columns.
    model : ModelSpec or str
        A model with at least one higher-order construct (``H =~ X + W`` where X and W are
        constructs; see :mod:`leanlearn.spec.model`).
    method : {"two_stage", "embedded_two_stage", "repeated_indicators"}
        The approach (module docstring); default the disjoint two-stage approach, seminr's.
    settings : Settings, optional
        Engine settings (scheme, PLSc, missing data, ...), used by every stage; or give them
        as keyword arguments as for :func:`leanlearn.estimate`.
    source : str, optional
        Data file name for error messages.
    assess : bool
        Compute the assessment tables (of the final stage, and of stage 1 for the LOCs).
    on_nonconvergence : {"warn", "error"}
    weights : str or array-like, optional
        Case weights (weighted PLS, frequency weights as in :func:`leanlearn.estimate`): a
        column of ``data`` or one number per row. They enter every stage: the missing-data
        treatment (weighted means), stage 1 (weighted correlations, so the LOC scores are
        standardised with the weights) and stage 2; the bootstrap multiplies its case
        counts by them in both stages. Integer weights give exactly the result of
        duplicating rows (tests/test_hoc_extensions.py).

    Returns
    -------
    PLSResult
        Of the final stage; ``result.plan.staged`` is the :class:`HOCStages` (with the
        stage-1 tables in ``first_stage``). Bootstrap it with :func:`leanlearn.bootstrap`.

    Notes
    -----
    Missing cells are treated once, on all items of the model (mean replacement or listwise
    deletion), and stage 2 uses the treated items; f² of the final stage re-estimates that
    stage without the path, keeping the stage-1 scores. The two-stage estimates match the
    seminr Python port's ``higher_composite`` at 1e-6 (tests/test_hoc.py).

    Examples
    --------
    >>> import leanlearn as ll
    >>> from leanlearn.pls.hoc import estimate_hoc
    >>> model = '''
    ...   Image  =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    ...   Expect =~ CUEX1 + CUEX2 + CUEX3
    ...   Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
    ...   Value =~ PERV1 + PERV2
    ...   Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    ...   Antecedents =~ Image + Expect
    ...   Quality ~ Antecedents
    ...   Value ~ Antecedents + Quality
    ...   Satisfaction ~ Quality + Value'''
    >>> res = estimate_hoc(ll.datasets.load("mobi"), model)
    >>> round(res.path("Antecedents", "Quality"), 3)
    0.769
    >>> res.plan.staged.method, res.plan.staged.locs
    ('two_stage', ('Image', 'Expect'))
    """
    if method not in HOC_METHODS:
        raise ValueError(f"method must be one of {HOC_METHODS}, not {method!r}")
    spec = parse_model(model) if isinstance(model, str) else model
    _check(spec)
    if settings is None:
        settings = Settings(**kwargs)
    elif kwargs:
        raise TypeError("give either settings or keyword settings, not both")
    prepared = prepare_data(
        data, spec.items, missing_value=settings.missing_value, missing=settings.missing, source=source, weights=weights
    )
    wts = prepared.weights  # aligned with the rows used; None when unweighted
    pos = {it: j for j, it in enumerate(prepared.items)}
    treated = pd.DataFrame(prepared.X, columns=list(prepared.items), index=prepared.index)
    clean = replace(settings, missing_value=None)
    if method == "repeated_indicators":
        ri = repeated_indicators_spec(spec)
        res = estimate(treated, ri, settings=clean, source=source, assess=assess, on_nonconvergence=on_nonconvergence, weights=wts)
        stages = HOCStages(
            method=method,
            spec=spec,
            first=None,
            first_columns=np.zeros(0, dtype=int),
            loc_index=np.zeros(0, dtype=int),
            final=res.plan,
            final_columns=np.array([pos[i] for i in res.plan.items], dtype=int),
        )
    else:
        s1 = first_stage_spec(spec) if method == "two_stage" else repeated_indicators_spec(spec, interactions=False)
        res1 = estimate(treated, s1, settings=clean, source=source, assess=assess, on_nonconvergence=on_nonconvergence, weights=wts)
        locs = spec.lower_order
        data2 = treated.copy()
        for loc in locs:
            data2[loc] = res1.scores[loc].to_numpy()
        s2 = second_stage_spec(spec)
        res = estimate(data2, s2, settings=clean, source=source, assess=assess, on_nonconvergence=on_nonconvergence, weights=wts)
        loc_pos = {loc: j for j, loc in enumerate(locs)}
        stages = HOCStages(
            method=method,
            spec=spec,
            first=res1.plan,
            first_columns=np.array([pos[i] for i in res1.plan.items], dtype=int),
            loc_index=np.array([res1.plan.final.constructs.index(loc) for loc in locs], dtype=int),
            final=res.plan,
            final_columns=np.array(
                [pos[i] if i in pos and i not in loc_pos else -1 - loc_pos[i] for i in res.plan.items], dtype=int
            ),
            first_stage={
                "outer_loadings": res1.outer_loadings,
                "outer_weights": res1.outer_weights,
                "reliability": res1.reliability,
                "vif_items": res1.vif_items,
                "htmt": res1.htmt,
                "converged": res1.converged,
                "iterations": res1.iterations,
                "scores": res1.scores[list(locs)],
            },
        )
    plan = replace(res.plan, items=prepared.items, settings=settings, staged=stages)
    return replace(res, plan=plan, settings=settings, prepared=prepared, data_report=prepared.report)


def final_stage_data(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    method: str = "two_stage",
    settings: Settings | None = None,
    source: str | None = None,
    weights=None,
) -> tuple[pd.DataFrame, ModelSpec]:
    """The data and the one-stage model of a HOC model's final stage, for analyses that refit a model many times.

    For the two-stage approaches: the treated items and one column per lower-order
    construct holding its stage-1 score of the whole sample, with the stage-2 model
    (:func:`second_stage_spec`, the HOC measured by those columns). For repeated
    indicators: the treated items and the repeated-indicators model. Estimating the
    returned model on the returned data gives exactly the final stage of
    :func:`estimate_hoc`. MICOM and MGA of a HOC model run on it
    (:mod:`leanlearn.robustness.groups`): the groups are compared on the stage-2 model,
    with the stage-1 scores fixed at their whole-sample values (the LOCs' own measurement
    model can be compared by running the analysis on :func:`first_stage_spec`).

    Returns
    -------
    (data, spec)
        ``data`` is indexed like the rows :func:`estimate_hoc` used (listwise deletion can
        drop rows), so labels aligned with the original data's index still apply.
    """
    res = estimate_hoc(data, model, method=method, settings=settings, source=source, assess=False, weights=weights)
    staged = res.plan.staged
    prepared = res.prepared
    out = pd.DataFrame(prepared.X, columns=list(prepared.items), index=prepared.index)
    if staged.first is not None:
        for loc in staged.locs:
            out[loc] = staged.first_stage["scores"][loc].to_numpy()
    return out, res.spec
