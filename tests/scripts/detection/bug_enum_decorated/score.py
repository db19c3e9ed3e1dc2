"""Insurance premiums, decorated with a standard-python object. Planted bug: an unknown plan raises KeyError.

Request:  {"data": {"plan": "basic", "age": 35, "smoker": false}}
Response: {"premium": 42.0, "plan": "basic"}
"""

from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

PLAN_BASE = {"basic": 30.0, "plus": 55.0, "premium": 90.0}


def init():
    pass


def _validate(data):
    if not isinstance(data, dict):
        return "data must be an object"
    age, smoker, plan = data.get("age"), data.get("smoker"), data.get("plan")
    if isinstance(age, bool) or not isinstance(age, int) or not 18 <= age <= 100:
        return "age must be an integer from 18 to 100"
    if not isinstance(smoker, bool):
        return "smoker must be true or false"
    if not isinstance(plan, str) or not plan.strip():
        return "plan must be a plan name"
    return None


@input_schema("data", StandardPythonParameterType({"plan": "basic", "age": 35, "smoker": False}))
@output_schema(StandardPythonParameterType({"premium": 42.0, "plan": "basic"}))
def run(data):
    problem = _validate(data)
    if problem:
        return AMLResponse({"message": problem}, 400, json_str=True)
    base = PLAN_BASE[data["plan"].lower()]  # the bug: a plan that is not in the table
    premium = base * (1 + (data["age"] - 18) / 50) * (1.5 if data["smoker"] else 1.0)
    return {"premium": round(premium, 2), "plan": data["plan"].lower()}
