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
N_GRID = [int(n) for n in POWER.get("n_grid", [209])]
BLOCKS = range(int(POWER.get("blocks", 1)))
ENV = "../envs/leanlearn.yaml"

# the analysis data: screened responses merged with the archival data, or the screened
# responses themselves for a study without archival data
ANALYSIS = "data/processed/analysis.csv" if HAS_ARCHIVAL else "data/processed/survey_clean.csv"


FIGURES = [
    "path_diagram",
    "htmt",
    "simple_slopes",
    "floodlight",
    "conditional_indirect",
    "forest",
    "bootstrap_distributions",
]
