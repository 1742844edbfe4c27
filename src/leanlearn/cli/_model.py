"""Shared by the post-estimation verbs (``ipma``, ``nca``, ``cvpat``): DATA MODEL in, a fitted model out.

These verbs follow the data/model contract of ``leanlearn estimate DATA MODEL --out DIR
[--missing-value V] [--missing mean|listwise]``: the data file is read with the same reader
(delimiter, decimal separator and format detected), the model is the lavaan-style file, and
errors in either are reported as one line naming the file (exit 2). With ``--config`` the
config's ``estimation`` section and ``seed`` are the defaults; controls are not added (these
analyses concern the substantive constructs).
"""

from __future__ import annotations

import argparse
import logging
import warnings

from leanlearn.cli._io import UserError, read_model, user_errors


log = logging.getLogger("leanlearn.analyses")


def warn_unweighted(config: dict) -> None:
    """These analyses are unweighted: say so when the config names case weights."""
    weights = (config.get("estimation") or {}).get("weights")
    if weights:
        log.warning("estimation.weights (%s) is set, but this analysis does not support case weights: it is run unweighted", weights)


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """DATA, MODEL, --out, --config and the estimation options."""
    from leanlearn.cli._study import add_estimation_arguments

    p.add_argument("data", help="data file (CSV with any common delimiter, XLSX, SAV or DTA)")
    p.add_argument("model", help="model file in lavaan-style syntax (=~, <~, ~)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--config", default=None, help="config.yaml: its estimation settings and seed are the defaults")
    add_estimation_arguments(p)


def fit(args, model_path: str | None = None, *, assess: bool = False, drop_interactions: bool = False):
    """(result, data, spec, config, settings) of the model on the data, with the CLI's settings.

    ``drop_interactions``: estimate the main-effects model (interaction terms left out).
    """
    from leanlearn.cli._study import estimation_settings_from_args, load_config
    from leanlearn.cli.estimate import read_numbers
    from leanlearn.pls.engine import estimate

    config, _ = load_config(getattr(args, "config", None))
    settings = estimation_settings_from_args(config, args)
    warn_unweighted(config)
    model_path = model_path or args.model
    spec = read_model(model_path)
    if drop_interactions:
        spec = spec.without_interactions()
    data = read_numbers(args.data)
    with user_errors(args.data), warnings.catch_warnings():
        warnings.simplefilter("default")
        res = estimate(data, spec, settings=settings, source=args.data, assess=assess)
    if not res.converged:
        raise UserError(f"{args.data}: PLS did not converge on {model_path}; see the warning above")
    return res, data, spec, config, settings


def seed_of(args, config: dict) -> int | None:
    """--seed, else the config's seed, else None (fresh entropy, recorded by the verb)."""
    seed = args.seed if args.seed is not None else config.get("seed")
    if seed is not None and int(seed) < 0:
        raise UserError("--seed must be a non-negative integer")
    return None if seed is None else int(seed)


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for a run given none (the verb records it)."""
    import numpy as np

    entropy = np.random.SeedSequence().entropy
    if not isinstance(entropy, int):  # a SeedSequence given no entropy draws one int
        raise TypeError(f"SeedSequence drew {type(entropy).__name__} entropy, not an int")
    return entropy
