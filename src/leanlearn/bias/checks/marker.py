"""The Lindell-Whitney marker-variable correction of correlations and paths (docs/methods.md 2.2)."""

from __future__ import annotations

import math
from typing import Sequence, cast

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError


def lindell_whitney(r_u: float | np.ndarray, r_m: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marker-adjusted correlation and its t-test (Lindell & Whitney 2001, eqs. 4-5).

    .. math::

        r_A = \\frac{r_U - r_M}{1 - r_M}, \\qquad
        t = \\frac{r_A}{\\sqrt{(1 - r_A^2)/(N - 3)}}

    with N - 3 degrees of freedom (one more than for an ordinary correlation, for the
    estimated r_M); two-sided p-value.

    Returns
    -------
    (r_a, t, p) : arrays
    """
    r_u = np.asarray(r_u, dtype=float)
    r_a = (r_u - r_m) / (1.0 - r_m)
    dof = n - 3
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r_a / np.sqrt((1.0 - r_a**2) / dof)
    p = 2 * stats.t.sf(np.abs(t), dof)
    return r_a, t, p


def marker_correction(
    scores: pd.DataFrame,
    *,
    marker: str,
    substantive: Sequence[str] | None = None,
    rule: str = "smallest",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Lindell & Whitney (2001) marker-variable correction for every pair of constructs.

    r_M is the smallest positive correlation of the marker with the substantive
    constructs (``rule="smallest"``) or the second smallest positive one
    (``rule="second_smallest"``, a more conservative choice; Lindell & Whitney 2001,
    p. 116). When no (or only one, for the second rule) positive marker correlation
    exists, r_M = 0 and the ``note`` says so: the marker then shows no method variance
    to remove. Each pair's correlation is corrected with :func:`lindell_whitney`.

    The correlational marker technique is weaker than the CFA marker technique (Williams,
    Hartman & Cavazotte 2010; Richardson, Simmering & Sturman 2009), and it requires a
    marker designed into the questionnaire.

    Parameters
    ----------
    scores : DataFrame
        Construct scores including the marker column; rows with a missing value dropped.
    marker : str
        Column of the marker score.
    substantive : sequence of str, optional
        Substantive constructs (default: every other column).
    rule : {"smallest", "second_smallest"}
    alpha : float
        Level for the significance flags.

    Returns
    -------
    DataFrame
        ``construct_a, construct_b, n, marker, marker_rule, r_m, r_m_source, r_u,
        p_value_u, r_a, t_value, df, p_value, significant_u, significant_a, note``:
        ``r_m_source`` is the construct whose marker correlation became r_M;
        ``p_value_u`` tests r_U on n - 2 df; ``t_value``/``p_value`` test r_A on n - 3 df.
    """
    subs, s = _marker_scores(scores, marker, substantive, rule, "marker correction")
    n = len(s)
    r = s.corr()
    r_m, source, note = _marker_r(r.loc[subs, marker], rule)
    rows = []
    for i, a in enumerate(subs):
        for b in subs[i + 1:]:
            r_u = float(cast(float, r.loc[a, b]))  # a cell of a correlation matrix; the stubs say any scalar
            t_u = r_u * math.sqrt((n - 2) / (1 - r_u**2)) if abs(r_u) < 1 else np.inf
            p_u = float(2 * stats.t.sf(abs(t_u), n - 2))
            r_a, t_a, p_a = lindell_whitney(r_u, r_m, n)
            rows.append(
                {
                    "construct_a": a,
                    "construct_b": b,
                    "n": n,
                    "marker": marker,
                    "marker_rule": rule,
                    "r_m": r_m,
                    "r_m_source": source,
                    "r_u": r_u,
                    "p_value_u": p_u,
                    "r_a": float(r_a),
                    "t_value": float(t_a),
                    "df": n - 3,
                    "p_value": float(p_a),
                    "significant_u": bool(p_u < alpha),
                    "significant_a": bool(p_a < alpha),
                    "note": note,
                }
            )
    cols = [
        "construct_a", "construct_b", "n", "marker", "marker_rule", "r_m", "r_m_source", "r_u",
        "p_value_u", "r_a", "t_value", "df", "p_value", "significant_u", "significant_a", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _marker_r(marker_r: pd.Series, rule: str) -> tuple[float, str, str]:
    """r_M by ``rule`` from the marker's correlations: (r_M, the construct it came from, a note)."""
    positive = marker_r[marker_r > 0].sort_values()
    k = 0 if rule == "smallest" else 1
    if len(positive) > k:
        r_m, source, note = float(positive.iloc[k]), str(positive.index[k]), ""
    else:
        r_m, source = 0.0, ""
        note = "no positive marker correlation" if rule == "smallest" else "fewer than two positive marker correlations"
        note += "; r_M set to 0 (no correction)"
    return r_m, source, note


def _marker_scores(scores: pd.DataFrame, marker: str, substantive: Sequence[str] | None, rule: str,
                   what: str) -> tuple[list[str], pd.DataFrame]:
    """The substantive constructs and the complete cases of their scores and the marker's (at least 5)."""
    if rule not in ("smallest", "second_smallest"):
        raise ValueError(f"rule must be 'smallest' or 'second_smallest', got {rule!r}")
    if marker not in scores.columns:
        raise DataError(f"{what}: no marker column '{marker}'")
    subs = [c for c in (substantive or scores.columns) if c != marker]
    s = scores[[*subs, marker]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(s) < 5:
        raise DataError(f"{what}: fewer than 5 complete cases")
    return subs, s


MARKER_CORRELATION_COLUMNS = ["construct", "marker", "n", "r", "p_value", "positive", "rank_positive", "chosen", "marker_rule"]


def marker_correlations(
    scores: pd.DataFrame,
    *,
    marker: str,
    substantive: Sequence[str] | None = None,
    rule: str = "smallest",
) -> pd.DataFrame:
    """Every correlation of the marker with the substantive constructs, and which one is r_M.

    Lindell & Whitney (2001) take r_M as the smallest positive marker correlation (or, more
    conservatively, the second smallest); a reader can only judge that choice when all of
    them are shown, so this table lists each one with its test.

    Parameters
    ----------
    scores : DataFrame
        Construct scores with the marker column; rows with a missing value dropped.
    marker : str
    substantive : sequence of str, optional
        Default: every other column.
    rule : {"smallest", "second_smallest"}

    Returns
    -------
    DataFrame
        :data:`MARKER_CORRELATION_COLUMNS`: ``r`` and its two-sided p (t on n - 2 df),
        ``positive``, ``rank_positive`` (1 = smallest positive, NaN for r <= 0),
        ``chosen`` (True for the correlation that became r_M; none when no positive one
        qualifies, and r_M = 0 then).
    """
    subs, s = _marker_scores(scores, marker, substantive, rule, "marker correlations")
    n = len(s)
    r = s.corr()[marker].loc[subs]
    positive = r[r > 0].sort_values()
    rank = {c: k + 1 for k, c in enumerate(positive.index)}
    k = 1 if rule == "smallest" else 2
    rows = []
    for c in subs:
        rc = float(r[c])
        t = rc * math.sqrt((n - 2) / (1 - rc**2)) if abs(rc) < 1 else np.inf
        rows.append(
            {
                "construct": c,
                "marker": marker,
                "n": n,
                "r": rc,
                "p_value": float(2 * stats.t.sf(abs(t), n - 2)),
                "positive": bool(rc > 0),
                "rank_positive": float(rank[c]) if c in rank else np.nan,
                "chosen": bool(rank.get(c) == k),
                "marker_rule": rule,
            }
        )
    return pd.DataFrame(rows, columns=MARKER_CORRELATION_COLUMNS)


def marker_corrected_paths(
    scores: pd.DataFrame,
    spec,
    *,
    r_m: float,
    uncorrected: Sequence[str] = (),
) -> pd.DataFrame:
    """Structural paths re-estimated on the marker-corrected correlation matrix.

    The Lindell-Whitney correction :math:`r_A = (r_U - r_M)/(1 - r_M)` is applied to every
    correlation between two survey-measured constructs; correlations involving a variable in
    ``uncorrected`` (interaction terms, whose product scores do not carry the method
    component additively, and variables from another source such as archival controls) are
    kept. Each endogenous construct's paths are then the standardised OLS coefficients on
    that matrix, :math:`\\beta = R_{xx}^{-1} r_{xy}`, rescaled by :math:`s_y/s_x` to the
    scores' own scale (the two-stage product term is not standardised), exactly as the PLS
    inner model regresses the scores; with r_M = 0 they equal the PLS path coefficients
    (tests/test_bias.py checks that).

    Parameters
    ----------
    scores : DataFrame
        Construct scores of every construct and interaction term of ``spec``
        (``PLSResult.scores``); rows with a missing value dropped.
    spec : ModelSpec
    r_m : float
        The marker correlation removed (from :func:`marker_correction`).
    uncorrected : sequence of str
        Columns whose correlations are left as they are.

    Returns
    -------
    DataFrame
        ``source, target, estimate, corrected_estimate, difference, r_m, n``; ``difference``
        = corrected - uncorrected. NaN when the corrected predictor matrix is not positive
        definite (the correction can make it so when r_M is large).
    """
    names = [c for c in spec.construct_names if c in scores.columns]
    s = scores[names].apply(pd.to_numeric, errors="coerce").dropna()
    if len(s) < 5:
        raise DataError("marker-corrected paths: fewer than 5 complete cases")
    r_u = s.corr()
    sd = s.std(ddof=1)  # scores are standardised, but a two-stage product term is not
    keep = set(uncorrected)
    r_a = r_u.copy()
    for a in names:
        for b in names:
            if a != b and a not in keep and b not in keep:
                r_a.loc[a, b] = (r_u.loc[a, b] - r_m) / (1.0 - r_m)
    rows = []
    for target in spec.endogenous:
        preds = [p for p in spec.predecessors(target) if p in names]
        if not preds or target not in names:
            continue
        est = {}
        for key, r in (("estimate", r_u), ("corrected_estimate", r_a)):
            rxx = r.loc[preds, preds].to_numpy(dtype=float)
            rxy = r.loc[preds, target].to_numpy(dtype=float)
            if np.linalg.eigvalsh(rxx).min() <= 1e-10:
                est[key] = np.full(len(preds), np.nan)
            else:
                est[key] = np.linalg.solve(rxx, rxy) * sd[target] / sd[preds].to_numpy(dtype=float)
        for k, p in enumerate(preds):
            rows.append(
                {
                    "source": p,
                    "target": target,
                    "estimate": float(est["estimate"][k]),
                    "corrected_estimate": float(est["corrected_estimate"][k]),
                    "difference": float(est["corrected_estimate"][k] - est["estimate"][k]),
                    "r_m": float(r_m),
                    "n": len(s),
                }
            )
    return pd.DataFrame(rows, columns=["source", "target", "estimate", "corrected_estimate", "difference", "r_m", "n"])
