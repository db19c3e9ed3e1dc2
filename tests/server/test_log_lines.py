"""The per-request lines written directly (log_lines.py): byte for byte the lines logging writes, and through logging
whenever anything configured could make them differ."""

from __future__ import annotations

import io
import logging
import logging.config
import os
import re
from typing import Any, Iterator, Tuple

import pytest
from azmlinfsrv.log_format import Verbatim, install_log_escaping
from azmlinfsrv.log_lines import PROCESS_ID, direct_route, log_fast
from azmlinfsrv.logs.configure import builtin_config

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} ", re.MULTILINE)
CASES: Tuple[Tuple[str, str, Tuple[Any, ...]], ...] = (
    ("azmlinfsrv", "run() output is HTTP Response", ()),
    ("azmlinfsrv", "%s %s %s %.3fms %s", ("POST", "/score?a=1", "200", 0.51249, "41")),
    ("azmlinfsrv", "%s %s %s %.3fms %s", ("GET", "/x\r\n2026-01-01 I forged\x00\x1b[2J", "404", 1.0, "-")),
    ("azmlinfsrv", "%s %s %s %.3fms %s", ("POST", "/ünïcödé/\u2028/😀", "200", 12.3456, "7")),
    ("azmlinfsrv", "template with a\ttab\nand a\rCR: %s", ("arg",)),
    ("azmlinfsrv", "100%% literal %d", (5,)),
    ("azmlinfsrv", Verbatim("a listing the server made\r\n  kept as written\x00"), ()),
    (
        "gunicorn.access",
        "%s",
        ('127.0.0.1 - - [05/Dec/2026:10:00:00 +0000] "POST /score HTTP/1.1" 200 41 "-" "wrk"',),
    ),
    ("gunicorn.access", "%s", ('127.0.0.1 - - [05/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 7 "-" "-"',)),
)


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch, restore_logging: None) -> Iterator[io.StringIO]:
    """The built-in logging configuration, writing to a buffer instead of the terminal."""
    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    previous = logging.getLogRecordFactory()
    loggers = [logging.getLogger(name) for name in ("azmlinfsrv", "gunicorn.access")]
    filters = [list(logger.filters) for logger in loggers]  # restore_logging keeps the rest
    logging.setLogRecordFactory(logging.LogRecord)
    install_log_escaping()
    logging.config.dictConfig(builtin_config("INFO"))
    yield buffer
    logging.setLogRecordFactory(previous)
    for logger, kept in zip(loggers, filters):
        logger.filters = kept


def configured(name: str) -> logging.Logger:
    """The logger as the built-in configuration leaves it, without the capture handlers pytest adds while a test
    runs (restore_logging puts them back)."""
    logger = logging.getLogger(name)
    logger.handlers = [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
    return logger


def through_logging(logger: logging.Logger, message: str, args: Tuple[Any, ...]) -> None:
    """What log_fast did before it wrote directly."""
    logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, message, args, None))


def written(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


@pytest.mark.parametrize(("name", "message", "args"), CASES)
def test_direct_lines_are_the_lines_logging_writes(
    stdout: io.StringIO, name: str, message: str, args: Tuple[Any, ...]
) -> None:
    logger = configured(name)
    assert direct_route(logger) is not None
    log_fast(logger, message, args=args)
    direct = written(stdout)
    through_logging(logger, message, args)
    expected = written(stdout)
    assert len(STAMP.findall(direct)) == len(STAMP.findall(expected))
    assert STAMP.sub("<time> ", direct) == STAMP.sub("<time> ", expected)


def test_liveness_probe_access_lines_are_dropped_on_both_routes(stdout: io.StringIO) -> None:
    log_fast(
        logging.getLogger("gunicorn.access"), "%s", args=('1.2.3.4 - - [x] "GET / HTTP/1.1" 200 7 "-" "-"',)
    )
    assert written(stdout) == ""


def _extra_handler(logger: logging.Logger) -> None:
    logger.addHandler(logging.StreamHandler(io.StringIO()))


def _logger_filter(logger: logging.Logger) -> None:
    logger.addFilter(logging.Filter("azmlinfsrv"))


def _handler_filter(logger: logging.Logger) -> None:
    logger.handlers[0].addFilter(logging.Filter("azmlinfsrv"))


def _other_format(logger: logging.Logger) -> None:
    logger.handlers[0].setFormatter(logging.Formatter("%(threadName)s %(message)s"))


def _propagates(logger: logging.Logger) -> None:
    logger.propagate = True


def _quieter_handler(logger: logging.Logger) -> None:
    logger.handlers[0].setLevel(logging.WARNING)


def _script_factory(logger: logging.Logger) -> None:
    previous = logging.getLogRecordFactory()

    def with_trace_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.trace_id = "abc"
        return record

    logging.setLogRecordFactory(with_trace_id)


@pytest.mark.parametrize(
    "change",
    [
        _extra_handler,
        _logger_filter,
        _handler_filter,
        _other_format,
        _propagates,
        _quieter_handler,
        _script_factory,
    ],
)
def test_anything_else_configured_sends_lines_through_logging(stdout: io.StringIO, change: Any) -> None:
    logger = configured("azmlinfsrv")
    assert direct_route(logger) is not None
    change(logger)
    assert direct_route(logger) is None


def test_a_lone_mapping_argument_goes_through_logging(stdout: io.StringIO) -> None:
    logger = configured("azmlinfsrv")
    log_fast(logger, "%(a)s", args=({"a": "mapped"},))
    assert written(stdout).endswith("azmlinfsrv - mapped\n")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_worker_writes_its_own_pid() -> None:
    """The `[pid]` of a direct line is kept rather than asked for per line; a gunicorn worker is a fork of the
    arbiter, so the child must see its own id, not the parent's."""
    assert PROCESS_ID.value == os.getpid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and leaves at once
        os.write(write_end, f"{PROCESS_ID.value} {os.getpid()}".encode())
        os._exit(0)
    os.close(write_end)
    try:
        reported = os.read(read_end, 100).decode().split()
    finally:
        os.close(read_end)
        os.waitpid(child, 0)
    assert reported[0] == reported[1] == str(child)
