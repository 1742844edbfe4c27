"""Rendering the manuscript source: placeholders filled from the numbers, tables and figures (:func:`render`), HTML.

Part of :mod:`leanlearn.report.paper`, which re-exports the public names.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Mapping


from leanlearn.errors import SpecError
from leanlearn.extras import require


class PlaceholderError(SpecError):
    """A placeholder of the manuscript source has no value (or names no table or figure)."""


@dataclass(frozen=True)
class FigureRef:
    """A figure as the manuscript sees it: caption, image source (path or data URI), availability."""

    name: str
    title: str
    caption: str
    src: str
    available: bool = True


# ---------------------------------------------------------------------------------------------
# Generated blocks (themselves placeholders, so every number in them has a key)
# ---------------------------------------------------------------------------------------------
BLOCKS: dict[str, str] = {
    "methods": (
        "The model was estimated with partial least squares path modelling in leanlearn {{ version.leanlearn }} "
        "(Python {{ version.python }}; numpy {{ version.numpy }}, pandas {{ version.pandas }}, scipy {{ version.scipy }}, "
        "statsmodels {{ version.statsmodels }}, semopy {{ version.semopy }}, matplotlib {{ version.matplotlib }}; "
        "the workflow ran under Snakemake {{ version.snakemake }}). Reflective constructs were estimated as Mode A composites "
        "({{ settings.consistent }}) with the {{ settings.scheme }} weighting scheme, a stop criterion of {{ settings.tolerance }} and at most "
        "{{ settings.max_iterations }} iterations (the algorithm converged after {{ settings.iterations }})"
        "{% if ran.moderation %}; the interaction term was built "
        "with the {{ settings.interaction }} approach (Becker, Ringle & Sarstedt 2018){% endif %}. Significance was assessed with "
        "{{ boot.resamples }} bootstrap resamples (seed {{ seed }}; {{ boot.failed }} resample(s) failed and were dropped) and "
        "{{ ci_level }} percentile and BCa intervals, without sign-change correction; p-values are the bootstrap p-values that match "
        "the intervals (p < α exactly when the interval excludes zero; resolution {{ inference.p_value_resolution }})"
        "{% if ran.moderation %}; every derived effect (indirect, conditional "
        "indirect, index of moderated mediation) was computed from the same resampled path matrices"
        "{% elif ran.mediation %}; indirect effects were computed from the same resampled path matrices{% endif %}."
        "{% if ran.controls %} The control variables ({{ controls }}) entered {{ controls_targets }} and were never imputed.{% endif %}"
    ),
    "screening": (
        "Of the {{ n_responses }} responses in the export, {{ n_excluded }} were excluded: {{ excluded.incomplete }} incomplete, "
        "{{ excluded.duplicates }} duplicates, {% if ran.attention %}{{ excluded.attention }} failing an attention check, {% endif %}"
        "{% if ran.page_times %}{{ excluded.speed }} faster than "
        "{{ screen.seconds_per_item_hard }} s per item on a page (Wood et al. 2017), {% endif %}{{ excluded.straight_lining }} straight-lining "
        "across every item, {{ excluded.missingness }} with more than {{ screen.max_case_missing_share }} of the items missing, and "
        "{{ excluded.multiple_soft_flags }} with soft flags from at least {{ screen.exclude_if_n_flags_at_least }} careless-responding "
        "indices ({{ screen.soft_indices }}). "
        "{{ n_kept }} responses were kept; {{ n_flagged_kept }} of them carry a single soft flag and are dropped in a sensitivity analysis. "
        "Item missingness was at most {{ missing.max_share }} per item; "
        "{% if missing.method == \"listwise\" %}responses with a missing item were left out (listwise deletion)."
        "{% elif missing.n_imputed == \"0\" %}no cell had to be imputed."
        "{% elif missing.method == \"mean\" %}the {{ missing.n_imputed }} missing cells were replaced by item means."
        "{% else %}the {{ missing.n_imputed }} missing cells were treated by {{ missing.method }} imputation.{% endif %}"
    ),
}


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
_SPECIAL = re.compile(r"\{\{\s*(ref:table|ref:figure|table|figure|block):([A-Za-z0-9_]+)\s*\}\}")
_TOKEN = re.compile(r"@@LL(TABLE|FIGURE|REFTABLE|REFFIGURE):([A-Za-z0-9_]+)@@")


class _Leaf:
    __slots__ = ("key", "value", "mode")

    def __init__(self, key, value, mode):
        self.key, self.value, self.mode = key, value, mode

    def __eq__(self, other):  # lets the source compare, e.g. {% if H1.verdict == "supported" %}
        return self.value == (other.value if isinstance(other, _Leaf) else other)

    def __hash__(self):
        return hash(self.value)

    def __str__(self):
        if self.mode == "html":
            return f'<span class="num" data-key="{html.escape(self.key)}">{html.escape(self.value)}</span>'
        return self.value

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        _RECORD[-1](f"{self.key}.{name}", f"'{self.key}' is a number, not a group of numbers")
        return _Missing(f"{self.key}.{name}", recorded=True)


# the recorder of the render() call in progress: (placeholder, problem) -> None
_RECORD: list = [lambda name, what: (_ for _ in ()).throw(PlaceholderError(f"{{{{ {name} }}}}: {what}"))]


class _Missing:
    """A placeholder without a value: recorded (with its line) when used, rendered as itself."""

    def __init__(self, name, *, recorded=False, what="no such number in the results (numbers.json)"):
        self._name, self._recorded, self._what = name, recorded, what

    def _use(self):
        if not self._recorded:
            _RECORD[-1](self._name, self._what)
            self._recorded = True

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        return _Missing(f"{self._name}.{name}")

    def __getitem__(self, name):
        return _Missing(f"{self._name}.{name}")

    def __str__(self):
        self._use()
        return "{{ " + self._name + " }}"

    def __bool__(self):
        self._use()
        return False

    def __eq__(self, other):
        self._use()
        return False

    def __hash__(self):
        return hash(self._name)

    def __iter__(self):
        self._use()
        return iter(())

    def __call__(self, *args, **kwargs):
        self._use()
        return self


class _Node:
    def __init__(self, path, children, mode):
        self._path, self._children, self._mode = path, children, mode

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name not in self._children:
            full = f"{self._path}.{name}" if self._path else name
            return _Missing(full)
        return self._children[name]

    def __iter__(self):
        return iter(self._children)

    def __str__(self):
        _RECORD[-1](self._path, f"a group of numbers, not a number (use e.g. {{{{ {self._path}.estimate }}}})")
        return "{{ " + self._path + " }}"


def _tree(numbers: Mapping[str, str], mode: str) -> dict:
    root: dict = {}
    for key, value in numbers.items():
        parts = key.split(".")
        d = root
        for i, p in enumerate(parts[:-1]):
            sub = d.get(p)
            if sub is None:
                sub = d[p] = {}
            elif isinstance(sub, _Leaf):
                raise ValueError(f"number key {key!r} clashes with {'.'.join(parts[: i + 1])!r}")
            d = sub
        d[parts[-1]] = _Leaf(key, value, mode)

    def nodes(d, path):
        return _Node(path, {k: (nodes(v, f"{path}.{k}" if path else k) if isinstance(v, dict) else v) for k, v in d.items()}, mode)

    return {k: (nodes(v, k) if isinstance(v, dict) else v) for k, v in root.items()}


def _line_of(source: str, needle: str) -> int | None:
    """Line of the first placeholder spelled ``needle`` (not merely starting with it)."""
    core = needle.strip("{} ")
    pattern = re.compile(r"(?<![\w.])" + re.escape(core) + r"(?![\w.])")
    for i, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line):
            return i
    return None


def render(
    source: str,
    numbers: Mapping[str, str],
    *,
    tables: Mapping[str, object] | None = None,
    figures: Mapping[str, FigureRef] | None = None,
    ran: Mapping[str, bool] | None = None,
    mode: str = "html",
    source_name: str = "manuscript.md",
) -> str:
    """Fill the manuscript source; return Markdown (with HTML blocks in ``html`` mode).

    Parameters
    ----------
    source : str
        Manuscript source (Markdown + placeholders, see the module docstring).
    numbers : mapping
        :func:`paper_numbers` (possibly read back from numbers.json).
    tables : mapping
        name -> :class:`leanlearn.report.tables.Table` or :class:`leanlearn.report.tables.NotRun`.
    figures : mapping
        name -> :class:`FigureRef`.
    ran : mapping
        stage -> bool (:func:`stages_run`).
    mode : {"html", "markdown", "pandoc"}
        ``html``: numbers as traceable spans, tables as HTML; ``markdown``: plain numbers,
        pipe tables; ``pandoc``: plain numbers, LaTeX tables (for a PDF through pandoc).

    Raises
    ------
    PlaceholderError
        A placeholder names no number, table, figure or block; the message gives the line.
    """
    jinja2 = require("jinja2", "rendering the manuscript")

    if mode not in ("html", "markdown", "pandoc"):
        raise ValueError(f"mode must be html, markdown or pandoc, got {mode!r}")
    tables = dict(tables or {})
    figures = dict(figures or {})
    problems = _Problems(source)
    # 1. expand blocks and table/figure placeholders into tokens
    text = _expand_specials(source, tables, figures, problems)
    # 2. numbers and conditionals through Jinja; every unknown name is recorded, not raised,
    #    so that one build lists all of them
    env = jinja2.Environment(undefined=_recording_undefined(jinja2, problems.record), autoescape=False, keep_trailing_newline=True,
                             trim_blocks=False, lstrip_blocks=True)
    context = _context(numbers, tables, figures, ran, mode)
    _RECORD.append(lambda name, what: problems.record(name, f"{{{{ {name} }}}}: {what}"))
    try:
        text = env.from_string(text).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise PlaceholderError(f"{source_name}, line {exc.lineno}: template syntax error: {exc.message}") from exc
    finally:
        _RECORD.pop()
    problems.raise_if_any(source_name)
    # 3. number tables and figures in order of appearance, then fill them in
    order = _appearance_order(text, tables, figures)
    text = _TOKEN.sub(lambda m: _fill_token(m, order, tables, figures, mode), text)
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")


class _Problems:
    """The placeholders without a value, with the line of the source each is on (each message once)."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[int, str]] = []
        self.seen: set[str] = set()

    def record(self, needle, msg) -> None:
        if msg in self.seen:
            return
        self.seen.add(msg)
        self.items.append((_line_of(self.source, needle) or 0, msg))

    def raise_if_any(self, source_name: str) -> None:
        if not self.items:
            return
        problems = sorted(self.items, key=lambda p: p[0])
        lines = [(f"line {ln}: " if ln else "") + msg for ln, msg in problems]
        raise PlaceholderError(
            f"{source_name}: {len(problems)} placeholder(s) without a value:\n  " + "\n  ".join(lines)
            + "\nSee numbers.json (written next to the manuscript) for every key that exists."
        )


def _expand_specials(source: str, tables: Mapping, figures: Mapping, problems: _Problems) -> str:
    """Comments removed, blocks expanded, table and figure placeholders replaced by tokens."""

    def expand(m):
        kind, name = m.group(1), m.group(2)
        if kind == "block":
            if name not in BLOCKS:
                problems.record(m.group(0), f"{{{{ block:{name} }}}}: no such block (known: {', '.join(BLOCKS)})")
                return ""
            return BLOCKS[name]
        if kind.endswith("table") and name not in tables:
            problems.record(m.group(0), f"{{{{ {kind}:{name} }}}}: no such table (known: {', '.join(tables)})")
            return ""
        if kind.endswith("figure") and name not in figures:
            problems.record(m.group(0), f"{{{{ {kind}:{name} }}}}: no such figure (known: {', '.join(figures)})")
            return ""
        return "@@LL" + kind.replace("ref:", "REF").upper() + f":{name}@@"

    return _SPECIAL.sub(expand, re.sub(r"\{#.*?#\}", "", source, flags=re.S))


def _recording_undefined(jinja2, record):
    """A Jinja ``Undefined`` that records every use of an unknown name (and renders it as written)."""

    class Recording(jinja2.Undefined):
        def _full(self):
            obj = self._undefined_obj
            if isinstance(obj, dict):
                return f"ran.{self._undefined_name}"
            if isinstance(obj, _Node):
                return f"{obj._path}.{self._undefined_name}"
            return str(self._undefined_name)

        def _use(self):
            name = self._full()
            where = "no such stage (see leanlearn.report.paper.stages_run)" if name.startswith("ran.") else "no such number in the results (numbers.json)"
            record(name, f"{{{{ {name} }}}}: {where}")

        def __str__(self):
            self._use()
            return "{{ " + self._full() + " }}"

        def __bool__(self):
            self._use()
            return False

        def __iter__(self):
            self._use()
            return iter(())

        def __eq__(self, other):
            self._use()
            return False

        __hash__ = jinja2.Undefined.__hash__

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Missing(f"{self._full()}.{name}")

        def __getitem__(self, name):
            return _Missing(f"{self._full()}.{name}")

    return Recording


def _context(numbers: Mapping[str, str], tables: Mapping, figures: Mapping, ran: Mapping[str, bool] | None, mode: str) -> dict:
    """The names a manuscript template sees: the numbers as a tree and the helper functions."""
    from leanlearn.report.tables import NotRun

    context = _tree(numbers, mode)
    ids = [k.split(".")[0] for k in numbers if k.count(".") == 1 and k.endswith(".verdict")]
    tree = dict(context)

    def hyp(h):
        if h not in tree:
            return _Missing(str(h), what="no such hypothesis in the results (numbers.json)")
        return tree[h]

    def children(prefix):
        """Keys below a group of numbers, e.g. children("r2") -> ["CUSA", "CUSL"] (sorted as in numbers.json)."""
        node = tree.get(prefix)
        return list(node) if isinstance(node, _Node) else []

    context["hyp"] = hyp
    context["children"] = children
    context["has"] = lambda key: key in numbers
    context["has_table"] = lambda name: name in tables and not isinstance(tables[name], NotRun)
    context["has_figure"] = lambda name: name in figures and figures[name].available
    context["hypothesis_ids"] = sorted(ids, key=lambda h: int(numbers.get(f"{h}.order", 0)))
    context["ran"] = dict(ran or {})
    return context


def _appearance_order(text: str, tables: Mapping, figures: Mapping) -> dict[str, list[str]]:
    """The tables and figures that are shown, in order of first appearance (their numbers)."""
    from leanlearn.report.tables import NotRun

    order: dict[str, list[str]] = {"TABLE": [], "FIGURE": []}
    for m in _TOKEN.finditer(text):
        kind, name = m.group(1), m.group(2)
        if kind in order and name not in order[kind]:
            if kind == "TABLE" and isinstance(tables[name], NotRun):
                continue
            if kind == "FIGURE" and not figures[name].available:
                continue
            order[kind].append(name)
    return order


def _fill_token(m, order: Mapping[str, list[str]], tables: Mapping, figures: Mapping, mode: str) -> str:
    """A table, a figure or a reference to one, in place of its token (a table or figure as its own block)."""
    out = _token_text(m.group(1), m.group(2), order, tables, figures, mode)
    return out if m.group(1).startswith("REF") else "\n\n" + out.strip("\n") + "\n\n"


def _token_text(kind: str, name: str, order: Mapping[str, list[str]], tables: Mapping, figures: Mapping, mode: str) -> str:
    from leanlearn.report.tables import NotRun, table_html, table_latex, table_markdown

    def number(kind, name):
        return f"{'Table' if kind == 'TABLE' else 'Figure'} {order[kind].index(name) + 1}"

    if kind in ("REFTABLE", "REFFIGURE"):
        base = kind[3:]
        if name not in order[base]:
            return f"({'table' if base == 'TABLE' else 'figure'} not available)"
        return number(base, name)
    if kind == "TABLE":
        t = tables[name]
        if isinstance(t, NotRun):
            return f"*{t.title}: {t.reason}.*"
        label_ = number("TABLE", name)
        if mode == "html":
            return table_html(t, number=label_)
        if mode == "pandoc":
            return table_latex(t)
        return table_markdown(t, number=label_)
    f = figures[name]
    if not f.available:
        return f"*{f.title}: not available (its inputs are absent).*"
    label_ = number("FIGURE", name)
    if mode == "html":
        return (f'<figure class="figure" id="figure-{html.escape(name)}">\n<img src="{html.escape(f.src)}" alt="{html.escape(f.title)}">\n'
                f'<figcaption><span class="label">{label_}.</span> {html.escape(f.caption)}</figcaption>\n</figure>')
    if mode == "pandoc":  # LaTeX numbers the figure itself
        return f"![{f.caption}]({f.src})"
    return f"![{label_}. {f.caption}]({f.src})"


def markdown_to_html(text: str) -> str:
    """Markdown (with raw HTML blocks) to an HTML fragment (Python-Markdown)."""
    markdown = require("markdown", "rendering the manuscript")

    return markdown.markdown(text, extensions=["tables", "attr_list", "sane_lists", "toc"], output_format="html")


_CSS = """
body { font-family: Georgia, 'DejaVu Serif', serif; line-height: 1.5; color: #222; margin: 0; background: #fff; }
main { max-width: 50em; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; line-height: 1.25; } h2 { font-size: 1.25em; margin-top: 1.8em; } h3 { font-size: 1.05em; }
figure { margin: 1.6em 0; } figure img { width: 100%; max-width: 34em; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 0.9em; margin: 0.4em 0; } .label { font-weight: bold; }
figure.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.4em 0; border-top: 2px solid #222; border-bottom: 2px solid #222; }
thead th { border-bottom: 1px solid #222; font-weight: normal; font-style: italic; }
th, td { padding: 0.2em 0.6em; vertical-align: top; } td.r, th.r { text-align: right; white-space: nowrap; } td.l, th.l { text-align: left; }
tr.panel td { font-style: italic; padding-top: 0.6em; white-space: normal; }
td:first-child { white-space: nowrap; }
p.note { font-size: 0.8em; } blockquote { border-left: 3px solid #c0392b; margin-left: 0; padding-left: 1em; color: #444; }

"""


def page(*, title: str, body: str, css: str = _CSS) -> str:
    """A complete, self-contained HTML5 page (no scripts, no external resources, no timestamps)."""
    jinja2 = require("jinja2", "rendering the manuscript")

    tpl = jinja2.Environment(autoescape=False).from_string(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"leanlearn\">\n<title>{{ title | e }}</title>\n<style>{{ css }}</style>\n</head>\n"
        "<body>\n<main>\n{{ body }}\n</main>\n</body>\n</html>\n"
    )
    return tpl.render(title=title, body=body, css=css)
