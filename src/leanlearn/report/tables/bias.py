"""Tables of the bias checks: common-method variance, triangulation, non-response, key informants, remedies."""

from __future__ import annotations

import pandas as pd

from leanlearn.errors import DataError
from leanlearn.report.tables.cells import (
    Table,
    _bool,
    _f,
    _int,
    _need,
    _pct,
    _status_reason,
    _thr,
    ci_cell,
    is_true,
    label,
    p_cell,
)
from leanlearn.report.tables.registry import SOURCES


def full_collinearity_table(vif: pd.DataFrame) -> Table:
    """Full-collinearity VIFs (common-method bias screen)."""
    _need(vif, ["construct", "r_squared", "vif"], "bias/full_collinearity_vif.csv")
    rows = tuple((label(r.construct), _f(r.r_squared), _f(r.vif, 2), _bool(getattr(r, "exceeds", None))) for r in vif.itertuples())
    thr = list(vif["threshold"].dropna().unique()) if "threshold" in vif else []
    note = "Each construct score regressed on all other construct scores."
    if len(thr):
        note += f" Threshold: VIF ≤ {_thr(float(thr[0]))} ({SOURCES['full_collinearity_vif']}); a screen for pathological collinearity, not proof of the absence of common-method bias."
    return Table("full_collinearity_vif", "Common-method bias: full-collinearity VIFs", ("Construct", "R²", "VIF", "Above threshold"), rows, note=note)


def marker_table(marker: pd.DataFrame, *, correlations=None, paths=None) -> Table:
    """Lindell–Whitney marker-variable correction: every marker correlation, the corrected
    construct correlations and the structural paths re-estimated on the corrected matrix."""
    _need(marker, ["construct_a", "construct_b", "r_u", "p_value_u", "r_a", "p_value"], "bias/marker_correction.csv")
    rows, panels = [], []
    if correlations is not None and {"construct", "r", "p_value"} <= set(correlations.columns) and len(correlations):
        panels.append((0, "Correlations of the marker with the substantive constructs"))
        for r in correlations.itertuples():
            chosen = " (r_M)" if is_true(getattr(r, "chosen", False)) else ""
            rows.append((f"{label(r.marker)} – {label(r.construct)}{chosen}", _f(r.r), p_cell(r.p_value), "", ""))
    if panels:
        panels.append((len(rows), "Construct correlations"))
    for r in marker.itertuples():
        rows.append((f"{label(r.construct_a)} – {label(r.construct_b)}", _f(r.r_u), p_cell(r.p_value_u), _f(r.r_a), p_cell(r.p_value)))
    if paths is not None and {"source", "target", "estimate", "corrected_estimate"} <= set(paths.columns) and len(paths):
        panels.append((len(rows), "Structural paths re-estimated on the corrected correlations"))
        for r in paths.itertuples():
            rows.append((f"{label(r.source)} → {label(r.target)}", _f(r.estimate), "", _f(r.corrected_estimate), ""))
    first = marker.iloc[0] if len(marker) else None
    note = f"Marker-variable correction ({SOURCES['marker']})"
    if first is not None and "r_m" in marker:
        rule = str(first.get("marker_rule", "smallest")).replace("_", " ")
        note += f": marker {first.get('marker', '')}, r_M = {_f(first['r_m'])}"
        if isinstance(first.get("r_m_source"), str) and first.get("r_m_source"):
            note += f", the {rule} positive marker correlation (with {first['r_m_source']}; rule set by bias.marker_rule)"
        if isinstance(first.get("note"), str) and first.get("note"):
            note += f"; {first['note']}"
    n = _int(first["n"]) if first is not None and "n" in marker else None
    note += (
        ". r_U: uncorrected correlation of the construct scores; r_A = (r_U − r_M)/(1 − r_M), t-test on N − 3 df"
        + (f"; N = {n}" if n else "")
        + "."
    )
    if paths is not None and len(paths):
        note += (
            " Paths: standardised OLS coefficients on the uncorrected and on the corrected construct correlation matrix "
            "(the uncorrected ones equal the PLS paths of the model without controls); correlations with interaction terms are not corrected; "
            "no intervals for the corrected paths."
        )
    return Table("marker_correction", "Common-method bias: marker-variable correction", ("Quantity", "Uncorrected", "p", "Marker-adjusted", "p (adjusted)"),
                 tuple(rows), note=note, panels=tuple(panels))


def method_factor_table(models: pd.DataFrame) -> Table:
    """CFA without and with a latent method factor (chi-square difference tests, method variance)."""
    _need(models, ["technique", "model", "chi2", "df", "delta_chi2", "delta_df", "delta_p_value", "method_variance_share"], "bias/method_factor.csv")
    names = {"baseline": "Baseline (no method loadings)", "method_c": "Method-C (equal method loadings)", "method_u": "Method-U (free method loadings)"}
    rows = tuple(
        (names.get(str(r.model), str(r.model)), _f(r.chi2, 2), _int(r.df), _f(r.delta_chi2, 2), _int(r.delta_df), p_cell(r.delta_p_value), _pct(r.method_variance_share))
        for r in models.itertuples()
    )
    tech = str(models.technique.iloc[0])
    src = SOURCES["method_factor"] if tech == "cfa_marker" else SOURCES["ulmc"]
    flagged = is_true(models.flagged.iloc[0]) if "flagged" in models else False
    a = models["alpha_per_test"].dropna()
    note = (
        ("CFA marker technique: the marker's latent variable loads on every substantive item" if tech == "cfa_marker"
         else "Unmeasured latent method construct: a method factor without items of its own loads on every substantive item")
        + f", orthogonal to the substantive factors ({src}). Δχ²: chi-square difference test against the baseline; "
        + f"method variance is flagged when either method model fits better at α = {_thr(float(a.iloc[0])) if len(a) else '—'} per test "
        + "(Bonferroni over the two). Method variance: mean squared standardised method loading of the substantive items. "
        + f"N = {_int(models.n.iloc[0])}, ML estimation (semopy). Verdict: method variance {'flagged' if flagged else 'not flagged'}"
        + ("; a non-significant test is not evidence of the absence of method variance (low power for small method loadings)." if not flagged else ".")
    )
    return Table("method_factor", "Common-method bias: latent method factor", ("Model", "χ²", "df", "Δχ²", "Δdf", "p (Δχ²)", "Method variance"), rows, note=note)


def triangulation_table(tri: pd.DataFrame) -> Table:
    """Correlation of perceived constructs with archival measures of the same concept."""
    _need(tri, ["construct", "measure", "n", "r", "ci_lower", "ci_upper", "p_value"], "bias/archival_triangulation.csv")
    rows = tuple(
        (label(r.construct), str(r.measure), _int(r.n), _f(r.r), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value), _f(getattr(r, "spearman_rho", None)))
        for r in tri.itertuples()
    )
    level = tri["ci_level"].iloc[0] if "ci_level" in tri and len(tri) else 0.95
    note = (
        f"Pearson r of the PLS construct score with the archival measure ({_pct(level, 0)} Fisher-z interval) and Spearman's ρ ({SOURCES['triangulation']}). "
        "N: cases with both the score and the archival value (archival data missing for the others). The archival measure comes from another source, "
        "so the correlation carries no common-method variance."
    )
    return Table("triangulation", "Archival triangulation of perceived performance", ("Construct", "Archival measure", "n", "r", f"{_pct(level, 0)} CI", "p", "Spearman ρ"),
                 rows, note=note, align=("l", "l", "r", "r", "r", "r", "r"))


def harman_table(harman: pd.DataFrame) -> Table:
    """Harman's single-factor test (reported for comparability only, with its caveat)."""
    _need(harman, ["method", "n_factors", "first_factor_share"], "bias/harman.csv")
    names = {"principal_components": "Principal components (first of 1)", "principal_axis": "Principal-axis factoring"}
    rows = tuple(
        (names.get(str(r.method), str(r.method)), _int(r.n_factors), _pct(r.first_factor_share), _pct(getattr(r, "threshold", None), 0), _bool(getattr(r, "exceeds", None)))
        for r in harman.itertuples()
    )
    caveat = str(harman["caveat"].iloc[0]) if "caveat" in harman and len(harman) and isinstance(harman["caveat"].iloc[0], str) else ""
    note = f"Share of item variance of the first unrotated factor ({SOURCES['harman']}). {caveat}".strip()
    return Table("harman", "Common-method bias: Harman's single-factor test", ("Extraction", "Factors", "First factor", "Threshold", "Above"), rows, note=note)


def nonresponse_table(early_late=None, frame=None) -> Table:
    """Non-response bias: early vs late respondents and respondents vs non-respondents."""
    def panel(df):
        out = []
        for r in df.itertuples():
            if getattr(r, "kind", "continuous") == "categorical":
                out.append((
                    label(r.variable), f"{_int(r.n_a)} / {_int(r.n_b)}", "—", "—",
                    f"χ²({_int(r.chi2_df)}) = {_f(r.chi2, 2)}, V = {_f(r.cramers_v, 2)}", p_cell(r.chi2_p_value), "—",
                ))
            else:
                out.append((
                    label(r.variable), f"{_int(r.n_a)} / {_int(r.n_b)}", _f(r.mean_a, 2), _f(r.mean_b, 2),
                    f"g = {_f(r.hedges_g, 2)} {ci_cell(r.g_ci_lower, r.g_ci_upper, 2)}", p_cell(r.t_p_value), _bool(r.equivalent),
                ))
        return out

    rows: list[tuple[str, ...]] = []
    panels: list[tuple[int, str]] = []
    margin = None
    for df, head in ((early_late, "early vs late respondents"), (frame, "respondents vs non-respondents (sampling frame)")):
        if df is None or _status_reason(df) is not None or not len(df):
            continue
        _need(df, ["variable", "n_a", "n_b", "group_a", "group_b"], "bias/nonresponse")
        a, b = str(df.group_a.iloc[0]), str(df.group_b.iloc[0])
        title = f"{head[:1].upper()}{head[1:]}" + (f": {df['split'].iloc[0]}" if "split" in df.columns else "") + f" (a = {a}, b = {b})"
        panels.append((len(rows), title))
        rows += panel(df)
        if "tost_margin_sd" in df and margin is None and df["tost_margin_sd"].notna().any():
            margin = float(df["tost_margin_sd"].dropna().iloc[0])
    if not rows:
        raise DataError("non-response comparison: no usable rows")
    note = (
        f"Late respondents stand in for non-respondents ({SOURCES['nonresponse']}). Continuous variables: Welch t-test and Hedges' g with its 95% CI; "
        f"categorical: χ² test and Cramér's V. Equivalent: TOST equivalence test ({SOURCES['tost']})"
        + (f" with a margin of ±{_thr(margin)} SD" if margin is not None else "")
        + "; a non-significant difference alone is not evidence of no difference."
    )
    return Table("nonresponse", "Non-response bias", ("Variable", "n (a / b)", "M (a)", "M (b)", "Effect size", "p", "Equivalent"),
                 tuple(rows), note=note, panels=tuple(panels))


def key_informant_table(ki: pd.DataFrame) -> Table:
    """Key-informant profile (role shares, tenure, self-rated knowledge)."""
    _need(ki, ["variable", "statistic", "level", "value"], "bias/key_informants.csv")
    rows = []
    roles = ki[(ki.variable == "role")]
    for lvl, g in roles.groupby("level", sort=False):
        d = dict(zip(g.statistic, g.value))
        rows.append(("Role", str(lvl), f"{_int(d.get('count'))} ({_pct(d.get('share'))})"))
    for var, name in (("tenure_years", "Tenure (years)"), ("knowledge", "Knowledge of the practices")):
        g = ki[ki.variable == var]
        if not len(g):
            continue
        d = dict(zip(g.statistic, g.value))
        rows.append((name, "mean (SD)", f"{_f(d.get('mean'), 1)} ({_f(d.get('sd'), 1)})"))
        if "min" in d:
            rows.append((name, "range", f"{_f(d.get('min'), 0)}–{_f(d.get('max'), 0)}"))
        if "n_below_midpoint" in d:
            rows.append((name, f"below the scale midpoint ({_f(d.get('midpoint'), 0)})", f"{_int(d['n_below_midpoint'])} ({_pct(d.get('share_below_midpoint'))})"))
    return Table("key_informants", "Key informants", ("Characteristic", "Level", "Value"), tuple(rows),
                 note="One key informant per firm; knowledge self-rated on the survey's scale.", align=("l", "l", "r"))


def procedural_remedies_table(rem: pd.DataFrame) -> Table:
    _need(rem, ["remedy", "available", "evidence"], "bias/procedural_remedies.csv")
    rows = tuple((str(r.remedy).replace("_", " "), _bool(r.available), str(r.evidence), str(getattr(r, "reference", "") or "")) for r in rem.itertuples())
    return Table("procedural_remedies", "Common-method bias: procedural remedies the design allows", ("Remedy", "Available", "Evidence", "Reference"),
                 rows, note="Derived from the codebook, the model and the data; nothing typed by hand.", align=("l", "l", "l", "l"))
