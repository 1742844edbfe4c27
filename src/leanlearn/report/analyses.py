"""Summary lines of the post-estimation analyses (IPMA/cIPMA, NCA, CVPAT) for ``results/summary.md``.

Pure: the result tables (keyed by their path under ``results/``) in, Markdown bullet
lines out; :func:`leanlearn.report.headline.summary_markdown` adds them to its robustness
section. A table that is absent (the step is switched off) gives no line.
"""

from __future__ import annotations

import numpy as np

from leanlearn.format import num, pval

__all__ = ["TABLES", "summary_lines"]

TABLES = [
    "robustness/ipma/ipma_constructs.csv",
    "robustness/ipma/ipma_combined.csv",
    "robustness/nca/nca_details.csv",
    "robustness/cvpat/cvpat.csv",
]


def _ipma(t: dict) -> list[str]:
    ipma = t.get("robustness/ipma/ipma_constructs.csv")
    if ipma is None or not len(ipma):
        return []
    top = ipma.sort_values("importance", ascending=False)
    mean_perf = float(ipma.performance.mean())
    lead = top.iloc[0]
    act = top[(top.importance >= ipma.importance.mean()) & (top.performance < mean_perf)]
    text = ("- IPMA (Ringle & Sarstedt 2016; unstandardised total effects, performance 0-100): "
            + "; ".join(f"{r.construct} importance {num(r.importance, 3)}, performance {num(r.performance, 1)}" for r in top.itertuples())
            + f". Most important: {lead.construct}.")  # fmt: skip
    if len(act):
        text += " Above-average importance with below-average performance (priority): " + ", ".join(act.construct) + "."
    lines = [text]
    comb = t.get("robustness/ipma/ipma_combined.csv")
    if comb is not None and len(comb):
        nec = comb[comb.necessary.astype(bool)]
        level = num(float(comb.target_level.iloc[0]), 0)
        parts = [f"{r.construct} ({num(r.cases_below, 1)} % of cases below the level required for {level})" for r in nec.itertuples()]
        lines.append(f"- cIPMA (Hauff et al. 2024, {comb.ceiling.iloc[0]} ceiling): necessary conditions (d >= 0.1, p < 0.05): "
                     + ("; ".join(parts) if parts else "none") + ".")  # fmt: skip
    return lines


def _nca(t: dict) -> list[str]:
    d = t.get("robustness/nca/nca_details.csv")
    if d is None or not len(d):
        return []
    cr = d[d.ceiling == "cr_fdh"]
    nec = cr[cr.necessary.astype(bool)]
    tested = np.isfinite(cr.p_value.astype(float)).all()
    pairs = "; ".join(f"{r.source} -> {r.target} d = {num(r.effect_size, 2)}" + (f", {pval(r.p_value, 3)}" if np.isfinite(r.p_value) else "")
                      for r in cr.itertuples())  # fmt: skip
    verdict = (f"necessary in kind (d >= 0.1 and p < 0.05): {', '.join(f'{r.source} for {r.target}' for r in nec.itertuples()) or 'none'}"
               if tested else "no permutation test run")  # fmt: skip
    return [f"- NCA on construct scores (Dul 2016; CR-FDH ceiling): {pairs}; {verdict}."]


def _cvpat(t: dict) -> list[str]:
    c = t.get("robustness/cvpat/cvpat.csv")
    if c is None or not len(c):
        return []
    ov = c[c.construct == "overall"].set_index("comparison")
    words = {"pls_vs_ia": "PLS vs indicator averages", "pls_vs_lm": "PLS vs linear model", "a_vs_b": "model vs main-effects/alternative model"}
    parts = []
    for key, label in words.items():
        if key not in ov.index:
            continue
        r = ov.loc[key]
        sig = bool(np.isfinite(r.p_value) and r.p_value < 0.05)
        better = "lower loss, significant" if sig and r.difference < 0 else ("higher loss, significant" if sig else "no significant difference")
        parts.append(f"{label}: loss difference {num(r.difference, 3)}, {pval(r.p_value, 3)} ({better})")
    return ["- CVPAT (Liengaard et al. 2021; Sharma et al. 2023; overall loss): " + "; ".join(parts) + "."] if parts else []


def summary_lines(tables: dict) -> list[str]:
    """Bullet lines for every post-estimation analysis whose table is in ``tables``."""
    return _ipma(tables) + _nca(tables) + _cvpat(tables)
