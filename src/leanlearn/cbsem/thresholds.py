"""Thresholds of the CB-SEM / CFA fit indices (:func:`fit_thresholds`; defaults Hu & Bentler 1999).

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from leanlearn.errors import SpecError

FIT_SOURCE = "Hu & Bentler 1999, SEM 6:1-55"


# =================================================================================================
# Thresholds
# =================================================================================================
@dataclass(frozen=True)
class FitThreshold:
    """A cut-off for one fit index.

    Attributes
    ----------
    index : str
        Column of the fit table (``cfi``, ``tli``, ``rmsea``, ``srmr``).
    direction : {"min", "max"}
        "min": the index should be at least ``threshold``; "max": at most.
    threshold : float
        Good-fit cut-off.
    acceptable : float or None
        A weaker cut-off that still counts as acceptable (RMSEA <= .08), or None.
    source : str
        Where the value comes from (a config key and/or a reference).
    """

    index: str
    direction: str
    threshold: float
    acceptable: float | None = None
    source: str = FIT_SOURCE


DEFAULT_FIT_THRESHOLDS: tuple[FitThreshold, ...] = (
    FitThreshold("cfi", "min", 0.95),
    FitThreshold("tli", "min", 0.95),
    FitThreshold("rmsea", "max", 0.06, 0.08),
    FitThreshold("srmr", "max", 0.08),
)
"""Hu & Bentler (1999) cut-offs; RMSEA <= .08 is 'acceptable' (Browne & Cudeck 1993)."""

_CONFIG_KEYS = {
    "cfi": ("cfi_min", None),
    "tli": ("tli_min", None),
    "rmsea": ("rmsea_max", "rmsea_acceptable_max"),
    "srmr": ("srmr_max", None),
}


def fit_thresholds(config: Mapping | None = None) -> tuple[FitThreshold, ...]:
    """Fit-index thresholds from the ``robustness.cfa`` section of the pipeline config.

    Parameters
    ----------
    config : mapping, optional
        The whole config (``{"robustness": {"cfa": {...}}}``) or just the ``cfa`` mapping.
        Keys ``cfi_min``, ``tli_min``, ``rmsea_max``, ``rmsea_acceptable_max``,
        ``srmr_max``; missing keys keep the defaults of :data:`DEFAULT_FIT_THRESHOLDS`.

    Returns
    -------
    tuple of FitThreshold
        ``source`` names the config key when the value came from the config, else the
        reference.

    Raises
    ------
    SpecError
        A value that is not a number, naming the key.
    """
    section: Mapping = {}
    if config:
        if "robustness" in config:
            section = (config.get("robustness") or {}).get("cfa") or {}
        elif "cfa" in config:
            section = config.get("cfa") or {}
        else:
            section = config
    if not isinstance(section, Mapping):
        raise SpecError("robustness.cfa: expected a mapping of fit-index thresholds")
    out = []
    for default in DEFAULT_FIT_THRESHOLDS:
        key, acc_key = _CONFIG_KEYS[default.index]
        threshold, acceptable, source = default.threshold, default.acceptable, default.source
        if key in section:
            threshold = _number(section[key], f"robustness.cfa.{key}")
            source = f"config robustness.cfa.{key} (default {default.threshold} from {FIT_SOURCE})"
        if acc_key and acc_key in section:
            acceptable = _number(section[acc_key], f"robustness.cfa.{acc_key}")
        out.append(FitThreshold(default.index, default.direction, threshold, acceptable, source))
    return tuple(out)


def _number(value, key: str) -> float:
    if isinstance(value, bool):
        raise SpecError(f"{key}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{key}: expected a number, got {value!r}") from None
