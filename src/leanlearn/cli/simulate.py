"""``leanlearn simulate``: write the synthetic study's raw files.

Writes ``survey_export.csv``, ``orbis_firms.csv`` and ``sampling_frame.csv`` into
``--out`` (all three or none), and the ground-truth defect log to ``--truth`` when asked.
With the default seed the files are byte-identical to the bundled ``data/raw/`` files.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, write_csv
from leanlearn.datasets.simulate import DEFAULT_SEED, DESIGN_N_CLEAN, simulate_study

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
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the three CSV files")
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
