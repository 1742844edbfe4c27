"""Every bias diagnostic of a study in one call: the tables ``leanlearn bias`` writes.

:func:`bias_diagnostics` estimates the PLS model for the construct scores and runs, in this
order, the non-response checks (early vs late respondents; respondents vs non-respondents
of a sampling frame), the key-informant profile and the common-method checks (full
collinearity, marker variable, Harman, latent method factor, archival triangulation,
procedural remedies). Each step is a function of its own below; the checks themselves are
in :mod:`leanlearn.bias.checks` and :mod:`leanlearn.bias.common_method`, whose docstrings
give the formulas and references. Pure: DataFrames in, DataFrames out; reading and writing
files is the CLI's (:mod:`leanlearn.cli.bias`).

A table that cannot be computed from the inputs (no wave or submission time, no sampling
frame, no marker construct, no archival measure) is a one-row table ``status``
(``not_possible``), ``reason``, so that every output exists and says why it is empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from leanlearn.bias.checks import (
    BiasConfig,
    GroupSplit,
    TriangulationSpec,
    archival_triangulation,
    bias_config,
    compare_groups,
    early_late_split,
    equal_weight_score,
    frame_groups,
    full_collinearity_vif,
    harman_single_factor,
    key_informant_summary,
    marker_corrected_paths,
    marker_correction,
    marker_correlations,
    nonresponse_bias,
    prepare_frame,
    procedural_remedies,
)
from leanlearn.bias.common_method import method_factor_check
from leanlearn.errors import DataError, prefixed
from leanlearn.pls.engine import estimate
from leanlearn.pls.result import PLSResult
from leanlearn.spec.codebook import FIRM_ID, Codebook
from leanlearn.spec.model import ModelSpec

__all__ = ["BiasDiagnostics", "bias_diagnostics", "not_possible"]

log = logging.getLogger("leanlearn.bias.checks")


@dataclass(frozen=True)
class BiasDiagnostics:
    """Output of :func:`bias_diagnostics`.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Table name -> table, in the order ``nonresponse_early_late``, ``nonresponse_frame``,
        ``nonresponse_bias``, ``key_informants``, ``full_collinearity_vif``,
        ``marker_correction``, ``marker_correlations``, ``marker_paths``, ``harman``,
        ``method_factor``, ``method_factor_loadings``, ``archival_triangulation``,
        ``procedural_remedies`` (columns in :mod:`leanlearn.cli.bias`).
    split : GroupSplit or None
        The early/late split used; None when it could not be formed.
    notes : dict of str to str
        Inputs that were configured but absent (``frame``: frame variables not in the
        frame; ``triangulation``: archival measures not in the data).
    """

    tables: dict[str, pd.DataFrame]
    split: GroupSplit | None
    notes: dict[str, str]


def not_possible(reason: str) -> pd.DataFrame:
    """The one-row table (``status`` = ``not_possible``, ``reason``) of a check the inputs do not allow."""
    return pd.DataFrame([{"status": "not_possible", "reason": reason}])


def _test_settings(cfg: BiasConfig, seed: int | None) -> dict:
    """The configured equivalence margin, levels, permutations and seed of every group comparison."""
    return {"margin_sd": cfg.tost_margin_sd, "alpha": cfg.alpha, "ci_level": cfg.ci_level, "permutations": cfg.permutations, "seed": seed}


def _first(columns: Sequence[str], candidates: Sequence[str | None]) -> str | None:
    for c in candidates:
        if c and c in columns:
            return c
    return None


@dataclass(frozen=True)
class _Scores:
    """The PLS estimate and its construct scores (interaction terms left out)."""

    result: PLSResult
    constructs: list[str]
    scores: pd.DataFrame


def bias_diagnostics(
    data: pd.DataFrame,
    spec: ModelSpec,
    codebook: Codebook,
    config: BiasConfig | Mapping | None = None,
    *,
    seed: int | None = None,
    frame: pd.DataFrame | None = None,
    data_source: str | None = None,
    frame_source: str | None = None,
) -> BiasDiagnostics:
    """Run every bias diagnostic of a study.

    Parameters
    ----------
    data : DataFrame
        The clean analysis data (merged and screened): items, paradata (wave or submission
        time), key-informant columns, archival variables. Columns are found through the
        codebook: canonical names after ingest (``recorded``, ``wave``, ``ki_role``, ...)
        first, then the export's own columns.
    spec : ModelSpec
        The model; construct scores are :func:`leanlearn.estimate` with its defaults.
    codebook : Codebook
        Paradata, key-informant fields and marker constructs.
    config : BiasConfig or mapping, optional
        The ``bias:`` settings (:func:`leanlearn.bias.checks.bias_config`); defaults when None.
    seed : int, optional
        Seed of the permutation tests.
    frame : DataFrame, optional
        The sampling frame (every invited firm, as read from its file); without it the
        respondent/non-respondent tables are :func:`not_possible`.
    data_source, frame_source : str, optional
        File names of the data and the frame: error messages about them start with the
        name, and notes name it (else "the data", "the sampling frame").

    Returns
    -------
    BiasDiagnostics

    Raises
    ------
    DataError, SpecError
        Inputs the checks cannot use; the message starts with the file it concerns.
    """
    cfg = config if isinstance(config, BiasConfig) else bias_config(config)
    notes: dict[str, str] = {}
    with prefixed(data_source):
        est = _construct_scores(data, spec, source=data_source)
    tables: dict[str, pd.DataFrame] = {}
    tables["nonresponse_early_late"], split = _early_late(data, codebook, cfg, est, seed=seed, source=data_source)
    tables.update(_frame_comparison(data, frame, cfg, seed=seed, data_source=data_source, frame_source=frame_source, notes=notes))
    tables["key_informants"] = _key_informants(data, codebook)
    with prefixed(data_source):
        tables.update(_common_method(data, spec, codebook, cfg, est, source=data_source, notes=notes))
    return BiasDiagnostics(tables=tables, split=split, notes=notes)


def _construct_scores(data: pd.DataFrame, spec: ModelSpec, *, source: str | None) -> _Scores:
    res = estimate(data, spec, source=source)
    inter = {i.name for i in spec.interactions}
    constructs = [c for c in res.scores.columns if c not in inter]
    return _Scores(result=res, constructs=constructs, scores=res.scores[constructs])


def _early_late(
    data: pd.DataFrame, codebook: Codebook, cfg: BiasConfig, est: _Scores, *, seed: int | None, source: str | None
) -> tuple[pd.DataFrame, GroupSplit | None]:
    """Early vs late respondents (Armstrong & Overton 1977) on construct scores and archival variables."""
    cols = list(data.columns)
    wave_col = _first(cols, ["wave", codebook.paradata.column("wave")])
    time_col = _first(cols, ["recorded", codebook.paradata.column("recorded"), "RecordedDate"])
    archival = [v for v in cfg.archival_variables if v in cols]
    categorical = [v for v in cfg.categorical_variables if v in cols]
    try:
        split = early_late_split(
            data,
            method=cfg.early_late,
            wave_column=wave_col or "wave",
            time_column=time_col or "recorded",
            quantile=cfg.early_late_quantile,
        )
    except DataError as exc:
        log.warning("early vs late comparison skipped: %s", exc)
        return not_possible(f"early vs late respondents cannot be formed: {exc}"), None
    with prefixed(source):
        combined = pd.concat([est.scores, data.loc[est.scores.index, archival + categorical]], axis=1)
        early_late = compare_groups(
            combined,
            split.groups,
            continuous=est.constructs + archival,
            categorical=categorical,
            labels=("early", "late"),
            **_test_settings(cfg, seed),
        )
    early_late.insert(0, "split", split.description)
    log.info("early vs late: %s", split.description)
    return early_late, split


def _frame_comparison(
    data: pd.DataFrame,
    frame: pd.DataFrame | None,
    cfg: BiasConfig,
    *,
    seed: int | None,
    data_source: str | None,
    frame_source: str | None,
    notes: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """Respondents vs non-respondents on the sampling frame's variables, and the size of the bias."""
    if frame is None:
        reason = "no sampling frame given (--frame); respondents cannot be compared with non-respondents"
        return {"nonresponse_frame": not_possible(reason), "nonresponse_bias": not_possible(reason)}
    with prefixed(frame_source):
        frame = prepare_frame(frame)
    if FIRM_ID not in data.columns:
        where = f"{data_source}: " if data_source else ""
        raise DataError(f"{where}no '{FIRM_ID}' column to match respondents to the frame")
    with prefixed(frame_source):
        groups = frame_groups(frame, data[FIRM_ID], id_column=FIRM_ID)
        fcont = [v for v in cfg.frame_variables if v in frame.columns]
        fcat = [v for v in cfg.frame_categorical if v in frame.columns]
        absent = [v for v in (*cfg.frame_variables, *cfg.frame_categorical) if v not in frame.columns]
        if absent:
            notes["frame"] = f"frame variables not in {frame_source or 'the sampling frame'}: {', '.join(absent)}"
            log.warning("%s", notes["frame"])
        compared = compare_groups(
            frame,
            groups,
            continuous=fcont,
            categorical=fcat,
            labels=("nonrespondent", "respondent"),
            **_test_settings(cfg, seed),
        )
        return {"nonresponse_frame": compared, "nonresponse_bias": nonresponse_bias(frame, groups, continuous=fcont, categorical=fcat)}


def _key_informants(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The key-informant profile (role, tenure, knowledge), from the columns the codebook names."""
    cols = list(data.columns)

    def ki_column(*keys: str) -> str | None:
        for key in keys:
            f = codebook.key_informant_field(key)
            found = _first(cols, [f"ki_{key}", key] + ([f.name, f.column] if f else []))
            if found:
                return found
        return None

    role_field = codebook.key_informant_field("role")
    know_field = codebook.key_informant_field("knowledge")
    midpoint = codebook.scale(know_field.scale).midpoint if know_field and know_field.scale else 4.0
    ki = key_informant_summary(
        data,
        role=ki_column("role"),
        tenure=ki_column("tenure_years", "tenure"),
        knowledge=ki_column("knowledge"),
        role_labels=dict(role_field.labels) if role_field else None,
        knowledge_midpoint=midpoint,
    )
    return ki if not ki.empty else not_possible("no key-informant columns (role, tenure, knowledge) in the data")


def _common_method(
    data: pd.DataFrame, spec: ModelSpec, codebook: Codebook, cfg: BiasConfig, est: _Scores, *, source: str | None,
    notes: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """Full-collinearity VIFs, the marker variable, Harman, the latent method factor, triangulation, remedies."""
    cols = list(data.columns)
    out = {"full_collinearity_vif": full_collinearity_vif(est.scores, threshold=cfg.full_collinearity_vif_max)}
    markers = [m for m in codebook.marker_constructs if all(i in cols for i in codebook.items_by_construct[m])]
    out.update(_marker_tables(data, spec, codebook, cfg, est, markers))
    items = [i for c in spec.constructs if c.kind == "measured" for i in c.indicators]
    out["harman"] = harman_single_factor(data[items], threshold=cfg.harman_first_factor_max, n_factors=cfg.harman_factors)
    blocks = {c.name: list(c.indicators) for c in spec.constructs if c.kind == "measured" and len(c.indicators) >= 2}
    marker_items = list(codebook.items_by_construct[markers[0]]) if markers else []
    out["method_factor"], out["method_factor_loadings"] = method_factor_check(data, blocks, marker_items=marker_items, alpha=cfg.alpha)
    pairs = [p for p in cfg.triangulation if p.variable in cols and (not p.per or p.per in cols)]
    out["archival_triangulation"] = _triangulation(data, cfg, est, pairs, source=source, notes=notes)
    out["procedural_remedies"] = procedural_remedies(
        codebook,
        spec,
        columns=cols,
        ids=list(data[FIRM_ID]) if FIRM_ID in cols else None,
        archival_performance=[p.variable for p in pairs] or [p.variable for p in cfg.triangulation],
    )
    return out


def _marker_tables(
    data: pd.DataFrame, spec: ModelSpec, codebook: Codebook, cfg: BiasConfig, est: _Scores, markers: list[str]
) -> dict[str, pd.DataFrame]:
    """Marker-variable correction (Lindell & Whitney 2001): corrected correlations, the marker correlations, corrected paths."""
    if not markers:
        reason = (
            "the codebook has no marker construct (role: marker)"
            if not codebook.marker_constructs
            else "the marker's items are not in the data"
        )
        table = not_possible(reason + "; a marker must be designed into the questionnaire")
        return {"marker_correction": table, "marker_correlations": table, "marker_paths": table}
    marker = markers[0]
    with_marker = est.scores.copy()
    with_marker[marker] = equal_weight_score(data.loc[est.scores.index], codebook.items_by_construct[marker])
    mc = marker_correction(with_marker, marker=marker, substantive=est.constructs, rule=cfg.marker_rule, alpha=cfg.alpha)
    correlations = marker_correlations(with_marker, marker=marker, substantive=est.constructs, rule=cfg.marker_rule)
    survey_items = set(codebook.item_ids)
    other_source = [c.name for c in spec.constructs if c.kind != "measured" or not set(c.indicators) <= survey_items]
    inter = {i.name for i in spec.interactions}
    r_m = float(mc["r_m"].iloc[0]) if len(mc) else 0.0
    paths = marker_corrected_paths(
        est.result.scores.loc[with_marker.dropna().index], spec, r_m=r_m, uncorrected=sorted(inter) + other_source
    )
    return {"marker_correction": mc, "marker_correlations": correlations, "marker_paths": paths}


def _triangulation(
    data: pd.DataFrame, cfg: BiasConfig, est: _Scores, pairs: list[TriangulationSpec], *, source: str | None,
    notes: dict[str, str],
) -> pd.DataFrame:
    """Construct scores against the archival measures configured in ``bias.triangulation`` and present in the data."""
    absent_pairs = [p.label for p in cfg.triangulation if p not in pairs]
    if absent_pairs:
        notes["triangulation"] = f"archival measure(s) not in {source or 'the data'}: {', '.join(absent_pairs)}"
        log.warning("%s", notes["triangulation"])
    if pairs:
        return archival_triangulation(est.scores, data, pairs, ci_level=cfg.ci_level)
    return not_possible("no archival measure configured for triangulation (bias.triangulation) or none in the data")
