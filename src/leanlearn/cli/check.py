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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the verb's run, not by ``leanlearn --help``
    import pandas as pd


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


class _StudyReader:
    """Reads the study's files, collecting every reading problem (severity, file, where, what)
    and the texts that may hold ``TODO`` placeholders of an init draft."""

    def __init__(self, cfg_path: Path) -> None:
        self.cfg_path = cfg_path
        self.base = cfg_path.parent
        self.problems: list[tuple[str, str, str, str]] = []
        self.texts: dict[str, str] = {}  # file -> text, searched for TODO placeholders of an init draft
        self.config: dict | None = None

    def problem(self, file: str, where: str, what: str, severity: str = "error") -> None:
        self.problems.append((severity, file, where, what))

    def load_yaml(self, path: Path, label: str) -> dict | None:
        from leanlearn.extras import require

        yaml = require("yaml", "reading the study's config and codebook")

        if not path.exists():
            self.problem(str(path), "(file)", f"{label} not found")
            return None
        try:
            text = path.read_text(encoding="utf-8")
            self.texts[str(path)] = text
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problem(str(path), f"line {mark.line + 1}" if mark else "(file)", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return None
        if not isinstance(data, dict):
            self.problem(str(path), "(top level)", "expected a mapping of keys to values")
            return None
        return data

    def path_of(self, key: str, required: bool = True) -> Path | None:
        """The file the config names under ``key``, relative to the config's folder."""
        value = (self.config or {}).get(key)
        if not value:
            if required and self.config is not None:
                self.problem(str(self.cfg_path), key, f"missing; name the {key} file (relative to {self.base})")
            return None
        p = Path(value)
        return p if p.is_absolute() else Path(os.path.normpath(self.base / p))

    def export(self, path: Path, decimal: str | None = None) -> pd.DataFrame | None:
        from leanlearn.data.ingest import read_export
        from leanlearn.errors import DataError

        try:
            return read_export(path, decimal=decimal)
        except DataError as exc:
            self.problem(str(path), "(file)", str(exc).partition(": ")[2] or str(exc))
            return None


@dataclass
class _StudyFiles:
    """What the study's files hold (None: absent or unreadable; the reader has the problem)."""

    config: dict | None
    codebook: dict | None
    model_text: str | None
    data: pd.DataFrame | None
    archival_columns: list[str] | None
    files: dict[str, str]


def run(args) -> int:
    from leanlearn.intake.check import PROBLEM_COLUMNS, check_study, placeholder_problems, summary_lines
    from leanlearn.spec.model import parse_model

    target = Path(args.study)
    reader = _StudyReader(target / "config.yaml" if target.is_dir() else target)
    study = _read_study(reader)
    cfg = study.config or {}
    structured = set(reader.texts)  # YAML and model files: '#' starts a comment
    _read_manuscript(reader, cfg)
    for r in placeholder_problems(reader.texts, comments=structured):
        reader.problem(r["file"], r["where"], r["problem"], r["severity"])

    config_schema, codebook_schema = _schemas()
    table = check_study(
        study.config, study.codebook, study.model_text, study.data, archival_columns=study.archival_columns,
        files=study.files, config_schema=config_schema, codebook_schema=codebook_schema,
    )
    rows = reader.problems + [tuple(r) for r in table[list(PROBLEM_COLUMNS)].itertuples(index=False)]
    if not _print_problems(rows, reader.base):
        return 2
    assert study.model_text is not None  # a study without a readable model has an error above
    for line in summary_lines(cfg, study.codebook or {}, parse_model(study.model_text), study.data):
        print(f"  {line}")
    return 0


def _read_study(reader: _StudyReader) -> _StudyFiles:
    """The config, then the codebook, model, survey export, archival file and sampling frame it names."""
    reader.config = reader.load_yaml(reader.cfg_path, "config file")
    codebook = model_text = data = None
    cb_path = reader.path_of("codebook")
    if cb_path is not None:
        codebook = reader.load_yaml(cb_path, "codebook")
    model_path = reader.path_of("model")
    if model_path is not None:
        if model_path.exists():
            model_text = model_path.read_text(encoding="utf-8")
            reader.texts[str(model_path)] = model_text
        else:
            reader.problem(str(model_path), "(file)", "model file not found")
    survey_path = reader.path_of("survey")
    if survey_path is not None:
        declared = (codebook or {}).get("decimal_separator")
        data = reader.export(survey_path, decimal=declared if declared in (".", ",") else None)
    archival_cols = None
    arch_path = reader.path_of("archival", required=False)
    if arch_path is not None:
        archival = reader.export(arch_path)
        archival_cols = list(archival.columns) if archival is not None else None
    frame_path = reader.path_of("sampling_frame", required=False)
    if frame_path is not None and not frame_path.exists():
        reader.problem(str(frame_path), "(file)", "sampling frame not found")
    files = {"config": str(reader.cfg_path), "codebook": str(cb_path or "codebook"), "model": str(model_path or "model"),
             "survey": str(survey_path or "survey")}
    return _StudyFiles(reader.config, codebook, model_text, data, archival_cols, files)


def _read_manuscript(reader: _StudyReader, cfg: dict) -> None:
    """The manuscript template the config names, when it exists (searched for placeholders too)."""
    base = reader.base
    man = cfg.get("manuscript")
    if man and not (base / man).exists() and not Path(man).exists():
        reader.problem(str(reader.cfg_path), "manuscript", f"template {man} not found (leave the key out for the generic template)")
    if man:
        man_path = base / man if (base / man).exists() else Path(man)
        if man_path.is_file():
            try:
                reader.texts[str(man_path)] = man_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                reader.problem(str(man_path), "(file)", "manuscript template is not readable UTF-8 text")


def _print_problems(rows: list[tuple], base: Path) -> bool:
    """Print errors, then notes, one line each, and the verdict; True when there is no error."""
    errors = [r for r in rows if r[0] == "error"]
    notes = [r for r in rows if r[0] != "error"]
    for sev, file, where, what in errors + notes:
        print(f"{sev:5}  {file}  {where}: {what}")
    if errors:
        print(f"leanlearn check: {len(errors)} error(s), {len(notes)} note(s) in {base}; fix them and run the check again")
        return False
    print(f"OK: {base} is ready to run" + (f" ({len(notes)} note(s) above)" if notes else ""))
    return True
