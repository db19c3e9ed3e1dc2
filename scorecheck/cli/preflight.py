"""Pre-flight: what must hold before any server starts, checked at once so that every problem is listed.

The scoring script must be a file, and every path the run writes (the JUnit report, the saved failures) must be
writable, or the run would start a server, spend its budget and then lose its verdict. Each problem names the
option, the path and the fix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import List, Optional

from .. import accepted_changes
from ..accepted_changes import AcceptedChangesError
from ..config import DEFAULT_JUNIT_XML, RunConfig
from ..phases.baseline import accepted_path


def preflight(config: RunConfig) -> List[str]:
    """The problems that stop the run before it starts (empty: go ahead)."""
    problems = []
    if config.target is None and config.entry_script is not None:
        problems.append(_script_problem(config.entry_script))
    if config.command == "run" and config.junit_xml:
        problems.append(_file_problem("--junit-xml", Path(config.junit_xml)))
    if config.command == "run" and config.html:
        problems.append(_file_problem("--html", Path(config.html), "report.html"))
    if config.command == "run" and config.properties and config.save_failures:
        problems.append(_folder_problem("--save-failures", Path(config.save_failures)))
    if config.command == "run" and config.baseline is not None:
        problems.append(_script_problem(config.baseline, "--baseline"))
    if config.command == "run" and (config.baseline or config.baseline_target):
        problems.append(_accepted_problem(config))
    return [problem for problem in problems if problem]


def _script_problem(script: str, option: str = "SCORE_PY") -> str:
    path = Path(script)
    if path.is_file():
        return ""
    if path.is_dir():
        return f"{option} {script}: is a folder; give the scoring script's .py file"
    where = "" if path.is_absolute() else f" (looked for in {os.getcwd()})"
    return f"{option} {script}: no such file{where}; give the path of the scoring script"


def _accepted_problem(config: RunConfig) -> str:
    """A malformed accepted-changes file is found now, not after the whole run."""
    path = accepted_path(config)
    try:
        accepted_changes.load(path)
    except AcceptedChangesError as exc:
        return f"--accepted-changes {exc}"
    if config.accept_changes:
        return _file_problem("--accepted-changes", path)
    return ""


def _file_problem(option: str, path: Path, example: str = DEFAULT_JUNIT_XML) -> str:
    if path.is_dir():
        return f"{option} {path}: is a folder; give a file path such as {path / example}"
    if path.exists():
        return (
            ""
            if os.access(path, os.W_OK)
            else f"{option} {path}: the file is not writable; give another path"
        )
    return _creatable(option, path, path.parent)


def _folder_problem(option: str, path: Path) -> str:
    if path.exists() and not path.is_dir():
        return f"{option} {path}: is a file, not a folder; give a folder (or '' to save nothing)"
    return _creatable(option, path, path)


def _creatable(option: str, path: Path, folder: Path) -> str:
    """Whether `folder` exists as a writable folder or can be created below the nearest existing one."""
    existing = _nearest_existing(folder)
    if existing is None:
        return f"{option} {path}: no folder of it exists; give a path below a writable folder"
    if not existing.is_dir():
        return f"{option} {path}: {existing} is a file, not a folder; give another path"
    try:
        # A real file, not os.access: root passes every access test, yet cannot write to a read-only mount.
        with tempfile.TemporaryFile(dir=existing):
            return ""
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return f"{option} {path}: cannot write in {existing} ({reason}); give a path in a writable folder"


def _nearest_existing(folder: Path) -> Optional[Path]:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return None
