"""Write the run as a JUnit XML report that CI consumers (Jenkins xunit, GitHub, Azure Pipelines, GitLab) all read.

This is the only module that touches `junit_xml`. That package silently strips characters, drops empty failures,
formats times loosely and writes attributes outside the Jenkins XSD (profile §10), so every string is escaped
before it reaches the package and its output is post-processed into the profile's exact shape.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Set, Tuple

from junit_xml import TestCase, TestSuite, to_xml_report_string

from .. import __version__
from ..compare import one_line as _fold
from ..model import (
    CaseFinished,
    Event,
    PropertySummary,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
    plural,
)

MESSAGE_LIMIT = 200
OUTPUT_LIMIT = 64 * 1024
NOT_STARTED = "not run: server failed to start"
REPLAY = "replay"

# ---------------------------------------------------------------------------------------------------------------
# Text: escape, never drop (profile §6, widened to what junit-xml strips although XML allows it)

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_text(text: str) -> str:
    """Element text: forbidden and stripped characters become visible escapes; a bare CR becomes `\\r`."""
    text = text.replace("\r\n", "\n").replace("\r", "\\r")
    return _UNSAFE.sub(lambda m: _visible(m.group()), text)


def escape_attr(text: str) -> str:
    """Attribute values other than messages: line breaks and tabs become visible too (parsers fold them)."""
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return escape_text(text)


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message attribute: line breaks folded to one space, escaped, at most `limit` characters."""
    folded = escape_text(_fold(text))
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def cap_output(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Keep the first and last halves of an over-long output, with a line saying how much was cut."""
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) <= limit:
        return text
    half = (limit - 64) // 2
    head = data[:half].decode("utf-8", errors="ignore")
    tail = data[-half:].decode("utf-8", errors="ignore")
    cut = len(data) - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
    return f"{head}\n… [{cut} bytes truncated] …\n{tail}"


def _output(text: str) -> str:
    # Escape first: escapes lengthen the text and the cap is about what ends up in the file.
    return cap_output(escape_text(text))


# ---------------------------------------------------------------------------------------------------------------
# What the report holds


@dataclass(frozen=True)
class _Record:
    """One testcase, still unescaped."""

    suite: str
    classname: str
    name: str
    elapsed_s: float
    outcome: str = "passed"  # passed, failed, error, skipped
    kind: str = ""
    message: str = ""
    details: str = ""
    stdout: str = ""


@dataclass
class _SuiteClock:
    started_wall: float
    started_mono: float
    last_mono: float


def _timestamp(wall: float) -> str:
    return datetime.fromtimestamp(wall, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _classname(suite: str, group: str) -> str:
    # A classname equal to its suite's name makes dorny lose the grouping; an empty group would do that.
    return f"scorecheck.{suite}.{group or 'cases'}"


class JUnitReporter:
    """Collect runner events and write the report once, atomically, on `close()`."""

    def __init__(self, path: Path, properties: Mapping[str, str]) -> None:
        self.path = path
        self._extra = dict(properties)
        self._mono0 = time.monotonic()
        self._wall0 = time.time()
        self._started: Optional[RunStarted] = None
        self._startup: Optional[_Record] = None
        self._records: List[_Record] = []
        self._clocks: Dict[str, _SuiteClock] = {}
        self._server_failed = False
        self._died: Optional[ServerDied] = None
        self._finished: Optional[RunFinished] = None
        self._closed = False
        self._suite_extra: Dict[str, Dict[str, str]] = {}  # per suite, after the run-level properties

    # -- events -----------------------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if self._closed:
            return
        if isinstance(event, RunStarted):
            self._started = event
            self._clock(REPLAY, 0.0)
        elif isinstance(event, ServerStarted):
            self._startup = _Record(REPLAY, "scorecheck.server", "startup", event.elapsed_s, stdout=event.log)
            self._clock(REPLAY, 0.0)
        elif isinstance(event, ServerFailed):
            self._on_server_failed(event)
        elif isinstance(event, CaseFinished):
            self._on_case(event)
        elif isinstance(event, ServerDied):
            self._on_server_died(event)
        elif isinstance(event, PropertySummary):
            self._suite_extra["property"] = summary_properties(event)
        elif isinstance(event, RunFinished):
            self._finished = event

    def _clock(self, suite: str, elapsed_s: float) -> None:
        now = time.monotonic()
        clock = self._clocks.get(suite)
        if clock is None:
            start = now - max(elapsed_s, 0.0)
            self._clocks[suite] = _SuiteClock(self._wall0 + (start - self._mono0), start, now)
        else:
            clock.last_mono = now

    def _on_server_failed(self, event: ServerFailed) -> None:
        self._server_failed = True
        init_failed = "init function failed" in event.log.lower()
        exit_code = "" if event.exit_code is None else f" (exit code {event.exit_code})"
        message = (event.message or "server failed to start") + exit_code
        sections = [message, event.hint, event.traceback, f"boot log:\n{event.log}" if event.log else ""]
        details = "\n\n".join(section for section in sections if section)
        kind = "InitError" if init_failed else "ServerStartupError"
        self._startup = _Record(
            REPLAY, "scorecheck.server", "startup", event.elapsed_s, "error", kind, message, details
        )
        self._clock(REPLAY, 0.0)

    def _on_case(self, event: CaseFinished) -> None:
        suite = event.suite or REPLAY
        record = _Record(
            suite,
            _classname(suite, event.group),
            event.name,
            event.elapsed_s,
            event.outcome,
            event.kind,
            event.message,
            event.details,
            event.log,
        )
        self._records.append(record)
        self._clock(suite, event.elapsed_s)

    def _on_server_died(self, event: ServerDied) -> None:
        self._died = event
        exit_code = "" if event.exit_code is None else f" (exit code {event.exit_code})"
        section = f"\n--- server died{exit_code}: {event.message} ---\n{event.log}"
        if self._startup is None:
            message = f"server died{exit_code}: {event.message}"
            self._startup = _Record(
                REPLAY, "scorecheck.server", "startup", 0.0, "error", "ServerError", message, section
            )
        else:
            self._startup = replace(self._startup, stdout=self._startup.stdout + section)

    # -- writing ----------------------------------------------------------------------------------------------

    def close(self, reason: Optional[str] = None) -> None:
        """Write the report. Without a prior RunFinished the run was cut short: say so in a HarnessError case.

        `reason` (optional) is what the caller knows about the interruption, e.g. a traceback.
        """
        if self._closed:
            return
        self._closed = True
        records = self._all_records(reason)
        suites, case_elements = self._suites(records)
        xml = to_xml_report_string(suites, prettyprint=False, encoding="utf-8")
        text = _postprocess(xml, self._run_time(), self._suite_times(records), case_elements)
        write_atomically(self.path, text)

    def _all_records(self, reason: Optional[str]) -> List[_Record]:
        records = [self._startup] if self._startup else []
        records += self._records
        records += self._not_run()
        if self._finished is None:
            records.append(self._harness_error(reason))
        return _unique(records)

    def _not_run(self) -> List[_Record]:
        """Planned cases without a result, with the reason they were not run (profile §5)."""
        done = {record.name for record in self._records}
        planned = self._started.planned if self._started else ()
        outcome, kind, message, details = self._not_run_reason()
        classname = _classname(REPLAY, "fixtures")
        return [
            _Record(REPLAY, classname, name, 0.0, outcome, kind, message, details)
            for name in planned
            if name not in done
        ]

    def _not_run_reason(self) -> Tuple[str, str, str, str]:
        if self._server_failed:
            return "skipped", "", NOT_STARTED, ""
        if self._died is not None:
            code = "" if self._died.exit_code is None else f" (exit code {self._died.exit_code})"
            message = f"not run: server died{code}: {self._died.message}"
            return (
                "error",
                "ServerError",
                message,
                "server log: see the system-out of scorecheck.server/startup",
            )
        if self._finished is None:
            return "skipped", "", "not run: run interrupted", ""
        return "error", "HarnessError", "not run: the runner reported no result for this case", ""

    def _harness_error(self, reason: Optional[str]) -> _Record:
        planned = len(self._started.planned) if self._started else 0
        message = "run interrupted: the harness stopped before the run finished"
        details = (
            f"{message}\n{plural(len(self._records), 'result')} recorded, {plural(planned, 'case')} planned"
        )
        if reason:
            details += f"\n\n{reason}"
        elapsed = time.monotonic() - self._mono0
        return _Record(
            REPLAY, "scorecheck.harness", "run", elapsed, "error", "HarnessError", message, details
        )

    def _run_time(self) -> float:
        return self._finished.elapsed_s if self._finished else time.monotonic() - self._mono0

    def _suite_order(self, records: List[_Record]) -> List[str]:
        order = [REPLAY]
        for record in records:
            if record.suite not in order:
                order.append(record.suite)
        return order

    def _suite_times(self, records: List[_Record]) -> Dict[str, float]:
        """Wall time per suite, never less than the sum of its cases (profile §3)."""
        times: Dict[str, float] = {}
        for suite in self._suite_order(records):
            clock = self._clocks.get(suite)
            wall = clock.last_mono - clock.started_mono if clock else 0.0
            total = sum(max(r.elapsed_s, 0.0) for r in records if r.suite == suite)
            times[suite] = max(wall, total)
        return times

    def _properties(self, suite: str) -> Dict[str, str]:
        started = self._started
        core = {
            "seed": "none" if started is None or started.seed is None else str(started.seed),
            "entry_script": started.entry_script if started else self._extra.get("entry_script", ""),
            "server": started.server_version if started else self._extra.get("server", ""),
            "scorecheck_version": __version__,
        }
        extra = {**self._extra, **dict(started.properties if started else ())}
        extra.update(self._suite_extra.get(suite, {}))
        merged = {**core, **{k: v for k, v in extra.items() if k not in core}}
        return {escape_attr(k): escape_attr(str(v)) for k, v in merged.items()}

    def _suites(self, records: List[_Record]) -> Tuple[List[TestSuite], List[_Record]]:
        hostname = escape_attr(socket.gethostname() or "localhost")
        suites: List[TestSuite] = []
        ordered: List[_Record] = []
        for suite in self._suite_order(records):
            members = [r for r in records if r.suite == suite]
            clock = self._clocks.get(suite)
            stamp = _timestamp(clock.started_wall if clock else self._wall0)
            cases = [_test_case(r) for r in members]
            name = escape_attr(f"scorecheck.{suite}")
            properties = self._properties(suite)
            suites.append(TestSuite(name, cases, hostname=hostname, timestamp=stamp, properties=properties))
            ordered.extend(members)
        return suites, ordered


def summary_properties(summary: PropertySummary) -> Dict[str, str]:
    """The property suite's figures: examples in all and per tier (`examples_near`, ...), time and digest."""
    figures = {"examples": str(summary.total)}
    figures.update((f"examples_{tier}", str(count)) for tier, count in summary.examples)
    figures["property_time"] = f"{summary.elapsed_s:.3f}"
    figures["property_digest"] = summary.digest
    return figures


def _unique(records: List[_Record]) -> List[_Record]:
    """Make (classname, name) unique after escaping, with ` (2)`, ` (3)` suffixes (profile §4)."""
    seen: Set[Tuple[str, str]] = set()
    out = []
    for record in records:
        classname, base = escape_attr(record.classname), escape_attr(record.name)
        name, n = base, 1
        while (classname, name) in seen:
            n += 1
            name = f"{base} ({n})"
        seen.add((classname, name))
        out.append(replace(record, classname=classname, name=name))
    return out


def _test_case(record: _Record) -> TestCase:
    """A junit_xml TestCase with at most one, never empty, result element (profile §5, §10)."""
    case = TestCase(
        record.name, classname=record.classname, elapsed_sec=max(record.elapsed_s, 0.0), stdout=None
    )
    if record.stdout:
        case.stdout = _output(record.stdout)
    outcome = record.outcome
    if outcome not in ("passed", "failed", "error", "skipped"):
        message = f"unknown outcome {outcome!r}: {record.message}"
        record = replace(record, kind="HarnessError", message=message)
        outcome = "error"
    if outcome == "skipped":
        case.add_skipped_info(message=one_line(record.message) or "skipped")
    elif outcome == "failed":
        message, text = _result_text(record, "failed")
        case.add_failure_info(message=message, output=text, failure_type=_kind(record.kind, "Failure"))
    elif outcome == "error":
        message, text = _result_text(record, "error")
        case.add_error_info(message=message, output=text, error_type=_kind(record.kind, "HarnessError"))
    return case


def _result_text(record: _Record, fallback: str) -> Tuple[str, str]:
    """The message attribute and the element text, which starts with the same summary (GitLab shows only it)."""
    details = record.details
    first = details.strip().split("\n", 1)[0] if details.strip() else ""
    summary = _fold(record.message or first) or fallback
    text = details if details.startswith(summary) else f"{summary}\n{details}".rstrip("\n")
    return one_line(summary), _output(text)


def _kind(kind: str, fallback: str) -> str:
    return one_line(kind, 80) or fallback


# ---------------------------------------------------------------------------------------------------------------
# Post-processing junit_xml's output into the profile's exact shape

_ATTRIBUTES = {
    "testsuites": ("name", "tests", "failures", "errors", "time"),
    "testsuite": ("name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"),
    "testcase": ("classname", "name", "time"),
    "failure": ("type", "message"),
    "error": ("type", "message"),
    "skipped": ("message",),
    "property": ("name", "value"),
}


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _postprocess(xml: str, run_time: float, suite_times: Dict[str, float], records: List[_Record]) -> str:
    root = ET.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        _keep_profile_attributes(element)
    root.set("name", "scorecheck")
    root.set("time", _seconds(run_time))
    for suite, seconds in zip(root.iter("testsuite"), suite_times.values()):
        suite.set("time", _seconds(seconds))
    for case, record in zip(root.iter("testcase"), records):
        case.set("time", _seconds(record.elapsed_s))
    for element in root.iter():
        _keep_profile_attributes(element)  # again, so `name` and `time` land in the profile's order
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _keep_profile_attributes(element: ET.Element) -> None:
    allowed = _ATTRIBUTES.get(element.tag, ())
    kept = [(name, element.get(name)) for name in allowed]
    element.attrib.clear()
    for name, value in kept:
        if value is not None:
            element.set(name, value)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a reader (or a crash) never sees half a report.

    Only a regular file is replaced. A symbolic link is followed, so the file it names gets the report and the
    link stays. Anything else that exists (`/dev/null`, `/dev/stdout`, a FIFO a CI step reads) is written
    into: replacing it would swap a device node for a file, and as root that breaks the machine.
    """
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from other CI users
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
