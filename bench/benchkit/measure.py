"""Measure servers: launch-to-ready time, idle memory, throughput and latency under wrk.

Startup: launches of one server after another. Load: all servers run at once (pinned to the same
core; the idle ones cost nothing) and wrk runs go round them, concurrency by concurrency, for
several rounds, so that drift on a shared machine hits all of them alike. Each figure is the median
over rounds (startup: over every launch).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from benchkit.cpu import ForeignCpu, Patience
from benchkit.loadgen import WrkResult, run_wrk
from benchkit.memory import TreeMemory, descendants, tree_memory
from benchkit.procs import Server, free_port, launch, pinned, running, wait_ready
from benchkit.servers import ServerSpec
from benchkit.split import per_call_us, totals

_T = TypeVar("_T")
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
    retries: int
    patience: Patience
    wrk: str
    lua: Path
    logs: Path
    workdir: Path
    env: dict[str, str]
    # The JSON body POSTed to /score (the script kind's, see kinds.py).
    body: bytes = SCORE_BODY
    # Where the servers' run() probe writes (split.py), for the kinds inference-schema converts; else None.
    run_cpu_dir: Path | None = None
    # Called with a server's key right before and right after each of its runs at the highest concurrency:
    # inference-schema's conversion and run() in isolation (µs per call, in that server's venv); the mean of the
    # two brackets the run it is subtracted from.
    conversion: Callable[[str], float | None] | None = None


def median_or_none(values: Sequence[float]) -> float | None:
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
    # Per round, at the highest concurrency (converting kinds only): run() with its conversion, µs per call,
    # inside the server (split.py) and in isolation (bench/conversion.py).
    in_server_run_us: list[float | None] = field(default_factory=list)
    isolated_run_us: list[float | None] = field(default_factory=list)
    score_response: str = ""

    def load_median(self, conns: int, pick: Callable[[WrkResult], float]) -> float | None:
        """Median over rounds of one wrk figure at concurrency ``conns``."""
        return median_or_none([pick(r) for r in self.loads.get(conns, [])])

    @staticmethod
    def mem_median(samples: list[TreeMemory], pick: Callable[[TreeMemory], float]) -> float | None:
        return median_or_none([pick(m) for m in samples])

    @property
    def startup_median_s(self) -> float | None:
        return median_or_none(self.startup_s)

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
            "run_us_in_server_per_round": self.in_server_run_us,
            "run_us_isolated_per_round": self.isolated_run_us,
            "score_response": self.score_response,
        }


def _mem_dict(mem: TreeMemory) -> dict[str, Any]:
    return {"pids": list(mem.pids), "rss_bytes": mem.rss_bytes, "pss_bytes": mem.pss_bytes}


def _start(spec: ServerSpec, settings: Settings, tag: str) -> Server:
    port = free_port()
    cmd = pinned(spec.command(port), settings.server_cpu)
    log = settings.logs / f"{spec.key}-{tag}.log"
    return launch(spec.label, cmd, port, log, cwd=settings.workdir, env=settings.env)


def check_score(port: int, body: bytes = SCORE_BODY, timeout_s: float = 10.0) -> str:
    """POST the benchmark body once; return the response text, raise unless 200 with JSON."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("POST", "/score", body=body, headers={"Content-Type": "application/json"})
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
        settings.wrk,
        url,
        settings.lua,
        connections=conns,
        duration_s=duration_s,
        cpu=settings.load_cpu,
        body=settings.body,
    )


@dataclass(frozen=True)
class _Run:
    wrk: WrkResult
    foreign: ForeignCpu
    in_server_run_us: float | None


def _one_wrk(settings: Settings, url: str, conns: int, server: Server) -> _Run:
    """A wrk run once the machine is quiet, noting other processes' CPU share meanwhile, and the CPU per
    decorated run() inside the server when the probe is loaded."""
    settings.patience.wait_quiet()
    pids = tuple(descendants(server.pid))
    before = totals(settings.run_cpu_dir, pids)
    with ForeignCpu(pids) as foreign:
        run = _wrk(settings, url, conns, settings.duration_s)
    return _Run(run, foreign, per_call_us(before, totals(settings.run_cpu_dir, pids)))


def _measured_wrk(settings: Settings, url: str, conns: int, server: Server, result: ServerResult) -> None:
    """A measured wrk run; rerun (up to ``settings.retries`` times, while the patience budget lasts)
    when other processes were busy meanwhile. The run with the least background CPU is kept.
    """
    print(f", wrk -c{conns} -d{settings.duration_s}s", flush=True)
    conversion = settings.conversion if conns == max(settings.connections) else None
    before = conversion(result.key) if conversion is not None else None
    kept = _one_wrk(settings, url, conns, server)
    for _ in range(settings.retries):
        if kept.foreign.share <= settings.quiet_threshold or not settings.patience.take(settings.duration_s):
            break
        print(f"    ... {kept.foreign.share:.0%} background CPU meanwhile: again", flush=True)
        again = _one_wrk(settings, url, conns, server)
        if again.foreign.share < kept.foreign.share:
            kept = again
    run = kept.wrk
    result.loads.setdefault(conns, []).append(run)
    result.background.append(kept.foreign.share)
    per_req = kept.foreign.tree_cpu_s * 1e6 / run.requests if run.requests else 0.0
    result.cpu_us_per_req.setdefault(conns, []).append(per_req)
    if conversion is not None:
        result.in_server_run_us.append(kept.in_server_run_us)
        result.isolated_run_us.append(_mean_of_present(before, conversion(result.key)))


def _mean_of_present(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


_FAILURES = (RuntimeError, OSError, ValueError)


def _fail(result: ServerResult, exc: BaseException) -> None:
    result.error = f"{type(exc).__name__}: {exc}"
    print(f"   {result.label} FAILED: {result.error}", flush=True)


def _rotated(items: list[_T], by: int) -> list[_T]:
    """``items`` starting at index ``by`` (mod len), so no server always follows the same one."""
    if not items:
        return items
    k = by % len(items)
    return items[k:] + items[:k]


def _warm_launch(spec: ServerSpec, settings: Settings, result: ServerResult) -> None:
    """One untimed launch: fills the page cache and writes bytecode caches, as on a deployed server."""
    try:
        with running(_start(spec, settings, "first")) as server:
            wait_ready(server, settings.ready_deadline_s)
    except _FAILURES as exc:
        _fail(result, exc)


def _startup_phase(specs: list[ServerSpec], settings: Settings, results: dict[str, ServerResult]) -> None:
    """Timed launches, one server after the other: spawn to the first 200 on ``GET /`` (none with
    ``--launches 0``)."""
    if settings.launches == 0:
        return
    print("== first launch of each server (untimed)", flush=True)
    for spec in specs:
        _warm_launch(spec, settings, results[spec.key])
    for rnd in range(settings.rounds):
        print(f"== startup, round {rnd + 1}/{settings.rounds}", flush=True)
        for i in range(settings.launches):
            for spec in _rotated(specs, rnd + i):
                result = results[spec.key]
                if result.error is not None:
                    continue
                settings.patience.wait_quiet()
                try:
                    with running(_start(spec, settings, f"startup-{rnd}-{i}")) as server:
                        result.startup_s.append(wait_ready(server, settings.ready_deadline_s))
                except _FAILURES as exc:
                    _fail(result, exc)


def _prepare(spec: ServerSpec, settings: Settings, result: ServerResult, stack: ExitStack) -> Server | None:
    """Launch one server for the load phase (killed when ``stack`` closes); None if it failed."""
    try:
        server = stack.enter_context(running(_start(spec, settings, "load")))
        wait_ready(server, settings.ready_deadline_s)
    except _FAILURES as exc:
        _fail(result, exc)
        return None
    return server


def _idle_and_warm(servers: dict[str, Server], settings: Settings, results: dict[str, ServerResult]) -> None:
    """Idle memory of each tree (all ready and settled), one checked POST, then a wrk warm-up."""
    time.sleep(settings.settle_s)
    for key, server in servers.items():
        results[key].idle.append(tree_memory(server.pid))
    for key, server in list(servers.items()):
        try:
            results[key].score_response = check_score(server.port, settings.body)
            if settings.warmup_s > 0:
                _wrk(settings, _score_url(server), max(settings.connections), settings.warmup_s)
        except _FAILURES as exc:
            _fail(results[key], exc)
            del servers[key]


def _score_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}/score"


def _load_rounds(servers: dict[str, Server], settings: Settings, results: dict[str, ServerResult]) -> None:
    """Every round, every concurrency, every live server in turn (rotated each round)."""
    for rnd in range(settings.rounds):
        for conns in settings.connections:
            for key in _rotated(list(servers), rnd):
                print(f"== load, round {rnd + 1}/{settings.rounds}: {results[key].label}", end="", flush=True)
                try:
                    _measured_wrk(settings, _score_url(servers[key]), conns, servers[key], results[key])
                except _FAILURES as exc:
                    _fail(results[key], exc)
                    del servers[key]


def _load_phase(specs: list[ServerSpec], settings: Settings, results: dict[str, ServerResult]) -> None:
    """All servers up at once (idle ones cost nothing), wrk runs interleaved between them."""
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for spec in specs:
            if results[spec.key].error is None:
                server = _prepare(spec, settings, results[spec.key], stack)
                if server is not None:
                    servers[spec.key] = server
        _idle_and_warm(servers, settings, results)
        _load_rounds(servers, settings, results)
        for key, server in servers.items():
            results[key].after_load.append(tree_memory(server.pid))


def measure_all(server_specs: list[ServerSpec], settings: Settings) -> dict[str, ServerResult]:
    """Startup launches, then the load phase; a server's failure is recorded in its result, not raised."""
    results = {s.key: ServerResult(s.key, s.label, s.command(0)) for s in server_specs}
    for spec in server_specs:
        print(f"{spec.label}: {' '.join(spec.command(0))}  (port 0: a free port per launch)")
    _startup_phase(server_specs, settings, results)
    _load_phase(server_specs, settings, results)
    return results
