"""Careless-response indices: each a pure function of the responses (Johnson 2005; Curran 2016)."""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from leanlearn.data.missing import em_mean_cov
from leanlearn.errors import SpecError
from leanlearn.screening.careless.config import KEEP_RULES
from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID, Codebook


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
        ``mahalanobis_d2``, ``mahalanobis_df``, ``mahalanobis_p_value``; NaN for a row with no
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
        p = np.where(dof > 0, special.chdtrc(np.maximum(dof, 1), d2), np.nan)
    return pd.DataFrame(
        {"mahalanobis_d2": d2, "mahalanobis_df": dof, "mahalanobis_p_value": p}, index=_index(responses, n)
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
    r = corr.to_numpy(dtype=float)
    rows = [
        {"item_a": cols[a], "item_b": cols[b], "r": float(r[a, b])}
        for a in range(len(cols))
        for b in range(a + 1, len(cols))
        if r[a, b] > critval
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
            losers = group.index.drop([winner])
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
