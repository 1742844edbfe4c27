"""``leanlearn bias``: non-response, key-informant and common-method-bias diagnostics.

::

    leanlearn bias DATA MODEL --config config.yaml --codebook codebook.yaml
                   [--frame CSV] --out results/bias/

The tables are :func:`leanlearn.bias.diagnostics.bias_diagnostics`; this verb reads the
inputs and writes them. Construct scores come from :func:`leanlearn.estimate` (PLS, the
model as given); the marker's score is the equally weighted mean of its standardised items.
Settings come from the ``bias:`` section of the config (defaults in
:class:`leanlearn.bias.checks.BiasConfig`).
Outputs (written atomically; columns documented in :mod:`leanlearn.bias.checks`)::

    nonresponse_early_late.csv  split, variable, kind, group_a (early), group_b (late), ...
                                (:data:`leanlearn.bias.checks.COMPARISON_COLUMNS`): every construct
                                score and archival variable present; without wave or
                                submission time: status, reason
    nonresponse_frame.csv       respondents vs non-respondents on frame variables (same
                                columns); without --frame: status, reason
    nonresponse_bias.csv        (N_nr/N)(mean_r - mean_nr) per frame variable / category;
                                without --frame: status, reason
    key_informants.csv          variable, statistic, level, value (status, reason when the data
                                have no key-informant columns)
    full_collinearity_vif.csv   construct, r_squared, vif, threshold, exceeds
    marker_correction.csv       construct_a, construct_b, n, marker, marker_rule, r_m, ...;
                                without a marker: status, reason
    marker_correlations.csv     construct, marker, n, r, p_value, positive, rank_positive, chosen,
                                marker_rule: every marker correlation and which one is r_M
    marker_paths.csv            source, target, estimate, corrected_estimate, difference, r_m, n:
                                paths re-estimated on the marker-corrected correlation matrix
    harman.csv                  method, n, n_items, n_factors, first_eigenvalue,
                                first_factor_share, threshold, exceeds, converged, caveat
    method_factor.csv           technique, model, n, chi2, df, ..., delta_chi2, delta_p_value, flagged:
                                CFA without and with a latent method factor
                                (:mod:`leanlearn.bias.common_method`)
    method_factor_loadings.csv  standardised substantive and method loadings per item
    archival_triangulation.csv  construct, measure, n, r, CI, p, Spearman's rho (bias.triangulation);
                                status, reason when nothing is configured
    procedural_remedies.csv     remedy, available, evidence, reference
    settings.json               inputs, settings, the early/late split used

Column names of the data are resolved through the codebook: canonical names after
``leanlearn ingest`` (``recorded``, ``wave``, ``ki_role``, ...) are tried first, then the
export's own columns (``RecordedDate``, ``Q1_role``, ...).
"""

from __future__ import annotations

import argparse
import json
import logging

from typing import TYPE_CHECKING

from leanlearn.cli._io import atomic_dir, read_config, read_model, read_yaml, user_errors, write_csv
from leanlearn.cli._options import add_data_model

if TYPE_CHECKING:  # pandas and the bias checks are imported by run, not by ``leanlearn --help``
    import pandas as pd

    from leanlearn.bias.checks import BiasConfig
    from leanlearn.bias.diagnostics import BiasDiagnostics

log = logging.getLogger("leanlearn.bias.checks")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bias",
        help="non-response, key-informant and common-method-bias diagnostics",
        description="Early vs late respondents, respondents vs non-respondents (sampling frame), key-informant "
        "profile, full-collinearity VIFs, marker-variable correction, Harman's test (weak; reported with its "
        "caveat) and the procedural remedies the data allow.",
    )
    add_data_model(p, data_help="clean analysis data (the merged, screened file)", model_help="model file (lavaan-style syntax)")
    p.add_argument("--config", required=True, help="pipeline config YAML (section bias:, seed)")
    p.add_argument("--codebook", required=True, help="codebook YAML (paradata, key-informant and marker items)")
    p.add_argument("--frame", default=None, help="sampling frame: every invited firm (firm_id, employees, nace2, country)")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leanlearn.bias.checks import bias_config
    from leanlearn.bias.diagnostics import bias_diagnostics
    from leanlearn.cli.estimate import read_data
    from leanlearn.spec.codebook import load_codebook

    config = read_config(args.config)
    with user_errors(str(args.config)):
        cfg = bias_config(config.get("bias"))
    with user_errors(str(args.codebook)):
        codebook = load_codebook(read_yaml(args.codebook))
    data = read_data(args.data)
    spec = read_model(args.model)
    frame = _read_frame(args.frame) if args.frame else None
    result = bias_diagnostics(
        data, spec, codebook, cfg, seed=config.get("seed"), frame=frame,
        data_source=str(args.data), frame_source=str(args.frame) if args.frame else None,
    )
    settings = _settings(args, cfg, result, n_rows=len(data), seed=config.get("seed"))
    with atomic_dir(args.out) as tmp:
        for name, df in result.tables.items():
            write_csv(df, tmp / f"{name}.csv")
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2, default=str) + "\n", encoding="utf-8")
    log.info("wrote %d bias tables to %s", len(result.tables), args.out)
    return 0


def _read_frame(path: str) -> pd.DataFrame:
    """The sampling frame as exported (CSV, Excel, SPSS, Stata); errors name the file."""
    from leanlearn.data.ingest import read_export

    with user_errors(str(path)):
        return read_export(path)


def _settings(args: argparse.Namespace, cfg: BiasConfig, result: BiasDiagnostics, *, n_rows: int, seed: int | None) -> dict:
    """settings.json: the inputs, the ``bias:`` settings, the early/late split used and the notes."""
    from leanlearn import __version__
    from leanlearn.bias.checks import HARMAN_CAVEAT

    return {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "config": str(args.config),
        "codebook": str(args.codebook),
        "frame": str(args.frame) if args.frame else None,
        "n_rows": int(n_rows),
        "scores": "PLS construct scores (leanlearn.estimate defaults); marker: equally weighted standardised items",
        "early_late_split": result.split.description if result.split is not None else None,
        "seed": seed,
        "bias": {k: ([x.__dict__ if hasattr(x, "__dict__") else x for x in v] if isinstance(v, tuple) else v) for k, v in cfg.__dict__.items()},
        "notes": result.notes,
        "harman_caveat": HARMAN_CAVEAT,
    }
