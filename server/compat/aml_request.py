"""`rawhttp` and `AMLRequest`, importable under the upstream module names."""

from __future__ import annotations

from typing import Callable, TypeVar

import flask

F = TypeVar("F", bound=Callable[..., object])


class RawHttpFlag:
    """Process-wide switch set by `@rawhttp`: as upstream, decorating any function puts the server in raw mode."""

    enabled = False


def rawhttp(func: F) -> F:
    RawHttpFlag.enabled = True
    return func


class AMLRequest(flask.Request):
    """A plain `flask.Request`; kept as a name so that `isinstance` checks in user scripts work."""
