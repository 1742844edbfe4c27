"""Careless-response screening: indices per response, flags, the exclusion decision.

Input is the ingested survey (canonical columns, see :mod:`leanlearn.spec.codebook`): item
ids with reverse-keyed items already reverse-scored, attention-check ids, paradata
(``finished``, ``progress``, ``recorded``, ``page_seconds_<k>``), ``ki_knowledge``.

Indices (each a pure function; :func:`screen` runs them all)
------------------------------------------------------------
================  ======================================================  ===============
index             what it measures                                        data used
================  ======================================================  ===============
completion        ``finished`` = 1 and ``progress`` >= min_progress       paradata
duplicates        same respondent id; identical answers; same firm        ids, answers
page time         seconds per item on each page (:func:`page_time`)       page timers
attention         instructed-response items answered as instructed        attention ids
longstring        longest run of identical consecutive answers            as answered
identical         one and the same answer on every substantive item       as answered
IRV               within-person SD across items (:func:`irv`)             as answered
Mahalanobis       D² from the EM mean/covariance, p from chi2(p_i)        keyed
even-odd          Spearman-Brown corrected even/odd half correlation      keyed
psychsyn          within-person r over highly correlated item pairs       keyed
knowledge         key-informant knowledge below the scale midpoint        ``ki_knowledge``
case missing      share of construct items missing                        items
================  ======================================================  ===============

"As answered" means reverse-keyed items are scored back to the answer the respondent
gave (reverse-scoring twice is the identity): a straight-liner who ticked 7 everywhere
has LS4 = 1 after keying, which would hide the straight line. "Keyed" indices need
every item of a scale to point the same way.

Decision rule (docs/methods.md 1.8)
------------------------------
A response is **excluded** when any *hard* rule applies - incomplete, duplicate,
failed attention check, below ``seconds_per_item_hard`` on any page, the identical
answer on every substantive item, case missing share above ``max_case_missing_share``
(and knowledge below the midpoint when ``knowledge_below_midpoint: exclude``) - or when
at least ``exclude_if_n_flags_at_least`` *families* of soft flags apply. Soft flags that
measure the same thing form one family, so two correlated indices cannot exclude a case
on their own:

==============  ===========================================================
family          soft flags in it
==============  ===========================================================
speed           a page below ``seconds_per_item_flag`` s/item
invariance      longstring in the upper ``1 - longstring_percentile`` tail; IRV in the lower tail
random          Mahalanobis p < ``mahalanobis_alpha``; IRV in the upper tail
consistency     even-odd < ``evenodd_flag_below``; psychsyn < ``psychsyn_flag_below``
informant       knowledge below the midpoint (``knowledge_below_midpoint: flag``)
attention       failed attention check (only when ``attention_fail_hard: false``)
==============  ===========================================================

Quantile thresholds (longstring, IRV) and the EM mean/covariance (Mahalanobis) and the
synonym pairs (psychsyn) are estimated on the *reference sample*: complete,
non-duplicate responses. Index values are computed for every response. Longstring is
discrete, so "at or above the 95th percentile" is read as "in the top 5 %": the cut is
the smallest value reached by at most 5 % of the reference sample
(:func:`upper_tail_cut`); ties at the percentile would otherwise flag far more (10.7 %
instead of 5 % on the bundled data). IRV is continuous; its tails are plain quantiles.

The flow (CONSORT-style) attributes each exclusion to the first rule that applies, in
this order: incomplete -> duplicates -> attention -> speed -> straight-lining ->
missingness -> key informant -> multiple soft flags.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID, Codebook
from leanlearn.errors import DataError, SpecError
from leanlearn.data.ingest import reverse_score
from leanlearn.data.missing import em_mean_cov, missingness_items

__all__ = [
    "ScreeningConfig",
    "ScreeningResult",
    "screening_config",
    "longstring",
    "avgstring",
    "irv",
    "mahalanobis",
    "even_odd",
    "synonym_pairs",
    "psychsyn",
    "page_time",
    "upper_tail_cut",
    "attention",
    "duplicates",
    "range_check",
    "screen",
    "decide",
    "flow_table",
    "kept_data",
    "HARD_RULES",
    "FLOW_STEPS",
    "FAMILIES",
]

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


# ---- indices --------------------------------------------------------------------------------
def _array(responses) -> np.ndarray:
    """Responses as a 2-D float array, one row per respondent."""
    return np.atleast_2d(np.asarray(responses, dtype=float))


def _index(responses, n: int) -> pd.Index:
    return responses.index if isinstance(responses, pd.DataFrame) else pd.RangeIndex(n)


def longstring(responses: pd.DataFrame | np.ndarray) -> pd.Series:
    """Longest run of identical consecutive answers per row (Johnson 2005).

    Items are taken in column order. A missing answer ends a run and does not start one;
    a row with no answer gives NaN. Example: ``[1, 1, 2, 2, 2, 3]`` -> 3.
    Checked against hand-worked rows in ``tests/test_screening.py``.
    """
    x = _array(responses)
    n, p = x.shape
    best = np.zeros(n)
    run = np.zeros(n)
    for j in range(p):
        seen = ~np.isnan(x[:, j])
        same = seen & (x[:, j] == x[:, j - 1]) if j else np.zeros(n, dtype=bool)
        run = np.where(same, run + 1, seen.astype(float))
        best = np.maximum(best, run)
    return pd.Series(np.where(best == 0, np.nan, best), index=_index(responses, n), name="longstring")


def avgstring(responses: pd.DataFrame | np.ndarray) -> pd.Series:
    """Mean length of the runs of identical consecutive answers (answered items / runs)."""
    x = _array(responses)
    seen = ~np.isnan(x)
    starts = seen.copy()
    if x.shape[1] > 1:
        starts[:, 1:] = seen[:, 1:] & ~(x[:, 1:] == x[:, :-1])
    n_runs = starts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n_runs > 0, seen.sum(axis=1) / n_runs, np.nan)
    return pd.Series(out, index=_index(responses, x.shape[0]), name="avgstring")


def irv(responses: pd.DataFrame | np.ndarray) -> pd.Series:
    """Intra-individual response variability (Dunn et al. 2018).

    .. math:: IRV_i = \\sqrt{\\tfrac{1}{J_i-1}\\sum_j (x_{ij} - \\bar x_i)^2}

    the sample SD of a person's answered items (:math:`J_i` of them; NaN when fewer than
    2). Equal to ``numpy.std(ddof=1)`` of the row (tested).
    """
    x = _array(responses)
    count = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=1) / count
        ss = np.nansum((x - mean[:, None]) ** 2, axis=1)
        out = np.where(count >= 2, np.sqrt(ss / (count - 1)), np.nan)
    return pd.Series(out, index=_index(responses, x.shape[0]), name="irv")


def mahalanobis(
    responses: pd.DataFrame | np.ndarray, *, mean: np.ndarray | None = None, cov: np.ndarray | None = None
) -> pd.DataFrame:
    """Squared Mahalanobis distance of each response, on its observed items.

    .. math:: D^2_i = (x_{i,o} - \\mu_o)^\\top \\Sigma_{oo}^{-1}(x_{i,o} - \\mu_o),
              \\qquad p_i = P(\\chi^2_{p_{o}} \\ge D^2_i)

    where *o* are the items person *i* answered and :math:`p_o` their number. ``mean``
    and ``cov`` default to the EM (ML) estimates from ``responses``
    (:func:`leanlearn.data.missing.em_mean_cov`), which use every observed value under MAR
    rather than dropping incomplete cases; a person with missing items is compared on
    the items they answered, with the matching degrees of freedom. Checked against a
    known covariance (identity: D² = squared Euclidean norm) in the tests.

    Returns
    -------
    DataFrame
        ``mahalanobis_d2``, ``mahalanobis_df``, ``mahalanobis_p``; NaN for a row with no
        answer.
    """
    x = _array(responses)
    if mean is None or cov is None:
        em = em_mean_cov(x)
        mean, cov = em.mean, em.cov
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    n = x.shape[0]
    d2 = np.full(n, np.nan)
    dof = np.zeros(n, dtype=int)
    observed = ~np.isnan(x)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for k, obs in enumerate(keys):
        rows = np.flatnonzero(inverse == k)
        if not obs.any():
            continue
        diff = x[np.ix_(rows, obs)] - mean[obs]
        sol = np.linalg.solve(cov[np.ix_(obs, obs)], diff.T).T
        d2[rows] = np.einsum("ij,ij->i", diff, sol)
        dof[rows] = int(obs.sum())
    with np.errstate(invalid="ignore"):
        p = np.where(dof > 0, stats.chi2.sf(d2, np.maximum(dof, 1)), np.nan)
    return pd.DataFrame(
        {"mahalanobis_d2": d2, "mahalanobis_df": dof, "mahalanobis_p": p}, index=_index(responses, n)
    )


def even_odd(
    responses: pd.DataFrame, scales: Mapping[str, Sequence[str]], *, min_items: int = 4
) -> pd.DataFrame:
    """Even-odd consistency (Johnson 2005; ``careless::evenodd``), Spearman-Brown corrected.

    For each scale with at least ``min_items`` items, the mean of its odd-numbered items
    (1st, 3rd, ...) and of its even-numbered items (2nd, 4th, ...) is taken (over the
    answered items). The person's odd-half means are correlated with their even-half
    means across scales, :math:`r`, and corrected:

    .. math:: r_{SB} = \\frac{2r}{1 + r}

    Values below -1 (r < -1/3) are set to -1: any negative value is a strong flag and
    the correction has no meaning there. NaN when fewer than 3 scales have both halves
    answered, or when either vector of half means is constant (a straight-liner; that
    case is caught by the invariance indices). Items must be keyed (reverse items
    reverse-scored). Checked against a hand-worked case in the tests.

    Returns
    -------
    DataFrame
        ``evenodd_r`` (uncorrected), ``evenodd`` (corrected), ``evenodd_n_scales``.
    """
    used = {s: list(items) for s, items in scales.items() if len(items) >= min_items}
    n = len(responses)
    odd = np.full((n, len(used)), np.nan)
    even = np.full((n, len(used)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing half: nanmean of nothing
        for k, items in enumerate(used.values()):
            x = responses[items].to_numpy(dtype=float)
            odd[:, k] = np.nanmean(x[:, 0::2], axis=1)
            even[:, k] = np.nanmean(x[:, 1::2], axis=1)
    r = np.full(n, np.nan)
    n_scales = np.zeros(n, dtype=int)
    for i in range(n):
        ok = ~np.isnan(odd[i]) & ~np.isnan(even[i])
        n_scales[i] = int(ok.sum())
        if n_scales[i] < 3:
            continue
        a, b = odd[i, ok], even[i, ok]
        if np.std(a) == 0 or np.std(b) == 0:
            continue
        r[i] = np.corrcoef(a, b)[0, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        sb = np.where(r > -1, 2 * r / (1 + r), -1.0)
    sb = np.where(np.isnan(r), np.nan, np.maximum(sb, -1.0))
    return pd.DataFrame(
        {"evenodd_r": r, "evenodd": sb, "evenodd_n_scales": n_scales}, index=responses.index
    )


def synonym_pairs(responses: pd.DataFrame, *, critval: float = 0.60) -> pd.DataFrame:
    """Item pairs whose sample correlation exceeds ``critval`` (Meade & Craig 2012).

    Pairwise-complete Pearson correlations over ``responses``; each pair once.

    Returns
    -------
    DataFrame
        ``item_a``, ``item_b``, ``r``; sorted by decreasing r.
    """
    corr = responses.astype(float).corr(min_periods=3)
    cols = list(corr.columns)
    rows = [
        {"item_a": cols[a], "item_b": cols[b], "r": float(corr.iat[a, b])}
        for a in range(len(cols))
        for b in range(a + 1, len(cols))
        if corr.iat[a, b] > critval
    ]
    out = pd.DataFrame(rows, columns=["item_a", "item_b", "r"])
    return out.sort_values("r", ascending=False, kind="stable").reset_index(drop=True)


def psychsyn(responses: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Psychometric synonyms index (Meade & Craig 2012; ``careless::psychsyn``).

    For each person, the Pearson correlation between their answers to the first and to
    the second item of each synonym pair (pairs from :func:`synonym_pairs`), over the
    pairs with both items answered. NaN with fewer than 3 such pairs or no variance.
    Higher = more consistent.
    """
    n = len(responses)
    out = np.full(n, np.nan)
    if len(pairs):
        a = responses[list(pairs["item_a"])].to_numpy(dtype=float)
        b = responses[list(pairs["item_b"])].to_numpy(dtype=float)
        for i in range(n):
            ok = ~np.isnan(a[i]) & ~np.isnan(b[i])
            if ok.sum() < 3:
                continue
            x, y = a[i, ok], b[i, ok]
            if np.std(x) == 0 or np.std(y) == 0:
                continue
            out[i] = np.corrcoef(x, y)[0, 1]
    return pd.Series(out, index=responses.index, name="psychsyn")


def upper_tail_cut(values, *, share: float) -> float:
    """Smallest value whose upper tail holds at most ``share`` of ``values``.

    .. math:: c = \\min\\{v : \\hat P(X \\ge v) \\le share\\}

    Flagging :math:`x \\ge c` marks the top ``share`` of a discrete index (longstring)
    without letting ties at the quantile inflate the flag rate: with longstrings
    ``3 x 10, 6 x 2, 7`` and share 0.10, ``P(X >= 6) = 3/13 > 0.10`` and ``P(X >= 7) =
    1/13``, so c = 7 (a plain 90th percentile, 6, would flag 23 %). Infinite (nothing
    flagged) when no value qualifies; missing values are ignored.
    """
    v = pd.Series(values, dtype=float).dropna().to_numpy()
    for cand in np.unique(v):
        if (v >= cand).mean() <= share:
            return float(cand)
    return float("inf")


def page_time(data: pd.DataFrame, timers: Sequence[tuple[str, Sequence[str]]]) -> pd.DataFrame:
    """Seconds per item on each page (the page-time index of Huang et al. 2012).

    .. math:: spi_{ik} = t_{ik} / J_k

    with :math:`t_{ik}` the page-submit time of page *k* and :math:`J_k` the number of
    items shown on it (attention checks included). Pages whose timer is missing are left
    out of ``min_seconds_per_item``.

    Parameters
    ----------
    timers : sequence of (column, items)
        Timer column in ``data`` and the items on that page.

    Returns
    -------
    DataFrame
        ``seconds_per_item_<column>`` per page and ``min_seconds_per_item``.
    """
    out = pd.DataFrame(index=data.index)
    for column, items in timers:
        out[f"seconds_per_item_{column}"] = data[column].astype(float) / len(items)
    out["min_seconds_per_item"] = out.min(axis=1, skipna=True) if len(timers) else np.nan
    return out


def attention(data: pd.DataFrame, checks: Mapping[str, float], *, missing_is_fail: bool = True) -> pd.DataFrame:
    """Instructed-response items: which were not answered as instructed.

    Parameters
    ----------
    checks : mapping
        Attention-check column -> expected code.
    missing_is_fail : bool
        Count an unanswered check as failed (the instructed option was not selected).

    Returns
    -------
    DataFrame
        ``n_attention_failed``, ``n_attention_missing``, ``attention_failed_items``
        (``;``-separated ids).
    """
    failed = pd.DataFrame(index=data.index)
    missing = pd.DataFrame(index=data.index)
    for col, expected in checks.items():
        v = data[col].astype(float)
        missing[col] = v.isna()
        failed[col] = (v != expected) & v.notna()
        if missing_is_fail:
            failed[col] = failed[col] | v.isna()
    names = failed.apply(lambda row: ";".join(c for c, f in row.items() if f), axis=1) if len(checks) else ""
    return pd.DataFrame(
        {
            "n_attention_failed": failed.sum(axis=1).astype(int),
            "n_attention_missing": missing.sum(axis=1).astype(int),
            "attention_failed_items": names,
        },
        index=data.index,
    )


def duplicates(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    keep: str = "first",
    eligible: pd.Series | None = None,
    order: pd.Series | None = None,
) -> pd.DataFrame:
    """Duplicate responses: same respondent id, identical answers, same firm.

    The three checks run in that order; a response found duplicate by one check is not
    considered by the next. Within a group of duplicates one response is kept:
    ``first`` / ``last`` by ``order`` (e.g. the submission time; ties and missing times
    fall back to the row order), ``most_complete`` the one with the fewest missing items
    (ties: first). Identical answers means the same value (or both missing) on every item,
    with at least half the items answered.

    Parameters
    ----------
    items : sequence of str
        Answer columns compared for identical answers.
    eligible : boolean Series, optional
        Responses that take part (e.g. complete ones); others are never duplicates.
    order : Series, optional
        Sort key for first/last (NaN sorts last).

    Returns
    -------
    DataFrame
        ``dup_respondent_id``, ``dup_answers``, ``dup_firm`` (bool: this response is the
        dropped member of a group), ``duplicate_of`` (respondent id of the kept member).
    """
    if keep not in KEEP_RULES:
        raise SpecError(f"screening.duplicates.keep: unknown rule {keep!r}; use one of {', '.join(KEEP_RULES)}")
    n = len(data)
    idx = data.index
    eligible = pd.Series(True, index=idx) if eligible is None else eligible.reindex(idx).fillna(False).astype(bool)
    pos = pd.Series(np.arange(n), index=idx)
    key = order.reindex(idx) if order is not None else pd.Series(np.nan, index=idx)
    sort_frame = pd.DataFrame({"key": key, "pos": pos})
    if keep == "most_complete":
        sort_frame["missing"] = data[list(items)].isna().sum(axis=1)
        ranked = sort_frame.sort_values(["missing", "key", "pos"], na_position="last", kind="stable").index
    elif keep == "first":
        ranked = sort_frame.sort_values(["key", "pos"], na_position="last", kind="stable").index
    else:
        ranked = sort_frame.sort_values(["key", "pos"], ascending=[False, False], na_position="last", kind="stable").index
    rank = pd.Series(np.arange(n), index=ranked).reindex(idx)

    out = pd.DataFrame(
        {"dup_respondent_id": False, "dup_answers": False, "dup_firm": False, "duplicate_of": ""}, index=idx
    )
    out["duplicate_of"] = out["duplicate_of"].astype(object)
    active = eligible.copy()
    answers = data[list(items)].astype(float)
    enough = answers.notna().sum(axis=1) >= len(items) / 2
    a = answers.to_numpy()
    a = np.where(np.isnan(a), np.inf, np.round(a, 9))  # missing compares equal to missing
    answer_key = pd.Series(["|".join(map(repr, row.tolist())) for row in a], index=idx, dtype=object)
    checks = (
        ("dup_respondent_id", data[RESPONDENT_ID].astype(object), active),
        ("dup_answers", answer_key, enough),
        ("dup_firm", data[FIRM_ID].astype(object) if FIRM_ID in data.columns else None, None),
    )
    for flag, keys, extra in checks:
        if keys is None:
            continue
        mask = active & keys.notna()
        if extra is not None:
            mask &= extra
        sub = pd.DataFrame({"key": keys[mask], "rank": rank[mask]})
        for _, group in sub.groupby("key", sort=False):
            if len(group) < 2:
                continue
            winner = group["rank"].idxmin()
            losers = group.index.drop(winner)
            out.loc[losers, flag] = True
            out.loc[losers, "duplicate_of"] = str(data.at[winner, RESPONDENT_ID])
            active.loc[losers] = False
    return out


def range_check(data: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set item and attention codes outside their scale to missing, and count them.

    Ingested data have no such codes left (ingest did this); the check protects callers
    that pass other data. No other cell changes.

    Returns
    -------
    data : DataFrame
    counts : DataFrame
        ``item``, ``n_out_of_range``.
    """
    out = data.copy()
    rows = []
    for item, (lo, hi, _) in codebook.item_scales().items():
        if item not in out.columns:
            continue
        v = out[item].astype(float)
        bad = v.notna() & ((v < lo) | (v > hi) | (v != np.floor(v)))
        out[item] = v.mask(bad)
        rows.append({"item": item, "n_out_of_range": int(bad.sum())})
    return out, pd.DataFrame(rows, columns=["item", "n_out_of_range"])


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
    n_in = int(flow["n_before"].iat[0])
    steps = [
        f"{int(r.n_excluded)} {r.step} ({r.description})"
        for r in flow.itertuples()
        if r.step not in ("responses_in", "flagged_but_kept") and int(r.n_excluded) > 0
    ]
    return (
        f"0 of {n_in} responses kept: excluded {'; '.join(steps) or 'by no step'}. Check the screening settings "
        "(config.yaml, section screening) and the codebook's paradata and attention-check columns against the export."
    )


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
        ``mahalanobis_d2``, ``mahalanobis_df``, ``mahalanobis_p``, ``mahalanobis``.
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
    notes: list[tuple[str, str]] = []
    thresholds: list[tuple[str, object]] = [(f.name, getattr(cfg, f.name)) for f in fields(cfg)]
    flags = pd.DataFrame({RESPONDENT_ID: data[RESPONDENT_ID].astype(object)})
    flags[FIRM_ID] = data[FIRM_ID] if FIRM_ID in data.columns else np.nan

    # -- completion
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
        notes.append(("completion", "no 'finished' or 'progress' column; the completion rule was not applied"))
    flags["incomplete"] = incomplete

    # -- duplicates (among complete responses)
    order = None
    for col in ("recorded", "end", "start"):
        if col in data.columns:
            order = pd.to_datetime(data[col], errors="coerce")
            break
    answer_cols = items + [a for a in codebook.attention_ids if a in data.columns]
    dup = duplicates(data, items=answer_cols, keep=cfg.keep, eligible=~incomplete, order=order)
    flags = pd.concat([flags, dup], axis=1)
    is_dup = dup[["dup_respondent_id", "dup_answers", "dup_firm"]].any(axis=1)
    reference = ~incomplete & ~is_dup
    if reference.sum() == 0:
        reference = pd.Series(True, index=data.index)
        notes.append(("reference", "no complete, non-duplicate response; thresholds estimated on all responses"))

    # -- attention checks
    checks = {a.id: a.expected for a in codebook.attention_checks if a.id in data.columns}
    att = attention(data, checks, missing_is_fail=cfg.attention_missing_is_fail)
    flags = pd.concat([flags, att], axis=1)
    flags["attention_failed"] = att["n_attention_failed"] >= cfg.attention_fail_min if checks else False
    if not checks:
        notes.append(("attention", "no attention-check columns; the rule was not applied"))

    # -- page time
    timers = [(t.name, t.items) for t in codebook.paradata.page_timers if t.name in data.columns]
    if timers:
        pt = page_time(data, timers)
        flags = pd.concat([flags, pt], axis=1)
        spi = pt.drop(columns="min_seconds_per_item")
        flags["speed_below_hard"] = (spi < cfg.seconds_per_item_hard).any(axis=1)
        flags["speed_flag"] = (spi < cfg.seconds_per_item_flag).any(axis=1)
    else:
        flags["min_seconds_per_item"] = np.nan
        flags["speed_below_hard"] = False
        flags["speed_flag"] = False
        notes.append(("page_time", "the data have no page timers; the page-time speed index was not computed"))
    if "duration_seconds" in data.columns:
        n_shown = len(items) + len(checks)
        flags["seconds_per_item_total"] = data["duration_seconds"].astype(float) / n_shown
    else:
        flags["seconds_per_item_total"] = np.nan

    # -- invariance (as answered)
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
    thresholds += [("irv_low_cut (estimated)", lo_cut), ("irv_high_cut (estimated)", hi_cut)]

    # -- random responding: Mahalanobis (keyed)
    keyed = data[items].astype(float)
    ref_x = keyed.loc[reference]
    flags["mahalanobis_d2"] = np.nan
    flags["mahalanobis_df"] = 0
    flags["mahalanobis_p"] = np.nan
    if len(ref_x.dropna(how="all")) > len(items) + 1:
        em = em_mean_cov(ref_x.to_numpy())
        try:
            md = mahalanobis(keyed, mean=em.mean, cov=em.cov)
            flags[["mahalanobis_d2", "mahalanobis_df", "mahalanobis_p"]] = md.to_numpy()
        except np.linalg.LinAlgError:
            notes.append(("mahalanobis", "the item covariance matrix is singular; D² not computed"))
        if not em.converged:
            notes.append(("mahalanobis", f"EM did not converge in {em.n_iter} iterations"))
    else:
        notes.append(("mahalanobis", f"too few reference responses ({len(ref_x)}) for {len(items)} items; D² not computed"))
    flags["mahalanobis_df"] = flags["mahalanobis_df"].astype(int)
    flags["mahalanobis"] = flags["mahalanobis_p"] < cfg.mahalanobis_alpha

    # -- consistency (keyed)
    scales = codebook.items_by_construct
    n_scales = sum(len(v) >= cfg.evenodd_min_items for v in scales.values())
    if n_scales >= 3:
        eo = even_odd(keyed, scales, min_items=cfg.evenodd_min_items)
        flags = pd.concat([flags, eo], axis=1)
    else:
        flags["evenodd_r"] = flags["evenodd"] = np.nan
        flags["evenodd_n_scales"] = 0
        notes.append(("evenodd", f"{n_scales} scale(s) with >= {cfg.evenodd_min_items} items; the index needs 3; not computed"))
    flags["evenodd_low"] = flags["evenodd"] < cfg.evenodd_flag_below
    pairs = synonym_pairs(keyed.loc[reference], critval=cfg.psychsyn_critval)
    thresholds.append(("psychsyn_pairs (estimated)", len(pairs)))
    if len(pairs) >= cfg.psychsyn_min_pairs:
        flags["psychsyn"] = psychsyn(keyed, pairs)
    else:
        flags["psychsyn"] = np.nan
        notes.append(
            ("psychsyn", f"{len(pairs)} item pair(s) correlate above {cfg.psychsyn_critval}; fewer than "
             f"{cfg.psychsyn_min_pairs}, so the index was skipped (lower psychsyn_critval to use it)")
        )
    flags["psychsyn_low"] = flags["psychsyn"] < cfg.psychsyn_flag_below

    # -- key informant
    know = codebook.key_informant_field("knowledge")
    has_know = know is not None and know.name in data.columns
    flags["ki_knowledge"] = data[know.name].astype(float) if has_know else np.nan
    mid = codebook.scale(know.scale).midpoint if has_know and know.scale else np.nan
    flags["knowledge_below_midpoint"] = (flags["ki_knowledge"] < mid) & (cfg.knowledge_below_midpoint != "ignore")
    if has_know:
        thresholds.append(("knowledge_midpoint", mid))
    elif cfg.knowledge_below_midpoint != "ignore":
        notes.append(("key_informant", "no key-informant knowledge column; the rule was not applied"))

    # -- case missingness
    flags["case_missing_share"] = keyed.isna().sum(axis=1) / len(items)
    flags["case_missing"] = flags["case_missing_share"] > cfg.max_case_missing_share

    # -- decision
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
        thresholds=pd.DataFrame(thresholds, columns=["parameter", "value"]),
        notes=pd.DataFrame(notes, columns=["index", "note"]),
        out_of_range=oor,
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
