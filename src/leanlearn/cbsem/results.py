"""The result of a CB-SEM / CFA fit (:class:`SEMResult`) and how it is assembled from the fitted matrices.

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leanlearn.cbsem.delta import _delta_se, _implied, _z_p
from leanlearn.cbsem.fitting import _Fitted
from leanlearn.cbsem.indices import fit_indices
from leanlearn.cbsem.syntax import _Layout
from leanlearn.spec.model import ModelSpec

INTERACTION_NOTE = (
    "CB-SEM interaction X:Z approximated by the centred product of standardised factor scores "
    "of X and Z from the CFA, entered as an observed variable; not latent moderated structural "
    "equations (LMS); measurement error of the scores is ignored, so the interaction path is "
    "biased toward zero and its standard error is too small"
)

LOADING_COLUMNS = [
    "construct", "indicator", "estimate", "std_error", "z_value", "p_value",
    "unstandardized", "unstandardized_std_error",
]  # fmt: skip
PATH_COLUMNS = [
    "source", "target", "estimate", "std_error", "z_value", "p_value",
    "unstandardized", "unstandardized_std_error",
]  # fmt: skip
CORRELATION_COLUMNS = ["construct_a", "construct_b", "estimate", "std_error", "z_value", "p_value"]


# =================================================================================================
# Results
# =================================================================================================
@dataclass(frozen=True)
class SEMResult:
    """A fitted CFA or CB-SEM model (numbers only; no semopy objects).

    Attributes
    ----------
    kind : {"cfa", "sem"}
    spec : ModelSpec
        The model as fitted (with controls added, for :func:`fit_sem`).
    syntax : str
        The lavaan syntax fitted, in the model's names (an interaction ``X:Z`` appears as
        the observed variable ``X_x_Z``).
    n : int
        Cases used.
    loadings : DataFrame
        ``construct, indicator, estimate, std_error, z_value, p_value, unstandardized,
        unstandardized_std_error``. ``estimate`` is the completely standardised loading
        :math:`\\lambda^*_{ij} = \\lambda_{ij}\\sqrt{\\phi_{jj}}/\\sqrt{\\hat\\sigma_{ii}}`;
        its ``std_error`` comes from the delta method; ``z_value = estimate / std_error``;
        two-sided normal ``p_value``. The unstandardised loading of each construct's first
        indicator is fixed to 1 (its ``unstandardized_std_error`` is NaN).
    paths : DataFrame
        ``source, target, estimate, std_error, z_value, p_value, unstandardized,
        unstandardized_std_error``: standardised structural coefficients
        :math:`\\beta^*_{ts} = \\beta_{ts}\\sqrt{v_{ss}}/\\sqrt{v_{tt}}` (v: model-implied
        variances). Empty for a CFA. Interaction rows are named ``X:Z`` as in the model.
    construct_correlations : DataFrame
        ``construct_a, construct_b, estimate, std_error, z_value, p_value``: model-implied
        correlations between constructs (factor correlations in a CFA), one row per pair.
    r_squared : DataFrame
        ``construct, r_squared``: 1 - disturbance variance / implied variance, per
        endogenous construct (empty for a CFA).
    fit : DataFrame
        One row with the columns of :func:`fit_indices`.
    sample_covariance, implied_covariance : DataFrame
        S (divisor N) and :math:`\\hat\\Sigma` of the observed variables.
    lambda_matrix : DataFrame
        Unstandardised loadings, indicators x latent constructs.
    theta : DataFrame
        Error covariance matrix of the indicators (diagonal).
    latent_covariance : DataFrame
        Model-implied covariance of the latent constructs.
    observed_means : Series
        Sample means of the observed variables (used to centre factor scores).
    converged : bool
        semopy's optimiser reported success.
    messages : tuple of str
        Problems worth reporting (non-convergence, Heywood cases, cases dropped).
    status : {"ok", "not_converged", "improper"}
        "not_converged" when the optimiser did not report success; "improper" when it did
        but the solution is not an admissible ML solution (:attr:`problems`); the estimates
        of either are not to be interpreted.
    problems : tuple of str
        Why the solution is improper, in words (empty for "ok"); see :func:`_improper`.
    interaction_note : str
        Empty, or :data:`INTERACTION_NOTE` when the model has interaction terms.
    """

    kind: str
    spec: ModelSpec
    syntax: str
    n: int
    loadings: pd.DataFrame = field(repr=False)
    paths: pd.DataFrame = field(repr=False)
    construct_correlations: pd.DataFrame = field(repr=False)
    r_squared: pd.DataFrame = field(repr=False)
    fit: pd.DataFrame = field(repr=False)
    sample_covariance: pd.DataFrame = field(repr=False)
    implied_covariance: pd.DataFrame = field(repr=False)
    lambda_matrix: pd.DataFrame = field(repr=False)
    theta: pd.DataFrame = field(repr=False)
    latent_covariance: pd.DataFrame = field(repr=False)
    observed_means: pd.Series = field(repr=False)
    converged: bool = True
    messages: tuple[str, ...] = ()
    interaction_note: str = ""
    status: str = "ok"
    problems: tuple[str, ...] = ()

    @property
    def proper(self) -> bool:
        """True when the optimiser converged to an admissible solution (``status == "ok"``)."""
        return self.status == "ok"

    def __repr__(self) -> str:
        fit: dict = self.fit.iloc[0].to_dict() if len(self.fit) else {}
        stats = ", ".join(f"{k}={float(fit[k]):.4g}" for k in ("chi2", "df", "cfi", "rmsea", "srmr") if k in fit)
        return (
            f"SEMResult(kind={self.kind!r}, n={self.n}, constructs={self.lambda_matrix.shape[1]}, "
            f"indicators={self.lambda_matrix.shape[0]}, converged={self.converged}, {stats})"
        )


# =================================================================================================
# Assembling the results
# =================================================================================================
@dataclass(frozen=True)
class _Names:
    """Where each model name sits in the fitted matrices (model name -> internal name -> row)."""

    fitted: _Fitted
    rename: dict[str, str]  # model name -> internal name
    o_idx: dict[str, int]  # internal observed name -> row of Lambda / Theta
    n_idx: dict[str, int]  # internal name -> row of B / Psi (latent and observed variables)

    @classmethod
    def of(cls, fitted: _Fitted, rename: dict[str, str]) -> "_Names":
        return cls(fitted, rename, {v: i for i, v in enumerate(fitted.observed)}, {v: i for i, v in enumerate(fitted.inner)})

    def obs(self, name: str) -> int:
        return self.o_idx[self.rename[name]]

    def inner(self, name: str) -> int:
        return self.n_idx[self.rename[name]]


def _estimate_columns(fitted: _Fitted, std, raw=None) -> dict[str, np.ndarray]:
    """estimate, std_error, z_value, p_value (and unstandardized, its std_error) by the delta method."""
    est, se = _delta_se(std, fitted)
    z, p = _z_p(est, se)
    out = {"estimate": est, "std_error": se, "z_value": z, "p_value": p}
    if raw is not None:
        out["unstandardized"], out["unstandardized_std_error"] = _delta_se(raw, fitted)
    return out


def _loading_table(layout: _Layout, at: _Names) -> pd.DataFrame:
    """Standardised and raw loadings with delta-method standard errors (:data:`LOADING_COLUMNS`)."""
    fitted = at.fitted
    load_keys = [(c, i) for c, items in layout.latent.items() for i in items]

    def load_std(x):
        m = fitted.matrices(x)
        v, sig = _implied(m)
        out = []
        for c, i in load_keys:
            a, b = at.obs(i), at.inner(c)
            # a perturbed parameter vector (numerical Jacobian) can make an implied variance
            # non-positive, e.g. for a single-indicator construct; that derivative is then undefined
            out.append(m["L"][a, b] * math.sqrt(max(v[b, b], 0)) / math.sqrt(sig[a, a]) if sig[a, a] > 0 else math.nan)
        return np.array(out)

    def load_raw(x):
        m = fitted.matrices(x)
        return np.array([m["L"][at.obs(i), at.inner(c)] for c, i in load_keys])

    cols = _estimate_columns(fitted, load_std, load_raw)
    return pd.DataFrame(
        {"construct": [c for c, _ in load_keys], "indicator": [i for _, i in load_keys], **cols}, columns=LOADING_COLUMNS
    )


def _path_table(layout: _Layout, at: _Names) -> pd.DataFrame:
    """Standardised and raw structural paths with delta-method standard errors (:data:`PATH_COLUMNS`)."""
    fitted = at.fitted
    path_keys = list(layout.paths)

    def path_std(x):
        m = fitted.matrices(x)
        v, _ = _implied(m)
        out = []
        for s, t in path_keys:
            a, b = at.inner(t), at.inner(s)
            out.append(m["B"][a, b] * math.sqrt(max(v[b, b], 0)) / math.sqrt(v[a, a]) if v[a, a] > 0 else math.nan)
        return np.array(out)

    def path_raw(x):
        m = fitted.matrices(x)
        return np.array([m["B"][at.inner(t), at.inner(s)] for s, t in path_keys])

    if path_keys:
        cols = _estimate_columns(fitted, path_std, path_raw)
    else:
        cols = {c: np.array([]) for c in PATH_COLUMNS[2:]}
    return pd.DataFrame({"source": [s for s, _ in path_keys], "target": [t for _, t in path_keys], **cols}, columns=PATH_COLUMNS)


def _correlation_table(layout: _Layout, at: _Names) -> pd.DataFrame:
    """Implied correlations of every pair of constructs and observed variables (:data:`CORRELATION_COLUMNS`)."""
    fitted = at.fitted
    names = list(layout.latent) + [v for v in layout.observed if v not in layout.interactions]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]

    def corr(x):
        m = fitted.matrices(x)
        v, _ = _implied(m)
        out = []
        for a, b in pairs:
            i, j = at.inner(a), at.inner(b)
            out.append(v[i, j] / math.sqrt(v[i, i] * v[j, j]) if v[i, i] * v[j, j] > 0 else math.nan)
        return np.array(out)

    cols = _estimate_columns(fitted, corr) if pairs else {c: np.array([]) for c in CORRELATION_COLUMNS[2:]}
    return pd.DataFrame(
        {"construct_a": [a for a, _ in pairs], "construct_b": [b for _, b in pairs], **cols}, columns=CORRELATION_COLUMNS
    )


def _r_squared_table(layout: _Layout, at: _Names, m_hat: dict, v_hat: np.ndarray) -> pd.DataFrame:
    """R² of every endogenous variable: 1 - its disturbance variance / its implied variance."""
    endo = list(dict.fromkeys(t for _, t in layout.paths))
    return pd.DataFrame(
        {"construct": endo, "r_squared": [1.0 - m_hat["P"][at.inner(t), at.inner(t)] / v_hat[at.inner(t), at.inner(t)] for t in endo]},
        columns=["construct", "r_squared"],
    )


def _result(
    *,
    kind: str,
    spec: ModelSpec,
    layout: _Layout,
    frame: pd.DataFrame,
    fitted: _Fitted,
    display: str,
    notes: list[str],
    rename: dict[str, str],
) -> SEMResult:
    """Standardised tables, fit and matrices from a fitted model (internal names -> model names)."""
    obs, inner = fitted.observed, fitted.inner
    at = _Names.of(fitted, rename)
    back = {v: k for k, v in rename.items()}  # internal -> model name
    m_hat = fitted.matrices(fitted.x)
    v_hat, sig_hat = _implied(m_hat)
    n = len(frame)
    messages = list(notes)
    if not fitted.converged:
        messages.append(f"semopy's optimiser did not report convergence: {fitted.message}")

    loadings = _loading_table(layout, at)
    paths = _path_table(layout, at)
    correlations = _correlation_table(layout, at)
    r2 = _r_squared_table(layout, at, m_hat, v_hat)
    endo = list(r2.construct)

    x_obs = frame[obs].to_numpy()
    s = np.cov(x_obs, rowvar=False, ddof=0)
    fit = fit_indices(s, sig_hat, n=n, n_parameters=fitted.x.size)

    # ---- matrices (model names) -----------------------------------------------------------------
    obs_names = [back[v] for v in obs]
    lat_names = [back[v] for v in fitted.latent]
    lat_idx = [at.n_idx[v] for v in fitted.latent]
    lam = pd.DataFrame(m_hat["L"][:, lat_idx], index=obs_names, columns=lat_names)
    theta = pd.DataFrame(m_hat["T"], index=obs_names, columns=obs_names)
    latent_cov = pd.DataFrame(v_hat[np.ix_(lat_idx, lat_idx)], index=lat_names, columns=lat_names)
    problems = _improper(
        theta=theta, latent_cov=latent_cov, sigma=sig_hat, loadings=loadings, paths=paths, correlations=correlations, r2=r2,
        disturbance={back[v]: float(m_hat["P"][at.n_idx[v], at.n_idx[v]]) for v in inner if back.get(v) in set(endo)}, cov_x=fitted.cov_x,
    )  # fmt: skip
    messages.extend(problems)
    status = "not_converged" if not fitted.converged else ("improper" if problems else "ok")

    return SEMResult(
        kind=kind,
        spec=spec,
        syntax=display,
        n=n,
        loadings=loadings,
        paths=paths,
        construct_correlations=correlations,
        r_squared=r2,
        fit=fit,
        sample_covariance=pd.DataFrame(s, index=obs_names, columns=obs_names),
        implied_covariance=pd.DataFrame(sig_hat, index=obs_names, columns=obs_names),
        lambda_matrix=lam,
        theta=theta,
        latent_covariance=latent_cov,
        observed_means=pd.Series(x_obs.mean(axis=0), index=obs_names),
        converged=fitted.converged,
        messages=tuple(messages),
        interaction_note=INTERACTION_NOTE if layout.interactions else "",
        status=status,
        problems=tuple(problems),
    )


#: tolerance of the admissibility checks (eigenvalues, |standardised values| above 1)
IMPROPER_TOL = 1e-8


def _improper(*, theta, latent_cov, sigma, loadings, paths, correlations, r2, disturbance, cov_x) -> list[str]:
    """Why an ML solution is not admissible, in words (empty when it is).

    An optimiser can stop "successfully" at a point that is no admissible solution, and
    the numbers it returns then look like estimates but are not (Chen, Bollen, Paxton,
    Curran & Kirby 2001; Kolenikov & Bollen 2012). The checks:

    * Heywood cases: a negative error variance, or a standardised loading above 1;
    * a non-positive variance of a construct, or a negative disturbance variance (R² above
      1) or an R² below 0;
    * a model-implied covariance matrix of the constructs, or of the observed variables,
      that is not positive definite (a construct correlation of ±1, e.g.);
    * a standardised path or construct correlation outside [−1, 1] (a correlation cannot be,
      and a path can only with nearly collinear predictors, which makes it meaningless);
    * an information matrix that cannot be inverted, or standard errors that are missing
      or not positive for free parameters (the solution is not identified there).
    """
    out: list[str] = []
    for name in theta.index:
        if theta.loc[name, name] < -IMPROPER_TOL:
            out.append(f"negative error variance for {name} (Heywood case)")
    over = loadings.loc[loadings["estimate"].abs() > 1 + IMPROPER_TOL, "indicator"].tolist()
    if over:
        out.append(f"standardised loading above 1 for {', '.join(over)} (Heywood case)")
    for a in latent_cov.index:
        if latent_cov.loc[a, a] <= 0:
            out.append(f"non-positive variance of construct {a}")
    for name, psi in disturbance.items():
        if psi < -IMPROPER_TOL:
            out.append(f"negative disturbance variance of {name}")
    for r in r2.itertuples():
        if not (-IMPROPER_TOL <= r.r_squared <= 1 + IMPROPER_TOL):
            out.append(f"R² of {r.construct} = {r.r_squared:.3g} lies outside [0, 1]")
    lc = latent_cov.to_numpy(dtype=float)
    if lc.size and np.isfinite(lc).all():
        d = np.sqrt(np.clip(np.diag(lc), 1e-300, None))
        corr = lc / np.outer(d, d)
        low = float(np.linalg.eigvalsh(corr).min())
        if low <= IMPROPER_TOL:
            iu = np.triu_indices(len(d), 1)
            k = int(np.argmax(np.abs(corr[iu]))) if len(iu[0]) else None
            worst = f"; the largest, {latent_cov.index[iu[0][k]]} with {latent_cov.index[iu[1][k]]}, is {corr[iu][k]:.3f}" if k is not None else ""
            out.append(f"the model-implied covariance matrix of the constructs is not positive definite (smallest eigenvalue of "
                       f"their correlations {low:.3g}{worst})")  # fmt: skip
    if np.isfinite(sigma).all() and float(np.linalg.eigvalsh(sigma).min()) <= IMPROPER_TOL:
        out.append("the model-implied covariance matrix of the observed variables is not positive definite")
    bad = [f"{r.source} -> {r.target} = {r.estimate:.3g}" for r in paths.itertuples() if np.isfinite(r.estimate) and abs(r.estimate) > 1 + IMPROPER_TOL]
    if bad:
        out.append(f"standardised path(s) outside [-1, 1]: {', '.join(bad)}")
    badc = [f"{r.construct_a} ~~ {r.construct_b} = {r.estimate:.3g}" for r in correlations.itertuples()
            if np.isfinite(r.estimate) and abs(r.estimate) > 1 + IMPROPER_TOL]  # fmt: skip
    if badc:
        out.append(f"construct correlation(s) outside [-1, 1]: {', '.join(badc)}")
    if not np.isfinite(cov_x).all():
        out.append("the information matrix could not be inverted; standard errors are missing")
    elif cov_x.size and float(np.diag(cov_x).min()) <= 0:
        out.append("the inverted information matrix has non-positive variances; the standard errors are not valid")
    else:
        missing = [f"{r.source} -> {r.target}" for r in paths.itertuples() if not (np.isfinite(r.std_error) and r.std_error > 0)]
        if missing:
            out.append(f"no valid standard error for the path(s) {', '.join(missing)}")
    return out
