"""The gate's shared vocabulary: fixture cases, observations, mismatches and the events the runner yields.

Everything here is a frozen value. The loader produces `Case`s, the client produces `Observation`s, `compare`
produces `Mismatch`es, the runner yields `Event`s, and reporters consume events. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Optional, Tuple, Union

# How a case ended: a failed case broke its expectation or check, an error case could not be checked.
Outcome = Literal["passed", "failed", "error", "skipped"]
OUTCOMES: Tuple[Outcome, ...] = ("passed", "failed", "error", "skipped")
# The JUnit suites: the fixture cases, the property checks, the behaviour diff against the baseline, the
# script's static pitfalls, the checks of the server process as a whole (memory growth, start-up time).
Suite = Literal["replay", "property", "baseline", "lint", "runtime"]
# How a whole run ended; only the CLI maps it to an exit code.
RunOutcome = Literal["passed", "failed", "server_failed", "usage_error", "internal_error", "interrupted"]

# ---------------------------------------------------------------------------------------------------------------
# Fixtures (see docs/fixtures.md)


@dataclass(frozen=True)
class FilePart:
    """One file of a multipart `files:` entry, read when the fixture is loaded."""

    field: str
    filename: str
    content: bytes
    content_type: Optional[str] = None


@dataclass(frozen=True)
class RequestSpec:
    """One HTTP request to send, as a fixture, the search or a test describes it."""

    method: str = "POST"
    path: str = "/score"
    query: Tuple[Tuple[str, str], ...] = ()
    headers: Tuple[Tuple[str, str], ...] = ()
    # Exactly one body form is set at most. `body` holds the final bytes for json/body/body_base64/body_file.
    body: Optional[bytes] = None
    form: Tuple[Tuple[str, str], ...] = ()
    files: Tuple[FilePart, ...] = ()
    # Which fixture key supplied the body ("json", "body", "body_base64", "body_file", "form", or None).
    body_source: Optional[str] = None


@dataclass(frozen=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0


@dataclass(frozen=True)
class Expectation:
    """What a fixture case expects of the response; `compare` turns a broken expectation into `Mismatch`es."""

    # Allowed statuses: explicit codes and/or classes such as "4xx".
    status: Tuple[Union[int, str], ...] = (200,)
    headers: Tuple[Tuple[str, str], ...] = ()
    # At most one body expectation; `body_kind` names it ("json", "json_subset", "body", "body_base64",
    # "body_file", "body_regex") and `body_value` holds the parsed value (bytes for base64/file).
    body_kind: Optional[str] = None
    body_value: Any = None
    schema: Optional[Mapping[str, Any]] = None
    tolerance: Tolerance = field(default_factory=Tolerance)
    ignore: Tuple[str, ...] = ()
    max_latency_ms: Optional[float] = None


@dataclass(frozen=True)
class Case:
    """One fixture case: where it was loaded from, its request and its expectation."""

    name: str
    file: Path  # the fixture file
    root: Path  # the fixtures root it was found under
    index: Optional[int]  # position in a `cases:` list, None for a single-case file
    request: RequestSpec
    expect: Expectation
    description: str = ""
    tags: Tuple[str, ...] = ()
    skip: Optional[str] = None


@dataclass(frozen=True)
class FixtureError:
    """A malformed fixture file: where, which key, what is wrong (and how to fix it)."""

    file: Path
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


# ---------------------------------------------------------------------------------------------------------------
# What was observed


@dataclass(frozen=True)
class Observation:
    """What came back for one request, with the curl command that repeats it and its server log lines."""

    status: int
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
    elapsed_ms: float
    request_id: str
    log_lines: Tuple[str, ...] = ()
    curl: str = ""


@dataclass(frozen=True)
class Mismatch:
    """One way a response broke its expectation."""

    # CamelCase category as in our JUnit profile: StatusMismatch, HeaderMismatch, BodyMismatch,
    # SchemaViolation, LatencyExceeded.
    kind: str
    path: str  # JSON path ("$.output[0]") or "status", "header:<name>", "body", "latency"
    expected: Any
    observed: Any
    message: str  # one line


# ---------------------------------------------------------------------------------------------------------------
# Events yielded by the runner, consumed by reporters. The runner never prints.


@dataclass(frozen=True)
class RunStarted:
    """The first event of every run, also when the server never started."""

    entry_script: str
    base_url: str
    server_version: str
    seed: Optional[int]
    planned: Tuple[str, ...]  # case names in order
    properties: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServerStarted:
    """The server answered; `log` is its boot log."""

    elapsed_s: float
    log: str


@dataclass(frozen=True)
class ServerFailed:
    """The server did not start (or `init()` failed); `log` holds the boot log with the user's traceback."""

    elapsed_s: float
    log: str
    message: str
    exit_code: Optional[int]
    traceback: str = ""  # the user's frames and the exception lines, without the server's own frames
    hint: str = ""  # the option that fixes it, when one is known (a missing --model-dir)


# `kind` of a passed case that carries a warning: reported, but not failing the gate.
WARNING_KIND = "Warning"
# A worker died while handling a request (the master started another): the server crashed, as it would
# in production, even though the run could go on. Such a case makes the run's outcome "server_failed".
CRASH_KIND = "WorkerDied"


@dataclass(frozen=True)
class CaseFinished:
    """One test case of the report: a fixture case (suite "replay") or a property check (suite "property")."""

    suite: Suite
    group: str  # "fixtures" for replay ("harness" for an aborted run); the check group for properties
    name: str
    outcome: Outcome
    elapsed_s: float
    message: str = ""  # one line for failed/error/skipped
    kind: str = ""  # CamelCase category for failed/error
    details: str = ""  # multi-line text: diff, request, curl, seed
    log: str = ""  # server log lines for this case


@dataclass(frozen=True)
class ServerDied:
    """The server exited during the run; the cases after it are not run."""

    message: str
    log: str
    exit_code: Optional[int]


@dataclass(frozen=True)
class RunFinished:
    """The last event of every run; `exit_code` is the CLI's code for the run's outcome."""

    elapsed_s: float
    exit_code: int


@dataclass(frozen=True)
class Measurement:
    """A series measured during the run, for the reports that draw it: memory over requests served, latency over
    batch size, the latency distribution, start-up times. A check that judges a series reports its verdict as a
    `CaseFinished` of its own; this event only carries the numbers."""

    name: str  # stable identifier: "memory", "batch_scaling", "latency", "startup", ...
    title: str  # one line for a heading
    x_label: str  # axis labels with their units, e.g. "requests served", "RSS (MB)"
    y_label: str
    points: Tuple[Tuple[float, float], ...]
    notes: Tuple[Tuple[str, str], ...] = ()  # key figures as (label, value), e.g. ("slope", "61 kB/request")


@dataclass(frozen=True)
class PropertySummary:
    """The property phase's figures once its search has ended, yielded before its cases: the examples sent per
    tier (in tier order, every tier listed), the search's time, its seed and the digest of what it sent."""

    examples: Tuple[Tuple[str, int], ...]  # (tier, examples sent)
    elapsed_s: float
    seed: Optional[int]
    digest: str

    @property
    def total(self) -> int:
        return sum(count for _, count in self.examples)


Event = Union[
    RunStarted,
    ServerStarted,
    ServerFailed,
    CaseFinished,
    ServerDied,
    Measurement,
    PropertySummary,
    RunFinished,
]


@dataclass(frozen=True)
class PropertyProgress:
    """How far the property phase's search has got, handed live to a listener while it runs (not an event: the
    reports hold the `PropertySummary`). `planned_examples` is what the search sends at most when time allows."""

    examples: Tuple[Tuple[str, int], ...]  # (tier, examples sent so far), in tier order, every tier listed
    failures: int  # checks failing so far
    time_left_s: float  # of --max-time
    max_time_s: float
    planned_examples: int
    final: bool = False  # the last one of the phase

    @property
    def total(self) -> int:
        return sum(count for _, count in self.examples)


def plural(count: int, noun: str) -> str:
    """`1 case`, `2 cases`: counts in messages read as English."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
