"""Tests of leanlearn.datasets.simulate and the ``leanlearn simulate`` verb.

Claims proved here: the population model's derived values are right (analytically and by
Monte Carlo); draws are seeded and recover the population at large N; the synthetic raw
files have the designed structure and defects; and the bundled data/raw files are exactly
what the command writes with the default seed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leanlearn.cli import main
from leanlearn.datasets.simulate import (
    CELL_DEFECTS,
    CONSTRUCT_ITEMS,
    DEFAULT_SEED,
    DESIGN_N_CLEAN,
    EXPORT_COLUMNS,
    FIRM_DEFECTS,
    ITEM_COLUMN,
    ITEMS,
    LATENTS,
    RESPONSE_DEFECTS,
    REVERSE_ITEMS,
    PopulationModel,
    draw_items,
    simulate_study,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
RAW_FILES = ("survey_export.csv", "orbis_firms.csv", "sampling_frame.csv")
PAGES = {
    "Q2_timer_Page Submit": 9,
    "Q3_timer_Page Submit": 6,
    "Q4_timer_Page Submit": 6,
    "Q5_timer_Page Submit": 6,
    "Q6_timer_Page Submit": 3,
}
ITEM_COLS = [ITEM_COLUMN[i] for i in ITEMS]


# ---- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study() -> dict[str, pd.DataFrame]:
    return simulate_study(DEFAULT_SEED)


@pytest.fixture(scope="module")
def responses(study) -> pd.DataFrame:
    """The data rows of the export (header rows dropped), with the designed defect kinds."""
    data = study["survey_export"].iloc[2:].reset_index(drop=True).fillna("")
    defects = study["defects"]
    kinds = defects[defects.level == "response"].groupby("response_id")["kind"].apply(frozenset)
    data["kinds"] = data["ResponseId"].map(kinds).apply(lambda k: k if isinstance(k, frozenset) else frozenset())
    return data


def _numeric(frame: pd.DataFrame, cols) -> pd.DataFrame:
    return frame[list(cols)].replace("", np.nan).astype(float)


def _seconds_per_item(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: _numeric(frame, [c])[c] / k for c, k in PAGES.items()})


def _with(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame[frame["kinds"].apply(lambda k: kind in k)]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["kinds"].apply(len) == 0]


# ---- reproducibility ------------------------------------------------------------------------------
def test_default_seed_is_the_seed_in_config():
    config = yaml.safe_load((ROOT / "studies" / "lean" / "config.yaml").read_text(encoding="utf-8"))
    assert config["seed"] == DEFAULT_SEED


def test_regenerating_with_default_seed_reproduces_bundled_files_byte_for_byte(tmp_path):
    assert main(["simulate", "--out", str(tmp_path / "raw")]) == 0
    for name in RAW_FILES:
        assert (tmp_path / "raw" / name).read_bytes() == (RAW / name).read_bytes(), name


def test_cli_writes_three_files_and_the_defect_log_only_when_asked(tmp_path):
    assert main(["simulate", "--out", str(tmp_path / "a"), "--seed", "7", "--n-clean", "30"]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(RAW_FILES)
    truth = tmp_path / "truth" / "defects.csv"
    assert main(["simulate", "--out", str(tmp_path / "b"), "--seed", "7", "--n-clean", "30", "--truth", str(truth)]) == 0
    log = pd.read_csv(truth)
    assert list(log.columns) == ["response_id", "firm_id", "level", "kind", "detail", "expected"]
    for name in RAW_FILES:  # the same seed gives the same files
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert b"\r\n" not in (tmp_path / "a" / "survey_export.csv").read_bytes()


def test_cli_reports_an_impossible_design_as_a_user_error(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "x"), "--n-clean", "5"]) == 2
    assert "n_clean" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_same_seed_gives_same_draws_and_other_seed_differs():
    a = draw_items(500, seed=3, include_latent=True)
    b = draw_items(500, seed=3, include_latent=True)
    c = draw_items(500, seed=4, include_latent=True)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


# ---- population model ------------------------------------------------------------------------------
def test_population_disturbance_variances_make_ls_and_op_unit_variance():
    pop = PopulationModel()
    r = pop.rho_lp_dig
    explained_ls = 0.30**2 + 0.05**2 + 2 * 0.30 * 0.05 * r + 0.25**2 * (1 + r**2)
    assert pop.ls_disturbance_variance() == pytest.approx(1 - explained_ls, abs=1e-12)
    assert pop.ls_disturbance_variance() == pytest.approx(0.830375, abs=1e-12)
    # Var(c1 LP + b LS + g1 SIZE) with Cov(LP, LS) = a1 + a2 rho, Cov(LS, SIZE) = a2 rho_SD
    cov_lp_ls, cov_ls_size = 0.30 + 0.05 * r, 0.05 * 0.20
    explained_op = 0.15**2 + 0.5**2 + 0.1**2 + 2 * 0.15 * 0.5 * cov_lp_ls + 2 * 0.5 * 0.1 * cov_ls_size
    assert pop.op_disturbance_variance() == pytest.approx(1 - explained_op, abs=1e-12)
    cov = pop.latent_covariance()
    for name in LATENTS:
        expected = 1 + r**2 if name == "LP:DIG" else 1.0
        assert cov.loc[name, name] == pytest.approx(expected, abs=1e-12)
    assert cov.loc["LS", "LP"] == pytest.approx(0.315)
    assert cov.loc["LS", "DIG"] == pytest.approx(0.14)
    assert cov.loc["MARK", ["LP", "DIG", "LS", "OP"]].abs().max() == 0


def test_population_conditional_indirect_effects_match_the_design():
    pop = PopulationModel()
    assert pop.conditional_indirect(1.0) == pytest.approx(0.275)
    assert pop.conditional_indirect(-1.0) == pytest.approx(0.025)
    assert pop.conditional_indirect(0.0) == pytest.approx(0.15)
    assert pop.index_moderated_mediation() == pytest.approx(0.125)
    assert pop.indirect_dig() == pytest.approx(0.025)
    assert pop.indirect_difference() == pytest.approx(0.125)
    assert pop.simple_slope(1.0) == pytest.approx(0.55)
    assert pop.simple_slope(-1.0) == pytest.approx(0.05)
    # the index is the slope of the conditional indirect effect in w
    assert pop.conditional_indirect(2.0) - pop.conditional_indirect(1.0) == pytest.approx(pop.index_moderated_mediation())
    assert pop.standardized_interaction_path() == pytest.approx(0.25 * math.sqrt(1.09))
    paths = pop.path_coefficients().set_index(["source", "target"])["estimate"]
    assert paths[("firm_age", "OP")] == 0 and paths[("LS", "OP")] == 0.5


def test_latent_moments_match_population_by_monte_carlo():
    pop = PopulationModel()
    draws = draw_items(200_000, pop, seed=11, include_latent=True)
    latent = pd.DataFrame({name: draws[f"true_{name}"] for name in ("LP", "DIG", "SIZE", "AGE", "LS", "OP", "MARK", "METHOD")})
    latent["LP:DIG"] = latent["LP"] * latent["DIG"] - pop.rho_lp_dig
    latent = latent[list(LATENTS)]
    sample = latent.cov().to_numpy()
    population = pop.latent_covariance().to_numpy()
    assert np.abs(sample - population).max() < 0.02
    assert latent["LS"].var() == pytest.approx(1.0, abs=0.015)
    assert latent["OP"].var() == pytest.approx(1.0, abs=0.015)
    assert latent.mean().abs().max() < 0.01
    # simple slopes: regress LS on LP, DIG and the product; slope of LP at DIG = +-1
    x = np.column_stack([np.ones(len(latent)), latent["LP"], latent["DIG"], latent["LP:DIG"]])
    beta = np.linalg.lstsq(x, latent["LS"].to_numpy(), rcond=None)[0]
    assert beta[1:] == pytest.approx([pop.a1, pop.a2, pop.a3], abs=0.01)


def test_true_latent_correlations_and_composites_recover_population_with_high_reliability_items():
    pop = PopulationModel()
    draws = draw_items(50_000, pop, seed=5, likert=False, loading_scale=0.95, method_factor=False, include_latent=True)
    names = ["LP", "DIG", "LS", "OP", "MARK"]
    population = pop.latent_covariance().loc[names, names].to_numpy()
    true_corr = draws[[f"true_{n}" for n in names]].corr().to_numpy()
    assert np.abs(true_corr - population).max() < 0.02
    # composites of six or more 0.95-loading items are nearly the true scores
    composites = pd.DataFrame({n: draws[list(CONSTRUCT_ITEMS[n])].mean(axis=1) for n in names})
    assert np.abs(composites.corr().to_numpy() - population).max() < 0.03
    implied = pop.with_loadings(0.95).item_covariance(method_factor=False)
    assert np.abs(draws[list(ITEMS)].cov().to_numpy() - implied.to_numpy()).max() < 0.03


def test_method_factor_puts_m_squared_covariance_between_marker_and_substantive_items():
    pop = PopulationModel()
    with_m = draw_items(100_000, pop, seed=2, likert=False)
    without = draw_items(100_000, pop, seed=2, likert=False, method_factor=False)
    markers, others = list(CONSTRUCT_ITEMS["MARK"]), [i for i in ITEMS if not i.startswith("MARK")]
    cross = lambda d: d[list(ITEMS)].cov().loc[markers, others].to_numpy().mean()  # noqa: E731
    assert cross(with_m) == pytest.approx(pop.method_loading**2, abs=0.006)
    assert cross(without) == pytest.approx(0.0, abs=0.006)


def test_likert_items_are_integers_1_to_7_skewed_towards_agreement():
    draws = draw_items(20_000, seed=1)
    items = draws[list(ITEMS)]
    assert items.isin(range(1, 8)).all().all()
    assert 4.6 < items.to_numpy().mean() < 5.0
    assert list(draws.columns[len(ITEMS):]) == ["log_employees", "firm_age"]
    assert draws["log_employees"].between(math.log(10), 15).all()
    assert (draws["firm_age"] >= 1).all()


def test_population_model_rejects_impossible_parameters():
    with pytest.raises(ValueError, match="LS"):
        PopulationModel(a1=0.9, a2=0.4)
    with pytest.raises(ValueError, match="negative error variance"):
        PopulationModel().with_loadings(0.995)
    with pytest.raises(ValueError):
        draw_items(0)


# ---- survey export -----------------------------------------------------------------------------------
def test_export_file_has_qualtrics_structure():
    raw = pd.read_csv(RAW / "survey_export.csv", header=None, dtype=str, keep_default_na=False)
    assert tuple(raw.iloc[0]) == EXPORT_COLUMNS
    assert raw.iloc[1, 0] == "Start Date" and raw.iloc[1, 8] == "Response ID"
    import_ids = [json.loads(cell) for cell in raw.iloc[2]]
    assert all("ImportId" in cell for cell in import_ids)
    assert import_ids[0] == {"ImportId": "startDate", "timeZone": "UTC"}
    assert import_ids[EXPORT_COLUMNS.index("Q2_1")] == {"ImportId": "QID2_1"}
    data = raw.iloc[3:]
    assert len(data) == 260
    assert data[EXPORT_COLUMNS.index("ResponseId")].str.fullmatch(r"R_[A-Za-z0-9]{15}").all()
    assert data[EXPORT_COLUMNS.index("ResponseId")].is_unique


def test_export_agrees_with_codebook():
    codebook = yaml.safe_load((ROOT / "studies" / "lean" / "codebook.yaml").read_text(encoding="utf-8"))
    texts = dict(zip(EXPORT_COLUMNS, simulate_study(DEFAULT_SEED, n_clean=24)["survey_export"].iloc[0]))
    reverse = []
    for name, block in codebook["constructs"].items():
        assert tuple(i["id"] for i in block["items"]) == CONSTRUCT_ITEMS[name]
        for item in block["items"]:
            assert ITEM_COLUMN[item["id"]] == item["column"]
            assert texts[item["column"]].endswith(item["text"])
            assert texts[item["column"]].startswith(block["stem"])
            if item.get("reverse"):
                reverse.append(item["id"])
    assert tuple(reverse) == REVERSE_ITEMS
    for check in codebook["attention_checks"]:
        assert ITEM_COLUMN[check["id"]] == check["column"]
        assert texts[check["column"]].endswith(check["text"])
    for page in codebook["paradata"]["page_timers"]:
        assert page["column"] in EXPORT_COLUMNS
        assert PAGES[page["column"]] == len(page["items"])
    named = [codebook["identifiers"]["respondent_id"], codebook["identifiers"]["firm_id"]]
    named += [p["column"] for p in codebook["personal_data"]]
    named += [v for k, v in codebook["paradata"].items() if k != "page_timers"]
    named += [v["column"] for v in codebook["key_informant"].values()]
    assert set(named) <= set(EXPORT_COLUMNS)


def test_export_has_designed_counts_and_every_defect_kind(study, responses):
    defects = study["defects"]
    assert len(responses) == 260
    clean = _clean(responses)
    assert len(clean) == DESIGN_N_CLEAN
    assert clean["firm_id"].is_unique
    assert set(defects["kind"]) == set(RESPONSE_DEFECTS) | set(CELL_DEFECTS) | set(FIRM_DEFECTS)
    per_response = defects[defects.level == "response"]
    assert per_response["response_id"].nunique() == 260 - DESIGN_N_CLEAN
    counts = per_response.groupby("kind")["response_id"].nunique()
    assert counts["partial"] == 11 and counts["speeder_hard"] == 6 and counts["straightliner"] == 5
    assert counts["duplicate_second_respondent"] + counts["duplicate_resubmission"] == 5
    assert counts["random_responder"] == 4 and counts["low_knowledge"] == 4 and counts["excess_missing"] == 4
    assert counts["attention_fail"] >= 8
    # the 12 countries: about 17 clean firms each, unequal
    frame = study["sampling_frame"].set_index("firm_id")
    per_country = frame.loc[clean["firm_id"], "country"].value_counts()
    assert len(per_country) == 12 and per_country.min() >= 12 and per_country.max() <= 25


def test_personal_data_columns_are_populated(responses):
    for col in ("IPAddress", "RecipientEmail", "RecipientFirstName", "RecipientLastName",
                "LocationLatitude", "LocationLongitude"):  # fmt: skip
        assert (responses[col] != "").all(), col
    assert responses["IPAddress"].str.fullmatch(r"\d{1,3}(\.\d{1,3}){3}").all()
    assert responses["RecipientEmail"].str.fullmatch(r"[a-z]+\.[a-z]+@[a-z0-9-]+\.example").all()
    assert _numeric(responses, ["LocationLatitude"])["LocationLatitude"].abs().le(90).all()
    comments = responses.loc[responses["Q7_comments"] != "", "Q7_comments"]
    assert len(comments) >= 20
    # some free-text comments name a person (a colleague): "<first name> <Surname>"
    first_names = "|".join(sorted(set(responses["RecipientFirstName"]), key=len, reverse=True))
    mentions_name = comments.str.contains(rf"\b(?:{first_names}) [A-Z]", regex=True)
    assert 5 <= mentions_name.sum() < len(comments)
    full_names = responses["RecipientFirstName"] + " " + responses["RecipientLastName"]
    assert full_names.nunique() > 150


def test_clean_responses_pass_every_hard_rule(responses):
    clean = _clean(responses)
    assert (clean["Finished"] == "1").all() and (clean["Progress"] == "100").all()
    assert _seconds_per_item(clean).min().min() >= 2.0
    assert (clean["Q2_9"] == "3").all() and (clean["Q5_6"] == "6").all()
    assert _numeric(clean, ["Q1_know"])["Q1_know"].ge(4).all()
    items = _numeric(clean, ITEM_COLS)
    assert items.isna().mean(axis=1).max() < 0.15
    assert (items.nunique(axis=1) > 1).all()
    # cell defects: about 1 % missing cells and a handful of out-of-range codes (0, 8, 99)
    assert 0.005 < items.isna().to_numpy().mean() < 0.015
    values = items.to_numpy()
    out_of_range = values[(values < 1) | (values > 7)]
    assert len(out_of_range) == 6 and set(out_of_range) <= {0, 8, 99}


def test_each_defect_is_visible_in_the_export(responses):
    spi = _seconds_per_item(responses)
    items = _numeric(responses, ITEM_COLS)
    partial = _with(responses, "partial")
    assert (partial["Finished"] == "0").all() and _numeric(partial, ["Progress"])["Progress"].lt(100).all()
    assert (partial["Q6_1"] == "").all() and (partial["Q7_comments"] == "").all()
    hard = _with(responses, "speeder_hard")
    assert (spi.loc[hard.index].min(axis=1) < 1).all()
    soft = _with(responses, "speeder_soft")
    soft_min = spi.loc[soft.index].min(axis=1)
    assert soft_min.between(1, 2, inclusive="left").all()
    straight = _with(responses, "straightliner")
    assert (items.loc[straight.index].nunique(axis=1) == 1).all()
    attention = _with(responses, "attention_fail")
    assert ((attention["Q2_9"] != "3") | (attention["Q5_6"] != "6")).all()
    others = responses.drop(attention.index)
    assert ((others["Q2_9"].isin(["3", ""])) & (others["Q5_6"].isin(["6", ""]))).all()
    low = _with(responses, "low_knowledge")
    assert _numeric(low, ["Q1_know"])["Q1_know"].lt(4).all()
    missing = _with(responses, "excess_missing")
    assert (items.loc[missing.index].isna().mean(axis=1) > 0.15).all()
    assert (missing["Finished"] == "1").all()
    random = _with(responses, "random_responder")
    assert (random["Q2_9"] == "3").all() and (items.loc[random.index].std(axis=1) > 1.5).all()


def test_duplicates_are_later_responses_of_clean_firms(responses):
    clean = _clean(responses).set_index("firm_id")
    answer_cols = ITEM_COLS + ["Q2_9", "Q5_6", "Q1_role", "Q1_tenure", "Q1_know"]
    for kind in ("duplicate_resubmission", "duplicate_second_respondent"):
        dups = _with(responses, kind)
        assert len(dups) >= 1
        for _, dup in dups.iterrows():
            orig = clean.loc[dup["firm_id"]]
            assert dup["RecordedDate"] > orig["RecordedDate"]
            assert dup["ResponseId"] != orig["ResponseId"]
            same_answers = (dup[answer_cols] == orig[answer_cols]).all()
            same_person = dup["RecipientEmail"] == orig["RecipientEmail"]
            if kind == "duplicate_resubmission":
                assert same_answers and same_person
            else:
                assert not same_person and not same_answers
                assert dup["RecipientEmail"].split("@")[1] == orig["RecipientEmail"].split("@")[1]


def test_paradata_are_consistent(responses):
    start = pd.to_datetime(responses["StartDate"])
    end = pd.to_datetime(responses["EndDate"])
    recorded = pd.to_datetime(responses["RecordedDate"])
    assert (end == recorded).all()
    assert ((end - start).dt.total_seconds() == _numeric(responses, ["Duration (in seconds)"])["Duration (in seconds)"]).all()
    assert (start.dt.year == 2023).all() and (end - end.min()).max() <= pd.Timedelta(weeks=10)
    reminder = pd.Timestamp("2023-04-10")
    assert ((recorded < reminder) == (responses["wave"] == "1")).all()
    assert set(responses["wave"]) == {"1", "2"}
    timers = responses[list(PAGES)]
    assert timers.apply(lambda c: c[c != ""].str.fullmatch(r"\d+\.\d{3}").all()).all()
    assert responses["firm_id"].str.fullmatch(r"F\d{4}").all()


def test_clean_sample_shows_the_designed_first_stage_interaction(responses):
    keyed = _numeric(_clean(responses), ITEM_COLS).where(lambda x: (x >= 1) & (x <= 7))
    for item in REVERSE_ITEMS:
        keyed[ITEM_COLUMN[item]] = 8 - keyed[ITEM_COLUMN[item]]
    scores = pd.DataFrame({c: keyed[[ITEM_COLUMN[i] for i in CONSTRUCT_ITEMS[c]]].mean(axis=1) for c in ("LP", "DIG", "LS")})
    z = (scores - scores.mean()) / scores.std()
    x = np.column_stack([np.ones(len(z)), z["LP"], z["DIG"], z["LP"] * z["DIG"]])
    beta, res, *_ = np.linalg.lstsq(x, z["LS"].to_numpy(), rcond=None)
    sigma2 = res[0] / (len(z) - 4)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
    assert beta[3] / se[3] > 2  # LP x DIG -> LS
    assert beta[1] / se[1] > 2  # LP -> LS


def test_n_clean_scales_the_design():
    small = simulate_study(99, n_clean=48)
    data = small["survey_export"].iloc[2:]
    defects = small["defects"]
    bad = set(defects.loc[defects.level == "response", "response_id"])
    assert (~data["ResponseId"].isin(bad)).sum() == 48
    assert set(defects.loc[defects.level == "response", "kind"]) == set(RESPONSE_DEFECTS)


# ---- archival file and sampling frame ----------------------------------------------------------------
def test_archival_file_matches_all_but_the_designed_unmatched_firms(study, responses):
    orbis, defects = study["orbis_firms"], study["defects"]
    assert list(orbis.columns) == ["firm_id", "bvd_id", "country", "country_iso", "nace2", "employees",
                                   "revenue_usd_th", "founding_year"]  # fmt: skip
    assert orbis["firm_id"].is_unique and orbis["bvd_id"].is_unique
    surveyed = set(responses["firm_id"])
    unmatched = set(defects.loc[defects.kind == "archival_unmatched", "firm_id"])
    extra = set(defects.loc[defects.kind == "archival_extra", "firm_id"])
    assert len(unmatched) == 4 and len(extra) == 5
    assert unmatched <= set(_clean(responses)["firm_id"])
    assert surveyed - set(orbis["firm_id"]) == unmatched
    assert set(orbis["firm_id"]) - surveyed == extra
    no_revenue = set(orbis.loc[orbis["revenue_usd_th"].isna(), "firm_id"])
    assert no_revenue == set(defects.loc[defects.kind == "archival_missing_revenue", "firm_id"])
    assert len(no_revenue) == 6
    assert orbis["nace2"].between(10, 33).all()
    assert orbis["founding_year"].between(1800, 2022).all()
    frame = study["sampling_frame"].set_index("firm_id")
    assert (orbis.set_index("firm_id")["employees"] == frame.loc[orbis["firm_id"], "employees"]).all()


def test_sampling_frame_contains_every_respondent_firm(study, responses):
    frame = study["sampling_frame"]
    assert list(frame.columns) == ["firm_id", "country", "country_iso", "nace2", "employees"]
    assert len(frame) == 700 and frame["firm_id"].is_unique
    assert set(responses["firm_id"]) <= set(frame["firm_id"])
    assert frame["country"].nunique() == 12
    # non-respondents look broadly like respondents, slightly smaller
    log_emp = np.log(frame["employees"])
    responded = frame["firm_id"].isin(responses["firm_id"])
    gap = (log_emp[responded].mean() - log_emp[~responded].mean()) / log_emp.std()
    assert 0 < gap < 0.4


def test_bundled_files_parse_as_the_study_frames(study):
    orbis = pd.read_csv(RAW / "orbis_firms.csv")
    pd.testing.assert_frame_equal(orbis, study["orbis_firms"], check_dtype=False)
    frame = pd.read_csv(RAW / "sampling_frame.csv")
    pd.testing.assert_frame_equal(frame, study["sampling_frame"], check_dtype=False)
