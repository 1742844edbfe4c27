"""Formatting the paper's numbers: keys, rounding, the study's words (:func:`study_words`).

Shared by :mod:`leanlearn.report.numbers` and :mod:`leanlearn.report.numbers_results`.
"""

from __future__ import annotations

import re
from typing import Mapping

import pandas as pd

from leanlearn.format import ci, num, pval


def _key(name) -> str:
    """A placeholder-safe key segment: ``LP:DIG`` -> ``LP_x_DIG``."""
    s = str(name).replace(":", "_x_")
    s = re.sub(r"\W+", "_", s).strip("_")
    return s if not s[:1].isdigit() else "n" + s


def _path_key(*names) -> str:
    return "_".join(_key(n) for n in names)


def _f(x, digits=3) -> str:
    return num(None if x is None or pd.isna(x) else float(x), digits)


def _i(x) -> str:
    return str(int(round(float(x))))


def _pct(x, digits=1) -> str:
    return num(100 * float(x), digits) + "%"


def _g(v) -> str:
    """A configured setting as configured (not a result, so not rounded)."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return str(v)


def _sd_key(v: float) -> str | None:
    return {-1.0: "low", 0.0: "mean", 1.0: "high"}.get(float(v))


def _estimate(prefix: str, out: dict, est, lo=None, hi=None, p=None, level=0.95) -> None:
    out[f"{prefix}.estimate"] = _f(est)
    if lo is not None and not pd.isna(lo):
        out[f"{prefix}.ci_lower"] = _f(lo)
        out[f"{prefix}.ci_upper"] = _f(hi)
        out[f"{prefix}.ci"] = ci(lo, hi, level)
    if p is not None and not pd.isna(p):
        out[f"{prefix}.p"] = pval(float(p))


def _verdict_summary(hyp: pd.DataFrame) -> str:
    """'7 of 9 hypotheses are supported; H4a and H6b are inconclusive': every verdict, with ids."""
    n = len(hyp)
    parts = []
    sup = hyp[hyp.verdict == "supported"]
    parts.append(f"{len(sup)} of {n} hypotheses {'is' if len(sup) == 1 else 'are'} supported")
    for v in ("not supported", "equivalent", "not equivalent", "inconclusive"):
        ids = hyp[hyp.verdict == v].hypothesis.astype(str).tolist()
        if ids:
            parts.append(f"{_and(ids)} {'is' if len(ids) == 1 else 'are'} {v}")
    return "; ".join(parts)


def _and(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


def _fit_numbers(out: dict, prefix: str, fit, *, chi2: bool = False) -> None:
    """CFI, TLI, RMSEA, SRMR (and chi² with df) of a fit table (columns index, value) as ``prefix.<index>``."""
    if fit is None or not {"index", "value"} <= set(fit.columns):
        return
    v = dict(zip(fit["index"], fit["value"]))
    for k in ("cfi", "tli", "rmsea", "srmr"):
        if k in v:
            out[f"{prefix}.{k}"] = _f(v[k])
    if chi2 and "chi2" in v:
        out[f"{prefix}.chi2"] = _f(v["chi2"], 2)
    if chi2 and "df" in v:
        out[f"{prefix}.df"] = _i(v["df"])


def study_words(codebook: Mapping | None) -> dict[str, str]:
    """The study's own words for generated texts: its unit and its construct labels.

    Parameters
    ----------
    codebook : mapping or None
        The codebook as read from YAML (``unit``, ``constructs.<C>.label``, ``study``).

    Returns
    -------
    dict
        ``unit.name`` ("respondent", "firm" ...), ``unit.plural``, ``unit.Name`` and
        ``unit.Plural`` (capitalised), ``label.<C>`` per construct (its name when it has no
        label), ``study.text`` when the codebook has a ``study`` sentence.
    """
    cb = dict(codebook or {})
    unit = cb.get("unit") or {}
    name = str(unit.get("name") or "respondent")
    plural = str(unit.get("plural") or (name + "s"))
    out = {"unit.name": name, "unit.plural": plural, "unit.Name": name[:1].upper() + name[1:],
           "unit.Plural": plural[:1].upper() + plural[1:]}
    for cname, entry in (cb.get("constructs") or {}).items():
        lab = entry.get("label") if isinstance(entry, Mapping) else None
        out[f"label.{_key(cname)}"] = str(lab or cname)
    if cb.get("study"):
        out["study.text"] = " ".join(str(cb["study"]).split())
    if cb.get("constructs"):
        items = [it for c in cb["constructs"].values() if isinstance(c, Mapping) for it in (c.get("items") or []) if isinstance(it, Mapping)]
        out["codebook.n_reverse"] = str(sum(1 for it in items if it.get("reverse") is True))
        out["codebook.n_attention"] = str(len(cb.get("attention_checks") or []))
    if cb.get("covariates"):
        out["codebook.covariates"] = ", ".join(str(k) for k in cb["covariates"])
    return out


def _label_of(words: Mapping[str, str], construct) -> str:
    return words.get(f"label.{_key(construct)}", str(construct))
