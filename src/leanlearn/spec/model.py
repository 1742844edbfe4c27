"""Model specification: lavaan-style syntax parsed into frozen dataclasses.

The grammar is the subset of lavaan that a PLS-SEM model needs::

    # comment
    X =~ a + b + c        reflective construct: Mode A composite, corrected by PLSc on request
    F <~ d + e + f        formative composite (Mode B)
    Y ~ X + F + X:F       structural equation; ``X:F`` is the interaction of constructs X and F
    Z =~ z1               single-item construct
    H =~ X + W            higher-order construct: its indicators are constructs (``<~`` for a
                          Mode B higher-order composite)

A construct whose indicators are all constructs of the model is a *higher-order construct*
(HOC) and those constructs are its *lower-order constructs* (LOCs). A LOC belongs to one HOC,
is measured by items and takes no part in structural paths itself (the HOC does); HOCs of
HOCs are not supported. The engine does not estimate such a model directly:
:mod:`leanlearn.pls.hoc` does, by the two-stage, embedded two-stage or repeated-indicators
approach (docs/higher_order.md).

A name on the right-hand side of ``~`` that is not a construct is an observed variable
(for example a control such as ``log_employees``); it enters the model as a single-item
construct of the same name. Lines ending in ``+`` continue on the next line; ``;``
separates statements on one line.

The text is not lavaan: ``=~`` constructs are Mode A composites in PLS, and ``X:F`` multiplies
two *constructs*, which lavaan and semopy cannot read (semopy 2.3.11 raises ``SyntaxError``
on ``Y ~ X + F + X:F``). :func:`leanlearn.spec.export.to_lavaan` writes the model for lavaan or
semopy (optionally without its interaction terms) and
:func:`leanlearn.spec.export.to_seminr` the R code for seminr.

This module and :mod:`leanlearn.spec.model_statements` (reading the statements) read no files
and import only :mod:`leanlearn.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leanlearn.errors import SpecError
from leanlearn.spec.model_statements import _INTERACTION_RE, _read_statements

__all__ = [
    "SpecError",
    "Construct",
    "Interaction",
    "Path",
    "ModelSpec",
    "parse_model",
]




@dataclass(frozen=True)
class Construct:
    """A construct and its indicators.

    Attributes
    ----------
    name : str
        Construct name as written in the model.
    indicators : tuple of str
        Indicator (item) names, in model order.
    mode : {"A", "B"}
        Outer weighting mode: "A" (correlation weights) or "B" (regression weights).
    reflective : bool
        True for ``=~`` constructs (common-factor view; PLSc corrects them when asked).
    kind : {"measured", "observed", "interaction", "higher_order"}
        "measured" constructs come from ``=~``/``<~`` lines; "observed" ones are single
        observed variables named directly in a structural equation; "interaction"
        constructs are built from two constructs by the interaction method;
        "higher_order" constructs have constructs (their LOCs) as ``indicators``.
    terms : tuple of str
        For interaction constructs, the two constructs multiplied; empty otherwise.
    """

    name: str
    indicators: tuple[str, ...]
    mode: str = "A"
    reflective: bool = True
    kind: str = "measured"
    terms: tuple[str, ...] = ()

    @property
    def is_interaction(self) -> bool:
        return self.kind == "interaction"

    @property
    def is_single_item(self) -> bool:
        return len(self.indicators) == 1

    @property
    def is_higher_order(self) -> bool:
        return self.kind == "higher_order"


@dataclass(frozen=True)
class Interaction:
    """An interaction term ``X:Z`` between two constructs."""

    name: str
    terms: tuple[str, str]


@dataclass(frozen=True)
class Path:
    """A structural path ``source -> target``."""

    source: str
    target: str


@dataclass(frozen=True)
class ModelSpec:
    """A parsed PLS-SEM model.

    Attributes
    ----------
    constructs : tuple of Construct
        Measured constructs (in order of definition), then observed single-item
        constructs (in order of first use). Interaction constructs are listed in
        ``interactions``; their indicators depend on the interaction method.
    interactions : tuple of Interaction
    paths : tuple of Path
        Structural paths in order of appearance.
    text : str
        The model text that was parsed.
    """

    constructs: tuple[Construct, ...]
    interactions: tuple[Interaction, ...]
    paths: tuple[Path, ...]
    text: str = field(default="", compare=False)

    # ---- derived views ----------------------------------------------------------------
    @property
    def construct_names(self) -> tuple[str, ...]:
        """All construct names: measured and observed, then interactions."""
        return tuple(c.name for c in self.constructs) + tuple(i.name for i in self.interactions)

    @property
    def items(self) -> tuple[str, ...]:
        """Distinct observed indicators used by measured and observed constructs, in order.

        The indicators of a higher-order construct are constructs, not items, and are left out.
        """
        seen: dict[str, None] = {}
        for c in self.constructs:
            if c.is_higher_order:
                continue
            for item in c.indicators:
                seen.setdefault(item, None)
        return tuple(seen)

    @property
    def higher_order(self) -> tuple[Construct, ...]:
        """The higher-order constructs, in order of definition (empty for most models)."""
        return tuple(c for c in self.constructs if c.is_higher_order)

    @property
    def lower_order(self) -> tuple[str, ...]:
        """Names of the constructs that are indicators of a higher-order construct."""
        return tuple(loc for h in self.higher_order for loc in h.indicators)

    def construct(self, name: str) -> Construct:
        for c in self.constructs:
            if c.name == name:
                return c
        raise KeyError(name)

    def interaction(self, name: str) -> Interaction:
        for i in self.interactions:
            if i.name == name:
                return i
        raise KeyError(name)

    @property
    def endogenous(self) -> tuple[str, ...]:
        """Constructs with at least one incoming path, in order of first appearance."""
        seen: dict[str, None] = {}
        for p in self.paths:
            seen.setdefault(p.target, None)
        return tuple(seen)

    @property
    def exogenous(self) -> tuple[str, ...]:
        endo = set(self.endogenous)
        return tuple(n for n in self.construct_names if n not in endo)

    def predecessors(self, target: str) -> tuple[str, ...]:
        return tuple(p.source for p in self.paths if p.target == target)

    def successors(self, source: str) -> tuple[str, ...]:
        return tuple(p.target for p in self.paths if p.source == source)

    def without_interactions(self) -> "ModelSpec":
        """The main-effects model: interaction terms and their paths removed."""
        names = {i.name for i in self.interactions}
        return ModelSpec(
            constructs=self.constructs,
            interactions=(),
            paths=tuple(p for p in self.paths if p.source not in names),
            text=self.text,
        )

    def without_path(self, source: str, target: str) -> "ModelSpec":
        """The model with one structural path removed (used for f-squared).

        A construct (or interaction) left without any path is dropped from the reduced
        model, since PLS cannot weight an unconnected construct.
        """
        keep = tuple(p for p in self.paths if not (p.source == source and p.target == target))
        if len(keep) == len(self.paths):
            raise SpecError(f"the model has no path {source} -> {target}")
        used = {p.source for p in keep} | {p.target for p in keep}
        return ModelSpec(
            constructs=tuple(c for c in self.constructs if c.name in used),
            interactions=tuple(i for i in self.interactions if i.name in used),
            paths=keep,
            text=self.text,
        )

    def with_paths(self, extra: list[tuple[str, str]]) -> "ModelSpec":
        """The model with extra structural paths (sources may be new observed variables)."""
        lines = [self.text.rstrip(), ""]
        for source, target in extra:
            lines.append(f"{target} ~ {source}")
        return parse_model("\n".join(lines))

    def to_lavaan(self, *, interactions: bool = True) -> str:
        """The model in lavaan syntax; see :func:`leanlearn.spec.export.to_lavaan`.

        ``interactions=False`` leaves interaction terms out (the main-effects model that lavaan
        and semopy can fit); with the default ``True`` they stay as ``X:Z``, which leanlearn
        reads back but lavaan and semopy do not.
        """
        from leanlearn.spec.export import to_lavaan

        return to_lavaan(self, interactions="keep" if interactions else "drop")


# ---- parsing --------------------------------------------------------------------------------
def parse_model(text: str) -> ModelSpec:
    """Parse lavaan-style model syntax.

    Parameters
    ----------
    text : str
        Model text (see the module docstring for the grammar).

    Returns
    -------
    ModelSpec

    Raises
    ------
    SpecError
        With the line number and the problem: an unknown operator, a bad name, a construct
        defined twice with different operators, an interaction of unknown constructs, a
        construct without indicators (an empty block), an indicator in two constructs
        (naming the indicator, both constructs and both lines), an observed variable that is
        also an indicator, an interaction of a construct with itself or given twice
        (``X:W`` and ``W:X``), a path from a construct to itself, a construct that is in no
        structural path, a feedback loop, or a model with no structural paths.
    Examples
    --------
    >>> import leanlearn as ll
    >>> spec = ll.parse_model('''
    ...     LP  =~ LP1 + LP2 + LP3
    ...     DIG =~ DIG1 + DIG2
    ...     LS  =~ LS1 + LS2
    ...     LS ~ LP + DIG + LP:DIG''')
    >>> [c.name for c in spec.constructs], [i.name for i in spec.interactions]
    (['LP', 'DIG', 'LS'], ['LP:DIG'])
    >>> [(p.source, p.target) for p in spec.paths]
    [('LP', 'LS'), ('DIG', 'LS'), ('LP:DIG', 'LS')]
    >>> ll.parse_model("Y ~ X\\nY ~ X")
    Traceback (most recent call last):
    ...
    leanlearn.errors.SpecError: line 2: path X -> Y is already given on line 1
    """
    if not isinstance(text, str):
        raise SpecError("the model must be given as text")
    blocks, structural = _read_statements(text)
    if not structural:
        raise SpecError("the model has no structural equations ('Y ~ X'); PLS-SEM needs at least one path")

    higher = _higher_order_blocks(blocks, structural)
    constructs: list[Construct] = [
        Construct(
            name=name,
            indicators=tuple(entry["items"]),
            mode="A" if entry["op"] == "=~" else "B",
            reflective=entry["op"] == "=~",
            kind="higher_order" if name in higher else "measured",
        )
        for name, entry in blocks.items()
    ]
    observed, interactions, paths = _structural_paths(blocks, structural)
    constructs.extend(_observed_constructs(blocks, higher, observed, interactions))
    _check_interactions(constructs, interactions, paths)
    _check_connected(constructs, blocks, higher, paths)
    _check_acyclic(paths)
    return ModelSpec(
        constructs=tuple(constructs),
        interactions=tuple(interactions.values()),
        paths=tuple(paths),
        text=text,
    )


def _structural_paths(
    blocks: dict[str, dict[str, Any]], structural: list[tuple[int, str, list[str]]]
) -> tuple[dict[str, int], dict[str, Interaction], list[Path]]:
    """The paths of the structural equations, with the interactions and observed variables used.

    Returns the observed variables (name -> line of first use), the interactions by name and
    the paths in order of appearance.
    """
    observed: dict[str, int] = {}
    interactions: dict[str, Interaction] = {}
    paths: list[Path] = []
    seen_paths: dict[tuple[str, str], int] = {}

    def resolve(name: str, lineno: int) -> str:
        if name in blocks:
            return name
        observed.setdefault(name, lineno)
        return name

    for lineno, lhs, terms in structural:
        resolve(lhs, lineno)
        for t in terms:
            m = _INTERACTION_RE.match(t)
            if m:
                source = _interaction_term(interactions, lineno, m.group(1), m.group(2))
            else:
                source = resolve(t, lineno)
            if source == lhs:
                raise SpecError(f"line {lineno}: path from {lhs} to itself")
            key = (source, lhs)
            if key in seen_paths:
                raise SpecError(
                    f"line {lineno}: path {source} -> {lhs} is already given on line {seen_paths[key]}"
                )
            seen_paths[key] = lineno
            paths.append(Path(source=source, target=lhs))
    return observed, interactions, paths


def _interaction_term(interactions: dict[str, Interaction], lineno: int, a: str, b: str) -> str:
    """Register the interaction ``a:b`` (refusing ``a:a`` and a reversed repeat); its name."""
    name = f"{a}:{b}"
    if a == b:
        raise SpecError(
            f"line {lineno}: interaction {name} multiplies {a} with itself; a quadratic term is not "
            "supported. Use two different constructs (X:W)."
        )
    if f"{b}:{a}" in interactions:
        raise SpecError(
            f"line {lineno}: interaction {name} is the same term as {b}:{a} used before; write it one way"
        )
    if name not in interactions:
        interactions[name] = Interaction(name=name, terms=(a, b))
    return name


def _observed_constructs(
    blocks: dict[str, dict[str, Any]],
    higher: set[str],
    observed: dict[str, int],
    interactions: dict[str, Interaction],
) -> list[Construct]:
    """Single-item constructs for the observed variables, none of which may be an indicator."""
    indicator_home = {
        i: (b, e["item_lines"][i]) for b, e in blocks.items() if b not in higher for i in e["items"]
    }
    for name, lineno in observed.items():
        if name in indicator_home:
            home, hline = indicator_home[name]
            raise SpecError(
                f"line {lineno}: '{name}' is used as an observed variable in a structural equation but it is an "
                f"indicator of construct {home} (line {hline}); use the construct {home}, or remove '{name}' from it"
            )
    return [
        Construct(name=name, indicators=(name,), mode="A", reflective=False, kind="observed")
        for name in observed
        if name not in interactions
    ]


def _check_interactions(
    constructs: list[Construct], interactions: dict[str, Interaction], paths: list[Path]
) -> None:
    """Each interaction multiplies constructs of the model, is no target, and has its main effects."""
    known = {c.name for c in constructs}
    for inter in interactions.values():
        for part in inter.terms:
            if part not in known:
                raise SpecError(
                    f"interaction {inter.name}: '{part}' is not a construct of the model. Define it with "
                    f"'{part} =~ ...' or use it as an observed variable in a structural equation."
                )
        for p in paths:
            if p.target == inter.name:
                raise SpecError(f"interaction {inter.name} cannot be the target of a path")
        targets = {p.target for p in paths if p.source == inter.name}
        for target in targets:
            preds = {p.source for p in paths if p.target == target}
            missing = [part for part in inter.terms if part not in preds]
            if missing:
                raise SpecError(
                    f"interaction {inter.name} -> {target}: the main effect(s) {', '.join(missing)} -> "
                    f"{target} must also be in the model (always include X -> Y and W -> Y with X:W -> Y)"
                )


def _check_connected(
    constructs: list[Construct], blocks: dict[str, dict[str, Any]], higher: set[str], paths: list[Path]
) -> None:
    """Every construct other than a lower-order one is in at least one structural path."""
    in_paths = {p.source for p in paths} | {p.target for p in paths}
    locs = {loc for h in higher for loc in blocks[h]["items"]}
    for c in constructs:
        if c.name in locs:
            continue
        if c.name not in in_paths:
            raise SpecError(
                f"line {blocks[c.name]['line']}: construct {c.name} is in no structural path; PLS needs every "
                "construct to be connected. Add a path or remove the construct."
            )


def _higher_order_blocks(blocks: dict[str, dict[str, Any]], structural: list[tuple[int, str, list[str]]]) -> set[str]:
    """Names of the blocks whose indicators are constructs, after checking the HOC rules."""
    higher: set[str] = set()
    for name, entry in blocks.items():
        locs = [i for i in entry["items"] if i in blocks]
        if not locs:
            continue
        items = [i for i in entry["items"] if i not in blocks]
        if items:
            raise SpecError(
                f"line {entry['line']}: {name} has constructs ({', '.join(locs)}) and items ({', '.join(items)}) "
                "as indicators; a higher-order construct is measured by constructs only. Put the items in "
                "a lower-order construct of their own."
            )
        if len(locs) < 2:
            raise SpecError(
                f"line {entry['line']}: higher-order construct {name} has one lower-order construct ({locs[0]}); "
                "it needs at least two (with one, use the construct itself)"
            )
        higher.add(name)
    home: dict[str, str] = {}
    for name in higher:
        for loc in blocks[name]["items"]:
            if loc in higher:
                raise SpecError(
                    f"line {blocks[name]['line']}: {loc} is a higher-order construct and an indicator of {name}; "
                    "constructs of third or higher order are not supported"
                )
            home[loc] = name
    for lineno, lhs, terms in structural:
        for t in [lhs, *terms]:
            for part in t.split(":"):
                part = part.strip()
                if part in home:
                    raise SpecError(
                        f"line {lineno}: {part} is a lower-order construct of {home[part]} (line "
                        f"{blocks[home[part]]['line']}) and cannot be in a structural equation; use {home[part]}, "
                        f"or take {part} out of {home[part]}"
                    )
    return higher


def _check_acyclic(paths: list[Path]) -> None:
    """Refuse a feedback loop in the structural model (depth-first search), naming the cycle."""
    graph: dict[str, list[str]] = {}
    for p in paths:
        graph.setdefault(p.source, []).append(p.target)
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                raise SpecError(
                    "the structural model has a feedback loop (" + " -> ".join(cycle) + "); "
                    "PLS-SEM path models must be recursive"
                )
            if state.get(nxt) is None:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in list(graph):
        if state.get(node) is None:
            visit(node, [node])
