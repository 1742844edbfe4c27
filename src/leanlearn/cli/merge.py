"""``leanlearn merge``: join the clean survey to archival firm data; derive controls.

Outputs (written atomically; nothing is replaced when a step fails):

``<out>/unmatched_firms.csv``  firm_id, side (survey | archival), reason
``<out>/merge_report.csv``     section, variable, quantity, value (matching, coverage,
                               controls, winsorisation bounds)
``--merged``                   the analysis data set: survey rows + archival columns +
                               log_employees, firm_age, industry, industry_group, survey_year
"""

from __future__ import annotations

import argparse
import logging

from leanlearn.cli._io import atomic_dir, atomic_file, read_config, user_errors, write_csv

log = logging.getLogger("leanlearn.data.merge")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "merge",
        help="join the clean survey to archival firm data and derive the controls",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--survey", default="data/processed/survey_clean.csv", help="output of 'leanlearn screen'")
    p.add_argument("--archival", required=True, help="archival firm data (one row per firm)")
    p.add_argument("--frame", default=None, help="sampling frame (all invited firms), optional")
    p.add_argument("--config", required=True, help="pipeline config YAML (controls, archival variables)")
    p.add_argument("--out", default="results/screening", help="directory for the merge tables")
    p.add_argument("--merged", default="data/processed/analysis.csv", help="merged analysis data set")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leanlearn.cli.screen import read_survey
    from leanlearn.errors import SpecError
    from leanlearn.data.ingest import read_export
    from leanlearn.data.merge import merge_archival

    config = read_config(args.config)
    mcfg = dict(config.get("archival_merge") or {})
    with user_errors(str(args.config)):
        unknown = set(mcfg) - {"winsorize", "financials", "survey_year"}
        if unknown:
            raise SpecError(f"archival_merge.{sorted(unknown)[0]}: unknown key; known: winsorize, financials, survey_year")
        limits = mcfg.get("winsorize", [0.01, 0.99])
        if not isinstance(limits, (list, tuple)) or len(limits) != 2:
            raise SpecError(f"archival_merge.winsorize: expected [lower, upper] quantiles, got {limits!r}")
        financials = mcfg.get("financials", ["revenue_usd_th"]) or []
    survey = read_survey(args.survey)
    with user_errors():
        archival = read_export(args.archival)
        frame = read_export(args.frame) if args.frame else None
        result = merge_archival(
            survey,
            archival,
            frame=frame,
            winsorize_limits=(float(limits[0]), float(limits[1])),
            financials=list(financials),
            survey_year=mcfg.get("survey_year"),
            source=str(args.archival),
        )
    with atomic_dir(args.out) as tmp, atomic_file(args.merged) as merged_tmp:
        write_csv(result.unmatched, tmp / "unmatched_firms.csv")
        write_csv(result.report, tmp / "merge_report.csv")
        write_csv(result.data, merged_tmp)
    counts = result.unmatched["side"].value_counts()
    log.info(
        "merged %d responses with %s: %d survey firm(s) without archival record, %d archival firm(s) not in "
        "the survey; wrote %s and %s",
        len(result.data), args.archival, int(counts.get("survey", 0)), int(counts.get("archival", 0)),
        args.out, args.merged,
    )
    return 0
