"""scorecheck test script: answers with the request headers it got, its request id and the time of the answer.

Used to show that volatile fields (the id, the timestamp) do not fail a replay, and that secrets a script
echoes (an Authorization header, a key) never reach a file. `{"raise": true}` makes run() raise after logging
the Authorization header, so the secret is in the server log of a failing request too.
"""

import datetime
import json
import logging

logger = logging.getLogger("sc_headers_echo")


def init():
    pass


def run(data, request_headers):
    request = json.loads(data) if data else {}
    # Host names scorecheck's free port, which changes every run.
    headers = {k: v for k, v in request_headers.items() if k.lower() not in ("content-length", "host")}
    logger.info("sc_headers_echo got Authorization %s", headers.get("Authorization", "-"))
    if request.get("raise"):
        raise RuntimeError(f"refused for {headers.get('Authorization', '-')}")
    return {
        "request_id": headers.get("X-Request-Id", ""),
        "answer": {"id": headers.get("X-Request-Id", ""), "at": datetime.datetime.now().isoformat()},
        "headers": {k: v for k, v in headers.items() if k.lower() not in ("x-request-id", "x-ms-request-id")},
        "input": request,
    }
