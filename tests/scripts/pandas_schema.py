"""A pandas DataFrame input schema; run() returns the frame as records."""

import pandas as pd
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
from inference_schema.schema_decorators import input_schema


def init():
    pass


@input_schema("data", PandasParameterType(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})))
def run(data):
    return {"columns": list(data.columns), "records": data.to_dict(orient="records")}
