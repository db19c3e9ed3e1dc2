"""The lines written on every request (request line, access line, `run() output is HTTP Response`), made cheaply.

Through `logging` each such line costs a LogRecord (a dozen attributes, its file name split twice, the current
thread and process looked up), the escaping record factory, the logger and handler filters and locks, and the
formatter. With the built-in configuration (servers' default: one StreamHandler per logger with our formatter
and format) none of that changes the line, so `log_fast` writes the same bytes to the same stream, under the
handler's lock, and flushes it, exactly as `StreamHandler.emit` would. The moment anything else is configured (a
user's logging.json, another handler or filter, a record factory of the script's, --log-dir files, a different
format or level name), every line goes through `logging` as before: `direct_route` decides that per line.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Mapping, Optional, Tuple

from .log_format import AMLLogFormatter, RootAccessFilter, escaped_args, escaped_template


class _ProcessId:
    """This process's id for the `[pid]` of each line: `os.getpid()` is a system call, and the id changes only in
    the child of a fork, where it is read again."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = os.getpid()
        if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
            os.register_at_fork(after_in_child=self.refresh)

    def refresh(self) -> None:
        self.value = os.getpid()


PROCESS_ID = _ProcessId()


class DirectRoute:
    """Where a logger's INFO lines end up when nothing between the call and the stream changes them."""

    __slots__ = ("drops_probes", "formatter", "handler")

    def __init__(
        self, handler: logging.StreamHandler[Any], formatter: AMLLogFormatter, drops_probes: bool
    ) -> None:
        self.handler = handler
        self.formatter = formatter
        self.drops_probes = drops_probes

    def write(self, name: str, message: str) -> None:
        if self.drops_probes and not RootAccessFilter.keeps(message):
            return
        ct = time.time()
        # The line `AMLLogFormatter` makes of a record created now (LogRecord's own msecs arithmetic).
        stamp = self.formatter.stamp(ct, int((ct - int(ct)) * 1000) + 0.0)
        level = logging.getLevelName(logging.INFO)[:1]
        handler = self.handler
        line = f"{stamp} {level} [{PROCESS_ID.value}] {name} - {message}{handler.terminator}"
        handler.acquire()
        try:
            stream = handler.stream
            stream.write(line)
            if hasattr(stream, "flush"):
                stream.flush()
        except RecursionError:
            raise
        except Exception:
            handler.handleError(
                logging.makeLogRecord({"name": name, "msg": message, "levelno": logging.INFO})
            )
        finally:
            handler.release()


def direct_route(logger: logging.Logger) -> Optional[DirectRoute]:
    """The logger's one stream handler, when a record of an INFO line would reach nothing else and nothing would
    change it on the way; None otherwise (then the line goes through logging)."""
    if (
        logger.filters
        or logger.propagate
        or logger.disabled
        or len(logger.handlers) != 1
        or not _plain_records()
    ):
        return None
    handler = logger.handlers[0]
    if type(handler) is not logging.StreamHandler or handler.level > logging.INFO:
        return None
    formatter = handler.formatter
    if type(formatter) is not AMLLogFormatter or not formatter.is_builtin():
        return None
    filters = handler.filters
    if not filters:
        return DirectRoute(handler, formatter, drops_probes=False)
    if len(filters) == 1 and type(filters[0]) is RootAccessFilter:
        return DirectRoute(handler, formatter, drops_probes=True)
    return None


def _plain_records() -> bool:
    """Records come from logging.LogRecord through our escaping factory alone, with a process id."""
    factory = logging.getLogRecordFactory()
    return getattr(factory, "wraps", None) is logging.LogRecord and bool(logging.logProcesses)


def log_fast(
    logger: logging.Logger,
    message: str,
    extra: Optional[Mapping[str, Any]] = None,
    args: Tuple[Any, ...] = (),
) -> None:
    """An INFO line without findCaller's stack walk, for lines written on every request.

    Request text goes in `args`, which are escaped (see `log_format.escape_record`)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    # LogRecord takes a lone mapping argument as the arguments themselves: that case goes through logging too.
    route = None if len(args) == 1 and isinstance(args[0], Mapping) else direct_route(logger)
    if route is None:
        logger.handle(
            logger.makeRecord(logger.name, logging.INFO, __file__, 0, message, args, None, extra=extra)
        )
        return
    template = escaped_template(message)
    route.write(logger.name, template % escaped_args(args) if args else template)
