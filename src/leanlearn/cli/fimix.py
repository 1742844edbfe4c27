"""``leanlearn fimix DATA MODEL --out DIR``: FIMIX-PLS segmentation of the structural model.

The model is estimated as by ``leanlearn estimate`` (same reader, missing-data treatment
and settings); on its construct scores a finite mixture of the structural regressions is
fitted for K = 1..``--max-segments`` segments by EM with ``--starts`` seeded random starts
(Hahn et al. 2002), with the information criteria of Sarstedt et al. (2011) and the
retention rule of :mod:`leanlearn.robustness.fimix`.

Output contract (written atomically)::

    fimix_fit.csv         segments, n, log_likelihood, n_parameters, aic, aic3, aic4, bic, caic,
                          hq, mdl5, entropy_en, smallest_segment_share, min_segment_size, starts,
                          converged_starts, iterations
    fimix_paths.csv       segments, segment, segment_share, n_assigned, source, target, estimate,
                          r_squared, residual_variance
    fimix_membership.csv  segments, case (row of the data file, 1 = first data row), segment,
                          posterior (no other case data)
    fimix_settings.json   starts, seed and its random streams, limits, retained K, estimation settings
    notes.txt             the retention rule and its verdict
"""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np

from leanlearn.cli._io import UserError, atomic_dir, write_csv

log = logging.getLogger("leanlearn.fimix")


def register(sub: argparse._SubParsersAction) -> None:
    from leanlearn.cli._model import add_model_arguments

    p = sub.add_parser(
        "fimix",
        help="FIMIX-PLS: latent segments of the structural model with AIC3, CAIC, BIC, EN and the other criteria",
        description=__doc__.split("\n\n")[0],
    )
    add_model_arguments(p)
    p.add_argument(
        "--max-segments",
        type=int,
        default=None,
        metavar="K",
        help="fit K = 1..K segments (default: robustness.fimix.max_segments or 4, fewer if segments would be below --min-segment-size)",
    )
    p.add_argument(
        "--min-segment-size",
        type=int,
        default=None,
        metavar="N",
        help="smallest segment worth interpreting, in cases (default: robustness.fimix.min_segment_size or 30)",
    )
    p.add_argument(
        "--starts",
        type=int,
        default=None,
        metavar="S",
        help="random starts of the EM per K (default: robustness.fimix.starts or 10)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the random starts (default: the config's seed; drawn and recorded without one)",
    )
    p.add_argument("--max-iterations", type=int, default=None, help="EM iterations per start (default 5000)")
    p.add_argument(
        "--tolerance", type=float, default=None, help="EM stops when the log-likelihood changes by less (default 1e-8)"
    )
    p.add_argument(
        "--intercepts",
        action="store_true",
        default=None,
        help="segment-specific intercepts in every structural regression (default: none, as Hahn et al. 2002)",
    )
    p.set_defaults(func=run)


def options(args, config: dict) -> dict:
    from leanlearn.cli._model import fresh_seed, seed_of

    fcfg = (config.get("robustness") or {}).get("fimix") or {}

    def pick(name, default):
        value = getattr(args, name)
        return value if value is not None else fcfg.get(name, default)

    opts = {
        "max_segments": pick("max_segments", None),
        "min_segment_size": int(pick("min_segment_size", 30)),
        "starts": int(pick("starts", 10)),
        "max_iterations": int(pick("max_iterations", 5000)),
        "tolerance": float(pick("tolerance", 1e-8)),
        "intercepts": bool(pick("intercepts", False)),
    }
    if opts["max_segments"] is not None:
        opts["max_segments"] = int(opts["max_segments"])
        if opts["max_segments"] < 1:
            raise UserError(f"--max-segments must be 1 or more (got {opts['max_segments']})")
    if opts["starts"] < 1:
        raise UserError(f"--starts must be 1 or more (got {opts['starts']})")
    if opts["max_iterations"] < 1:
        raise UserError(f"--max-iterations must be 1 or more (got {opts['max_iterations']})")
    if not opts["tolerance"] > 0:
        raise UserError(f"--tolerance must be positive (got {opts['tolerance']})")
    seed = seed_of(args, config)
    if seed is None:
        seed = fresh_seed()
        log.info("no seed given: drew %d (recorded in fimix_settings.json)", seed)
    opts["seed"] = seed
    return opts


def words(result) -> list[str]:
    """The retention rule, the criteria's choice and the verdict, as plain sentences."""
    from leanlearn.robustness.fimix import HETEROGENEITY_RULE

    f = result.fit.set_index("segments")
    lines = [HETEROGENEITY_RULE, ""]
    for c in ("aic", "aic3", "aic4", "bic", "caic", "hq", "mdl5"):
        lines.append(f"{c.upper()} is smallest at K = {int(f[c].idxmin())}.")
    if result.retained is None:
        lines.append("The criteria disagree: no number of segments is retained; no unobserved heterogeneity is indicated.")
    else:
        r = f.loc[result.retained]
        en = "undefined" if not np.isfinite(r.entropy_en) else f"{r.entropy_en:.3f}"
        lines.append(f"{result.criterion} retain K* = {result.retained} (EN = {en}, smallest segment {100 * r.smallest_segment_share:.1f} % "
                     f"= {r.smallest_segment_share * r.n:.1f} expected cases, minimum {result.min_segment_size}).")  # fmt: skip
        lines.append("Unobserved heterogeneity is indicated by the rule; explain the segments by observed variables before concluding anything."
                     if result.heterogeneity else "No unobserved heterogeneity is indicated by the rule.")  # fmt: skip
    return lines


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli._model import fit
    from leanlearn.cli._study import settings_json
    from leanlearn.random import describe
    from leanlearn.robustness.fimix import fimix_scores, model_equations

    res, _, spec, config, settings = fit(args)
    opts = options(args, config)
    equations = model_equations(spec)
    if not equations:
        raise UserError(
            f"{args.model}: the model has no endogenous construct (no structural regression), so there is nothing to segment"
        )
    scores = res.scores
    result = fimix_scores(
        scores, equations, max_segments=opts["max_segments"], min_segment_size=opts["min_segment_size"], starts=opts["starts"],
        seed=opts["seed"], max_iterations=opts["max_iterations"], tolerance=opts["tolerance"], intercepts=opts["intercepts"],
        cases=(np.asarray(scores.index) + 1).tolist() if scores.index.dtype.kind in "iu" else None,
    )  # fmt: skip
    log.info(
        "FIMIX-PLS on %d cases, K = 1..%d, %d starts: retained %s",
        res.n,
        int(result.fit.segments.max()),
        opts["starts"],
        result.retained,
    )
    record = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "n_cases": int(res.n),
        "scores": "construct scores of the estimated model (standardised; interaction terms as the engine scores them)",
        **opts,
        "segments_fitted": int(result.fit.segments.max()),
        "random_stream": describe(opts["seed"], "permutation", "fimix")
        | {"note": "start s for K segments draws its random partition from spawn key [..., 'fimix', K, s]"},
        "retained_segments": result.retained,
        "retained_by": result.criterion,
        "heterogeneity_indicated": result.heterogeneity,
        "estimation": settings_json(settings),
    }
    with atomic_dir(args.out) as tmp:
        write_csv(result.fit, tmp / "fimix_fit.csv")
        write_csv(result.paths, tmp / "fimix_paths.csv")
        write_csv(result.membership, tmp / "fimix_membership.csv")
        (tmp / "notes.txt").write_text("\n".join(words(result)) + "\n", encoding="utf-8")
        (tmp / "fimix_settings.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
