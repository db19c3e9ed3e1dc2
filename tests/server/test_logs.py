"""Unit tests for azmlinfsrv.logs and azmlinfsrv.log_format: built-in config, logging.json, print capture."""

from __future__ import annotations

import builtins
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from azmlinfsrv.config import CliArgs, ServerConfig, build_config
from azmlinfsrv.log_format import LOG_FORMAT, AMLLogFormatter, RootAccessFilter
from azmlinfsrv.logs.configure import builtin_config, configure_logging, emit, find_logging_json
from azmlinfsrv.logs.printcapture import PrintCapture

LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (?P<level>[DIWEC]) \[(?P<pid>\d+)\] (?P<name>\S+) - "
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    return root


def config_for(app: Path, env: Optional[Dict[str, str]] = None, entry: Optional[Path] = None) -> ServerConfig:
    return build_config(CliArgs(entry_script=str(entry) if entry else None), env or {}, str(app))


def write_logging_json(directory: Path, level: str = "DEBUG", marker: str = "user") -> Path:
    path = directory / "logging.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"plain": {"format": f"{marker} %(levelname)s %(name)s %(message)s"}},
                "handlers": {
                    "out": {
                        "class": "logging.StreamHandler",
                        "formatter": "plain",
                        "stream": "ext://sys.stdout",
                    }
                },
                "loggers": {"azmlinfsrv": {"level": level, "handlers": ["out"], "propagate": False}},
            }
        ),
        encoding="utf-8",
    )
    return path


# --- formatter and filter ----------------------------------------------------------------------------------


@pytest.fixture
def non_utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local time zone far from UTC, so that a formatter using local time would show it."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available")
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_formatter_uses_utc_and_the_upstream_layout(non_utc_zone: None) -> None:
    record = logging.LogRecord("azmlinfsrv", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.created = 1_795_000_000.25  # 2026-11-18 11:06:40.250 UTC
    record.msecs = 250.0
    record.process = 4242
    assert time.localtime(record.created).tm_hour != 11  # the zone really differs from UTC
    assert AMLLogFormatter().format(record) == "2026-11-18 11:06:40,250 I [4242] azmlinfsrv - hello there"
    assert LOG_FORMAT == "%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s"


def test_formatter_times_match_loggings_own_across_seconds(non_utc_zone: None) -> None:
    # The date part is cached per second: lines within one second, and the next one, must read as logging makes them.
    formatter = AMLLogFormatter()
    reference = logging.Formatter(LOG_FORMAT)
    reference.converter = time.gmtime  # type: ignore[assignment]
    for created in (1_795_000_000.25, 1_795_000_000.999, 1_795_000_001.0, 1_795_003_600.5, 1_795_000_000.0):
        record = logging.LogRecord("azmlinfsrv", logging.INFO, __file__, 1, "x", (), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert formatter.formatTime(record) == reference.formatTime(record)
    assert formatter.formatTime(record, "%H:%M") == reference.formatTime(record, "%H:%M") == "11:06"


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ('127.0.0.1 - - [x] "GET / HTTP/1.1" 200 7 "-" "curl"', False),
        ('127.0.0.1 - - [x] "POST /score HTTP/1.1" 200 7 "-" "curl"', True),
        ('127.0.0.1 - - [x] "GET /swagger.json HTTP/1.1" 200 7 "-" "curl"', True),
    ],
)
def test_root_access_filter(message: str, kept: bool) -> None:
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, message, None, None)
    assert RootAccessFilter().filter(record) is kept


# --- built-in configuration ---------------------------------------------------------------------------------


def test_builtin_config_shape() -> None:
    config = builtin_config("WARNING")
    assert config["loggers"]["azmlinfsrv"] == {"level": "WARNING", "handlers": ["stdout"], "propagate": False}
    assert config["root"] == {"level": "WARNING", "handlers": ["stdout"]}
    assert config["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    assert config["loggers"]["gunicorn.error"]["handlers"] == ["stderr"]
    assert config["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    assert config["handlers"]["access"]["filters"] == ["access"]
    assert config["disable_existing_loggers"] is False


def test_builtin_logging_output(app: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert configure_logging(config_for(app)) == []
    logging.getLogger("azmlinfsrv").info("server line")
    logging.getLogger("azmlinfsrv.user_script").info("child line")
    logging.getLogger("user.module").info("user line")
    logging.getLogger("gunicorn.error").info("lifecycle line")
    logging.getLogger("gunicorn.access").info('1.2.3.4 - - [t] "GET / HTTP/1.1" 200 7 "-" "probe"')
    logging.getLogger("gunicorn.access").info('1.2.3.4 - - [t] "POST /score HTTP/1.1" 200 2 "-" "client"')
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 4
    assert [LINE.match(line).group("name") for line in lines] == [  # type: ignore[union-attr]
        "azmlinfsrv",
        "azmlinfsrv.user_script",
        "user.module",
        "gunicorn.access",
    ]
    assert lines[0].endswith(f"I [{os.getpid()}] azmlinfsrv - server line")
    assert "POST /score" in lines[3]
    assert err.splitlines()[-1].endswith("gunicorn.error - lifecycle line")


def test_log_level_applies_to_server_and_root(
    app: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(config_for(app, {"AZUREML_LOG_LEVEL": "WARNING"}))
    logging.getLogger("azmlinfsrv").info("hidden")
    logging.getLogger("user.module").info("hidden too")
    logging.getLogger("azmlinfsrv").warning("shown")
    out = capsys.readouterr().out
    assert "hidden" not in out
    assert out.count("\n") == 1
    assert "W [" in out
    assert "shown" in out


# --- logging.json -----------------------------------------------------------------------------------------


def test_find_logging_json_order(app: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    script = code / "score.py"
    script.write_text("", encoding="utf-8")
    assert find_logging_json(config_for(app, entry=script)) is None
    beside = write_logging_json(code)
    assert find_logging_json(config_for(app, entry=script)) == str(beside)
    in_root = write_logging_json(app)
    assert find_logging_json(config_for(app, entry=script)) == str(in_root)


def test_user_logging_json_replaces_builtin(
    app: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_logging_json(app, level="DEBUG", marker="USERFMT")
    notices = configure_logging(config_for(app))
    assert notices == [("INFO", f"Loaded logging config from {path}")]
    logging.getLogger("azmlinfsrv").debug("debug line")
    assert capsys.readouterr().out == "USERFMT DEBUG azmlinfsrv debug line\n"


def test_explicit_log_level_beats_user_logging_json(app: Path, restore_logging: None) -> None:
    write_logging_json(app, level="DEBUG")
    configure_logging(config_for(app, {"AZUREML_LOG_LEVEL": "error"}))
    assert logging.getLogger("azmlinfsrv").level == logging.ERROR
    assert logging.getLogger().level == logging.ERROR


def test_user_logging_json_level_kept_without_explicit_level(app: Path, restore_logging: None) -> None:
    write_logging_json(app, level="DEBUG")
    configure_logging(config_for(app))
    assert logging.getLogger("azmlinfsrv").level == logging.DEBUG


@pytest.mark.parametrize(
    "content", ["{not json", '{"version": 1, "handlers": {"h": {"class": "no.such.Handler"}}}']
)
def test_broken_logging_json_falls_back_to_builtin(
    app: Path, restore_logging: None, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = app / "logging.json"
    path.write_text(content, encoding="utf-8")
    notices = configure_logging(config_for(app))
    assert len(notices) == 1
    level, text = notices[0]
    assert level == "ERROR"
    assert text.startswith(f"Could not apply the logging config {path}: ")
    assert text.endswith("Using the built-in one.")
    logging.getLogger("azmlinfsrv").info("after fallback")
    assert LINE.match(capsys.readouterr().out)


def test_emit_logs_each_notice_at_its_level(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "disabled", False)
    caplog.set_level(logging.DEBUG)
    emit((("INFO", "one"), ("WARNING", "two"), ("CRITICAL", "three")))
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("azmlinfsrv", "INFO", "one"),
        ("azmlinfsrv", "WARNING", "two"),
        ("azmlinfsrv", "CRITICAL", "three"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_applies_logging_json_naming_upstream_log_config(tmp_path: Path) -> None:
    """Contract §1/§11: a user logging.json names azureml_inference_server_http.log_config classes."""
    (tmp_path / "logging.json").write_text(
        json.dumps(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"aml": {"()": "azureml_inference_server_http.log_config.AMLLogFormatter"}},
                "filters": {"probe": {"()": "azureml_inference_server_http.log_config.RootAccessFilter"}},
                "handlers": {
                    "out": {
                        "class": "logging.StreamHandler",
                        "formatter": "aml",
                        "stream": "ext://sys.stdout",
                    }
                },
                "loggers": {"azmlinfsrv": {"level": "INFO", "handlers": ["out"], "propagate": False}},
            }
        ),
        encoding="utf-8",
    )
    # A missing entry script makes the server exit 3 right after configuring logging.
    command = [sys.executable, "-m", "azmlinfsrv", "--entry_script", "absent.py", "--host", "127.0.0.1"]
    command += ["--port", str(free_port())]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 3
    assert f"Loaded logging config from {tmp_path / 'logging.json'}" in output
    assert "Could not apply the logging config" not in output


# --- print capture ---------------------------------------------------------------------------------------


@pytest.fixture
def captured(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[pytest.LogCaptureFixture]:
    monkeypatch.setattr(builtins, "print", builtins.print)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv"), "disabled", False)
    monkeypatch.setattr(logging.getLogger("azmlinfsrv.print"), "disabled", False)
    caplog.set_level(logging.INFO)
    PrintCapture().install()
    return caplog


def print_records(caplog: pytest.LogCaptureFixture) -> List[Any]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "azmlinfsrv.print"]


def test_print_becomes_one_info_record(
    captured: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    print("loaded", 3, "models")
    print("a", "b", sep="-", end="!!\n")
    print()
    assert print_records(captured) == [("INFO", "loaded 3 models"), ("INFO", "a-b"), ("INFO", "")]
    assert capsys.readouterr().out == ""


def test_print_with_sep_none(captured: pytest.LogCaptureFixture) -> None:
    print("x", "y", sep=None)
    assert print_records(captured) == [("INFO", "x y")]


def test_print_to_a_file_is_untouched(
    captured: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    print("to stderr", file=sys.stderr)
    print("to stdout", "explicitly", file=sys.stdout, sep="+")
    out, err = capsys.readouterr()
    assert err == "to stderr\n"
    assert out == "to stdout+explicitly\n"
    assert print_records(captured) == []


def test_print_capture_installs_once(captured: pytest.LogCaptureFixture) -> None:
    installed = builtins.print
    PrintCapture().install()
    assert builtins.print is installed
    print("once")
    assert print_records(captured) == [("INFO", "once")]


def test_print_capture_marks_the_replacement(monkeypatch: pytest.MonkeyPatch) -> None:
    original = builtins.print
    monkeypatch.setattr(builtins, "print", original)
    PrintCapture().install()
    assert builtins.print is not original
    assert getattr(builtins.print, "__azmlinfsrv__", False) is True
