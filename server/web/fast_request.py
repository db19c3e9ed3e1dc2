"""The request a `@rawhttp` run() receives on the fast path, made as Flask's request context makes it.

On the Flask path such a run() receives `flask.request`, a context proxy to the app's request object, which Flask
built from the environ, gave the app's JSON provider and host, matched to the `/score` rule, and closes and unbinds
when the request ends. Here the same object is built the same way, without pushing a context, and handed over
behind a proxy that works as `flask.request` does: `isinstance`, `type()`, `repr()`, attribute reads,
`request.endpoint`, `request.url_rule`, a kept proxy reading the current request later and the error outside a
request are what the Flask path gives. A run() that could reach Flask itself never comes here (flask_free.py),
so nothing can tell the two apart; the one exception is a proxy kept from a request Flask answered (OPTIONS or
HEAD), which is `flask.request` and sees no fast-path request later.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Dict

import flask
from werkzeug.local import LocalProxy
from werkzeug.routing import Rule
from werkzeug.wsgi import get_host

SCORE_ENDPOINT = "score"


# As `flask.request`, one proxy for every request, resolved through a context variable: a run() that keeps the
# object it received reads the current request through it later, and gets Flask's error outside a request.
_CURRENT: ContextVar[flask.Request] = ContextVar("azmlinfsrv_raw_request")


def _unbound_message() -> str:
    """Flask's own error for `flask.request` outside a request, read from the public proxy (at import no request
    is active) rather than from a private name of `flask.globals`."""
    try:
        flask.request.method  # noqa: B018 - evaluated for the error it raises
    except RuntimeError as exc:
        return str(exc)
    return "Working outside of request context."  # imported inside a request: Flask's message begins so


REQUEST_PROXY: Any = LocalProxy(_CURRENT, unbound_message=_unbound_message())


class BoundRequest:
    """One request object, current until `close()`, which ends it as Flask's context pop does."""

    __slots__ = ("_token", "request")

    proxy = REQUEST_PROXY

    def __init__(self, request: flask.Request) -> None:
        self.request = request
        self._token = _CURRENT.set(request)

    def close(self) -> None:
        self.request.close()  # closes uploaded files
        _CURRENT.reset(self._token)
        self.request.environ["werkzeug.request"] = None


class RawRequests:
    """Makes the request object of one `/score` request from its environ, as the app's request context does."""

    def __init__(self, app: flask.Flask) -> None:
        self._request_class = app.request_class
        self._json = app.json
        self._rule = _score_rule(app)

    def bind(self, environ: Dict[str, Any]) -> BoundRequest:
        request = self._request_class(environ)
        request.json_module = self._json
        # The app sets no TRUSTED_HOSTS, so this is the host Flask's url adapter gives the request.
        request.host = get_host(environ)
        request.url_rule, request.view_args = self._rule, {}
        return BoundRequest(request)


def _score_rule(app: flask.Flask) -> Rule:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == SCORE_ENDPOINT:
            return rule
    raise ValueError(f"the app has no {SCORE_ENDPOINT!r} route")
