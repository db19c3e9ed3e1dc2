"""The near tier: a fixture's request with one to three mutations, inside the input model.

Numbers go to boundaries (0, 1, -1, the observed minimum and maximum, a sign flip, x10, /10, a mid value),
strings to empty / the longest observed / another observed value, an optional key is dropped or added with an
observed value, rows are recombined across fixtures, and batches climb a ladder (0, 1, then growing multiples
of the largest fixture batch built from observed rows, up to `max_batch`).

Two parts: a **sweep**, every single mutation once (per path, on one row: the smallest request that shows it),
sent before hypothesis starts, so a bug one mutation away is found on every seed; and a hypothesis **strategy**
of one to three random mutations for the combinations. Non-JSON fixtures (binary, text, multipart) are sent as
recorded: any change to an upload is the hostile tier's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..model import RequestSpec
from .checks import NEAR
from .inputmodel import (
    InputModel,
    PathInfo,
    get,
    kind_of,
    locations,
    replaced,
    values_at,
    without,
)

MAX_BODY_BYTES = 1_000_000  # the default ladder stops at 100x the largest fixture batch or a body of 1 MB
LADDER_FACTOR = 100
# Distinct bodies whose mutation strategies are kept (a search of a few thousand examples meets fewer), and the
# text of their keys: each strategy holds its body, so large fixtures are kept fewer at a time.
KEPT_BODIES = 4096
KEPT_KEY_CHARS = 4_000_000
Where = Tuple[Any, ...]
Mutation = Callable[[Any], Any]


def json_request(path: str, value: Any) -> RequestSpec:
    """A POST of `value` as JSON, serialised exactly as a fixture's `json:` is, so a saved failure replays it."""
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return RequestSpec(method="POST", path=path, body=body, body_source="json")


@dataclass(frozen=True)
class Probe:
    """One sweep example; probes of one `group` (a batch ladder) stop at the first that is refused or slow."""

    request: RequestSpec
    group: str = ""
    tier: str = NEAR


# ---------------------------------------------------------------------------------------------------------------
# Single mutations


def number_values(value: float, info: PathInfo) -> List[Any]:
    """The boundary values a number at this path is moved to, in the order they are tried."""
    low = info.minimum if info.minimum is not None else value
    high = info.maximum if info.maximum is not None else value
    candidates: List[float] = [0, 1, -1, low, high, -value, value * 10, value / 10, (low + high) / 2]
    whole = info.integral and kind_of(value) == "int"
    found: List[Any] = []
    for number in candidates:
        typed: Any = round(number) if whole else float(number)
        if typed != value and typed not in found:
            found.append(typed)
    return found


def string_values(value: str, info: PathInfo) -> List[str]:
    longest = max(info.strings, key=len, default=value)
    candidates = ["", longest, *info.strings]
    found: List[str] = []
    for text in candidates:
        if text != value and text not in found:
            found.append(text)
    return found


def _observed(model: InputModel, path: str) -> List[Any]:
    return [v for body in model.bodies for v in values_at(body, path) if v is not None]


def key_mutations(model: InputModel, body: Any, where: Where, path: str) -> List[Tuple[str, Mutation]]:
    """Drop an optional key that is there, or add one that is not, with a value another fixture sent."""
    info, target = model.paths[path], get(body, where)
    found: List[Tuple[str, Mutation]] = []
    for key in info.optional():
        if key in target:
            found.append((f"drop {key}", partial(_drop, where=where, key=key)))
            continue
        for value in _observed(model, f"{path}.{key}")[:3]:
            found.append((f"add {key}", partial(_add, where=(*where, key), value=value)))
    return found


def _drop(body: Any, where: Where, key: str) -> Any:
    return without(body, where, key)


def _add(body: Any, where: Where, value: Any) -> Any:
    return replaced(body, where, value)


def leaf_mutations(model: InputModel, body: Any) -> List[Tuple[Where, str, List[Any]]]:
    """(location, path, replacement values) for every number, string and boolean in `body`."""
    found = []
    for where, path, value in locations(body):
        info = model.paths.get(path)
        if info is None:
            continue
        kind = kind_of(value)
        if kind in ("int", "float"):
            found.append((where, path, number_values(value, info)))
        elif kind == "str":
            found.append((where, path, string_values(value, info)))
        elif kind == "bool":
            found.append((where, path, [not value]))
    return [item for item in found if item[2]]


# ---------------------------------------------------------------------------------------------------------------
# Batches


def ladder(model: InputModel, path: str, max_batch: Optional[int]) -> List[int]:
    """0, 1, then doublings of the largest fixture batch up to the cap (100x it, or a 1 MB body)."""
    info = model.paths[path]
    largest = max(info.largest, 1)
    cap = max_batch if max_batch is not None else min(LADDER_FACTOR * largest, _fits(info))
    rungs, size = [0, 1], 2 * largest
    while size < cap:
        rungs.append(size)
        size *= 2
    rungs.append(cap)
    return sorted(set(rungs))


def _fits(info: PathInfo) -> int:
    if not info.items:
        return LADDER_FACTOR
    per_item = sum(len(json.dumps(item)) + 2 for item in info.items) / len(info.items)
    return max(1, int(MAX_BODY_BYTES // per_item))


def rows(info: PathInfo, count: int, offset: int = 0) -> List[Any]:
    pool = info.items
    return [pool[(offset + i) % len(pool)] for i in range(count)] if pool else []


def _batch_sites(model: InputModel, body: Any) -> List[Tuple[Where, str]]:
    return [
        (where, path)
        for where, path, value in locations(body)
        if isinstance(value, list) and path in model.paths and model.paths[path].batch
    ]


def single_row(model: InputModel, body: Any, where: Where) -> Tuple[Any, Where]:
    """The body cut down to the one row of the outermost batch that holds `where` (the location follows)."""
    for depth in range(len(where)):
        prefix = where[:depth]
        node = get(body, prefix)
        sites = {w for w, _ in _batch_sites(model, body)}
        if isinstance(node, list) and prefix in sites:
            row = node[where[depth]]
            return replaced(body, prefix, [row]), (*prefix, 0, *where[depth + 1 :])
    return body, where


# ---------------------------------------------------------------------------------------------------------------
# The sweep


class Near:
    """The near tier of one script: its fixtures' JSON bodies within the input model, and raw requests as is."""

    def __init__(
        self,
        model: InputModel,
        path: str,
        raw: Sequence[RequestSpec] = (),
        max_batch: Optional[int] = None,
    ) -> None:
        self.model = model
        self.path = path
        self.raw = list(raw)
        self.max_batch = max_batch
        self._mutations: Dict[str, SearchStrategy[Any]] = {}
        self._kept_chars = 0

    def mutation(self, body: Any) -> SearchStrategy[Any]:
        """One mutation of `body`, as a strategy built once per distinct body.

        Hypothesis validates and labels every new strategy object on its first draw, which costs more than the
        draw itself; the same objects drawn again make the same choices, so the examples do not change.
        """
        key = repr(body)  # exact for JSON values: 1, 1.0 and True differ, and so does key order
        found = self._mutations.get(key)
        if found is None:
            if len(self._mutations) >= KEPT_BODIES or self._kept_chars + len(key) > KEPT_KEY_CHARS:
                self._mutations.clear()
                self._kept_chars = 0
            found = self._mutations[key] = _one_mutation(self, body)
            self._kept_chars += len(key)
        return found

    @property
    def empty(self) -> bool:
        return not self.model.bodies and not self.raw

    def request(self, value: Any) -> RequestSpec:
        return json_request(self.path, value)

    def sweep(self) -> List[Probe]:
        """Every single mutation once: small batches and keys first, then values, then the big ladder rungs."""
        small: List[Any] = []
        values: List[Any] = []
        big: List[Probe] = []
        for path in self.model.batches():
            small_rungs, big_probes = self._ladder(path)
            small += small_rungs
            big += big_probes
        small += self._recombined()
        for body in self.model.bodies:
            small += [mutate(body) for _, mutate in self._keys(body)]
        values += self._values()
        probes = [Probe(self.request(v)) for v in _unique([*small, *values])]
        return [*(Probe(r) for r in self.raw), *probes, *big]

    def _ladder(self, path: str) -> Tuple[List[Any], List[Probe]]:
        body, where = self._largest_batch(path)
        if body is None:
            return [], []
        info = self.model.paths[path]
        small, big = [], []
        for size in ladder(self.model, path, self.max_batch):
            value = replaced(body, where, rows(info, size))
            if size <= 1:
                small.append(value)
            else:
                big.append(Probe(self.request(value), group=f"ladder {path}"))
        return small, big

    def _largest_batch(self, path: str) -> Tuple[Any, Where]:
        best: Tuple[Any, Where] = (None, ())
        size = -1
        for body in self.model.bodies:
            for where, site_path in _batch_sites(self.model, body):
                if site_path == path and len(get(body, where)) > size:
                    best, size = (body, where), len(get(body, where))
        return best

    def _recombined(self) -> List[Any]:
        """All fixtures' rows in one batch (rows recombined across fixtures)."""
        found = []
        for path in self.model.batches():
            body, where = self._largest_batch(path)
            info = self.model.paths[path]
            if body is not None and len(info.lengths) > 1:
                found.append(replaced(body, where, list(info.items)))
        return found

    def _keys(self, body: Any) -> List[Tuple[str, Mutation]]:
        found: List[Tuple[str, Mutation]] = []
        for where, path, value in locations(body):
            if isinstance(value, dict) and path in self.model.paths:
                found += key_mutations(self.model, body, where, path)
        return found

    def _values(self) -> List[Any]:
        """Each replacement value once per path, on one row of the first fixture that has the path."""
        done: Dict[str, bool] = {}
        found = []
        for body in self.model.bodies:
            for where, path, replacements in leaf_mutations(self.model, body):
                if done.get(path):
                    continue
                done[path] = True
                cut, moved = single_row(self.model, body, where)
                found += [replaced(cut, moved, new) for new in replacements]
        return found

    # -- random combinations, for hypothesis ----------------------------------------------------------------

    def strategy(self) -> SearchStrategy[RequestSpec]:
        options: List[SearchStrategy[RequestSpec]] = []
        if self.model.bodies:
            options.append(_mutated(st.sampled_from(self.model.bodies), self).map(self.request))
        if self.raw:
            options.append(st.sampled_from(self.raw))
        return st.one_of(options) if options else st.nothing()


def _unique(values: Sequence[Any]) -> List[Any]:
    seen, found = set(), []
    for value in values:
        text = json.dumps(value, sort_keys=True)
        if text not in seen:
            seen.add(text)
            found.append(value)
    return found


_MUTATIONS = st.integers(1, 3)


@st.composite
def _mutated(draw: st.DrawFn, fixtures: SearchStrategy[Any], near: Near) -> Any:
    body = draw(fixtures)
    for _ in range(draw(_MUTATIONS)):
        body = draw(near.mutation(body))
    return body


def _one_mutation(near: Near, body: Any) -> SearchStrategy[Any]:
    families: List[SearchStrategy[Any]] = []
    leaves = leaf_mutations(near.model, body)
    # The second-level strategies too are built once, per leaf and per batch site, on first use.
    by_leaf: Dict[Where, SearchStrategy[Any]] = {}
    by_site: Dict[Tuple[Where, str], SearchStrategy[Any]] = {}
    if leaves:
        families.append(
            st.sampled_from(leaves).flatmap(
                lambda leaf: _once(
                    by_leaf,
                    leaf[0],
                    lambda: st.sampled_from(leaf[2]).map(lambda new: replaced(body, leaf[0], new)),
                )
            )
        )
    keys = near._keys(body)
    if keys:
        families.append(st.sampled_from(keys).map(lambda item: item[1](body)))
    sites = _batch_sites(near.model, body)
    if sites:
        families.append(
            st.sampled_from(sites).flatmap(
                lambda site: _once(by_site, site, lambda: _resized(near, body, *site))
            )
        )
    return st.one_of(families) if families else st.just(body)


def _once(
    built: Dict[Any, SearchStrategy[Any]], key: Any, make: Callable[[], SearchStrategy[Any]]
) -> SearchStrategy[Any]:
    found = built.get(key)
    if found is None:
        found = built[key] = make()
    return found


def _resized(near: Near, body: Any, where: Where, path: str) -> SearchStrategy[Any]:
    """Observed rows recombined: 0 to twice the largest fixture batch, from any fixture."""
    info = near.model.paths[path]
    pool = info.items
    if not pool:
        return st.just(replaced(body, where, []))
    top = max(2 * info.largest, 2)
    return st.lists(st.sampled_from(pool), max_size=top).map(lambda picked: replaced(body, where, picked))


def with_body(template: RequestSpec, body: bytes) -> RequestSpec:
    return replace(template, body=body)
