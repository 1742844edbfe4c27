"""The multiverse rebuilds the pipeline's own analysis data and counts agreeing verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from leanlearn.effects.hypotheses import load_hypotheses
from leanlearn.robustness.multiverse import Variant, _keep_mask, analysis_variant, default_variants, run_multiverse, stability
from leanlearn.datasets.simulate import PopulationModel, draw_items
from leanlearn.spec.model import parse_model

CONFIG = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text())
STUDY = (ROOT / "studies" / "lean" / "model.lav").read_text()


def test_keep_rules_from_the_screening_flags():
    flags = pd.DataFrame(
        {
            "respondent_id": ["a", "b", "c", "d"],
            "decision": ["kept", "kept", "excluded", "excluded"],
            "n_soft_families": [0, 1, 2, 0],
            "hard_reasons": [None, None, None, "incomplete"],
        }
    )
    assert _keep_mask(flags, "main").tolist() == [True, True, False, False]
    assert _keep_mask(flags, "no_flagged").tolist() == [True, False, False, False]
    assert _keep_mask(flags, "hard_only").tolist() == [True, True, True, False]


def test_main_variant_reproduces_the_pipelines_analysis_file(front_half):
    from leanlearn.cli.estimate import read_data
    from leanlearn.cli.screen import read_survey
    from leanlearn.spec.codebook import load_codebook

    d = front_half
    codebook = load_codebook(yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text()))
    scales = codebook.item_scales()
    items = list(parse_model(STUDY).items)
    got = analysis_variant(
        read_survey(d / "survey_ingested.csv"), read_survey(d / "screening" / "flags.csv"), read_data(ROOT / "data/raw/orbis_firms.csv"),
        keep="main", method=CONFIG["missing"]["treatment"], items=items, bounds={i: scales[i][:2] for i in items}, config=CONFIG,
    )
    expected = pd.read_csv(d / "analysis.csv")
    assert len(got) == len(expected)
    np.testing.assert_allclose(got[items].to_numpy(float), expected[items].to_numpy(float), atol=1e-9)
    np.testing.assert_allclose(got.log_employees.to_numpy(float), expected.log_employees.to_numpy(float), atol=1e-9, equal_nan=True)


def test_every_choice_is_varied_once():
    names = [v.name for v in default_variants(CONFIG)]
    assert names[0] == "main"
    for expected in ("scheme=factorial", "scheme=centroid", "interaction=product_indicator", "interaction=orthogonal",
                     "estimator=PLSc", "interval=BCa", "missing=iterative", "missing=listwise",
                     "screening=no_flagged", "screening=hard_only", "controls=none"):
        assert expected in names


def test_variants_come_in_the_order_of_the_choices_and_skips_keep_theirs():
    # the order of the variants is the order of the rows of multiverse.csv
    names = [v.name for v in default_variants(CONFIG)]
    assert names == ["main", "scheme=factorial", "scheme=centroid", "interaction=product_indicator", "interaction=orthogonal",
                     "estimator=PLSc", "interval=BCa", "missing=iterative", "missing=listwise", "screening=no_flagged",
                     "screening=hard_only", "controls=none", "controls=+industry_group,+country"]  # fmt: skip
    spec = parse_model("X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X\n")
    cfg = {**CONFIG, "controls": {}, "missing": {"treatment": "multiple"}}
    variants, skipped = default_variants(cfg, spec, columns=["x1"], return_skipped=True)
    assert [s.name for s in skipped] == ["interaction=product_indicator", "interaction=orthogonal", "controls=none",
                                         "controls=+industry_group,+country"]  # fmt: skip
    # multiple imputation is varied as the single (iterative) treatment the other steps read
    assert [v.name for v in variants if v.factor == "missing-data treatment"] == ["missing=mean", "missing=listwise"]


def test_a_failing_variant_is_skipped_with_its_reason_but_a_failing_main_analysis_stops():
    df = draw_items(300, PopulationModel(), seed=5)
    hyps = load_hypotheses([h for h in CONFIG["hypotheses"] if h["id"] == "H1"])
    cfg = dict(CONFIG, controls={"variables": []})
    broken = Variant("scheme=factorial", "scheme", "factorial", scheme="factorial")
    spec = parse_model(STUDY)

    def data_for(keep, missing):  # the variant's data has a constant item: its block is singular
        return df.assign(**{spec.items[0]: 1.0}) if keep == "hard_only" else df

    variants = [Variant("main", "main", "x"), Variant("screening=hard_only", "screening rule", "hard", keep="hard_only"), broken]
    out = run_multiverse(variants, data_for, spec, cfg, hyps, resamples=50, seed=3)
    assert list(out.skipped.variant) == ["screening=hard_only"] and out.skipped.reason[0].startswith("estimation failed: ")
    assert list(dict.fromkeys(out.verdicts.variant)) == ["main", "scheme=factorial"]
    assert set(out.paths.variant) == {"main", "scheme=factorial"} and "screening=hard_only" not in out.n
    with pytest.raises((ValueError, ArithmeticError, np.linalg.LinAlgError)):
        run_multiverse([Variant("main", "main", "x", keep="hard_only")], data_for, spec, cfg, hyps, resamples=50, seed=3)


def test_verdicts_agree_with_main_are_counted():
    df = draw_items(400, PopulationModel(), seed=31)
    hyps = load_hypotheses([h for h in CONFIG["hypotheses"] if h["id"] in ("H1", "H5")])
    variants = [Variant("main", "main", "x"), Variant("scheme=factorial", "scheme", "factorial", scheme="factorial"),
                Variant("interval=BCa", "interval", "BCa", interval="bca")]
    cfg = dict(CONFIG, controls={"variables": []})
    out = run_multiverse(variants, lambda keep, missing: df, parse_model(STUDY), cfg, hyps, resamples=300, seed=1)
    assert set(out.verdicts.variant) == {"main", "scheme=factorial", "interval=BCa"}
    assert out.verdicts[out.verdicts.variant == "main"].same_as_main.all()
    bca = out.verdicts[out.verdicts.variant == "interval=BCa"].set_index("hypothesis")
    main_ = out.verdicts[out.verdicts.variant == "main"].set_index("hypothesis")
    assert (bca.estimate == main_.estimate).all()  # same bootstrap, another interval
    st = stability(out.verdicts).set_index("hypothesis")
    for h in ("H1", "H5"):
        others = out.verdicts[(out.verdicts.hypothesis == h) & (out.verdicts.variant != "main")]
        assert st.loc[h, "n_same"] == others.same_as_main.sum() and st.loc[h, "n_variants"] == 2


def test_variants_come_from_the_study_not_from_hard_coded_columns():
    bare = {k: v for k, v in CONFIG.items() if k != "robustness"}
    names = [v.name for v in default_variants(bare)]
    assert not any("industry" in n or "country" in n for n in names)
    names = [v.name for v in default_variants(CONFIG)]
    assert "controls=+industry_group,+country" in names
    extra = next(v for v in default_variants(CONFIG) if v.name.startswith("controls=+"))
    assert extra.controls["variables"] == ["log_employees", "firm_age", "industry_group", "country"]
    assert extra.controls["categorical"] == ["industry_group", "country"]


def test_a_variant_that_cannot_apply_is_skipped_with_a_reason():
    spec = parse_model("X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X\n")
    cfg = {**CONFIG, "controls": {}}
    variants, skipped = default_variants(cfg, spec, columns=["x1", "industry_group"], return_skipped=True)
    names = {v.name for v in variants}
    reasons = {s.name: s.reason for s in skipped}
    assert not any(n.startswith("interaction=") for n in names)
    assert reasons["interaction=product_indicator"] == "the model has no interaction term"
    assert reasons["controls=none"] == "the study has no controls"
    assert "column(s) country not in the analysis data" in reasons["controls=+industry_group,+country"]
    assert "estimator=PLSc" in names and "scheme=centroid" in names
    composite = parse_model("X <~ x1 + x2\nY <~ y1 + y2\nY ~ X\n")
    _, skipped = default_variants(cfg, composite, return_skipped=True)
    assert any(s.name == "estimator=PLSc" and "reflective" in s.reason for s in skipped)


def test_multiverse_variants_can_be_chosen_and_unknown_names_are_refused():
    cfg = {**CONFIG, "robustness": {**CONFIG["robustness"], "multiverse": {"variants": ["scheme=centroid"]}}}
    variants, skipped = default_variants(cfg, return_skipped=True)
    assert [v.name for v in variants] == ["main", "scheme=centroid"]
    assert any(s.name == "interval=BCa" and "not listed" in s.reason for s in skipped)
    cfg["robustness"]["multiverse"] = {"variants": ["scheme=pth"]}
    with pytest.raises(ValueError, match="unknown variant.*scheme=pth"):
        default_variants(cfg)


def test_a_study_without_archival_data_uses_the_treated_responses():
    ingested = pd.DataFrame({"respondent_id": ["a", "b", "c"], "x1": [1.0, np.nan, 3.0], "x2": [2.0, 2.0, 4.0]})
    flags = pd.DataFrame({"respondent_id": ["a", "b", "c"], "decision": ["kept", "kept", "excluded"],
                          "n_soft_families": [0, 0, 2], "hard_reasons": [None, None, None]})
    got = analysis_variant(ingested, flags, None, keep="main", method="mean", items=["x1", "x2"],
                           bounds={"x1": (1, 7), "x2": (1, 7)}, config={"missing": {"mean_replacement_max_item_missing": 0.9}})
    assert got["respondent_id"].tolist() == ["a", "b"]
    assert got["x1"].tolist() == [1.0, 1.0]


# ---- fragile verdicts across the multiverse (constructed inputs) ---------------------------------
def _verdicts(rows):
    """rows: (hypothesis, variant, verdict); same_as_main from the main row of each hypothesis."""
    v = pd.DataFrame(rows, columns=["hypothesis", "variant", "verdict"])
    main = v[v.variant == "main"].set_index("hypothesis").verdict
    v["same_as_main"] = [m == main[h] for h, m in zip(v.hypothesis, v.verdict)]
    return v


VERDICTS = _verdicts(
    [("H1", "main", "supported"), *[("H1", f"v{i}", "supported") for i in range(10)],  # all agree
     ("H2", "main", "supported"), *[("H2", f"v{i}", "supported") for i in range(9)], ("H2", "v9", "inconclusive"),  # 9 of 10
     ("H3", "main", "inconclusive"), *[("H3", f"v{i}", "supported") for i in range(6)], *[("H3", f"v{i}", "inconclusive") for i in range(6, 10)],
     ("H4", "main", "equivalent")]  # no alternative analysis
)  # fmt: skip


def test_a_verdict_that_changes_in_any_variant_is_fragile_by_default():
    st = stability(VERDICTS).set_index("hypothesis")
    assert st.fragile.to_dict() == {"H1": False, "H2": True, "H3": True, "H4": False}
    assert (st.min_agreement == 1.0).all()


def test_a_lower_agreement_threshold_keeps_a_mostly_stable_verdict_unflagged():
    st = stability(VERDICTS, min_agreement=0.8).set_index("hypothesis")
    # H2: 9 of 10 = 0.9 >= 0.8 (not fragile); H3: 4 of 10 = 0.4 < 0.8 (fragile); exactly at the threshold is not fragile
    assert st.fragile.to_dict() == {"H1": False, "H2": False, "H3": True, "H4": False}
    assert not stability(VERDICTS, min_agreement=0.9).set_index("hypothesis").fragile["H2"]
    with pytest.raises(ValueError, match="min_agreement"):
        stability(VERDICTS, min_agreement=0)


def test_flag_fragile_combines_the_interval_and_the_multiverse_rule():
    from leanlearn.robustness.multiverse import flag_fragile

    hyp = pd.DataFrame({"hypothesis": ["H1", "H2", "H3", "H4", "H5"], "verdict": ["supported", "supported", "inconclusive", "equivalent", "supported"],
                        "fragile": [True, False, False, False, False]})  # fmt: skip
    out = flag_fragile(hyp, stability(VERDICTS)).set_index("hypothesis")
    assert out.fragile.to_dict() == {"H1": True, "H2": True, "H3": True, "H4": False, "H5": False}
    assert out.fragile_interval.to_dict() == {"H1": True, "H2": False, "H3": False, "H4": False, "H5": False}
    assert out.fragile_multiverse["H2"] is True and out.fragile_multiverse["H1"] is False and pd.isna(out.fragile_multiverse["H5"])
    assert out.fragile_reason["H2"] == "only 9 of 10 alternative analyses reach the same verdict"
    assert out.fragile_reason["H1"].startswith("a bound of the interval") and out.fragile_reason["H4"] == ""
    # without a multiverse only the interval rule applies
    alone = flag_fragile(hyp, None)
    assert alone.fragile.tolist() == [True, False, False, False, False] and alone.fragile_multiverse.isna().all()


def test_hypotheses_table_marks_multiverse_fragility_and_states_the_rule():
    from leanlearn.report.tables import hypotheses_table

    hyp = pd.DataFrame({"hypothesis": ["H1", "H2"], "quantity": ["LP -> LS", "LS -> OP"], "direction": "positive", "estimate": [0.3, 0.2],
                        "ci_lower": [0.1, 0.05], "ci_upper": [0.5, 0.4], "p_value": [0.001, 0.01], "verdict": "supported",
                        "fragile": [False, False]})  # fmt: skip
    t = hypotheses_table(hyp, stability(VERDICTS))
    assert t.columns[-1] == "Fragile"
    assert [r[-1] for r in t.rows] == ["", "yes (multiverse: 9 of 10 agree)"]
    assert "at least one alternative analysis reaches another verdict" in t.note
    t80 = hypotheses_table(hyp, stability(VERDICTS, min_agreement=0.8))
    assert [r[-1] for r in t80.rows] == ["", ""] and "fewer than 80" in t80.note


def test_summary_lists_fragile_verdicts_with_their_reason_and_rule():
    from leanlearn.report.headline import _hypotheses

    hyp = pd.DataFrame({"hypothesis": ["H1", "H2"], "quantity": ["LP -> LS", "LS -> OP"], "statement": ["a", "b"], "direction": "positive",
                        "estimate": [0.3, 0.2], "ci_lower": [0.1, 0.05], "ci_upper": [0.5, 0.4], "p_value": [0.001, 0.01],
                        "verdict": "supported", "fragile": [False, False], "explanation": ["x", "y"]})  # fmt: skip
    lines = _hypotheses({"hypotheses/hypotheses.csv": hyp, "robustness/multiverse_stability.csv": stability(VERDICTS)})
    frag = [line for line in lines if line.startswith("- **Fragile verdicts:**")]
    assert frag == ["- **Fragile verdicts:** H2 (only 9 of 10 alternative analyses reach the same verdict). Rule: a bound of the test "
                    "interval within the fragile margin of zero, or any alternative analysis of the multiverse reaches another verdict "
                    "(inference.fragile_agreement)."]  # fmt: skip
    assert any("| H2 |" in line and "(fragile)" in line for line in lines)
