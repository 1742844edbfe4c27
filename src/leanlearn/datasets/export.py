"""The raw files of the synthetic study: a Qualtrics-style survey export with planted defects,
the archival firm file and the sampling frame (:func:`simulate_study`).

Part of :mod:`leanlearn.datasets.simulate`, which re-exports every public name.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from leanlearn.datasets.population import (
    CONSTRUCT_ITEMS, _continuous_items, DEFAULT_SEED, DESIGN_N_CLEAN, _discretise, _draw_firms, ITEMS, PopulationModel, REVERSE_ITEMS, SUBSTANTIVE_CONSTRUCTS,
)  # fmt: skip
from leanlearn.datasets.export_layout import _ANSWER_COLUMNS, _ATTENTION, _N_PAGES, _PAGES, ITEM_COLUMN, _export_header
from leanlearn.datasets.respondents import _KNOW_CLEAN_P, _ROLE_P, _comment, _firm_domains, _fmt_time, _person, _response_ids
from leanlearn.datasets.defects import (
    _ARCHIVAL_DESIGN,
    _CELL_DESIGN,
    _DEFECT_DESIGN,
    _OUT_OF_RANGE_CODES,
    _defect_log,
)
from leanlearn.random import stream

# ---- fieldwork ----------------------------------------------------------------------------------
_FIELD_START = datetime(2023, 3, 6)
_REMINDER_DAY = 35  # week 5: 2023-04-10
_FIELD_DAYS = 70  # ten weeks, to 2023-05-14
_WAVE1_SHARE = 0.6
_SURVEY_YEAR = 2023
_RESPONSE_PROPENSITY_SIZE = 0.20  # log-odds-like tilt of response towards larger firms (per SD of log employees)

# country, ISO code, clean responses (design of 209), firms in the sampling frame (700)
_COUNTRIES: tuple[tuple[str, str, int, int], ...] = (
    ("India", "IN", 24, 80),
    ("China", "CN", 22, 74),
    ("Brazil", "BR", 19, 64),
    ("Mexico", "MX", 18, 60),
    ("Indonesia", "ID", 17, 57),
    ("Thailand", "TH", 17, 57),
    ("Malaysia", "MY", 16, 54),
    ("Vietnam", "VN", 15, 50),
    ("Turkey", "TR", 18, 60),
    ("Poland", "PL", 16, 54),
    ("South Africa", "ZA", 14, 47),
    ("Philippines", "PH", 13, 43),
)
# 2-digit NACE Rev. 2 manufacturing divisions and their shares in the frame
_NACE_SHARES = {
    10: 0.10, 11: 0.02, 13: 0.05, 14: 0.04, 15: 0.02, 16: 0.02, 17: 0.03, 18: 0.01, 20: 0.07,
    21: 0.05, 22: 0.07, 23: 0.04, 24: 0.05, 25: 0.09, 26: 0.07, 27: 0.06, 28: 0.09, 29: 0.07,
    30: 0.02, 31: 0.02, 32: 0.01,
}  # fmt: skip


# =================================================================================================
# The raw study files
# =================================================================================================
def _scale_count(base: float, factor: float) -> int:
    return max(1, int(round(base * factor)))


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - out.sum()]] += 1
    return out


def _design(n_clean: int) -> dict:
    """Counts of the study design, scaled from the 209-firm design to ``n_clean``."""
    if int(n_clean) != n_clean or n_clean < 24:
        raise ValueError(f"n_clean must be an integer of at least 24 (two firms per country), got {n_clean!r}")
    n_clean = int(n_clean)
    f = n_clean / DESIGN_N_CLEAN
    base_clean = np.array([c[2] for c in _COUNTRIES], dtype=float)
    clean = base_clean.astype(int) if n_clean == DESIGN_N_CLEAN else _largest_remainder(base_clean, n_clean)
    frame = np.array([max(int(round(c[3] * f)), 3 * k) for c, k in zip(_COUNTRIES, clean)])
    defects = {k: _scale_count(v, f) for k, v in _DEFECT_DESIGN.items()}
    n_missing_cells = int(round(_CELL_DESIGN["missing_share"] * n_clean * len(ITEMS)))
    return {
        "n_clean": n_clean,
        "clean": clean,
        "frame": frame,
        "defects": defects,
        "missing_cells": n_missing_cells,
        "out_of_range": _scale_count(_CELL_DESIGN["out_of_range"], f),
        "unmatched": _scale_count(_ARCHIVAL_DESIGN["unmatched"], f),
        "extra": _scale_count(_ARCHIVAL_DESIGN["extra"], f),
        "missing_revenue": _scale_count(_ARCHIVAL_DESIGN["missing_revenue"], f),
    }


def _build_frame(design: dict, pop: PopulationModel, rng: np.random.Generator) -> pd.DataFrame:
    """All invited firms with their recorded data and (hidden) latent scores."""
    countries = np.repeat(np.arange(len(_COUNTRIES)), design["frame"])
    n = len(countries)
    nace_codes = np.array(list(_NACE_SHARES))
    nace_p = np.array(list(_NACE_SHARES.values()))
    nace = rng.choice(nace_codes, size=n, p=nace_p / nace_p.sum())
    firms = _draw_firms(n, pop, rng)
    r = pop.revenue_op_correlation
    z_rev = r * firms["OP"] + math.sqrt(1 - r * r) * rng.standard_normal(n)
    rev_per_emp = np.exp(pop.log_revenue_per_employee_mean + pop.log_revenue_per_employee_sd * z_rev)
    revenue = np.round(firms["employees"] * rev_per_emp, 1)
    bvd_numbers = rng.choice(900_000_000, size=n, replace=False) + 100_000_000
    order = rng.permutation(n)  # firm ids in random order, not by country
    frame = pd.DataFrame(
        {
            "country": [_COUNTRIES[c][0] for c in countries],
            "country_iso": [_COUNTRIES[c][1] for c in countries],
            "nace2": nace.astype(np.int64),
            "employees": firms["employees"],
            "founding_year": _SURVEY_YEAR - firms["age_years"],
            "revenue_usd_th": revenue,
            "bvd_id": [f"{_COUNTRIES[c][1]}{num}" for c, num in zip(countries, bvd_numbers)],
            "_country_index": countries,
        }
    )
    for name in ("SIZE", "AGE", "LP", "DIG", "LS", "OP"):
        frame[f"_{name}"] = firms[name]
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "firm_id", [f"F{i + 1:04d}" for i in range(n)])
    return frame


def _select_respondents(frame: pd.DataFrame, design: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Frame rows of the clean respondents (per country) and of the defective ones.

    Response propensity rises slightly with size: weight exp(0.20 * SIZE).
    """
    weight = np.exp(_RESPONSE_PROPENSITY_SIZE * frame["_SIZE"].to_numpy())
    taken = np.zeros(len(frame), dtype=bool)
    clean = []
    for c, k in enumerate(design["clean"]):
        idx = np.flatnonzero(frame["_country_index"].to_numpy() == c)
        p = weight[idx] / weight[idx].sum()
        pick = rng.choice(idx, size=int(k), replace=False, p=p)
        clean.extend(pick.tolist())
        taken[pick] = True
    n_bad = sum(v for k, v in design["defects"].items() if not k.startswith("duplicate"))
    rest = np.flatnonzero(~taken)
    bad = rng.choice(rest, size=n_bad, replace=False, p=weight[rest] / weight[rest].sum())
    return np.array(clean), bad


def _page_seconds_per_item(rng: np.random.Generator, speed: float, floor: float = 2.4) -> np.ndarray:
    """Seconds per item on the five item pages for an attentive respondent (median about 5 s)."""
    return np.maximum(floor, 5.0 * speed * np.exp(rng.normal(0.0, 0.2, size=len(_PAGES))))


def _recorded_time(rng: np.random.Generator) -> datetime:
    """Submission time: wave 1 decays from the invitation, wave 2 from the reminder (week 5)."""
    if rng.random() < _WAVE1_SHARE:
        day = min(rng.exponential(6.0), _REMINDER_DAY - 1)
    else:
        day = _REMINDER_DAY + min(rng.exponential(5.0), _FIELD_DAYS - _REMINDER_DAY - 1)
    seconds = int(math.floor(day)) * 86400 + int(rng.integers(2 * 3600, 17 * 3600))
    return _FIELD_START + timedelta(seconds=seconds)


def _wave(t: datetime) -> int:
    return 1 if t < _FIELD_START + timedelta(days=_REMINDER_DAY) else 2


class _Response:
    """A mutable record of one survey response while the export is being assembled."""

    def __init__(self, firm: int, kind: str) -> None:
        self.firm = firm
        self.kind = kind  # "clean" or a key of _DEFECT_DESIGN
        self.answers: dict[str, float] = {}  # export column -> answer as given (NaN = missing)
        self.q1: dict[str, str] = {}
        self.sec_per_item = np.zeros(len(_PAGES))
        self.pages_done = _N_PAGES
        self.other_seconds = 0.0
        self.person: dict[str, str] = {}
        self.comment = ""
        self.recorded: datetime = _FIELD_START
        self.response_id = ""
        self.defects: list[tuple[str, str]] = []  # (kind, detail)

    def duration(self) -> int:
        done = min(max(self.pages_done - 1, 0), len(_PAGES))
        timers = sum(float(self.timer(i)) for i in range(done))
        return int(round(self.other_seconds + timers))

    def timer(self, page: int) -> str:
        n_items = len(_PAGES[page][1])
        return f"{self.sec_per_item[page] * n_items:.3f}"


def _model_answers(keyed: np.ndarray) -> dict[str, float]:
    """Export answers from keyed 1..7 items: reverse-keyed items stored as 8 - x; checks passed."""
    out: dict[str, float] = {}
    for j, item in enumerate(ITEMS):
        value = float(keyed[j])
        out[ITEM_COLUMN[item]] = 8.0 - value if item in REVERSE_ITEMS else value
    for col, expected in _ATTENTION.values():
        out[col] = float(expected)
    return out


def _draw_keyed_items(firm_rows: pd.DataFrame, pop: PopulationModel, rng: np.random.Generator) -> np.ndarray:
    """7-point keyed items for respondents of the given firms (new marker and method scores)."""
    n = len(firm_rows)
    mark = rng.standard_normal(n)
    method = rng.standard_normal(n)
    eta = {c: firm_rows[f"_{c}"].to_numpy() for c in SUBSTANTIVE_CONSTRUCTS} | {"MARK": mark}
    y = _continuous_items(eta, method, pop.loading_map, pop.method_loading, rng)
    return _discretise(y, pop.thresholds)


def _choice(rng: np.random.Generator, values: dict[int, float]) -> int:
    keys = list(values)
    p = np.array(list(values.values()))
    return int(keys[rng.choice(len(keys), p=p / p.sum())])


def _slow_page(r: _Response, rng: np.random.Generator, *, hard: bool) -> None:
    """Speeding: 1-3 pages below 1 s per item (hard) or one substantive page at 1-2 s per item (soft)."""
    if hard:
        pages = np.sort(rng.choice(len(_PAGES), size=int(rng.integers(1, 4)), replace=False))
        r.sec_per_item[pages] = rng.uniform(0.35, 0.9, size=len(pages))
    else:
        pages = rng.choice(4, size=1)  # one of the four substantive pages
        r.sec_per_item[pages] = rng.uniform(1.15, 1.85, size=1)
    detail = "; ".join(f"{_PAGES[p][0]} {r.sec_per_item[p]:.2f} s/item" for p in pages)
    r.defects.append(("speeder_hard" if hard else "speeder_soft", detail))


def _apply_defect(r: _Response, kind: str, rng: np.random.Generator) -> None:
    """Turn an attentive response into one of the designed defective types."""
    item_cols = [ITEM_COLUMN[i] for i in ITEMS]
    if kind == "partial":
        done = int(rng.integers(1, 6))  # pages submitted: 1 = only the key-informant page
        r.pages_done = done
        for page in range(done - 1, len(_PAGES)):
            for col in _PAGES[page][1]:
                r.answers[col] = math.nan
        r.comment = ""
        r.other_seconds = r.other_seconds * 0.6 + float(rng.uniform(5, 240))
        r.defects.append(("partial", f"stopped after page {done} of {_N_PAGES}"))
    elif kind == "random_responder":
        for col in item_cols:
            r.answers[col] = float(rng.integers(1, 8))
        r.defects.append(("random_responder", "uniform 1..7 on all 28 items; attention checks passed"))
        _slow_page(r, rng, hard=False)
    elif kind == "speeder_hard":
        _slow_page(r, rng, hard=True)
    elif kind == "speeder_soft":
        _slow_page(r, rng, hard=False)
    elif kind == "low_knowledge_speeder":
        _apply_defect(r, "low_knowledge", rng)
        _slow_page(r, rng, hard=False)
    elif kind in ("straightliner", "straightliner_attention"):
        value = float(rng.choice([4, 5, 5, 6, 6, 7]))
        for col in item_cols:
            r.answers[col] = value
        r.sec_per_item = np.maximum(2.2, r.sec_per_item * 0.6)
        r.defects.append(("straightliner", f"answer {int(value)} on every item (as given, before reverse-scoring)"))
        if kind == "straightliner_attention":
            failed = []
            for att, (col, expected) in _ATTENTION.items():
                r.answers[col] = value
                if value != expected:
                    failed.append(f"{att}={int(value)} (expected {expected})")
            r.defects.append(("attention_fail", "; ".join(failed)))
    elif kind == "attention_fail":
        which = rng.choice(["ATT1", "ATT2", "both"], p=[0.45, 0.35, 0.20])
        failed = []
        for att, (col, expected) in _ATTENTION.items():
            if which in (att, "both"):
                wrong = {1: 0.05, 2: 0.05, 3: 0.05, 4: 0.2, 5: 0.3, 6: 0.25, 7: 0.1}
                wrong.pop(expected)
                value = _choice(rng, wrong)
                r.answers[col] = float(value)
                failed.append(f"{att}={value} (expected {expected})")
        r.defects.append(("attention_fail", "; ".join(failed)))
    elif kind == "low_knowledge":
        know = _choice(rng, {1: 0.1, 2: 0.35, 3: 0.55})
        r.q1["Q1_know"] = str(know)
        if rng.random() < 0.5:
            r.q1["Q1_role"] = "4"
        r.defects.append(("low_knowledge", f"Q1_know={know} (midpoint 4)"))
    elif kind == "excess_missing":
        if rng.random() < 0.5:
            construct = str(rng.choice(["DIG", "LS"]))
            cols = [ITEM_COLUMN[i] for i in CONSTRUCT_ITEMS[construct]]
            detail = f"skipped the whole {construct} block"
        else:
            k = int(rng.integers(7, 10))
            cols = list(rng.choice(item_cols, size=k, replace=False))
            detail = "skipped " + ", ".join(sorted(cols, key=item_cols.index))
        for col in cols:
            r.answers[col] = math.nan
        r.defects.append(("excess_missing", f"{detail} ({len(cols)} of {len(ITEMS)} items)"))
    else:  # pragma: no cover - guarded by the design table
        raise ValueError(f"unknown defect type {kind!r}")


def simulate_study(
    seed: int = DEFAULT_SEED,
    population: PopulationModel | None = None,
    *,
    n_clean: int = DESIGN_N_CLEAN,
) -> dict[str, pd.DataFrame]:
    """Draw the raw files of the synthetic study.

    Parameters
    ----------
    seed : int
        The ``simulation`` stream of this seed (:func:`leanlearn.random.stream`: the root
        ``SeedSequence(seed)``); eight children are spawned from it for the frame,
        respondent selection, answers, paradata and personal data, defects, cell defects
        and archival gaps. The same seed gives the same frames; no other purpose
        (bootstrap, permutation, folds, ...) draws from these streams.
    population : PopulationModel, optional
        Defaults to ``PopulationModel()``.
    n_clean : int
        Number of clean, unique firm responses (209 in the design). Defect counts, the
        frame and the archival gaps scale with it (each at least 1).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``survey_export``
            The Qualtrics-style export as text: columns :data:`EXPORT_COLUMNS`; the first
            two rows are the question texts and the import ids (as in the file), then one
            row per response in order of ``RecordedDate``; empty string = no answer.
        ``orbis_firms``
            firm_id, bvd_id, country, country_iso, nace2, employees, revenue_usd_th,
            founding_year (one row per firm; respondents minus the unmatched ones plus a
            few extra firms; some revenue missing).
        ``sampling_frame``
            firm_id, country, country_iso, nace2, employees of every invited firm.
        ``defects``
            The ground truth of every planted defect: response_id, firm_id, level
            ("response", "cell" or "firm"), kind, detail, expected (what the default
            screening and merge should do with the response or firm).
    """
    pop = population if population is not None else PopulationModel()
    design = _design(n_clean)
    streams = [np.random.default_rng(s) for s in stream(seed, "simulation").spawn(8)]
    rng_frame, rng_select, rng_items, rng_para, rng_person, rng_defect, rng_cells, rng_arch = streams

    frame = _build_frame(design, pop, rng_frame)
    clean_rows, bad_rows = _select_respondents(frame, design, rng_select)
    responses = _attentive_responses(frame, design, clean_rows, bad_rows, pop, rng_items)
    domains = _fill_respondents(responses, frame, rng_para, rng_person)
    for r in responses:
        if r.kind != "clean":
            _apply_defect(r, r.kind, rng_defect)
    clean = [r for r in responses if r.kind == "clean"]
    _plant_cell_defects(clean, design, rng_cells)
    responses.extend(_duplicate_responses(clean, frame, design, domains, pop, rng_defect, rng_items, rng_para, rng_person))

    ids = _response_ids(len(responses), rng_person)
    for r, rid in zip(responses, ids):
        r.response_id = rid

    export = _export_frame(responses, frame)
    sampling_frame = frame[["firm_id", "country", "country_iso", "nace2", "employees"]].copy()
    orbis, archival_defects = _archival(frame, clean, responses, design, rng_arch)
    defects = _defect_log(responses, frame, archival_defects)
    return {
        "survey_export": export,
        "orbis_firms": orbis,
        "sampling_frame": sampling_frame,
        "defects": defects,
    }


def _attentive_responses(
    frame: pd.DataFrame,
    design: dict,
    clean_rows: np.ndarray,
    bad_rows: np.ndarray,
    pop: PopulationModel,
    rng_items: np.random.Generator,
) -> list[_Response]:
    """One response per responding firm with the answers of an attentive respondent.

    In a fixed order: the clean responses first, then the defective types of the design (whose
    defects are applied later).
    """
    kinds = ["clean"] * len(clean_rows)
    for kind, count in design["defects"].items():
        if not kind.startswith("duplicate"):
            kinds.extend([kind] * count)
    firm_rows = np.concatenate([clean_rows, bad_rows])
    responses = [_Response(int(f), k) for f, k in zip(firm_rows, kinds)]
    keyed = _draw_keyed_items(frame.iloc[firm_rows], pop, rng_items)
    for r, row in zip(responses, keyed):
        r.answers = _model_answers(row)
    return responses


def _fill_respondents(
    responses: list[_Response], frame: pd.DataFrame, rng_para: np.random.Generator, rng_person: np.random.Generator
) -> dict[int, str]:
    """Key-informant answers, page times, dates, people and comments; the e-mail domain of each firm."""
    responding = list(dict.fromkeys(r.firm for r in responses))
    domains = dict(zip(responding, _firm_domains(len(responding), rng_person)))
    for r in responses:
        _fill_paradata(r, rng_para)
        iso = str(frame.at[r.firm, "country_iso"])
        r.person = _person(iso, domains[r.firm], rng_person)
        r.comment = _comment(iso, rng_person)
    return domains


def _plant_cell_defects(clean: list[_Response], design: dict, rng_cells: np.random.Generator) -> None:
    """Scattered missing answers and out-of-range codes in the clean responses."""
    item_cols = [ITEM_COLUMN[i] for i in ITEMS]
    n_cells = len(clean) * len(item_cols)
    picks = rng_cells.choice(n_cells, size=design["missing_cells"] + design["out_of_range"], replace=False)
    for k, cell in enumerate(picks):
        r, col = clean[cell // len(item_cols)], item_cols[cell % len(item_cols)]
        item = dict(_ANSWER_COLUMNS)[col]
        if k < design["missing_cells"]:
            r.answers[col] = math.nan
            r.defects.append(("missing_cell", f"{item} ({col})"))
        else:
            code = _OUT_OF_RANGE_CODES[(k - design["missing_cells"]) % len(_OUT_OF_RANGE_CODES)]
            r.answers[col] = float(code)
            r.defects.append(("out_of_range_code", f"{item} ({col}) = {code}"))


def _duplicate_responses(
    clean: list[_Response],
    frame: pd.DataFrame,
    design: dict,
    domains: dict[int, str],
    pop: PopulationModel,
    rng_defect: np.random.Generator,
    rng_items: np.random.Generator,
    rng_para: np.random.Generator,
    rng_person: np.random.Generator,
) -> list[_Response]:
    """Duplicates of clean responses: a second respondent of the firm, identical resubmissions."""
    originals = rng_defect.choice(
        len(clean),
        size=design["defects"]["duplicate_second_respondent"] + design["defects"]["duplicate_resubmission"],
        replace=False,
    )
    n_second = design["defects"]["duplicate_second_respondent"]
    second_firms = [clean[i].firm for i in originals[:n_second]]
    second_keyed = _draw_keyed_items(frame.iloc[second_firms], pop, rng_items)
    duplicates = []
    for j, i in enumerate(originals):
        orig = clean[i]
        if j < n_second:
            d = _Response(orig.firm, "duplicate_second_respondent")
            d.answers = _model_answers(second_keyed[j])
            _fill_paradata(d, rng_para)
            d.recorded = min(
                orig.recorded + timedelta(seconds=int(rng_para.integers(86400, 15 * 86400))),
                _FIELD_START + timedelta(days=_FIELD_DAYS) - timedelta(hours=1),
            )
            iso = str(frame.at[orig.firm, "country_iso"])
            d.person = _person(iso, domains[orig.firm], rng_person)
            while d.person["RecipientEmail"] == orig.person["RecipientEmail"]:
                d.person = _person(iso, domains[orig.firm], rng_person)
            d.comment = _comment(iso, rng_person)
            d.defects.append(("duplicate_second_respondent", f"second respondent of {str(frame.at[orig.firm, 'firm_id'])}"))
        else:
            d = _Response(orig.firm, "duplicate_resubmission")
            d.answers = dict(orig.answers)
            d.q1 = dict(orig.q1)
            d.sec_per_item = orig.sec_per_item.copy()
            d.other_seconds = orig.other_seconds
            d.person = dict(orig.person)
            d.comment = orig.comment
            d.recorded = orig.recorded + timedelta(seconds=int(rng_para.integers(120, 2400)) + orig.duration())
            d.defects.append(("duplicate_resubmission", "identical answers, new ResponseId"))
        duplicates.append(d)
    return duplicates


def _fill_paradata(r: _Response, rng: np.random.Generator) -> None:
    """Key-informant answers, page times and the submission time of an attentive respondent."""
    role = int(rng.choice(4, p=_ROLE_P)) + 1
    tenure = int(np.clip(np.rint(np.exp(rng.normal(math.log(9.0), 0.55))), 1, 40))
    r.q1 = {"Q1_role": str(role), "Q1_tenure": str(tenure), "Q1_know": str(_choice(rng, _KNOW_CLEAN_P))}
    speed = float(np.exp(rng.normal(0.0, 0.25)))
    r.sec_per_item = _page_seconds_per_item(rng, speed)
    # intro page, key-informant page and comments page (no timers in the export)
    r.other_seconds = float(rng.uniform(10, 40) + np.exp(rng.normal(math.log(22), 0.3)) + rng.uniform(5, 90))
    r.recorded = _recorded_time(rng)


def _export_frame(responses: list[_Response], frame: pd.DataFrame) -> pd.DataFrame:
    """The export as text: the two header rows, then one row per response in order of submission."""
    names, texts, ids = _export_header()
    rows: list[list[str]] = []
    for r in sorted(responses, key=lambda x: (x.recorded, x.response_id)):
        duration = r.duration()
        row = {
            "StartDate": _fmt_time(r.recorded - timedelta(seconds=duration)),
            "EndDate": _fmt_time(r.recorded),
            "Status": "0",
            "Progress": str(int(round(100 * r.pages_done / _N_PAGES))),
            "Duration (in seconds)": str(duration),
            "Finished": "1" if r.pages_done == _N_PAGES else "0",
            "RecordedDate": _fmt_time(r.recorded),
            "ResponseId": r.response_id,
            "ExternalReference": "",
            "DistributionChannel": "email",
            "UserLanguage": "EN",
            "Q7_comments": r.comment,
            "firm_id": str(frame.at[r.firm, "firm_id"]),
            "wave": str(_wave(r.recorded)),
        }
        row.update(r.person)
        row.update(r.q1)
        for col, value in r.answers.items():
            row[col] = "" if math.isnan(value) else str(int(value))
        for p, (timer, _) in enumerate(_PAGES):
            row[timer] = r.timer(p) if p < r.pages_done - 1 else ""
        rows.append([row.get(c, "") for c in names])
    return pd.DataFrame([texts, ids] + rows, columns=names, dtype=object)


def _archival(
    frame: pd.DataFrame,
    clean: list[_Response],
    responses: list[_Response],
    design: dict,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, list[tuple[str, str, str, str]]]:
    """Orbis-like extract: responding firms minus a few not found, plus a few extra firms."""
    responding = sorted({r.firm for r in responses})
    clean_firms = [r.firm for r in clean]
    unmatched = sorted(rng.choice(clean_firms, size=design["unmatched"], replace=False).tolist())
    others = np.setdiff1d(np.arange(len(frame)), responding)
    extra = sorted(rng.choice(others, size=design["extra"], replace=False).tolist())
    rows = sorted(set(responding) - set(unmatched) | set(extra))
    matched_clean = sorted(set(clean_firms) - set(unmatched))
    no_revenue = sorted(rng.choice(matched_clean, size=design["missing_revenue"], replace=False).tolist())
    orbis = frame.loc[rows, ["firm_id", "bvd_id", "country", "country_iso", "nace2", "employees",
                             "revenue_usd_th", "founding_year"]].copy()  # fmt: skip
    orbis.loc[no_revenue, "revenue_usd_th"] = np.nan
    orbis = orbis.sort_values("bvd_id").reset_index(drop=True)
    log = [(str(frame.at[f, "firm_id"]), "archival_unmatched", "firm not found in the Orbis extract", "no_archival_data")
           for f in unmatched]  # fmt: skip
    log += [(str(frame.at[f, "firm_id"]), "archival_missing_revenue", "revenue_usd_th missing", "left_missing")
            for f in no_revenue]  # fmt: skip
    log += [(str(frame.at[f, "firm_id"]), "archival_extra", "in the Orbis extract but did not respond", "not_merged")
            for f in extra]  # fmt: skip
    return orbis, log
