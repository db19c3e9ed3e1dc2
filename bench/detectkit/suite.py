"""The detection suite: one folder per sample script, with its fixtures and the verdict the gate should reach.

Each folder under `tests/scripts/detection/` holds `score.py`, `cases/` (fixtures, `_inputs/` for upload
bodies), optionally `model/`, and `expect.yaml`:

    verdict: fail            # fail | warn (the gate passes with a warning) | pass
    check: not_a_server_error  # planted bugs: the check that should find it
    tier: near               # planted bugs: near | schema | hostile (the example tier that should reach it)
    bug: one line saying what is planted
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUITE_DIR = Path(__file__).resolve().parents[2] / "tests" / "scripts" / "detection"
VERDICTS = ("fail", "warn", "pass")
TIERS = ("near", "schema", "hostile")
BUG_KEYS = ("verdict", "check", "tier", "bug")


class SuiteError(ValueError):
    """A malformed script folder: names the file and what to fix."""


@dataclass(frozen=True)
class Script:
    name: str
    folder: Path
    verdict: str
    check: str = ""
    tier: str = ""
    bug: str = ""

    @property
    def score(self) -> Path:
        return self.folder / "score.py"

    @property
    def cases(self) -> Path:
        return self.folder / "cases"

    @property
    def planted(self) -> bool:
        return self.verdict != "pass"


def _expectation(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: expected a mapping with at least 'verdict'")
    unknown = sorted(set(data) - set(BUG_KEYS))
    if unknown:
        raise SuiteError(f"{path}: unknown key(s) {unknown}; allowed: {list(BUG_KEYS)}")
    return data


def load_script(folder: Path) -> Script:
    """Read and check one script folder."""
    path = folder / "expect.yaml"
    data = _expectation(path)
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise SuiteError(f"{path}: verdict must be one of {list(VERDICTS)}, got {verdict!r}")
    if verdict != "pass" and (data.get("tier") not in TIERS or not data.get("check") or not data.get("bug")):
        raise SuiteError(f"{path}: a planted bug needs 'check', 'bug' and 'tier' (one of {list(TIERS)})")
    for required in (folder / "score.py", folder / "cases"):
        if not required.exists():
            raise SuiteError(f"{folder}: missing {required.name}")
    fields = {key: str(data.get(key, "")) for key in ("check", "tier", "bug")}
    return Script(name=folder.name, folder=folder, verdict=str(verdict), **fields)


def discover(root: Path = SUITE_DIR, only: Sequence[str] = ()) -> list[Script]:
    """Every script folder below `root` (sorted), or just the named ones; unknown names are an error."""
    folders = {path.parent.name: path.parent for path in sorted(root.glob("*/expect.yaml"))}
    missing = sorted(set(only) - set(folders))
    if missing:
        raise SuiteError(f"unknown script(s) {missing}; known: {sorted(folders)}")
    return [load_script(folders[name]) for name in (only or sorted(folders))]
