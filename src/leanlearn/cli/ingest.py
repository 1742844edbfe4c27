"""``leanlearn ingest``: raw survey export -> ``survey_ingested.csv`` without personal data.

Outputs in ``--out`` (written atomically; nothing is written when a step fails):

``survey_ingested.csv``
    One row per response, canonical columns (see :class:`leanlearn.data.ingest.IngestResult`):
    ids, paradata, key-informant fields, items (reverse items reverse-scored, out-of-range
    codes missing), attention checks, hashed personal columns (``<column>_sha256``).
``ingest_report.json``
    Provenance (leanlearn version, input paths and SHA-256), format, encoding, delimiter,
    header rows dropped, counts and notes.
``ingest_out_of_range.csv``
    Every cell set to missing: ``respondent_id, row, column, item, value, reason``.
``ingest_out_of_range_counts.csv``
    ``item, column, kind, scale_min, scale_max, n_out_of_range``.
``ingest_columns.csv``
    What happened to each input column: ``column, name, action``.
``ingest_personal_data.csv``
    ``column, kind, action, output_column, present, n_values``.

The hashing salt (HMAC key) comes from ``LEANLEARN_SALT`` or the git-ignored file named by
the config key ``salt_file`` (default ``.leanlearn_salt``), created with a random 32-byte
salt when absent; a salt shorter than 16 random bytes is refused. Every output file is
written with mode 0600 (owner only), like the other files in ``data/processed``. Before
anything is written, the outputs are scanned for the personal values of the codebook's
personal columns and for anything that looks like an e-mail address, IP address or phone
number in any kept column; a hit stops the run (exit 2) naming the column and the kind,
never the value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import secrets
from pathlib import Path

from leanlearn import __version__
from leanlearn.cli._io import UserError, atomic_dir, make_private, read_config, read_yaml, user_errors, write_csv

log = logging.getLogger("leanlearn.data.ingest")

SALT_ENV = "LEANLEARN_SALT"
DEFAULT_SALT_FILE = ".leanlearn_salt"
LEAK_KINDS = ("email", "name", "ip_address")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help="read a raw survey export, apply the codebook, remove personal data",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--survey", required=True, help="raw export (.csv, .tsv, .xlsx, .sav, .dta)")
    p.add_argument("--codebook", required=True, help="codebook YAML")
    p.add_argument("--config", required=True, help="pipeline config YAML (salt_file)")
    p.add_argument("--out", default="data/processed", help="output directory")
    p.add_argument("--sheet", default=None, help="worksheet of an .xlsx export (default: the codebook's 'sheet')")
    p.set_defaults(func=run)


def load_salt(config: dict) -> str:
    """The hashing salt: ``$LEANLEARN_SALT``, else the salt file (created if absent).

    A salt shorter than 16 random bytes is refused (:func:`leanlearn.data.privacy.check_salt`).
    """
    from leanlearn.errors import SpecError
    from leanlearn.data.privacy import check_salt

    env = os.environ.get(SALT_ENV, "").strip()
    if env:
        with user_errors(f"${SALT_ENV}"):
            check_salt(env)
        log.info("hashing salt taken from $%s", SALT_ENV)
        return env
    path = Path(config.get("salt_file") or DEFAULT_SALT_FILE)
    if path.exists():
        salt = path.read_text(encoding="utf-8").strip()
        if not salt:
            raise UserError(f"{path}: the salt file is empty; delete it to have a new salt created")
        try:
            check_salt(salt)
        except SpecError as exc:
            raise UserError(f"{path}: {exc} (or delete the file to have a new salt created)") from exc
        return salt
    salt = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(salt + "\n")
    log.info("created a new random hashing salt in %s (keep it private and out of git)", path)
    return salt


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(args: argparse.Namespace) -> int:
    from leanlearn.spec.codebook import load_codebook
    from leanlearn.data.ingest import HASH_SUFFIX, apply_codebook, ingest_report, read_export
    from leanlearn.data.privacy import pattern_leaks, personal_values, protect, scan_personal

    survey = Path(args.survey)
    config = read_config(args.config)
    with user_errors(str(args.codebook)):
        codebook = load_codebook(read_yaml(args.codebook))
    if not survey.is_file():
        raise UserError(f"{survey}: file not found" if not survey.exists() else f"{survey}: is not a file")
    salt = load_salt(config)
    with user_errors():
        raw = read_export(survey, sheet=args.sheet or codebook.sheet, decimal=codebook.decimal_separator)
        protected, personal = protect(raw, codebook, salt=salt)
        result = apply_codebook(protected, codebook, source=str(survey))

    leaks = scan_personal(result.data, personal_values(raw, codebook, kinds=LEAK_KINDS), substring=False)
    if len(leaks):
        raise UserError(
            f"{survey}: personal data would be written (column {leaks['column'].iat[0]!r} holds values of a "
            "personal_data column of the codebook); check the codebook's personal_data list"
        )
    hashed = [c for c in result.data.columns if str(c).endswith(HASH_SUFFIX)]
    pattern_hits = pattern_leaks(result.data, skip=hashed)
    if len(pattern_hits):
        first = pattern_hits.iloc[0]
        cols = pattern_hits.groupby("column", sort=False)["kind"].agg(lambda k: sorted(set(k)))
        listed = ", ".join(f"{c!r} ({'/'.join(k)}, {int((pattern_hits['column'] == c).sum())} cell(s))" for c, k in cols.items())
        where = "the column name" if first["row"] < 0 else f"output row {int(first['row']) + 1}"
        raise UserError(
            f"{survey}: personal data would be written: {listed} look like e-mail/IP/phone values (first in {where}). "
            "Nothing was written. Add the export column to the codebook's personal_data list (action: hash or "
            "drop), or use a column without personal data (e.g. ResponseId) as the identifier."
        )
    report = ingest_report(raw, result)
    report = {
        "leanlearn_version": __version__,
        "inputs": {
            "survey": {"path": str(survey), "sha256": _sha256(survey)},
            "codebook": {"path": str(args.codebook), "sha256": _sha256(Path(args.codebook))},
        },
        **report,
        "personal_data": personal.to_dict(orient="records"),
    }
    with atomic_dir(args.out) as tmp:
        write_csv(result.data, tmp / "survey_ingested.csv")
        write_csv(result.out_of_range, tmp / "ingest_out_of_range.csv")
        write_csv(result.out_of_range_counts, tmp / "ingest_out_of_range_counts.csv")
        write_csv(result.columns, tmp / "ingest_columns.csv")
        write_csv(personal, tmp / "ingest_personal_data.csv")
        (tmp / "ingest_report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        make_private(tmp)
    for note in result.notes:
        log.info("%s", note)
    log.info(
        "ingested %d responses from %s; %d out-of-range cell(s) set to missing; wrote %s",
        len(result.data), survey, len(result.out_of_range), args.out,
    )
    return 0
