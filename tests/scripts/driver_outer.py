"""Driver module sample: `driver_module` is the inner score module; the server calls this init() and its run()."""

import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "driver_inner", os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver_inner.py")
)
driver_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(driver_module)


def init():
    driver_module.state["init"] = "outer"


def run(data):
    return {"init": "outer run called"}
