"""``leanlearn report``: publication tables and figures from the result tables.

::

    leanlearn report --results results --config studies/lean/config.yaml --out results/tables --figures results/figures

Writes (atomically)

``--out``
    ``<table>.csv``, ``<table>.md``, ``<table>.tex`` (booktabs) and ``<table>.html`` (a page
    that opens in a browser) for every table the results allow (see
    :data:`leanlearn.report.tables.TABLE_ORDER`); ``index.md`` / ``index.html`` list every table and
    figure with its status ("not run: <file> absent" for stages that did not run).
``--figures``
    ``<figure>.png`` (300 dpi), ``<figure>.svg`` and ``<figure>.pdf`` for every figure of
    :data:`leanlearn.report.figures.FIGURES`; a figure whose inputs are absent is a placeholder that
    says so, so the set of files is fixed (Snakemake can list them).

Everything written is byte-reproducible for a given environment.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_config
from leanlearn.cli._options import config_of_results

log = logging.getLogger("leanlearn.report.tables")

TABLE_FORMATS = ("csv", "md", "tex", "html")
FIGURE_FORMATS = ("png", "svg", "pdf")


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="publication tables (CSV, Markdown, LaTeX, HTML) and figures (PNG, SVG, PDF)",
        description="Build the publication tables and figures from the result tables under --results.",
    )
    p.add_argument("--results", default="results", help="the results directory")
    p.add_argument("--config", default=None, help="pipeline config (default: config.yaml in --results, the effective config of the run)")
    p.add_argument("--out", default="results/tables", help="directory for the tables")
    p.add_argument("--figures", default="results/figures", help="directory for the figures")
    p.add_argument("--figure-formats", default=",".join(FIGURE_FORMATS), help="comma-separated: png, svg, pdf")
    p.set_defaults(func=run)


def load_results(results: str | Path) -> tuple[dict, dict]:
    """Read every result file of :data:`leanlearn.report.tables.RESULT_FILES` that exists.

    Returns
    -------
    (tables, paths) : dict, dict
        key -> DataFrame (or parsed JSON for ``.json``), and key -> the path read.
    """
    from leanlearn.report.tables import RESULT_FILES

    root = Path(results)
    if not root.is_dir():
        raise UserError(f"{root}: results directory not found (run the pipeline first)")
    tables, paths = {}, {}
    for key, patterns in RESULT_FILES.items():
        path = None
        for pat in patterns:
            hits = sorted(p for p in root.glob(pat) if p.is_file())
            if hits:
                path = hits[0]
                break
        if path is None:
            continue
        try:
            if path.suffix == ".json":
                tables[key] = json.loads(path.read_text(encoding="utf-8"))
            else:
                tables[key] = pd.read_csv(path)
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UserError(f"{path}: cannot read ({exc})") from exc
        paths[key] = path
    return tables, paths


def html_page(title: str, body: str) -> str:
    """A complete HTML page around a fragment (shared style with the manuscript)."""
    from leanlearn.report.paper import page

    return page(title=title, body=body)


def run(args) -> int:
    from leanlearn.report.figures import FIGURES, build_figures, figure_bytes
    from leanlearn.report.tables import NotRun, build_tables, table_csv, table_html, table_latex, table_markdown

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting is chatty at INFO
    config_of_results(args)
    cfg = read_config(args.config)
    results, paths = load_results(args.results)
    for key, path in sorted(paths.items()):
        log.debug("read %s: %s", key, path)
    formats = [f.strip().lower() for f in args.figure_formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FIGURE_FORMATS]
    if bad:
        raise UserError(f"--figure-formats: unknown format(s) {', '.join(bad)} (use {', '.join(FIGURE_FORMATS)})")

    from leanlearn.cli._words import words_of

    tables = build_tables(results, cfg, words=words_of(cfg, args.config))
    figures = build_figures(results, cfg)

    index_md = ["# Tables and figures", ""]
    index_html = ["<h1>Tables and figures</h1>", "<h2>Tables</h2>", "<ul>"]
    with atomic_dir(args.out) as tmp:
        for name, t in tables.items():
            if isinstance(t, NotRun):
                log.info("table %s: %s", name, t.reason)
                index_md.append(f"- {t.title}: {t.reason}")
                index_html.append(f"<li>{_esc(t.title)}: <em>{_esc(t.reason)}</em></li>")
                continue
            (tmp / f"{name}.csv").write_text(table_csv(t), encoding="utf-8")
            (tmp / f"{name}.md").write_text(table_markdown(t), encoding="utf-8")
            (tmp / f"{name}.tex").write_text(table_latex(t), encoding="utf-8")
            (tmp / f"{name}.html").write_text(html_page(t.title, table_html(t)), encoding="utf-8")
            index_md.append(f"- [{t.title}]({name}.md) ([CSV]({name}.csv), [LaTeX]({name}.tex), [HTML]({name}.html))")
            index_html.append(f'<li><a href="{name}.html">{_esc(t.title)}</a> (<a href="{name}.csv">CSV</a>, <a href="{name}.tex">LaTeX</a>, <a href="{name}.md">Markdown</a>)</li>')
        index_html.append("</ul>")
        index_md += ["", "## Figures", ""]
        index_html += ["<h2>Figures</h2>"]
        rel = _relative(Path(args.figures), Path(args.out))
        for name, (_, ok) in figures.items():
            spec = FIGURES[name]
            status = "" if ok else " (not available: inputs absent)"
            index_md.append(f"- [{spec.title}]({rel}/{name}.png){status}")
            if "png" in formats:
                index_html.append(f'<figure><img src="{rel}/{name}.png" alt="{_esc(spec.title)}" style="max-width:100%">'
                                  f"<figcaption>{_esc(spec.caption)}{_esc(status)}</figcaption></figure>")
        (tmp / "index.md").write_text("\n".join(index_md) + "\n", encoding="utf-8")
        (tmp / "index.html").write_text(html_page("Tables and figures", "\n".join(index_html)), encoding="utf-8")
    with atomic_dir(args.figures) as tmp:
        for name, (fig, ok) in figures.items():
            for fmt in formats:
                (tmp / f"{name}.{fmt}").write_bytes(figure_bytes(fig, fmt))
            if not ok:
                log.info("figure %s: inputs absent; placeholder written", name)
    n_tables = sum(not isinstance(t, NotRun) for t in tables.values())
    log.info("wrote %d of %d tables to %s and %d figures to %s", n_tables, len(tables), args.out, len(figures), args.figures)
    return 0


def _esc(s: str) -> str:
    import html

    return html.escape(str(s))


def _relative(target: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()
