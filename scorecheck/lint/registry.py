"""Findings and the rule registry: each rule is a small function registered under a stable id.

A rule takes the parsed script and yields `Finding`s; the id is what `# scorecheck: ignore[id]` names, what the
JUnit `lint` suite groups by and what the docs list. Registration order is the order rules run in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterator

from .script import Script


@dataclass(frozen=True)
class Finding:
    """One pitfall: where it is (1-based line and column), what goes wrong in production, and the fix."""

    rule: str
    file: str
    line: int
    column: int
    message: str
    fix: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


RuleFunction = Callable[[Script], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    check: RuleFunction


RULES: Dict[str, Rule] = {}


def rule(name: str, *, summary: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule under `name`."""

    def register(function: RuleFunction) -> RuleFunction:
        RULES[name] = Rule(name, summary, function)
        return function

    return register
