"""The three log files (contract §6): access.log, error-access.log, app.log, rotated safely across processes.

Every process (gunicorn's master and each worker) writes the files itself, synchronously, holding an exclusive
`flock` on one lock file in the log folder for each line. Under that lock a writer first checks that its open
file is still the one at the path (another process may have rotated it) and reopens it if not, then lets
RotatingFileHandler roll over by the size on disk and write. So only one process rotates at a time, nobody
writes into a renamed backup, and no line is lost, even when a worker is killed (nothing is buffered in
another process). A lock per line costs a few microseconds, far below an inference.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import time
from contextvars import ContextVar
from typing import Iterator, Optional

from ..log_format import ACCESS_LATENCY_MS, ACCESS_REQUEST_ID, escape_controls

if sys.platform != "win32":
    import fcntl

ACCESS_LOG = "access.log"
ERROR_LOG = "error-access.log"
APP_LOG = "app.log"
LOCK_FILE = ".log-rotation.lock"
MAX_BYTES = 50 * 1024 * 1024
BACKUPS = 10
# Lines about the server's life (start-up, services found, load failures) that error-access.log keeps at INFO.
LIFECYCLE_LOGGER = "azmlinfsrv.unified.server"
LIFECYCLE_LOGGERS = frozenset({"gunicorn.error", LIFECYCLE_LOGGER})
# The request being handled, so that every line logged about it (user code's included) names it.
REQUEST_ID: ContextVar[Optional[str]] = ContextVar("azmlinfsrv_unified_request_id", default=None)


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler that several processes can share (see the module docstring)."""

    def __init__(self, filename: str, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self._lock_path = os.path.join(os.path.dirname(self.baseFilename), LOCK_FILE)
        self._lock_fd: Optional[int] = None
        self._lock_pid = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with self._process_lock():
                self._follow_rotation()
                super().emit(record)
        except Exception:
            self.handleError(record)

    def _follow_rotation(self) -> None:
        if self.stream is None:
            return
        try:
            on_disk: Optional[os.stat_result] = os.stat(self.baseFilename)
        except FileNotFoundError:
            on_disk = None
        ours = os.fstat(self.stream.fileno())
        if on_disk is None or (on_disk.st_ino, on_disk.st_dev) != (ours.st_ino, ours.st_dev):
            self.stream.close()
            self.stream = self._open()

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        if sys.platform == "win32":  # one process (waitress): the handler's own thread lock is enough
            yield
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            # flock belongs to the open file description, which a forked child shares with its parent, so
            # each process opens its own; the inherited copy is closed (the parent keeps its own).
            if self._lock_fd is not None:
                os.close(self._lock_fd)
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)


def _request_id(record: logging.LogRecord) -> Optional[str]:
    own: Optional[str] = getattr(record, "request_id", None)
    return own if own is not None else REQUEST_ID.get()


class _RequestFormatter(logging.Formatter):
    """Times in UTC; the message is prefixed with the request id when the line is about a request."""

    converter = time.gmtime  # type: ignore[assignment]

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = _request_id(record)
        if request_id is None:
            return super().formatMessage(record)
        message = record.message
        record.message = f"{escape_controls(str(request_id)) or '-'} {message}"  # "-": an empty x-request-id
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


class AppFormatter(_RequestFormatter):
    """fastml-engine 1.0.7's app.log layout: time, level, pid, thread, module, function, [line], message."""

    def __init__(self) -> None:
        fields = (
            "%(asctime)s",
            "%(levelname)s",
            "%(process)d",
            "%(thread)d",
            "%(module)s",
            "%(funcName)s",
            "[%(lineno)d]",
            "%(message)s",
        )
        super().__init__("\t".join(fields))


class ErrorFormatter(_RequestFormatter):
    """`<time> <LEVEL> <pid> [<request-id>] <message>`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(process)d %(message)s")


class AccessFormatter(logging.Formatter):
    """gunicorn's combined line, the latency in ms (receipt to last byte) and the response's request id."""

    def format(self, record: logging.LogRecord) -> str:
        millis = getattr(record, ACCESS_LATENCY_MS, None)
        latency = f"{millis:.3f}ms" if isinstance(millis, float) else "-"
        request_id = escape_controls(str(getattr(record, ACCESS_REQUEST_ID, None) or "-"))
        return f"{record.getMessage()} {latency} {request_id}"


class ErrorLogFilter(logging.Filter):
    """error-access.log: warnings and errors from anywhere, plus the server's lifecycle lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name in LIFECYCLE_LOGGERS


def attach_log_files(log_dir: str, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> str:
    """Create `log_dir` if needed and add the three files to the configured loggers; return its absolute path.

    Handlers go on the root logger and on each non-propagating server logger, so every line lands once.
    Raises OSError when the folder or a file cannot be created.
    """
    folder = os.path.abspath(log_dir)
    os.makedirs(folder, exist_ok=True)
    access = _handler(folder, ACCESS_LOG, AccessFormatter(), max_bytes, backups)
    errors = _handler(folder, ERROR_LOG, ErrorFormatter(), max_bytes, backups)
    errors.addFilter(ErrorLogFilter())
    app = _handler(folder, APP_LOG, AppFormatter(), max_bytes, backups)
    app.setLevel(logging.INFO)
    logging.getLogger("gunicorn.access").addHandler(access)
    for name, handlers in (
        (None, (errors, app)),
        ("gunicorn.error", (errors,)),
        ("azmlinfsrv", (errors, app)),
    ):
        logger = logging.getLogger(name)
        if name is None or not logger.propagate:
            for handler in handlers:
                logger.addHandler(handler)
    return folder


def _handler(
    folder: str, name: str, formatter: logging.Formatter, max_bytes: int, backups: int
) -> SharedRotatingFileHandler:
    handler = SharedRotatingFileHandler(os.path.join(folder, name), max_bytes, backups)
    handler.setFormatter(formatter)
    return handler
