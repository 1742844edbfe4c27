"""``leanlearn micom DATA MODEL --group COL --out DIR``: MICOM for any model and any grouping.

The engine's data/model contract (as ``leanlearn estimate``): a data file with the model's
items and a categorical column ``COL`` whose levels are the groups (cells left empty:
the case is in no group and left out, counted in the notes), and a model file. No config
and no controls. With more than two groups every pair is tested with permutations of that
pair's cases; MICOM p-values are not adjusted (docs/groups.md says why).

Output contract::

    group_sizes.csv            group, n
    micom_configural.csv       group, check, met, detail                              (step 1)
    micom_compositional.csv    group_a, group_b, construct, c, critical_value, p_value, invariant,
                               n_permutations                                         (step 2)
    micom_means_variances.csv  group_a, group_b, construct, statistic, estimate, permutation_lower,
                               permutation_upper, p_value, equal, detectable_80, n_permutations (step 3)
    micom_summary.csv          group_a, group_b, construct, n_a, n_b, configural, compositional,
                               equal_mean, equal_variance, invariance, mga_permitted,
                               pooling_permitted, statement
    permutation_status.csv     group_a, group_b, n_permutations, valid, failed
    notes.txt                  conventions and power caveats
    settings.json              provenance
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from leanlearn.cli._io import UserError, atomic_dir, read_model, user_errors, write_csv
from leanlearn.cli._study import add_estimation_arguments, estimation_settings_from_args, provenance, settings_json

log = logging.getLogger("leanlearn.micom")


def register(sub) -> None:
    p = sub.add_parser(
        "micom",
        help="measurement invariance of composites (MICOM steps 1-3) between the groups of a column",
        description=(
            "Test measurement invariance of composites (MICOM, Henseler, Ringle & Sarstedt 2016) between the groups "
            "given by a categorical column of the data: configural invariance, compositional invariance (c and the "
            "alpha quantile of its permutation distribution) and equal composite means and log variances (permutation "
            "intervals). Every pair of groups is tested; p-values are raw."
        ),
    )
    add_group_arguments(p)
    p.add_argument("--permutations", type=int, default=5000, help="permutations per pair of groups (default 5000)")
    p.set_defaults(func=run)


def add_group_arguments(p) -> None:
    """DATA MODEL --group COL --out DIR [--seed S] [--alpha A] and the estimation options."""
    p.add_argument("data", help="data file: the model's items and the group column (CSV, XLSX, SAV or DTA)")
    p.add_argument("model", help="model file in lavaan-style syntax")
    p.add_argument("--group", required=True, metavar="COL", help="categorical column whose levels are the groups")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=None, help="seed of the permutations / resamples (default: fresh entropy, recorded)")
    p.add_argument("--alpha", type=float, default=0.05, help="level of every decision (default 0.05)")
    p.add_argument("--hoc", choices=["two_stage", "embedded_two_stage", "repeated_indicators"], default=None,
                   help="approach for higher-order constructs (default two_stage): the groups are compared on the final stage's model")
    add_estimation_arguments(p)


def group_data(args):
    """(data, spec, labels, settings): the numbers of the data file, the model, the group
    labels as written in the file (empty cells missing) and the estimation settings."""
    from leanlearn.cli.estimate import read_data, read_numbers

    if not (0 < args.alpha < 0.5):
        raise UserError(f"--alpha must be between 0 and 0.5 (got {args.alpha})")
    settings = estimation_settings_from_args({}, args)
    spec = read_model(args.model)
    raw = read_data(args.data)
    if args.group not in raw.columns:
        raise UserError(f"{args.data}: no column '{args.group}' (--group); name a categorical column of this file")
    if args.group in spec.items:
        raise UserError(f"{args.data}: the group column '{args.group}' is an item of the model; name another column")
    text = raw[args.group].astype(object)
    labels = text.where(text.notna(), None).map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else str(v).strip())
    if args.hoc is not None and not spec.higher_order:
        raise UserError(f"{args.model}: --hoc {args.hoc} was given but the model has no higher-order construct; drop --hoc")
    data = read_numbers(args.data)
    return data, spec, pd.Series(labels.to_numpy(), index=data.index, dtype=object), settings


def hoc_record(args, spec) -> dict:
    """settings.json entries of a higher-order model (empty otherwise)."""
    if not spec.higher_order:
        return {}
    return {"hoc": args.hoc or "two_stage", "higher_order_constructs": {h.name: list(h.indicators) for h in spec.higher_order},
            "hoc_groups": "groups compared on the final stage's model; lower-order construct scores from stage 1 of the whole sample"}  # fmt: skip


def run(args) -> int:
    from leanlearn.robustness.groups import compare_groups

    if args.permutations < 10:
        raise UserError(f"--permutations must be a whole number of at least 10 (got {args.permutations})")
    data, spec, labels, settings = group_data(args)
    with user_errors(args.data):
        res = compare_groups(data, spec, groups=labels, settings=settings, permutations=args.permutations, seed=args.seed,
                             alpha=args.alpha, source=args.data, parameters="paths", hoc=args.hoc or "two_stage")  # fmt: skip
    log.info("MICOM for %d groups of %s with %d permutations per pair", len(res.group_sizes), args.group, args.permutations)
    micom_notes = res.notes.split(" MGA multiplicity family:")[0]  # the MGA part belongs to `leanlearn mga`
    with atomic_dir(args.out) as tmp:
        write_csv(res.group_sizes, tmp / "group_sizes.csv")
        write_csv(res.configural, tmp / "micom_configural.csv")
        write_csv(res.compositional, tmp / "micom_compositional.csv")
        write_csv(res.means_variances, tmp / "micom_means_variances.csv")
        write_csv(res.invariance, tmp / "micom_summary.csv")
        write_csv(res.status, tmp / "permutation_status.csv")
        (tmp / "notes.txt").write_text(f"Groups: the levels of {args.group}.\n\n{micom_notes}\n", encoding="utf-8")
        rec = provenance(
            data=str(args.data), model=str(args.model), group_column=args.group, permutations=args.permutations, seed=res.seed,
            alpha=args.alpha, micom_adjustment="none (Henseler et al. 2016)", random_stream="leanlearn.random.stream(seed, 'permutation', pair)",
            micom_step2="c on the pooled standardised items (Henseler et al. 2016, SmartPLS)",
            micom_step3_scores="pooled data, pooled-model weights (Henseler et al. 2016, cSEM)", **settings_json(settings),
            **hoc_record(args, spec),
        )  # fmt: skip
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
