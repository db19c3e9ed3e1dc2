"""Parity defects of our server the suite knows about (issue 14): each test that exposes one is a strict xfail.

When a fix lands, the test XPASSes, which strict mode reports as a failure: remove the defect from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Defect:
    key: str
    reason: str

    def mark(self) -> pytest.MarkDecorator:
        return pytest.mark.xfail(strict=True, reason=f"parity defect (issue 14): {self.reason}")


SCHEMA_UNDECODABLE = Defect(
    "schema-undecodable-body", "an @input_schema script given a non-UTF-8 body answers 400; production 500"
)
SCHEMA_HUGE_INT = Defect(
    "schema-huge-int",
    "an @input_schema script given an integer over 4,300 digits answers 400; production 500",
)
DEEP_JSON = Defect(
    "deep-json", "JSON nested 5,000 deep (in the body or in run()'s result) gets Flask's generic 500 text"
)
RAW_REQUEST_TYPE = Defect(
    "rawhttp-request-type",
    "@rawhttp run() gets an AMLRequest instance; production passes flask's request proxy",
)
CORS_DOUBLE_ORIGIN = Defect(
    "cors-double-origin",
    "with --access_control_allow_origins, a script's own Access-Control-Allow-Origin gets a second one",
)
LONG_ID_UNKNOWN_PATH = Defect(
    "long-id-unknown-path",
    "an over-long x-request-id (or x-ms-request-id, x-ms-client-request-id) on an unknown path answers 431; "
    "production 404",
)
DEPRECATION_BEFORE_431 = Defect(
    "deprecation-before-431",
    "an over-long x-ms-request-id: production logs the deprecation warning before answering 431, ours does not",
)
APP_INSIGHTS_LINE = Defect(
    "app-insights-line", "`Starting up app insights client` is logged only with telemetry on; upstream always"
)
TELEMETRY_SPELLING = Defect(
    "telemetry-spelling",
    "AML_APP_INSIGHTS_ENABLED other than `true`: ours exits 3 (asdf) or enables telemetry (1, yes)",
)
PRELOAD_SPELLING = Defect(
    "preload-spelling",
    "WORKER_PRELOAD other than `true`: ours exits 3 (asdf) or preloads (1, yes); upstream does neither",
)

DECODE_PROBES = frozenset({"post-non-utf8-json", "post-latin1-charset"})
HUGE_INT_PROBES = frozenset({"post-huge-int", "post-huge-int-bare"})
DEEP_PROBES = frozenset({"post-deep-array", "post-deep-object", "kind=deep"})
# Probes that never reach run(): routing answers, and non-raw OPTIONS/HEAD.
NOT_RUN = frozenset(
    {"get-health", "head-health", "options-health", "post-health", "unknown-path", "score-slash"}
)
NOT_RUN_PREFIXES = ("score-upper", "put-score", "delete-score", "swagger")


def probe_defect(script_name: str, decorated: bool, probe: str) -> Defect | None:
    """The known defect a (script, probe) pair exposes, if any."""
    if script_name == "raw_introspect.py":
        runs = probe not in NOT_RUN and not probe.startswith(NOT_RUN_PREFIXES)
        return RAW_REQUEST_TYPE if runs else None
    if probe in DEEP_PROBES and (decorated or probe == "kind=deep"):
        return DEEP_JSON
    if decorated and probe in DECODE_PROBES:
        return SCHEMA_UNDECODABLE
    if decorated and probe in HUGE_INT_PROBES:
        return SCHEMA_HUGE_INT
    return None
