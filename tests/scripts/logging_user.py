"""run() logs through the root logger at INFO and WARNING."""

import logging


def init():
    pass


def run(data):
    logging.info("user-info-marker from logging_user.py")
    logging.warning("user-warning-marker from logging_user.py")
    return {"logged": True}
