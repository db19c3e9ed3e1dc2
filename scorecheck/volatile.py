"""Response fields that differ on every request by design, left out of the JSON comparison.

A recorded response holds values no replay can reproduce: the time the unified `/infer` envelope spent
(`metadata.duration`), request ids, the moment of the answer. Two mechanisms keep them from failing a case:

- `DEFAULT_IGNORE`, JSON paths ignored in every fixture (documented; `--no-default-ignore` switches them off and
  `ignore` in `[tool.scorecheck]` or `--ignore` adds more);
- recognition by value: a string that is one of this request's ids, or a timestamp of the present moment where
  the fixture also holds a timestamp. Both are exact enough not to hide a bug: the ids are fresh for every
  request, and an output computed from the input (a forecast's date) does not change between runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Collection, Iterator, Optional, Sequence, Tuple, Union

from .model import Observation

DEFAULT_IGNORE: Tuple[str, ...] = (
    "$.metadata.duration",
    "$.metadata.request_id",
    "$.metadata.timestamp",
    "$.request_id",
    "$.requestId",
    "$.timestamp",
)
ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id")
NOW_WINDOW = timedelta(minutes=15)  # a clock-derived value, allowing for slow requests and skewed clocks

Path = Tuple[Union[str, int], ...]


def request_ids(obs: Observation) -> Tuple[str, ...]:
    """The ids that name this one request: the one sent, and those the server answered with."""
    echoed = tuple(value for name, value in obs.headers if name.lower() in ID_HEADERS and value)
    return (obs.request_id, *echoed) if obs.request_id else echoed


def volatile_paths(
    expected: Any, observed: Any, ids: Collection[str], now: Optional[datetime] = None
) -> Iterator[Path]:
    """The concrete paths where the observed value is volatile and the expected one differs."""
    yield from _walk(expected, observed, ids, now or datetime.now(timezone.utc), ())


def _walk(expected: Any, observed: Any, ids: Collection[str], now: datetime, path: Path) -> Iterator[Path]:
    if isinstance(expected, dict) and isinstance(observed, dict):
        for key in expected:
            if key in observed:
                yield from _walk(expected[key], observed[key], ids, now, (*path, key))
    elif isinstance(expected, list) and isinstance(observed, list):
        for index, (exp, obs) in enumerate(zip(expected, observed)):
            yield from _walk(exp, obs, ids, now, (*path, index))
    elif isinstance(expected, str) and isinstance(observed, str) and _volatile(expected, observed, ids, now):
        yield path


def _volatile(expected: str, observed: str, ids: Collection[str], now: datetime) -> bool:
    if expected == observed:
        return False
    return observed in ids or (_timestamp(expected) is not None and _is_now(observed, now))


def _timestamp(text: str) -> Optional[datetime]:
    # A time of day is required: a date alone is rarely the moment of the answer.
    if len(text) < 16 or not text[:4].isdigit() or text[10] not in "T ":
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_now(text: str, now: datetime) -> bool:
    stamp = _timestamp(text)
    if stamp is None:
        return False
    if stamp.tzinfo is not None:
        return abs(stamp - now) <= NOW_WINDOW
    # A naive timestamp may be local time or UTC.
    candidates: Sequence[datetime] = (now.astimezone().replace(tzinfo=None), now.replace(tzinfo=None))
    return any(abs(stamp - moment) <= NOW_WINDOW for moment in candidates)
