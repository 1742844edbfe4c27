"""Reading the statements of the model syntax (part of :mod:`leanlearn.spec.model`).

Logical lines (``+`` continuations, ``;`` separators, comments), the terms of a right-hand side,
the operator of a statement, and the sorting of the statements into measurement blocks and
structural equations, each with the line numbers that the model's error messages cite.
"""

from __future__ import annotations

import re
from typing import Any

from leanlearn.errors import SpecError

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_INTERACTION_RE = re.compile(rf"^({_NAME})\s*:\s*({_NAME})$")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Split text into statements, keeping the 1-based line number where each starts."""
    statements: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split("!", 1)[0].strip()
        if not line:
            continue
        for part in (p.strip() for p in line.split(";")):
            if not part:
                continue
            if pending is not None:
                start, acc = pending
                acc = f"{acc} {part}"
                pending = (start, acc) if acc.endswith("+") or acc.endswith("~") else None
                if pending is None:
                    statements.append((start, acc))
                continue
            if part.endswith("+") or part.endswith("~"):
                pending = (lineno, part)
            elif part.startswith("+") and statements:
                start, acc = statements.pop()
                statements.append((start, f"{acc} {part}"))
            else:
                statements.append((lineno, part))
    if pending is not None:
        start, acc = pending
        raise SpecError(f"line {start}: statement ends with '{acc[-1]}' but nothing follows: '{acc}'")
    return statements


def _split_terms(rhs: str, lineno: int, statement: str) -> list[str]:
    """The ``+``-separated terms of a right-hand side; empty terms and lavaan modifiers refused."""
    terms = [t.strip() for t in rhs.split("+")]
    if any(t == "" for t in terms):
        raise SpecError(f"line {lineno}: empty term in '{statement}' (a '+' with nothing on one side)")
    for t in terms:
        if "*" in t:
            raise SpecError(
                f"line {lineno}: '{t}' uses a lavaan modifier ('*'); leanlearn does not support "
                "labels, fixed values or start values. Write plain names, and X:Z for interactions."
            )
    return terms


def _statement_operator(lineno: int, stmt: str) -> str:
    """The operator of one statement (``=~``, ``<~`` or ``~``); unsupported ones are refused."""
    if "=~" in stmt:
        return "=~"
    if "<~" in stmt:
        return "<~"
    if "~~" in stmt:
        raise SpecError(
            f"line {lineno}: '~~' (covariances) is not used in PLS-SEM models: '{stmt}'. "
            "Remove the line; composites are free to correlate."
        )
    if ":=" in stmt:
        raise SpecError(
            f"line {lineno}: ':=' (defined parameters) is not supported: '{stmt}'. Indirect and "
            "conditional effects are computed for every path automatically."
        )
    if "~" in stmt:
        return "~"
    raise SpecError(
        f"line {lineno}: no operator in '{stmt}'. Expected 'X =~ items', 'X <~ items' or 'Y ~ X + Z'."
    )


def _read_statements(
    text: str,
) -> tuple[dict[str, dict[str, Any]], list[tuple[int, str, list[str]]]]:
    """Sort the statements into measurement blocks and structural equations.

    Returns the blocks (construct name -> operator, first line, indicators and the line of
    each indicator) and the structural equations as ``(line, target, terms)``.
    """
    blocks: dict[str, dict[str, Any]] = {}
    structural: list[tuple[int, str, list[str]]] = []
    for lineno, stmt in _logical_lines(text):
        op = _statement_operator(lineno, stmt)
        lhs, rhs = (s.strip() for s in stmt.split(op, 1))
        if not lhs:
            raise SpecError(f"line {lineno}: nothing on the left of '{op}' in '{stmt}'")
        if not rhs:
            raise SpecError(f"line {lineno}: nothing on the right of '{op}' in '{stmt}' (an empty block)")
        if not _NAME_RE.match(lhs):
            raise SpecError(f"line {lineno}: '{lhs}' is not a valid name (letters, digits, '_' and '.')")
        terms = _split_terms(rhs, lineno, stmt)
        if op in ("=~", "<~"):
            _add_indicators(blocks, lineno, lhs, op, terms)
        else:
            for t in terms:
                if not (_NAME_RE.match(t) or _INTERACTION_RE.match(t)):
                    raise SpecError(
                        f"line {lineno}: '{t}' in '{stmt}' is neither a name nor an interaction X:Z"
                    )
            structural.append((lineno, lhs, terms))
    return blocks, structural


def _add_indicators(
    blocks: dict[str, dict[str, Any]], lineno: int, lhs: str, op: str, terms: list[str]
) -> None:
    """Add one ``=~``/``<~`` statement's indicators to the block of construct ``lhs``."""
    for t in terms:
        if not _NAME_RE.match(t):
            raise SpecError(f"line {lineno}: indicator '{t}' of {lhs} is not a valid name")
    if lhs in blocks and blocks[lhs]["op"] != op:
        raise SpecError(
            f"line {lineno}: construct {lhs} is defined with '{op}' here but with "
            f"'{blocks[lhs]['op']}' on line {blocks[lhs]['line']}"
        )
    entry = blocks.setdefault(lhs, {"op": op, "line": lineno, "items": [], "item_lines": {}})
    for t in terms:
        if t in entry["items"]:
            raise SpecError(f"line {lineno}: indicator '{t}' listed twice for construct {lhs}")
        for other, oentry in blocks.items():
            if other != lhs and t in oentry["items"]:
                raise SpecError(
                    f"line {lineno}: indicator '{t}' is in construct {lhs} here and in construct {other} on "
                    f"line {oentry['item_lines'][t]}; an indicator can measure one construct only (its "
                    "composites would be collinear). Remove it from one of them."
                )
        entry["items"].append(t)
        entry["item_lines"][t] = lineno
