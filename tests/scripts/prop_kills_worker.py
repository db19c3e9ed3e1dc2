"""scorecheck property test script: kills its own worker when a value in `data` is negative.

Undecorated; its fixtures send `{"data": [numbers]}`. Every other input is handled (400 for anything that is
not a list of finite numbers), so the one bug the property phase can find is the dead worker.
"""

import json
import math
import os
import signal

from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _bad_request():
    return AMLResponse({"message": 'expected {"data": [finite numbers]}'}, 400, json_str=True)


def run(data):
    try:
        values = [float(v) for v in json.loads(data)["data"]]
        total = math.fsum(values)
    except (ValueError, TypeError, KeyError, OverflowError):
        return _bad_request()
    if not math.isfinite(total):
        return _bad_request()
    if any(v < 0 for v in values):
        # The bug: a native library that crashes the process on negative input looks exactly like this.
        os.kill(os.getpid(), signal.SIGKILL)
    return {"total": total}
