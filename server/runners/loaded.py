"""What booting a worker gives its runner (kept light: the gunicorn master imports it through sync_threads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class LoadedWorker:
    """One worker ready to serve: its WSGI app, and a probe for how long the current `run()` call has been busy
    (seconds, or None when idle), which the gunicorn worker reads to stop its heartbeat when `run()` is stuck."""

    app: WSGIApp
    busy_for: Callable[[], Optional[float]]
