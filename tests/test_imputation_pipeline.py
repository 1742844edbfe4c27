"""Multiple imputation in the pipeline (``missing.treatment: multiple``): measurement and hypotheses pool.

Claims: one imputation of complete data gives exactly the complete-data hypotheses table
(and structural paths); with answers missing, the pooled tables and verdicts are
byte-identical for 1 and 2 workers, the point estimates are Rubin's means of the
imputations' estimates and the intervals the percentiles of the pooled draws, the FMI
reaches hypotheses.csv and settings.json records M and the imputer; combinations that
cannot be pooled (BCa for M > 1, no --untreated) are refused with exit 2; a
multiple-imputation config is valid and its screen step writes a single imputation.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.cli import main
from leanlearn.data.imputation import PooledBootstrap, multiple_imputation
from leanlearn.effects.hypotheses import COLUMNS, MI_COLUMNS, evaluate_hypotheses, load_hypotheses
from leanlearn.pls.bootstrap import percentile_interval

from test_groups import draw

MODEL = """
X =~ x1 + x2 + x3
W =~ w1 + w2 + w3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X + W
Y ~ M + X
"""

HYPOTHESES = [
    {"id": "H1", "statement": "X raises M.", "test": "path", "source": "X", "target": "M", "direction": "positive"},
    {"id": "H2", "statement": "M mediates X on Y.", "test": "indirect", "path": ["X", "M", "Y"], "direction": "positive"},
    {"id": "H3", "statement": "No direct X -> Y.", "test": "path", "source": "X", "target": "Y", "direction": "none", "sesoi": 0.1},
]


def _data(n=160, seed=1, share=0.0):
    base = draw(n, seed, beta=(0.4, 0.3))  # x, w, y items: reuse y as the mediator's items
    rng = np.random.default_rng(seed + 7)
    m = 0.5 * base[["x1", "x2", "x3"]].mean(axis=1).to_numpy() + rng.standard_normal(n) * 0.8
    for i in (1, 2, 3):
        base[f"m{i}"] = 0.85 * m / m.std() + 0.5 * rng.standard_normal(n)
    cols = [c for c in base.columns]
    out = base[cols].copy()
    if share:
        holes = rng.random(out.shape) < share
        out = out.mask(holes)
    out.insert(0, "respondent_id", [f"R{i:04d}" for i in range(n)])
    return out


def _write(tmp, data, *, treatment, imputations=1, interval="percentile", resamples=120, extra=None):
    untreated = tmp / "untreated.csv"
    data.to_csv(untreated, index=False)
    filled = data.copy()
    items = [c for c in data.columns if c != "respondent_id"]
    filled[items] = filled[items].fillna(filled[items].mean())
    (tmp / "analysis.csv").write_text(filled.to_csv(index=False))
    (tmp / "model.lav").write_text(MODEL)
    cfg = {
        "seed": 7, "hypotheses": HYPOTHESES, "bootstrap": {"resamples": resamples, "ci_level": 0.95, "workers": 1},
        "inference": {"interval": interval}, "missing": {"treatment": treatment, "imputations": imputations},
    }  # fmt: skip
    cfg.update(extra or {})
    (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return untreated


def _hypotheses(tmp, out, *, workers=1, untreated=True):
    argv = ["hypotheses", str(tmp / "analysis.csv"), str(tmp / "model.lav"), "--config", str(tmp / "config.yaml"),
            "--out", str(tmp / out), "--tables", str(tmp / f"{out}_structural"), "--workers", str(workers)]  # fmt: skip
    if untreated:
        argv += ["--untreated", str(tmp / "untreated.csv")]
    return main(argv)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_one_imputation_of_complete_data_gives_the_complete_data_hypotheses_table(tmp_path, weighted):
    data = _data()
    extra = None
    if weighted:  # weighted PLS in every imputation (estimation.weights)
        data["w"] = np.random.default_rng(4).integers(1, 4, len(data)).astype(float)
        extra = {"estimation": {"weights": "w"}}
    _write(tmp_path, data, treatment="mean", extra=extra)
    assert _hypotheses(tmp_path, "complete", untreated=False) == 0
    _write(tmp_path, data, treatment="multiple", imputations=1, extra=extra)
    assert _hypotheses(tmp_path, "mi") == 0
    a = pd.read_csv(tmp_path / "complete" / "hypotheses.csv")
    b = pd.read_csv(tmp_path / "mi" / "hypotheses.csv")
    assert list(b.columns) == COLUMNS + MI_COLUMNS
    pd.testing.assert_frame_equal(a[COLUMNS], b[COLUMNS], check_exact=True)
    assert (b["n_imputations"] == 1).all() and b["fmi"].isna().all()
    for name in ("paths.csv", "outer_loadings.csv", "reliability.csv", "indirect_effects.csv", "htmt.csv"):
        x = pd.read_csv(tmp_path / "complete_structural" / name)
        y = pd.read_csv(tmp_path / "mi_structural" / name)
        pd.testing.assert_frame_equal(x, y[list(x.columns)], check_exact=True, obj=name)
    for name in ("bootstrap_draws.csv", "mediation.csv", "indirect_contrasts.csv"):
        assert (tmp_path / "complete" / name).read_bytes() == (tmp_path / "mi" / name).read_bytes(), name


def test_pooled_verdicts_are_byte_identical_for_one_and_two_workers_and_record_the_imputation(tmp_path):
    data = _data(share=0.12)
    _write(tmp_path, data, treatment="multiple", imputations=3, resamples=80)
    assert _hypotheses(tmp_path, "w1", workers=1) == 0
    assert _hypotheses(tmp_path, "w2", workers=2) == 0
    for sub in ("w1", "w1_structural"):
        for f in sorted((tmp_path / sub).iterdir()):
            if f.name == "settings.json":
                continue
            other = tmp_path / sub.replace("w1", "w2") / f.name
            assert f.read_bytes() == other.read_bytes(), f.name
    hyp = pd.read_csv(tmp_path / "w1" / "hypotheses.csv")
    assert (hyp["n_imputations"] == 3).all() and ((hyp["fmi"] > 0) & (hyp["fmi"] < 1)).all()
    assert hyp["bca_lower"].isna().all() and "Pooled over 3 imputations" in hyp["explanation"].iloc[0]
    draws = pd.read_csv(tmp_path / "w1" / "bootstrap_draws.csv")
    assert len(draws) == 3 * 80 and (hyp["n_resamples"] == 240).all()
    lo, hi = percentile_interval(draws[["H1"]].to_numpy(), 0.95)
    assert hyp.loc[0, "ci_lower"] == pytest.approx(lo[0], abs=1e-10) and hyp.loc[0, "ci_upper"] == pytest.approx(hi[0], abs=1e-10)  # CSV: 12 digits
    rec = json.loads((tmp_path / "w1_structural" / "settings.json").read_text())
    assert rec["missing"] == "multiple" and rec["imputations"] == 3 and "IterativeImputer" in rec["imputation_method"]
    assert (pd.read_csv(tmp_path / "w1_structural" / "imputation_report.csv")["n_missing"] > 0).all()
    paths = pd.read_csv(tmp_path / "w1_structural" / "paths.csv")
    assert {"fmi", "rubin_lower", "rubin_upper", "n_imputations"} <= set(paths.columns)
    from leanlearn.report.headline import summary_markdown

    flow = pd.DataFrame({"step": ["responses_in", "kept"], "n_after": [160, 160], "n_excluded": [0, 0], "n_flagged": [0, 0]})
    text = summary_markdown({"screening/flow.csv": flow, "structural/settings": rec, "hypotheses/hypotheses.csv": hyp})
    assert "multiple imputation, M = 3 imputed data sets" in text and "Pooled over 3 imputations" in text


def test_pooled_estimate_is_the_mean_of_the_imputations_estimates():
    data = _data(share=0.12).drop(columns="respondent_id")
    mi = multiple_imputation(data, MODEL, imputations=3, seed=3, resamples=60)
    pb = mi.pooled_bootstrap()
    assert isinstance(pb, PooledBootstrap) and pb.n_valid == 180
    hyp = evaluate_hypotheses(pb, load_hypotheses(HYPOTHESES))
    names = list(mi.results[0].constructs)
    x, m, y = (names.index(c) for c in "XMY")
    per = [r.path_matrix[x, m] * r.path_matrix[m, y] for r in mi.results]
    assert hyp.loc[1, "estimate"] == pytest.approx(np.mean(per), abs=1e-15)
    assert hyp.loc[1, "estimate"] != pytest.approx(pb.result.path_matrix[x, m] * pb.result.path_matrix[m, y], abs=1e-12)
    draws = np.concatenate([b.path_draws[:, x, m] * b.path_draws[:, m, y] for b in mi.boots])
    assert hyp.loc[1, "std_error"] == pytest.approx(draws.std(ddof=1), rel=1e-12)
    # the pooled paths table equals the pooled family table of multiple_imputation (same rule, two routes)
    np.testing.assert_allclose(pb.table("paths")["ci_lower"], mi.pooled["paths"]["ci_lower"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(pb.table("paths")["estimate"], mi.pooled["paths"]["estimate"], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "change,needle",
    [
        ({"interval": "bca"}, "BCa needs the jackknife of one data set"),
        ({"untreated": False}, "needs --untreated"),
    ],
)
def test_combinations_that_cannot_be_pooled_are_refused(tmp_path, capsys, change, needle):
    data = _data(n=60, share=0.1)
    _write(tmp_path, data, treatment="multiple", imputations=2, interval=change.get("interval", "percentile"), resamples=20,
           extra=change.get("extra"))  # fmt: skip
    assert _hypotheses(tmp_path, "x", untreated=change.get("untreated", True)) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_missing_alternative_cannot_be_multiple():
    from leanlearn.data.missing import missing_config
    from leanlearn.errors import SpecError

    assert missing_config({"treatment": "multiple", "imputations": 5}).single_treatment == "iterative"
    with pytest.raises(SpecError, match="missing.alternative"):
        missing_config({"alternative": "multiple"})
    with pytest.raises(SpecError, match="missing.imputations"):
        missing_config({"treatment": "multiple", "imputations": 0})
