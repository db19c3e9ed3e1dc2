"""init() takes 4 s; run() answers {"message": "ready"}."""

import time


def init():
    time.sleep(4)


def run(data):
    return {"message": "ready"}
