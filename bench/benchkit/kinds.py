"""The script kinds the bench can serve: one scoring script per way of writing run(), and the body wrk sends.

Every kind is served by both servers from the same file in bench/scripts/; the bare Flask app exists only for
`trivial` (it calls that script's run() on the body text).
"""

from __future__ import annotations

from dataclasses import dataclass

ROW = b'{"data": [[1.0, 2.0, 3.0, 4.0]]}'
RECORDS = b'{"data": [{"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}]}'


@dataclass(frozen=True)
class Kind:
    """A script kind: its script in bench/scripts/, the JSON body wrk POSTs, and whether inference-schema
    converts the input (then bench/conversion.py measures that conversion in isolation)."""

    name: str
    script: str
    body: bytes
    converts: bool = False


TRIVIAL = "trivial"
KINDS = {
    k.name: k
    for k in (
        Kind(TRIVIAL, "trivial_score.py", ROW),
        Kind("standard", "standard_score.py", ROW, converts=True),
        Kind("numpy", "numpy_score.py", ROW, converts=True),
        Kind("pandas", "pandas_score.py", RECORDS, converts=True),
        Kind("rawhttp", "rawhttp_score.py", ROW),
        Kind("rawhttp-response", "rawhttp_response_score.py", ROW),
        Kind("headers", "headers_score.py", ROW),
    )
}


def parse_kinds(text: str) -> tuple[Kind, ...]:
    """`all`, or a comma-separated list of kind names."""
    names = list(KINDS) if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in KINDS]
    if unknown or not names:
        raise SystemExit(f"--kinds: unknown {unknown}; choose from all, {', '.join(KINDS)}")
    return tuple(KINDS[n] for n in names)
