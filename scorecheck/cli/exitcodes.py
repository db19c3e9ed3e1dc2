"""The gate's exit codes. CI systems read only these, so each one has a single meaning.

The engine reports how a run ended (`RunOutcome`); this module alone decides what that means to the shell.
"""

from __future__ import annotations

import enum
from typing import Dict

from ..model import RunOutcome


class ExitCode(enum.IntEnum):
    """The process exit codes of `scorecheck run`, `scorecheck record` and `scorecheck lint`."""

    OK = 0  # every selected case passed
    CHECK_FAILED = 1  # a case failed or could not be checked while the server kept running
    USAGE = 2  # bad command line, configuration or fixture file; nothing was started
    SERVER = (
        3  # the server failed to start (init() raised, bad script) or crashed (a worker too) during the run
    )
    HARNESS = 4  # scorecheck itself failed; the report still says what happened
    INTERRUPTED = 130  # Ctrl-C or SIGTERM, the shell convention (128 + SIGINT)


_BY_OUTCOME: Dict[RunOutcome, ExitCode] = {
    "passed": ExitCode.OK,
    "failed": ExitCode.CHECK_FAILED,
    "usage_error": ExitCode.USAGE,
    "server_failed": ExitCode.SERVER,
    "internal_error": ExitCode.HARNESS,
    "interrupted": ExitCode.INTERRUPTED,
}


def lint_exit_code(findings: int, strict: bool) -> int:
    """`scorecheck lint`: findings are warnings (0) unless --strict (1). A script that cannot be read or parsed
    is a usage error (`ExitCode.USAGE`, 2)."""
    return int(ExitCode.CHECK_FAILED if findings and strict else ExitCode.OK)


def exit_code_for(outcome: RunOutcome) -> int:
    """The exit code of a run that ended with `outcome`."""
    return int(_BY_OUTCOME[outcome])
