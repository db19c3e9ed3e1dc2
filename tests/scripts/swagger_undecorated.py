"""Entry script without inference-schema decorators."""


def init():
    pass


def run(data):
    return data
