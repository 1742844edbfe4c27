"""Synthetic data for the lean x digitalisation study, drawn from a documented population model.

The original survey of Sunder M & Prashar (2024, IJPE 109192) is not public. This module
draws data with the same design from a population model that reproduces the published
pattern: the learning system (LS) mediates lean practices (LP) -> operational performance
(OP) but not digitalisation (DIG) -> OP, and LP x DIG moderates the first stage, so the
indirect effect LP -> LS -> OP is clearly positive when DIG is high and near zero when DIG
is low (first-stage moderated mediation, Hayes model 7).

Two entry points:

* :func:`draw_items` draws analysis-ready items (and, on request, the true latent scores)
  for recovery studies: large N, continuous or 7-point items, any loading, with or without
  the common-method factor.
* :func:`simulate_study` draws the three raw files a real study would start from: a
  Qualtrics-style survey export with careless, partial and duplicate responses mixed in,
  an Orbis-like archival firm file and the sampling frame of invited firms, plus the
  ground-truth log of every defect that was planted (for tests only).

Everything is a pure function of the seed: no files are read or written, nothing is
printed. ``leanlearn simulate`` (:mod:`leanlearn.cli.simulate`) writes the files.

Population model (all latent variables standardised)
----------------------------------------------------
.. math::

    (LP, DIG, SIZE, AGE) &\\sim N(0, \\Sigma_x), \\quad
        \\rho_{LP,DIG} = 0.30, \\ \\rho_{SIZE,DIG} = 0.20, \\ \\rho_{SIZE,AGE} = 0.25 \\\\
    LS &= a_1 LP + a_2 DIG + a_3 (LP \\cdot DIG - \\rho) + \\zeta_{LS} \\\\
    OP &= c_1 LP + c_2 DIG + b\\,LS + g_1 SIZE + \\zeta_{OP}

with SIZE the standardised log of employees and AGE the standardised log of firm age (no
effect on anything). The disturbance variances are set so that Var(LS) = Var(OP) = 1.
Each item is :math:`y = \\lambda \\eta + m M + e` with Var(y) = 1, where M is a
respondent-level common-method factor (m = 0.15), then cut into 7 categories at fixed
thresholds. See ``data/README.md`` for every number.

The module re-exports its two parts: :mod:`leanlearn.datasets.population` (the instrument,
the population model, :func:`draw_items`) and :mod:`leanlearn.datasets.export` (the raw
study files, :func:`simulate_study`).
"""

from __future__ import annotations

from leanlearn.datasets.defects import CELL_DEFECTS, FIRM_DEFECTS, RESPONSE_DEFECTS  # noqa: F401  (re-exported)
from leanlearn.datasets.export import simulate_study  # noqa: F401  (re-exported)
from leanlearn.datasets.export_layout import EXPORT_COLUMNS, ITEM_COLUMN  # noqa: F401  (re-exported)
from leanlearn.datasets.population import (  # noqa: F401  (re-exported)
    CONSTRUCT_ITEMS, DEFAULT_LOADINGS, DEFAULT_LP_BUNDLE_LOADINGS, DEFAULT_SEED, DESIGN_N_CLEAN, ITEMS, LATENTS,
    LIKERT_THRESHOLDS, LP_BUNDLES, REVERSE_ITEMS, SUBSTANTIVE_CONSTRUCTS, PopulationModel, draw_items,
)  # fmt: skip

__all__ = [
    "DEFAULT_SEED",
    "DESIGN_N_CLEAN",
    "CONSTRUCT_ITEMS",
    "ITEMS",
    "REVERSE_ITEMS",
    "LIKERT_THRESHOLDS",
    "DEFAULT_LOADINGS",
    "LATENTS",
    "RESPONSE_DEFECTS",
    "CELL_DEFECTS",
    "FIRM_DEFECTS",
    "EXPORT_COLUMNS",
    "ITEM_COLUMN",
    "LP_BUNDLES",
    "DEFAULT_LP_BUNDLE_LOADINGS",
    "PopulationModel",
    "draw_items",
    "simulate_study",
]
