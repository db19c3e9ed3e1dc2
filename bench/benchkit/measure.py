"""Measure servers: launch-to-ready time, idle memory, throughput and latency under wrk.

Measurements run in rounds; each round visits every server in turn, so drift on a shared machine
hits all of them alike. Each figure is the median over rounds (startup: over every launch).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchkit.cpu import ForeignCpu, wait_quiet
from benchkit.loadgen import WrkResult, run_wrk
from benchkit.memory import TreeMemory, descendants, tree_memory
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
    rounds: int
    launches: int
    ready_deadline_s: float
    settle_s: float
    quiet_threshold: float
    quiet_wait_s: float
    wrk: str
    lua: Path
    logs: Path
    workdir: Path
    env: dict[str, str]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class ServerResult:
    """Everything measured for one server (``error`` set when it could not be measured)."""

    key: str
    label: str
    command: list[str]
    error: str | None = None
    startup_s: list[float] = field(default_factory=list)
    idle: list[TreeMemory] = field(default_factory=list)
    after_load: list[TreeMemory] = field(default_factory=list)
    loads: dict[int, list[WrkResult]] = field(default_factory=dict)
    background: list[float] = field(default_factory=list)
    cpu_us_per_req: dict[int, list[float]] = field(default_factory=dict)
    score_response: str = ""

    def load_median(self, conns: int, pick: Callable[[WrkResult], float]) -> float | None:
        """Median over rounds of one wrk figure at concurrency ``conns``."""
        return _median([pick(r) for r in self.loads.get(conns, [])])

    @staticmethod
    def mem_median(samples: list[TreeMemory], pick: Callable[[TreeMemory], float]) -> float | None:
        return _median([pick(m) for m in samples])

    @property
    def startup_median_s(self) -> float | None:
        return _median(self.startup_s)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "command": self.command,
            "error": self.error,
            "startup_s": self.startup_s,
            "startup_median_s": self.startup_median_s,
            "idle_memory": [_mem_dict(m) for m in self.idle],
            "after_load_memory": [_mem_dict(m) for m in self.after_load],
            "loads": {str(c): [r.as_dict() for r in rs] for c, rs in self.loads.items()},
            "background_cpu_share_during_wrk": self.background,
            "server_cpu_us_per_request": {str(c): v for c, v in self.cpu_us_per_req.items()},
            "score_response": self.score_response,
        }


def _mem_dict(mem: TreeMemory) -> dict[str, Any]:
    return {"pids": list(mem.pids), "rss_bytes": mem.rss_bytes, "pss_bytes": mem.pss_bytes}


def _start(spec: ServerSpec, settings: Settings, tag: str) -> Server:
    port = free_port()
    cmd = pinned(spec.command(port), settings.server_cpu)
    log = settings.logs / f"{spec.key}-{tag}.log"
    return launch(spec.label, cmd, port, log, cwd=settings.workdir, env=settings.env)


def check_score(port: int, timeout_s: float = 10.0) -> str:
    """POST the benchmark body once; return the response text, raise unless 200 with JSON."""
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


def _measured_wrk(settings: Settings, url: str, conns: int, server: Server, result: ServerResult) -> None:
    """A measured wrk run once the machine is quiet, noting other processes' CPU share meanwhile."""
    wait_quiet(settings.quiet_threshold, settings.quiet_wait_s)
    print(f"    wrk -c{conns} -d{settings.duration_s}s ...", flush=True)
    with ForeignCpu(tuple(descendants(server.pid))) as foreign:
        run = _wrk(settings, url, conns, settings.duration_s)
    result.loads.setdefault(conns, []).append(run)
    result.background.append(foreign.share)
    per_req = foreign.tree_cpu_s * 1e6 / run.requests if run.requests else 0.0
    result.cpu_us_per_req.setdefault(conns, []).append(per_req)


def measure_load(spec: ServerSpec, settings: Settings, result: ServerResult, tag: str) -> None:
    """One launch: idle memory once ready, then warm-up and one wrk run per concurrency."""
    with running(_start(spec, settings, f"load-{tag}")) as server:
        wait_ready(server, settings.ready_deadline_s)
        time.sleep(settings.settle_s)
        result.idle.append(tree_memory(server.pid))
        result.score_response = check_score(server.port)
        url = f"http://127.0.0.1:{server.port}/score"
        if settings.warmup_s > 0:
            _wrk(settings, url, max(settings.connections), settings.warmup_s)
        for conns in settings.connections:
            _measured_wrk(settings, url, conns, server, result)
        result.after_load.append(tree_memory(server.pid))


def measure_startup(spec: ServerSpec, settings: Settings, result: ServerResult, tag: str) -> None:
    """``settings.launches`` fresh launches, each timed from spawn to the first 200 on ``GET /``."""
    for i in range(settings.launches):
        wait_quiet(settings.quiet_threshold, settings.quiet_wait_s)
        with running(_start(spec, settings, f"startup-{tag}-{i}")) as server:
            result.startup_s.append(wait_ready(server, settings.ready_deadline_s))


def _measure_round(spec: ServerSpec, settings: Settings, result: ServerResult, rnd: int) -> None:
    print(f"== round {rnd + 1}/{settings.rounds} {spec.label}", flush=True)
    try:
        measure_load(spec, settings, result, tag=str(rnd))
        measure_startup(spec, settings, result, tag=str(rnd))
    except (RuntimeError, OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        print(f"   FAILED: {result.error}", flush=True)


def measure_all(server_specs: list[ServerSpec], settings: Settings) -> dict[str, ServerResult]:
    """Every round visits every server still working; a failure is recorded, not raised."""
    results = {s.key: ServerResult(s.key, s.label, s.command(0)) for s in server_specs}
    for spec in server_specs:
        print(f"{spec.label}: {' '.join(spec.command(0))}  (port 0: a free port per launch)")
    for rnd in range(settings.rounds):
        for spec in server_specs:
            if results[spec.key].error is None:
                _measure_round(spec, settings, results[spec.key], rnd)
    return results
