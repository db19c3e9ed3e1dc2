"""A scoring script as a local server with the run's settings: the candidate, and the baseline beside it.

Both get the same model folder, environment, server arguments and server command, so that their answers
differ only where the scripts do.
"""

from __future__ import annotations

from ..config import RunConfig
from ..serverproc.process import ServerProcess
from ..serverproc.secrets import Redactor

# The gate sends one request at a time and waits for it, so at the end a worker still busy is busy with a
# request that hung: a long graceful stop would only wait for it (an idle server stops in about a second).
STOP_GRACE_S = 2.0


def script_server(config: RunConfig, script: str, redactor: Redactor) -> ServerProcess:
    """`script` served by azmlinfsrv (or the configured server command) with the run's settings."""
    return ServerProcess(
        script,
        model_dir=config.model_dir,
        env=dict(config.env),
        extra_args=config.server_args,
        command=config.server_command or None,
        redactor=redactor,
        stop_grace_s=STOP_GRACE_S,
    )
