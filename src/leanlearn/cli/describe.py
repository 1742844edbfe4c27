"""``leanlearn describe DATA MODEL --out DIR``: item and construct descriptives.

::

    leanlearn describe DATA MODEL [--codebook YAML] [--untreated CSV]
                       [--flags CSV --frame CSV] --out DIR

Outputs (written atomically)::

    items.csv                   item, construct, n, mean, sd, min, max, skewness, excess_kurtosis,
                                share_missing, n_missing   (sd with n - 1; skewness G1 and excess
                                kurtosis G2, bias-corrected, as pandas/scipy(bias=False));
                                from --untreated when given (the kept responses before the
                                missing-data treatment, so the missing shares are the real
                                ones), else from --data
    response.csv                quantity, value, definition: responses, duplicates, responding
                                units, response rates against the frame (with --flags and
                                --frame; :func:`leanlearn.descriptives.response.response_counts`)
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

from leanlearn.cli._io import UserError, atomic_dir, read_model, read_yaml, user_errors, write_csv
from leanlearn.cli._options import add_data_model

log = logging.getLogger("leanlearn.descriptives.describe")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="item descriptives and the construct correlation table",
        description="Describe every item of the model (n, mean, SD, range, skewness, excess kurtosis, missing share) "
        "and write the construct correlation table (PLS construct scores) with means and SDs.",
    )
    add_data_model(p, data_help="clean analysis data (CSV, XLSX, SAV, DTA)", model_help="model file (lavaan-style syntax)")
    p.add_argument("--codebook", default=None, help="codebook YAML: also describe its constructs that are not in the model (marker)")
    p.add_argument("--untreated", default=None, help="kept responses before missing-data treatment (item descriptives and missing shares)")
    p.add_argument("--flags", default=None, help="screening flags of every response (results/screening/flags.csv), for the response rate")
    p.add_argument("--frame", default=None, help="sampling frame (every invited unit), for the response rate")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--diagonal", choices=["one", "sqrt_ave"], default="one", help="diagonal of the correlation table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.cli.estimate import read_data
    from leanlearn.descriptives.describe import correlation_table, item_descriptives
    from leanlearn.pls.engine import estimate

    data = read_data(args.data)
    spec = read_model(args.model)
    blocks = {c.name: c.indicators for c in spec.constructs}
    if args.codebook:
        from leanlearn.spec.codebook import load_codebook

        with user_errors(str(args.codebook)):
            codebook = load_codebook(read_yaml(args.codebook))
        used = set(spec.items)
        for name, items in codebook.items_by_construct.items():
            if name not in blocks and all(i in data.columns for i in items) and not used & set(items):
                blocks[name] = items
    from leanlearn.spec.codebook import FIRM_ID

    item_source = args.untreated or args.data
    item_data = read_data(args.untreated) if args.untreated else data
    with user_errors(str(item_source)):
        item_table = item_descriptives(item_data, blocks)
    response = None
    if bool(args.flags) != bool(args.frame):
        raise UserError("describe: --flags and --frame go together (the response rate needs both)")
    if args.flags:
        from leanlearn.data.ingest import read_export
        from leanlearn.descriptives.response import response_counts

        flags = read_data(args.flags)
        with user_errors(str(args.frame)):
            frame = read_export(args.frame)
            if FIRM_ID not in frame.columns:
                raise UserError(f"{args.frame}: no '{FIRM_ID}' column")
            kept = list(item_data[FIRM_ID]) if FIRM_ID in item_data.columns else None
            response = response_counts(flags, list(frame[FIRM_ID]), kept_ids=kept, id_column=FIRM_ID)
    with user_errors(args.data):
        res = estimate(data, spec, source=args.data)
        table = correlation_table(res, diagonal=args.diagonal)
    settings = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "codebook": str(args.codebook) if args.codebook else None,
        "n_rows": int(len(data)),
        "items_from": str(item_source),
        "n_rows_items": int(len(item_data)),
        "flags": str(args.flags) if args.flags else None,
        "frame": str(args.frame) if args.frame else None,
        "n_scores": int(res.n),
        "scores": "PLS construct scores (path weighting, Mode A/B as in the model, missing: mean replacement)",
        "diagonal": args.diagonal,
        "construct_mean_sd": "weighted mean of the raw items with rescaled outer weights v_i = (w_i/s_i)/sum_j(w_j/s_j)",
        "sd": "divisor n - 1",
        "skewness": "adjusted Fisher-Pearson G1 (pandas Series.skew, scipy.stats.skew(bias=False))",
        "excess_kurtosis": "excess kurtosis G2, bias-corrected (pandas Series.kurt, scipy.stats.kurtosis(bias=False))",
    }
    with atomic_dir(args.out) as tmp:
        write_csv(item_table, tmp / "items.csv")
        write_csv(table, tmp / "construct_correlations.csv")
        if response is not None:
            write_csv(response, tmp / "response.csv")
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    log.info("described %d items and %d constructs; wrote %s", len(item_table), len(table), args.out)
    return 0
