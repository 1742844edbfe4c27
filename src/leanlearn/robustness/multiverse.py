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

import numpy as np
import pandas as pd

from leanlearn.pls.bootstrap import bootstrap
from leanlearn.spec.codebook import RESPONDENT_ID
from leanlearn.data.controls import add_controls
from leanlearn.effects.hypotheses import evaluate_hypotheses
from leanlearn.data.merge import merge_archival
from leanlearn.data.missing import treat_missing
from leanlearn.pls.engine import estimate

__all__ = ["KEEP_RULES", "Variant", "default_variants", "analysis_variant", "run_multiverse", "stability", "sensitivity_paths"]

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


def default_variants(config: dict) -> list[Variant]:
    """The main analysis and one variant per alternative choice."""
    est = config.get("estimation", {}) or {}
    miss = config.get("missing", {}) or {}
    main_missing = miss.get("treatment", "mean")
    ctl = config.get("controls") or {}
    if isinstance(ctl, list):
        ctl = {"variables": ctl}
    out = [Variant("main", "main", "as configured")]
    for s in ("path", "factorial", "centroid"):
        if s != est.get("scheme", "path"):
            out.append(Variant(f"scheme={s}", "inner weighting scheme", s, scheme=s))
    for m in ("two_stage", "product_indicator", "orthogonal"):
        if m != est.get("interaction", "two_stage"):
            out.append(Variant(f"interaction={m}", "interaction term", m, interaction=m))
    consistent = bool(est.get("consistent", False))
    out.append(Variant(f"estimator={'PLS' if consistent else 'PLSc'}", "estimator", "PLS" if consistent else "PLSc", consistent=not consistent))
    out.append(Variant("interval=BCa", "interval type", "BCa", interval="bca"))
    for m in ("mean", "iterative", "listwise"):
        if m != main_missing:
            out.append(Variant(f"missing={m}", "missing-data treatment", m, missing=m))
    out.append(Variant("screening=no_flagged", "screening rule", "drop flagged-but-kept responses", keep="no_flagged"))
    out.append(Variant("screening=hard_only", "screening rule", "hard rules only", keep="hard_only"))
    if ctl.get("variables"):
        out.append(Variant("controls=none", "controls", "none", controls={"variables": []}))
    extra = [c for c in ("industry_group", "country") if c not in ctl.get("variables", [])]
    if extra:
        more = dict(ctl, variables=list(ctl.get("variables", [])) + extra, categorical=list(ctl.get("categorical", [])) + extra)
        out.append(Variant("controls=+industry,+country", "controls", "+ industry group and country dummies", controls=more))
    return out


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
    archival: pd.DataFrame,
    *,
    keep: str,
    method: str,
    items: list[str],
    bounds: dict,
    config: dict,
) -> pd.DataFrame:
    """The analysis data set under a screening rule and a missing-data treatment.

    ``ingested`` are all responses (the ingest step's output), ``flags`` the screening
    flags (one row per response, same respondent ids), ``archival`` the firm data.
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
    """
    est_cfg = config.get("estimation", {}) or {}
    ctl_cfg = config.get("controls") or {}
    if isinstance(ctl_cfg, list):
        ctl_cfg = {"variables": ctl_cfg}
    boot_cache: dict = {}
    rows, path_rows, ns = [], [], {}
    for k, v in enumerate(variants):
        data = data_for(v.keep, v.missing)
        ctl = v.controls if v.controls is not None else ctl_cfg
        sp, d, _ = add_controls(
            spec, data, variables=list(ctl.get("variables", [])), targets=list(ctl.get("targets", spec.endogenous)),
            categorical=list(ctl.get("categorical", [])),
        )
        settings = dict(
            scheme=v.scheme or est_cfg.get("scheme", "path"),
            interaction=v.interaction or est_cfg.get("interaction", "two_stage"),
            consistent=bool(est_cfg.get("consistent", False)) if v.consistent is None else v.consistent,
            max_iterations=int(est_cfg.get("max_iterations", 300)),
            tolerance=float(est_cfg.get("tolerance", 1e-7)),
        )
        key = (v.data_key, repr(ctl), tuple(sorted(settings.items())))
        if key not in boot_cache:
            res = estimate(d, sp, assess=False, **settings)
            boot_cache[key] = bootstrap(res, resamples=resamples, seed=seed, workers=workers)
        boot = boot_cache[key]
        ns[v.name] = boot.result.n
        hyp = evaluate_hypotheses(boot, hypotheses, interval=v.interval)
        for r in hyp.itertuples():
            rows.append(
                {
                    "variant": v.name, "factor": v.factor, "level": v.level, "n": boot.result.n,
                    "hypothesis": r.hypothesis, "quantity": r.quantity, "estimate": r.estimate,
                    "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "ci_level": r.ci_level,
                    "interval": v.interval, "verdict": r.verdict,
                }
            )
        tab = boot.table("paths")
        lo, hi = ("bca_lower", "bca_upper") if v.interval == "bca" else ("ci_lower", "ci_upper")
        for r in tab.itertuples():
            path_rows.append(
                {"variant": v.name, "n": boot.result.n, "source": r.source, "target": r.target,
                 "estimate": r.estimate, "ci_lower": getattr(r, lo), "ci_upper": getattr(r, hi)}
            )
        if progress:
            progress(k + 1, v.name)
    verdicts = pd.DataFrame(rows)
    main = verdicts[verdicts.variant == "main"].set_index("hypothesis").verdict
    verdicts["same_as_main"] = verdicts.verdict.eq(verdicts.hypothesis.map(main))
    return MultiverseResult(verdicts=verdicts, paths=pd.DataFrame(path_rows), n=ns)


def stability(verdicts: pd.DataFrame) -> pd.DataFrame:
    """How many variants reach each hypothesis' main verdict.

    Columns: hypothesis, main_verdict, n_variants (excluding main), n_same, share_same,
    differing (variants with another verdict, ``;``-separated).
    """
    rows = []
    for h, g in verdicts.groupby("hypothesis", sort=False):
        main = g[g.variant == "main"].verdict.iloc[0]
        other = g[g.variant != "main"]
        diff = other[~other.same_as_main].variant.tolist()
        rows.append(
            {"hypothesis": h, "main_verdict": main, "n_variants": len(other), "n_same": int(other.same_as_main.sum()),
             "share_same": float(other.same_as_main.mean()) if len(other) else np.nan, "differing": "; ".join(diff)}
        )
    return pd.DataFrame(rows)


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
