"""``leanlearn init``: draft a study folder from a survey export.

::

    leanlearn init EXPORT [--out STUDY_DIR] [--name NAME] [--force]

Reads the export (CSV/TSV, Excel, SPSS .sav, Stata .dta; Qualtrics' extra header rows are
read for the question texts) and writes into ``STUDY_DIR`` (default ``studies/<NAME>``,
NAME defaulting to the export's file name):

``codebook.yaml``   constructs from item groups, scales from the observed codes, question
                    texts, personal-data columns (drop), paradata, covariates, suggested
                    reverse-keyed items (marked ``CHECK``)
``model.lav``       one construct per item group; the structural paths are for you to write
``config.yaml``     every key with a comment; ``survey:`` points at the export
``init_columns.csv`` what was guessed for every column (:data:`leanlearn.intake.draft.COLUMNS`
                    plus ``reverse_suspected``, ``item_rest_r``); no cell values

The export is referred to by its path relative to STUDY_DIR, not copied. Existing files
are never overwritten unless ``--force``. Prints what was found and what to check; never a
cell value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from leanlearn.cli._io import UserError, atomic_dir, user_errors, write_csv


def register(sub) -> None:
    p = sub.add_parser("init", help="draft a study folder (codebook, model, config) from a survey export",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("export", help="the raw survey export (.csv, .tsv, .xlsx, .sav, .dta)")
    p.add_argument("--out", default=None, help="study folder to create (default: studies/<name>)")
    p.add_argument("--name", default=None, help="study name (default: the export's file name)")
    p.add_argument("--force", action="store_true", help="overwrite draft files that already exist")
    p.set_defaults(func=run)


def _header_texts(path: Path, info: dict) -> dict:
    """The Qualtrics question-text row of a CSV/XLSX export ({} when there is none)."""
    import pandas as pd

    if "question text" not in (info.get("header_rows_dropped") or []):
        return {}
    if info.get("format") == "xlsx":
        row = pd.read_excel(path, header=0, nrows=1, dtype=str)
    else:
        row = pd.read_csv(path, sep=info.get("delimiter") or ",", dtype=str, nrows=1, encoding=info.get("encoding") or "utf-8",
                          keep_default_na=False)
    return row.iloc[0].to_dict() if len(row) else {}


def run(args) -> int:
    from leanlearn.data.ingest import read_export, read_info
    from leanlearn.intake.draft import draft_study, question_texts

    export = Path(args.export)
    name = args.name or re.sub(r"\W+", "_", export.stem).strip("_") or "my_study"
    out = Path(args.out) if args.out else Path("studies") / name
    with user_errors():
        raw = read_export(export)
    info = read_info(raw)
    texts = question_texts(_header_texts(export, info), info)
    survey = Path(os.path.relpath(export.resolve(), out.resolve())).as_posix()
    draft = draft_study(raw, info, texts=texts, survey=survey, name=name)
    files = {"codebook.yaml": draft.codebook, "model.lav": draft.model, "config.yaml": draft.config}
    existing = [f for f in (*files, "init_columns.csv") if (out / f).exists()]
    if existing and not args.force:
        raise UserError(f"{out}: {', '.join(existing)} already exist(s); pass --force to overwrite, or choose another --out")
    with atomic_dir(out) as tmp:
        for fname, text in files.items():
            (tmp / fname).write_text(text, encoding="utf-8")
        write_csv(draft.columns, tmp / "init_columns.csv")

    c = draft.columns
    counts = c.kind.value_counts()
    groups = c[c.kind == "item"].group.nunique()
    print(f"leanlearn init: drafted {out}/ from {export} ({len(raw)} rows, {len(c)} columns)")
    print(f"  items: {counts.get('item', 0)} in {groups} group(s); covariates: {counts.get('covariate', 0)}; "
          f"paradata: {counts.get('paradata', 0) + counts.get('page_timer', 0)}; personal data: {counts.get('personal', 0)} (dropped); "
          f"ignored: {counts.get('ignore', 0)}")
    for r in c[c.kind == "personal"].itertuples():
        print(f"  personal data: {r.column} ({r.name}) -> {r.action}")
    for r in c[c.reverse_suspected].itertuples():
        print(f"  CHECK reverse-keyed? {r.column} (item-rest r = {r.item_rest_r:.2f})")
    print("What to do next:")
    for i, t in enumerate(draft.todo, start=1):
        print(f"  {i}. {t}")
    print(f"  {len(draft.todo) + 1}. leanlearn check {out}")
    return 0
