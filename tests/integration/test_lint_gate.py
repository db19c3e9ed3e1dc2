"""The lint inside `scorecheck run`: findings reported before the server starts, as warnings in the console and in
the JUnit `lint` suite; `--strict-lint` (or `strict-lint` in pyproject.toml) makes them fail the gate."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from tests.scorecheck.junit_checks import Report, ReportCase
from tests.scorecheck.sc_support import SCRIPTS, report_at, scorecheck, write

pytestmark = pytest.mark.slow  # each test starts a server

PITFALLS = SCRIPTS / "lint_pitfalls" / "score.py"
RULES = ["relative-model-path", "print-logging", "numpy-return", "nan-return", "stray-config-json"]
CASE = 'request: {body: "hello"}\nexpect: {json: {"received": "hello"}}\n'


def _run(tmp_path: Path, *extra: str, script: Path = PITFALLS) -> tuple[int, str, Report]:
    write(tmp_path / "cases" / "hello.yaml", CASE)
    args = ["run", str(script), "cases", "--no-properties", "--junit-xml", "report.xml", *extra]
    result = scorecheck(args, cwd=tmp_path)
    return result.returncode, result.stdout + result.stderr, report_at(tmp_path / "report.xml")


def _lint(report: Report) -> List[ReportCase]:
    return [case for case in report.cases if case.suite == "scorecheck.lint"]


def test_findings_are_warnings_in_the_console_and_the_report(tmp_path: Path) -> None:
    code, output, report = _run(tmp_path)
    assert code == 0, output
    lint = _lint(report)
    assert [case.classname for case in lint] == [f"scorecheck.lint.{rule}" for rule in RULES]
    assert all(case.result is None for case in lint)  # passed: warnings do not fail the gate
    numpy = lint[2]
    assert numpy.name == f"numpy-return {PITFALLS}:22:9"
    assert numpy.system_out is not None
    assert "fix: return plain Python values: .tolist() on arrays" in numpy.system_out
    assert report.case("hello.yaml").result is None
    # Reported before the server starts, a line each with its fix; then once more in the closing table.
    assert f"lint warning: {PITFALLS}:22:9: numpy-return run() returns np.array" in output
    assert output.index("lint warning:") < output.index("server ready in")
    assert f"WARNING numpy-return {PITFALLS}:22:9" in output
    assert "PASSED: 7 passed, 1 skipped" in output


def test_strict_lint_fails_the_gate(tmp_path: Path) -> None:
    code, output, report = _run(tmp_path, "--strict-lint")
    assert code == 1, output
    lint = _lint(report)
    assert [(case.result, case.type) for case in lint] == [("failure", "LintFinding")] * len(RULES)
    assert lint[4].message is not None
    assert lint[4].message.startswith(
        "config.json beside the script holds none of the server's configuration keys"
    )
    assert report.case("hello.yaml").result is None  # the fixture itself still passed
    assert "FAILED (exit code 1): 5 failed, 2 passed, 1 skipped" in output


def test_strict_lint_in_pyproject_fails_the_gate(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.scorecheck]\nstrict-lint = true\n")
    code, output, report = _run(tmp_path)
    assert code == 1, output
    assert {case.result for case in _lint(report)} == {"failure"}


def test_no_lint_skips_it(tmp_path: Path) -> None:
    code, output, report = _run(tmp_path, "--no-lint", "--strict-lint")
    assert code == 0, output
    assert _lint(report) == []
    assert "lint warning" not in output
    assert "PASSED: 2 passed, 1 skipped" in output


def test_findings_are_reported_when_the_server_cannot_start(tmp_path: Path) -> None:
    code, output, report = _run(tmp_path, script=SCRIPTS / "varargs_run.py")
    assert code == 3, output
    (case,) = _lint(report)
    assert case.classname == "scorecheck.lint.entry-contract"
    assert case.system_out is not None
    assert "run() cannot accept positional-only arguments, *args, or **kwargs." in case.system_out
    assert report.case("startup").type == "ServerStartupError"
