"""The manuscript: every number from the result tables, through one macro per number.

Pure: result tables in, strings out (only the CLI reads and writes files).

1. :func:`paper_numbers` turns the result tables (and the config and software versions)
   into a flat mapping ``key -> formatted string`` — one entry per number in the paper,
   rounded through :mod:`leanlearn.format`. The CLI writes it to ``numbers.json`` and, for
   LaTeX users, ``numbers.tex`` (:func:`numbers_tex`: ``\\llnum{H1.estimate}``).
2. :func:`render` fills the manuscript source (Markdown with Jinja placeholders):

   ``{{ n_kept }}``, ``{{ H1.estimate }}``, ``{{ H1.ci }}``
       a number (HTML: ``<span class="num" data-key="H1.estimate">0.275</span>``, so that
       every number in the rendered paper can be traced to its key);
   ``{{ table:hypotheses }}`` / ``{{ figure:conditional_indirect }}``
       a table of :mod:`leanlearn.report.tables` or a figure of :mod:`leanlearn.report.figures`, numbered
       in order of appearance; a table whose stage did not run says "not run";
   ``{{ ref:table:hypotheses }}`` / ``{{ ref:figure:forest }}``
       "Table 3" / "Figure 2";
   ``{{ block:methods }}``
       a generated paragraph (:data:`BLOCKS`), itself made of placeholders;
   ``{% if ran.bias %} … {% else %} … {% endif %}``
       text that depends on which stages ran (``ran`` maps stage -> bool).

   A placeholder without a value raises :class:`PlaceholderError` naming it and its line:
   a missing number fails the build.
3. :func:`markdown_to_html` and :func:`page` make the HTML manuscript.

The parts: :mod:`~leanlearn.report.numbers` (with :mod:`~leanlearn.report.numbers_results` and
:mod:`~leanlearn.report.numbers_format`) and :mod:`~leanlearn.report.render`; every public name is
re-exported here.
"""

from __future__ import annotations

from leanlearn.report.numbers import dumps_numbers, numbers_tex, paper_numbers, software_table, stages_run  # noqa: F401
from leanlearn.report.numbers_format import study_words  # noqa: F401
from leanlearn.report.provenance import SOFTWARE, software_versions  # noqa: F401
from leanlearn.report.render import BLOCKS, FigureRef, PlaceholderError, markdown_to_html, page, render  # noqa: F401

__all__ = [
    "SOFTWARE",
    "BLOCKS",
    "PlaceholderError",
    "FigureRef",
    "software_versions",
    "paper_numbers",
    "stages_run",
    "numbers_tex",
    "software_table",
    "render",
    "markdown_to_html",
    "page",
    "dumps_numbers",
]
