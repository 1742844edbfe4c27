"""``leanlearn describe --data CSV --model LAV --out DIR``: item and construct descriptives.

Outputs (written atomically)::

    items.csv                   item, construct, n, mean, sd, min, max, skewness, kurtosis,
                                share_missing   (sd with n - 1; skewness G1 and excess
                                kurtosis G2, bias-corrected, as pandas/scipy(bias=False))
    construct_correlations.csv  construct, mean, sd, then one column per construct: the
                                correlations of the PLS construct scores in the lower
                                triangle, 1 (or sqrt(AVE) with --diagonal sqrt_ave) on the
                                diagonal, empty above; mean and sd on the items' scale
    settings.json               inputs, options and the leanlearn version

With ``--codebook``, the items of codebook constructs that are not in the model (e.g. the
marker) are described too, when the data have them.
"""

from __future__ import annotations

import argparse
import json
import logging

from leanlearn.cli._io import atomic_dir, read_text, read_yaml, user_errors, write_csv

log = logging.getLogger("leanlearn.descriptives.describe")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="item descriptives and the construct correlation table",
        description="Describe every item of the model (n, mean, SD, range, skewness, excess kurtosis, missing share) "
        "and write the construct correlation table (PLS construct scores) with means and SDs.",
    )
    p.add_argument("--data", default="data/processed/analysis.csv", help="clean analysis data (CSV, XLSX, SAV, DTA)")
    p.add_argument("--model", default="config/models/study.lav", help="model file (lavaan-style syntax)")
    p.add_argument("--codebook", default=None, help="codebook YAML: also describe its constructs that are not in the model (marker)")
    p.add_argument("--out", default="results/describe", help="output directory")
    p.add_argument("--diagonal", choices=["one", "sqrt_ave"], default="one", help="diagonal of the correlation table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli.estimate import read_data
    from leanlearn.descriptives.describe import correlation_table, item_descriptives
    from leanlearn.pls.engine import estimate
    from leanlearn.spec.model import parse_model

    data = read_data(args.data)
    with user_errors(args.model):
        spec = parse_model(read_text(args.model))
    blocks = {c.name: c.indicators for c in spec.constructs}
    if args.codebook:
        from leanlearn.spec.codebook import load_codebook

        with user_errors(str(args.codebook)):
            codebook = load_codebook(read_yaml(args.codebook))
        used = set(spec.items)
        for name, items in codebook.items_by_construct.items():
            if name not in blocks and all(i in data.columns for i in items) and not used & set(items):
                blocks[name] = items
    with user_errors(args.data):
        items = item_descriptives(data, blocks)
        res = estimate(data, spec, source=args.data)
        table = correlation_table(res, diagonal=args.diagonal)
    settings = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "codebook": str(args.codebook) if args.codebook else None,
        "n_rows": int(len(data)),
        "n_scores": int(res.n),
        "scores": "PLS construct scores (path weighting, Mode A/B as in the model, missing: mean replacement)",
        "diagonal": args.diagonal,
        "construct_mean_sd": "weighted mean of the raw items with rescaled outer weights v_i = (w_i/s_i)/sum_j(w_j/s_j)",
        "sd": "divisor n - 1",
        "skewness": "adjusted Fisher-Pearson G1 (pandas Series.skew, scipy.stats.skew(bias=False))",
        "kurtosis": "excess kurtosis G2, bias-corrected (pandas Series.kurt, scipy.stats.kurtosis(bias=False))",
    }
    with atomic_dir(args.out) as tmp:
        write_csv(items, tmp / "items.csv")
        write_csv(table, tmp / "construct_correlations.csv")
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    log.info("described %d items and %d constructs; wrote %s", len(items), len(table), args.out)
    return 0
