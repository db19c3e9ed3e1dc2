"""The upstream log formatter and access filter, also importable as `azureml_inference_server_http.log_config`."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping, Tuple

LOG_FORMAT = "%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s"
# Attributes of access-log records, for formatters that add them (the unified API's access.log).
ACCESS_LATENCY_MS = "access_latency_ms"
ACCESS_REQUEST_ID = "access_request_id"


class Verbatim(str):
    """Text the server logs with its line breaks, as production does: tracebacks and listings it made itself.

    Every other argument of a log call is escaped (see `install_log_escaping`); wrapping is the only way out.
    """


# Control characters with a short escape; any other unprintable character is written as \xNN or \uNNNN.
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str, keep: str = "") -> str:
    r"""`text` with CR, LF, NUL and every other unprintable character made visible (`\n` -> `\\n`, `\x00`)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escaped(c) for c in text)


def _escaped(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _escape_arg(value: Any) -> Any:
    return escape_controls(value) if isinstance(value, str) and not isinstance(value, Verbatim) else value


def escaped_args(args: Tuple[Any, ...]) -> Tuple[Any, ...]:
    """Formatting arguments with every control character of their text escaped."""
    return tuple(_escape_arg(a) for a in args)


def escaped_template(msg: str) -> str:
    """A message template with CR, NUL and the other control characters escaped; its line breaks and tabs kept."""
    return msg if isinstance(msg, Verbatim) else escape_controls(msg, keep="\n\t")


def escape_record(record: logging.LogRecord) -> None:
    """Make a record unable to forge log lines: its arguments (where request text goes: paths, queries, ids,
    header values, file names) have every control character escaped, line breaks included; the message template
    keeps its line breaks and tabs (multi-line messages the code wrote) but loses CR, NUL and the rest."""
    if isinstance(record.msg, str):
        record.msg = escaped_template(record.msg)
    args = record.args
    if isinstance(args, tuple) and args:
        record.args = escaped_args(args)
    elif isinstance(args, Mapping):  # gunicorn's access atoms
        record.args = {k: _escape_arg(v) for k, v in args.items()}


_Factory = Callable[..., logging.LogRecord]


def install_log_escaping() -> None:
    """Escape every record at its creation (`escape_record`), whatever logger, handler or formatter (a user's
    logging.json included) writes it, so no call site and no log file can forget. Installed once per process
    tree by the command lines; forked workers inherit it."""
    previous: _Factory = logging.getLogRecordFactory()
    if getattr(previous, "escapes_controls", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        escape_record(record)
        return record

    factory.escapes_controls = True  # type: ignore[attr-defined]
    factory.wraps = previous  # type: ignore[attr-defined]  # log_lines writes directly only over the plain LogRecord
    logging.setLogRecordFactory(factory)


class AMLLogFormatter(logging.Formatter):
    """The server's line format with times in UTC."""

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(
        self, fmt: str | None = LOG_FORMAT, datefmt: str | None = None, *args: Any, **kwargs: Any
    ) -> None:
        # dictConfig's "class" form passes style/validate/defaults too.
        super().__init__(fmt or LOG_FORMAT, datefmt, *args, **kwargs)
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        return self.stamp(record.created, record.msecs)

    def stamp(self, created: float, msecs: float) -> str:
        """The `asctime` of a record with these times (the default date format)."""
        # Every request logs two lines: the date part is made once a second instead of for each line.
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime(self.default_time_format, self.converter(second))  # type: ignore[misc,call-arg]
            self._second = second
        if self.default_msec_format is None:
            return self._stamp
        return self.default_msec_format % (self._stamp, msecs)

    def is_builtin(self) -> bool:
        """Whether this formatter makes the server's own line (format and date format as built in)."""
        return self._fmt == LOG_FORMAT and self.datefmt is None and type(self._style) is logging.PercentStyle


class RootAccessFilter(logging.Filter):
    """Drops liveness-probe access lines, which would otherwise flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return self.keeps(record.getMessage())

    @staticmethod
    def keeps(message: str) -> bool:
        return "GET / HTTP/1.1" not in message


class _AccessClock:
    """The access log's `[21/Nov/2026:04:59:11 +0000]` stamp, made once a second."""

    def __init__(self, utc: bool) -> None:
        self._convert = time.gmtime if utc else time.localtime
        self._second = -1
        self._stamp = ""

    def stamp(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._stamp = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", self._convert(second))
            self._second = second
        return self._stamp


# Local time, as gunicorn writes it (upstream parity); UTC for fastml, whose contract says so.
_CLOCKS = {False: _AccessClock(utc=False), True: _AccessClock(utc=True)}


def access_line(environ: Mapping[str, Any], status: str, length: str, utc: bool = False) -> str:
    """One combined-format access line (gunicorn's default access format), built without gunicorn's atom dict."""
    target = environ.get("RAW_URI")
    if target is None:
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    return (
        f"{environ.get('REMOTE_ADDR', '-')} - - {_CLOCKS[utc].stamp()} "
        f'"{environ.get("REQUEST_METHOD", "-")} {target} {environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" '
        f'{status} {length} "{environ.get("HTTP_REFERER", "-")}" "{environ.get("HTTP_USER_AGENT", "-")}"'
    )
