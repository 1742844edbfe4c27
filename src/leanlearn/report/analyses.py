"""Summary lines of the post-estimation analyses (IPMA/cIPMA, NCA, CVPAT, FIMIX-PLS) for ``results/summary.md``.

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
    "robustness/fimix/fimix_fit.csv",
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


def _fimix(t: dict) -> list[str]:
    from leanlearn.robustness.fimix import ENTROPY_MIN, retained_segments

    f = t.get("robustness/fimix/fimix_fit.csv")
    if f is None or not len(f):
        return []
    min_size = int(f.min_segment_size.iloc[0]) if "min_segment_size" in f else 30
    k, how, het = retained_segments(f, min_size)
    top = int(f.segments.max())
    best = {c.upper(): int(f.segments.iloc[int(np.argmin(f[c].to_numpy()))]) for c in ("aic3", "caic", "aic4", "bic")}
    picks = ", ".join(f"{c} K = {v}" for c, v in best.items())
    text = f"- FIMIX-PLS (Hahn et al. 2002; Sarstedt et al. 2011; K = 1..{top}): smallest {picks}"
    if k is None:
        return [text + "; the criteria disagree, so no number of segments is retained and no unobserved heterogeneity is claimed."]
    row = f.set_index("segments").loc[k]
    if k == 1:
        return [text + f"; {how} retain one segment: no unobserved heterogeneity in the structural model by the rule."]
    detail = f"EN = {num(row.entropy_en, 2)}, smallest segment {num(100 * row.smallest_segment_share, 1)} %"
    if het:
        return [text + f"; {how} retain {k} segments ({detail}): unobserved heterogeneity indicated (EN >= {ENTROPY_MIN}, "
                f"segments >= {min_size} cases); the segments still have to be explained by observed variables."]  # fmt: skip
    return [text + f"; {how} retain {k} segments but {detail} fails EN >= {ENTROPY_MIN} or the minimum of {min_size} cases: "
            "no unobserved heterogeneity claimed."]  # fmt: skip


def summary_lines(tables: dict) -> list[str]:
    """Bullet lines for every post-estimation analysis whose table is in ``tables``."""
    return _ipma(tables) + _nca(tables) + _cvpat(tables) + _fimix(tables)
