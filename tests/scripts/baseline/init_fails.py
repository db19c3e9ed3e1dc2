"""scorecheck baseline test script: its init() fails, as a released script whose model is gone would."""


def init():
    raise RuntimeError("the released model could not be loaded")


def run(data):
    return {"result": []}
