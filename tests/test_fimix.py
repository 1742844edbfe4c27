"""FIMIX-PLS (leanlearn.robustness.fimix and the fimix verb) against independent references.

References: simulated data with two segments of known structural paths; ordinary least
squares and the normal log-likelihood computed directly (K = 1); the information criteria
and the normed entropy worked by hand; relabelling and case-order invariance; the EM of the
seminrExtras Python port (test-only oracle) from the same initial posteriors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from leanlearn.robustness.fimix import (
    Equation,
    design,
    em,
    fimix_scores,
    information_criteria,
    n_parameters,
    normed_entropy,
    retained_segments,
)

CHAIN = [Equation("y", ("x",)), Equation("z", ("y",))]
TRUE_PATHS = {("x", "y"): (0.7, -0.2), ("y", "z"): (-0.3, 0.6)}  # segment 1 (60 %), segment 2 (40 %)


def two_segments(n: int = 600, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    """x -> y -> z with 60 % of the cases on paths (0.7, -0.3) and 40 % on (-0.2, 0.6); residual SD 0.3 and 0.2."""
    rng = np.random.default_rng(seed)
    seg = (np.arange(n) >= int(0.6 * n)).astype(int)
    x = rng.standard_normal(n)
    y = np.where(seg == 0, 0.7, -0.2) * x + 0.3 * rng.standard_normal(n)
    z = np.where(seg == 0, -0.3, 0.6) * y + 0.2 * rng.standard_normal(n)
    return pd.DataFrame({"x": x, "y": y, "z": z}), seg


@pytest.fixture(scope="module")
def simulated():
    data, seg = two_segments()
    return data, seg, fimix_scores(data, CHAIN, max_segments=3, starts=5, seed=1)


def _through_origin(x: np.ndarray, y: np.ndarray) -> float:
    return float(x @ y / (x @ x))


# ---- (a) recovery of two known segments -----------------------------------------------------
def test_two_known_segments_are_retained_by_the_rule_and_well_separated(simulated):
    _, _, res = simulated
    assert res.retained == 2
    assert res.criterion == "AIC3 and CAIC"
    assert res.heterogeneity
    f = res.fit.set_index("segments")
    assert f.loc[2, "entropy_en"] > 0.6
    assert f.loc[2, "smallest_segment_share"] == pytest.approx(0.4, abs=0.03)


def test_segment_paths_recover_the_least_squares_paths_of_the_true_segments(simulated):
    """Tolerance 0.05: the sampling error is already removed by comparing with the OLS of each
    true segment (SE of the population value would be 0.016-0.05); what is left is the
    misclassification of cases near x = 0, where both segments' lines cross (at most 0.04 in
    four simulated samples, seeds 1-4). The population paths are checked at 0.1."""
    data, seg, res = simulated
    p = res.paths[res.paths.segments == 2]
    for (source, target), truth in TRUE_PATHS.items():
        got = p[(p.source == source) & (p.target == target)].sort_values("segment").estimate.to_numpy()
        ols = [_through_origin(data[source].to_numpy()[seg == g], data[target].to_numpy()[seg == g]) for g in (0, 1)]
        np.testing.assert_allclose(got, ols, atol=0.05)
        np.testing.assert_allclose(got, truth, atol=0.1)
    m = res.membership[res.membership.segments == 2].pivot(index="case", columns="segment", values="posterior")
    assigned = m.to_numpy().argmax(axis=1)
    # the Bayes classifier with the true parameters: the best any segmentation can do here
    # (cases near x = 0 fit both segments)
    dens = [np.log(share) - ((data.y - by * data.x) ** 2 / (2 * 0.09)) - np.log(0.3) - ((data.z - bz * data.y) ** 2 / (2 * 0.04)) - np.log(0.2)
            for share, by, bz in ((0.6, 0.7, -0.3), (0.4, -0.2, 0.6))]  # fmt: skip
    bayes = (np.argmax(np.column_stack(dens), axis=1) == seg).mean()
    assert (assigned == seg).mean() >= bayes - 0.02
    assert bayes > 0.85


# ---- (b) one segment is OLS with the normal likelihood ---------------------------------------
def test_one_segment_is_least_squares_with_the_normal_log_likelihood():
    rng = np.random.default_rng(7)
    n = 150
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    c = 0.4 * a - 0.3 * b + rng.standard_normal(n)
    d = 0.5 * c + 0.2 * a + rng.standard_normal(n)
    data = pd.DataFrame({"a": a, "b": b, "c": c, "d": d})
    data = (data - data.mean()) / data.std()
    eqs = [Equation("c", ("a", "b")), Equation("d", ("c", "a"))]
    res = fimix_scores(data, eqs, max_segments=1)
    lnl = 0.0
    for e in eqs:
        X = data[list(e.predictors)].to_numpy()
        y = data[e.target].to_numpy()
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        rows = res.paths[res.paths.target == e.target]
        np.testing.assert_allclose(rows.estimate.to_numpy(), beta, atol=1e-12)
        resid = y - X @ beta
        s2 = resid @ resid / n
        lnl += float(np.sum(-0.5 * np.log(2 * np.pi * s2) - resid**2 / (2 * s2)))
        assert rows.r_squared.iloc[0] == pytest.approx(1 - s2 / y.var(), abs=1e-12)
    assert res.fit.log_likelihood.iloc[0] == pytest.approx(lnl, abs=1e-9)
    assert res.fit.n_parameters.iloc[0] == 4 + 2  # four paths, two residual variances
    assert res.retained == 1 and not res.heterogeneity


# ---- (c) criteria worked by hand ------------------------------------------------------------
def test_information_criteria_match_the_formulas_worked_by_hand():
    # lnL = -100, N_K = 9, N = 200: ln 200 = 5.298317366548036, ln ln 200 = 1.667392...
    got = information_criteria(-100.0, 9, 200)
    ln = 5.298317366548036
    assert got["aic"] == pytest.approx(218.0)
    assert got["aic3"] == pytest.approx(227.0)
    assert got["aic4"] == pytest.approx(236.0)
    assert got["bic"] == pytest.approx(200 + 9 * ln)  # 247.6849
    assert got["caic"] == pytest.approx(200 + 9 * (ln + 1))  # 256.6849
    assert got["hq"] == pytest.approx(200 + 18 * math.log(ln))  # 230.0131
    assert got["mdl5"] == pytest.approx(200 + 45 * ln)  # 438.4243


def test_parameter_count_and_normed_entropy_by_hand():
    lean = [Equation("LS", ("LP", "DIG", "LP:DIG")), Equation("OP", ("LP", "DIG", "LS"))]
    assert n_parameters(lean, 1) == 8  # 6 paths + 2 variances
    assert n_parameters(lean, 2) == 1 + 2 * 8
    assert n_parameters(lean, 3, intercepts=True) == 2 + 3 * 10
    # one certain case (entropy 0) and one undecided case (entropy ln 2): EN = 1 - ln2 / (2 ln2)
    assert normed_entropy(np.array([[1.0, 0.0], [0.5, 0.5]])) == pytest.approx(0.5)
    assert normed_entropy(np.eye(3)) == pytest.approx(1.0)
    assert normed_entropy(np.full((4, 3), 1 / 3)) == pytest.approx(0.0)
    assert math.isnan(normed_entropy(np.ones((5, 1))))


def test_retention_rule_falls_back_to_aic4_and_bic_and_needs_entropy_and_size():
    def table(aic3, caic, aic4, bic, en=(np.nan, 0.8, 0.8), share=(1.0, 0.4, 0.3)):
        return pd.DataFrame({"segments": [1, 2, 3], "n": 200, "aic3": aic3, "caic": caic, "aic4": aic4, "bic": bic,
                             "entropy_en": en, "smallest_segment_share": share})  # fmt: skip

    assert retained_segments(table([3, 2, 1], [3, 2, 1], [0, 0, 0], [0, 0, 0]), 30) == (3, "AIC3 and CAIC", True)
    assert retained_segments(table([3, 1, 2], [3, 2, 1], [3, 1, 2], [3, 1, 2]), 30) == (2, "AIC4 and BIC", True)
    assert retained_segments(table([3, 1, 2], [3, 2, 1], [3, 2, 1], [3, 1, 2]), 30)[0] is None
    assert retained_segments(table([3, 1, 2], [3, 1, 2], [0, 0, 0], [0, 0, 0], en=(np.nan, 0.49, 0.9)), 30)[2] is False
    assert retained_segments(table([3, 1, 2], [3, 1, 2], [0, 0, 0], [0, 0, 0], share=(1, 0.1, 0.1)), 30)[2] is False
    assert retained_segments(table([1, 2, 3], [1, 2, 3], [0, 0, 0], [0, 0, 0]), 30) == (1, "AIC3 and CAIC", False)


# ---- (d) invariances and determinism --------------------------------------------------------
def test_case_order_and_segment_labels_do_not_change_the_solution(simulated):
    """K = 1 and the retained K = 2 (the global optimum is found from either order; for an
    overfitted K = 3 the starts, which depend on the case order, may end in different local
    optima, which is why several starts are run)."""
    data, _, res3 = simulated
    res = fimix_scores(data, CHAIN, max_segments=2, starts=3, seed=1)
    assert res.fit.log_likelihood.tolist() == res3.fit.log_likelihood.iloc[:2].tolist()
    order = np.random.default_rng(3).permutation(len(data))
    shuffled = fimix_scores(data.iloc[order].reset_index(drop=True), CHAIN, max_segments=2, starts=3, seed=1, cases=order + 1)
    np.testing.assert_allclose(shuffled.fit.log_likelihood, res.fit.log_likelihood, atol=1e-6)
    np.testing.assert_allclose(shuffled.paths.estimate, res.paths.estimate, atol=1e-5)
    np.testing.assert_allclose(shuffled.paths.segment_share, res.paths.segment_share, atol=1e-6)
    a = res.membership.set_index(["segments", "case", "segment"]).posterior
    b = shuffled.membership.set_index(["segments", "case", "segment"]).posterior.reindex(a.index)
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), atol=1e-5)
    # relabelled start (segments swapped) converges to the same labelled tables
    ys, xs = design(data, CHAIN)
    start = np.column_stack([np.arange(600) % 2, 1 - np.arange(600) % 2]).astype(float)
    one, two = em(ys, xs, start), em(ys, xs, start[:, ::-1])
    assert one is not None and two is not None
    assert one.log_likelihood == pytest.approx(two.log_likelihood, abs=1e-9)
    np.testing.assert_allclose(one.coefficients[0], two.coefficients[0][::-1], atol=1e-8)


def test_same_seed_gives_identical_tables():
    data = two_segments(n=300, seed=4)[0]
    one, two = (fimix_scores(data, CHAIN, max_segments=2, starts=2, seed=8) for _ in range(2))
    pd.testing.assert_frame_equal(one.fit, two.fit, check_exact=True)
    pd.testing.assert_frame_equal(one.paths, two.paths, check_exact=True)
    pd.testing.assert_frame_equal(one.membership, two.membership, check_exact=True)


# ---- the seminrExtras port as oracle --------------------------------------------------------
def test_em_matches_the_seminrextras_port_from_the_same_starts(corp_rep):
    seminr = pytest.importorskip("seminr")
    extras = pytest.importorskip("seminrExtras.fimix")  # test-only oracle (pyproject [test])
    from leanlearn.pls.engine import estimate
    from leanlearn.random import generator
    from leanlearn.robustness.fimix import _random_partition, model_equations

    mm = seminr.constructs(
        seminr.composite("COMP", seminr.multi_items("comp_", range(1, 4))),
        seminr.composite("LIKE", seminr.multi_items("like_", range(1, 4))),
        seminr.composite("CUSA", seminr.single_item("cusa")),
        seminr.composite("CUSL", seminr.multi_items("cusl_", range(1, 4))),
    )
    sm = seminr.relationships(
        seminr.paths(from_=["COMP", "LIKE"], to="CUSA"), seminr.paths(from_=["COMP", "LIKE", "CUSA"], to="CUSL")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = seminr.estimate_pls(corp_rep, mm, sm, missing_value=-99)
    res = estimate(corp_rep, CORP_MODEL, missing_value=-99, assess=False)
    eqs = model_equations(res.spec)
    ys, xs = design(res.scores, eqs, intercepts=True)
    n = len(res.scores)
    for k in (2,):
        start = _random_partition(n, k, generator(5, "permutation", "fimix-test", k))
        ours = em(ys, xs, start, tolerance=1e-10, max_iterations=20000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = extras.assess_fimix(model, K=k, nstart=1, inits=[start], max_iter=20000, stop_criterion=1e-10)
        assert ours is not None and ref is not None
        assert ours.log_likelihood == pytest.approx(ref.log_likelihood, abs=1e-6)
        np.testing.assert_allclose(ours.shares, list(ref.segment_proportions.values()), atol=1e-6)
        for j, e in enumerate(eqs):
            for s in range(k):
                pm = ref.segment_paths[s]
                want = [ref.segment_intercepts[s][e.target]] + [
                    pm.values[pm.rows.index(p), pm.cols.index(e.target)] for p in e.predictors
                ]
                np.testing.assert_allclose(ours.coefficients[j][s], want, atol=1e-6)
        q = n_parameters(eqs, k, intercepts=True)
        assert q == ref.n_parameters
        crit = information_criteria(ours.log_likelihood, q, n)
        for key in ("aic", "aic3", "aic4", "bic", "caic", "hq"):
            assert crit[key] == pytest.approx(ref.info_criteria[key.upper()], abs=1e-5)
        assert normed_entropy(ours.posterior) == pytest.approx(ref.info_criteria["EN"], abs=1e-6)
        # seminrExtras' MDL5 penalty is (N_K / 2) ln N; leanlearn's is Liang et al.'s 5 N_K ln N
        assert crit["mdl5"] - ref.info_criteria["MDL5"] == pytest.approx(4.5 * q * math.log(n), abs=1e-5)


# ---- the CLI --------------------------------------------------------------------------------
CORP_MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""


def _fimix(model_text, tmp_path, out, *extra):
    from conftest import REF
    from leanlearn.cli import main

    model = tmp_path / "model.lav"
    model.write_text(model_text)
    return main(["fimix", str(REF / "corp_rep_data.csv"), str(model), "--out", str(out), "--missing-value", "-99", *extra])


def test_fimix_cli_writes_the_contracted_tables_byte_identically(tmp_path):
    from leanlearn.pls.engine import estimate
    from conftest import REF

    args = ("--max-segments", "2", "--starts", "2", "--seed", "11")
    assert _fimix(CORP_MODEL, tmp_path, tmp_path / "a", *args) == 0
    assert _fimix(CORP_MODEL, tmp_path, tmp_path / "b", *args) == 0
    for name in ("fimix_fit.csv", "fimix_paths.csv", "fimix_membership.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    fit = pd.read_csv(tmp_path / "a" / "fimix_fit.csv")
    assert fit.segments.tolist() == [1, 2]
    assert {"log_likelihood", "n_parameters", "aic3", "caic", "mdl5", "entropy_en", "smallest_segment_share"} <= set(fit.columns)
    paths = pd.read_csv(tmp_path / "a" / "fimix_paths.csv")
    one = paths[paths.segments == 1].set_index(["source", "target"]).estimate
    ref = estimate(pd.read_csv(REF / "corp_rep_data.csv"), CORP_MODEL, missing_value=-99, assess=False).path_coefficients
    np.testing.assert_allclose(one.loc[list(zip(ref.source, ref.target))].to_numpy(), ref.estimate.to_numpy(), atol=1e-10)
    members = pd.read_csv(tmp_path / "a" / "fimix_membership.csv")
    assert list(members.columns) == ["segments", "case", "segment", "posterior"]
    np.testing.assert_allclose(members.groupby(["segments", "case"]).posterior.sum(), 1.0, atol=1e-9)
    notes = (tmp_path / "a" / "notes.txt").read_text()
    assert "AIC3 and CAIC" in notes and "observed variables" in notes


def test_fimix_cli_refuses_a_model_without_endogenous_constructs(tmp_path, capsys):
    measurement_only = "\n".join(CORP_MODEL.splitlines()[:4]) + "\n"
    code = _fimix(measurement_only, tmp_path, tmp_path / "o")
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "endogenous" in err or "structural" in err
    assert not (tmp_path / "o").exists()


def test_fimix_cli_refuses_more_segments_than_the_minimum_size_allows(tmp_path, capsys):
    code = _fimix(CORP_MODEL, tmp_path, tmp_path / "o", "--max-segments", "12", "--seed", "1")
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "at most 11 segments" in err  # 344 cases // 30
    assert not (tmp_path / "o").exists()


def test_summary_line_claims_heterogeneity_only_when_the_rule_is_met():
    from leanlearn.report.analyses import summary_lines

    def fit(en2, share2):
        return pd.DataFrame({
            "segments": [1, 2, 3], "n": 200, "aic3": [10.0, 5.0, 7.0], "caic": [10.0, 6.0, 9.0], "aic4": [10.0, 6.0, 9.0],
            "bic": [10.0, 6.0, 9.0], "entropy_en": [np.nan, en2, 0.9], "smallest_segment_share": [1.0, share2, 0.2],
            "min_segment_size": 30,
        })  # fmt: skip

    (met,) = summary_lines({"robustness/fimix/fimix_fit.csv": fit(0.8, 0.3)})
    assert (
        "AIC3 and CAIC retain 2 segments" in met and "unobserved heterogeneity indicated" in met and "observed variables" in met
    )
    (blurred,) = summary_lines({"robustness/fimix/fimix_fit.csv": fit(0.4, 0.3)})
    assert "no unobserved heterogeneity claimed" in blurred and "indicated" not in blurred
    (small,) = summary_lines({"robustness/fimix/fimix_fit.csv": fit(0.8, 0.1)})  # 20 expected cases < 30
    assert "no unobserved heterogeneity claimed" in small
    one = fit(0.8, 0.3).assign(aic3=[1.0, 5.0, 7.0], caic=[1.0, 6.0, 9.0])
    (single,) = summary_lines({"robustness/fimix/fimix_fit.csv": one})
    assert "retain one segment" in single and "no unobserved heterogeneity" in single
