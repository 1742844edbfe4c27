"""Tables of the robustness checks: PLSpredict, estimators, copulas, MICOM, MGA, power, multiverse."""

from __future__ import annotations

from typing import Any

import pandas as pd

from leanlearn.report.tables.cells import Table, _bool, _f, _int, _missing, _need, _thr, ci_cell, is_true, label, p_cell
from leanlearn.report.tables.registry import SOURCES


def predict_table(items: pd.DataFrame, *, summary=None) -> Table:
    _need(items, ["indicator", "rmse_pls", "rmse_lm", "mae_pls", "mae_lm", "q2_predict"], "predict_items.csv")
    rows = tuple((str(r.indicator), _f(r.q2_predict), _f(r.rmse_pls), _f(r.rmse_lm), _f(r.mae_pls), _f(r.mae_lm)) for r in items.itertuples())
    note = f"PLSpredict ({SOURCES['predict']}): out-of-sample prediction errors of PLS and of the linear-model benchmark (LM)."
    if summary is not None and len(summary):
        note += " Predictive power: " + "; ".join(
            f"{label(r.construct)} {r.verdict} ({_int(r.n_pls_better_rmse)} of {_int(r.n_indicators)} indicators with a lower RMSE than LM)" for r in summary.itertuples()
        ) + "."
    return Table("predict", "Out-of-sample predictive power (PLSpredict)", ("Indicator", "Q²predict", "RMSE PLS", "RMSE LM", "MAE PLS", "MAE LM"), rows, note=note)


def cbsem_status(status: pd.DataFrame | None) -> tuple[str, str]:
    """(status, problems) from ``cbsem_status.csv``: ("ok", "") when it is absent."""
    if not isinstance(status, pd.DataFrame) or "status" not in status or not len(status):
        return "ok", ""
    why = status["problems"].iloc[0] if "problems" in status else ""
    return str(status["status"].iloc[0]), (why if isinstance(why, str) else "")


def estimators_table(cmp: pd.DataFrame, status: pd.DataFrame | None = None) -> Table:
    """PLS, PLSc and CB-SEM paths side by side; an inadmissible CB-SEM solution (``cbsem_status.csv``)
    is shown as such, without its numbers, and the note gives the reasons."""
    _need(cmp, ["source", "target", "pls", "plsc", "cbsem"], "pls_plsc_cbsem_paths.csv")
    state, why = cbsem_status(status)
    ok = state == "ok"
    mark = {"improper": "improper", "not_converged": "not converged"}.get(state, state)
    rows = tuple(
        (f"{label(r.source)} → {label(r.target)}", _f(r.pls), _f(r.plsc), _f(r.cbsem) if ok else mark,
         p_cell(getattr(r, "cbsem_p_value", None)) if ok else "—")
        for r in cmp.itertuples()
    )  # fmt: skip
    note = "Same cases for all three estimators. CB-SEM: maximum likelihood; the interaction term is approximated by the product of factor scores (not LMS)."
    if not ok:
        note += (
            f" The CB-SEM solution is {mark}" + (f" ({why})" if why else "") + ", so it is no admissible maximum-likelihood solution: its "
            "estimates are not shown and not interpreted, and its fit indices describe no admissible solution either."
        )
    return Table("estimators", "Robustness: PLS, PLSc and CB-SEM path coefficients", ("Path", "PLS", "PLSc", "CB-SEM", "p (CB-SEM)"), rows, note=note)


def _copula_counts(cop: pd.DataFrame) -> str:
    if "counted" not in cop.columns or not len(cop):
        return ""
    counted = cop["counted"].map(is_true) if cop["counted"].dtype == object else cop["counted"].astype(bool)
    text = f" Every single and joint specification is shown; {int(counted.sum())} of {len(cop)} terms meet the preconditions (non-normal regressor, copula term not collinear with it, preconditions.csv)"
    if not counted.any():
        return text + "; none does, so the test is uninformative here and the corrected estimates are not corrections."
    return text + "; only those are counted."


def copula_table(cop: pd.DataFrame) -> Table:
    _need(cop, ["target", "combination", "predictor", "estimate", "ci_lower", "ci_upper", "p_value"], "copula.csv")
    rows = tuple(
        (label(r.target), label(str(r.combination).replace("+", " + ")), label(r.predictor), _f(r.estimate), ci_cell(r.ci_lower, r.ci_upper), p_cell(r.p_value),
         _f(getattr(r, "uncorrected_estimate", None)), _f(getattr(r, "corrected_estimate", None)))
        for r in cop.itertuples()
    )
    return Table("copula", "Robustness: Gaussian copula test of endogeneity",
                 ("Outcome", "Copula terms", "Predictor", "Copula coefficient", "95% CI", "p", "β (PLS)", "β (corrected)"), rows,
                 note=f"Gaussian copula ({SOURCES['copula']}); a weak diagnostic at this sample size: a non-significant copula term is weak evidence of exogeneity."
                 + _copula_counts(cop),
                 align=("l", "l", "l") + ("r",) * 5)


def micom_table(micom: pd.DataFrame, *, sizes=None) -> Table:
    _need(micom, ["group_a", "group_b", "construct", "configural", "compositional", "equal_mean", "equal_variance", "invariance"], "micom_summary.csv")
    rows = tuple(
        (f"{r.group_a} vs {r.group_b}", label(r.construct), _bool(r.configural), _bool(r.compositional), _bool(r.equal_mean), _bool(r.equal_variance), str(r.invariance))
        for r in micom.itertuples()
    )
    note = (f"MICOM ({SOURCES['micom']}); permutation tests at 5 %, p-values not adjusted (as Henseler et al. 2016). 'Invariance' names the "
            "outcome level; not rejecting a step is no evidence against invariance, not evidence for it, and small groups detect only large differences.")
    if sizes is not None and {"group", "n"} <= set(sizes.columns):
        note += " Group sizes: " + "; ".join(f"{r.group} n = {_int(r.n)}" for r in sizes.itertuples()) + "."
    return Table("micom", "Robustness: measurement invariance across groups (MICOM)",
                 ("Groups", "Construct", "Configural", "Compositional", "Equal means", "Equal variances", "Invariance"), rows, note=note,
                 align=("l", "l", "l", "l", "l", "l", "l"))


def mga_table(mga: pd.DataFrame) -> Table:
    _need(mga, ["group_a", "group_b", "parameter", "estimate_a", "estimate_b", "difference", "p_value"], "mga.csv")
    has_adj = "p_adjusted" in mga.columns
    rows = tuple(
        (f"{r.group_a} vs {r.group_b}", label(r.parameter), _f(r.estimate_a), _f(r.estimate_b), _f(r.difference), p_cell(r.p_value))
        + ((p_cell(r.p_adjusted),) if has_adj else ())
        for r in mga.itertuples()
    )
    cols = ("Groups", "Parameter", "Group a", "Group b", "Difference", "p") + (("p (adjusted)",) if has_adj else ())
    fam = f" p adjusted across one family of {_int(mga.family_size.iloc[0])} tests (every parameter x every pair of groups)." if "family_size" in mga.columns and len(mga) else ""
    return Table("mga", "Robustness: permutation multi-group analysis", cols, rows, note=f"Permutation test of the group difference ({SOURCES['mga']}).{fam}",
                 align=("l", "l") + ("r",) * (len(cols) - 2))


def power_table(power: pd.DataFrame, *, minimum_n=None) -> Table:
    _need(power, ["n", "parameter", "population_value", "power"], "power.csv")
    ns = sorted(power.n.unique())
    rows = []
    grid = "scenario" in power.columns
    key: Any  # (scenario, parameter) of a grid, else the parameter
    for key, g in power.groupby(["scenario", "parameter"] if grid else "parameter", sort=False):
        d = dict(zip(g.n, g.power))
        name = f"{label(key[1])} ({key[0]})" if grid else label(key)
        cells = [name, _f(g.population_value.iloc[0])] + [_f(d.get(n), 2) for n in ns]
        rows.append(tuple(cells))
    reps = power["n_replications"].min() if "n_replications" in power else None
    note = (
        "Monte Carlo power: share of replications in which the test succeeds (a directional hypothesis: its interval excludes 0 "
        "in the predicted direction; a hypothesis of no effect: equivalence within its SESOI, never non-significance)"
    )
    note += f" ({_int(reps)} replications per N" if reps is not None else " ("
    note += f"; Monte Carlo SE at most {_f(power.mc_std_error.max())})." if "mc_std_error" in power else ")."
    src = str(power.population_source.iloc[0]) if "population_source" in power and len(power) else ""
    if src == "estimates":
        note += " Population: the fitted model's own estimates, so this is post-hoc power, which is not evidence about the study's result (Hoenig & Heisey 2001)."
    elif src == "effects":
        note += " Population: effect sizes declared in config (power.population)."
    elif src == "grid" and grid:
        levels = power.drop_duplicates("scenario")
        note += (
            " Population: an a priori grid of effect sizes (in parentheses), every path with Cohen's f² of its level"
            + (", interaction paths with the interaction level" if "scenario_f_squared_interaction" in power and power.scenario_f_squared_interaction.notna().any() else "")
            + ": " + "; ".join(
                f"{r.scenario} f² = {r.scenario_f_squared:g}" + (f" (interaction {r.scenario_f_squared_interaction:g})" if pd.notna(getattr(r, "scenario_f_squared_interaction", float("nan"))) else "")
                for r in levels.itertuples()
            ) + " (conventions, not this study's estimates; docs/power.md)."
        )  # fmt: skip
    if "coincides_with" in power:
        pairs = sorted({tuple(sorted((str(r.parameter), o))) for r in power.itertuples() if isinstance(r.coincides_with, str) for o in r.coincides_with.split()})
        if pairs:
            note += " " + "; ".join(f"{label(a)} and {label(b)}" for a, b in pairs) + ": the same decision in nearly every replication (one test reported twice)."
    if minimum_n is not None and "target_power" in minimum_n and len(minimum_n):
        note += f" Target power {_thr(float(minimum_n.target_power.iloc[0]))} (config power.target_power)."
    if minimum_n is not None and "minimum_n_inverse_sqrt_one_tailed" in minimum_n:
        mins = [f"{label(r.parameter)}{f' ({r.scenario})' if hasattr(r, 'scenario') else ''} {_int(r.minimum_n_inverse_sqrt_one_tailed)}"
                for r in minimum_n.itertuples() if not _missing(r.minimum_n_inverse_sqrt_one_tailed)]  # fmt: skip
        if mins:
            note += f" Minimum N by the inverse square root method ({SOURCES['inverse_sqrt']}, one-tailed): " + "; ".join(mins) + "."
    return Table("power", "Statistical power by sample size", tuple(["Parameter", "Population value"] + [f"N = {_int(n)}" for n in ns]), tuple(rows), note=note)


def multiverse_table(stab: pd.DataFrame) -> Table:
    _need(stab, ["hypothesis", "main_verdict", "n_variants", "n_same"], "multiverse_stability.csv")
    rows = tuple(
        (str(r.hypothesis), str(r.main_verdict), f"{_int(r.n_same)} of {_int(r.n_variants)}", str(r.differing) if isinstance(getattr(r, "differing", None), str) else "")
        for r in stab.itertuples()
    )
    return Table("multiverse", "Robustness: verdicts across alternative analysis choices", ("Hypothesis", "Main verdict", "Same verdict", "Differs under"), rows,
                 note="Screening rules, missing-data treatments, interaction method and controls varied one at a time.", align=("l", "l", "r", "l"))
