"""Measurement-model assessment: every criterion checked against its configured threshold.

Pure functions over the tables of a fitted (and bootstrapped) model; the thresholds and
their sources come from ``config.yaml`` (``measurement:``), defaults from docs/methods.md §8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULTS", "SOURCES", "measurement_assessment", "htmt_upper_bounds"]

DEFAULTS = {
    "loading_min": 0.708,
    "loading_drop_below": 0.40,
    "alpha_min": 0.70,
    "rho_a_min": 0.70,
    "rho_c_range": [0.70, 0.95],
    "ave_min": 0.50,
    "htmt_max": 0.85,
    "htmt_similar_max": 0.90,
    "htmt_similar_pairs": [],
    "htmt_upper_quantile": 0.95,
    "formative_vif_max": 5.0,
}

SOURCES = {
    "loading": "Hair et al. 2019, Eur. Bus. Rev. 31:2-24",
    "alpha": "Hair et al. 2019",
    "rho_a": "Dijkstra & Henseler 2015; Hair et al. 2019",
    "rho_c": "Hair et al. 2019",
    "ave": "Fornell & Larcker 1981",
    "htmt": "Henseler, Ringle & Sarstedt 2015, JAMS 43:115-135",
    "fornell_larcker": "Fornell & Larcker 1981",
    "vif": "Hair et al. 2019",
}


def htmt_upper_bounds(boot, quantile: float = 0.95) -> pd.DataFrame:
    """One-sided upper bound of every HTMT from the bootstrap (the ``quantile`` of its draws).

    Columns: construct_a, construct_b, estimate, upper_bound, quantile.
    """
    labels = boot.labels["htmt"].copy()
    labels["estimate"] = boot.estimates["htmt"]
    labels["upper_bound"] = np.quantile(boot.draws["htmt"], quantile, axis=0, method="linear")
    labels["quantile"] = quantile
    return labels


def measurement_assessment(res, htmt_bounds: pd.DataFrame | None, thresholds: dict | None = None) -> pd.DataFrame:
    """Check loadings, reliability, convergent and discriminant validity against thresholds.

    Interaction terms and single-item constructs are not assessed (their reliability is 1
    by definition). Reflective (``=~``) constructs get indicator reliability, alpha, rho_A,
    rho_C, AVE; formative (``<~``) constructs get indicator VIFs; every pair of
    constructs gets HTMT (bootstrap upper bound when given) and Fornell–Larcker.

    Returns
    -------
    DataFrame with columns criterion, construct, indicator (or the second construct of a
    pair), value, threshold (text), meets (bool), source.
    """
    t = {**DEFAULTS, **(thresholds or {})}
    rows = []
    spec = res.spec
    measured = [c for c in spec.constructs if c.kind == "measured" and len(c.indicators) > 1]
    rel = res.reliability.set_index("construct")
    load = res.outer_loadings
    for c in measured:
        if c.mode == "A":
            for r in load[load.construct == c.name].itertuples():
                rows.append(("indicator loading", c.name, r.indicator, r.estimate, f">= {t['loading_min']}", r.estimate >= t["loading_min"], SOURCES["loading"]))
                if r.estimate < t["loading_drop_below"]:
                    rows.append(("loading below drop threshold", c.name, r.indicator, r.estimate, f">= {t['loading_drop_below']}", False, SOURCES["loading"]))
            a, ra, rc, av = rel.loc[c.name, ["alpha", "rho_a", "rho_c", "ave"]]
            lo, hi = t["rho_c_range"]
            rows += [
                ("cronbach_alpha", c.name, "", a, f">= {t['alpha_min']}", a >= t["alpha_min"], SOURCES["alpha"]),
                ("rho_a", c.name, "", ra, f">= {t['rho_a_min']}", ra >= t["rho_a_min"], SOURCES["rho_a"]),
                ("rho_c", c.name, "", rc, f"{lo} to {hi}", lo <= rc <= hi, SOURCES["rho_c"]),
                ("ave", c.name, "", av, f">= {t['ave_min']}", av >= t["ave_min"], SOURCES["ave"]),
            ]
        else:
            vif = res.vif_items[res.vif_items.construct == c.name]
            for r in vif.itertuples():
                rows.append(("indicator vif (formative)", c.name, r.indicator, r.vif, f"< {t['formative_vif_max']}", r.vif < t["formative_vif_max"], SOURCES["vif"]))
    names = [c.name for c in spec.constructs if c.kind == "measured"]
    similar = {frozenset(p) for p in t["htmt_similar_pairs"]}
    ht = res.htmt
    bounds = None if htmt_bounds is None else {frozenset((r.construct_a, r.construct_b)): r.upper_bound for r in htmt_bounds.itertuples()}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            limit = t["htmt_similar_max"] if frozenset((a, b)) in similar else t["htmt_max"]
            val = ht.loc[a, b]
            rows.append(("htmt", a, b, val, f"< {limit}", val < limit, SOURCES["htmt"]))
            if bounds is not None:
                ub = bounds[frozenset((a, b))]
                rows.append((f"htmt upper bound ({t['htmt_upper_quantile']:.0%} one-sided)", a, b, ub, f"< {limit}", ub < limit, SOURCES["htmt"]))
    fl = res.fornell_larcker
    for i, a in enumerate(names):
        sq = fl.loc[a, a]
        others = [abs(res.construct_correlations.loc[a, b]) for b in names if b != a]
        worst = max(others) if others else np.nan
        rows.append(("fornell_larcker: sqrt(AVE) > max |r|", a, "", sq, f"> {worst:.3f}", sq > worst, SOURCES["fornell_larcker"]))
    return pd.DataFrame(rows, columns=["criterion", "construct", "indicator", "value", "threshold", "meets", "source"])
