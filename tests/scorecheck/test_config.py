"""RunConfig from the command line and [tool.scorecheck]: precedence, paths, validation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence

import pytest

from scorecheck.cli.main import build_parser
from scorecheck.config import DURATIONS, ConfigError, RunConfig, build_config
from tests.scorecheck.sc_support import write


def _config(argv: Sequence[str], cwd: Path, monkeypatch: Optional[pytest.MonkeyPatch] = None) -> RunConfig:
    args: argparse.Namespace = build_parser().parse_args(list(argv))
    if monkeypatch is not None:
        monkeypatch.chdir(cwd)
    return build_config(args, cwd)


def test_command_line_defaults(tmp_path: Path) -> None:
    config = _config(["run", "score.py", "cases", "more"], tmp_path)
    assert config.entry_script == "score.py"
    assert config.fixtures == ("cases", "more")
    assert config.junit_xml == "TEST-scorecheck.xml"
    assert (config.startup_timeout, config.request_timeout) == (60.0, 30.0)
    assert config.pyproject is None


def test_pyproject_settings_apply_and_the_command_line_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SC_TEST_TOKEN", "t0ken")
    write(
        tmp_path / "pyproject.toml",
        """
        [tool.scorecheck]
        score = "app/score.py"
        fixtures = ["app/cases"]
        model_dir = "app/model"
        env = {A = "1", B = "2"}
        server-args = ["--worker_count=2"]
        startup-timeout = 5
        exitfirst = true
        headers = ["Authorization: Bearer ${SC_TEST_TOKEN}"]
        """,
    )
    sub = tmp_path / "app" / "deeper"
    sub.mkdir(parents=True)
    config = _config(["run", "--env", "B=3", "--startup-timeout", "7", "-v", "-v", "-q"], sub, monkeypatch)
    assert Path(str(config.entry_script)).resolve() == tmp_path / "app" / "score.py"
    assert [Path(p).resolve() for p in config.fixtures] == [tmp_path / "app" / "cases"]
    assert Path(str(config.model_dir)).resolve() == tmp_path / "app" / "model"
    assert config.env == (("A", "1"), ("B", "3"))
    assert config.server_args == ("--worker_count=2",)
    assert config.startup_timeout == 7.0
    assert config.exitfirst is True
    assert config.headers == (("Authorization", "Bearer t0ken"),)
    assert config.verbosity == 1
    assert config.pyproject == str(tmp_path / "pyproject.toml")
    positional = _config(["run", "other.py", "x"], sub, monkeypatch)
    assert (positional.entry_script, positional.fixtures) == ("other.py", ("x",))
    only_fixtures = _config(["run", "y"], sub, monkeypatch)
    assert only_fixtures.fixtures == ("y",)
    assert Path(str(only_fixtures.entry_script)).name == "score.py"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param('[tool.scorecheck]\nscroe = "s.py"\n', "unknown key 'scroe'", id="typo"),
        pytest.param("[tool.scorecheck]\nstartup-timeout = -1\n", "greater than 0", id="timeout"),
        pytest.param(
            '[tool.scorecheck]\nheaders = ["X: ${SC_UNSET_VAR}"]\n', "SC_UNSET_VAR is not set", id="env"
        ),
        pytest.param("[tool.scorecheck\n", "cannot read", id="toml-syntax"),
    ],
)
def test_bad_pyproject_settings_are_named(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", toml)
    with pytest.raises(ConfigError, match=message):
        _config(["run", "s.py", "cases"], tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["run"], "missing SCORE_PY", id="no-script"),
        pytest.param(["run", "s.py"], "no fixtures given", id="no-fixtures"),
        pytest.param(["run", "s.py", "c", "--env", "NOEQUALS"], "KEY=VALUE", id="env"),
        pytest.param(["run", "s.py", "c", "--header", "Bearer s3cret"], "Name: value", id="header"),
        pytest.param(["run", "c", "--target", "ftp://x"], "http:// or https://", id="target"),
        pytest.param(["record", "s.py", "in.json"], "--out DIR", id="record-out"),
    ],
)
def test_bad_command_lines_are_usage_errors(tmp_path: Path, argv: Sequence[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        _config(argv, tmp_path)
    assert "s3cret" not in str(info.value)


def test_target_needs_no_script(tmp_path: Path) -> None:
    config = _config(
        ["run", "cases", "--target", "https://x.example/", "--header", "Authorization: Bearer s"], tmp_path
    )
    assert (config.entry_script, config.fixtures, config.target) == (None, ("cases",), "https://x.example/")
    assert config.headers == (("Authorization", "Bearer s"),)


_BAD_NUMBERS = ("nan", "inf", "-inf", "-1", "0", "1e12")


@pytest.mark.parametrize("value", _BAD_NUMBERS)
@pytest.mark.parametrize("option", sorted(DURATIONS))
def test_every_duration_option_rejects_unbounded_values_naming_the_option(
    tmp_path: Path, option: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=f"^--{option}: must be a number greater than 0") as info:
        _config(["run", "s.py", "cases", f"--{option}={value}"], tmp_path)
    assert str(info.value).endswith(f"got {float(value):g}")


@pytest.mark.parametrize("value", _BAD_NUMBERS)
@pytest.mark.parametrize("key", sorted(DURATIONS))
def test_every_duration_key_in_pyproject_rejects_unbounded_values_naming_the_key(
    tmp_path: Path, key: str, value: str
) -> None:
    write(tmp_path / "pyproject.toml", f"[tool.scorecheck]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=rf"^\[tool.scorecheck\] {key}: must be a number greater than 0"):
        _config(["run", "s.py", "cases"], tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-examples=0"], "--max-examples: must be at least 1"),
        (["--max-examples=-5"], "--max-examples: must be at least 1"),
        (["--seed=-1"], "--seed: must be 0 or more"),
    ],
)
def test_count_options_reject_negatives(tmp_path: Path, argv: Sequence[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(["run", "s.py", "cases", *argv], tmp_path)


@pytest.mark.parametrize("toml", ["max-examples = -1", "seed = -1", "max-examples = nan"])
def test_count_keys_in_pyproject_reject_negatives(tmp_path: Path, toml: str) -> None:
    write(tmp_path / "pyproject.toml", f"[tool.scorecheck]\n{toml}\n")
    with pytest.raises(
        ConfigError, match=rf"\[tool.scorecheck\] {toml.split(maxsplit=1)[0]}: must be an integer"
    ):
        _config(["run", "s.py", "cases"], tmp_path)


def test_runtime_check_settings_from_pyproject_and_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = _config(["run", "s.py", "cases"], tmp_path)
    assert (defaults.memory_check, defaults.max_memory_growth, defaults.max_startup_s) == (True, 20.0, None)
    write(
        tmp_path / "pyproject.toml",
        "[tool.scorecheck]\nmemory-check = false\nmax-memory-growth = 5\nmax-startup-s = 30\n",
    )
    project = _config(["run", "s.py", "cases"], tmp_path, monkeypatch)
    assert (project.memory_check, project.max_memory_growth, project.max_startup_s) == (False, 5.0, 30.0)
    cli = _config(["run", "s.py", "cases", "--max-memory-growth", "50", "--max-startup-s", "2.5"], tmp_path)
    assert (cli.memory_check, cli.max_memory_growth, cli.max_startup_s) == (False, 50.0, 2.5)
    write(tmp_path / "pyproject.toml", "[tool.scorecheck]\n")
    assert _config(["run", "s.py", "cases", "--no-memory-check"], tmp_path).memory_check is False


@pytest.mark.parametrize("value", ["nan", "0", "-3", "1e12"])
def test_a_bad_memory_growth_limit_is_named(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"^--max-memory-growth: must be a number greater than 0"):
        _config(["run", "s.py", "cases", f"--max-memory-growth={value}"], tmp_path)
    write(tmp_path / "pyproject.toml", '[tool.scorecheck]\nmax-memory-growth = "big"\n')
    with pytest.raises(ConfigError, match=r"^\[tool.scorecheck\] max-memory-growth: must be a number of kB"):
        _config(["run", "s.py", "cases"], tmp_path)
