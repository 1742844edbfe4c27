"""Tests of leanlearn.robustness.power and the ``leanlearn power`` verb.

Claims: the inverse square root constants come out of scipy as Kock & Hadaya's 2.486 and
the derived 2.802; the minimum N and minimum detectable effect match hand values; one
replication is one reproducible row; the Monte Carlo gives power 1 for a huge effect and
about alpha for a zero effect; it recovers the population values in expectation with
high-reliability indicators; the summary arithmetic matches a hand calculation.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from leanlearn.robustness import power as pw
from leanlearn.cli import main
from leanlearn.datasets.simulate import PopulationModel


# ---- inverse square root ------------------------------------------------------------------------
def test_inverse_sqrt_constants_round_to_kock_hadaya_values():
    assert round(pw.inverse_sqrt_constant(), 3) == 2.486
    assert round(pw.inverse_sqrt_constant(tails=2), 3) == 2.802
    # z_.95 + z_.80 and z_.975 + z_.80 to 4 decimals
    assert pw.inverse_sqrt_constant() == pytest.approx(1.6449 + 0.8416, abs=1e-4)
    assert pw.inverse_sqrt_constant(tails=2) == pytest.approx(1.9600 + 0.8416, abs=1e-4)


@pytest.mark.parametrize(
    "beta, tails, expected",
    [(0.10, 1, 619), (0.10, 2, 785), (0.15, 1, 275), (0.15, 2, 349), (0.197, 1, 160), (-0.10, 1, 619)],
)
def test_minimum_sample_size_matches_hand_values(beta, tails, expected):
    # (2.48647/0.1)^2 = 618.3 -> 619; (2.80159/0.1)^2 = 784.9 -> 785 (METHODS.md 6.5)
    assert pw.minimum_sample_size(beta, tails=tails) == expected


def test_minimum_detectable_effect_at_study_and_country_size():
    assert pw.minimum_detectable_effect(209) == pytest.approx(0.172, abs=5e-4)
    assert pw.minimum_detectable_effect(209, tails=2) == pytest.approx(0.194, abs=5e-4)
    assert pw.minimum_detectable_effect(17) == pytest.approx(0.60, abs=5e-3)
    # the two functions are inverse to each other (up to the ceiling)
    n = pw.minimum_sample_size(0.13)
    assert pw.minimum_detectable_effect(n) <= 0.13 < pw.minimum_detectable_effect(n - 1)


def test_inverse_sqrt_rejects_impossible_inputs():
    with pytest.raises(ValueError):
        pw.minimum_sample_size(0.0)
    with pytest.raises(ValueError):
        pw.inverse_sqrt_constant(alpha=1.5)
    with pytest.raises(ValueError):
        pw.inverse_sqrt_constant(tails=3)


def test_minimum_n_table_has_both_tails_and_detectable_effect():
    t = pw.minimum_n_table([0.1, 0.2], n=209)
    assert list(t.columns) == ["tails", "alpha", "power", "constant", "beta_min", "minimum_n", "n", "minimum_detectable_beta"]
    assert t.set_index(["tails", "beta_min"]).loc[(2, 0.1), "minimum_n"] == 785


# ---- one replication ------------------------------------------------------------------------------
def test_replicate_is_one_reproducible_row():
    a = pw.replicate(120, 7, resamples=40)
    b = pw.replicate(120, 7, resamples=40)
    c = pw.replicate(120, 8, resamples=40)
    assert len(a) == 1 and a["status"].iloc[0] == "ok" and a["n_valid_resamples"].iloc[0] == 40
    pd.testing.assert_frame_equal(a, b)
    assert a["a3_estimate"].iloc[0] != c["a3_estimate"].iloc[0]
    for p in pw.PARAMETERS:
        for f in ("population", "estimate", "ci_lower", "ci_upper"):
            assert f"{p}_{f}" in a.columns
    pop = PopulationModel()
    assert a["index_moderated_mediation_population"].iloc[0] == pytest.approx(pop.a3 * pop.b)
    assert a["conditional_indirect_high_population"].iloc[0] == pytest.approx((pop.a1 + pop.a3) * pop.b)
    row = a.iloc[0]
    assert row["a3_ci_lower"] < row["a3_estimate"] < row["a3_ci_upper"]
    assert row["index_moderated_mediation_estimate"] == pytest.approx(row["a3_estimate"] * row["b_estimate"])


def test_replicate_leaves_parameters_of_a_model_without_them_as_nan():
    model = pw.DEFAULT_MODEL.replace(" + LP:DIG", "")
    row = pw.replicate(100, 1, model=model, resamples=20).iloc[0]
    assert np.isnan(row["a3_estimate"]) and np.isnan(row["index_moderated_mediation_estimate"])
    assert np.isfinite(row["a1_estimate"])


# ---- Monte Carlo ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def null_and_huge():
    """40 replications at N = 200: b = 0.5 (huge at this N) and c2 = 0 (no effect)."""
    rows = pd.concat(
        [pw.replicate(200, s, controls=("log_employees",), resamples=150, method_factor=False) for s in range(40)],
        ignore_index=True,
    )
    return pw.summarize(rows).set_index("parameter")


def test_power_for_a_huge_effect_is_one(null_and_huge):
    assert null_and_huge.loc["b", "power"] == 1.0
    assert null_and_huge.loc["b", "mc_std_error"] == 0.0
    assert null_and_huge.loc["b", "replications"] == 40


def test_power_for_a_zero_effect_is_about_alpha(null_and_huge):
    # c2 = 0 in the population; 40 replications: a share of at most 0.15 (6 of 40)
    row = null_and_huge.loc["c2"]
    assert row["population_value"] == 0.0
    assert row["power"] <= 0.15
    assert row["mc_std_error"] == pytest.approx(math.sqrt(row["power"] * (1 - row["power"]) / 40))


def test_monte_carlo_recovers_population_values_in_expectation():
    # high-reliability indicators (loading 0.95, continuous, no method factor): composite
    # reliability ~0.99, so Mode A attenuation is ~1-3 % and the mean estimate must sit
    # within Monte Carlo error (plus that small attenuation) of the population value
    rows = pd.concat(
        [
            pw.replicate(800, s, controls=("log_employees",), resamples=20, likert=False, loading_scale=0.95, method_factor=False)
            for s in range(12)
        ],
        ignore_index=True,
    )
    tab = pw.summarize(rows).set_index("parameter")
    for p in ("a1", "a3", "b", "c1", "c2", "index_moderated_mediation", "conditional_indirect_high"):
        r = tab.loc[p]
        assert abs(r["bias"]) <= 3 * r["bias_mc_std_error"] + 0.015, (p, r["bias"], r["bias_mc_std_error"])


# ---- summary arithmetic ----------------------------------------------------------------------------
def _row(n, seed, est, lo, hi, status="ok", pop=0.2):
    row = {"n": n, "seed": seed, "status": status}
    for p in pw.PARAMETERS:
        row.update({f"{p}_population": pop, f"{p}_estimate": est, f"{p}_ci_lower": lo, f"{p}_ci_upper": hi})
    return row


def test_summary_arithmetic_by_hand():
    rows = pd.DataFrame(
        [
            _row(100, 1, 0.30, 0.05, 0.55),  # excludes 0, covers 0.2
            _row(100, 2, 0.10, -0.10, 0.30),  # includes 0, covers 0.2
            _row(100, 3, 0.20, 0.01, 0.39),  # excludes 0, covers 0.2
            _row(100, 4, -0.20, -0.40, -0.01),  # excludes 0 (below), misses 0.2
            _row(100, 5, np.nan, np.nan, np.nan, status="failed"),
            _row(200, 1, 0.25, 0.10, 0.40),
        ]
    )
    tab = pw.summarize(rows)
    assert list(tab.columns[:8]) == ["n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "replications"]
    r = tab[(tab.parameter == "a1") & (tab.n == 100)].iloc[0]
    assert r["replications"] == 4 and r["replications_excluded"] == 1
    assert r["power"] == pytest.approx(0.75)
    assert r["mc_std_error"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    assert r["mean_estimate"] == pytest.approx(0.10)
    assert r["bias"] == pytest.approx(-0.10)
    sd = np.std([0.30, 0.10, 0.20, -0.20], ddof=1)
    assert r["estimate_sd"] == pytest.approx(sd)
    assert r["bias_mc_std_error"] == pytest.approx(sd / 2)
    assert r["coverage"] == pytest.approx(0.75)
    r2 = tab[(tab.parameter == "a1") & (tab.n == 200)].iloc[0]
    assert r2["power"] == 1.0 and r2["replications"] == 1


def test_minimum_n_takes_the_first_n_from_which_power_stays_above_target():
    table = pd.DataFrame(
        {
            "n": [100, 150, 209, 300, 100, 150],
            "parameter": ["a3"] * 4 + ["index_moderated_mediation"] * 2,
            "population_value": [0.25] * 4 + [0.125] * 2,
            "power": [0.82, 0.78, 0.85, 0.95, 0.3, 0.5],
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
    cfg = tmp_path / "cfg.yaml"
    # industry_group is not simulated: it is left out of the Monte Carlo model with a warning
    cfg.write_text("controls: {variables: [log_employees, industry_group], targets: [OP]}\npower: {resamples: 30}\n")
    files = []
    for n, seed in ((100, 1), (100, 2), (150, 1)):
        f = tmp_path / "reps" / f"n{n}_s{seed}.csv"
        assert main(["power", "replicate", "--n", str(n), "--seed", str(seed), "--out", str(f), "--config", str(cfg)]) == 0
        files.append(str(f))
    one = pd.read_csv(files[0])
    assert len(one) == 1 and one["resamples"].iloc[0] == 30 and one["controls"].iloc[0] == "log_employees"
    out = tmp_path / "summary"
    assert main(["power", "summarize", "--out", str(out), *files, "--config", str(cfg)]) == 0
    power = pd.read_csv(out / "power.csv")
    assert list(power.columns[:8]) == ["n", "parameter", "population_value", "mean_estimate", "bias", "power", "mc_std_error", "replications"]
    assert set(power["n"]) == {100, 150}
    assert power[power.n == 100]["replications"].eq(2).all()
    assert (out / "minimum_n.csv").exists() and (out / "notes.txt").exists()
    # duplicated replications are refused
    assert main(["power", "summarize", "--out", str(out), files[0], files[0]]) == 2
    assert "more than once" in capsys.readouterr().err


def test_population_override_changes_population_columns():
    pop = replace(PopulationModel(), a3=0.10)
    row = pw.replicate(100, 3, population=pop, resamples=20).iloc[0]
    assert row["a3_population"] == 0.10
    assert row["index_moderated_mediation_population"] == pytest.approx(0.10 * pop.b)
