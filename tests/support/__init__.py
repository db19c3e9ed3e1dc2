"""Helpers shared by the test suites: launching the real server as a process, and expected values."""

from .expected import SCHEMA_SERVICE_INPUT
from .server import (
    HOST,
    REPO_ROOT,
    SCRIPTS_DIR,
    SWAGGER_DIR,
    RawResponse,
    RunningServer,
    ServerStartError,
    free_port,
    health_status,
    poll_until,
    raw_request,
    run_command_to_exit,
    run_to_exit,
    server_args,
    server_env,
    start_command,
    start_server,
)

__all__ = [
    "HOST",
    "REPO_ROOT",
    "SCHEMA_SERVICE_INPUT",
    "SCRIPTS_DIR",
    "SWAGGER_DIR",
    "RawResponse",
    "RunningServer",
    "ServerStartError",
    "free_port",
    "health_status",
    "poll_until",
    "raw_request",
    "run_command_to_exit",
    "run_to_exit",
    "server_args",
    "server_env",
    "start_command",
    "start_server",
]
