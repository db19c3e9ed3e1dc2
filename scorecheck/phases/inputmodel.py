"""The input model: what the fixtures (or a declared JSON Schema) say about each JSON path of a request body.

Per path (`$`, `$.data`, `$.data[*]`, `$.data[*][*]`, `$.items[*].price`): the JSON types seen, the numeric
range and whether every number was whole, the distinct strings (enum-like when few), the lengths of the lists
(a fixed width when every fixture agrees), which lists are batches, the items seen in them, and which object keys
are always present and which only sometimes. The near tier mutates fixture requests within this model; the scaling
check counts a request's batch items with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

ROOT = "$"
ENUM_LIMIT = 8  # at most this many distinct strings at a path: enum-like


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "bool"
    for cls, name in ((int, "int"), (float, "float"), (list, "list"), (dict, "dict")):
        if isinstance(value, cls):
            return name
    return "str"


def child(path: str, key: Any) -> str:
    return f"{path}[*]" if key is None else f"{path}.{key}"


@dataclass
class PathInfo:
    """What was seen at one JSON path, over every fixture body."""

    kinds: Set[str] = field(default_factory=set)
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    integral: bool = True  # every number seen was whole
    strings: List[str] = field(default_factory=list)  # distinct, in order of appearance
    lengths: Dict[int, Set[int]] = field(default_factory=dict)  # body index -> list lengths seen there
    items: List[Any] = field(default_factory=list)  # the items of the lists seen here (rows of a batch)
    batch: bool = False
    objects: int = 0  # objects seen here
    present: Dict[str, int] = field(default_factory=dict)  # key -> objects holding it (not null)

    @property
    def numeric(self) -> bool:
        return bool(self.kinds & {"int", "float"})

    @property
    def enum_like(self) -> bool:
        return 0 < len(self.strings) <= ENUM_LIMIT

    @property
    def all_lengths(self) -> Set[int]:
        return {n for seen in self.lengths.values() for n in seen}

    @property
    def fixed_width(self) -> Optional[int]:
        """The one length every list here has, when the path is not a batch."""
        lengths = self.all_lengths
        return next(iter(lengths)) if len(lengths) == 1 and not self.batch else None

    @property
    def largest(self) -> int:
        return max(self.all_lengths, default=0)

    def required(self) -> List[str]:
        return [key for key, count in self.present.items() if count == self.objects]

    def optional(self) -> List[str]:
        return [key for key, count in self.present.items() if count < self.objects]

    def _number(self, value: float) -> None:
        self.minimum = value if self.minimum is None else min(self.minimum, value)
        self.maximum = value if self.maximum is None else max(self.maximum, value)
        self.integral = self.integral and float(value).is_integer()


@dataclass
class InputModel:
    paths: Dict[str, PathInfo] = field(default_factory=dict)
    bodies: List[Any] = field(default_factory=list)
    declared: bool = False  # from --input-schema rather than inferred

    def info(self, path: str) -> PathInfo:
        return self.paths.setdefault(path, PathInfo())

    def batches(self) -> List[str]:
        return [path for path, info in self.paths.items() if info.batch]

    def items_of(self, body: bytes) -> Optional[int]:
        """The largest batch in a JSON body (None when it is not JSON or has no batch)."""
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        sizes = [
            len(found)
            for path in self.batches()
            for found in values_at(value, path)
            if isinstance(found, list)
        ]
        return max(sizes) if sizes else None


def _observe(model: InputModel, index: int, path: str, value: Any) -> None:
    info = model.info(path)
    kind = kind_of(value)
    info.kinds.add(kind)
    if kind in ("int", "float"):
        info._number(value)
    elif kind == "str" and value not in info.strings:
        info.strings.append(value)
    elif kind == "list":
        info.lengths.setdefault(index, set()).add(len(value))
        info.items.extend(value)
        for item in value:
            _observe(model, index, child(path, None), item)
    elif kind == "dict":
        info.objects += 1
        for key, sub in value.items():
            if sub is not None:
                info.present[key] = info.present.get(key, 0) + 1
            _observe(model, index, child(path, key), sub)


def _mark_batches(model: InputModel) -> None:
    """A batch: a list whose length varies between fixtures, or the top-level data list."""
    for path, info in model.paths.items():
        if "list" not in info.kinds:
            continue
        per_body = [seen for seen in info.lengths.values()]
        varies = len({n for seen in per_body for n in seen}) > 1
        top = path == ROOT or (path.count(".") == 1 and "[" not in path)
        info.batch = varies or (top and bool(info.items) and _top_batch(model, path))


def _top_batch(model: InputModel, path: str) -> bool:
    """The first list met from the root (the `data` of `{"data": [...]}`) is the batch a request carries."""
    tops = [p for p, i in model.paths.items() if "list" in i.kinds and (p == ROOT or p.count(".") == 1)]
    tops = [p for p in tops if "[" not in p]
    return bool(tops) and tops[0] == path


def from_bodies(bodies: Sequence[Any]) -> InputModel:
    model = InputModel(bodies=list(bodies))
    for index, body in enumerate(bodies):
        _observe(model, index, ROOT, body)
    _mark_batches(model)
    return model


def values_at(value: Any, path: str) -> Iterator[Any]:
    """Every value at `path` (`[*]` matches each item of a list) inside `value`."""
    yield from _walk(value, _steps(path))


def _steps(path: str) -> List[Optional[str]]:
    steps: List[Optional[str]] = []
    rest = path[1:]
    while rest:
        if rest.startswith("[*]"):
            steps.append(None)
            rest = rest[3:]
        else:
            rest = rest[1:]  # the dot
            end = min([i for i in (rest.find("."), rest.find("[*]")) if i >= 0], default=len(rest))
            steps.append(rest[:end])
            rest = rest[end:]
    return steps


def _walk(value: Any, steps: Sequence[Optional[str]]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step is None and isinstance(value, list):
        for item in value:
            yield from _walk(item, rest)
    elif step is not None and isinstance(value, dict) and step in value:
        yield from _walk(value[step], rest)


def locations(value: Any, path: str = ROOT) -> Iterator[Tuple[Tuple[Any, ...], str, Any]]:
    """(concrete location, model path, value) of every node in `value`, the root first."""
    yield (), path, value
    if isinstance(value, list):
        for i, item in enumerate(value):
            for where, sub_path, sub in locations(item, child(path, None)):
                yield (i, *where), sub_path, sub
    elif isinstance(value, dict):
        for key, item in value.items():
            for where, sub_path, sub in locations(item, child(path, key)):
                yield (key, *where), sub_path, sub


def replaced(value: Any, where: Sequence[Any], new: Any) -> Any:
    """A copy of `value` with the node at `where` replaced by `new` (only the path to it is copied)."""
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(value, list):
        copy_list = list(value)
        copy_list[head] = replaced(value[head], rest, new)
        return copy_list
    copy_dict = dict(value)
    copy_dict[head] = replaced(value[head], rest, new) if rest else new  # a new key, too
    return copy_dict


def without(value: Any, where: Sequence[Any], key: str) -> Any:
    """A copy of `value` with `key` removed from the object at `where`."""
    target = get(value, where)
    return replaced(value, where, {k: v for k, v in target.items() if k != key})


def get(value: Any, where: Sequence[Any]) -> Any:
    for step in where:
        value = value[step]
    return value


# ---------------------------------------------------------------------------------------------------------------
# A declared JSON Schema (--input-schema) replaces what inference would say where it speaks


def apply_schema(model: InputModel, schema: Mapping[str, Any], path: str = ROOT) -> InputModel:
    """Overlay a JSON Schema on the model: required keys, enums, numeric bounds, fixed array widths."""
    model.declared = True
    _overlay(model, schema, path)
    return model


def _overlay(model: InputModel, schema: Any, path: str) -> None:
    if not isinstance(schema, Mapping):
        return
    info = model.info(path)
    if isinstance(schema.get("enum"), list):
        info.strings = [v for v in schema["enum"] if isinstance(v, str)]
    for key, attr in (("minimum", "minimum"), ("maximum", "maximum")):
        if isinstance(schema.get(key), (int, float)):
            setattr(info, attr, float(schema[key]))
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        required = set(schema.get("required", ()))
        info.objects = max(info.objects, 1)
        info.present = {name: info.objects if name in required else 0 for name in properties}
        for name, sub in properties.items():
            _overlay(model, sub, child(path, name))
    items = schema.get("items")
    if isinstance(items, Mapping):
        low, high = schema.get("minItems"), schema.get("maxItems")
        if low is not None and low == high:
            info.lengths = {0: {int(low)}}
            info.batch = False
        _overlay(model, items, child(path, None))
