"""Tables of the measurement model: loadings and reliability, Fornell-Larcker, HTMT, CFA fit and loadings."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from leanlearn.measurement.assessment import DEFAULTS as MEASUREMENT_DEFAULTS
from leanlearn.measurement.assessment import SOURCES as MEASUREMENT_SOURCES
from leanlearn.report.tables.cells import (
    Table,
    _bool,
    _f,
    _int,
    _missing,
    _multi_item_constructs,
    _need,
    _pct,
    _square,
    _thr,
    ci_cell,
    label,
    p_cell,
)
from leanlearn.report.tables.registry import SOURCES


def measurement_table(loadings: pd.DataFrame, reliability: pd.DataFrame, *, vif_items=None, thresholds: Mapping | None = None) -> Table:
    """Loadings (with bootstrap CI), item VIF, alpha, rho_A, rho_C and AVE of every multi-item construct."""
    _need(loadings, ["construct", "indicator", "estimate"], "outer_loadings.csv")
    _need(reliability, ["construct", "cronbach_alpha", "rho_a", "rho_c", "ave"], "reliability.csv")
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    rel = reliability.set_index("construct")
    vif = {} if vif_items is None else {(r.construct, r.indicator): r.vif for r in vif_items.itertuples()}
    has_ci = {"ci_lower", "ci_upper"} <= set(loadings.columns)
    rows = []
    for c in _multi_item_constructs(loadings):
        block = loadings[loadings.construct == c]
        for k, r in enumerate(block.itertuples()):
            first = k == 0
            cells = [label(c) if first else "", str(r.indicator), _f(r.estimate)]
            if has_ci:
                cells.append(ci_cell(r.ci_lower, r.ci_upper))
            if vif:
                cells.append(_f(vif.get((c, r.indicator)), 2))
            cells += [_f(rel.loc[c, col]) if first and c in rel.index else "" for col in ("cronbach_alpha", "rho_a", "rho_c", "ave")]
            rows.append(tuple(cells))
    cols = ["Construct", "Item", "Loading"] + (["95% CI"] if has_ci else []) + (["VIF"] if vif else []) + ["α", "ρA", "ρC", "AVE"]
    lo, hi = t["rho_c_range"]
    note = (
        f"Thresholds: loading ≥ {_thr(t['loading_min'])} ({MEASUREMENT_SOURCES['loading']}); "
        f"α ≥ {_thr(t['alpha_min'])} ({MEASUREMENT_SOURCES['alpha']}); "
        f"ρA ≥ {_thr(t['rho_a_min'])} ({MEASUREMENT_SOURCES['rho_a']}); "
        f"ρC {_thr(lo)}–{_thr(hi)} ({MEASUREMENT_SOURCES['rho_c']}); "
        f"AVE ≥ {_thr(t['ave_min'])} ({MEASUREMENT_SOURCES['ave']})"
        + (f"; item VIF < {_thr(t['formative_vif_max'])} ({MEASUREMENT_SOURCES['vif']})" if vif else "")
        + ". "
        + ("95% CI: bootstrap percentile interval. " if has_ci else "")
        + "α: Cronbach's alpha (standardised); ρA: Dijkstra–Henseler reliability; ρC: composite reliability; AVE: average variance extracted."
    )
    return Table("measurement", "Measurement model: loadings, reliability and convergent validity", tuple(cols), tuple(rows), note=note,
                 align=("l", "l") + ("r",) * (len(cols) - 2))


def fornell_larcker_table(fl: pd.DataFrame, *, constructs=None) -> Table:
    """Fornell–Larcker criterion: sqrt(AVE) on the diagonal, construct correlations below."""
    sq = _square(fl)
    names = [c for c in (constructs or sq.index) if c in sq.index and ":" not in str(c)]
    rows = []
    for i, a in enumerate(names):
        rows.append(tuple([label(a)] + [_f(sq.loc[a, b]) if j <= i else "" for j, b in enumerate(names)]))
    return Table(
        "fornell_larcker",
        "Discriminant validity: Fornell–Larcker criterion",
        tuple(["Construct"] + [label(n) for n in names]),
        tuple(rows),
        note=f"Diagonal: square root of the AVE; below: construct correlations. Criterion: the diagonal exceeds every correlation in its row and column ({MEASUREMENT_SOURCES['fornell_larcker']}).",
    )


def htmt_table(htmt: pd.DataFrame, *, upper_bounds=None, constructs=None, thresholds: Mapping | None = None) -> Table:
    """HTMT ratios (lower triangle) with their one-sided bootstrap upper bounds in brackets."""
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    sq = _square(htmt)
    names = [c for c in (constructs or sq.index) if c in sq.index and ":" not in str(c)]
    ub = {}
    q = None
    if upper_bounds is not None and len(upper_bounds):
        for r in upper_bounds.itertuples():
            ub[frozenset((r.construct_a, r.construct_b))] = r.upper_bound
        q = float(upper_bounds["quantile"].iloc[0]) if "quantile" in upper_bounds else None
    rows = []
    for i, a in enumerate(names):
        cells = [label(a)]
        for j, b in enumerate(names):
            if j < i:
                v = _f(sq.loc[a, b])
                bound = ub.get(frozenset((a, b)))
                cells.append(v + (f" [{_f(bound)}]" if bound is not None else ""))
            else:
                cells.append("")
        rows.append(tuple(cells))
    similar = [tuple(p) for p in (t.get("htmt_similar_pairs") or [])]
    note = f"Heterotrait–monotrait ratios of the item correlations; threshold {_thr(t['htmt_max'])}"
    note += f" ({_thr(t['htmt_similar_max'])} for conceptually similar constructs: {', '.join('–'.join(p) for p in similar)})" if similar else ""
    note += f" ({MEASUREMENT_SOURCES['htmt']})."
    if ub:
        note += f" In brackets: one-sided bootstrap upper bound (the {_pct(q, 0) if q is not None else '95%'} quantile of the bootstrap HTMTs), which should lie below the threshold."
    return Table("htmt", "Discriminant validity: heterotrait–monotrait ratio (HTMT)", tuple(["Construct"] + [label(n) for n in names]), tuple(rows), note=note)


_FIT_LABELS = {
    "n": "N", "chi2": "χ²", "df": "df", "p_value": "p (χ²)", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
    "rmsea_ci_lower": "RMSEA 90% CI lower", "rmsea_ci_upper": "RMSEA 90% CI upper", "srmr": "SRMR", "aic": "AIC", "bic": "BIC",
}


def fit_index_table(fit: pd.DataFrame, *, name: str, title: str) -> Table:
    """A fit-index table from a long ``index, value, threshold, direction, meets, source`` file (CFA, CB-SEM)."""
    _need(fit, ["index", "value"], f"{name}.csv")
    rows, sources = [], []
    for r in fit.itertuples():
        idx = str(r.index)
        if idx in ("n", "df"):
            value = _int(r.value)
        elif idx in ("aic", "bic", "chi2"):
            value = _f(r.value, 2)
        elif idx == "p_value":
            value = p_cell(r.value)
        else:
            value = _f(r.value)
        thr = getattr(r, "threshold", None)
        direction = getattr(r, "direction", None)
        crit = "" if thr is None or _missing(thr) else (("≥ " if direction == "min" else "≤ ") + _thr(float(thr)))
        meets = "" if _missing(thr) else _bool(getattr(r, "meets", None))
        rows.append((_FIT_LABELS.get(idx, idx), value, crit, meets))
        src = getattr(r, "source", None)
        if isinstance(src, str) and src and src not in sources:
            sources.append(src)
    note = "Maximum-likelihood estimation (semopy). Thresholds: " + ("; ".join(sources) if sources else SOURCES["cfa"]) + "."
    return Table(name, title, ("Index", "Value", "Threshold", "Met"), tuple(rows), note=note)


def cfa_loadings_table(loadings: pd.DataFrame, *, thresholds: Mapping | None = None) -> Table:
    """Standardised CFA loadings."""
    _need(loadings, ["construct", "indicator", "estimate", "std_error", "p_value"], "cfa_loadings.csv")
    t = {**MEASUREMENT_DEFAULTS, **dict(thresholds or {})}
    rows, last = [], None
    columns = (loadings[c] for c in ("construct", "indicator", "estimate", "std_error", "p_value"))
    for construct, indicator, estimate, std_error, p_value in zip(*columns):
        rows.append((label(construct) if construct != last else "", str(indicator), _f(estimate), _f(std_error), p_cell(p_value)))
        last = construct
    return Table(
        "cfa_loadings",
        "Confirmatory factor analysis: standardised loadings",
        ("Construct", "Item", "Loading", "SE", "p"),
        tuple(rows),
        note=f"Standardised loadings, delta-method standard errors. Threshold: loading ≥ {_thr(t['loading_min'])} ({MEASUREMENT_SOURCES['loading']}).",
        align=("l", "l", "r", "r", "r"),
    )
