"""The counts that data/README.md states are those a fresh run of ingest, screen and merge gives."""

from __future__ import annotations

import re

import pandas as pd

from conftest import ROOT

README = (ROOT / "data" / "README.md").read_text()


def _stated(pattern: str) -> int:
    m = re.search(pattern, README)
    assert m, f"data/README.md no longer states: {pattern}"
    return int(m.group(1))


def test_readme_counts_match_a_fresh_run(front_half):
    raw = pd.read_csv(front_half / "survey_ingested.csv")
    flow = pd.read_csv(front_half / "screening" / "flow.csv").set_index("step")
    analysis = pd.read_csv(front_half / "analysis.csv")
    unmatched = pd.read_csv(front_half / "screening" / "unmatched_firms.csv")
    kept = int(flow.loc["multiple_soft_flags", "n_after"])
    assert _stated(r"Raw export: \*\*(\d+) responses\*\*") == len(raw)
    assert _stated(r"Excluded by screening: \*\*(\d+)\*\*") == len(raw) - kept
    assert _stated(r"Usable responses after screening: \*\*(\d+)\*\*") == kept == len(analysis)
    n_unmatched = int((unmatched.side == "survey").sum())
    assert _stated(r"after the archival merge: \*\*(\d+)\*\*") == kept - n_unmatched == int(analysis.log_employees.notna().sum())
    for step, label in [("incomplete", "incomplete"), ("duplicates", "duplicates"), ("attention", "failed attention checks"),
                        ("speed", "speeders"), ("straight_lining", "straight-liner"), ("missingness", "with more than 15 %"),
                        ("multiple_soft_flags", "with soft flags")]:
        assert re.search(rf"\b{int(flow.loc[step, 'n_excluded'])} {re.escape(label)}", README), step
