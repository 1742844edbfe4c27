"""``leanlearn check``: validate a study folder (config, codebook, model, data) before running it.

::

    leanlearn check STUDY_DIR        # or the path of the study's config file

Reads ``STUDY_DIR/config.yaml`` and the codebook, model and survey export it names (paths
relative to the config file's folder), and the archival file when there is one. Prints
every problem at once, one line each (``error  codebook.yaml  constructs.LS.items[3]: ...``),
and exits with 2 when there is at least one error; otherwise prints ``OK`` and what the
study consists of (notes, if any, are printed too and do not fail the check). Never prints
a cell value of the data. ``TODO`` placeholders left from a ``leanlearn init`` draft in the
config, codebook, model or manuscript template are listed with their file and line: an
error in a value (it would be read as data or printed), a note in a comment.
"""

from __future__ import annotations

import os
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("check", help="validate a study folder (config, codebook, model and data together)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("study", help="the study folder (with config.yaml) or its config file")
    p.set_defaults(func=run)


def _schemas():
    try:
        from leanlearn.spec.config import schema
    except ImportError:  # the schemas ship with leanlearn.spec.config
        return None, None
    return schema("config"), schema("codebook")


def run(args) -> int:
    import yaml

    from leanlearn.data.ingest import read_export
    from leanlearn.errors import DataError
    from leanlearn.intake.check import PROBLEM_COLUMNS, check_study, placeholder_problems, summary_lines
    from leanlearn.spec.model import parse_model

    target = Path(args.study)
    cfg_path = target / "config.yaml" if target.is_dir() else target
    base = cfg_path.parent
    problems: list[tuple[str, str, str, str]] = []

    def problem(file, where, what, severity="error"):
        problems.append((severity, file, where, what))

    texts: dict[str, str] = {}  # file -> text, searched for TODO placeholders of an init draft

    def load_yaml(path: Path, label: str):
        if not path.exists():
            problem(str(path), "(file)", f"{label} not found")
            return None
        try:
            text = path.read_text(encoding="utf-8")
            texts[str(path)] = text
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem(str(path), f"line {mark.line + 1}" if mark else "(file)", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return None
        if not isinstance(data, dict):
            problem(str(path), "(top level)", "expected a mapping of keys to values")
            return None
        return data

    config = load_yaml(cfg_path, "config file")
    cfg = config or {}

    def path_of(key: str, required: bool = True) -> Path | None:
        value = cfg.get(key)
        if not value:
            if required and config is not None:
                problem(str(cfg_path), key, f"missing; name the {key} file (relative to {base})")
            return None
        p = Path(value)
        return p if p.is_absolute() else Path(os.path.normpath(base / p))

    codebook = model_text = data = None
    cb_path = path_of("codebook")
    if cb_path is not None:
        codebook = load_yaml(cb_path, "codebook")
    model_path = path_of("model")
    if model_path is not None:
        if model_path.exists():
            model_text = model_path.read_text(encoding="utf-8")
            texts[str(model_path)] = model_text
        else:
            problem(str(model_path), "(file)", "model file not found")
    survey_path = path_of("survey")
    if survey_path is not None:
        try:
            declared = (codebook or {}).get("decimal_separator")
            data = read_export(survey_path, decimal=declared if declared in (".", ",") else None)
        except DataError as exc:
            problem(str(survey_path), "(file)", str(exc).partition(": ")[2] or str(exc))
    archival_cols = None
    arch_path = path_of("archival", required=False)
    if arch_path is not None:
        try:
            archival_cols = list(read_export(arch_path).columns)
        except DataError as exc:
            problem(str(arch_path), "(file)", str(exc).partition(": ")[2] or str(exc))
    frame_path = path_of("sampling_frame", required=False)
    if frame_path is not None and not frame_path.exists():
        problem(str(frame_path), "(file)", "sampling frame not found")
    man = cfg.get("manuscript")
    if man and not (base / man).exists() and not Path(man).exists():
        problem(str(cfg_path), "manuscript", f"template {man} not found (leave the key out for the generic template)")
    structured = set(texts)  # YAML and model files: '#' starts a comment
    if man:
        man_path = base / man if (base / man).exists() else Path(man)
        if man_path.is_file():
            try:
                texts[str(man_path)] = man_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                problem(str(man_path), "(file)", "manuscript template is not readable UTF-8 text")
    for r in placeholder_problems(texts, comments=structured):
        problem(r["file"], r["where"], r["problem"], r["severity"])

    config_schema, codebook_schema = _schemas()
    table = check_study(
        config, codebook, model_text, data, archival_columns=archival_cols,
        files={"config": str(cfg_path), "codebook": str(cb_path or "codebook"), "model": str(model_path or "model"),
               "survey": str(survey_path or "survey")},
        config_schema=config_schema, codebook_schema=codebook_schema,
    )
    rows = problems + [tuple(r) for r in table[list(PROBLEM_COLUMNS)].itertuples(index=False)]
    errors = [r for r in rows if r[0] == "error"]
    notes = [r for r in rows if r[0] != "error"]
    for sev, file, where, what in errors + notes:
        print(f"{sev:5}  {file}  {where}: {what}")
    if errors:
        print(f"leanlearn check: {len(errors)} error(s), {len(notes)} note(s) in {base}; fix them and run the check again")
        return 2
    print(f"OK: {base} is ready to run" + (f" ({len(notes)} note(s) above)" if notes else ""))
    for line in summary_lines(cfg, codebook or {}, parse_model(model_text), data):
        print(f"  {line}")
    return 0
