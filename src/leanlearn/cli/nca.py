"""``leanlearn nca DATA MODEL --out DIR``: necessary condition analysis of construct scores.

The model is estimated as by ``leanlearn estimate`` (same reader, missing-data treatment
and settings); every structural path X -> Y (interaction terms left out) is analysed as
"is X necessary for Y?" on the construct scores (Richter et al. 2020), with the CE-FDH
and CR-FDH ceilings and the permutation test of Dul et al. (2020); see
:mod:`leanlearn.robustness.nca`.

Output contract (written atomically)::

    nca.csv             source, target, ceiling (ce_fdh / cr_fdh), effect_size, p_value
    nca_bottleneck.csv  source, target, ceiling, outcome_level, outcome_value, required_level,
                        required_value, status  (levels in percent of the range)
    nca_details.csv     source, target, ceiling, effect_size, p_value, necessary, zone, scope,
                        accuracy, intercept, slope, n_peers, n
    nca_settings.json   permutations, seed and its random stream, steps, estimation settings
    notes.txt           the necessity rule and the verdict of every pair

With ``--figures DIR`` one scatter per pair with both ceilings: ``nca_<source>_<target>.png``
and ``.svg``.
"""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np

from leanlearn.cli._io import UserError, atomic_dir, write_csv

log = logging.getLogger("leanlearn.nca")


def register(sub: argparse._SubParsersAction) -> None:
    from leanlearn.cli._model import add_model_arguments

    p = sub.add_parser(
        "nca",
        help="necessary condition analysis (CE-FDH, CR-FDH, permutation test) of construct scores",
        description=__doc__.split("\n\n")[0],
    )
    add_model_arguments(p)
    p.add_argument("--permutations", type=int, default=None, metavar="P", help="permutations of the test (default: robustness.nca.permutations or 10000; 0 = no test)")
    p.add_argument("--seed", type=int, default=None, help="seed of the permutations (default: the config's seed; drawn and recorded without one)")
    p.add_argument("--steps", type=int, default=None, help="outcome levels of the bottleneck table: 0, 100/steps, ..., 100 percent (default 10)")
    p.add_argument("--figures", default=None, metavar="DIR", help="write one scatter with both ceilings per pair into DIR")
    p.set_defaults(func=run)


def options(args, config: dict) -> dict:
    from leanlearn.cli._model import fresh_seed, seed_of

    ncfg = (config.get("robustness") or {}).get("nca") or {}
    permutations = args.permutations if args.permutations is not None else int(ncfg.get("permutations", 10000))
    steps = args.steps if args.steps is not None else int(ncfg.get("steps", 10))
    if permutations < 0:
        raise UserError(f"--permutations must be 0 or a positive whole number (got {permutations})")
    if steps < 1 or steps > 1000:
        raise UserError(f"--steps must be between 1 and 1000 (got {steps})")
    seed = seed_of(args, config)
    if seed is None:
        seed = fresh_seed()
        log.info("no seed given: drew %d (recorded in nca_settings.json)", seed)
    return {"permutations": permutations, "steps": steps, "seed": seed}


def words(details) -> list[str]:
    from leanlearn.robustness.nca import NECESSITY_RULE

    lines = [NECESSITY_RULE]
    for r in details.itertuples():
        p = "no test" if not np.isfinite(r.p_value) else f"p = {r.p_value:.4f}"
        verdict = "necessary" if r.necessary else ("not shown to be necessary" if np.isfinite(r.p_value) else "untested")
        lines.append(f"{r.source} -> {r.target} ({r.ceiling}): d = {r.effect_size:.3f}, {p}, accuracy {r.accuracy:.1f} %: {verdict}.")
    return lines


def write_figures(directory: str, res, details) -> None:
    from pathlib import Path

    from leanlearn.cli._io import atomic_file
    from leanlearn.report.analysis_figures import nca_plot
    from leanlearn.report.figures import figure_bytes

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for (source, target), g in details.groupby(["source", "target"], sort=False):
        fig = nca_plot(res.scores[source], res.scores[target], g, source=source, target=target)
        for fmt in ("png", "svg"):
            with atomic_file(out / f"nca_{source}_{target}.{fmt}") as tmp:
                tmp.write_bytes(figure_bytes(fig, fmt))


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli._model import fit
    from leanlearn.cli._study import settings_json
    from leanlearn.random import describe
    from leanlearn.robustness.nca import model_pairs, nca_scores

    res, _, spec, config, settings = fit(args)
    opts = options(args, config)
    pairs = model_pairs(spec)
    if not pairs:
        raise UserError(f"{args.model}: the model has no structural paths between constructs, so there is no pair to analyse")
    result = nca_scores(res.scores, pairs, permutations=opts["permutations"], seed=opts["seed"], steps=opts["steps"])
    log.info("NCA of %d pairs on %d cases, %d permutations", len(pairs), res.n, opts["permutations"])
    record = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "n_cases": int(res.n),
        "scores": "construct scores of the estimated model (standardised; d and the percent-of-range bottlenecks are invariant to rescaling)",
        **opts,
        "random_stream": describe(opts["seed"], "permutation", "nca", 0) | {"note": "pair j draws from spawn key [..., 'nca', j]"},
        "p_value": "share of permuted effect sizes >= observed (Dul et al. 2020)",
        "estimation": settings_json(settings),
    }
    with atomic_dir(args.out) as tmp:
        write_csv(result.effects, tmp / "nca.csv")
        write_csv(result.bottleneck, tmp / "nca_bottleneck.csv")
        write_csv(result.details, tmp / "nca_details.csv")
        (tmp / "notes.txt").write_text("\n".join(words(result.details)) + "\n", encoding="utf-8")
        (tmp / "nca_settings.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.figures:
        write_figures(args.figures, res, result.details)
    log.info("wrote %s", args.out)
    return 0
