"""The HTTP exchange under `Client.send`: requests decides what goes on the wire, urllib3 carries it.

`requests.Session.request` spends more client CPU on each request than the rest of a property example: it reads
the proxy and CA-bundle environment and `~/.netrc` again for every request, prepares headers through several
merges, and wraps urllib3's response in its own. `DirectTransport` keeps requests' decisions and drops the
repetition:

- what requests would send for a call (method, URL, header names, values and order, body) is prepared by
  requests itself, once per request shape (method, URL, query, headers, whether there is a body) with
  stand-ins for the request id and the body, which are then put in their place;
- urllib3 sends it with the arguments requests' adapter uses (no redirects followed, no retries, the same
  timeouts), and urllib3's errors become the requests exceptions the adapter would raise, with the same text;
- the body is read and decoded as `Response.content` reads it.

The environment is read once per transport, when the first request of a shape is prepared. Anything outside
the plain case goes through requests as is (`session.prepare_request` and `session.send`): a form or multipart
body, a session holding cookies (a `Set-Cookie` answer is stored as requests stores it), an https or proxied
target, a redirect answer (requests works out where it points).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Dict, Optional, Protocol, Tuple

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from requests.utils import select_proxy
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)

# What requests' Response.content reads at a time.
CONTENT_CHUNK = 10 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Stand-ins in a prepared template: a request id nobody sends, and a one-byte body.
_ID_MARK = f"sc-template-{uuid.uuid4()}"
_BODY_MARK = b"x"
ID_HEADER = "x-request-id"
KEPT_SHAPES = 256  # a run meets a few: its fixtures' and the property phase's


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Tuple[Tuple[str, str], ...]  # as received, repeated names included
    body: bytes


class Transport(Protocol):
    """Sends what `requests.Session.request(**arguments)` would send; raises requests' exceptions."""

    def exchange(self, arguments: Dict[str, Any], timeout: float) -> Answer: ...

    def close(self) -> None: ...


class SessionTransport:
    """requests all the way: the reference `DirectTransport` is held to."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def exchange(self, arguments: Dict[str, Any], timeout: float) -> Answer:
        return _answered(self.session.request(timeout=timeout, **arguments))

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class _Template:
    """One request shape as requests prepared it, and where it is sent."""

    prepared: requests.PreparedRequest
    headers: Tuple[Tuple[str, str], ...]
    path: str  # what the adapter puts on the request line
    adapter: HTTPAdapter
    pool: Optional[urllib3.HTTPConnectionPool]  # None: not the plain case, requests sends it
    settings: Dict[str, Any]  # proxies, verify, cert, stream, as requests read them from the environment


class DirectTransport:
    """requests' preparation, once per request shape; urllib3's send for a plain http target."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self._templates: Dict[Tuple[Any, ...], _Template] = {}

    def exchange(self, arguments: Dict[str, Any], timeout: float) -> Answer:
        key = _shape(arguments)
        if key is None or len(self.session.cookies):
            return self._by_requests(self.session.prepare_request(_request(arguments)), timeout, None)
        template = self._templates.get(key) or self._template(key, arguments)
        headers = _filled(template.headers, arguments)
        body = arguments.get("data") or None
        if template.pool is None:
            return self._by_requests(_real(template, headers, body), timeout, template.settings)
        return self._direct(template, headers, body, timeout)

    def _template(self, key: Tuple[Any, ...], arguments: Dict[str, Any]) -> _Template:
        stand_in = dict(arguments, headers={**arguments["headers"], ID_HEADER: _ID_MARK})
        if arguments.get("data"):
            stand_in["data"] = _BODY_MARK
        prepared = self.session.prepare_request(_request(stand_in))
        url = prepared.url or ""
        settings: Dict[str, Any] = dict(self.session.merge_environment_settings(url, {}, None, None, None))
        adapter = self.session.get_adapter(url)
        assert isinstance(adapter, HTTPAdapter)  # the session's own: nothing else is mounted
        plain = url.startswith("http://") and select_proxy(url, settings["proxies"]) is None
        pool = adapter.poolmanager.connection_from_url(url) if plain else None
        path = prepared.path_url
        if path.startswith("//"):
            path = f"/{path.lstrip('/')}"
        template = _Template(prepared, tuple(prepared.headers.items()), path, adapter, pool, settings)
        if len(self._templates) >= KEPT_SHAPES:
            self._templates.clear()
        self._templates[key] = template
        return template

    def _direct(
        self, template: _Template, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> Answer:
        assert template.pool is not None
        adapter = template.adapter
        try:
            response = template.pool.urlopen(
                method=template.prepared.method or "",
                url=template.path,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=adapter.max_retries,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                chunked=False,  # requests' rule: not when there is no body or it has a Content-Length
            )
        except Exception as err:
            raised = _sent_error(err, template.prepared)
            if raised is err:
                raise
            raise raised from err
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            extract_cookies_to_jar(self.session.cookies, template.prepared, response)  # type: ignore[no-untyped-call]
        if response.status in REDIRECTS and "location" in response.headers:
            real = _real(template, headers, body)
            return _redirect(self.session, adapter.build_response(real, response), template.settings, timeout)
        return Answer(response.status, tuple(response.headers.items()), _content(response))

    def _by_requests(
        self, prepared: requests.PreparedRequest, timeout: float, settings: Optional[Dict[str, Any]]
    ) -> Answer:
        if settings is None:
            settings = dict(self.session.merge_environment_settings(prepared.url, {}, None, None, None))
        return _answered(self.session.send(prepared, allow_redirects=False, timeout=timeout, **settings))

    def close(self) -> None:
        self.session.close()


def _shape(arguments: Dict[str, Any]) -> Optional[Tuple[Any, ...]]:
    """What decides requests' preparation apart from the request id and the body's bytes; None for a form or
    multipart body, which requests encodes itself."""
    data = arguments.get("data")
    if arguments.get("files") or not (data is None or isinstance(data, bytes)):
        return None
    # The request id's place counts, its value does not.
    headers = tuple((k, None if k == ID_HEADER else v) for k, v in arguments["headers"].items())
    return (arguments["method"], arguments["url"], tuple(arguments["params"]), headers, bool(data))


def _request(arguments: Dict[str, Any]) -> requests.Request:
    return requests.Request(
        method=arguments["method"],
        url=arguments["url"],
        params=arguments["params"],
        headers=arguments["headers"],
        data=arguments.get("data"),
        files=arguments.get("files"),
    )


def _filled(template: Tuple[Tuple[str, str], ...], arguments: Dict[str, Any]) -> Dict[str, str]:
    request_id = arguments["headers"][ID_HEADER]
    length = str(len(arguments.get("data") or b""))
    filled: Dict[str, str] = {}
    for name, value in template:
        filled[name] = value
        if value == _ID_MARK:
            filled[name] = request_id
        elif name == "Content-Length" and arguments.get("data"):
            filled[name] = length  # requests sets it, under this name, from the body it sends
    return filled


def _real(template: _Template, headers: Dict[str, str], body: Optional[bytes]) -> requests.PreparedRequest:
    real = template.prepared.copy()
    real.headers = requests.structures.CaseInsensitiveDict(headers)
    real.body = body
    return real


def _redirect(
    session: requests.Session, response: requests.Response, settings: Dict[str, Any], timeout: float
) -> Answer:
    """What `Session.send` does with a redirect it does not follow: it works out the next request (which reads
    the body) before `content` is read."""
    kwargs = {**settings, "timeout": timeout}
    response._next = next(  # type: ignore[attr-defined]
        session.resolve_redirects(response, response.request, yield_requests=True, **kwargs), None
    )
    return _answered(response)


def _answered(response: requests.Response) -> Answer:
    body = response.content  # read first: the headers are the raw response's
    return Answer(response.status_code, tuple(response.raw.headers.items()), body)


def _content(response: urllib3.BaseHTTPResponse) -> bytes:
    """The body, decoded as requests' Response.content decodes it, and its errors as requests raises them."""
    try:
        return b"".join(response.stream(CONTENT_CHUNK, decode_content=True)) or b""
    except ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err
    except DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from err
    except ReadTimeoutError as err:
        raise requests.ConnectionError(err) from err


def _sent_error(err: Exception, request: requests.PreparedRequest) -> Exception:
    """urllib3's error as requests' HTTP adapter raises it (plain http, no proxy: no TLS or proxy errors)."""
    if isinstance(err, (ProtocolError, OSError, ClosedPoolError)):
        return requests.ConnectionError(err, request=request)
    if isinstance(err, MaxRetryError):
        return _retries_error(err, request)
    if isinstance(err, ReadTimeoutError):
        return requests.ReadTimeout(err, request=request)
    if isinstance(err, InvalidHeader):
        return requests.exceptions.InvalidHeader(err, request=request)
    return err


def _retries_error(err: MaxRetryError, request: requests.PreparedRequest) -> Exception:
    reason = err.reason
    if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
        return requests.ConnectTimeout(err, request=request)
    if isinstance(reason, ResponseError):
        return requests.exceptions.RetryError(err, request=request)
    return requests.ConnectionError(err, request=request)
