"""Credentials: which headers hold them, `${NAME}` references to them, and keeping their values out of files.

A script that echoes or logs its request headers puts the caller's credentials into the response and the
server log, and from there into fixtures, saved failures and reports. The `Redactor` knows every secret value
sent (the `--header` and `[tool.scorecheck]` header values, and the values of secret-bearing headers such as
`Authorization`) and replaces them with `REDACTED` in everything scorecheck observes, so nothing it writes or
prints can hold one. Files refer to a credential by an environment variable instead: `${NAME}`.
"""

from __future__ import annotations

import os
import re
import threading
from typing import List, Mapping, Optional, Sequence, Tuple

REDACTED = "***"
# Headers whose values are credentials; matched case-insensitively, plus any name containing a word below.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "ocp-apim-subscription-key",
        "x-functions-key",
    }
)
_SECRET_WORDS = ("token", "secret", "password", "apikey", "api-key", "auth", "key", "credential", "signature")
# `--header` values of these describe the request, not the caller: they are not treated as secrets.
PUBLIC_HEADERS = frozenset(
    {"content-type", "accept", "accept-encoding", "accept-language", "user-agent", "content-encoding"}
)
# Shorter values would be found in unrelated text; credentials are longer.
MIN_SECRET = 6
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in _SECRET_WORDS)


def references(text: str) -> List[str]:
    """The variable names `text` refers to as `${NAME}`."""
    return _REFERENCE.findall(text)


def expand(text: str, environ: Optional[Mapping[str, str]] = None) -> Tuple[str, List[str]]:
    """`text` with each `${NAME}` replaced from the environment, and the names that are not set."""
    env = os.environ if environ is None else environ
    missing = [name for name in references(text) if name not in env]
    return _REFERENCE.sub(lambda m: env.get(m.group(1), m.group()), text), missing


def variable_for(header: str) -> str:
    """The environment variable a recorded fixture names for a header's value: `SCORECHECK_X_API_KEY`."""
    return "SCORECHECK_" + re.sub(r"[^A-Za-z0-9]+", "_", header).strip("_").upper()


class Redactor:
    """The secret values seen so far, and their replacement in text and bytes. Shared by threads."""

    def __init__(self, headers: Sequence[Tuple[str, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._values: Tuple[str, ...] = ()
        self.learn(headers, every=True)

    def learn(self, headers: Sequence[Tuple[str, str]], every: bool = False) -> None:
        """Remember the values of secret-bearing headers (`every`: of all but the descriptive ones)."""
        for name, value in headers:
            secret = is_secret_header(name) or (every and name.lower() not in PUBLIC_HEADERS)
            if secret:
                self._add(value)

    def _add(self, value: str) -> None:
        # The credential of `Bearer <token>` is also redacted alone: a script may echo just the token.
        parts = [value.strip(), value.strip().split(" ")[-1]]
        with self._lock:
            known = set(self._values) | {part for part in parts if len(part) >= MIN_SECRET}
            self._values = tuple(sorted(known, key=len, reverse=True))

    @property
    def active(self) -> bool:
        return bool(self._values)

    def text(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        return text

    def data(self, data: bytes) -> bytes:
        for value in self._values:
            data = data.replace(value.encode("utf-8"), REDACTED.encode("ascii"))
        return data
