"""The exclusion rule: hard rules, soft-flag families and the CONSORT-style flow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leanlearn.screening.careless.config import FAMILIES, FLOW_STEPS

# ---- decision -------------------------------------------------------------------------------
#: hard rule -> flow step it is attributed to
HARD_RULES = {
    "incomplete": "incomplete",
    "duplicate_respondent_id": "duplicates",
    "duplicate_answers": "duplicates",
    "duplicate_firm": "duplicates",
    "attention_failed": "attention",
    "speed_below_hard": "speed",
    "identical_answers": "straight_lining",
    "case_missing": "missingness",
    "knowledge_below_midpoint": "key_informant",
}


def _join_true(frame: pd.DataFrame) -> pd.Series:
    cols = np.array(frame.columns, dtype=object)
    values = frame.to_numpy(dtype=bool)
    return pd.Series([";".join(cols[row]) for row in values], index=frame.index, dtype=object)


def decide(hard: pd.DataFrame, soft: pd.DataFrame, *, min_families: int = 2) -> pd.DataFrame:
    """Apply the exclusion rule to boolean hard rules and soft flags.

    A response is excluded when any hard rule is true or when soft flags from at least
    ``min_families`` distinct families (:data:`FAMILIES`) are true. Flags of one family
    count once: longstring >= p95 together with low IRV is one (invariance) signal.

    Parameters
    ----------
    hard : DataFrame of bool
        Columns among the keys of :data:`HARD_RULES`.
    soft : DataFrame of bool
        Columns among the keys of :data:`FAMILIES`.
    min_families : int
        ``exclude_if_n_flags_at_least``.

    Returns
    -------
    DataFrame
        ``soft_flags``, ``soft_families`` (``;``-separated), ``n_soft_families``,
        ``hard_reasons``, ``decision`` (kept | excluded), ``exclusion_step`` (first
        applicable step of :data:`FLOW_STEPS`; empty when kept), ``reasons`` (hard
        reasons, then soft flags, then ``multiple_soft_flags`` when that rule applied).
    """
    unknown = [c for c in hard.columns if c not in HARD_RULES] + [c for c in soft.columns if c not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown rule or flag name(s): {', '.join(unknown)}")
    hard = hard.fillna(False).astype(bool)
    soft = soft.fillna(False).astype(bool)
    families = list(dict.fromkeys(FAMILIES[c] for c in soft.columns))
    fam = pd.DataFrame(
        {f: soft[[c for c in soft.columns if FAMILIES[c] == f]].any(axis=1) for f in families}, index=soft.index
    )
    n_families = fam.sum(axis=1).astype(int) if len(families) else pd.Series(0, index=soft.index)
    multi = n_families >= min_families
    excluded = hard.any(axis=1) | multi
    step = pd.Series("", index=hard.index, dtype=object)
    step_masks = {name: pd.Series(False, index=hard.index) for name, _ in FLOW_STEPS}
    for rule, name in HARD_RULES.items():
        if rule in hard.columns:
            step_masks[name] = step_masks[name] | hard[rule]
    step_masks["multiple_soft_flags"] = multi
    for name, _ in reversed(FLOW_STEPS):
        step = step.mask(step_masks[name], name)
    hard_reasons = _join_true(hard)
    soft_flags = _join_true(soft)
    reasons = [
        ";".join(p for p in (h, s_, "multiple_soft_flags" if m else "") if p)
        for h, s_, m in zip(hard_reasons, soft_flags, multi)
    ]
    return pd.DataFrame(
        {
            "soft_flags": soft_flags,
            "soft_families": _join_true(fam) if len(families) else "",
            "n_soft_families": n_families,
            "hard_reasons": hard_reasons,
            "decision": np.where(excluded, "excluded", "kept"),
            "exclusion_step": step.where(excluded, ""),
            "reasons": pd.Series(reasons, index=hard.index, dtype=object),
        },
        index=hard.index,
    )


def flow_table(hard: pd.DataFrame, decision: pd.DataFrame) -> pd.DataFrame:
    """CONSORT-style flow from :func:`decide` output (see :class:`ScreeningResult`)."""
    n = len(decision)
    rows = [{"step": "responses_in", "description": "responses in the export", "n_before": n,
             "n_excluded": 0, "n_after": n, "n_flagged": n}]
    remaining = n
    for name, description in FLOW_STEPS:
        if name == "multiple_soft_flags":
            flagged = decision["reasons"].str.contains("multiple_soft_flags", regex=False)
        else:
            rules = [r for r, step in HARD_RULES.items() if step == name and r in hard.columns]
            flagged = hard[rules].fillna(False).astype(bool).any(axis=1) if rules else pd.Series(False, index=hard.index)
        k = int((decision["exclusion_step"] == name).sum())
        rows.append({"step": name, "description": description, "n_before": remaining, "n_excluded": k,
                     "n_after": remaining - k, "n_flagged": int(flagged.sum())})
        remaining -= k
    flagged_kept = decision["decision"].eq("kept") & decision["soft_flags"].ne("")
    rows.append({"step": "flagged_but_kept", "description": "kept responses with at least one soft flag",
                 "n_before": remaining, "n_excluded": 0, "n_after": remaining, "n_flagged": int(flagged_kept.sum())})
    return pd.DataFrame(rows, columns=["step", "description", "n_before", "n_excluded", "n_after", "n_flagged"])


def no_response_kept_message(flow: pd.DataFrame) -> str:
    """``0 of N responses kept: ...`` with the number excluded at each step of ``flow``."""
    n_in = int(flow["n_before"].to_numpy()[0])
    steps = [
        f"{int(n_excluded)} {step} ({description})"
        for step, description, n_excluded in zip(flow["step"], flow["description"], flow["n_excluded"])
        if step not in ("responses_in", "flagged_but_kept") and int(n_excluded) > 0
    ]
    return (
        f"0 of {n_in} responses kept: excluded {'; '.join(steps) or 'by no step'}. Check the screening settings "
        "(config.yaml, section screening) and the codebook's paradata and attention-check columns against the export."
    )
