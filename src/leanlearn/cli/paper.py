"""``leanlearn paper``: render the manuscript with every number taken from the results.

::

    leanlearn paper --results results --config studies/lean/config.yaml --source studies/lean/manuscript.md --out results/paper

Writes (atomically) into ``--out``:

``numbers.json``      one entry per number the manuscript may cite (:func:`leanlearn.report.paper.paper_numbers`)
``numbers.tex``       the same as LaTeX macros (``\\llnum{H1.estimate}``)
``manuscript.html``   the paper: tables and figures embedded (figures as SVG data URIs, or
                      linked with ``--link-figures``); every number is a
                      ``<span class="num" data-key=...>`` traceable to numbers.json
``manuscript.md``     the filled Markdown (pipe tables, figures linked to the PNGs)
``manuscript.pdf``    only when pandoc and a LaTeX engine are installed (``--pdf auto``, the
                      default); skipped with a logged note otherwise. The PDF carries
                      timestamps of the TeX installation and is not part of the manifest.

The template is ``--source``, else the config's ``manuscript:`` (relative to the config
file's folder), else the generic results paper shipped with leanlearn
(``leanlearn/report/templates/manuscript.md``). The codebook named by the config (or
``--codebook``) gives the study's unit and construct labels.

``numbers.json`` and ``numbers.tex`` are written with the manuscript, and alone when the build fails. A
placeholder without a value fails the build with exit code 2 and a message listing *every*
such placeholder with its line.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, read_config, read_text, read_yaml, user_errors
from leanlearn.cli._options import config_of_results

log = logging.getLogger("leanlearn.report.paper")

LATEX_ENGINES = ("pdflatex", "xelatex", "lualatex")

# pdflatex cannot typeset these characters without help; leanlearn prints them.
_PREAMBLE = r"""\usepackage{booktabs}
\usepackage{float}
\DeclareUnicodeCharacter{2192}{\ensuremath{\rightarrow}}
\DeclareUnicodeCharacter{00D7}{\ensuremath{\times}}
\DeclareUnicodeCharacter{2212}{\ensuremath{-}}
\DeclareUnicodeCharacter{2265}{\ensuremath{\geq}}
\DeclareUnicodeCharacter{2264}{\ensuremath{\leq}}
\DeclareUnicodeCharacter{2260}{\ensuremath{\neq}}
\DeclareUnicodeCharacter{00B1}{\ensuremath{\pm}}
\DeclareUnicodeCharacter{00B2}{\ensuremath{^2}}
\DeclareUnicodeCharacter{03B1}{\ensuremath{\alpha}}
\DeclareUnicodeCharacter{03B2}{\ensuremath{\beta}}
\DeclareUnicodeCharacter{03C1}{\ensuremath{\rho}}
\DeclareUnicodeCharacter{03C7}{\ensuremath{\chi}}
\DeclareUnicodeCharacter{2026}{\ldots}
"""


def register(sub) -> None:
    p = sub.add_parser(
        "paper",
        help="render the manuscript (HTML; PDF when pandoc and LaTeX are available) with numbers from the results",
        description="Fill the manuscript's placeholders from the result tables and render it.",
    )
    p.add_argument("--results", default="results", help="the results directory")
    p.add_argument("--config", default=None, help="pipeline config (default: config.yaml in --results, the effective config of the run)")
    p.add_argument("--source", default=None,
                   help="manuscript source (Markdown with placeholders); default: the config's manuscript:, else the generic template")
    p.add_argument("--codebook", default=None, help="codebook YAML (default: the config's codebook:)")
    p.add_argument("--out", default="results/paper", help="output directory")
    p.add_argument("--figures", default=None, help="figures directory (default: figures/ next to --out)")
    p.add_argument("--link-figures", action="store_true", help="link the SVG files instead of embedding them in the HTML")
    p.add_argument("--pdf", choices=["auto", "never"], default="auto", help="build a PDF when pandoc and a LaTeX engine are available")
    p.set_defaults(func=run)


GENERIC_TEMPLATE = "manuscript.md"


def _config_path(cfg: dict, config_file: str, key: str) -> Path | None:
    """A path named by the config: relative to the config file's folder, else as given."""
    value = cfg.get(key)
    if not value:
        return None
    p = Path(value)
    if p.is_absolute():
        return p
    beside = Path(config_file).parent / p
    return beside if beside.exists() or not p.exists() else p


def template_path(cfg: dict, config_file: str) -> Path:
    """The manuscript template: the config's ``manuscript:``, else the generic template."""
    from importlib import resources

    own = _config_path(cfg, config_file, "manuscript")
    if own is not None:
        return own
    return Path(str(resources.files("leanlearn.report") / "templates" / GENERIC_TEMPLATE))


def _title(source: str) -> str:
    for line in source.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return "Manuscript"


def _figure_refs(figures_dir: Path, results: dict, out_dir: Path, *, mode: str, embed: bool):
    from leanlearn.report.figures import FIGURES, figure_available, figure_caption
    from leanlearn.report.paper import FigureRef

    refs = {}
    for name, spec in FIGURES.items():
        available = figure_available(name, results)
        ext = {"html": "svg", "markdown": "png", "pandoc": "pdf"}[mode]
        path = figures_dir / f"{name}.{ext}"
        if available and not path.exists():
            raise UserError(f"{path}: figure missing; run 'leanlearn report --figures {figures_dir}' first")
        if mode == "html" and embed and available:
            src = "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        elif mode == "pandoc":
            src = path.resolve().as_posix()
        else:
            src = Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()
        refs[name] = FigureRef(name, spec.title, figure_caption(name, results), src, available)
    return refs


def _pdf_tools() -> tuple[str | None, str | None]:
    pandoc = shutil.which("pandoc")
    engine = next((e for e in LATEX_ENGINES if shutil.which(e)), None)
    return pandoc, engine


def build_pdf(markdown_text: str, dest: Path, *, title: str) -> str | None:
    """Run pandoc + LaTeX on the pandoc-mode Markdown; return a note when skipped or failed."""
    pandoc, engine = _pdf_tools()
    if not pandoc or not engine:
        missing = " and ".join(x for x, ok in (("pandoc", pandoc), ("a LaTeX engine (" + "/".join(LATEX_ENGINES) + ")", engine)) if not ok)
        return f"PDF skipped: {missing} not found (the HTML manuscript is complete)"
    with tempfile.TemporaryDirectory(prefix="leanlearn-pdf-") as tmp_name:
        tmp = Path(tmp_name)
        lines = markdown_text.splitlines()
        first_h1 = next((k for k, line in enumerate(lines) if line.startswith("# ")), None)
        if first_h1 is not None:  # the title goes in as metadata, not twice
            del lines[first_h1]
        (tmp / "manuscript.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tmp / "preamble.tex").write_text(_PREAMBLE if engine == "pdflatex" else _PREAMBLE.split("\\DeclareUnicodeCharacter")[0], encoding="utf-8")
        env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
        cmd = [pandoc, "manuscript.md", "--from", "markdown+raw_tex", "-o", "manuscript.pdf", f"--pdf-engine={engine}", "-H", "preamble.tex",
               "-V", "geometry:margin=1in", "-V", "fontsize=11pt", "--metadata", f"title={title}"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=env)
        if proc.returncode != 0 or not (tmp / "manuscript.pdf").exists():
            return f"PDF skipped: pandoc/{engine} failed: {(proc.stderr or proc.stdout).strip()[-800:]}"
        shutil.copyfile(tmp / "manuscript.pdf", dest)
    return None


def run(args) -> int:
    from leanlearn.cli.report import load_results
    from leanlearn.report.paper import dumps_numbers, markdown_to_html, numbers_tex, page, paper_numbers, render, software_table, stages_run, study_words
    from leanlearn.report.tables import build_tables

    config_of_results(args)
    cfg = read_config(args.config)
    source_path = Path(args.source) if args.source else template_path(cfg, args.config)
    source = read_text(source_path)
    from leanlearn.cli._words import codebook_of

    codebook = read_yaml(args.codebook) if args.codebook else codebook_of(cfg, args.config)
    results, _ = load_results(args.results)
    out = Path(args.out)
    figures_dir = Path(args.figures) if args.figures else out.parent / "figures"
    numbers = paper_numbers(results, cfg, codebook=codebook)
    number_files = {"numbers.json": dumps_numbers(numbers), "numbers.tex": numbers_tex(numbers)}
    try:
        tables = build_tables(results, cfg, words=study_words(codebook))
        tables["software"] = software_table(numbers)
        ran = stages_run(results, codebook)
        title = _title(source)

        def filled(mode: str) -> str:
            refs = _figure_refs(figures_dir, results, out, mode=mode, embed=not args.link_figures)
            with user_errors():
                return render(source, numbers, tables=tables, figures=refs, ran=ran, mode=mode, source_name=str(source_path))

        html_md = filled("html")
        plain_md = filled("markdown")
        body = markdown_to_html(html_md)
        pdf_note = None
        with atomic_dir(out) as tmp:
            for name, text in number_files.items():
                (tmp / name).write_text(text, encoding="utf-8")
            (tmp / "manuscript.md").write_text(plain_md, encoding="utf-8")
            (tmp / "manuscript.html").write_text(page(title=title, body=body), encoding="utf-8")
            if args.pdf == "auto":
                pdf_note = build_pdf(filled("pandoc"), tmp / "manuscript.pdf", title=title)
    except BaseException:
        # a failed build still writes the numbers, so that the user sees every key that exists
        for name, text in number_files.items():
            with atomic_file(out / name) as tmp_file:
                tmp_file.write_text(text, encoding="utf-8")
        raise
    if pdf_note:
        log.info("%s", pdf_note)
    log.info("manuscript: %d numbers, %d tables, stages run: %s; wrote %s", len(numbers),
             sum(1 for t in tables.values() if hasattr(t, "rows")), ", ".join(k for k, v in ran.items() if v), out)
    return 0
