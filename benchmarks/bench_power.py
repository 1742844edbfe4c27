"""CPU time of the Monte Carlo power stage at the default settings.

Run from the repository root (needs ``data/processed/analysis.csv``, e.g. after
``snakemake --cores 2 data/processed/analysis.csv``)::

    python benchmarks/bench_power.py [--config studies/lean/config.yaml] [--data data/processed/analysis.csv]

It runs what the workflow's power rules run, in this process and after the imports: for every
N of ``power.n_grid`` and every block, :func:`leanlearn.robustness.power.replicate_block`
with the configured population, hypotheses and settings; then the summary. It prints CPU and
wall seconds per N and in total (CPU time is the fair number on a shared machine). Start
it with one BLAS thread (``OPENBLAS_NUM_THREADS=1``) as the workflow does.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "studies" / "lean" / "config.yaml"))
    ap.add_argument("--data", default=str(ROOT / "data" / "processed" / "analysis.csv"))
    ap.add_argument("--model", default=str(ROOT / "studies" / "lean" / "model.lav"))
    a = ap.parse_args()

    from leanlearn.cli._io import read_yaml
    from leanlearn.cli._study import estimation_settings_from_args
    from leanlearn.cli.power import _population, power_config
    from leanlearn.effects.hypotheses import load_hypotheses
    from leanlearn.pls.engine import make_plan
    from leanlearn.robustness import power as P

    config = read_yaml(a.config)
    pw = power_config(config)
    args = SimpleNamespace(data=a.data, model=a.model, population=None, no_controls=False, loading_scale=None,
                           continuous=False, no_method_factor=False)  # fmt: skip
    settings = estimation_settings_from_args(config, args)
    c0, w0 = time.process_time(), time.time()
    pop, _ = _population(args, config, pw, settings)
    plan = make_plan(pop.spec, settings)
    hyps = load_hypotheses(config["hypotheses"]) if config.get("hypotheses") else []
    qs, _ = P.quantities_of_interest(pop.spec, plan, hypotheses=hyps, entries=pw.get("quantities"), sesoi=pw.get("sesoi"))
    print(f"population ({pop.source}) and quantities: {time.process_time() - c0:.2f} s CPU")
    frames = []
    for n in config["power"]["n_grid"]:
        c, w = time.process_time(), time.time()
        for b in range(int(config["power"]["blocks"])):
            frames.append(P.replicate_block(
                pop, n=int(n), seed=int(config.get("seed", 0)), block=b, replications=pw["replications_per_block"],
                quantities=qs, settings=settings, ci_level=pw["ci_level"], test=pw["test"], mc_draws=pw["mc_draws"],
                resamples=pw["resamples"],
            ))  # fmt: skip
        reps = int(config["power"]["blocks"]) * pw["replications_per_block"]
        print(f"N = {n}: {reps} replications x {len(qs)} quantities: {time.process_time() - c:.2f} s CPU, {time.time() - w:.2f} s wall")
    rows = pd.concat(frames, ignore_index=True)
    table = P.mark_coincident(P.summarize(rows), P.coincident_tests(rows))
    print(f"total: {time.process_time() - c0:.2f} s CPU, {time.time() - w0:.2f} s wall; {len(table)} power rows")


if __name__ == "__main__":
    main()
