"""Publication tables from the pipeline's result tables, and their CSV, Markdown, LaTeX and HTML forms.

Pure: result DataFrames in, :class:`Table` objects out, and strings from the writers. Nothing
here computes a statistic; every number comes from a result file and **all rounding
happens here**, through :mod:`leanlearn.format`, so a number reads the same in a table, a
sentence of the paper and ``results/summary.md``.

Each table carries a note that prints the thresholds it is judged against **with their
source**. Threshold values come from the config (``screening:``, ``measurement:``,
``structural:``, ``bias:``) or from the result file itself (``threshold`` columns written by
the stage); defaults are those of ``leanlearn.measurement.assessment.DEFAULTS`` and
:data:`STRUCTURAL_DEFAULTS` (docs/methods.md section 8). Citations come from
``leanlearn.measurement.assessment.SOURCES`` and :data:`SOURCES`.

Result files are looked up by the keys of :data:`RESULT_FILES` (each key lists the paths or
glob patterns under ``results/`` where a stage may write it). A table whose inputs are absent
is a :class:`NotRun` that names the missing file: the report says "not run" and never
invents numbers.
"""

from __future__ import annotations

from leanlearn.report.tables.bias import (  # noqa: F401
    full_collinearity_table,
    harman_table,
    key_informant_table,
    marker_table,
    method_factor_table,
    nonresponse_table,
    procedural_remedies_table,
    triangulation_table,
)
from leanlearn.report.tables.build import build_tables, n_sentence, sample_sizes
from leanlearn.report.tables.cells import (  # noqa: F401
    NotRun,
    Table,
    _multi_item_constructs,
    ci_cell,
    is_true,
    label,
    measurement_thresholds,
    p_cell,
    structural_thresholds,
)
from leanlearn.report.tables.measurement import (  # noqa: F401
    cfa_loadings_table,
    fit_index_table,
    fornell_larcker_table,
    htmt_table,
    measurement_table,
)
from leanlearn.report.tables.registry import RESULT_FILES, SOURCES, STRUCTURAL_DEFAULTS, TABLE_ORDER
from leanlearn.report.tables.robustness import (  # noqa: F401
    copula_table,
    estimators_table,
    mga_table,
    micom_table,
    multiverse_table,
    power_table,
    predict_table,
)
from leanlearn.report.tables.sample import _response_rates, correlation_table, descriptives_table, sample_table  # noqa: F401
from leanlearn.report.tables.structural import (  # noqa: F401
    hypotheses_table,
    mediation_table,
    moderated_mediation_table,
    r_squared_table,
    structural_table,
)
from leanlearn.report.tables.writers import latex_escape, not_run_text, table_csv, table_html, table_latex, table_markdown

__all__ = [
    "RESULT_FILES",
    "TABLE_ORDER",
    "STRUCTURAL_DEFAULTS",
    "SOURCES",
    "Table",
    "NotRun",
    "label",
    "is_true",
    "p_cell",
    "ci_cell",
    "measurement_thresholds",
    "structural_thresholds",
    "build_tables",
    "table_csv",
    "table_markdown",
    "table_latex",
    "table_html",
    "latex_escape",
    "not_run_text",
    "sample_sizes",
    "n_sentence",
]
