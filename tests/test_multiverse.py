"""The multiverse rebuilds the pipeline's own analysis data and counts agreeing verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from conftest import ROOT
from leanlearn.effects.hypotheses import load_hypotheses
from leanlearn.robustness.multiverse import Variant, _keep_mask, analysis_variant, default_variants, run_multiverse, stability
from leanlearn.datasets.simulate import PopulationModel, draw_items
from leanlearn.spec.model import parse_model

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
STUDY = (ROOT / "config" / "models" / "study.lav").read_text()


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
    codebook = load_codebook(yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text()))
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
