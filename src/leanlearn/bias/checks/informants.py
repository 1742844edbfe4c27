"""Key-informant quality: knowledge, involvement, position and tenure of respondents (docs/methods.md 1.10)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


# =================================================================================================
# Key informants
# =================================================================================================
def key_informant_summary(
    data: pd.DataFrame,
    *,
    role: str | None = "ki_role",
    tenure: str | None = "ki_tenure_years",
    knowledge: str | None = "ki_knowledge",
    role_labels: Mapping | None = None,
    knowledge_midpoint: float = 4.0,
) -> pd.DataFrame:
    """Profile of the key informants: role distribution, tenure and self-rated knowledge.

    Parameters
    ----------
    data : DataFrame
    role, tenure, knowledge : str or None
        Columns (None or absent: the part is skipped).
    role_labels : mapping, optional
        Code -> label of the role question (the codebook's labels).
    knowledge_midpoint : float
        Scale midpoint of the knowledge item (4 on a 1-7 scale). Informants below it
        are flagged by Kumar, Stern & Anderson (1993).

    Returns
    -------
    DataFrame
        Long form ``variable, statistic, level, value``:

        * role: ``count`` and ``share`` per ``level`` (label, or the code when unlabelled;
          "missing" for no answer; shares are of all rows);
        * tenure: ``n, mean, sd, median, min, max``;
        * knowledge: ``n, mean, sd, median, min, max, midpoint, n_below_midpoint,
          share_below_midpoint`` (share of non-missing answers strictly below the
          midpoint).
    """
    rows: list[dict] = []
    n = len(data)
    if role and role in data.columns:
        labels = {_code_key(k): str(v) for k, v in (role_labels or {}).items()}
        r = data[role]
        keys = r.map(lambda v: _code_key(v) if pd.notna(v) else None)
        counts = keys.value_counts(dropna=True)
        order = [k for k in labels if k in counts.index] + sorted(k for k in counts.index if k not in labels)
        for k in order:
            label = labels.get(k, k)
            rows.append({"variable": "role", "statistic": "count", "level": label, "value": float(counts[k])})
            rows.append({"variable": "role", "statistic": "share", "level": label, "value": counts[k] / n})
        n_miss = int(keys.isna().sum())
        if n_miss:
            rows.append({"variable": "role", "statistic": "count", "level": "missing", "value": float(n_miss)})
            rows.append({"variable": "role", "statistic": "share", "level": "missing", "value": n_miss / n})
    for name, col in (("tenure_years", tenure), ("knowledge", knowledge)):
        if not col or col not in data.columns:
            continue
        v = pd.to_numeric(data[col], errors="coerce").dropna()
        summary = {
            "n": float(v.size),
            "mean": float(v.mean()) if v.size else np.nan,
            "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
            "median": float(v.median()) if v.size else np.nan,
            "min": float(v.min()) if v.size else np.nan,
            "max": float(v.max()) if v.size else np.nan,
        }
        if name == "knowledge":
            below = int((v < knowledge_midpoint).sum())
            summary.update(
                midpoint=float(knowledge_midpoint),
                n_below_midpoint=float(below),
                share_below_midpoint=below / v.size if v.size else np.nan,
            )
        for stat, value in summary.items():
            rows.append({"variable": name, "statistic": stat, "level": "", "value": value})
    return pd.DataFrame(rows, columns=["variable", "statistic", "level", "value"])


def _code_key(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else str(f)
