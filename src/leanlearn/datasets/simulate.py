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
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from leanlearn.random import stream

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

DEFAULT_SEED = 20240209
"""Seed of the bundled data (the ``seed`` key of studies/lean/config.yaml)."""

DESIGN_N_CLEAN = 209
"""Clean, unique firm responses in the bundled export (the N of the original study)."""

# ---- the instrument (mirrors studies/lean/codebook.yaml; a test checks that they agree) ---------
CONSTRUCT_ITEMS: dict[str, tuple[str, ...]] = {
    "LP": tuple(f"LP{i}" for i in range(1, 9)),
    "DIG": tuple(f"DIG{i}" for i in range(1, 7)),
    "LS": tuple(f"LS{i}" for i in range(1, 7)),
    "OP": tuple(f"OP{i}" for i in range(1, 6)),
    "MARK": tuple(f"MARK{i}" for i in range(1, 4)),
}
ITEMS: tuple[str, ...] = tuple(i for items in CONSTRUCT_ITEMS.values() for i in items)
"""The 28 Likert items in questionnaire order (25 substantive items, then the marker)."""

SUBSTANTIVE_CONSTRUCTS = ("LP", "DIG", "LS", "OP")

LP_BUNDLES: dict[str, tuple[str, ...]] = {
    "JIT": ("LP1", "LP2"),
    "TQM": ("LP3", "LP4"),
    "TPM": ("LP5", "LP6"),
    "HRM": ("LP7", "LP8"),
}
"""The lean-practice bundles (just-in-time, total quality management, total productive
maintenance, human resource management; Shah & Ward 2003) and the LP items that measure each
in the population model with bundles (``PopulationModel(lp_bundles=...)``)."""

DEFAULT_LP_BUNDLE_LOADINGS: tuple[tuple[str, float], ...] = (("JIT", 0.85), ("TQM", 0.80), ("TPM", 0.75), ("HRM", 0.80))
"""Second-order loadings gamma of the bundles on LP used for the higher-order variant's data."""
REVERSE_ITEMS: tuple[str, ...] = ("LS4", "OP5")
"""Reverse-keyed items: the export holds the answer as given, 8 - x of the keyed value."""

_ITEM_OF_CONSTRUCT = {item: c for c, items in CONSTRUCT_ITEMS.items() for item in items}

_STEMS = {
    "LP": "To what extent do you agree with the following statements about your plant?",
    "DIG": "To what extent does your plant use the following technologies in its operations?",
    "LS": "To what extent do you agree with the following statements about your organisation?",
    "OP": "Compared with your main competitors over the last three years, how does your plant perform on ...",
    "MARK": "Finally, a few statements unrelated to your work.",
}
_ITEM_TEXT = {
    "LP1": "Production is pulled by customer demand (kanban or similar signals).",
    "LP2": "We work continuously to lower set-up and changeover times.",
    "LP3": "We use statistical process control to monitor our key processes.",
    "LP4": "Continuous-improvement (kaizen) activities involve every department.",
    "LP5": "Equipment receives planned preventive maintenance.",
    "LP6": "Operators carry out routine maintenance of their own machines.",
    "LP7": "Employees are cross-trained to perform several jobs.",
    "LP8": "Shop-floor employees lead problem-solving teams.",
    "DIG1": "Industrial Internet of Things (connected sensors and machines).",
    "DIG2": "Big-data analytics of production data.",
    "DIG3": "Cloud computing services for operations.",
    "DIG4": "Artificial intelligence or machine learning.",
    "DIG5": "Robotics and advanced automation.",
    "DIG6": "Digital twins or simulation of processes.",
    "LS1": "Lessons from improvement projects are captured systematically.",
    "LS2": "Knowledge is shared readily across functions and shifts.",
    "LS3": "Employees are encouraged to experiment with new ways of working.",
    "LS4": "Improvement know-how stays with individuals and is lost when they leave.",
    "LS5": "Problems and failures are analysed openly to find root causes.",
    "LS6": "Proven practices are codified into standards and shared with other plants.",
    "OP1": "Unit manufacturing cost.",
    "OP2": "Conformance quality.",
    "OP3": "On-time delivery.",
    "OP4": "Flexibility to change volume and mix.",
    "OP5": "Our manufacturing lead times are longer than our competitors'.",
    "MARK1": "I prefer blue to other colours.",
    "MARK2": "I like the colour blue.",
    "MARK3": "Blue is a lovely colour.",
    "ATT1": "To show that you read this statement, please select 'Somewhat disagree'.",
    "ATT2": "This row is a quality check: please select the second-highest option.",
}
# attention checks: id -> (export column, expected answer)
_ATTENTION = {"ATT1": ("Q2_9", 3), "ATT2": ("Q5_6", 6)}

# export column of every answer cell (items and attention checks), in questionnaire order
_ANSWER_COLUMNS: tuple[tuple[str, str], ...] = (
    tuple((f"Q2_{i}", f"LP{i}") for i in range(1, 9))
    + (("Q2_9", "ATT1"),)
    + tuple((f"Q3_{i}", f"DIG{i}") for i in range(1, 7))
    + tuple((f"Q4_{i}", f"LS{i}") for i in range(1, 7))
    + tuple((f"Q5_{i}", f"OP{i}") for i in range(1, 6))
    + (("Q5_6", "ATT2"),)
    + tuple((f"Q6_{i}", f"MARK{i}") for i in range(1, 4))
)
ITEM_COLUMN: dict[str, str] = {item: col for col, item in _ANSWER_COLUMNS}
"""Export column of each item id (and of ATT1/ATT2)."""

# questionnaire pages 2..6 (page 1: key-informant questions; page 7: comments)
_PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Q2_timer_Page Submit", tuple(f"Q2_{i}" for i in range(1, 10))),
    ("Q3_timer_Page Submit", tuple(f"Q3_{i}" for i in range(1, 7))),
    ("Q4_timer_Page Submit", tuple(f"Q4_{i}" for i in range(1, 7))),
    ("Q5_timer_Page Submit", tuple(f"Q5_{i}" for i in range(1, 7))),
    ("Q6_timer_Page Submit", tuple(f"Q6_{i}" for i in range(1, 4))),
)
_N_PAGES = 7

_META_COLUMNS = (
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"UTC"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"UTC"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"UTC"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("RecipientLastName", "Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    ("RecipientFirstName", "Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    ("RecipientEmail", "Recipient Email", '{"ImportId":"recipientEmail"}'),
    ("ExternalReference", "External Data Reference", '{"ImportId":"externalDataReference"}'),
    ("LocationLatitude", "Location Latitude", '{"ImportId":"locationLatitude"}'),
    ("LocationLongitude", "Location Longitude", '{"ImportId":"locationLongitude"}'),
    ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
    ("Q1_role", "Which of the following best describes your current position?", '{"ImportId":"QID11"}'),
    ("Q1_tenure", "How many years have you worked for this company? - Years", '{"ImportId":"QID12_TEXT"}'),
    (
        "Q1_know",
        "To what extent do you agree with the following statement? - "
        "I am knowledgeable about my plant's operations and improvement programmes.",
        '{"ImportId":"QID13"}',
    ),
)
_TIMER_QID = {
    "Q2_timer_Page Submit": "QID14_PAGE_SUBMIT",
    "Q3_timer_Page Submit": "QID15_PAGE_SUBMIT",
    "Q4_timer_Page Submit": "QID16_PAGE_SUBMIT",
    "Q5_timer_Page Submit": "QID17_PAGE_SUBMIT",
    "Q6_timer_Page Submit": "QID18_PAGE_SUBMIT",
}
_TAIL_COLUMNS = (
    ("Q7_comments", "Do you have any further comments about this survey or your plant?", '{"ImportId":"QID7_TEXT"}'),
    ("firm_id", "firm_id", '{"ImportId":"firm_id"}'),
    ("wave", "wave", '{"ImportId":"wave"}'),
)


def _export_header() -> tuple[list[str], list[str], list[str]]:
    names, texts, ids = [], [], []
    for name, text, qid in _META_COLUMNS:
        names.append(name)
        texts.append(text)
        ids.append(qid)
    for timer, cols in _PAGES:
        for col in cols:
            item = dict(_ANSWER_COLUMNS)[col]
            construct = _ITEM_OF_CONSTRUCT.get(item, "LP" if item == "ATT1" else "OP")
            block, number = col[1:].split("_")
            names.append(col)
            texts.append(f"{_STEMS[construct]} - {_ITEM_TEXT[item]}")
            ids.append(f'{{"ImportId":"QID{block}_{number}"}}')
        names.append(timer)
        texts.append("Timing - Page Submit")
        ids.append(f'{{"ImportId":"{_TIMER_QID[timer]}"}}')
    for name, text, qid in _TAIL_COLUMNS:
        names.append(name)
        texts.append(text)
        ids.append(qid)
    return names, texts, ids


EXPORT_COLUMNS: tuple[str, ...] = tuple(_export_header()[0])
"""Column names of the survey export, in order."""

# ---- measurement defaults -------------------------------------------------------------------
DEFAULT_LOADINGS: tuple[tuple[str, float], ...] = (
    ("LP1", 0.78), ("LP2", 0.74), ("LP3", 0.81), ("LP4", 0.85),
    ("LP5", 0.76), ("LP6", 0.72), ("LP7", 0.80), ("LP8", 0.83),
    ("DIG1", 0.84), ("DIG2", 0.88), ("DIG3", 0.79), ("DIG4", 0.75), ("DIG5", 0.82), ("DIG6", 0.86),
    ("LS1", 0.82), ("LS2", 0.85), ("LS3", 0.76), ("LS4", 0.72), ("LS5", 0.80), ("LS6", 0.78),
    ("OP1", 0.78), ("OP2", 0.85), ("OP3", 0.81), ("OP4", 0.74), ("OP5", 0.70),
    ("MARK1", 0.80), ("MARK2", 0.90), ("MARK3", 0.86),
)  # fmt: skip
"""Standardised loading of each item on its construct (substantive part only)."""

LIKERT_THRESHOLDS: tuple[float, ...] = (-2.30, -1.60, -0.95, -0.30, 0.45, 1.35)
"""Cut points on the standardised continuous item: category k if tau_{k-1} <= y < tau_k.

Under y ~ N(0, 1) the category shares are 1.1, 4.4, 11.6, 21.1, 29.2, 23.8 and 8.9 %
(mean 4.80): skewed towards agreement, as managers' self-reports are.
"""

LATENTS: tuple[str, ...] = ("LP", "DIG", "SIZE", "AGE", "LP:DIG", "LS", "OP", "MARK", "METHOD")
"""Latent variables of the population model (SIZE = standardised log employees, AGE =
standardised log firm age, LP:DIG = the centred product LP*DIG - rho, METHOD = the
common-method factor)."""

# ---- defect vocabulary ------------------------------------------------------------------------
RESPONSE_DEFECTS: tuple[str, ...] = (
    "partial",
    "duplicate_second_respondent",
    "duplicate_resubmission",
    "speeder_hard",
    "speeder_soft",
    "straightliner",
    "attention_fail",
    "random_responder",
    "low_knowledge",
    "excess_missing",
)
"""Defects that concern a whole response (one row of the export)."""
CELL_DEFECTS: tuple[str, ...] = ("missing_cell", "out_of_range_code")
"""Defects of single answer cells in otherwise clean responses."""
FIRM_DEFECTS: tuple[str, ...] = ("archival_unmatched", "archival_missing_revenue", "archival_extra")
"""Defects of the archival file (firm level)."""

# Number of responses of each defective type in the design with 209 clean responses. Types
# combine defect kinds: "straightliner_attention" straight-lines the attention checks too,
# "low_knowledge_speeder" has one page at 1-2 s per item, every random responder has one.
_DEFECT_DESIGN: dict[str, int] = {
    "partial": 11,
    "duplicate_second_respondent": 3,
    "duplicate_resubmission": 2,
    "speeder_hard": 6,
    "speeder_soft": 3,
    "straightliner": 3,
    "straightliner_attention": 2,
    "attention_fail": 9,
    "random_responder": 4,
    "low_knowledge": 2,
    "low_knowledge_speeder": 2,
    "excess_missing": 4,
}
_CELL_DESIGN = {"missing_share": 0.01, "out_of_range": 6}
_ARCHIVAL_DESIGN = {"unmatched": 4, "extra": 5, "missing_revenue": 6}
_OUT_OF_RANGE_CODES = (0, 8, 99)

# ---- fieldwork ----------------------------------------------------------------------------------
_FIELD_START = datetime(2023, 3, 6)
_REMINDER_DAY = 35  # week 5: 2023-04-10
_FIELD_DAYS = 70  # ten weeks, to 2023-05-14
_WAVE1_SHARE = 0.6
_SURVEY_YEAR = 2023
_RESPONSE_PROPENSITY_SIZE = 0.20  # log-odds-like tilt of response towards larger firms (per SD of log employees)

# country, ISO code, clean responses (design of 209), firms in the sampling frame (700)
_COUNTRIES: tuple[tuple[str, str, int, int], ...] = (
    ("India", "IN", 24, 80),
    ("China", "CN", 22, 74),
    ("Brazil", "BR", 19, 64),
    ("Mexico", "MX", 18, 60),
    ("Indonesia", "ID", 17, 57),
    ("Thailand", "TH", 17, 57),
    ("Malaysia", "MY", 16, 54),
    ("Vietnam", "VN", 15, 50),
    ("Turkey", "TR", 18, 60),
    ("Poland", "PL", 16, 54),
    ("South Africa", "ZA", 14, 47),
    ("Philippines", "PH", 13, 43),
)
# 2-digit NACE Rev. 2 manufacturing divisions and their shares in the frame
_NACE_SHARES = {
    10: 0.10, 11: 0.02, 13: 0.05, 14: 0.04, 15: 0.02, 16: 0.02, 17: 0.03, 18: 0.01, 20: 0.07,
    21: 0.05, 22: 0.07, 23: 0.04, 24: 0.05, 25: 0.09, 26: 0.07, 27: 0.06, 28: 0.09, 29: 0.07,
    30: 0.02, 31: 0.02, 32: 0.01,
}  # fmt: skip


# =================================================================================================
# Population model
# =================================================================================================
@dataclass(frozen=True)
class PopulationModel:
    """The population model behind the synthetic data.

    All latent variables have mean 0 and variance 1 (except the product term). The
    structural equations are

    .. math::

        LS &= a_1 LP + a_2 DIG + a_3 (LP \\cdot DIG - \\rho) + \\zeta_{LS} \\\\
        OP &= c_1 LP + c_2 DIG + b\\,LS + g_1 SIZE + \\zeta_{OP}

    with (LP, DIG, SIZE, AGE) multivariate normal, :math:`\\rho = corr(LP, DIG)`. For
    bivariate normal LP, DIG: :math:`E[LP \\cdot DIG] = \\rho`,
    :math:`Var(LP \\cdot DIG) = 1 + \\rho^2`, and the centred product is uncorrelated with
    every linear function of the normal variables (third moments vanish).

    Attributes
    ----------
    rho_lp_dig : float
        corr(LP, DIG).
    a1, a2, a3 : float
        Paths LP -> LS, DIG -> LS and (LP*DIG - rho) -> LS.
    c1, c2, b, g1 : float
        Paths LP -> OP, DIG -> OP, LS -> OP and SIZE -> OP.
    rho_size_dig : float
        corr(SIZE, DIG); SIZE is uncorrelated with LP.
    rho_size_age : float
        corr(SIZE, AGE); AGE is uncorrelated with LP and DIG and affects nothing.
    loadings : tuple of (item, loading)
        Standardised substantive loading of each of the 28 items (see DEFAULT_LOADINGS).
    method_loading : float
        Loading m of every item on the common-method factor M.
    thresholds : tuple of 6 floats
        Cut points of the 7-point discretisation (see LIKERT_THRESHOLDS).
    log_employees_mean, log_employees_sd : float
        employees = round(exp(mean + sd * SIZE)): median 403 employees.
    log_age_mean, log_age_sd : float
        firm age in years = round(exp(mean + sd * AGE)): median 22 years.
    log_revenue_per_employee_mean, log_revenue_per_employee_sd : float
        Revenue per employee (USD thousand) is lognormal with these parameters; median 55.
    revenue_op_correlation : float
        corr(standardised log revenue per employee, OP): the archival triangulation signal.
    lp_bundles : tuple of (bundle, gamma)
        Empty (the default, the bundled study): the LP items load on LP directly. Given (all
        four bundles of :data:`LP_BUNDLES`, e.g. :data:`DEFAULT_LP_BUNDLE_LOADINGS`): LP is a
        second-order construct, each bundle :math:`B_k = \\gamma_k LP + \\sqrt{1-\\gamma_k^2}\\,u_k`
        (u_k standard normal, independent) and each LP item loads on its bundle,
        :math:`y_j = \\lambda_j B_{k(j)} + m M + e_j`. Only :func:`draw_items` uses it.
    """

    rho_lp_dig: float = 0.30
    a1: float = 0.30
    a2: float = 0.05
    a3: float = 0.25
    c1: float = 0.15
    c2: float = 0.00
    b: float = 0.50
    g1: float = 0.10
    rho_size_dig: float = 0.20
    rho_size_age: float = 0.25
    loadings: tuple[tuple[str, float], ...] = DEFAULT_LOADINGS
    method_loading: float = 0.15
    thresholds: tuple[float, ...] = LIKERT_THRESHOLDS
    log_employees_mean: float = 6.0
    log_employees_sd: float = 1.0
    log_age_mean: float = 3.1
    log_age_sd: float = 0.55
    log_revenue_per_employee_mean: float = 4.0
    log_revenue_per_employee_sd: float = 0.6
    revenue_op_correlation: float = 0.30
    lp_bundles: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.lp_bundles:
            names = [b for b, _ in self.lp_bundles]
            if sorted(names) != sorted(LP_BUNDLES):
                raise ValueError(f"lp_bundles must name exactly the bundles {', '.join(LP_BUNDLES)}")
            for b, g in self.lp_bundles:
                if not 0.0 < g <= 1.0:
                    raise ValueError(f"the loading of bundle {b} on LP must lie in (0, 1], got {g}")
        if not -1.0 < self.rho_lp_dig < 1.0:
            raise ValueError(f"rho_lp_dig must lie in (-1, 1), got {self.rho_lp_dig}")
        if np.linalg.eigvalsh(self._exogenous_matrix()).min() <= 0:
            raise ValueError("the correlations of LP, DIG, SIZE and AGE are not positive definite")
        if self.ls_disturbance_variance() <= 0:
            raise ValueError("a1, a2, a3 explain all the variance of LS (or more); lower them")
        if self.op_disturbance_variance() <= 0:
            raise ValueError("c1, c2, b, g1 explain all the variance of OP (or more); lower them")
        names = [item for item, _ in self.loadings]
        if sorted(names) != sorted(ITEMS):
            raise ValueError(f"loadings must name exactly the items {', '.join(ITEMS)}")
        for item, lam in self.loadings:
            if not 0.0 < lam <= 1.0 or lam**2 + self.method_loading**2 > 1.0 + 1e-12:
                raise ValueError(
                    f"loading of {item} ({lam}) with method loading {self.method_loading} "
                    "leaves negative error variance (need loading^2 + method_loading^2 <= 1)"
                )
        if len(self.thresholds) != 6 or any(np.diff(self.thresholds) <= 0):
            raise ValueError("thresholds must be 6 increasing cut points (7 categories)")
        if not -1.0 < self.revenue_op_correlation < 1.0:
            raise ValueError("revenue_op_correlation must lie in (-1, 1)")

    # ---- parameters in other shapes ------------------------------------------------------------
    @property
    def loading_map(self) -> dict[str, float]:
        """Loadings as a dict item -> loading."""
        return dict(self.loadings)

    def with_loadings(self, value: float) -> "PopulationModel":
        """A copy with every item loading (substantive and marker) set to ``value``."""
        return replace(self, loadings=tuple((item, float(value)) for item in ITEMS))

    def _exogenous_matrix(self) -> np.ndarray:
        r, s, t = self.rho_lp_dig, self.rho_size_dig, self.rho_size_age
        # order: LP, DIG, SIZE, AGE
        return np.array(
            [
                [1.0, r, 0.0, 0.0],
                [r, 1.0, s, 0.0],
                [0.0, s, 1.0, t],
                [0.0, 0.0, t, 1.0],
            ]
        )

    def exogenous_covariance(self) -> pd.DataFrame:
        """Covariance (= correlation) matrix of LP, DIG, SIZE and AGE."""
        names = ["LP", "DIG", "SIZE", "AGE"]
        return pd.DataFrame(self._exogenous_matrix(), index=names, columns=names)

    # ---- structural part -------------------------------------------------------------------------
    def product_variance(self) -> float:
        """Var(LP * DIG) = 1 + rho^2 for standard bivariate normal LP, DIG."""
        return 1.0 + self.rho_lp_dig**2

    def _ls_explained(self) -> float:
        r = self.rho_lp_dig
        return self.a1**2 + self.a2**2 + 2 * self.a1 * self.a2 * r + self.a3**2 * self.product_variance()

    def ls_disturbance_variance(self) -> float:
        """Var(zeta_LS) = 1 - [a1^2 + a2^2 + 2 a1 a2 rho + a3^2 (1 + rho^2)]."""
        return 1.0 - self._ls_explained()

    def _transform(self) -> np.ndarray:
        """Matrix T with latent = T u, u = (LP, DIG, SIZE, AGE, P, zeta_LS, zeta_OP, MARK, METHOD)."""
        t = np.zeros((len(LATENTS), 9))
        for i in range(5):  # LP, DIG, SIZE, AGE, LP:DIG
            t[i, i] = 1.0
        ls = np.zeros(9)
        ls[[0, 1, 4, 5]] = [self.a1, self.a2, self.a3, 1.0]
        op = self.b * ls
        op[[0, 1, 2, 6]] += [self.c1, self.c2, self.g1, 1.0]
        t[5], t[6] = ls, op
        t[7, 7] = t[8, 8] = 1.0
        return t

    def _base_covariance(self, var_zeta_op: float) -> np.ndarray:
        c = np.zeros((9, 9))
        c[:4, :4] = self._exogenous_matrix()
        c[4, 4] = self.product_variance()
        c[5, 5] = self.ls_disturbance_variance()
        c[6, 6] = var_zeta_op
        c[7, 7] = c[8, 8] = 1.0
        return c

    def op_disturbance_variance(self) -> float:
        """Var(zeta_OP) = 1 - Var(c1 LP + c2 DIG + b LS + g1 SIZE), computed analytically.

        The explained variance is :math:`v' \\Sigma v` over (LP, DIG, LS, SIZE), using
        Cov(LS, LP) = a1 + a2 rho, Cov(LS, DIG) = a1 rho + a2, Cov(LS, SIZE) = a2 rho_SD
        (the product term is uncorrelated with all of them).
        """
        t = self._transform()
        explained = t[6] @ self._base_covariance(0.0) @ t[6]
        return 1.0 - float(explained)

    def latent_covariance(self) -> pd.DataFrame:
        """Population covariance matrix of :data:`LATENTS`.

        Every variable has variance 1 except LP:DIG (variance 1 + rho^2), so apart from
        that row and column the matrix is the correlation matrix.
        """
        t = self._transform()
        cov = t @ self._base_covariance(self.op_disturbance_variance()) @ t.T
        return pd.DataFrame(cov, index=list(LATENTS), columns=list(LATENTS))

    def r_squared(self) -> dict[str, float]:
        """Population R-squared of LS and OP."""
        return {"LS": self._ls_explained(), "OP": 1.0 - self.op_disturbance_variance()}

    def path_coefficients(self) -> pd.DataFrame:
        """Population paths as a tidy table (source, target, estimate).

        The LP:DIG row is the coefficient of the raw centred product LP*DIG - rho; the
        coefficient of the *standardised* product is :meth:`standardized_interaction_path`.
        Controls: SIZE is ``log_employees`` standardised; ``firm_age`` has no effect.
        """
        rows = [
            ("LP", "LS", self.a1),
            ("DIG", "LS", self.a2),
            ("LP:DIG", "LS", self.a3),
            ("log_employees", "LS", 0.0),
            ("firm_age", "LS", 0.0),
            ("LP", "OP", self.c1),
            ("DIG", "OP", self.c2),
            ("LS", "OP", self.b),
            ("log_employees", "OP", self.g1),
            ("firm_age", "OP", 0.0),
        ]
        return pd.DataFrame(rows, columns=["source", "target", "estimate"])

    def standardized_interaction_path(self) -> float:
        """a3 * sqrt(1 + rho^2): the path of the interaction term when the product is standardised.

        PLS two-stage and orthogonalising approaches standardise the interaction term; its
        population path is then a3 * SD(LP*DIG). Simple slopes must divide it back.
        """
        return self.a3 * math.sqrt(self.product_variance())

    # ---- effects ------------------------------------------------------------------------------------
    def simple_slope(self, w: float) -> float:
        """Effect of LP on LS at DIG = w (in SD units): a1 + a3 w."""
        return self.a1 + self.a3 * w

    def conditional_indirect(self, w: float) -> float:
        """Indirect effect LP -> LS -> OP at DIG = w: (a1 + a3 w) b."""
        return self.simple_slope(w) * self.b

    def index_moderated_mediation(self) -> float:
        """Index of moderated mediation (Hayes 2015) for model 7: a3 b."""
        return self.a3 * self.b

    def indirect_lp(self) -> float:
        """Indirect effect LP -> LS -> OP at mean DIG: a1 b."""
        return self.a1 * self.b

    def indirect_dig(self) -> float:
        """Indirect effect DIG -> LS -> OP: a2 b."""
        return self.a2 * self.b

    def indirect_difference(self) -> float:
        """Difference of the two indirect effects at mean DIG: (a1 - a2) b."""
        return (self.a1 - self.a2) * self.b

    def total_effect(self, source: str) -> float:
        """Total effect on OP at mean DIG: c1 + a1 b (LP), c2 + a2 b (DIG), b (LS)."""
        totals = {"LP": self.c1 + self.a1 * self.b, "DIG": self.c2 + self.a2 * self.b, "LS": self.b}
        if source not in totals:
            raise ValueError(f"source must be one of {', '.join(totals)}, got {source!r}")
        return totals[source]

    # ---- measurement ----------------------------------------------------------------------------------
    def item_covariance(self, *, method_factor: bool = True) -> pd.DataFrame:
        """Population covariance of the continuous (not discretised) keyed items.

        .. math:: \\Sigma_y = \\Lambda \\Phi \\Lambda' + m^2 \\mathbf{1}\\mathbf{1}' + \\Theta,
            \\quad \\theta_j = 1 - \\lambda_j^2 - m^2

        so every item has variance 1 (m = 0 when ``method_factor`` is false).
        """
        phi = self.latent_covariance().loc[list(CONSTRUCT_ITEMS), list(CONSTRUCT_ITEMS)].to_numpy()
        lam = np.zeros((len(ITEMS), len(CONSTRUCT_ITEMS)))
        loadings = self.loading_map
        for j, item in enumerate(ITEMS):
            lam[j, list(CONSTRUCT_ITEMS).index(_ITEM_OF_CONSTRUCT[item])] = loadings[item]
        m = self.method_loading if method_factor else 0.0
        common = lam @ phi @ lam.T
        if self.lp_bundles:
            # an LP item loads lambda on its bundle B = gamma LP + sqrt(1 - gamma^2) u: it covaries
            # lambda gamma with everything through LP, plus lambda lambda' (1 - gamma^2) within its bundle
            gamma = dict(self.lp_bundles)
            pos = {item: j for j, item in enumerate(ITEMS)}
            g = np.ones(len(ITEMS))
            for bundle, items in LP_BUNDLES.items():
                g[[pos[i] for i in items]] = gamma[bundle]
            common = common * np.outer(g, g)
            for bundle, items in LP_BUNDLES.items():
                idx = [pos[i] for i in items]
                lam_b = np.array([loadings[i] for i in items])
                common[np.ix_(idx, idx)] += (1 - gamma[bundle] ** 2) * np.outer(lam_b, lam_b)
        cov = common + m**2
        np.fill_diagonal(cov, 1.0)
        return pd.DataFrame(cov, index=list(ITEMS), columns=list(ITEMS))

    def summary(self) -> pd.DataFrame:
        """Every parameter and derived population value: columns quantity, value, definition."""
        rows = [
            ("rho_lp_dig", self.rho_lp_dig, "corr(LP, DIG)"),
            ("rho_size_dig", self.rho_size_dig, "corr(SIZE, DIG), SIZE = standardised log employees"),
            ("rho_size_age", self.rho_size_age, "corr(SIZE, AGE), AGE = standardised log firm age"),
            ("a1", self.a1, "LP -> LS"),
            ("a2", self.a2, "DIG -> LS"),
            ("a3", self.a3, "(LP*DIG - rho) -> LS"),
            ("c1", self.c1, "LP -> OP"),
            ("c2", self.c2, "DIG -> OP"),
            ("b", self.b, "LS -> OP"),
            ("g1", self.g1, "SIZE -> OP"),
            ("var_zeta_ls", self.ls_disturbance_variance(), "Var(zeta_LS), so that Var(LS) = 1"),
            ("var_zeta_op", self.op_disturbance_variance(), "Var(zeta_OP), so that Var(OP) = 1"),
            ("r_squared_ls", self.r_squared()["LS"], "R^2 of LS"),
            ("r_squared_op", self.r_squared()["OP"], "R^2 of OP"),
            ("a3_standardized", self.standardized_interaction_path(), "a3 sqrt(1 + rho^2)"),
            ("simple_slope_low", self.simple_slope(-1.0), "a1 - a3 (DIG = -1 SD)"),
            ("simple_slope_mean", self.simple_slope(0.0), "a1 (DIG = 0)"),
            ("simple_slope_high", self.simple_slope(1.0), "a1 + a3 (DIG = +1 SD)"),
            ("indirect_lp_low", self.conditional_indirect(-1.0), "(a1 - a3) b"),
            ("indirect_lp_mean", self.conditional_indirect(0.0), "a1 b"),
            ("indirect_lp_high", self.conditional_indirect(1.0), "(a1 + a3) b"),
            ("index_moderated_mediation", self.index_moderated_mediation(), "a3 b"),
            ("indirect_dig", self.indirect_dig(), "a2 b"),
            ("indirect_difference", self.indirect_difference(), "(a1 - a2) b"),
            ("total_lp", self.total_effect("LP"), "c1 + a1 b"),
            ("total_dig", self.total_effect("DIG"), "c2 + a2 b"),
            ("method_loading", self.method_loading, "loading of every item on the method factor"),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value", "definition"])


# =================================================================================================
# Drawing latent variables and items
# =================================================================================================
def _draw_firms(n: int, pop: PopulationModel, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Firm-level variables: size and age (rounded as they are recorded), then LP, DIG, LS, OP.

    SIZE and AGE are recomputed from the rounded employees and age so that the latent
    model uses exactly log(employees) and log(age) as recorded. LP and DIG are then drawn
    from their normal distribution conditional on (SIZE, AGE).
    """
    z = rng.standard_normal((n, 2))
    t = pop.rho_size_age
    size_raw = z[:, 0]
    age_raw = t * z[:, 0] + math.sqrt(1 - t * t) * z[:, 1]
    employees = np.maximum(10, np.rint(np.exp(pop.log_employees_mean + pop.log_employees_sd * size_raw)))
    age_years = np.clip(np.rint(np.exp(pop.log_age_mean + pop.log_age_sd * age_raw)), 1, 150)
    size = (np.log(employees) - pop.log_employees_mean) / pop.log_employees_sd
    age = (np.log(age_years) - pop.log_age_mean) / pop.log_age_sd

    sigma = pop._exogenous_matrix()
    s11, s12, s22 = sigma[:2, :2], sigma[:2, 2:], sigma[2:, 2:]
    coef = s12 @ np.linalg.inv(s22)  # 2 x 2: E[(LP, DIG) | SIZE, AGE] = coef @ (SIZE, AGE)
    chol = np.linalg.cholesky(s11 - coef @ s12.T)
    given = np.column_stack([size, age])
    lp_dig = given @ coef.T + rng.standard_normal((n, 2)) @ chol.T
    lp, dig = lp_dig[:, 0], lp_dig[:, 1]

    zeta = rng.standard_normal((n, 2))
    product = lp * dig - pop.rho_lp_dig
    ls = pop.a1 * lp + pop.a2 * dig + pop.a3 * product + math.sqrt(pop.ls_disturbance_variance()) * zeta[:, 0]
    op = (
        pop.c1 * lp
        + pop.c2 * dig
        + pop.b * ls
        + pop.g1 * size
        + math.sqrt(pop.op_disturbance_variance()) * zeta[:, 1]
    )
    return {
        "employees": employees.astype(np.int64),
        "age_years": age_years.astype(np.int64),
        "SIZE": size,
        "AGE": age,
        "LP": lp,
        "DIG": dig,
        "LS": ls,
        "OP": op,
    }


def _continuous_items(
    eta: dict[str, np.ndarray],
    method: np.ndarray,
    loadings: dict[str, float],
    method_loading: float,
    rng: np.random.Generator,
    latent_of: dict[str, str] | None = None,
) -> np.ndarray:
    """y_j = lambda_j eta_c(j) + m M + sqrt(1 - lambda_j^2 - m^2) e_j, one column per item of ITEMS.

    ``latent_of`` maps items to another latent of ``eta`` than their construct (the LP bundles).
    """
    n = len(method)
    errors = rng.standard_normal((n, len(ITEMS)))
    y = np.empty((n, len(ITEMS)))
    home = {**_ITEM_OF_CONSTRUCT, **(latent_of or {})}
    for j, item in enumerate(ITEMS):
        lam = loadings[item]
        theta = max(0.0, 1.0 - lam**2 - method_loading**2)
        y[:, j] = lam * eta[home[item]] + method_loading * method + math.sqrt(theta) * errors[:, j]
    return y


def _discretise(y: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """Category 1..7: the number of thresholds at or below y, plus one."""
    return np.searchsorted(np.asarray(thresholds), y, side="right").astype(np.int64) + 1


def draw_items(
    n: int,
    population: PopulationModel | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = DEFAULT_SEED,
    *,
    likert: bool = True,
    loading_scale: float | None = None,
    method_factor: bool = True,
    include_latent: bool = False,
) -> pd.DataFrame:
    """Draw n firms' analysis-ready items and controls from the population model.

    Parameters
    ----------
    n : int
        Number of firms (one respondent each).
    population : PopulationModel, optional
        Defaults to ``PopulationModel()``.
    seed : int, SeedSequence or Generator
        The ``simulation`` stream of this seed (:func:`leanlearn.random.stream`, the root
        ``SeedSequence(seed)``), or a Generator used as is.
    likert : bool
        True: 7-point items cut at ``population.thresholds``. False: the continuous
        standardised items y (variance 1 in the population).
    loading_scale : float, optional
        When given, every item loading (substantive and marker) is set to this value,
        e.g. 0.95 for near-perfect reliability; None keeps ``population.loadings``.
    method_factor : bool
        False drops the common-method factor (m = 0; error variances grow accordingly).
    include_latent : bool
        Also return the true scores as ``true_LP``, ``true_DIG``, ``true_LS``,
        ``true_OP``, ``true_MARK``, ``true_METHOD``, ``true_SIZE``, ``true_AGE`` (and
        ``true_JIT`` ... ``true_HRM`` when the population has LP bundles).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ITEMS` (LP1..OP5, MARK1..MARK3; keyed in the direction of their
        construct, i.e. reverse-keyed items LS4 and OP5 are already reversed back), then
        ``log_employees`` (natural log of the recorded head count) and ``firm_age``
        (years), then the true scores if requested.

    Notes
    -----
    Item model: :math:`y_j = \\lambda_j \\eta_{c(j)} + m M + e_j`, Var(y_j) = 1,
    :math:`e_j \\sim N(0, 1 - \\lambda_j^2 - m^2)`, M ~ N(0, 1) independent of all
    constructs; the marker latent MARK ~ N(0, 1) is independent of everything else.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    pop = population if population is not None else PopulationModel()
    if not method_factor:
        pop = replace(pop, method_loading=0.0)
    if loading_scale is not None:
        pop = pop.with_loadings(loading_scale)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(stream(seed, "simulation"))
    firms = _draw_firms(n, pop, rng)
    mark = rng.standard_normal(n)
    method = rng.standard_normal(n)
    eta = {c: firms[c] for c in SUBSTANTIVE_CONSTRUCTS} | {"MARK": mark}
    latent_of = None
    if pop.lp_bundles:  # drawn only with bundles, so the default draws are unchanged
        u = rng.standard_normal((n, len(LP_BUNDLES)))
        gamma = dict(pop.lp_bundles)
        for k, bundle in enumerate(LP_BUNDLES):
            g = gamma[bundle]
            eta[bundle] = g * firms["LP"] + math.sqrt(1.0 - g * g) * u[:, k]
        latent_of = {item: bundle for bundle, items in LP_BUNDLES.items() for item in items}
    y = _continuous_items(eta, method, pop.loading_map, pop.method_loading, rng, latent_of)
    values = _discretise(y, pop.thresholds) if likert else y
    out = pd.DataFrame(values, columns=list(ITEMS))
    out["log_employees"] = np.log(firms["employees"].astype(float))
    out["firm_age"] = firms["age_years"]
    if include_latent:
        for name in ("LP", "DIG", "LS", "OP"):
            out[f"true_{name}"] = firms[name]
        out["true_MARK"] = mark
        out["true_METHOD"] = method
        out["true_SIZE"] = firms["SIZE"]
        out["true_AGE"] = firms["AGE"]
        if pop.lp_bundles:
            for bundle in LP_BUNDLES:
                out[f"true_{bundle}"] = eta[bundle]
    return out


# =================================================================================================
# The raw study files
# =================================================================================================
def _scale_count(base: int, factor: float) -> int:
    return max(1, int(round(base * factor)))


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - out.sum()]] += 1
    return out


def _design(n_clean: int) -> dict:
    """Counts of the study design, scaled from the 209-firm design to ``n_clean``."""
    if int(n_clean) != n_clean or n_clean < 24:
        raise ValueError(f"n_clean must be an integer of at least 24 (two firms per country), got {n_clean!r}")
    n_clean = int(n_clean)
    f = n_clean / DESIGN_N_CLEAN
    base_clean = np.array([c[2] for c in _COUNTRIES], dtype=float)
    clean = base_clean.astype(int) if n_clean == DESIGN_N_CLEAN else _largest_remainder(base_clean, n_clean)
    frame = np.array([max(int(round(c[3] * f)), 3 * k) for c, k in zip(_COUNTRIES, clean)])
    defects = {k: _scale_count(v, f) for k, v in _DEFECT_DESIGN.items()}
    n_missing_cells = int(round(_CELL_DESIGN["missing_share"] * n_clean * len(ITEMS)))
    return {
        "n_clean": n_clean,
        "clean": clean,
        "frame": frame,
        "defects": defects,
        "missing_cells": n_missing_cells,
        "out_of_range": _scale_count(_CELL_DESIGN["out_of_range"], f),
        "unmatched": _scale_count(_ARCHIVAL_DESIGN["unmatched"], f),
        "extra": _scale_count(_ARCHIVAL_DESIGN["extra"], f),
        "missing_revenue": _scale_count(_ARCHIVAL_DESIGN["missing_revenue"], f),
    }


def _build_frame(design: dict, pop: PopulationModel, rng: np.random.Generator) -> pd.DataFrame:
    """All invited firms with their recorded data and (hidden) latent scores."""
    countries = np.repeat(np.arange(len(_COUNTRIES)), design["frame"])
    n = len(countries)
    nace_codes = np.array(list(_NACE_SHARES))
    nace_p = np.array(list(_NACE_SHARES.values()))
    nace = rng.choice(nace_codes, size=n, p=nace_p / nace_p.sum())
    firms = _draw_firms(n, pop, rng)
    r = pop.revenue_op_correlation
    z_rev = r * firms["OP"] + math.sqrt(1 - r * r) * rng.standard_normal(n)
    rev_per_emp = np.exp(pop.log_revenue_per_employee_mean + pop.log_revenue_per_employee_sd * z_rev)
    revenue = np.round(firms["employees"] * rev_per_emp, 1)
    bvd_numbers = rng.choice(900_000_000, size=n, replace=False) + 100_000_000
    order = rng.permutation(n)  # firm ids in random order, not by country
    frame = pd.DataFrame(
        {
            "country": [_COUNTRIES[c][0] for c in countries],
            "country_iso": [_COUNTRIES[c][1] for c in countries],
            "nace2": nace.astype(np.int64),
            "employees": firms["employees"],
            "founding_year": _SURVEY_YEAR - firms["age_years"],
            "revenue_usd_th": revenue,
            "bvd_id": [f"{_COUNTRIES[c][1]}{num}" for c, num in zip(countries, bvd_numbers)],
            "_country_index": countries,
        }
    )
    for name in ("SIZE", "AGE", "LP", "DIG", "LS", "OP"):
        frame[f"_{name}"] = firms[name]
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "firm_id", [f"F{i + 1:04d}" for i in range(n)])
    return frame


def _select_respondents(frame: pd.DataFrame, design: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Frame rows of the clean respondents (per country) and of the defective ones.

    Response propensity rises slightly with size: weight exp(0.20 * SIZE).
    """
    weight = np.exp(_RESPONSE_PROPENSITY_SIZE * frame["_SIZE"].to_numpy())
    taken = np.zeros(len(frame), dtype=bool)
    clean = []
    for c, k in enumerate(design["clean"]):
        idx = np.flatnonzero(frame["_country_index"].to_numpy() == c)
        p = weight[idx] / weight[idx].sum()
        pick = rng.choice(idx, size=int(k), replace=False, p=p)
        clean.extend(pick.tolist())
        taken[pick] = True
    n_bad = sum(v for k, v in design["defects"].items() if not k.startswith("duplicate"))
    rest = np.flatnonzero(~taken)
    bad = rng.choice(rest, size=n_bad, replace=False, p=weight[rest] / weight[rest].sum())
    return np.array(clean), bad


# ---- people and paradata -----------------------------------------------------------------------------
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "IN": (("Rahul", "Priya", "Amit", "Sunita", "Vikram", "Anjali", "Rajesh", "Kavita", "Suresh", "Deepa"),
           ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Kulkarni", "Mehta", "Rao")),
    "CN": (("Wei", "Jing", "Lei", "Fang", "Hao", "Min", "Jun", "Yan", "Tao", "Xiaoling"),
           ("Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu")),
    "BR": (("João", "Ana", "Lucas", "Mariana", "Pedro", "Juliana", "Rafael", "Camila", "Carlos", "Fernanda"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida", "Ferreira", "Lima")),
    "MX": (("José", "María", "Luis", "Guadalupe", "Jorge", "Alejandra", "Miguel", "Verónica", "Ricardo", "Sofía"),
           ("Hernández", "García", "Martínez", "López", "González", "Pérez", "Ramírez", "Flores", "Torres", "Morales")),
    "ID": (("Budi", "Siti", "Agus", "Dewi", "Eko", "Rina", "Hendra", "Wulan", "Andi", "Putri"),
           ("Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Setiawan", "Nugroho", "Halim", "Gunawan")),
    "TH": (("Somchai", "Suda", "Anan", "Malee", "Kittisak", "Pranee", "Niran", "Wanida", "Chaiwat", "Ratana"),
           ("Srisuk", "Wongsa", "Chaiyaporn", "Thongdee", "Saetang", "Kaewmanee", "Boonmee", "Phromma",
            "Rattanakorn", "Sukjai")),
    "MY": (("Ahmad", "Nurul", "Wei Ming", "Siti", "Rajesh", "Mei Ling", "Hafiz", "Aisyah", "Kumaran", "Farah"),
           ("Abdullah", "Ibrahim", "Lim", "Tan", "Wong", "Ismail", "Rahman", "Subramaniam", "Lee", "Yusof")),
    "VN": (("Minh", "Lan", "Hung", "Huong", "Tuan", "Mai", "Duc", "Thao", "Quang", "Linh"),
           ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do")),
    "TR": (("Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet", "Elif", "Emre", "Zeynep", "Murat", "Esra"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan")),
    "PL": (("Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Magdalena", "Marcin", "Joanna"),
           ("Nowak", "Wójcik", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek", "Zając", "Król", "Wieczorek", "Pawlak")),
    "ZA": (("Thabo", "Nomsa", "Sipho", "Lerato", "Johan", "Annelie", "Pieter", "Zanele", "Sibusiso", "Michelle"),
           ("Nkosi", "Dlamini", "Botha", "van der Merwe", "Mokoena", "Naidoo", "Khumalo", "Pretorius", "Molefe",
            "Smith")),
    "PH": (("Jose", "Maria", "Mark", "Kristine", "John Paul", "Rowena", "Ramon", "Jocelyn", "Carlo", "Liza"),
           ("Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva", "Ramos", "Aquino", "Dela Cruz")),
}  # fmt: skip
# an industrial city per country and two more: (latitude, longitude) of the city centre
_CITIES: dict[str, tuple[tuple[float, float], ...]] = {
    "IN": ((19.0760, 72.8777), (18.5204, 73.8567), (13.0827, 80.2707)),
    "CN": ((31.2304, 121.4737), (22.5431, 114.0579), (31.2989, 120.5853)),
    "BR": ((-23.5505, -46.6333), (-22.9099, -47.0626), (-25.4284, -49.2733)),
    "MX": ((25.6866, -100.3161), (20.5888, -100.3899), (20.6597, -103.3496)),
    "ID": ((-6.2088, 106.8456), (-7.2575, 112.7521), (-6.2383, 106.9756)),
    "TH": ((13.7563, 100.5018), (13.3611, 100.9847), (12.6814, 101.2816)),
    "MY": ((3.1390, 101.6869), (5.4141, 100.3288), (1.4927, 103.7414)),
    "VN": ((10.8231, 106.6297), (21.0278, 105.8342), (20.8449, 106.6881)),
    "TR": ((41.0082, 28.9784), (40.1885, 29.0610), (40.7654, 29.9408)),
    "PL": ((52.2297, 21.0122), (51.1079, 17.0385), (52.4064, 16.9252)),
    "ZA": ((-26.2041, 28.0473), (-29.8587, 31.0218), (-33.9608, 25.6022)),
    "PH": ((14.5995, 120.9842), (10.3157, 123.8854), (14.2117, 121.1653)),
}
# first octets of the public IPv4 blocks used for each country's fake addresses
_IP_FIRST_OCTET: dict[str, tuple[int, ...]] = {
    "IN": (49, 103, 117, 182), "CN": (36, 58, 113, 180), "BR": (177, 179, 186, 189),
    "MX": (148, 187, 189, 201), "ID": (36, 103, 114, 180), "TH": (49, 110, 171, 184),
    "MY": (60, 115, 175, 202), "VN": (14, 27, 113, 171), "TR": (78, 88, 176, 185),
    "PL": (31, 46, 83, 89), "ZA": (41, 102, 105, 196), "PH": (49, 112, 120, 175),
}  # fmt: skip
_DOMAIN_HEADS = (
    "apex", "sunrise", "delta", "orient", "nova", "vertex", "summit", "unity", "pioneer", "crescent",
    "harbor", "silverline", "bluestar", "evergreen", "golden", "pacific", "atlas", "meridian", "zenith",
    "horizon", "lotus", "phoenix", "granite", "redwood", "northstar", "keystone", "triton", "sterling",
    "everest", "coral",
)  # fmt: skip
_DOMAIN_TAILS = (
    "mfg", "industries", "precision", "components", "metals", "plastics", "foods", "auto", "electro",
    "textiles", "polymers", "engineering", "castings", "machinery", "pharma", "packaging",
)  # fmt: skip
_COMMENTS_PLAIN = (
    "Our lean programme was restarted after the pandemic.",
    "We are piloting IoT sensors on two lines only.",
    "Some questions are hard to answer for a multi-plant group.",
    "Interesting survey, thank you.",
    "Performance comparisons are my best estimate.",
    "Digital tools are mostly run at corporate level, not in the plant.",
    "Please share the aggregated results.",
    "Kaizen events are held every quarter.",
)
_COMMENTS_NAMED = (
    "Please send the summary report to {name}, who leads our CI office.",
    "{name} from our quality team helped me with the questions on learning.",
    "Happy to join a follow-up interview; you can also contact {name}.",
    "Thanks, {name}",
    "I filled this in together with {name} (plant controller).",
)
_ROLE_P = (0.20, 0.50, 0.25, 0.05)  # CEO, operations/plant manager, quality/CI manager, other
_KNOW_CLEAN_P = {4: 0.07, 5: 0.25, 6: 0.40, 7: 0.28}
_FOLD = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "đ": "d"})


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace(" ", "")


def _fmt_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _response_ids(n: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        rid = "R_" + "".join(rng.choice(alphabet, size=15))
        if rid not in seen:
            seen.add(rid)
            ids.append(rid)
    return ids


def _firm_domains(n: int, rng: np.random.Generator) -> list[str]:
    """Distinct made-up company domains under the reserved .example top-level domain."""
    combos = [f"{h}-{t}" for h in _DOMAIN_HEADS for t in _DOMAIN_TAILS]
    order = rng.permutation(len(combos))
    out = [combos[i] for i in order[: min(n, len(combos))]]
    seen = set(out)
    while len(out) < n:  # only for designs larger than the word lists
        dom = f"{combos[rng.integers(len(combos))]}{int(rng.integers(2, 1000))}"
        if dom not in seen:
            seen.add(dom)
            out.append(dom)
    return [d + ".example" for d in out]


def _person(iso: str, domain: str, rng: np.random.Generator) -> dict:
    firsts, lasts = _NAMES[iso]
    first, last = firsts[rng.integers(len(firsts))], lasts[rng.integers(len(lasts))]
    octets = _IP_FIRST_OCTET[iso]
    ip = f"{octets[rng.integers(len(octets))]}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
    lat, lon = _CITIES[iso][rng.integers(len(_CITIES[iso]))]
    lat += rng.uniform(-0.06, 0.06)
    lon += rng.uniform(-0.06, 0.06)
    return {
        "RecipientFirstName": first,
        "RecipientLastName": last,
        "RecipientEmail": f"{_ascii(first)}.{_ascii(last)}@{domain}",
        "IPAddress": ip,
        "LocationLatitude": f"{lat:.4f}",
        "LocationLongitude": f"{lon:.4f}",
    }


def _comment(iso: str, rng: np.random.Generator) -> str:
    u = rng.random()
    if u >= 0.22:
        return ""
    if u < 0.09:
        firsts, lasts = _NAMES[iso]
        name = f"{firsts[rng.integers(len(firsts))]} {lasts[rng.integers(len(lasts))]}"
        return _COMMENTS_NAMED[rng.integers(len(_COMMENTS_NAMED))].format(name=name)
    return _COMMENTS_PLAIN[rng.integers(len(_COMMENTS_PLAIN))]


def _page_seconds_per_item(rng: np.random.Generator, speed: float, floor: float = 2.4) -> np.ndarray:
    """Seconds per item on the five item pages for an attentive respondent (median about 5 s)."""
    return np.maximum(floor, 5.0 * speed * np.exp(rng.normal(0.0, 0.2, size=len(_PAGES))))


def _recorded_time(rng: np.random.Generator) -> datetime:
    """Submission time: wave 1 decays from the invitation, wave 2 from the reminder (week 5)."""
    if rng.random() < _WAVE1_SHARE:
        day = min(rng.exponential(6.0), _REMINDER_DAY - 1)
    else:
        day = _REMINDER_DAY + min(rng.exponential(5.0), _FIELD_DAYS - _REMINDER_DAY - 1)
    seconds = int(math.floor(day)) * 86400 + int(rng.integers(2 * 3600, 17 * 3600))
    return _FIELD_START + timedelta(seconds=seconds)


def _wave(t: datetime) -> int:
    return 1 if t < _FIELD_START + timedelta(days=_REMINDER_DAY) else 2


class _Response:
    """A mutable record of one survey response while the export is being assembled."""

    def __init__(self, firm: int, kind: str) -> None:
        self.firm = firm
        self.kind = kind  # "clean" or a key of _DEFECT_DESIGN
        self.answers: dict[str, float] = {}  # export column -> answer as given (NaN = missing)
        self.q1: dict[str, str] = {}
        self.sec_per_item = np.zeros(len(_PAGES))
        self.pages_done = _N_PAGES
        self.other_seconds = 0.0
        self.person: dict[str, str] = {}
        self.comment = ""
        self.recorded: datetime = _FIELD_START
        self.response_id = ""
        self.defects: list[tuple[str, str]] = []  # (kind, detail)

    def duration(self) -> int:
        done = min(max(self.pages_done - 1, 0), len(_PAGES))
        timers = sum(float(self.timer(i)) for i in range(done))
        return int(round(self.other_seconds + timers))

    def timer(self, page: int) -> str:
        n_items = len(_PAGES[page][1])
        return f"{self.sec_per_item[page] * n_items:.3f}"


def _model_answers(keyed: np.ndarray) -> dict[str, float]:
    """Export answers from keyed 1..7 items: reverse-keyed items stored as 8 - x; checks passed."""
    out: dict[str, float] = {}
    for j, item in enumerate(ITEMS):
        value = float(keyed[j])
        out[ITEM_COLUMN[item]] = 8.0 - value if item in REVERSE_ITEMS else value
    for col, expected in _ATTENTION.values():
        out[col] = float(expected)
    return out


def _draw_keyed_items(firm_rows: pd.DataFrame, pop: PopulationModel, rng: np.random.Generator) -> np.ndarray:
    """7-point keyed items for respondents of the given firms (new marker and method scores)."""
    n = len(firm_rows)
    mark = rng.standard_normal(n)
    method = rng.standard_normal(n)
    eta = {c: firm_rows[f"_{c}"].to_numpy() for c in SUBSTANTIVE_CONSTRUCTS} | {"MARK": mark}
    y = _continuous_items(eta, method, pop.loading_map, pop.method_loading, rng)
    return _discretise(y, pop.thresholds)


def _choice(rng: np.random.Generator, values: dict[int, float]) -> int:
    keys = list(values)
    p = np.array(list(values.values()))
    return int(keys[rng.choice(len(keys), p=p / p.sum())])


def _slow_page(r: _Response, rng: np.random.Generator, *, hard: bool) -> None:
    """Speeding: 1-3 pages below 1 s per item (hard) or one substantive page at 1-2 s per item (soft)."""
    if hard:
        pages = np.sort(rng.choice(len(_PAGES), size=int(rng.integers(1, 4)), replace=False))
        r.sec_per_item[pages] = rng.uniform(0.35, 0.9, size=len(pages))
    else:
        pages = rng.choice(4, size=1)  # one of the four substantive pages
        r.sec_per_item[pages] = rng.uniform(1.15, 1.85, size=1)
    detail = "; ".join(f"{_PAGES[p][0]} {r.sec_per_item[p]:.2f} s/item" for p in pages)
    r.defects.append(("speeder_hard" if hard else "speeder_soft", detail))


def _apply_defect(r: _Response, kind: str, rng: np.random.Generator) -> None:
    """Turn an attentive response into one of the designed defective types."""
    item_cols = [ITEM_COLUMN[i] for i in ITEMS]
    if kind == "partial":
        done = int(rng.integers(1, 6))  # pages submitted: 1 = only the key-informant page
        r.pages_done = done
        for page in range(done - 1, len(_PAGES)):
            for col in _PAGES[page][1]:
                r.answers[col] = math.nan
        r.comment = ""
        r.other_seconds = r.other_seconds * 0.6 + float(rng.uniform(5, 240))
        r.defects.append(("partial", f"stopped after page {done} of {_N_PAGES}"))
    elif kind == "random_responder":
        for col in item_cols:
            r.answers[col] = float(rng.integers(1, 8))
        r.defects.append(("random_responder", "uniform 1..7 on all 28 items; attention checks passed"))
        _slow_page(r, rng, hard=False)
    elif kind == "speeder_hard":
        _slow_page(r, rng, hard=True)
    elif kind == "speeder_soft":
        _slow_page(r, rng, hard=False)
    elif kind == "low_knowledge_speeder":
        _apply_defect(r, "low_knowledge", rng)
        _slow_page(r, rng, hard=False)
    elif kind in ("straightliner", "straightliner_attention"):
        value = float(rng.choice([4, 5, 5, 6, 6, 7]))
        for col in item_cols:
            r.answers[col] = value
        r.sec_per_item = np.maximum(2.2, r.sec_per_item * 0.6)
        r.defects.append(("straightliner", f"answer {int(value)} on every item (as given, before reverse-scoring)"))
        if kind == "straightliner_attention":
            failed = []
            for att, (col, expected) in _ATTENTION.items():
                r.answers[col] = value
                if value != expected:
                    failed.append(f"{att}={int(value)} (expected {expected})")
            r.defects.append(("attention_fail", "; ".join(failed)))
    elif kind == "attention_fail":
        which = rng.choice(["ATT1", "ATT2", "both"], p=[0.45, 0.35, 0.20])
        failed = []
        for att, (col, expected) in _ATTENTION.items():
            if which in (att, "both"):
                wrong = {1: 0.05, 2: 0.05, 3: 0.05, 4: 0.2, 5: 0.3, 6: 0.25, 7: 0.1}
                wrong.pop(expected)
                value = _choice(rng, wrong)
                r.answers[col] = float(value)
                failed.append(f"{att}={value} (expected {expected})")
        r.defects.append(("attention_fail", "; ".join(failed)))
    elif kind == "low_knowledge":
        know = _choice(rng, {1: 0.1, 2: 0.35, 3: 0.55})
        r.q1["Q1_know"] = str(know)
        if rng.random() < 0.5:
            r.q1["Q1_role"] = "4"
        r.defects.append(("low_knowledge", f"Q1_know={know} (midpoint 4)"))
    elif kind == "excess_missing":
        if rng.random() < 0.5:
            construct = str(rng.choice(["DIG", "LS"]))
            cols = [ITEM_COLUMN[i] for i in CONSTRUCT_ITEMS[construct]]
            detail = f"skipped the whole {construct} block"
        else:
            k = int(rng.integers(7, 10))
            cols = list(rng.choice(item_cols, size=k, replace=False))
            detail = "skipped " + ", ".join(sorted(cols, key=item_cols.index))
        for col in cols:
            r.answers[col] = math.nan
        r.defects.append(("excess_missing", f"{detail} ({len(cols)} of {len(ITEMS)} items)"))
    else:  # pragma: no cover - guarded by the design table
        raise ValueError(f"unknown defect type {kind!r}")


def simulate_study(
    seed: int = DEFAULT_SEED,
    population: PopulationModel | None = None,
    *,
    n_clean: int = DESIGN_N_CLEAN,
) -> dict[str, pd.DataFrame]:
    """Draw the raw files of the synthetic study.

    Parameters
    ----------
    seed : int
        The ``simulation`` stream of this seed (:func:`leanlearn.random.stream`: the root
        ``SeedSequence(seed)``); eight children are spawned from it for the frame,
        respondent selection, answers, paradata and personal data, defects, cell defects
        and archival gaps. The same seed gives the same frames; no other purpose
        (bootstrap, permutation, folds, ...) draws from these streams.
    population : PopulationModel, optional
        Defaults to ``PopulationModel()``.
    n_clean : int
        Number of clean, unique firm responses (209 in the design). Defect counts, the
        frame and the archival gaps scale with it (each at least 1).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``survey_export``
            The Qualtrics-style export as text: columns :data:`EXPORT_COLUMNS`; the first
            two rows are the question texts and the import ids (as in the file), then one
            row per response in order of ``RecordedDate``; empty string = no answer.
        ``orbis_firms``
            firm_id, bvd_id, country, country_iso, nace2, employees, revenue_usd_th,
            founding_year (one row per firm; respondents minus the unmatched ones plus a
            few extra firms; some revenue missing).
        ``sampling_frame``
            firm_id, country, country_iso, nace2, employees of every invited firm.
        ``defects``
            The ground truth of every planted defect: response_id, firm_id, level
            ("response", "cell" or "firm"), kind, detail, expected (what the default
            screening and merge should do with the response or firm).
    """
    pop = population if population is not None else PopulationModel()
    design = _design(n_clean)
    streams = [np.random.default_rng(s) for s in stream(seed, "simulation").spawn(8)]
    rng_frame, rng_select, rng_items, rng_para, rng_person, rng_defect, rng_cells, rng_arch = streams

    frame = _build_frame(design, pop, rng_frame)
    clean_rows, bad_rows = _select_respondents(frame, design, rng_select)

    # one response per responding firm, in a fixed order: clean first, then the defective types
    kinds = ["clean"] * len(clean_rows)
    for kind, count in design["defects"].items():
        if not kind.startswith("duplicate"):
            kinds.extend([kind] * count)
    firm_rows = np.concatenate([clean_rows, bad_rows])
    responses = [_Response(int(f), k) for f, k in zip(firm_rows, kinds)]

    # answers of attentive respondents (everybody starts as one)
    keyed = _draw_keyed_items(frame.iloc[firm_rows], pop, rng_items)
    for r, row in zip(responses, keyed):
        r.answers = _model_answers(row)

    # key-informant questions, page times, dates, people
    responding = list(dict.fromkeys(r.firm for r in responses))
    domains = dict(zip(responding, _firm_domains(len(responding), rng_person)))
    for r in responses:
        _fill_paradata(r, rng_para)
        iso = frame.at[r.firm, "country_iso"]
        r.person = _person(iso, domains[r.firm], rng_person)
        r.comment = _comment(iso, rng_person)

    for r in responses:
        if r.kind != "clean":
            _apply_defect(r, r.kind, rng_defect)

    # cell-level defects in clean responses: scattered missing answers, out-of-range codes
    clean = [r for r in responses if r.kind == "clean"]
    item_cols = [ITEM_COLUMN[i] for i in ITEMS]
    n_cells = len(clean) * len(item_cols)
    picks = rng_cells.choice(n_cells, size=design["missing_cells"] + design["out_of_range"], replace=False)
    for k, cell in enumerate(picks):
        r, col = clean[cell // len(item_cols)], item_cols[cell % len(item_cols)]
        item = dict(_ANSWER_COLUMNS)[col]
        if k < design["missing_cells"]:
            r.answers[col] = math.nan
            r.defects.append(("missing_cell", f"{item} ({col})"))
        else:
            code = _OUT_OF_RANGE_CODES[(k - design["missing_cells"]) % len(_OUT_OF_RANGE_CODES)]
            r.answers[col] = float(code)
            r.defects.append(("out_of_range_code", f"{item} ({col}) = {code}"))

    # duplicates of clean responses: a second respondent of the firm, identical resubmissions
    originals = rng_defect.choice(
        len(clean),
        size=design["defects"]["duplicate_second_respondent"] + design["defects"]["duplicate_resubmission"],
        replace=False,
    )
    n_second = design["defects"]["duplicate_second_respondent"]
    second_firms = [clean[i].firm for i in originals[:n_second]]
    second_keyed = _draw_keyed_items(frame.iloc[second_firms], pop, rng_items)
    duplicates = []
    for j, i in enumerate(originals):
        orig = clean[i]
        if j < n_second:
            d = _Response(orig.firm, "duplicate_second_respondent")
            d.answers = _model_answers(second_keyed[j])
            _fill_paradata(d, rng_para)
            d.recorded = min(
                orig.recorded + timedelta(seconds=int(rng_para.integers(86400, 15 * 86400))),
                _FIELD_START + timedelta(days=_FIELD_DAYS) - timedelta(hours=1),
            )
            iso = frame.at[orig.firm, "country_iso"]
            d.person = _person(iso, domains[orig.firm], rng_person)
            while d.person["RecipientEmail"] == orig.person["RecipientEmail"]:
                d.person = _person(iso, domains[orig.firm], rng_person)
            d.comment = _comment(iso, rng_person)
            d.defects.append(("duplicate_second_respondent", f"second respondent of {frame.at[orig.firm, 'firm_id']}"))
        else:
            d = _Response(orig.firm, "duplicate_resubmission")
            d.answers = dict(orig.answers)
            d.q1 = dict(orig.q1)
            d.sec_per_item = orig.sec_per_item.copy()
            d.other_seconds = orig.other_seconds
            d.person = dict(orig.person)
            d.comment = orig.comment
            d.recorded = orig.recorded + timedelta(seconds=int(rng_para.integers(120, 2400)) + orig.duration())
            d.defects.append(("duplicate_resubmission", "identical answers, new ResponseId"))
        duplicates.append(d)
    responses.extend(duplicates)

    ids = _response_ids(len(responses), rng_person)
    for r, rid in zip(responses, ids):
        r.response_id = rid

    export = _export_frame(responses, frame)
    sampling_frame = frame[["firm_id", "country", "country_iso", "nace2", "employees"]].copy()
    orbis, archival_defects = _archival(frame, clean, responses, design, rng_arch)
    defects = _defect_log(responses, frame, archival_defects)
    return {
        "survey_export": export,
        "orbis_firms": orbis,
        "sampling_frame": sampling_frame,
        "defects": defects,
    }


def _fill_paradata(r: _Response, rng: np.random.Generator) -> None:
    """Key-informant answers, page times and the submission time of an attentive respondent."""
    role = int(rng.choice(4, p=_ROLE_P)) + 1
    tenure = int(np.clip(np.rint(np.exp(rng.normal(math.log(9.0), 0.55))), 1, 40))
    r.q1 = {"Q1_role": str(role), "Q1_tenure": str(tenure), "Q1_know": str(_choice(rng, _KNOW_CLEAN_P))}
    speed = float(np.exp(rng.normal(0.0, 0.25)))
    r.sec_per_item = _page_seconds_per_item(rng, speed)
    # intro page, key-informant page and comments page (no timers in the export)
    r.other_seconds = float(rng.uniform(10, 40) + np.exp(rng.normal(math.log(22), 0.3)) + rng.uniform(5, 90))
    r.recorded = _recorded_time(rng)


def _export_frame(responses: list[_Response], frame: pd.DataFrame) -> pd.DataFrame:
    names, texts, ids = _export_header()
    rows = []
    for r in sorted(responses, key=lambda x: (x.recorded, x.response_id)):
        duration = r.duration()
        row = {
            "StartDate": _fmt_time(r.recorded - timedelta(seconds=duration)),
            "EndDate": _fmt_time(r.recorded),
            "Status": "0",
            "Progress": str(int(round(100 * r.pages_done / _N_PAGES))),
            "Duration (in seconds)": str(duration),
            "Finished": "1" if r.pages_done == _N_PAGES else "0",
            "RecordedDate": _fmt_time(r.recorded),
            "ResponseId": r.response_id,
            "ExternalReference": "",
            "DistributionChannel": "email",
            "UserLanguage": "EN",
            "Q7_comments": r.comment,
            "firm_id": frame.at[r.firm, "firm_id"],
            "wave": str(_wave(r.recorded)),
        }
        row.update(r.person)
        row.update(r.q1)
        for col, value in r.answers.items():
            row[col] = "" if math.isnan(value) else str(int(value))
        for p, (timer, _) in enumerate(_PAGES):
            row[timer] = r.timer(p) if p < r.pages_done - 1 else ""
        rows.append([row.get(c, "") for c in names])
    return pd.DataFrame([texts, ids] + rows, columns=names, dtype=object)


def _archival(
    frame: pd.DataFrame,
    clean: list[_Response],
    responses: list[_Response],
    design: dict,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, list[tuple[str, str, str, str]]]:
    """Orbis-like extract: responding firms minus a few not found, plus a few extra firms."""
    responding = sorted({r.firm for r in responses})
    clean_firms = [r.firm for r in clean]
    unmatched = sorted(rng.choice(clean_firms, size=design["unmatched"], replace=False).tolist())
    others = np.setdiff1d(np.arange(len(frame)), responding)
    extra = sorted(rng.choice(others, size=design["extra"], replace=False).tolist())
    rows = sorted(set(responding) - set(unmatched) | set(extra))
    matched_clean = sorted(set(clean_firms) - set(unmatched))
    no_revenue = sorted(rng.choice(matched_clean, size=design["missing_revenue"], replace=False).tolist())
    orbis = frame.loc[rows, ["firm_id", "bvd_id", "country", "country_iso", "nace2", "employees",
                             "revenue_usd_th", "founding_year"]].copy()  # fmt: skip
    orbis.loc[no_revenue, "revenue_usd_th"] = np.nan
    orbis = orbis.sort_values("bvd_id").reset_index(drop=True)
    log = [(frame.at[f, "firm_id"], "archival_unmatched", "firm not found in the Orbis extract", "no_archival_data")
           for f in unmatched]  # fmt: skip
    log += [(frame.at[f, "firm_id"], "archival_missing_revenue", "revenue_usd_th missing", "left_missing")
            for f in no_revenue]  # fmt: skip
    log += [(frame.at[f, "firm_id"], "archival_extra", "in the Orbis extract but did not respond", "not_merged")
            for f in extra]  # fmt: skip
    return orbis, log


# what the default screening (studies/lean/config.yaml) should do with each designed response type
_EXPECTED = {
    "partial": "exclude_hard",
    "duplicate_second_respondent": "exclude_duplicate",
    "duplicate_resubmission": "exclude_duplicate",
    "speeder_hard": "exclude_hard",
    "speeder_soft": "keep_flagged",
    "straightliner": "exclude_hard",
    "straightliner_attention": "exclude_hard",
    "attention_fail": "exclude_hard",
    "random_responder": "exclude_flags",
    "low_knowledge": "keep_flagged",
    "low_knowledge_speeder": "exclude_flags",
    "excess_missing": "exclude_hard",
    "clean": "keep",
}


def _defect_log(
    responses: list[_Response], frame: pd.DataFrame, archival: list[tuple[str, str, str, str]]
) -> pd.DataFrame:
    rows = []
    by_firm = {}
    for r in sorted(responses, key=lambda x: (x.recorded, x.response_id)):
        firm_id = frame.at[r.firm, "firm_id"]
        if r.kind == "clean":
            by_firm[firm_id] = r.response_id
        for kind, detail in r.defects:
            level = "cell" if kind in CELL_DEFECTS else "response"
            expected = "set_missing" if kind == "out_of_range_code" else (
                "missing" if kind == "missing_cell" else _EXPECTED[r.kind])
            rows.append((r.response_id, firm_id, level, kind, detail, expected))
    for firm_id, kind, detail, expected in archival:
        rows.append((by_firm.get(firm_id, ""), firm_id, "firm", kind, detail, expected))
    return pd.DataFrame(rows, columns=["response_id", "firm_id", "level", "kind", "detail", "expected"], dtype=object)
