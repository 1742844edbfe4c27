"""How stable are the study's conclusions? Sensitivity runs and a multiverse of analysis choices.

Each *variant* changes one choice of the main analysis (a one-factor-at-a-time multiverse,
Steegen et al. 2016): the screening rule, the missing-data treatment, the controls, the
inner weighting scheme, the interaction method, PLS vs PLSc, or the interval type. Every
variant is re-estimated and bootstrapped, and each hypothesis gets its verdict again; the
stability table counts how many variants agree with the main verdict.

Data variants are rebuilt from the ingested responses with the library functions the
pipeline itself uses (:func:`leanlearn.data.missing.treat_missing`,
:func:`leanlearn.data.merge.merge_archival`), so the "main" variant reproduces the pipeline's
analysis file (tested).

Screening rules (from the screening flags, :mod:`leanlearn.screening.careless`):

- ``main``: the configured decision (hard rules, or soft flags from at least the required
  number of families);
- ``no_flagged``: also drop every kept response with any soft flag (the "flagged but kept");
- ``hard_only``: hard rules only; responses excluded only for soft flags are put back.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import pandas as pd

from leanlearn.pls.bootstrap import BootstrapResult, bootstrap
from leanlearn.spec.codebook import RESPONDENT_ID
from leanlearn.data.controls import add_controls
from leanlearn.errors import DataError, SpecError
from leanlearn.effects.hypotheses import evaluate_hypotheses
from leanlearn.data.merge import merge_archival
from leanlearn.data.missing import treat_missing
from leanlearn.pls.engine import estimate

__all__ = ["KEEP_RULES", "Variant", "Skipped", "default_variants", "main_missing_treatment", "analysis_variant", "run_multiverse", "stability", "flag_fragile", "sensitivity_paths"]

KEEP_RULES = ("main", "no_flagged", "hard_only")


@dataclass(frozen=True)
class Variant:
    """One analysis in the multiverse; fields left as None take the main analysis' value."""

    name: str
    factor: str
    level: str
    keep: str = "main"
    missing: str | None = None
    scheme: str | None = None
    interaction: str | None = None
    consistent: bool | None = None
    controls: dict | None = None
    interval: str = "percentile"

    @property
    def data_key(self) -> tuple[str, str | None]:
        return (self.keep, self.missing)


@dataclass(frozen=True)
class Skipped:
    """A variant the study cannot apply, and why."""

    name: str
    factor: str
    level: str
    reason: str


def default_variants(config: dict, spec=None, *, columns=None, return_skipped: bool = False):
    """The main analysis and one variant per alternative choice the study can apply.

    The variants follow from what the study has: the configured estimation settings (the
    other inner weighting schemes; PLSc vs PLS when the model has reflective constructs; the
    other interaction methods when it has an interaction term), the missing-data
    treatments, the screening rules, the configured controls (``controls=none``) and the
    extra controls listed under ``robustness.multiverse.extra_controls`` (``variables``,
    with ``categorical`` ones entered as dummies). ``robustness.multiverse.variants``, when
    given, keeps only the named variants (``main`` always runs).

    Parameters
    ----------
    config : dict
        The study config.
    spec : ModelSpec, optional
        The parsed model; without it every estimation variant is assumed to apply.
    columns : iterable of str, optional
        Columns of the analysis data; extra controls not among them are skipped.
    return_skipped : bool
        Also return the variants that cannot apply, as :class:`Skipped` with the reason.

    Returns
    -------
    list of Variant, or (list of Variant, list of Skipped)
    """
    mv = (config.get("robustness") or {}).get("multiverse") or {}
    estimation, why_not = _estimation_variants(config.get("estimation", {}) or {}, spec)
    controls, why_not_controls = _control_variants(_controls_config(config), mv.get("extra_controls") or {}, columns)
    out = [Variant("main", "main", "as configured"), *estimation, *_data_variants(main_missing_treatment(config)), *controls]
    skipped = why_not + why_not_controls
    out, skipped = _selected(out, skipped, mv.get("variants"))
    return (out, skipped) if return_skipped else out


def main_missing_treatment(config: dict) -> str:
    """The main analysis' single missing-data treatment (``multiple`` varies as ``iterative``)."""
    main = (config.get("missing", {}) or {}).get("treatment", "mean")
    # the multiverse varies the single treatment the other steps read (docs/imputation.md)
    return "iterative" if main == "multiple" else main


def _controls_config(config: dict) -> dict:
    """The ``controls`` section as a dict (a bare list is its ``variables``)."""
    ctl = config.get("controls") or {}
    return {"variables": ctl} if isinstance(ctl, list) else dict(ctl)


def _estimation_variants(est: dict, spec) -> tuple[list[Variant], list[Skipped]]:
    """The other inner weighting schemes, interaction methods and estimator, and BCa intervals."""
    out: list[Variant] = []
    skipped: list[Skipped] = []
    has_interaction = spec is None or bool(getattr(spec, "interactions", ()))
    has_reflective = spec is None or any(c.kind == "measured" and c.reflective for c in spec.constructs)
    for s in ("path", "factorial", "centroid"):
        if s != est.get("scheme", "path"):
            out.append(Variant(f"scheme={s}", "inner weighting scheme", s, scheme=s))
    for m in ("two_stage", "product_indicator", "orthogonal"):
        if m != est.get("interaction", "two_stage"):
            v = Variant(f"interaction={m}", "interaction term", m, interaction=m)
            if has_interaction:
                out.append(v)
            else:
                skipped.append(Skipped(v.name, v.factor, v.level, "the model has no interaction term"))
    consistent = bool(est.get("consistent", False))
    level = "PLS" if consistent else "PLSc"
    v = Variant(f"estimator={level}", "estimator", level, consistent=not consistent)
    if has_reflective:
        out.append(v)
    else:
        skipped.append(Skipped(v.name, v.factor, v.level, "the model has no reflective (mode A) construct, so PLSc equals PLS"))
    out.append(Variant("interval=BCa", "interval type", "BCa", interval="bca"))
    return out, skipped


def _data_variants(main_missing: str) -> list[Variant]:
    """The other missing-data treatments and the two other screening rules."""
    out = [Variant(f"missing={m}", "missing-data treatment", m, missing=m) for m in ("mean", "iterative", "listwise") if m != main_missing]
    out.append(Variant("screening=no_flagged", "screening rule", "drop flagged-but-kept responses", keep="no_flagged"))
    out.append(Variant("screening=hard_only", "screening rule", "hard rules only", keep="hard_only"))
    return out


def _control_variants(ctl: dict, extra_cfg: dict, columns) -> tuple[list[Variant], list[Skipped]]:
    """``controls=none`` (when the study has controls) and the variant adding the extra controls."""
    out: list[Variant] = []
    skipped: list[Skipped] = []
    if ctl.get("variables"):
        out.append(Variant("controls=none", "controls", "none", controls={"variables": []}))
    else:
        skipped.append(Skipped("controls=none", "controls", "none", "the study has no controls"))
    extra = [c for c in extra_cfg.get("variables", []) if c not in ctl.get("variables", [])]
    if not extra:
        return out, skipped
    name = "controls=" + ",".join(f"+{c}" for c in extra)
    cat = [c for c in extra_cfg.get("categorical", []) if c in extra]
    level = "+ " + ", ".join(f"{c} (dummies)" if c in cat else c for c in extra)
    absent = [c for c in extra if columns is not None and c not in set(columns)]
    if absent:
        skipped.append(Skipped(name, "controls", level, f"column(s) {', '.join(absent)} not in the analysis data"))
    else:
        more = dict(ctl, variables=list(ctl.get("variables", [])) + extra,
                    categorical=list(ctl.get("categorical", [])) + [c for c in cat if c not in ctl.get("categorical", [])])  # fmt: skip
        out.append(Variant(name, "controls", level, controls=more))
    return out, skipped


def _selected(out: list[Variant], skipped: list[Skipped], wanted) -> tuple[list[Variant], list[Skipped]]:
    """Keep ``main`` and the variants named in ``robustness.multiverse.variants`` (all when None)."""
    if wanted is None:
        return out, skipped
    known = {v.name for v in out} | {s.name for s in skipped}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(
            f"robustness.multiverse.variants: unknown variant(s) {', '.join(unknown)}; this study has: {', '.join(sorted(known))}"
        )
    dropped = [Skipped(v.name, v.factor, v.level, "not listed in robustness.multiverse.variants") for v in out[1:] if v.name not in wanted]
    return [out[0]] + [v for v in out[1:] if v.name in wanted], skipped + dropped


def _keep_mask(flags: pd.DataFrame, rule: str) -> pd.Series:
    if rule not in KEEP_RULES:
        raise ValueError(f"keep rule must be one of {KEEP_RULES}, not {rule!r}")
    kept = flags["decision"].astype(str).eq("kept")
    if rule == "main":
        return kept
    if rule == "no_flagged":
        return kept & (flags["n_soft_families"].fillna(0).astype(int) == 0)
    hard = flags["hard_reasons"].fillna("").astype(str).str.strip().ne("")
    return ~hard


def analysis_variant(
    ingested: pd.DataFrame,
    flags: pd.DataFrame,
    archival: pd.DataFrame | None,
    *,
    keep: str,
    method: str,
    items: list[str],
    bounds: dict,
    config: dict,
) -> pd.DataFrame:
    """The analysis data set under a screening rule and a missing-data treatment.

    ``ingested`` are all responses (the ingest step's output), ``flags`` the screening
    flags (one row per response, same respondent ids), ``archival`` the archival data
    (None for a study without: the treated responses are the analysis data).
    """
    ids = set(flags.loc[_keep_mask(flags, keep), RESPONDENT_ID].astype(str))
    rows = ingested[ingested[RESPONDENT_ID].astype(str).isin(ids)].reset_index(drop=True)
    miss = config.get("missing", {}) or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        treated, _ = treat_missing(
            rows,
            items=[i for i in items if i in rows.columns],
            method=method,
            max_item_missing=float(miss.get("mean_replacement_max_item_missing", 0.05)),
            strict=False,
            seed=config.get("seed"),
            bounds=bounds,
        )
    if archival is None:  # a study without archival data: the screened, treated responses
        return treated
    am = config.get("archival_merge", {}) or {}
    limits = am.get("winsorize", [0.01, 0.99])
    merged = merge_archival(
        treated,
        archival,
        winsorize_limits=(float(limits[0]), float(limits[1])),
        financials=list(am.get("financials", ["revenue_usd_th"])),
        survey_year=am.get("survey_year"),
    )
    return merged.data


@dataclass
class MultiverseResult:
    """Per-variant hypothesis verdicts and the paths of the data variants."""

    verdicts: pd.DataFrame
    paths: pd.DataFrame
    n: dict = field(default_factory=dict)
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["variant", "factor", "level", "reason"]))


class _Settings(TypedDict):
    """The estimation settings of a variant (keyword arguments of :func:`leanlearn.pls.engine.estimate`)."""

    scheme: str
    interaction: str
    consistent: bool
    max_iterations: int
    tolerance: float


def _settings(v: Variant, est_cfg: dict) -> _Settings:
    """The main analysis' estimation settings with the variant's choices."""
    return _Settings(
        scheme=v.scheme or est_cfg.get("scheme", "path"),
        interaction=v.interaction or est_cfg.get("interaction", "two_stage"),
        consistent=bool(est_cfg.get("consistent", False)) if v.consistent is None else v.consistent,
        max_iterations=int(est_cfg.get("max_iterations", 300)),
        tolerance=float(est_cfg.get("tolerance", 1e-7)),
    )


def _analysis_key(v: Variant, ctl_cfg: dict, est_cfg: dict) -> tuple:
    """What a variant's bootstrap depends on: its data variant, controls and estimation settings."""
    ctl = v.controls if v.controls is not None else ctl_cfg
    return (v.data_key, repr(ctl), tuple(sorted(_settings(v, est_cfg).items())))


def _bootstrap_variant(v: Variant, data_for, spec, ctl: dict, settings: _Settings, *, resamples: int, seed: int, workers: int, bca: bool):
    """Estimate and bootstrap a variant's analysis; a failure of a variant other than main is returned, not raised.

    The jackknife (for BCa intervals) runs only when ``bca``: when a variant sharing this
    bootstrap reads BCa bounds."""
    sp, d, _ = add_controls(
        spec, data_for(v.keep, v.missing), variables=list(ctl.get("variables", [])),
        targets=list(ctl.get("targets", spec.endogenous)), categorical=list(ctl.get("categorical", [])),
    )  # fmt: skip
    try:
        res = estimate(d, sp, assess=False, **settings)
        if not res.converged:
            raise ValueError(f"PLS did not converge within {settings['max_iterations']} iterations")
        return bootstrap(res, resamples=resamples, seed=seed, workers=workers, jackknife=bca)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, DataError, SpecError) as exc:
        if v.name == "main":
            raise
        return exc


def _variant_rows(v: Variant, boot: BootstrapResult, hypotheses) -> tuple[list[dict], list[dict]]:
    """The variant's verdict rows (one per hypothesis) and path rows (one per structural path)."""
    n = boot.result.n
    hyp = evaluate_hypotheses(boot, hypotheses, interval=v.interval)
    rows = [
        {"variant": v.name, "factor": v.factor, "level": v.level, "n": n, "hypothesis": r.hypothesis, "quantity": r.quantity,
         "estimate": r.estimate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "ci_level": r.ci_level,
         "interval": v.interval, "verdict": r.verdict}
        for r in hyp.itertuples()
    ]  # fmt: skip
    tab = boot.table("paths")
    lo, hi = ("bca_lower", "bca_upper") if v.interval == "bca" else ("ci_lower", "ci_upper")
    paths = [
        {"variant": v.name, "n": n, "source": s, "target": t, "estimate": e, "ci_lower": a, "ci_upper": b}
        for s, t, e, a, b in zip(tab.source, tab.target, tab.estimate, tab[lo], tab[hi])
    ]
    return rows, paths


def run_multiverse(
    variants: list[Variant],
    data_for,
    spec,
    config: dict,
    hypotheses,
    *,
    resamples: int,
    seed: int,
    workers: int = 1,
    progress=None,
) -> MultiverseResult:
    """Estimate and bootstrap every variant and test the hypotheses in each.

    ``data_for(keep, missing)`` returns the analysis data of a data variant (cached by the
    caller). Returns per variant × hypothesis: variant, factor, level, n, hypothesis,
    quantity, estimate, ci_lower, ci_upper, ci_level, interval, verdict, and the structural
    paths of every variant (variant, n, source, target, estimate, ci_lower, ci_upper).
    A variant other than ``main`` whose estimation fails (no convergence, a singular
    system, a data error) is left out and listed in ``skipped`` with the reason.
    Variants with the same data, controls and estimation settings (``interval=BCa`` and
    ``main``) share one bootstrap; only a bootstrap read with BCa intervals runs the jackknife
    (the percentile results are the same numbers with or without it).
    """
    est_cfg = config.get("estimation", {}) or {}
    ctl_cfg = _controls_config(config)
    boots: dict = {}
    rows: list[dict] = []
    path_rows: list[dict] = []
    ns: dict = {}
    skipped: list[Skipped] = []
    keys = [_analysis_key(v, ctl_cfg, est_cfg) for v in variants]
    bca_keys = {key for key, v in zip(keys, variants) if v.interval == "bca"}
    for k, (v, key) in enumerate(zip(variants, keys)):
        ctl = v.controls if v.controls is not None else ctl_cfg
        settings = _settings(v, est_cfg)
        if key not in boots:
            boots[key] = _bootstrap_variant(v, data_for, spec, ctl, settings, resamples=resamples, seed=seed, workers=workers, bca=key in bca_keys)
        boot = boots[key]
        if isinstance(boot, Exception):
            skipped.append(Skipped(v.name, v.factor, v.level, f"estimation failed: {boot}"))
        else:
            ns[v.name] = boot.result.n
            more, paths = _variant_rows(v, boot, hypotheses)
            rows += more
            path_rows += paths
        if progress:
            progress(k + 1, v.name)
    verdicts = pd.DataFrame(rows)
    main = verdicts[verdicts.variant == "main"].set_index("hypothesis").verdict
    verdicts["same_as_main"] = verdicts.verdict.eq(verdicts.hypothesis.map(main))
    return MultiverseResult(verdicts=verdicts, paths=pd.DataFrame(path_rows), n=ns, skipped=skipped_table(skipped))


def skipped_table(skipped) -> pd.DataFrame:
    """Skipped variants as a table: variant, factor, level, reason (one row each)."""
    rows = [{"variant": s.name, "factor": s.factor, "level": s.level, "reason": s.reason} for s in skipped]
    return pd.DataFrame(rows, columns=["variant", "factor", "level", "reason"])


def stability(verdicts: pd.DataFrame, *, min_agreement: float = 1.0) -> pd.DataFrame:
    """How many variants reach each hypothesis' main verdict, and whether it is fragile.

    Rule: a verdict is *fragile across the multiverse* when the share of alternative
    analyses (variants other than main) that reach the main verdict is below
    ``min_agreement`` (config ``inference.fragile_agreement``; default 1, so a single
    variant with another verdict makes it fragile). With no alternative variant there is
    no evidence either way and the flag is False.

    Columns: hypothesis, main_verdict, n_variants (excluding main), n_same, share_same,
    differing (variants with another verdict, ``;``-separated), fragile, min_agreement.
    """
    if not 0 < float(min_agreement) <= 1:
        raise ValueError(f"min_agreement must be a share in (0, 1], got {min_agreement!r}")
    rows = []
    for h, g in verdicts.groupby("hypothesis", sort=False):
        main = g[g.variant == "main"].verdict.iloc[0]
        other = g[g.variant != "main"]
        diff = other[~other.same_as_main].variant.tolist()
        share = float(other.same_as_main.mean()) if len(other) else np.nan
        rows.append(
            {"hypothesis": h, "main_verdict": main, "n_variants": len(other), "n_same": int(other.same_as_main.sum()),
             "share_same": share, "differing": "; ".join(diff),
             "fragile": bool(len(other) and share < float(min_agreement) - 1e-12), "min_agreement": float(min_agreement)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _true(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v) if not (isinstance(v, float) and np.isnan(v)) else False


def flag_fragile(hypotheses: pd.DataFrame, stab: pd.DataFrame | None) -> pd.DataFrame:
    """The hypotheses table with both fragility rules combined.

    A verdict is ``fragile`` when either rule holds:

    - *interval*: a bound of its test interval lies within ``inference.fragile_margin`` of
      zero (the ``fragile`` column written by :func:`leanlearn.effects.hypotheses.evaluate_hypotheses`);
    - *multiverse*: the share of alternative analyses reaching the same verdict is below
      ``inference.fragile_agreement`` (the ``fragile`` column of :func:`stability`).

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv`` (hypothesis, verdict, optionally fragile).
    stab : DataFrame or None
        ``multiverse_stability.csv``; None or empty when the multiverse did not run (then
        only the interval rule applies and ``fragile_multiverse`` is NA).

    Returns
    -------
    DataFrame: the input columns with ``fragile`` replaced by the combined flag, plus
    fragile_interval, fragile_multiverse (True / False, NA when the hypothesis is not in
    the multiverse), multiverse_n_same, multiverse_n_variants, multiverse_min_agreement and
    fragile_reason (plain words, "" when not fragile).
    """
    out = hypotheses.copy()
    interval = out["fragile"].map(_true) if "fragile" in out else pd.Series(False, index=out.index)
    rows = len(out)
    mv: list = [pd.NA] * rows
    n_same, n_var, agree = np.full(rows, np.nan), np.full(rows, np.nan), np.full(rows, np.nan)
    if stab is not None and len(stab) and {"hypothesis", "n_same", "n_variants"} <= set(stab.columns):
        by = stab.drop_duplicates("hypothesis").set_index("hypothesis")
        for i, h in enumerate(out["hypothesis"]):
            if h not in by.index:
                continue
            r = by.loc[h]
            level = float(r["min_agreement"]) if "min_agreement" in by and pd.notna(r["min_agreement"]) else 1.0
            nv, ns = int(r["n_variants"]), int(r["n_same"])
            n_same[i], n_var[i], agree[i] = ns, nv, level
            mv[i] = _true(r["fragile"]) if "fragile" in by else bool(nv and ns / nv < level - 1e-12)
    reasons = []
    for i, fragile_interval in enumerate(interval):
        parts = []
        if fragile_interval:
            parts.append("a bound of the interval is within the fragile margin of zero")
        if mv[i] is True:
            parts.append(f"only {int(n_same[i])} of {int(n_var[i])} alternative analyses reach the same verdict")
        reasons.append("; ".join(parts))
    out["fragile_interval"] = interval.astype(bool)
    out["fragile_multiverse"] = pd.Series(mv, index=out.index, dtype="object")
    out["fragile"] = [bool(a) or b is True for a, b in zip(interval, mv)]
    out["multiverse_n_same"] = pd.Series(n_same, index=out.index)
    out["multiverse_n_variants"] = pd.Series(n_var, index=out.index)
    out["multiverse_min_agreement"] = pd.Series(agree, index=out.index)
    out["fragile_reason"] = reasons
    return out


def sensitivity_paths(paths: pd.DataFrame, variants=("screening=no_flagged", "screening=hard_only")) -> pd.DataFrame:
    """Structural paths of the data variants next to the main analysis, with the differences.

    Columns: variant, n, source, target, estimate, ci_lower, ci_upper, main_estimate,
    difference (variant − main).
    """
    main = paths[paths.variant == "main"].set_index(["source", "target"]).estimate
    keep = paths[paths.variant.isin(("main",) + tuple(variants)) | paths.variant.str.startswith("missing=")].copy()
    keep["main_estimate"] = [main.get((s, t), np.nan) for s, t in zip(keep.source, keep.target)]
    keep["difference"] = keep.estimate - keep.main_estimate
    return keep.reset_index(drop=True)
