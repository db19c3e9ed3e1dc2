"""Correct, decorated insurance premiums: the plan is checked against the table before the lookup.

Request:  {"data": {"plan": "basic", "age": 35, "smoker": false}}
Response: {"premium": 40.2, "plan": "basic"}
"""

from azureml.contrib.services.aml_response import AMLResponse
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

PLAN_BASE = {"basic": 30.0, "plus": 55.0, "premium": 90.0}


def init():
    pass


def _problem(data):
    if not isinstance(data, dict):
        return "data must be an object"
    age, plan = data.get("age"), data.get("plan")
    if isinstance(age, bool) or not isinstance(age, int) or not 18 <= age <= 100:
        return "age must be an integer from 18 to 100"
    if not isinstance(data.get("smoker"), bool):
        return "smoker must be true or false"
    if not isinstance(plan, str) or plan.lower() not in PLAN_BASE:
        return f"plan must be one of {sorted(PLAN_BASE)}"
    return None


@input_schema("data", StandardPythonParameterType({"plan": "basic", "age": 35, "smoker": False}))
@output_schema(StandardPythonParameterType({"premium": 42.0, "plan": "basic"}))
def run(data):
    problem = _problem(data)
    if problem:
        return AMLResponse({"message": problem}, 400, json_str=True)
    plan = data["plan"].lower()
    premium = PLAN_BASE[plan] * (1 + (data["age"] - 18) / 50) * (1.5 if data["smoker"] else 1.0)
    return {"premium": round(premium, 2), "plan": plan}
