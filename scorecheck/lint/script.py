"""The entry script as the rules see it: its source parsed with `ast` (never imported or run), its import names,
its top-level functions, and the folder around it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Mapping, Optional, Set, Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class LintError(Exception):
    """The script cannot be linted (unreadable, not Python): the message names the file, and the line if known."""


@dataclass(frozen=True)
class Script:
    path: Path
    display: str  # the path as the user gave it, for messages
    source: str
    tree: ast.Module
    aliases: Mapping[str, str]  # local name -> what it was imported as: np -> numpy, request -> flask.request
    functions: Mapping[str, FunctionNode]  # top-level functions (the last definition of a name wins)
    bound: FrozenSet[str]  # every name bound at module level (def, class, assignment, import)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def sibling(self, name: str) -> str:
        """A file beside the script, spelled like the script's path."""
        return str(Path(self.display).parent / name)

    def qualified(self, node: ast.expr) -> Optional[str]:
        """`np.linalg.norm` -> `numpy.linalg.norm`: a name or attribute chain through the script's imports."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def imports_of(self, module: str) -> List[ast.stmt]:
        """The import statements that import `module` (or something inside it), in source order."""
        found: List[ast.stmt] = []
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and module in _imported_by(node):
                found.append(node)
        return sorted(found, key=lambda n: (n.lineno, n.col_offset))

    def imported(self) -> FrozenSet[str]:
        """The top-level names of every module the script imports, wherever the import statement is."""
        names: Set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(_imported_by(node))
        return frozenset(names)


def _top(module: str) -> str:
    return module.partition(".")[0]


def _imported_by(node: Union[ast.Import, ast.ImportFrom]) -> Set[str]:
    """The top-level modules an import statement imports (none for a relative import)."""
    if isinstance(node, ast.Import):
        return {_top(alias.name) for alias in node.names}
    return {_top(node.module)} if node.module and node.level == 0 else set()


def read_script(path: Path, display: Optional[str] = None) -> Script:
    """Parse the script at `path`. Raises LintError naming the file (and the line of a syntax error)."""
    shown = display or str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LintError(f"cannot read {shown}: {reason}") from exc
    try:
        tree = ast.parse(source, filename=shown)
    except SyntaxError as exc:
        where = f"{shown}:{exc.lineno}:{exc.offset}" if exc.lineno else shown
        raise LintError(f"{where}: not valid Python: {exc.msg}; fix the syntax error first") from exc
    except ValueError as exc:  # null bytes in the source
        raise LintError(f"{shown}: not valid Python: {exc}") from exc
    return Script(path, shown, source, tree, _aliases(tree), _functions(tree), _bound(tree))


def _aliases(tree: ast.Module) -> Dict[str, str]:
    aliases: Dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or _top(alias.name)
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _functions(tree: ast.Module) -> Dict[str, FunctionNode]:
    return {
        node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _bound(tree: ast.Module) -> FrozenSet[str]:
    """Names bound at module level, also inside `if`/`try`/`with` blocks; `*` when a star import hides them."""
    names: Set[str] = set()
    statements: List[ast.AST] = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.stmt):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.excepthandler)):
                    statements.append(child)
                else:
                    names.update(_stored(child))
        elif isinstance(node, ast.ExceptHandler):
            statements.extend(node.body)
    return frozenset(names)


def _stored(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            yield child.id


def own_nodes(function: FunctionNode) -> Iterator[ast.AST]:
    """The nodes of a function's body, without those of functions, lambdas and classes defined inside it."""
    stack: List[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def has_decorator(script: Script, function: FunctionNode, name: str) -> bool:
    """Whether `function` carries a decorator whose (imported) name ends with `name`."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = script.qualified(target) or ""
        if qualified == name or qualified.endswith(f".{name}"):
            return True
    return False
