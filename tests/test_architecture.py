"""The package's layers import one way: shared layers at the bottom, stages above, the CLI on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "leanlearn"

# Rank of each top-level part of the package; a module may import only parts of a lower
# rank, or its own part. Stage packages share a rank and so may not import each other.
RANK = {
    "errors": 0, "format": 0, "random": 0, "extras": 0,  # random: one seed -> a stream per purpose
    "spec": 1,
    "effects": 2,
    "pls": 3,
    "data": 4,  # datasets (population models, simulated export) share this rank
    "screening": 5, "measurement": 5, "descriptives": 5, "bias": 5, "cbsem": 5,
    "robustness": 5,
    "intake": 5,  # drafting and checking a study folder (reads data, spec)
    "datasets": 4,
    "report": 6,
    "cli": 7,
    "__main__": 8,
}


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("leanlearn."):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("leanlearn."))
    return out


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name != "leanlearn.__init__":
            yield name, path


def test_every_part_of_the_package_has_a_rank():
    parts = {_part(name) for name, _ in _modules()}
    assert parts - set(RANK) == set()


@pytest.mark.parametrize("name,path", list(_modules()), ids=[n for n, _ in _modules()])
def test_imports_flow_from_higher_layers_to_lower_ones(name, path):
    own = _part(name)
    bad = [
        imp for imp in _imports(path)
        if _part(imp) != own and RANK[_part(imp)] >= RANK[own]
    ]
    assert bad == [], f"{name} imports {bad}: layers import downward only"
