r"""Cross-validated predictive ability test (CVPAT).

Liengaard, Sharma, Hult, Jensen, Sarstedt, Hair & Ringle (2021), "Prediction: coveted,
yet forsaken? Introducing a cross-validated predictive ability test in partial least
squares path modeling", *Decision Sciences* 52(2), 362–392; Sharma, Liengaard, Hair,
Sarstedt & Ringle (2023), "Predictive model assessment and selection in composite-based
modeling using PLS-SEM: extensions and guidelines for using CVPAT", *European Journal of
Marketing* 57(6), 1662–1677.

Losses
------
The out-of-sample predictions come from :func:`leanlearn.robustness.predict.pls_predict`
(k folds × r repetitions, or leave-one-out): PLS with the *direct antecedents* technique
(as Liengaard et al. 2021), the *indicator average* (IA) benchmark, which predicts every
indicator by its training-fold mean, and the *linear model* (LM) benchmark, which regresses
every endogenous indicator on the indicators of the construct's direct antecedents (the
LM that uses the same information as the direct-antecedent PLS prediction; see
docs/robustness.md). Over repetitions the per-case predictions are averaged, as in
PLSpredict, before the losses are formed.

The loss of case i for endogenous construct k is its mean squared prediction error over
the construct's indicators,

.. math:: L_{ik} = \frac{1}{p_k} \sum_{j \in k} (y_{ij} - \hat y_{ij})^2,

and the *overall* loss of case i averages over **all** endogenous indicators,
:math:`L_i = \frac{1}{p} \sum_j (y_{ij} - \hat y_{ij})^2` (every indicator weighs the
same, as Liengaard et al. 2021 and cSEM's ``testCVPAT`` define it; averaging the
construct losses instead would give every construct the same weight, which differs when
constructs have different numbers of indicators). ``loss_a`` and ``loss_b`` are the
averages over cases, :math:`\bar L = \frac1n \sum_i L_i`.

Test
----
With :math:`D_i = L^{(a)}_i - L^{(b)}_i` (negative: a predicts better),

.. math:: t = \frac{\bar D}{s_D / \sqrt{n}}

(:math:`s_D` the SD of the :math:`D_i`, n − 1). Following Sharma et al. (2023) the null
distribution of t is bootstrapped: B resamples of the *centred* differences
:math:`D_i - \bar D` (cases drawn with replacement, the same resamples for every
construct and comparison) give :math:`t^*_1, \dots, t^*_B`, and

* one-sided (H1: a has the smaller loss; the default against IA and LM):
  :math:`p = \#\{t^*_b \le t\} / B`;
* two-sided (H1: the losses differ; the default for two competing models):
  :math:`p = \#\{|t^*_b| \ge |t|\} / B`.

PLS is said to predict better than a benchmark when the difference is negative and
p < 0.05; a non-significant test is no evidence that the two predict equally well.
When all :math:`D_i` are equal (e.g. a model compared with itself) t and p are NaN.

Two competing models are compared on the endogenous constructs that both models predict
from the same indicators (``overall`` over those constructs' indicators), on the same
cases and the same folds (same seed).

Checked (tests/test_cvpat.py): the losses reproduce the squared errors of
:func:`pls_predict`'s case predictions; t against the formula on hand data; the bootstrap
p against the exact distribution of the centred-mean statistic where it is known
(symmetric differences give p ≈ 0.5 one-sided at t = 0), a model compared with itself
gives zero differences, and a model with its key path removed predicts worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leanlearn.errors import DataError
from leanlearn.random import generator

__all__ = ["CVPAT_RULE", "CVPATResult", "case_losses", "loss_test", "cvpat"]

CVPAT_RULE = (
    "CVPAT (Liengaard et al. 2021; Sharma et al. 2023): difference = loss_a - loss_b of the out-of-sample squared "
    "prediction errors (mean over the construct's indicators, then over cases; 'overall' over all endogenous indicators). "
    "A negative difference with p < 0.05 means model a predicts better than b (PLS better than the indicator-average IA "
    "or linear-model LM benchmark: one-sided test; two competing models: two-sided). p from a bootstrap of the centred "
    "case-wise loss differences. A non-significant test is no evidence of equal predictive ability."
)
COLUMNS = ["comparison", "construct", "loss_a", "loss_b", "difference", "t_value", "p_value"]


@dataclass(frozen=True)
class CVPATResult:
    """CVPAT results.

    Attributes
    ----------
    table : DataFrame
        comparison, construct, loss_a, loss_b, difference, t_value, p_value (``cvpat.csv``).
        comparison is ``pls_vs_ia`` / ``pls_vs_lm`` (model a against its benchmarks),
        ``pls_b_vs_ia`` / ``pls_b_vs_lm`` (model b, when given) and ``a_vs_b``; construct
        is an endogenous construct or ``overall``.
    details : DataFrame
        comparison, construct, alternative ("less" or "two-sided"), n_cases, n_indicators,
        std_error (s_D/√n), resamples.
    losses : DataFrame
        Case-wise losses: case, model ("a", "b"), predictor ("pls", "ia", "lm"),
        construct, loss.
    n, folds, repetitions, loo, seed, resamples :
        As run.
    """

    table: pd.DataFrame = field(repr=False)
    details: pd.DataFrame = field(repr=False)
    losses: pd.DataFrame = field(repr=False)
    n: int
    folds: int
    repetitions: int
    loo: bool
    seed: object
    resamples: int


def case_losses(cases: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Case × construct losses of PLS, IA and LM from a :attr:`PredictResult.cases` table.

    Returns
    -------
    dict
        ``{"pls"|"ia"|"lm": DataFrame}`` indexed by case (data order), one column per
        endogenous construct (mean squared error over its indicators) and ``overall``
        (over all endogenous indicators); plus ``"n_indicators"``: a one-row frame of
        the indicator counts.
    """
    order = pd.unique(cases["case"])
    constructs = list(pd.unique(cases["construct"]))
    out: dict[str, pd.DataFrame] = {}
    for name, col in (("pls", "predicted_pls"), ("ia", "predicted_mean"), ("lm", "predicted_lm")):
        sq = cases.assign(sq=(cases["actual"] - cases[col]) ** 2)
        per = sq.pivot_table(index="case", columns="construct", values="sq", aggfunc="mean", sort=False, dropna=False)
        per = per.reindex(index=order, columns=constructs)
        per["overall"] = sq.groupby("case", sort=False)["sq"].mean().reindex(order)
        out[name] = per
    counts = cases.drop_duplicates("indicator").groupby("construct", sort=False).size().reindex(constructs)
    out["n_indicators"] = pd.DataFrame([list(counts) + [int(counts.sum())]], columns=constructs + ["overall"])
    return out


def loss_test(D: np.ndarray, index: np.ndarray, alternative: str) -> tuple[float, float, float]:
    """t statistic, its standard error and the bootstrap p value of the loss differences D.

    ``index`` (B, n) holds the bootstrap resamples (case positions); see the module notes.
    """
    if alternative not in ("less", "two-sided"):
        raise ValueError(f"alternative must be 'less' or 'two-sided', not {alternative!r}")
    D = np.asarray(D, float)
    n = len(D)
    mean = float(D.mean())
    sd = float(D.std(ddof=1))
    se = sd / np.sqrt(n)
    if not se > 1e-15 * max(1.0, float(np.abs(D).max())):
        return np.nan, se, np.nan
    t = mean / se
    C = D - mean
    tb = np.empty(len(index))
    step = 1000
    for s in range(0, len(index), step):
        Cb = C[index[s:s + step]]
        with np.errstate(invalid="ignore", divide="ignore"):
            tb[s:s + step] = Cb.mean(axis=1) / (Cb.std(axis=1, ddof=1) / np.sqrt(n))
    ok = np.isfinite(tb)
    if alternative == "less":
        p = float(np.sum(tb[ok] <= t)) / len(tb)
    else:
        p = float(np.sum(np.abs(tb[ok]) >= abs(t))) / len(tb)
    return float(t), se, p


def _resamples(n: int, B: int, seed) -> np.ndarray:
    rng = generator(seed, "bootstrap", "cvpat")
    return np.concatenate([rng.integers(0, n, size=(min(1000, B - s), n)) for s in range(0, B, 1000)])


def _rows(name: str, la: pd.DataFrame, lb: pd.DataFrame, constructs, alternative: str, index, counts) -> tuple[list, list]:
    rows, det = [], []
    for c in constructs:
        a, b = la[c].to_numpy(), lb[c].to_numpy()
        t, se, p = loss_test(a - b, index, alternative)
        rows.append((name, c, float(a.mean()), float(b.mean()), float((a - b).mean()), t, p))
        det.append((name, c, alternative, len(a), int(counts[c]), se, len(index)))
    return rows, det


def cvpat(data: pd.DataFrame, model, model_b=None, *, folds: int = 10, repetitions: int = 10, loo: bool = False,
          resamples: int = 10000, seed=None, alternative: str | None = None, missing: str = "mean",
          missing_value=None, scheme: str = "path", interaction: str = "two_stage", source: str | None = None) -> CVPATResult:  # fmt: skip
    """CVPAT of a model against the IA and LM benchmarks, and of two competing models.

    Parameters
    ----------
    data : DataFrame
    model, model_b : ModelSpec or str
        Model a and, optionally, a competing model b on the same data.
    folds, repetitions, loo :
        Cross-validation (:func:`leanlearn.robustness.predict.pls_predict`); 10 × 10 by
        default (SmartPLS's defaults).
    resamples : int
        Bootstrap resamples of the test (default 10,000).
    seed : int, SeedSequence or None
        Study seed: folds from its ``folds`` stream, resamples from ``(seed, "bootstrap",
        "cvpat")``. Drawn (and reported) when omitted.
    alternative : {"less", "two-sided"}, optional
        Test of every row; default one-sided ("less": a predicts better) against the
        benchmarks and two-sided between two models.
    missing, missing_value, scheme, interaction, source :
        As :func:`leanlearn.robustness.predict.pls_predict`.

    Returns
    -------
    CVPATResult
    """
    from leanlearn.robustness.predict import pls_predict

    if resamples < 2:
        raise ValueError(f"resamples must be at least 2, got {resamples}")
    if alternative is not None and alternative not in ("less", "two-sided"):
        raise ValueError(f"alternative must be 'less' or 'two-sided', not {alternative!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]  # an int when drawn
    opts = dict(folds=folds, repetitions=repetitions, loo=loo, seed=seed, technique="direct", benchmark="antecedents",
                missing=missing, missing_value=missing_value, scheme=scheme, interaction=interaction, source=source)  # fmt: skip
    pa = pls_predict(data, model, **opts)
    la = case_losses(pa.cases)
    models = {"a": (pa, la)}
    if model_b is not None:
        pb = pls_predict(data, model_b, **opts)
        if not pa.cases["case"].drop_duplicates().reset_index(drop=True).equals(pb.cases["case"].drop_duplicates().reset_index(drop=True)):
            raise DataError(
                f"{source + ': ' if source else ''}CVPAT: the two models use different cases (the missing-data treatment "
                "dropped different rows); compare them on the same cases, e.g. with --missing mean"
            )
        if not np.array_equal(pa.fold_assignment, pb.fold_assignment):
            raise DataError("CVPAT: the two models were not cross-validated on the same folds")
        models["b"] = (pb, case_losses(pb.cases))
    # cases without a prediction (a failed fold in every repetition) are left out of every test
    keep = np.ones(pa.n, dtype=bool)
    for _, L in models.values():
        for k in ("pls", "ia", "lm"):
            keep &= np.isfinite(L[k].to_numpy()).all(axis=1)
    if keep.sum() < 3:
        raise DataError("CVPAT: fewer than 3 cases have out-of-sample predictions")
    index = _resamples(int(keep.sum()), int(resamples), seed)
    rows, det = [], []
    for label, (_, L) in models.items():
        prefix = "pls" if label == "a" else "pls_b"
        cons = list(L["pls"].columns)
        for bench in ("ia", "lm"):
            r, d = _rows(f"{prefix}_vs_{bench}", L["pls"][keep], L[bench][keep], cons, alternative or "less", index, L["n_indicators"].iloc[0])
            rows += r
            det += d
    if model_b is not None:
        ca, cb = pa.cases, models["b"][0].cases
        ind_a = ca.drop_duplicates("indicator").groupby("construct", sort=False)["indicator"].apply(frozenset)
        ind_b = cb.drop_duplicates("indicator").groupby("construct", sort=False)["indicator"].apply(frozenset)
        shared = [c for c in ind_a.index if c in ind_b.index and ind_a[c] == ind_b[c]]
        if not shared:
            raise DataError(
                "CVPAT: the two models share no endogenous construct measured by the same indicators, so their "
                "predictions cannot be compared"
            )
        items = sorted(set().union(*(ind_a[c] for c in shared)))
        sub_a, sub_b = ca[ca.indicator.isin(items)], cb[cb.indicator.isin(items)]
        La, Lb = case_losses(sub_a), case_losses(sub_b)
        counts = La["n_indicators"].iloc[0]
        r, d = _rows("a_vs_b", La["pls"][keep], Lb["pls"][keep], shared + ["overall"], alternative or "two-sided", index, counts)
        rows += r
        det += d
    table = pd.DataFrame(rows, columns=COLUMNS)
    details = pd.DataFrame(det, columns=["comparison", "construct", "alternative", "n_cases", "n_indicators", "std_error", "resamples"])
    long = []
    for label, (_, L) in models.items():
        for k in ("pls", "ia", "lm"):
            t = L[k].rename_axis("case").reset_index().melt(id_vars="case", var_name="construct", value_name="loss")
            long.append(t.assign(model=label, predictor=k))
    losses = pd.concat(long, ignore_index=True)[["case", "model", "predictor", "construct", "loss"]]
    return CVPATResult(table=table, details=details, losses=losses, n=int(keep.sum()), folds=pa.folds,
                       repetitions=pa.repetitions, loo=pa.loo, seed=seed, resamples=int(resamples))  # fmt: skip
