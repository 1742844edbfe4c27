"""``leanlearn mga DATA MODEL --group COL --out DIR [--method M]``: multi-group analysis of any model.

Methods: ``permutation`` (Chin & Dibbern 2010; default), ``bootstrap`` (Henseler's PLS-MGA),
``parametric`` (pooled standard errors, Keil et al. 2000) and ``welch``
(Welch–Satterthwaite). With more than two groups every pair is compared; the p-values are
adjusted across the whole family (every parameter × every pair; Holm by default).

Output contract::

    mga.csv                group_a, group_b, method, family, parameter, estimate_a, estimate_b,
                           difference, std_error_a, std_error_b, statistic, df, null_lower,
                           null_upper, p_value_one_sided, p_value, p_adjusted, significant,
                           family_size, n_a, n_b, draws_a, draws_b
    group_sizes.csv        group, n
    resampling_status.csv  group (a pair for permutation), resamples, valid, failed
    notes.txt              method, multiplicity family, caveats
    settings.json          provenance
"""

from __future__ import annotations

import json
import logging

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv
from leanlearn.cli._study import provenance, settings_json
from leanlearn.cli.groups import P_ADJUST, _family_setting
from leanlearn.cli.micom import add_group_arguments, group_data, hoc_record

log = logging.getLogger("leanlearn.mga")


def register(sub) -> None:
    p = sub.add_parser(
        "mga",
        help="multi-group analysis (permutation, bootstrap, parametric or Welch) between the groups of a column",
        description=(
            "Compare paths, indirect effects and the index of moderated mediation between every pair of the groups "
            "given by a categorical column, by permutation (Chin & Dibbern 2010), Henseler's bootstrap PLS-MGA, the "
            "parametric t test or the Welch-Satterthwaite t test, adjusting across the whole family of tests."
        ),
    )
    add_group_arguments(p)
    p.add_argument("--method", choices=["permutation", "bootstrap", "parametric", "welch"], default="permutation")
    p.add_argument("--permutations", "--resamples", dest="resamples", type=int, default=5000,
                   help="permutations per pair (permutation) or bootstrap resamples per group (other methods); default 5000")  # fmt: skip
    p.add_argument("--p-adjust", default="holm", choices=P_ADJUST, help="adjustment across the whole family (default holm)")
    p.add_argument("--parameters", default="all", help="the family: all, paths, or comma-separated families (default all)")
    p.add_argument("--workers", type=int, default=1, help="worker processes for each group's bootstrap (results do not depend on it)")
    p.set_defaults(func=run)


def run(args) -> int:
    from leanlearn.robustness.groups import multigroup_analysis

    if args.resamples < 10:
        raise UserError(f"--permutations/--resamples must be a whole number of at least 10 (got {args.resamples})")
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1 (got {args.workers})")
    parameters = _family_setting(args.parameters, "--parameters")
    data, spec, labels, settings = group_data(args)
    with user_errors(args.data):
        res = multigroup_analysis(data, spec, groups=labels, method=args.method, settings=settings, resamples=args.resamples,
                                  seed=args.seed, alpha=args.alpha, p_adjust=args.p_adjust, parameters=parameters,
                                  source=args.data, workers=args.workers, hoc=args.hoc or "two_stage")  # fmt: skip
    log.info("MGA (%s) for %d groups of %s: family of %d tests", args.method, len(res.group_sizes), args.group, res.family_size)
    with atomic_dir(args.out) as tmp:
        write_csv(res.table, tmp / "mga.csv")
        write_csv(res.group_sizes, tmp / "group_sizes.csv")
        write_csv(res.status, tmp / "resampling_status.csv")
        (tmp / "notes.txt").write_text(f"Groups: the levels of {args.group}.\n\n{res.notes}\n", encoding="utf-8")
        stream = "leanlearn.random.stream(seed, 'permutation', pair)" if args.method == "permutation" else "leanlearn.random.stream(seed, 'bootstrap', 'mga', group)"
        rec = provenance(
            data=str(args.data), model=str(args.model), group_column=args.group, method=args.method, resamples=args.resamples,
            seed=args.seed, alpha=args.alpha, p_adjust=args.p_adjust, mga_parameters=parameters, mga_family_size=res.family_size,
            random_stream=stream, **settings_json(settings), **hoc_record(args, spec),
        )  # fmt: skip
        (tmp / "settings.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0
