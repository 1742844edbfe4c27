"""Preparing the data and fitting with semopy: the only semopy-aware code of :mod:`leanlearn.cbsem`.

Part of :mod:`leanlearn.cbsem.sem`, which re-exports every public name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.extras import require


# =================================================================================================
# Data
# =================================================================================================
def _numeric_frame(data: pd.DataFrame, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(f"{what}: the data have no column(s) {', '.join(missing)}")
    out = {}
    for c in columns:
        try:
            out[c] = pd.to_numeric(data[c], errors="raise").astype("float64")
        except (TypeError, ValueError):
            raise DataError(f"{what}: column {c} is not numeric") from None
    return pd.DataFrame(out, index=data.index)


def _complete(frame: pd.DataFrame, *, missing: str, what: str) -> tuple[pd.DataFrame, list[str]]:
    notes = []
    if missing == "listwise":
        keep = frame.notna().all(axis=1)
        dropped = int((~keep).sum())
        if dropped:
            notes.append(f"{dropped} case(s) with missing values dropped listwise")
        frame = frame.loc[keep]
    elif missing == "mean":
        n_cells = int(frame.isna().sum().sum())
        if n_cells:
            notes.append(f"{n_cells} missing cell(s) replaced by the item mean")
        frame = frame.fillna(frame.mean())
    else:
        raise ValueError(f"missing must be 'listwise' or 'mean', got {missing!r}")
    sd = frame.std(ddof=0)
    flat = [c for c in frame.columns if not np.isfinite(sd[c]) or sd[c] == 0]
    if flat:
        raise DataError(f"{what}: column(s) {', '.join(flat)} have no variance in the cases used")
    if len(frame) <= frame.shape[1]:
        raise DataError(
            f"{what}: {len(frame)} complete cases for {frame.shape[1]} observed variables; ML needs more "
            "cases than variables"
        )
    return frame, notes


# =================================================================================================
# Fitting with semopy (the only semopy-aware code)
# =================================================================================================
class _DropSemopyRecords(logging.Filter):
    """Drop the records that semopy's modules log through the root logger (and only those)."""

    def __init__(self) -> None:
        super().__init__()
        import importlib.util

        spec = importlib.util.find_spec("semopy")
        locations = list(spec.submodule_search_locations or []) if spec else []
        self._prefixes = tuple(os.path.join(os.path.realpath(p), "") for p in locations)

    def filter(self, record: logging.LogRecord) -> bool:
        return not os.path.realpath(record.pathname).startswith(self._prefixes)


@contextlib.contextmanager
def _quiet_semopy() -> Iterator[None]:
    """Silence semopy's log messages and deprecation noise while it runs, changing no level.

    semopy logs through the root logger with the module-level ``logging.warning`` (e.g.
    'Fisher Information Matrix is not PD', 'No graphviz package found'); we detect those
    situations ourselves and report them in ``SEMResult.messages``. Instead of raising the
    root logger's level (which would hide every other program's messages meanwhile), a
    filter on the root logger drops the records whose source file lies in semopy's package;
    records of other code pass. If the root logger has no handler, a
    :class:`logging.NullHandler` stands in so that ``logging.warning`` does not call
    ``logging.basicConfig`` and leave a handler behind. Both are removed on exit, so the
    logging configuration is exactly as before (tests/test_api.py checks it).
    """
    root = logging.getLogger()
    drop = _DropSemopyRecords()
    placeholder = logging.NullHandler() if not root.handlers else None
    root.addFilter(drop)
    if placeholder is not None:
        root.addHandler(placeholder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    finally:
        root.removeFilter(drop)
        if placeholder is not None:
            root.removeHandler(placeholder)


@dataclass
class _Fitted:
    """Numbers extracted from a fitted semopy model, in internal names."""

    x: np.ndarray
    cov_x: np.ndarray
    matrices: Callable[[np.ndarray], dict[str, np.ndarray]]  # x -> dict of B, L, P, T
    observed: list[str]
    inner: list[str]
    latent: list[str]
    converged: bool
    message: str


#: optimisers tried in turn: SLSQP first (lavaan's estimates to ~1e-6); L-BFGS-B only when
#: SLSQP stops at an inadmissible point or does not converge (see :func:`_fit_layout`)
SOLVERS = ("SLSQP", "L-BFGS-B")


def _semopy_fit(text: str, frame: pd.DataFrame, solver: str = "SLSQP") -> _Fitted:
    with _quiet_semopy():
        semopy = require("semopy", "CFA and CB-SEM")  # logs 'No graphviz package found' on first import

        model = semopy.Model(text)
        # SLSQP's default ftol (1e-6) stops early enough to move loadings in the third
        # decimal; 1e-12 reproduces lavaan's estimates to about 1e-6
        options = {"maxiter": 10000, "ftol": 1e-12} if solver == "SLSQP" else {"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-10}
        result = model.fit(frame, obj="MLW", solver=solver, options=options)
        x_hat = np.array(model.param_vals, dtype=float)
        try:
            _, cov_x = model.calc_fim(inverse=True)
        except (np.linalg.LinAlgError, ValueError):
            cov_x = np.full((x_hat.size, x_hat.size), np.nan)
    observed = list(model.vars["observed"])
    inner = list(model.vars["inner"])
    latent = [v for v in inner if v in model.vars["latent"]]
    names_lambda = model.names_lambda
    if list(names_lambda[0]) != observed or list(names_lambda[1]) != inner:
        raise RuntimeError("unexpected semopy matrix layout")  # pragma: no cover

    def matrices(x: np.ndarray) -> dict[str, np.ndarray]:
        model.update_matrices(np.asarray(x, dtype=float))
        out = {
            "B": np.array(model.mx_beta, dtype=float),
            "L": np.array(model.mx_lambda, dtype=float),
            "P": np.array(model.mx_psi, dtype=float),
            "T": np.array(model.mx_theta, dtype=float),
        }
        model.update_matrices(x_hat)
        return out

    return _Fitted(
        x=x_hat,
        cov_x=np.asarray(cov_x, dtype=float),
        matrices=matrices,
        observed=observed,
        inner=inner,
        latent=latent,
        converged=bool(getattr(result, "success", False)),
        message=str(getattr(result, "message", "")),
    )
