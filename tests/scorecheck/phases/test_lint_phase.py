"""The lint cases a gate run reports before the server starts (`phases/lint.py`), without a server."""

from __future__ import annotations

from scorecheck.config import RunConfig
from scorecheck.model import WARNING_KIND
from scorecheck.phases.lint import LINT_KIND, lint_cases
from tests.scorecheck.sc_support import ECHO, SCRIPTS

RETURNS = str(SCRIPTS / "returns.py")


def test_each_finding_is_a_warning_case_with_its_fix() -> None:
    cases = lint_cases(RunConfig(entry_script=RETURNS, fixtures=("cases",)))
    assert [(c.suite, c.group, c.outcome, c.kind) for c in cases] == [
        ("lint", "nan-return", "passed", WARNING_KIND),
        ("lint", "nan-return", "passed", WARNING_KIND),
        ("lint", "numpy-return", "passed", WARNING_KIND),
    ]
    assert cases[2].name == f"numpy-return {RETURNS}:25:9"
    assert cases[2].message.startswith("warning: run() returns np.array([1.5, 2.5]), a numpy value")
    assert cases[2].log.splitlines()[-1].startswith("fix: return plain Python values")


def test_strict_findings_are_failures() -> None:
    cases = lint_cases(RunConfig(entry_script=RETURNS, strict_lint=True))
    assert {(c.outcome, c.kind) for c in cases} == {("failed", LINT_KIND)}
    assert all("\nfix: " in c.details for c in cases)


def test_nothing_when_clean_off_or_not_a_run() -> None:
    assert lint_cases(RunConfig(entry_script=str(ECHO))) == ()
    assert lint_cases(RunConfig(entry_script=RETURNS, lint=False)) == ()
    assert lint_cases(RunConfig(entry_script=RETURNS, command="record")) == ()
    assert lint_cases(RunConfig(target="http://127.0.0.1:1")) == ()


def test_a_script_that_does_not_parse_is_one_warning_left_to_the_server_start() -> None:
    script = str(SCRIPTS / "syntax_error.py")
    (case,) = lint_cases(RunConfig(entry_script=script, strict_lint=True))
    assert (case.outcome, case.kind) == ("passed", WARNING_KIND)
    assert case.message.startswith(f"warning: the script was not linted: {script}:4:")
