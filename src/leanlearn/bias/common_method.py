"""Latent method factor checks of common-method variance (CFA marker technique and ULMC).

The correlational checks (full-collinearity VIFs, the Lindell-Whitney marker correction,
Harman's test) do not model method variance at the item level, and a method factor that
loads equally on every item is largely absorbed by the construct correlations. A
confirmatory factor analysis with an explicit method factor compares nested models:

=============  ===========================================================================
model          specification (substantive factors correlate freely in every model)
=============  ===========================================================================
``baseline``   substantive factors only; with a marker, the marker factor M loads on the
               marker items and is orthogonal to the substantive factors
``method_c``   M also loads on every substantive item with **one** (equal) loading
``method_u``   M loads on every substantive item with its own loading
=============  ===========================================================================

M is orthogonal to the substantive factors in every model. Two techniques:

* ``cfa_marker`` (Williams, Hartman & Cavazotte 2010; Richardson, Simmering & Sturman 2009):
  M is the marker's latent variable, identified by the marker items. In ``method_c`` and
  ``method_u`` the marker items' loadings and error variances and M's variance are fixed at
  their ``baseline`` estimates, so that M keeps the meaning it has in the baseline and only
  the substantive items' method loadings are added (Williams et al. fix them at the values
  of the measurement model; the baseline values are used here). The reported ``baseline``
  is refitted with those values fixed (the same chi-square, and the df the method models
  are nested in).
* ``ulmc`` (unmeasured latent method construct; Podsakoff et al. 2003; Liang et al. 2007):
  M has no items of its own. Its scale is set by fixing the loading of the first substantive
  item to 1 (``method_u``) or every loading to 1 (``method_c``, equal loadings), with a free
  variance. Without a marker the method factor is only weakly identified against correlated
  substantive factors (a uniform method covariance can be absorbed by the factor
  correlations), so ULMC has little power for equal method loadings; the marker variant is
  preferred when a marker was designed in.

Tests and rule. Each method model is compared with ``baseline`` by the chi-square
difference (likelihood-ratio) test :math:`\\Delta T = T_{base} - T_{method}` on
:math:`\\Delta df` = the number of added parameters (1 for ``method_c``; the number of
substantive items for ``method_u`` under the marker technique, one fewer for ULMC).
Method variance is **flagged** when either comparison is significant at
:math:`\\alpha/2` (Bonferroni over the two tests). The share of method variance is the
mean over substantive items of the squared standardised method loading; the substantive
share the mean squared standardised substantive loading (Liang et al. 2007 report both).

Estimation: maximum likelihood with semopy (objective ``MLW``, L-BFGS-B), complete cases.
:math:`T = N F_{ML}` with :math:`F_{ML} = \\log|\\hat\\Sigma| + tr(S\\hat\\Sigma^{-1}) - \\log|S| - p`
and S the covariance matrix with divisor N (lavaan's convention, as in
:mod:`leanlearn.cbsem.sem`); :math:`df = p(p+1)/2 - k`. Standardised loadings are
:math:`\\lambda_{jk}\\sqrt{\\psi_{kk}}/\\sqrt{\\hat\\sigma_{jj}}`; the p-value of a method loading is
semopy's z test of the unstandardised loading (expected information).

Checked in tests/test_bias.py: the check flags items simulated with a method factor of
loading 0.3 (N = 500) and does not flag items simulated without one; :math:`T` agrees
with a chi-square computed from the implied covariance by hand.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from leanlearn.errors import DataError

__all__ = ["METHOD_MODEL_COLUMNS", "METHOD_LOADING_COLUMNS", "method_factor_check"]

METHOD_MODEL_COLUMNS = [
    "technique", "model", "n", "n_items", "chi2", "df", "p_value", "n_parameters", "converged",
    "compared_with", "delta_chi2", "delta_df", "delta_p_value", "alpha_per_test", "significant",
    "method_variance_share", "substantive_variance_share", "flagged", "rule",
]  # fmt: skip
METHOD_LOADING_COLUMNS = [
    "technique", "model", "indicator", "construct", "substantive_loading", "method_loading", "method_share", "p_value",
]  # fmt: skip

RULE = (
    "method variance flagged when method_c or method_u fits better than baseline by the chi-square "
    "difference test at alpha/2 each (Bonferroni over the two tests)"
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _fit(text: str, frame: pd.DataFrame):
    """Fit one semopy model by ML; its matrices, implied covariance, free parameters and estimates."""
    with _quiet():
        import semopy

        model = semopy.Model(text)
        res = model.fit(frame, obj="MLW", solver="L-BFGS-B")
        est = model.inspect()
    lam = np.array(model.mx_lambda, dtype=float)
    psi = np.array(model.mx_psi, dtype=float)
    theta = np.array(model.mx_theta, dtype=float)
    observed = list(model.vars["observed"])
    inner = list(model.vars["inner"])
    sigma = lam @ psi @ lam.T + theta
    return {
        "observed": observed,
        "inner": inner,
        "lam": lam,
        "psi": psi,
        "theta": theta,
        "sigma": sigma,
        "k": int(len(model.param_vals)),
        "converged": bool(getattr(res, "success", False)),
        "estimates": est,
    }


def _chi2(sample: np.ndarray, sigma: np.ndarray, n: int) -> float:
    """The ML chi-square :math:`T = N F_{ML}` of an implied covariance (module docstring)."""
    p = sample.shape[0]
    _, logdet_sigma = np.linalg.slogdet(sigma)
    _, logdet_s = np.linalg.slogdet(sample)
    f = logdet_sigma + np.trace(sample @ np.linalg.inv(sigma)) - logdet_s - p
    return float(n * max(f, 0.0))


def method_factor_check(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    marker_items: Sequence[str] = (),
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CFA with and without a latent method factor loading on every substantive item.

    Parameters
    ----------
    data : DataFrame
        Items as numeric columns; rows with a missing item are dropped (listwise).
    blocks : mapping
        Substantive construct -> its items (reflective constructs with two or more items).
    marker_items : sequence of str
        Items of a marker construct: given, the CFA marker technique (``cfa_marker``) is
        used, else the unmeasured latent method construct (``ulmc``).
    alpha : float
        Family level of the two model comparisons (each is tested at alpha / 2).

    Returns
    -------
    (models, loadings) : DataFrames
        ``models`` (:data:`METHOD_MODEL_COLUMNS`): one row per model with its chi-square,
        df, p and free parameters; the method models with the difference test against
        ``baseline`` (``delta_*``, ``significant`` at ``alpha_per_test``), the mean
        method and substantive variance shares; ``flagged`` (the verdict, the same on
        every row) and ``rule``.
        ``loadings`` (:data:`METHOD_LOADING_COLUMNS`): standardised substantive and method
        loadings of every substantive item in each method model, the method share
        (squared standardised method loading) and the loading's p-value.

    Raises
    ------
    DataError
        Missing or non-numeric items, constant items, fewer cases than items, a block with
        fewer than two items.
    """
    items_of = {str(c): list(items) for c, items in blocks.items()}
    marker_items = [str(i) for i in marker_items]
    substantive = [i for items in items_of.values() for i in items]
    x = _complete_items(data, items_of, substantive, marker_items)
    n = len(x)
    technique = "cfa_marker" if marker_items else "ulmc"
    rename = {item: f"x{k + 1}" for k, item in enumerate(substantive)}
    rename.update({item: f"z{k + 1}" for k, item in enumerate(marker_items)})
    factor = {c: f"f{k + 1}" for k, c in enumerate(items_of)}
    construct_of = {i: c for c, items in items_of.items() for i in items}
    frame = x.rename(columns=rename)
    fits = _fit_method_models(frame, items_of, rename, factor, substantive, marker_items)

    order = list(frame.columns)
    s_full = np.cov(frame.to_numpy().T, ddof=0)
    p = len(order)
    moments = p * (p + 1) // 2
    stats_rows, loading_rows = {}, []
    for name, fit in fits.items():
        idx = [fit["observed"].index(v) for v in order]
        sigma = fit["sigma"][np.ix_(idx, idx)]
        t = _chi2(s_full, sigma, n)
        df = moments - fit["k"]
        row = {
            "technique": technique, "model": name, "n": n, "n_items": len(substantive), "chi2": t, "df": df,
            "p_value": float(stats.chi2.sf(t, df)) if df > 0 else np.nan, "n_parameters": fit["k"],
            "converged": fit["converged"],
        }  # fmt: skip
        if name != "baseline":
            rows, shares_m, shares_s = _method_loadings(fit, technique, name, substantive, rename, factor, construct_of)
            loading_rows += rows
            row["method_variance_share"] = float(np.mean(shares_m))
            row["substantive_variance_share"] = float(np.mean(shares_s))
        stats_rows[name] = row
    flagged = _difference_tests(stats_rows, alpha)
    out = pd.DataFrame(list(stats_rows.values()), columns=METHOD_MODEL_COLUMNS)
    out["flagged"] = flagged
    out["rule"] = RULE
    return out, pd.DataFrame(loading_rows, columns=METHOD_LOADING_COLUMNS)


def _complete_items(
    data: pd.DataFrame, blocks: dict[str, list[str]], substantive: list[str], marker_items: list[str]
) -> pd.DataFrame:
    """The substantive and marker items as floats, complete cases, after checking the input."""
    if not blocks:
        raise DataError("method factor: no substantive constructs")
    for c, items in blocks.items():
        if len(items) < 2:
            raise DataError(f"method factor: construct {c} has fewer than two items")
    columns = list(dict.fromkeys(substantive + marker_items))
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise DataError(f"method factor: the data have no column(s) {', '.join(absent)}")
    x = data[columns].apply(pd.to_numeric, errors="coerce").dropna().astype(float)
    n = len(x)
    if n <= len(columns):
        raise DataError(f"method factor: {n} complete cases for {len(columns)} items")
    flat = [c for c in columns if x[c].std() == 0]
    if flat:
        raise DataError(f"method factor: item(s) {', '.join(flat)} have no variance")
    return x


def _fit_method_models(
    frame: pd.DataFrame,
    blocks: dict[str, list[str]],
    rename: dict[str, str],
    factor: dict[str, str],
    substantive: list[str],
    marker_items: list[str],
) -> dict[str, dict]:
    """Fit ``baseline``, ``method_c`` and ``method_u`` (CFA marker technique with marker items, else ULMC)."""
    lines = [f"{factor[c]} =~ " + " + ".join(rename[i] for i in items) for c, items in blocks.items()]
    names = list(factor.values())
    lines += [f"{a} ~~ {b}" for k, a in enumerate(names) for b in names[k + 1:]]
    orth = [f"m ~~ 0*{f}" for f in names]
    subs = [rename[i] for i in substantive]
    markers = [rename[i] for i in marker_items]

    fits: dict[str, dict] = {}
    if marker_items:
        base_text = "\n".join(lines + ["m =~ " + " + ".join(markers)] + orth)
        fits["baseline"] = _fit(base_text, frame)
        b = fits["baseline"]
        mi = b["inner"].index("m")
        fixed_load = [f"{float(b['lam'][b['observed'].index(z), mi])!r}*{z}" for z in markers]
        fixed_err = [f"{z} ~~ {float(b['theta'][b['observed'].index(z), b['observed'].index(z)])!r}*{z}" for z in markers]
        fixed_var = [f"m ~~ {float(b['psi'][mi, mi])!r}*m"]
        common = lines + fixed_err + fixed_var + orth
        # the baseline with the marker parameters fixed at their own estimates: the same fit,
        # and the degrees of freedom against which the method models are nested
        fits["baseline"] = _fit("\n".join(common + ["m =~ " + " + ".join(fixed_load)]), frame)
        fits["method_c"] = _fit("\n".join(common + ["m =~ " + " + ".join(fixed_load + [f"lmc*{s}" for s in subs])]), frame)
        fits["method_u"] = _fit("\n".join(common + ["m =~ " + " + ".join(fixed_load + subs)]), frame)
    else:
        fits["baseline"] = _fit("\n".join(lines), frame)
        fits["method_c"] = _fit("\n".join(lines + ["m =~ " + " + ".join(f"1*{s}" for s in subs)] + orth), frame)
        fits["method_u"] = _fit("\n".join(lines + ["m =~ " + " + ".join(subs)] + orth), frame)
    return fits


def _method_loadings(
    fit: dict,
    technique: str,
    model: str,
    substantive: list[str],
    rename: dict[str, str],
    factor: dict[str, str],
    construct_of: dict[str, str],
) -> tuple[list[dict], list[float], list[float]]:
    """Standardised substantive and method loadings of every substantive item in one method model.

    Returns the loading rows and the squared standardised method and substantive loadings.
    """
    mi = fit["inner"].index("m")
    est = fit["estimates"]
    load = est[(est["op"] == "~") & (est["rval"] == "m")].set_index("lval")
    shares_m, shares_s, rows = [], [], []
    for item in substantive:
        v = rename[item]
        j = fit["observed"].index(v)
        sd = np.sqrt(fit["sigma"][j, j])
        fk = fit["inner"].index(factor[construct_of[item]])
        std_m = fit["lam"][j, mi] * np.sqrt(fit["psi"][mi, mi]) / sd
        std_s = fit["lam"][j, fk] * np.sqrt(fit["psi"][fk, fk]) / sd
        shares_m.append(std_m**2)
        shares_s.append(std_s**2)
        pv = load["p-value"].get(v, np.nan) if v in load.index else np.nan
        rows.append(
            {
                "technique": technique, "model": model, "indicator": item, "construct": construct_of[item],
                "substantive_loading": float(std_s), "method_loading": float(std_m),
                "method_share": float(std_m**2), "p_value": float(pd.to_numeric(pv, errors="coerce")),
            }
        )  # fmt: skip
    return rows, shares_m, shares_s


def _difference_tests(stats_rows: dict[str, dict], alpha: float) -> bool:
    """Add the chi-square difference test against ``baseline`` to the method models' rows; flagged?"""
    base = stats_rows["baseline"]
    flagged = False
    for name in ("method_c", "method_u"):
        row = stats_rows[name]
        d_chi2 = base["chi2"] - row["chi2"]
        d_df = base["df"] - row["df"]
        d_p = float(stats.chi2.sf(max(d_chi2, 0.0), d_df)) if d_df > 0 else np.nan
        sig = bool(d_p < alpha / 2) if np.isfinite(d_p) else False
        row.update(compared_with="baseline", delta_chi2=float(d_chi2), delta_df=int(d_df), delta_p_value=d_p,
                   alpha_per_test=alpha / 2, significant=sig)  # fmt: skip
        flagged = flagged or sig
    return flagged
