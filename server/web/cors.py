"""CORS for the origins given with --access_control_allow_origins / AML_CORS_ORIGINS (contract §12)."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

CORS_PATHS = ("/", "/score", "/swagger.json")


class CorsPolicy:
    """The allowed origins (`*` for any), matched case-insensitively, and the headers an allowed request gets."""

    def __init__(self, origins: Tuple[str, ...]) -> None:
        self._any = "*" in origins
        self._allowed = {o.lower() for o in origins}

    def allowed(self, origin: Optional[str]) -> bool:
        return origin is not None and (self._any or origin.lower() in self._allowed)

    def headers(self, method: str, path: str, request_headers: Any) -> List[Tuple[str, str]]:
        """The CORS headers for this request (none for other origins or paths); `request_headers` has `.get`."""
        origin = request_headers.get("Origin")
        if path not in CORS_PATHS or not self.allowed(origin):
            return []
        result = [("Access-Control-Allow-Origin", str(origin)), ("Vary", "Origin")]
        if method == "OPTIONS":
            result.append(("Access-Control-Allow-Methods", "GET, POST"))
            requested = request_headers.get("Access-Control-Request-Headers")
            if requested:
                result.append(("Access-Control-Allow-Headers", requested))
        return result
