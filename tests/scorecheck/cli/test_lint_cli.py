"""`scorecheck lint` as a process: output, exit codes (cli/exitcodes.py), and the lint settings of `run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorecheck.cli.exitcodes import ExitCode, lint_exit_code
from scorecheck.cli.main import build_parser
from scorecheck.config import ConfigError, RunConfig, build_config
from tests.scorecheck.sc_support import ECHO, HOUSING, REPO, SCRIPTS, scorecheck, write


def test_a_clean_script_exits_0() -> None:
    result = scorecheck(["lint", "fixtures/housing/score.py"], cwd=REPO)
    assert result.returncode == ExitCode.OK == 0, result.stderr
    assert result.stdout == "fixtures/housing/score.py: no findings (10 rules checked)\n"
    assert HOUSING.is_dir()


def test_findings_are_warnings_each_with_line_and_fix() -> None:
    result = scorecheck(["lint", "tests/scripts/returns.py"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tests/scripts/returns.py:19:22: nan-return run() returns float('nan'): ")
    assert lines[1].startswith("    fix: return None")
    assert lines[4].startswith(
        "tests/scripts/returns.py:25:9: numpy-return run() returns np.array([1.5, 2.5])"
    )
    assert lines[-1] == "3 findings in tests/scripts/returns.py (warnings; --strict makes them fail)"


def test_strict_findings_exit_1_and_json_holds_them() -> None:
    result = scorecheck(
        ["lint", "--strict", "--format", "json", "tests/scripts/with_shadow/score.py"], cwd=REPO
    )
    assert result.returncode == ExitCode.CHECK_FAILED == 1, result.stderr
    document = json.loads(result.stdout)
    assert (document["strict"], document["exit_code"]) == (True, 1)
    assert [(f["rule"], f["line"], f["column"]) for f in document["findings"]] == [
        ("shadowed-module", 3, 1),
        ("shadowed-module", 4, 1),
    ]
    assert (
        document["findings"][0]["fix"] == "rename the module (for example to 'my_config.py') and its imports"
    )


def test_strict_without_findings_exits_0() -> None:
    assert scorecheck(["lint", "--strict", str(ECHO)], cwd=REPO).returncode == 0


def test_a_syntax_error_exits_2_naming_file_and_line() -> None:
    result = scorecheck(["lint", "tests/scripts/syntax_error.py"], cwd=REPO)
    assert result.returncode == ExitCode.USAGE == 2
    assert result.stdout == ""
    assert result.stderr.startswith("scorecheck: error: tests/scripts/syntax_error.py:4:")
    assert "not valid Python: invalid syntax" in result.stderr


@pytest.mark.parametrize(("target", "message"), [("missing.py", "no such file"), (".", "is a folder")])
def test_no_script_exits_2(tmp_path: Path, target: str, message: str) -> None:
    result = scorecheck(["lint", target], cwd=tmp_path)
    assert result.returncode == 2
    assert f"SCORE_PY {target}: {message}" in result.stderr


def test_an_unreadable_script_exits_2(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_bytes(b"def init():\n    pass\n\xff\xfe\n")
    result = scorecheck(["lint", "score.py"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("scorecheck: error: cannot read score.py: ")


def test_the_help_lists_the_rules_and_exit_codes() -> None:
    result = scorecheck(["lint", "--help"], cwd=REPO)
    assert result.returncode == 0
    for text in ("numpy-return", "stray-config-json", "entry-contract", "1    findings with --strict"):
        assert text in result.stdout


def test_lint_exit_codes() -> None:
    assert [lint_exit_code(n, strict) for n, strict in [(0, False), (3, False), (0, True), (3, True)]] == [
        0,
        0,
        0,
        1,
    ]


def test_run_lints_by_default_and_the_settings_change_it(tmp_path: Path) -> None:
    def config(*argv: str) -> RunConfig:
        return build_config(
            build_parser().parse_args(["run", str(SCRIPTS / "echo.py"), "cases", *argv]), tmp_path
        )

    assert (config().lint, config().strict_lint) == (True, False)
    assert (config("--no-lint").lint, config("--strict-lint").strict_lint) == (False, True)
    write(tmp_path / "pyproject.toml", "[tool.scorecheck]\nlint = false\nstrict-lint = true\n")
    assert (config().lint, config().strict_lint) == (False, True)
    write(tmp_path / "pyproject.toml", '[tool.scorecheck]\nstrict-lint = "yes"\n')
    with pytest.raises(ConfigError, match="strict-lint: must be true or false"):
        config()
