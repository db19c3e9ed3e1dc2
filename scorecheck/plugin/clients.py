"""The clients tests get: a requests session bound to the server, and scorecheck's own client with the checks."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import requests

from ..model import Observation, RequestSpec
from ..serverproc.client import Client, RequestError
from .server import ScoreServer

if TYPE_CHECKING:  # pragma: no cover - checks pulls in jsonschema: imported when a check runs
    from ..phases.checks import CheckContext


class ScoreSession(requests.Session):
    """A requests session bound to the server: relative URLs (`"/score"`) go to its base URL."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: Union[str, bytes], url: Union[str, bytes], *args: Any, **kwargs: Any
    ) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        if "://" not in text:
            text = f"{self.base_url}/{text.lstrip('/')}"
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, text, *args, **kwargs)


class ScoreRequest:
    """`score_request(spec)`: send a RequestSpec with scorecheck's client; returns an Observation.

    The observation carries the curl command and the server log lines of that request. Raises
    scorecheck.client.RequestError when no response arrives, and ScoreServerError when the server is gone.
    """

    def __init__(self, server: ScoreServer) -> None:
        self.server = server
        logs = server if server.settings.target is None else None
        self.client = Client(server.base_url, timeout_s=server.settings.request_timeout, logs=logs)

    def __call__(self, spec: RequestSpec) -> Observation:
        self.server.check_alive()
        return self.client.send(spec)

    def check(
        self, spec: RequestSpec, kind: str = "valid", checks: Sequence[str] = ()
    ) -> Optional[Observation]:
        """Send `spec` and run the gate's property checks on the exchange; AssertionError on a failure.

        `kind` is "valid" (input the script accepts: no 5xx, strict JSON, output schema, a live worker) or
        "malformed" (must be refused with a 4xx). `checks` names the checks to run (default: the gate's
        default set; "all" for every one). Warnings (pitfalls in the log) do not fail. Returns the
        observation, or None when no response arrived (which fails server_survives).
        """
        from ..phases.checks import FAILURE, HOSTILE, NEAR, Exchange, run_checks, select_checks

        tier = {"valid": NEAR, "malformed": HOSTILE}.get(kind, kind)  # the plugin's words for the tiers
        try:
            obs: Optional[Observation] = self(spec)
            exchange = Exchange(tier, spec, obs, log_lines=obs.log_lines if obs else ())
        except RequestError as err:
            obs, exchange = (
                None,
                Exchange(tier, spec, None, error=err.message, log_lines=err.log_lines, error_kind=err.kind),
            )
        for chosen, failure in run_checks(select_checks(list(checks)), self._check_context, exchange):
            if failure.severity == FAILURE:
                message = f"{chosen.name} [{failure.kind}]: {failure.message}"
                raise AssertionError(f"{message}\nreproduce: {self.client.curl(spec)}")
        return obs

    @functools.cached_property
    def _check_context(self) -> CheckContext:
        """Built once per ScoreRequest: a hypothesis test calls check() for every example."""
        from ..phases.checks import FAILURE, CheckContext
        from ..phases.predicted_conversion import conversion_predictor
        from ..phases.schemas import input_schema_from_swagger, output_schema_from_swagger

        swagger = self.server.swagger()
        remote = self.server.settings.target is not None
        # Asked for explicitly, a 5xx for malformed input fails (the gate only warns by default).
        return CheckContext(
            output_schema=output_schema_from_swagger(swagger) if swagger else None,
            output_source="@output_schema",
            hostile_severity=FAILURE,
            has_logs=not remote,
            healthy=self._healthy,
            resend=self._resend,
            predict_conversion=conversion_predictor(input_schema_from_swagger(swagger), None)
            if remote and swagger
            else None,
        )

    def _healthy(self) -> bool:
        try:
            return self.client.send(RequestSpec(method="GET", path="/")).status == 200
        except RequestError:
            return False

    def _resend(self, spec: RequestSpec) -> Optional[Observation]:
        try:
            return self.client.send(spec)
        except RequestError:
            return None

    def json(self, payload: Any, path: str = "/score") -> Observation:
        """POST `payload` as JSON: the common case without building a RequestSpec."""
        body = json.dumps(payload).encode("utf-8")
        return self(RequestSpec(path=path, body=body, body_source="json"))

    def close(self) -> None:
        self.client.close()
