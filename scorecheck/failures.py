"""Save a property failure as a fixture file, so a bug found once is replayed by every later run.

The file holds the minimal request and an expectation that states the broken rule (no 5xx, a 4xx for malformed
input, strict JSON, the output schema, the latency budget), so it fails until the script is fixed and passes
after. It is written in the fixture format with `record`'s writer; its name is derived from the request, so
finding the same failure again rewrites the same file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from .checks import NON_FINITE, CheckContext, CheckFailure, Exchange
from .client import is_secret_header
from .model import RequestSpec
from .record import body_expectation, dump_document

# The body has no bare NaN/Infinity outside strings (where Python's json writes them for non-finite floats).
NO_BARE_NONFINITE = r'^(?![\s\S]*(?<![\w."])-?(?:NaN|Infinity)(?![\w"]))'
NOT_5XX = ["1xx", "2xx", "3xx", "4xx"]


def request_document(spec: RequestSpec) -> Dict[str, Any]:
    """`spec` in fixture form; the body as `json` when it was generated as JSON, else as text or base64."""
    doc: Dict[str, Any] = {"method": spec.method, "path": spec.path}
    if spec.query:
        doc["query"] = dict(spec.query)
    headers = {name: value for name, value in spec.headers if not is_secret_header(name)}
    if headers:
        doc["headers"] = headers
    body = spec.body
    if body is None:
        return doc
    if spec.body_source == "json":
        doc["json"] = json.loads(body)
        return doc
    try:
        doc["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        doc["body_base64"] = base64.b64encode(body).decode("ascii")
    return doc


def _json_rule(ex: Exchange, failure: CheckFailure, ctx: CheckContext) -> Dict[str, Any]:
    if failure.kind == NON_FINITE:
        return {"status": NOT_5XX, "body_regex": NO_BARE_NONFINITE}
    return {"status": NOT_5XX, "schema": {}}  # any JSON at all


def _schema_rule(ex: Exchange, failure: CheckFailure, ctx: CheckContext) -> Dict[str, Any]:
    status = ex.observation.status if ex.observation is not None else 200
    return {"status": status, "schema": dict(ctx.output_schema or {})}


def _same_answer(ex: Exchange, failure: CheckFailure, ctx: CheckContext) -> Dict[str, Any]:
    obs = ex.observation
    return {"status": obs.status, **body_expectation(obs.body)} if obs is not None else {"status": NOT_5XX}


_RULES: Dict[str, Callable[[Exchange, CheckFailure, CheckContext], Dict[str, Any]]] = {
    "malformed_input_rejected": lambda ex, failure, ctx: {"status": "4xx"},
    "valid_json": _json_rule,
    "output_schema": _schema_rule,
    "latency": lambda ex, failure, ctx: {"status": NOT_5XX, "max_latency_ms": ctx.max_latency_ms},
    "deterministic": _same_answer,
}


def expectation(check: str, ex: Exchange, failure: CheckFailure, ctx: CheckContext) -> Dict[str, Any]:
    """The rule `check` enforces, as a fixture `expect:` mapping; by default "no 5xx"."""
    rule = _RULES.get(check)
    return rule(ex, failure, ctx) if rule is not None else {"status": NOT_5XX}


def fixture_name(check: str, spec: RequestSpec) -> str:
    digest = hashlib.sha256(json.dumps(request_document(spec), sort_keys=True).encode("utf-8")).hexdigest()
    return f"{check}-{digest[:10]}"


def save_failure(
    directory: Path,
    *,
    check: str,
    ex: Exchange,
    failure: CheckFailure,
    ctx: CheckContext,
    description: str,
) -> Optional[Path]:
    """Write the fixture file; returns its path (None when the check has no rule to replay)."""
    if check == "server_warnings":
        return None
    name = fixture_name(check, ex.request)
    doc = {
        "name": f"property {name}",
        "description": description,
        "tags": ["property", check],
        "request": request_document(ex.request),
        "expect": expectation(check, ex, failure, ctx),
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    dump_document(path, doc, sort_keys=False)
    return path
