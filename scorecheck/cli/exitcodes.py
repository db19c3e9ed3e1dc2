"""The gate's exit codes. CI systems read only these, so each one has a single meaning."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # every selected case passed
    CHECK_FAILED = 1  # a case failed or could not be checked while the server kept running
    USAGE = 2  # bad command line, configuration or fixture file; nothing was started
    SERVER = 3  # the server failed to start (init() raised, bad script) or died during the run
    HARNESS = 4  # scorecheck itself failed; the report still says what happened
    INTERRUPTED = 130  # Ctrl-C or SIGTERM, the shell convention (128 + SIGINT)
