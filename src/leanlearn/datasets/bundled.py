"""Example datasets shipped with leanlearn, as seminr ships ``corp_rep_data`` and ``mobi``.

Three survey datasets from the R package seminr (GPL-3, the same licence as leanlearn), copied
unchanged into ``leanlearn/datasets/data/`` (their sources, columns and missing-value codes are in
``data/README.md`` there):

==============  =====  =======  ======================================================
name            rows   columns  contents
==============  =====  =======  ======================================================
``corp_rep``    344    50       corporate reputation of mobile phone providers (Hair et
                                al.'s PLS-SEM primer); ``-99`` marks 70 missing cells
``mobi``        250    24       ECSI customer satisfaction, mobile phone market
                                (Tenenhaus et al. 2005); no missing cells
``influencer``  222    28       influencer marketing (Hair et al. 2021, ch. 8); no
                                missing cells
==============  =====  =======  ======================================================

:func:`load` returns a dataset exactly as stored (``-99`` stays ``-99``: pass
``missing_value=-99`` to :func:`leanlearn.estimate`, as seminr's examples declare it);
:func:`model` returns the standard example model of a dataset in leanlearn's syntax.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["DATASETS", "load", "list_datasets", "model"]

#: name -> (file in leanlearn/datasets/data, missing-value code or None, description)
DATASETS: dict[str, tuple[str, int | None, str]] = {
    "corp_rep": (
        "corp_rep_data.csv",
        -99,
        "Corporate reputation of mobile phone providers (Hair, Hult, Ringle & Sarstedt 2017; "
        "seminr's corp_rep_data)",
    ),
    "mobi": (
        "mobi.csv",
        None,
        "ECSI customer satisfaction survey, mobile phone market (Tenenhaus et al. 2005; seminr's mobi)",
    ),
    "influencer": (
        "influencer_data.csv",
        None,
        "Influencer marketing survey (Hair et al. 2021, PLS-SEM using R, ch. 8; seminr's influencer_data)",
    ),
}

_MODELS: dict[str, str] = {
    # Hair et al. (2021), PLS-SEM using R, ch. 3-4: the simple corporate-reputation model
    "corp_rep": (
        "COMP =~ comp_1 + comp_2 + comp_3\n"
        "LIKE =~ like_1 + like_2 + like_3\n"
        "CUSA =~ cusa\n"
        "CUSL =~ cusl_1 + cusl_2 + cusl_3\n"
        "CUSA ~ COMP + LIKE\n"
        "CUSL ~ COMP + LIKE + CUSA\n"
    ),
    # the ECSI model of Tenenhaus et al. (2005) as in seminr's ECSI demo
    "mobi": (
        "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5\n"
        "Expectation =~ CUEX1 + CUEX2 + CUEX3\n"
        "Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7\n"
        "Value =~ PERV1 + PERV2\n"
        "Satisfaction =~ CUSA1 + CUSA2 + CUSA3\n"
        "Complaints =~ CUSCO\n"
        "Loyalty =~ CUSL1 + CUSL2 + CUSL3\n"
        "Expectation ~ Image\n"
        "Quality ~ Expectation\n"
        "Value ~ Expectation + Quality\n"
        "Satisfaction ~ Image + Expectation + Quality + Value\n"
        "Complaints ~ Satisfaction\n"
        "Loyalty ~ Image + Satisfaction + Complaints\n"
    ),
}


def _check(name: str) -> tuple[str, int | None, str]:
    if name not in DATASETS:
        raise KeyError(f"no bundled dataset {name!r}; available: {', '.join(DATASETS)}")
    return DATASETS[name]


def load(name: str) -> pd.DataFrame:
    """Load a bundled example dataset.

    Parameters
    ----------
    name : {"corp_rep", "mobi", "influencer"}

    Returns
    -------
    DataFrame
        One row per respondent in the original order, one column per variable, values as
        stored by seminr 2.3.1 (integers; ``wtp`` in ``influencer`` is a float). Missing cells of
        ``corp_rep`` keep the code ``-99`` (see :func:`list_datasets`).

    Raises
    ------
    KeyError
        For an unknown name (the message lists the available ones).

    Examples
    --------
    >>> import leanlearn as ll
    >>> data = ll.datasets.load("corp_rep")
    >>> data.shape
    (344, 50)
    >>> int((data == -99).sum().sum())
    70
    >>> ll.datasets.load("mobi")[["IMAG1", "CUSL3"]].head(2)
       IMAG1  CUSL3
    0      7      6
    1     10     10
    """
    filename, _, _ = _check(name)
    with resources.files("leanlearn.datasets").joinpath("data", filename).open("rb") as fh:
        return pd.read_csv(fh)


def list_datasets() -> pd.DataFrame:
    """The bundled datasets: columns name, rows, columns, missing_value, description.

    Examples
    --------
    >>> import leanlearn as ll
    >>> ll.datasets.list_datasets()[["name", "rows", "columns", "missing_value"]]
             name  rows  columns  missing_value
    0    corp_rep   344       50          -99.0
    1        mobi   250       24            NaN
    2  influencer   222       28            NaN
    """
    rows = []
    for name, (_, code, description) in DATASETS.items():
        df = load(name)
        rows.append((name, df.shape[0], df.shape[1], code, description))
    return pd.DataFrame(rows, columns=["name", "rows", "columns", "missing_value", "description"])


def model(name: str) -> str:
    """The standard example model of a bundled dataset, in leanlearn's (lavaan-style) syntax.

    ``corp_rep``: the simple corporate-reputation model of Hair et al. (2021, ch. 3-4; COMP,
    LIKE, CUSA single item, CUSL). ``mobi``: the ECSI model (Tenenhaus et al. 2005). These are
    the two models whose seminr 2.3.1 estimates leanlearn reproduces (tests/test_pls.py).

    Examples
    --------
    >>> import leanlearn as ll
    >>> print(ll.datasets.model("corp_rep"))
    COMP =~ comp_1 + comp_2 + comp_3
    LIKE =~ like_1 + like_2 + like_3
    CUSA =~ cusa
    CUSL =~ cusl_1 + cusl_2 + cusl_3
    CUSA ~ COMP + LIKE
    CUSL ~ COMP + LIKE + CUSA
    <BLANKLINE>
    """
    _check(name)
    if name not in _MODELS:
        raise KeyError(f"no example model for {name!r}; models exist for: {', '.join(_MODELS)}")
    return _MODELS[name]
