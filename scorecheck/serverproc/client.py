"""Send one fixture request to a scoring server and observe the response.

Each request carries its own `x-request-id: sc-<uuid>`, which the server echoes and which lets a log
source attribute its lines to the request. The client also renders the request as a one-line `curl`
command with every secret-bearing header replaced by `***`, so that failure reports can be pasted
without leaking credentials.
"""

from __future__ import annotations

import base64
import functools
import shlex
import time
import uuid
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple, Type
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .. import interrupts
from ..measurements import Timings
from ..model import Observation, RequestSpec
from .logs import has_any_access_line
from .process import ServerStartError
from .secrets import REDACTED, Redactor, is_secret_header
from .transport import ID_HEADER, DirectTransport, Transport

REQUEST_ID_HEADER = ID_HEADER
_SECRET_QUERY = frozenset({"code", "key", "token", "sig", "signature", "access_token", "api-key", "apikey"})
# Paths for which the server writes an access line (`POST /score 200 0.516ms 28`); others log none.
_LOGGED_PATHS = ("/score", "/swagger.json")
CURL_BODY_LIMIT = 64 * 1024
QUIET_S = 0.02
# How long the lines of a request on a path the server writes no line of its own for are waited for at most.
UNLOGGED_GRACE_S = 0.05


def redact_url(url: str) -> str:
    """Drop user:password and key-like query values (Azure Functions `code=`, SAS `sig=`) from a URL."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if "@" in parts.netloc:
        netloc = f"{REDACTED}@{netloc}"
    query = [(k, REDACTED if k.lower() in _SECRET_QUERY else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), parts.fragment))


class LogSource(Protocol):
    """Where the server's log lines come from; `ServerProcess` is one. Absent for a remote `--target`."""

    def begin_request(self, request_id: str) -> None: ...

    def lines_for(self, request_id: str) -> Tuple[str, ...]: ...


class RequestError(Exception):
    """The request got no HTTP response. `kind` is `Timeout` or `ConnectionError` (JUnit error types)."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        request_id: str,
        elapsed_ms: float,
        curl: str,
        log_lines: Tuple[str, ...],
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.request_id = request_id
        self.elapsed_ms = elapsed_ms
        self.curl = curl
        self.log_lines = log_lines


# The headers a server names itself in: azmlinfsrv (and the production server), then fastml.
PRODUCT_HEADERS = ("x-ms-server-version", "x-fastml-server-version")


def server_name(obs: Observation) -> str:
    """The server that answered, as it names itself; the HTTP layer's `Server` header as a last resort."""
    headers = {name.lower(): value for name, value in obs.headers}
    product = next((headers[name] for name in PRODUCT_HEADERS if headers.get(name)), "")
    if product:
        return product
    software = headers.get("server")
    return f"unknown (Server: {software})" if software else "unknown (it sends no x-ms-server-version)"


def wait_answering(client: Client, deadline: float) -> str:
    """Wait for any HTTP answer from a remote endpoint (it may well refuse `GET /` without a key); return the
    server's name. Raises ServerStartError at the `time.monotonic()` deadline."""
    probe = RequestSpec(method="GET", path="/")
    while True:
        try:
            obs = client.send(probe, timeout_s=max(0.0, deadline - time.monotonic()))
        except RequestError as err:
            if time.monotonic() >= deadline:
                raise ServerStartError(f"the target did not answer: {err.message}", "", None) from err
            time.sleep(0.25)
            continue
        return server_name(obs)


def new_request_id() -> str:
    return f"sc-{uuid.uuid4()}"


def _header_list(spec: RequestSpec, extra: Sequence[Tuple[str, str]]) -> List[Tuple[str, str]]:
    headers = list(spec.headers)
    names = {name.lower() for name, _ in headers}
    if spec.body_source == "json" and "content-type" not in names:
        headers.append(("Content-Type", "application/json"))
    # Command-line headers (credentials for --target) override the fixture's.
    extra_names = {name.lower() for name, _ in extra}
    return [*(h for h in headers if h[0].lower() not in extra_names), *extra]


def build_url(base_url: str, spec: RequestSpec) -> str:
    return _prepared_url(base_url.rstrip("/") + "/" + spec.path.lstrip("/"), spec.query)


@functools.lru_cache(maxsize=1024)
def _prepared_url(url: str, query: Tuple[Tuple[str, str], ...]) -> str:
    """The URL as requests sends it; a run renders the same few thousands of times, one per request."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, list(query))
    return str(prepared.url)


def curl_command(base_url: str, spec: RequestSpec, extra_headers: Sequence[Tuple[str, str]] = ()) -> str:
    """A one-line shell command reproducing the request, with secrets shown as `***`."""
    words = ["curl", "-sS", "-i", "-X", spec.method, build_url(redact_url(base_url), spec)]
    for name, value in _header_list(spec, extra_headers):
        words += ["-H", f"{name}: {REDACTED if is_secret_header(name) else value}"]
    words += _curl_body(spec)
    command = " ".join(shlex.quote(word) for word in words)
    body = spec.body or b""
    if len(body) > CURL_BODY_LIMIT:
        return f"{command}  # BODY_FILE: the fixture's {len(body)}-byte body"
    if spec.body is not None and _is_binary(body):
        # Binary bodies travel as base64 through a pipe so the line stays copy-pasteable.
        encoded = base64.b64encode(body).decode("ascii")
        return f"printf %s {encoded} | base64 -d | {command}"
    return command


def _is_binary(body: bytes) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text)


def _curl_body(spec: RequestSpec) -> List[str]:
    if spec.body is not None:
        if len(spec.body) > CURL_BODY_LIMIT:
            return ["--data-binary", "@BODY_FILE"]
        if _is_binary(spec.body):
            return ["--data-binary", "@-"]
        return ["--data-binary", spec.body.decode("utf-8")]
    if spec.files:
        fields = [f"{name}={value}" for name, value in spec.form]
        for part in spec.files:
            suffix = f";type={part.content_type}" if part.content_type else ""
            fields.append(f"{part.field}=@{part.filename}{suffix}")
        return [word for field in fields for word in ("-F", field)]
    return [word for name, value in spec.form for word in ("--data-urlencode", f"{name}={value}")]


class Client:
    """Sends RequestSpecs to one base URL. Reusable across phases; holds a keep-alive session."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 30.0,
        headers: Sequence[Tuple[str, str]] = (),
        logs: Optional[LogSource] = None,
        log_wait_s: float = 1.0,
        redactor: Optional[Redactor] = None,
        timings: Optional[Timings] = None,
        on_sent: Optional[Callable[[Optional[int]], None]] = None,
        transport: Optional[Transport] = None,
    ) -> None:
        self.base_url = base_url
        # Called after every request with its status (None: no answer); the memory check samples the workers.
        self.on_sent = on_sent
        self.timeout_s = timeout_s
        self.headers = tuple(headers)
        self.logs = logs
        self.log_wait_s = log_wait_s
        # What comes back may echo a credential sent: every observation is redacted before anyone sees it.
        self.redactor = redactor or Redactor(self.headers)
        # What goes on the wire is what `requests.Session.request` sends; `SessionTransport` is requests itself.
        self._transport = transport if transport is not None else DirectTransport()
        # Every answered request's latency, shared by the clients of one run, for the reports' distribution.
        self.timings = timings if timings is not None else Timings()

    def without_logs(self) -> Client:
        """A client like this one (headers, redaction, timings, hook) that gathers no log lines: for phases that
        send many requests and judge them on what comes back, not on what the server logged."""
        return Client(
            self.base_url,
            timeout_s=self.timeout_s,
            headers=self.headers,
            redactor=self.redactor,
            timings=self.timings,
            on_sent=self.on_sent,
        )

    def curl(self, spec: RequestSpec) -> str:
        return curl_command(self.base_url, spec, self.headers)

    def send(self, spec: RequestSpec, timeout_s: Optional[float] = None) -> Observation:
        """Send `spec`; return what came back. Raises RequestError when no response arrived.

        `timeout_s` shortens the client's timeout for this request (a phase's time budget running out).
        """
        # requests refuses a zero timeout; a budget that has just run out still gets one short try.
        interrupts.check()
        timeout = self.timeout_s if timeout_s is None else max(0.01, min(timeout_s, self.timeout_s))
        request_id = new_request_id()
        self.redactor.learn(spec.headers)
        if self.logs is not None:
            self.logs.begin_request(request_id)
        started = time.perf_counter()
        try:
            answer = self._transport.exchange(self._arguments(spec, request_id), timeout)
        except requests.RequestException as exc:
            self._sent(None)
            elapsed = (time.perf_counter() - started) * 1000
            lines = self._gather(request_id, None)
            raise RequestError(
                _error_kind(exc),
                _error_message(exc, timeout, clipped=timeout < self.timeout_s),
                request_id=request_id,
                elapsed_ms=elapsed,
                curl=self.curl(spec),
                log_lines=lines,
            ) from exc
        elapsed = (time.perf_counter() - started) * 1000
        self.timings.add(elapsed)
        self._sent(answer.status)
        redact = self.redactor
        body = answer.body
        return Observation(
            status=answer.status,
            headers=tuple((str(k), redact.text(str(v))) for k, v in answer.headers),
            body=redact.data(body) if redact.active else body,
            elapsed_ms=elapsed,
            request_id=request_id,
            log_lines=self._gather(request_id, (spec.method, spec.path, answer.status)),
            curl=self.curl(spec),
        )

    def _sent(self, status: Optional[int]) -> None:
        if self.on_sent is not None:
            self.on_sent(status)

    def _arguments(self, spec: RequestSpec, request_id: str) -> Dict[str, Any]:
        headers = [*_header_list(spec, self.headers), (REQUEST_ID_HEADER, request_id)]
        arguments: Dict[str, Any] = {
            "method": spec.method,
            "url": self.base_url.rstrip("/") + "/" + spec.path.lstrip("/"),
            "params": list(spec.query),
            "headers": dict(headers),
            "allow_redirects": False,
        }
        if spec.body is not None:
            arguments["data"] = spec.body
        elif spec.files:
            arguments["data"] = list(spec.form)
            arguments["files"] = [(p.field, (p.filename, p.content, p.content_type)) for p in spec.files]
        elif spec.form:
            arguments["data"] = list(spec.form)
        return arguments

    def _gather(self, request_id: str, access: Optional[Tuple[str, str, int]]) -> Tuple[str, ...]:
        """This request's log lines. The server logs its access lines just after answering, so poll briefly for
        one of them (the HTTP layer's, on every route, or the server's own for `/score` and `/swagger.json`), then
        for a short lull: the HTTP layer's line may follow the server's, and what the script wrote to stderr (a
        Python warning) comes through another pipe, read by another thread. A request with neither line gets only a
        short grace."""
        if self.logs is None:
            return ()
        logged = access is not None and access[1].split("?", 1)[0] in _LOGGED_PATHS
        deadline = time.monotonic() + (self.log_wait_s if logged else min(self.log_wait_s, UNLOGGED_GRACE_S))
        lines: Tuple[str, ...] = ()
        quiet_since = time.monotonic()
        while True:
            latest = self.logs.lines_for(request_id)
            now = time.monotonic()
            if latest != lines:
                lines, quiet_since = latest, now
            seen = access is not None and has_any_access_line(lines, *access)
            if (seen and now - quiet_since >= QUIET_S) or now >= deadline:
                break
            time.sleep(0.005)
        return tuple(self.redactor.text(line) for line in lines)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _error_kind(exc: requests.RequestException) -> str:
    return "Timeout" if isinstance(exc, requests.Timeout) else "ConnectionError"


def _error_message(exc: requests.RequestException, timeout_s: float, clipped: bool) -> str:
    if isinstance(exc, requests.Timeout):
        if clipped:
            return f"no response within the {timeout_s:.2f} s left of the time budget"
        return f"no response within the request timeout of {timeout_s:g} s"
    # requests' messages nest the cause several levels deep; the last part is the useful one.
    text = " ".join(str(exc).split())
    return f"no response: {text[-160:]}"
