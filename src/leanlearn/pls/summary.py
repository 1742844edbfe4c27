"""Summaries of a fitted model and of its bootstrap as text, Markdown, LaTeX and HTML.

No statistics are computed here: a :class:`Summary` is an ordered set of titled tables taken
from a :class:`~leanlearn.pls.engine.PLSResult` (:meth:`Summary.from_result`) or a
:class:`~leanlearn.pls.bootstrap.BootstrapResult` (:meth:`Summary.from_bootstrap`), with notes
that state how the numbers were obtained, rendered like statsmodels' summaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Summary"]

# bootstrap columns shown in a summary (ci_level and n_resamples are constant: they go in the notes)
_BOOT_COLUMNS = [
    "estimate", "bootstrap_mean", "std_error", "t_value", "p_value", "ci_lower", "ci_upper",
    "bca_lower", "bca_upper", "bca_p_value",
]  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """An ordered set of titled tables that renders as text, Markdown, LaTeX or HTML.

    Attributes
    ----------
    title : str
    tables : tuple of (str, DataFrame)
        Titled tables in display order (empty tables are left out).
    notes : tuple of str
        How the numbers were obtained (sample size, settings, interval type, seed).

    Examples
    --------
    >>> import leanlearn as ll
    >>> res = ll.estimate(ll.datasets.load("corp_rep"), ll.datasets.model("corp_rep"), missing_value=-99)
    >>> s = res.summary()
    >>> [title for title, _ in s.tables][:3]
    ['Path coefficients', 'R-squared', 'Reliability']
    >>> print(s.to_markdown().splitlines()[9])
    | COMP | CUSA | 0.162 |
    """

    title: str
    tables: tuple[tuple[str, pd.DataFrame], ...]
    notes: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, res: Any) -> "Summary":
        """The summary of a :class:`~leanlearn.pls.engine.PLSResult` (point estimates and assessment)."""
        s = res.settings
        notes = (
            f"n = {res.n}; inner weighting: {s.scheme}; interaction terms: {s.interaction}; "
            f"PLSc: {'yes' if s.consistent else 'no'}; missing data: {s.missing}",
            f"stopped at iteration {res.iterations} (0-based) with tolerance {s.tolerance:g}; "
            f"converged: {'yes' if res.converged else 'NO'}",
        )
        tables = [
            ("Path coefficients", res.path_coefficients),
            ("R-squared", res.r_squared),
            ("Reliability", res.reliability),
            ("Outer loadings", res.outer_loadings),
            ("Outer weights", res.outer_weights),
            ("HTMT", res.htmt),
            ("Fornell-Larcker", res.fornell_larcker),
            ("f-squared", res.f_squared),
            ("Inner VIF", res.vif_inner),
            ("Specific indirect effects", res.indirect_effects),
            ("Model fit", res.fit),
        ]
        return cls("PLS-SEM estimation", tuple((t, df) for t, df in tables if not df.empty), notes)

    @classmethod
    def from_bootstrap(cls, boot: Any) -> "Summary":
        """The summary of a :class:`~leanlearn.pls.bootstrap.BootstrapResult`.

        Tables (each with estimate, bootstrap mean, standard error, t, p, the percentile and
        the BCa interval): path coefficients, total indirect effects, specific indirect
        effects, total effects, R², outer loadings, outer weights, HTMT. The notes give the
        resamples requested and valid (failed ones by reason), the seed, the interval level and
        types, and how the p-value is computed.
        """
        res = boot.result
        status = dict(zip(boot.status["reason"], boot.status["count"]))
        failed = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in status.items() if k != "valid" and v)
        level = f"{boot.ci_level:.0%}" if round(boot.ci_level * 100, 6).is_integer() else f"{boot.ci_level:g}"
        notes = (
            f"n = {res.n}; {boot.resamples} resamples requested, {boot.n_valid} valid"
            + (f" (failed and dropped: {failed})" if failed else "")
            + f"; seed: {boot.seed}",
            f"{level} intervals: percentile (ci_lower, ci_upper; type-7 quantiles) and "
            "bias-corrected and accelerated (bca_lower, bca_upper; Efron 1987, jackknife acceleration)",
            "std_error: SD of the resample estimates (n - 1); t_value = estimate / std_error (descriptive); "
            "p_value: two-sided bootstrap p matching the percentile interval (the smallest alpha at which "
            "the 1 - alpha interval excludes 0; resolution 1/B), bca_p_value: the same for the BCa interval",
            f"model: inner weighting {res.settings.scheme}; interaction terms {res.settings.interaction}; "
            f"PLSc: {'yes' if res.settings.consistent else 'no'}",
        )
        families = [
            ("Path coefficients", "paths"),
            ("Total indirect effects", "total_indirect_effects"),
            ("Specific indirect effects", "indirect_effects"),
            ("Total effects", "total_effects"),
            ("R-squared", "r_squared"),
            ("Outer loadings", "outer_loadings"),
            ("Outer weights", "outer_weights"),
            ("HTMT", "htmt"),
        ]
        tables = []
        for title, family in families:
            df = boot.table(family)
            if df.empty:
                continue
            keys = [c for c in df.columns if c not in _BOOT_COLUMNS and c not in ("ci_level", "n_resamples")]
            tables.append((title, df[keys + _BOOT_COLUMNS].reset_index(drop=True)))
        return cls("PLS-SEM bootstrap", tuple(tables), notes)

    def to_text(self, digits: int = 3) -> str:
        """Plain text: title, notes, then each table under its title."""
        out = [self.title, "=" * len(self.title), *self.notes, ""]
        for title, df in self.tables:
            out += [title, "-" * len(title), df.to_string(float_format=lambda v: f"{v:.{digits}f}"), ""]
        return "\n".join(out)

    def to_markdown(self, digits: int = 3) -> str:
        """Markdown: a heading per table, notes as a list, pipe tables."""
        out = [f"# {self.title}", "", *[f"- {n}" for n in self.notes], ""]
        for title, df in self.tables:
            out += [f"## {title}", "", _markdown_table(df, digits), ""]
        return "\n".join(out)

    def to_latex(self, digits: int = 3) -> str:
        """LaTeX: the notes as a list, one booktabs ``table`` per table (needs ``\\usepackage{booktabs}``)."""
        out = [f"\\section*{{{_tex(self.title)}}}"]
        if self.notes:
            out += ["\\begin{itemize}", *[f"\\item {_tex(n)}" for n in self.notes], "\\end{itemize}"]
        for title, df in self.tables:
            frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
            align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
            out += [
                "\\begin{table}[htbp]",
                "\\centering",
                f"\\caption{{{_tex(title)}}}",
                f"\\begin{{tabular}}{{{align}}}",
                "\\toprule",
                " & ".join(_tex(str(c)) for c in frame.columns) + " \\\\",
                "\\midrule",
            ]
            for row in frame.itertuples(index=False):
                out.append(" & ".join(_tex(_cell(v, digits)) for v in row) + " \\\\")
            out += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
        return "\n".join(out) + "\n"

    def to_html(self, digits: int = 3) -> str:
        """An HTML fragment: headings, the notes as a list, one ``<table>`` per table."""
        import html  # only here: the text summary of every estimate run does not need it

        parts = [f"<h1>{html.escape(self.title)}</h1>", "<ul>", *[f"<li>{html.escape(n)}</li>" for n in self.notes], "</ul>"]
        for title, df in self.tables:
            parts += [f"<h2>{html.escape(title)}</h2>", df.to_html(float_format=lambda v: f"{v:.{digits}f}", na_rep="")]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Summary({self.title!r}, tables={[t for t, _ in self.tables]!r})"

    def _repr_html_(self) -> str:
        return self.to_html()


def _cell(v: Any, digits: int) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    return out.replace("->", r"$\rightarrow$").replace("²", r"$^2$")


def _markdown_table(df: pd.DataFrame, digits: int) -> str:
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    cols = [str(c) for c in frame.columns]
    fmt = lambda v: "" if pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)
