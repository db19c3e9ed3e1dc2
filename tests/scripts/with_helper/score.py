"""Imports a sibling module; must work when the server starts from another directory."""

from helper import GREETING


def init():
    pass


def run(data):
    return {"greeting": GREETING}
