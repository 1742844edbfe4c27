"""What a user waits for: the ``leanlearn estimate`` command as a whole process against the
``seminr`` Python port, the in-process bootstrap, and the performance envelope.

Run from the repository root (``make bench`` runs it with the defaults)::

    python benchmarks/bench_cli.py [--repeats 3] [--seminr-resamples 5000] [--quick]

Three parts, each configuration in a fresh process with one BLAS thread per process
(``OPENBLAS_NUM_THREADS=1`` etc.: the bootstrap parallelises over processes):

1. **Whole process**, corp_rep extended (Hair et al. 2017; N = 344, 35 items, QUAL, PERF, CSOR,
   ATTR in Mode B, -99 as missing with mean replacement), 5,000 resamples: the wall-clock
   time of ``python -m leanlearn estimate DATA MODEL --missing-value -99 --resamples 5000 --seed 1
   --workers W --out DIR`` (start-up, imports, reading, estimation, bootstrap with BCa's
   jackknife, every table written), median of ``--repeats`` runs, for 1 and 2 workers;
   against a script that does the same with the seminr port (import, read the CSV,
   ``estimate_pls``, ``bootstrap_model(nboot=5000, cores=W)``) for 1 and 2 workers. The ratio
   compares the best setting of each. Both commands run once untimed first (10 resamples), so
   the timed runs find the bytecode caches written, as a user's second and later runs do
   (``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment). With ``--seminr-resamples R`` below 5,000 the port
   bootstraps R times and its bootstrap time is scaled linearly to 5,000 (said in the table).
2. **In-process** ``leanlearn.bootstrap(res, resamples=5000)`` on the same model, timed after
   the imports and the estimation, median of ``--repeats``; and the same for a study-shaped
   model: studies/lean/model.lav (25 items, the LP x DIG two-stage interaction) on N = 2,800
   cases drawn from leanlearn's population model, ``--study-resamples`` (default 10,000)
   resamples. Wall clock and CPU seconds (the process and its workers).
3. **Envelope**: bootstrap draws per second against the sample size N (100 ... 100,000), the
   number of items (10 ... 100; five reflective items per construct, constructs in a chain
   C1 -> C2 -> ... plus C1 -> last, data drawn from that population model) and the workers
   (1, 2), for leanlearn and the seminr port. Resamples per cell: min(200, max(20,
   2,000,000 / N)) for leanlearn, ``--envelope-seminr-resamples`` (default 20) for the port.
   Draws per second = resamples / wall-clock seconds of the bootstrap call (leanlearn's
   includes the leave-one-out jackknife for BCa, which the port does not compute). Every cell
   runs under a time cap (``--cell-timeout``) and a memory cap (``--cell-memory-gb``, the
   address-space limit of the cell's process); a cell that exceeds either is reported as such,
   and larger N for the same tool, items and workers are then not attempted.

Writes ``benchmarks/results/cli.csv`` (parts 1 and 2), ``benchmarks/results/envelope.csv``,
``benchmarks/results/speed.md`` (the tables as Markdown, with date, machine and settings) and
``docs/img/envelope.png``. Timings on a shared or busy machine are noisy; the machine's load
average before and after is recorded with the results.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "seminr" / "corp_rep_data.csv"
MODEL = ROOT / "tests" / "reference" / "models" / "corp_rep_extended.lav"
RESULTS = ROOT / "benchmarks" / "results"
PLOT = ROOT / "docs" / "img" / "envelope.png"
# one BLAS thread per process; bytecode caching on, as on a user's machine (some shells and CI images
# set PYTHONDONTWRITEBYTECODE, which makes every run compile the package from source again)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

ITEMS_PER_CONSTRUCT = 5
STUDY_N = 2800  # the study-shaped in-process case: N = 2,800, 25 items, one two-stage interaction


# ---- child processes ------------------------------------------------------------------------
SEMINR_CORP_REP = """
import sys, time, warnings
t0 = time.perf_counter()
import pandas as pd
import seminr as s
warnings.simplefilter("ignore")
df = pd.read_csv(sys.argv[1])
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
model = s.estimate_pls(df, mm, sm, missing_value=-99)
t1 = time.perf_counter()
s.bootstrap_model(model, nboot=int(sys.argv[2]), seed=1, cores=int(sys.argv[3]))
t2 = time.perf_counter()
print({"before_boot_s": t1 - t0, "boot_s": t2 - t1})
"""


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its reaped children (the pool's workers)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child_inprocess(workers: int, resamples: int, model: str = "corp_rep") -> dict:
    """Time ``leanlearn.bootstrap`` after the imports and the estimation: corp_rep extended, or
    (``model="study"``) the study's model (studies/lean/model.lav: 25 items, the LP x DIG
    two-stage interaction) on N = STUDY_N cases drawn from leanlearn's population model."""
    import pandas as pd

    from leanlearn import bootstrap, estimate

    if model == "study":
        from leanlearn.datasets.simulate import PopulationModel, draw_items

        res = estimate(draw_items(STUDY_N, PopulationModel(), seed=1), (ROOT / "studies" / "lean" / "model.lav").read_text())
    else:
        res = estimate(pd.read_csv(DATA), MODEL.read_text(), missing_value=-99)
    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    boot = bootstrap(res, resamples=resamples, seed=1, workers=workers)
    return {"boot_s": time.perf_counter() - t0, "cpu_s": _cpu_seconds() - c0, "valid": boot.n_valid}


def envelope_data(n: int, items: int, seed: int = 1):
    """Data and lavaan-style model for one envelope cell: ``items // 5`` constructs of five
    reflective items (loadings 0.8), latent chain C1 -> C2 -> ... with paths 0.4 (and C1 ->
    last); standard normal noise, so every construct is well identified."""
    import numpy as np
    import pandas as pd

    m = items // ITEMS_PER_CONSTRUCT
    rng = np.random.default_rng(seed)
    latent = np.empty((n, m))
    latent[:, 0] = rng.standard_normal(n)
    for j in range(1, m):
        latent[:, j] = 0.4 * latent[:, j - 1] + np.sqrt(1 - 0.16) * rng.standard_normal(n)
    cols = {}
    for j in range(m):
        for i in range(ITEMS_PER_CONSTRUCT):
            cols[f"c{j + 1}_{i + 1}"] = 0.8 * latent[:, j] + 0.6 * rng.standard_normal(n)
    lines = [f"C{j + 1} =~ " + " + ".join(f"c{j + 1}_{i + 1}" for i in range(ITEMS_PER_CONSTRUCT)) for j in range(m)]
    paths = [(f"C{j}", f"C{j + 1}") for j in range(1, m)]
    if m > 2:
        paths.append(("C1", f"C{m}"))
    for target in dict.fromkeys(t for _, t in paths):
        lines.append(f"{target} ~ " + " + ".join(src for src, t in paths if t == target))
    return pd.DataFrame(cols), "\n".join(lines) + "\n", paths, m


def child_envelope(tool: str, n: int, items: int, workers: int, resamples: int) -> dict:
    data, model, paths, m = envelope_data(n, items)
    if tool == "leanlearn":
        from leanlearn import bootstrap, estimate

        res = estimate(data, model)
        t0 = time.perf_counter()
        boot = bootstrap(res, resamples=resamples, seed=1, workers=workers)
        return {"boot_s": time.perf_counter() - t0, "valid": boot.n_valid}
    import warnings

    import seminr as s

    warnings.simplefilter("ignore")
    mm = s.constructs(*[s.composite(f"C{j + 1}", s.multi_items(f"c{j + 1}_", range(1, ITEMS_PER_CONSTRUCT + 1))) for j in range(m)])
    sm = s.relationships(*[s.paths(from_=src, to=t) for src, t in paths])
    fitted = s.estimate_pls(data, mm, sm)
    t0 = time.perf_counter()
    s.bootstrap_model(fitted, nboot=resamples, seed=1, cores=workers)
    return {"boot_s": time.perf_counter() - t0, "valid": resamples}


# ---- the driver -----------------------------------------------------------------------------
LAST_CPU = [float("nan")]


def run_capped(cmd: list[str], timeout: float, memory_gb: float | None = None, cwd: Path = ROOT):
    """Run ``cmd`` in its own process group; (wall-clock seconds, stdout, error or None). On
    timeout the whole group (with any worker processes) is killed. The CPU seconds (user +
    system, the process and its workers) of the last call are in ``LAST_CPU[0]``: on a busy
    machine they vary less than the wall clock."""

    def limit():  # in the child, before exec
        if memory_gb:
            import resource

            cap = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=cwd,
                            start_new_session=True, preexec_fn=limit if memory_gb else None)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, "", f"over the {timeout:.0f} s cap"
    except BaseException:  # Ctrl-C or SIGTERM of the driver: the cell's process group goes too
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {proc.returncode}"
        if "MemoryError" in err or "Unable to allocate" in err:
            last = f"over the {memory_gb:g} GB memory cap" if memory_gb else "out of memory"
        return None, out, last
    return seconds, out, None


def child_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


def warm_up(args) -> None:
    """One untimed run of each timed command (10 resamples): the bytecode caches are written and
    the files are in the page cache, as for a user's second and later runs."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    run_capped([sys.executable, "-m", "leanlearn", "estimate", str(DATA), str(MODEL), "--missing-value", "-99",
                "--resamples", "10", "--seed", "1", "--out", str(tmp / "out")], args.peer_timeout)
    shutil.rmtree(tmp, ignore_errors=True)
    run_capped([sys.executable, "-c", SEMINR_CORP_REP, str(DATA), "10", "1"], args.peer_timeout)


def whole_process(args) -> list[dict]:
    rows = []
    warm_up(args)
    for workers in (1, 2):
        times, cpus = [], []
        for _ in range(args.repeats):
            tmp = Path(tempfile.mkdtemp(prefix="bench_cli_"))
            cmd = [sys.executable, "-m", "leanlearn", "estimate", str(DATA), str(MODEL), "--missing-value", "-99",
                   "--resamples", str(args.resamples), "--seed", "1", "--workers", str(workers), "--out", str(tmp / "out")]
            seconds, _, error = run_capped(cmd, args.peer_timeout)
            shutil.rmtree(tmp, ignore_errors=True)
            if error:
                raise SystemExit(f"leanlearn estimate failed: {error}")
            times.append(seconds)
            cpus.append(LAST_CPU[0])
        rows.append({"part": "whole process", "tool": "leanlearn", "workers": workers, "resamples": args.resamples,
                     "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpus), "runs": len(times), "note": f"`python -m leanlearn estimate ... --resamples {args.resamples}`"})
        print(f"whole process  leanlearn   workers={workers}: {rows[-1]['seconds']:7.2f} s (median of {len(times)})", flush=True)
    r = args.seminr_resamples
    for workers in (1, 2):
        times, cpus, notes = [], [], ""
        for _ in range(args.peer_repeats):
            seconds, out, error = run_capped([sys.executable, "-c", SEMINR_CORP_REP, str(DATA), str(r), str(workers)], args.peer_timeout)
            if error:
                rows.append({"part": "whole process", "tool": "seminr port", "workers": workers, "resamples": args.resamples,
                             "seconds": float("nan"), "cpu_seconds": float("nan"), "runs": 0, "note": error})
                print(f"whole process  seminr port workers={workers}: failed: {error}", flush=True)
                break
            phases = child_json(out)
            cpu = LAST_CPU[0]
            if r != args.resamples:  # scale the bootstrap part linearly to the target count
                cpu = cpu * (seconds - phases["boot_s"] + phases["boot_s"] * args.resamples / r) / seconds
                seconds = seconds - phases["boot_s"] + phases["boot_s"] * args.resamples / r
                notes = f"bootstrap measured with {r:,} resamples, scaled linearly to {args.resamples:,}"
            times.append(seconds)
            cpus.append(cpu)
        if times:
            rows.append({"part": "whole process", "tool": "seminr port", "workers": workers, "resamples": args.resamples,
                         "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpus), "runs": len(times), "note": notes or "script: import, read, estimate_pls, bootstrap_model"})
            print(f"whole process  seminr port workers={workers}: {rows[-1]['seconds']:7.2f} s {notes}", flush=True)
    cases = [("corp_rep", args.resamples, "in-process bootstrap",
              f"`leanlearn.bootstrap(res, resamples={args.resamples})` after imports and estimation")]
    if args.study_resamples:
        cases.append(("study", args.study_resamples, "in-process bootstrap, study model",
                      f"studies/lean/model.lav (25 items, LP x DIG two-stage) on N = {STUDY_N:,} simulated cases; "
                      f"`leanlearn.bootstrap(res, resamples={args.study_resamples})`"))
    for model, resamples, part, note in cases:
        for workers in (1, 2):
            times, cpus = [], []
            for _ in range(args.repeats):
                seconds, out, error = run_capped([sys.executable, __file__, "--child-inprocess", str(workers), str(resamples), model], args.peer_timeout)
                if error:
                    raise SystemExit(f"in-process bootstrap failed: {error}")
                times.append(child_json(out)["boot_s"])
                cpus.append(child_json(out)["cpu_s"])
            rows.append({"part": part, "tool": "leanlearn", "workers": workers, "resamples": resamples,
                         "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpus), "runs": len(times), "note": note})
            print(f"{part}  leanlearn   workers={workers}: {rows[-1]['seconds']:7.2f} s, {rows[-1]['cpu_seconds']:.2f} CPU s (median of {len(times)})", flush=True)
    return rows


def envelope_resamples(tool: str, n: int, args) -> int:
    if tool == "seminr port":
        return args.envelope_seminr_resamples
    return min(200, max(20, 2_000_000 // n))


def envelope(args) -> list[dict]:
    rows = []
    for tool in ("leanlearn", "seminr port"):
        for workers in args.workers:
            for items in args.items:
                stopped = None
                for n in args.sizes:
                    resamples = envelope_resamples(tool, n, args)
                    row = {"tool": tool, "n": n, "items": items, "workers": workers, "resamples": resamples}
                    if stopped:
                        rows.append(row | {"seconds": float("nan"), "draws_per_second": float("nan"), "status": f"not run ({stopped} at a smaller N)"})
                        continue
                    cmd = [sys.executable, __file__, "--child-envelope", "leanlearn" if tool == "leanlearn" else "seminr",
                           str(n), str(items), str(workers), str(resamples)]
                    _, out, error = run_capped(cmd, args.cell_timeout, args.cell_memory_gb)
                    if error:
                        stopped = error
                        rows.append(row | {"seconds": float("nan"), "draws_per_second": float("nan"), "status": error})
                        print(f"envelope {tool:11s} N={n:>6} items={items:>3} workers={workers}: {error}", flush=True)
                        continue
                    boot_s = child_json(out)["boot_s"]
                    rows.append(row | {"seconds": boot_s, "draws_per_second": resamples / boot_s, "status": "ok"})
                    print(f"envelope {tool:11s} N={n:>6} items={items:>3} workers={workers}: {resamples / boot_s:9.1f} draws/s "
                          f"({resamples} in {boot_s:.2f} s)", flush=True)
    return rows


def plot(rows: list[dict], path: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = sorted({r["items"] for r in rows})
    workers = sorted({r["workers"] for r in rows})
    fig, axes = plt.subplots(1, len(workers), figsize=(5.2 * len(workers), 4.2), sharey=True, squeeze=False)
    colours = plt.get_cmap("viridis")
    for ax, w in zip(axes[0], workers):
        for k, it in enumerate(items):
            colour = colours(k / max(1, len(items) - 1) * 0.85)
            for tool, style, marker in (("leanlearn", "-", "o"), ("seminr port", "--", "s")):
                pts = [(r["n"], r["draws_per_second"]) for r in rows
                       if r["tool"] == tool and r["items"] == it and r["workers"] == w and r["status"] == "ok"]
                if pts:
                    ax.plot(*zip(*pts), style, marker=marker, color=colour, label=f"{tool}, {it} items")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sample size N")
        ax.set_title(f"{w} worker{'s' if w > 1 else ''}")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("bootstrap draws per second")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    import textwrap

    width = 70 * len(workers)
    fig.suptitle("Bootstrap throughput: leanlearn vs the seminr port\n" + "\n".join(textwrap.fill(part, width) for part in subtitle.split("\n")),
                 fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("leanlearn", "seminr", "numpy", "pandas", "scipy"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def markdown(cli_rows: list[dict], env_rows: list[dict], header: str, command: str) -> str:
    lines = [header, "", f"Command: `{command}`", "",
             "| what | tool | workers | resamples | seconds (wall clock) | CPU seconds | note |", "|---|---|---|---|---|---|---|"]
    for r in cli_rows:
        secs = "failed" if r["seconds"] != r["seconds"] else f"{r['seconds']:.2f}"
        cpu = "—" if r["cpu_seconds"] != r["cpu_seconds"] else f"{r['cpu_seconds']:.2f}"
        lines.append(f"| {r['part']} | {r['tool']} | {r['workers']} | {r['resamples']:,} | {secs} | {cpu} | {r['note']} |")
    ll = [r["seconds"] for r in cli_rows if r["part"] == "whole process" and r["tool"] == "leanlearn"]
    sem = [r["seconds"] for r in cli_rows if r["part"] == "whole process" and r["tool"] == "seminr port" and r["seconds"] == r["seconds"]]
    if ll and sem:
        lines += ["", f"Whole process, best setting of each: leanlearn {min(ll):.2f} s, seminr port {min(sem):.1f} s: "
                  f"**{min(sem) / min(ll):.0f}x** (wall clock)."]
        llc = [r["cpu_seconds"] for r in cli_rows if r["part"] == "whole process" and r["tool"] == "leanlearn"]
        semc = [r["cpu_seconds"] for r in cli_rows if r["part"] == "whole process" and r["tool"] == "seminr port" and r["seconds"] == r["seconds"]]
        lines[-1] += f" In CPU seconds (less sensitive to a busy machine): {min(semc) / min(llc):.0f}x."
    if not env_rows:
        return "\n".join(lines) + "\n"
    lines += ["", "Envelope (bootstrap draws per second; leanlearn's time includes the jackknife for BCa):", "",
              "| tool | items | workers | " + " | ".join(f"N = {n:,}" for n in sorted({r['n'] for r in env_rows})) + " |",
              "|---|---|---|" + "---|" * len({r["n"] for r in env_rows})]
    keys = list(dict.fromkeys((r["tool"], r["items"], r["workers"]) for r in env_rows))
    for tool, items, workers in keys:
        cells = []
        for r in sorted((r for r in env_rows if (r["tool"], r["items"], r["workers"]) == (tool, items, workers)), key=lambda r: r["n"]):
            cells.append(f"{r['draws_per_second']:,.0f}" if r["status"] == "ok" else "—")
        lines.append(f"| {tool} | {items} | {workers} | " + " | ".join(cells) + " |")
    lines += ["", "— : over the time or memory cap (see envelope.csv, column status), or not run after a smaller N was."]
    return "\n".join(lines) + "\n"


def _terminate(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child-inprocess", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--child-envelope", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--resamples", type=int, default=5000, help="resamples of the whole-process and in-process runs (default 5000)")
    ap.add_argument("--study-resamples", type=int, default=10000,
                    help=f"resamples of the in-process study-model case at N = {STUDY_N:,} (default 10000; 0 skips it)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per leanlearn configuration; the median is reported (default 3)")
    ap.add_argument("--seminr-resamples", type=int, default=5000,
                    help="resamples of the port's whole-process run; below --resamples its bootstrap time is scaled linearly (default 5000)")
    ap.add_argument("--peer-repeats", type=int, default=1, help="runs per seminr-port configuration (default 1; each takes a minute or more)")
    ap.add_argument("--peer-timeout", type=float, default=1200, help="seconds before a whole-process run is stopped (default 1200)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 100000], help="envelope sample sizes")
    ap.add_argument("--items", type=int, nargs="+", default=[10, 30, 100], help="envelope item counts (multiples of 5)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="envelope worker counts")
    ap.add_argument("--envelope-seminr-resamples", type=int, default=20, help="resamples per envelope cell for the port (default 20)")
    ap.add_argument("--cell-timeout", type=float, default=60, help="seconds per envelope cell (default 60)")
    ap.add_argument("--cell-memory-gb", type=float, default=4, help="address-space cap per envelope cell in GB (default 4)")
    ap.add_argument("--quick", action="store_true", help="a fast look: --repeats 1 --seminr-resamples 500 --cell-timeout 30")
    ap.add_argument("--skip-envelope", action="store_true", help="parts 1 and 2 only")
    ap.add_argument("--plot-only", metavar="SUBTITLE", help="redraw docs/img/envelope.png from benchmarks/results/envelope.csv, with this subtitle")
    args = ap.parse_args()
    if args.child_inprocess:
        workers, resamples, model = args.child_inprocess
        print(json.dumps(child_inprocess(int(workers), int(resamples), model)))
        return 0
    if args.child_envelope:
        tool, n, items, workers, resamples = args.child_envelope
        print(json.dumps(child_envelope(tool, int(n), int(items), int(workers), int(resamples))))
        return 0
    if args.plot_only is not None:
        with (RESULTS / "envelope.csv").open(encoding="utf-8") as fh:
            rows = [{k: v if k in ("tool", "status") else int(v) if k in ("n", "items", "workers", "resamples") else float(v)
                     for k, v in r.items()} for r in csv.DictReader(fh)]
        plot(rows, PLOT, args.plot_only.replace("\\n", "\n"))
        print(f"wrote {PLOT}")
        return 0
    if args.quick:
        args.repeats, args.seminr_resamples, args.cell_timeout = 1, 500, 30
    if any(i % ITEMS_PER_CONSTRUCT or i < 2 * ITEMS_PER_CONSTRUCT for i in args.items):
        ap.error(f"--items must be multiples of {ITEMS_PER_CONSTRUCT}, at least {2 * ITEMS_PER_CONSTRUCT}")

    started = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    cli_rows = whole_process(args)
    env_rows = [] if args.skip_envelope else envelope(args)
    load_after = os.getloadavg()
    header = (f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; {versions()}. Load average (1 min) "
              f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; one BLAS thread per process.")
    command = "python benchmarks/bench_cli.py " + " ".join(sys.argv[1:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_csv(cli_rows, RESULTS / "cli.csv")
    if env_rows:
        write_csv(env_rows, RESULTS / "envelope.csv")
        plot(env_rows, PLOT, f"{started:%Y-%m-%d}, {machine()}\n{command.strip()}")
    text = markdown(cli_rows, env_rows, header, command.strip())
    (RESULTS / "speed.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"wrote {RESULTS / 'cli.csv'}" + (f", {RESULTS / 'envelope.csv'}, {PLOT}" if env_rows else "") + f", {RESULTS / 'speed.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
