"""The upstream log formatter and access filter, also importable as `azureml_inference_server_http.log_config`."""

from __future__ import annotations

import logging
import time

LOG_FORMAT = "%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s"


class AMLLogFormatter(logging.Formatter):
    """The server's line format with times in UTC."""

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(self, fmt: str = LOG_FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt=fmt, datefmt=datefmt)


class RootAccessFilter(logging.Filter):
    """Drops liveness-probe access lines, which would otherwise flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "GET / HTTP/1.1" not in record.getMessage()
