"""JSON schemas for the property phase: what the script accepts and answers, made usable for generation.

Three sources: the swagger document the server builds from inference-schema decorators (`ServiceInput`,
`ServiceOutput`), and, for scripts without them, the fixtures' expected response bodies. inference-schema
writes schemas that describe a *sample*, not everything its converters accept, so `generation_schema`
narrows them to what the decorator really converts (fixed inner dimensions of numpy arrays, integer ranges of
the sample's dtype, closed objects) before hypothesis-jsonschema generates from them.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from jsonschema import Draft7Validator

# What an undecorated script's swagger says about its input and output (the AzureML contract §10).
UNDECLARED: Dict[str, Any] = {"type": "object", "example": {}}
HEADERS_PARAMETER = "request_headers"
FLOAT32_MAX = 3.4028234663852886e38
# The largest magnitude generated for a number the schema does not bound itself: inference-schema never writes
# bounds, and values like 8.7e55 or 2**63 are noise no client sends (they overflow honest arithmetic).
REALISTIC = 1e6
_INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
_UINT_BITS = {"uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64}
# Formats hypothesis-jsonschema generates correctly and inference-schema converts.
_KEPT_FORMATS = frozenset({"date", "date-time", "time"})
_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# numpy's timedelta64 parser wants "<integer> <unit>".
_TIMEDELTA = r"^-?[0-9]{1,6} (?:days|hours|minutes|seconds)$"
_NUMPY = "numpy.ndarray"
_PANDAS = "pandas.DataFrame:"
# Keywords whose values are schemas (or lists of them) rather than plain data.
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


def _component(swagger_v3: Mapping[str, Any], name: str) -> Optional[Dict[str, Any]]:
    schemas = swagger_v3.get("components", {}).get("schemas", {})
    schema = schemas.get(name) if isinstance(schemas, Mapping) else None
    if not isinstance(schema, Mapping) or dict(schema) == UNDECLARED:
        return None
    return copy.deepcopy(dict(schema))


def input_schema_from_swagger(swagger_v3: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """`components.schemas.ServiceInput`, or None for an undecorated script (`{"type": "object", "example": {}}`)."""
    return _component(swagger_v3, "ServiceInput")


def output_schema_from_swagger(swagger_v3: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """`ServiceOutput` as a validation schema, or None when `run()` has no `@output_schema`."""
    schema = _component(swagger_v3, "ServiceOutput")
    return _strip_examples(schema) if schema is not None else None


def _strip_examples(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    node = {k: v for k, v in schema.items() if k not in ("example", "examples")}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {name: _strip_examples(sub) for name, sub in node["properties"].items()}
    for key in _SUBSCHEMAS:
        if isinstance(node.get(key), dict):
            node[key] = _strip_examples(node[key])
    for key in _SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_strip_examples(sub) for sub in node[key]]
    return node


def validator(schema: Mapping[str, Any]) -> Draft7Validator:
    """Draft 7 semantics: `1.0` is an integer, as for the JSON the server parses."""
    return Draft7Validator(schema)


# ---------------------------------------------------------------------------------------------------------------
# inference-schema quirks


def generation_schema(input_schema: Mapping[str, Any]) -> Dict[str, Any]:
    """`ServiceInput` narrowed to the bodies the decorators convert, with no format hypothesis cannot generate."""
    schema = copy.deepcopy(dict(input_schema))
    properties = schema.get("properties")
    if isinstance(properties, dict):
        # Filled from the HTTP headers, never from the body.
        properties.pop(HEADERS_PARAMETER, None)
        sample = schema.get("example")
        example: Dict[str, Any] = sample if isinstance(sample, dict) else {}
        for name, sub in properties.items():
            if isinstance(sub, dict) and "example" not in sub and name in example:
                sub["example"] = example[name]
    narrowed: Dict[str, Any] = _narrow(schema)
    return narrowed


def _narrow(schema: Any) -> Any:
    """One schema node, recursively; `properties` is a mapping of names, so a property called `format` stays."""
    if not isinstance(schema, dict):
        return schema
    node: Dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("example", "examples", "format"):
            continue
        if key == "properties" and isinstance(value, dict):
            node[key] = {name: _narrow(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            node[key] = [_narrow(sub) for sub in value]
        elif key in _SUBSCHEMAS:
            node[key] = [_narrow(sub) for sub in value] if isinstance(value, list) else _narrow(value)
        else:
            node[key] = value
    fmt = schema.get("format")
    if isinstance(fmt, str):
        _apply_format(node, fmt, schema.get("example"))
    _realistic(node, schema)
    if node.get("properties") and "additionalProperties" not in node:
        # inference-schema never writes it; its converters (pandas columns, dict samples) expect the sample's keys.
        node["additionalProperties"] = False
    return node


def _realistic(node: Dict[str, Any], schema: Mapping[str, Any]) -> None:
    """Bound a number the schema leaves unbounded to +-REALISTIC (within what its format allows)."""
    if node.get("type") not in ("number", "integer"):
        return
    if "minimum" not in schema and "exclusiveMinimum" not in schema:
        node["minimum"] = max(node.get("minimum", -REALISTIC), -REALISTIC)
    if "maximum" not in schema and "exclusiveMaximum" not in schema:
        node["maximum"] = min(node.get("maximum", REALISTIC), REALISTIC)
    if node["type"] == "integer":
        node["minimum"], node["maximum"] = int(node["minimum"]), int(node["maximum"])


def _apply_format(node: Dict[str, Any], fmt: str, example: Any) -> None:
    if fmt in _INT_BITS:
        bits = _INT_BITS[fmt]
        node.setdefault("minimum", -(2 ** (bits - 1)))
        node.setdefault("maximum", 2 ** (bits - 1) - 1)
    elif fmt in _UINT_BITS:
        node.setdefault("minimum", 0)
        node.setdefault("maximum", 2 ** _UINT_BITS[fmt] - 1)
    elif fmt == "float":  # float32: larger values overflow to inf in numpy
        node.setdefault("minimum", -FLOAT32_MAX)
        node.setdefault("maximum", FLOAT32_MAX)
    elif fmt == "byte":
        node.setdefault("pattern", _BASE64)
    elif fmt == "timedelta":
        node.setdefault("pattern", _TIMEDELTA)
    elif fmt == _NUMPY:
        _numpy_shape(node, example)
    elif fmt.startswith(_PANDAS) and fmt.endswith(":records"):
        node.setdefault("minItems", 1)  # an empty frame has no columns: the shape check fails
    elif fmt in _KEPT_FORMATS:
        node["format"] = fmt


def array_shape(example: Any) -> Tuple[int, ...]:
    """The shape of a nested-list sample, following its first elements."""
    shape: List[int] = []
    while isinstance(example, list):
        shape.append(len(example))
        example = example[0] if example else None
    return tuple(shape)


def _numpy_shape(node: Dict[str, Any], example: Any) -> None:
    """NumpyParameterType rejects arrays whose dimensions (beyond the first) differ from the sample's."""
    shape = array_shape(example)
    if len(shape) < 2:
        return
    node.setdefault("minItems", 1)  # `[]` has one dimension, not len(shape)
    level = node
    for size in shape[1:]:
        inner = level.get("items")
        if not isinstance(inner, dict):
            return
        inner["minItems"] = inner["maxItems"] = size
        level = inner


# ---------------------------------------------------------------------------------------------------------------
# Inference from fixture bodies


def infer_schema(values: Sequence[Any]) -> Optional[Dict[str, Any]]:
    """A lenient schema every value satisfies: types, keys present in every object, item types of arrays."""
    schemas = [_schema_of(value) for value in values]
    if not schemas:
        return None
    merged = schemas[0]
    for schema in schemas[1:]:
        merged = _merge(merged, schema)
    return _nullable_numbers(_nullable_optionals(merged))


def _nullable_numbers(schema: Dict[str, Any]) -> Dict[str, Any]:
    """A number may also be null: the server's advice for a non-finite result is to return None."""
    if schema.get("type") == "number":
        return {**schema, "type": ["number", "null"]}
    if "anyOf" in schema:
        return {"anyOf": [_nullable_numbers(sub) for sub in schema["anyOf"]]}
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _nullable_numbers(schema["items"])}
    if schema.get("type") == "object":
        properties = {name: _nullable_numbers(sub) for name, sub in schema["properties"].items()}
        return {**schema, "properties": properties}
    return schema


def _nullable_optionals(schema: Dict[str, Any]) -> Dict[str, Any]:
    """A key missing from some fixture bodies may also be null: scripts often answer None for what is absent."""
    if "anyOf" in schema:
        return {"anyOf": [_nullable_optionals(sub) for sub in schema["anyOf"]]}
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _nullable_optionals(schema["items"])}
    if schema.get("type") != "object":
        return schema
    properties = {}
    for name, raw in schema["properties"].items():
        sub = _nullable_optionals(raw)
        optional = name not in schema["required"] and sub.get("type") != "null"
        properties[name] = {"anyOf": [sub, {"type": "null"}]} if optional else sub
    return {**schema, "properties": properties}


def _schema_of(value: Any) -> Dict[str, Any]:
    if isinstance(value, dict):
        properties = {str(k): _schema_of(v) for k, v in value.items()}
        return {"type": "object", "properties": properties, "required": sorted(properties)}
    if isinstance(value, list):
        items = infer_schema(value)
        return {"type": "array", **({"items": items} if items is not None else {})}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, (int, float)):
        return {"type": "number"}  # an integer sample says nothing about whole-number outputs
    if isinstance(value, str):
        return {"type": "string"}
    return {"type": "null"}


def _alternatives(schema: Dict[str, Any]) -> List[Dict[str, Any]]:
    return list(schema["anyOf"]) if "anyOf" in schema else [schema]


def _merge(left: Dict[str, Any], right: Dict[str, Any]) -> Dict[str, Any]:
    by_type: Dict[str, Dict[str, Any]] = {}
    for schema in _alternatives(left) + _alternatives(right):
        kind = str(schema.get("type"))
        by_type[kind] = _merge_same(by_type[kind], schema) if kind in by_type else schema
    merged = list(by_type.values())
    return merged[0] if len(merged) == 1 else {"anyOf": merged}


def _merge_same(left: Dict[str, Any], right: Dict[str, Any]) -> Dict[str, Any]:
    if left["type"] == "object":
        names = {**left["properties"], **right["properties"]}
        properties = {
            name: _merge(left["properties"][name], right["properties"][name])
            if name in left["properties"] and name in right["properties"]
            else names[name]
            for name in names
        }
        required = sorted(set(left["required"]) & set(right["required"]))
        return {"type": "object", "properties": properties, "required": required}
    if left["type"] == "array" and "items" in left and "items" in right:
        return {"type": "array", "items": _merge(left["items"], right["items"])}
    if left["type"] == "array":
        return left if "items" in left else right
    return left
