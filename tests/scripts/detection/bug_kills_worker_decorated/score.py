"""Spectral energy of signal windows, decorated with a numpy input. Planted bug: a negative sample segfaults.

The "native" routine stands for a C extension that takes the square root of each sample and dies with
SIGSEGV on a negative one.

Request:  {"data": [[s0, s1, s2, s3], ...]}  (rows of 4 samples, |s| <= 1000, at most 256 rows)
Response: {"energy": [e, ...]}
"""

import os
import signal

import numpy as np
from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

MAX_ROWS = 256


def init():
    pass


def _native_root_energy(rows):
    if np.any(rows < 0):
        os.kill(os.getpid(), signal.SIGSEGV)  # the bug: what the C routine does on a negative sample
    return np.sqrt(rows).sum(axis=1)


@input_schema("data", NumpyParameterType(np.array([[1.0, 4.0, 9.0, 16.0]])))
@output_schema(StandardPythonParameterType({"energy": [10.0]}))
def run(data):
    rows = np.asarray(data, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 4 or len(rows) > MAX_ROWS:
        return AMLResponse({"message": f"expected at most {MAX_ROWS} rows of 4 samples"}, 400, json_str=True)
    if not np.all(np.isfinite(rows)) or np.any(np.abs(rows) > 1000):
        return AMLResponse({"message": "samples must be finite and at most 1000 in magnitude"}, 400, json_str=True)
    return {"energy": [round(float(e), 6) for e in _native_root_energy(rows)]}
