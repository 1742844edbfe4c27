"""Regression-based cross-check of first-stage moderated mediation (Hayes PROCESS model 7).

The PLS structural equations of a moderated chain X -> M -> Y (W moderating X -> M) are
re-fitted by OLS (statsmodels) on the PLS construct scores, with the interaction entered
as the product of the mean-centred scores of X and W, as PROCESS does on observed
variables (Hayes 2018, model 7):

.. math::
    M &= i_M + a_1 X + a_2 W + a_3 XW + \\dots + e_M \\\\
    Y &= i_Y + c' X + b M + \\dots + e_Y

with every other predictor of M and Y in the PLS model (e.g. W -> Y, controls) kept. The
conditional indirect effect is :math:`(a_1 + a_3 w) b` and the index of moderated
mediation :math:`a_3 b` (Hayes 2015). Intervals come from its own case bootstrap
(percentile, seeded).

Why the two can differ: the regression treats the construct scores as fixed observed
variables, so its bootstrap ignores the uncertainty of the PLS weights (its intervals
tend to be a little narrower); the PLS two-stage interaction term is built from the
*stage-1* scores while the regression uses the final scores; and PLS rescales the
interaction term (seminr's convention) while the regression uses the raw centred
product. Agreement in sign and significance is what the check asks for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from leanlearn.extras import require
from leanlearn.pls.bootstrap import percentile_interval
from leanlearn.random import generator

__all__ = ["model7_equations", "process_model7", "agreement"]


def model7_equations(result, chain) -> dict:
    """Predictors of M and Y for a first-stage moderated chain of a fitted PLS model."""
    if len(chain.chain.nodes) != 3 or chain.n_moderated != 1 or chain.links[0][2] is None:
        raise ValueError("PROCESS model 7 needs a chain X -> M -> Y moderated on its first link only")
    names = list(result.constructs)
    x, m, y = (names[i] for i in chain.chain.nodes)
    inter = names[chain.links[0][2]]
    spec = result.spec
    return {
        "x": x,
        "w": chain.moderator,
        "m": m,
        "y": y,
        "interaction": inter,
        "m_predictors": [p for p in spec.predecessors(m)],
        "y_predictors": [p for p in spec.predecessors(y)],
    }


def _design(scores: pd.DataFrame, predictors: list[str], eq: dict) -> tuple[np.ndarray, list[str]]:
    cols, names = [np.ones(len(scores))], ["const"]
    xc = scores[eq["x"]] - scores[eq["x"]].mean()
    wc = scores[eq["w"]] - scores[eq["w"]].mean()
    for p in predictors:
        if p == eq["interaction"]:
            cols.append((xc * wc).to_numpy())
            names.append(f"{eq['x']}x{eq['w']}")
        else:
            cols.append(scores[p].to_numpy(dtype=float))
            names.append(p)
    return np.column_stack(cols), names


def _weighted_moments(counts: np.ndarray, A: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_i c_bi a_i a_iᵀ (B, p, p) and Σ_i c_bi a_i y_i (B, p) for every resample b.

    One matrix product of the draw counts (B, n) with the per-case cross-products, instead
    of weighting a (B, n, p) copy of the design.
    """
    n, k = A.shape
    M = (counts @ (A[:, :, None] * A[:, None, :]).reshape(n, k * k)).reshape(-1, k, k)
    return M, counts @ (A * y[:, None])


def _boot_ols(X: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """OLS of y on X in every resample, from the draw counts (B, n): solve (XᵀCX) b = XᵀCy."""
    XtX, Xty = _weighted_moments(counts, X, y)
    return np.linalg.solve(XtX, Xty[..., None])[..., 0]


def _draw_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each case is drawn in each resample: (B, n) floats from row indices (B, n)."""
    B = idx.shape[0]
    flat = (idx + (np.arange(B) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype(float)


def process_model7(
    scores: pd.DataFrame,
    eq: dict,
    *,
    resamples: int = 5000,
    seed: int | None = None,
    ci_level: float = 0.95,
    probe_values=(-1.0, 0.0, 1.0),
) -> pd.DataFrame:
    """Fit the model-7 equations by OLS and bootstrap the indirect effects.

    Parameters
    ----------
    scores : DataFrame
        Construct scores (one column per construct, standardised as PLS gives them).
    eq : dict
        From :func:`model7_equations`.

    Returns
    -------
    DataFrame with columns quantity, estimate, std_error (OLS for coefficients, bootstrap
    SD for products), ci_lower, ci_upper (bootstrap percentile), ci_level, p_value (OLS
    t-test for coefficients; NaN for products). Quantities: a1 (X -> M), a3 (XW -> M),
    b (M -> Y), c_prime (X -> Y), index (a3·b), and the conditional indirect effect at
    each probe value of W (in SD units of W's score).
    """
    sd_w = scores[eq["w"]].std(ddof=1)
    Xm, names_m = _design(scores, eq["m_predictors"], eq)
    Xy, names_y = _design(scores, eq["y_predictors"], eq)
    ym = scores[eq["m"]].to_numpy(dtype=float)
    yy = scores[eq["y"]].to_numpy(dtype=float)
    sm = require("statsmodels.api", "the PROCESS cross-check")
    fit_m = sm.OLS(ym, Xm).fit()
    fit_y = sm.OLS(yy, Xy).fit()
    ia1, ia3 = names_m.index(eq["x"]), names_m.index(f"{eq['x']}x{eq['w']}")
    ib, ic = names_y.index(eq["m"]), (names_y.index(eq["x"]) if eq["x"] in names_y else None)

    n = len(scores)
    rng = generator(seed, "bootstrap", "process")
    counts = _draw_counts(rng.integers(0, n, size=(resamples, n)), n)
    # the centring of X and W is repeated inside every resample, as PROCESS does
    draws_y = _boot_ols(Xy, yy, counts)
    x = scores[eq["x"]].to_numpy(dtype=float)
    w = scores[eq["w"]].to_numpy(dtype=float)
    pos = eq["m_predictors"].index(eq["interaction"]) + 1
    N = counts.sum(axis=1)
    xb = (counts @ x) / N
    wb = (counts @ w) / N
    # the product column of resample b, (x - x̄_b)(w - w̄_b) = xw - w̄_b x - x̄_b w + x̄_b w̄_b,
    # is linear in a_i = (Xm_i, x_i w_i, x_i, w_i) (Xm's first column is the constant): the
    # design of resample b is L_b a_i, so its moments are L_b (Σ c_bi a_i a_iᵀ) L_bᵀ
    k = Xm.shape[1]
    A = np.column_stack([Xm, x * w, x, w])
    L = np.zeros((resamples, k, k + 3))
    L[:, np.arange(k), np.arange(k)] = 1.0
    L[:, pos, pos] = 0.0
    L[:, pos, k] = 1.0
    L[:, pos, k + 1] = -wb
    L[:, pos, k + 2] = -xb
    L[:, pos, 0] = xb * wb
    M, My = _weighted_moments(counts, A, ym)
    XtX = L @ M @ L.transpose(0, 2, 1)
    Xty = (L @ My[..., None])[..., 0]
    draws_m = np.linalg.solve(XtX, Xty[..., None])[..., 0]

    probe = np.asarray(probe_values, dtype=float) * sd_w
    rows = []

    def coef(label, fit, j, draws):
        lo, hi = percentile_interval(draws[:, [j]], ci_level)
        rows.append((label, fit.params[j], fit.bse[j], lo[0], hi[0], ci_level, fit.pvalues[j]))

    coef("a1", fit_m, ia1, draws_m)
    coef("a3", fit_m, ia3, draws_m)
    coef("b", fit_y, ib, draws_y)
    if ic is not None:
        coef("c_prime", fit_y, ic, draws_y)

    def product(label, est, draws):
        lo, hi = percentile_interval(draws[:, None], ci_level)
        rows.append((label, est, draws.std(ddof=1), lo[0], hi[0], ci_level, np.nan))

    a1, a3, b = fit_m.params[ia1], fit_m.params[ia3], fit_y.params[ib]
    product("index", a3 * b, draws_m[:, ia3] * draws_y[:, ib])
    for v, wv in zip(probe_values, probe):
        product(f"conditional_indirect_{v:+g}", (a1 + a3 * wv) * b, (draws_m[:, ia1] + draws_m[:, ia3] * wv) * draws_y[:, ib])
    return pd.DataFrame(rows, columns=["quantity", "estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value"])


def agreement(process: pd.DataFrame, pls: pd.DataFrame) -> pd.DataFrame:
    """Compare the regression check with the PLS results quantity by quantity.

    ``pls`` has columns quantity, estimate, ci_lower, ci_upper. Returns quantity,
    pls_estimate, pls_ci_lower, pls_ci_upper, pls_significant, process_estimate,
    process_ci_lower, process_ci_upper, process_significant, same_sign,
    same_significance.
    """
    m = pls.merge(process, on="quantity", suffixes=("_pls", "_process"))
    sig = lambda lo, hi: (lo > 0) | (hi < 0)  # noqa: E731
    out = pd.DataFrame(
        {
            "quantity": m.quantity,
            "pls_estimate": m.estimate_pls,
            "pls_ci_lower": m.ci_lower_pls,
            "pls_ci_upper": m.ci_upper_pls,
            "pls_significant": sig(m.ci_lower_pls, m.ci_upper_pls),
            "process_estimate": m.estimate_process,
            "process_ci_lower": m.ci_lower_process,
            "process_ci_upper": m.ci_upper_process,
            "process_significant": sig(m.ci_lower_process, m.ci_upper_process),
        }
    )
    out["same_sign"] = np.sign(out.pls_estimate) == np.sign(out.process_estimate)
    out["same_significance"] = out.pls_significant == out.process_significant
    return out
