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
import contextlib
import importlib
import logging
import sys
from typing import Iterator

from leanlearn import __version__

# Verb modules, in the order they appear in --help, with the one-line help each module's
# ``register`` gives its sub-parser (tests/test_cli_imports.py checks that the two agree).
# Only the module of the verb being run is imported: ``leanlearn --help`` lists the verbs
# from this table without importing any of them (and so without pandas or SciPy), and
# ``leanlearn estimate ...`` imports the estimate verb alone, not the other verbs and their
# dependencies.
VERB_HELP = {
    "init": "draft a study folder (codebook, model, config) from a survey export",
    "check": "validate a study folder (config, codebook, model and data together)",
    "simulate": "write synthetic raw data (survey export, Orbis extract, sampling frame)",
    "ingest": "read a raw survey export, apply the codebook, remove personal data",
    "screen": "screen careless responses, report and treat missing data",
    "merge": "join the clean survey to archival firm data and derive the controls",
    "describe": "item descriptives and the construct correlation table",
    "bias": "non-response, key-informant and common-method-bias diagnostics",
    "cfa": "confirmatory factor analysis (CB-SEM, ML) of the reflective measurement model",
    "measurement": "assess reliability and validity of the measurement model",
    "estimate": "estimate a PLS-SEM model (and bootstrap it)",
    "hypotheses": "estimate the study's model, bootstrap it and test the configured hypotheses",
    "process": "PROCESS model 7 regression cross-check of the moderated mediation",
    "predict": "PLSpredict: k-fold or leave-one-out prediction against LM and mean benchmarks",
    "cvpat": "CVPAT: out-of-sample losses of PLS against IA/LM benchmarks and of two competing models",
    "ipma": "importance-performance map analysis (and cIPMA with NCA) of a target construct",
    "nca": "necessary condition analysis (CE-FDH, CR-FDH, permutation test) of construct scores",
    "fimix": "FIMIX-PLS: latent segments of the structural model with AIC3, CAIC, BIC, EN and the other criteria",
    "cbsem": "CB-SEM (ML) cross-check and a PLS / PLSc / CB-SEM path comparison",
    "endogeneity": "Gaussian copula test of the structural equations (a weak diagnostic at small N)",
    "groups": "MICOM measurement invariance and permutation MGA across the configured groups",
    "micom": "measurement invariance of composites (MICOM steps 1-3) between the groups of a column",
    "mga": "multi-group analysis (permutation, bootstrap, parametric or Welch) between the groups of a column",
    "power": "minimum sample size (inverse square root) and Monte Carlo power",
    "multiverse": "re-estimate the hypotheses under every alternative analysis choice",
    "summary": "write results/summary.md, the headline of a run",
    "report": "publication tables (CSV, Markdown, LaTeX, HTML) and figures (PNG, SVG, PDF)",
    "paper": "render the manuscript (HTML; PDF when pandoc and LaTeX are available) with numbers from the results",
    "manifest": "write results/manifest.json: SHA-256 of every input and result, versions, seed, git commit",
    "verify": "rerun the pipeline from the inputs in a fresh folder and compare every result with the manifest",
}
VERBS = tuple(VERB_HELP)


def build_parser(verbs=None) -> argparse.ArgumentParser:
    """The command-line parser; the verbs in ``verbs`` (default: all) get their full sub-parser
    from their module, every other verb a placeholder that only carries its help line (enough
    for ``leanlearn --help`` and for argparse to name the valid verbs)."""
    parser = argparse.ArgumentParser(
        prog="leanlearn",
        description="leanlearn: survey-based PLS-SEM from a raw export to the manuscript's tables.",
    )
    parser.add_argument("--version", action="version", version=f"leanlearn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    full = set(VERBS if verbs is None else verbs)
    for verb, help_line in VERB_HELP.items():
        if verb in full:
            importlib.import_module(f"leanlearn.cli.{verb}").register(sub)
        else:
            sub.add_parser(verb, help=help_line, add_help=False)
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

    code = main(freeze_imports=True)
    if code in (130, 143):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _requested_verb(argv: list[str]) -> str | None:
    """The verb on a command line: the first argument that is not an option (the top-level
    options ``-h``, ``--version``, ``-v`` take no value), when it names a verb."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in VERB_HELP else None
    return None


def main(argv: list[str] | None = None, *, freeze_imports: bool = False) -> int:
    """Run one verb; the exit code says how it ended.

    ``freeze_imports`` (the ``leanlearn`` command sets it; the process runs this one verb)
    imports the verb's module and its dependencies with the cyclic garbage collector paused
    and then moves every object they created to the collector's permanent generation
    (:func:`gc.freeze`), so that later collections do not walk the objects of pandas, NumPy
    and leanlearn again and again: about 0.1 s of collections in ``leanlearn estimate``
    (measured with :data:`gc.callbacks`), and 0.15-0.25 s less at the interpreter's exit, whose
    final collection skips them too; the forked bootstrap workers share those pages.

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
    from leanlearn.cli._options import resolve_aliases
    from leanlearn.errors import DataError, SpecError

    words = sys.argv[1:] if argv is None else list(argv)
    verb = _requested_verb(words)
    with _collector_paused(freeze_imports):
        parser = build_parser([verb] if verb else [])
    args = parser.parse_args(words)
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
        resolve_aliases(args)  # the hidden --data/--model spellings of DATA MODEL
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


@contextlib.contextmanager
def _collector_paused(freeze: bool) -> Iterator[None]:
    """With ``freeze``: the garbage collector is off in the block, then the objects created so
    far are frozen (:func:`gc.freeze`) and the collector is on again. Without: nothing."""
    if not freeze:
        yield
        return
    import gc

    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


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
