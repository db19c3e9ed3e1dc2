"""scorecheck lint sample: answers its fixture correctly, yet holds five production pitfalls the lint reports.

A model settings file named config.json beside it (the server reads it as its own configuration), print()-only
logging, init() reading the working directory, and run() returning numpy or NaN for some inputs.
"""

import os

import numpy as np

base = None


def init():
    global base
    base = os.getcwd()
    print("ready in", base)


def run(data):
    if data == "numpy":
        return np.array([1.0, 2.0])
    if data == "nan":
        return {"value": float("nan")}
    return {"received": data}
