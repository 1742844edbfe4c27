"""``leanlearn predict DATA MODEL --out DIR``: PLSpredict (cross-validated prediction).

With ``--config`` the verb predicts *the analysed model*: the config's controls are added as
every study-level verb adds them (the same cases: those with a missing control are left out
and listed), and folds, repetitions, technique, benchmark, estimation settings and seed come
from the config (``robustness.predict``, ``estimation``, ``seed``) unless given here.

The benchmark is paired with the technique by default (``--benchmark paired``): direct
antecedents with the LM on the antecedents' indicators, earliest antecedents with the LM on
the exogenous indicators. Both pairs are always run on the same folds and reported
(``predict_pairs.csv``, ``predict_verdicts.csv``); the three contracted tables hold the
configured technique.

Output contract (written atomically; construct and indicator names as in the model and
data; ``case`` is the 1-based row of the data file)::

    predict_items.csv       indicator, rmse_pls, mae_pls, rmse_lm, mae_lm, q2_predict
    predict_summary.csv     construct, n_indicators, n_q2_positive, n_pls_better_rmse,
                            n_pls_better_mae, verdict
    predict_cases.csv       case, indicator, actual, predicted_pls, predicted_lm
    predict_pairs.csv       technique, benchmark, construct, indicator, rmse_pls, mae_pls,
                            rmse_lm, mae_lm, q2_predict  (both pairs)
    predict_verdicts.csv    technique, benchmark, pairing, construct, n_indicators, n_q2_positive,
                            n_pls_better_rmse, n_pls_better_mae, verdict  (both pairs)
    notes.txt               the verdict rule (Shmueli et al. 2019), the pairs, cases and controls

Also written: predict_constructs.csv (construct, rmse, mae, q2_predict of the predicted
construct scores), excluded_cases.csv (with controls: cases without a control value) and
predict_settings.json (folds, repetitions, seed, technique, benchmark, metric, cases,
controls, failed folds, leanlearn version).
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_model, user_errors, write_csv

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
    p.add_argument("--config", default=None, help="config.yaml: predict the analysed model (its controls, estimation settings, seed, robustness.predict)")
    p.add_argument("--no-controls", action="store_true", help="with --config: leave the configured controls out")
    cv = p.add_mutually_exclusive_group()
    cv.add_argument("--folds", type=int, default=None, metavar="K", help="number of folds (default: robustness.predict.folds or 10)")
    cv.add_argument("--loo", action="store_true", help="leave-one-out: every case is its own fold")
    p.add_argument("--repetitions", type=int, default=None, metavar="R", help="k-fold repetitions (default: robustness.predict.repetitions or 10; ignored with --loo)")
    p.add_argument("--seed", type=int, default=None, help="study seed; folds come from its 'folds' stream (default: the config's seed; drawn and recorded without one)")
    p.add_argument("--missing-value", default=None, help="code that marks missing cells, e.g. -99")
    p.add_argument("--missing", choices=["mean", "listwise"], default="mean", help="missing-data treatment, applied before the split")
    p.add_argument("--technique", choices=["direct", "earliest"], default=None, help="technique of the main tables: direct antecedents (default) or earliest antecedents")
    p.add_argument(
        "--benchmark",
        choices=["paired", "exogenous", "antecedents", "all-other"],
        default=None,
        help="LM benchmark of the main tables: paired with the technique (default; direct <-> antecedents' indicators, "
        "earliest <-> exogenous indicators), or exogenous, antecedents, all-other. Both fair pairs are always reported too.",
    )
    p.add_argument("--hoc", choices=["two_stage", "embedded_two_stage"], default=None,
                   help="two-stage approach for higher-order constructs (default two_stage; every fold redoes both stages)")
    p.add_argument("--metric", choices=["rmse", "mae"], default=None, help="error compared with the LM for the verdict (default rmse)")
    p.add_argument("--scheme", choices=["path", "centroid", "factorial"], default=None, help="inner weighting scheme (default: estimation.scheme or path)")
    p.add_argument("--interaction", choices=["two_stage", "product_indicator", "orthogonal"], default=None, help="default: estimation.interaction or two_stage")
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


def settings_record(result, args, extra: dict | None = None) -> dict:
    from leanlearn import __version__
    from leanlearn.cli.estimate import _missing_value

    seed = result.seed
    return {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "n_cases": int(result.n),
        "loo": bool(result.loo),
        "folds": int(result.folds),
        "repetitions": int(result.repetitions),
        "seed": None if seed is None else int(seed),
        "random_stream": None if seed is None else "leanlearn.random.stream(seed, 'folds')",
        "technique": result.technique,
        "benchmark": result.benchmark,
        "metric": result.metric,
        "missing": args.missing,
        "missing_value": _missing_value(args.missing_value),
        "n_failed_folds": int(result.n_failed_folds),
        "averaging": "per-case predictions averaged over repetitions, then metrics",
        "hoc": getattr(args, "hoc", None),
        **(extra or {}),
    }


def _pick(arg, section: dict, key: str, default):
    return arg if arg is not None else section.get(key, default)


def run(args: argparse.Namespace) -> int:
    from leanlearn.cli._study import load_config, study_data
    from leanlearn.cli.estimate import read_data
    from leanlearn.robustness.predict import PAIRED_BENCHMARK

    config, config_path = load_config(args.config)
    opts = _options(args, config, config_path)
    excluded, ctl = None, None
    if config_path is not None:
        data, spec, excluded, ctl = study_data(args.data, args.model, config, controls=not args.no_controls)
    else:
        data = read_data(args.data)
        spec = read_model(args.model)
    options = opts["options"]
    if args.hoc is not None and not spec.higher_order:
        raise UserError(f"{args.model}: --hoc {args.hoc} was given but the model has no higher-order construct; drop --hoc")
    if spec.higher_order:
        args.hoc = options["hoc"] = args.hoc or "two_stage"
    pairs, result = _predict(args, data, spec, opts)
    mode = "leave-one-out" if result.loo else f"{result.folds}-fold x {result.repetitions} (seed {result.seed})"
    log.info("PLSpredict %s on %d cases, %s antecedents, LM on %s indicators", mode, result.n, result.technique, result.benchmark)
    notes = _notes_lines(result, pairs, mode, ctl, excluded, opts["metric"])
    with atomic_dir(args.out) as tmp:
        for name, df in tables(result).items():
            write_csv(df, tmp / name)
        write_csv(pairs["items"], tmp / "predict_pairs.csv")
        write_csv(pairs["summary"], tmp / "predict_verdicts.csv")
        if config_path is not None:  # the analysed model's cases: always listed (empty without exclusions)
            write_csv(excluded if excluded is not None else pd.DataFrame(columns=["row", "variable", "reason"]), tmp / "excluded_cases.csv")
        (tmp / "notes.txt").write_text("\n\n".join(notes) + "\n", encoding="utf-8")
        extra = {
            "config": config_path, "controls": ctl, "scheme": options["scheme"], "interaction": options["interaction"],
            "pairs": {t: PAIRED_BENCHMARK[t] for t in PAIRED_BENCHMARK},
        }  # fmt: skip
        (tmp / "predict_settings.json").write_text(json.dumps(settings_record(result, args, extra), indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0


def _options(args: argparse.Namespace, config: dict, config_path) -> dict:
    """The run's options from the command line, else the config (robustness.predict, estimation, seed), else the defaults."""
    from leanlearn.cli._study import estimation_settings, section
    from leanlearn.cli.estimate import _missing_value
    from leanlearn.robustness.predict import PAIRED_BENCHMARK

    robust = section(config, "robustness") if config else {}
    pcfg = robust.get("predict") or {}
    if not isinstance(pcfg, dict):
        raise UserError(f"{config_path}: robustness.predict: expected a mapping")
    est = estimation_settings(config) if config else {"scheme": "path", "interaction": "two_stage"}
    folds = int(_pick(args.folds, pcfg, "folds", 10))
    repetitions = int(_pick(args.repetitions, pcfg, "repetitions", 10))
    technique = _pick(args.technique, pcfg, "technique", "direct")
    seed = args.seed if args.seed is not None else config.get("seed")
    if not args.loo and folds < 2:
        raise UserError("--folds must be at least 2")
    if repetitions < 1:
        raise UserError("--repetitions must be at least 1")
    if seed is not None and int(seed) < 0:
        raise UserError("--seed must be a non-negative integer")
    if technique not in PAIRED_BENCHMARK:
        raise UserError(f"{config_path or '--technique'}: robustness.predict.technique must be direct or earliest, not {technique!r}")
    metric = _pick(args.metric, pcfg, "metric", "rmse")
    options = dict(
        folds=folds, repetitions=repetitions, loo=args.loo, seed=seed, metric=metric, missing=args.missing,
        missing_value=_missing_value(args.missing_value), scheme=args.scheme or est["scheme"],
        interaction=args.interaction or est["interaction"], source=args.data,
    )  # fmt: skip
    benchmark = str(_pick(args.benchmark, pcfg, "benchmark", "paired")).replace("-", "_")
    return {"options": options, "technique": technique, "benchmark": benchmark, "metric": metric}


def _predict(args: argparse.Namespace, data, spec, opts: dict):
    """Both fair pairs on the same folds, and the main tables' run (the configured technique and benchmark)."""
    from leanlearn.robustness.predict import PAIRED_BENCHMARK, paired_assessment, pls_predict

    options, technique, benchmark = opts["options"], opts["technique"], opts["benchmark"]
    with user_errors(args.data), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pairs = paired_assessment(data, spec, **options)
            options["seed"] = pairs["results"]["direct"].seed
            if benchmark in ("paired", PAIRED_BENCHMARK[technique]):
                result = pairs["results"][technique]
            else:
                result = pls_predict(data, spec, technique=technique, benchmark=benchmark, **options)
        except ValueError as exc:
            if type(exc) is ValueError:  # option errors; DataError/SpecError go to user_errors
                raise UserError(str(exc)) from exc
            raise
    for w in dict.fromkeys(str(w.message) for w in caught):
        log.warning("%s", w)
    return pairs, result


def _notes_lines(result, pairs: dict, mode: str, ctl, excluded, metric: str) -> list[str]:
    """notes.txt: the run, the verdict rule, both pairs' verdicts, the main tables' pair and the cases left out."""
    from leanlearn.robustness.predict import PAIRED_BENCHMARK, TECHNIQUE_WORDS

    lines = [
        f"PLSpredict ({mode}) on {result.n} cases" + (f", with the controls {', '.join(ctl['terms'])}" if ctl and ctl.get("terms") else ", without controls") + ".",
        pairs["rule"],
        "Both pairs, on the same folds: "
        + "; ".join(
            f"{r.pairing}: {r.construct} {r.verdict} ({int(r.n_pls_better_rmse if metric == 'rmse' else r.n_pls_better_mae)} of {int(r.n_indicators)})"
            for r in pairs["summary"].itertuples()
        )
        + ".",
        f"Main tables (predict_items.csv, predict_summary.csv): {TECHNIQUE_WORDS[result.technique]} vs {result.benchmark} benchmark"
        + ("" if result.benchmark == PAIRED_BENCHMARK[result.technique] else " (not the paired benchmark: the comparison uses different information)")
        + ".",
    ]
    if excluded is not None and len(excluded):
        n_out = excluded["row"].nunique() if "row" in excluded.columns else len(excluded)
        lines.append(f"{n_out} case(s) without a control value were left out, as in the main analysis (excluded_cases.csv).")
    return lines
