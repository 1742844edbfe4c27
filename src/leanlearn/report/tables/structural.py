"""Tables of the structural model: paths, R², mediation, moderated mediation, hypotheses."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from leanlearn.effects.hypotheses import rule_text
from leanlearn.errors import DataError
from leanlearn.report.tables.cells import Table, _f, _int, _missing, _need, _pct, _thr, ci_cell, is_true, label, p_cell
from leanlearn.report.tables.registry import SOURCES, STRUCTURAL_DEFAULTS


def structural_table(paths: pd.DataFrame, *, f_squared=None, vif_inner=None, controls=(), thresholds: Mapping | None = None, fit=None, r_squared=None) -> Table:
    """Path coefficients with bootstrap CI and p, effect sizes f² and inner VIFs."""
    _need(paths, ["source", "target", "estimate"], "structural/paths.csv")
    t = {**STRUCTURAL_DEFAULTS, **dict(thresholds or {})}
    f2 = {} if f_squared is None else {(r.source, r.target): r.f_squared for r in f_squared.itertuples()}
    vif = {} if vif_inner is None else {(r.source, r.target): r.vif for r in vif_inner.itertuples()}
    has_boot = {"ci_lower", "ci_upper", "p_value"} <= set(paths.columns)
    rows: list[tuple[str, ...]] = []
    panels: list[tuple[int, str]] = []
    controls = set(controls)
    main = paths[~paths.source.isin(controls)]
    ctl = paths[paths.source.isin(controls)]
    for part, head in ((main, "Structural paths"), (ctl, "Controls")):
        if not len(part):
            continue
        if len(ctl):
            panels.append((len(rows), head))
        for r in part.itertuples():
            cells = [f"{label(r.source)} → {label(r.target)}", _f(r.estimate)]
            if has_boot:
                cells += [ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value)]
            cells += [_f(f2.get((r.source, r.target))), _f(vif.get((r.source, r.target)), 2)]
            rows.append(tuple(cells))
    cols = ["Path", "β"] + (["95% CI", "p"] if has_boot else []) + ["f²", "VIF"]
    level = paths["ci_level"].iloc[0] if "ci_level" in paths and len(paths) else None
    note = ""
    if has_boot:
        note += (
            f"β: standardised path coefficient; {_pct(level, 0) if level is not None else '95%'} CI: bootstrap percentile interval; "
            "p: two-sided bootstrap p matching that interval (p < α exactly when the 1 − α interval excludes 0; resolution 1/B). "
        )
    note += (
        f"f² thresholds {_thr(t['f_squared_cutoffs'][0])} / {_thr(t['f_squared_cutoffs'][1])} / {_thr(t['f_squared_cutoffs'][2])} small / medium / large ({SOURCES['f_squared_cutoffs']}); "
        f"interaction terms {_thr(t['f_squared_interaction_cutoffs'][0])} / {_thr(t['f_squared_interaction_cutoffs'][1])} / {_thr(t['f_squared_interaction_cutoffs'][2])} ({SOURCES['f_squared_interaction_cutoffs']}); "
        "f² is not defined for a main effect that also forms an interaction term on the same outcome (—). "
        f"Inner VIF < {_thr(t['vif_max'])} ({SOURCES['vif_max']})."
    )
    if r_squared is not None and len(r_squared):
        note += " R²: " + "; ".join(f"{label(r.construct)} {_f(r.r_squared)} (adjusted {_f(r.r_squared_adj)})" for r in r_squared.itertuples()) + "."
    if fit is not None and "srmr" in fit and len(fit):
        note += f" SRMR = {_f(fit['srmr'].iloc[0])} (threshold {_thr(t['srmr_max'])}; {SOURCES['srmr_max']})."
    return Table("structural", "Structural model: path coefficients, effect sizes and collinearity", tuple(cols), tuple(rows), note=note, panels=tuple(panels))


def r_squared_table(r_squared: pd.DataFrame, *, boot=None) -> Table:
    _need(r_squared, ["construct", "r_squared", "r_squared_adj"], "structural/r_squared.csv")
    b = {} if boot is None else {r.construct: r for r in boot.itertuples()}
    rows = []
    for r in r_squared.itertuples():
        cells = [label(r.construct), _f(r.r_squared), _f(r.r_squared_adj)]
        if b:
            x = b.get(r.construct)
            cells.append(ci_cell(x.ci_lower, x.ci_upper) if x is not None else "—")
        rows.append(tuple(cells))
    cols = ("Construct", "R²", "Adjusted R²") + (("95% CI",) if b else ())
    return Table("r_squared", "Explained variance", cols, tuple(rows), note="Adjusted R² = 1 − (1 − R²)(n − 1)/(n − k − 1).")


def mediation_table(mediation: pd.DataFrame, *, contrasts=None) -> Table:
    """Indirect, direct and total effects with CIs and the Zhao–Lynch–Chen type; contrasts of indirect effects."""
    _need(mediation, ["path", "indirect", "indirect_ci_lower", "indirect_ci_upper", "direct", "direct_ci_lower", "direct_ci_upper",
                      "total", "total_ci_lower", "total_ci_upper", "type"], "hypotheses/mediation.csv")
    rows, panels = [], []

    def est(x, lo, hi):
        return f"{_f(x)} {ci_cell(lo, hi)}"

    conditional = []
    for r in mediation.itertuples():
        at = getattr(r, "conditional_on", "")
        at = at if isinstance(at, str) else ""
        if at:
            conditional.append(at)
        rows.append((
            label(r.path) + (f" (at {label(at)})" if at else ""), est(r.indirect, r.indirect_ci_lower, r.indirect_ci_upper),
            est(r.direct, r.direct_ci_lower, r.direct_ci_upper), est(r.total, r.total_ci_lower, r.total_ci_upper), str(r.type), _pct(getattr(r, "vaf", None)),
        ))
    if contrasts is not None and len(contrasts):
        panels = [(0, "Specific indirect effects"), (len(rows), "Differences between indirect effects")]
        for r in contrasts.itertuples():
            at = getattr(r, "conditional_on", "")
            at = at if isinstance(at, str) else ""
            rows.append((label(r.contrast) + (f" (at {label(at)})" if at else ""), est(r.estimate, r.ci_lower, r.ci_upper), "", "", "", ""))
    note = (
        f"Bootstrap percentile intervals. Type of mediation after {SOURCES['mediation_types']}; "
        "VAF (variance accounted for = indirect / total) is descriptive only and given for complementary and indirect-only mediation."
    )
    if conditional:
        note += (
            " In this moderated model an indirect effect through a moderated link varies with the moderator, so it is the conditional "
            f"indirect effect at the stated moderator value ({SOURCES['moderated_mediation']}), and its type and VAF hold at that value only; "
            "the moderated mediation table gives it at other values."
        )
    return Table("mediation", "Mediation: indirect, direct and total effects",
                 ("Path", "Indirect [95% CI]", "Direct [95% CI]", "Total [95% CI]", "Type", "VAF"), tuple(rows), note=note, panels=tuple(panels),
                 align=("l", "r", "r", "r", "l", "r"))


def _sd(v) -> str:
    v = float(v)
    return "mean" if v == 0 else f"{'+' if v > 0 else '−'}{_thr(abs(v))} SD"


def moderated_mediation_table(*, simple_slopes=None, conditional=None, index=None, johnson_neyman=None) -> Table:
    """Simple slopes of the first stage, conditional indirect effects and the index of moderated mediation."""
    rows: list[tuple[str, ...]] = []
    panels: list[tuple[int, str]] = []
    if simple_slopes is not None and len(simple_slopes):
        for key, g in simple_slopes.groupby(["focal", "moderator", "target"], sort=False):
            focal, mod, target = key
            panels.append((len(rows), f"Conditional effect of {label(focal)} on {label(target)} (simple slopes)"))
            for r in g.itertuples():
                rows.append((f"{label(mod)} at {_sd(r.moderator_value)}", _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if conditional is not None and len(conditional):
        for (path, mod), g in conditional.groupby(["path", "moderator"], sort=False):
            panels.append((len(rows), f"Conditional indirect effect {label(path)}"))
            for r in g.itertuples():
                rows.append((f"{label(mod)} at {_sd(r.moderator_value)}", _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if index is not None and len(index):
        panels.append((len(rows), "Index of moderated mediation"))
        for r in index.itertuples():
            rows.append((f"{label(r.path)} by {label(r.moderator)}", _f(r.index), ci_cell(r.ci_lower, r.ci_upper), p_cell(getattr(r, "p_value", None))))
    if not rows:
        raise DataError("moderated mediation: no conditional-effect tables (the model has no interaction term?)")
    note = (
        f"Moderator values in SD units of its construct score. Bootstrap percentile intervals; the same resamples for every quantity "
        f"({SOURCES['moderation']}; {SOURCES['moderated_mediation']}). p: two-sided bootstrap p matching the percentile interval "
        "(p < α exactly when the 1 − α interval excludes 0), the same rule for every quantity. With an interaction X × W on a mediated "
        "link, the indirect effects of both X and W are conditional on the other."
    )
    if johnson_neyman is not None and len(johnson_neyman):
        for r in johnson_neyman.itertuples():
            if _missing(r.boundary):
                continue
            pct = getattr(r, "boundary_percentile", None)
            region = getattr(r, "region", None)
            share = getattr(r, "share_cases_significant", None)
            note += (
                f" Johnson–Neyman ({SOURCES['johnson_neyman']}): the interval of the effect of {label(r.focal)} on {label(r.target)} crosses zero at "
                f"{label(r.moderator)} = {_f(r.boundary, 2)} SD"
                + (f" (percentile {_f(pct, 0)} of the observed {label(r.moderator)} scores)" if not _missing(pct) else "")
                + (f"; region of significance {region} (probed from {_f(r.grid_min, 1)} to {_f(r.grid_max, 1)} SD)" if isinstance(region, str) else "")
                + (f", which holds {_pct(share, 0)} of the observed cases" if not _missing(share) else "")
                + "."
            )
    return Table("moderated_mediation", "Moderation and moderated mediation", ("Quantity", "Estimate", "95% CI", "p"), tuple(rows), note=note, panels=tuple(panels))


_DIRECTION = {"positive": "+", "negative": "−", "nonzero": "≠ 0", "none": "0"}


def _fragile_cell(r) -> str:
    if not hasattr(r, "fragile_interval"):
        return "yes" if is_true(r.fragile) else ""
    why = ["interval"] if is_true(r.fragile_interval) else []
    if r.fragile_multiverse is True:
        why.append(f"multiverse: {_int(r.multiverse_n_same)} of {_int(r.multiverse_n_variants)} agree")
    return f"yes ({'; '.join(why)})" if why else ""


def hypotheses_table(hyp: pd.DataFrame, stability: pd.DataFrame | None = None) -> Table:
    """The hypotheses with estimates, intervals, p-values, equivalence tests and verdicts (rule in the note).

    With ``stability`` (``multiverse_stability.csv``) the Fragile column combines both rules
    (:func:`leanlearn.robustness.multiverse.flag_fragile`): a bound within the fragile margin
    of zero, or fewer alternative analyses with the same verdict than ``inference.fragile_agreement``.
    """
    from leanlearn.robustness.multiverse import flag_fragile

    _need(hyp, ["hypothesis", "quantity", "direction", "estimate", "ci_lower", "ci_upper", "p_value", "verdict"], "hypotheses/hypotheses.csv")
    with_mv = stability is not None and len(stability) > 0 and {"hypothesis", "n_same", "n_variants"} <= set(stability.columns)
    if with_mv:
        hyp = flag_fragile(hyp, stability)
    has_eq = {"sesoi", "tost_lower", "tost_upper"} <= set(hyp.columns)
    rows = []
    sesois: list[float] = hyp["sesoi"].astype(float).tolist() if has_eq else []
    for k, r in enumerate(hyp.itertuples()):
        cells = [str(r.hypothesis), label(r.quantity), _DIRECTION.get(str(r.direction), str(r.direction)), _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value)]
        if has_eq:
            cells.append("—" if _missing(sesois[k]) else f"{ci_cell(r.tost_lower, r.tost_upper)} vs ±{_thr(sesois[k])}")
        cells.append(str(r.verdict))
        if "fragile" in hyp:
            cells.append(_fragile_cell(r))
        rows.append(tuple(cells))
    level = hyp["ci_level"].iloc[0] if "ci_level" in hyp and len(hyp) else 0.95
    interval = str(hyp["interval"].iloc[0]) if "interval" in hyp and len(hyp) else "percentile"
    sesoi = hyp["sesoi"].tolist() if "sesoi" in hyp else []
    n = int(hyp["n_resamples"].iloc[0]) if "n_resamples" in hyp and len(hyp) else None
    note = (
        "Predicted sign: + positive, − negative, ≠ 0 non-zero, 0 no effect. "
        + rule_text(interval, float(level), sesoi)
        + f" Intervals: {SOURCES['intervals']}; equivalence: {SOURCES['equivalence']}."
        + (f" p: bootstrap p of the same interval type, resolution 1/B = 1/{n:,}." if n else "")
        + (" Fragile: a bound of the interval lies within the configured margin of zero (inference.fragile_margin)" if "fragile" in hyp else "")
        + (_multiverse_rule(hyp) if with_mv else ("." if "fragile" in hyp else ""))
    )
    cols = ["Hypothesis", "Effect", "Predicted", "Estimate", f"{_pct(level, 0)} CI", "p"]
    if has_eq:
        cols.append(f"Equivalence {_pct(1 - 2 * (1 - float(level)), 0)} CI")
    cols.append("Verdict")
    if "fragile" in hyp:
        cols.append("Fragile")
    align = tuple(["l", "l", "l", "r", "r", "r"] + (["r"] if has_eq else []) + ["l"] + (["l"] if "fragile" in hyp else []))
    return Table("hypotheses", "Hypothesis tests", tuple(cols), tuple(rows), note=note, align=align)


def _multiverse_rule(hyp: pd.DataFrame) -> str:
    levels = list(hyp["multiverse_min_agreement"].dropna().unique()) if "multiverse_min_agreement" in hyp else []
    level = float(levels[0]) if len(levels) else 1.0
    if level >= 1:
        return ", or (multiverse) at least one alternative analysis reaches another verdict (inference.fragile_agreement = 1)."
    return f", or (multiverse) fewer than {_pct(level, 0)} of the alternative analyses reach the same verdict (inference.fragile_agreement)."
