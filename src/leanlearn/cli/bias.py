"""``leanlearn bias``: non-response, key-informant and common-method-bias diagnostics.

::

    leanlearn bias DATA MODEL --config config.yaml --codebook codebook.yaml
                   [--frame CSV] --out results/bias/

Construct scores come from :func:`leanlearn.estimate` (PLS, the model as given); the
marker's score is the equally weighted mean of its standardised items. Settings come from
the ``bias:`` section of the config (defaults in :class:`leanlearn.bias.checks.BiasConfig`).
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

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_config, read_model, read_yaml, user_errors, write_csv
from leanlearn.cli._options import add_data_model

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


def _first(columns, candidates) -> str | None:
    for c in candidates:
        if c and c in columns:
            return c
    return None


def _not_possible(reason: str) -> pd.DataFrame:
    return pd.DataFrame([{"status": "not_possible", "reason": reason}])


def run(args: argparse.Namespace) -> int:
    from leanlearn import __version__
    from leanlearn.bias import checks as b
    from leanlearn.cli.estimate import read_data
    from leanlearn.spec.codebook import FIRM_ID, load_codebook
    from leanlearn.errors import DataError
    from leanlearn.pls.engine import estimate

    config = read_config(args.config)
    with user_errors(str(args.config)):
        cfg = b.bias_config(config.get("bias"))
    seed = config.get("seed")
    with user_errors(str(args.codebook)):
        codebook = load_codebook(read_yaml(args.codebook))
    data = read_data(args.data)
    spec = read_model(args.model)
    cols = list(data.columns)
    outputs: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}

    with user_errors(args.data):
        res = estimate(data, spec, source=args.data)
    inter = {i.name for i in spec.interactions}
    constructs = [c for c in res.scores.columns if c not in inter]
    scores = res.scores[constructs]

    # ---- early vs late -------------------------------------------------------------------------
    wave_col = _first(cols, ["wave", codebook.paradata.column("wave")])
    time_col = _first(cols, ["recorded", codebook.paradata.column("recorded"), "RecordedDate"])
    archival = [v for v in cfg.archival_variables if v in cols]
    categorical = [v for v in cfg.categorical_variables if v in cols]
    split = None
    try:
        split = b.early_late_split(
            data,
            method=cfg.early_late,
            wave_column=wave_col or "wave",
            time_column=time_col or "recorded",
            quantile=cfg.early_late_quantile,
        )
    except DataError as exc:
        outputs["nonresponse_early_late.csv"] = _not_possible(f"early vs late respondents cannot be formed: {exc}")
        log.warning("early vs late comparison skipped: %s", exc)
    if split is not None:
        with user_errors(args.data):
            combined = pd.concat([scores, data.loc[scores.index, archival + categorical]], axis=1)
            early_late = b.compare_groups(
                combined,
                split.groups,
                continuous=constructs + archival,
                categorical=categorical,
                labels=("early", "late"),
                margin_sd=cfg.tost_margin_sd,
                alpha=cfg.alpha,
                ci_level=cfg.ci_level,
                permutations=cfg.permutations,
                seed=seed,
            )
        early_late.insert(0, "split", split.description)
        outputs["nonresponse_early_late.csv"] = early_late
        log.info("early vs late: %s", split.description)

    # ---- respondents vs non-respondents ----------------------------------------------------------
    if args.frame:
        from leanlearn.data.ingest import read_export

        with user_errors(str(args.frame)):
            frame = b.prepare_frame(read_export(args.frame))
            if FIRM_ID not in data.columns:
                raise UserError(f"{args.data}: no '{FIRM_ID}' column to match respondents to the frame")
            groups = b.frame_groups(frame, data[FIRM_ID], id_column=FIRM_ID)
            fcont = [v for v in cfg.frame_variables if v in frame.columns]
            fcat = [v for v in cfg.frame_categorical if v in frame.columns]
            absent = [v for v in (*cfg.frame_variables, *cfg.frame_categorical) if v not in frame.columns]
            if absent:
                notes["frame"] = f"frame variables not in {args.frame}: {', '.join(absent)}"
                log.warning("%s", notes["frame"])
            outputs["nonresponse_frame.csv"] = b.compare_groups(
                frame,
                groups,
                continuous=fcont,
                categorical=fcat,
                labels=("nonrespondent", "respondent"),
                margin_sd=cfg.tost_margin_sd,
                alpha=cfg.alpha,
                ci_level=cfg.ci_level,
                permutations=cfg.permutations,
                seed=seed,
            )
            outputs["nonresponse_bias.csv"] = b.nonresponse_bias(frame, groups, continuous=fcont, categorical=fcat)
    else:
        reason = "no sampling frame given (--frame); respondents cannot be compared with non-respondents"
        outputs["nonresponse_frame.csv"] = _not_possible(reason)
        outputs["nonresponse_bias.csv"] = _not_possible(reason)

    # ---- key informants ---------------------------------------------------------------------------
    def ki_column(*keys: str) -> str | None:
        for key in keys:
            f = codebook.key_informant_field(key)
            cand = [f"ki_{key}", key] + ([f.name, f.column] if f else [])
            found = _first(cols, cand)
            if found:
                return found
        return None

    role_field = codebook.key_informant_field("role")
    know_field = codebook.key_informant_field("knowledge")
    midpoint = codebook.scale(know_field.scale).midpoint if know_field and know_field.scale else 4.0
    ki = b.key_informant_summary(
        data,
        role=ki_column("role"),
        tenure=ki_column("tenure_years", "tenure"),
        knowledge=ki_column("knowledge"),
        role_labels=dict(role_field.labels) if role_field else None,
        knowledge_midpoint=midpoint,
    )
    outputs["key_informants.csv"] = ki if not ki.empty else _not_possible("no key-informant columns (role, tenure, knowledge) in the data")

    # ---- common-method bias -----------------------------------------------------------------------
    with user_errors(args.data):
        outputs["full_collinearity_vif.csv"] = b.full_collinearity_vif(scores, threshold=cfg.full_collinearity_vif_max)
        markers = [m for m in codebook.marker_constructs if all(i in cols for i in codebook.items_by_construct[m])]
        if markers:
            marker = markers[0]
            with_marker = scores.copy()
            with_marker[marker] = b.equal_weight_score(data.loc[scores.index], codebook.items_by_construct[marker])
            mc = b.marker_correction(with_marker, marker=marker, substantive=constructs, rule=cfg.marker_rule, alpha=cfg.alpha)
            outputs["marker_correction.csv"] = mc
            outputs["marker_correlations.csv"] = b.marker_correlations(
                with_marker, marker=marker, substantive=constructs, rule=cfg.marker_rule
            )
            survey_items = set(codebook.item_ids)
            other_source = [
                c.name for c in spec.constructs if c.kind != "measured" or not set(c.indicators) <= survey_items
            ]
            r_m = float(mc["r_m"].iloc[0]) if len(mc) else 0.0
            outputs["marker_paths.csv"] = b.marker_corrected_paths(
                res.scores.loc[with_marker.dropna().index], spec, r_m=r_m, uncorrected=sorted(inter) + other_source
            )
        else:
            reason = (
                "the codebook has no marker construct (role: marker)"
                if not codebook.marker_constructs
                else "the marker's items are not in the data"
            )
            outputs["marker_correction.csv"] = _not_possible(reason + "; a marker must be designed into the questionnaire")
            outputs["marker_correlations.csv"] = outputs["marker_correction.csv"]
            outputs["marker_paths.csv"] = outputs["marker_correction.csv"]
        items = [i for c in spec.constructs if c.kind == "measured" for i in c.indicators]
        outputs["harman.csv"] = b.harman_single_factor(
            data[items], threshold=cfg.harman_first_factor_max, n_factors=cfg.harman_factors
        )
        blocks = {c.name: list(c.indicators) for c in spec.constructs if c.kind == "measured" and len(c.indicators) >= 2}
        marker_items = list(codebook.items_by_construct[markers[0]]) if markers else []
        from leanlearn.bias.common_method import method_factor_check

        mf_models, mf_loadings = method_factor_check(data, blocks, marker_items=marker_items, alpha=cfg.alpha)
        outputs["method_factor.csv"] = mf_models
        outputs["method_factor_loadings.csv"] = mf_loadings
        pairs = [p for p in cfg.triangulation if p.variable in cols and (not p.per or p.per in cols)]
        absent_pairs = [p.label for p in cfg.triangulation if p not in pairs]
        if absent_pairs:
            notes["triangulation"] = f"archival measure(s) not in {args.data}: {', '.join(absent_pairs)}"
            log.warning("%s", notes["triangulation"])
        if pairs:
            outputs["archival_triangulation.csv"] = b.archival_triangulation(scores, data, pairs, ci_level=cfg.ci_level)
        else:
            outputs["archival_triangulation.csv"] = _not_possible(
                "no archival measure configured for triangulation (bias.triangulation) or none in the data"
            )
        outputs["procedural_remedies.csv"] = b.procedural_remedies(
            codebook,
            spec,
            columns=cols,
            ids=data[FIRM_ID] if FIRM_ID in cols else None,
            archival_performance=[p.variable for p in pairs] or [p.variable for p in cfg.triangulation],
        )

    settings = {
        "leanlearn_version": __version__,
        "data": str(args.data),
        "model": str(args.model),
        "config": str(args.config),
        "codebook": str(args.codebook),
        "frame": str(args.frame) if args.frame else None,
        "n_rows": int(len(data)),
        "scores": "PLS construct scores (leanlearn.estimate defaults); marker: equally weighted standardised items",
        "early_late_split": split.description if split is not None else None,
        "seed": seed,
        "bias": {k: ([x.__dict__ if hasattr(x, "__dict__") else x for x in v] if isinstance(v, tuple) else v) for k, v in cfg.__dict__.items()},
        "notes": notes,
        "harman_caveat": b.HARMAN_CAVEAT,
    }
    with atomic_dir(args.out) as tmp:
        for name, df in outputs.items():
            write_csv(df, tmp / name)
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2, default=str) + "\n", encoding="utf-8")
    log.info("wrote %d bias tables to %s", len(outputs), args.out)
    return 0
