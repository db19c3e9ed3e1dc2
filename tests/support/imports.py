"""The import graph of a package, built from its source with `ast`, for tests that enforce the import rules.

Only imports that name a module of the package itself (absolute or relative) are edges; imports inside
functions count too, because a lazy import is still a dependency. `TYPE_CHECKING` blocks count as well: a
type-only import of a forbidden layer is still a layering mistake.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

Graph = dict[str, set[str]]


def module_name(path: Path, source_root: Path, package: str) -> str:
    parts = list(path.relative_to(source_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    # A package's own `from . import x` is relative to itself, a module's to its parent.
    keep = len(base) - node.level + (1 if is_package else 0)
    prefix = ".".join(base[:keep])
    return f"{prefix}.{node.module}" if node.module else prefix


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every dotted name an import statement of `tree` may refer to (`from a import b` gives `a` and `a.b`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def import_graph(source_root: Path, package: str, known: Iterable[str] = ()) -> Graph:
    """Module -> modules it imports, among the modules of `package` (source in `source_root`) and `known`."""
    files = {module_name(p, source_root, package): p for p in sorted(source_root.rglob("*.py"))}
    universe = set(files) | set(known)
    graph: Graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = imported_names(tree, module, path.name == "__init__.py")
        graph[module] = {name for name in names if name in universe and name != module}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph: Graph, importer: str, forbidden: str) -> list[str]:
    """`a -> b` edges where `a` is in (or is) `importer` and `b` is in (or is) `forbidden`."""

    def within(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return sorted(
        f"{src} -> {dst}"
        for src, dsts in graph.items()
        if within(src, importer)
        for dst in dsts
        if within(dst, forbidden)
    )
