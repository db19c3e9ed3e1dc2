"""scorecheck test script: run() never answers (a deadlock, a stuck network call); init() is fine."""

import time


def init():
    pass


def run(data):
    time.sleep(3600)
    return {"ok": True}
