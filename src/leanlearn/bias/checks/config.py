"""Bias-check settings: the ``bias:`` config section and archival triangulation specs."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

from leanlearn.errors import SpecError


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
    values: dict[str, Any] = {}
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
