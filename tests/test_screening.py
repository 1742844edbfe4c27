"""Screening indices (hand-worked), the decision rule, the flow, invariants and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from leanlearn.cli import main
from leanlearn.spec.codebook import load_codebook
from leanlearn.errors import DataError, SpecError
from leanlearn.screening.careless import (
    FAMILIES,
    attention,
    avgstring,
    decide,
    duplicates,
    even_odd,
    flow_table,
    irv,
    kept_data,
    longstring,
    mahalanobis,
    page_time,
    psychsyn,
    range_check,
    screen,
    screening_config,
    synonym_pairs,
    upper_tail_cut,
)

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK_PATH = ROOT / "studies" / "lean" / "codebook.yaml"
CONFIG_PATH = ROOT / "studies" / "lean" / "config.yaml"


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(yaml.safe_load(CODEBOOK_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))["screening"]


# ---- synthetic ingested data (canonical columns, reverse items keyed) -----------------------
def make_data(codebook, n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    constructs = list(codebook.items_by_construct)
    k = len(constructs)
    corr = np.full((k, k), 0.4) + 0.6 * np.eye(k)
    corr[-1, :-1] = corr[:-1, -1] = 0.0  # the marker is unrelated
    factors = rng.multivariate_normal(np.zeros(k), corr, size=n)
    out = {
        "respondent_id": [f"R_{i:03d}" for i in range(n)],
        "firm_id": [f"F{i:03d}" for i in range(n)],
        "recorded": [str(pd.Timestamp("2023-05-01") + pd.Timedelta(hours=5 * i)) for i in range(n)],
        "duration_seconds": rng.uniform(600, 1200, n),
        "progress": 100.0,
        "finished": 1.0,
    }
    for t in codebook.paradata.page_timers:
        out[t.name] = len(t.items) * rng.uniform(4, 12, n)
    out["ki_knowledge"] = rng.integers(5, 8, n).astype(float)
    for c, f in zip(constructs, factors.T):
        for item in codebook.items_by_construct[c]:
            out[item] = np.clip(np.round(4 + 1.4 * (0.85 * f + 0.5 * rng.standard_normal(n))), 1, 7)
    for a in codebook.attention_checks:
        out[a.id] = float(a.expected)
    return pd.DataFrame(out)


def inject(data: pd.DataFrame, codebook, i: int, defect: str, rng: np.random.Generator) -> None:
    items = list(codebook.item_ids)
    n = len(data)
    j = (i - 1) % n  # the earlier response: with keep=first, row i is the duplicate
    if defect == "incomplete":
        data.loc[i, ["finished", "progress"]] = [0.0, 40.0]
        data.loc[i, items[12:]] = np.nan
    elif defect == "dup_firm":
        data.loc[i, "firm_id"] = data.at[j, "firm_id"]
    elif defect == "dup_identical":
        data.loc[i, items + ["ATT1", "ATT2"]] = data.loc[j, items + ["ATT1", "ATT2"]].to_numpy()
    elif defect == "dup_respondent":
        data.loc[i, "respondent_id"] = data.at[j, "respondent_id"]
    elif defect == "speeder":
        data.loc[i, "page_seconds_1"] = 0.5 * 9
    elif defect == "straight":
        data.loc[i, items] = 7.0
        for it in codebook.reverse_items:  # stored keyed, as ingest writes it
            data.loc[i, it] = 1.0
    elif defect == "attention":
        data.loc[i, "ATT1"] = 5.0
    elif defect == "random":
        data.loc[i, items] = rng.integers(1, 8, len(items)).astype(float)
    elif defect == "missing":
        data.loc[i, items[:6]] = np.nan
    elif defect == "knowledge":
        data.loc[i, "ki_knowledge"] = 2.0
    elif defect == "out_of_range":
        data.loc[i, items[3]] = 99.0
    else:  # pragma: no cover
        raise ValueError(defect)


# ---- hand-worked indices ------------------------------------------------------------------
def test_longstring_hand_worked():
    x = np.array([[1, 1, 2, 2, 2, 3], [4, 4, 4, 4, 4, 4], [1, 1, np.nan, 1, 1, 1], [np.nan] * 6], dtype=float)
    np.testing.assert_array_equal(longstring(x).to_numpy(), [3, 6, 3, np.nan])
    np.testing.assert_allclose(avgstring(x).to_numpy(), [2.0, 6.0, 2.5, np.nan])


def test_irv_equals_the_sample_sd_of_answered_items():
    x = np.array([[1, 2, 3, 4, 5, 6], [4, 4, 4, 4, 4, 4], [1, np.nan, 7, 7, np.nan, 1], [5] + [np.nan] * 5], dtype=float)
    out = irv(pd.DataFrame(x, index=list("abcd")))
    assert out["a"] == pytest.approx(np.std([1, 2, 3, 4, 5, 6], ddof=1))
    assert out["b"] == 0.0
    assert out["c"] == pytest.approx(np.std([1, 7, 7, 1], ddof=1))
    assert np.isnan(out["d"])


def test_mahalanobis_against_known_covariance():
    x = np.array([[1.0, 2.0], [1.0, np.nan], [0.0, 0.0]])
    cov = np.array([[2.0, 1.0], [1.0, 2.0]])
    out = mahalanobis(x, mean=np.zeros(2), cov=cov)
    # (1,2) S^-1 (1,2)' = (2*1 - 2*1*2 + 2*4) / 3 = 2 ; one observed item: 1^2 / 2
    np.testing.assert_allclose(out["mahalanobis_d2"], [2.0, 0.5, 0.0])
    assert out["mahalanobis_df"].tolist() == [2, 1, 2]
    assert out["mahalanobis_p_value"].iat[0] == pytest.approx(np.exp(-1.0))
    assert out["mahalanobis_p_value"].iat[1] == pytest.approx(stats.chi2.sf(0.5, 1))
    z = np.random.default_rng(0).standard_normal((5, 4))
    ident = mahalanobis(z, mean=np.zeros(4), cov=np.eye(4))
    np.testing.assert_allclose(ident["mahalanobis_d2"], (z**2).sum(axis=1))


def test_even_odd_on_a_constructed_case():
    scales = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3", "b4"], "C": ["c1", "c2", "c3", "c4"],
              "D": ["d1", "d2", "d3"]}
    rows = {
        # odd-half means (1, 3, 5), even-half means (2, 5, 3)
        "hand": [1, 2, 1, 2, 3, 5, 3, 5, 5, 3, 5, 3, 7, 7, 7],
        # halves agree perfectly: r = 1
        "consistent": [2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6, 1, 1, 1],
        # odd (1, 3, 5) vs even (5, 3, 1): r = -1, truncated to -1
        "reversed": [1, 5, 1, 5, 3, 3, 3, 3, 5, 1, 5, 1, 4, 4, 4],
        # constant halves: undefined
        "flat": [4] * 15,
    }
    cols = [i for s in scales.values() for i in s]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=cols).astype(float)
    out = even_odd(df, scales, min_items=4)
    r = 2.0 / np.sqrt(8.0 * 14.0 / 3.0)
    assert out.at["hand", "evenodd_r"] == pytest.approx(r)
    assert out.at["hand", "evenodd"] == pytest.approx(2 * r / (1 + r))
    assert out.at["consistent", "evenodd"] == pytest.approx(1.0)
    assert out.at["reversed", "evenodd"] == -1.0
    assert np.isnan(out.at["flat", "evenodd"])
    assert out["evenodd_n_scales"].tolist() == [3, 3, 3, 3]  # D (3 items) is left out


def test_even_odd_needs_three_answered_scales():
    scales = {s: [f"{s}{i}" for i in range(4)] for s in "ABC"}
    df = pd.DataFrame([[1, 2, 1, 2, 3, 5, 3, 5] + [np.nan] * 4], columns=[i for s in scales.values() for i in s])
    assert np.isnan(even_odd(df, scales)["evenodd"].iat[0])


def test_psychsyn_pairs_and_within_person_correlation():
    rng = np.random.default_rng(4)
    f = rng.standard_normal((200, 3))
    cols = {}
    for k in range(3):
        cols[f"a{k}"] = f[:, k] + 0.3 * rng.standard_normal(200)
        cols[f"b{k}"] = f[:, k] + 0.3 * rng.standard_normal(200)
    data = pd.DataFrame(cols)
    pairs = synonym_pairs(data, critval=0.6)
    assert sorted(map(tuple, pairs[["item_a", "item_b"]].to_numpy())) == [("a0", "b0"), ("a1", "b1"), ("a2", "b2")]
    people = pd.DataFrame(
        [[1, 1, 4, 4, 7, 7], [1, 7, 4, 4, 7, 1], [1, 2, 3, 3, 5, 4]],
        columns=["a0", "b0", "a1", "b1", "a2", "b2"], dtype=float,
    )
    out = psychsyn(people, pairs)
    assert out.iat[0] == pytest.approx(1.0)
    assert out.iat[1] == pytest.approx(-1.0)  # (1, 4, 7) against (7, 4, 1)
    assert out.iat[2] == pytest.approx(np.corrcoef([1, 3, 5], [2, 3, 4])[0, 1])


def test_upper_tail_cut_does_not_let_ties_inflate_the_flag_rate():
    values = [3] * 10 + [6] * 2 + [7, np.nan]
    assert upper_tail_cut(values, share=0.10) == 7.0  # P(X >= 6) = 3/13 > 0.10
    assert upper_tail_cut(values, share=0.25) == 6.0
    assert upper_tail_cut([4, 4, 4], share=0.05) == float("inf")  # nobody is in a 5 % tail


def test_page_time_is_seconds_per_item():
    data = pd.DataFrame({"p1": [18.0, 4.5, np.nan], "p2": [30.0, 60.0, 12.0]})
    out = page_time(data, [("p1", ["a"] * 9), ("p2", ["b"] * 6)])
    np.testing.assert_allclose(out["seconds_per_item_p1"], [2.0, 0.5, np.nan])
    np.testing.assert_allclose(out["min_seconds_per_item"], [2.0, 0.5, 2.0])


def test_attention_checks_with_missing_answers():
    data = pd.DataFrame({"ATT1": [3.0, 5.0, np.nan], "ATT2": [6.0, 6.0, 6.0]})
    out = attention(data, {"ATT1": 3, "ATT2": 6})
    assert out["n_attention_failed"].tolist() == [0, 1, 1]
    assert out["attention_failed_items"].tolist() == ["", "ATT1", "ATT1"]
    assert attention(data, {"ATT1": 3}, missing_is_fail=False)["n_attention_failed"].tolist() == [0, 1, 0]


@pytest.mark.parametrize("keep,kept", [("first", "r1"), ("last", "r3"), ("most_complete", "r2")])
def test_duplicate_firm_keep_rules(keep, kept):
    data = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4"],
            "firm_id": ["F1", "F1", "F1", "F2"],
            "x": [1.0, 2.0, np.nan, 1.0],
            "y": [np.nan, 3.0, 3.0, 1.0],
        }
    )
    order = pd.to_datetime(pd.Series(["2023-01-01", "2023-01-02", "2023-01-03", "2023-01-01"]))
    out = duplicates(data, items=["x", "y"], keep=keep, order=order)
    dropped = set(data.loc[out["dup_firm"], "respondent_id"])
    assert dropped == {"r1", "r2", "r3"} - {kept}
    assert set(out.loc[out["dup_firm"], "duplicate_of"]) == {kept}
    assert not out.at[3, "dup_firm"]


def test_duplicates_by_id_then_identical_answers_and_only_among_eligible():
    data = pd.DataFrame(
        {
            "respondent_id": ["a", "a", "b", "c", "d"],
            "firm_id": ["F1", "F2", "F3", "F4", "F4"],
            "x": [1.0, 2.0, 5.0, 5.0, 1.0],
            "y": [1.0, 2.0, np.nan, np.nan, 2.0],
        }
    )
    eligible = pd.Series([True, True, True, True, False])
    out = duplicates(data, items=["x", "y"], keep="first", eligible=eligible)
    assert out["dup_respondent_id"].tolist() == [False, True, False, False, False]
    assert out["dup_answers"].tolist() == [False, False, False, True, False]  # c repeats b (missing = missing)
    assert out["dup_firm"].tolist() == [False] * 5  # d is not eligible (e.g. incomplete)


# ---- the decision rule ----------------------------------------------------------------------
def _decide(hard_rows, soft_rows, **kw):
    hard = pd.DataFrame(hard_rows, columns=["incomplete", "attention_failed", "speed_below_hard"]).astype(bool)
    soft = pd.DataFrame(soft_rows, columns=list(dict.fromkeys(FAMILIES))).astype(bool)
    return decide(hard, soft, **kw)


def _soft(*names):
    return [n in names for n in dict.fromkeys(FAMILIES)]


def test_two_flags_of_one_family_do_not_exclude_but_two_families_do():
    out = _decide(
        [[0, 0, 0]] * 4,
        [_soft("longstring_p95", "irv_low"), _soft("evenodd_low", "psychsyn_low"), _soft("mahalanobis", "evenodd_low"),
         _soft()],
    )
    assert out["n_soft_families"].tolist() == [1, 1, 2, 0]
    assert out["decision"].tolist() == ["kept", "kept", "excluded", "kept"]
    assert out.at[2, "reasons"] == "mahalanobis;evenodd_low;multiple_soft_flags"
    assert out.at[2, "soft_families"] == "random;consistency"
    assert out.at[2, "exclusion_step"] == "multiple_soft_flags"
    assert out.at[0, "exclusion_step"] == "" and out.at[0, "reasons"] == "longstring_p95;irv_low"


def test_exclusion_is_attributed_to_the_first_step_but_lists_every_reason():
    out = _decide([[1, 1, 0], [0, 1, 1]], [_soft("mahalanobis", "speed_flag"), _soft()])
    assert out["exclusion_step"].tolist() == ["incomplete", "attention"]
    assert out.at[0, "reasons"] == "incomplete;attention_failed;speed_flag;mahalanobis;multiple_soft_flags"
    assert out.at[1, "hard_reasons"] == "attention_failed;speed_below_hard"


def test_required_number_of_families_is_configurable():
    soft = [_soft("mahalanobis", "evenodd_low")]
    assert _decide([[0, 0, 0]], soft, min_families=3)["decision"].iat[0] == "kept"
    assert _decide([[0, 0, 0]], [_soft("speed_flag")], min_families=1)["decision"].iat[0] == "excluded"


def test_flow_table_adds_up():
    hard = pd.DataFrame({"incomplete": [1, 1, 0, 0, 0], "attention_failed": [1, 0, 1, 0, 0]}).astype(bool)
    soft = pd.DataFrame({"mahalanobis": [0, 0, 0, 1, 1], "evenodd_low": [0, 0, 0, 1, 0]}).astype(bool)
    flow = flow_table(hard, decide(hard, soft)).set_index("step")
    assert flow.at["incomplete", "n_excluded"] == 2 and flow.at["attention", "n_excluded"] == 1
    assert flow.at["attention", "n_flagged"] == 2
    assert flow.at["multiple_soft_flags", "n_excluded"] == 1
    assert flow.at["flagged_but_kept", "n_after"] == 1 and flow.at["flagged_but_kept", "n_flagged"] == 1


# ---- the screen on synthetic data ---------------------------------------------------------
DEFECTS = {
    3: "incomplete", 5: "dup_firm", 7: "dup_identical", 9: "dup_respondent", 11: "speeder", 13: "straight",
    15: "attention", 17: "missing",
}
EXPECTED_STEP = {
    "incomplete": "incomplete", "dup_firm": "duplicates", "dup_identical": "duplicates",
    "dup_respondent": "duplicates", "speeder": "speed", "straight": "straight_lining", "attention": "attention",
    "missing": "missingness",
}


@pytest.fixture(scope="module")
def screened(codebook, config):
    data = make_data(codebook, n=80, seed=1)
    rng = np.random.default_rng(9)
    for i, d in DEFECTS.items():
        inject(data, codebook, i, d, rng)
    inject(data, codebook, 20, "knowledge", rng)
    return data, screen(data, codebook, config)


def test_each_hard_defect_is_excluded_at_its_step(screened):
    _, res = screened
    f = res.flags
    for i, defect in DEFECTS.items():
        assert f.at[i, "decision"] == "excluded", defect
        assert f.at[i, "exclusion_step"] == EXPECTED_STEP[defect], (defect, f.at[i, "reasons"])


def test_straight_liner_is_found_although_reverse_items_are_keyed(screened):
    _, res = screened
    row = res.flags.iloc[13]
    assert row["identical_answers"] and row["irv"] == 0 and row["longstring"] == 28
    assert "identical_answers" in row["hard_reasons"]


def test_duplicate_keeps_the_earlier_response(screened):
    data, res = screened
    f = res.flags
    assert f.at[5, "dup_firm"] and f.at[5, "duplicate_of"] == data.at[4, "respondent_id"]
    assert not f.at[4, "dup_firm"]
    assert f.at[9, "dup_respondent_id"] and not f.at[8, "dup_respondent_id"]
    assert f.at[7, "dup_answers"] and f.at[7, "duplicate_of"] == "R_006"


def test_low_knowledge_is_one_soft_family(screened, codebook, config):
    data, res = screened
    row = res.flags.iloc[20]
    assert row["knowledge_below_midpoint"] and "knowledge_below_midpoint" in row["soft_flags"]
    assert row["hard_reasons"] == ""
    excluded = screen(data, codebook, {**config, "knowledge_below_midpoint": "exclude"}).flags.iloc[20]
    assert excluded["exclusion_step"] == "key_informant"


def test_random_responders_are_flagged_and_excluded_only_with_a_second_family(codebook, config):
    data = make_data(codebook, n=120, seed=2)
    rng = np.random.default_rng(0)
    for i in (10, 30, 50):
        inject(data, codebook, i, "random", rng)
    res = screen(data, codebook, config)
    f = res.flags.loc[[10, 30, 50]]
    assert f["mahalanobis"].all() and f["soft_families"].str.contains("random").all()
    # Mahalanobis and high IRV are one family: alone they flag, they do not exclude
    assert f.loc[10, "soft_flags"] == "mahalanobis;irv_high" and f.loc[10, "decision"] == "kept"
    assert f.loc[50, "soft_families"] == "random;consistency" and f.loc[50, "decision"] == "excluded"
    assert {"R_010", "R_030"} <= set(res.flagged_kept["respondent_id"])
    clean = res.flags.drop(index=[10, 30, 50])
    assert (clean["decision"] == "kept").mean() > 0.9


def test_outputs_account_for_every_response(screened):
    data, res = screened
    f, flow = res.flags, res.flow.set_index("step")
    n = len(data)
    assert flow.at["responses_in", "n_after"] == n
    assert (f["decision"] == "kept").sum() + len(res.exclusions) == n
    assert flow.loc[flow.index != "responses_in", "n_excluded"].sum() == len(res.exclusions)
    assert flow.at["flagged_but_kept", "n_after"] == (f["decision"] == "kept").sum()
    assert flow.at["flagged_but_kept", "n_flagged"] == len(res.flagged_kept)
    assert (res.exclusions["reasons"] != "").all()


def test_item_missing_above_limit_is_reported_and_dropped(codebook, config):
    data = make_data(codebook, n=50, seed=3)
    data.loc[::3, "DIG3"] = np.nan  # 34 % of responses
    res = screen(data, codebook, config)
    assert res.dropped_items == ("DIG3",)
    assert "DIG3" in res.notes["note"].iat[-1]
    kept = kept_data(data, res)
    assert "DIG3" not in kept.columns and len(kept) == (res.flags["decision"] == "kept").sum()
    with pytest.raises(DataError, match="not the ones that were screened"):
        kept_data(data.iloc[1:], res)


def test_range_check_sets_codes_missing_and_counts(codebook):
    data = make_data(codebook, n=10)
    data.loc[2, "LP4"] = 99.0
    data.loc[4, "ATT2"] = 0.0
    out, counts = range_check(data, codebook)
    c = counts.set_index("item")["n_out_of_range"]
    assert c["LP4"] == 1 and c["ATT2"] == 1 and c.sum() == 2
    changed = ~((out == data) | (out.isna() & data.isna()))
    assert changed.to_numpy().sum() == 2


def test_missing_paradata_and_few_synonyms_are_noted(codebook, config):
    data = make_data(codebook, n=50).drop(columns=[t.name for t in codebook.paradata.page_timers])
    res = screen(data, codebook, {**config, "psychsyn_critval": 0.99})
    notes = dict(zip(res.notes["index"], res.notes["note"]))
    assert "no page timers" in notes["page_time"]
    assert "fewer than 5, so the index was skipped" in notes["psychsyn"]
    assert not res.flags["speed_flag"].any() and res.flags["psychsyn"].isna().all()


@pytest.mark.parametrize(
    "patch,message",
    [
        ({"longstring_percentil": 0.9}, "screening.longstring_percentil: unknown key"),
        ({"duplicates": {"keep": "best"}}, "screening.duplicates.keep: unknown rule 'best'"),
        ({"mahalanobis_alpha": 1.5}, "screening.mahalanobis_alpha: expected a share between 0 and 1"),
        ({"knowledge_below_midpoint": "drop"}, "screening.knowledge_below_midpoint: unknown mode 'drop'"),
        ({"require_finished": "yes"}, "screening.require_finished: expected true or false"),
        ({"seconds_per_item_hard": 3.0}, "screening.seconds_per_item_hard: must not exceed"),
    ],
)
def test_config_errors_name_the_key(config, patch, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        screening_config({**config, **patch})


def test_config_defaults_are_methods_section_8():
    cfg = screening_config({})
    assert (cfg.seconds_per_item_hard, cfg.seconds_per_item_flag, cfg.mahalanobis_alpha) == (1.0, 2.0, 0.001)
    assert (cfg.evenodd_flag_below, cfg.psychsyn_critval, cfg.irv_flag_tails) == (0.30, 0.60, 0.025)
    assert (cfg.max_case_missing_share, cfg.exclude_if_n_flags_at_least) == (0.15, 2)


# ---- invariants over random mixes of defects -------------------------------------------------
@pytest.fixture(scope="module")
def base(codebook):
    return make_data(codebook, n=45, seed=11)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    defects=st.lists(
        st.tuples(st.integers(0, 44), st.sampled_from(sorted(set(EXPECTED_STEP) | {"random", "knowledge", "out_of_range"}))),
        max_size=20,
    ),
    keep=st.sampled_from(["first", "last", "most_complete"]),
    seed=st.integers(0, 1000),
)
def test_invariants_under_random_defects(codebook, config, base, defects, keep, seed):
    data = base.copy()
    rng = np.random.default_rng(seed)
    for i, d in defects:
        inject(data, codebook, i, d, rng)
    res = screen(data, codebook, {**config, "duplicates": {"keep": keep}})
    f, flow = res.flags, res.flow
    n = len(data)
    kept = int((f["decision"] == "kept").sum())
    assert len(f) == n and kept + len(res.exclusions) == n
    assert (res.exclusions["reasons"].str.len() > 0).all()
    excluded = f[f["decision"] == "excluded"]
    assert ((excluded["hard_reasons"] != "") | excluded["reasons"].str.contains("multiple_soft_flags")).all()
    assert (excluded["exclusion_step"] != "").all() and (f.loc[f["decision"] == "kept", "exclusion_step"] == "").all()
    assert (flow["n_after"] == flow["n_before"] - flow["n_excluded"]).all()
    assert (flow["n_before"].iloc[1:].to_numpy() == flow["n_after"].iloc[:-1].to_numpy()).all()
    assert flow["n_after"].iat[-1] == kept
    # every firm keeps at most one complete response
    complete_kept = f[(f["decision"] == "kept")]
    assert not complete_kept["firm_id"].duplicated().any()


# ---- CLI ------------------------------------------------------------------------------------
def _screen_args(tmp: Path, config: Path) -> list[str]:
    return ["screen", str(tmp / "ingested.csv"), "--codebook", str(CODEBOOK_PATH), "--config", str(config),
            "--out", str(tmp / "screening"), "--clean", str(tmp / "processed" / "survey_clean.csv")]


def test_cli_screen_writes_every_table_and_clean_data(tmp_path, codebook):
    data = make_data(codebook, n=70, seed=5)
    rng = np.random.default_rng(1)
    for i, d in {2: "incomplete", 4: "straight", 6: "attention"}.items():
        inject(data, codebook, i, d, rng)
    data.loc[[10, 20], "LP2"] = np.nan
    data.to_csv(tmp_path / "ingested.csv", index=False)
    assert main(_screen_args(tmp_path, CONFIG_PATH)) == 0
    out = tmp_path / "screening"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["flags.csv", "exclusions.csv", "flow.csv", "flagged_kept.csv", "screening_thresholds.csv",
         "screening_notes.csv", "missingness_items.csv", "missingness_cases.csv", "little_mcar.csv",
         "missing_treatment.csv"]
    )
    flow = pd.read_csv(out / "flow.csv")
    assert list(flow.columns) == ["step", "description", "n_before", "n_excluded", "n_after", "n_flagged"]
    clean = pd.read_csv(tmp_path / "processed" / "survey_clean.csv")
    untreated = pd.read_csv(tmp_path / "processed" / "survey_kept_untreated.csv")
    assert len(clean) == len(untreated) == flow["n_after"].iat[-1]
    assert not clean[list(codebook.item_ids)].isna().any().any()
    assert untreated["LP2"].isna().sum() == 2
    treatment = pd.read_csv(out / "missing_treatment.csv")
    assert treatment["method"].eq("mean").all() and treatment.set_index("item").at["LP2", "n_imputed"] == 2
    mcar = pd.read_csv(out / "little_mcar.csv")
    assert mcar["df"].iat[0] == 27  # patterns: all 28 items, and 27 (LP2 missing): 28 + 27 - 28


def test_cli_screen_bad_config_exits_2_and_writes_nothing(tmp_path, codebook, capsys):
    make_data(codebook, n=20).to_csv(tmp_path / "ingested.csv", index=False)
    cfg = yaml.safe_load(CONFIG_PATH.read_text())
    cfg["screening"]["exclude_if_n_flags_at_least"] = 0
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert main(_screen_args(tmp_path, tmp_path / "config.yaml")) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'config.yaml'}: screening.exclude_if_n_flags_at_least: must be at least 1" in err
    assert not (tmp_path / "screening").exists() and not (tmp_path / "processed").exists()


def test_cli_screen_refuses_raw_export(tmp_path, capsys):
    pd.DataFrame({"ResponseId": ["R1"], "Q2_1": [3]}).to_csv(tmp_path / "ingested.csv", index=False)
    assert main(_screen_args(tmp_path, CONFIG_PATH)) == 2
    assert "run 'leanlearn ingest' first" in capsys.readouterr().err


# ---- the bundled synthetic study against its ground truth -------------------------------------
def test_bundled_survey_screening_matches_the_simulators_defect_log(codebook, config):
    """Every designed defect gets its designed outcome and no clean response is excluded."""
    from leanlearn.datasets import simulate

    path = ROOT / "data" / "raw" / "survey_export.csv"
    from leanlearn.data.ingest import apply_codebook, read_export
    from leanlearn.data.privacy import protect

    raw, _ = protect(read_export(path), codebook, salt="test-salt-0f1e2d3c4b5a6978")
    flags = screen(apply_codebook(raw, codebook, source=str(path)).data, codebook, config).flags
    truth = simulate.simulate_study(simulate.DEFAULT_SEED)["defects"]
    truth = truth[truth["level"] == "response"]
    decision = flags.set_index("respondent_id")["decision"]
    soft = flags.set_index("respondent_id")["soft_flags"]
    for _, row in truth.iterrows():
        got = decision[row["response_id"]]
        if row["expected"].startswith("exclude"):
            assert got == "excluded", (row["kind"], row["response_id"])
        elif row["expected"] == "keep_flagged":
            assert got == "kept" and soft[row["response_id"]] != "", (row["kind"], row["response_id"])
    clean = decision.drop(index=truth["response_id"].unique())
    assert (clean == "kept").all(), clean[clean != "kept"]
