"""The option conventions every verb follows (docs/glossary.md, "Command-line options").

* A verb that reads a data file and a model takes them as the positional arguments
  ``DATA MODEL`` (in that order), with no default: nothing points at the bundled study.
* A count of bootstrap resamples is ``--resamples B``; a count of permutations is
  ``--permutations P``.

Older spellings still work as hidden aliases (their help is ``argparse.SUPPRESS``, so
``--help`` shows only the new one) because scripts outside the repository call them:
``--boot N`` for ``--resamples N`` and ``--data FILE --model FILE`` for the positional
arguments. An alias gives the same results as the new spelling; only the option name in a
message differs.
"""

from __future__ import annotations

import argparse

from leanlearn.cli._io import UserError



class _RequiredPositionals(argparse.HelpFormatter):
    """Shows the positional ``data model`` of :func:`add_data_model` without brackets in the usage
    line: they are required (an error says so) even though argparse parses them as optional so
    that the hidden ``--data/--model`` aliases can stand in for them."""

    def _format_args(self, action, default_metavar):
        if getattr(action, "_leanlearn_required", False):
            return self._metavar_formatter(action, default_metavar)(1)[0]
        return super()._format_args(action, default_metavar)


def add_data_model(
    p: argparse.ArgumentParser, *, data_help: str, model_help: str | None, data_alias: str = "--data",
) -> None:
    """Add the positional ``data model`` arguments and their hidden aliases ``--data/--model``.

    ``model_help=None`` adds ``data`` alone (``screen`` reads no model). ``data_alias`` is the old
    option of the data file when it was not ``--data`` (``multiverse`` took ``--ingested``).
    :func:`resolve_aliases` (called by :func:`leanlearn.cli.main` before the verb runs) puts an
    alias's value into ``args.data`` / ``args.model`` and refuses a command line that gives a
    file twice or not at all.
    """
    inputs = {"data": (data_help, data_alias)}
    if model_help is not None:
        inputs["model"] = (model_help, "--model")
    for dest, (text, _) in inputs.items():
        action = p.add_argument(dest, nargs="?", default=None, help=text)
        action._leanlearn_required = True  # type: ignore[attr-defined]
    for dest, (_, alias) in inputs.items():
        p.add_argument(alias, dest=f"legacy_{dest}", default=None, help=argparse.SUPPRESS)
    p.set_defaults(positional_inputs=tuple(inputs))
    if p.formatter_class is not argparse.HelpFormatter:
        raise TypeError(f"{p.prog}: add_data_model replaces the help formatter; the verb sets its own")
    p.formatter_class = _RequiredPositionals


def add_resamples(p: argparse.ArgumentParser, *, default, help: str, metavar: str = "B") -> None:
    """Add ``--resamples B`` (dest ``resamples``) and its hidden alias ``--boot``."""
    p.add_argument("--resamples", type=int, default=default, metavar=metavar, help=help)
    p.add_argument("--boot", dest="resamples", type=int, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def resolve_aliases(args: argparse.Namespace) -> None:
    """Move the values of the hidden ``--data/--model`` aliases into ``args.data`` / ``args.model``.

    Raises :class:`~leanlearn.cli._io.UserError` (exit 2) when DATA or MODEL is missing, or when
    an alias is mixed with the positional arguments (which file was meant would be a guess).
    """
    names = getattr(args, "positional_inputs", None)
    if not names:
        return
    del args.positional_inputs
    legacy = {name: getattr(args, f"legacy_{name}") for name in names}
    for name in names:
        delattr(args, f"legacy_{name}")
    usage = " ".join(n.upper() for n in names)
    if any(v is not None for v in legacy.values()):
        if any(getattr(args, n) is not None for n in names):
            raise UserError(f"give the input files as the positional arguments {usage}, not mixed with the "
                            "old options (--data, --model) that stand for them")
        for name, value in legacy.items():
            setattr(args, name, value)
    missing = [n.upper() for n in names if getattr(args, n) is None]
    if missing:
        raise UserError(f"the positional argument(s) {' '.join(missing)} are required: leanlearn {args.verb} {usage} ...")


def config_of_results(args: argparse.Namespace) -> None:
    """Fill in ``args.config`` of a verb that reads a results directory: without ``--config`` it is
    ``config.yaml`` in ``--results``, the effective config the pipeline wrote for that run (not
    the bundled study's). Raises :class:`~leanlearn.cli._io.UserError` when that file is absent."""
    if args.config is not None:
        return
    from pathlib import Path

    path = Path(args.results) / "config.yaml"
    if not path.is_file():
        raise UserError(f"{path}: not found; give --config (the study's config.yaml), or --results of a pipeline run, "
                        "which writes its effective config there")
    args.config = str(path)
