"""Hypotheses declared in config, tested on one bootstrap of the study's model.

Each hypothesis names a quantity and the direction it predicts; the verdict follows from
the bootstrap percentile interval of that quantity (the same draws as every other result):

=============  ======================================================
direction      supported when the interval ...
=============  ======================================================
positive       lies above zero
negative       lies below zero
nonzero        excludes zero
none           includes zero (a hypothesis of *no* effect; the verdict
               says that absence of evidence is not evidence of absence
               and points to a contrast test)
=============  ======================================================

Tests (the ``test`` key):

- ``path``: a structural path (``source``, ``target``).
- ``interaction``: the path of an interaction term (``interaction: X:W``, ``target``).
- ``indirect``: a specific indirect effect (``path: [X, M, Y]``).
- ``indirect_difference``: the difference of two indirect effects (``path`` minus ``versus``).
- ``moderated_mediation``: the index of moderated mediation of a chain (``path``,
  ``moderator``); the chain must have exactly one moderated link.
- ``conditional_indirect``: the indirect effect of a chain at a moderator value (``path``,
  ``moderator``, ``at`` in SD units).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leanlearn.effects import conditional as cond
from leanlearn.effects import algebra as fx
from leanlearn.errors import SpecError
from leanlearn.format import ci, num, pval
from leanlearn.effects.mediation import chain_index

__all__ = ["Hypothesis", "load_hypotheses", "evaluate_hypotheses", "hypothesis_draws", "TESTS", "DIRECTIONS"]

TESTS = ("path", "interaction", "indirect", "indirect_difference", "moderated_mediation", "conditional_indirect")
DIRECTIONS = ("positive", "negative", "nonzero", "none")
_REQUIRED = {
    "path": ("source", "target"),
    "interaction": ("interaction", "target"),
    "indirect": ("path",),
    "indirect_difference": ("path", "versus"),
    "moderated_mediation": ("path", "moderator"),
    "conditional_indirect": ("path", "moderator", "at"),
}


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
        params = {k: v for k, v in e.items() if k not in ("id", "statement", "test", "direction")}
        out.append(Hypothesis(hid, str(e.get("statement", "")).strip(), test, direction, params))
    return out


def _quantity(boot, h: Hypothesis):
    """(label, function of the path matrices) of a hypothesis' quantity."""
    res = boot.result
    names = list(res.constructs)
    p = h.params
    where = f"hypothesis {h.id}"

    def idx(name):
        if name not in names:
            raise SpecError(f"{where}: '{name}' is not a construct of the model ({', '.join(names)})")
        return names.index(name)

    A = res.plan.final.adjacency
    if h.test in ("path", "interaction"):
        s = idx(p["source"] if h.test == "path" else p["interaction"])
        t = idx(p["target"])
        if not A[s, t]:
            raise SpecError(f"{where}: the model has no path {names[s]} -> {names[t]}")
        return f"{names[s]} -> {names[t]}", lambda P: P[..., s, t][..., None]
    try:
        chain = chain_index(res, list(p["path"]))
    except KeyError as exc:
        raise SpecError(f"{where}: {exc.args[0]}") from exc
    label = chain.label(names)
    if h.test == "indirect":
        return label, lambda P: fx.chain_effects(P, [chain])
    if h.test == "indirect_difference":
        try:
            other = chain_index(res, list(p["versus"]))
        except KeyError as exc:
            raise SpecError(f"{where}: {exc.args[0]}") from exc
        return (
            f"({label}) minus ({other.label(names)})",
            lambda P: fx.chain_effects(P, [chain]) - fx.chain_effects(P, [other]),
        )
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

        return f"index of moderated mediation of {label} by {mc.moderator}", index
    w = float(p["at"])
    return f"{label} at {mc.moderator} = {w:+g} SD", lambda P: cond._omega(mc, np.array([w]))(P)


def _verdict(direction: str, lo: float, hi: float) -> tuple[str, str]:
    above, below = lo > 0, hi < 0
    if direction == "positive":
        ok = above
        why = "lies above zero" if above else ("lies below zero" if below else "includes zero")
    elif direction == "negative":
        ok = below
        why = "lies below zero" if below else ("lies above zero" if above else "includes zero")
    elif direction == "nonzero":
        ok = above or below
        why = "excludes zero" if ok else "includes zero"
    else:
        ok = not (above or below)
        why = (
            "includes zero (no evidence of an effect; this is not evidence of no effect, see the contrast tests)"
            if ok
            else "excludes zero"
        )
    return ("supported" if ok else "not supported"), why


def hypothesis_draws(boot, hypotheses: list[Hypothesis]) -> pd.DataFrame:
    """The bootstrap draws of every hypothesis quantity (the draws behind its interval).

    Returns
    -------
    DataFrame with column ``draw`` (1 .. number of valid resamples, in resample order) and one
    column per hypothesis id holding that quantity in each valid resample. Failed resamples
    are not in it (they are counted in ``bootstrap_status.csv``). The percentiles of a
    column reproduce the hypothesis' percentile interval.
    """
    cols = {"draw": np.arange(1, boot.n_valid + 1)}
    for h in hypotheses:
        _, func = _quantity(boot, h)
        cols[h.id] = np.asarray(boot.derived_draws(func)[1])[:, 0]
    return pd.DataFrame(cols)


def evaluate_hypotheses(boot, hypotheses: list[Hypothesis], *, interval: str = "percentile") -> pd.DataFrame:
    """Test every hypothesis on the bootstrap.

    ``interval`` is "percentile" (default) or "bca"; the verdict follows that interval.

    Returns
    -------
    DataFrame with columns hypothesis, statement, test, direction, quantity, estimate,
    std_error, ci_lower, ci_upper, ci_level, p_value, verdict ("supported" /
    "not supported") and explanation (the verdict in plain words).
    """
    rows = []
    for h in hypotheses:
        label, func = _quantity(boot, h)
        t = boot.derived(pd.DataFrame({"quantity": [label]}), func).iloc[0]
        if interval not in ("percentile", "bca"):
            raise ValueError(f"interval must be 'percentile' or 'bca', not {interval!r}")
        lo, hi = (t.bca_lower, t.bca_upper) if interval == "bca" else (t.ci_lower, t.ci_upper)
        verdict, why = _verdict(h.direction, lo, hi)
        expected = {"positive": "a positive", "negative": "a negative", "nonzero": "a non-zero", "none": "no"}[h.direction]
        explanation = (
            f"{h.id} predicts {expected} {h.test.replace('_', ' ')} ({label}). Estimate {num(t.estimate)}, "
            f"{ci(lo, hi, t.ci_level)}{' (BCa)' if interval == 'bca' else ''}, {pval(t.p_value)}: the interval {why}, so {h.id} is {verdict}."
        )
        rows.append(
            {
                "hypothesis": h.id,
                "statement": h.statement,
                "test": h.test,
                "direction": h.direction,
                "quantity": label,
                "estimate": t.estimate,
                "std_error": t.std_error,
                "ci_lower": lo,
                "ci_upper": hi,
                "ci_level": t.ci_level,
                "p_value": t.p_value,
                "verdict": verdict,
                "explanation": explanation,
            }
        )
    return pd.DataFrame(rows)
