"""The import rules inside `scorecheck`, enforced on the source (see docs/architecture.md, scorecheck part).

The CLI and the pytest plugin are two faces on one engine: the engine and its phases never reach for a face
(the CLI, the plugin, pytest itself) or for a reporter, and only the CLI drives the reporters.
"""

from __future__ import annotations

import pytest
from support import REPO_ROOT
from support.imports import Graph, cycles, import_graph, violations

SCORECHECK = REPO_ROOT / "scorecheck"
# The engine's side of the gate: everything a run needs, whichever face starts it.
CORE = ("engine", "phases", "fixtures", "serverproc", "model", "config", "compare", "shards", "lint")


@pytest.fixture(scope="module")
def graph() -> Graph:
    # pytest and _pytest are "known" so that importing them shows up as an edge.
    return import_graph(SCORECHECK, "scorecheck", known=("pytest", "_pytest"))


@pytest.mark.parametrize("layer", CORE)
@pytest.mark.parametrize("forbidden", ["cli", "plugin", "pytest_plugin", "reporters"])
def test_the_core_never_imports_a_face_or_a_reporter(graph: Graph, layer: str, forbidden: str) -> None:
    assert violations(graph, f"scorecheck.{layer}", f"scorecheck.{forbidden}") == []


@pytest.mark.parametrize("layer", CORE)
@pytest.mark.parametrize("framework", ["pytest", "_pytest"])
def test_the_core_never_imports_pytest(graph: Graph, layer: str, framework: str) -> None:
    assert violations(graph, f"scorecheck.{layer}", framework) == []


def test_only_the_cli_imports_reporters(graph: Graph) -> None:
    importers = {edge.split(" -> ")[0] for edge in violations(graph, "scorecheck", "scorecheck.reporters")}
    outside = {name for name in importers if not name.startswith(("scorecheck.cli", "scorecheck.reporters"))}
    assert outside == set()
    assert "scorecheck.cli.main" in importers  # the rule sees the one real user


def test_the_plugin_and_the_cli_do_not_import_each_other(graph: Graph) -> None:
    assert violations(graph, "scorecheck.plugin", "scorecheck.cli") == []
    assert violations(graph, "scorecheck.cli", "scorecheck.plugin") == []


def test_no_cycles(graph: Graph) -> None:
    assert cycles(graph) == []


def test_the_graph_sees_pytest_and_the_shared_verdict(graph: Graph) -> None:
    # The rules are only as good as the graph: known edges of each kind must be in it.
    assert "pytest" in graph["scorecheck.plugin"]
    assert "scorecheck.phases.replay" in graph["scorecheck.plugin.items"]
    assert "scorecheck.phases.replay" in graph["scorecheck.engine.session"]
    assert "scorecheck.serverproc.startup" in graph["scorecheck.plugin.server"]
