"""PLS engine, part 1: the estimation settings and the plan.

:class:`Settings` (scheme, tolerance, interaction method, ...), the index layout of a model's
items and constructs (:class:`Layout`), the generated two-stage product columns
(:class:`Generated`) and :func:`make_plan`, which computes all of it once per model so every
batch of data sets reuses it. Re-exported by :mod:`leanlearn.pls.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from leanlearn.spec.model import ModelSpec

SCHEMES = ("path", "centroid", "factorial")
INTERACTION_METHODS = ("two_stage", "product_indicator", "orthogonal")


@dataclass(frozen=True)
class Settings:
    """Estimation settings.

    Attributes
    ----------
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    interaction : {"two_stage", "product_indicator", "orthogonal"}
        How interaction terms are built.
    consistent : bool
        Apply PLSc (Dijkstra & Henseler 2015) to reflective (``=~``) constructs.
    tolerance : float
        Stop when the sum of absolute outer-weight changes is below this.
    max_iterations : int
    missing : {"mean", "listwise"}
    missing_value : number or str, optional
    """

    scheme: str = "path"
    interaction: str = "two_stage"
    consistent: bool = False
    tolerance: float = 1e-7
    max_iterations: int = 300
    missing: str = "mean"
    missing_value: float | int | str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {self.scheme!r}")
        if self.interaction not in INTERACTION_METHODS:
            raise ValueError(f"interaction must be one of {INTERACTION_METHODS}, not {self.interaction!r}")
        if not self.tolerance > 0:
            raise ValueError("tolerance must be positive")
        if int(self.max_iterations) < 1:
            raise ValueError("max_iterations must be at least 1")


# ---- layout: constructs, indicator columns, blocks ---------------------------------------
@dataclass(frozen=True)
class Layout:
    """Constructs and indicator columns of one estimation stage.

    ``sources[i]`` is the index of indicator column i in the stage's data columns (the
    model's items followed by generated interaction columns); an item used by two
    constructs appears as two columns.
    """

    constructs: tuple[str, ...]
    columns: tuple[str, ...]
    sources: np.ndarray
    block: np.ndarray
    modes: tuple[str, ...]
    reflective: tuple[bool, ...]
    is_interaction: tuple[bool, ...]
    adjacency: np.ndarray

    @property
    def K(self) -> int:
        return len(self.constructs)

    @property
    def p(self) -> int:
        return len(self.columns)

    @property
    def onehot(self) -> np.ndarray:
        oh = np.zeros((self.p, self.K))
        oh[np.arange(self.p), self.block] = 1.0
        return oh

    def cols(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.block == k)

    def preds(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.adjacency[:, k])

    @property
    def endogenous(self) -> list[int]:
        return [k for k in range(self.K) if self.adjacency[:, k].any()]


@dataclass(frozen=True)
class Generated:
    """An interaction column built during estimation.

    kind "two_stage": product of the stage-1 scores of constructs ``a`` and ``b``
    (indices into the stage-1 layout). kind "product": product of the z-scored items
    ``a`` and ``b`` (indices into the items); "orthogonal" additionally residualises the
    product on ``regressors`` (item indices).
    """

    name: str
    kind: str
    a: int
    b: int
    regressors: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything needed to run the engine on a batch: layouts and generated columns."""

    spec: ModelSpec
    settings: Settings
    items: tuple[str, ...]
    final: Layout
    stage1: Layout | None
    generated: tuple[Generated, ...]
    # A model fitted in stages by a layer above the engine (leanlearn.pls.hoc): an object whose
    # ``fit(X, counts, keep_rows)`` returns the final stage's BatchFit for raw items X in
    # ``items`` order. fit_batch and fit_counts hand the batch to it, so the bootstrap and the
    # jackknife redo every stage per resample.
    staged: Any = None


def _layout(spec: ModelSpec, items: Sequence[str], interaction_columns: dict[str, list[str]]) -> Layout:
    names = list(spec.construct_names)
    index = {n: k for k, n in enumerate(names)}
    data_cols = list(items)
    for cols in interaction_columns.values():
        data_cols.extend(cols)
    pos = {c: i for i, c in enumerate(data_cols)}
    columns, sources, block, modes, reflective, inter = [], [], [], [], [], []
    for k, name in enumerate(names):
        if name in interaction_columns:
            inds = interaction_columns[name]
            modes.append("A")
            reflective.append(False)
            inter.append(True)
        else:
            c = spec.construct(name)
            inds = list(c.indicators)
            modes.append(c.mode if len(inds) > 1 else "A")
            reflective.append(c.reflective and c.kind == "measured")
            inter.append(False)
        for ind in inds:
            columns.append(ind)
            sources.append(pos[ind])
            block.append(k)
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for path in spec.paths:
        adj[index[path.source], index[path.target]] = True
    return Layout(
        constructs=tuple(names),
        columns=tuple(columns),
        sources=np.asarray(sources, dtype=int),
        block=np.asarray(block, dtype=int),
        modes=tuple(modes),
        reflective=tuple(reflective),
        is_interaction=tuple(inter),
        adjacency=adj,
    )


def make_plan(spec: ModelSpec, settings: Settings | None = None) -> Plan:
    """Build the estimation plan (layouts and interaction columns) for a model."""
    settings = settings or Settings()
    if spec.higher_order:
        from leanlearn.errors import SpecError

        raise SpecError(
            f"the model has higher-order constructs ({', '.join(c.name for c in spec.higher_order)}); "
            "estimate it with leanlearn.pls.hoc.estimate_hoc (CLI: leanlearn estimate ... --hoc METHOD)"
        )
    items = spec.items
    item_pos = {it: i for i, it in enumerate(items)}
    if not spec.interactions:
        return Plan(spec, settings, items, _layout(spec, items, {}), None, ())
    generated: list[Generated] = []
    inter_cols: dict[str, list[str]] = {}
    if settings.interaction == "two_stage":
        main = spec.without_interactions()
        stage1 = _layout(main, items, {})
        idx = {n: k for k, n in enumerate(stage1.constructs)}
        for inter in spec.interactions:
            x, z = inter.terms
            generated.append(Generated(inter.name, "two_stage", idx[x], idx[z]))
            inter_cols[inter.name] = [inter.name]
        return Plan(spec, settings, items, _layout(spec, items, inter_cols), stage1, tuple(generated))
    for inter in spec.interactions:
        cx, cz = (spec.construct(t) for t in inter.terms)
        regress = tuple(item_pos[i] for i in dict.fromkeys(cx.indicators + cz.indicators))
        cols = []
        for xi in cx.indicators:
            for zi in cz.indicators:
                name = f"{xi}:{zi}"
                kind = "orthogonal" if settings.interaction == "orthogonal" else "product"
                generated.append(Generated(name, kind, item_pos[xi], item_pos[zi], regress))
                cols.append(name)
        inter_cols[inter.name] = cols
    return Plan(spec, settings, items, _layout(spec, items, inter_cols), None, tuple(generated))
