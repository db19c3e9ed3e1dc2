"""Lint one script: parse it, run every registered rule, drop the findings its comments silence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from .registry import RULES, Finding, Rule
from .script import Script, read_script

# `# scorecheck: ignore` silences every rule on its line, `# scorecheck: ignore[numpy-return, nan-return]` some.
_IGNORE = re.compile(r"#\s*scorecheck:\s*ignore(?:\[(?P<rules>[^\]]*)\])?")


def lint_script(
    path: Path, display: Optional[str] = None, rules: Optional[Iterable[Rule]] = None
) -> List[Finding]:
    """The findings for the script at `path`, in file and line order. Raises LintError when it cannot be parsed."""
    script = read_script(path, display)
    findings = [finding for chosen in (rules or RULES.values()) for finding in chosen.check(script)]
    kept = [finding for finding in findings if not _silenced(script, finding)]
    return sorted(
        set(kept), key=lambda f: (f.file != script.display, f.file, f.line, f.column, f.rule, f.message)
    )


def _silenced(script: Script, finding: Finding) -> bool:
    if finding.file != script.display:
        return False
    lines: Sequence[str] = script.source.splitlines()
    if not 0 < finding.line <= len(lines):
        return False
    match = _IGNORE.search(lines[finding.line - 1])
    if match is None:
        return False
    named = match.group("rules")
    return named is None or finding.rule in {name.strip() for name in named.split(",")}
