"""Optional dependencies: which extra provides which package, and a clear error when one is missing.

The engine (:func:`leanlearn.estimate`, :func:`leanlearn.bootstrap`, summaries, the bundled
datasets, model export) needs only NumPy, SciPy, pandas and threadpoolctl. Every other package
is imported lazily, inside the function that needs it, through :func:`require`, which names the
``pip install 'leanlearn[EXTRA]'`` that provides it. The extras are declared in
``pyproject.toml``:

=============  ==================================================================
extra          packages
=============  ==================================================================
``stages``     statsmodels, pingouin, semopy, scikit-learn, pyyaml, jsonschema, tqdm,
               jinja2, markdown (the analysis stages, the command line, the manuscript)
``io``         pyreadstat, openpyxl (SPSS/Stata and Excel survey exports)
``figures``    matplotlib
``pipeline``   the three above plus snakemake
``notebooks``  the pipeline plus nbformat, nbclient, ipykernel
=============  ==================================================================

This module imports only the standard library.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRA_OF", "DISTRIBUTION", "MissingDependencyError", "require", "require_installed", "missing_message"]

#: import name -> the extra of leanlearn that installs it
EXTRA_OF: dict[str, str] = {
    "statsmodels": "stages",
    "pingouin": "stages",
    "semopy": "stages",
    "sklearn": "stages",
    "yaml": "stages",
    "jsonschema": "stages",
    "tqdm": "stages",
    "jinja2": "stages",
    "markdown": "stages",
    "pyreadstat": "io",
    "openpyxl": "io",
    "matplotlib": "figures",
    "snakemake": "pipeline",
    "nbformat": "notebooks",
    "nbclient": "notebooks",
    "ipykernel": "notebooks",
}

#: import name -> distribution name on PyPI, where they differ
DISTRIBUTION: dict[str, str] = {"sklearn": "scikit-learn", "yaml": "pyyaml"}


class MissingDependencyError(ModuleNotFoundError):
    """An optional package that a function needs is not installed (the message names the extra)."""


def missing_message(module: str, purpose: str | None = None) -> str | None:
    """The message for a missing optional package, or None when ``module`` is not optional."""
    top = module.split(".")[0]
    if top not in EXTRA_OF:
        return None
    dist = DISTRIBUTION.get(top, top)
    what = f"{purpose} needs" if purpose else "this step needs"
    return (
        f"{what} the optional package {dist}, which is not installed; "
        f"install it with: pip install 'leanlearn[{EXTRA_OF[top]}]'"
    )


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional module, or raise :class:`MissingDependencyError` naming its extra.

    Parameters
    ----------
    module : str
        Import name, e.g. ``"statsmodels.api"``; its top-level package must be in :data:`EXTRA_OF`.
    purpose : str
        What needs it, for the message ("the PROCESS cross-check").

    Examples
    --------
    >>> from leanlearn.extras import missing_message
    >>> print(missing_message("matplotlib", "drawing figures"))
    drawing figures needs the optional package matplotlib, which is not installed; install it with: pip install 'leanlearn[figures]'
    """
    top = module.split(".")[0]
    if top not in EXTRA_OF:
        raise ValueError(f"{module} is not an optional dependency of leanlearn")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the package is there but one of its own dependencies is missing
        raise MissingDependencyError(missing_message(module, purpose), name=top) from exc


def require_installed(module: str, purpose: str) -> None:
    """Check that an optional package is installed, without importing it.

    For a package that a command depends on but may not need to import in a given run (the
    bootstrap's progress bar, drawn only on a terminal): the run fails the same way whether
    or not it would have used the package, and a run that does not use it does not pay for
    its import. Raises :class:`MissingDependencyError` as :func:`require` does.

    Examples
    --------
    >>> require_installed("tqdm", "the bootstrap's progress bar")  # installed: returns None
    """
    import importlib.util

    top = module.split(".")[0]
    if top not in EXTRA_OF:
        raise ValueError(f"{module} is not an optional dependency of leanlearn")
    try:
        found = importlib.util.find_spec(top) is not None
    except (ModuleNotFoundError, ValueError):  # a blocked import, or a module entry of None
        found = False
    if not found:
        raise MissingDependencyError(missing_message(module, purpose), name=top)
