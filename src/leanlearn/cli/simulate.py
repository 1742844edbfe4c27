"""``leanlearn simulate``: write the synthetic study's raw files.

Writes ``survey_export.csv``, ``orbis_firms.csv`` and ``sampling_frame.csv`` into
``--out`` (all three or none), and the ground-truth defect log to ``--truth`` when asked.
With the default seed the files are byte-identical to the bundled ``data/raw/`` files.

``--items FILE`` writes analysis-ready items instead (:func:`leanlearn.datasets.simulate.draw_items`:
the 28 keyed 7-point items, ``log_employees`` and ``firm_age`` of ``--n-clean`` firms);
``--lp-bundles`` draws them from the population in which LP is a second-order construct of
the bundles JIT, TQM, TPM and HRM (the lean study's higher-order variant, data/README.md).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, write_csv
from leanlearn.datasets.simulate import (
    DEFAULT_LP_BUNDLE_LOADINGS,
    DEFAULT_SEED,
    DESIGN_N_CLEAN,
    PopulationModel,
    draw_items,
    simulate_study,
)

log = logging.getLogger(__name__)

FILES = {
    "survey_export": "survey_export.csv",
    "orbis_firms": "orbis_firms.csv",
    "sampling_frame": "sampling_frame.csv",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write synthetic raw data (survey export, Orbis extract, sampling frame)",
        description=(
            "Draw the synthetic study from its documented population model (see data/README.md) "
            "and write survey_export.csv, orbis_firms.csv and sampling_frame.csv into OUT. "
            f"The default seed ({DEFAULT_SEED}) reproduces the bundled data/raw files byte for byte."
        ),
    )
    parser.add_argument("--out", metavar="DIR", default=None, help="directory for the three CSV files")
    parser.add_argument(
        "--items", metavar="FILE", default=None,
        help="write analysis-ready items of --n-clean firms to this CSV instead of the raw files",
    )
    parser.add_argument(
        "--lp-bundles", action="store_true",
        help="with --items: LP is a second-order construct of the bundles JIT, TQM, TPM, HRM (LP1-2, LP3-4, LP5-6, LP7-8)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--n-clean",
        type=int,
        default=DESIGN_N_CLEAN,
        metavar="N",
        help=f"clean, unique firm responses (default {DESIGN_N_CLEAN}); defects scale with it",
    )
    parser.add_argument(
        "--truth",
        metavar="PATH",
        default=None,
        help="also write the ground-truth defect log (CSV) here; it is for tests, not for analysis",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {args.seed}")
    if (args.out is None) == (args.items is None):
        raise UserError("give --out DIR (the raw study files) or --items FILE (analysis-ready items), one of them")
    if args.lp_bundles and args.items is None:
        raise UserError("--lp-bundles applies to --items FILE only (the raw study files have no bundles)")
    if args.items is not None:
        if args.n_clean < 1:
            raise UserError(f"--n-clean must be a positive integer, got {args.n_clean}")
        pop = PopulationModel(lp_bundles=DEFAULT_LP_BUNDLE_LOADINGS) if args.lp_bundles else PopulationModel()
        items = draw_items(args.n_clean, pop, args.seed)
        with atomic_file(args.items) as tmp_items:
            write_csv(items, tmp_items)
        log.info("wrote %s: %d firms%s (seed %d)", args.items, len(items), " with LP bundles" if args.lp_bundles else "", args.seed)
        return 0
    try:
        frames = simulate_study(args.seed, n_clean=args.n_clean)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    with atomic_dir(out) as tmp:
        for key, name in FILES.items():
            write_csv(frames[key], tmp / name)
    if args.truth:
        with atomic_file(args.truth) as tmp_truth:
            write_csv(frames["defects"], tmp_truth)
    n_rows = len(frames["survey_export"]) - 2  # two extra header rows
    log.info(
        "wrote %s: %d survey responses (%d designed clean), %d Orbis firms, %d firms in the frame (seed %d)",
        out,
        n_rows,
        args.n_clean,
        len(frames["orbis_firms"]),
        len(frames["sampling_frame"]),
        args.seed,
    )
    if args.truth:
        log.info("wrote the defect log to %s", args.truth)
    return 0
