"""leanlearn: a reproducible pipeline for survey-based PLS-SEM research."""

from __future__ import annotations

__version__ = "0.1.0"

from leanlearn.pls.bootstrap import BootstrapResult, bootstrap
from leanlearn.errors import ConvergenceError, ConvergenceWarning, DataError, SpecError
from leanlearn.pls.engine import PLSResult, Settings, estimate
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "__version__",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataError",
    "SpecError",
    "ModelSpec",
    "parse_model",
    "estimate",
    "bootstrap",
    "PLSResult",
    "BootstrapResult",
    "Settings",
]
