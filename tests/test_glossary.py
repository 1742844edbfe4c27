"""Column names and CLI options follow docs/glossary.md: one spelling per statistical term."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "leanlearn"
GLOSSARY = ROOT / "docs" / "glossary.md"


def _section_rows(heading: str) -> list[list[str]]:
    """Cells of the first Markdown table under ``## heading`` (header and rule rows skipped)."""
    text = GLOSSARY.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    rows = []
    for line in text[start:end if end > 0 else None].splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append(cells)
    return rows[1:]


def _code(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _not_used() -> dict[str, str]:
    return {_code(r[0])[0]: r[1] for r in _section_rows("Not used")}


def _accepted() -> set[str]:
    """Every spelling the glossary names (multi-word ones are matched before the words are checked)."""
    out: set[str] = set()
    for r in _section_rows("Spellings"):
        out.update(c for c in _code(r[1]) if re.fullmatch(r"[a-z0-9_]+", c))
    return out


def _exceptions() -> set[tuple[str, str]]:
    return {(r[0], _code(r[1])[0]) for r in _section_rows("Still to rename")}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.Dict):
        return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return []


def _hidden(node: ast.Call) -> bool:
    """An ``add_argument(..., help=argparse.SUPPRESS)``: a hidden alias of an old spelling."""
    return any(kw.arg == "help" and isinstance(kw.value, ast.Attribute) and kw.value.attr == "SUPPRESS" for kw in node.keywords)


def _names_in(path: Path) -> set[str]:
    """Column names a module writes, and the long options of its CLI parsers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("COLUMNS") for t in node.targets):
            out.update(_strings(node.value))
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "columns":
                if isinstance(kw.value, ast.Dict):  # rename(columns={old: new})
                    out.update(v.value for v in kw.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                else:
                    out.update(_strings(kw.value))
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "append" and node.args and isinstance(node.args[0], ast.Dict):
            out.update(_strings(node.args[0]))
        if name == "DataFrame" and node.args and isinstance(node.args[0], ast.Dict):
            out.update(_strings(node.args[0]))
        if name == "add_argument" and not _hidden(node):
            out.update(
                a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                and a.value.startswith("--")
            )
    return {n for n in out if re.fullmatch(r"(--)?[A-Za-z0-9][A-Za-z0-9_-]*", n)}


def _offending(name: str, accepted: set[str], not_used: dict[str, str]) -> list[str]:
    """The not-used spellings in ``name`` (words split at '_' or '-'; accepted spellings removed first)."""
    words = "_" + name.lstrip("-").replace("-", "_").lower() + "_"
    for term in sorted(accepted, key=len, reverse=True):
        if "_" in term:
            words = words.replace(f"_{term}_", "_ _")
    return [bad for bad in not_used if f"_{bad}_" in words]


def _findings() -> dict[tuple[str, str], list[str]]:
    accepted, not_used = _accepted(), _not_used()
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for name in sorted(_names_in(path)):
            bad = _offending(name, accepted, not_used)
            if bad:
                out[(rel, name)] = bad
    return out


def test_the_glossary_is_a_page_of_the_documentation():
    assert "glossary.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_the_glossary_tables_parse():
    assert len(_section_rows("Spellings")) >= 30
    assert {"dof", "pval", "boot", "f2"} <= set(_not_used())
    assert all(r[0].startswith("src/leanlearn/") for r in _section_rows("Still to rename"))


@pytest.mark.parametrize("name,bad", [
    ("t_dof", ["dof"]), ("mahalanobis_p", ["p"]), ("boot_mean", ["boot"]), ("--boot", ["boot"]),
    ("ci_low", ["ci_low"]), ("f2", ["f2"]),
    ("t_p_value", []), ("unstandardized_std_error", []), ("p_adjusted", []), ("longstring_p95", []),
    ("--ci-level", []), ("f_squared", []),
])
def test_the_spelling_check_flags_the_words_it_should(name, bad):
    assert _offending(name, _accepted(), _not_used()) == bad


def test_the_spelling_check_sees_the_column_names_of_the_result_tables():
    names = set().union(*(_names_in(p) for p in SRC.rglob("*.py")))
    # columns of tables from several stages, and options of several verbs
    assert {"p_value", "std_error", "ci_lower", "n_resamples", "hedges_g", "vif", "f_squared", "--ci-level"} <= names


def test_result_columns_and_cli_options_use_the_glossary_spellings():
    found = _findings()
    exceptions = _exceptions()
    new = {k: v for k, v in found.items() if k not in exceptions}
    assert new == {}, (
        "names that use a spelling docs/glossary.md rules out (file, name): not-used spelling; "
        "rename them, or list them under 'Still to rename'"
    )


def test_every_name_still_to_rename_is_still_there():
    found = _findings()
    stale = sorted(k for k in _exceptions() if k not in found)
    assert stale == [], "renamed already: delete these rows from 'Still to rename' in docs/glossary.md"


def _verb_helps() -> dict[str, str]:
    """The ``--help`` text of every verb (and of each sub-command of a verb that has them)."""
    import argparse

    from leanlearn.cli import build_parser

    def subparsers(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                yield from action.choices.items()

    helps = {}
    for verb, p in subparsers(build_parser()):
        helps[verb] = p.format_help()
        for sub, q in subparsers(p):
            helps[f"{verb} {sub}"] = q.format_help()
    return helps


def test_the_help_of_every_verb_shows_only_glossary_spellings():
    accepted, not_used = _accepted(), _not_used()
    helps = _verb_helps()
    assert {"estimate", "bias", "power replicate"} <= set(helps)
    shown = {(verb, opt) for verb, text in helps.items() for opt in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text)}
    assert ("estimate", "--resamples") in shown
    bad = {k: _offending(k[1], accepted, not_used) for k in shown}
    assert {k: v for k, v in bad.items() if v} == {}, "a verb's --help shows an option docs/glossary.md rules out"


# verbs that read a data file and a model; power replicate keeps --model (its data file is optional)
DATA_MODEL_VERBS = ("estimate", "hypotheses", "measurement", "process", "predict", "cvpat", "ipma", "nca", "endogeneity",
                    "groups", "micom", "mga", "describe", "bias", "cfa", "cbsem", "multiverse", "fimix")


@pytest.mark.parametrize("verb", DATA_MODEL_VERBS)
def test_every_verb_with_a_data_file_and_a_model_takes_them_as_positional_data_model(verb):
    text = _verb_helps()[verb]
    usage = " ".join(text.split("\n\n")[0].split())
    assert re.search(r" data model( |$)", usage), usage
    assert "--data" not in text and "--model " not in text and "--ingested" not in text
    assert "studies/" not in text  # no default points at the bundled study


def test_no_option_of_any_verb_defaults_to_a_file_of_the_bundled_study():
    from leanlearn.cli import build_parser

    import argparse

    found = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, p in action.choices.items():
                found += [(verb, a.dest, a.default) for a in p._actions if isinstance(a.default, str) and "studies/" in a.default]
    assert found == []
