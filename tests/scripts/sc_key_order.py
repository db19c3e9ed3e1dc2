"""scorecheck test script: a model whose input columns must come in the order it was trained on.

Like a pandas DataFrame built from the request's dict, it answers 500 when the keys arrive in another order.
It echoes the raw body, so a test also sees the exact bytes that arrived (number spelling, spacing).
"""

import json

COLUMNS = ["zeta", "alpha", "mid"]


def init():
    pass


def run(data):
    columns = list(json.loads(data))
    if columns != COLUMNS:
        raise ValueError(f"columns {columns} are not in the trained order {COLUMNS}")
    return {"columns": columns, "raw": data}
