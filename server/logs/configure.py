"""Logging set-up: the built-in configuration or a user's logging.json, then the --log-dir files."""

from __future__ import annotations

import json
import logging
import logging.config
import os
from typing import Any, Dict, List, Optional, Tuple

from ..config import ServerConfig
from ..log_format import LOG_FORMAT
from .files import attach_log_files

LOGGER_NAME = "azmlinfsrv"


def builtin_config(level: str) -> Dict[str, Any]:
    """The server's own dictConfig: stdout for the server and access lines, stderr for lifecycle lines."""
    formatter = {"()": "azmlinfsrv.log_format.AMLLogFormatter", "fmt": LOG_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"aml": formatter},
        "filters": {"access": {"()": "azmlinfsrv.log_format.RootAccessFilter"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "aml", "stream": "ext://sys.stdout"},
            "stderr": {"class": "logging.StreamHandler", "formatter": "aml", "stream": "ext://sys.stderr"},
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "aml",
                "stream": "ext://sys.stdout",
                "filters": ["access"],
            },
        },
        "loggers": {
            LOGGER_NAME: {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
        # Upstream leaves the root logger unconfigured, which hides a script's logging.info(); ours shows it.
        "root": {"level": level, "handlers": ["stdout"]},
    }


def find_logging_json(config: ServerConfig) -> Optional[str]:
    candidates = [os.path.join(config.app_root, "logging.json")]
    if config.entry_script:
        candidates.append(os.path.join(os.path.dirname(config.entry_script), "logging.json"))
    return next((path for path in candidates if os.path.isfile(path)), None)


def configure_logging(config: ServerConfig) -> List[Tuple[str, str]]:
    """Apply the user's logging.json if there is one, else ours; returns lines to log once logging works."""
    notices: List[Tuple[str, str]] = []
    path = find_logging_json(config)
    if path is None:
        logging.config.dictConfig(builtin_config(config.log_level))
        return notices + _log_files(config)
    try:
        with open(path, encoding="utf-8") as handle:
            logging.config.dictConfig(json.load(handle))
        notices.append(("INFO", f"Loaded logging config from {path}"))
    except (OSError, ValueError, TypeError, AttributeError, ImportError) as exc:
        logging.config.dictConfig(builtin_config(config.log_level))
        notices.append(
            ("ERROR", f"Could not apply the logging config {path}: {exc}. Using the built-in one.")
        )
    if config.log_level_explicit:
        # An explicit AZUREML_LOG_LEVEL is the operator's latest word, so it beats the file.
        logging.getLogger(LOGGER_NAME).setLevel(config.log_level)
        logging.getLogger().setLevel(config.log_level)
    return notices + _log_files(config)


def _log_files(config: ServerConfig) -> List[Tuple[str, str]]:
    """--log-dir: also write access.log, error-access.log and app.log there (docs/unified.md)."""
    if not config.log_dir:
        return []
    try:
        folder = attach_log_files(config.log_dir)
    except OSError as exc:
        return [("ERROR", f"Cannot write log files in {config.log_dir}: {exc}. Logging to the console only.")]
    return [("INFO", f"Writing access.log, error-access.log and app.log in {folder}")]


def emit(
    notices: List[Tuple[str, str]] | Tuple[Tuple[str, str], ...], logger_name: str = LOGGER_NAME
) -> None:
    logger = logging.getLogger(logger_name)
    for level, message in notices:
        logger.log(logging.getLevelName(level), message)
