"""run(*args) is not an accepted signature."""


def init():
    pass


def run(*args):
    return list(args)
