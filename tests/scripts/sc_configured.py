"""scorecheck test script: depends on every setting a printed replay command must carry.

init() needs the model folder (--model-dir) and $SC_MODE (--env); run() reports them, the worker count
(--server-arg=--worker_count=N) and whether the Authorization header (--header) is the expected one, so a
replay that drops any of them fails differently. A negative `n` makes run() raise.
"""

import json
import os


def init():
    global MODEL
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.txt")) as handle:
        MODEL = handle.read().strip()
    if "SC_MODE" not in os.environ:
        raise RuntimeError("SC_MODE is not set")


def run(data, request_headers):
    request = json.loads(data)
    if request.get("n", 0) < 0:
        raise ValueError("n must not be negative")
    return {
        "model": MODEL,
        "mode": os.environ["SC_MODE"],
        "workers": os.environ.get("WORKER_COUNT"),
        "authorised": request_headers.get("Authorization") == "Bearer S3CRET",
        "input": request,
    }
