"""scorecheck test script: init() raises, so the server must exit with code 3 before serving."""


def load_model(path):
    raise FileNotFoundError(f"model file missing: {path}")


def init():
    load_model("/nowhere/model.pkl")  # the traceback must name this line (9) and line 5


def run(data):
    return data
