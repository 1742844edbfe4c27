"""Screening settings: the ``screening:`` config section, soft-flag families and flow steps."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping

from leanlearn.errors import SpecError

KEEP_RULES = ("first", "last", "most_complete")
KNOWLEDGE_MODES = ("flag", "exclude", "ignore")

#: soft flag -> family
FAMILIES = {
    "speed_flag": "speed",
    "longstring_p95": "invariance",
    "irv_low": "invariance",
    "mahalanobis": "random",
    "irv_high": "random",
    "evenodd_low": "consistency",
    "psychsyn_low": "consistency",
    "knowledge_below_midpoint": "informant",
    "attention_failed": "attention",
}

#: (step, description) in the order exclusions are attributed
FLOW_STEPS = (
    ("incomplete", "not finished or progress below the minimum"),
    ("duplicates", "duplicate respondent id, identical answers or second response of a firm"),
    ("attention", "failed attention check(s)"),
    ("speed", "below the hard seconds-per-item floor on a page"),
    ("straight_lining", "identical answer on every substantive item"),
    ("missingness", "case missing share above the maximum"),
    ("key_informant", "key-informant knowledge below the scale midpoint"),
    ("multiple_soft_flags", "soft flags from at least the required number of families"),
)


# ---- configuration ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScreeningConfig:
    """Screening thresholds; defaults are those of docs/methods.md section 8.

    ``attention_missing_is_fail``: an unanswered attention check counts as failed (the
    instructed option was not selected). ``evenodd_min_items``: scales with fewer items
    are left out of the even-odd index. ``psychsyn_min_pairs``: with fewer synonym pairs
    the index is skipped (with a note). ``psychsyn_flag_below``: within-person synonym
    correlation below this is a flag (0: the answers to synonyms do not agree at all).
    """

    require_finished: bool = True
    min_progress: float = 100.0
    keep: str = "first"
    seconds_per_item_hard: float = 1.0
    seconds_per_item_flag: float = 2.0
    longstring_block_all_identical: bool = True
    longstring_percentile: float = 0.95
    irv_flag_tails: float = 0.025
    mahalanobis_alpha: float = 0.001
    evenodd_flag_below: float = 0.30
    evenodd_min_items: int = 4
    psychsyn_critval: float = 0.60
    psychsyn_min_pairs: int = 5
    psychsyn_flag_below: float = 0.0
    attention_fail_hard: bool = True
    attention_fail_min: int = 1
    attention_missing_is_fail: bool = True
    max_case_missing_share: float = 0.15
    max_item_missing_share: float = 0.20
    knowledge_below_midpoint: str = "flag"
    exclude_if_n_flags_at_least: int = 2


_PROB_KEYS = {
    "longstring_percentile", "irv_flag_tails", "mahalanobis_alpha", "psychsyn_critval",
    "max_case_missing_share", "max_item_missing_share",
}


def screening_config(mapping: Mapping | None) -> ScreeningConfig:
    """Validate the ``screening:`` section of the config; missing keys take the defaults.

    Raises
    ------
    SpecError
        ``screening.<key>: ...`` for an unknown key (a typo), a value of the wrong type or
        outside its range, an unknown keep rule or knowledge mode.
    """
    mapping = dict(mapping or {})
    dup = mapping.pop("duplicates", None)
    if dup is not None:
        if not isinstance(dup, Mapping) or set(dup) - {"keep"}:
            raise SpecError("screening.duplicates: expected a mapping with the key 'keep'")
        if "keep" in dup:
            mapping["keep"] = dup["keep"]
    known = {f.name: f for f in fields(ScreeningConfig)}
    values = {}
    for key, value in mapping.items():
        path = f"screening.{'duplicates.keep' if key == 'keep' else key}"
        if key not in known:
            raise SpecError(f"screening.{key}: unknown key; known keys: {', '.join(sorted(set(known) - {'keep'}) + ['duplicates'])}")
        default = known[key].default
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise SpecError(f"{path}: expected true or false, got {value!r}")
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(f"{path}: expected a number, got {value!r}")
            if isinstance(default, int) and not float(value).is_integer():
                raise SpecError(f"{path}: expected a whole number, got {value!r}")
            value = type(default)(value)
            if key in _PROB_KEYS and not 0 < value < 1:
                raise SpecError(f"{path}: expected a share between 0 and 1 (exclusive), got {value!r}")
            if key == "exclude_if_n_flags_at_least" and value < 1:
                raise SpecError(f"{path}: must be at least 1")
        values[key] = value
    cfg = ScreeningConfig(**values)
    if cfg.keep not in KEEP_RULES:
        raise SpecError(f"screening.duplicates.keep: unknown rule {cfg.keep!r}; use one of {', '.join(KEEP_RULES)}")
    if cfg.knowledge_below_midpoint not in KNOWLEDGE_MODES:
        raise SpecError(
            f"screening.knowledge_below_midpoint: unknown mode {cfg.knowledge_below_midpoint!r}; use one of "
            f"{', '.join(KNOWLEDGE_MODES)}"
        )
    if cfg.seconds_per_item_hard > cfg.seconds_per_item_flag:
        raise SpecError("screening.seconds_per_item_hard: must not exceed seconds_per_item_flag")
    return cfg
