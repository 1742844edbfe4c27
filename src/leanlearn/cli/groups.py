"""``leanlearn groups DATA MODEL --out DIR``: MICOM and permutation MGA across country clusters.

Countries (the ``--group-column``, default ``country``) are mapped to the clusters of the
config key ``robustness.region_clusters``; per-country analysis is infeasible at about 17
firms per country, and ``country_sizes.csv`` and ``notes.txt`` say so with numbers.

Output contract::

    group_sizes.csv            group, n
    country_sizes.csv          country, group, n, minimum_detectable_beta_one_tailed,
                               minimum_detectable_beta_two_tailed
    micom_configural.csv       group, check, met, detail                      (MICOM step 1)
    micom_compositional.csv    group_a, group_b, construct, c, critical_value, p_value, p_adjusted,
                               invariant, n_permutations                      (MICOM step 2)
    micom_means_variances.csv  group_a, group_b, construct, statistic, estimate, perm_lower,
                               perm_upper, p_value, p_adjusted, equal, n_permutations (step 3)
    micom_summary.csv          group_a, group_b, construct, configural, compositional, equal_mean,
                               equal_variance, invariance, mga_permitted, pooling_permitted
    mga.csv                    group_a, group_b, family, parameter, estimate_a, estimate_b,
                               difference, perm_lower, perm_upper, p_value, p_adjusted, significant,
                               n_permutations
    permutation_status.csv     group_a, group_b, permutations, valid, failed
    excluded_cases.csv         cases left out for a missing control value (controls are never imputed)
    notes.txt                  feasibility of per-country analysis, conventions, power caveats
    settings.json              provenance
"""

from __future__ import annotations

import json
import logging

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv
from leanlearn.cli._study import (
    add_estimation_arguments,
    estimation_settings_from_args,
    load_config,
    provenance,
    section,
    settings_json,
    study_data,
)

log = logging.getLogger("leanlearn.robustness.groups")


def register(sub) -> None:
    p = sub.add_parser(
        "groups",
        help="MICOM measurement invariance and permutation MGA across country clusters",
        description=(
            "Map countries to the clusters of robustness.region_clusters, then test measurement invariance of "
            "composites (MICOM, Henseler et al. 2016) and compare paths, indirect effects and the index of "
            "moderated mediation between every pair of clusters by permutation (Chin & Dibbern 2010)."
        ),
    )
    p.add_argument("data", help="analysis data (the merged, screened file: items, controls and the group column)")
    p.add_argument("model", help="model file in lavaan-style syntax")
    p.add_argument("--config", required=True, help="config.yaml (robustness.region_clusters, controls, estimation, seed)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--no-controls", action="store_true", help="compare the model without the configured controls")
    p.add_argument("--group-column", default=None, help="column with each firm's country (default: robustness.group_column or 'country')")
    p.add_argument("--no-clusters", action="store_true", help="use the column's values as the groups (no country-to-cluster mapping)")
    p.add_argument("--unassigned", choices=["error", "drop"], default="error", help="countries in no cluster: stop (default) or leave those firms out")
    p.add_argument("--permutations", type=int, default=None, help="permutations per pair (default: robustness.micom_permutations or 5000)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's seed)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--p-adjust", default="holm", choices=["holm", "bonferroni", "holm-sidak", "sidak", "hommel", "fdr_bh", "none"], help="adjustment over pairs of groups (default holm)")
    add_estimation_arguments(p)
    p.set_defaults(func=run)


def _without_group_controls(config: dict, column: str) -> dict:
    """The config without the group column among the controls: dummies of the grouping
    variable are constant within a group and cannot be estimated there."""
    ctl = config.get("controls")
    if not isinstance(ctl, dict) or column not in (ctl.get("variables") or []):
        if isinstance(ctl, list) and column in ctl:
            log.warning("control '%s' is the grouping variable; it is left out of the group models", column)
            return {**config, "controls": [c for c in ctl if c != column]}
        return config
    log.warning("control '%s' is the grouping variable; it is left out of the group models", column)
    ctl = {**ctl, "variables": [v for v in ctl["variables"] if v != column], "categorical": [v for v in ctl.get("categorical") or [] if v != column]}
    return {**config, "controls": ctl}


def run(args) -> int:
    from leanlearn.robustness.groups import assign_groups, compare_groups, country_feasibility, feasibility_note, region_clusters

    config, config_path = load_config(args.config)
    robust = section(config, "robustness")
    settings = estimation_settings_from_args(config, args)
    column = args.group_column or robust.get("group_column", "country")
    permutations = args.permutations if args.permutations is not None else int(robust.get("micom_permutations", 5000))
    seed = args.seed if args.seed is not None else config.get("seed")
    if permutations < 10:
        raise UserError("--permutations must be at least 10")

    config = _without_group_controls(config, column)
    data, spec, excluded, ctl = study_data(args.data, args.model, config, controls=not args.no_controls)
    if column not in data.columns:
        raise UserError(f"{args.data}: no group column '{column}' (set --group-column or robustness.group_column)")
    clusters = None
    if not args.no_clusters:
        if "region_clusters" not in robust:
            raise UserError(
                f"{config_path or 'config'}: robustness.region_clusters is not set; define the clusters "
                "(cluster name -> list of countries) or pass --no-clusters to compare the column's values directly"
            )
        with user_errors(config_path or "config"):
            clusters = region_clusters(robust["region_clusters"])
    with user_errors(args.data):
        groups = assign_groups(data[column], clusters, unassigned=args.unassigned)
        countries = country_feasibility(data[column], groups if clusters is not None else None)
        result = compare_groups(
            data, spec, groups=groups, settings=settings, permutations=permutations, seed=seed, alpha=args.alpha,
            p_adjust=args.p_adjust, group_order=list(clusters) if clusters else None, source=args.data,
        )  # fmt: skip
    notes = result.notes
    if clusters is not None:
        notes = feasibility_note(countries, result.group_sizes) + "\n\n" + notes
    log.info(
        "compared %d groups (%s) with %d permutations per pair",
        len(result.group_sizes), ", ".join(f"{g}: {n}" for g, n in zip(result.group_sizes.group, result.group_sizes.n)), permutations,
    )  # fmt: skip
    with atomic_dir(args.out) as tmp:
        write_csv(result.group_sizes, tmp / "group_sizes.csv")
        write_csv(countries, tmp / "country_sizes.csv")
        write_csv(result.configural, tmp / "micom_configural.csv")
        write_csv(result.compositional, tmp / "micom_compositional.csv")
        write_csv(result.means_variances, tmp / "micom_means_variances.csv")
        write_csv(result.invariance, tmp / "micom_summary.csv")
        write_csv(result.mga, tmp / "mga.csv")
        write_csv(result.status, tmp / "permutation_status.csv")
        if excluded is not None:
            write_csv(excluded, tmp / "excluded_cases.csv")
        (tmp / "notes.txt").write_text(notes + "\n", encoding="utf-8")
        rec = provenance(
            data=str(args.data), model=str(args.model), config=config_path, group_column=column,
            clusters={k: list(v) for k, v in clusters.items()} if clusters else None, unassigned=args.unassigned,
            controls=ctl, permutations=permutations, seed=seed, alpha=args.alpha, p_adjust=args.p_adjust,
            micom_step3_scores="pooled data, pooled-model weights (cSEM convention)", **settings_json(settings),
        )  # fmt: skip
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
