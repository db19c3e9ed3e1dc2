"""run() returns a value chosen by the (undecorated, text) input: none, string, list, nan, inf, set, numpy."""

import numpy as np


def init():
    pass


def run(data):
    kind = data.strip()
    if kind == "none":
        return None
    if kind == "string":
        return "plain string"
    if kind == "list":
        return [1, 2, 3]
    if kind == "nan":
        return {"v": float("nan")}
    if kind == "inf":
        return [float("inf"), float("-inf")]
    if kind == "set":
        return {1, 2, 3}
    if kind == "numpy":
        return np.array([1.5, 2.5])
    return {"unknown": kind}
