"""``leanlearn summary``: write ``results/summary.md``, the headline of a pipeline run in a page.

Reads the result tables under ``--results`` (absent stages are reported as not run) and
renders :func:`leanlearn.report.headline.summary_markdown`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from leanlearn.cli._io import atomic_file, read_config
from leanlearn.cli._options import config_of_results
from leanlearn.report.analyses import TABLES as ANALYSIS_TABLES

TABLES = [
    "screening/flow.csv",
    "screening/merge_report.csv",
    "descriptives/response.csv",
    "bias/nonresponse_early_late.csv",
    "bias/nonresponse_frame.csv",
    "bias/full_collinearity_vif.csv",
    "bias/marker_correction.csv",
    "bias/marker_correlations.csv",
    "bias/marker_paths.csv",
    "bias/method_factor.csv",
    "bias/archival_triangulation.csv",
    "bias/harman.csv",
    "bias/procedural_remedies.csv",
    "robustness/cbsem/pls_plsc_cbsem_paths.csv",
    "robustness/cbsem/cbsem_status.csv",
    "measurement/measurement_assessment.csv",
    "measurement/reliability.csv",
    "measurement/htmt_upper_bounds.csv",
    "measurement/cfa_fit.csv",
    "structural/r_squared.csv",
    "structural/moderated_mediation.csv",
    "structural/conditional_indirect_effects.csv",
    "structural/johnson_neyman.csv",
    "hypotheses/hypotheses.csv",
    "hypotheses/excluded_cases.csv",
    "hypotheses/process_agreement.csv",
    "screening/sensitivity_paths.csv",
    "robustness/multiverse_stability.csv",
    "robustness/predict/predict_summary.csv",
    "robustness/predict/predict_verdicts.csv",
    "robustness/endogeneity/copula.csv",
    "robustness/groups/micom_summary.csv",
    "robustness/groups/mga.csv",
    "robustness/power/power.csv",
    "robustness/higher_order/paths.csv",
    "robustness/higher_order/hoc_reliability.csv",
    "robustness/higher_order/hoc_indicators.csv",
    *ANALYSIS_TABLES,
]


def register(sub) -> None:
    p = sub.add_parser("summary", help="write results/summary.md, the headline of a run")
    p.add_argument("--results", default="results", help="the results directory")
    p.add_argument("--config", default=None, help="pipeline config (default: config.yaml in --results, the effective config of the run)")
    p.add_argument("--out", default="results/summary.md")
    p.set_defaults(func=run)


def load_tables(results: Path) -> dict:
    tables = {}
    for rel in TABLES:
        path = results / rel
        if path.exists():
            tables[rel] = pd.read_csv(path)
    settings = results / "structural" / "settings.json"
    if settings.exists():
        tables["structural/settings"] = json.loads(settings.read_text())
    hoc_settings = results / "robustness" / "higher_order" / "settings.json"
    if hoc_settings.exists():
        tables["robustness/higher_order/settings"] = json.loads(hoc_settings.read_text())
    return tables


def run(args) -> int:
    from leanlearn.cli._words import words_of
    from leanlearn.report.headline import summary_markdown

    config_of_results(args)
    cfg = read_config(args.config)
    results = Path(args.results)
    notes = [
        f"Survey: `{cfg.get('survey')}`; archival: `{cfg.get('archival') or 'none'}`; model: `{cfg.get('model')}`; seed {cfg.get('seed')}.",
    ]
    if str(cfg.get("survey", "")).startswith("data/raw/"):
        notes.append(
            "> **The bundled data are synthetic**, drawn from a documented population model of the study's design "
            "(`data/README.md`); the original survey is not public. The numbers below describe the synthetic sample."
        )
    text = summary_markdown(load_tables(results), notes=notes, words=words_of(cfg, args.config))
    with atomic_file(args.out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return 0
