"""Quantities computed from the model matrices: the implied covariances and delta-method standard errors.

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from leanlearn.cbsem.fitting import _Fitted


# =================================================================================================
# Quantities computed from the model matrices
# =================================================================================================
def _implied(m: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(V, Sigma): implied covariance of the inner variables and of the observed variables.

    .. math:: V = (I - B)^{-1} \\Psi (I - B)^{-T}, \\quad \\Sigma = \\Lambda V \\Lambda' + \\Theta
    """
    c = np.linalg.inv(np.eye(m["B"].shape[0]) - m["B"])
    v = c @ m["P"] @ c.T
    return v, m["L"] @ v @ m["L"].T + m["T"]


def _jacobian(fun, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function at x (step 1e-6 * max(1, |x|))."""
    f0 = np.asarray(fun(x), dtype=float)
    jac = np.empty((f0.size, x.size))
    for k in range(x.size):
        h = 1e-6 * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        jac[:, k] = (np.asarray(fun(up)) - np.asarray(fun(down))) / (2 * h)
    return jac


def _delta_se(fun, fitted: _Fitted) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and delta-method standard errors of fun(x): sqrt(diag(J Cov(x) J'))."""
    est = np.asarray(fun(fitted.x), dtype=float)
    jac = _jacobian(fun, fitted.x)
    var = np.einsum("ij,jk,ik->i", jac, fitted.cov_x, jac)
    fixed = np.all(np.abs(jac) < 1e-10, axis=1)
    se = np.sqrt(np.where(var > 0, var, np.nan))
    se[fixed] = np.nan
    return est, se


def _z_p(est: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    return z, 2 * stats.norm.sf(np.abs(z))
