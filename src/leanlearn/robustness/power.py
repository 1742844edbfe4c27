"""Sample size and statistical power: the inverse square root rule and Monte Carlo power.

Two tools, for two questions a reviewer asks of a PLS-SEM study (docs/power.md):

1. *Which path can N detect at all?* The inverse square root method of Kock & Hadaya
   (2018): :func:`minimum_sample_size`, :func:`minimum_detectable_effect`.
2. *What is the power for the effects this model is about* — single paths, interaction
   paths, indirect, conditional indirect effects and indices of moderated mediation, the
   last three being products of paths without a closed-form rule? Monte Carlo
   (Muthén & Muthén 2002; Aguirre-Urreta & Rönkkö 2015): draw data sets of size N from a
   *population model*, estimate each with the pipeline's engine and settings, test each
   quantity, and report the share of replications in which the test succeeds.

The Monte Carlo runs in four steps, each a function of its own:

========================  ==================================================================
step                      function
========================  ==================================================================
1. population             :func:`population_from_estimates` (default: the fitted model's own
                          estimates), :func:`population_from_effects` (standardised paths,
                          loadings and correlations from config) or :func:`study_population`
                          (the bundled study's documented :class:`~leanlearn.datasets.simulate.PopulationModel`)
2. quantities             :func:`quantities_of_interest` (the configured hypotheses that exist
                          in the model, or explicit entries, or every structural path)
3. replications           :func:`replicate_block`: draw, estimate (batched: all replications
                          of a block go through :func:`leanlearn.pls.engine.fit_batch` as
                          one batch), test; one row per replication and quantity
4. summary                :func:`summarize` (power, Monte Carlo SE, bias, coverage),
                          :func:`coincident_tests`, :func:`minimum_n`, :func:`power_notes`
========================  ==================================================================

The generic population model
----------------------------
Latent variables follow the structural model with the given standardised coefficients:
exogenous constructs are multivariate normal with unit variances and the given
correlations; each endogenous construct is
:math:`\\eta_j = \\sum_i \\beta_{ij}\\eta_i + \\sum_{(x,w)} \\beta_{xw,j}\\,\\eta_x\\eta_w + \\zeta_j`,
with the residual variance :math:`\\psi_j = 1 - Var(\\sum \\ldots)` so that
:math:`Var(\\eta_j) = 1`. Interaction terms are products of the (standardised) latent
variables, the scale on which the engine's two-stage interaction path is estimated.
Because the variance of a sum of products of (possibly non-normal) latent variables has no
simple closed form in general, :math:`\\psi_j` is computed once on a fixed calibration draw
of 2^18 cases (seeded by a constant, so the population never depends on the analysis
seed; the relative error of :math:`1 - \\psi_j` is about 0.3 %). Indicators are
:math:`x = \\lambda\\eta + \\sqrt{1-\\lambda^2}\\,\\varepsilon` (continuous, or cut into
``categories`` equally likely categories). Mode B constructs are generated the same way
(their "loadings" are item–construct correlations) and estimated in Mode B.

The test in each replication
----------------------------
A percentile bootstrap of 1,000+ resamples in each of 1,000+ replications per N costs
millions of PLS fits. The default test is cheaper and documented as equivalent for the
decision "the interval excludes zero":

- A single path (``path`` and ``interaction`` hypotheses): the normal-theory interval
  :math:`\\hat\\beta \\pm t_{1-\\alpha/2,\\,n-k-1}\\,SE`, with the OLS standard error of the
  path in the regression of the endogenous composite on its k predictors,
  :math:`Cov(\\hat\\beta) = (1-R^2)\\,\\Sigma_{PP}^{-1}/(n-k-1)` (PLS paths are OLS
  coefficients on composites; the weights are treated as fixed). With two
  single-indicator constructs this is exactly the t test of a correlation, whose power is
  known (tests/test_power.py recovers it within its Monte Carlo SE).
- Products of paths (indirect, conditional indirect, moderated mediation, differences):
  the Monte Carlo confidence interval of Preacher & Selig (2012): ``mc_draws`` draws of the
  path vector from :math:`N(\\hat\\beta, \\widehat{Cov})` (equations independent, as OLS
  equations of a recursive model are), the quantity computed on each draw, and the
  percentile interval of those values. Preacher & Selig show it performs like the
  percentile bootstrap for indirect effects.

Every summary row reports ``std_error_ratio`` = mean standard error / SD of the estimates across
replications (Morris, White & Crowther 2019), which shows whether the cheap test's standard
error is calibrated for this model (near 1) or too small (below 1, power overstated). The
full percentile bootstrap per replication is available as ``test="bootstrap"``.

Population values and attenuation
---------------------------------
Population values are the latent model's parameters. PLS Mode A composites estimate
attenuated paths when reliability is below one (the interaction path more), so ``bias``
mixes Monte Carlo noise with this attenuation, coverage is of the latent value, and the
power refers to what the pipeline estimates. With high-reliability indicators the
attenuation vanishes (tests/test_power.py).

The engine puts the two-stage interaction path on the scale of the *unstandardised*
product of the standardised construct scores (seminr's rescaling), so its population
value is the coefficient of the product of the standardised latent variables.

The module is the public face of three parts, each re-exported here (import from
``leanlearn.robustness.power``): :mod:`~leanlearn.robustness.power_formula` (a: the inverse
square root method), :mod:`~leanlearn.robustness.power_population` (b1: the population) and
:mod:`~leanlearn.robustness.power_replications` (b2, b3: quantities of interest,
replications). This module summarises the replications (b4: power table, coincident tests,
minimum N, notes).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from leanlearn.robustness.power_formula import (  # noqa: F401  (re-exported)
    _check_prob,
    inverse_sqrt_constant,
    minimum_detectable_effect,
    minimum_n_table,
    minimum_sample_size,
)
from leanlearn.robustness.power_population import (  # noqa: F401  (re-exported)
    CALIBRATION_SEED,
    CALIBRATION_SIZE,
    DEFAULT_EFFECT_GRID,
    DEFAULT_LOADING,
    DEFAULT_MODEL,
    PURPOSE_POWER,
    STUDY_PATHS,
    TESTS,
    LatentPopulation,
    StudyPopulation,
    _calibrate,
    _check_categories,
    _interaction_terms,
    _item_constructs,
    _number,
    _path_key,
    _structural_order,
    effect_grid_populations,
    population_from_effects,
    population_from_estimates,
    population_from_f2,
    study_population,
)
from leanlearn.robustness.power_replications import (  # noqa: F401  (re-exported)
    Quantity,
    _bootstrap_tests,
    _decisions,
    _equation_covariances,
    _interval_ends,
    _monte_carlo_draws,
    _path_function,
    _view,
    quantities_of_interest,
    replicate_block,
    replication_streams,
)

__all__ = [
    "DEFAULT_MODEL",
    "inverse_sqrt_constant",
    "minimum_sample_size",
    "minimum_detectable_effect",
    "minimum_n_table",
    "LatentPopulation",
    "StudyPopulation",
    "population_from_effects",
    "population_from_estimates",
    "population_from_f2",
    "effect_grid_populations",
    "DEFAULT_EFFECT_GRID",
    "study_population",
    "Quantity",
    "quantities_of_interest",
    "replication_streams",
    "replicate_block",
    "summarize",
    "coincident_tests",
    "mark_coincident",
    "left_out",
    "minimum_n",
    "power_notes",
    "POST_HOC_CAVEAT",
]


# ---- (b) step 4: summary ------------------------------------------------------------------------
POST_HOC_CAVEAT = (
    "The population is the fitted model's own estimates, so this is post-hoc (observed) power: it is a "
    "transformation of the study's own estimates and p-values and is not evidence about the study's result "
    "(Hoenig & Heisey 2001; Yuan & Maxwell 2005). Use it to plan a replication, not to interpret this one."
)

SUMMARY_COLUMNS = (
    "n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "n_replications",
    "label", "criterion", "hypothesis_direction", "population_source", "estimate_sd", "bias_mc_std_error",
    "mean_std_error", "std_error_ratio", "coverage", "coverage_mc_std_error", "n_replications_excluded", "kind", "test",
)  # fmt: skip


def _criterion(direction: str, sesoi) -> str | None:
    if direction == "positive":
        return "interval above 0 (effect detected, positive as predicted)"
    if direction == "negative":
        return "interval below 0 (effect detected, negative as predicted)"
    if direction == "nonzero":
        return "interval excludes 0 (effect detected)"
    if sesoi is not None and np.isfinite(sesoi):
        return f"1 - 2 alpha interval inside +/-{sesoi:g} (equivalence shown, TOST)"
    return None


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    r"""Power per N and quantity from replication rows (:func:`replicate_block`).

    Only replications with status "ok" and a finite interval count. With R of them,
    :math:`s_r` = 1 when the replication's test succeeds (the interval excludes 0 in the
    predicted direction; for a hypothesis of no effect with a SESOI, the 1 − 2α interval
    lies inside ±SESOI) and :math:`\hat\theta_r` the estimates:

    .. math::
        \text{power} = \bar s, \quad
        \text{mc\_std\_error} = \sqrt{\text{power}(1-\text{power})/R}, \quad
        \text{bias} = \bar{\hat\theta} - \theta_0, \quad
        \text{bias\_mc\_std\_error} = sd(\hat\theta)/\sqrt{R}

    ``coverage`` is the share of ``ci_level`` intervals containing θ₀ (with its binomial SE)
    and ``std_error_ratio`` the mean standard error over sd(θ̂) (Morris, White & Crowther 2019,
    *Statistics in Medicine* 38:2074–2102, Table 6). A hypothesis of no effect without a
    SESOI is left out: non-significance is not a success (its rows are counted by
    :func:`left_out`).

    Returns
    -------
    DataFrame with :data:`SUMMARY_COLUMNS` (``parameter`` is the quantity id), sorted by
    quantity (first appearance) and n. Rows of an effect-size grid carry scenario,
    scenario_f_squared and scenario_f_squared_interaction first and are sorted by scenario first.

    Raises
    ------
    ValueError
        When an N has no usable replication of a quantity (every replication failed): a
        power of NaN is never reported.
    """
    need = {"n", "quantity", "status", "estimate", "ci_lower", "ci_upper", "detected", "population_value", "direction"}
    missing = need - set(rows.columns)
    if missing:
        raise ValueError(f"not power replication rows: columns {', '.join(sorted(missing))} are missing")
    order = {q: i for i, q in enumerate(pd.unique(rows["quantity"]))}
    has_scen = "scenario" in rows.columns
    scen_order = {q: i for i, q in enumerate(pd.unique(rows["scenario"]))} if has_scen else {}
    keys = ["scenario", "quantity", "n"] if has_scen else ["quantity", "n"]
    out = []
    n: Any  # the N of a group, as pandas gives it
    for key, g in rows.groupby(keys, sort=False):
        qid, n = key[-2], key[-1]
        first = g.iloc[0]
        sesoi = float(first["sesoi"]) if "sesoi" in g and pd.notna(first.get("sesoi")) else None
        crit = _criterion(first["direction"], sesoi)
        if crit is None:
            continue
        ok = (g["status"] == "ok") & np.isfinite(g["ci_lower"]) & np.isfinite(g["ci_upper"]) & np.isfinite(g["estimate"])
        good = g[ok]
        R = len(good)
        if R == 0:
            counts = g["status"].value_counts().to_dict()
            raise ValueError(
                f"no usable replication of {qid} at N = {int(n)}{f' (scenario {key[0]})' if has_scen else ''} ({', '.join(f'{v} {k}' for k, v in counts.items())}): "
                "every replication failed, so its power is undefined; check the population and the estimation settings"
            )
        s = (good["equivalent"] if first["direction"] == "none" else good["detected"]).to_numpy(dtype=float)
        power = float(s.mean())
        pop = float(first["population_value"])
        est = good["estimate"].to_numpy(dtype=float)
        sd = float(est.std(ddof=1)) if R > 1 else np.nan
        se = good["std_error"].to_numpy(dtype=float) if "std_error" in good else np.full(R, np.nan)
        mean_se = float(np.nanmean(se)) if np.isfinite(se).any() else np.nan
        cov = float(((good["ci_lower"] <= pop) & (pop <= good["ci_upper"])).mean()) if np.isfinite(pop) else np.nan
        out.append(
            {
                "n": int(n), "parameter": qid, "label": first.get("label", qid), "hypothesis_direction": first["direction"],
                "criterion": crit, "population_value": pop, "population_source": first.get("population_source", ""),
                "mean_estimate": float(est.mean()), "bias": float(est.mean()) - pop, "power": power,
                "mc_std_error": math.sqrt(power * (1 - power) / R), "n_replications": R, "estimate_sd": sd,
                "bias_mc_std_error": sd / math.sqrt(R) if R > 1 else np.nan, "mean_std_error": mean_se,
                "std_error_ratio": mean_se / sd if R > 1 and sd > 0 else np.nan, "coverage": cov,
                "coverage_mc_std_error": math.sqrt(cov * (1 - cov) / R) if np.isfinite(cov) else np.nan,
                "n_replications_excluded": int(len(g) - R), "kind": first.get("kind", ""), "test": first.get("test", ""),
                **({"scenario": first["scenario"], "scenario_f_squared": first.get("scenario_f_squared", np.nan),
                    "scenario_f_squared_interaction": first.get("scenario_f_squared_interaction", np.nan)} if has_scen else {}),
            }
        )  # fmt: skip
    if not out:
        raise ValueError("no quantity with a testable criterion: every quantity is a hypothesis of no effect without a SESOI")
    if has_scen:
        df = pd.DataFrame(out, columns=["scenario", "scenario_f_squared", "scenario_f_squared_interaction", *SUMMARY_COLUMNS])
        df["_s"] = df["scenario"].map(scen_order)
    else:
        df = pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))
        df["_s"] = 0
    df["_o"] = df["parameter"].map(order)
    return df.sort_values(["_s", "_o", "n"], kind="stable").drop(columns=["_s", "_o"]).reset_index(drop=True)


def left_out(rows: pd.DataFrame) -> list[str]:
    """Quantities :func:`summarize` leaves out: hypotheses of no effect without a SESOI."""
    g = rows.drop_duplicates("quantity")
    if "sesoi" not in g:
        return list(g.loc[g.direction == "none", "quantity"])
    return list(g.loc[(g.direction == "none") & g.sesoi.isna(), "quantity"])


def coincident_tests(rows: pd.DataFrame, *, kappa_min: float = 0.95) -> pd.DataFrame:
    """Pairs of quantities whose tests agree beyond chance, per N (replication by replication).

    Two tests coincide *by construction* when they reach the same decision in (nearly)
    every replication, e.g. the interaction path a₃ and the index of moderated mediation
    a₃·b when b is far from zero: a₃·b has the sign of a₃ in every draw, so its power is
    a₃'s power reported twice. Agreement alone misleads when both powers are near 1 (two
    unrelated tests that almost always succeed agree almost always), so the criterion is
    Cohen's κ = (p_o − p_e)/(1 − p_e), with p_o the share of identical decisions and p_e
    the share expected from the two powers alone; κ is undefined (NaN) when neither
    decision varies. Single paths and products of paths are tested by different intervals
    (t and Monte Carlo CI), so such pairs may differ in a few replications near the
    decision boundary; ``kappa_min`` (0.95) is the κ from which a pair coincides.

    Returns
    -------
    DataFrame: quantity_a, quantity_b, n, n_replications (usable for both), agreement (p_o),
    kappa, identical (p_o = 1 and some decision varies), coincide (κ >= kappa_min). Only
    quantities counted by "effect detected" are compared. Rows of an effect-size grid are
    compared within their scenario (a first column ``scenario``).
    """
    if "scenario" in rows.columns:
        parts = []
        for scen, g in rows.groupby("scenario", sort=False):
            c = coincident_tests(g.drop(columns="scenario"), kappa_min=kappa_min)
            c.insert(0, "scenario", scen)
            parts.append(c)
        return pd.concat(parts, ignore_index=True)
    cols = ["quantity_a", "quantity_b", "n", "n_replications", "agreement", "kappa", "identical", "coincide"]
    d = rows[(rows.status == "ok") & (rows.direction != "none") & rows.detected.notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    wide = d.pivot_table(index=["n", "replication"], columns="quantity", values="detected", aggfunc="first")
    qs = [q for q in pd.unique(rows["quantity"]) if q in wide.columns]
    out = []
    n: Any  # the N of a group, as pandas gives it
    for i, a in enumerate(qs):
        for b in qs[i + 1 :]:
            for n, g in wide[[a, b]].dropna().groupby(level="n"):
                x, y = g[a].to_numpy(dtype=float), g[b].to_numpy(dtype=float)
                po = float((x == y).mean())
                pe = float(x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean()))
                kappa = (po - pe) / (1 - pe) if pe < 1 else np.nan
                varies = bool(len(np.unique(np.concatenate([x, y]))) > 1)
                out.append(
                    {"quantity_a": a, "quantity_b": b, "n": int(n), "n_replications": len(g), "agreement": po, "kappa": kappa,
                     "identical": po == 1.0 and varies, "coincide": bool(np.isfinite(kappa) and kappa >= kappa_min)}
                )  # fmt: skip
    return pd.DataFrame(out, columns=cols)


def mark_coincident(table: pd.DataFrame, coincident: pd.DataFrame) -> pd.DataFrame:
    """Add ``coincides_with`` to a :func:`summarize` table: the quantities (space-separated)
    whose test coincides with this row's at this N (:func:`coincident_tests`), or ""."""
    partners: dict[tuple[str, str, int], list[str]] = {}
    if len(coincident):
        for r in coincident[coincident["coincide"].astype(bool)].to_dict("records"):
            scen = str(r.get("scenario", ""))
            partners.setdefault((scen, r["quantity_a"], int(r["n"])), []).append(str(r["quantity_b"]))
            partners.setdefault((scen, r["quantity_b"], int(r["n"])), []).append(str(r["quantity_a"]))
    out = table.copy()
    scens = out["scenario"].astype(str) if "scenario" in out else pd.Series([""] * len(out), index=out.index)
    out["coincides_with"] = [" ".join(partners.get((sc, str(p), int(n)), [])) for sc, p, n in zip(scens, out["parameter"], out["n"])]
    return out


def minimum_n(power_table: pd.DataFrame, *, target_power: float = 0.80, alpha: float = 0.05) -> pd.DataFrame:
    """Smallest simulated N reaching the target power, beside the inverse square root N.

    Parameters
    ----------
    power_table : DataFrame
        From :func:`summarize`.
    target_power : float
    alpha : float
        Level of the inverse square root rule.

    Returns
    -------
    DataFrame
        parameter, population_value, target_power, minimum_n_monte_carlo (smallest
        simulated N from which power >= target at every larger simulated N, so that a
        lucky small N does not count; NaN when the largest N does not reach it — simulate
        larger N), power_at_minimum_n, largest_n_simulated, power_at_largest_n,
        minimum_n_inverse_sqrt_one_tailed, minimum_n_inverse_sqrt_two_tailed (Kock &
        Hadaya 2018 for |population_value|; only for single paths tested for an effect,
        NaN for products of paths, to which the rule does not apply, and for zero effects).
        One block per scenario (first column ``scenario``) for an effect-size grid.

    Notes
    -----
    The Monte Carlo N is bounded by the grid: the true minimum lies between the reported N
    and the next smaller simulated N, and each power carries its ``mc_std_error``.
    """
    _check_prob("target_power", target_power)
    if "scenario" in power_table.columns:
        parts = []
        for scen, g in power_table.groupby("scenario", sort=False):
            m = minimum_n(g.drop(columns="scenario"), target_power=target_power, alpha=alpha)
            m.insert(0, "scenario", scen)
            parts.append(m)
        return pd.concat(parts, ignore_index=True)
    rows = []
    for param, g in power_table.groupby("parameter", sort=False):
        g = g.sort_values("n")
        ok = (g["power"] >= target_power).to_numpy()
        stays = np.flip(np.logical_and.accumulate(np.flip(ok)))
        reached = g[stays]
        pop = float(g["population_value"].iloc[0])
        isr = {1: np.nan, 2: np.nan}
        is_path = ("kind" not in g or g["kind"].iloc[0] == "path") and g.get("hypothesis_direction", pd.Series(["nonzero"])).iloc[0] != "none"
        if is_path and pop != 0 and np.isfinite(pop):
            isr = {t: minimum_sample_size(pop, alpha=alpha, power=target_power, tails=t) for t in (1, 2)}
        rows.append(
            {
                "parameter": param,
                "population_value": pop,
                "target_power": target_power,
                "minimum_n_monte_carlo": float(reached["n"].iloc[0]) if len(reached) else np.nan,
                "power_at_minimum_n": float(reached["power"].iloc[0]) if len(reached) else np.nan,
                "largest_n_simulated": int(g["n"].iloc[-1]),
                "power_at_largest_n": float(g["power"].iloc[-1]),
                "minimum_n_inverse_sqrt_one_tailed": isr[1],
                "minimum_n_inverse_sqrt_two_tailed": isr[2],
            }
        )
    return pd.DataFrame(rows)


def power_notes(rows: pd.DataFrame, table: pd.DataFrame, coincident: pd.DataFrame, *, extra: Sequence[str] = (), description: str | None = None, mc_draws: int | None = None, resamples: int | None = None) -> str:
    """The plain-language notes written beside the power tables (one paragraph per point)."""
    src = str(rows["population_source"].iloc[0]) if "population_source" in rows else ""
    reps = sorted({int(r) for r in table["n_replications"]}) if len(table) else []
    level = float(rows["ci_level"].iloc[0]) if "ci_level" in rows else 0.95
    paras = [
        "Monte Carlo power: each replication draws N cases from the population model, estimates the model with the "
        "pipeline's engine and settings and tests each quantity; power is the share of usable replications in which the "
        f"test succeeds, with its binomial Monte Carlo SE (mc_std_error) in every row; replications per N: {', '.join(map(str, reps))}."
    ]
    if description:
        paras.append(f"Population: {description}.")
    if src == "estimates":
        paras.append(POST_HOC_CAVEAT)
    if src == "grid" and "scenario" in rows:
        levels = rows.drop_duplicates("scenario")
        paras.append(
            "Population: an a priori grid of effect sizes, one scenario per level, in which every path of the model has the "
            "same population effect size f² (the share of variance a predictor adds over the others, relative to the "
            "unexplained variance; Cohen 1988) and every interaction path the interaction level: "
            + "; ".join(
                f"{scen}: f² = {f2:g}" + (f", interaction f² = {f2i:g}" if pd.notna(f2i) else "")
                for scen, f2, f2i in zip(levels["scenario"], levels["scenario_f_squared"], levels["scenario_f_squared_interaction"])
            )
            + ". The paths of hypotheses of no effect are 0 and paths predicted to be negative are negative in every scenario. "
            "These are conventions, not estimates of this study's effects (power.population.grid replaces them)."
        )
    tests = set(rows["test"]) if "test" in rows else set()
    if tests & {"t", "monte_carlo_ci"}:
        paras.append(
            f"Test per replication: single paths by the normal-theory {level:.0%} t interval with the OLS standard error "
            "of the path in its composite regression; functions of several paths (indirect and conditional indirect "
            f"effects, indices of moderated mediation) by the Monte Carlo confidence interval (Preacher & Selig 2012) "
            f"from {mc_draws or 'the configured number of'} draws of the paths per replication. This replaces a bootstrap "
            "per replication, which the decision 'the interval excludes 0' does not need; std_error_ratio (mean standard error / "
            "SD of the estimates across replications) shows whether the standard error is calibrated (near 1). At small N "
            "with weak paths the main analysis' percentile bootstrap can be more conservative (sign changes of composites "
            "in resamples widen it), so the power here is then an upper bound for it; power.test 'bootstrap' checks."
        )
    if "bootstrap_percentile" in tests:
        msg = f"Test per replication: {level:.0%} percentile bootstrap interval with {resamples or 'the configured'} resamples."
        if resamples is not None and resamples * (1 - level) / 2 < 25:
            msg += f" Fewer than 25 resamples lie beyond each interval end ({resamples} resamples): the ends are coarse."
        paras.append(msg)
    paras.append(
        "Counting rule: a directional hypothesis counts only when its interval excludes 0 in the predicted direction; a "
        "hypothesis of no effect counts only when equivalence is shown (the 1 - 2 alpha interval inside +/- its SESOI, "
        "two one-sided tests), never on non-significance."
    )
    gone = left_out(rows)
    if gone:
        paras.append(
            f"Left out: {', '.join(gone)} (hypotheses of no effect without a smallest effect size of interest; "
            "declare 'sesoi' in the hypothesis or power.sesoi to report the power to show equivalence)."
        )
    paras.append(
        "Population values are latent-model parameters; PLS composites attenuate them when reliability is below 1 (the "
        "interaction path most), so 'bias' includes that attenuation, coverage is of the latent value, and power refers to "
        "what the pipeline estimates."
    )
    if len(coincident) and coincident["coincide"].astype(bool).any():
        parts = []
        hits = coincident[coincident["coincide"].astype(bool)]
        by = ["scenario", "quantity_a", "quantity_b"] if "scenario" in hits.columns else ["quantity_a", "quantity_b"]
        for key, g in hits.groupby(by, sort=False):
            a, b = key[-2], key[-1]
            ns = ", ".join(str(int(n)) for n in g["n"])
            lo = g["agreement"].min()
            how = "in every replication" if lo == 1.0 else f"in at least {100 * lo:.1f} % of the replications"
            where = f" in scenario {key[0]}" if len(key) == 3 else ""
            parts.append(f"{a} and {b} (the same decision {how} at N = {ns}{where})")
        paras.append(
            "Coinciding tests (Cohen's kappa of the decisions >= 0.95, coincident_tests.csv): " + "; ".join(parts) + ". "
            "Such powers are one result reported twice, not independent confirmations (e.g. an interaction path a3 and "
            "the index of moderated mediation a3*b when b is far from 0: a3*b has the sign of a3 in every draw)."
        )
    paras.extend(extra)
    paras.append("The inverse square root N (Kock & Hadaya 2018) is given for single paths only; it does not apply to products of paths.")
    return "\n\n".join(paras) + "\n"


