r"""FIMIX-PLS: finite mixture segmentation of the structural model on construct scores.

Hahn, Johnson, Herrmann & Huber (2002), "Capturing customer heterogeneity using a finite
mixture PLS approach", *Schmalenbach Business Review* 54(3), 243–269; Sarstedt, Becker,
Ringle & Schwaiger (2011), "Uncovering and treating unobserved heterogeneity with
FIMIX-PLS: which model selection criterion provides an appropriate number of segments?",
*Schmalenbach Business Review* 63(1), 34–62; Hair, Sarstedt, Ringle & Gudergan (2018),
*Advanced Issues in Partial Least Squares Structural Equation Modeling*, ch. 5.

FIMIX-PLS asks whether the cases come from K latent segments whose *structural* models
differ (different path coefficients), although nothing observed tells them apart. It
identifies *unobserved* heterogeneity only: a segment is a statistical pattern, and before
anything is concluded it must be explained by observed variables (industry, size, country)
and then analysed by a multigroup comparison on those variables (Hair et al. 2018, ch. 5).

Model
-----
The measurement model is estimated once on all cases (the global PLS model); its construct
scores (standardised) are the data. Write the inner model as
:math:`B\eta_i = \Gamma\xi_i + \zeta_i` with :math:`\eta_i` the Q endogenous and
:math:`\xi_i` the exogenous scores of case i. In segment k (prior share :math:`\rho_k`,
:math:`\sum_k \rho_k = 1`) the coefficients are :math:`B_k, \Gamma_k` and the residuals
:math:`\zeta_i \sim N(0, \Psi_k)` with :math:`\Psi_k` diagonal (one residual variance
:math:`\psi_{jk}` per endogenous construct). The density of :math:`\eta_i` given
:math:`\xi_i` in segment k is (Hahn et al. 2002, eq. 5, with the Jacobian of the
transformation written out)

.. math:: f_{i|k} = |\det B_k|\,(2\pi)^{-Q/2} |\Psi_k|^{-1/2}
          \exp\bigl(-\tfrac12 (B_k\eta_i - \Gamma_k\xi_i)^\top \Psi_k^{-1} (B_k\eta_i - \Gamma_k\xi_i)\bigr).

leanlearn's model syntax admits only recursive (acyclic) structural models: ordered
causally, :math:`B_k` is unit lower-triangular, :math:`\det B_k = 1`, and the density is the
product over the endogenous constructs j of univariate normal densities of their
structural residuals

.. math:: f_{i|k} = \prod_{j=1}^{Q} \phi\bigl(y_{ij};\ x_{ij}^\top\beta_{jk},\ \psi_{jk}\bigr),

where :math:`y_{ij}` is the score of endogenous construct j and :math:`x_{ij}` the scores of
its predictors (endogenous predictors included; interaction terms as the engine's
interaction scores). The mixture log-likelihood is
:math:`\ln L = \sum_i \ln \sum_k \rho_k f_{i|k}`. Following Hahn et al., the regressions
have no intercept (the scores are centred); ``intercepts=True`` adds one per segment and
equation (the mixture-regression form of DeSarbo & Cron 1988, which lets segments differ in
level as well).

EM algorithm
------------
From initial posteriors :math:`P_{ik}` (a random partition of the cases into K groups of
equal size per start), iterate

* M-step: :math:`\rho_k = \sum_i P_{ik}/N`; per equation and segment the weighted least
  squares :math:`\beta_{jk} = (X_j^\top W_k X_j)^{-1} X_j^\top W_k y_j`,
  :math:`W_k = \mathrm{diag}(P_{\cdot k})`, and
  :math:`\psi_{jk} = \sum_i P_{ik} (y_{ij} - x_{ij}^\top\beta_{jk})^2 / \sum_i P_{ik}`;
* E-step: :math:`P_{ik} = \rho_k f_{i|k} / \sum_l \rho_l f_{i|l}` (in logs);

until :math:`\ln L` changes by less than ``tolerance`` (or ``max_iterations``). A start is
discarded as degenerate when a segment's weight falls below the number of its
coefficients plus one, or a residual variance below :math:`10^{-10}` times the variance of
its construct (the likelihood is unbounded there). Of ``starts`` starts the one with the
largest :math:`\ln L` is kept. Segments are labelled 1..K by decreasing share (ties by
the last coefficient of the first equation), so relabelling the segments or reordering
the cases does not change the tables.

Information criteria
--------------------
With :math:`N_K` free parameters, :math:`N_K = (K - 1) + K(R + Q)` (K − 1 free shares, R
path coefficients over all equations and Q residual variances per segment; + KQ with
intercepts; Sarstedt et al. 2011) and N cases (smaller is better for all but EN):

=======  =========================================================
AIC      :math:`-2\ln L + 2N_K`                      (Akaike 1973)
AIC3     :math:`-2\ln L + 3N_K`                      (Bozdogan 1994)
AIC4     :math:`-2\ln L + 4N_K`                      (Bozdogan 1994)
BIC      :math:`-2\ln L + N_K\ln N`                  (Schwarz 1978)
CAIC     :math:`-2\ln L + N_K(\ln N + 1)`            (Bozdogan 1987)
HQ       :math:`-2\ln L + 2N_K\ln\ln N`              (Hannan & Quinn 1979)
MDL5     :math:`-2\ln L + 5N_K\ln N`                 (Liang, Jaszczak & Coleman 1992)
EN       :math:`1 - \sum_i\sum_k -P_{ik}\ln P_{ik} / (N\ln K)`  (Ramaswamy et al. 1993)
=======  =========================================================

EN (normed entropy) lies in [0, 1]; 1 means every case belongs to one segment with
certainty. It is undefined (NaN) for K = 1.

Segment retention (the rule of :func:`retained_segments`)
---------------------------------------------------------
Sarstedt et al. (2011) found in simulations that AIC overestimates and MDL5 underestimates
the number of segments; AIC3 and CAIC *together* pick the right number most often, and
AIC4 with BIC is the next best pair. The rule:

1. K* is the K where AIC3 and CAIC both are smallest; if they disagree, the K where AIC4
   and BIC both are smallest; if these disagree too, no K is retained (inconclusive).
2. Unobserved heterogeneity is indicated only if K* ≥ 2, EN(K*) ≥ 0.5 (segments well enough
   separated to interpret; Ringle, Wende & Will 2010; Hair et al. 2018) and every segment of
   K* has an expected size :math:`N\rho_k` of at least ``min_segment_size``.

The segment-specific :math:`R^2_{jk} = 1 - \psi_{jk}/s^2_{jk}`, :math:`s^2_{jk}` the
posterior-weighted variance of :math:`y_j` around its weighted mean in segment k (without
intercepts it may be below 0 when a segment's level differs much from the sample's).

Checked (tests/test_fimix.py) against: parameter recovery on simulated data with two
segments of known paths; K = 1 against ordinary least squares and the normal
log-likelihood computed directly; the criteria worked by hand; relabelling and case-order
invariance; and the EM of the seminrExtras Python port (``assess_fimix``, test-only) from the
same initial posteriors with intercepts (its MDL5 uses the penalty :math:`(N_K/2)\ln N`;
leanlearn uses Liang et al.'s factor 5, as SmartPLS reports it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.random import generator

__all__ = [
    "FIT_COLUMNS",
    "PATH_COLUMNS",
    "MEMBERSHIP_COLUMNS",
    "HETEROGENEITY_RULE",
    "FimixResult",
    "Equation",
    "model_equations",
    "information_criteria",
    "normed_entropy",
    "n_parameters",
    "em",
    "design",
    "fimix_scores",
    "retained_segments",
]

FIT_COLUMNS = [
    "segments", "n", "log_likelihood", "n_parameters", "aic", "aic3", "aic4", "bic", "caic", "hq", "mdl5",
    "entropy_en", "smallest_segment_share", "min_segment_size", "starts", "converged_starts", "iterations",
]  # fmt: skip
PATH_COLUMNS = [
    "segments",
    "segment",
    "segment_share",
    "n_assigned",
    "source",
    "target",
    "estimate",
    "r_squared",
    "residual_variance",
]
MEMBERSHIP_COLUMNS = ["segments", "case", "segment", "posterior"]

HETEROGENEITY_RULE = (
    "Segment retention (Sarstedt et al. 2011): K* is the number of segments where AIC3 and CAIC are both smallest, "
    "else where AIC4 and BIC are both smallest, else none (inconclusive). Unobserved heterogeneity is indicated "
    "only if K* >= 2, the normed entropy EN(K*) >= 0.5 and every segment of K* has an expected size of at least "
    "the minimum segment size. FIMIX segments are unobserved: they must be explained by observed variables "
    "before anything is concluded from them."
)

ENTROPY_MIN = 0.5
INTERCEPT = "(intercept)"
_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Equation:
    """One structural regression: an endogenous construct on its predictors."""

    target: str
    predictors: tuple[str, ...]


@dataclass
class FimixResult:
    """Tables of a FIMIX-PLS run (columns in :data:`FIT_COLUMNS`, :data:`PATH_COLUMNS`, :data:`MEMBERSHIP_COLUMNS`).

    ``retained`` is K* of :func:`retained_segments` (None when inconclusive), ``criterion``
    the pair that chose it, ``heterogeneity`` whether the rule indicates unobserved
    heterogeneity.
    """

    fit: pd.DataFrame
    paths: pd.DataFrame
    membership: pd.DataFrame
    retained: int | None
    criterion: str
    heterogeneity: bool
    min_segment_size: int


def model_equations(spec) -> list[Equation]:
    """The structural regressions of a model, one per endogenous construct, in the model's order."""
    out = []
    for target in spec.endogenous:
        preds = tuple(p.source for p in spec.paths if p.target == target)
        out.append(Equation(target, preds))
    return out


def n_parameters(equations: Sequence[Equation], segments: int, *, intercepts: bool = False) -> int:
    r""":math:`N_K = (K-1) + K(R + Q)` (+ KQ with intercepts), Sarstedt et al. (2011)."""
    r = sum(len(e.predictors) for e in equations)
    q = len(equations)
    return (segments - 1) + segments * (r + q + (q if intercepts else 0))


def normed_entropy(posterior: np.ndarray) -> float:
    r"""EN :math:`= 1 - \sum_i\sum_k -P_{ik}\ln P_{ik}/(N\ln K)` (0 ln 0 = 0); NaN for K = 1."""
    p = np.asarray(posterior, dtype=float)
    n, k = p.shape
    if k < 2:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return float(1.0 + terms.sum() / (n * math.log(k)))


def information_criteria(log_likelihood: float, parameters: int, n: int) -> dict[str, float]:
    """AIC, AIC3, AIC4, BIC, CAIC, HQ and MDL5 of a fit (formulas in the module docstring)."""
    d = -2.0 * log_likelihood
    q = float(parameters)
    ln = math.log(n)
    return {
        "aic": d + 2 * q,
        "aic3": d + 3 * q,
        "aic4": d + 4 * q,
        "bic": d + q * ln,
        "caic": d + q * (ln + 1),
        "hq": d + 2 * q * math.log(ln),
        "mdl5": d + 5 * q * ln,
    }


@dataclass
class _Fit:
    log_likelihood: float
    iterations: int
    converged: bool
    shares: np.ndarray  # (K,)
    coefficients: list[np.ndarray]  # per equation (K, p_j)
    variances: np.ndarray  # (Q, K)
    posterior: np.ndarray  # (N, K)


def em(ys: Sequence[np.ndarray], xs: Sequence[np.ndarray], posterior: np.ndarray, *,
       max_iterations: int = 5000, tolerance: float = 1e-8) -> _Fit | None:  # fmt: skip
    """EM of the mixture of the structural regressions from initial posteriors (M-step first).

    ``ys``: one (N,) outcome per equation; ``xs``: its (N, p_j) predictor matrix (a column of
    ones for an intercept); ``posterior``: (N, K) initial membership probabilities (rows sum
    to 1). Returns None for a degenerate start (see the module docstring).
    """
    post = np.asarray(posterior, dtype=float)
    n, k = post.shape
    floors = [1e-10 * max(float(np.var(y)), 1e-300) for y in ys]
    lnl_old = -math.inf
    fit = None
    for it in range(1, max_iterations + 1):
        weight = post.sum(axis=0)
        if any(weight.min() < x.shape[1] + 1 for x in xs):
            return None
        shares = weight / n
        logd = np.broadcast_to(np.log(shares), (n, k)).copy()
        coefs, variances = [], np.empty((len(ys), k))
        for j, (y, x) in enumerate(zip(ys, xs)):
            xw = post.T[:, :, None] * x[None, :, :]  # (K, N, p)
            xtwx = np.matmul(xw.transpose(0, 2, 1), x)
            xtwy = np.matmul(xw.transpose(0, 2, 1), y)
            try:
                beta = np.linalg.solve(xtwx, xtwy[:, :, None])[:, :, 0]  # (K, p)
            except np.linalg.LinAlgError:
                return None
            resid = y[:, None] - x @ beta.T  # (N, K)
            psi = (post * resid**2).sum(axis=0) / weight
            if not np.all(np.isfinite(beta)) or np.any(psi < floors[j]):
                return None
            coefs.append(beta)
            variances[j] = psi
            logd -= 0.5 * (_LOG_2PI + np.log(psi) + resid**2 / psi)
        top = logd.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(logd - top).sum(axis=1))
        post = np.exp(logd - lse[:, None])
        lnl = float(lse.sum())
        converged = abs(lnl - lnl_old) < tolerance
        fit = _Fit(lnl, it, converged, shares, coefs, variances, post)
        if converged:
            break
        lnl_old = lnl
    return fit


def design(scores: pd.DataFrame, equations: Sequence[Equation], intercepts: bool = False):
    """(ys, xs) for :func:`em`: each equation's outcome and predictor matrix (first column ones with intercepts)."""
    ys, xs = [], []
    n = len(scores)
    for e in equations:
        ys.append(scores[e.target].to_numpy(dtype=float))
        cols = [scores[p].to_numpy(dtype=float) for p in e.predictors]
        if intercepts:
            cols = [np.ones(n)] + cols
        xs.append(np.column_stack(cols) if cols else np.empty((n, 0)))
    return ys, xs


def _random_partition(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Hard initial posteriors: the cases in a random order assigned to segments 1..K in turn."""
    post = np.zeros((n, k))
    post[rng.permutation(n), np.arange(n) % k] = 1.0
    return post


def _relabel(fit: _Fit) -> _Fit:
    """Order segments by decreasing share, ties by the last coefficient of the first equation (decreasing)."""
    first = fit.coefficients[0][:, -1] if fit.coefficients[0].shape[1] else np.zeros(len(fit.shares))
    order = np.lexsort((-first, -np.round(fit.shares, 12)))
    return _Fit(fit.log_likelihood, fit.iterations, fit.converged, fit.shares[order],
                [c[order] for c in fit.coefficients], fit.variances[:, order], fit.posterior[:, order])  # fmt: skip


def _fit_segments(ys, xs, k, *, starts, seed, max_iterations, tolerance):
    n = len(ys[0])
    best, converged, iterations = None, 0, 0
    for s in range(starts if k > 1 else 1):
        post0 = np.ones((n, 1)) if k == 1 else _random_partition(n, k, generator(seed, "permutation", "fimix", k, s))
        f = em(ys, xs, post0, max_iterations=max_iterations, tolerance=tolerance)
        if f is None:
            continue
        converged += int(f.converged)
        if best is None or f.log_likelihood > best.log_likelihood + 1e-9:
            best, iterations = f, f.iterations
    return (None if best is None else _relabel(best)), converged, iterations


def retained_segments(fit: pd.DataFrame, min_segment_size: int) -> tuple[int | None, str, bool]:
    """(K*, the criteria that chose it, heterogeneity indicated) by the rule of :data:`HETEROGENEITY_RULE`."""
    f = fit.set_index("segments")
    ks = fit.segments.to_numpy()
    best = {c: int(ks[int(np.argmin(fit[c].to_numpy()))]) for c in ("aic3", "caic", "aic4", "bic")}
    if best["aic3"] == best["caic"]:
        k, how = best["aic3"], "AIC3 and CAIC"
    elif best["aic4"] == best["bic"]:
        k, how = best["aic4"], "AIC4 and BIC"
    else:
        return None, "none (AIC3/CAIC and AIC4/BIC disagree)", False
    row = f.loc[k]
    het = bool(k >= 2 and row.entropy_en >= ENTROPY_MIN and row.smallest_segment_share * row.n >= min_segment_size - 1e-9)
    return k, how, het


def fimix_scores(
    scores: pd.DataFrame,
    equations: Sequence[Equation],
    *,
    max_segments: int | None = None,
    min_segment_size: int = 30,
    starts: int = 10,
    seed: int = 0,
    max_iterations: int = 5000,
    tolerance: float = 1e-8,
    intercepts: bool = False,
    cases: Sequence[int] | None = None,
) -> FimixResult:
    """FIMIX-PLS for K = 1..max_segments on construct scores.

    Parameters
    ----------
    scores
        Construct scores (columns named as the constructs and interaction terms), complete.
    equations
        The structural regressions (:func:`model_equations`).
    max_segments
        Largest K; default ``min(4, N // min_segment_size)``. A K with
        ``N / K < min_segment_size`` is refused (:class:`~leanlearn.errors.DataError`).
    min_segment_size
        Smallest segment size worth interpreting (cases); also part of the retention rule.
        At least the largest number of coefficients of an equation plus 2.
    starts, seed
        Random starts per K ≥ 2; start s of K draws its partition from
        ``leanlearn.random.generator(seed, "permutation", "fimix", K, s)``.
    max_iterations, tolerance
        EM stops when ln L changes by less than ``tolerance``.
    intercepts
        Add a segment-specific intercept to every regression.
    cases
        Case labels of the rows for the membership table (default 1..N).

    Returns
    -------
    FimixResult
        ``fit`` (one row per K), ``paths`` (one row per K, segment and path; with intercepts
        also rows with source ``(intercept)``), ``membership`` (posterior probability of every
        case and segment for every K) and the verdict of :func:`retained_segments`.
    """
    if not equations:
        raise DataError("FIMIX-PLS needs a structural model with at least one endogenous construct")
    needed = sorted({e.target for e in equations} | {p for e in equations for p in e.predictors})
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise DataError(f"FIMIX-PLS: no scores for {', '.join(missing)}")
    sc = scores[needed].astype(float)
    if not np.isfinite(sc.to_numpy()).all():
        raise DataError("FIMIX-PLS needs complete, finite construct scores (no missing values)")
    n = len(sc)
    width = max(len(e.predictors) + int(intercepts) for e in equations)
    if starts < 1:
        raise ValueError(f"starts must be at least 1, got {starts}")
    if min_segment_size < width + 2:
        raise DataError(
            f"the minimum segment size must be at least {width + 2} (the largest regression has {width} coefficients); got {min_segment_size}"
        )
    feasible = n // min_segment_size
    if feasible < 1:
        raise DataError(f"FIMIX-PLS: {n} cases are fewer than the minimum segment size {min_segment_size}")
    if max_segments is None:
        max_segments = min(4, feasible)
    elif max_segments < 1:
        raise DataError(f"the largest number of segments must be 1 or more, got {max_segments}")
    elif max_segments > feasible:
        raise DataError(
            f"FIMIX-PLS: {max_segments} segments of at least {min_segment_size} cases need {max_segments * min_segment_size} cases, "
            f"but there are {n}; use at most {feasible} segments or a smaller minimum segment size"
        )
    ys, xs = design(sc, equations, intercepts)
    labels = np.arange(1, n + 1) if cases is None else np.asarray(cases)
    fit_rows, path_rows, member = [], [], []
    for k in range(1, max_segments + 1):
        best, converged, iterations = _fit_segments(
            ys, xs, k, starts=starts, seed=seed, max_iterations=max_iterations, tolerance=tolerance
        )
        if best is None:
            raise DataError(
                f"FIMIX-PLS: every start for {k} segments was degenerate (a segment emptied or fitted perfectly); use fewer segments"
            )
        q = n_parameters(equations, k, intercepts=intercepts)
        fit_rows.append({
            "segments": k, "n": n, "log_likelihood": best.log_likelihood, "n_parameters": q,
            **information_criteria(best.log_likelihood, q, n),
            "entropy_en": normed_entropy(best.posterior), "smallest_segment_share": float(best.shares.min()),
            "min_segment_size": min_segment_size,
            "starts": starts if k > 1 else 1, "converged_starts": converged, "iterations": iterations,
        })  # fmt: skip
        assigned = np.bincount(best.posterior.argmax(axis=1), minlength=k)
        for j, e in enumerate(equations):
            y, post = ys[j], best.posterior
            for s in range(k):
                w = post[:, s]
                mean = (w * y).sum() / w.sum()
                spread = (w * (y - mean) ** 2).sum() / w.sum()
                psi = best.variances[j, s]
                r2 = 1.0 - psi / spread
                names = ((INTERCEPT,) if intercepts else ()) + e.predictors
                for name, b in zip(names, best.coefficients[j][s]):
                    path_rows.append({
                        "segments": k, "segment": s + 1, "segment_share": float(best.shares[s]), "n_assigned": int(assigned[s]),
                        "source": name, "target": e.target, "estimate": float(b), "r_squared": float(r2), "residual_variance": float(psi),
                    })  # fmt: skip
        member.append(pd.DataFrame({
            "segments": k, "case": np.repeat(labels, k), "segment": np.tile(np.arange(1, k + 1), n),
            "posterior": best.posterior.reshape(-1),
        }))  # fmt: skip
    fit = pd.DataFrame(fit_rows, columns=FIT_COLUMNS)
    paths = pd.DataFrame(path_rows, columns=PATH_COLUMNS)
    membership = pd.concat(member, ignore_index=True)[MEMBERSHIP_COLUMNS]
    k_star, how, het = retained_segments(fit, min_segment_size)
    return FimixResult(fit, paths, membership, k_star, how, het, min_segment_size)
