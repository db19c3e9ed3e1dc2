"""Measure one server: launch-to-ready time, idle memory, throughput and latency under wrk."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchkit.loadgen import WrkResult, run_wrk
from benchkit.memory import TreeMemory, tree_memory
from benchkit.procs import Server, free_port, launch, pinned, running, wait_ready
from benchkit.servers import ServerSpec

SCORE_BODY = b'{"data": [[1.0, 2.0, 3.0, 4.0]]}'


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every measurement."""

    server_cpu: int | None
    load_cpu: int | None
    duration_s: int
    warmup_s: int
    connections: tuple[int, ...]
    launches: int
    ready_deadline_s: float
    settle_s: float
    wrk: str
    lua: Path
    logs: Path
    workdir: Path
    env: dict[str, str]


@dataclass
class ServerResult:
    """Everything measured for one server (``error`` set when it could not be measured)."""

    key: str
    label: str
    command: list[str]
    error: str | None = None
    startup_s: list[float] = field(default_factory=list)
    idle: TreeMemory | None = None
    after_load: TreeMemory | None = None
    loads: dict[int, WrkResult] = field(default_factory=dict)
    score_response: str = ""

    @property
    def startup_median_s(self) -> float | None:
        return statistics.median(self.startup_s) if self.startup_s else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "command": self.command,
            "error": self.error,
            "startup_s": self.startup_s,
            "startup_median_s": self.startup_median_s,
            "idle_memory": _mem_dict(self.idle),
            "after_load_memory": _mem_dict(self.after_load),
            "loads": {str(c): r.as_dict() for c, r in self.loads.items()},
            "score_response": self.score_response,
        }


def _mem_dict(mem: TreeMemory | None) -> dict[str, Any] | None:
    if mem is None:
        return None
    return {"pids": list(mem.pids), "rss_bytes": mem.rss_bytes, "pss_bytes": mem.pss_bytes}


def _start(spec: ServerSpec, settings: Settings, tag: str) -> Server:
    port = free_port()
    cmd = pinned(spec.command(port), settings.server_cpu)
    log = settings.logs / f"{spec.key}-{tag}.log"
    return launch(spec.label, cmd, port, log, cwd=settings.workdir, env=settings.env)


def check_score(port: int, timeout_s: float = 10.0) -> str:
    """POST the benchmark body once; return the response text, raise unless 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("POST", "/score", body=SCORE_BODY, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"POST /score answered {resp.status}: {text[:200]}")
    json.loads(text)
    return text


def _wrk(settings: Settings, url: str, conns: int, duration_s: int) -> WrkResult:
    return run_wrk(
        settings.wrk, url, settings.lua, connections=conns, duration_s=duration_s, cpu=settings.load_cpu
    )


def measure_load(spec: ServerSpec, settings: Settings, result: ServerResult) -> None:
    """One launch: idle memory once ready, then warm-up and one wrk run per concurrency."""
    with running(_start(spec, settings, "load")) as server:
        wait_ready(server, settings.ready_deadline_s)
        time.sleep(settings.settle_s)
        result.idle = tree_memory(server.pid)
        result.score_response = check_score(server.port)
        url = f"http://127.0.0.1:{server.port}/score"
        if settings.warmup_s > 0:
            _wrk(settings, url, max(settings.connections), settings.warmup_s)
        for conns in settings.connections:
            print(f"    wrk -c{conns} -d{settings.duration_s}s ...", flush=True)
            result.loads[conns] = _wrk(settings, url, conns, settings.duration_s)
        result.after_load = tree_memory(server.pid)


def measure_startup(spec: ServerSpec, settings: Settings, result: ServerResult) -> None:
    """``settings.launches`` fresh launches, each timed from spawn to the first 200 on ``GET /``."""
    for i in range(settings.launches):
        with running(_start(spec, settings, f"startup{i}")) as server:
            result.startup_s.append(wait_ready(server, settings.ready_deadline_s))


def measure_server(spec: ServerSpec, settings: Settings) -> ServerResult:
    """All figures for one server; a failure is recorded in ``error`` rather than raised."""
    result = ServerResult(spec.key, spec.label, spec.command(0))
    print(f"== {spec.label}: {' '.join(result.command)}", flush=True)
    try:
        measure_load(spec, settings, result)
        measure_startup(spec, settings, result)
    except (RuntimeError, OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        print(f"   FAILED: {result.error}", flush=True)
    return result
