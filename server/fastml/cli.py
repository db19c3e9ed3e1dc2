"""`fastml`: the fastml-engine command line (contract §7). The only module of the package that exits."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata
from typing import NoReturn, Optional, Sequence

from ..watchdog import start_watchdog, watchdog_fd

EXIT_LOG_DIR = 1
EXIT_BAD_SETTING = 2
DISTRIBUTION = "scorecheck"


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    sys.exit(run_cli(argv))


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    ns = build_parser().parse_args(argv)
    # Imported here so that `fastml --help` and usage errors answer without loading gunicorn and Flask.
    from ..config import ConfigError, header_timeout_from_environment
    from ..log_format import install_log_escaping
    from .runner import FastmlOptions, configure_logging, serve

    install_log_escaping()
    try:
        header_timeout_s = header_timeout_from_environment()
    except ConfigError as exc:
        sys.stderr.write(f"fastml: {exc}\n")
        return EXIT_BAD_SETTING
    service_path = os.path.abspath(ns.service_path)
    options = FastmlOptions(
        service_path=service_path,
        model_path=os.path.abspath(ns.model_path or os.path.join(service_path, "model")),
        host=ns.host,
        port=ns.port,
        workers=ns.workers,
        threads=ns.threads,
        timeout_s=ns.timeout,
        header_timeout_s=header_timeout_s,
    )
    # An integration option (docs/server.md): a harness's pipe whose end-of-file ends this server.
    start_watchdog(watchdog_fd(os.environ))
    try:
        configure_logging(options)
    except OSError as exc:
        sys.stderr.write(f"fastml: cannot create the log folder {options.log_dir}: {exc.strerror or exc}\n")
        return EXIT_LOG_DIR
    return serve(options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastml", description="Algorithm model service engine (fastml-engine)."
    )
    parser.add_argument("--version", action="version", version=f"fastml, version {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server = commands.add_parser(
        "server",
        # -h is the host, as in fastml-engine 1.0.7; help is --help only.
        add_help=False,
        help="serve the inference services of a service folder",
        description="Serve the services in <service-path>/src/inference.py over HTTP (/health, /infer).",
    )
    add = server.add_argument
    add("--help", action="help", help="show this help message and exit")
    add(
        "--service-path", default=".", type=_directory, help="the service folder (default: current directory)"
    )
    add("--model-path", help="the model folder, exported as MODEL_PATH (default: <service-path>/model)")
    add("-h", "--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1)")
    add("-p", "--port", default=5000, type=_port, help="the TCP port (default 5000)")
    add(
        "-w",
        "--workers",
        default=1,
        type=_positive,
        help="worker processes, each loading every service (default 1)",
    )
    add("--threads", default=1, type=_positive, help="concurrent inferences per worker (default 1)")
    add(
        "-t",
        "--timeout",
        default=30.0,
        type=_seconds,
        help="seconds allowed per inference; 0 disables (default 30)",
    )
    return parser


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def _directory(value: str) -> str:
    if not os.path.isdir(value):
        raise argparse.ArgumentTypeError(
            f"'{os.path.abspath(value)}' is not an existing directory: pass the service folder, the one that "
            "holds src/inference.py"
        )
    return value


def _port(value: str) -> int:
    port = _integer(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port between 1 and 65535")
    return port


def _positive(value: str) -> int:
    number = _integer(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{value}' must be at least 1")
    return number


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an integer") from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"'{value}' must be 0 (no limit) or a positive number of seconds")
    return seconds
