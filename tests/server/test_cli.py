"""Unit tests for azmlinfsrv.cli: parsing, exit codes and the messages printed before the server would start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from azmlinfsrv.cli import build_parser, parse_args, run_cli

PORT_ERROR = "Specified port '0' is invalid. Please specify a port within range the [1, 65535] range."
WORKER_ERROR = "Specified worker count '0' is invalid. Please specify a worker count greater than zero."
NO_SCRIPT = (
    "Either provide an entry_script using --entry_script or provide a path to the configuration file using "
    "--config_file"
)
SERVER_ENV_VARS = ("AZUREML_ENTRY_SCRIPT", "AZUREML_CONFIG_FILE", "AML_APP_ROOT", "SCORING_TIMEOUT_MS")


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SERVER_ENV_VARS}
    env.update(extra)
    return env


def run_module(args: List[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "azmlinfsrv", *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> Iterator[pytest.CaptureFixture[str]]:
    """run_cli in this process, from an empty cwd with no server variables set."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper() in SERVER_ENV_VARS:
            monkeypatch.delenv(name)
    return capsys


def cli_exit(argv: List[str], capsys: pytest.CaptureFixture[str]) -> Tuple[int, str, str]:
    """Runs run_cli where it returns (or exits) before serving; returns (code, stdout, stderr)."""
    try:
        code = run_cli(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- through the real entry point (python -m azmlinfsrv) ----------------------------------------------------


def test_help_exits_0(tmp_path: Path) -> None:
    result = run_module(["--help"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: azmlinfsrv")
    for flag in (
        "--entry_script",
        "--model_dir",
        "--port",
        "--health_port",
        "--worker_count",
        "--appinsights_instrumentation_key",
        "--access_control_allow_origins",
        "--config_file",
    ):
        assert flag in result.stdout
    assert "--rest" not in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], f"argument --port: {PORT_ERROR}"),
        (["--port", "65536"], "argument --port: Specified port '65536' is invalid."),
        (["--port", "abc"], "argument --port: Specified port 'abc' is invalid."),
        (["--worker_count", "0"], f"argument --worker_count: {WORKER_ERROR}"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_parse_errors_exit_1_with_usage_error_and_help(tmp_path: Path, args: List[str], message: str) -> None:
    result = run_module(["--entry_script", "score.py", *args], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("usage: azmlinfsrv")
    error = [line for line in lines if line.startswith("azmlinfsrv: error: ")]
    assert len(error) == 1
    assert error[0].startswith(f"azmlinfsrv: error: {message}")
    # The full help follows the error.
    after = result.stderr.split(error[0], 1)[1]
    assert "usage: azmlinfsrv" in after
    assert "--appinsights_instrumentation_key" in after
    assert "--access_control_allow_origins" in after


def test_no_entry_script_or_config_exits_1(tmp_path: Path) -> None:
    result = run_module([], tmp_path)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    lines = [line.split(" - ", 1)[1] for line in output.splitlines() if " azmlinfsrv - " in line]
    assert lines == ["Error!", NO_SCRIPT]


def test_missing_config_file_exits_1(tmp_path: Path) -> None:
    result = run_module(["--config_file", "missing.json"], tmp_path)
    assert result.returncode == 1
    assert (
        f"Config file not found: {os.path.realpath(tmp_path / 'missing.json')}"
        in result.stdout + result.stderr
    )


def test_discovered_json_list_exits_3_with_advice(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps([{"model": "m"}]), encoding="utf-8")
    result = run_module(["--entry_script", "score.py"], tmp_path)
    assert result.returncode == 3
    output = result.stdout + result.stderr
    assert "Invalid config file!" in output
    assert str(tmp_path / "config.json") in output
    assert "Rename or move it" in output


# --- in process --------------------------------------------------------------------------------------------


def test_parse_args_maps_flags() -> None:
    args = parse_args(
        [
            "--entry_script", "s.py",
            "--model_dir", "m",
            "--port", "6001",
            "--health_port", "6002",
            "--worker_count", "3",
            "--appinsights_instrumentation_key", "k",
            "--access_control_allow_origins", "*",
            "--config_file", "c.json",
            "--rest",
        ]
    )  # fmt: skip
    assert (args.entry_script, args.model_dir, args.port, args.health_port, args.worker_count) == (
        "s.py",
        "m",
        6001,
        6002,
        3,
    )
    assert (args.appinsights_key, args.cors_origins, args.config_file, args.rest) == (
        "k",
        "*",
        "c.json",
        True,
    )


def test_parse_args_defaults_are_none() -> None:
    args = parse_args([])
    assert (args.port, args.health_port, args.worker_count, args.model_dir) == (None, None, None, None)
    assert args.rest is False
    assert args.host == "0.0.0.0"


@pytest.mark.parametrize("value", ["1", "65535"])
def test_port_bounds_accepted(value: str) -> None:
    assert parse_args(["--port", value]).port == int(value)


def test_only_long_underscored_options() -> None:
    options = {o for action in build_parser()._actions for o in action.option_strings}
    assert "--entry-script" not in options
    assert {"-h", "--help", "--entry_script", "--model_dir", "--port"} <= options


def test_in_process_port_error(in_process: pytest.CaptureFixture[str]) -> None:
    code, _out, err = cli_exit(["--entry_script", "s.py", "--port", "0"], in_process)
    assert code == 1
    assert f"azmlinfsrv: error: argument --port: {PORT_ERROR}\n" in err
    assert err.startswith("usage: azmlinfsrv")


def test_in_process_no_script(in_process: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli_exit([], in_process)
    assert code == 1
    assert "E [" in out
    assert out.splitlines()[-1].endswith(f"azmlinfsrv - {NO_SCRIPT}")


@pytest.mark.parametrize("name", ["AZUREML_ENTRY_SCRIPT", "azureml_entry_script"])
def test_in_process_env_entry_script_counts(
    in_process: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    # The variable alone is enough to get past the "Either provide" check (a bad timeout stops it next); names
    # match case-insensitively, as for every other setting.
    monkeypatch.setenv(name, "score.py")
    monkeypatch.setenv("SCORING_TIMEOUT_MS", "abc")
    code, out, _ = cli_exit([], in_process)
    assert code == 3
    assert NO_SCRIPT not in out


def test_in_process_configuration_error_block(
    in_process: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORING_TIMEOUT_MS", "abc")
    code, out, _ = cli_exit(["--entry_script", "score.py"], in_process)
    assert code == 3
    text = out.split(" azmlinfsrv - ", 1)[1]
    assert text.splitlines()[:3] == [
        "===============Configuration Error=================",
        "SCORING_TIMEOUT_MS: Input should be a valid integer, unable to parse string as an integer "
        "(environment variable: SCORING_TIMEOUT_MS)",
        "===================================================",
    ]
    assert " C [" in out


def test_in_process_missing_config_file_via_env(
    in_process: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AZUREML_CONFIG_FILE", "nope.json")
    code, out, _ = cli_exit([], in_process)
    assert code == 1
    assert out.splitlines()[-1].endswith(f"Config file not found: {os.path.realpath(tmp_path / 'nope.json')}")
    assert "Configuration Error" not in out


def test_in_process_invalid_explicit_config_exits_3(
    in_process: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "server.json").write_text("{oops", encoding="utf-8")
    code, out, _ = cli_exit(["--config_file", "server.json"], in_process)
    assert code == 3
    assert "Invalid config file!: " in out
