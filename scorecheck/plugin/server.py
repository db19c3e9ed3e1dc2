"""The pytest plugin's scoring server: one per pytest process (so one per xdist worker), and its clients.

`ScoreServer` wraps the gate's `ServerProcess` with what a test suite needs on top: a restart that keeps
the port (clients stay valid) and logs that survive restarts so that a test's log window stays meaningful.
If pytest itself dies without cleaning up (SIGKILL, an xdist worker torn down by its controller, a CI
runner killing the job), the server ends itself, as it does for the gate (serverproc/lifeline.py).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

import requests

from ..serverproc.process import ServerProcess, ServerStartError
from ..serverproc.startup import describe_startup_failure

LOG_TAIL = 30
SWAGGER_PATH = "/swagger.json?version=3"


@dataclass(frozen=True)
class ServerSettings:
    entry: Optional[str]
    model_dir: Optional[str] = None
    server_args: Tuple[str, ...] = ()
    env: Tuple[Tuple[str, str], ...] = ()
    target: Optional[str] = None
    startup_timeout: float = 60.0
    request_timeout: float = 30.0


class ScoreServerError(Exception):
    """The server did not start or is gone; `message` is the complete, user-facing explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScoreServer:
    """The session's server: `base_url`, `pid` (also its process group id), `logs`, `restart()`.

    With `--score-target` there is no process: `pid` is None, the logs are empty and `restart()` fails.
    """

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.version = ""
        self._process: Optional[ServerProcess] = None
        self._earlier: Tuple[str, ...] = ()  # lines of processes stopped by restart()
        self._port: Optional[int] = None
        self.swagger_cache: Optional[Tuple[Optional[Dict[str, Any]]]] = None

    # -- what tests see -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.settings.target is not None:
            return self.settings.target.rstrip("/")
        return self._process.base_url if self._process is not None else ""

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self._process is not None else None

    @property
    def process(self) -> Optional[ServerProcess]:
        return self._process

    @property
    def log_lines(self) -> Tuple[str, ...]:
        """Everything the server printed this session, restarts included."""
        current = self._process.log_lines if self._process is not None else ()
        return self._earlier + current

    @property
    def logs(self) -> str:
        return "\n".join(self.log_lines)

    @property
    def alive(self) -> bool:
        """Whether the server process runs (always True for --score-target: we cannot tell)."""
        if self.settings.target is not None:
            return True
        return self._process is not None and self._process.alive

    def restart(self, env: Optional[Mapping[str, str]] = None) -> None:
        """Stop the server and start it again on the same port, optionally with extra environment."""
        if self.settings.target is not None:
            raise ScoreServerError("scorecheck: cannot restart --score-target, it is not our process")
        if env:
            merged = {**dict(self.settings.env), **env}
            self.settings = dataclasses.replace(self.settings, env=tuple(merged.items()))
        self.swagger_cache = None
        self.stop()
        self.start()

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start and wait until ready; raises ScoreServerError naming the user's file and line."""
        started = time.monotonic()
        if self.settings.target is not None:
            return
        settings = self.settings
        assert settings.entry is not None
        process = ServerProcess(
            settings.entry,
            model_dir=settings.model_dir,
            env=dict(settings.env),
            extra_args=settings.server_args,
            port=self._port,
        )
        self._process = process
        self._port = process.port
        process.start()
        try:
            self.version = process.wait_ready(started + settings.startup_timeout)
        except ServerStartError as err:
            self.stop()
            raise ScoreServerError(start_failure(settings, err)) from err

    def stop(self, grace_s: Optional[float] = None) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.stop(grace_s)
        self._earlier += process.log_lines

    def check_alive(self) -> None:
        """Raise ScoreServerError when the server has exited (a crash in an earlier test)."""
        if self.alive:
            return
        process = self._process
        if process is None:
            raise ScoreServerError("scorecheck: the scoring server is not running: its last (re)start failed")
        tail = "\n".join(f"  {line}" for line in process.log_lines[-LOG_TAIL:])
        raise ScoreServerError(
            f"scorecheck: the scoring server exited with code {process.exit_code} earlier in this session; "
            f"later tests cannot use it (call score_server.restart() to start it again).\n"
            f"last server log lines:\n{tail}"
        )

    # -- log windows (LogSource for scorecheck's Client) --------------------------------------------------

    def mark(self) -> int:
        return len(self.log_lines)

    def lines_since(self, mark: int, settle_s: float = 0.5) -> Tuple[str, ...]:
        """Lines after `mark`, once the server has been quiet for a moment (late lines of the last request)."""
        deadline = time.monotonic() + settle_s
        count = self.mark()
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.05:
            time.sleep(0.01)
            latest = self.mark()
            if latest != count:
                count, quiet_since = latest, time.monotonic()
        return self.log_lines[mark:]

    def begin_request(self, request_id: str) -> None:
        if self._process is not None:
            self._process.begin_request(request_id)

    def lines_for(self, request_id: str) -> Tuple[str, ...]:
        return self._process.lines_for(request_id) if self._process is not None else ()

    def wait_exit(self, timeout: float) -> Optional[int]:
        return self._process.wait_exit(timeout) if self._process is not None else None

    def swagger(self) -> Optional[Dict[str, Any]]:
        """The server's `/swagger.json?version=3`, fetched once; None when the script has no schema."""
        if self.swagger_cache is None:
            response = requests.get(self.base_url + SWAGGER_PATH, timeout=self.settings.request_timeout)
            try:
                document = response.json() if response.status_code == 200 else None
            except ValueError:
                document = None
            self.swagger_cache = (document if isinstance(document, dict) else None,)
        return self.swagger_cache[0]

    def input_schema(self) -> Optional[Dict[str, Any]]:
        from ..phases.schemas import input_schema_from_swagger

        swagger = self.swagger()
        return input_schema_from_swagger(swagger) if swagger else None


def start_failure(settings: ServerSettings, err: ServerStartError) -> str:
    """The gate's start-up headline, its hint, then the user's part of the traceback (or the log's tail)."""
    assert settings.entry is not None
    failure = describe_startup_failure(
        settings.entry,
        err,
        model_dir=settings.model_dir,
        env=dict(settings.env),
        model_dir_option="--score-model-dir",
    )
    shown = failure.traceback or tuple(err.log.splitlines()[-LOG_TAIL:])
    body = "\n".join(f"  {line}" for line in shown) or "  (the server printed nothing)"
    hint = f"\n{failure.hint}" if failure.hint else ""
    return (
        f"scorecheck: the scoring server for {settings.entry} failed to start: {failure.headline}{hint}\n\n"
        f"server log:\n{body}"
    )


__all__ = ["ScoreServer", "ScoreServerError", "ServerSettings", "start_failure"]
