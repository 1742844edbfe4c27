"""Side-by-side speed of PLS-SEM estimation + bootstrap: leanlearn vs the Python peers.

Run from the repository root (after ``pip install -e .[bench]``, or ``make bench``)::

    python benchmarks/bench_bootstrap.py [--repeats 3] [--peer-repeats 1] [--resamples 5000] [--quick]

Every configuration runs in a fresh Python process with one BLAS thread per process
(``OPENBLAS_NUM_THREADS=1`` etc.; BLAS threads fight the
process pool on 2 cores), and the wall-clock time of "estimate + bootstrap" is taken
inside that process, after imports. The table reports the median over repeats.

Models:
- corp_rep extended (Hair et al.): QUAL, PERF, CSOR, ATTR (Mode B) -> COMP, LIKE -> CUSA,
  CUSL; N = 344, 35 items, -99 as missing with mean replacement; 5,000 resamples.
- the study's model on data drawn from leanlearn's population model: N = 209, 25 items,
  LP x DIG two-stage interaction; 10,000 resamples.

Peers: the ``seminr`` Python port (0.2.1) and ``plspm`` (0.5.7). plspm does not run on
pandas 3; the script reports the error it raises instead of hiding it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "seminr" / "corp_rep_data.csv"

CORP_REP_EXTENDED = (ROOT / "tests" / "reference" / "models" / "corp_rep_extended.lav").read_text()


# ---- one configuration, inside a fresh process ---------------------------------------------
def run_leanlearn_corp_rep(workers: int, resamples: int) -> dict:
    import pandas as pd

    from leanlearn import bootstrap, estimate

    df = pd.read_csv(DATA)
    t0 = time.perf_counter()
    res = estimate(df, CORP_REP_EXTENDED, missing_value=-99)
    t1 = time.perf_counter()
    boot = bootstrap(res, resamples=resamples, seed=1, workers=workers)
    t2 = time.perf_counter()
    return {"estimate_s": t1 - t0, "total_s": t2 - t0, "valid": boot.n_valid}


def run_leanlearn_study(workers: int, resamples: int) -> dict:
    from leanlearn import bootstrap, estimate
    from leanlearn.datasets.simulate import PopulationModel, draw_items

    df = draw_items(209, PopulationModel(), seed=1)
    model = (ROOT / "studies" / "lean" / "model.lav").read_text()
    t0 = time.perf_counter()
    res = estimate(df, model)
    t1 = time.perf_counter()
    boot = bootstrap(res, resamples=resamples, seed=1, workers=workers)
    t2 = time.perf_counter()
    return {"estimate_s": t1 - t0, "total_s": t2 - t0, "valid": boot.n_valid}


def run_seminr(workers: int, resamples: int) -> dict:
    import warnings

    import pandas as pd
    import seminr as s

    warnings.simplefilter("ignore")
    df = pd.read_csv(DATA)
    mm = s.constructs(
        s.composite("QUAL", s.multi_items("qual_", range(1, 9)), weights=s.mode_B),
        s.composite("PERF", s.multi_items("perf_", range(1, 6)), weights=s.mode_B),
        s.composite("CSOR", s.multi_items("csor_", range(1, 6)), weights=s.mode_B),
        s.composite("ATTR", s.multi_items("attr_", range(1, 4)), weights=s.mode_B),
        s.composite("COMP", s.multi_items("comp_", range(1, 4))),
        s.composite("LIKE", s.multi_items("like_", range(1, 4))),
        s.composite("CUSA", s.single_item("cusa")),
        s.composite("CUSL", s.multi_items("cusl_", range(1, 4))),
    )
    sm = s.relationships(
        s.paths(from_=["QUAL", "PERF", "CSOR", "ATTR"], to=["COMP", "LIKE"]),
        s.paths(from_=["COMP", "LIKE"], to=["CUSA", "CUSL"]),
        s.paths(from_="CUSA", to="CUSL"),
    )
    t0 = time.perf_counter()
    model = s.estimate_pls(df, mm, sm, missing_value=-99)  # the number, not "-99" (PERFORMANCE.md)
    t1 = time.perf_counter()
    s.bootstrap_model(model, nboot=resamples, seed=1, cores=workers)
    t2 = time.perf_counter()
    return {"estimate_s": t1 - t0, "total_s": t2 - t0}


def run_plspm(workers: int, resamples: int) -> dict:
    import numpy as np
    import pandas as pd
    import plspm.config as c
    from plspm.mode import Mode
    from plspm.plspm import Plspm
    from plspm.scheme import Scheme

    df = pd.read_csv(DATA).replace(-99, np.nan)
    df = df.fillna(df.mean())
    structure = c.Structure()
    for t in ("COMP", "LIKE"):
        structure.add_path(["QUAL", "PERF", "CSOR", "ATTR"], [t])
    for t in ("CUSA", "CUSL"):
        structure.add_path(["COMP", "LIKE"], [t])
    structure.add_path(["CUSA"], ["CUSL"])
    config = c.Config(structure.path(), scaled=True)
    blocks = [("QUAL", "qual_", 8, Mode.B), ("PERF", "perf_", 5, Mode.B), ("CSOR", "csor_", 5, Mode.B), ("ATTR", "attr_", 3, Mode.B),
              ("COMP", "comp_", 3, Mode.A), ("LIKE", "like_", 3, Mode.A), ("CUSL", "cusl_", 3, Mode.A)]
    for name, prefix, k, mode in blocks:
        config.add_lv(name, mode, *[c.MV(f"{prefix}{i}") for i in range(1, k + 1)])
    config.add_lv("CUSA", Mode.A, c.MV("cusa"))
    t0 = time.perf_counter()
    Plspm(df, config, Scheme.PATH, bootstrap=True, bootstrap_iterations=resamples, processes=workers)
    return {"estimate_s": float("nan"), "total_s": time.perf_counter() - t0}


RUNNERS = {
    "leanlearn_corp_rep": run_leanlearn_corp_rep,
    "leanlearn_study": run_leanlearn_study,
    "seminr_corp_rep": run_seminr,
    "plspm_corp_rep": run_plspm,
}


# ---- the driver ---------------------------------------------------------------------------
def measure(name: str, workers: int, resamples: int, timeout: float) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--one", name, "--workers", str(workers), "--resamples", str(resamples)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if out.returncode != 0:
        lines = [l for l in out.stderr.strip().splitlines() if l.strip()]
        return {"error": lines[-1] if lines else f"exit code {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--resamples", type=int, default=5000, help="resamples for the corp_rep benchmark")
    ap.add_argument("--study-resamples", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per leanlearn configuration (median reported)")
    ap.add_argument("--peer-repeats", type=int, default=1, help="runs per peer configuration (they take minutes)")
    ap.add_argument("--peer-timeout", type=float, default=900)
    ap.add_argument("--quick", action="store_true", help="peers with 500 resamples, scaled to --resamples (for a fast look)")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(RUNNERS[args.one](args.workers, args.resamples)))
        return 0

    rows = []

    def record(tool, model, workers, resamples, repeats, timeout=600.0, scale_to=None):
        runs = [measure(f"{tool}_{model}", workers, resamples, timeout) for _ in range(repeats)]
        ok = [r for r in runs if "error" not in r]
        if not ok:
            rows.append((tool, model, workers, resamples, None, runs[0]["error"]))
            print(f"{tool:10s} {model:9s} workers={workers}: FAILED: {runs[0]['error']}", flush=True)
            return None
        total = statistics.median(r["total_s"] for r in ok)
        note = ""
        if scale_to:
            est = statistics.median(r["estimate_s"] for r in ok)
            total = est + (total - est) * scale_to / resamples
            note = f"measured with {resamples} resamples, scaled linearly to {scale_to}"
            resamples = scale_to
        rows.append((tool, model, workers, resamples, total, note))
        print(f"{tool:10s} {model:9s} workers={workers}: {total:8.3f} s  {note}", flush=True)
        return total

    ll = {w: record("leanlearn", "corp_rep", w, args.resamples, args.repeats) for w in (1, 2)}
    peer_res = 500 if args.quick else args.resamples
    scale = args.resamples if args.quick else None
    sem = {w: record("seminr", "corp_rep", w, peer_res, args.peer_repeats, args.peer_timeout, scale) for w in (1, 2)}
    record("plspm", "corp_rep", 1, 100, 1, args.peer_timeout, args.resamples)
    study = {w: record("leanlearn", "study", w, args.study_resamples, args.repeats) for w in (1, 2)}

    print("\n| tool | model | workers | resamples | seconds (estimate + bootstrap) | note |")
    print("|---|---|---|---|---|---|")
    for tool, model, w, r, t, note in rows:
        print(f"| {tool} | {model} | {w} | {r:,} | {'failed' if t is None else f'{t:.2f}'} | {note} |")
    peers = [t for t in sem.values() if t]
    best_ll = min(t for t in ll.values() if t)
    if peers:
        fastest = min(peers)
        print(f"\nleanlearn (best of 1/2 workers) vs the fastest peer (seminr port, best of 1/2 workers): {fastest / best_ll:.0f}x faster")
        for w in (1, 2):
            if ll.get(w) and sem.get(w):
                print(f"  with {w} worker(s): leanlearn {ll[w]:.2f} s, seminr port {sem[w]:.1f} s -> {sem[w] / ll[w]:.0f}x")
    if study.get(2):
        print(f"study model, {args.study_resamples:,} resamples on 2 workers: {study[2]:.2f} s (target < 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
