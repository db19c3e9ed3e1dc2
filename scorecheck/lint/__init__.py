"""`scorecheck lint`: static checks of an entry script for production pitfalls, with `ast` only (the script is
never imported or run). Each rule is a registered function yielding findings with the line and the fix."""

from __future__ import annotations

from . import folder_rules, run_rules, script_rules  # noqa: F401  (registers the rules, in this order)
from .registry import RULES, Finding, Rule
from .runner import lint_script
from .script import LintError

__all__ = ["RULES", "Finding", "LintError", "Rule", "lint_script"]
