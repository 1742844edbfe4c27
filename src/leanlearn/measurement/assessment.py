"""Measurement-model assessment: every criterion checked against its configured threshold.

Pure functions over the tables of a fitted (and bootstrapped) model; the thresholds and
their sources come from ``config.yaml`` (``measurement:``), defaults from docs/methods.md §8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leanlearn.pls import metrics as mm

__all__ = ["DEFAULTS", "SOURCES", "measurement_assessment", "htmt_upper_bounds", "hoc_indicators", "hoc_reliability", "hoc_assessment"]

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
    "hoc": "Sarstedt, Hair, Cheah, Becker & Ringle 2019, Australas. Mark. J. 27:197-211",
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
            a, ra, rc, av = rel.loc[c.name, ["cronbach_alpha", "rho_a", "rho_c", "ave"]]
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


# ---- the higher-order level ----------------------------------------------------------------------
def _hoc_blocks(res) -> list[tuple[str, tuple[str, ...], str, np.ndarray, np.ndarray, np.ndarray]]:
    """Per HOC: name, LOCs, mode, LOC correlation matrix, LOC-HOC correlations, HOC weights on LOCs.

    Two-stage approaches: the LOC scores are the HOC's indicators in the final stage, so
    their correlations come from the final stage's indicator correlations and the weights
    are the HOC's outer weights. Repeated indicators: the LOCs are constructs of the model;
    their correlations are construct-score correlations and the weights are the
    standardised OLS coefficients of the HOC score on the LOC scores (for a ``<~`` HOC
    these are the LOC -> HOC path coefficients).
    """
    staged = getattr(res.plan, "staged", None)
    if staged is None or not getattr(staged, "spec", None) or not staged.spec.higher_order:
        raise ValueError("the result is not of a model with higher-order constructs (estimate it with leanlearn.pls.hoc.estimate_hoc)")
    out = []
    lay = res.plan.final
    names = list(lay.constructs)
    C = res.construct_correlations
    for h in staged.spec.higher_order:
        locs = tuple(h.indicators)
        if staged.method == "repeated_indicators":
            R = C.loc[list(locs), list(locs)].to_numpy(dtype=float)
            r = C.loc[list(locs), h.name].to_numpy(dtype=float)
            w = np.linalg.solve(R, r)
        else:
            k = names.index(h.name)
            cols = lay.cols(k)
            order = [lay.columns[i] for i in cols]
            R = res.batch.R[0][np.ix_(cols, cols)]
            r = res.batch.cross_loadings[0][cols, k]
            w = res.batch.weights[0][cols]
            assert tuple(order) == locs
        out.append((h.name, locs, h.mode, R, r, w))
    return out


def hoc_indicators(res) -> pd.DataFrame:
    """The lower-order constructs as indicators of their higher-order construct.

    Columns: hoc, loc, loading (correlation of the LOC score with the HOC score), weight
    (see :func:`_hoc_blocks`), vif (of the LOC among the HOC's LOCs, from their score
    correlations: :math:`(R^{-1})_{jj}`).
    """
    rows = []
    for name, locs, _mode, R, r, w in _hoc_blocks(res):
        vif = mm.vif_from_correlation(R)
        for j, loc in enumerate(locs):
            rows.append((name, loc, float(r[j]), float(w[j]), float(vif[j])))
    return pd.DataFrame(rows, columns=["hoc", "loc", "loading", "weight", "vif"])


def hoc_reliability(res) -> pd.DataFrame:
    """Reliability and convergent validity of each HOC with its LOCs as indicators.

    Columns: hoc, method, alpha (standardised, from the LOC score correlations), rho_a
    (Dijkstra–Henseler, from the weights of :func:`hoc_indicators`), rho_c and ave (from
    the LOC loadings). For the two-stage approaches these are the final stage's reliability
    of the HOC, whose indicators are the LOC scores (Sarstedt et al. 2019).
    """
    method = res.plan.staged.method if getattr(res.plan, "staged", None) is not None else ""
    rows = []
    for name, _locs, _mode, R, r, w in _hoc_blocks(res):
        rows.append((name, method, float(mm.cronbach_alpha(R)), float(mm.rho_a(w, R)), float(mm.rho_c(r)), float(mm.ave(r))))
    return pd.DataFrame(rows, columns=["hoc", "method", "cronbach_alpha", "rho_a", "rho_c", "ave"])


def hoc_assessment(res, thresholds: dict | None = None) -> pd.DataFrame:
    """Check the higher-order level against the thresholds of the lower-order level.

    A ``=~`` HOC (reflective-reflective type) gets LOC loadings, alpha, rho_A, rho_C and
    AVE; a ``<~`` HOC (reflective-formative type) gets the VIF of every LOC. The
    thresholds are those of :data:`DEFAULTS` (``measurement:`` in the config), applied to
    the LOCs as the HOC's indicators (Sarstedt et al. 2019). The LOCs' own measurement
    models are assessed as usual: on stage 1 for the two-stage approaches
    (``res.plan.staged.first_stage``), on the final model for repeated indicators.

    Returns
    -------
    DataFrame with columns criterion, construct (the HOC), indicator (the LOC, or empty),
    value, threshold (text), meets (bool), source; the same layout as
    :func:`measurement_assessment`.
    """
    t = {**DEFAULTS, **(thresholds or {})}
    ind = hoc_indicators(res)
    rel = hoc_reliability(res).set_index("hoc")
    src = SOURCES["hoc"]
    rows: list[tuple] = []
    for name, locs, mode, _R, _r, _w in _hoc_blocks(res):
        sub = ind[ind.hoc == name]
        if mode == "A":
            for r in sub.itertuples():
                rows.append(("hoc: loc loading", name, r.loc, r.loading, f">= {t['loading_min']}", r.loading >= t["loading_min"], src))
            a, ra, rc, av = (float(x) for x in rel.loc[name, ["cronbach_alpha", "rho_a", "rho_c", "ave"]].to_numpy(dtype=float))
            lo, hi = t["rho_c_range"]
            rows += [
                ("hoc: cronbach_alpha", name, "", a, f">= {t['alpha_min']}", a >= t["alpha_min"], src),
                ("hoc: rho_a", name, "", ra, f">= {t['rho_a_min']}", ra >= t["rho_a_min"], src),
                ("hoc: rho_c", name, "", rc, f"{lo} to {hi}", lo <= rc <= hi, src),
                ("hoc: ave", name, "", av, f">= {t['ave_min']}", av >= t["ave_min"], src),
            ]
        else:
            for r in sub.itertuples():
                rows.append(("hoc: loc vif (formative)", name, r.loc, r.vif, f"< {t['formative_vif_max']}", r.vif < t["formative_vif_max"], src))
    return pd.DataFrame(rows, columns=["criterion", "construct", "indicator", "value", "threshold", "meets", "source"])
