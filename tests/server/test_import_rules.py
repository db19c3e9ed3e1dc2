"""The layering of azmlinfsrv, enforced on the source (see docs/architecture.md, "Import rules").

Each layer may import only the layers listed for it; the graph counts lazy and type-only imports too.
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, List

import pytest
from support import REPO_ROOT
from support.imports import Graph, cycles, import_graph, violations

SERVER = REPO_ROOT / "server"
PACKAGE = "azmlinfsrv"
CORE = "core"
ENTRY = "entry"
# Top-level modules that start the process; every other top-level module is the core.
ENTRY_MODULES = frozenset({f"{PACKAGE}.cli", f"{PACKAGE}.__main__"})
ALLOWED: Dict[str, FrozenSet[str]] = {
    CORE: frozenset(),
    "compat": frozenset({CORE}),
    "logs": frozenset({CORE}),
    "script": frozenset({CORE, "compat"}),
    "web": frozenset({CORE, "compat", "script"}),
    "unified": frozenset({CORE, "logs", "script"}),
    "runners": frozenset({CORE, "compat", "logs", "script", "web", "unified"}),
    "fastml": frozenset({CORE, "compat", "logs", "script", "unified", "runners"}),
    ENTRY: frozenset({CORE, "compat", "logs", "runners"}),
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(SERVER, PACKAGE)


def layer(module: str) -> str:
    if module in ENTRY_MODULES:
        return ENTRY
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (SERVER / parts[1]).is_dir()):
        return parts[1]
    return CORE


def test_every_folder_is_a_known_layer() -> None:
    folders = {p.parent.name for p in SERVER.glob("*/__init__.py")}
    assert folders == set(ALLOWED) - {CORE, ENTRY}


def test_each_layer_imports_only_the_layers_below_it(graph: Graph) -> None:
    wrong = sorted(
        f"{src} -> {dst}"
        for src, dsts in graph.items()
        for dst in dsts
        if layer(dst) != layer(src) and layer(dst) not in ALLOWED[layer(src)]
    )
    assert wrong == []


@pytest.mark.parametrize("feature", ["unified", "fastml", "runners", "web", "script", "logs", "compat"])
def test_core_never_imports_a_feature_package(graph: Graph, feature: str) -> None:
    core = {module: dsts for module, dsts in graph.items() if layer(module) == CORE}
    assert violations(core, PACKAGE, f"{PACKAGE}.{feature}") == []


def test_unified_never_imports_fastml(graph: Graph) -> None:
    assert violations(graph, f"{PACKAGE}.unified", f"{PACKAGE}.fastml") == []


def test_no_cycles(graph: Graph) -> None:
    assert cycles(graph) == []


def test_no_private_names_imported_across_packages() -> None:
    found: List[str] = []
    for path in sorted(SERVER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # A relative import with more than one dot reaches into another folder.
            if isinstance(node, ast.ImportFrom) and (
                node.level > 1 or (node.module or "").startswith(PACKAGE)
            ):
                found.extend(
                    f"{path.relative_to(SERVER)}: {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                )
    assert found == []


def test_rules_see_a_planted_violation() -> None:
    # The rules are only as good as the layer mapping: check it on edges that must be refused.
    planted = {
        f"{PACKAGE}.config": {f"{PACKAGE}.unified.routes"},
        f"{PACKAGE}.unified.x": {f"{PACKAGE}.fastml.y"},
    }
    assert layer(f"{PACKAGE}.config") == CORE
    assert layer(f"{PACKAGE}.cli") == ENTRY
    assert layer(f"{PACKAGE}.web.app") == "web"
    core = {m: d for m, d in planted.items() if layer(m) == CORE}
    assert violations(core, PACKAGE, f"{PACKAGE}.unified") == [
        f"{PACKAGE}.config -> {PACKAGE}.unified.routes"
    ]
    assert violations(planted, f"{PACKAGE}.unified", f"{PACKAGE}.fastml") != []
