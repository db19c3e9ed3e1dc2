"""init() reads model.txt from AZUREML_MODEL_DIR; run() returns it."""

import os

model = None


def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.txt")) as handle:
        model = handle.read()


def run(data):
    return {"model": model, "model_dir": os.environ["AZUREML_MODEL_DIR"]}
