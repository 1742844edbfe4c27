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
    "init",
    "check",
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
    "cvpat",
    "ipma",
    "nca",
    "cbsem",
    "endogeneity",
    "groups",
    "micom",
    "mga",
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


def run_command() -> None:
    """The entry point of the ``leanlearn`` command and of ``python -m leanlearn``.

    Runs :func:`main` and exits with its code. A run stopped by SIGTERM or Ctrl-C has
    already cleaned up (its ``finally`` blocks removed partial outputs and the bootstrap
    workers were ended); it then leaves with ``os._exit`` rather than through the
    interpreter's exit handlers, because the process pool's exit handler joins a helper
    thread that can block for ever on a result a killed worker left half-written.
    """
    import os

    code = main()
    if code in (130, 143):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one verb; the exit code says how it ended.

    * 0: success.
    * 2: a user error (bad input, option, model, codebook or config): one message on stderr
      naming the file, key, row or column and what to do; no traceback. Library errors
      :class:`~leanlearn.errors.SpecError` and :class:`~leanlearn.errors.DataError` count as
      user errors wherever a verb raises them.
    * 2 as well for a ``ValueError`` that a leanlearn function raised itself (its own
      check of a setting, e.g. ``resamples must be at least 2``); the message names the
      module. A ``ValueError`` from inside numpy, pandas, ... is a bug (exit 1).
    * 1: an internal error (a bug): one line on stderr with the path of a log file (mode
      0600) that holds the traceback (see :func:`leanlearn.cli._io.crash_log`).
    * 143 / 130: stopped by SIGTERM / Ctrl-C. SIGTERM is turned into an exception, so
      temporary outputs, copies of raw data and bootstrap workers are cleaned up on the way
      out as on any other error; the previous outputs stay as they were.
    """
    from leanlearn.cli._io import UserError, check_config_arguments, set_verb
    from leanlearn.errors import DataError, SpecError

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
    set_verb(args.verb)
    previous = _install_sigterm()
    try:
        check_config_arguments(args)  # --config / --codebook: schema errors before anything runs
        return int(args.func(args) or 0)
    except (UserError, SpecError, DataError) as exc:
        print(f"leanlearn {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional package (see leanlearn.extras) is missing
        from leanlearn.extras import MissingDependencyError, missing_message

        message = str(exc) if isinstance(exc, MissingDependencyError) else missing_message(exc.name or "")
        if message is None:
            raise
        print(f"leanlearn {args.verb}: error: {message}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"leanlearn {args.verb}: stopped by SIGTERM; outputs of this run were discarded", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"leanlearn {args.verb}: interrupted; outputs of this run were discarded", file=sys.stderr)
        return 130
    except ValueError as exc:
        where = _raised_by_leanlearn(exc)
        if where is None:  # raised inside numpy, pandas, ...: a bug
            return _internal_error(args.verb, argv)
        print(f"leanlearn {args.verb}: error: {exc} (a setting refused by {where}; check the options and the "
              "config of this verb)", file=sys.stderr)
        return 2
    except Exception:  # an internal error: the traceback goes to a private log file
        return _internal_error(args.verb, argv)
    finally:
        _restore_sigterm(previous)


def _raised_by_leanlearn(exc: BaseException) -> str | None:
    """The leanlearn module whose own ``raise`` produced ``exc`` (a validation), else None."""
    import os

    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    filename = os.path.abspath(last.tb_frame.f_code.co_filename)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../leanlearn
    if not filename.startswith(root + os.sep) or not filename.endswith(".py"):
        return None
    return os.path.relpath(filename[:-3], os.path.dirname(root)).replace(os.sep, ".")


def _internal_error(verb: str, argv) -> int:
    from leanlearn.cli._io import crash_log

    path = crash_log(verb, argv if argv is not None else sys.argv[1:])
    print(
        f"leanlearn {verb}: internal error (a bug in leanlearn, not in your input); "
        f"the traceback is in {path}. Please report it with that file.",
        file=sys.stderr,
    )
    return 1


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM so that ``finally`` blocks clean up."""


def _install_sigterm():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):  # noqa: ARG001
        raise Terminated()

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
