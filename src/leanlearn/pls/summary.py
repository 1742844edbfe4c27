"""Plain-text, Markdown and HTML summaries of a fitted model (no statistics computed here)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    """An ordered set of titled tables that renders as text, Markdown or HTML."""

    title: str
    tables: tuple[tuple[str, pd.DataFrame], ...]
    notes: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, res) -> "Summary":
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

    def to_text(self, digits: int = 3) -> str:
        out = [self.title, "=" * len(self.title), *self.notes, ""]
        for title, df in self.tables:
            out += [title, "-" * len(title), df.to_string(float_format=lambda v: f"{v:.{digits}f}"), ""]
        return "\n".join(out)

    def to_markdown(self, digits: int = 3) -> str:
        out = [f"# {self.title}", "", *[f"- {n}" for n in self.notes], ""]
        for title, df in self.tables:
            out += [f"## {title}", "", _markdown_table(df, digits), ""]
        return "\n".join(out)

    def to_html(self, digits: int = 3) -> str:
        parts = [f"<h1>{self.title}</h1>", "<ul>", *[f"<li>{n}</li>" for n in self.notes], "</ul>"]
        for title, df in self.tables:
            parts += [f"<h2>{title}</h2>", df.to_html(float_format=lambda v: f"{v:.{digits}f}", na_rep="")]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def _markdown_table(df: pd.DataFrame, digits: int) -> str:
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    cols = [str(c) for c in frame.columns]
    fmt = lambda v: "" if pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)
