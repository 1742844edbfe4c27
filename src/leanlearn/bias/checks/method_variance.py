"""Correlational common-method checks: full-collinearity VIFs, Harman's single factor, procedural remedies."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from leanlearn.errors import DataError

HARMAN_CAVEAT = (
    "Harman's single-factor test is weak evidence and no proof of the absence of common-method "
    "bias: it has little power to detect method variance (Podsakoff et al. 2003; Aguirre-Urreta & "
    "Hu 2019), and the first factor's share depends on the number of items and factors rather than "
    "on the design (Howard et al. 2024). It is reported only for comparability with earlier studies."
)


# =================================================================================================
# Common-method bias: full collinearity, marker, Harman
# =================================================================================================
def equal_weight_score(data: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Standardised equally weighted score: the mean of the z-scored items, z-scored again.

    Used for the marker, which is not part of the path model and therefore has no PLS
    inner proxy (a Mode A block on its own has no defined weights). Missing item values
    are skipped in the row mean (a row with no value gives NaN). SDs use n - 1.
    """
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(f"marker score: the data have no column(s) {', '.join(missing)}")
    x = data[list(items)].apply(pd.to_numeric, errors="coerce").astype(float)
    z = (x - x.mean()) / x.std(ddof=1)
    s = z.mean(axis=1, skipna=True)
    return (s - s.mean()) / s.std(ddof=1)


def full_collinearity_vif(scores: pd.DataFrame, *, threshold: float = 3.3) -> pd.DataFrame:
    """Full-collinearity VIFs of construct scores (Kock 2015; Kock & Lynn 2012).

    Each construct score is regressed (OLS with intercept) on **all** other construct
    scores, exogenous and endogenous alike:

    .. math:: VIF_k = \\frac{1}{1 - R^2_k}

    VIFs above the threshold (3.3) suggest pathological collinearity, which Kock reads as
    a sign of common-method bias. The test also fires on genuinely high substantive
    correlations: it is a screen, not proof.

    Parameters
    ----------
    scores : DataFrame
        One column per construct (e.g. ``PLSResult.scores`` without interaction terms);
        rows with a missing score are dropped.
    threshold : float

    Returns
    -------
    DataFrame
        ``construct, r_squared, vif, threshold, exceeds``.

    Notes
    -----
    Agrees with ``statsmodels.stats.outliers_influence.variance_inflation_factor`` on a
    design with a constant (tests/test_bias.py).
    """
    s = scores.apply(pd.to_numeric, errors="coerce").dropna()
    if s.shape[1] < 2:
        raise DataError("full-collinearity VIF needs at least two construct scores")
    if len(s) <= s.shape[1]:
        raise DataError("full-collinearity VIF: fewer cases than constructs")
    x = s.to_numpy(dtype=float)
    rows = []
    for k, c in enumerate(s.columns):
        y = x[:, k]
        others = np.column_stack([np.ones(len(y)), np.delete(x, k, axis=1)])
        beta, *_ = np.linalg.lstsq(others, y, rcond=None)
        resid = y - others @ beta
        tss = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else np.nan
        vif = 1.0 / (1.0 - r2) if r2 < 1 else np.inf
        rows.append({"construct": c, "r_squared": r2, "vif": vif, "threshold": threshold, "exceeds": bool(vif > threshold)})
    return pd.DataFrame(rows, columns=["construct", "r_squared", "vif", "threshold", "exceeds"])


def principal_axis_factoring(
    correlation: np.ndarray, n_factors: int, *, max_iter: int = 1000, tol: float = 1e-8
) -> tuple[np.ndarray, bool]:
    """Unrotated principal-axis factoring of a correlation matrix.

    Iterated principal axes (Harman 1976): start from squared multiple correlations
    :math:`h_i = 1 - 1/(R^{-1})_{ii}`; repeat: put :math:`h` on the diagonal of R, take
    the ``n_factors`` largest eigenpairs :math:`(\\lambda_k, v_k)`, loadings
    :math:`L = V \\mathrm{diag}(\\sqrt{\\max(\\lambda_k, 0)})`, new :math:`h_i = \\sum_k L_{ik}^2`
    (capped at 1, a Heywood case), until :math:`\\max|\\Delta h| <` ``tol``.

    Returns
    -------
    loadings : ndarray (p, n_factors)
        Column signs chosen so that each column sums to a non-negative value.
    converged : bool
    """
    r = np.asarray(correlation, dtype=float)
    p = r.shape[0]
    try:
        h = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h = np.max(np.abs(r - np.eye(p)), axis=1)
    h = np.clip(h, 0.0, 1.0)
    converged = False
    for _ in range(max_iter):
        rh = r.copy()
        np.fill_diagonal(rh, h)
        vals, vecs = np.linalg.eigh(rh)
        order = np.argsort(vals)[::-1][:n_factors]
        loadings = vecs[:, order] * np.sqrt(np.clip(vals[order], 0.0, None))
        h_new = np.clip((loadings**2).sum(axis=1), 0.0, 1.0)
        if np.max(np.abs(h_new - h)) < tol:
            h = h_new
            converged = True
            break
        h = h_new
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return loadings * signs, converged


def harman_single_factor(
    items: pd.DataFrame,
    *,
    threshold: float = 0.50,
    n_factors: str | int = "kaiser",
) -> pd.DataFrame:
    """Harman's single-factor test: the first unrotated factor's share of item variance.

    Two variants are reported, one row each:

    * ``principal_components``: :math:`\\lambda_1 / p`, the largest eigenvalue of the
      item correlation matrix over the number of items (the variant most papers report,
      from SPSS's default extraction).
    * ``principal_axis``: the first unrotated common factor's sum of squared loadings over
      p, from :func:`principal_axis_factoring` with ``n_factors`` factors (Kaiser
      criterion by default, as in an unrotated EFA).

    ``exceeds`` flags a share above ``threshold`` (0.50). **Weak evidence** either way
    (see :data:`HARMAN_CAVEAT`, repeated in every row): a share below 50 % does not show
    the absence of common-method bias.

    Parameters
    ----------
    items : DataFrame
        The items (all substantive items of the model); rows with a missing value are
        dropped (listwise), constant items raise.
    threshold : float
    n_factors : "kaiser" or int
        Factors of the principal-axis variant ("kaiser": eigenvalues of R above 1, at
        least 1).

    Returns
    -------
    DataFrame
        ``method, n, n_items, n_factors, first_eigenvalue, first_factor_share, threshold,
        exceeds, converged, caveat``.
    """
    x = items.apply(pd.to_numeric, errors="coerce").dropna()
    if x.shape[1] < 2:
        raise DataError("Harman's test needs at least two items")
    if len(x) <= x.shape[1]:
        raise DataError(f"Harman's test: {len(x)} complete cases for {x.shape[1]} items")
    flat = [c for c in x.columns if x[c].std() == 0]
    if flat:
        raise DataError(f"Harman's test: item(s) {', '.join(flat)} have no variance")
    r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
    p = r.shape[0]
    eig = np.sort(np.linalg.eigvalsh(r))[::-1]
    k = max(1, int((eig > 1).sum())) if n_factors == "kaiser" else int(n_factors)
    if not 1 <= k < p:
        raise ValueError(f"n_factors must lie between 1 and {p - 1}, got {k}")
    loadings, converged = principal_axis_factoring(r, k)
    paf_share = float((loadings[:, 0] ** 2).sum() / p)
    rows = [
        {
            "method": "principal_components",
            "n": len(x),
            "n_items": p,
            "n_factors": 1,
            "first_eigenvalue": float(eig[0]),
            "first_factor_share": float(eig[0] / p),
            "threshold": threshold,
            "exceeds": bool(eig[0] / p > threshold),
            "converged": True,
            "caveat": HARMAN_CAVEAT,
        },
        {
            "method": "principal_axis",
            "n": len(x),
            "n_items": p,
            "n_factors": k,
            "first_eigenvalue": float((loadings[:, 0] ** 2).sum()),
            "first_factor_share": paf_share,
            "threshold": threshold,
            "exceeds": bool(paf_share > threshold),
            "converged": converged,
            "caveat": HARMAN_CAVEAT,
        },
    ]
    return pd.DataFrame(rows)


# =================================================================================================
# Procedural remedies
# =================================================================================================
def procedural_remedies(
    codebook,
    spec,
    *,
    columns: Iterable[str],
    ids: Sequence | None = None,
    id_column: str = "firm_id",
    archival_performance: Sequence[str] = ("revenue_usd_th",),
) -> pd.DataFrame:
    """Which procedural remedies against common-method bias the data allow.

    Computed from the codebook, the model and the data's columns (Podsakoff et al. 2003,
    2012): nothing is typed in by hand.

    ==========================  ====================================================================
    remedy                      available when
    ==========================  ====================================================================
    ``marker_variable``         the codebook has a construct with ``role: marker`` and its items
                                are in the data
    ``archival_outcome``        an endogenous construct of the model is measured by variables that
                                are not survey items (e.g. Orbis data)
    ``separate_sources``        at least one structural path links a survey-measured construct and
                                a construct measured from another source
    ``archival_triangulation``  an archival measure configured for triangulation
                                (``archival_performance``: the ``bias.triangulation`` measures) is
                                in the data, and :func:`archival_triangulation` reports it
    ``multiple_informants``     some firm has more than one response in the data (``ids``)
    ``scale_formats_differ``    an endogenous construct uses a response scale (anchors) that
                                differs from the scales of all its survey-measured predictors
    ``reverse_keyed_items``     the codebook has reverse-keyed items
    ==========================  ====================================================================

    Parameters
    ----------
    codebook : Codebook
        From :func:`leanlearn.spec.codebook.load_codebook`.
    spec : ModelSpec
    columns : iterable of str
        Columns of the analysis data.
    id_column : str
        Firm identifier column (for multiple informants).
    ids : sequence, optional
        The firm ids of the data's rows (for multiple informants).
    archival_performance : sequence of str
        Labels of the archival measures that are triangulated (``TriangulationSpec.label``)
        or their columns; a remedy is available only when they are in ``columns``.

    Returns
    -------
    DataFrame
        ``remedy, available, evidence, reference``.
    """
    cols = set(columns)
    survey_items = set(codebook.item_ids)
    measured = [c.name for c in spec.constructs if c.kind == "measured"]
    endo = [t for t in spec.endogenous if t in measured]
    rev = [i for i in codebook.reverse_items if i in spec.items]
    ev = f"reverse-keyed items in the model: {', '.join(rev)}" if rev else "no reverse-keyed items in the model"
    rows = [
        _marker_remedy(codebook, cols),
        *_source_remedies(spec, survey_items, measured, endo),
        _triangulation_remedy(archival_performance, cols, survey_items),
        _informants_remedy(ids, id_column),
        _scale_format_remedy(codebook, spec, measured, endo),
        {"remedy": "reverse_keyed_items", "available": bool(rev), "evidence": ev, "reference": _PODSAKOFF},
    ]
    out = pd.DataFrame(rows, columns=["remedy", "available", "evidence", "reference"])
    return out


_PODSAKOFF = "Podsakoff, MacKenzie, Lee & Podsakoff 2003; Podsakoff, MacKenzie & Podsakoff 2012"


def _marker_remedy(codebook, cols: set) -> dict:
    """``marker_variable``: a marker construct whose items are in the data."""
    markers = codebook.marker_constructs
    present = [m for m in markers if all(i in cols for i in codebook.items_by_construct[m])]
    if present:
        ev = f"marker construct(s) {', '.join(present)} in the codebook and the data"
    elif markers:
        ev = f"marker construct(s) {', '.join(markers)} in the codebook, but their items are not in the data"
    else:
        ev = "no construct with role: marker in the codebook"
    return {"remedy": "marker_variable", "available": bool(present), "evidence": ev, "reference": "Lindell & Whitney 2001"}


def _source_remedies(spec, survey_items: set, measured: list[str], endo: list[str]) -> list[dict]:
    """``archival_outcome`` and ``separate_sources``: constructs measured from non-survey data."""
    ref = _PODSAKOFF

    def source(construct: str) -> str:
        c = spec.construct(construct)
        kinds = {"survey" if i in survey_items else "other" for i in c.indicators}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    rows = []
    archival_endo = [t for t in endo if source(t) in ("other", "mixed")]
    ev = (
        f"endogenous construct(s) measured from non-survey data: {', '.join(archival_endo)}"
        if archival_endo
        else f"every endogenous construct ({', '.join(endo)}) is measured by survey items"
    )
    rows.append({"remedy": "archival_outcome", "available": bool(archival_endo), "evidence": ev, "reference": ref})

    mixed_paths = []
    for p in spec.paths:
        if p.source in measured and p.target in measured and source(p.source) != source(p.target):
            mixed_paths.append(f"{p.source} -> {p.target}")
    ev = (
        f"paths linking different sources: {', '.join(mixed_paths)}"
        if mixed_paths
        else "predictor and criterion constructs of every path come from the same survey respondent"
    )
    rows.append({"remedy": "separate_sources", "available": bool(mixed_paths), "evidence": ev, "reference": ref})
    return rows


def _triangulation_remedy(archival_performance: Sequence[str], cols: set, survey_items: set) -> dict:
    """``archival_triangulation``: a configured archival measure is in the data."""
    archival = [c for c in archival_performance if c in cols and c not in survey_items]
    if archival:
        ev = f"perceived performance correlated with archival {', '.join(archival)} (archival_triangulation.csv)"
    elif archival_performance:
        ev = f"archival measure(s) {', '.join(archival_performance)} not in the data; no triangulation done"
    else:
        ev = "no archival measure configured (bias.triangulation); no triangulation done"
    return {"remedy": "archival_triangulation", "available": bool(archival), "evidence": ev, "reference": "Wall et al. 2004"}


def _informants_remedy(ids: Sequence | None, id_column: str) -> dict:
    """``multiple_informants``: some case has more than one response."""
    if ids is not None:
        s = pd.Series(list(ids)).dropna().astype(str)
        multi = int(s.duplicated(keep=False).groupby(s).any().sum())
        ev = f"{multi} case(s) with more than one response" if multi else "one response per case (single informant)"
        avail = multi > 0
    else:
        ev, avail = f"no case ids ('{id_column}') in the data", False
    return {"remedy": "multiple_informants", "available": bool(avail), "evidence": ev, "reference": "Flynn, Pagell & Fugate 2018"}


def _scale_format_remedy(codebook, spec, measured: list[str], endo: list[str]) -> dict:
    """``scale_formats_differ``: a criterion's anchors differ from those of all its predictors."""
    scale_of_item = {it.id: it.scale for it in codebook.items}

    def scales(construct: str) -> set[str]:
        return {scale_of_item[i] for i in spec.construct(construct).indicators if i in scale_of_item}

    def label(construct: str) -> str:
        return f"{construct} ({'/'.join(sorted(scales(construct)))})"

    differ = []
    for t in endo:
        preds = [s for s in spec.predecessors(t) if s in measured and scales(s)]
        st = scales(t)
        if st and preds and all(not (st & scales(s)) for s in preds):
            differ.append(f"{label(t)} vs {', '.join(label(s) for s in preds)}")
    if differ:
        ev = "criterion scale anchors differ from every predictor's: " + "; ".join(differ)
    else:
        shared = [
            f"{label(t)} shares anchors with {', '.join(label(s) for s in spec.predecessors(t) if s in measured and scales(s))}"
            for t in endo
            if scales(t)
        ]
        ev = "no endogenous construct uses anchors different from all of its predictors" + (
            ": " + "; ".join(shared) if shared else ""
        )
    return {"remedy": "scale_formats_differ", "available": bool(differ), "evidence": ev, "reference": _PODSAKOFF}
