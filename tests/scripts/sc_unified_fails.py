"""scorecheck test script for the unified /infer route: refuses a negative `n` by raising."""


def init():
    pass


def run(input_data):
    if input_data.get("n", 0) < 0:
        raise ValueError("n must not be negative")
    return {"n": input_data["n"]}
