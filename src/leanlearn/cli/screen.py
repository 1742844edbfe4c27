"""``leanlearn screen``: careless-response screening, missing-data report and treatment.

Outputs in ``--out`` (all written atomically together with ``--clean`` and
``--untreated``; nothing is replaced when a step fails):

``flags.csv``               one row per response, every index, flag and the decision
``exclusions.csv``          excluded responses with all reasons
``flow.csv``                CONSORT-style flow (step, description, n_before, n_excluded, n_after, n_flagged)
``flagged_kept.csv``        kept responses with soft flags
``screening_thresholds.csv`` configured and estimated thresholds (parameter, value)
``screening_notes.csv``     indices skipped or limited (index, note)
``missingness_items.csv``   kept responses: item, n, n_missing, share_missing, exceeds_limit
``missingness_cases.csv``   kept responses: respondent_id, n_items, n_missing, share_missing
``little_mcar.csv``         Little's MCAR test on the kept responses
``missing_treatment.csv``   method, item, n_missing, share_missing, n_imputed, n_cases_dropped, note

``--clean``: kept responses, items above the item-missingness limit dropped, missing
values treated as configured (``missing.treatment``; with ``multiple`` the clean data hold
the single model-based imputation, ``iterative``, and the measurement and hypotheses steps
impute ``missing.imputations`` times from the untreated answers). ``--untreated``: the same rows and
columns before treatment, so that later steps can re-run with ``missing.alternative``.
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, atomic_file, read_config, read_yaml, user_errors, write_csv
from leanlearn.cli._options import add_data_model

log = logging.getLogger("leanlearn.screen")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "screen",
        help="screen careless responses, report and treat missing data",
        description=__doc__.split("\n\n")[0],
    )
    add_data_model(p, data_help="the ingested responses (output of 'leanlearn ingest')", model_help=None)
    p.add_argument("--codebook", required=True, help="codebook YAML (items, scales, screening fields)")
    p.add_argument("--config", required=True, help="pipeline config YAML (screening thresholds, missing data)")
    p.add_argument("--out", default="results/screening", help="directory for the screening tables")
    p.add_argument("--clean", default="data/processed/survey_clean.csv", help="clean data (kept, treated)")
    p.add_argument(
        "--untreated", default=None,
        help="kept data before missing-data treatment (default: survey_kept_untreated.csv next to --clean)",
    )
    p.set_defaults(func=run)


def read_survey(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by an earlier verb; ids stay text."""
    from leanlearn.spec.codebook import FIRM_ID, RESPONDENT_ID

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    try:
        return pd.read_csv(
            path, dtype={RESPONDENT_ID: str, FIRM_ID: str}, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the file ({exc})") from exc


def run(args: argparse.Namespace) -> int:
    from leanlearn.spec.codebook import load_codebook
    import numpy as np

    from leanlearn.errors import DataError
    from leanlearn.data.missing import little_mcar, missing_config, missingness_cases, treat_missing
    from leanlearn.screening.careless import kept_data, screen, screening_config

    config = read_config(args.config)
    with user_errors(str(args.codebook)):
        codebook = load_codebook(read_yaml(args.codebook))
    with user_errors(str(args.config)):
        cfg = screening_config(config.get("screening"))
        mcfg = missing_config(config.get("missing"))
    data = read_survey(args.data)
    with user_errors(str(args.data)):
        result = screen(data, codebook, cfg)
        kept = kept_data(data, result)
    items = [i for i in codebook.item_ids if i in kept.columns]
    scales = codebook.item_scales()
    cases = missingness_cases(kept, items=items)
    notes = result.notes.copy()
    try:
        mcar = little_mcar(kept, items=items)
    except (DataError, np.linalg.LinAlgError) as exc:  # too few cases, singular covariance: report, go on
        mcar = pd.DataFrame([{"statistic": float("nan"), "df": 0, "p_value": float("nan"), "n_patterns": 0,
                              "n_cases": len(kept), "n_items": len(items), "em_iterations": 0,
                              "em_converged": False}])
        notes.loc[len(notes)] = ["little_mcar", f"not computed: {exc}"]
    with user_errors(str(args.config)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        treated, treatment = treat_missing(
            kept,
            items=items,
            method=mcfg.single_treatment,
            max_item_missing=mcfg.mean_replacement_max_item_missing,
            strict=mcfg.strict,
            seed=config.get("seed"),
            bounds={i: scales[i][:2] for i in items},
        )
    for w in caught:
        log.warning("%s", w.message)
    if mcfg.treatment == "multiple":
        treatment["method"] = "multiple"
        treatment["note"] = [
            (f"{n}; " if n else "") + f"imputed {mcfg.imputations} times in measurement and hypotheses (pooled); one model-based imputation (iterative) for the other steps"
            for n in treatment["note"]
        ]

    untreated_path = Path(args.untreated) if args.untreated else Path(args.clean).with_name("survey_kept_untreated.csv")
    with atomic_dir(args.out) as tmp, atomic_file(args.clean) as clean_tmp, atomic_file(untreated_path) as untreated_tmp:
        write_csv(result.flags, tmp / "flags.csv")
        write_csv(result.exclusions, tmp / "exclusions.csv")
        write_csv(result.flow, tmp / "flow.csv")
        write_csv(result.flagged_kept, tmp / "flagged_kept.csv")
        write_csv(result.thresholds, tmp / "screening_thresholds.csv")
        write_csv(notes, tmp / "screening_notes.csv")
        write_csv(result.item_missingness, tmp / "missingness_items.csv")
        write_csv(cases, tmp / "missingness_cases.csv")
        write_csv(mcar, tmp / "little_mcar.csv")
        write_csv(treatment, tmp / "missing_treatment.csv")
        write_csv(treated, clean_tmp)
        write_csv(kept, untreated_tmp)

    for _, row in notes.iterrows():
        log.info("%s: %s", row["index"], row["note"])
    n_in = len(result.flags)
    log.info(
        "screened %d responses: %d kept, %d excluded, %d flagged but kept; treatment %s; wrote %s, %s",
        n_in, len(kept), len(result.exclusions), len(result.flagged_kept), treatment["method"].iat[0] if len(treatment) else "-",
        args.out, args.clean,
    )
    return 0
