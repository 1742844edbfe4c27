"""The screen: every index on the ingested survey, the decision rule and its audit trail."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from leanlearn.data.ingest import reverse_score
from leanlearn.data.missing import em_mean_cov, missingness_items
from leanlearn.errors import DataError
from leanlearn.screening.careless.config import FAMILIES, ScreeningConfig, screening_config
from leanlearn.screening.careless.decision import decide, flow_table, no_response_kept_message
from leanlearn.screening.careless.indices import (
    attention,
    avgstring,
    duplicates,
    even_odd,
    irv,
    longstring,
    mahalanobis,
    page_time,
    psychsyn,
    range_check,
    synonym_pairs,
    upper_tail_cut,
)
from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID, Codebook


# ---- the screen ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScreeningResult:
    """Output of :func:`screen`.

    Attributes
    ----------
    flags : DataFrame
        One row per response (input order). Identification: ``respondent_id``,
        ``firm_id``. Completion: ``finished``, ``progress``, ``incomplete``.
        Duplicates: ``dup_respondent_id``, ``dup_answers``, ``dup_firm``,
        ``duplicate_of``. Attention: ``n_attention_failed``, ``n_attention_missing``,
        ``attention_failed_items``, ``attention_failed``. Speed:
        ``seconds_per_item_<page>`` per page, ``min_seconds_per_item``,
        ``seconds_per_item_total`` (duration / items, information only),
        ``speed_below_hard``, ``speed_flag``. Invariance: ``longstring``,
        ``longstring_<construct>`` per block, ``avgstring``, ``identical_answers``,
        ``longstring_p95``, ``irv``, ``irv_low``, ``irv_high``. Random responding:
        ``mahalanobis_d2``, ``mahalanobis_df``, ``mahalanobis_p_value``, ``mahalanobis``.
        Consistency: ``evenodd_r``, ``evenodd``, ``evenodd_n_scales``, ``evenodd_low``,
        ``psychsyn``, ``psychsyn_low``. Informant: ``ki_knowledge``,
        ``knowledge_below_midpoint``. Missingness: ``case_missing_share``,
        ``case_missing``. Decision: ``soft_flags`` and ``soft_families``
        (``;``-separated), ``n_soft_families``, ``hard_reasons`` (``;``-separated),
        ``decision`` (kept | excluded), ``exclusion_step`` (flow step the exclusion is
        attributed to; empty when kept), ``reasons`` (all hard reasons and soft flags,
        plus ``multiple_soft_flags`` when that rule applied).
    exclusions : DataFrame
        Excluded responses: ``respondent_id``, ``firm_id``, ``exclusion_step``,
        ``hard_reasons``, ``soft_flags``, ``n_soft_families``, ``reasons`` (never empty).
    flow : DataFrame
        ``step``, ``description``, ``n_before``, ``n_excluded`` (attributed to this step,
        in order), ``n_after``, ``n_flagged`` (all responses meeting this step's rule,
        whatever else applied). First row ``responses_in``; last row
        ``flagged_but_kept`` (kept responses with at least one soft flag, in
        ``n_flagged``).
    flagged_kept : DataFrame
        Kept responses with soft flags: ``respondent_id``, ``firm_id``, ``soft_flags``,
        ``soft_families``, ``n_soft_families``.
    item_missingness : DataFrame
        Among kept responses: ``item``, ``n``, ``n_missing``, ``share_missing``,
        ``exceeds_limit`` (share above ``max_item_missing_share``: reported and dropped
        from the analysis data by :func:`kept_data`).
    thresholds : DataFrame
        ``parameter``, ``value``: configured thresholds and the ones estimated from the
        reference sample (longstring quantile, IRV tails, number of synonym pairs, ...).
    notes : DataFrame
        ``index``, ``note``: indices skipped or limited and why.
    out_of_range : DataFrame
        ``item``, ``n_out_of_range`` set to missing by :func:`range_check`.
    """

    flags: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    flagged_kept: pd.DataFrame
    item_missingness: pd.DataFrame
    thresholds: pd.DataFrame
    notes: pd.DataFrame
    out_of_range: pd.DataFrame

    @property
    def kept(self) -> pd.Series:
        """Boolean mask (input order) of kept responses."""
        return self.flags["decision"].eq("kept").reset_index(drop=True)

    @property
    def dropped_items(self) -> tuple[str, ...]:
        """Items missing in more than ``max_item_missing_share`` of kept responses."""
        m = self.item_missingness
        return tuple(m.loc[m["exceeds_limit"], "item"])


def _as_answered(data: pd.DataFrame, codebook: Codebook, items: Sequence[str]) -> pd.DataFrame:
    x = data[list(items)].astype(float).copy()
    for it in codebook.reverse_items:
        if it in x.columns:
            s = codebook.scale(codebook.item(it).scale)
            x[it] = reverse_score(x[it], minimum=s.min, maximum=s.max)
    return x


def screen(data: pd.DataFrame, codebook: Codebook, config: Mapping | ScreeningConfig | None = None) -> ScreeningResult:
    """Compute every screening index and apply the decision rule (see module docstring).

    Parameters
    ----------
    data : DataFrame
        Ingested survey (canonical columns; reverse items keyed).
    codebook : Codebook
    config : mapping or ScreeningConfig
        The ``screening:`` section of the config; missing keys take the defaults.

    Returns
    -------
    ScreeningResult

    Raises
    ------
    DataError
        ``respondent_id`` or an item column is missing; there are no responses; or no
        response is kept (``0 of N responses kept: ...`` with the number excluded at each
        step, see :func:`no_response_kept_message`).
    SpecError
        Invalid configuration.
    """
    cfg = config if isinstance(config, ScreeningConfig) else screening_config(config)
    s = _start(data, codebook, cfg)
    _completion(s)
    reference = _duplicates(s)
    checks = _attention(s)
    _page_time(s, n_checks=len(checks))
    _invariance(s, reference)
    keyed = s.data[s.items].astype(float)
    _random_responding(s, keyed, reference)
    _consistency(s, keyed, reference)
    _key_informant(s)
    s.flags["case_missing_share"] = keyed.isna().sum(axis=1) / len(s.items)
    s.flags["case_missing"] = s.flags["case_missing_share"] > cfg.max_case_missing_share
    return _decide(s)


@dataclass
class _Screen:
    """Working state of one screen: the data, the settings, the flags so far and the audit trail."""

    data: pd.DataFrame
    codebook: Codebook
    cfg: ScreeningConfig
    items: list[str]
    flags: pd.DataFrame
    oor: pd.DataFrame
    notes: list[tuple[str, str]]
    thresholds: list[tuple[str, object]]


def _start(data: pd.DataFrame, codebook: Codebook, cfg: ScreeningConfig) -> _Screen:
    """Check the columns, blank out-of-range answers and open the flags table."""
    items = list(codebook.item_ids)
    needed = [RESPONDENT_ID, *items]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise DataError(
            f"the survey data lack column(s) {', '.join(absent)}; screening needs ingested data "
            "(run 'leanlearn ingest' first)"
        )
    if len(data) == 0:
        raise DataError("0 responses to screen: the survey data have a header but no rows (check the ingest report)")
    data = data.reset_index(drop=True)
    data, oor = range_check(data, codebook)
    thresholds: list[tuple[str, object]] = [(f.name, getattr(cfg, f.name)) for f in fields(cfg)]
    flags = pd.DataFrame({RESPONDENT_ID: data[RESPONDENT_ID].astype(object)})
    flags[FIRM_ID] = data[FIRM_ID] if FIRM_ID in data.columns else np.nan
    return _Screen(data, codebook, cfg, items, flags, oor, [], thresholds)


def _completion(s: _Screen) -> None:
    """``incomplete``: not finished (when required) or progress below the minimum."""
    data, cfg, flags = s.data, s.cfg, s.flags
    incomplete = pd.Series(False, index=data.index)
    finished = data["finished"].astype(float) if "finished" in data.columns else None
    progress = data["progress"].astype(float) if "progress" in data.columns else None
    flags["finished"] = finished if finished is not None else np.nan
    flags["progress"] = progress if progress is not None else np.nan
    if finished is not None and cfg.require_finished:
        incomplete |= finished.ne(1)
    if progress is not None:
        incomplete |= progress.lt(cfg.min_progress) | progress.isna()
    if finished is None and progress is None:
        s.notes.append(("completion", "no 'finished' or 'progress' column; the completion rule was not applied"))
    flags["incomplete"] = incomplete


def _duplicates(s: _Screen) -> pd.Series:
    """Duplicate flags among complete responses; returns the reference sample (complete, non-duplicate)."""
    data, cfg, codebook, items = s.data, s.cfg, s.codebook, s.items
    incomplete = s.flags["incomplete"]
    order = None
    for col in ("recorded", "end", "start"):
        if col in data.columns:
            order = pd.to_datetime(data[col], errors="coerce")
            break
    answer_cols = items + [a for a in codebook.attention_ids if a in data.columns]
    dup = duplicates(data, items=answer_cols, keep=cfg.keep, eligible=~incomplete, order=order)
    s.flags = pd.concat([s.flags, dup], axis=1)
    is_dup = dup[["dup_respondent_id", "dup_answers", "dup_firm"]].any(axis=1)
    reference = ~incomplete & ~is_dup
    if reference.sum() == 0:
        reference = pd.Series(True, index=data.index)
        s.notes.append(("reference", "no complete, non-duplicate response; thresholds estimated on all responses"))
    return reference


def _attention(s: _Screen) -> dict:
    """Attention checks answered as instructed; returns the checks present in the data."""
    data, cfg, codebook = s.data, s.cfg, s.codebook
    checks = {a.id: a.expected for a in codebook.attention_checks if a.id in data.columns}
    att = attention(data, checks, missing_is_fail=cfg.attention_missing_is_fail)
    s.flags = pd.concat([s.flags, att], axis=1)
    s.flags["attention_failed"] = att["n_attention_failed"] >= cfg.attention_fail_min if checks else False
    if not checks:
        s.notes.append(("attention", "no attention-check columns; the rule was not applied"))
    return checks


def _page_time(s: _Screen, *, n_checks: int) -> None:
    """Seconds per item on each page (speed rules) and over the whole survey."""
    data, cfg, codebook, items = s.data, s.cfg, s.codebook, s.items
    timers = [(t.name, t.items) for t in codebook.paradata.page_timers if t.name in data.columns]
    if timers:
        pt = page_time(data, timers)
        s.flags = pd.concat([s.flags, pt], axis=1)
        spi = pt.drop(columns="min_seconds_per_item")
        s.flags["speed_below_hard"] = (spi < cfg.seconds_per_item_hard).any(axis=1)
        s.flags["speed_flag"] = (spi < cfg.seconds_per_item_flag).any(axis=1)
    else:
        s.flags["min_seconds_per_item"] = np.nan
        s.flags["speed_below_hard"] = False
        s.flags["speed_flag"] = False
        s.notes.append(("page_time", "the data have no page timers; the page-time speed index was not computed"))
    if "duration_seconds" in data.columns:
        n_shown = len(items) + n_checks
        s.flags["seconds_per_item_total"] = data["duration_seconds"].astype(float) / n_shown
    else:
        s.flags["seconds_per_item_total"] = np.nan


def _invariance(s: _Screen, reference: pd.Series) -> None:
    """Longstring, avgstring, identical answers and IRV, on the answers as given."""
    data, cfg, codebook, items, flags, thresholds = s.data, s.cfg, s.codebook, s.items, s.flags, s.thresholds
    answered = _as_answered(data, codebook, items)
    flags["longstring"] = longstring(answered)
    for cname, citems in codebook.items_by_construct.items():
        flags[f"longstring_{cname}"] = longstring(answered[list(citems)])
    flags["avgstring"] = avgstring(answered)
    subst = answered[list(codebook.substantive_items)]
    n_answered = subst.notna().sum(axis=1)
    identical = (subst.nunique(axis=1) == 1) & (n_answered >= 2)
    flags["identical_answers"] = identical
    ls_cut = upper_tail_cut(flags.loc[reference, "longstring"], share=1 - cfg.longstring_percentile)
    flags["longstring_p95"] = flags["longstring"] >= ls_cut
    thresholds.append(("longstring_cut (estimated)", ls_cut))
    flags["irv"] = irv(answered)
    ref_irv = flags.loc[reference, "irv"].dropna()
    if len(ref_irv):
        lo_cut = float(np.quantile(ref_irv, cfg.irv_flag_tails))
        hi_cut = float(np.quantile(ref_irv, 1 - cfg.irv_flag_tails))
    else:
        lo_cut = hi_cut = np.nan
    flags["irv_low"] = flags["irv"] <= lo_cut
    flags["irv_high"] = flags["irv"] >= hi_cut
    thresholds.extend([("irv_low_cut (estimated)", lo_cut), ("irv_high_cut (estimated)", hi_cut)])


def _random_responding(s: _Screen, keyed: pd.DataFrame, reference: pd.Series) -> None:
    """Mahalanobis D² from the EM mean and covariance of the reference sample (keyed answers)."""
    cfg, items, flags, notes = s.cfg, s.items, s.flags, s.notes
    ref_x = keyed.loc[reference]
    flags["mahalanobis_d2"] = np.nan
    flags["mahalanobis_df"] = 0
    flags["mahalanobis_p_value"] = np.nan
    if len(ref_x.dropna(how="all")) > len(items) + 1:
        em = em_mean_cov(ref_x.to_numpy())
        try:
            md = mahalanobis(keyed, mean=em.mean, cov=em.cov)
            flags[["mahalanobis_d2", "mahalanobis_df", "mahalanobis_p_value"]] = md.to_numpy()
        except np.linalg.LinAlgError:
            notes.append(("mahalanobis", "the item covariance matrix is singular; D² not computed"))
        if not em.converged:
            notes.append(("mahalanobis", f"EM did not converge in {em.n_iter} iterations"))
    else:
        notes.append(("mahalanobis", f"too few reference responses ({len(ref_x)}) for {len(items)} items; D² not computed"))
    flags["mahalanobis_df"] = flags["mahalanobis_df"].astype(int)
    flags["mahalanobis"] = flags["mahalanobis_p_value"] < cfg.mahalanobis_alpha


def _consistency(s: _Screen, keyed: pd.DataFrame, reference: pd.Series) -> None:
    """Even-odd consistency and psychometric synonyms (keyed answers)."""
    cfg, codebook, notes, thresholds = s.cfg, s.codebook, s.notes, s.thresholds
    scales = codebook.items_by_construct
    n_scales = sum(len(v) >= cfg.evenodd_min_items for v in scales.values())
    if n_scales >= 3:
        eo = even_odd(keyed, scales, min_items=cfg.evenodd_min_items)
        s.flags = pd.concat([s.flags, eo], axis=1)
    else:
        s.flags["evenodd_r"] = s.flags["evenodd"] = np.nan
        s.flags["evenodd_n_scales"] = 0
        notes.append(("evenodd", f"{n_scales} scale(s) with >= {cfg.evenodd_min_items} items; the index needs 3; not computed"))
    s.flags["evenodd_low"] = s.flags["evenodd"] < cfg.evenodd_flag_below
    pairs = synonym_pairs(keyed.loc[reference], critval=cfg.psychsyn_critval)
    thresholds.append(("psychsyn_pairs (estimated)", len(pairs)))
    if len(pairs) >= cfg.psychsyn_min_pairs:
        s.flags["psychsyn"] = psychsyn(keyed, pairs)
    else:
        s.flags["psychsyn"] = np.nan
        notes.append(
            ("psychsyn", f"{len(pairs)} item pair(s) correlate above {cfg.psychsyn_critval}; fewer than "
             f"{cfg.psychsyn_min_pairs}, so the index was skipped (lower psychsyn_critval to use it)")
        )
    s.flags["psychsyn_low"] = s.flags["psychsyn"] < cfg.psychsyn_flag_below


def _key_informant(s: _Screen) -> None:
    """Key-informant knowledge below the scale midpoint."""
    data, cfg, codebook, flags, notes, thresholds = s.data, s.cfg, s.codebook, s.flags, s.notes, s.thresholds
    know = codebook.key_informant_field("knowledge")
    if know is not None and know.name not in data.columns:
        know = None
    has_know = know is not None
    flags["ki_knowledge"] = data[know.name].astype(float) if know is not None else np.nan
    mid = codebook.scale(know.scale).midpoint if know is not None and know.scale else np.nan
    flags["knowledge_below_midpoint"] = (flags["ki_knowledge"] < mid) & (cfg.knowledge_below_midpoint != "ignore")
    if has_know:
        thresholds.append(("knowledge_midpoint", mid))
    elif cfg.knowledge_below_midpoint != "ignore":
        notes.append(("key_informant", "no key-informant knowledge column; the rule was not applied"))


def _decide(s: _Screen) -> ScreeningResult:
    """Hard rules and soft flags -> the decision, the flow, the exclusions and the item missingness."""
    data, cfg, items, flags, notes = s.data, s.cfg, s.items, s.flags, s.notes
    for c in [c for c in flags.columns if flags[c].dtype == bool or c in FAMILIES]:
        flags[c] = flags[c].fillna(False).astype(bool)
    hard = pd.DataFrame(
        {
            "incomplete": flags["incomplete"],
            "duplicate_respondent_id": flags["dup_respondent_id"],
            "duplicate_answers": flags["dup_answers"],
            "duplicate_firm": flags["dup_firm"],
            "attention_failed": flags["attention_failed"] & cfg.attention_fail_hard,
            "speed_below_hard": flags["speed_below_hard"],
            "identical_answers": flags["identical_answers"] & cfg.longstring_block_all_identical,
            "case_missing": flags["case_missing"],
            "knowledge_below_midpoint": flags["knowledge_below_midpoint"] & (cfg.knowledge_below_midpoint == "exclude"),
        }
    )
    soft = pd.DataFrame(
        {
            "speed_flag": flags["speed_flag"] & ~flags["speed_below_hard"],
            "longstring_p95": flags["longstring_p95"],
            "irv_low": flags["irv_low"],
            "mahalanobis": flags["mahalanobis"],
            "irv_high": flags["irv_high"],
            "evenodd_low": flags["evenodd_low"],
            "psychsyn_low": flags["psychsyn_low"],
            "knowledge_below_midpoint": flags["knowledge_below_midpoint"] & (cfg.knowledge_below_midpoint == "flag"),
            "attention_failed": flags["attention_failed"] & (not cfg.attention_fail_hard),
        }
    )
    decision = decide(hard, soft, min_families=cfg.exclude_if_n_flags_at_least)
    flags = pd.concat([flags, decision], axis=1)
    flow = flow_table(hard, decision)
    excluded = flags["decision"].eq("excluded")
    kept = ~excluded
    if len(flags) and not kept.any():
        raise DataError(no_response_kept_message(flow))
    flagged_kept_mask = kept & (flags["soft_flags"] != "")

    exclusions = flags.loc[excluded, [RESPONDENT_ID, FIRM_ID, "exclusion_step", "hard_reasons", "soft_flags",
                                      "n_soft_families", "reasons"]].reset_index(drop=True)
    flagged_kept = flags.loc[flagged_kept_mask, [RESPONDENT_ID, FIRM_ID, "soft_flags", "soft_families",
                                                 "n_soft_families"]].reset_index(drop=True)
    item_miss = missingness_items(data.loc[kept], items=items, max_share=cfg.max_item_missing_share)
    for item in item_miss.loc[item_miss["exceeds_limit"], "item"]:
        notes.append(("item_missingness", f"item {item} is missing in more than {cfg.max_item_missing_share:.0%} of kept responses; dropped from the analysis data"))

    return ScreeningResult(
        flags=flags,
        exclusions=exclusions,
        flow=flow,
        flagged_kept=flagged_kept,
        item_missingness=item_miss,
        thresholds=pd.DataFrame(s.thresholds, columns=["parameter", "value"]),
        notes=pd.DataFrame(notes, columns=["index", "note"]),
        out_of_range=s.oor,
    )


def kept_data(data: pd.DataFrame, result: ScreeningResult, *, drop_items: bool = True) -> pd.DataFrame:
    """The kept responses of ``data`` (same row order as given to :func:`screen`).

    With ``drop_items`` the items in ``result.dropped_items`` (missing above the item
    limit among kept responses) are removed.
    """
    data = data.reset_index(drop=True)
    if len(data) != len(result.flags) or not data[RESPONDENT_ID].astype(str).equals(
        result.flags[RESPONDENT_ID].astype(str)
    ):
        raise DataError("the data are not the ones that were screened (respondent ids differ)")
    out = data.loc[result.kept.to_numpy()].reset_index(drop=True)
    if drop_items and result.dropped_items:
        out = out.drop(columns=list(result.dropped_items))
    return out
