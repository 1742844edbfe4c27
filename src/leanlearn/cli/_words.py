"""The study's words (unit, construct labels) for the verbs that write texts."""

from __future__ import annotations

from pathlib import Path


def codebook_of(cfg: dict, config_file: str) -> dict | None:
    """The codebook mapping the config names (relative to the config file's folder, else as given), or None."""
    from leanlearn.cli._io import read_yaml

    value = cfg.get("codebook")
    if not value:
        return None
    path = Path(value)
    for candidate in ((path,) if path.is_absolute() else (Path(config_file).parent / path, path)):
        if candidate.exists():
            return read_yaml(candidate)
    return None


def words_of(cfg: dict, config_file: str) -> dict:
    """:func:`leanlearn.report.paper.study_words` of the study's codebook (default words without one)."""
    from leanlearn.report.paper import study_words

    return study_words(codebook_of(cfg, config_file))
