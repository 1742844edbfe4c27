"""``leanlearn ipma DATA MODEL --target C --out DIR``: importance-performance map analysis.

The model is estimated as by ``leanlearn estimate`` (same reader, missing-data treatment
and settings). Indicators are rescaled to 0–100 with the scale end points of
``--scale-min/--scale-max`` (one scale for every indicator), else of the codebook
(``--codebook``, each item's scale), else the observed minimum and maximum (reported in
notes.txt). See :mod:`leanlearn.robustness.ipma` for the formulas.

With ``--nca`` (or ``robustness.nca.enabled`` in the config) the combined IPMA with NCA
(cIPMA, Hauff et al. 2024) is added: each construct's NCA effect size and permutation p on
the 0–100 scores, and the share of cases below the level it requires for the target
level ``--target-level`` (default 80 on the target's 0–100 scale).

Output contract (written atomically)::

    ipma_constructs.csv  construct, importance (unstandardised total effect on the target),
                         performance (0-100)
    ipma_indicators.csv  construct, indicator, weight (rescaled, summing to 1 per construct),
                         importance, performance
    ipma_scales.csv      indicator, scale_min, scale_max, source (codebook, option, observed)
    ipma_paths.csv       source, target, standardised, unstandardised
    ipma_combined.csv    (with --nca) construct, importance, performance, ceiling, effect_size,
                         p_value, necessary, target_level, required_level, status, cases_below
    ipma_settings.json   target, its performance, scales, estimation and NCA settings
    notes.txt            the reading of the map and any departure from the preconditions

With ``--figures DIR``: ``ipma_map.png``/``.svg`` (and ``cipma_map`` with --nca).
"""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv

log = logging.getLogger("leanlearn.ipma")


def register(sub: argparse._SubParsersAction) -> None:
    from leanlearn.cli._model import add_model_arguments

    p = sub.add_parser(
        "ipma",
        help="importance-performance map analysis (and cIPMA with NCA) of a target construct",
        description=__doc__.split("\n\n")[0],
    )
    add_model_arguments(p)
    p.add_argument("--target", default=None, help="target construct (default: robustness.ipma.target, else the model's final construct)")
    p.add_argument("--scale-min", type=float, default=None, help="lowest point of every indicator's scale, e.g. 1")
    p.add_argument("--scale-max", type=float, default=None, help="highest point of every indicator's scale, e.g. 7")
    p.add_argument("--codebook", default=None, help="codebook.yaml: each item's scale (used unless --scale-min/--scale-max are given)")
    p.add_argument("--main-effects", action="store_true", help="leave the model's interaction terms out (IPMA is not defined with them)")
    p.add_argument("--nca", action="store_true", default=None, help="add the cIPMA (NCA on the 0-100 construct scores)")
    p.add_argument("--permutations", type=int, default=None, metavar="P", help="NCA permutations for the cIPMA (default: robustness.nca.permutations or 10000)")
    p.add_argument("--seed", type=int, default=None, help="seed of the NCA permutations (default: the config's seed)")
    p.add_argument("--ceiling", choices=["cr_fdh", "ce_fdh"], default=None, help="NCA ceiling of the cIPMA (default cr_fdh)")
    p.add_argument("--target-level", type=float, default=None, help="desired target level on its 0-100 scale for the cIPMA (default 80)")
    p.add_argument("--figures", default=None, metavar="DIR", help="write the importance-performance map into DIR")
    p.set_defaults(func=run)


def _final_construct(spec) -> str:
    """The endogenous construct that no other construct depends on (the last one in the model if several)."""
    sources = {p.source for p in spec.paths}
    finals = [c for c in spec.endogenous if c not in sources]
    if not finals:
        raise UserError("the model has no endogenous construct; give --target")
    return finals[-1]


def _scales(args, spec, config):
    if (args.scale_min is None) != (args.scale_max is None):
        raise UserError("give both --scale-min and --scale-max, or neither")
    icfg = (config.get("robustness") or {}).get("ipma") or {}
    lo = args.scale_min if args.scale_min is not None else icfg.get("scale_min")
    hi = args.scale_max if args.scale_max is not None else icfg.get("scale_max")
    if lo is not None and hi is not None:
        if not float(hi) > float(lo):
            raise UserError(f"--scale-max ({hi:g}) must be above --scale-min ({lo:g})")
        return None, (float(lo), float(hi))
    path = args.codebook or config.get("codebook")
    if path:
        from leanlearn.cli._io import read_codebook

        cb = read_codebook(path)
        return {k: (v[0], v[1]) for k, v in cb.item_scales(include_attention=False).items()}, None
    return None, None


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli._model import fit, fresh_seed, seed_of
    from leanlearn.cli._study import settings_json
    from leanlearn.robustness.ipma import DEFAULT_TARGET_LEVEL, cipma, ipma

    if args.target_level is not None and not 0 <= args.target_level <= 100:
        raise UserError(f"--target-level must be between 0 and 100 (got {args.target_level:g})")
    if args.permutations is not None and args.permutations < 0:
        raise UserError(f"--permutations must be 0 or a positive whole number (got {args.permutations})")
    res, data, spec, config, settings = fit(args, drop_interactions=args.main_effects)
    robust = config.get("robustness") or {}
    icfg, ncfg = robust.get("ipma") or {}, robust.get("nca") or {}
    target = args.target or icfg.get("target") or _final_construct(spec)
    scales, scale_range = _scales(args, spec, config)
    with user_errors(args.data):
        result = ipma(res, target, scales=scales, scale_range=scale_range)
    with_nca = args.nca if args.nca is not None else bool(ncfg.get("enabled", False))
    combined = None
    nca_rec: dict = {}
    if with_nca:
        seed = seed_of(args, config)
        if seed is None:
            seed = fresh_seed()
        permutations = args.permutations if args.permutations is not None else int(ncfg.get("permutations", 10000))
        ceiling = args.ceiling or icfg.get("ceiling", "cr_fdh")
        level = args.target_level if args.target_level is not None else float(icfg.get("target_level", DEFAULT_TARGET_LEVEL))
        combined = cipma(result, permutations=permutations, seed=seed, ceiling=ceiling, target_level=level)
        nca_rec = {"permutations": permutations, "seed": seed, "ceiling": ceiling, "target_level": level,
                   "random_stream": "leanlearn.random.stream(seed, 'permutation', 'nca', j) for construct j"}  # fmt: skip
    for note in result.notes:
        log.warning("%s", note)
    top = result.constructs.sort_values("importance", ascending=False)
    lines = [
        f"IPMA of {target} (performance {result.target_performance:.1f} on 0-100) on {res.n} cases. Importance: the "
        f"unstandardised total effect on {target}, i.e. the points {target} gains on its 0-100 scale when a construct rises "
        "by one point; performance: the mean of the rescaled (0-100) construct scores (Ringle & Sarstedt 2016).",
        "Constructs by importance: " + "; ".join(f"{r.construct} {r.importance:.3f} (performance {r.performance:.1f})" for r in top.itertuples()) + ".",
        "Priority for managerial action: high importance with below-average performance (lower right of the map).",
    ]
    src = sorted(set(result.scales.source))
    lines.append(f"Scale end points from: {', '.join(src)}.")
    lines += [f"Note: {n}." for n in result.notes]
    if combined is not None:
        from leanlearn.robustness.nca import NECESSITY_RULE

        lines.append(f"cIPMA (Hauff et al. 2024), ceiling {nca_rec['ceiling']}, target level {nca_rec['target_level']:g}: " + NECESSITY_RULE)
        for r in combined.to_dict("records"):
            below = "—" if not np.isfinite(r["cases_below"]) else f"{r['cases_below']:.1f} % of cases below the required level"
            lines.append(f"{r['construct']}: d = {r['effect_size']:.3f}, p = {r['p_value']:.4f}, "
                         f"{'necessary' if r['necessary'] else 'not shown to be necessary'}; {r['status']}; {below}.")
    record = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "main_effects_only": bool(args.main_effects),
        "n_cases": int(res.n),
        "target": target,
        "target_performance": result.target_performance,
        "scale_range": list(scale_range) if scale_range else None,
        "scale_sources": src,
        "estimation": settings_json(settings),
        "cipma": nca_rec or None,
    }
    with atomic_dir(args.out) as tmp:
        write_csv(result.constructs, tmp / "ipma_constructs.csv")
        write_csv(result.indicators, tmp / "ipma_indicators.csv")
        write_csv(result.scales, tmp / "ipma_scales.csv")
        write_csv(result.paths, tmp / "ipma_paths.csv")
        if combined is not None:
            write_csv(combined, tmp / "ipma_combined.csv")
        (tmp / "notes.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        (tmp / "ipma_settings.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.figures:
        _figures(args.figures, result, combined)
    log.info("wrote %s", args.out)
    return 0


def _figures(directory: str, result, combined) -> None:
    from pathlib import Path

    from leanlearn.cli._io import atomic_file
    from leanlearn.report.analysis_figures import ipma_map
    from leanlearn.report.figures import figure_bytes

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figs = {"ipma_map": ipma_map(result.constructs, target=result.target)}
    if combined is not None:
        figs["cipma_map"] = ipma_map(combined, target=result.target)
    for name, fig in figs.items():
        for fmt in ("png", "svg"):
            with atomic_file(out / f"{name}.{fmt}") as tmp:
                tmp.write_bytes(figure_bytes(fig, fmt))
