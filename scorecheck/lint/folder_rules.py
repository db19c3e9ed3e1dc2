"""Rules about the files beside the script: modules production shadows, and a stray `config.json`."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Iterator, List, Optional

from .names import COMMON_PACKAGES, IGNORED_CONFIG_KEYS, SERVER_CONFIG_KEYS, STDLIB, UPSTREAM_MODULES
from .registry import Finding, rule
from .script import Script

CONFIG_JSON = "config.json"
# Standard-library modules nothing imports in practice: a script named `test.py` shadows nothing that runs.
NOBODY_IMPORTS = frozenset({"test", "this", "antigravity", "idlelib", "turtledemo"})


def sibling_modules(folder: Path) -> List[str]:
    """Module names importable from `folder`: `name.py` files and `name/__init__.py` packages."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    names = [e.stem for e in entries if e.suffix == ".py" and e.is_file()]
    names += [e.name for e in entries if e.is_dir() and (e / "__init__.py").is_file()]
    return names


def _at_import(script: Script, rule_id: str, name: str, where: str, *, message: str, fix: str) -> Finding:
    """At the statement importing `name` when the script has one, else at line 1 of the module file itself."""
    imports = script.imports_of(name)
    if imports:
        node: ast.stmt = imports[0]
        return Finding(rule_id, script.display, node.lineno, node.col_offset + 1, message, fix)
    return Finding(rule_id, where, 1, 1, message, fix)


def _module_file(script: Script, name: str) -> str:
    single = script.folder / f"{name}.py"
    return script.sibling(f"{name}.py") if single.is_file() else script.sibling(f"{name}/__init__.py")


@rule(
    "shadowed-module", summary="a module beside the script is named like one of the production server's own"
)
def shadowed_module(script: Script) -> Iterator[Finding]:
    own = script.path.stem
    for name in sibling_modules(script.folder):
        if name not in UPSTREAM_MODULES or name == own:
            continue
        message = (
            f"'{name}' beside the script is shadowed in production: azureml-inference-server-http 1.5.1 puts its "
            f"own '{name}' first on sys.path, so 'import {name}' gets the server's module there"
        )
        fix = f"rename the module (for example to 'my_{name}.py') and its imports"
        yield _at_import(
            script, "shadowed-module", name, _module_file(script, name), message=message, fix=fix
        )


@rule("shadowed-package", summary="the script, or a module beside it, is named like a package it relies on")
def shadowed_package(script: Script) -> Iterator[Finding]:
    own = script.path.stem
    if own in COMMON_PACKAGES or own in STDLIB - NOBODY_IMPORTS:
        message = (
            f"the script is named like the package '{own}': run or imported from its folder (python, pytest) "
            f"it replaces '{own}' for everything that imports it, while the server loads it by path"
        )
        yield Finding(
            "shadowed-package",
            script.display,
            1,
            1,
            message,
            f"rename the script (for example to 'score_{own}.py')",
        )
    imported = script.imported()
    for name in sibling_modules(script.folder):
        if name == own or not (name in COMMON_PACKAGES or (name in STDLIB and name in imported)):
            continue
        message = (
            f"'{name}' beside the script has the name of an installed package: the server appends the script's "
            f"folder to sys.path, so 'import {name}' gets the installed one there but this file in a local run "
            "(python, pytest) from this folder"
        )
        fix = f"rename the module (for example to 'my_{name}.py') and its imports"
        yield _at_import(
            script, "shadowed-package", name, _module_file(script, name), message=message, fix=fix
        )


@rule(
    "stray-config-json", summary="a config.json beside the script, which the server reads as its own config"
)
def stray_config_json(script: Script) -> Iterator[Finding]:
    path = script.folder / CONFIG_JSON
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return  # the server skips an empty file too
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem: Optional[str] = f"cannot be read ({exc}), so the server fails to start"
    else:
        problem = _config_problem(text)
    if problem is None:
        return
    message = (
        f"{CONFIG_JSON} beside the script {problem}: the server (production and azmlinfsrv) loads a config.json "
        "found in AML_APP_ROOT or beside the entry script as its own configuration"
    )
    fix = "rename it (for example to 'model_config.json') or move it into the model directory"
    yield Finding("stray-config-json", script.sibling(CONFIG_JSON), 1, 1, message, fix)


def _config_problem(text: str) -> Optional[str]:
    """What the server makes of this config.json, or None when it is a plain server configuration."""
    try:
        values: Any = json.loads(text)
    except ValueError as exc:
        return f"is not valid JSON ({exc}), so the server fails to start (exit 3)"
    if not isinstance(values, dict):
        return f"holds a JSON {type(values).__name__}, not an object, so the server fails to start (exit 3)"
    known = sorted(k for k in values if k in SERVER_CONFIG_KEYS)
    extra = sorted(k for k in values if k not in SERVER_CONFIG_KEYS)
    if not known:
        return "holds none of the server's configuration keys"
    if extra:
        return f"mixes server keys ({', '.join(known)}) with others the server warns about ({', '.join(extra[:5])})"
    return None


@rule(
    "ignored-config-key", summary="the server configuration beside the script sets a key production ignores"
)
def ignored_config_key(script: Script) -> Iterator[Finding]:
    path = script.folder / CONFIG_JSON
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        values: Any = json.loads(text) if text.strip() else {}
    except (OSError, UnicodeDecodeError, ValueError):
        return  # stray-config-json reports a file the server cannot read
    if not isinstance(values, dict):
        return
    for key, instead in IGNORED_CONFIG_KEYS.items():
        if key not in values:
            continue
        line = next((n for n, row in enumerate(text.splitlines(), 1) if f'"{key}"' in row), 1)
        message = (
            f"{CONFIG_JSON} sets {key}, which production ignores in its config file (azmlinfsrv ignores it too and "
            "logs a warning), so the setting has no effect once deployed"
        )
        yield Finding(
            "ignored-config-key", script.sibling(CONFIG_JSON), line, 1, message, f"use {instead} instead"
        )
