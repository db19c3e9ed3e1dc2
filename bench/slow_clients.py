"""Latency of normal requests while slow clients trickle their request heads or bodies (see bench/README.md).

Starts one server, measures sequential `POST` + `GET` latencies alone, then again while N connections each send
one byte of a request head (`--kind head`) or, after a whole head, of its body (`--kind body`) every INTERVAL
seconds (reconnecting whenever the server closes one), and prints the p50/p99 of both and the p99 difference.
Target: the difference stays under 100 ms.

Run from the repo root:
    .venv/bin/python bench/slow_clients.py                      # azmlinfsrv, 1 worker
    .venv/bin/python bench/slow_clients.py --server fastml
    .venv/bin/python bench/slow_clients.py --venv /path/to/other/.venv   # another checkout, for before/after
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.procs import Server, cleanup_on_exit, free_port, launch, running

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TRIVIAL_SCRIPT = BENCH / "scripts" / "trivial_score.py"
FASTML_SERVICE = REPO / "tests" / "scripts" / "fastml" / "echo"
SLOW_HEAD = b"GET / HTTP/1.1\r\nHost: slow\r\nX-Trickle: " + b"a" * 4000
SLOW_BODY = b"a" * 4000  # declared whole in the head, sent a byte at a time
REQUEST_TIMEOUT_S = 10.0
TARGET_MS = 100.0


@dataclass
class Paths:
    """The two requests a normal client sends, per server kind."""

    post: str
    get: str


PATHS = {"azmlinfsrv": Paths("/score", "/"), "fastml": Paths("/infer", "/health")}


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", choices=sorted(PATHS), default="azmlinfsrv")
    p.add_argument("--venv", type=Path, default=REPO / ".venv", help="venv whose server runs (default .venv)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--slow", type=int, default=50, help="slow connections (default 50)")
    p.add_argument(
        "--kind", choices=("head", "body"), default="head", help="what they trickle (default head)"
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between their bytes (default 2)")
    p.add_argument("--requests", type=int, default=200, help="requests of each kind per phase (default 200)")
    p.add_argument("--settle", type=float, default=5.0, help="seconds the slow clients run before measuring")
    return p.parse_args()


def server_command(args: argparse.Namespace, port: int, scratch: Path) -> list[str]:
    bin_dir = args.venv / "bin"
    if args.server == "fastml":
        service = Path(shutil.copytree(FASTML_SERVICE, scratch / "service"))
        return [str(bin_dir / "fastml"), "server", "--service-path", str(service), "--port", str(port),
                "--workers", str(args.workers)]  # fmt: skip
    return [str(bin_dir / "azmlinfsrv"), "--entry_script", str(TRIVIAL_SCRIPT), "--port", str(port),
            "--host", "127.0.0.1", "--worker_count", str(args.workers)]  # fmt: skip


def request_ms(port: int, method: str, path: str) -> float | None:
    """One request on a fresh connection; its latency in ms, or None when it failed or timed out."""
    body = b'{"data": [1, 2, 3]}' if method == "POST" else None
    headers = {"Content-Type": "application/json"} if body else {}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        ok = response.status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000.0 if ok else None


def wait_ready(server: Server, path: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            sys.exit(f"{server.name} exited with {server.proc.returncode}; log: {server.log_path}")
        if request_ms(server.port, "GET", path) is not None:
            return
        time.sleep(0.1)
    sys.exit(f"{server.name} not ready within {deadline_s:.0f} s; log: {server.log_path}")


MAX_FAILURES = 5  # a phase stops early once this many requests failed (each may take REQUEST_TIMEOUT_S)


def measure(port: int, paths: Paths, count: int) -> dict[str, Sample]:
    samples = {"POST": Sample(), "GET": Sample()}
    for _ in range(count):
        if sum(s.failures for s in samples.values()) >= MAX_FAILURES:
            break
        for method, path in (("POST", paths.post), ("GET", paths.get)):
            ms = request_ms(port, method, path)
            if ms is None:
                samples[method].failures += 1
            else:
                samples[method].latencies_ms.append(ms)
    return samples


class SlowClients:
    """N connections sending one byte of a never-ending head (or body) every interval; reconnect when closed."""

    def __init__(self, port: int, count: int, interval_s: float, head: bytes = b"") -> None:
        self._head = head  # sent whole at connect: then the body trickles
        self._trickled = SLOW_BODY if head else SLOW_HEAD
        self._port = port
        self._count = count
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.closed_by_server = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _connect(self) -> tuple[socket.socket, int] | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self._port), timeout=2)
            if self._head:
                sock.sendall(self._head)
            return sock, 0
        except OSError:
            return None

    def _run(self) -> None:
        conns = [c for c in (self._connect() for _ in range(self._count)) if c is not None]
        while not self._stop.wait(self._interval_s):
            conns = [self._trickle(sock, sent) for sock, sent in conns]
        for sock, _ in conns:
            sock.close()

    def _trickle(self, sock: socket.socket, sent: int) -> tuple[socket.socket, int]:
        try:
            trickled = self._trickled
            sock.send(trickled[sent % len(trickled) : sent % len(trickled) + 1])
            return sock, sent + 1
        except OSError:
            self.closed_by_server += 1
            sock.close()
            fresh = self._connect()
            return fresh if fresh is not None else (sock, sent)


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(label: str, samples: dict[str, Sample]) -> None:
    for method, sample in samples.items():
        lat = sample.latencies_ms
        print(f"  {label:<13} {method:<4} n={len(lat):4d} failures={sample.failures:3d} "
              f"p50={p(lat, 50):8.2f} ms  p99={p(lat, 99):8.2f} ms")  # fmt: skip


def main() -> int:
    args = parse_args()
    paths = PATHS[args.server]
    port = free_port()
    with cleanup_on_exit(), tempfile.TemporaryDirectory() as scratch:
        cmd = server_command(args, port, Path(scratch))
        print("server:", " ".join(cmd))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "VIRTUAL_ENV", "PYTHON"))}
        server = launch(args.server, cmd, port, Path(scratch) / "server.log", cwd=Path(scratch), env=env)
        with running(server):
            wait_ready(server, paths.get)
            measure(port, paths, 20)  # warm-up
            alone = measure(port, paths, args.requests)
            head = b""
            if args.kind == "body":
                head = (
                    f"POST {paths.post} HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(SLOW_BODY)}\r\n\r\n"
                ).encode()
            with SlowClients(port, args.slow, args.interval, head) as slow:
                # The slow clients get going (a bench, not a test: no deadline to poll).
                time.sleep(args.settle)
                loaded = measure(port, paths, args.requests)
            print(f"{args.slow} slow connections, one byte of a {args.kind} every {args.interval:g} s "
                  f"(closed by the server meanwhile: {slow.closed_by_server})")  # fmt: skip
            report("alone", alone)
            report("slow clients", loaded)
    worst = 0.0
    failed = 0
    for method in ("POST", "GET"):
        worst = max(worst, p(loaded[method].latencies_ms, 99) - p(alone[method].latencies_ms, 99))
        failed += loaded[method].failures
    verdict = "met" if failed == 0 and worst < TARGET_MS else "NOT met"
    target = f"target < {TARGET_MS:g} ms"
    print(f"p99 increase under slow clients: {worst:.2f} ms, failures {failed} ({target}): {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
