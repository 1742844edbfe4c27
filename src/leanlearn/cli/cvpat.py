"""``leanlearn cvpat DATA MODEL [MODEL2] --out DIR``: cross-validated predictive ability test.

The out-of-sample losses of PLS (direct antecedents) are compared with the
indicator-average (IA) and linear-model (LM) benchmarks, per endogenous construct and
overall, and, with MODEL2, the losses of the two competing models on the constructs both
predict (Liengaard et al. 2021; Sharma et al. 2023); see :mod:`leanlearn.robustness.cvpat`.
The data are read and treated as by ``leanlearn estimate``; both models are
cross-validated on the same folds.

Output contract (written atomically; ``case`` is the 1-based row of the data file)::

    cvpat.csv           comparison, construct, loss_a, loss_b, difference, t_value, p_value
                        comparison: pls_vs_ia, pls_vs_lm (MODEL), pls_b_vs_ia, pls_b_vs_lm
                        (MODEL2), a_vs_b (MODEL against MODEL2); construct: a construct or overall
    cvpat_details.csv   comparison, construct, alternative, n_cases, n_indicators, std_error, resamples
    cvpat_losses.csv    case, model (a, b), predictor (pls, ia, lm), construct, loss
    cvpat_settings.json folds, repetitions, loo, seed and streams, resamples, alternative, estimation
    notes.txt           the test rule and the verdict of every overall comparison

With ``--versus-main-effects`` (or ``robustness.cvpat.compare: main_effects``) model b is
MODEL without its interaction terms: does the moderation improve out-of-sample prediction?
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv

log = logging.getLogger("leanlearn.cvpat")


def register(sub: argparse._SubParsersAction) -> None:
    from leanlearn.cli._model import add_model_arguments

    p = sub.add_parser(
        "cvpat",
        help="CVPAT: out-of-sample losses of PLS against IA/LM benchmarks and of two competing models",
        description=__doc__.split("\n\n")[0],
    )
    add_model_arguments(p)
    p.add_argument("model2", nargs="?", default=None, help="a competing model on the same data (optional)")
    cv = p.add_mutually_exclusive_group()
    cv.add_argument("--folds", type=int, default=None, metavar="K", help="number of folds (default: robustness.cvpat.folds or 10)")
    cv.add_argument("--loo", action="store_true", default=None, help="leave-one-out: every case is its own fold")
    p.add_argument("--repetitions", type=int, default=None, metavar="R", help="k-fold repetitions (default: robustness.cvpat.repetitions or 10; ignored with --loo)")
    p.add_argument("--resamples", type=int, default=None, metavar="B", help="bootstrap resamples of the test (default: robustness.cvpat.resamples or 10000)")
    p.add_argument("--seed", type=int, default=None, help="seed of the folds and resamples (default: the config's seed; drawn and recorded without one)")
    p.add_argument("--versus-main-effects", action="store_true", default=None,
                   help="compare MODEL with itself without its interaction terms (model b; default: robustness.cvpat.compare)")
    p.add_argument("--alternative", choices=["less", "two-sided"], default=None,
                   help="test of every row (default: one-sided 'less' against IA/LM, two-sided between two models)")
    p.set_defaults(func=run)


def _case_numbers(labels: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(labels):
        return labels.astype(int) + 1
    return labels


def options(args, config: dict) -> dict:
    from leanlearn.cli._model import seed_of

    ccfg = (config.get("robustness") or {}).get("cvpat") or {}
    loo = bool(args.loo) if args.loo is not None else bool(ccfg.get("loo", False))
    folds = args.folds if args.folds is not None else int(ccfg.get("folds", 10))
    repetitions = args.repetitions if args.repetitions is not None else int(ccfg.get("repetitions", 10))
    resamples = args.resamples if args.resamples is not None else int(ccfg.get("resamples", 10000))
    if not loo and folds < 2:
        raise UserError(f"--folds must be at least 2 (got {folds})")
    if repetitions < 1:
        raise UserError(f"--repetitions must be at least 1 (got {repetitions})")
    if resamples < 2:
        raise UserError(f"--resamples must be at least 2 (got {resamples})")
    seed = seed_of(args, config)
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)
        seed = entropy
        log.info("no seed given: drew %d (recorded in cvpat_settings.json)", seed)
    return {"loo": loo, "folds": folds, "repetitions": repetitions, "resamples": resamples, "seed": seed}


def verdicts(table: pd.DataFrame) -> list[str]:
    words = {"pls_vs_ia": "PLS (model a) vs the indicator averages", "pls_vs_lm": "PLS (model a) vs the linear model",
             "pls_b_vs_ia": "PLS (model b) vs the indicator averages", "pls_b_vs_lm": "PLS (model b) vs the linear model",
             "a_vs_b": "model a vs model b"}  # fmt: skip
    out = []
    r: Any  # a row of the table (itertuples' attributes are typed as any scalar)
    for r in table[table.construct == "overall"].itertuples():
        if not np.isfinite(r.p_value):
            v = "no test (identical losses)"
        elif r.difference < 0 and r.p_value < 0.05:
            v = "model a predicts better (p < 0.05)" if r.comparison == "a_vs_b" else "PLS predicts better than the benchmark (p < 0.05)"
        elif r.comparison == "a_vs_b" and r.difference > 0 and r.p_value < 0.05:
            v = "model b predicts better (p < 0.05)"
        else:
            v = "no significant difference in predictive ability (not evidence of equal ability)"
        out.append(f"{words.get(r.comparison, r.comparison)}, overall: difference {r.difference:.4f}, t = {r.t_value:.2f}, p = {r.p_value:.4f}: {v}.")
    return out


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli._io import read_model
    from leanlearn.cli._model import warn_unweighted
    from leanlearn.cli._study import estimation_settings_from_args, load_config, settings_json
    from leanlearn.cli.estimate import read_numbers
    from leanlearn.random import describe
    from leanlearn.robustness.cvpat import CVPAT_RULE, cvpat

    config, _ = load_config(args.config)
    settings = estimation_settings_from_args(config, args)
    warn_unweighted(config)
    if settings.consistent:
        raise UserError("CVPAT predicts from composite scores; PLSc (--consistent / estimation.consistent) is not offered")
    opts = options(args, config)
    spec = read_model(args.model)
    ccfg = (config.get("robustness") or {}).get("cvpat") or {}
    versus = args.versus_main_effects if args.versus_main_effects is not None else ccfg.get("compare", "none") == "main_effects"
    if versus and args.model2:
        raise UserError("give either MODEL2 or --versus-main-effects, not both")
    if versus and not spec.interactions:
        raise UserError(f"{args.model}: --versus-main-effects needs a model with interaction terms (X:Z); this one has none")
    spec_b = read_model(args.model2) if args.model2 else (spec.without_interactions() if versus else None)
    data = read_numbers(args.data)
    with user_errors(args.data), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = cvpat(
                data, spec, spec_b, folds=opts["folds"], repetitions=opts["repetitions"], loo=opts["loo"],
                resamples=opts["resamples"], seed=opts["seed"], alternative=args.alternative, missing=settings.missing,
                missing_value=settings.missing_value, scheme=settings.scheme, interaction=settings.interaction, source=args.data,
            )  # fmt: skip
        except ValueError as exc:
            if type(exc) is ValueError:
                raise UserError(str(exc)) from exc
            raise
    for w in dict.fromkeys(str(w.message) for w in caught):
        log.warning("%s", w)
    mode = "leave-one-out" if result.loo else f"{result.folds}-fold x {result.repetitions}"
    log.info("CVPAT (%s) on %d cases, %d resamples", mode, result.n, result.resamples)
    losses = result.losses.copy()
    losses["case"] = _case_numbers(losses["case"])
    record = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "model2": str(args.model2) if args.model2 else ("MODEL without its interaction terms" if versus else None),
        "n_cases": result.n,
        **opts,
        "folds": result.folds,
        "repetitions": result.repetitions,
        "technique": "direct antecedents; LM on the direct antecedents' indicators; IA = training-fold means",
        "averaging": "per-case predictions averaged over repetitions, then squared errors",
        "alternative": args.alternative or "less against IA/LM, two-sided between models",
        "streams": {"folds": describe(opts["seed"], "folds"), "resamples": describe(opts["seed"], "bootstrap", "cvpat")},
        "estimation": settings_json(settings),
    }
    with atomic_dir(args.out) as tmp:
        write_csv(result.table, tmp / "cvpat.csv")
        write_csv(result.details, tmp / "cvpat_details.csv")
        write_csv(losses, tmp / "cvpat_losses.csv")
        lines = [f"CVPAT ({mode}) on {result.n} cases, {result.resamples} bootstrap resamples.", CVPAT_RULE, *verdicts(result.table)]
        (tmp / "notes.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        (tmp / "cvpat_settings.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
