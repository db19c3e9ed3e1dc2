"""The import rules between the two packages, enforced on the source (see docs/architecture.md).

Rules within each package live beside its tests (`tests/server/test_import_rules.py`,
`tests/scorecheck/test_import_rules.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import REPO_ROOT
from support.imports import cycles, import_graph, imported_names, violations

SERVER = REPO_ROOT / "server"
SCORECHECK = REPO_ROOT / "scorecheck"


def _top_level_imports(package_dir: str) -> set[str]:
    names: set[str] = set()
    for path in (REPO_ROOT / package_dir).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {name.split(".")[0] for name in imported_names(tree, "x.y", False)}
    return names


@pytest.mark.parametrize(
    ("package_dir", "other"), [("server", "scorecheck"), ("scorecheck", "azmlinfsrv")], ids=["server", "gate"]
)
def test_packages_never_import_each_other(package_dir: str, other: str) -> None:
    # scorecheck reaches the server only as a process over HTTP, and the server must run alone.
    assert other not in _top_level_imports(package_dir)


@pytest.mark.parametrize(("root", "package"), [(SERVER, "azmlinfsrv"), (SCORECHECK, "scorecheck")])
def test_no_import_cycles(root: Path, package: str) -> None:
    assert cycles(import_graph(root, package)) == []


def test_graph_helpers_see_what_they_must() -> None:
    # The rule tests are only as good as the graph: check it finds a known edge and a planted cycle.
    graph = import_graph(SERVER, "azmlinfsrv")
    assert "azmlinfsrv.config" in graph["azmlinfsrv.cli"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert violations({"p.x.y": {"p.z"}, "p.q": {"p.z.w"}}, "p.x", "p.z") == ["p.x.y -> p.z"]
