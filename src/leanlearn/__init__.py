"""leanlearn: a reproducible pipeline for survey-based PLS-SEM research.

The engine in a few lines (needs only NumPy, SciPy and pandas):

>>> import leanlearn as ll
>>> data = ll.datasets.load("corp_rep")
>>> res = ll.estimate(data, ll.datasets.model("corp_rep"), missing_value=-99)
>>> res
PLSResult(n=344, constructs=4, paths=5, scheme='path', converged=True, iterations=4)
>>> round(res.path("COMP", "CUSA"), 4)
0.1621
"""

from __future__ import annotations

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

from leanlearn import datasets
from leanlearn.errors import ConvergenceError, ConvergenceWarning, DataError, SpecError
from leanlearn.pls.bootstrap import BootstrapResult, bootstrap
from leanlearn.pls.engine import PLSResult, Settings, estimate
from leanlearn.pls.hoc import estimate_hoc
from leanlearn.spec.export import to_lavaan, to_seminr
from leanlearn.spec.model import ModelSpec, parse_model

__all__ = [
    "__version__",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataError",
    "SpecError",
    "ModelSpec",
    "parse_model",
    "to_lavaan",
    "to_seminr",
    "estimate",
    "estimate_hoc",
    "bootstrap",
    "PLSResult",
    "BootstrapResult",
    "Settings",
    "datasets",
]
