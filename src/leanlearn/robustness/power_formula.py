"""Power, part (a): the inverse square root method (Kock & Hadaya 2018).

The constant of the method, the minimum sample size of a path, the minimum detectable effect
at a sample size and the minimum-N table. Re-exported by :mod:`leanlearn.robustness.power`.
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd
from scipy import stats


# ---- (a) inverse square root method -------------------------------------------------------------
def inverse_sqrt_constant(*, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> float:
    r"""The constant of the inverse square root method: :math:`z_{1-\alpha/t} + z_{\pi}`.

    Kock & Hadaya (2018, *Information Systems Journal* 28:227–261) derive
    :math:`N_{min} > (z_{1-\alpha} + z_{\pi})^2 / \beta_{min}^2` from the standard error of a
    standardised path, :math:`SE \approx 1/\sqrt{N}`. For α = .05 one-tailed and power
    π = .80 the constant is 1.645 + 0.842 = 2.486 (their value); two-tailed it is
    1.960 + 0.842 = 2.802.

    Parameters
    ----------
    alpha : float
        Significance level, in (0, 1).
    power : float
        Target power, in (0, 1).
    tails : {1, 2}
        One- or two-tailed test.

    Returns
    -------
    float

    Notes
    -----
    Computed from :func:`scipy.stats.norm.ppf`, not hard-coded; tests/test_power.py checks
    that it rounds to 2.486 and 2.802 (docs/methods.md §6.5 and §8).
    """
    _check_prob("alpha", alpha)
    _check_prob("power", power)
    if tails not in (1, 2):
        raise ValueError(f"tails must be 1 or 2, not {tails!r}")
    return float(stats.norm.ppf(1 - alpha / tails) + stats.norm.ppf(power))


def minimum_sample_size(beta_min: float, *, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> int:
    r"""Smallest N for a path of size |β_min| (inverse square root method).

    .. math:: N_{min} = \left\lceil \left(\frac{z_{1-\alpha/t} + z_{\pi}}{|\beta_{min}|}\right)^2 \right\rceil

    Kock & Hadaya (2018) state the rule as :math:`N_{min} > (2.486/|\beta_{min}|)^2`; the
    ceiling gives the smallest whole N at or above the bound. Checked by hand: |β| = 0.10
    needs 619 (one-tailed) and 785 (two-tailed); |β| = 0.197 needs 160 (Kock & Hadaya's
    suggested default).

    Raises
    ------
    ValueError
        For β_min = 0 (no finite N detects a zero effect) or a non-finite value.
    """
    b = abs(float(beta_min))
    if not math.isfinite(b) or b == 0:
        raise ValueError(f"beta_min must be a non-zero number, got {beta_min!r}")
    return int(math.ceil((inverse_sqrt_constant(alpha=alpha, power=power, tails=tails) / b) ** 2))


def minimum_detectable_effect(n: float, *, alpha: float = 0.05, power: float = 0.80, tails: int = 1) -> float:
    r"""Smallest |β| detectable with N cases: :math:`(z_{1-\alpha/t} + z_{\pi})/\sqrt{N}`.

    The inverse of :func:`minimum_sample_size` (Kock & Hadaya 2018). At N = 209 it is 0.172
    (one-tailed) or 0.194 (two-tailed); at N = 17 (one country of the study) 0.60.
    """
    if not n > 0:
        raise ValueError(f"n must be positive, got {n!r}")
    return inverse_sqrt_constant(alpha=alpha, power=power, tails=tails) / math.sqrt(float(n))


def minimum_n_table(
    betas: Sequence[float], *, alpha: float = 0.05, power: float = 0.80, n: float | None = None
) -> pd.DataFrame:
    """Inverse square root results for several |β_min|, one- and two-tailed.

    Columns: tails, alpha, power, constant, beta_min, minimum_n, and with ``n`` given
    n, minimum_detectable_beta (the smallest |β| detectable at that N).
    """
    rows = []
    for tails in (1, 2):
        const = inverse_sqrt_constant(alpha=alpha, power=power, tails=tails)
        for b in betas:
            row = {
                "tails": tails,
                "alpha": alpha,
                "power": power,
                "constant": const,
                "beta_min": float(b),
                "minimum_n": minimum_sample_size(b, alpha=alpha, power=power, tails=tails),
            }
            if n is not None:
                row["n"] = n
                row["minimum_detectable_beta"] = minimum_detectable_effect(n, alpha=alpha, power=power, tails=tails)
            rows.append(row)
    return pd.DataFrame(rows)


def _check_prob(name: str, value: float) -> None:
    if not 0 < float(value) < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
