"""Hypotheses declared in config, tested on one bootstrap of the study's model.

Each hypothesis names a quantity θ and the direction it predicts. Its verdict follows one
documented rule (docs/inference.md), applied to the bootstrap draws of θ (the same draws as
every other result) with the interval type set in config (``inference.interval``:
percentile or BCa) at the bootstrap level 1 − α (``bootstrap.ci_level``):

- the **test interval** is the two-sided 1 − α interval; the bootstrap p-value is the one
  that matches it (p < α exactly when the interval excludes zero; computed by
  ``BootstrapResult.derived_test``, see :func:`leanlearn.pls.bootstrap.bootstrap_p_value`);
- the **equivalence test** (two one-sided tests, TOST; Lakens 2017; Lakens, Scheel & Isager
  2018) needs a smallest effect size of interest Δ declared a priori (``sesoi`` per
  hypothesis or ``inference.sesoi``): θ is *equivalent to zero* when the 1 − 2α interval
  lies inside (−Δ, Δ), i.e. when both one-sided tests reject at α (TOST p < α).

=============  =================================  ===========================  ==============
direction      supported / equivalent              not supported /              inconclusive
                                                   not equivalent
=============  =================================  ===========================  ==============
positive       interval above zero                 interval below zero, or      otherwise
                                                   equivalent to zero
negative       interval below zero                 interval above zero, or      otherwise
                                                   equivalent to zero
nonzero        interval excludes zero              equivalent to zero           otherwise
none           *equivalent*: equivalent to zero    *not equivalent*: interval   otherwise, and
                                                   excludes zero (and not       always without
                                                   equivalent)                  a SESOI
=============  =================================  ===========================  ==============

A hypothesis of no effect is never accepted because an interval includes zero: without a
declared SESOI its verdict is *inconclusive*. A result is flagged ``fragile`` when a bound of
the test interval lies within ``inference.fragile_margin`` of zero: a small change of the
data or the seed could change the verdict.

Tests (the ``test`` key):

- ``path``: a structural path (``source``, ``target``).
- ``interaction``: the path of an interaction term (``interaction: X:W``, ``target``).
- ``indirect``: a specific indirect effect (``path: [X, M, Y]``). When a link of the chain is
  moderated (an interaction with a construct outside the chain), "the" indirect effect does
  not exist: it is reported as the *conditional* indirect effect with every moderator held at
  ``at`` (SD units; a number, or a mapping moderator -> value) or, by default,
  ``inference.moderator_value`` (0 = the moderator's mean), and the label says so
  (Hayes 2015; 2018, ch. 11).
- ``indirect_difference``: the difference of two indirect effects (``path`` minus ``versus``),
  both conditional as above in a moderated model.
- ``moderated_mediation``: the index of moderated mediation of a chain (``path``,
  ``moderator``); the chain must have exactly one moderated link.
- ``conditional_indirect``: the indirect effect of a chain at a moderator value (``path``,
  ``moderator``, ``at`` in SD units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leanlearn.effects import conditional as cond
from leanlearn.effects.mediation import chain_index
from leanlearn.errors import SpecError
from leanlearn.format import ci, num, pval

__all__ = [
    "Hypothesis",
    "InferenceRules",
    "load_hypotheses",
    "load_inference",
    "evaluate_hypotheses",
    "hypothesis_draws",
    "verdict_rule",
    "rule_text",
    "TESTS",
    "DIRECTIONS",
    "INTERVALS",
    "VERDICTS",
    "COLUMNS",
    "MI_COLUMNS",
]

TESTS = ("path", "interaction", "indirect", "indirect_difference", "moderated_mediation", "conditional_indirect")
DIRECTIONS = ("positive", "negative", "nonzero", "none")
INTERVALS = ("percentile", "bca")
VERDICTS = ("supported", "not supported", "inconclusive", "equivalent", "not equivalent")
_REQUIRED = {
    "path": ("source", "target"),
    "interaction": ("interaction", "target"),
    "indirect": ("path",),
    "indirect_difference": ("path", "versus"),
    "moderated_mediation": ("path", "moderator"),
    "conditional_indirect": ("path", "moderator", "at"),
}
COLUMNS = [
    "hypothesis", "statement", "test", "direction", "quantity", "conditional_on", "estimate", "std_error",
    "interval", "ci_lower", "ci_upper", "ci_level", "p_value",
    "percentile_lower", "percentile_upper", "percentile_p_value", "bca_lower", "bca_upper", "bca_p_value",
    "n_resamples", "p_value_resolution", "sesoi", "tost_lower", "tost_upper", "tost_level", "tost_p_value", "equivalent",
    "fragile", "verdict", "explanation",
]  # fmt: skip
MI_COLUMNS = ["n_imputations", "fmi", "lambda", "rubin_lower", "rubin_upper"]
"""Columns after :data:`COLUMNS` when the bootstrap is pooled over imputations (:class:`leanlearn.data.imputation.PooledBootstrap`)."""


@dataclass(frozen=True)
class InferenceRules:
    """The inferential rule of the verdicts (config section ``inference``; docs/inference.md).

    Attributes
    ----------
    interval : "percentile" or "bca"
        The interval (and matching bootstrap p) the verdicts follow.
    sesoi : float or None
        Default smallest effect size of interest Δ (in the units of the quantity, i.e.
        standardised coefficients) for hypotheses without their own ``sesoi``; None = none.
    fragile_margin : float
        A verdict is flagged fragile when a bound of its test interval is within this
        distance of zero.
    moderator_value : float
        Moderator value (SD units) at which "the" indirect effect of a moderated chain is
        reported (0 = the mean).
    fragile_agreement : float
        A verdict is also flagged fragile when the share of multiverse variants reaching it
        is below this value (1 = every variant must agree; read by the multiverse step,
        :func:`leanlearn.robustness.multiverse.stability`).
    """

    interval: str = "percentile"
    sesoi: float | None = None
    fragile_margin: float = 0.01
    moderator_value: float = 0.0
    fragile_agreement: float = 1.0


def _number(v, where: str, *, positive: bool = False, allow_none: bool = False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)) or (positive and float(v) <= 0):
        need = "a positive number" + (" or null" if allow_none else "") if positive else "a number"
        raise SpecError(f"{where}: expected {need}")
    return float(v)


def load_inference(section) -> InferenceRules:
    """Validate the ``inference`` section of config.yaml (absent = the defaults).

    Keys: ``interval`` (percentile | bca), ``sesoi`` (positive number or null),
    ``fragile_margin`` (non-negative number), ``moderator_value`` (number, SD units),
    ``fragile_agreement`` (number in (0, 1]).
    """
    known = ("interval", "sesoi", "fragile_margin", "moderator_value", "fragile_agreement")
    if section is None:
        return InferenceRules()
    if not isinstance(section, dict):
        raise SpecError(f"inference: expected a mapping with {', '.join(known)}")
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise SpecError(f"inference: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(known)})")
    interval = section.get("interval", "percentile")
    if interval not in INTERVALS:
        raise SpecError(f"inference.interval: must be one of {', '.join(INTERVALS)}, not {interval!r}")
    margin = _number(section.get("fragile_margin", 0.01), "inference.fragile_margin")
    if margin < 0:
        raise SpecError("inference.fragile_margin: expected a non-negative number")
    agreement = _number(section.get("fragile_agreement", 1.0), "inference.fragile_agreement")
    if not 0 < agreement <= 1:
        raise SpecError(f"inference.fragile_agreement: expected a share in (0, 1] (1 = every multiverse variant must agree), got {agreement:g}")
    return InferenceRules(
        fragile_agreement=agreement,
        interval=interval,
        sesoi=_number(section.get("sesoi"), "inference.sesoi", positive=True, allow_none=True),
        fragile_margin=margin,
        moderator_value=_number(section.get("moderator_value", 0.0), "inference.moderator_value"),
    )


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis from config (see the module docstring for the keys)."""

    id: str
    statement: str
    test: str
    direction: str
    params: dict = field(default_factory=dict, hash=False)


def load_hypotheses(entries) -> list[Hypothesis]:
    """Validate the ``hypotheses`` list of config.yaml.

    Raises
    ------
    SpecError
        Naming the entry (``hypotheses[2] (H3)``) and the key that is wrong.
    """
    if not isinstance(entries, list) or not entries:
        raise SpecError("hypotheses: expected a non-empty list of hypotheses")
    out, seen = [], set()
    for i, e in enumerate(entries):
        where = f"hypotheses[{i}]"
        if not isinstance(e, dict):
            raise SpecError(f"{where}: expected a mapping with id, statement, test, direction")
        hid = str(e.get("id", "")).strip()
        if not hid:
            raise SpecError(f"{where}: missing 'id'")
        where = f"{where} ({hid})"
        if hid in seen:
            raise SpecError(f"{where}: id used twice")
        seen.add(hid)
        test = e.get("test")
        if test not in TESTS:
            raise SpecError(f"{where}: test must be one of {', '.join(TESTS)}, not {test!r}")
        direction = e.get("direction", "positive")
        if direction not in DIRECTIONS:
            raise SpecError(f"{where}: direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        for key in _REQUIRED[test]:
            if key not in e:
                raise SpecError(f"{where}: test '{test}' needs the key '{key}'")
        for key in ("path", "versus"):
            if key in e and (not isinstance(e[key], list) or len(e[key]) < 3):
                raise SpecError(f"{where}: '{key}' must list a chain of at least three constructs, e.g. [LP, LS, OP]")
        if "sesoi" in e:
            _number(e["sesoi"], f"{where}: sesoi", positive=True, allow_none=True)
        if "at" in e:
            at = e["at"]
            if test == "conditional_indirect" or not isinstance(at, dict):
                _number(at, f"{where}: at (moderator value in SD units)")
            else:
                for k, v in at.items():
                    _number(v, f"{where}: at.{k} (moderator value in SD units)")
        params = {k: v for k, v in e.items() if k not in ("id", "statement", "test", "direction")}
        out.append(Hypothesis(hid, str(e.get("statement", "")).strip(), test, direction, params))
    return out


def _moderator_values(h: Hypothesis, rules: InferenceRules, moderators) -> dict[str, float]:
    """Moderator -> value (SD units) for a conditional indirect effect: the hypothesis' ``at``
    (one number for every moderator, or a mapping), else ``inference.moderator_value``."""
    at = h.params.get("at")
    out = {}
    for m in moderators:
        if isinstance(at, dict):
            out[m] = float(at.get(m, rules.moderator_value))
        else:
            out[m] = float(at) if at is not None else float(rules.moderator_value)
    return out


def _quantity(boot, h: Hypothesis, rules: InferenceRules | None = None):
    """(label, function of the path matrices) of a hypothesis' quantity (conditional at the
    stated moderator values in a moderated model; see :func:`_quantity_conditions`)."""
    label, _, func = _quantity_conditions(boot, h, rules)
    return label, func


def _quantity_conditions(boot, h: Hypothesis, rules: InferenceRules | None = None):
    """(label, conditions text, function of the path matrices) of a hypothesis' quantity."""
    rules = rules or InferenceRules()
    res = boot.result
    names = list(res.constructs)
    p = h.params
    where = f"hypothesis {h.id}"

    def idx(name):
        if name not in names:
            raise SpecError(f"{where}: '{name}' is not a construct of the model ({', '.join(names)})")
        return names.index(name)

    def chain_of(key):
        try:
            return chain_index(res, list(p[key]))
        except KeyError as exc:
            raise SpecError(f"{where}: {exc.args[0]}") from exc

    A = res.plan.final.adjacency
    if h.test in ("path", "interaction"):
        s = idx(p["source"] if h.test == "path" else p["interaction"])
        t = idx(p["target"])
        if not A[s, t]:
            raise SpecError(f"{where}: the model has no path {names[s]} -> {names[t]}")
        conds = ""
        if h.test == "path":
            others = [it.moderator if it.k_focal == s else it.focal for it in cond.interactions(res) if it.k_target == t and s in (it.k_focal, it.k_moderator)]
            conds = "; ".join(cond.at_text(m, 0.0) for m in others)
        return f"{names[s]} -> {names[t]}", conds, lambda P: P[..., s, t][..., None]
    chain = chain_of("path")
    label = chain.label(names)
    if h.test in ("indirect", "indirect_difference"):
        chains = [chain] + ([chain_of("versus")] if h.test == "indirect_difference" else [])
        mods = [mc.moderator for c in chains for mc in cond.chain_moderators(res, c)]
        values = _moderator_values(h, rules, mods)
        f1, c1 = cond.conditional_chain(res, chain, values)
        text1 = "; ".join(cond.at_text(m, w) for m, w in c1)
        if h.test == "indirect":
            return (f"{label} at {text1}" if text1 else label), text1, f1
        other = chains[1]
        f2, c2 = cond.conditional_chain(res, other, values)
        text2 = "; ".join(cond.at_text(m, w) for m, w in c2)
        la = f"{label} at {text1}" if text1 else label
        lb = f"{other.label(names)} at {text2}" if text2 else other.label(names)
        both = "; ".join(dict.fromkeys([t for t in (text1, text2) if t]))
        return f"({la}) minus ({lb})", both, lambda P: f1(P) - f2(P)
    matches = [mc for mc in cond.moderated_chains(res) if mc.chain.nodes == chain.nodes and mc.moderator == p["moderator"]]
    if not matches:
        raise SpecError(f"{where}: no link of {label} is moderated by {p['moderator']} in the model")
    mc = matches[0]
    if h.test == "moderated_mediation":
        if mc.n_moderated != 1:
            raise SpecError(f"{where}: {label} has {mc.n_moderated} moderated links; the index of moderated mediation needs exactly one (use conditional_indirect tests instead)")

        def index(P):
            out = np.ones(np.asarray(P).shape[:-2])
            for a, b, i in mc.links:
                out = out * (P[..., i, b] if i is not None else P[..., a, b])
            return out[..., None]

        return f"index of moderated mediation of {label} by {mc.moderator}", "", index
    w = float(p["at"])
    return f"{label} at {mc.moderator} = {w:+g} SD", cond.at_text(mc.moderator, w), lambda P: cond._omega(mc, np.array([w]))(P)


def verdict_rule(direction: str, lo: float, hi: float, equivalent: bool | None = None) -> tuple[str, str]:
    """Verdict and its reason from the test interval [lo, hi] and the equivalence result.

    ``equivalent`` is True/False from the TOST (the 1 − 2α interval inside ±SESOI) or None
    when no SESOI is declared. Returns (verdict, reason in plain words); see the table in the
    module docstring. Pure, so power replications can apply the same rule to their intervals.
    """
    above, below = lo > 0, hi < 0
    eq = bool(equivalent) if equivalent is not None else False
    no_sesoi = "no smallest effect size of interest (SESOI) is declared, so equivalence to zero cannot be tested"
    not_eq = "the equivalence interval is not inside ±SESOI"
    if direction in ("positive", "negative"):
        right, wrong = (above, below) if direction == "positive" else (below, above)
        side = "above" if direction == "positive" else "below"
        if right:
            small = " (but the equivalence test puts it within ±SESOI: smaller than the smallest effect of interest)" if eq else ""
            return "supported", f"the interval lies {side} zero{small}"
        if wrong:
            return "not supported", f"the interval lies {'below' if direction == 'positive' else 'above'} zero, opposite to the prediction"
        if eq:
            return "not supported", "the interval includes zero and the equivalence test shows the effect is within ±SESOI (equivalent to zero)"
        return "inconclusive", f"the interval includes zero and {no_sesoi if equivalent is None else not_eq}: neither an effect nor its absence is shown"
    if direction == "nonzero":
        if above or below:
            return "supported", "the interval excludes zero"
        if eq:
            return "not supported", "the interval includes zero and the equivalence test shows the effect is within ±SESOI (equivalent to zero)"
        return "inconclusive", f"the interval includes zero and {no_sesoi if equivalent is None else not_eq}: neither an effect nor its absence is shown"
    if direction != "none":
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if eq:
        extra = " (it also excludes zero: a statistically detectable but negligible effect)" if (above or below) else ""
        return "equivalent", f"the equivalence interval lies inside ±SESOI{extra}"
    if above or below:
        return "not equivalent", "the interval excludes zero: an effect is shown"
    if equivalent is None:
        return "inconclusive", f"the interval includes zero, but {no_sesoi}; an interval that includes zero is absence of evidence, not evidence of absence"
    return "inconclusive", f"the interval includes zero, but {not_eq}: absence of the effect is not shown"


def rule_text(interval: str, level: float, sesoi_values=()) -> str:
    """One sentence stating the verdict rule (for table notes, the summary and the paper)."""
    alpha = 1 - float(level)
    kind = "BCa" if interval == "bca" else "percentile"
    s = sorted({float(v) for v in sesoi_values if v is not None and not pd.isna(v)})
    sesoi = (
        "SESOI " + ", ".join(f"±{v:g}" for v in s) + " declared a priori in config"
        if s
        else "no SESOI declared, so no hypothesis of no effect can be shown"
    )
    return (
        f"Verdicts follow the two-sided {round(100 * (1 - alpha))}% bootstrap {kind} interval and its matching bootstrap p "
        f"(p < {alpha:g} exactly when the interval excludes zero): a directional hypothesis is supported when the interval lies on the "
        f"predicted side of zero and not supported when it lies on the other side or the effect is equivalent to zero; equivalence to zero "
        f"is tested with two one-sided tests (the {round(100 * (1 - 2 * alpha))}% interval inside ±SESOI; {sesoi}); anything else is "
        "inconclusive. A hypothesis of no effect is equivalent, not equivalent (the interval excludes zero) or inconclusive, never "
        "supported by a non-significant result."
    )


def hypothesis_draws(boot, hypotheses: list[Hypothesis], rules: InferenceRules | None = None) -> pd.DataFrame:
    """The bootstrap draws of every hypothesis quantity (the draws behind its interval).

    Returns
    -------
    DataFrame with column ``resample`` (1 .. number of valid resamples, in resample order) and one
    column per hypothesis id holding that quantity in each valid resample. Failed resamples
    are not in it (they are counted in ``bootstrap_status.csv``). The percentiles of a
    column reproduce the hypothesis' percentile interval.
    """
    cols = {"resample": np.arange(1, boot.n_valid + 1)}
    for h in hypotheses:
        _, func = _quantity(boot, h, rules)
        cols[h.id] = np.asarray(boot.derived_draws(func)[1])[:, 0]
    return pd.DataFrame(cols)


def _sesoi(h: Hypothesis, rules: InferenceRules) -> float | None:
    if "sesoi" in h.params:
        v = h.params["sesoi"]
        return None if v is None else float(v)
    return rules.sesoi


def evaluate_hypotheses(boot, hypotheses: list[Hypothesis], *, interval: str | None = None, rules: InferenceRules | None = None) -> pd.DataFrame:
    """Test every hypothesis on the bootstrap with the rule of :class:`InferenceRules`.

    ``interval`` ("percentile" or "bca") overrides ``rules.interval`` (the multiverse uses it).

    Returns
    -------
    DataFrame with the columns of :data:`COLUMNS`: hypothesis, statement, test, direction,
    quantity (with the moderator values a conditional quantity is evaluated at),
    conditional_on ("DIG = mean"; empty when unconditional), estimate, std_error (SD of the
    draws), interval (the type the verdict follows), ci_lower, ci_upper, ci_level, p_value
    (that interval and its matching bootstrap p), percentile_lower, percentile_upper,
    percentile_p_value, bca_lower, bca_upper, bca_p_value (both interval types),
    n_resamples (B valid draws), p_value_resolution (1/B), sesoi (Δ; NaN = none declared),
    tost_lower, tost_upper, tost_level (the 1 − 2α interval of the same type), tost_p_value
    (max of the two one-sided p-values; equivalent exactly when < α), equivalent (True/False;
    NaN without a SESOI), fragile, verdict (one of :data:`VERDICTS`) and explanation (the
    verdict in plain words).

    With a bootstrap pooled over M imputations (:class:`leanlearn.data.imputation.PooledBootstrap`,
    ``pipeline missing.treatment: multiple``) the same rule applies to the pooled draws: the
    estimate is Rubin's pooled estimate (the mean of the imputations' estimates), the
    interval, p-value and TOST come from all M × B draws together (Schomaker & Heumann
    2018), and the columns of :data:`MI_COLUMNS` follow: n_imputations, fmi (Rubin's
    fraction of missing information of the quantity, from the per-imputation estimates and
    bootstrap variances), lambda (share of the total variance due to missing data),
    rubin_lower, rubin_upper (Rubin's t interval, for comparison; the verdict does not use
    it). BCa intervals are not defined for pooled draws of M > 1 imputations (NaN; an
    ``interval`` of "bca" is refused).
    """
    rules = rules or InferenceRules()
    interval = interval or rules.interval
    if interval not in INTERVALS:
        raise ValueError(f"interval must be 'percentile' or 'bca', not {interval!r}")
    pooled = hasattr(boot, "pool_quantity")
    if pooled and interval == "bca" and not boot.bca_available:
        raise SpecError(
            f"inference.interval: bca is not defined for bootstrap draws pooled over {boot.n_imputations} imputations "
            "(BCa needs the jackknife of one data set); use interval: percentile with multiple imputation"
        )
    level = float(boot.ci_level)
    rows = [_hypothesis_row(boot, h, rules, interval, level, pooled) for h in hypotheses]
    return pd.DataFrame(rows, columns=COLUMNS + (MI_COLUMNS if pooled else []))


def _hypothesis_row(boot, h: Hypothesis, rules: InferenceRules, interval: str, level: float, pooled: bool) -> dict:
    """The row of one hypothesis: both interval types, the TOST, the verdict and its explanation."""
    alpha = 1 - level
    label, conds, func = _quantity_conditions(boot, h, rules)
    pt = boot.derived_test(func, method="percentile", level=level)
    bt = boot.derived_test(func, method="bca", level=level)
    est, se, n_draws = pt["estimate"], pt["std_error"], pt["n"]
    plo, phi, pp = pt["lower"], pt["upper"], pt["p_value"]
    blo, bhi, bp = bt["lower"], bt["upper"], bt["p_value"]
    lo, hi, p = (blo, bhi, bp) if interval == "bca" else (plo, phi, pp)
    delta = _sesoi(h, rules)
    tlo, thi, tp, equivalent = _tost(boot, func, interval, alpha, delta)
    verdict, why = verdict_rule(h.direction, lo, hi, equivalent)
    m = rules.fragile_margin
    near = [b for b, v in (("lower", lo), ("upper", hi)) if abs(v) <= m]
    fragile = bool(near)
    mi_cols, mi_note = _pooled_columns(boot, func, n_draws) if pooled else ({}, "")
    row = {
        "hypothesis": h.id,
        "statement": h.statement,
        "test": h.test,
        "direction": h.direction,
        "quantity": label,
        "conditional_on": conds,
        "estimate": est,
        "std_error": se,
        "interval": interval,
        "ci_lower": lo,
        "ci_upper": hi,
        "ci_level": level,
        "p_value": p,
        "percentile_lower": plo,
        "percentile_upper": phi,
        "percentile_p_value": pp,
        "bca_lower": blo,
        "bca_upper": bhi,
        "bca_p_value": bp,
        "n_resamples": n_draws,
        "p_value_resolution": 1.0 / n_draws,
        "sesoi": np.nan if delta is None else delta,
        "tost_lower": tlo,
        "tost_upper": thi,
        "tost_level": 1 - 2 * alpha,
        "tost_p_value": tp,
        "equivalent": np.nan if equivalent is None else equivalent,
        "fragile": fragile,
        "verdict": verdict,
        **mi_cols,
    }
    row["explanation"] = _explanation(h, row, delta, why, near, m, mi_note)
    return row


def _tost(boot, func, interval: str, alpha: float, delta: float | None) -> tuple[float, float, float, bool | None]:
    """Equivalence test against ±``delta``: the 1 − 2α interval, the TOST p-value, equivalent?

    TOST: H0 θ ≤ −Δ and H0 θ ≥ Δ, each one-sided at α; both rejected exactly when the
    1 − 2α interval lies inside (−Δ, Δ). Without a SESOI: NaN and None.
    """
    if delta is None:
        return np.nan, np.nan, np.nan, None
    low = boot.derived_test(func, method=interval, level=1 - 2 * alpha, value=-delta)
    up = boot.derived_test(func, method=interval, level=1 - 2 * alpha, value=delta)
    tlo, thi = low["lower"], low["upper"]
    tp = float(max(low["p_below"], up["p_above"]))
    return tlo, thi, tp, bool(tlo > -delta and thi < delta)


def _pooled_columns(boot, func, n_draws: int) -> tuple[dict, str]:
    """The multiple-imputation columns of a pooled bootstrap (:data:`MI_COLUMNS`) and their note."""
    rb = boot.pool_quantity(func)
    M = boot.n_imputations
    mi_cols = {"n_imputations": M, "fmi": float(rb["fmi"][0]), "lambda": float(rb["lambda"][0]),
               "rubin_lower": float(rb["rubin_lower"][0]), "rubin_upper": float(rb["rubin_upper"][0])}  # fmt: skip
    mi_note = ""
    if M > 1:
        mi_note = (f" Pooled over {M} imputations: Rubin's estimate, the interval from the {n_draws} pooled bootstrap draws; "
                   f"fraction of missing information {num(mi_cols['fmi'])}.")  # fmt: skip
    return mi_cols, mi_note


def _explanation(h: Hypothesis, row: dict, delta: float | None, why: str, near: list[str], margin: float, mi_note: str) -> str:
    """The verdict of one hypothesis in plain words, from its row."""
    expected = {"positive": "a positive", "negative": "a negative", "nonzero": "a non-zero", "none": "no"}[h.direction]
    kind = " (BCa)" if row["interval"] == "bca" else ""
    tost = ""
    if delta is not None:
        tost = (f" Equivalence (TOST, SESOI ±{delta:g}): {ci(row['tost_lower'], row['tost_upper'], row['tost_level'])}{kind}, "
                f"{pval(row['tost_p_value'])}.")  # fmt: skip
    elif h.direction == "none":
        tost = " No SESOI is declared for it."
    conds = row["conditional_on"]
    cond_note = ""
    if conds and h.test in ("indirect", "indirect_difference"):
        cond_note = f" In this moderated model the indirect effect depends on the moderator, so it is evaluated at {conds}."
    elif conds and h.test == "path":
        cond_note = f" The path is part of an interaction, so it is the effect at {conds}."
    fragile_note = ""
    if near:
        fragile_note = f" Fragile: the {' and '.join(near)} bound{'s are' if len(near) > 1 else ' is'} within {margin:g} of zero."
    return (
        f"{h.id} predicts {expected} {h.test.replace('_', ' ')} ({row['quantity']}).{cond_note} Estimate {num(row['estimate'])}, "
        f"{ci(row['ci_lower'], row['ci_upper'], row['ci_level'])}{kind}, {pval(row['p_value'])}.{tost} "
        f"Verdict: {why}, so {h.id} is {row['verdict']}.{fragile_note}{mi_note}"
    )
