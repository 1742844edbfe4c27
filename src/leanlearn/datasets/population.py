"""The population model of the synthetic lean x digitalisation study and :func:`draw_items`.

The instrument (constructs and items), the measurement defaults, :class:`PopulationModel`
and the draws of latent variables and items. Part of :mod:`leanlearn.datasets.simulate`,
which re-exports every public name and documents the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from leanlearn.random import stream

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
