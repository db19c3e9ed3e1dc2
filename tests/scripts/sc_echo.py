"""scorecheck test script: echoes the JSON body; the body can ask it to log, sleep, fail or kill the server.

If $SC_INIT_MARKER is set, init() creates that file (tests use it to prove no server was started).
`{"sleep": S}` first writes the server's process-group id to $SC_MARKER (so a test knows the request is in
flight), `{"die": true}` kills the whole server process group, `{"kill_worker": true}` only the worker handling the
request (the master starts a new one), `{"raise": true}` makes run() raise.
"""

import json
import logging
import os
import signal
import time

logger = logging.getLogger("sc_echo")


def init():
    marker = os.environ.get("SC_INIT_MARKER")
    if marker:
        with open(marker, "w") as handle:
            handle.write("started")
    logger.info("sc_echo ready")


def run(data):
    request = json.loads(data) if data else {}
    logger.info("sc_echo handling %s", request.get("tag", "-"))
    if request.get("sleep"):
        marker = os.environ.get("SC_MARKER")
        if marker:
            with open(marker, "w") as handle:
                handle.write(str(os.getpgid(0)))
        time.sleep(request["sleep"])
    if request.get("die"):
        os.killpg(os.getpgid(0), signal.SIGKILL)
    if request.get("kill_worker"):
        os.kill(os.getpid(), signal.SIGKILL)
    if request.get("raise"):
        raise RuntimeError("sc_echo was asked to fail")
    return {"echo": request}
