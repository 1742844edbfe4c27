"""Wall time of the whole pipeline on a large person-level survey, rule by rule.

Run from the repository root::

    python benchmarks/bench_pipeline.py [--n 3000] [--cores 2] [--out DIR] [--record FILE]

What it does:

1. writes a study folder (``DIR/study``) for a person-level survey of ``--n`` respondents
   with the 25 items of the bundled model (studies/lean/model.lav: LP, DIG, LS, OP and the
   two-stage interaction LP:DIG), drawn from leanlearn's population model
   (:func:`leanlearn.datasets.simulate.draw_items`); about 1 % of the item cells are left
   empty (skipped questions), one demographic covariate (``age``, numeric, a control of LS
   and OP) and one two-level categorical covariate (``plan``, the groups of MICOM and MGA).
   No archival data, no sampling frame. Everything else takes the defaults of the config
   schema (10,000 bootstrap resamples and so on): the settings a new user starts from;
2. runs ``snakemake --cores N --configfile study/config.yaml --directory DIR/run`` once,
   with one BLAS thread per process;
3. prints the wall time of every job (from Snakemake's own log: the time between a job's
   start and its "Finished job" line; jobs run side by side on N cores, so they do not add
   up to the total) and the total, and writes them to ``DIR/times.json``;
4. prints the CPU seconds (user + system, the process and the workers it waited for) of
   every ``python -m leanlearn VERB`` command the rules ran: the rules find ``python`` on
   ``PATH``, and the script puts a small launcher first on it (``DIR/launcher/python``) that
   starts the real interpreter, waits for it with ``os.wait4`` and appends the command, its
   wall time and its CPU seconds to ``DIR/commands.jsonl``. On a shared machine CPU seconds
   vary less than wall times. The load average (1, 5, 15 min) before and after the run is
   printed and stored too. ``--record FILE`` also writes ``times.json`` to FILE (e.g.
   ``benchmarks/results/pipeline.json``).

Times on a shared machine are noisy; compare runs made in the same conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODEBOOK_HEAD = """\
study: >-
  Benchmark survey (synthetic): lean practices, digitalisation, learning system and
  operational performance, one respondent per case.
unit: {name: respondent, plural: respondents}
source_format: plain
identifiers:
  respondent_id: ResponseId
scales:
  agree7:
    min: 1
    max: 7
    labels: {1: Strongly disagree, 4: Neither agree nor disagree, 7: Strongly agree}
constructs:
"""

CONFIG = """\
survey: export.csv
codebook: codebook.yaml
model: model.lav
seed: 2026
controls:
  variables: [age]
  targets: [LS, OP]
robustness:
  groups:
    column: plan
hypotheses:
  - {id: H1, statement: Lean practices are positively related to the learning system., test: path, source: LP, target: LS, direction: positive}
  - {id: H2, statement: The learning system is positively related to operational performance., test: path, source: LS, target: OP, direction: positive}
  - {id: H3, statement: The learning system mediates lean practices and operational performance., test: indirect, path: [LP, LS, OP], direction: positive}
  - {id: H4, statement: Digitalisation strengthens the effect of lean practices on the learning system., test: interaction, interaction: "LP:DIG", target: LS, direction: positive}
"""


def write_study(folder: Path, n: int, seed: int = 1) -> None:
    """The study folder: export.csv, codebook.yaml, model.lav, config.yaml."""
    import numpy as np

    from leanlearn.datasets.simulate import PopulationModel, draw_items

    folder.mkdir(parents=True, exist_ok=True)
    items = draw_items(n, PopulationModel(), seed=seed)
    constructs = {"LP": 8, "DIG": 6, "LS": 6, "OP": 5}
    cols = [f"{c}{i}" for c, k in constructs.items() for i in range(1, k + 1)]
    rng = np.random.default_rng(seed)
    out = items[cols].astype("Int64").astype(object)
    mask = rng.random(out.shape) < 0.01
    out = out.mask(mask, "")
    out.insert(0, "ResponseId", [f"R_{i:05d}" for i in range(1, n + 1)])
    out["age"] = rng.integers(1, 7, n)
    out["plan"] = np.where(rng.random(n) < 0.45, "Basic", "Premium")
    out.to_csv(folder / "export.csv", index=False)
    lines = [CODEBOOK_HEAD]
    for c, k in constructs.items():
        lines.append(f"  {c}:\n    label: {c}\n    scale: agree7\n    items:\n")
        for i in range(1, k + 1):
            lines.append(f"      - {{id: {c}{i}, column: {c}{i}, text: \"Item {i} of {c}\"}}\n")
    lines.append("covariates:\n  age: {column: age, type: numeric, text: Age group}\n"
                 "  plan: {column: plan, type: categorical, text: Plan}\nattention_checks: []\n")
    (folder / "codebook.yaml").write_text("".join(lines))
    model = "\n".join(l for l in (ROOT / "studies" / "lean" / "model.lav").read_text().splitlines()
                      if l.strip() and not l.lstrip().startswith("#"))
    (folder / "model.lav").write_text(model + "\n")
    (folder / "config.yaml").write_text(CONFIG)


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")


def job_times(log: str) -> dict[str, float]:
    """Seconds per job from a Snakemake log: 'rule NAME:' ... 'jobid: K' until 'Finished job K.'."""
    start: dict[str, tuple[str, datetime]] = {}
    times: dict[str, float] = {}
    now = None
    rule = None
    for line in log.splitlines():
        m = _STAMP.match(line)
        if m:
            now = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y")
            continue
        s = line.strip()
        r = re.match(r"^(?:local)?rule (\w+):", s)
        if r:
            rule = r.group(1)
            continue
        j = re.match(r"^jobid: (\d+)", s)
        if j and rule and now is not None:
            start[j.group(1)] = (rule, now)
            rule = None
            continue
        f = re.match(r"^Finished job(?:id:)? (\d+)", s)
        if f and f.group(1) in start and now is not None:
            name, t0 = start.pop(f.group(1))
            key = name if name not in times else f"{name}#{f.group(1)}"
            times[key] = (now - t0).total_seconds()
    return times


LAUNCHER = """\
#!{python}
# written by benchmarks/bench_pipeline.py: runs the real interpreter and records its CPU time
import json, os, sys, time
real = {python!r}
t0 = time.time()
pid = os.posix_spawn(real, [real] + sys.argv[1:], os.environ)
_, status, ru = os.wait4(pid, 0)
rec = {{"argv": sys.argv[1:], "cwd": os.getcwd(), "start": t0, "wall_s": time.time() - t0,
        "user_s": ru.ru_utime, "system_s": ru.ru_stime, "max_rss_kb": ru.ru_maxrss}}
with open({log!r}, "a") as fh:
    fh.write(json.dumps(rec) + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def command_name(argv: list[str]) -> str:
    """'leanlearn VERB' (and the sub-verb of power) of a recorded command, else the argv."""
    if argv[:2] == ["-m", "leanlearn"] and len(argv) > 2:
        verb = argv[2]
        if verb == "power" and len(argv) > 3 and not argv[3].startswith("-"):
            verb += " " + argv[3]
        return f"leanlearn {verb}"
    return " ".join(argv)[:40]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--record", type=Path, default=None, help="also write times.json to this file")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="leanlearn-bench-pipeline-"))
    write_study(out / "study", args.n)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               LEANLEARN_SALT="5f2c0a9e" * 8)  # a fixed salt; the survey has no personal data
    launcher = out / "launcher"
    launcher.mkdir(parents=True, exist_ok=True)
    commands = out / "commands.jsonl"
    commands.unlink(missing_ok=True)
    (launcher / "python").write_text(LAUNCHER.format(python=sys.executable, log=str(commands)))
    (launcher / "python").chmod(0o755)
    env["PATH"] = os.pathsep.join([str(launcher), str(Path(sys.executable).parent), env.get("PATH", "")])
    load_before = os.getloadavg()
    cpu0 = os.times()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "workflow" / "Snakefile"), "--cores", str(args.cores),
         "--configfile", str(out / "study" / "config.yaml"), "--directory", str(out / "run")],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    total = time.perf_counter() - t0
    cpu1 = os.times()
    load_after = os.getloadavg()
    cpu_total = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    log = proc.stderr + proc.stdout
    (out / "snakemake.log").write_text(log)
    times = job_times(log)
    for name, sec in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{name:24s} {sec:8.0f} s")
    print(f"{'total (wall)':24s} {total:8.0f} s   exit {proc.returncode}   n = {args.n}, cores = {args.cores}")
    cpu: dict[str, float] = {}
    if commands.exists():
        for line in commands.read_text().splitlines():
            rec = json.loads(line)
            name = command_name(rec["argv"])
            cpu[name] = cpu.get(name, 0.0) + rec["user_s"] + rec["system_s"]
    print("\nCPU seconds (user + system) per command:")
    for name, sec in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"{name:32s} {sec:8.1f} s")
    print(f"{'all (snakemake and its jobs)':32s} {cpu_total:8.1f} s")
    print("load average (1, 5, 15 min): before " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after " + ", ".join(f"{x:.2f}" for x in load_after))
    record = {"n": args.n, "cores": args.cores, "total_s": total, "returncode": proc.returncode,
              "jobs_s": times, "commands_cpu_s": cpu, "cpu_total_s": cpu_total,
              "load_average_before": list(load_before), "load_average_after": list(load_after),
              "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    (out / "times.json").write_text(json.dumps(record, indent=2))
    if args.record:
        args.record.write_text(json.dumps(record, indent=2) + "\n")
    print(f"log and times in {out}")
    if proc.returncode:
        print(log[-3000:], file=sys.stderr)
        sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
