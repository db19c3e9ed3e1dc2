"""CPU per request of the two paths inside one process, per script kind: the fast path and Flask.

No HTTP, no gunicorn: each kind's script (bench/scripts/) is loaded once and served by two apps built as a worker
builds them, one with the fast path (server/web/fast_score.py) and one without, and the same environ is sent to
each. What it shows is the cost of the path itself, which the HTTP bench (run_bench.py) measures with everything
else around it. Run from the repository root:

    .venv/bin/python bench/fast_path_inprocess.py [--requests 5000]
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from azmlinfsrv.compat import aliases
from azmlinfsrv.compat.aml_request import RawHttpFlag
from azmlinfsrv.config import CliArgs, build_config
from azmlinfsrv.script.entry import load_entry
from azmlinfsrv.script.invoke import Invoker
from azmlinfsrv.script.scoring import Scorer
from azmlinfsrv.web.app import create_app
from azmlinfsrv.web.swagger import SwaggerSettings, build_swaggers
from benchkit.kinds import KINDS, Kind
from inference_schema import schema_util

SCRIPTS = Path(__file__).resolve().parent / "scripts"
App = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/score",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:5001",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def _apps(kind: Kind, root: str) -> tuple[App, App]:
    RawHttpFlag.enabled = False  # each script is loaded as in a fresh worker
    vars(schema_util)["__functions_schema__"].clear()
    config = build_config(CliArgs(entry_script=str(SCRIPTS / kind.script), host="127.0.0.1"), {}, root)
    entry = load_entry(config)
    entry.init()
    swaggers = build_swaggers(SwaggerSettings(app_root=root), entry.run, logging.getLogger("bench"))
    invoker = Invoker(entry, Scorer(), config.scoring_timeout_ms, config.worker_timeout)
    return create_app(config, invoker, swaggers), create_app(config, invoker, swaggers, fast_path=False)


def _cpu_us(app: App, body: bytes, requests: int) -> float:
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    for _ in range(200):
        b"".join(app(_environ(body), start_response))
    environs = [_environ(body) for _ in range(requests)]
    started = time.process_time()
    for environ in environs:
        b"".join(app(environ, start_response))
    spent = time.process_time() - started
    assert set(statuses) == {"200 OK"}, set(statuses)
    return spent * 1e6 / requests


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=5000, help="requests per path and kind (default 5000)"
    )
    options = parser.parse_args()
    aliases.install()  # the raw scripts import azureml.contrib.services, as deployed scripts do
    logging.getLogger("azmlinfsrv").setLevel(logging.WARNING)  # no request lines: the path alone
    print(f"{'kind':<18}{'fast path us':>14}{'flask us':>10}{'flask/fast':>12}")
    with tempfile.TemporaryDirectory() as root:
        for kind in KINDS.values():
            fast, flask_app = _apps(kind, root)
            fast_us = _cpu_us(fast, kind.body, options.requests)
            flask_us = _cpu_us(flask_app, kind.body, options.requests)
            print(f"{kind.name:<18}{fast_us:>14.1f}{flask_us:>10.1f}{flask_us / fast_us:>11.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
