"""``leanlearn groups DATA MODEL --out DIR``: MICOM and permutation MGA across the configured groups.

The groups come from any categorical column of the analysis data, used as they are or
merged into clusters of its levels (config ``robustness.groups``)::

    robustness:
      groups:                     # or: groups: none  (the step is skipped with a note)
        column: country           # a categorical column of the analysis data
        clusters:                 # optional: label -> levels of the column
          Latin America: [Brazil, Mexico]
          ...
        unassigned: error         # error | drop: a level in no cluster
      micom_permutations: 5000
      mga_parameters: all         # all | paths | list of families (the MGA multiplicity family)
      mga_p_adjust: holm          # holm | fdr_bh | bonferroni | ... | none (across the whole family)
      mga_methods: [bootstrap]    # optional: also Henseler's bootstrap, parametric or Welch MGA
      mga_resamples: 5000         # bootstrap resamples per group for mga_methods

Without a grouping every output table is written empty (with its header) and
``notes.txt`` says that the step was skipped and why. ``level_sizes.csv`` and
``notes.txt`` state, with numbers, why small levels are merged into clusters.

Output contract::

    group_sizes.csv            group, n
    level_sizes.csv            level, group, n, minimum_detectable_beta_one_tailed,
                               minimum_detectable_beta_two_tailed
    micom_configural.csv       group, check, met, detail                      (MICOM step 1)
    micom_compositional.csv    group_a, group_b, construct, c, critical_value, p_value, invariant,
                               n_permutations                                 (MICOM step 2, raw p)
    micom_means_variances.csv  group_a, group_b, construct, statistic, estimate, permutation_lower,
                               permutation_upper, p_value, equal, detectable_80, n_permutations (step 3)
    micom_summary.csv          group_a, group_b, construct, n_a, n_b, configural, compositional,
                               equal_mean, equal_variance, invariance, mga_permitted,
                               pooling_permitted, statement
    mga.csv                    group_a, group_b, family, parameter, estimate_a, estimate_b,
                               difference, permutation_lower, permutation_upper, p_value, p_adjusted, significant,
                               family_size, n_permutations
    permutation_status.csv     group_a, group_b, n_permutations, valid, failed
    mga_<method>.csv           for every method of robustness.mga_methods: the columns of
                               leanlearn.robustness.groups.MGA_COLUMNS (as ``leanlearn mga``)
    excluded_cases.csv         cases left out for a missing control value (controls are never imputed)
    notes.txt                  the grouping, conventions, multiplicity family, power caveats
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

P_ADJUST = ["holm", "fdr_bh", "bonferroni", "holm-sidak", "sidak", "hommel", "none"]


def register(sub) -> None:
    p = sub.add_parser(
        "groups",
        help="MICOM measurement invariance and permutation MGA across the configured groups",
        description=(
            "Form groups from the categorical column of robustness.groups (optionally merged into clusters of its "
            "levels), then test measurement invariance of composites (MICOM, Henseler et al. 2016) and compare "
            "paths, indirect effects and the index of moderated mediation between every pair of groups by "
            "permutation (Chin & Dibbern 2010), adjusting across the whole family of tests. Without "
            "robustness.groups the step is skipped with a note."
        ),
    )
    p.add_argument("data", help="analysis data (the merged, screened file: items, controls and the group column)")
    p.add_argument("model", help="model file in lavaan-style syntax")
    p.add_argument("--config", required=True, help="config.yaml (robustness.groups, controls, estimation, seed)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--no-controls", action="store_true", help="compare the model without the configured controls")
    p.add_argument("--group-column", default=None, help="categorical column defining the groups (default: robustness.groups.column)")
    p.add_argument("--no-clusters", action="store_true", help="use the column's levels as the groups (ignore robustness.groups.clusters)")
    p.add_argument("--unassigned", choices=["error", "drop"], default=None, help="levels in no cluster: stop or leave those cases out (default: robustness.groups.unassigned or error)")
    p.add_argument("--permutations", type=int, default=None, help="permutations per pair (default: robustness.micom_permutations or 5000)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's seed)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--p-adjust", default=None, choices=P_ADJUST, help="MGA adjustment across the whole family (default: robustness.mga_p_adjust or holm)")
    p.add_argument("--parameters", default=None, help="MGA family: all, paths, or comma-separated families (default: robustness.mga_parameters or all)")
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


def _family_setting(value, where: str):
    from leanlearn.robustness.groups import MGA_FAMILIES

    if value is None:
        return "all"
    if isinstance(value, str) and "," in value:
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, str):
        if value in ("all", "paths") or value in MGA_FAMILIES:
            return value
    elif isinstance(value, list) and value and all(isinstance(v, str) and v in MGA_FAMILIES for v in value):
        return value
    raise UserError(f"{where}: expected all, paths or a list of {', '.join(MGA_FAMILIES)}, got {value!r}")


def _skipped(out, reason: str, record: dict) -> None:
    """Every output table empty (with its header) and a note saying why the step did not run."""
    import pandas as pd

    from leanlearn.robustness.groups import OUTPUT_COLUMNS

    with atomic_dir(out) as tmp:
        for name, cols in OUTPUT_COLUMNS.items():
            write_csv(pd.DataFrame(columns=cols), tmp / f"{name}.csv")
        (tmp / "notes.txt").write_text(f"Group comparison (MICOM, MGA) skipped: {reason}\n", encoding="utf-8")
        (tmp / "settings.json").write_text(json.dumps(provenance(skipped=reason, **record), indent=2) + "\n", encoding="utf-8")


def run(args) -> int:
    config, config_path = load_config(args.config)
    where = config_path or "config"
    robust = section(config, "robustness")
    settings = estimation_settings_from_args(config, args)
    opts = _options(args, config, robust, where)
    record = dict(data=str(args.data), model=str(args.model), config=config_path, seed=opts["seed"])
    gset = opts["groups"]
    if gset is None:
        reason = "no grouping is configured (robustness.groups is absent or none); set robustness.groups.column to a categorical column of the analysis data to compare groups."
        log.info("groups: %s", reason)
        _skipped(args.out, reason, record)
        return 0
    column = gset.column
    unassigned = args.unassigned or gset.unassigned
    clusters = None if args.no_clusters else gset.clusters
    data, spec, excluded, ctl = study_data(args.data, args.model, _without_group_controls(config, column), controls=not args.no_controls)
    if column not in data.columns:
        raise UserError(f"{args.data}: no group column '{column}' (robustness.groups.column); columns of the analysis data can be groups")
    result, extra, levels, resamples = _analyse(args, data, spec, settings, robust, opts, column, clusters, unassigned)
    log.info(
        "compared %d groups (%s) with %d permutations per pair; MGA family of %d tests (%s)",
        len(result.group_sizes), ", ".join(f"{g}: {n}" for g, n in zip(result.group_sizes.group, result.group_sizes.n)), opts["permutations"],
        result.family_size, opts["p_adjust"],
    )  # fmt: skip
    rec = provenance(
        **record, group_column=column, clusters={k: list(v) for k, v in clusters.items()} if clusters else None,
        unassigned=unassigned, controls=ctl, permutations=opts["permutations"], alpha=args.alpha, p_adjust=opts["p_adjust"],
        mga_parameters=opts["parameters"], mga_family_size=result.family_size, micom_adjustment="none (Henseler et al. 2016)",
        random_stream="leanlearn.random.stream(seed, 'permutation', pair)",
        micom_step3_scores="pooled data, pooled-model weights (cSEM convention)",
        mga_methods=["permutation", *extra], mga_resamples=resamples if extra else None, **settings_json(settings),
    )  # fmt: skip
    _write(args.out, result, extra, levels, excluded, _notes_text(result, extra, levels, column, clusters), rec)
    log.info("wrote %s", args.out)
    return 0


def _options(args, config: dict, robust: dict, where: str) -> dict:
    """The grouping, permutations, seed, p-value adjustment and MGA family, from the options or the config."""
    from leanlearn.robustness.groups import GroupSettings, group_settings

    with user_errors(where):
        gset = group_settings(robust.get("groups"))
    if args.group_column:
        gset = GroupSettings(column=args.group_column, clusters=gset.clusters if gset and gset.column == args.group_column else None, unassigned=gset.unassigned if gset else "error")
    permutations = args.permutations if args.permutations is not None else int(robust.get("micom_permutations", 5000))
    p_adjust = args.p_adjust or robust.get("mga_p_adjust", "holm")
    if p_adjust not in P_ADJUST:
        raise UserError(f"{where}: robustness.mga_p_adjust: expected one of {', '.join(P_ADJUST)}, got {p_adjust!r}")
    parameters = _family_setting(args.parameters if args.parameters is not None else robust.get("mga_parameters"), "--parameters" if args.parameters is not None else f"{where}: robustness.mga_parameters")
    if permutations < 10:
        raise UserError("--permutations must be at least 10")
    seed = args.seed if args.seed is not None else config.get("seed")
    return {"groups": gset, "permutations": permutations, "seed": seed, "p_adjust": p_adjust, "parameters": parameters}


def _analyse(args, data, spec, settings, robust: dict, opts: dict, column: str, clusters, unassigned: str):
    """MICOM and the permutation MGA (and the configured other MGA methods): (result, {method: MGAResult}, level sizes, resamples)."""
    from leanlearn.robustness.groups import assign_groups, compare_groups, level_feasibility, multigroup_analysis

    unit = "cases"
    order = list(clusters) if clusters else None
    common = dict(seed=opts["seed"], alpha=args.alpha, p_adjust=opts["p_adjust"], group_order=order, source=args.data, parameters=opts["parameters"], unit=unit)
    with user_errors(args.data):
        groups = assign_groups(data[column], clusters, unassigned=unassigned, column=column)
        levels = level_feasibility(data[column], groups if clusters is not None else None)
        result = compare_groups(data, spec, groups=groups, settings=settings, permutations=opts["permutations"], **common)
        extra: dict = {}
        resamples = int(robust.get("mga_resamples", 5000))
        for method in robust.get("mga_methods") or []:
            extra[method] = multigroup_analysis(data, spec, groups=groups, method=method, settings=settings, resamples=resamples, **common)
    return result, extra, levels, resamples


def _notes_text(result, extra: dict, levels, column: str, clusters) -> str:
    from leanlearn.robustness.groups import feasibility_note

    notes = f"Groups: {column}" + (f" merged into {len(clusters)} clusters ({', '.join(clusters)})." if clusters else " (its levels as groups).")
    notes += "\n\n" + result.notes
    for method, mres in extra.items():
        notes += f"\n\nmga_{method}.csv: " + mres.notes
    if clusters is not None:
        notes = feasibility_note(levels, result.group_sizes, column=column, unit="cases") + "\n\n" + notes
    return notes


def _write(out, result, extra: dict, levels, excluded, notes: str, rec: dict) -> None:
    with atomic_dir(out) as tmp:
        write_csv(result.group_sizes, tmp / "group_sizes.csv")
        write_csv(levels, tmp / "level_sizes.csv")
        write_csv(result.configural, tmp / "micom_configural.csv")
        write_csv(result.compositional, tmp / "micom_compositional.csv")
        write_csv(result.means_variances, tmp / "micom_means_variances.csv")
        write_csv(result.invariance, tmp / "micom_summary.csv")
        write_csv(result.mga, tmp / "mga.csv")
        write_csv(result.status, tmp / "permutation_status.csv")
        for method, mres in extra.items():
            write_csv(mres.table, tmp / f"mga_{method}.csv")
        if excluded is not None:
            write_csv(excluded, tmp / "excluded_cases.csv")
        (tmp / "notes.txt").write_text(notes + "\n", encoding="utf-8")
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
