"""Correct, written like the documentation's undecorated sample: 10 features per row, a linear model.

No input validation beyond answering an empty batch: the model stands in for a fitted scikit-learn
LinearRegression (coefficients and intercept in model/model.json), so no sklearn is needed.

Request:  {"data": [[f0, ..., f9], ...]}
Response: [prediction, ...]
"""

import json
import os

import numpy as np

model = None


class LinearModel:
    def __init__(self, coef, intercept):
        self.coef_ = np.asarray(coef, dtype=float)
        self.intercept_ = float(intercept)

    def predict(self, rows):
        return rows @ self.coef_ + self.intercept_


def init():
    global model
    folder = os.getenv("AZUREML_MODEL_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "model")
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as handle:
        fitted = json.load(handle)
    model = LinearModel(fitted["coef"], fitted["intercept"])


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    if data.size == 0:
        return []
    result = model.predict(data)
    return result.tolist()
