"""The swagger README's undecorated sample: run(data) returns its input."""


def init():
    pass


def run(data):
    return data
