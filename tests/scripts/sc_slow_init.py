"""scorecheck test script: init() takes 1.5 s (it logs before and after); run() answers {"ok": true}."""

import logging
import time

logger = logging.getLogger("sc_slow_init")


def init():
    logger.info("sc_slow_init: loading the model")
    time.sleep(1.5)
    logger.info("sc_slow_init: model loaded")


def run(data):
    return {"ok": True}
