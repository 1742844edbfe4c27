"""The defects planted in the synthetic survey export: their vocabulary, the design's counts and the defect log.

Part of :mod:`leanlearn.datasets.simulate` (via :mod:`leanlearn.datasets.export`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from leanlearn.datasets.export import _Response

# ---- defect vocabulary ------------------------------------------------------------------------
RESPONSE_DEFECTS: tuple[str, ...] = (
    "partial",
    "duplicate_second_respondent",
    "duplicate_resubmission",
    "speeder_hard",
    "speeder_soft",
    "straightliner",
    "attention_fail",
    "random_responder",
    "low_knowledge",
    "excess_missing",
)
"""Defects that concern a whole response (one row of the export)."""
CELL_DEFECTS: tuple[str, ...] = ("missing_cell", "out_of_range_code")
"""Defects of single answer cells in otherwise clean responses."""
FIRM_DEFECTS: tuple[str, ...] = ("archival_unmatched", "archival_missing_revenue", "archival_extra")
"""Defects of the archival file (firm level)."""

# Number of responses of each defective type in the design with 209 clean responses. Types
# combine defect kinds: "straightliner_attention" straight-lines the attention checks too,
# "low_knowledge_speeder" has one page at 1-2 s per item, every random responder has one.
_DEFECT_DESIGN: dict[str, int] = {
    "partial": 11,
    "duplicate_second_respondent": 3,
    "duplicate_resubmission": 2,
    "speeder_hard": 6,
    "speeder_soft": 3,
    "straightliner": 3,
    "straightliner_attention": 2,
    "attention_fail": 9,
    "random_responder": 4,
    "low_knowledge": 2,
    "low_knowledge_speeder": 2,
    "excess_missing": 4,
}
_CELL_DESIGN = {"missing_share": 0.01, "out_of_range": 6}
_ARCHIVAL_DESIGN = {"unmatched": 4, "extra": 5, "missing_revenue": 6}
_OUT_OF_RANGE_CODES = (0, 8, 99)


# what the default screening (studies/lean/config.yaml) should do with each designed response type
_EXPECTED = {
    "partial": "exclude_hard",
    "duplicate_second_respondent": "exclude_duplicate",
    "duplicate_resubmission": "exclude_duplicate",
    "speeder_hard": "exclude_hard",
    "speeder_soft": "keep_flagged",
    "straightliner": "exclude_hard",
    "straightliner_attention": "exclude_hard",
    "attention_fail": "exclude_hard",
    "random_responder": "exclude_flags",
    "low_knowledge": "keep_flagged",
    "low_knowledge_speeder": "exclude_flags",
    "excess_missing": "exclude_hard",
    "clean": "keep",
}


def _defect_log(
    responses: list[_Response], frame: pd.DataFrame, archival: list[tuple[str, str, str, str]]
) -> pd.DataFrame:
    """One row per planted defect (response, cell or firm level) with what the default screening should do with it."""
    rows = []
    by_firm = {}
    for r in sorted(responses, key=lambda x: (x.recorded, x.response_id)):
        firm_id = frame.at[r.firm, "firm_id"]
        if r.kind == "clean":
            by_firm[firm_id] = r.response_id
        for kind, detail in r.defects:
            level = "cell" if kind in CELL_DEFECTS else "response"
            expected = "set_missing" if kind == "out_of_range_code" else (
                "missing" if kind == "missing_cell" else _EXPECTED[r.kind])
            rows.append((r.response_id, firm_id, level, kind, detail, expected))
    for firm_id, kind, detail, expected in archival:
        rows.append((by_firm.get(firm_id, ""), firm_id, "firm", kind, detail, expected))
    return pd.DataFrame(rows, columns=["response_id", "firm_id", "level", "kind", "detail", "expected"], dtype=object)
