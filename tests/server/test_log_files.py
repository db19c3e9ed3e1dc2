"""The log files: formats, routing, and rotation shared by several processes without losing a line."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azmlinfsrv.log_format import ACCESS_LATENCY_MS, ACCESS_REQUEST_ID
from azmlinfsrv.logs.files import (
    LIFECYCLE_LOGGER,
    REQUEST_ID,
    AccessFormatter,
    AppFormatter,
    ErrorFormatter,
    SharedRotatingFileHandler,
    attach_log_files,
)

WRITERS = 4
LINES_PER_WRITER = 400


def _record(
    name: str = "user", level: int = logging.INFO, msg: str = "hello", args: object = None
) -> logging.LogRecord:
    record_args: Any = args
    return logging.LogRecord(name, level, "/x/mod.py", 12, msg, record_args, None, func="fn")


def test_app_layout_is_tab_separated_with_the_request_id() -> None:
    formatter = AppFormatter()
    fields = formatter.format(_record()).split("\t")
    assert len(fields) == 8
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", fields[0])
    assert fields[1:3] == ["INFO", str(os.getpid())]
    assert fields[4:] == ["mod", "fn", "[12]", "hello"]
    token = REQUEST_ID.set("rid-1")
    try:
        assert formatter.format(_record(msg="a\tb")).split("\t", 7)[7] == "rid-1 a\tb"
    finally:
        REQUEST_ID.reset(token)


def test_error_layout() -> None:
    record = _record(level=logging.WARNING, msg="%d %s: %s", args=(415, "UnsupportedMediaType", "no"))
    record.request_id = "rid-2"
    line = ErrorFormatter().format(record)
    assert re.fullmatch(rf"\S+ \S+ WARNING {os.getpid()} rid-2 415 UnsupportedMediaType: no", line)
    assert re.fullmatch(rf"\S+ \S+ INFO {os.getpid()} hello", ErrorFormatter().format(_record()))
    record.request_id = ""  # a client's empty x-request-id, kept empty as upstream keeps it
    assert re.fullmatch(
        rf"\S+ \S+ WARNING {os.getpid()} - 415 UnsupportedMediaType: no", ErrorFormatter().format(record)
    )


def test_access_line_gets_latency_and_request_id_from_the_record() -> None:
    # As azmlinfsrv's gunicorn logger writes access lines: the latency and the response's id as attributes.
    record = _record(name="gunicorn.access", msg="127.0.0.1 200 50%")
    setattr(record, ACCESS_LATENCY_MS, 1.842)
    setattr(record, ACCESS_REQUEST_ID, "6f50")
    assert AccessFormatter().format(record) == "127.0.0.1 200 50% 1.842ms 6f50"
    assert AccessFormatter().format(_record(msg="plain")) == "plain - -"


@pytest.fixture
def restored_loggers() -> Iterator[None]:
    names = [None, "gunicorn.access", "gunicorn.error", "azmlinfsrv"]
    saved = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate) for name in names
    }
    yield
    for name, (handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.handlers[:] = handlers
        logger.propagate = propagate


@pytest.mark.usefixtures("restored_loggers")
def test_attach_creates_the_folder_and_routes_lines(tmp_path: Path) -> None:
    # As both servers configure them: these two hold their own handlers.
    logging.getLogger("azmlinfsrv").propagate = False
    logging.getLogger("gunicorn.error").propagate = False
    folder = Path(attach_log_files(str(tmp_path / "a" / "logs")))
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    try:
        logging.getLogger("user.code").info("user line")
        logging.getLogger("user.code").warning("user warning")
        logging.getLogger("azmlinfsrv").info("server line")
        logging.getLogger(LIFECYCLE_LOGGER).info("services loaded")
        logging.getLogger("gunicorn.error").info("Booting worker")
    finally:
        logging.getLogger().setLevel(root_level)
    app = (folder / "app.log").read_text()
    errors = (folder / "error-access.log").read_text()
    assert all(text in app for text in ("user line", "user warning", "server line", "services loaded"))
    assert "Booting worker" not in app
    assert all(text in errors for text in ("user warning", "services loaded", "Booting worker"))
    assert "user line" not in errors
    assert (folder / "access.log").exists()


def _write_lines(path: str, handler: SharedRotatingFileHandler, writer: int) -> None:
    logger = logging.getLogger(f"rotation.{writer}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    for line in range(LINES_PER_WRITER):
        logger.info("writer %d line %04d %s", writer, line, "x" * 60)
    handler.flush()


def test_rotation_across_processes_loses_no_line(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    # Created before the fork and inherited, as gunicorn workers inherit the master's handlers.
    handler = SharedRotatingFileHandler(str(path), max_bytes=16_000, backups=1000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_lines, args=(str(path), handler, n)) for n in range(WRITERS)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    handler.close()
    files = sorted(tmp_path.glob("app.log*"))
    assert len(files) > 5  # it did rotate, many times
    assert all(f.stat().st_size <= 16_000 for f in files)
    lines = [line for f in files for line in f.read_text().splitlines()]
    expected = {
        f"writer {n} line {i:04d} {'x' * 60}" for n in range(WRITERS) for i in range(LINES_PER_WRITER)
    }
    assert len(lines) == len(expected)
    assert set(lines) == expected
