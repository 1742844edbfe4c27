r"""Endogeneity diagnostics: the Gaussian copula test on construct scores.

Hult et al. (2018, *J. International Marketing* 26(3):1–21) recommend, after theory and
control variables, a Gaussian copula test of every structural equation of a PLS model,
run on the construct scores. For a structural equation
:math:`Y = \alpha + \sum_j \beta_j X_j + \gamma' W + \varepsilon` with a suspected
endogenous regressor X, Park & Gupta (2012, *Marketing Science* 31:567–586) add the
copula term

.. math:: c_X = \Phi^{-1}\big(\hat F_X(x)\big), \qquad \hat F_X(x_i) = \frac{\operatorname{rank}(x_i)}{n + 1}

as a further regressor. If X and ε are linked by a Gaussian copula, the coefficient of
:math:`c_X` is :math:`\rho\,\sigma_\varepsilon` — non-zero exactly when X is endogenous —
and the coefficient of X in the augmented regression is the corrected estimate.

Conventions (documented choices)
--------------------------------
* **Empirical CDF:** ranks/(n + 1) (average ranks for ties), so the argument of
  :math:`\Phi^{-1}` stays strictly inside (0, 1); docs/methods.md §6.1 allows this or
  (rank − 0.5)/n. The transform is recomputed inside every bootstrap resample.
* **Combinations:** every non-empty combination of copula terms of an equation's
  candidate regressors is estimated (Hult et al. 2018); candidates are the predictors
  that are neither controls nor interaction terms (an interaction term's copula is not
  identified separately from its components').
* **Controls:** with controls W in the equation, each copula term is by default
  residualised on the copula transforms of the controls,
  :math:`\tilde c_X = c_X - \hat E[c_X \mid 1, c_{W_1}, \dots]` (OLS), the first stage of
  2sCOPE (Yang, Qian & Xie 2025, *J. Marketing Research*), which relaxes Park & Gupta's
  assumption that the endogenous regressor is independent of the exogenous ones.
  ``residualize=False`` gives the original Park & Gupta regressor.
* **Inference:** nonparametric bootstrap over cases; the construct scores are held fixed, as in Hult et al.'s
  procedure, and the copula terms are recomputed from each resample. ``std_error`` is
  the SD of the bootstrap draws, ``p_value`` two-sided from t = estimate/std_error with
  n − 1 degrees of freedom (the convention of :mod:`leanlearn.pls.bootstrap`), the interval
  is the percentile interval.
* **Preconditions, per regressor** (:func:`preconditions`): the copula is not identified
  when X is normal (then :math:`c_X \approx` a linear function of X). (1) *Non-normality*:
  Shapiro–Wilk or Cramér–von Mises p < α; the latter uses a parametric-bootstrap null
  with the mean and SD estimated (:func:`scipy.stats.goodness_of_fit`), since plugging in
  estimated parameters makes the textbook Cramér–von Mises test too lenient.
  (2) *Identification in the sample*: even a non-normal X can have a copula term that is
  almost X itself; the variance of the corrected coefficient is then inflated by
  :math:`1/(1 - r^2)`, :math:`r = \operatorname{corr}(x, c_X)`. The precondition is
  :math:`1/(1 - r^2) <` ``max_vif``; the default 25 (r < 0.980: the standard error of the
  corrected coefficient at most five times what it would be without the collinearity) is
  a design choice of leanlearn, configurable as ``robustness.copula_max_vif``. For
  orientation, at large n r is about 0.90 for an exponential regressor, 0.96 for a
  chi-square(5), 0.978 for a uniform and 0.9995 for a normal one. A copula term whose regressor fails either precondition
  is *shown but not counted*: its estimate says nothing about endogeneity.
* **Specifications:** every single-term and every joint specification is reported
  (``specification`` "single" / "joint"), and :attr:`CopulaResult.summary` counts the
  terms that meet the preconditions and, among them, the significant ones, per
  specification. When no term meets them, the test is *uninformative* and the note says
  so in plain words (Becker, Proksch & Ringle 2022).
* **Randomness:** the bootstrap draws from ``leanlearn.random.stream(seed, "bootstrap",
  "copula")`` and the Cramér–von Mises null from ``stream(seed, "montecarlo",
  "normality", j)`` for regressor j (docs/randomness.md).

Weakness (say it in the paper): Becker, Proksch & Ringle (2022, *J. Academy of Marketing
Science* 50:46–66) show that with an intercept in the regression — the standard case —
the copula approach is biased and has little power at sample sizes like this study's
(N ≈ 209), and breaks down when the regressor is close to normal. At this N the test is a
weak diagnostic, not a correction; :func:`copula_note` words this for the outputs.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Mapping, Sequence, cast

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError, SpecError
from leanlearn.random import generator
from leanlearn.robustness.endogeneity_terms import (
    DEFAULT_MAX_VIF,
    NORMALITY_COLUMNS,
    PRECONDITION_COLUMNS,
    _ols,
    _residualize,
    copula_term,
    copula_terms_resampled,
    normality_tests,
    preconditions,
)

__all__ = [
    "copula_term",
    "copula_terms_resampled",
    "normality_tests",
    "preconditions",
    "DEFAULT_MAX_VIF",
    "copula_test",
    "gaussian_copula",
    "copula_note",
    "CopulaResult",
]

TERM_COLUMNS = [
    "target", "combination", "predictor", "estimate", "std_error", "t_value", "p_value", "ci_lower", "ci_upper",
    "ci_level", "significant", "corrected_estimate", "corrected_std_error", "corrected_ci_lower", "corrected_ci_upper",
    "uncorrected_estimate", "non_normal", "n_resamples", "specification", "corr_copula_term", "vif_copula_term",
    "preconditions_met", "counted",
]  # fmt: skip
"""Columns of :attr:`CopulaResult.terms`."""

SUMMARY_COLUMNS = ["target", "combination", "specification", "n_terms", "n_counted", "n_significant_counted", "n_significant_not_counted"]
"""Columns of :attr:`CopulaResult.summary`."""


# ---- the result ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CopulaResult:
    """Gaussian copula regressions of every structural equation.

    Attributes
    ----------
    terms : DataFrame
        One row per equation × combination × copula term: target, combination (the
        regressors given copula terms, joined by "+"), predictor (X of this copula term),
        estimate, std_error, t_value, p_value, ci_lower, ci_upper, ci_level (all of the
        copula coefficient), significant (p_value < alpha), corrected_estimate,
        corrected_std_error, corrected_ci_lower, corrected_ci_upper (the coefficient of X
        in the same regression), uncorrected_estimate (X's coefficient without copula
        terms), non_normal (X passed the precondition), n_resamples (valid resamples),
        specification ("single" or "joint"), corr_copula_term, vif_copula_term,
        preconditions_met (non-normal and identified), counted (= preconditions_met: a term
        that fails them is shown but not counted).
    coefficients : DataFrame
        Every coefficient of every regression, including the regressions without copula
        terms (combination "none"): target, combination, term, role ("intercept",
        "predictor", "control", "interaction", "copula"), estimate, std_error, t_value,
        p_value, ci_lower, ci_upper, ci_level, n_resamples.
    normality : DataFrame
        :func:`normality_tests` of every candidate regressor.
    preconditions : DataFrame
        :func:`preconditions` of every candidate regressor.
    summary : DataFrame
        One row per equation × specification: target, combination, specification
        ("single" or "joint"), n_terms, n_counted (terms whose regressor meets both
        preconditions), n_significant_counted, n_significant_not_counted.
    informative : bool
        At least one copula term meets the preconditions.
    note : str
        Plain-language caveat for the outputs (:func:`copula_note`).
    n, resamples, seed, ci_level, alpha, residualize :
        Settings of the run.
    """

    terms: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    normality: pd.DataFrame = field(repr=False)
    preconditions: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    informative: bool
    note: str
    n: int
    resamples: int
    seed: int | None
    ci_level: float
    alpha: float
    residualize: bool


def copula_note(n: int, *, near_normal: Sequence[str] = (), residualize: bool = True, controls: bool = False, collinear: Sequence[str] = (), informative: bool | None = None, counts: tuple[int, int, int] | None = None, max_vif: float = DEFAULT_MAX_VIF) -> str:
    """The plain-language caveat written beside copula results (Becker, Proksch & Ringle 2022)."""
    parts = [
        f"Gaussian copula test (Park & Gupta 2012; Hult et al. 2018) at N = {n}: read it as a weak "
        "diagnostic, not as a correction. Becker, Proksch & Ringle (2022, JAMS) show that with an intercept "
        "in the regression, as here, the copula approach is biased and has low statistical power at small "
        "and moderate sample sizes, and that it fails when a regressor is close to normal. A non-significant "
        "copula term is therefore weak evidence of exogeneity, and a significant one calls for instrumental "
        "variables or a design argument rather than for reporting the copula-corrected estimate as the result.",
    ]
    if near_normal:
        parts.append(
            "Regressors that did not reject normality (Shapiro-Wilk and Cramer-von Mises p >= alpha), for which "
            f"the copula term is not identified: {', '.join(near_normal)}."
        )
    else:
        parts.append("Every candidate regressor rejected normality, the copula's precondition.")
    if collinear:
        parts.append(
            f"Regressors whose copula term is nearly collinear with them (1/(1 - r^2) >= {max_vif:g}), so that the "
            f"copula coefficient and the corrected estimate are not identified in this sample: {', '.join(collinear)}."
        )
    if counts is not None:
        n_terms, n_counted, n_sig = counts
        parts.append(
            f"Of {n_terms} copula terms in all single and joint specifications, {n_counted} meet both preconditions "
            f"(non-normal regressor, identified copula term), and {n_sig} of these are significant; terms that fail a "
            "precondition are shown but not counted."
        )
    if informative is False:
        parts.append(
            "The copula test is uninformative for these data: no regressor meets both preconditions, so neither a "
            "significant nor a non-significant copula term says anything about endogeneity here, and the 'corrected' "
            "estimates must not be read as corrections."
        )
    parts.append(
        "Copula terms use the empirical CDF rank/(n+1) of the construct scores, recomputed in every bootstrap "
        "resample; the scores themselves are held fixed."
    )
    if controls:
        parts.append(
            "Copula terms were residualised on the copula transforms of the control variables (first stage of "
            "2sCOPE, Yang, Qian & Xie 2025)." if residualize else "Copula terms were not residualised on the controls."
        )
    return " ".join(parts)


def copula_test(
    data: pd.DataFrame,
    equations: Mapping[str, Sequence[str]],
    *,
    controls: Sequence[str] = (),
    candidates: Mapping[str, Sequence[str]] | None = None,
    residualize: bool = True,
    resamples: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
    alpha: float = 0.05,
    normality_mc_samples: int = 1999,
    max_vif: float = DEFAULT_MAX_VIF,
) -> CopulaResult:
    r"""Gaussian copula regressions of structural equations on (construct) scores.

    For each equation ``target ~ predictors`` and each non-empty combination S of its
    candidate regressors, OLS of the target on an intercept, all predictors and the copula
    terms :math:`c_X, X \in S` (residualised on the controls' copula transforms when
    ``residualize`` and controls are present). See the module docstring for every
    convention.

    Parameters
    ----------
    data : DataFrame
        Scores: one column per variable named in ``equations`` (complete, no NaN).
    equations : mapping of str to sequence of str
        Target -> its predictors (controls and interaction columns included).
    controls : sequence of str
        Predictors treated as exogenous controls: no copula term; copula terms are
        residualised on them (2sCOPE first stage).
    candidates : mapping, optional
        Target -> predictors that get copula terms. Default: predictors that are not
        controls and whose name has no ":" (interaction terms).
    residualize : bool
        Residualise copula terms on the controls' copula transforms (default True;
        ignored without controls).
    resamples : int
        Bootstrap resamples (cases).
    seed : int, optional
        Seed of the bootstrap (``SeedSequence(seed)``) and of the normality tests.
    ci_level : float
        Level of the percentile intervals.
    alpha : float
        Level of the normality precondition and of ``significant``.
    normality_mc_samples : int
        Monte Carlo samples of the Cramér–von Mises null.
    max_vif : float
        Identification precondition: a copula term counts only when
        1/(1 − corr(x, c_x)²) is below this (default 25, i.e. corr < 0.98).

    Returns
    -------
    CopulaResult

    Notes
    -----
    Checked on data with a known answer (tests/test_endogeneity.py): an exponential
    regressor linked to the error by a Gaussian copula (ρ = 0.5) gives a significant
    copula term near ρσ and a corrected slope near the truth at N = 4000, while OLS is
    biased; an exogenous exponential regressor gives a copula term near 0; a normal
    regressor fails the precondition. Without copula terms the regressions reproduce
    the PLS path coefficients exactly (OLS on the scores).
    """
    if int(resamples) < 2:
        raise ValueError("resamples must be at least 2")
    if not 0 < ci_level < 1:
        raise ValueError("ci_level must lie between 0 and 1")
    controls = list(controls)
    frame, needed = _complete_scores(data, equations)
    n = len(frame)
    cand = _candidates(equations, candidates, controls)
    copula_vars = sorted({x for c in cand.values() for x in c}, key=needed.index)
    control_vars = [w for w in controls if any(w in ps for ps in equations.values())]

    if seed is None:
        seed = int(cast(int, np.random.SeedSequence().entropy))  # fresh entropy from the OS is an int
    rng = generator(seed, "bootstrap", "copula")
    idx = rng.integers(0, n, size=(int(resamples), n))
    values = {v: frame[v].to_numpy(dtype=float) for v in needed}
    transformed = set(copula_vars) | set(control_vars)
    scores = _Scores(
        n=n, idx=idx, values=values, cop_point={v: copula_term(values[v]) for v in transformed},
        cop_boot={v: copula_terms_resampled(values[v], idx) for v in transformed},
    )  # fmt: skip

    normality = (
        normality_tests(frame, copula_vars, alpha=alpha, mc_samples=normality_mc_samples, seed=seed)
        if copula_vars
        else pd.DataFrame(columns=NORMALITY_COLUMNS)
    )
    non_normal = dict(zip(normality["variable"], normality["non_normal"]))
    pre = preconditions(normality, max_vif=max_vif) if len(normality) else pd.DataFrame(columns=PRECONDITION_COLUMNS)

    coef_rows: list[dict] = []
    term_rows: list[dict] = []
    for target, preds in equations.items():
        eq_controls = [w for w in preds if w in control_vars]
        use_resid = residualize and bool(eq_controls)
        uncorrected: dict[str, float] = {}
        for combo, est, se, lo, hi, t, p, nv in _equation_regressions(scores, target, list(preds), cand[target], eq_controls if use_resid else [], ci_level):
            rows = _coefficient_rows(target, list(preds), combo, control_vars, est, se, lo, hi, t, p, nv, ci_level)
            coef_rows.extend(rows)
            stat = {rec["term"]: rec for rec in rows}
            if not combo:
                uncorrected = {x: stat[x]["estimate"] for x in preds}
                continue
            term_rows.extend(_term_rows(target, combo, stat, uncorrected, non_normal, pre, nv, ci_level, alpha))
    terms = pd.DataFrame(term_rows, columns=TERM_COLUMNS)
    return _result(
        terms, pd.DataFrame(coef_rows), normality, pre, non_normal, n=n, resamples=int(resamples), seed=seed, ci_level=ci_level,
        alpha=alpha, residualize=residualize, controls=bool(control_vars), max_vif=max_vif,
    )  # fmt: skip


# ---- the steps of copula_test ----------------------------------------------------------------------
def _complete_scores(data: pd.DataFrame, equations: Mapping[str, Sequence[str]]) -> tuple[pd.DataFrame, list[str]]:
    """(the variables of the equations as numbers, their names sorted); refuses absent, missing or too few values."""
    needed = sorted({t for t in equations} | {p for ps in equations.values() for p in ps}, key=str)
    absent = [v for v in needed if v not in data.columns]
    if absent:
        raise DataError(f"copula test: variable(s) not in the data: {', '.join(absent)}")
    frame = data[needed].apply(pd.to_numeric, errors="coerce")
    if frame.isna().any().any():
        bad = [c for c in needed if frame[c].isna().any()]
        raise DataError(f"copula test: missing or non-numeric values in {', '.join(bad)}; the copula needs complete scores")
    n = len(frame)
    if n < 10:
        raise DataError(f"copula test: only {n} cases; at least 10 are needed")
    return frame, needed


def _candidates(equations: Mapping[str, Sequence[str]], candidates: Mapping[str, Sequence[str]] | None, controls: list[str]) -> dict[str, list[str]]:
    """Target -> the predictors that get copula terms (given, or every predictor that is no control and no interaction)."""
    cand: dict[str, list[str]] = {}
    for target, preds in equations.items():
        if candidates is not None and target in candidates:
            c = list(candidates[target])
            wrong = [x for x in c if x not in preds]
            if wrong:
                raise SpecError(f"copula test: {', '.join(wrong)} are not predictors of {target}")
        else:
            c = [x for x in preds if x not in controls and ":" not in x]
        cand[target] = c
    return cand


@dataclass(frozen=True)
class _Scores:
    """The scores of the sample and of the bootstrap resamples, with their copula terms."""

    n: int
    idx: np.ndarray  # (B, n) row indices of the resamples
    values: dict  # variable -> scores (n,)
    cop_point: dict  # variable -> copula term (n,)
    cop_boot: dict  # variable -> copula terms of the resamples (B, n)


def _equation_regressions(scores: _Scores, target: str, preds: list[str], cand: list[str], resid_on: list[str], ci_level: float):
    """For the regression without copula terms and each combination of copula terms of ``cand``: (combination,
    estimates, std_error, ci_lower, ci_upper, t_value, p_value, valid resamples), coefficients in the order
    intercept, ``preds``, copula terms. Copula terms are residualised on the copula transforms of ``resid_on``."""
    n, idx, values = scores.n, scores.idx, scores.values
    y, yb = values[target], values[target][idx]
    base = np.column_stack([np.ones(n)] + [values[p] for p in preds])
    base_b = np.concatenate([np.ones((len(idx), n, 1))] + [values[p][idx][..., None] for p in preds], axis=2)
    Wp = np.column_stack([scores.cop_point[w] for w in resid_on]) if resid_on else None
    Wb = np.stack([scores.cop_boot[w] for w in resid_on], axis=-1) if resid_on else None
    level_lo, level_hi = (1 - ci_level) / 2, 1 - (1 - ci_level) / 2
    combos: list[tuple[str, ...]] = [()] + [s for k in range(1, len(cand) + 1) for s in combinations(cand, k)]
    for combo in combos:
        cp = [scores.cop_point[x] for x in combo]
        cb = [scores.cop_boot[x] for x in combo]
        if Wp is not None and Wb is not None:
            cp = [_residualize(c, Wp) for c in cp]
            cb = [_residualize(c, Wb) for c in cb]
        D = np.column_stack([base] + cp) if combo else base
        Db = np.concatenate([base_b] + [c[..., None] for c in cb], axis=2) if combo else base_b
        est = _ols(D, y)
        draws = _ols(Db, yb)
        valid = np.isfinite(draws).all(axis=1)
        draws = draws[valid]
        nv = int(valid.sum())
        if nv >= 2:
            se = draws.std(axis=0, ddof=1)
            lo, hi = np.quantile(draws, [level_lo, level_hi], axis=0, method="linear")
        else:
            se = lo = hi = np.full(est.shape, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = est / se
        p = 2 * stats.t.sf(np.abs(t), df=n - 1)
        yield combo, est, se, lo, hi, t, p, nv


def _coefficient_rows(target, preds, combo, control_vars, est, se, lo, hi, t, p, nv, ci_level) -> list[dict]:
    """The rows of :attr:`CopulaResult.coefficients` of one regression, one per term."""
    names = ["(intercept)"] + preds + [f"copula({x})" for x in combo]
    roles = ["intercept"] + [
        "control" if x in control_vars else ("interaction" if ":" in x else "predictor") for x in preds
    ] + ["copula"] * len(combo)
    label = "+".join(combo) if combo else "none"
    rows = []
    for j, (name, role) in enumerate(zip(names, roles)):
        rows.append({
            "target": target,
            "combination": label,
            "term": name,
            "role": role,
            "estimate": float(est[j]),
            "std_error": float(se[j]),
            "t_value": float(t[j]),
            "p_value": float(p[j]),
            "ci_lower": float(lo[j]),
            "ci_upper": float(hi[j]),
            "ci_level": ci_level,
            "n_resamples": nv,
        })
    return rows


def _term_rows(target, combo, stat, uncorrected, non_normal, pre: pd.DataFrame, nv, ci_level, alpha) -> list[dict]:
    """Rows of :attr:`CopulaResult.terms` of one regression with copula terms."""
    corr = dict(zip(pre["variable"], pre["corr_copula_term"].to_numpy(dtype=float)))
    vif = dict(zip(pre["variable"], pre["vif_copula_term"].to_numpy(dtype=float)))
    met = dict(zip(pre["variable"], pre["preconditions_met"].to_numpy(dtype=bool)))
    rows = []
    for x in combo:
        c, s = stat[f"copula({x})"], stat[x]
        rows.append(
            {
                "target": target,
                "combination": "+".join(combo),
                "predictor": x,
                "estimate": c["estimate"],
                "std_error": c["std_error"],
                "t_value": c["t_value"],
                "p_value": c["p_value"],
                "ci_lower": c["ci_lower"],
                "ci_upper": c["ci_upper"],
                "ci_level": ci_level,
                "significant": bool(c["p_value"] < alpha),
                "corrected_estimate": s["estimate"],
                "corrected_std_error": s["std_error"],
                "corrected_ci_lower": s["ci_lower"],
                "corrected_ci_upper": s["ci_upper"],
                "uncorrected_estimate": uncorrected[x],
                "non_normal": bool(non_normal.get(x, False)),
                "n_resamples": nv,
                "specification": "single" if len(combo) == 1 else "joint",
                "corr_copula_term": float(corr[x]),
                "vif_copula_term": float(vif[x]),
                "preconditions_met": bool(met[x]),
                "counted": bool(met[x]),
            }
        )
    return rows


def _summary(terms: pd.DataFrame) -> pd.DataFrame:
    """:attr:`CopulaResult.summary`: per equation and combination, the terms counted and significant."""
    rows = []
    for (target, combo), g in terms.groupby(["target", "combination"], sort=False):
        counted = g["counted"].astype(bool)
        sig = g["significant"].astype(bool)
        rows.append(
            {
                "target": target, "combination": combo, "specification": g["specification"].iloc[0], "n_terms": len(g),
                "n_counted": int(counted.sum()), "n_significant_counted": int((counted & sig).sum()),
                "n_significant_not_counted": int((~counted & sig).sum()),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _result(terms, coefficients, normality, pre, non_normal, *, n, resamples, seed, ci_level, alpha, residualize, controls, max_vif) -> CopulaResult:
    """The :class:`CopulaResult`: the tables, whether any term counts, and the note."""
    near_normal = [v for v, nn in non_normal.items() if not nn]
    collinear = [str(v) for v in pre.loc[~pre["identified"].astype(bool), "variable"]] if len(pre) else []
    informative = bool(terms["counted"].any()) if len(terms) else False
    counts = (len(terms), int(terms["counted"].sum()), int((terms["counted"] & terms["significant"]).sum())) if len(terms) else None
    return CopulaResult(
        terms=terms,
        coefficients=coefficients,
        normality=normality,
        preconditions=pre,
        summary=_summary(terms),
        informative=informative,
        note=copula_note(
            n, near_normal=near_normal, residualize=residualize, controls=controls, collinear=collinear,
            informative=informative if len(terms) else None, counts=counts, max_vif=max_vif,
        ),  # fmt: skip
        n=n,
        resamples=resamples,
        seed=seed,
        ci_level=ci_level,
        alpha=alpha,
        residualize=residualize,
    )


def gaussian_copula(result, *, controls: Sequence[str] | None = None, **options) -> CopulaResult:
    """Gaussian copula test of every structural equation of a fitted PLS model.

    Runs :func:`copula_test` on ``result.scores`` (the construct scores, interaction
    terms included as the products the engine used) with one equation per endogenous
    construct and its predictors from the model.

    Parameters
    ----------
    result : leanlearn.pls.engine.PLSResult
    controls : sequence of str, optional
        Predictors treated as controls. Default: the model's observed variables (single
        observed columns named in a structural equation, e.g. ``log_employees``).
    **options
        Keyword options of :func:`copula_test` (residualize, resamples, seed, ci_level,
        alpha, candidates, normality_mc_samples, max_vif).

    Notes
    -----
    The regressions use the composite scores. With PLSc the path coefficients are
    disattenuated but the scores are not, so the "none" regressions then differ from
    the reported paths; the copula test itself is about the scores either way.
    """
    spec = result.spec
    if controls is None:
        controls = [c.name for c in spec.constructs if c.kind == "observed"]
    equations = {t: list(spec.predecessors(t)) for t in spec.endogenous}
    return copula_test(result.scores, equations, controls=controls, **options)
