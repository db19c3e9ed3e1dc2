"""`AMLResponse`, importable under the upstream module names."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

import flask


class AMLResponse(flask.Response):
    """A Flask response with the upstream constructor.

    `message is None` gives `{}` and `json_str=True` gives `json.dumps(message)`, both as application/json; any
    other message is sent as-is. Header values are split on commas, one header line per part, as upstream does.
    """

    def __init__(
        self,
        message: Any,
        status_code: int,
        response_headers: Optional[Mapping[str, Any]] = None,
        json_str: bool = False,
        run_function_failed: bool = False,
    ) -> None:
        headers = dict(response_headers or {})
        if message is None or json_str:
            body = "{}" if message is None else json.dumps(message)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            super().__init__(body, status=status_code, mimetype="application/json")
        else:
            content_type = _pop_content_type(headers)
            super().__init__(message, status=status_code, content_type=content_type)
        for name, value in headers.items():
            for part in str(value).split(","):
                self.headers.add(name, part.strip())
        self.run_function_failed = bool(run_function_failed) or status_code >= 500


def _pop_content_type(headers: dict[str, Any]) -> Optional[str]:
    for name in list(headers):
        if name.lower() == "content-type":
            return str(headers.pop(name))
    return None
