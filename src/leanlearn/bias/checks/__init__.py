"""Bias diagnostics: non-response bias, key-informant quality and common-method bias.

Pure functions: DataFrames (data, construct scores, a sampling frame) in, tidy DataFrames
out. The CLI verb ``leanlearn bias`` (:mod:`leanlearn.cli.bias`) estimates the PLS model
for the construct scores and writes the tables. docs/methods.md section 2 gives the rationale.

Non-response (docs/methods.md 2.1)
    :func:`early_late_split` and :func:`compare_groups` (Armstrong & Overton 1977: late
    respondents stand in for non-respondents), :func:`frame_groups` and
    :func:`nonresponse_bias` (respondents vs non-respondents on sampling-frame variables,
    and the size of the bias :math:`(N_{nr}/N)(\bar y_r - \bar y_{nr})`).
Key informants (docs/methods.md 1.10)
    :func:`key_informant_summary`.
Common-method bias (docs/methods.md 2.2)
    :func:`full_collinearity_vif` (Kock 2015), :func:`marker_correction` (Lindell &
    Whitney 2001), :func:`harman_single_factor` (weak evidence; reported only for
    comparability, with :data:`HARMAN_CAVEAT`), :func:`procedural_remedies` (which
    design remedies the data allow).

A non-significant difference is not evidence of no difference; every comparison therefore
reports an effect size with its confidence interval and a TOST equivalence test with a
stated margin (Lakens 2017).
"""

from __future__ import annotations

from leanlearn.bias.checks.config import BiasConfig, TriangulationSpec, bias_config
from leanlearn.bias.checks.informants import key_informant_summary
from leanlearn.bias.checks.marker import (
    MARKER_CORRELATION_COLUMNS,
    lindell_whitney,
    marker_corrected_paths,
    marker_correction,
    marker_correlations,
)
from leanlearn.bias.checks.method_variance import (
    HARMAN_CAVEAT,
    equal_weight_score,
    full_collinearity_vif,
    harman_single_factor,
    principal_axis_factoring,
    procedural_remedies,
)
from leanlearn.bias.checks.nonresponse import (
    COMPARISON_COLUMNS,
    GroupSplit,
    compare_groups,
    early_late_split,
    frame_groups,
    nonresponse_bias,
    prepare_frame,
)
from leanlearn.bias.checks.triangulation import TRIANGULATION_COLUMNS, archival_measure, archival_triangulation

__all__ = [
    "HARMAN_CAVEAT",
    "COMPARISON_COLUMNS",
    "BiasConfig",
    "bias_config",
    "GroupSplit",
    "early_late_split",
    "compare_groups",
    "prepare_frame",
    "frame_groups",
    "nonresponse_bias",
    "key_informant_summary",
    "equal_weight_score",
    "full_collinearity_vif",
    "lindell_whitney",
    "marker_correction",
    "MARKER_CORRELATION_COLUMNS",
    "marker_correlations",
    "marker_corrected_paths",
    "principal_axis_factoring",
    "harman_single_factor",
    "procedural_remedies",
    "TriangulationSpec",
    "TRIANGULATION_COLUMNS",
    "archival_measure",
    "archival_triangulation",
]
