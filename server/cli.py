"""`azmlinfsrv`: flags -> ServerConfig -> runner. The only module that exits the process."""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import sys
from typing import List, NoReturn, Optional, Sequence

from .banner import render_banner
from .compat import aliases
from .config import CliArgs, ConfigError, ServerConfig, build_config, script_named_in
from .exitcodes import EXIT_USAGE
from .log_format import install_log_escaping
from .logs.configure import builtin_config, configure_logging, emit
from .watchdog import start_watchdog

logger = logging.getLogger("azmlinfsrv")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        self.print_help(sys.stderr)
        sys.exit(EXIT_USAGE)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"Specified port '{value}' is invalid. Please specify a port within range the [1, 65535] range."
        )
    return port


def _worker_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count <= 0:
        raise argparse.ArgumentTypeError(
            f"Specified worker count '{value}' is invalid. Please specify a worker count greater than zero."
        )
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="azmlinfsrv",
        description="Azure ML inference HTTP server (drop-in replacement for azureml-inference-server-http 1.5.1).",
        epilog="Exit codes: 0 stopped normally, 1 usage error, 3 the entry script, its init() or the configuration "
        "failed.",
    )
    add = parser.add_argument
    add("--entry_script", help="The path to the entry script (score.py).")
    add("--model_dir", help="The directory of the model files; exported as AZUREML_MODEL_DIR.")
    add("--port", type=_port, help="The port of the scoring server (default 5001).")
    add(
        "--health_port",
        type=_port,
        help="The health port, used with SEPERATE_HEALTH_ENDPOINT=true (default 5000).",
    )
    add("--worker_count", type=_worker_count, help="The number of worker processes (default 1).")
    add("--appinsights_instrumentation_key", help="The Application Insights instrumentation key.")
    add("--access_control_allow_origins", help="Comma-separated origins allowed by CORS ('*' for all).")
    add("--config_file", help="The path to a server configuration file (config.json).")
    add("--rest", action="store_true", help=argparse.SUPPRESS)
    add(
        "--host",
        default="0.0.0.0",
        help="The address to bind (default 0.0.0.0; use 127.0.0.1 for local tests).",
    )
    add(
        "--server",
        choices=("gunicorn", "waitress"),
        help="The HTTP server (default gunicorn; waitress on Windows).",
    )
    add(
        "--log-dir",
        dest="log_dir",
        help="Also write access.log, error-access.log and app.log to this folder.",
    )
    return parser


def parse_args(argv: Optional[Sequence[str]]) -> CliArgs:
    ns = build_parser().parse_args(argv)
    return CliArgs(
        entry_script=ns.entry_script,
        model_dir=ns.model_dir,
        port=ns.port,
        health_port=ns.health_port,
        worker_count=ns.worker_count,
        appinsights_key=ns.appinsights_instrumentation_key,
        cors_origins=ns.access_control_allow_origins,
        config_file=ns.config_file,
        rest=ns.rest,
        host=ns.host,
        server=ns.server,
        log_dir=ns.log_dir,
    )


def main(argv: Optional[Sequence[str]] = None) -> None:
    sys.exit(run_cli(argv))


def run_cli(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    install_log_escaping()
    logging.config.dictConfig(builtin_config("INFO"))
    if not (args.entry_script or args.config_file or script_named_in(os.environ)):
        logger.error("Error!")
        logger.error(
            "Either provide an entry_script using --entry_script or provide a path to the configuration file "
            "using --config_file"
        )
        return EXIT_USAGE
    try:
        config = build_config(args, os.environ, os.getcwd())
    except ConfigError as exc:
        _log_config_error(exc)
        return exc.exit_code
    start_watchdog(config.watchdog_fd)
    return _serve(config)


def _log_config_error(exc: ConfigError) -> None:
    if exc.exit_code == EXIT_USAGE:
        for line in exc.lines:
            logger.error(line)
        return
    lines: List[str] = ["===============Configuration Error=================", *exc.lines, "=" * 51]
    logger.critical("\n".join(lines))


def _serve(config: ServerConfig) -> int:
    # A user's logging.json may name upstream's formatter module, so its import alias must exist first.
    aliases.install()
    emit(configure_logging(config))
    if config.model_dir is None:
        logger.warning("The environment variable 'AZUREML_MODEL_DIR' has not been set.")
        logger.warning("Use the --model_dir command line argument to set it.")
    emit(config.notices)
    os.environ.update(config.exported_environ())
    sys.stdout.write(render_banner(config) + "\n")
    sys.stdout.flush()
    if config.server_kind == "waitress":
        from .runners.waitress_runner import serve_waitress

        return serve_waitress(config)
    from .runners.gunicorn_runner import serve_gunicorn

    return serve_gunicorn(config)
