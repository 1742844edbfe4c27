"""Power, part (b) steps 2 and 3: the quantities of interest and the replications.

:class:`Quantity` (a path, an indirect or a conditional effect and its decision rule),
the seeded streams of each replication and :func:`replicate_block`, which fits a block of
replications and tests every quantity (Monte Carlo or bootstrap intervals, TOST).
Re-exported by :mod:`leanlearn.robustness.power`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import ConvergenceWarning, DataError, SpecError
from leanlearn.robustness.power_formula import _check_prob
from leanlearn.robustness.power_population import (
    PURPOSE_POWER,
    TESTS,
    _number,
)
from leanlearn.spec.model import ModelSpec


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
    out = []
    for r in replications:
        data, test = np.random.SeedSequence(entropy=int(seed), spawn_key=(PURPOSE_POWER, int(n), int(r))).spawn(2)
        out.append((data, test))
    return out


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
    from leanlearn.pls.engine import Settings, make_plan

    _check_block(test, ci_level, n, replications, block)
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
    cols = {f: np.full((len(reps), len(quantities)), np.nan) for f in INTERVAL_FIELDS}
    status = np.empty(len(reps), dtype=object)
    for a in range(0, len(reps), chunk):
        b = min(a + chunk, len(reps))
        X = population.draw(int(n), [s[0] for s in streams[a:b]])
        test_streams = [s[1] for s in streams[a:b]]
        if test == "bootstrap":
            _bootstrap_tests(X, spec, settings, quantities, test_streams, resamples, ci_level, tost_level, cols, status, a)
        else:
            _monte_carlo_tests(plan, X, quantities, test_streams, int(n), mc_draws, ci_level, tost_level, cols, status, a)
    bad = status != "ok"
    for f in cols:
        cols[f][bad] = np.nan
    rows = _block_rows(population, quantities, pop_values, reps, n=int(n), block=int(block), test=test, ci_level=ci_level, cols=cols, status=status)
    if bad.all():
        counts = pd.Series(status).value_counts().to_dict()
        raise DataError(
            f"power: every one of the {len(reps)} replications at N = {n} (block {block}) failed "
            f"({', '.join(f'{v} {k}' for k, v in counts.items())}). The population ({population.description}) "
            "cannot be estimated with this model and settings: check the population paths and loadings (power.population) "
            "and the estimation settings."
        )
    return rows


# ---- the steps of replicate_block ---------------------------------------------------------------
INTERVAL_FIELDS = ("estimate", "std_error", "ci_lower", "ci_upper", "tost_lower", "tost_upper")
"""The numbers a test gives each replication and quantity (columns of :func:`replicate_block`)."""


def _check_block(test: str, ci_level: float, n, replications: int, block: int) -> None:
    """Refuse an unknown test, a level outside (0, 1), a sample size below 5 or an empty block."""
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, not {test!r}")
    _check_prob("ci_level", ci_level)
    if int(n) != n or n < 5:
        raise ValueError(f"n must be a whole number of at least 5, got {n!r}")
    if replications < 1 or block < 0:
        raise ValueError("replications must be >= 1 and block >= 0")


def _monte_carlo_tests(plan, X, quantities, test_streams, n: int, mc_draws: int, ci_level, tost_level, cols, status, offset) -> None:
    """Batched fit of the replications ``X`` and their tests (``test="monte_carlo"``): the normal-theory t
    interval of a single path, the Monte Carlo CI of a function of paths; fills ``cols`` and ``status`` from
    row ``offset`` in place."""
    from leanlearn.pls.engine import fit_batch

    a, b = offset, offset + X.shape[0]
    fit = fit_batch(plan, X, np.ones((b - a, n)))
    status[a:b] = np.where(fit.failed, "failed", np.where(fit.converged, "ok", "not_converged"))
    cov = _equation_covariances(plan, fit, n)
    P = fit.paths
    for i, q in enumerate(quantities):
        cols["estimate"][a:b, i] = np.asarray(q.function(P))[:, 0]
    for i, q in enumerate(quantities):
        if q.kind != "path" or q.path is None:
            continue
        s, t = q.path
        Pj, V = cov[t]
        pos = int(np.flatnonzero(Pj == s)[0])
        k = len(Pj)
        se = np.sqrt(V[:, pos, pos])
        est = cols["estimate"][a:b, i]
        cols["std_error"][a:b, i] = se
        for level, lo_key, hi_key in ((ci_level, "ci_lower", "ci_upper"), (tost_level, "tost_lower", "tost_upper")):
            crit = stats.t.ppf(_interval_ends(level)[1], max(n - k - 1, 1))
            cols[lo_key][a:b, i] = est - crit * se
            cols[hi_key][a:b, i] = est + crit * se
    derived = [i for i, q in enumerate(quantities) if q.kind == "derived"]
    if not derived:
        return
    K = len(plan.final.constructs)
    sub = max(1, int(8e6 // (mc_draws * K**2 * 8)))  # replications per batch of Monte Carlo draws (memory only)
    for c0 in range(0, b - a, sub):
        c1 = min(c0 + sub, b - a)
        D = _monte_carlo_draws(P[c0:c1], {j: (Pj, V[c0:c1]) for j, (Pj, V) in cov.items()}, test_streams[c0:c1], mc_draws)
        for i in derived:
            vals = np.asarray(quantities[i].function(D))[..., 0]  # (b, draws)
            qs = np.quantile(vals, [*_interval_ends(ci_level), *_interval_ends(tost_level)], axis=1, method="linear")
            cols["std_error"][a + c0 : a + c1, i] = vals.std(axis=1, ddof=1)
            cols["ci_lower"][a + c0 : a + c1, i], cols["ci_upper"][a + c0 : a + c1, i] = qs[0], qs[1]
            cols["tost_lower"][a + c0 : a + c1, i], cols["tost_upper"][a + c0 : a + c1, i] = qs[2], qs[3]


def _block_rows(population, quantities, pop_values, reps, *, n: int, block: int, test: str, ci_level: float, cols, status) -> pd.DataFrame:
    """The rows of :func:`replicate_block`: one per replication and quantity, with its decisions."""
    bad = status != "ok"
    frames = []
    for i, q in enumerate(quantities):
        lo, hi = cols["ci_lower"][:, i], cols["ci_upper"][:, i]
        eq = np.full(len(reps), np.nan)
        if q.sesoi is not None:
            eq = np.where(bad, np.nan, ((cols["tost_lower"][:, i] > -q.sesoi) & (cols["tost_upper"][:, i] < q.sesoi)).astype(float))
        frames.append(
            pd.DataFrame(
                {
                    "n": n, "block": block, "replication": reps, "quantity": q.id, "label": q.label,
                    "kind": q.kind, "direction": q.direction, "sesoi": np.nan if q.sesoi is None else q.sesoi,
                    "population_value": pop_values[i], "population_source": population.source,
                    "test": "bootstrap_percentile" if test == "bootstrap" else ("t" if q.kind == "path" else "monte_carlo_ci"),
                    "ci_level": ci_level, "status": status,
                    **{f: cols[f][:, i] for f in INTERVAL_FIELDS},
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
