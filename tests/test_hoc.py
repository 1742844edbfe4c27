"""Higher-order constructs: syntax, the three estimation approaches, bootstrap and assessment.

Oracle: the seminr Python port (test-only). Its ``higher_composite`` is the disjoint two-stage
approach; the repeated-indicators model and both stages of the embedded two-stage approach
are written directly in seminr (an item may measure two composites there), so all three
approaches are checked at 1e-6 (they agree to ~1e-15).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import seminr as s

from leanlearn import SpecError, bootstrap, estimate, parse_model
from leanlearn.pls.hoc import estimate_hoc, first_stage_spec, repeated_indicators_spec

TOL = 1e-6

MOBI_HOC = """
  Image  =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
  Expect =~ CUEX1 + CUEX2 + CUEX3
  Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
  Value =~ PERV1 + PERV2
  Satisfaction =~ CUSA1 + CUSA2 + CUSA3
  Antecedents {op} Image + Expect
  Quality ~ Antecedents
  Value ~ Antecedents + Quality
  Satisfaction ~ Quality + Value
"""
IMAG = s.multi_items("IMAG", [1, 2, 3, 4, 5])
CUEX = s.multi_items("CUEX", [1, 2, 3])


def _nm(named, row, col):
    return float(named.values[named.rows.index(row), named.cols.index(col)])


def _others():
    return (
        s.composite("Quality", s.multi_items("PERQ", [1, 2, 3, 4, 5, 6, 7])),
        s.composite("Value", s.multi_items("PERV", [1, 2])),
        s.composite("Satisfaction", s.multi_items("CUSA", [1, 2, 3])),
    )


def _outer_paths():
    return (
        s.paths(from_="Antecedents", to=["Quality", "Value"]),
        s.paths(from_="Quality", to=["Value", "Satisfaction"]),
        s.paths(from_="Value", to="Satisfaction"),
    )


def _seminr(data, mm, sm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return s.estimate_pls(data, mm, sm)


def _seminr_ri(data, mode_b):
    weights = s.regression_weights if mode_b else s.correlation_weights
    mm = s.constructs(
        s.composite("Image", IMAG),
        s.composite("Expect", CUEX),
        s.composite("Antecedents", IMAG + CUEX, weights=weights),
        *_others(),
    )
    hoc_paths = s.paths(from_=["Image", "Expect"], to="Antecedents") if mode_b else s.paths(from_="Antecedents", to=["Image", "Expect"])
    return _seminr(data, mm, s.relationships(*_outer_paths(), hoc_paths))


def _assert_matches(res, ref, *, skip_constructs=()):
    for r in res.path_coefficients.itertuples():
        assert r.estimate == pytest.approx(_nm(ref.path_coef, r.source, r.target), abs=TOL)
    for table, named in ((res.outer_loadings, ref.outer_loadings), (res.outer_weights, ref.outer_weights)):
        for r in table.itertuples():
            if r.construct not in skip_constructs:
                assert r.estimate == pytest.approx(_nm(named, r.indicator, r.construct), abs=TOL)
    for r in res.r_squared.itertuples():
        assert r.r_squared == pytest.approx(_nm(ref.r_squared, "Rsq", r.construct), abs=TOL)
        assert r.r_squared_adj == pytest.approx(_nm(ref.r_squared, "AdjRsq", r.construct), abs=TOL)


# ---- syntax ----------------------------------------------------------------------------------
def test_a_construct_of_constructs_parses_as_a_higher_order_construct():
    spec = parse_model(MOBI_HOC.format(op="=~"))
    (hoc,) = spec.higher_order
    assert (hoc.name, hoc.indicators, hoc.mode) == ("Antecedents", ("Image", "Expect"), "A")
    assert spec.lower_order == ("Image", "Expect")
    assert "Image" not in spec.items and "IMAG1" in spec.items
    assert parse_model(MOBI_HOC.format(op="<~")).higher_order[0].mode == "B"


@pytest.mark.parametrize(
    "text, words",
    [
        ("A =~ a1 + a2\nB =~ b1 + b2\nH =~ A + b3\nY =~ y1\nY ~ H", "constructs only"),
        ("A =~ a1 + a2\nB =~ b1\nH =~ A + B\nY =~ y1\nY ~ H + A", "lower-order construct of H"),
        ("A =~ a1 + a2\nH =~ A\nY =~ y1\nY ~ H", "at least two"),
        ("A =~ a1\nB =~ b1\nC =~ c1\nH =~ A + B\nG =~ H + C\nY =~ y1\nY ~ G", "third or higher order"),
        ("A =~ a1\nB =~ b1\nW =~ w1\nH =~ A + B\nY =~ y1\nY ~ H + W + A:W", "lower-order construct of H"),
    ],
)
def test_malformed_higher_order_models_are_rejected_with_the_rule(text, words):
    with pytest.raises(SpecError, match=words):
        parse_model(text)


def test_the_engine_refuses_a_higher_order_model_and_names_the_way(mobi):
    with pytest.raises(SpecError, match="--hoc"):
        estimate(mobi, MOBI_HOC.format(op="=~"))


def test_first_stage_links_every_loc_to_the_hocs_neighbours():
    spec = first_stage_spec(parse_model(MOBI_HOC.format(op="=~")))
    pairs = {(p.source, p.target) for p in spec.paths}
    assert {("Image", "Quality"), ("Expect", "Quality"), ("Image", "Value"), ("Expect", "Value")} <= pairs
    assert "Antecedents" not in spec.construct_names


# ---- the oracle ------------------------------------------------------------------------------
@pytest.mark.parametrize("op, weights", [("=~", s.correlation_weights), ("<~", s.regression_weights)])
def test_two_stage_matches_seminr_higher_composite(mobi, op, weights):
    mm = s.constructs(
        s.composite("Image", IMAG),
        s.composite("Expect", CUEX),
        s.higher_composite("Antecedents", ["Image", "Expect"], weights=weights),
        *_others(),
    )
    ref = _seminr(mobi, mm, s.relationships(*_outer_paths()))
    res = estimate_hoc(mobi, MOBI_HOC.format(op=op))
    _assert_matches(res, ref)
    first = res.plan.staged.first_stage
    for table, named in (("outer_loadings", ref.outer_loadings), ("outer_weights", ref.outer_weights)):
        for r in first[table].itertuples():
            if r.construct in ("Image", "Expect"):
                assert r.estimate == pytest.approx(_nm(named, r.indicator, r.construct), abs=TOL)
    for c in res.scores.columns:
        assert np.abs(res.scores[c].to_numpy() - np.asarray(ref.construct_scores.column(c))).max() < TOL


@pytest.mark.parametrize("op", ["=~", "<~"])
def test_repeated_indicators_match_seminr_with_repeated_items(mobi, op):
    ref = _seminr_ri(mobi, mode_b=op == "<~")
    res = estimate_hoc(mobi, MOBI_HOC.format(op=op), method="repeated_indicators")
    _assert_matches(res, ref)
    assert len(res.outer_loadings.query("construct == 'Antecedents'")) == 8


def test_embedded_two_stage_is_seminr_on_the_repeated_indicators_scores(mobi):
    first = _seminr_ri(mobi, mode_b=False)
    data = mobi.copy()
    for loc in ("Image", "Expect"):
        data[loc] = np.asarray(first.construct_scores.column(loc))
    mm = s.constructs(s.composite("Antecedents", ["Image", "Expect"]), *_others())
    ref = _seminr(data, mm, s.relationships(*_outer_paths()))
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"), method="embedded_two_stage")
    _assert_matches(res, ref)


# ---- invariances ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage"])
def test_single_item_locs_give_the_model_with_those_items_on_the_hoc(mobi, method):
    hoc = """A =~ IMAG1\nB =~ IMAG2\nC =~ IMAG3\nImage =~ A + B + C
             Satisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image"""
    plain = estimate(mobi, "Image =~ IMAG1 + IMAG2 + IMAG3\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image")
    res = estimate_hoc(mobi, hoc, method=method)
    assert res.path("Image", "Satisfaction") == pytest.approx(plain.path("Image", "Satisfaction"), abs=1e-10)
    np.testing.assert_allclose(res.outer_weights.estimate, plain.outer_weights.estimate, atol=1e-10)
    np.testing.assert_allclose(res.reliability.drop(columns="construct"), plain.reliability.drop(columns="construct"), atol=1e-10)


@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage", "repeated_indicators"])
def test_the_staged_refit_reproduces_the_point_estimate(mobi, method):
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"), method=method)
    fit = res.plan.staged.fit(res.prepared.raw, np.ones((1, res.n)))
    np.testing.assert_allclose(fit.paths[0], res.batch.paths[0], atol=1e-12)
    np.testing.assert_allclose(fit.weights[0], res.batch.weights[0], atol=1e-12)


@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage"])
def test_each_bootstrap_draw_redoes_both_stages(mobi, method):
    model = MOBI_HOC.format(op="=~")
    res = estimate_hoc(mobi, model, method=method)
    idx = np.random.default_rng(3).integers(0, len(mobi), size=(3, len(mobi)))
    boot = bootstrap(res, indices=idx)
    for b in range(3):
        again = estimate_hoc(mobi.iloc[idx[b]].reset_index(drop=True), model, method=method, assess=False)
        np.testing.assert_allclose(boot.path_draws[b], again.batch.paths[0], atol=1e-10)
    table = boot.table("paths")
    assert (table.std_error > 0).all() and (table.n_resamples == 3).all()


def test_bootstrap_is_the_same_for_any_worker_count(mobi):
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"))
    one = bootstrap(res, resamples=40, seed=5).table("paths")
    two = bootstrap(res, resamples=40, seed=5, workers=2).table("paths")
    pd.testing.assert_frame_equal(one, two)


def test_missing_cells_are_replaced_once_and_inside_every_resample(corp_rep):
    model = """COMP =~ comp_1 + comp_2 + comp_3\nLIKE =~ like_1 + like_2 + like_3\nREP =~ COMP + LIKE
               CUSL =~ cusl_1 + cusl_2 + cusl_3\nCUSL ~ REP"""
    res = estimate_hoc(corp_rep, model, missing_value=-99)
    assert res.n == len(corp_rep) and res.data_report.n_missing.sum() > 0
    fit = res.plan.staged.fit(res.prepared.raw, np.ones((1, res.n)))
    assert fit.paths[0].max() == pytest.approx(res.path("REP", "CUSL"), abs=1e-12)


def test_unknown_method_is_refused(mobi):
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_hoc(mobi, MOBI_HOC.format(op="=~"), method="three_stage")


def test_repeated_indicators_model_repeats_every_loc_item():
    spec = repeated_indicators_spec(parse_model(MOBI_HOC.format(op="<~")))
    assert spec.construct("Antecedents").indicators == tuple(IMAG + CUEX)
    assert ("Image", "Antecedents") in {(p.source, p.target) for p in spec.paths}


# ---- assessment of the higher-order level -----------------------------------------------------
from leanlearn.measurement.assessment import hoc_assessment, hoc_indicators, hoc_reliability  # noqa: E402


def _seminr_two_stage(mobi):
    mm = s.constructs(s.composite("Image", IMAG), s.composite("Expect", CUEX), s.higher_composite("Antecedents", ["Image", "Expect"]), *_others())
    ref = _seminr(mobi, mm, s.relationships(*_outer_paths()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ref, s.summarize(ref)


def test_hoc_reliability_and_loc_reliability_match_seminr_summary(mobi):
    _, summ = _seminr_two_stage(mobi)
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"))
    rel = hoc_reliability(res).iloc[0]
    for ours, theirs in (("cronbach_alpha", "alpha"), ("rho_a", "rhoA"), ("rho_c", "rhoC"), ("ave", "AVE")):
        assert rel[ours] == pytest.approx(_nm(summ.reliability, "Antecedents", theirs), abs=TOL)
    first = res.plan.staged.first_stage["reliability"].set_index("construct")
    for loc in ("Image", "Expect"):
        for ours, theirs in (("cronbach_alpha", "alpha"), ("rho_a", "rhoA"), ("rho_c", "rhoC"), ("ave", "AVE")):
            assert first.loc[loc, ours] == pytest.approx(_nm(summ.reliability, loc, theirs), abs=TOL)


def test_hoc_level_is_the_final_stage_block_of_lower_order_scores(mobi):
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"))
    ind = hoc_indicators(res).set_index("loc")
    load = res.outer_loadings.query("construct == 'Antecedents'").set_index("indicator").estimate
    vif = res.vif_items.query("construct == 'Antecedents'").set_index("indicator").vif
    for loc in ("Image", "Expect"):
        assert ind.loc[loc, "loading"] == pytest.approx(load[loc], abs=1e-12)
        assert ind.loc[loc, "vif"] == pytest.approx(vif[loc], abs=1e-12)
    rel = res.reliability.set_index("construct").loc["Antecedents"]
    assert hoc_reliability(res).iloc[0].ave == pytest.approx(rel.ave, abs=1e-12)


def test_repeated_indicators_loadings_and_weights_are_the_hoc_loc_paths(mobi):
    refl = estimate_hoc(mobi, MOBI_HOC.format(op="=~"), method="repeated_indicators")
    ind = hoc_indicators(refl).set_index("loc")
    for loc in ("Image", "Expect"):
        assert ind.loc[loc, "loading"] == pytest.approx(refl.path("Antecedents", loc), abs=1e-10)
    form = estimate_hoc(mobi, MOBI_HOC.format(op="<~"), method="repeated_indicators")
    ind = hoc_indicators(form).set_index("loc")
    for loc in ("Image", "Expect"):
        assert ind.loc[loc, "weight"] == pytest.approx(form.path(loc, "Antecedents"), abs=1e-10)


def test_hoc_assessment_checks_reflective_and_formative_hocs_by_their_rules(mobi):
    refl = hoc_assessment(estimate_hoc(mobi, MOBI_HOC.format(op="=~")))
    assert set(refl.criterion) == {"hoc: loc loading", "hoc: cronbach_alpha", "hoc: rho_a", "hoc: rho_c", "hoc: ave"}
    alpha = refl.query("criterion == 'hoc: cronbach_alpha'").iloc[0]
    assert alpha.value < 0.70 and not alpha.meets  # alpha 0.665 on mobi
    form = hoc_assessment(estimate_hoc(mobi, MOBI_HOC.format(op="<~")))
    assert set(form.criterion) == {"hoc: loc vif (formative)"} and form.meets.all()


def test_hoc_assessment_refuses_a_model_without_hocs(mobi):
    with pytest.raises(ValueError, match="higher-order"):
        hoc_indicators(estimate(mobi, "Image =~ IMAG1 + IMAG2\nSatisfaction =~ CUSA1 + CUSA2\nSatisfaction ~ Image"))


# ---- the CLI ---------------------------------------------------------------------------------
from conftest import REF  # noqa: E402
from leanlearn.cli import main  # noqa: E402


@pytest.mark.parametrize("method", ["two_stage", "embedded_two_stage", "repeated_indicators"])
def test_estimate_hoc_option_writes_the_hoc_tables_of_that_approach(tmp_path, mobi, method):
    model = tmp_path / "hoc.lav"
    model.write_text(MOBI_HOC.format(op="=~"))
    out = tmp_path / "out"
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(out), "--hoc", method, "--resamples", "20", "--seed", "1"]) == 0
    paths = pd.read_csv(out / "paths.csv")
    res = estimate_hoc(mobi, MOBI_HOC.format(op="=~"), method=method)
    np.testing.assert_allclose(paths.estimate, res.path_coefficients.estimate, atol=1e-10)
    assert list(pd.read_csv(out / "hoc_reliability.csv").columns) == ["hoc", "method", "cronbach_alpha", "rho_a", "rho_c", "ave"]
    assert pd.read_csv(out / "hoc_reliability.csv").method.tolist() == [method]
    assert list(pd.read_csv(out / "hoc_indicators.csv").columns) == ["hoc", "loc", "loading", "weight", "vif"]
    assert (out / "first_stage_loadings.csv").exists() == (method != "repeated_indicators")
    assert (paths.std_error > 0).all()


def test_estimate_hoc_option_on_a_model_without_hocs_exits_2(tmp_path, capsys):
    model = tmp_path / "plain.lav"
    model.write_text("Image =~ IMAG1 + IMAG2\nSatisfaction =~ CUSA1 + CUSA2\nSatisfaction ~ Image")
    assert main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o"), "--hoc", "two_stage"]) == 2
    assert "no higher-order construct" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ---- the lean study's higher-order variant ------------------------------------------------------
from conftest import ROOT  # noqa: E402
from leanlearn.datasets.simulate import (  # noqa: E402
    DEFAULT_LP_BUNDLE_LOADINGS,
    ITEMS,
    LP_BUNDLES,
    PopulationModel,
    draw_items,
)

BUNDLED = PopulationModel(lp_bundles=DEFAULT_LP_BUNDLE_LOADINGS)


def test_default_population_draws_are_unchanged_by_the_bundle_option():
    a = draw_items(300, PopulationModel(), 11)
    b = draw_items(300, PopulationModel(lp_bundles=()), 11)
    pd.testing.assert_frame_equal(a, b)
    assert not draw_items(300, BUNDLED, 11)[list(ITEMS)].equals(a[list(ITEMS)])


def test_bundled_population_item_covariance_holds_by_monte_carlo():
    y = draw_items(150_000, BUNDLED, 3, likert=False)[list(ITEMS)].to_numpy()
    sample = np.corrcoef(y.T)
    population = BUNDLED.item_covariance().to_numpy()
    assert np.abs(sample - population).max() < 0.015  # ~6 SE of a correlation at this N
    # within a bundle the LP items covary more than across bundles
    lp = BUNDLED.item_covariance().loc[["LP1", "LP2", "LP3"], ["LP1", "LP2", "LP3"]]
    assert lp.loc["LP1", "LP2"] > lp.loc["LP1", "LP3"]


def test_true_bundle_scores_have_the_designed_second_order_loadings():
    d = draw_items(100_000, BUNDLED, 5, likert=False, include_latent=True)
    for bundle, gamma in DEFAULT_LP_BUNDLE_LOADINGS:
        assert np.corrcoef(d[f"true_{bundle}"], d.true_LP)[0, 1] == pytest.approx(gamma, abs=0.01)
    assert set(LP_BUNDLES) == {"JIT", "TQM", "TPM", "HRM"}


def test_bundles_must_be_all_four_with_loadings_in_range():
    with pytest.raises(ValueError, match="exactly the bundles"):
        PopulationModel(lp_bundles=(("JIT", 0.8),))
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        PopulationModel(lp_bundles=tuple((b, 1.2) for b in LP_BUNDLES))


def test_simulate_items_with_bundles_writes_the_variant_data(tmp_path):
    out = tmp_path / "items.csv"
    assert main(["simulate", "--items", str(out), "--lp-bundles", "--n-clean", "120", "--seed", "9"]) == 0
    data = pd.read_csv(out)
    pd.testing.assert_frame_equal(data[list(ITEMS)], draw_items(120, BUNDLED, 9)[list(ITEMS)])
    assert list(data.columns) == list(ITEMS) + ["log_employees", "firm_age"]


@pytest.mark.parametrize("argv, words", [(["--lp-bundles", "--out", "x"], "--items FILE only"), ([], "one of them")])
def test_simulate_refuses_inconsistent_item_options(tmp_path, capsys, argv, words):
    assert main(["simulate", *argv]) == 2
    assert words in capsys.readouterr().err


def test_lean_hoc_model_recovers_the_bundle_structure_it_was_drawn_from():
    data = draw_items(2000, BUNDLED, 1)
    res = estimate_hoc(data, (ROOT / "studies" / "lean" / "model_hoc.lav").read_text())
    ind = hoc_indicators(res).set_index("loc")
    assert set(ind.index) == set(LP_BUNDLES) and (ind.loading > 0.7).all()
    assert hoc_reliability(res).iloc[0].rho_c > 0.8
    assert res.path("LP", "LS") > 0 and res.path("LP:DIG", "LS") > 0


def test_the_lean_config_runs_the_variant_on_simulated_bundles():
    from leanlearn.spec.config import validate_config
    import yaml

    cfg = validate_config(yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text()))
    assert cfg["hoc_model"] == "model_hoc.lav"
    hoc = cfg["robustness"]["higher_order"]
    assert hoc["run"] is True and hoc["data"] == "simulated_bundles" and hoc["method"] == "two_stage"
    filled = validate_config({"robustness": {"higher_order": {}}})["robustness"]["higher_order"]
    assert filled == {"run": False, "method": "two_stage", "data": "analysis", "n": 209, "resamples": 2000}


def test_summary_line_names_the_hoc_its_locs_and_its_paths():
    from leanlearn.report.headline import _higher_order

    tables = {
        "robustness/higher_order/paths.csv": pd.DataFrame(
            {"source": ["LP", "LP:DIG", "LS"], "target": ["LS", "LS", "OP"], "estimate": [0.24, 0.2, 0.5], "ci_lower": [0.13, 0.1, 0.4],
             "ci_upper": [0.36, 0.3, 0.6], "ci_level": [0.95] * 3}
        ),
        "robustness/higher_order/hoc_reliability.csv": pd.DataFrame({"hoc": ["LP"], "method": ["two_stage"], "cronbach_alpha": [0.78], "rho_a": [0.8], "rho_c": [0.85], "ave": [0.59]}),
        "robustness/higher_order/hoc_indicators.csv": pd.DataFrame({"hoc": ["LP"] * 4, "loc": list(LP_BUNDLES), "loading": [0.8] * 4, "weight": [0.3] * 4, "vif": [1.5] * 4}),
        "robustness/higher_order/settings": {"n_used": 209, "bootstrap_valid": 2000, "data": "data/processed/hoc_simulated_items.csv"},
    }
    (line,) = _higher_order(tables)
    assert "two-stage approach on items simulated with LP bundles, N = 209" in line
    assert "LP of JIT, TQM, TPM, HRM" in line and "LP -> LS" in line and "LP:DIG -> LS" in line and "LS -> OP" not in line
    assert _higher_order({}) == []


def test_exports_write_higher_order_constructs_for_lavaan_and_seminr():
    from leanlearn import to_lavaan, to_seminr

    spec = parse_model(MOBI_HOC.format(op="<~"))
    assert "Antecedents <~ Image + Expect" in to_lavaan(spec)
    assert 'higher_composite("Antecedents", c("Image", "Expect"), method = two_stage, weights = mode_B)' in to_seminr(spec)


def test_estimate_refuses_a_bad_weights_column_for_a_higher_order_model_with_the_file_and_column_named(tmp_path, capsys):
    # weighted PLS of higher-order models is available (tests/test_hoc_extensions.py); bad weights still stop cleanly
    model = tmp_path / "hoc.lav"
    model.write_text(MOBI_HOC.format(op="=~"))
    code = main(["estimate", str(REF / "mobi.csv"), str(model), "--out", str(tmp_path / "o"), "--weights", "no_such_column"])
    err = capsys.readouterr().err
    assert code == 2 and "mobi.csv" in err and "no_such_column" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
