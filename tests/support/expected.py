"""Expected values the contract states verbatim, shared by the unit and conformance tests."""

from __future__ import annotations

from typing import Any, Dict

# Contract §10: ServiceInput of the schema script (data=[{"a":1,"b":"x"}], scale=2.0).
SCHEMA_SERVICE_INPUT: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["a", "b"],
                "properties": {"a": {"type": "integer", "format": "int64"}, "b": {"type": "string"}},
            },
        },
        "scale": {"type": "number", "format": "double"},
    },
    "example": {"data": [{"a": 1, "b": "x"}], "scale": 2.0},
}
