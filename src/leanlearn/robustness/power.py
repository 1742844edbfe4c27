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
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import ConvergenceWarning, DataError, SpecError
from leanlearn.spec.model import ModelSpec, parse_model

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

DEFAULT_MODEL = """
LP  =~ LP1 + LP2 + LP3 + LP4 + LP5 + LP6 + LP7 + LP8
DIG =~ DIG1 + DIG2 + DIG3 + DIG4 + DIG5 + DIG6
LS  =~ LS1 + LS2 + LS3 + LS4 + LS5 + LS6
OP  =~ OP1 + OP2 + OP3 + OP4 + OP5
LS ~ LP + DIG + LP:DIG
OP ~ LP + DIG + LS
"""
"""The study's assumed model (first-stage moderated mediation, Hayes model 7), as in
``studies/lean/model.lav``; the CLI passes the project's model file instead."""

PURPOSE_POWER = 5
"""Purpose code of the power analysis's random streams: replication r of sample size N
under config seed s uses ``SeedSequence(entropy=s, spawn_key=(5, N, r))``."""

CALIBRATION_SEED = 914_273
CALIBRATION_SIZE = 2**18
DEFAULT_LOADING = 0.80
TESTS = ("monte_carlo", "bootstrap")

DEFAULT_EFFECT_GRID = (
    {"label": "small", "f2": 0.02, "f2_interaction": 0.005},
    {"label": "medium", "f2": 0.15, "f2_interaction": 0.01},
    {"label": "large", "f2": 0.35, "f2_interaction": 0.025},
)
"""The default population (``power.population.source: grid``): one scenario per level, every
path of the model with the same population effect size f² (Cohen 1988: .02 / .15 / .35 for
small / medium / large), interaction paths with the smaller interaction levels .005 / .01 /
.025 (Kenny 2018, as adopted by Hair et al. 2022), because moderating effects observed in
management research are far below Cohen's conventions (median f² = .002 in 30 years of
journal articles, Aguinis et al. 2005). docs/power.md gives the reasons."""


# ---- (a) inverse square root method -------------------------------------------------------------
def inverse_sqrt_constant(*, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> float:
    r"""The constant of the inverse square root method: :math:`z_{1-\alpha/t} + z_{\pi}`.

    Kock & Hadaya (2018, *Information Systems Journal* 28:227–261) derive
    :math:`N_{min} > (z_{1-\alpha} + z_{\pi})^2 / \beta_{min}^2` from the standard error of a
    standardised path, :math:`SE \approx 1/\sqrt{N}`. For α = .05 one-tailed and power
    π = .80 the constant is 1.645 + 0.842 = 2.486 (their value); two-tailed it is
    1.960 + 0.842 = 2.802.

    Parameters
    ----------
    alpha : float
        Significance level, in (0, 1).
    power : float
        Target power, in (0, 1).
    tails : {1, 2}
        One- or two-tailed test.

    Returns
    -------
    float

    Notes
    -----
    Computed from :func:`scipy.stats.norm.ppf`, not hard-coded; tests/test_power.py checks
    that it rounds to 2.486 and 2.802 (docs/methods.md §6.5 and §8).
    """
    _check_prob("alpha", alpha)
    _check_prob("power", power)
    if tails not in (1, 2):
        raise ValueError(f"tails must be 1 or 2, not {tails!r}")
    return float(stats.norm.ppf(1 - alpha / tails) + stats.norm.ppf(power))


def minimum_sample_size(beta_min: float, *, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> int:
    r"""Smallest N for a path of size |β_min| (inverse square root method).

    .. math:: N_{min} = \left\lceil \left(\frac{z_{1-\alpha/t} + z_{\pi}}{|\beta_{min}|}\right)^2 \right\rceil

    Kock & Hadaya (2018) state the rule as :math:`N_{min} > (2.486/|\beta_{min}|)^2`; the
    ceiling gives the smallest whole N at or above the bound. Checked by hand: |β| = 0.10
    needs 619 (one-tailed) and 785 (two-tailed); |β| = 0.197 needs 160 (Kock & Hadaya's
    suggested default).

    Raises
    ------
    ValueError
        For β_min = 0 (no finite N detects a zero effect) or a non-finite value.
    """
    b = abs(float(beta_min))
    if not math.isfinite(b) or b == 0:
        raise ValueError(f"beta_min must be a non-zero number, got {beta_min!r}")
    return int(math.ceil((inverse_sqrt_constant(alpha=alpha, power=power, tails=tails) / b) ** 2))


def minimum_detectable_effect(n: float, *, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> float:
    r"""Smallest |β| detectable with N cases: :math:`(z_{1-\alpha/t} + z_{\pi})/\sqrt{N}`.

    The inverse of :func:`minimum_sample_size` (Kock & Hadaya 2018). At N = 209 it is 0.172
    (one-tailed) or 0.194 (two-tailed); at N = 17 (one country of the study) 0.60.
    """
    if not n > 0:
        raise ValueError(f"n must be positive, got {n!r}")
    return inverse_sqrt_constant(alpha=alpha, power=power, tails=tails) / math.sqrt(float(n))


def minimum_n_table(
    betas: Sequence[float], *, alpha: float = 0.05, power: float = 0.80, n: float | None = None
) -> pd.DataFrame:
    """Inverse square root results for several |β_min|, one- and two-tailed.

    Columns: tails, alpha, power, constant, beta_min, minimum_n, and with ``n`` given
    n, minimum_detectable_beta (the smallest |β| detectable at that N).
    """
    rows = []
    for tails in (1, 2):
        const = inverse_sqrt_constant(alpha=alpha, power=power, tails=tails)
        for b in betas:
            row = {
                "tails": tails,
                "alpha": alpha,
                "power": power,
                "constant": const,
                "beta_min": float(b),
                "minimum_n": minimum_sample_size(b, alpha=alpha, power=power, tails=tails),
            }
            if n is not None:
                row["n"] = n
                row["minimum_detectable_beta"] = minimum_detectable_effect(n, alpha=alpha, power=power, tails=tails)
            rows.append(row)
    return pd.DataFrame(rows)


# ---- (b) step 1: the population -----------------------------------------------------------------
def _interaction_terms(spec: ModelSpec) -> dict[str, tuple[str, str]]:
    return {i.name: tuple(i.terms) for i in spec.interactions}


def _structural_order(spec: ModelSpec) -> tuple[list[str], list[str]]:
    """(exogenous, endogenous in an order where every predecessor comes first) of the
    non-interaction constructs."""
    inter = _interaction_terms(spec)
    names = [c for c in spec.construct_names if c not in inter]
    preds = {c: [p.source for p in spec.paths if p.target == c] for c in names}
    exo = [c for c in names if not preds[c]]
    order, done = [], set(exo)
    pending = [c for c in names if preds[c]]
    while pending:
        ready = [c for c in pending if all(set(inter.get(p, (p,))) <= done for p in preds[c])]
        if not ready:  # parse_model rejects cycles; kept as a guard
            raise SpecError(f"the structural model has a cycle among {', '.join(pending)}")
        for c in ready:
            order.append(c)
            done.add(c)
        pending = [c for c in pending if c not in done]
    return exo, order


def _item_constructs(spec: ModelSpec) -> dict[str, str]:
    """Item -> the (first) construct it measures."""
    out: dict[str, str] = {}
    for c in spec.constructs:
        if c.kind == "interaction":
            continue
        for it in c.indicators:
            out.setdefault(it, c.name)
    return out


@dataclass(frozen=True)
class LatentPopulation:
    """A population model for any PLS model: standardised latent variables and indicators.

    Attributes
    ----------
    spec : ModelSpec
        The model that is simulated and estimated.
    paths : dict
        (source, target) -> standardised path; a source ``X:W`` is the coefficient of the
        product of the standardised latent variables X and W.
    loadings : dict
        Item -> loading λ (|λ| <= 1).
    exogenous : tuple of str
        Exogenous constructs, in the order of ``correlations``.
    correlations : ndarray
        Correlation matrix of the exogenous constructs (positive definite).
    source : {"estimates", "effects", "grid"}
        Where the values come from (reported in every output).
    categories : int, optional
        None: continuous indicators; k: cut into k equally likely ordered categories.
    residual_variances : dict
        Endogenous construct -> ψ (computed by :func:`_calibrate`).
    description : str
        One sentence for the notes.
    scenario : str
        Label of the effect-size scenario (source "grid"; "" otherwise).
    f2 : tuple of float, optional
        (f² of every path, f² of every interaction path) of a "grid" scenario.
    """

    spec: ModelSpec
    paths: dict
    loadings: dict
    exogenous: tuple[str, ...]
    correlations: np.ndarray
    source: str
    categories: int | None = None
    residual_variances: dict = field(default_factory=dict)
    description: str = ""
    scenario: str = ""
    f2: tuple[float, float] | None = None

    def path_matrix(self, constructs: Sequence[str]) -> np.ndarray:
        """Population path matrix in the order ``constructs`` (the engine's final layout)."""
        ix = {c: k for k, c in enumerate(constructs)}
        P = np.zeros((len(constructs), len(constructs)))
        for (s, t), v in self.paths.items():
            P[ix[s], ix[t]] = v
        return P

    def r_squared(self) -> dict[str, float]:
        return {c: 1.0 - v for c, v in self.residual_variances.items()}

    def _latents(self, e_exo: np.ndarray, e_endo: np.ndarray, psi: dict | None) -> tuple[dict, dict]:
        inter = _interaction_terms(self.spec)
        _, order = _structural_order(self.spec)
        L = np.linalg.cholesky(self.correlations)
        X = e_exo @ L.T
        eta = {c: X[..., i] for i, c in enumerate(self.exogenous)}
        psi_out = dict(psi or {})
        for j, c in enumerate(order):
            s = np.zeros(e_endo.shape[:-1])
            for p in self.spec.paths:
                if p.target != c:
                    continue
                beta = self.paths.get((p.source, c), 0.0)
                if beta == 0:
                    continue
                term = eta[inter[p.source][0]] * eta[inter[p.source][1]] if p.source in inter else eta[p.source]
                s = s + beta * term
            if psi is None:
                v = 1.0 - float(np.var(s))
                if not v > 1e-6:
                    raise SpecError(
                        f"power population: the paths into {c} explain {100 * (1 - v):.1f} % of its variance "
                        "(R² must stay below 1); lower them"
                    )
                psi_out[c] = v
            eta[c] = s + math.sqrt(psi_out[c]) * e_endo[..., j]
        return eta, psi_out

    def draw(self, n: int, streams: Sequence[np.random.SeedSequence]) -> np.ndarray:
        """Item values of ``len(streams)`` data sets of n cases: shape (R, n, p), items in ``spec.items`` order.

        Replication r uses only ``streams[r]``, so a replication's data do not depend on
        the others in its block.
        """
        _, order = _structural_order(self.spec)
        items = list(self.spec.items)
        q, m, p = len(self.exogenous), len(order), len(items)
        E = np.stack([np.random.default_rng(ss).standard_normal((n, q + m + p)) for ss in streams])
        eta, _ = self._latents(E[..., :q], E[..., q : q + m], self.residual_variances)
        owner = _item_constructs(self.spec)
        lam = np.array([self.loadings[it] for it in items])
        H = np.stack([eta[owner[it]] for it in items], axis=-1)
        Y = lam * H + np.sqrt(np.clip(1.0 - lam**2, 0.0, None)) * E[..., q + m :]
        if self.categories:
            cuts = stats.norm.ppf(np.arange(1, self.categories) / self.categories)
            Y = np.searchsorted(cuts, Y.ravel()).reshape(Y.shape).astype(float) + 1.0
        return Y


def _calibrate(pop: LatentPopulation) -> LatentPopulation:
    """Residual variances ψ that give every endogenous latent variable unit variance."""
    _, order = _structural_order(pop.spec)
    rng = np.random.default_rng(CALIBRATION_SEED)
    e_exo = rng.standard_normal((CALIBRATION_SIZE, len(pop.exogenous)))
    e_endo = rng.standard_normal((CALIBRATION_SIZE, len(order)))
    _, psi = pop._latents(e_exo, e_endo, None)
    return LatentPopulation(**{**pop.__dict__, "residual_variances": psi})


def _path_key(key, where: str) -> tuple[str, str]:
    text = str(key)
    if "->" not in text:
        raise SpecError(f"{where}: path {text!r} must be written 'SOURCE -> TARGET' (e.g. 'LP -> LS' or 'LP:DIG -> LS')")
    s, t = (x.strip() for x in text.split("->", 1))
    return s, t


def _number(value, where: str, *, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise SpecError(f"{where}: expected a number, got {type(value).__name__}")
    v = float(value)
    if not lo <= v <= hi:
        raise SpecError(f"{where}: {v:g} is outside [{lo:g}, {hi:g}]")
    return v


def _check_categories(categories) -> int | None:
    if categories is None:
        return None
    if isinstance(categories, bool) or not isinstance(categories, int) or categories < 2:
        raise SpecError("power.population.categories: expected null (continuous items) or a whole number >= 2")
    return int(categories)


def population_from_effects(
    spec: ModelSpec | str,
    *,
    paths: dict,
    default_path: float = 0.0,
    loadings=DEFAULT_LOADING,
    correlations=0.0,
    categories: int | None = None,
) -> LatentPopulation:
    """A population from effect sizes: standardised paths, loadings and correlations.

    Parameters
    ----------
    spec : ModelSpec or str
    paths : dict
        ``"SOURCE -> TARGET"`` -> standardised path (``"X:W -> Y"`` for an interaction).
        Every key must be a path of the model.
    default_path : float
        Value of the model's paths not listed in ``paths`` (default 0; the notes list them).
    loadings : float or dict
        One loading for every item of a multi-item construct, or a mapping construct or
        item -> loading (an item's entry beats its construct's); unlisted items get
        :data:`DEFAULT_LOADING` (0.80), single indicators 1.
    correlations : float or dict
        Correlation of every pair of exogenous constructs, or ``"X ~~ W"`` -> correlation
        (unlisted pairs 0).
    categories : int, optional
        Cut indicators into this many equally likely categories (None: continuous).

    Raises
    ------
    SpecError
        Naming the key (``power.population.paths['A -> B']``) that is not in the model or
        out of range, or when the paths explain all of an endogenous construct's variance.
    """
    spec = parse_model(spec) if isinstance(spec, str) else spec
    model_paths = {(p.source, p.target) for p in spec.paths}
    if not isinstance(paths, dict):
        raise SpecError("power.population.paths: expected a mapping 'SOURCE -> TARGET': value")
    values = {k: _number(default_path, "power.population.default_path", lo=-0.99, hi=0.99) for k in model_paths}
    for key, v in paths.items():
        where = f"power.population.paths[{key!r}]"
        st = _path_key(key, where)
        if st not in model_paths:
            raise SpecError(f"{where}: the model has no path {st[0]} -> {st[1]}")
        values[st] = _number(v, where, lo=-0.99, hi=0.99)
    items = list(spec.items)
    owner = _item_constructs(spec)
    single = {c.name for c in spec.constructs if len(c.indicators) == 1}
    lam = {it: (1.0 if owner[it] in single else DEFAULT_LOADING) for it in items}
    if isinstance(loadings, dict):
        for key in loadings:
            if key not in owner.values() and key not in lam:
                raise SpecError(f"power.population.loadings[{key!r}]: not a construct or item of the model")
        for it in items:
            for key in (owner[it], it):
                if key in loadings:
                    lam[it] = _number(loadings[key], f"power.population.loadings[{key!r}]", lo=-1, hi=1)
    else:
        v = _number(loadings, "power.population.loadings", lo=-1, hi=1)
        lam = {it: (1.0 if owner[it] in single else v) for it in items}
    exo, _ = _structural_order(spec)
    R = np.eye(len(exo))
    if isinstance(correlations, dict):
        for key, v in correlations.items():
            where = f"power.population.correlations[{key!r}]"
            parts = [x.strip() for x in str(key).split("~~")]
            if len(parts) != 2 or any(x not in exo for x in parts) or parts[0] == parts[1]:
                raise SpecError(f"{where}: write 'X ~~ W' with two different exogenous constructs ({', '.join(exo)})")
            a, b = exo.index(parts[0]), exo.index(parts[1])
            R[a, b] = R[b, a] = _number(v, where, lo=-0.99, hi=0.99)
    else:
        v = _number(correlations, "power.population.correlations", lo=-0.99, hi=0.99)
        R = np.full((len(exo), len(exo)), v)
        np.fill_diagonal(R, 1.0)
    if np.linalg.eigvalsh(R).min() <= 1e-10:
        raise SpecError("power.population.correlations: the correlations of the exogenous constructs are not positive definite")
    listed = sorted(f"{s} -> {t}" for s, t in model_paths if f"{s} -> {t}" not in {" -> ".join(_path_key(k, "")) for k in paths})
    desc = (
        "effect sizes from config (power.population): standardised latent paths "
        + ", ".join(f"{s} -> {t} = {v:g}" for (s, t), v in sorted(values.items()))
        + (f" (not listed, set to {default_path:g}: {', '.join(listed)})" if listed else "")
    )
    pop = LatentPopulation(spec, values, lam, tuple(exo), R, "effects", _check_categories(categories), description=desc)
    return _calibrate(pop)


def population_from_estimates(result, *, categories: int | None = None, max_loading: float = 0.99) -> LatentPopulation:
    """A population whose parameters are a fitted model's own estimates (post-hoc power).

    Paths are the estimated path coefficients (the interaction path on the scale of the
    product of standardised scores), loadings the estimated outer loadings (capped at
    ``max_loading`` in absolute value for multi-item constructs so that every indicator
    keeps some error; single indicators, e.g. controls, keep 1), and the exogenous
    constructs' correlations the correlations of their construct scores.

    Power computed from observed effects is a transformation of the study's own p-values
    and says nothing more about the study's result (Hoenig & Heisey 2001; Yuan & Maxwell
    2005): every output labels it as such (:data:`POST_HOC_CAVEAT`).
    """
    spec = result.spec
    inter = _interaction_terms(spec)
    values = {(r.source, r.target): float(r.estimate) for r in result.path_coefficients.itertuples()}
    owner = _item_constructs(spec)
    single = {c.name for c in spec.constructs if len(c.indicators) == 1}
    lo = result.outer_loadings
    lam = {}
    for r in lo.itertuples():
        if r.construct in inter or r.indicator not in owner or r.indicator in lam:
            continue
        v = float(r.estimate)
        lam[r.indicator] = float(np.sign(v) or 1.0) if r.construct in single else float(np.clip(v, -max_loading, max_loading))
    exo, _ = _structural_order(spec)
    C = result.construct_correlations.loc[exo, exo].to_numpy(dtype=float)
    pop = LatentPopulation(
        spec, values, lam, tuple(exo), C, "estimates", _check_categories(categories),
        description=(
            f"the fitted model's own estimates (N = {result.n}): standardised paths "
            + ", ".join(f"{a} -> {b} = {v:.3f}" for (a, b), v in values.items())
            + "; outer loadings as indicator loadings; the construct-score correlations of the exogenous constructs"
        ),
    )  # fmt: skip
    return _calibrate(pop)


def population_from_f2(
    spec: ModelSpec | str,
    *,
    f2: float,
    f2_interaction: float | None = None,
    signs: dict | None = None,
    zero: Sequence = (),
    loadings=DEFAULT_LOADING,
    correlations=0.0,
    categories: int | None = None,
    scenario: str = "",
) -> LatentPopulation:
    r"""A population in which every path has the same population effect size f².

    Cohen's f² of predictor i of an endogenous construct is the share of variance it adds
    over the others, relative to the unexplained variance:
    :math:`f_i^2 = (R^2 - R^2_{(-i)})/(1 - R^2)`. With Var(η) = 1, predictor covariance S
    (main terms and products of standardised latent variables) and residual variance ψ,
    :math:`R^2 - R^2_{(-i)} = \beta_i^2/[S^{-1}]_{ii}` and :math:`1 - R^2 = \psi`. Setting
    :math:`g_i = \pm\sqrt{f_i^2 [S^{-1}]_{ii}}`, the paths :math:`\beta = g\sqrt{\psi}` with
    :math:`\psi = 1/(1 + g'Sg)` give every predictor exactly its f² and η unit variance, for
    any number of (correlated) predictors: the explained variance can never reach 1. The
    constructs are solved in structural order on the calibration draw (S of an endogenous
    predictor depends on the paths before it).

    Parameters
    ----------
    spec : ModelSpec or str
    f2 : float
        f² of every path that is not an interaction path (0 <= f2 <= 10).
    f2_interaction : float, optional
        f² of every interaction path (default: ``f2``).
    signs : dict, optional
        (source, target) -> -1 for paths predicted to be negative (default +1).
    zero : sequence of (source, target)
        Paths set to 0 (e.g. those a hypothesis of no effect is about).
    loadings, correlations, categories
        As in :func:`population_from_effects`.
    scenario : str
        Label written into every output row.

    Notes
    -----
    Checked in tests/test_power.py: the f² of every path recomputed from the population
    (R² with and without the predictor, on an independent large draw) equals the target.
    """
    spec = parse_model(spec) if isinstance(spec, str) else spec
    f_main = _number(f2, "power.population.grid f2", lo=0, hi=10)
    f_int = f_main if f2_interaction is None else _number(f2_interaction, "power.population.grid f2_interaction", lo=0, hi=10)
    base = population_from_effects(spec, paths={}, default_path=0.0, loadings=loadings, correlations=correlations, categories=categories)
    inter = _interaction_terms(spec)
    exo, order = _structural_order(spec)
    rng = np.random.default_rng(CALIBRATION_SEED)
    e_exo = rng.standard_normal((CALIBRATION_SIZE, len(exo)))
    e_endo = rng.standard_normal((CALIBRATION_SIZE, len(order)))
    X = e_exo @ np.linalg.cholesky(base.correlations).T
    eta = {c: X[:, i] for i, c in enumerate(exo)}
    signs = {tuple(k): float(v) for k, v in (signs or {}).items()}
    zero_set = {tuple(z) for z in zero}
    values: dict = {}
    for j, c in enumerate(order):
        preds = [p.source for p in spec.paths if p.target == c]
        terms = np.column_stack([eta[inter[q][0]] * eta[inter[q][1]] if q in inter else eta[q] for q in preds])
        S = np.atleast_2d(np.cov(terms, rowvar=False))
        d = np.sqrt(np.diag(np.linalg.inv(S)))
        f = np.array([0.0 if (q, c) in zero_set else (f_int if q in inter else f_main) for q in preds])
        sg = np.array([-1.0 if signs.get((q, c), 1.0) < 0 else 1.0 for q in preds])
        g = sg * np.sqrt(f) * d
        psi = 1.0 / (1.0 + float(g @ S @ g))
        beta = g * math.sqrt(psi)
        for q, b in zip(preds, beta):
            values[(q, c)] = float(b)
        eta[c] = terms @ beta + math.sqrt(psi) * e_endo[:, j]
    label = scenario or f"f2 = {f_main:g}"
    desc = (
        f"effect-size scenario '{label}': every path with population f² = {f_main:g}"
        + (f", every interaction path with f² = {f_int:g}" if inter else "")
        + (f", {len(zero_set)} path(s) of no effect at 0" if zero_set else "")
        + " (standardised latent paths "
        + ", ".join(f"{a} -> {b} = {v:.3f}" for (a, b), v in sorted(values.items()))
        + ")"
    )
    pop = LatentPopulation(
        spec, values, base.loadings, base.exogenous, base.correlations, "grid", base.categories,
        description=desc, scenario=label, f2=(f_main, f_int if inter else float("nan")),
    )  # fmt: skip
    return _calibrate(pop)


def effect_grid_populations(spec: ModelSpec | str, grid=None, *, signs: dict | None = None, zero: Sequence = (), loadings=DEFAULT_LOADING,
                            correlations=0.0, categories: int | None = None) -> list[LatentPopulation]:
    """One :func:`population_from_f2` population per level of an effect-size grid.

    Parameters
    ----------
    grid : list of dict, optional
        Levels ``{label, f2, f2_interaction}`` (``power.population.grid``); default
        :data:`DEFAULT_EFFECT_GRID` (Cohen's small / medium / large f², smaller levels for
        interactions). ``f2_interaction`` defaults to ``f2``; labels must be unique.

    Raises
    ------
    SpecError
        Naming the entry (``power.population.grid[1]``) that is malformed.
    """
    grid = list(DEFAULT_EFFECT_GRID if grid is None else grid)
    if not grid:
        raise SpecError("power.population.grid: expected a non-empty list of levels {label, f2, f2_interaction}")
    out, seen = [], set()
    for i, level in enumerate(grid):
        where = f"power.population.grid[{i}]"
        if not isinstance(level, dict) or "f2" not in level or set(level) - {"label", "f2", "f2_interaction"}:
            raise SpecError(f"{where}: expected a mapping with f2 (and optionally label, f2_interaction), e.g. {{label: medium, f2: 0.15, f2_interaction: 0.01}}")
        label = str(level.get("label") or f"f2 = {level['f2']}")
        if label in seen:
            raise SpecError(f"{where}: label {label!r} appears twice; give every level its own label")
        seen.add(label)
        f2 = _number(level["f2"], f"{where}.f2", lo=0, hi=10)
        fi = level.get("f2_interaction")
        fi = None if fi is None else _number(fi, f"{where}.f2_interaction", lo=0, hi=10)
        out.append(population_from_f2(spec, f2=f2, f2_interaction=fi, signs=signs, zero=zero, loadings=loadings,
                                      correlations=correlations, categories=categories, scenario=label))  # fmt: skip
    return out


STUDY_PATHS = {
    ("LP", "LS"): "a1", ("DIG", "LS"): "a2", ("LP:DIG", "LS"): "a3",
    ("LS", "OP"): "b", ("LP", "OP"): "c1", ("DIG", "OP"): "c2", ("log_employees", "OP"): "g1",
}  # fmt: skip


@dataclass(frozen=True)
class StudyPopulation:
    """The bundled study's documented population model (:mod:`leanlearn.datasets.simulate`)
    behind the same interface as :class:`LatentPopulation`."""

    spec: ModelSpec
    model: object
    likert: bool = True
    loading_scale: float | None = None
    method_factor: bool = True
    source: str = "study"
    description: str = ""

    def path_matrix(self, constructs: Sequence[str]) -> np.ndarray:
        """a1, a2, a3, b, c1, c2, g1 where the model has them; other paths NaN."""
        ix = {c: k for k, c in enumerate(constructs)}
        P = np.zeros((len(constructs), len(constructs)))
        for p in self.spec.paths:
            name = STUDY_PATHS.get((p.source, p.target))
            P[ix[p.source], ix[p.target]] = getattr(self.model, name) if name else (0.0 if p.source in ("firm_age", "log_employees") else np.nan)
        return P

    def draw(self, n: int, streams: Sequence[np.random.SeedSequence]) -> np.ndarray:
        from leanlearn.datasets.simulate import draw_items

        items = list(self.spec.items)
        out = []
        for ss in streams:
            d = draw_items(n, self.model, ss, likert=self.likert, loading_scale=self.loading_scale, method_factor=self.method_factor)
            out.append(d[items].to_numpy(dtype=float))
        return np.stack(out)


def study_population(spec: ModelSpec | str, *, model=None, likert: bool = True, loading_scale: float | None = None, method_factor: bool = True) -> StudyPopulation:
    """The bundled study's population model (explicit option ``power.population.source: study``).

    Raises
    ------
    SpecError
        When the model uses items or controls the study's simulator does not draw.
    """
    from leanlearn.datasets.simulate import ITEMS, PopulationModel

    spec = parse_model(spec) if isinstance(spec, str) else spec
    known = set(ITEMS) | {"log_employees", "firm_age"}
    unknown = [it for it in spec.items if it not in known]
    if unknown:
        raise SpecError(
            "power.population.source 'study' simulates the bundled study's items only; the model also uses "
            f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}. Use source 'estimates' or 'effects' for this model."
        )
    pm = model if model is not None else PopulationModel()
    desc = (
        "the bundled study's documented population model (leanlearn.datasets.simulate.PopulationModel: "
        f"a1 = {pm.a1:g}, a2 = {pm.a2:g}, a3 = {pm.a3:g}, b = {pm.b:g}, c1 = {pm.c1:g}, c2 = {pm.c2:g}; "
        f"{'7-point' if likert else 'continuous'} items{', common-method factor' if method_factor else ''})"
    )
    return StudyPopulation(spec, pm, likert, loading_scale, method_factor, description=desc)


# ---- (b) step 2: the quantities of interest -----------------------------------------------------
@dataclass(frozen=True)
class Quantity:
    """A quantity whose power is estimated.

    Attributes
    ----------
    id : str
        Hypothesis id (``H5``) or the path label (``LP -> LS``).
    label : str
        What is tested, in words.
    kind : {"path", "derived"}
        A single path (normal-theory t test) or a function of several (Monte Carlo CI).
    direction : {"positive", "negative", "nonzero", "none"}
    function : callable
        Path matrices (..., K, K) -> (..., 1).
    path : (int, int) or None
        Indices of the path for kind "path".
    sesoi : float or None
        Smallest effect size of interest, for a hypothesis of no effect (equivalence test).
    hypothesis : str or None
    """

    id: str
    label: str
    kind: str
    direction: str
    function: Callable
    path: tuple[int, int] | None = None
    sesoi: float | None = None
    hypothesis: str | None = None


def _view(spec: ModelSpec, plan) -> SimpleNamespace:
    """What :mod:`leanlearn.effects.hypotheses` reads of a fitted model (its layout), without data."""
    return SimpleNamespace(result=SimpleNamespace(spec=spec, plan=plan, constructs=plan.final.constructs))


def quantities_of_interest(spec: ModelSpec, plan, *, hypotheses=None, entries=None, sesoi: float | None = None) -> tuple[list[Quantity], list[str]]:
    """The quantities the power analysis tracks, and notes on what was left out.

    Parameters
    ----------
    spec : ModelSpec
    plan : leanlearn.pls.engine.Plan
    hypotheses : list of leanlearn.effects.hypotheses.Hypothesis, optional
        The configured hypotheses; those whose quantity the model has are used, the others
        are listed in the notes.
    entries : list of dict, optional
        Explicit entries (``power.quantities``, hypothesis syntax; direction defaults to
        "nonzero"). They replace ``hypotheses``.
    sesoi : float, optional
        Default smallest effect size of interest for hypotheses of no effect (an entry's own
        ``sesoi`` key beats it).

    Returns
    -------
    (quantities, notes). Without usable hypotheses or entries, every structural path.

    Raises
    ------
    SpecError
        For a malformed or inapplicable explicit entry (the configured hypotheses are
        skipped with a note instead, since they may belong to another model).
    """
    from leanlearn.effects import hypotheses as hyp

    view = _view(spec, plan)
    notes: list[str] = []
    explicit = entries is not None
    if explicit:
        if not isinstance(entries, list) or not entries:
            raise SpecError("power.quantities: expected a non-empty list of hypothesis-style entries (id, test, ...)")
        hyps = hyp.load_hypotheses([{"direction": "nonzero", **e} if isinstance(e, dict) else e for e in entries])
    else:
        hyps = list(hypotheses or [])
    out: list[Quantity] = []
    names = list(plan.final.constructs)
    for h in hyps:
        try:
            label, func = hyp._quantity(view, h)
        except SpecError as exc:
            if explicit:
                raise SpecError(f"power.quantities ({h.id}): {exc}") from exc
            notes.append(f"{h.id} is not a quantity of this model and is left out ({exc}).")
            continue
        own = h.params.get("sesoi")
        s = sesoi if own is None else own
        if s is not None:
            s = _number(s, f"sesoi of {h.id}", lo=0, hi=10)
            if s <= 0:
                raise SpecError(f"sesoi of {h.id}: must be positive")
        path = None
        if h.test in ("path", "interaction"):
            path = (names.index(h.params["source"] if h.test == "path" else h.params["interaction"]), names.index(h.params["target"]))
        out.append(Quantity(h.id, f"{h.test.replace('_', ' ')}: {label}", "path" if path else "derived", h.direction, func, path, s, h.id))
    if not out:
        if hyps:
            notes.append("None of the configured hypotheses is a quantity of this model: power is reported for every structural path.")
        for p in spec.paths:
            s, t = names.index(p.source), names.index(p.target)
            out.append(Quantity(f"{p.source} -> {p.target}", f"path: {p.source} -> {p.target}", "path", "nonzero", _path_function(s, t), (s, t)))
    return out, notes


def _path_function(s: int, t: int) -> Callable:
    return lambda P: np.asarray(P)[..., s, t][..., None]


# ---- (b) step 3: replications -------------------------------------------------------------------
def replication_streams(seed: int, n: int, replications: Sequence[int]) -> list[tuple[np.random.SeedSequence, np.random.SeedSequence]]:
    """(data, test) random streams of each replication.

    Replication r at sample size n under config seed s draws from
    ``SeedSequence(entropy=s, spawn_key=(PURPOSE_POWER, n, r)).spawn(2)``: the first child
    draws the data, the second the test's random numbers (Monte Carlo CI draws or bootstrap
    resamples). Replications are numbered 0, 1, ... across blocks (block b of size R holds
    b·R .. b·R + R − 1), so a replication's numbers depend on (s, n, r) only — not on how
    the replications are split into blocks or how many workers run them — and no two
    purposes or replications share a stream.
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return [tuple(np.random.SeedSequence(entropy=int(seed), spawn_key=(PURPOSE_POWER, int(n), int(r))).spawn(2)) for r in replications]


def _equation_covariances(plan, fit, n: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Endogenous construct j -> (predictor indices, OLS covariance of its paths (B, k, k))."""
    lay = plan.final
    Sig = fit.construct_corr * fit.scale[:, :, None] * fit.scale[:, None, :]
    out = {}
    for j in lay.endogenous:
        P = lay.preds(j)
        k = len(P)
        A = Sig[:, P[:, None], P]
        ok = np.isfinite(A).all(axis=(1, 2))
        A = np.where(ok[:, None, None], A, np.eye(k))
        with np.errstate(invalid="ignore"):
            V = np.linalg.inv(A) * ((1.0 - fit.r_squared[:, j]) / max(n - k - 1, 1))[:, None, None]
        out[j] = (P, V)
    return out


def _interval_ends(level: float) -> tuple[float, float]:
    a = 1.0 - level
    return a / 2, 1 - a / 2


def _decisions(direction: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    if direction == "positive":
        return lo > 0
    if direction == "negative":
        return hi < 0
    return (lo > 0) | (hi < 0)


def _monte_carlo_draws(P: np.ndarray, cov: dict, streams, draws: int) -> np.ndarray:
    """Path matrices drawn from N(P̂, Cov) for each replication: (B, draws, K, K)."""
    B, K, _ = P.shape
    D = np.empty((B, draws, K, K))
    D[...] = P[:, None, :, :]
    k_tot = sum(len(Pj) for Pj, _ in cov.values())
    Zs = np.stack([np.random.default_rng(ss).standard_normal((draws, k_tot)) for ss in streams])
    col = 0
    for j, (Pj, V) in cov.items():
        k = len(Pj)
        Vs = np.where(np.isfinite(V).all(axis=(1, 2))[:, None, None], V, np.eye(k))
        # symmetric square root via eigh: robust to a near-singular covariance
        w, U = np.linalg.eigh(Vs)
        L = U * np.sqrt(np.clip(w, 0, None))[:, None, :]
        D[:, :, Pj, j] += np.matmul(Zs[:, :, col : col + k], L.transpose(0, 2, 1))
        col += k
    return D


def replicate_block(
    population,
    *,
    n: int,
    seed: int,
    block: int = 0,
    replications: int = 500,
    quantities: Sequence[Quantity] | None = None,
    settings=None,
    ci_level: float = 0.95,
    test: str = "monte_carlo",
    mc_draws: int = 5000,
    resamples: int = 1999,
    chunk: int = 250,
) -> pd.DataFrame:
    r"""One block of Monte Carlo replications: draw, estimate (batched), test.

    Replications ``block*replications .. block*replications + replications - 1`` of
    sample size ``n`` (streams from :func:`replication_streams`).

    Parameters
    ----------
    population : LatentPopulation or StudyPopulation
        Step 1 (its ``spec`` is the model estimated).
    n, seed, block, replications : int
        Sample size, config seed, block index and replications in the block.
    quantities : list of Quantity, optional
        Step 2; default: every structural path.
    settings : leanlearn.pls.engine.Settings, optional
        Estimation settings (PLSc is not supported by the default test: its corrected paths
        have no OLS standard error; use ``test="bootstrap"``).
    ci_level : float
        Level of the interval (two-sided). Equivalence uses the 1 − 2α interval (TOST).
    test : {"monte_carlo", "bootstrap"}
        "monte_carlo": normal-theory t interval for single paths and the Monte Carlo CI
        (Preacher & Selig 2012) with ``mc_draws`` draws for functions of paths (module
        docstring). "bootstrap": percentile bootstrap with ``resamples`` resamples per
        replication (one PLS fit per resample: slow).
    chunk : int
        Replications estimated per engine batch (memory only; results do not depend on it).

    Returns
    -------
    DataFrame, one row per replication and quantity
        n, block, replication, quantity, label, kind, direction, sesoi, population_value,
        population_source, test, ci_level, status ("ok", "not_converged", "failed"),
        estimate, std_error, ci_lower, ci_upper (at ``ci_level``), tost_lower, tost_upper
        (the 1 − 2α interval), detected (the interval excludes 0 in the predicted
        direction; both sides for "nonzero" and "none"), equivalent (the 1 − 2α interval
        lies inside ±sesoi; NaN without a SESOI). A population of an effect-size grid
        (:func:`population_from_f2`) adds scenario, scenario_f_squared and
        scenario_f_squared_interaction as the first columns.
    """
    from leanlearn.pls.engine import Settings, fit_batch, make_plan

    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, not {test!r}")
    _check_prob("ci_level", ci_level)
    if int(n) != n or n < 5:
        raise ValueError(f"n must be a whole number of at least 5, got {n!r}")
    if replications < 1 or block < 0:
        raise ValueError("replications must be >= 1 and block >= 0")
    settings = settings or Settings()
    if test == "monte_carlo" and settings.consistent:
        raise ValueError("PLSc paths have no normal-theory standard error: use power.test 'bootstrap' with estimation.consistent")
    spec = population.spec
    plan = make_plan(spec, settings)
    if quantities is None:
        quantities, _ = quantities_of_interest(spec, plan)
    if not quantities:
        raise SpecError("power: no quantity to test (an empty list of quantities); give at least one path or effect of interest")
    names = list(plan.final.constructs)
    P0 = population.path_matrix(names)
    pop_values = [float(np.asarray(q.function(P0[None]))[0, 0]) for q in quantities]
    reps = list(range(block * replications, block * replications + replications))
    streams = replication_streams(seed, n, reps)
    tost_level = 1 - 2 * (1 - ci_level)
    cols = {f: np.full((len(reps), len(quantities)), np.nan) for f in ("estimate", "std_error", "ci_lower", "ci_upper", "tost_lower", "tost_upper")}
    status = np.empty(len(reps), dtype=object)
    derived = [i for i, q in enumerate(quantities) if q.kind == "derived"]
    for a in range(0, len(reps), chunk):
        b = min(a + chunk, len(reps))
        X = population.draw(int(n), [s[0] for s in streams[a:b]])
        if test == "bootstrap":
            _bootstrap_tests(X, spec, settings, quantities, [s[1] for s in streams[a:b]], resamples, ci_level, tost_level, cols, status, a)
            continue
        fit = fit_batch(plan, X, np.ones((b - a, int(n))))
        st = np.where(fit.failed, "failed", np.where(fit.converged, "ok", "not_converged"))
        status[a:b] = st
        cov = _equation_covariances(plan, fit, int(n))
        P = fit.paths
        for i, q in enumerate(quantities):
            cols["estimate"][a:b, i] = np.asarray(q.function(P))[:, 0]
        for i, q in enumerate(quantities):
            if q.kind != "path":
                continue
            s, t = q.path
            Pj, V = cov[t]
            pos = int(np.flatnonzero(Pj == s)[0])
            k = len(Pj)
            se = np.sqrt(V[:, pos, pos])
            est = cols["estimate"][a:b, i]
            cols["std_error"][a:b, i] = se
            for level, lo_key, hi_key in ((ci_level, "ci_lower", "ci_upper"), (tost_level, "tost_lower", "tost_upper")):
                crit = stats.t.ppf(_interval_ends(level)[1], max(int(n) - k - 1, 1))
                cols[lo_key][a:b, i] = est - crit * se
                cols[hi_key][a:b, i] = est + crit * se
        if derived:
            sub = max(1, int(8e6 // (mc_draws * len(names) ** 2 * 8)))
            for c0 in range(0, b - a, sub):
                c1 = min(c0 + sub, b - a)
                D = _monte_carlo_draws(P[c0:c1], {j: (Pj, V[c0:c1]) for j, (Pj, V) in cov.items()}, [s[1] for s in streams[a + c0 : a + c1]], mc_draws)
                for i in derived:
                    vals = np.asarray(quantities[i].function(D))[..., 0]  # (b, draws)
                    qs = np.quantile(vals, [*_interval_ends(ci_level), *_interval_ends(tost_level)], axis=1, method="linear")
                    cols["std_error"][a + c0 : a + c1, i] = vals.std(axis=1, ddof=1)
                    cols["ci_lower"][a + c0 : a + c1, i], cols["ci_upper"][a + c0 : a + c1, i] = qs[0], qs[1]
                    cols["tost_lower"][a + c0 : a + c1, i], cols["tost_upper"][a + c0 : a + c1, i] = qs[2], qs[3]
    bad = status != "ok"
    for f in cols:
        cols[f][bad] = np.nan
    frames = []
    for i, q in enumerate(quantities):
        lo, hi = cols["ci_lower"][:, i], cols["ci_upper"][:, i]
        eq = np.full(len(reps), np.nan)
        if q.sesoi is not None:
            eq = np.where(bad, np.nan, ((cols["tost_lower"][:, i] > -q.sesoi) & (cols["tost_upper"][:, i] < q.sesoi)).astype(float))
        frames.append(
            pd.DataFrame(
                {
                    "n": int(n), "block": int(block), "replication": reps, "quantity": q.id, "label": q.label,
                    "kind": q.kind, "direction": q.direction, "sesoi": np.nan if q.sesoi is None else q.sesoi,
                    "population_value": pop_values[i], "population_source": population.source,
                    "test": "bootstrap_percentile" if test == "bootstrap" else ("t" if q.kind == "path" else "monte_carlo_ci"),
                    "ci_level": ci_level, "status": status,
                    **{f: cols[f][:, i] for f in ("estimate", "std_error", "ci_lower", "ci_upper", "tost_lower", "tost_upper")},
                    "detected": np.where(bad, np.nan, _decisions(q.direction, lo, hi).astype(float)),
                    "equivalent": eq,
                }
            )  # fmt: skip
        )
    rows = pd.concat(frames, ignore_index=True).sort_values(["replication"], kind="stable").reset_index(drop=True)
    if getattr(population, "scenario", ""):
        f_main, f_int = population.f2 if population.f2 else (np.nan, np.nan)
        rows.insert(0, "scenario", population.scenario)
        rows.insert(1, "scenario_f_squared", f_main)
        rows.insert(2, "scenario_f_squared_interaction", f_int)
    if bad.all():
        counts = pd.Series(status).value_counts().to_dict()
        raise DataError(
            f"power: every one of the {len(reps)} replications at N = {n} (block {block}) failed "
            f"({', '.join(f'{v} {k}' for k, v in counts.items())}). The population ({population.description}) "
            "cannot be estimated with this model and settings: check the population paths and loadings (power.population) "
            "and the estimation settings."
        )
    return rows


def _bootstrap_tests(X, spec, settings, quantities, test_streams, resamples, ci_level, tost_level, cols, status, offset) -> None:
    """Percentile bootstrap per replication (``test="bootstrap"``); fills ``cols`` and ``status`` in place."""
    from leanlearn.pls.bootstrap import bootstrap
    from leanlearn.pls.engine import estimate

    items = list(spec.items)
    for r in range(X.shape[0]):
        data = pd.DataFrame(X[r], columns=items)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                res = estimate(data, spec, settings=settings, assess=False)
            except ConvergenceWarning:
                status[offset + r] = "not_converged"
                continue
            except DataError:
                status[offset + r] = "failed"
                continue
        boot = bootstrap(res, resamples=int(resamples), seed=int(test_streams[r].generate_state(1, dtype=np.uint32)[0]), ci_level=ci_level)
        if boot.n_valid < 2:
            status[offset + r] = "failed"
            continue
        status[offset + r] = "ok"
        for i, q in enumerate(quantities):
            est, draws = boot.derived_draws(q.function)
            d = np.asarray(draws, dtype=float)[:, 0]
            qs = np.quantile(d, [*_interval_ends(ci_level), *_interval_ends(tost_level)], method="linear")
            cols["estimate"][offset + r, i] = float(np.asarray(est).ravel()[0])
            cols["std_error"][offset + r, i] = float(d.std(ddof=1))
            cols["ci_lower"][offset + r, i], cols["ci_upper"][offset + r, i] = qs[0], qs[1]
            cols["tost_lower"][offset + r, i], cols["tost_upper"][offset + r, i] = qs[2], qs[3]


# ---- (b) step 4: summary ------------------------------------------------------------------------
POST_HOC_CAVEAT = (
    "The population is the fitted model's own estimates, so this is post-hoc (observed) power: it is a "
    "transformation of the study's own estimates and p-values and is not evidence about the study's result "
    "(Hoenig & Heisey 2001; Yuan & Maxwell 2005). Use it to plan a replication, not to interpret this one."
)

SUMMARY_COLUMNS = (
    "n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "replications",
    "label", "criterion", "hypothesis_direction", "population_source", "estimate_sd", "bias_mc_std_error",
    "mean_std_error", "std_error_ratio", "coverage", "coverage_mc_std_error", "replications_excluded", "kind", "test",
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
                "mc_std_error": math.sqrt(power * (1 - power) / R), "replications": R, "estimate_sd": sd,
                "bias_mc_std_error": sd / math.sqrt(R) if R > 1 else np.nan, "mean_std_error": mean_se,
                "std_error_ratio": mean_se / sd if R > 1 and sd > 0 else np.nan, "coverage": cov,
                "coverage_mc_std_error": math.sqrt(cov * (1 - cov) / R) if np.isfinite(cov) else np.nan,
                "replications_excluded": int(len(g) - R), "kind": first.get("kind", ""), "test": first.get("test", ""),
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
    DataFrame: quantity_a, quantity_b, n, replications (usable for both), agreement (p_o),
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
    cols = ["quantity_a", "quantity_b", "n", "replications", "agreement", "kappa", "identical", "coincide"]
    d = rows[(rows.status == "ok") & (rows.direction != "none") & rows.detected.notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    wide = d.pivot_table(index=["n", "replication"], columns="quantity", values="detected", aggfunc="first")
    qs = [q for q in pd.unique(rows["quantity"]) if q in wide.columns]
    out = []
    for i, a in enumerate(qs):
        for b in qs[i + 1 :]:
            for n, g in wide[[a, b]].dropna().groupby(level="n"):
                x, y = g[a].to_numpy(dtype=float), g[b].to_numpy(dtype=float)
                po = float((x == y).mean())
                pe = float(x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean()))
                kappa = (po - pe) / (1 - pe) if pe < 1 else np.nan
                varies = bool(len(np.unique(np.concatenate([x, y]))) > 1)
                out.append(
                    {"quantity_a": a, "quantity_b": b, "n": int(n), "replications": len(g), "agreement": po, "kappa": kappa,
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
    reps = sorted({int(r) for r in table["replications"]}) if len(table) else []
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
                f"{r.scenario}: f² = {r.scenario_f_squared:g}" + (f", interaction f² = {r.scenario_f_squared_interaction:g}" if pd.notna(r.scenario_f_squared_interaction) else "")
                for r in levels.itertuples()
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


def _check_prob(name: str, value: float) -> None:
    if not 0 < float(value) < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
