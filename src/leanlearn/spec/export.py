"""Export a model to the syntax of lavaan/semopy and of seminr.

leanlearn's model syntax is a lavaan-style subset (:mod:`leanlearn.spec.model`), but it is not
lavaan: ``=~`` means a construct that PLS estimates as a Mode A composite (PLSc corrects it
on request), and ``X:Z`` is an interaction of two *constructs*, which neither lavaan nor semopy
can read (lavaan's ``:`` multiplies observed variables only; semopy 2.3.11 raises
``SyntaxError`` on ``LS ~ LP + DIG + LP:DIG``). :func:`to_lavaan` therefore offers to leave
interaction terms out, and :func:`to_seminr` writes the R code that estimates the same PLS
model in seminr (Ray, Danks & Calero Valdez), with seminr's own names for every choice.

This module imports only :mod:`leanlearn.spec.model` and :mod:`leanlearn.errors`.
"""

from __future__ import annotations

from leanlearn.errors import SpecError
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = ["to_lavaan", "to_seminr"]

_INTERACTION_CHOICES = ("keep", "drop", "error")


def _spec(model: ModelSpec | str) -> ModelSpec:
    return parse_model(model) if isinstance(model, str) else model


def to_lavaan(model: ModelSpec | str, *, interactions: str = "keep", single_items: bool = False) -> str:
    """The model in lavaan syntax (``=~``, ``<~``, ``~``).

    Parameters
    ----------
    model : ModelSpec or str
    interactions : {"keep", "drop", "error"}
        ``"keep"``: interaction terms stay as ``X:Z`` (leanlearn reads the text back; lavaan
        and semopy do not accept interactions of latent variables). ``"drop"``: interaction
        terms and their paths are left out and named in a comment line, giving the main-effects
        model that lavaan and semopy fit. ``"error"``: :class:`SpecError` if the model has any.
    single_items : bool
        Add ``a ~~ 0*a`` for every single-indicator construct ``X =~ a``: the item's error
        variance fixed at zero, which lavaan does by itself but semopy does not.

    Returns
    -------
    str
        One statement per line: measurement lines in model order, then one ``~`` line per
        endogenous construct with its predictors in model order. Observed variables used in
        structural equations (controls) stay observed variables.

    Examples
    --------
    >>> import leanlearn as ll
    >>> spec = ll.parse_model('''
    ...     X =~ x1 + x2
    ...     W =~ w1 + w2
    ...     Y =~ y1
    ...     Y ~ X + W + X:W''')
    >>> print(ll.to_lavaan(spec, interactions="drop", single_items=True))
    # interaction term(s) left out (lavaan and semopy cannot read latent interactions): X:W -> Y
    X =~ x1 + x2
    W =~ w1 + w2
    Y =~ y1
    y1 ~~ 0*y1
    Y ~ X + W
    <BLANKLINE>
    """
    if interactions not in _INTERACTION_CHOICES:
        raise ValueError(f"interactions must be one of {', '.join(_INTERACTION_CHOICES)}, got {interactions!r}")
    spec = _spec(model)
    inter_names = {i.name for i in spec.interactions}
    dropped = [p for p in spec.paths if p.source in inter_names]
    if dropped and interactions == "error":
        raise SpecError(
            "the model has interaction terms ("
            + ", ".join(sorted({p.source for p in dropped}))
            + "), which lavaan and semopy cannot read; export with interactions='drop' for the "
            "main-effects model"
        )
    out = []
    if dropped and interactions == "drop":
        out.append(
            "# interaction term(s) left out (lavaan and semopy cannot read latent interactions): "
            + ", ".join(f"{p.source} -> {p.target}" for p in dropped)
        )
    for c in spec.constructs:
        if c.kind not in ("measured", "higher_order"):
            continue
        op = "=~" if c.reflective else "<~"  # a higher-order construct: lavaan's second-order syntax
        out.append(f"{c.name} {op} {' + '.join(c.indicators)}")
        if single_items and c.reflective and c.is_single_item:
            item = c.indicators[0]
            out.append(f"{item} ~~ 0*{item}")
    by_target: dict[str, list[str]] = {}
    for p in spec.paths:
        if p.source in inter_names and interactions == "drop":
            continue
        by_target.setdefault(p.target, []).append(p.source)
    for target, sources in by_target.items():
        out.append(f"{target} ~ {' + '.join(sources)}")
    return "\n".join(out) + "\n"


_SCHEMES = {"path": "path_weighting", "factorial": "path_factorial"}
_INTERACTION_METHODS = {"two_stage": "two_stage", "product_indicator": "product_indicator", "orthogonal": "orthogonal"}


def _r_str(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_vec(names) -> str:
    return "c(" + ", ".join(_r_str(n) for n in names) + ")"


def _seminr_name(name: str, spec: ModelSpec) -> str:
    for i in spec.interactions:
        if i.name == name:
            return f"{i.terms[0]}*{i.terms[1]}"  # seminr names an interaction construct "X*Z"
    return name


def to_seminr(
    model: ModelSpec | str,
    *,
    scheme: str = "path",
    interaction: str = "two_stage",
    consistent: bool = False,
    missing_value: float | int | None = None,
    data: str = "data",
) -> str:
    """R code that estimates the same PLS model with seminr (``estimate_pls``).

    Parameters
    ----------
    model : ModelSpec or str
    scheme : {"path", "factorial"}
        Inner weighting (seminr's ``path_weighting`` / ``path_factorial``; seminr has no
        centroid scheme).
    interaction : {"two_stage", "product_indicator", "orthogonal"}
        Method of every interaction term (seminr's ``interaction_term(method = ...)``).
    consistent : bool
        PLSc. In seminr, ``reflective()`` constructs are corrected by PLSc automatically and
        ``composite()`` constructs are not; leanlearn's ``=~`` constructs are therefore written
        as ``composite(..., weights = mode_A)`` unless ``consistent`` is true.
    missing_value : number, optional
        Code of missing cells (e.g. -99), passed as ``missing_value``; missing cells are
        mean-replaced (``missing = mean_replacement``), as in :func:`leanlearn.estimate`.
    data : str
        Name of the R data frame.

    Returns
    -------
    str
        A self-contained R script fragment: ``library(seminr)``, the measurement model, the
        structural model and the ``estimate_pls`` call assigned to ``pls_model``.

    Examples
    --------
    >>> import leanlearn as ll
    >>> print(ll.to_seminr("X =~ x1 + x2\\nF <~ f1 + f2\\nY =~ y1\\nY ~ X + F + X:F", missing_value=-99))
    library(seminr)
    measurement_model <- constructs(
      composite("X", c("x1", "x2"), weights = mode_A),
      composite("F", c("f1", "f2"), weights = mode_B),
      composite("Y", single_item("y1")),
      interaction_term(iv = "X", moderator = "F", method = two_stage)
    )
    structural_model <- relationships(
      paths(from = c("X", "F", "X*F"), to = "Y")
    )
    pls_model <- estimate_pls(
      data = data,
      measurement_model = measurement_model,
      structural_model = structural_model,
      inner_weights = path_weighting,
      missing = mean_replacement,
      missing_value = -99
    )
    <BLANKLINE>
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"seminr offers the inner weighting schemes {', '.join(_SCHEMES)}; got {scheme!r}")
    if interaction not in _INTERACTION_METHODS:
        raise ValueError(f"interaction must be one of {', '.join(_INTERACTION_METHODS)}, got {interaction!r}")
    spec = _spec(model)
    blocks = []
    for c in spec.constructs:
        items = f"single_item({_r_str(c.indicators[0])})" if c.is_single_item else _r_vec(c.indicators)
        if c.is_higher_order:  # seminr's two-stage higher-order composite
            weights = "mode_B" if c.mode == "B" else "mode_A"
            blocks.append(f"higher_composite({_r_str(c.name)}, {_r_vec(c.indicators)}, method = two_stage, weights = {weights})")
        elif c.is_single_item:
            blocks.append(f"composite({_r_str(c.name)}, {items})")
        elif c.mode == "B":
            blocks.append(f"composite({_r_str(c.name)}, {items}, weights = mode_B)")
        elif consistent and c.reflective:
            blocks.append(f"reflective({_r_str(c.name)}, {items})")
        else:
            blocks.append(f"composite({_r_str(c.name)}, {items}, weights = mode_A)")
    for i in spec.interactions:
        blocks.append(
            f"interaction_term(iv = {_r_str(i.terms[0])}, moderator = {_r_str(i.terms[1])}, "
            f"method = {_INTERACTION_METHODS[interaction]})"
        )
    by_target: dict[str, list[str]] = {}
    for p in spec.paths:
        by_target.setdefault(p.target, []).append(_seminr_name(p.source, spec))
    rels = [f"paths(from = {_r_vec(sources)}, to = {_r_str(target)})" for target, sources in by_target.items()]
    args = [
        f"data = {data}",
        "measurement_model = measurement_model",
        "structural_model = structural_model",
        f"inner_weights = {_SCHEMES[scheme]}",
        "missing = mean_replacement",
    ]
    if missing_value is not None:
        args.append(f"missing_value = {missing_value!r}" if not isinstance(missing_value, str) else f"missing_value = {_r_str(missing_value)}")
    lines = ["library(seminr)", "measurement_model <- constructs("]
    lines += [f"  {b}," for b in blocks[:-1]] + [f"  {blocks[-1]}", ")"]
    lines += ["structural_model <- relationships("]
    lines += [f"  {r}," for r in rels[:-1]] + [f"  {rels[-1]}", ")"]
    lines += ["pls_model <- estimate_pls("]
    lines += [f"  {a}," for a in args[:-1]] + [f"  {args[-1]}", ")"]
    return "\n".join(lines) + "\n"
