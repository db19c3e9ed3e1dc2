"""Conformance sample `raise`: run() always raises ValueError."""


def init():
    pass


def run(data):
    raise ValueError("raise_error.py raised on purpose")
