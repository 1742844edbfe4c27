"""Power, part (b) step 1: the population a Monte Carlo power study draws from.

Defaults (model, loadings, effect grid, calibration seed), :class:`LatentPopulation` and its
constructors (from effects, from estimates, from f², an effect grid) and the study population
that draws fictitious survey responses. Re-exported by :mod:`leanlearn.robustness.power`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np
from scipy import stats

from leanlearn.errors import SpecError
from leanlearn.spec.model import ModelSpec, parse_model

if TYPE_CHECKING:
    from leanlearn.datasets.simulate import PopulationModel

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


# ---- (b) step 1: the population -----------------------------------------------------------------
def _interaction_terms(spec: ModelSpec) -> dict[str, tuple[str, str]]:
    return {i.name: (i.terms[0], i.terms[1]) for i in spec.interactions}


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
    model: PopulationModel
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
