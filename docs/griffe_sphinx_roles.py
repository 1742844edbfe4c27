"""Griffe extension for the API reference: Sphinx roles in docstrings shown as code.

The NumPy docstrings use Sphinx cross-reference roles (``:class:`~leanlearn.x.Y```,
``:func:`...```, ``:mod:`...```); mkdocstrings does not interpret them, so this extension
rewrites each to a code span with the object's name (the short name after ``~``) when
mkdocs builds the site (``mkdocs.yml``: ``extensions``). Source files are not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|term):`(~?)([^`<]+?)(?:\s*<[^>]*>)?`")
_MATH = re.compile(r":math:`([^`]+)`")


def _replace(match: re.Match) -> str:
    tilde, target = match.group(1), match.group(2).strip()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def convert(text: str) -> str:
    """Sphinx roles to Markdown code spans; ``:math:`x``` to ``$x$``."""
    return _MATH.sub(lambda m: f"`{m.group(1)}`", _ROLE.sub(_replace, text))


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring that griffe loads."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
