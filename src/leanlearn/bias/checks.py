"""Bias diagnostics: non-response bias, key-informant quality and common-method bias.

Pure functions: DataFrames (data, construct scores, a sampling frame) in, tidy DataFrames
out. The CLI verb ``leanlearn bias`` (:mod:`leanlearn.cli.bias`) estimates the PLS model
for the construct scores and writes the tables. docs/methods.md section 2 gives the rationale.

Non-response (docs/methods.md 2.1)
    :func:`early_late_split` and :func:`compare_groups` (Armstrong & Overton 1977: late
    respondents stand in for non-respondents), :func:`frame_groups` and
    :func:`nonresponse_bias` (respondents vs non-respondents on sampling-frame variables,
    and the size of the bias :math:`(N_{nr}/N)(\\bar y_r - \\bar y_{nr})`).
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

import math
from dataclasses import dataclass, fields, replace
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError, SpecError
from leanlearn.random import generator

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

HARMAN_CAVEAT = (
    "Harman's single-factor test is weak evidence and no proof of the absence of common-method "
    "bias: it has little power to detect method variance (Podsakoff et al. 2003; Aguirre-Urreta & "
    "Hu 2019), and the first factor's share depends on the number of items and factors rather than "
    "on the design (Howard et al. 2024). It is reported only for comparability with earlier studies."
)

COMPARISON_COLUMNS = [
    "variable", "kind", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "sd_a", "sd_b",
    "difference", "t_value", "t_dof", "t_p_value", "u_value", "u_p_value", "hedges_g",
    "g_ci_lower", "g_ci_upper", "ci_level", "tost_margin_sd", "tost_margin", "tost_p_value",
    "equivalent", "chi2", "chi2_dof", "chi2_p_value", "chi2_p_value_permutation", "cramers_v",
    "min_expected", "n_levels",
]  # fmt: skip


# =================================================================================================
# Configuration
# =================================================================================================
@dataclass(frozen=True)
class BiasConfig:
    """Settings of the bias checks (the ``bias:`` section of studies/lean/config.yaml).

    Attributes
    ----------
    full_collinearity_vif_max : float
        Kock (2015) threshold, 3.3 (5.0 is tolerated for factor-based PLS).
    harman_first_factor_max : float
        0.50: the conventional Harman cut-off (reported, never relied on).
    harman_factors : "kaiser" or int
        Factors extracted in the principal-axis variant (Kaiser: eigenvalues > 1).
    tost_margin_sd : float
        Equivalence margin of the TOST tests in pooled-SD units (0.3).
    early_late : {"auto", "wave", "quartile"}
        How to split early and late respondents; "auto" uses the wave when the data have
        two or more waves, else the quartiles of submission time.
    early_late_quantile : float
        Share of respondents in each of the early and late groups for the time split (0.25).
    marker_rule : {"smallest", "second_smallest"}
        Which positive marker correlation is r_M (Lindell & Whitney 2001).
    alpha : float
        Significance level of the tests and of the TOST decision.
    ci_level : float
        Confidence level of the effect-size intervals.
    archival_variables : tuple of str
        Continuous firm variables compared between early and late respondents (when present).
    categorical_variables : tuple of str
        Categorical firm variables compared by chi-square (when present).
    frame_variables, frame_categorical : tuple of str
        Continuous and categorical sampling-frame variables for respondents vs non-respondents.
    permutations : int
        Resamples of the permutation p-value of the chi-square tests (sparse tables).
    triangulation : tuple of TriangulationSpec
        Archival triangulation: pairs of a survey construct and an archival measure of the
        same concept (``construct``, ``variable``, optional ``per`` denominator column and
        ``log``); empty: no triangulation is claimed.
    """

    full_collinearity_vif_max: float = 3.3
    harman_first_factor_max: float = 0.50
    harman_factors: str | int = "kaiser"
    tost_margin_sd: float = 0.3
    early_late: str = "auto"
    early_late_quantile: float = 0.25
    marker_rule: str = "smallest"
    alpha: float = 0.05
    ci_level: float = 0.95
    archival_variables: tuple[str, ...] = ("log_employees", "firm_age", "revenue_usd_th")
    categorical_variables: tuple[str, ...] = ("industry", "country")
    frame_variables: tuple[str, ...] = ("log_employees",)
    frame_categorical: tuple[str, ...] = ("industry", "country")
    permutations: int = 2000
    triangulation: tuple = ()


@dataclass(frozen=True)
class TriangulationSpec:
    """One archival triangulation pair (an entry of ``bias.triangulation``).

    The archival measure is ``variable`` (divided by ``per`` when given, e.g. revenue per
    employee) and log-transformed when ``log`` is true (non-positive values become missing).
    """

    construct: str
    variable: str
    per: str | None = None
    log: bool = False

    @property
    def label(self) -> str:
        m = f"{self.variable}/{self.per}" if self.per else self.variable
        return f"log({m})" if self.log else m


def _triangulation(value, path: str) -> tuple:
    if value in (None, []):
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SpecError(f"{path}: expected a list of mappings with construct and variable")
    out = []
    for k, entry in enumerate(value):
        where = f"{path}[{k}]"
        if not isinstance(entry, Mapping):
            raise SpecError(f"{where}: expected a mapping with construct and variable")
        unknown = sorted(set(entry) - {"construct", "variable", "per", "log"})
        if unknown:
            raise SpecError(f"{where}.{unknown[0]}: unknown key; known keys: construct, variable, per, log")
        for key in ("construct", "variable"):
            if not isinstance(entry.get(key), str) or not entry.get(key):
                raise SpecError(f"{where}.{key}: expected a name")
        per = entry.get("per")
        if per is not None and not isinstance(per, str):
            raise SpecError(f"{where}.per: expected a column name")
        log_ = entry.get("log", False)
        if not isinstance(log_, bool):
            raise SpecError(f"{where}.log: expected true or false")
        out.append(TriangulationSpec(entry["construct"], entry["variable"], per, log_))
    return tuple(out)


def bias_config(mapping: Mapping | None = None) -> BiasConfig:
    """Read the ``bias:`` section of the pipeline config, with defaults for missing keys.

    Parameters
    ----------
    mapping : mapping, optional
        The ``bias`` section of the config (a mapping with a ``bias`` key is also
        accepted). None or empty: all defaults.

    Returns
    -------
    BiasConfig

    Raises
    ------
    SpecError
        Unknown key or invalid value, naming ``bias.<key>``.
    """
    section = mapping or {}
    if "bias" in section and isinstance(section.get("bias"), (Mapping, type(None))):
        section = section.get("bias") or {}
    if not isinstance(section, Mapping):
        raise SpecError("bias: expected a mapping of settings")
    known = {f.name for f in fields(BiasConfig)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise SpecError(f"bias.{unknown[0]}: unknown setting; known settings: {', '.join(sorted(known))}")
    cfg = BiasConfig()
    values = {}
    for key, value in section.items():
        default = getattr(cfg, key)
        path = f"bias.{key}"
        if key == "triangulation":
            values[key] = _triangulation(value, path)
        elif isinstance(default, tuple):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise SpecError(f"{path}: expected a list of column names, got {value!r}")
            values[key] = tuple(value)
        elif key == "harman_factors":
            if value != "kaiser" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise SpecError(f"{path}: expected 'kaiser' or a positive integer, got {value!r}")
            values[key] = value
        elif isinstance(default, str):
            allowed = {"early_late": ("auto", "wave", "quartile"), "marker_rule": ("smallest", "second_smallest")}[key]
            if value not in allowed:
                raise SpecError(f"{path}: expected one of {', '.join(allowed)}, got {value!r}")
            values[key] = value
        elif isinstance(default, int) and not isinstance(default, bool) and key == "permutations":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SpecError(f"{path}: expected a non-negative integer, got {value!r}")
            values[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(f"{path}: expected a number, got {value!r}")
            values[key] = float(value)
    cfg = replace(cfg, **values)
    for key in ("alpha", "ci_level"):
        if not 0 < getattr(cfg, key) < 1:
            raise SpecError(f"bias.{key}: expected a value between 0 and 1, got {getattr(cfg, key)}")
    if not 0 < cfg.early_late_quantile <= 0.5:
        raise SpecError(f"bias.early_late_quantile: expected a value in (0, 0.5], got {cfg.early_late_quantile}")
    if cfg.tost_margin_sd <= 0:
        raise SpecError(f"bias.tost_margin_sd: expected a positive number, got {cfg.tost_margin_sd}")
    return cfg


# =================================================================================================
# Early vs late respondents
# =================================================================================================
@dataclass(frozen=True)
class GroupSplit:
    """Early/late respondent groups.

    Attributes
    ----------
    groups : Series
        Indexed like the data: "early", "late", or NA (middle of the time distribution,
        other waves, missing time).
    method : {"wave", "quartile"}
    description : str
        How the groups were formed, for the output table.
    """

    groups: pd.Series
    method: str
    description: str


def early_late_split(
    data: pd.DataFrame,
    *,
    method: str = "auto",
    wave_column: str = "wave",
    time_column: str = "recorded",
    quantile: float = 0.25,
) -> GroupSplit:
    """Split respondents into early and late (Armstrong & Overton 1977).

    Parameters
    ----------
    data : DataFrame
    method : {"auto", "wave", "quartile"}
        "wave": early = the first wave (smallest value of ``wave_column``), late = the last
        wave (largest value); other waves are left out. "quartile": early = submission
        time at or below its ``quantile`` quantile, late = at or above its
        ``1 - quantile`` quantile (linear interpolation, ``Series.quantile``). "auto": wave
        when ``wave_column`` exists with two or more distinct values, else quartile.
    wave_column, time_column : str
        Columns of the wave (1, 2, ...) and of the submission time (parsed with
        ``pandas.to_datetime``; unparseable values are left out).
    quantile : float
        Share in each group for the time split (0.25: first vs last quartile).

    Returns
    -------
    GroupSplit

    Raises
    ------
    DataError
        The requested column is absent, has fewer than two waves, or too few times.
    """
    if method not in ("auto", "wave", "quartile"):
        raise ValueError(f"method must be 'auto', 'wave' or 'quartile', got {method!r}")
    if not 0 < quantile <= 0.5:
        raise ValueError(f"quantile must lie in (0, 0.5], got {quantile}")
    if method == "auto":
        has_waves = wave_column in data.columns and pd.to_numeric(data[wave_column], errors="coerce").nunique() >= 2
        method = "wave" if has_waves else "quartile"
    groups = pd.Series(pd.NA, index=data.index, dtype="string", name="group")
    if method == "wave":
        if wave_column not in data.columns:
            raise DataError(f"early vs late: the data have no wave column '{wave_column}'")
        wave = pd.to_numeric(data[wave_column], errors="coerce")
        values = sorted(wave.dropna().unique())
        if len(values) < 2:
            raise DataError(f"early vs late: column '{wave_column}' has fewer than two waves")
        first, last = values[0], values[-1]
        groups[wave == first] = "early"
        groups[wave == last] = "late"
        desc = f"{wave_column} = {_fmt(first)} (early) vs {wave_column} = {_fmt(last)} (late)"
        return GroupSplit(groups, "wave", desc)
    if time_column not in data.columns:
        raise DataError(f"early vs late: the data have no submission-time column '{time_column}' (and no usable wave)")
    t = pd.to_datetime(data[time_column], errors="coerce")
    if t.notna().sum() < 4:
        raise DataError(f"early vs late: fewer than 4 parseable times in '{time_column}'")
    tn = t.astype("int64").where(t.notna()).astype("float64")
    lo, hi = tn.quantile(quantile), tn.quantile(1 - quantile)
    groups[tn <= lo] = "early"
    groups[tn >= hi] = "late"
    pct = f"{quantile:.0%}"
    desc = f"{time_column}: first {pct} (early) vs last {pct} (late) of submission times"
    return GroupSplit(groups, "quartile", desc)


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def compare_groups(
    data: pd.DataFrame,
    groups: pd.Series,
    *,
    continuous: Sequence[str] = (),
    categorical: Sequence[str] = (),
    labels: tuple[str, str] = ("early", "late"),
    margin_sd: float = 0.3,
    alpha: float = 0.05,
    ci_level: float = 0.95,
    permutations: int = 2000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Compare two groups on continuous and categorical variables.

    Continuous variables get Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``),
    the Mann-Whitney U test (``scipy.stats.mannwhitneyu``, two-sided), Hedges' g with its
    confidence interval (``pingouin.compute_effsize`` / ``pingouin.compute_esci``) and a
    TOST equivalence test (``pingouin.tost`` with Welch's correction; Schuirmann 1987).
    Categorical variables get the chi-square test of independence
    (``scipy.stats.chi2_contingency``; Yates' correction for 2 x 2 tables), a permutation
    p-value of the same statistic (``scipy.stats.permutation_test``: with sparse tables,
    e.g. 12 countries at N = 209, the asymptotic p-value is unreliable) and Cramer's V.

    Parameters
    ----------
    data : DataFrame
    groups : Series
        Group label of each row (aligned on the index); rows with other labels or NA are
        left out.
    continuous, categorical : sequence of str
        Columns to compare.
    labels : (str, str)
        The reference group a and the focal group b; differences are b - a (late minus
        early; respondents minus non-respondents).
    margin_sd : float
        TOST equivalence margin in pooled-SD units: the groups are declared equivalent
        when the difference of means lies within :math:`\\pm` ``margin_sd`` x
        :math:`s_p` (both one-sided p-values < alpha), with
        :math:`s_p = \\sqrt{[(n_a-1)s_a^2 + (n_b-1)s_b^2]/(n_a+n_b-2)}`.
    alpha : float
        Level of the TOST decision (``equivalent``).
    ci_level : float
        Level of the Hedges' g interval.
    permutations : int
        Resamples for the chi-square permutation p-value (0: skip).
    seed : int, optional
        Seed of the permutations.

    Returns
    -------
    DataFrame
        One row per variable with :data:`COMPARISON_COLUMNS`:

        ===============================  ==========================================================
        ``variable``, ``kind``           column and ``continuous`` / ``categorical``
        ``group_a``, ``group_b``         the labels
        ``n_a``, ``n_b``                 non-missing values per group
        ``mean_a`` ... ``sd_b``          means and SDs (n - 1); NaN for categorical variables
        ``difference``                   mean_b - mean_a
        ``t_value, t_dof, t_p_value``    Welch's t-test (b vs a)
        ``u_value, u_p_value``           Mann-Whitney U of group b, two-sided p
        ``hedges_g``                     :math:`J (\\bar x_b - \\bar x_a)/s_p`, :math:`J = 1 - 3/(4(n_a+n_b)-9)`
        ``g_ci_lower, g_ci_upper``       :math:`g \\pm t_{n_a+n_b-2} SE`, :math:`SE = \\sqrt{(n_a+n_b)/(n_a n_b) + g^2/(2(n_a+n_b))}`
                                         (pingouin ``compute_esci``; Hedges & Olkin 1985)
        ``ci_level``                     level of that CI
        ``tost_margin_sd, tost_margin``  margin in SD units and in the variable's units
        ``tost_p_value``                 max of the two one-sided Welch p-values
        ``equivalent``                   tost_p_value < alpha
        ``chi2, chi2_dof, chi2_p_value`` chi-square test of group x category
        ``chi2_p_value_permutation``     permutation p-value of chi2 (NaN when skipped)
        ``cramers_v``                    :math:`\\sqrt{\\chi^2 / (n (\\min(r, c) - 1))}` (uncorrected chi2)
        ``min_expected``                 smallest expected cell count (< 5: the asymptotic p is suspect)
        ``n_levels``                     categories observed
        ===============================  ==========================================================

        Statistics that cannot be computed (fewer than 2 values per group, no variance)
        are NaN.

    Notes
    -----
    The TOST p-value agrees with ``pingouin.tost(x_b, x_a, bound=margin, correction=True)``
    and with two one-sided Welch tests computed by hand (tests/test_bias.py).
    """
    import pingouin as pg

    a_label, b_label = labels
    g = groups.reindex(data.index)
    in_a = (g == a_label).fillna(False).to_numpy(dtype=bool)
    in_b = (g == b_label).fillna(False).to_numpy(dtype=bool)
    rows = []
    for var in continuous:
        if var not in data.columns:
            raise DataError(f"group comparison: the data have no column '{var}'")
        x = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype=float)
        xa, xb = x[in_a & ~np.isnan(x)], x[in_b & ~np.isnan(x)]
        row = _empty_row(var, "continuous", a_label, b_label)
        row.update(n_a=xa.size, n_b=xb.size, ci_level=ci_level, tost_margin_sd=margin_sd)
        if xa.size:
            row["mean_a"] = float(xa.mean())
        if xb.size:
            row["mean_b"] = float(xb.mean())
        if xa.size > 1:
            row["sd_a"] = float(xa.std(ddof=1))
        if xb.size > 1:
            row["sd_b"] = float(xb.std(ddof=1))
        if xa.size and xb.size:
            row["difference"] = row["mean_b"] - row["mean_a"]
            u = stats.mannwhitneyu(xb, xa, alternative="two-sided")
            row.update(u_value=float(u.statistic), u_p_value=float(u.pvalue))
        if xa.size > 1 and xb.size > 1:
            sp = math.sqrt(((xa.size - 1) * xa.var(ddof=1) + (xb.size - 1) * xb.var(ddof=1)) / (xa.size + xb.size - 2))
            if sp > 0:
                t = stats.ttest_ind(xb, xa, equal_var=False)
                row.update(t_value=float(t.statistic), t_dof=float(t.df), t_p_value=float(t.pvalue))
                gval = float(pg.compute_effsize(xb, xa, paired=False, eftype="hedges"))
                ci = pg.compute_esci(
                    stat=gval, nx=xb.size, ny=xa.size, eftype="hedges", confidence=ci_level, decimals=15
                )
                margin = float(margin_sd * sp)
                tost = pg.tost(xb, xa, bound=margin, paired=False, correction=True)
                p_tost = float(tost["pval"].iloc[0]) if "pval" in tost else float(tost["p-val"].iloc[0])
                row.update(
                    hedges_g=gval,
                    g_ci_lower=float(ci[0]),
                    g_ci_upper=float(ci[1]),
                    tost_margin=margin,
                    tost_p_value=p_tost,
                    equivalent=bool(p_tost < alpha),
                )
        rows.append(row)
    rng = generator(seed, "permutation", "bias")
    for var in categorical:
        if var not in data.columns:
            raise DataError(f"group comparison: the data have no column '{var}'")
        values = data[var]
        keep = values.notna().to_numpy() & (in_a | in_b)
        cats = values[keep].astype(str).to_numpy()
        grp = np.where(in_b[keep], 1, 0)
        row = _empty_row(var, "categorical", a_label, b_label)
        row.update(n_a=int((grp == 0).sum()), n_b=int((grp == 1).sum()))
        levels, codes = np.unique(cats, return_inverse=True)
        row["n_levels"] = int(levels.size)
        if levels.size >= 2 and row["n_a"] and row["n_b"]:
            table = np.zeros((2, levels.size))
            np.add.at(table, (grp, codes), 1)
            res = stats.chi2_contingency(table)
            raw = stats.chi2_contingency(table, correction=False)
            n = table.sum()
            row.update(
                chi2=float(res.statistic),
                chi2_dof=int(res.dof),
                chi2_p_value=float(res.pvalue),
                cramers_v=float(math.sqrt(raw.statistic / (n * (min(table.shape) - 1)))),
                min_expected=float(res.expected_freq.min()),
            )
            if permutations:
                row["chi2_p_value_permutation"] = _chi2_permutation_p(codes, grp, levels.size, permutations, rng)
        rows.append(row)
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    out["equivalent"] = out["equivalent"].astype("boolean")
    return out


def _empty_row(var: str, kind: str, a: str, b: str) -> dict:
    row = {c: np.nan for c in COMPARISON_COLUMNS}
    row.update(variable=var, kind=kind, group_a=a, group_b=b, equivalent=pd.NA)
    return row


def _chi2_permutation_p(codes: np.ndarray, grp: np.ndarray, k: int, n_resamples: int, rng) -> float:
    """Permutation p-value of the (uncorrected) chi-square statistic, group labels permuted."""

    def statistic(x, y):
        table = np.vstack([np.bincount(x, minlength=k), np.bincount(y, minlength=k)]).astype(float)
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)))

    res = stats.permutation_test(
        (codes[grp == 0], codes[grp == 1]),
        statistic,
        permutation_type="independent",
        n_resamples=n_resamples,
        alternative="greater",
        vectorized=False,
        rng=rng,
    )
    return float(res.pvalue)


# =================================================================================================
# Respondents vs non-respondents (sampling frame)
# =================================================================================================
def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the derived frame variables used by the comparisons.

    ``log_employees`` = ln(employees) (missing when employees <= 0) when the frame has
    ``employees`` but no ``log_employees``; ``industry`` = two-digit NACE division (text,
    :func:`leanlearn.data.merge.nace_division`) when it has ``nace2`` but no ``industry``.
    The input is not modified.
    """
    out = frame.copy()
    if "employees" in out.columns and "log_employees" not in out.columns:
        emp = pd.to_numeric(out["employees"], errors="coerce")
        out["log_employees"] = np.log(emp.where(emp > 0))
    if "nace2" in out.columns and "industry" not in out.columns:
        from leanlearn.data.merge import nace_division

        out["industry"] = out["nace2"].map(nace_division)
    return out


def frame_groups(frame: pd.DataFrame, respondent_ids: Iterable, *, id_column: str = "firm_id") -> pd.Series:
    """Label every frame unit "respondent" or "nonrespondent".

    Parameters
    ----------
    frame : DataFrame
        All invited units, with ``id_column``.
    respondent_ids : iterable
        Ids of the responding units (e.g. the analysis data's ``firm_id``). Ids are
        compared as stripped text.
    id_column : str

    Returns
    -------
    Series
        Indexed like ``frame``.

    Raises
    ------
    DataError
        No id column, duplicated frame ids, or respondents that are not in the frame.
    """
    if id_column not in frame.columns:
        raise DataError(f"sampling frame: no id column '{id_column}'")
    ids = frame[id_column].astype(str).str.strip()
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise DataError(f"sampling frame: id {dup} appears more than once in '{id_column}'")
    resp = {str(r).strip() for r in respondent_ids if pd.notna(r)}
    unknown = sorted(resp - set(ids))
    if unknown:
        raise DataError(
            f"sampling frame: {len(unknown)} respondent id(s) are not in the frame (first: {unknown[0]}); "
            "the frame must list every invited unit"
        )
    return pd.Series(np.where(ids.isin(resp), "respondent", "nonrespondent"), index=frame.index, name="group")


def nonresponse_bias(
    frame: pd.DataFrame,
    groups: pd.Series,
    *,
    continuous: Sequence[str] = ("log_employees",),
    categorical: Sequence[str] = ("industry", "country"),
) -> pd.DataFrame:
    """Size of the non-response bias of the respondent mean on frame variables.

    .. math::

        \\text{bias}(\\bar y_r) = \\bar y_r - \\bar Y = \\frac{N_{nr}}{N}(\\bar y_r - \\bar y_{nr})

    with :math:`\\bar Y` the mean over the whole frame, :math:`\\bar y_r`,
    :math:`\\bar y_{nr}` the means of respondents and non-respondents and
    :math:`N_{nr}/N` the non-response share (Levy & Lemeshow). For a categorical
    variable the formula is applied to the share of each category.

    Parameters
    ----------
    frame : DataFrame
        Every invited unit.
    groups : Series
        "respondent" / "nonrespondent" per frame row (:func:`frame_groups`).
    continuous, categorical : sequence of str

    Returns
    -------
    DataFrame
        ``variable, level, n_frame, n_respondents, n_nonrespondents, nonresponse_share,
        mean_respondents, mean_nonrespondents, mean_frame, bias, relative_bias, bias_sd``:
        ``level`` is empty for continuous variables and the category for categorical ones
        (means are then shares); ``relative_bias`` = bias / mean_frame; ``bias_sd`` = bias /
        SD of the frame (n - 1). Units with a missing value are left out of that
        variable's row, so N counts the units with a value.
    """
    g = groups.reindex(frame.index)
    rows = []

    def add(variable: str, level: str, y: pd.Series) -> None:
        ok = y.notna() & g.isin(["respondent", "nonrespondent"])
        y, gg = y[ok].astype(float), g[ok]
        yr, ynr = y[gg == "respondent"], y[gg == "nonrespondent"]
        n, n_nr = len(y), len(ynr)
        rec = {
            "variable": variable,
            "level": level,
            "n_frame": n,
            "n_respondents": len(yr),
            "n_nonrespondents": n_nr,
            "nonresponse_share": n_nr / n if n else np.nan,
            "mean_respondents": float(yr.mean()) if len(yr) else np.nan,
            "mean_nonrespondents": float(ynr.mean()) if n_nr else np.nan,
            "mean_frame": float(y.mean()) if n else np.nan,
        }
        if len(yr) and n_nr:
            rec["bias"] = rec["nonresponse_share"] * (rec["mean_respondents"] - rec["mean_nonrespondents"])
        elif len(yr):
            rec["bias"] = 0.0
        else:
            rec["bias"] = np.nan
        mf, sdf = rec["mean_frame"], float(y.std(ddof=1)) if n > 1 else np.nan
        rec["relative_bias"] = rec["bias"] / mf if mf not in (0.0,) and np.isfinite(mf) else np.nan
        rec["bias_sd"] = rec["bias"] / sdf if np.isfinite(sdf) and sdf > 0 else np.nan
        rows.append(rec)

    for var in continuous:
        if var not in frame.columns:
            raise DataError(f"sampling frame: no column '{var}'")
        add(var, "", pd.to_numeric(frame[var], errors="coerce"))
    for var in categorical:
        if var not in frame.columns:
            raise DataError(f"sampling frame: no column '{var}'")
        values = frame[var]
        text = values.astype(str).where(values.notna())
        for level in sorted(text.dropna().unique()):
            add(var, level, (text == level).astype(float).where(text.notna()))
    cols = [
        "variable", "level", "n_frame", "n_respondents", "n_nonrespondents", "nonresponse_share",
        "mean_respondents", "mean_nonrespondents", "mean_frame", "bias", "relative_bias", "bias_sd",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


# =================================================================================================
# Key informants
# =================================================================================================
def key_informant_summary(
    data: pd.DataFrame,
    *,
    role: str | None = "ki_role",
    tenure: str | None = "ki_tenure_years",
    knowledge: str | None = "ki_knowledge",
    role_labels: Mapping | None = None,
    knowledge_midpoint: float = 4.0,
) -> pd.DataFrame:
    """Profile of the key informants: role distribution, tenure and self-rated knowledge.

    Parameters
    ----------
    data : DataFrame
    role, tenure, knowledge : str or None
        Columns (None or absent: the part is skipped).
    role_labels : mapping, optional
        Code -> label of the role question (the codebook's labels).
    knowledge_midpoint : float
        Scale midpoint of the knowledge item (4 on a 1-7 scale). Informants below it
        are flagged by Kumar, Stern & Anderson (1993).

    Returns
    -------
    DataFrame
        Long form ``variable, statistic, level, value``:

        * role: ``count`` and ``share`` per ``level`` (label, or the code when unlabelled;
          "missing" for no answer; shares are of all rows);
        * tenure: ``n, mean, sd, median, min, max``;
        * knowledge: ``n, mean, sd, median, min, max, midpoint, n_below_midpoint,
          share_below_midpoint`` (share of non-missing answers strictly below the
          midpoint).
    """
    rows: list[dict] = []
    n = len(data)
    if role and role in data.columns:
        labels = {_code_key(k): str(v) for k, v in (role_labels or {}).items()}
        r = data[role]
        keys = r.map(lambda v: _code_key(v) if pd.notna(v) else None)
        counts = keys.value_counts(dropna=True)
        order = [k for k in labels if k in counts.index] + sorted(k for k in counts.index if k not in labels)
        for k in order:
            label = labels.get(k, k)
            rows.append({"variable": "role", "statistic": "count", "level": label, "value": float(counts[k])})
            rows.append({"variable": "role", "statistic": "share", "level": label, "value": counts[k] / n})
        n_miss = int(keys.isna().sum())
        if n_miss:
            rows.append({"variable": "role", "statistic": "count", "level": "missing", "value": float(n_miss)})
            rows.append({"variable": "role", "statistic": "share", "level": "missing", "value": n_miss / n})
    for name, col in (("tenure_years", tenure), ("knowledge", knowledge)):
        if not col or col not in data.columns:
            continue
        v = pd.to_numeric(data[col], errors="coerce").dropna()
        summary = {
            "n": float(v.size),
            "mean": float(v.mean()) if v.size else np.nan,
            "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
            "median": float(v.median()) if v.size else np.nan,
            "min": float(v.min()) if v.size else np.nan,
            "max": float(v.max()) if v.size else np.nan,
        }
        if name == "knowledge":
            below = int((v < knowledge_midpoint).sum())
            summary.update(
                midpoint=float(knowledge_midpoint),
                n_below_midpoint=float(below),
                share_below_midpoint=below / v.size if v.size else np.nan,
            )
        for stat, value in summary.items():
            rows.append({"variable": name, "statistic": stat, "level": "", "value": value})
    return pd.DataFrame(rows, columns=["variable", "statistic", "level", "value"])


def _code_key(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else str(f)


# =================================================================================================
# Common-method bias: full collinearity, marker, Harman
# =================================================================================================
def equal_weight_score(data: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Standardised equally weighted score: the mean of the z-scored items, z-scored again.

    Used for the marker, which is not part of the path model and therefore has no PLS
    inner proxy (a Mode A block on its own has no defined weights). Missing item values
    are skipped in the row mean (a row with no value gives NaN). SDs use n - 1.
    """
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(f"marker score: the data have no column(s) {', '.join(missing)}")
    x = data[list(items)].apply(pd.to_numeric, errors="coerce").astype(float)
    z = (x - x.mean()) / x.std(ddof=1)
    s = z.mean(axis=1, skipna=True)
    return (s - s.mean()) / s.std(ddof=1)


def full_collinearity_vif(scores: pd.DataFrame, *, threshold: float = 3.3) -> pd.DataFrame:
    """Full-collinearity VIFs of construct scores (Kock 2015; Kock & Lynn 2012).

    Each construct score is regressed (OLS with intercept) on **all** other construct
    scores, exogenous and endogenous alike:

    .. math:: VIF_k = \\frac{1}{1 - R^2_k}

    VIFs above the threshold (3.3) suggest pathological collinearity, which Kock reads as
    a sign of common-method bias. The test also fires on genuinely high substantive
    correlations: it is a screen, not proof.

    Parameters
    ----------
    scores : DataFrame
        One column per construct (e.g. ``PLSResult.scores`` without interaction terms);
        rows with a missing score are dropped.
    threshold : float

    Returns
    -------
    DataFrame
        ``construct, r_squared, vif, threshold, exceeds``.

    Notes
    -----
    Agrees with ``statsmodels.stats.outliers_influence.variance_inflation_factor`` on a
    design with a constant (tests/test_bias.py).
    """
    s = scores.apply(pd.to_numeric, errors="coerce").dropna()
    if s.shape[1] < 2:
        raise DataError("full-collinearity VIF needs at least two construct scores")
    if len(s) <= s.shape[1]:
        raise DataError("full-collinearity VIF: fewer cases than constructs")
    x = s.to_numpy(dtype=float)
    rows = []
    for k, c in enumerate(s.columns):
        y = x[:, k]
        others = np.column_stack([np.ones(len(y)), np.delete(x, k, axis=1)])
        beta, *_ = np.linalg.lstsq(others, y, rcond=None)
        resid = y - others @ beta
        tss = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else np.nan
        vif = 1.0 / (1.0 - r2) if r2 < 1 else np.inf
        rows.append({"construct": c, "r_squared": r2, "vif": vif, "threshold": threshold, "exceeds": bool(vif > threshold)})
    return pd.DataFrame(rows, columns=["construct", "r_squared", "vif", "threshold", "exceeds"])


def lindell_whitney(r_u: float | np.ndarray, r_m: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marker-adjusted correlation and its t-test (Lindell & Whitney 2001, eqs. 4-5).

    .. math::

        r_A = \\frac{r_U - r_M}{1 - r_M}, \\qquad
        t = \\frac{r_A}{\\sqrt{(1 - r_A^2)/(N - 3)}}

    with N - 3 degrees of freedom (one more than for an ordinary correlation, for the
    estimated r_M); two-sided p-value.

    Returns
    -------
    (r_a, t, p) : arrays
    """
    r_u = np.asarray(r_u, dtype=float)
    r_a = (r_u - r_m) / (1.0 - r_m)
    dof = n - 3
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r_a / np.sqrt((1.0 - r_a**2) / dof)
    p = 2 * stats.t.sf(np.abs(t), dof)
    return r_a, t, p


def marker_correction(
    scores: pd.DataFrame,
    *,
    marker: str,
    substantive: Sequence[str] | None = None,
    rule: str = "smallest",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Lindell & Whitney (2001) marker-variable correction for every pair of constructs.

    r_M is the smallest positive correlation of the marker with the substantive
    constructs (``rule="smallest"``) or the second smallest positive one
    (``rule="second_smallest"``, a more conservative choice; Lindell & Whitney 2001,
    p. 116). When no (or only one, for the second rule) positive marker correlation
    exists, r_M = 0 and the ``note`` says so: the marker then shows no method variance
    to remove. Each pair's correlation is corrected with :func:`lindell_whitney`.

    The correlational marker technique is weaker than the CFA marker technique (Williams,
    Hartman & Cavazotte 2010; Richardson, Simmering & Sturman 2009), and it requires a
    marker designed into the questionnaire.

    Parameters
    ----------
    scores : DataFrame
        Construct scores including the marker column; rows with a missing value dropped.
    marker : str
        Column of the marker score.
    substantive : sequence of str, optional
        Substantive constructs (default: every other column).
    rule : {"smallest", "second_smallest"}
    alpha : float
        Level for the significance flags.

    Returns
    -------
    DataFrame
        ``construct_a, construct_b, n, marker, marker_rule, r_m, r_m_source, r_u,
        p_value_u, r_a, t_value, dof, p_value, significant_u, significant_a, note``:
        ``r_m_source`` is the construct whose marker correlation became r_M;
        ``p_value_u`` tests r_U on n - 2 df; ``t_value``/``p_value`` test r_A on n - 3 df.
    """
    if rule not in ("smallest", "second_smallest"):
        raise ValueError(f"rule must be 'smallest' or 'second_smallest', got {rule!r}")
    if marker not in scores.columns:
        raise DataError(f"marker correction: no marker column '{marker}'")
    subs = [c for c in (substantive or scores.columns) if c != marker]
    s = scores[[*subs, marker]].apply(pd.to_numeric, errors="coerce").dropna()
    n = len(s)
    if n < 5:
        raise DataError("marker correction: fewer than 5 complete cases")
    r = s.corr()
    marker_r = r.loc[subs, marker]
    positive = marker_r[marker_r > 0].sort_values()
    k = 0 if rule == "smallest" else 1
    if len(positive) > k:
        r_m, source, note = float(positive.iloc[k]), str(positive.index[k]), ""
    else:
        r_m, source = 0.0, ""
        note = "no positive marker correlation" if rule == "smallest" else "fewer than two positive marker correlations"
        note += "; r_M set to 0 (no correction)"
    rows = []
    for i, a in enumerate(subs):
        for b in subs[i + 1:]:
            r_u = float(r.loc[a, b])
            t_u = r_u * math.sqrt((n - 2) / (1 - r_u**2)) if abs(r_u) < 1 else np.inf
            p_u = float(2 * stats.t.sf(abs(t_u), n - 2))
            r_a, t_a, p_a = lindell_whitney(r_u, r_m, n)
            rows.append(
                {
                    "construct_a": a,
                    "construct_b": b,
                    "n": n,
                    "marker": marker,
                    "marker_rule": rule,
                    "r_m": r_m,
                    "r_m_source": source,
                    "r_u": r_u,
                    "p_value_u": p_u,
                    "r_a": float(r_a),
                    "t_value": float(t_a),
                    "dof": n - 3,
                    "p_value": float(p_a),
                    "significant_u": bool(p_u < alpha),
                    "significant_a": bool(p_a < alpha),
                    "note": note,
                }
            )
    cols = [
        "construct_a", "construct_b", "n", "marker", "marker_rule", "r_m", "r_m_source", "r_u",
        "p_value_u", "r_a", "t_value", "dof", "p_value", "significant_u", "significant_a", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


MARKER_CORRELATION_COLUMNS = ["construct", "marker", "n", "r", "p_value", "positive", "rank_positive", "chosen", "marker_rule"]


def marker_correlations(
    scores: pd.DataFrame,
    *,
    marker: str,
    substantive: Sequence[str] | None = None,
    rule: str = "smallest",
) -> pd.DataFrame:
    """Every correlation of the marker with the substantive constructs, and which one is r_M.

    Lindell & Whitney (2001) take r_M as the smallest positive marker correlation (or, more
    conservatively, the second smallest); a reader can only judge that choice when all of
    them are shown, so this table lists each one with its test.

    Parameters
    ----------
    scores : DataFrame
        Construct scores with the marker column; rows with a missing value dropped.
    marker : str
    substantive : sequence of str, optional
        Default: every other column.
    rule : {"smallest", "second_smallest"}

    Returns
    -------
    DataFrame
        :data:`MARKER_CORRELATION_COLUMNS`: ``r`` and its two-sided p (t on n - 2 df),
        ``positive``, ``rank_positive`` (1 = smallest positive, NaN for r <= 0),
        ``chosen`` (True for the correlation that became r_M; none when no positive one
        qualifies, and r_M = 0 then).
    """
    if rule not in ("smallest", "second_smallest"):
        raise ValueError(f"rule must be 'smallest' or 'second_smallest', got {rule!r}")
    if marker not in scores.columns:
        raise DataError(f"marker correlations: no marker column '{marker}'")
    subs = [c for c in (substantive or scores.columns) if c != marker]
    s = scores[[*subs, marker]].apply(pd.to_numeric, errors="coerce").dropna()
    n = len(s)
    if n < 5:
        raise DataError("marker correlations: fewer than 5 complete cases")
    r = s.corr()[marker].loc[subs]
    positive = r[r > 0].sort_values()
    rank = {c: k + 1 for k, c in enumerate(positive.index)}
    k = 1 if rule == "smallest" else 2
    rows = []
    for c in subs:
        rc = float(r[c])
        t = rc * math.sqrt((n - 2) / (1 - rc**2)) if abs(rc) < 1 else np.inf
        rows.append(
            {
                "construct": c,
                "marker": marker,
                "n": n,
                "r": rc,
                "p_value": float(2 * stats.t.sf(abs(t), n - 2)),
                "positive": bool(rc > 0),
                "rank_positive": float(rank[c]) if c in rank else np.nan,
                "chosen": bool(rank.get(c) == k),
                "marker_rule": rule,
            }
        )
    return pd.DataFrame(rows, columns=MARKER_CORRELATION_COLUMNS)


def marker_corrected_paths(
    scores: pd.DataFrame,
    spec,
    *,
    r_m: float,
    uncorrected: Sequence[str] = (),
) -> pd.DataFrame:
    """Structural paths re-estimated on the marker-corrected correlation matrix.

    The Lindell-Whitney correction :math:`r_A = (r_U - r_M)/(1 - r_M)` is applied to every
    correlation between two survey-measured constructs; correlations involving a variable in
    ``uncorrected`` (interaction terms, whose product scores do not carry the method
    component additively, and variables from another source such as archival controls) are
    kept. Each endogenous construct's paths are then the standardised OLS coefficients on
    that matrix, :math:`\\beta = R_{xx}^{-1} r_{xy}`, rescaled by :math:`s_y/s_x` to the
    scores' own scale (the two-stage product term is not standardised), exactly as the PLS
    inner model regresses the scores; with r_M = 0 they equal the PLS path coefficients
    (tests/test_bias.py checks that).

    Parameters
    ----------
    scores : DataFrame
        Construct scores of every construct and interaction term of ``spec``
        (``PLSResult.scores``); rows with a missing value dropped.
    spec : ModelSpec
    r_m : float
        The marker correlation removed (from :func:`marker_correction`).
    uncorrected : sequence of str
        Columns whose correlations are left as they are.

    Returns
    -------
    DataFrame
        ``source, target, estimate, estimate_corrected, difference, r_m, n``; ``difference``
        = corrected - uncorrected. NaN when the corrected predictor matrix is not positive
        definite (the correction can make it so when r_M is large).
    """
    names = [c for c in spec.construct_names if c in scores.columns]
    s = scores[names].apply(pd.to_numeric, errors="coerce").dropna()
    if len(s) < 5:
        raise DataError("marker-corrected paths: fewer than 5 complete cases")
    r_u = s.corr()
    sd = s.std(ddof=1)  # scores are standardised, but a two-stage product term is not
    keep = set(uncorrected)
    r_a = r_u.copy()
    for a in names:
        for b in names:
            if a != b and a not in keep and b not in keep:
                r_a.loc[a, b] = (r_u.loc[a, b] - r_m) / (1.0 - r_m)
    rows = []
    for target in spec.endogenous:
        preds = [p for p in spec.predecessors(target) if p in names]
        if not preds or target not in names:
            continue
        est = {}
        for key, r in (("estimate", r_u), ("estimate_corrected", r_a)):
            rxx = r.loc[preds, preds].to_numpy(dtype=float)
            rxy = r.loc[preds, target].to_numpy(dtype=float)
            if np.linalg.eigvalsh(rxx).min() <= 1e-10:
                est[key] = np.full(len(preds), np.nan)
            else:
                est[key] = np.linalg.solve(rxx, rxy) * sd[target] / sd[preds].to_numpy(dtype=float)
        for k, p in enumerate(preds):
            rows.append(
                {
                    "source": p,
                    "target": target,
                    "estimate": float(est["estimate"][k]),
                    "estimate_corrected": float(est["estimate_corrected"][k]),
                    "difference": float(est["estimate_corrected"][k] - est["estimate"][k]),
                    "r_m": float(r_m),
                    "n": len(s),
                }
            )
    return pd.DataFrame(rows, columns=["source", "target", "estimate", "estimate_corrected", "difference", "r_m", "n"])


def principal_axis_factoring(
    correlation: np.ndarray, n_factors: int, *, max_iter: int = 1000, tol: float = 1e-8
) -> tuple[np.ndarray, bool]:
    """Unrotated principal-axis factoring of a correlation matrix.

    Iterated principal axes (Harman 1976): start from squared multiple correlations
    :math:`h_i = 1 - 1/(R^{-1})_{ii}`; repeat: put :math:`h` on the diagonal of R, take
    the ``n_factors`` largest eigenpairs :math:`(\\lambda_k, v_k)`, loadings
    :math:`L = V \\mathrm{diag}(\\sqrt{\\max(\\lambda_k, 0)})`, new :math:`h_i = \\sum_k L_{ik}^2`
    (capped at 1, a Heywood case), until :math:`\\max|\\Delta h| <` ``tol``.

    Returns
    -------
    loadings : ndarray (p, n_factors)
        Column signs chosen so that each column sums to a non-negative value.
    converged : bool
    """
    r = np.asarray(correlation, dtype=float)
    p = r.shape[0]
    try:
        h = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h = np.max(np.abs(r - np.eye(p)), axis=1)
    h = np.clip(h, 0.0, 1.0)
    converged = False
    for _ in range(max_iter):
        rh = r.copy()
        np.fill_diagonal(rh, h)
        vals, vecs = np.linalg.eigh(rh)
        order = np.argsort(vals)[::-1][:n_factors]
        loadings = vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None))
        h_new = np.clip((loadings**2).sum(axis=1), 0.0, 1.0)
        if np.max(np.abs(h_new - h)) < tol:
            h = h_new
            converged = True
            break
        h = h_new
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return loadings * signs, converged


def harman_single_factor(
    items: pd.DataFrame,
    *,
    threshold: float = 0.50,
    n_factors: str | int = "kaiser",
) -> pd.DataFrame:
    """Harman's single-factor test: the first unrotated factor's share of item variance.

    Two variants are reported, one row each:

    * ``principal_components``: :math:`\\lambda_1 / p`, the largest eigenvalue of the
      item correlation matrix over the number of items (the variant most papers report,
      from SPSS's default extraction).
    * ``principal_axis``: the first unrotated common factor's sum of squared loadings over
      p, from :func:`principal_axis_factoring` with ``n_factors`` factors (Kaiser
      criterion by default, as in an unrotated EFA).

    ``exceeds`` flags a share above ``threshold`` (0.50). **Weak evidence** either way
    (see :data:`HARMAN_CAVEAT`, repeated in every row): a share below 50 % does not show
    the absence of common-method bias.

    Parameters
    ----------
    items : DataFrame
        The items (all substantive items of the model); rows with a missing value are
        dropped (listwise), constant items raise.
    threshold : float
    n_factors : "kaiser" or int
        Factors of the principal-axis variant ("kaiser": eigenvalues of R above 1, at
        least 1).

    Returns
    -------
    DataFrame
        ``method, n, n_items, n_factors, first_eigenvalue, first_factor_share, threshold,
        exceeds, converged, caveat``.
    """
    x = items.apply(pd.to_numeric, errors="coerce").dropna()
    if x.shape[1] < 2:
        raise DataError("Harman's test needs at least two items")
    if len(x) <= x.shape[1]:
        raise DataError(f"Harman's test: {len(x)} complete cases for {x.shape[1]} items")
    flat = [c for c in x.columns if x[c].std() == 0]
    if flat:
        raise DataError(f"Harman's test: item(s) {', '.join(flat)} have no variance")
    r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
    p = r.shape[0]
    eig = np.sort(np.linalg.eigvalsh(r))[::-1]
    k = max(1, int((eig > 1).sum())) if n_factors == "kaiser" else int(n_factors)
    if not 1 <= k < p:
        raise ValueError(f"n_factors must lie between 1 and {p - 1}, got {k}")
    loadings, converged = principal_axis_factoring(r, k)
    paf_share = float((loadings[:, 0] ** 2).sum() / p)
    rows = [
        {
            "method": "principal_components",
            "n": len(x),
            "n_items": p,
            "n_factors": 1,
            "first_eigenvalue": float(eig[0]),
            "first_factor_share": float(eig[0] / p),
            "threshold": threshold,
            "exceeds": bool(eig[0] / p > threshold),
            "converged": True,
            "caveat": HARMAN_CAVEAT,
        },
        {
            "method": "principal_axis",
            "n": len(x),
            "n_items": p,
            "n_factors": k,
            "first_eigenvalue": float((loadings[:, 0] ** 2).sum()),
            "first_factor_share": paf_share,
            "threshold": threshold,
            "exceeds": bool(paf_share > threshold),
            "converged": converged,
            "caveat": HARMAN_CAVEAT,
        },
    ]
    return pd.DataFrame(rows)


# =================================================================================================
# Archival triangulation
# =================================================================================================
TRIANGULATION_COLUMNS = [
    "construct", "measure", "variable", "per", "log", "n", "r", "ci_lower", "ci_upper", "ci_level", "p_value",
    "spearman_rho", "spearman_p_value",
]  # fmt: skip


def archival_measure(data: pd.DataFrame, spec: "TriangulationSpec") -> pd.Series:
    """The archival measure of a triangulation pair: variable [/ per], [log]; non-positive values under log are NaN."""
    for col in (spec.variable, spec.per):
        if col and col not in data.columns:
            raise DataError(f"archival triangulation: the data have no column '{col}' (bias.triangulation)")
    y = pd.to_numeric(data[spec.variable], errors="coerce").astype(float)
    if spec.per:
        d = pd.to_numeric(data[spec.per], errors="coerce").astype(float)
        y = y / d.where(d != 0)
    if spec.log:
        y = np.log(y.where(y > 0))
    return y


def archival_triangulation(
    scores: pd.DataFrame,
    data: pd.DataFrame,
    pairs: Sequence["TriangulationSpec"],
    *,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Correlation of a perceived (survey) construct with an archival measure of the same concept.

    Perceptual performance measures are validated by their convergence with objective ones
    (Wall et al. 2004; Ketokivi & Schroeder 2004): a clearly positive correlation of the
    construct score with the archival measure supports the survey measure, and the archival
    measure comes from another source, so the correlation is free of common-method variance.

    Pearson r with a Fisher-z interval :math:`\\tanh(\\mathrm{atanh}\\,r \\pm z_{1-\\alpha/2}/\\sqrt{n-3})`
    and its two-sided t test (``scipy.stats.pearsonr``), and Spearman's rho. Cases with a
    missing score or archival value are left out (n says how many remain).

    Parameters
    ----------
    scores : DataFrame
        Construct scores (index aligned with ``data``).
    data : DataFrame
        The analysis data with the archival columns.
    pairs : sequence of TriangulationSpec
    ci_level : float

    Returns
    -------
    DataFrame
        :data:`TRIANGULATION_COLUMNS`, one row per pair.
    """
    rows = []
    z = stats.norm.ppf(0.5 + ci_level / 2)
    for spec in pairs:
        if spec.construct not in scores.columns:
            raise DataError(f"archival triangulation: the model has no construct '{spec.construct}' (bias.triangulation)")
        y = archival_measure(data.loc[scores.index], spec)
        x = pd.to_numeric(scores[spec.construct], errors="coerce")
        ok = x.notna() & y.notna() & np.isfinite(y)
        n = int(ok.sum())
        row = {c: np.nan for c in TRIANGULATION_COLUMNS}
        row.update(construct=spec.construct, measure=spec.label, variable=spec.variable, per=spec.per or "", log=spec.log, n=n, ci_level=ci_level)
        if n >= 4 and x[ok].std() > 0 and y[ok].std() > 0:
            r, p = stats.pearsonr(x[ok], y[ok])
            rho, p_rho = stats.spearmanr(x[ok], y[ok])
            half = z / math.sqrt(n - 3)
            row.update(
                r=float(r), p_value=float(p), ci_lower=float(np.tanh(np.arctanh(r) - half)), ci_upper=float(np.tanh(np.arctanh(r) + half)),
                spearman_rho=float(rho), spearman_p_value=float(p_rho),
            )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=TRIANGULATION_COLUMNS)


# =================================================================================================
# Procedural remedies
# =================================================================================================
def procedural_remedies(
    codebook,
    spec,
    *,
    columns: Iterable[str],
    ids: Sequence | None = None,
    id_column: str = "firm_id",
    archival_performance: Sequence[str] = ("revenue_usd_th",),
) -> pd.DataFrame:
    """Which procedural remedies against common-method bias the data allow.

    Computed from the codebook, the model and the data's columns (Podsakoff et al. 2003,
    2012): nothing is typed in by hand.

    ==========================  ====================================================================
    remedy                      available when
    ==========================  ====================================================================
    ``marker_variable``         the codebook has a construct with ``role: marker`` and its items
                                are in the data
    ``archival_outcome``        an endogenous construct of the model is measured by variables that
                                are not survey items (e.g. Orbis data)
    ``separate_sources``        at least one structural path links a survey-measured construct and
                                a construct measured from another source
    ``archival_triangulation``  an archival measure configured for triangulation
                                (``archival_performance``: the ``bias.triangulation`` measures) is
                                in the data, and :func:`archival_triangulation` reports it
    ``multiple_informants``     some firm has more than one response in the data (``ids``)
    ``scale_formats_differ``    an endogenous construct uses a response scale (anchors) that
                                differs from the scales of all its survey-measured predictors
    ``reverse_keyed_items``     the codebook has reverse-keyed items
    ==========================  ====================================================================

    Parameters
    ----------
    codebook : Codebook
        From :func:`leanlearn.spec.codebook.load_codebook`.
    spec : ModelSpec
    columns : iterable of str
        Columns of the analysis data.
    id_column : str
        Firm identifier column (for multiple informants).
    ids : sequence, optional
        The firm ids of the data's rows (for multiple informants).
    archival_performance : sequence of str
        Labels of the archival measures that are triangulated (``TriangulationSpec.label``)
        or their columns; a remedy is available only when they are in ``columns``.

    Returns
    -------
    DataFrame
        ``remedy, available, evidence, reference``.
    """
    cols = set(columns)
    survey_items = set(codebook.item_ids)
    scale_of_item = {it.id: it.scale for it in codebook.items}
    rows = []
    ref = "Podsakoff, MacKenzie, Lee & Podsakoff 2003; Podsakoff, MacKenzie & Podsakoff 2012"

    markers = codebook.marker_constructs
    present = [m for m in markers if all(i in cols for i in codebook.items_by_construct[m])]
    if present:
        ev = f"marker construct(s) {', '.join(present)} in the codebook and the data"
    elif markers:
        ev = f"marker construct(s) {', '.join(markers)} in the codebook, but their items are not in the data"
    else:
        ev = "no construct with role: marker in the codebook"
    rows.append({"remedy": "marker_variable", "available": bool(present), "evidence": ev, "reference": "Lindell & Whitney 2001"})

    def source(construct: str) -> str:
        c = spec.construct(construct)
        kinds = {"survey" if i in survey_items else "other" for i in c.indicators}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    measured = [c.name for c in spec.constructs if c.kind == "measured"]
    endo = [t for t in spec.endogenous if t in measured]
    archival_endo = [t for t in endo if source(t) in ("other", "mixed")]
    ev = (
        f"endogenous construct(s) measured from non-survey data: {', '.join(archival_endo)}"
        if archival_endo
        else f"every endogenous construct ({', '.join(endo)}) is measured by survey items"
    )
    rows.append({"remedy": "archival_outcome", "available": bool(archival_endo), "evidence": ev, "reference": ref})

    mixed_paths = []
    for p in spec.paths:
        if p.source in measured and p.target in measured and source(p.source) != source(p.target):
            mixed_paths.append(f"{p.source} -> {p.target}")
    ev = (
        f"paths linking different sources: {', '.join(mixed_paths)}"
        if mixed_paths
        else "predictor and criterion constructs of every path come from the same survey respondent"
    )
    rows.append({"remedy": "separate_sources", "available": bool(mixed_paths), "evidence": ev, "reference": ref})

    archival = [c for c in archival_performance if c in cols and c not in survey_items]
    if archival:
        ev = f"perceived performance correlated with archival {', '.join(archival)} (archival_triangulation.csv)"
    elif archival_performance:
        ev = f"archival measure(s) {', '.join(archival_performance)} not in the data; no triangulation done"
    else:
        ev = "no archival measure configured (bias.triangulation); no triangulation done"
    rows.append({"remedy": "archival_triangulation", "available": bool(archival), "evidence": ev, "reference": "Wall et al. 2004"})

    if ids is not None:
        s = pd.Series(list(ids)).dropna().astype(str)
        multi = int(s.duplicated(keep=False).groupby(s).any().sum())
        ev = f"{multi} case(s) with more than one response" if multi else "one response per case (single informant)"
        avail = multi > 0
    else:
        ev, avail = f"no case ids ('{id_column}') in the data", False
    rows.append({"remedy": "multiple_informants", "available": bool(avail), "evidence": ev, "reference": "Flynn, Pagell & Fugate 2018"})

    def scales(construct: str) -> set[str]:
        return {scale_of_item[i] for i in spec.construct(construct).indicators if i in scale_of_item}

    def label(construct: str) -> str:
        return f"{construct} ({'/'.join(sorted(scales(construct)))})"

    differ = []
    for t in endo:
        preds = [s for s in spec.predecessors(t) if s in measured and scales(s)]
        st = scales(t)
        if st and preds and all(not (st & scales(s)) for s in preds):
            differ.append(f"{label(t)} vs {', '.join(label(s) for s in preds)}")
    if differ:
        ev = "criterion scale anchors differ from every predictor's: " + "; ".join(differ)
    else:
        shared = [
            f"{label(t)} shares anchors with {', '.join(label(s) for s in spec.predecessors(t) if s in measured and scales(s))}"
            for t in endo
            if scales(t)
        ]
        ev = "no endogenous construct uses anchors different from all of its predictors" + (
            ": " + "; ".join(shared) if shared else ""
        )
    rows.append({"remedy": "scale_formats_differ", "available": bool(differ), "evidence": ev, "reference": ref})

    rev = [i for i in codebook.reverse_items if i in spec.items]
    ev = f"reverse-keyed items in the model: {', '.join(rev)}" if rev else "no reverse-keyed items in the model"
    rows.append({"remedy": "reverse_keyed_items", "available": bool(rev), "evidence": ev, "reference": ref})
    out = pd.DataFrame(rows, columns=["remedy", "available", "evidence", "reference"])
    return out
