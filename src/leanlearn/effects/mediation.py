"""Mediation analysis on a bootstrapped PLS model: specific indirect effects with their
direct effects, the Zhao–Lynch–Chen classification, and contrasts between indirect effects.

All intervals come from the same bootstrap draws as every other result
(:meth:`leanlearn.pls.bootstrap.BootstrapResult.derived`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leanlearn.effects import algebra as fx

__all__ = ["zhao_type", "mediation_table", "indirect_contrasts", "chain_index"]


def zhao_type(indirect_significant: bool, direct_significant: bool, sign_product: float) -> str:
    """Zhao, Lynch & Chen (2010) classification of a mediation result.

    =============  ===========  ==================  ==================
    a·b CI ∌ 0     c′ CI ∌ 0    sign(a·b·c′)        type
    =============  ===========  ==================  ==================
    yes            yes          +                   complementary
    yes            yes          −                   competitive
    yes            no           any                 indirect-only
    no             yes          any                 direct-only
    no             no           any                 no effect
    =============  ===========  ==================  ==================
    """
    if indirect_significant and direct_significant:
        return "complementary" if sign_product > 0 else "competitive"
    if indirect_significant:
        return "indirect-only"
    if direct_significant:
        return "direct-only"
    return "no effect"


def chain_index(result, nodes: list[str]) -> fx.Chain:
    """The chain X -> M ... -> Y of a fitted model given by construct names."""
    names = list(result.constructs)
    try:
        idx = tuple(names.index(n) for n in nodes)
    except ValueError as exc:
        raise KeyError(f"unknown construct in {' -> '.join(nodes)}") from exc
    A = result.plan.final.adjacency
    for a, b in zip(idx[:-1], idx[1:]):
        if not A[a, b]:
            raise KeyError(f"the model has no path {names[a]} -> {names[b]} (in {' -> '.join(nodes)})")
    return fx.Chain(idx)


def _significant(row) -> bool:
    return bool(row.ci_lower > 0 or row.ci_upper < 0)


def _main_chains(res, exclude) -> list:
    lay = res.plan.final
    names = list(res.constructs)
    main = np.array([not x for x in lay.is_interaction])
    skip = {names.index(e) for e in exclude if e in names}
    return [c for c in fx.chains(lay.adjacency & main[:, None] & main[None, :]) if c.source not in skip]


def _conditional(res, chain, moderator_value: float):
    """(function of the path matrices, conditions text) of a chain's indirect effect: conditional
    on its moderators at ``moderator_value`` SD in a moderated model, the plain product otherwise."""
    from leanlearn.effects import conditional as cond

    mods = [mc.moderator for mc in cond.chain_moderators(res, chain)]
    f, conds = cond.conditional_chain(res, chain, {m: float(moderator_value) for m in mods})
    return f, "; ".join(cond.at_text(m, w) for m, w in conds)


def mediation_table(boot, *, exclude=(), moderator_value: float = 0.0) -> pd.DataFrame:
    """Every specific indirect effect with its direct and total effect and its mediation type.

    Columns: path, source, target, conditional_on, indirect, indirect_ci_lower,
    indirect_ci_upper, indirect_p_value, direct, direct_ci_lower, direct_ci_upper, total,
    total_ci_lower, total_ci_upper, ci_level, type (Zhao et al. 2010), vaf (a·b / (a·b + c′),
    descriptive only, given for complementary and indirect-only mediation; Nitzl et al.
    2016), caveat.

    In a moderated model (a link of the chain carries an interaction with a construct outside
    the chain) there is no single indirect effect: the row gives the *conditional* indirect
    effect with the moderators at ``moderator_value`` SD (``conditional_on``, e.g.
    "DIG = mean"; Hayes 2015), the total effect is direct + that conditional indirect effect,
    and type and VAF hold at that moderator value only (``caveat`` says so). Chains through an
    interaction term are left out (see :mod:`leanlearn.effects.conditional`), and so are chains
    starting at a construct listed in ``exclude`` (e.g. control variables).
    """
    res = boot.result
    names = list(res.constructs)
    lay = res.plan.final
    ch = _main_chains(res, exclude)
    if not ch:
        return pd.DataFrame()
    labels = pd.DataFrame({"path": [c.label(names) for c in ch]})
    conds = [_conditional(res, c, moderator_value) for c in ch]
    funcs = [f for f, _ in conds]
    ind = boot.derived(labels, lambda P: np.concatenate([f(P) for f in funcs], axis=-1))
    pairs = [(c.source, c.target) for c in ch]
    direct = boot.derived(labels, lambda P: np.stack([P[..., s, t] for s, t in pairs], axis=-1))
    has = np.array([bool(lay.adjacency[s, t]) for s, t in pairs])
    others = [[o for o in ch if o.source == c.source and o.target == c.target] for c in ch]

    def total(P):
        # direct + every specific indirect effect of the same pair, each conditional as above
        outs = []
        for k, (s, t) in enumerate(pairs):
            v = P[..., s, t] * has[k]
            for o in others[k]:
                v = v + funcs[ch.index(o)](P)[..., 0]
            outs.append(v)
        return np.stack(outs, axis=-1)

    tot = boot.derived(labels, total)
    rows = []
    for c, (_, text), i, d, t in zip(ch, conds, ind.itertuples(), direct.itertuples(), tot.itertuples()):
        has_direct = bool(lay.adjacency[c.source, c.target])
        d_sig = has_direct and _significant(d)
        typ = zhao_type(_significant(i), d_sig, i.estimate * d.estimate)
        mediated = typ in ("complementary", "indirect-only")
        vaf = i.estimate / (i.estimate + d.estimate) if has_direct and mediated and (i.estimate + d.estimate) != 0 else np.nan
        caveat = (
            f"conditional indirect effect at {text}: the indirect effect varies with the moderator, so the type and VAF hold at this value only"
            if text
            else ""
        )
        rows.append(
            {
                "path": i.path,
                "source": names[c.source],
                "target": names[c.target],
                "conditional_on": text,
                "indirect": i.estimate,
                "indirect_ci_lower": i.ci_lower,
                "indirect_ci_upper": i.ci_upper,
                "indirect_p_value": i.p_value,
                "direct": d.estimate if has_direct else np.nan,
                "direct_ci_lower": d.ci_lower if has_direct else np.nan,
                "direct_ci_upper": d.ci_upper if has_direct else np.nan,
                "total": t.estimate,
                "total_ci_lower": t.ci_lower,
                "total_ci_upper": t.ci_upper,
                "ci_level": i.ci_level,
                "type": typ,
                "vaf": vaf,
                "caveat": caveat,
            }
        )
    return pd.DataFrame(rows)


def indirect_contrasts(boot, pairs: list[tuple[list[str], list[str]]] | None = None, *, exclude=(), moderator_value: float = 0.0) -> pd.DataFrame:
    """Differences between specific indirect effects, with bootstrap intervals.

    "Significant versus not significant" is not a test of a difference; the interval of
    the difference is (Rodríguez-Entrena et al. 2016). In a moderated model each indirect
    effect is the conditional one with its moderators at ``moderator_value`` SD (column
    ``conditional_on``).

    Parameters
    ----------
    boot : BootstrapResult
    pairs : list of (chain, chain), optional
        Chains given by construct names, e.g. ``(["LP", "LS", "OP"], ["DIG", "LS", "OP"])``.
        By default every pair of specific indirect effects with the same target (chains
        starting at a construct in ``exclude`` left out).

    Returns
    -------
    DataFrame with columns contrast ("A minus B"), path_a, path_b, conditional_on, estimate,
    std_error, ci_lower, ci_upper, ci_level, p_value, bca_lower, bca_upper, bca_p_value.
    """
    res = boot.result
    names = list(res.constructs)
    if pairs is None:
        ch = _main_chains(res, exclude)
        chain_pairs = [(a, b) for i, a in enumerate(ch) for b in ch[i + 1:] if a.target == b.target]
    else:
        chain_pairs = [(chain_index(res, a), chain_index(res, b)) for a, b in pairs]
    if not chain_pairs:
        return pd.DataFrame()
    fa = [_conditional(res, a, moderator_value) for a, _ in chain_pairs]
    fb = [_conditional(res, b, moderator_value) for _, b in chain_pairs]
    labels = pd.DataFrame(
        {
            "contrast": [f"({a.label(names)}) minus ({b.label(names)})" for a, b in chain_pairs],
            "path_a": [a.label(names) for a, _ in chain_pairs],
            "path_b": [b.label(names) for _, b in chain_pairs],
            "conditional_on": ["; ".join(dict.fromkeys(t for t in (x[1], y[1]) if t)) for x, y in zip(fa, fb)],
        }
    )

    def f(P):
        return np.stack([x[0](P)[..., 0] - y[0](P)[..., 0] for x, y in zip(fa, fb)], axis=-1)

    out = boot.derived(labels, f)
    return out[["contrast", "path_a", "path_b", "conditional_on", "estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value", "bca_lower", "bca_upper", "bca_p_value"]]
