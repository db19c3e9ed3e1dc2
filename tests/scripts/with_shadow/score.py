"""Sibling modules named like upstream's own server modules (utils, config)."""

import config
import utils


def init():
    pass


def run(data):
    return {"utils": getattr(utils, "WHO", None), "config": getattr(config, "WHO", None)}
