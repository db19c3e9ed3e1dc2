"""run() takes no argument for the input data."""


def init():
    pass


def run():
    return {}
