"""Sample size and Monte Carlo power (leanlearn.robustness.power, ``leanlearn power``).

The claims: the inverse square root rule gives Kock & Hadaya's numbers; the Monte Carlo
recovers a power known in closed form (the t test of a correlation) within its Monte Carlo
SE; it runs on any model (Mode B, no hypotheses, no interaction) and from each population
source; its streams depend on (seed, N, replication) only; a hypothesis of no effect counts
only through equivalence; coinciding tests are found; a failure of every replication is an
error, never a NaN summary.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from leanlearn.cli import main
from leanlearn.datasets.simulate import PopulationModel
from leanlearn.effects.hypotheses import load_hypotheses
from leanlearn.errors import DataError, SpecError
from leanlearn.pls.engine import Settings, estimate, fit_batch, make_plan
from leanlearn.robustness import power as pw
from leanlearn.spec.model import parse_model

ROOT = Path(__file__).resolve().parents[1]
CORP_REP = ROOT / "tests" / "reference" / "models" / "corp_rep_extended.lav"
CORP_REP_DATA = ROOT / "tests" / "reference" / "seminr" / "corp_rep_data.csv"

STUDY_HYPOTHESES = [
    {"id": "a1", "test": "path", "source": "LP", "target": "LS", "direction": "positive"},
    {"id": "a3", "test": "interaction", "interaction": "LP:DIG", "target": "LS", "direction": "positive"},
    {"id": "b", "test": "path", "source": "LS", "target": "OP", "direction": "positive"},
    {"id": "c2", "test": "path", "source": "DIG", "target": "OP", "direction": "nonzero"},
    {"id": "imm", "test": "moderated_mediation", "path": ["LP", "LS", "OP"], "moderator": "DIG", "direction": "positive"},
    {"id": "ci_high", "test": "conditional_indirect", "path": ["LP", "LS", "OP"], "moderator": "DIG", "at": 1, "direction": "positive"},
]
MEDIATION = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ X + M
"""


def _quantities(pop, entries=None, hypotheses=None, sesoi=None):
    plan = make_plan(pop.spec, Settings())
    hyps = load_hypotheses(hypotheses) if hypotheses else None
    return pw.quantities_of_interest(pop.spec, plan, hypotheses=hyps, entries=entries, sesoi=sesoi)[0]


# ---- inverse square root method ----------------------------------------------------------------
def test_inverse_sqrt_constants_round_to_kock_hadaya_values():
    assert round(pw.inverse_sqrt_constant(), 3) == 2.486
    assert round(pw.inverse_sqrt_constant(tails=2), 3) == 2.802


@pytest.mark.parametrize("beta, tails, expected", [(0.10, 1, 619), (0.10, 2, 785), (0.197, 1, 160)])
def test_minimum_sample_size_matches_hand_values(beta, tails, expected):
    assert pw.minimum_sample_size(beta, tails=tails) == expected


def test_minimum_detectable_effect_at_study_and_country_size():
    assert pw.minimum_detectable_effect(209) == pytest.approx(0.172, abs=5e-4)
    assert pw.minimum_detectable_effect(209, tails=2) == pytest.approx(0.194, abs=5e-4)
    assert pw.minimum_detectable_effect(17) == pytest.approx(0.60, abs=5e-3)


def test_inverse_sqrt_rejects_impossible_inputs():
    with pytest.raises(ValueError):
        pw.minimum_sample_size(0)
    with pytest.raises(ValueError):
        pw.inverse_sqrt_constant(alpha=1.5)
    with pytest.raises(ValueError):
        pw.minimum_detectable_effect(0)


def test_minimum_n_table_has_both_tails_and_detectable_effect():
    t = pw.minimum_n_table([0.1, 0.2], n=209)
    assert list(t.columns) == ["tails", "alpha", "power", "constant", "beta_min", "minimum_n", "n", "minimum_detectable_beta"]
    assert t.set_index(["tails", "beta_min"]).loc[(2, 0.1), "minimum_n"] == 785


# ---- step 1: populations -------------------------------------------------------------------------
def test_generic_population_gives_unit_variance_latents_and_the_implied_correlations():
    # single indicators (loading 1): the items are the latent variables themselves
    pop = pw.population_from_effects("M ~ X\nY ~ X + M", paths={"X -> M": 0.4, "M -> Y": 0.5, "X -> Y": 0.1})
    X = pw.replication_streams(3, 1, [0])[0][0]
    d = pop.draw(200_000, [X])[0]
    items = list(pop.spec.items)
    C = np.corrcoef(d, rowvar=False)
    ix = {c: items.index(c) for c in ("X", "M", "Y")}
    assert np.allclose(d.var(axis=0, ddof=1), 1.0, atol=0.015)
    assert C[ix["X"], ix["M"]] == pytest.approx(0.4, abs=0.01)
    assert C[ix["X"], ix["Y"]] == pytest.approx(0.1 + 0.4 * 0.5, abs=0.01)  # direct + indirect
    assert C[ix["M"], ix["Y"]] == pytest.approx(0.5 + 0.1 * 0.4, abs=0.01)
    assert pop.r_squared()["M"] == pytest.approx(0.16, abs=0.005)


def test_population_interaction_is_the_product_of_standardised_latents():
    # Y = 0.3 X + 0.3 W + 0.25 X*W: with corr(X, W) = 0.3, Var(XW) = 1 + 0.09 and R^2 is known
    pop = pw.population_from_effects("Y ~ X + W + X:W", paths={"X -> Y": 0.3, "W -> Y": 0.3, "X:W -> Y": 0.25}, correlations=0.3)
    r2 = 0.3**2 + 0.3**2 + 2 * 0.3 * 0.3 * 0.3 + 0.25**2 * (1 + 0.3**2)
    assert pop.r_squared()["Y"] == pytest.approx(r2, rel=0.01)


def test_population_from_effects_names_the_bad_key():
    with pytest.raises(SpecError, match=r"power.population.paths\['A -> Y'\].*no path"):
        pw.population_from_effects("Y ~ X", paths={"A -> Y": 0.3})
    with pytest.raises(SpecError, match="SOURCE -> TARGET"):
        pw.population_from_effects("Y ~ X", paths={"Y ~ X": 0.3})
    with pytest.raises(SpecError, match="R² must stay below 1"):
        pw.population_from_effects("Y ~ X + W", paths={"X -> Y": 0.9, "W -> Y": 0.9}, correlations=0.5)
    with pytest.raises(SpecError, match="loadings"):
        pw.population_from_effects(MEDIATION, paths={"X -> M": 0.3}, loadings={"Q": 0.7})


def test_an_empty_list_of_quantities_is_an_error():
    with pytest.raises(SpecError, match="no quantity to test"):
        pw.replicate_block(pw.population_from_effects("Y ~ X", paths={"X -> Y": 0.2}), n=50, seed=1, replications=2, quantities=[])


def test_study_population_refuses_a_model_with_other_items():
    with pytest.raises(SpecError, match="source 'study'"):
        pw.study_population(MEDIATION)


# ---- step 3: replications --------------------------------------------------------------------
def test_batched_fit_of_replications_equals_estimating_each_data_set():
    pop = pw.study_population(pw.DEFAULT_MODEL)
    plan = make_plan(pop.spec, Settings())
    X = pop.draw(150, [s[0] for s in pw.replication_streams(1, 150, range(3))])
    fit = fit_batch(plan, X, np.ones((3, 150)))
    for r in range(3):
        res = estimate(pd.DataFrame(X[r], columns=list(pop.spec.items)), pop.spec, assess=False)
        assert np.allclose(fit.paths[r], res.path_matrix, atol=1e-10)


def test_streams_depend_on_seed_n_and_replication_only_not_on_blocks():
    pop = pw.population_from_effects(MEDIATION, paths={"X -> M": 0.3, "M -> Y": 0.3})
    qs = _quantities(pop)
    whole = pw.replicate_block(pop, n=80, seed=11, block=0, replications=4, quantities=qs, mc_draws=1000)
    halves = pd.concat([pw.replicate_block(pop, n=80, seed=11, block=b, replications=2, quantities=qs, mc_draws=1000) for b in (0, 1)])
    cols = ["replication", "quantity", "estimate", "ci_lower", "ci_upper"]
    pd.testing.assert_frame_equal(whole[cols].reset_index(drop=True), halves[cols].reset_index(drop=True).assign(block=0)[cols])
    other = pw.replicate_block(pop, n=80, seed=12, block=0, replications=4, quantities=qs, mc_draws=1000)
    assert not np.allclose(whole.estimate, other.estimate)
    assert set(whole.block) == {0} and set(halves.block) == {0, 1}


def test_rows_carry_the_study_population_values():
    pop = pw.study_population(pw.DEFAULT_MODEL)
    rows = pw.replicate_block(pop, n=120, seed=7, replications=3, quantities=_quantities(pop, entries=STUDY_HYPOTHESES), mc_draws=1000)
    pm = PopulationModel()
    vals = rows.drop_duplicates("quantity").set_index("quantity")["population_value"]
    assert vals["imm"] == pytest.approx(pm.a3 * pm.b)
    assert vals["ci_high"] == pytest.approx((pm.a1 + pm.a3) * pm.b)
    assert vals["c2"] == 0.0
    one = rows[rows.replication == 0].set_index("quantity")
    assert one.loc["a3", "ci_lower"] < one.loc["a3", "estimate"] < one.loc["a3", "ci_upper"]
    assert one.loc["imm", "estimate"] == pytest.approx(one.loc["a3", "estimate"] * one.loc["b", "estimate"])
    assert (rows.status == "ok").all()


def test_population_override_changes_population_values():
    pop = pw.study_population(pw.DEFAULT_MODEL, model=replace(PopulationModel(), a3=0.10))
    rows = pw.replicate_block(pop, n=100, seed=3, replications=2, quantities=_quantities(pop, entries=STUDY_HYPOTHESES), mc_draws=1000)
    vals = rows.drop_duplicates("quantity").set_index("quantity")["population_value"]
    assert vals["a3"] == 0.10 and vals["imm"] == pytest.approx(0.10 * PopulationModel().b)


def test_hypotheses_of_another_model_are_left_out_with_a_note():
    spec = parse_model(pw.DEFAULT_MODEL.replace(" + LP:DIG", ""))
    plan = make_plan(spec, Settings())
    qs, notes = pw.quantities_of_interest(spec, plan, hypotheses=load_hypotheses(STUDY_HYPOTHESES))
    assert [q.id for q in qs] == ["a1", "b", "c2"]
    assert any("a3 is not a quantity of this model" in n for n in notes)


# ---- the Monte Carlo ----------------------------------------------------------------------------
def _correlation_power(rho: float, n: int, alpha: float = 0.05) -> float:
    """Exact power of the one-sided (upper) level-alpha/2 t test of a correlation (Hotelling's density of r)."""
    tc = stats.t.ppf(1 - alpha / 2, n - 2)
    rc = tc / math.sqrt(n - 2 + tc**2)

    def density(r):
        logf = (
            math.log(n - 2) + special.gammaln(n - 1) + (n - 1) / 2 * math.log(1 - rho**2) + (n - 4) / 2 * math.log(1 - r**2)
            - 0.5 * math.log(2 * math.pi) - special.gammaln(n - 0.5) - (n - 1.5) * math.log(1 - rho * r)
        )  # fmt: skip
        return math.exp(logf) * special.hyp2f1(0.5, 0.5, n - 0.5, (1 + rho * r) / 2)

    total = integrate.quad(density, -1, 1, limit=200)[0]
    assert total == pytest.approx(1.0, abs=1e-6)  # the density is right
    return integrate.quad(density, rc, 1, limit=200)[0]


@pytest.mark.parametrize("rho, n", [(0.2, 100), (0.3, 60), (0.0, 80)])
def test_monte_carlo_recovers_the_known_power_of_a_correlation(rho, n):
    # two single-indicator constructs: the PLS path is r and the t interval is the t test of r
    pop = pw.population_from_effects("Y ~ X", paths={"X -> Y": rho})
    qs = _quantities(pop, entries=[{"id": "r", "test": "path", "source": "X", "target": "Y", "direction": "positive"}])
    rows = pw.replicate_block(pop, n=n, seed=2024, replications=4000, quantities=qs)
    row = pw.summarize(rows).iloc[0]
    exact = _correlation_power(rho, n)
    fisher = stats.norm.cdf(math.atanh(rho) * math.sqrt(n - 3) - stats.norm.ppf(0.975))
    assert exact == pytest.approx(fisher, abs=0.01)
    assert row["n_replications"] == 4000
    assert abs(row["power"] - exact) <= 3 * math.sqrt(exact * (1 - exact) / 4000), (row["power"], exact)


def test_cheap_test_standard_errors_are_calibrated_on_a_mediation_model():
    pop = pw.population_from_effects(MEDIATION, paths={"X -> M": 0.4, "M -> Y": 0.35, "X -> Y": 0.1}, loadings=0.8)
    qs = _quantities(pop, entries=[
        {"id": "a", "test": "path", "source": "X", "target": "M"},
        {"id": "c", "test": "path", "source": "X", "target": "Y"},
        {"id": "ab", "test": "indirect", "path": ["X", "M", "Y"]},
    ])  # fmt: skip
    tab = pw.summarize(pw.replicate_block(pop, n=200, seed=5, replications=600, quantities=qs)).set_index("parameter")
    for q in ("a", "c", "ab"):
        assert 0.85 <= tab.loc[q, "std_error_ratio"] <= 1.15, (q, tab.loc[q, "std_error_ratio"])
    assert tab.loc["a", "test"] == "t" and tab.loc["ab", "test"] == "monte_carlo_ci"


@pytest.fixture(scope="module")
def null_and_huge():
    """400 replications at N = 200 of the study population: b = 0.5 (huge at this N) and c2 = 0 (no effect).

    The model controls for log_employees (SIZE -> OP = 0.10 and corr(SIZE, DIG) = 0.20 would
    otherwise bias DIG -> OP)."""
    model = pw.DEFAULT_MODEL.replace("OP ~ LP + DIG + LS", "OP ~ LP + DIG + LS + log_employees")
    pop = pw.study_population(model, method_factor=False)
    rows = pw.replicate_block(pop, n=200, seed=1, replications=400, quantities=_quantities(pop, entries=STUDY_HYPOTHESES))
    return pw.summarize(rows).set_index("parameter"), rows


def test_power_for_a_huge_effect_is_one(null_and_huge):
    tab, rows = null_and_huge
    assert tab.loc["b", "power"] == 1.0
    assert tab.loc["b", "mc_std_error"] == 0.0
    # a replication that does not converge is excluded and counted, not scored
    failed = int((rows.drop_duplicates("replication").status != "ok").sum())
    assert tab.loc["b", "n_replications"] == 400 - failed and tab.loc["b", "n_replications_excluded"] == failed
    assert failed <= 4


def test_power_for_a_zero_effect_is_about_alpha(null_and_huge):
    tab, _ = null_and_huge
    row = tab.loc["c2"]
    assert row["population_value"] == 0.0
    R = row["n_replications"]
    assert abs(row["power"] - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / R)
    assert row["mc_std_error"] == pytest.approx(math.sqrt(row["power"] * (1 - row["power"]) / R))


def test_interaction_path_and_index_of_moderated_mediation_coincide(null_and_huge):
    tab, rows = null_and_huge
    co = pw.coincident_tests(rows).set_index(["quantity_a", "quantity_b"])
    assert co.loc[("a3", "imm"), "coincide"] and co.loc[("a3", "imm"), "kappa"] >= 0.95
    assert not co.loc[("a1", "c2"), "coincide"]  # unrelated tests
    notes = pw.power_notes(rows, tab.reset_index(), co.reset_index())
    assert "a3 and imm" in notes


def test_monte_carlo_recovers_population_values_in_expectation():
    # high-reliability indicators (loading 0.95, continuous, no method factor): composite
    # reliability ~0.99, so Mode A attenuation is ~1-3 % and the mean estimate must sit
    # within Monte Carlo error (plus that small attenuation) of the population value
    pop = pw.study_population(pw.DEFAULT_MODEL, likert=False, loading_scale=0.95, method_factor=False)
    rows = pw.replicate_block(pop, n=800, seed=4, replications=12, quantities=_quantities(pop, entries=STUDY_HYPOTHESES), mc_draws=1000)
    tab = pw.summarize(rows).set_index("parameter")
    for p in ("a1", "a3", "b", "c2", "imm", "ci_high"):
        r = tab.loc[p]
        assert abs(r["bias"]) <= 3 * r["bias_mc_std_error"] + 0.015, (p, r["bias"], r["bias_mc_std_error"])


def test_a_hypothesis_of_no_effect_counts_only_through_equivalence():
    pop = pw.population_from_effects(MEDIATION, paths={"X -> M": 0.4, "M -> Y": 0.4, "X -> Y": 0.0}, loadings=0.9)
    entries = [{"id": "c0", "test": "path", "source": "X", "target": "Y", "direction": "none", "sesoi": 0.15},
               {"id": "c_plain", "test": "path", "source": "X", "target": "Y", "direction": "none"}]  # fmt: skip
    qs = _quantities(pop, entries=entries)
    rows = pd.concat([pw.replicate_block(pop, n=n, seed=8, replications=300, quantities=qs) for n in (40, 600)])
    tab = pw.summarize(rows).set_index(["parameter", "n"])
    assert "c_plain" not in tab.index.get_level_values(0)  # no SESOI: left out, not "supported"
    assert pw.left_out(rows) == ["c_plain"]
    small, large = tab.loc[("c0", 40)], tab.loc[("c0", 600)]
    assert small["power"] < 0.2 and large["power"] > 0.9  # equivalence is shown at large N only
    nonsig = 1 - rows[(rows.quantity == "c0") & (rows.n == 40)].detected.mean()
    assert nonsig > 0.9 and small["power"] < nonsig  # non-significance is common but does not count
    assert "equivalence" in small["criterion"]


def test_summary_arithmetic_by_hand():
    def row(n, r, est, lo, hi, status="ok"):
        return {"n": n, "replication": r, "quantity": "a1", "direction": "nonzero", "status": status, "population_value": 0.2,
                "estimate": est, "std_error": 0.1, "ci_lower": lo, "ci_upper": hi, "detected": float(lo > 0 or hi < 0) if status == "ok" else np.nan}  # fmt: skip

    rows = pd.DataFrame(
        [
            row(100, 1, 0.30, 0.05, 0.55),  # excludes 0, covers 0.2
            row(100, 2, 0.10, -0.10, 0.30),  # includes 0, covers 0.2
            row(100, 3, 0.20, 0.01, 0.39),  # excludes 0, covers 0.2
            row(100, 4, -0.20, -0.40, -0.01),  # excludes 0 (below), misses 0.2
            row(100, 5, np.nan, np.nan, np.nan, status="failed"),
            row(200, 1, 0.25, 0.10, 0.40),
        ]
    )
    tab = pw.summarize(rows)
    assert list(tab.columns[:8]) == ["n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "n_replications"]
    r = tab[(tab.parameter == "a1") & (tab.n == 100)].iloc[0]
    assert r["n_replications"] == 4 and r["n_replications_excluded"] == 1
    assert r["power"] == pytest.approx(0.75)
    assert r["mc_std_error"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    assert r["mean_estimate"] == pytest.approx(0.10)
    assert r["bias"] == pytest.approx(-0.10)
    sd = np.std([0.30, 0.10, 0.20, -0.20], ddof=1)
    assert r["estimate_sd"] == pytest.approx(sd)
    assert r["bias_mc_std_error"] == pytest.approx(sd / 2)
    assert r["coverage"] == pytest.approx(0.75)
    assert r["std_error_ratio"] == pytest.approx(0.1 / sd)
    r2 = tab[(tab.parameter == "a1") & (tab.n == 200)].iloc[0]
    assert r2["power"] == 1.0 and r2["n_replications"] == 1
    # a positive hypothesis does not count an interval below zero
    pos = pw.summarize(rows.assign(direction="positive", detected=(rows.ci_lower > 0).astype(float).where(rows.status == "ok")))
    assert pos[pos.n == 100].power.iloc[0] == pytest.approx(0.5)


def test_failure_of_every_replication_is_an_error_not_a_nan_summary():
    rows = pd.DataFrame({"n": [100] * 3, "replication": [0, 1, 2], "quantity": "a1", "direction": "positive", "status": "failed",
                         "population_value": 0.3, "estimate": np.nan, "std_error": np.nan, "ci_lower": np.nan,
                         "ci_upper": np.nan, "detected": np.nan})  # fmt: skip
    with pytest.raises(ValueError, match="every replication failed"):
        pw.summarize(rows)

    class Broken(pw.LatentPopulation):
        def draw(self, n, streams):  # constant items: nothing can be estimated
            return np.ones((len(streams), n, len(self.spec.items)))

    pop = pw.population_from_effects(MEDIATION, paths={"X -> M": 0.3})
    broken = Broken(**pop.__dict__)
    with pytest.raises(DataError, match="every one of the 5 replications at N = 50"):
        pw.replicate_block(broken, n=50, seed=1, replications=5, quantities=_quantities(pop))


def test_minimum_n_takes_the_first_n_from_which_power_stays_above_target():
    table = pd.DataFrame(
        {
            "n": [100, 150, 209, 300, 100, 150],
            "parameter": ["a3"] * 4 + ["index_moderated_mediation"] * 2,
            "population_value": [0.25] * 4 + [0.125] * 2,
            "power": [0.82, 0.78, 0.85, 0.95, 0.3, 0.5],
            "kind": ["path"] * 4 + ["derived"] * 2,
        }
    )
    m = pw.minimum_n(table, target_power=0.8).set_index("parameter")
    assert m.loc["a3", "minimum_n_monte_carlo"] == 209  # 100 reached 0.82 by luck, 150 fell back
    assert m.loc["a3", "minimum_n_inverse_sqrt_one_tailed"] == pw.minimum_sample_size(0.25)
    assert np.isnan(m.loc["index_moderated_mediation", "minimum_n_monte_carlo"])
    assert np.isnan(m.loc["index_moderated_mediation", "minimum_n_inverse_sqrt_one_tailed"])


# ---- CLI -------------------------------------------------------------------------------------------
def test_cli_minimum_n_replicate_and_summarize(tmp_path, capsys):
    assert main(["power", "minimum-n", "--beta-min", "0.1", "--out", str(tmp_path / "mn.csv")]) == 0
    mn = pd.read_csv(tmp_path / "mn.csv")
    assert mn.set_index("tails").loc[1, "minimum_n"] == 619
    model = tmp_path / "study.lav"
    model.write_text(pw.DEFAULT_MODEL)
    cfg = tmp_path / "cfg.yaml"
    # industry_group is not simulated: it is left out of the Monte Carlo model with a warning
    cfg.write_text(
        "seed: 99\ncontrols: {variables: [log_employees, industry_group], targets: [OP]}\n"
        "power: {replications_per_block: 3, mc_draws: 1000, population: {source: study}}\n"
    )
    files = []
    for n, block in ((100, 0), (100, 1), (150, 0)):
        f = tmp_path / "reps" / f"n{n}_b{block}.csv"
        assert main(["power", "replicate", "--model", str(model), "--n", str(n), "--block", str(block), "--out", str(f), "--config", str(cfg)]) == 0
        files.append(str(f))
    one = pd.read_csv(files[0])
    assert sorted(one.replication.unique()) == [0, 1, 2] and "log_employees -> OP" in set(one.quantity)
    assert sorted(pd.read_csv(files[1]).replication.unique()) == [3, 4, 5]
    out = tmp_path / "summary"
    assert main(["power", "summarize", "--out", str(out), *files, "--config", str(cfg)]) == 0
    power = pd.read_csv(out / "power.csv")
    assert list(power.columns[:8]) == ["n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "n_replications"]
    assert set(power["n"]) == {100, 150}
    assert power[power.n == 100]["n_replications"].eq(6).all()
    for name in ("minimum_n.csv", "notes.txt", "coincident_tests.csv", "replications.csv", "settings.json"):
        assert (out / name).exists()
    assert "bundled study's documented population model" in (out / "notes.txt").read_text()
    # duplicated replications are refused
    assert main(["power", "summarize", "--out", str(out), files[0], files[0]]) == 2
    assert "more than once" in capsys.readouterr().err


def test_cli_power_runs_on_a_mode_b_model_from_its_own_estimates(tmp_path):
    # corp_rep: 8 constructs, 4 Mode B, no interaction, no configured hypotheses -> every path
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("seed: 5\npower: {replications_per_block: 40, mc_draws: 1000, population: {source: estimates}}\n")
    f = tmp_path / "n300.csv"
    assert main(["power", "replicate", str(CORP_REP_DATA), "--model", str(CORP_REP), "--n", "300", "--block", "0", "--out", str(f), "--config", str(cfg)]) == 0
    out = tmp_path / "summary"
    assert main(["power", "summarize", "--out", str(out), str(f), "--config", str(cfg)]) == 0
    power = pd.read_csv(out / "power.csv")
    paths = parse_model(CORP_REP.read_text()).paths
    assert list(power.parameter) == [f"{p.source} -> {p.target}" for p in paths]  # the model's 13 paths
    assert power.n_replications.eq(40).all()
    assert np.isfinite(power.power).all() and (power.population_source == "estimates").all()
    notes = (out / "notes.txt").read_text()
    assert "post-hoc (observed) power" in notes and "Hoenig & Heisey 2001" in notes


def test_cli_power_from_effects_with_the_configured_hypotheses(tmp_path):
    model = tmp_path / "m.lav"
    model.write_text(MEDIATION)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "hypotheses:\n"
        "  - {id: H1, test: path, source: X, target: M, direction: positive}\n"
        "  - {id: H2, test: indirect, path: [X, M, Y], direction: positive}\n"
        "  - {id: H9, test: path, source: Q, target: Y, direction: positive}\n"
        "power: {replications_per_block: 30, mc_draws: 1000, population: {source: effects, paths: {'X -> M': 0.5, 'M -> Y': 0.5}}}\n"
    )
    f = tmp_path / "r.csv"
    assert main(["power", "replicate", "--model", str(model), "--n", "120", "--block", "0", "--out", str(f), "--config", str(cfg)]) == 0
    rows = pd.read_csv(f)
    assert set(rows.quantity) == {"H1", "H2"}  # H9 is not in this model
    out = tmp_path / "s"
    assert main(["power", "summarize", "--out", str(out), str(f), "--config", str(cfg)]) == 0
    notes = (out / "notes.txt").read_text()
    assert "H9 is not a quantity of this model" in notes and "post-hoc" not in notes


@pytest.mark.parametrize(
    "power_cfg, message",
    [
        ("{resampels: 200}", "unknown key power.resampels"),
        ("{population: {sorce: effects}}", "unknown key power.population.sorce"),
        ("{population: {source: guess}}", "power.population.source must be one of"),
        ("{mc_draws: 100}", "power.mc_draws must be at least 1000"),
        ("{ci_level: 95}", "power.ci_level must be a number strictly between 0 and 1"),
        ("{population: {source: effects}}", "needs the standardised paths"),
        ("{population: {source: estimates}}", "needs the analysis data"),
        ("{population: {grid: [{label: small, f2: -0.1}]}}", "power.population.grid[0].f2"),
        ("{population: {grid: [{f2: 0.1}, {f2: 0.1}]}}", "power.population.grid[1]: label"),
        ("{population: {grid: [{label: small, f_2: 0.1}]}}", "power.population.grid[0]: expected a mapping with f2"),
    ],
)
def test_cli_power_config_errors_name_the_key(tmp_path, capsys, power_cfg, message):
    model = tmp_path / "m.lav"
    model.write_text(MEDIATION)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"power: {power_cfg}\n")
    code = main(["power", "replicate", "--model", str(model), "--n", "50", "--block", "0", "--out", str(tmp_path / "r.csv"), "--config", str(cfg)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_summarize_of_failed_replications_exits_2(tmp_path, capsys):
    f = tmp_path / "r.csv"
    pd.DataFrame({"n": [60, 60], "replication": [0, 1], "quantity": "H1", "direction": "positive", "status": "failed",
                  "population_value": 0.3, "estimate": np.nan, "std_error": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                  "detected": np.nan, "population_source": "effects", "ci_level": 0.95}).to_csv(f, index=False)  # fmt: skip
    assert main(["power", "summarize", "--out", str(tmp_path / "s"), str(f)]) == 2
    err = capsys.readouterr().err
    assert "every replication failed" in err and "N = 60" in err
    assert not (tmp_path / "s").exists()


def test_power_table_and_headline_state_the_rule_the_population_and_coinciding_tests():
    from leanlearn.report.headline import _robustness
    from leanlearn.report.tables import power_table

    power = pd.DataFrame({"n": [100, 209, 100, 209], "parameter": ["H5", "H5", "H6", "H6"], "population_value": [0.17, 0.17, 0.07, 0.07],
                          "power": [0.31, 0.64, 0.28, 0.64], "mc_std_error": [0.015, 0.015, 0.014, 0.015], "n_replications": [1000] * 4,
                          "population_source": ["estimates"] * 4, "coincides_with": ["", "H6", "", "H5"]})  # fmt: skip
    note = power_table(power).note
    assert "predicted direction" in note and "never non-significance" in note
    assert "post-hoc power" in note and "Monte Carlo SE at most 0.015" in note
    assert "H5 and H6: the same decision" in note
    lines = " ".join(_robustness({"robustness/power/power.csv": power}))
    assert "H5 0.31 / 0.64" in lines and "post-hoc power" in lines and "H5 and H6 are in effect one test" in lines


def test_cheap_test_agrees_with_the_percentile_bootstrap_replication_by_replication():
    # mid-range power, so that decisions vary: the t / Monte Carlo CI decisions and the
    # percentile-bootstrap decisions on the same data sets must agree. (At N = 90 with a
    # weak path the bootstrap is more conservative, see docs/power.md.)
    pop = pw.population_from_effects(MEDIATION, paths={"X -> M": 0.2, "M -> Y": 0.25, "X -> Y": 0.1}, loadings=0.8)
    qs = _quantities(pop, entries=[
        {"id": "a", "test": "path", "source": "X", "target": "M", "direction": "positive"},
        {"id": "ab", "test": "indirect", "path": ["X", "M", "Y"], "direction": "positive"},
    ])  # fmt: skip
    cheap = pw.replicate_block(pop, n=200, seed=21, replications=40, quantities=qs)
    boot = pw.replicate_block(pop, n=200, seed=21, replications=40, quantities=qs, test="bootstrap", resamples=999)
    assert np.allclose(cheap.estimate, boot.estimate, atol=1e-10)  # the same data sets
    assert set(boot.test) == {"bootstrap_percentile"}
    for q in ("a", "ab"):
        x = cheap[cheap.quantity == q].detected.to_numpy()
        y = boot[boot.quantity == q].detected.to_numpy()
        assert 0.2 < x.mean() < 0.9  # decisions vary
        assert (x == y).mean() >= 0.9, (q, (x == y).mean())
    notes = pw.power_notes(boot, pw.summarize(boot), pw.coincident_tests(boot), resamples=100)
    assert "Fewer than 25 resamples lie beyond each interval end" in notes


# ---- the default population: an a priori grid of effect sizes ---------------------------------------
CHAIN = """
X =~ x1 + x2 + x3
W =~ w1 + w2 + w3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X + W + X:W
Y ~ X + W + M
"""


def _r2(y, cols):
    X = np.column_stack([*cols, np.ones(len(y))])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    return 1 - np.var(y - X @ b) / np.var(y)


def test_default_effect_grid_is_cohens_f2_with_smaller_interaction_levels():
    assert [(g["label"], g["f2"], g["f2_interaction"]) for g in pw.DEFAULT_EFFECT_GRID] == [
        ("small", 0.02, 0.005), ("medium", 0.15, 0.01), ("large", 0.35, 0.025)]  # fmt: skip


@pytest.mark.parametrize("f2, f2_int", [(0.02, 0.005), (0.15, 0.01), (0.35, 0.025)])
def test_effect_grid_gives_every_path_its_f2_with_correlated_predictors(f2, f2_int):
    # X and W correlate 0.4 and M is a predictor of Y beside X and W, so the predictors of Y are
    # correlated: every path must still add exactly its f2 (recomputed on an independent draw)
    pop = pw.population_from_f2(CHAIN, f2=f2, f2_interaction=f2_int, correlations=0.4)
    rng = np.random.default_rng(20261201)
    eta, _ = pop._latents(rng.standard_normal((300_000, 2)), rng.standard_normal((300_000, 2)), pop.residual_variances)
    terms = {"X": eta["X"], "W": eta["W"], "M": eta["M"], "X:W": eta["X"] * eta["W"]}
    for target, preds in (("M", ["X", "W", "X:W"]), ("Y", ["X", "W", "M"])):
        assert np.var(eta[target]) == pytest.approx(1.0, abs=0.01)
        full = _r2(eta[target], [terms[q] for q in preds])
        for q in preds:
            reduced = _r2(eta[target], [terms[o] for o in preds if o != q])
            want = f2_int if q == "X:W" else f2
            assert (full - reduced) / (1 - full) == pytest.approx(want, rel=0.06, abs=0.0015), (target, q)


def test_effect_grid_never_explains_all_variance_even_with_many_predictors():
    model = "\n".join(f"X{i} =~ a{i} + b{i}" for i in range(8)) + "\nY =~ y1 + y2\nY ~ " + " + ".join(f"X{i}" for i in range(8))
    pop = pw.population_from_f2(model, f2=0.35, correlations=0.5)
    assert 0 < pop.r_squared()["Y"] < 1
    assert all(v > 0 for v in pop.paths.values())


def test_effect_grid_sets_no_effect_paths_to_zero_and_negative_paths_negative():
    pop = pw.population_from_f2(MEDIATION, f2=0.15, zero=[("X", "Y")], signs={("M", "Y"): -1})
    assert pop.paths[("X", "Y")] == 0.0 and pop.paths[("M", "Y")] < 0 < pop.paths[("X", "M")]


def test_cli_power_default_population_is_the_effect_grid_for_any_model(tmp_path):
    # no population configured and no data: the grid; power rises with the effect size level
    model = tmp_path / "m.lav"
    model.write_text(CHAIN)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "hypotheses:\n"
        "  - {id: H1, test: path, source: X, target: M, direction: positive}\n"
        "  - {id: H2, test: path, source: W, target: Y, direction: negative}\n"
        "  - {id: H3, test: path, source: X, target: Y, direction: none, sesoi: 0.1}\n"
        "power: {replications_per_block: 60, mc_draws: 1000}\n"
    )
    f = tmp_path / "r.csv"
    assert main(["power", "replicate", "--model", str(model), "--n", "150", "--block", "0", "--out", str(f), "--config", str(cfg)]) == 0
    out = tmp_path / "s"
    assert main(["power", "summarize", "--out", str(out), str(f), "--config", str(cfg)]) == 0
    power = pd.read_csv(out / "power.csv")
    assert list(power.columns[:3]) == ["scenario", "scenario_f_squared", "scenario_f_squared_interaction"]
    assert list(pd.unique(power.scenario)) == ["small", "medium", "large"]
    assert (power.population_source == "grid").all() and power.n_replications.eq(60).all()
    h1 = power[power.parameter == "H1"].set_index("scenario")
    assert h1.power["small"] < h1.power["medium"] <= h1.power["large"]
    assert (power[power.parameter == "H2"].population_value < 0).all()  # predicted negative
    assert (power[power.parameter == "H3"].population_value == 0).all()  # no effect: simulated where H3 is true
    mins = pd.read_csv(out / "minimum_n.csv")
    assert list(mins.columns[:2]) == ["scenario", "parameter"] and len(mins) == 9
    notes = (out / "notes.txt").read_text()
    assert "a priori grid of effect sizes" in notes and "Cohen 1988" in notes and "post-hoc" not in notes


def test_power_table_shows_one_row_per_scenario_and_quantity():
    from leanlearn.report.tables import power_table

    power = pd.DataFrame({"scenario": ["small", "small", "large", "large"], "scenario_f_squared": [0.02, 0.02, 0.35, 0.35],
                          "scenario_f_squared_interaction": [0.005] * 2 + [0.025] * 2, "n": [100, 200] * 2, "parameter": "H1",
                          "population_value": [0.14, 0.14, 0.51, 0.51], "power": [0.2, 0.4, 1.0, 1.0], "n_replications": 1000,
                          "mc_std_error": 0.015, "population_source": "grid"})  # fmt: skip
    t = power_table(power)
    assert [r[0] for r in t.rows] == ["H1 (small)", "H1 (large)"] and t.rows[0][2:] == ("0.20", "0.40")
    assert "a priori grid of effect sizes" in t.note and "small f² = 0.02" in t.note
