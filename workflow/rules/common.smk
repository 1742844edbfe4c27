# Shared by all rule files; the study's effective config and the paths the rules use.
#
# The study is the config file passed with --configfile (default: studies/lean/config.yaml
# next to this workflow). Paths in a config file are relative to that file's folder; paths
# given with --config on the command line are relative to the working directory. The
# merged config is validated against workflow/schemas/config.schema.yaml (defaults filled
# in) before any rule is scheduled, and every input file it names must exist.

import os
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config, validate

from leanlearn.errors import SpecError
from leanlearn.spec.config import OPTIONAL_INPUTS, command_line_scalars, relative_paths, resolve_paths, validate_config

DEFAULT_STUDY = os.path.normpath(os.path.join(workflow.basedir, "..", "studies", "lean", "config.yaml"))
REQUIRED_INPUTS = ("survey", "codebook", "model")


def _read_study_config():
    """Config files (resolved to the working directory) merged in order, then --config."""
    files = [str(f) for f in workflow.config_settings.configfiles] or [DEFAULT_STUDY]
    merged = {}
    for path in files:
        if not os.path.isfile(path):
            raise WorkflowError(f"config file not found: {path}")
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise WorkflowError(f"{path}: expected a mapping of keys to values at the top level")
        update_config(merged, resolve_paths(data, os.path.dirname(os.path.abspath(path))))
    update_config(merged, command_line_scalars(dict(workflow.config_settings.config or {})))
    return merged, files


def _effective_config():
    merged, files = _read_study_config()
    try:
        source = " + ".join(files) + (" + --config" if workflow.config_settings.config else "")
        effective = validate_config(merged, source=source)
    except SpecError as exc:
        raise WorkflowError(f"invalid config: {exc}") from None
    validate(effective, "../schemas/config.schema.yaml")
    for key in REQUIRED_INPUTS:
        if not effective.get(key):
            raise WorkflowError(f"config key '{key}' is missing: name the study's {key} file in {files[-1]}")
    for key in REQUIRED_INPUTS + OPTIONAL_INPUTS:
        path = effective.get(key)
        if path and not os.path.isfile(path):
            raise WorkflowError(
                f"config key '{key}': file not found: {path} (paths in a config file are relative to its "
                "folder; paths given with --config to the working directory)"
            )
    return effective, files


_effective, STUDY_CONFIGFILES = _effective_config()
config.clear()
config.update(_effective)

# results/config.yaml: the effective config every verb reads (paths relative to results/).
# It is written when the run starts (onstart, not in a dry run), and only when its content
# changes, so that its time stamp says when the config last changed. It is not a rule's
# input: each rule lists the config sections it uses as params, so that a change reruns
# the rules that use it (and what depends on them), not everything.
CONFIG = "results/config.yaml"
EFFECTIVE_TEXT = (
    "# The effective, validated config of this run (written by the workflow; do not edit).\n"
    "# Paths are relative to this file's folder.\n"
    + yaml.safe_dump(relative_paths(config, "results"), sort_keys=False, allow_unicode=True, width=100)
)

def write_effective_config():
    path = Path(CONFIG)
    if path.is_file() and path.read_text(encoding="utf-8") == EFFECTIVE_TEXT:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(EFFECTIVE_TEXT, encoding="utf-8")
    os.replace(tmp, path)


HAS_ARCHIVAL = bool(config.get("archival"))
HAS_FRAME = bool(config.get("sampling_frame"))
if not HAS_ARCHIVAL:
    logger.info("no archival data configured: the merge step and archival controls are skipped")
if not HAS_FRAME:
    logger.info("no sampling frame configured: the frame-based non-response check is skipped")


def generic_manuscript():
    """The generic manuscript template shipped with leanlearn (used when the study names none)."""
    from importlib import resources

    path = resources.files("leanlearn.report") / "templates" / "manuscript.md"
    if not path.is_file():
        raise WorkflowError("the config names no manuscript and this leanlearn has no generic template; set 'manuscript:'")
    return str(path)


MANUSCRIPT = config.get("manuscript") or generic_manuscript()
WORKERS = int(config["bootstrap"]["workers"])
ROBUST = config.get("robustness", {})
HOC = {"run": False, "method": "two_stage", "data": "analysis", "n": 209, "resamples": 2000, **(ROBUST.get("higher_order") or {})}
HOC_RUN = bool(HOC["run"])
if HOC_RUN and not config.get("hoc_model"):
    raise WorkflowError("robustness.higher_order.run is true but the config names no hoc_model: name the model file with higher-order constructs")
POWER = config.get("power", {})
# the power fan-out: one power_replicate job per (N, block), each with replications_per_block
# replications (replication r at N draws from its own stream, docs/randomness.md, so results do
# not depend on how the replications are split into blocks; the blocks column does)
N_GRID = [int(n) for n in POWER.get("n_grid", [209])]
BLOCKS = range(int(POWER.get("blocks", 1)))
POWER_REPLICATIONS = int(POWER.get("replications_per_block") or 500)
ENV = "../envs/leanlearn.yaml"


# ---- resources (docs/cluster.md) ----------------------------------------------------------
# What each job asks the scheduler for -- mem_mb (MB), runtime (minutes of wall-clock time) and
# threads (cores; SLURM's cpus-per-task). On the bundled study (260 responses, 10,000
# resamples) every verb stays under 600 MB and two CPU minutes per process; the built-in sizes
# below leave room for surveys some ten times larger: at least 1 GB and 10 minutes, more for
# the resampling steps; the rules with bootstrap workers ask for their memory per worker, and
# power_replicate's size follows the power section (power_job_size). The config's
# `resources:` section overrides any of them, per rule or for every rule ('default'), and a
# profile's set-resources / set-threads beat both. Memory and time double on each retry
# (attempt 2, 3, ...; the SLURM profile retries once), so a job killed for exceeding its
# request gets a second chance with twice as much. Nothing here changes a result: the verbs
# write the same bytes whatever they are given.
RESOURCES = config.get("resources") or {}
BUILTIN_RESOURCES = {
    # rule: (mem_mb, runtime in minutes); per worker for the rules in WORKER_RULES
    "default": (1000, 10),
    "screen": (1000, 15),
    "bias": (1500, 30),
    "measurement": (1500, 30),
    "hypotheses": (1500, 30),
    "process": (1000, 20),
    "multiverse": (2000, 120),
    "predict": (1000, 30),
    "endogeneity": (1000, 30),
    "groups": (1000, 60),
    "cbsem": (1000, 20),
    "report": (1500, 20),
    "higher_order": (1500, 30),
    "nca": (1000, 30),
    "fimix": (1000, 30),
    "cvpat": (1500, 30),
}
# rules whose verb takes --workers: their threads default to bootstrap.workers
WORKER_RULES = ("hypotheses", "measurement", "multiverse", "higher_order")


def _configured(name, key):
    """The config's value of a resource key for one rule: its own entry, else 'default', else None."""
    for section in (RESOURCES.get(name) or {}, RESOURCES.get("default") or {}):
        if section.get(key) is not None:
            return int(section[key])
    return None


def _model_items():
    """Indicators in the model (sizes the power replications' memory); 50 when it cannot be read."""
    from leanlearn.spec.model import parse_model

    try:
        return len(parse_model(Path(config["model"]).read_text(encoding="utf-8")).items)
    except Exception:  # the verbs report a bad model with a proper message; here it only sizes jobs
        return 50


MODEL_ITEMS = _model_items()


def power_job_size(n):
    """(mem_mb, runtime in minutes) of one power_replicate job at sample size n.

    Measured on the bundled study (27 columns): the process holds about 250 MB plus seven
    copies of one engine batch (min(replications, 250) data sets of n x items doubles);
    the Monte Carlo test costs about 2e-5 CPU seconds per replication and respondent, the
    bootstrap test about (5e-4 + 2e-6 n) seconds per resample of each replication. The
    request is 1.5 times the memory and ten times the time, at least 1 GB and 10 minutes.
    """
    items = MODEL_ITEMS + len((config.get("controls") or {}).get("variables") or [])
    batch = min(POWER_REPLICATIONS, 250) * int(n) * items * 8 / 1e6
    mem = 1.5 * (250 + 7 * batch)
    if POWER.get("test") == "bootstrap":
        resamples = int(POWER.get("resamples") or 1999)
        seconds = 5 + POWER_REPLICATIONS * resamples * (5e-4 + 2e-6 * int(n)) * items / 27
    else:
        seconds = 5 + 2e-5 * POWER_REPLICATIONS * int(n) * items / 27
    return max(1000, int(-(-mem // 100) * 100)), max(10, int(-(-10 * seconds // 60)))


def _builtin(name, key, wildcards, threads):
    if name == "power_replicate":
        mem, minutes = power_job_size(int(wildcards.n))
    else:
        mem, minutes = BUILTIN_RESOURCES.get(name, BUILTIN_RESOURCES["default"])
        if name in WORKER_RULES:
            mem *= int(threads)
    return mem if key == "mem_mb" else minutes


def rule_mem_mb(name):
    """mem_mb of a rule's job: config, else built-in (per worker where it has workers); doubled on each retry."""
    def mem_mb(wildcards, threads, attempt):
        base = _configured(name, "mem_mb") or _builtin(name, "mem_mb", wildcards, threads)
        return base * 2 ** (attempt - 1)
    return mem_mb


def rule_runtime(name):
    """runtime (minutes) of a rule's job: config, else built-in; doubled on each retry."""
    def runtime(wildcards, threads, attempt):
        base = _configured(name, "runtime") or _builtin(name, "runtime", wildcards, threads)
        return base * 2 ** (attempt - 1)
    return runtime


def rule_threads(name):
    """threads of a rule's job: config, else bootstrap.workers for the rules with workers, else 1."""
    return _configured(name, "threads") or (WORKERS if name in WORKER_RULES else 1)


# the analysis data: screened responses merged with the archival data, or the screened
# responses themselves for a study without archival data
ANALYSIS = "data/processed/analysis.csv" if HAS_ARCHIVAL else "data/processed/survey_clean.csv"
# multiple imputation (missing.treatment: multiple): measurement and hypotheses impute the
# untreated answers M times and pool; every other step reads the single imputation in ANALYSIS
MI_ON = (config.get("missing") or {}).get("treatment") == "multiple"
UNTREATED = "data/processed/survey_kept_untreated.csv"
MI_ARGS = f"--untreated {UNTREATED}" if MI_ON else ""


FIGURES = [
    "path_diagram",
    "htmt",
    "simple_slopes",
    "floodlight",
    "conditional_indirect",
    "forest",
    "bootstrap_distributions",
]
