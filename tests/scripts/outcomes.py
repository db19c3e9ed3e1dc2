"""Sample `outcomes`: an undecorated run() whose text input picks what it does, one of every outcome a script can
cause (values that serialise or not, NaN, numpy, a response object, an exception, a timeout, printing).

Any other input is echoed back with its type, so tests see exactly the text run() received.
"""

import time

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _deep():
    value = []
    for _ in range(100_000):
        value = [value]
    return value


def _circular():
    value = []
    value.append(value)
    return value


OUTCOMES = {
    "none": lambda: None,
    "string": lambda: "plain string",
    "list": lambda: [1, 2, 3],
    "unicode": lambda: {"text": "h\u00e9llo \u2603"},
    "nan": lambda: {"v": float("nan")},
    "inf": lambda: [float("inf"), float("-inf")],
    "set": lambda: {1, 2, 3},
    "numpy": lambda: np.array([1.5, 2.5]),
    "numpy-scalar": lambda: {"v": np.float32(1.5)},
    "deep": _deep,
    "circular": _circular,
    "response": lambda: AMLResponse("made by run()", 201),
    "response-json": lambda: AMLResponse({"made": "by run()"}, 200, json_str=True),
    "response-500": lambda: AMLResponse("failed", 500),
    "cors-header": lambda: AMLResponse("scored", 200, {"Access-Control-Allow-Origin": "https://script.example"}),
}


def run(data):
    kind = data.strip()
    if kind == "raise":
        raise ValueError("run() failed on purpose")
    if kind == "slow":
        time.sleep(60)  # always past the tests' SCORING_TIMEOUT_MS, which interrupts it
    if kind == "print":
        print("printed by run()")
    if kind in OUTCOMES:
        return OUTCOMES[kind]()
    return {"received": data, "type": type(data).__name__}
