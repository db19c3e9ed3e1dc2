"""Defines init() but no run()."""


def init():
    pass
