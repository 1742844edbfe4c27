"""``leanlearn predict DATA MODEL --out DIR``: PLSpredict (cross-validated prediction).

Output contract (written atomically; construct and indicator names as in the model and
data; ``case`` is the 1-based row of the data file)::

    predict_items.csv       indicator, rmse_pls, mae_pls, rmse_lm, mae_lm, q2_predict
    predict_summary.csv     construct, n_indicators, n_q2_positive, n_pls_better_rmse,
                            n_pls_better_mae, verdict
    predict_cases.csv       case, indicator, actual, predicted_pls, predicted_lm

Also written: predict_constructs.csv (construct, rmse, mae, q2_predict of the predicted
construct scores) and predict_settings.json (folds, repetitions, seed actually used,
technique, benchmark, metric, cases, failed folds, leanlearn version).
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_text, user_errors, write_csv

log = logging.getLogger("leanlearn.robustness.predict")

ITEM_COLUMNS = ["indicator", "rmse_pls", "mae_pls", "rmse_lm", "mae_lm", "q2_predict"]
SUMMARY_COLUMNS = ["construct", "n_indicators", "n_q2_positive", "n_pls_better_rmse", "n_pls_better_mae", "verdict"]
CASE_COLUMNS = ["case", "indicator", "actual", "predicted_pls", "predicted_lm"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="PLSpredict: k-fold or leave-one-out prediction against LM and mean benchmarks",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("data", help="data file (CSV with any common delimiter, XLSX, SAV or DTA)")
    p.add_argument("model", help="model file in lavaan-style syntax (=~, <~, ~, X:Z)")
    p.add_argument("--out", required=True, help="output directory")
    cv = p.add_mutually_exclusive_group()
    cv.add_argument("--folds", type=int, default=10, metavar="K", help="number of folds (default 10)")
    cv.add_argument("--loo", action="store_true", help="leave-one-out: every case is its own fold")
    p.add_argument("--repetitions", type=int, default=10, metavar="R", help="k-fold repetitions (default 10; ignored with --loo)")
    p.add_argument("--seed", type=int, default=None, help="seed of the fold assignment (drawn and recorded when omitted)")
    p.add_argument("--missing-value", default=None, help="code that marks missing cells, e.g. -99")
    p.add_argument("--missing", choices=["mean", "listwise"], default="mean", help="missing-data treatment, applied before the split")
    p.add_argument("--technique", choices=["direct", "earliest"], default="direct", help="direct antecedents (default) or earliest antecedents")
    p.add_argument(
        "--benchmark",
        choices=["exogenous", "antecedents", "all-other"],
        default="exogenous",
        help="LM benchmark predictors: the exogenous constructs' indicators (default, Shmueli et al. 2019, SmartPLS), "
        "the target construct's direct antecedents' indicators (what seminr's predict_pls uses with predict_DA), "
        "or the indicators of every other construct",
    )
    p.add_argument("--metric", choices=["rmse", "mae"], default="rmse", help="error compared with the LM for the verdict")
    p.add_argument("--scheme", choices=["path", "centroid", "factorial"], default="path", help="inner weighting scheme")
    p.add_argument("--interaction", choices=["two_stage", "product_indicator", "orthogonal"], default="two_stage")
    p.set_defaults(func=run)


def _case_numbers(labels: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(labels):
        return labels.astype(int) + 1
    return labels


def tables(result) -> dict[str, pd.DataFrame]:
    """Output tables of a PLSpredict run, keyed by file name."""
    cases = result.cases[["case", "indicator", "actual", "predicted_pls", "predicted_lm"]].copy()
    cases["case"] = _case_numbers(cases["case"])
    return {
        "predict_items.csv": result.items[ITEM_COLUMNS],
        "predict_summary.csv": result.summary[SUMMARY_COLUMNS],
        "predict_cases.csv": cases[CASE_COLUMNS],
        "predict_constructs.csv": result.constructs[["construct", "rmse", "mae", "q2_predict"]],
    }


def settings_record(result, args) -> dict:
    from leanlearn import __version__
    from leanlearn.cli.estimate import _missing_value

    return {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "n_cases": int(result.n),
        "loo": bool(result.loo),
        "folds": int(result.folds),
        "repetitions": int(result.repetitions),
        "seed": None if result.seed is None else int(result.seed),
        "technique": result.technique,
        "benchmark": result.benchmark,
        "metric": result.metric,
        "missing": args.missing,
        "missing_value": _missing_value(args.missing_value),
        "scheme": args.scheme,
        "interaction": args.interaction,
        "n_failed_folds": int(result.n_failed_folds),
        "averaging": "per-case predictions averaged over repetitions, then metrics",
    }


def run(args: argparse.Namespace) -> int:
    from leanlearn.cli.estimate import _missing_value, read_data
    from leanlearn.robustness.predict import pls_predict
    from leanlearn.spec.model import parse_model

    if not args.loo and args.folds < 2:
        raise UserError("--folds must be at least 2")
    if args.repetitions < 1:
        raise UserError("--repetitions must be at least 1")
    if args.seed is not None and args.seed < 0:
        raise UserError("--seed must be a non-negative integer")
    data = read_data(args.data)
    with user_errors(args.model):
        spec = parse_model(read_text(args.model))
    with user_errors(args.data), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = pls_predict(
                data,
                spec,
                folds=args.folds,
                repetitions=args.repetitions,
                loo=args.loo,
                seed=args.seed,
                technique=args.technique,
                benchmark=args.benchmark.replace('-', '_'),
                metric=args.metric,
                missing=args.missing,
                missing_value=_missing_value(args.missing_value),
                scheme=args.scheme,
                interaction=args.interaction,
                source=args.data,
            )
        except ValueError as exc:
            if type(exc) is ValueError:  # option errors; DataError/SpecError go to user_errors
                raise UserError(str(exc)) from exc
            raise
    for w in caught:
        log.warning("%s", w.message)
    mode = "leave-one-out" if result.loo else f"{result.folds}-fold x {result.repetitions} (seed {result.seed})"
    log.info("PLSpredict %s on %d cases, %s antecedents, LM on %s indicators", mode, result.n, result.technique, result.benchmark)
    with atomic_dir(args.out) as tmp:
        for name, df in tables(result).items():
            write_csv(df, tmp / name)
        (tmp / "predict_settings.json").write_text(json.dumps(settings_record(result, args), indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
