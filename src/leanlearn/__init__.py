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

from typing import TYPE_CHECKING

# The public names are imported on first use (PEP 562), so that ``import leanlearn`` (and
# with it every ``leanlearn <verb>``) does not pay for pandas, the engine or the bootstrap
# unless they are used: ``leanlearn --help`` starts without pandas.
_PUBLIC = {
    "datasets": ("leanlearn.datasets", None),
    "ConvergenceError": ("leanlearn.errors", "ConvergenceError"),
    "ConvergenceWarning": ("leanlearn.errors", "ConvergenceWarning"),
    "DataError": ("leanlearn.errors", "DataError"),
    "SpecError": ("leanlearn.errors", "SpecError"),
    "BootstrapResult": ("leanlearn.pls.bootstrap", "BootstrapResult"),
    "bootstrap": ("leanlearn.pls.bootstrap", "bootstrap"),
    "PLSResult": ("leanlearn.pls.engine", "PLSResult"),
    "Settings": ("leanlearn.pls.engine", "Settings"),
    "estimate": ("leanlearn.pls.engine", "estimate"),
    "estimate_hoc": ("leanlearn.pls.hoc", "estimate_hoc"),
    "to_lavaan": ("leanlearn.spec.export", "to_lavaan"),
    "to_seminr": ("leanlearn.spec.export", "to_seminr"),
    "ModelSpec": ("leanlearn.spec.model", "ModelSpec"),
    "parse_model": ("leanlearn.spec.model", "parse_model"),
}

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from leanlearn import datasets
    from leanlearn.errors import ConvergenceError, ConvergenceWarning, DataError, SpecError
    from leanlearn.pls.bootstrap import BootstrapResult, bootstrap
    from leanlearn.pls.engine import PLSResult, Settings, estimate
    from leanlearn.pls.hoc import estimate_hoc
    from leanlearn.spec.export import to_lavaan, to_seminr
    from leanlearn.spec.model import ModelSpec, parse_model


def __getattr__(name: str):
    try:
        module_name, attr = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'leanlearn' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


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
