"""Rendering a :class:`~leanlearn.spec.model.ModelSpec` as lavaan syntax for semopy (:func:`lavaan_syntax`).

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from leanlearn.errors import SpecError
from leanlearn.spec.model import ModelSpec, parse_model


# =================================================================================================
# Model rendering
# =================================================================================================
def _interaction_column(name: str) -> str:
    return name.replace(":", "_x_")


@dataclass(frozen=True)
class _Layout:
    """How each model element enters the CB-SEM model.

    ``latent``: construct -> indicators (a single indicator gets a zero error variance);
    ``observed``: variable name -> data column (observed variables such as controls,
    interaction products); ``paths``: (source, target) in model names; ``interactions``:
    name -> (term a, term b).
    """

    latent: dict[str, tuple[str, ...]]
    observed: dict[str, str]
    paths: tuple[tuple[str, str], ...]
    interactions: dict[str, tuple[str, str]]

    @property
    def exogenous(self) -> list[str]:
        targets = {t for _, t in self.paths}
        names = list(self.latent) + list(self.observed)
        return [v for v in names if v not in targets]

    @property
    def observed_exogenous(self) -> list[str]:
        return [v for v in self.exogenous if v in self.observed]


def _layout(spec: ModelSpec, *, structural: bool) -> _Layout:
    latent: dict[str, tuple[str, ...]] = {}
    observed: dict[str, str] = {}
    for c in spec.constructs:
        if c.kind == "measured" and not c.reflective:
            raise SpecError(
                f"construct {c.name} is formative ('<~'); CB-SEM and CFA in leanlearn handle reflective "
                "('=~') constructs only. Fit the CB-SEM cross-check on a model with =~ blocks, or leave "
                "the formative construct out."
            )
        if c.kind == "measured":
            latent[c.name] = c.indicators
        elif c.kind == "observed" and structural:
            observed[c.name] = c.indicators[0]
    interactions: dict[str, tuple[str, str]] = {}
    paths: list[tuple[str, str]] = []
    if structural:
        for inter in spec.interactions:
            interactions[inter.name] = inter.terms
            observed[inter.name] = _interaction_column(inter.name)
        paths = [(p.source, p.target) for p in spec.paths]
    if not structural and not any(len(items) >= 2 for items in latent.values()):
        raise SpecError("the model has no reflective construct with two or more indicators; no CFA to fit")
    return _Layout(latent=latent, observed=observed, paths=tuple(paths), interactions=interactions)


def _render(layout: _Layout, name) -> str:
    """lavaan text of a layout, with every model name passed through ``name``."""
    lines = []
    for c, items in layout.latent.items():
        lines.append(f"{name(c)} =~ {' + '.join(name(i) for i in items)}")
    for c, items in layout.latent.items():
        if len(items) == 1:
            lines.append(f"{name(items[0])} ~~ 0*{name(items[0])}")
    by_target: dict[str, list[str]] = {}
    for s, t in layout.paths:
        by_target.setdefault(t, []).append(s)
    for t, sources in by_target.items():
        lines.append(f"{name(t)} ~ {' + '.join(name(s) for s in sources)}")
    exo = layout.exogenous if layout.paths else list(layout.latent) + list(layout.observed)
    for v in layout.observed:
        if v in exo:
            lines.append(f"{name(v)} ~~ {name(v)}")
    for i, a in enumerate(exo):
        others = exo[i + 1:]
        if others:
            lines.append(f"{name(a)} ~~ {' + '.join(name(b) for b in others)}")
    return "\n".join(lines) + "\n"


def lavaan_syntax(model: ModelSpec | str, *, structural: bool = True, controls: Sequence[str] = ()) -> str:
    """The lavaan syntax leanlearn fits for a model (in the model's own names).

    Parameters
    ----------
    model : ModelSpec or str
    structural : bool
        True: the full CB-SEM (measurement + structural model, as :func:`fit_sem`);
        False: the CFA of the measurement model (as :func:`fit_cfa`).
    controls : sequence of str
        Observed variables added as predictors of every endogenous construct.

    Returns
    -------
    str
        ``=~`` lines for reflective constructs (a single item gets ``a ~~ 0*a``), ``~``
        lines for the structural model, ``~~`` lines that free every exogenous covariance
        and the variance of every observed exogenous variable. An interaction ``X:Z`` is
        written ``X_x_Z``.
    """
    spec = _with_controls(_as_spec(model), controls)
    layout = _layout(spec, structural=structural)
    return _render(layout, lambda v: _interaction_column(v) if v in layout.interactions else v)


def _as_spec(model: ModelSpec | str) -> ModelSpec:
    return parse_model(model) if isinstance(model, str) else model


def _with_controls(spec: ModelSpec, controls: Sequence[str]) -> ModelSpec:
    controls = [c for c in controls if c]
    if not controls:
        return spec
    names = set(spec.construct_names)
    extra = []
    for c in controls:
        if c in names:
            raise SpecError(f"control {c} is already a construct or variable of the model")
        for t in spec.endogenous:
            extra.append((c, t))
    return spec.with_paths(extra)


def _internal_names(layout: _Layout) -> dict[str, str]:
    """Model name -> a plain internal name that semopy's parser accepts (x1, f1, v1)."""
    rename: dict[str, str] = {}
    for k, c in enumerate(layout.latent, start=1):
        rename[c] = f"f{k}"
    items = [i for items in layout.latent.values() for i in items]
    for k, i in enumerate(dict.fromkeys(items), start=1):
        rename[i] = f"x{k}"
    for k, v in enumerate(layout.observed, start=1):
        rename[v] = f"v{k}"
    return rename
