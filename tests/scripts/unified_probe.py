"""A plain entry script served through the unified /infer route: reports what run() received.

`type` is the Python type of input_data and `value` the input itself (files come back as their metadata);
for a dict, `fields` describes each value, reading uploaded files. The text "boom" makes run() raise and
"sleep" makes it take 3 s.
"""

import logging
import time

logger = logging.getLogger("unified_probe")


def init():
    logger.info("unified_probe init")


def _describe(value):
    if isinstance(value, list):
        return [_describe(item) for item in value]
    if hasattr(value, "read") and hasattr(value, "filename"):
        content = value.read()
        return {"filename": value.filename, "content_type": value.content_type, "content": content.decode("latin-1")}
    return type(value).__name__


def run(input_data):
    if input_data == "boom":
        raise ValueError("model exploded")
    if input_data == "sleep":
        for _ in range(150):  # 3 s in short steps, so a scoring timeout interrupts it promptly
            time.sleep(0.02)
    logger.info("unified_probe run got %s", type(input_data).__name__)
    result = {"type": type(input_data).__name__, "value": input_data}
    if isinstance(input_data, dict):
        result["fields"] = {name: _describe(value) for name, value in input_data.items()}
    return result
