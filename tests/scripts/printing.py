"""print() at import, in init() and in run(); one print goes to stderr explicitly."""

import sys

print("print-at-import")


def init():
    print("print-in-init", 42, sep="|", end="!\n")


def run(data):
    print("print-in-run", "a", "b", sep="-")
    print("print-to-stderr", file=sys.stderr)
    return {"printed": True}
