"""pytest-plugin test script: echoes the JSON body; the body can ask it to log, sleep, fail or die.

`{"sleep": S}` first writes the server's process-group id to $PLUGIN_MARKER (so a test knows the request
is in flight), `{"die": true}` kills the whole server group, `{"raise": true}` makes run() raise.
$PLUGIN_GREETING and $AZUREML_MODEL_DIR are echoed back, so tests can see the server's settings. With
$PLUGIN_SERVED set to a folder, each request's tag is written there as a file holding the server's group id, so
tests can see which server answered which request.
"""

import json
import logging
import os
import signal
import time

logger = logging.getLogger("plugin_echo")


def init():
    logger.info("plugin_echo ready")


def _payload(data):
    return json.loads(data) if isinstance(data, (str, bytes)) else data


def run(data):
    request = _payload(data) or {}
    logger.info("plugin_echo handling %s", request.get("tag", "-") if isinstance(request, dict) else "-")
    if not isinstance(request, dict):
        return {"echo": request}
    served = os.environ.get("PLUGIN_SERVED")
    if served and isinstance(request.get("tag"), str):
        with open(os.path.join(served, request["tag"]), "w") as handle:
            handle.write(str(os.getpgid(0)))
    if request.get("sleep"):
        marker = os.environ.get("PLUGIN_MARKER")
        if marker:
            with open(marker, "w") as handle:
                handle.write(str(os.getpgid(0)))
        time.sleep(request["sleep"])
    if request.get("die"):
        os.killpg(os.getpgid(0), signal.SIGKILL)
    if request.get("raise"):
        raise RuntimeError("plugin_echo was asked to fail")
    return {
        "echo": request,
        "greeting": os.environ.get("PLUGIN_GREETING", ""),
        "model_dir": os.environ.get("AZUREML_MODEL_DIR", ""),
    }
