"""init() raises: the server must exit 3 without serving."""


def init():
    raise RuntimeError("init_fails.py failed on purpose")


def run(data):
    return {"message": "never"}
