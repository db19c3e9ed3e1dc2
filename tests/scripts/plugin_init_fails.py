"""pytest-plugin test script: init() raises, so the server exits before serving."""


def load_weights(path):
    raise FileNotFoundError(f"weights missing: {path}")


def init():
    load_weights("/nowhere/weights.bin")  # the error must name this file and line 9 (and line 5)


def run(data):
    return data
