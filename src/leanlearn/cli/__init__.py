"""Command-line interface: ``leanlearn <verb>`` / ``python -m leanlearn <verb>``.

The CLI is the only part of leanlearn that reads or writes files. Each verb lives in its
own module under ``leanlearn.cli`` and exposes ``register(subparsers)``, which adds its
sub-parser and sets ``func`` to a callable taking the parsed arguments and returning an
exit code. Errors that a user can fix (bad input, bad model, bad codebook) are reported as
one clear message on stderr with exit code 2; nothing half-written is left behind (see
:mod:`leanlearn.cli._io`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from leanlearn import __version__

# verb modules, in the order they appear in --help
VERBS = (
    "simulate",
    "ingest",
    "screen",
    "merge",
    "describe",
    "bias",
    "cfa",
    "measurement",
    "estimate",
    "hypotheses",
    "process",
    "predict",
    "cbsem",
    "endogeneity",
    "groups",
    "power",
    "multiverse",
    "summary",
    "report",
    "paper",
    "manifest",
    "verify",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leanlearn",
        description="leanlearn: survey-based PLS-SEM from a raw export to the manuscript's tables.",
    )
    parser.add_argument("--version", action="version", version=f"leanlearn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb in VERBS:
        try:
            module = importlib.import_module(f"leanlearn.cli.{verb}")
        except ModuleNotFoundError as exc:
            if exc.name == f"leanlearn.cli.{verb}":
                continue  # verb not built (yet)
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from leanlearn.cli._io import UserError, check_config_arguments

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        check_config_arguments(args)  # --config / --codebook: schema errors before anything runs
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"leanlearn {args.verb}: error: {exc}", file=sys.stderr)
        return 2
