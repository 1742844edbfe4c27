"""Writing a table as CSV, Markdown, LaTeX or HTML."""

from __future__ import annotations

import csv
import html
import io

from leanlearn.report.tables.cells import NotRun, Table


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def table_csv(table: Table) -> str:
    """The body as CSV (formatted cells as printed; a ``panel`` column when the table has panels)."""
    buf = io.StringIO()
    df = table.frame()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(df.columns))
    for row in df.itertuples(index=False):
        w.writerow(list(row))
    return buf.getvalue()


def _md_cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def table_markdown(table: Table, *, number: str | None = None) -> str:
    """A pipe table with the title above and the note below (Pandoc and Python-Markdown read it)."""
    head = f"**{number + '. ' if number else ''}{table.title}**"
    align = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [head, "", "| " + " | ".join(_md_cell(c) for c in table.columns) + " |", "|" + "|".join(align[a] for a in table.alignment) + "|"]
    starts = dict(table.panels)
    k = len(table.columns)
    for i, row in enumerate(table.rows):
        if i in starts:
            lines.append("| " + " | ".join([f"*{_md_cell(starts[i])}*"] + [""] * (k - 1)) + " |")
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    if table.note:
        lines += ["", f"*Note.* {table.note}"]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_UNICODE = {
    "→": r"$\rightarrow$", "×": r"$\times$", "−": r"$-$", "–": "--", "—": "---", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$",
    "±": r"$\pm$", "²": r"$^{2}$", "α": r"$\alpha$", "β": r"$\beta$", "ρ": r"$\rho$", "χ": r"$\chi$", "√": r"$\surd$",
    "’": "'", "é": r"\'{e}", "ö": r'\"{o}', "ü": r'\"{u}', "ä": r'\"{a}', "…": r"\ldots{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX specials and map the symbols leanlearn prints to pdflatex-safe commands."""
    out = []
    for ch in str(text):
        out.append(_LATEX_SPECIAL.get(ch) or _LATEX_UNICODE.get(ch) or ch)
    s = "".join(out)
    return s.replace("$$", "")  # adjacent math pieces (e.g. "−²") merge


def table_latex(table: Table) -> str:
    """A booktabs ``table`` float (needs ``\\usepackage{booktabs}``)."""
    k = len(table.columns)
    spec = []
    for j, a in enumerate(table.alignment):
        longest = max([len(str(r[j])) for r in table.rows] + [len(table.columns[j])])
        spec.append(r"p{0.3\linewidth}" if a == "l" and longest > 45 else a)  # long text wraps
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{" + latex_escape(table.title) + "}",
        r"\label{tab:" + table.name + "}",
        r"\small",
        r"\begin{tabular}{" + "".join(spec) + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\midrule",
    ]
    starts = dict(table.panels)
    for i, row in enumerate(table.rows):
        if i in starts:
            if i:
                lines.append(r"\addlinespace")
            lines.append(r"\multicolumn{" + str(k) + "}{l}{\\textit{" + latex_escape(starts[i]) + r"}} \\")
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}")
    if table.note:
        lines.append(r"\par\smallskip")
        lines.append(r"\parbox{\linewidth}{\footnotesize\textit{Note.} " + latex_escape(table.note) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def table_html(table: Table, *, number: str | None = None) -> str:
    """An HTML ``<figure class="table">`` fragment (caption, table, note)."""
    e = html.escape
    cls = {"l": "l", "r": "r", "c": "c"}
    out = [f'<figure class="table" id="table-{e(table.name)}">']
    prefix = f'<span class="label">{e(number)}.</span> ' if number else ""
    out.append(f"<figcaption>{prefix}{e(table.title)}</figcaption>")
    out.append("<table>")
    out.append("<thead><tr>" + "".join(f'<th class="{cls[a]}">{e(c)}</th>' for c, a in zip(table.columns, table.alignment)) + "</tr></thead>")
    out.append("<tbody>")
    starts = dict(table.panels)
    for i, row in enumerate(table.rows):
        if i in starts:
            out.append(f'<tr class="panel"><td colspan="{len(table.columns)}">{e(starts[i])}</td></tr>')
        out.append("<tr>" + "".join(f'<td class="{cls[a]}">{e(c)}</td>' for c, a in zip(row, table.alignment)) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    if table.note:
        out.append(f'<p class="note"><em>Note.</em> {e(table.note)}</p>')
    out.append("</figure>")
    return "\n".join(out) + "\n"


def not_run_text(item: NotRun) -> str:
    """One line for a table that could not be made."""
    return f"{item.title}: {item.reason}."
