"""`scorecheck merge-junit`: the JUnit reports of the shards of one gate, merged into one report of the same shape.

Suites of the same name become one suite. A testcase found in several reports (the server's start-up and every
property check run in each shard) becomes one testcase whose result is the worst of its results (error, then
failure, then passed; skipped only where it was skipped everywhere), with every shard's message, details and
output kept, each under a line naming its shard. Counts are recounted; times add up (the merged report shows the
work of every job); properties with different values across shards keep each value (`seed`, `shard`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .junit import cap_output, write_atomically

RESULT_TAGS = ("failure", "error", "skipped")
# Worst last: a case's merged result is the highest-ranked among its shards'.
RANK = {"skipped": 0, None: 1, "failure": 2, "error": 3}
SEPARATOR = ", "


class MergeError(Exception):
    """An input that is missing, unreadable or not a scorecheck report; the message names the file."""


@dataclass
class _Case:
    classname: str
    name: str
    seconds: float = 0.0
    # (shard label, result element or None for passed, system-out text)
    runs: List[Tuple[str, Optional[ET.Element], str]] = field(default_factory=list)


@dataclass
class _Suite:
    name: str
    seconds: float = 0.0
    timestamp: str = ""
    hostnames: List[str] = field(default_factory=list)
    properties: Dict[str, List[str]] = field(default_factory=dict)
    cases: Dict[Tuple[str, str], _Case] = field(default_factory=dict)


def read_report(path: Path) -> ET.Element:
    """The root of a scorecheck JUnit report. Raises MergeError naming `path`."""
    try:
        root = ET.fromstring(path.read_bytes())
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ET.ParseError as exc:
        raise MergeError(
            f"{path}: not an XML file ({exc}); give the JUnit reports `scorecheck run` wrote"
        ) from exc
    suites = list(root)
    ours = (
        root.tag == "testsuites"
        and root.get("name") == "scorecheck"
        and all(s.tag == "testsuite" and (s.get("name") or "").startswith("scorecheck.") for s in suites)
    )
    if not ours:
        raise MergeError(
            f'{path}: not a scorecheck report (expected <testsuites name="scorecheck"> holding scorecheck.* '
            "suites): merge-junit merges the reports of `scorecheck run --shard`, other JUnit files are left alone"
        )
    return root


def _label(root: ET.Element, path: Path) -> str:
    shard = next((p.get("value") for p in root.iter("property") if p.get("name") == "shard"), None)
    return f"shard {shard} ({path.name})" if shard else path.name


def _seconds(element: ET.Element) -> float:
    try:
        return max(float(element.get("time") or 0.0), 0.0)
    except ValueError:
        return 0.0


def _add_suite(merged: Dict[str, _Suite], element: ET.Element, label: str) -> None:
    name = element.get("name", "")
    suite = merged.setdefault(name, _Suite(name))
    suite.seconds += _seconds(element)
    stamp = element.get("timestamp", "")
    suite.timestamp = min(filter(None, (suite.timestamp, stamp)), default="")
    host = element.get("hostname", "")
    if host and host not in suite.hostnames:
        suite.hostnames.append(host)
    for prop in element.iter("property"):
        values = suite.properties.setdefault(prop.get("name", ""), [])
        if prop.get("value", "") not in values:
            values.append(prop.get("value", ""))
    for testcase in element.findall("testcase"):
        key = (testcase.get("classname", ""), testcase.get("name", ""))
        case = suite.cases.setdefault(key, _Case(*key))
        case.seconds += _seconds(testcase)
        result = next((child for child in testcase if child.tag in RESULT_TAGS), None)
        out = testcase.find("system-out")
        case.runs.append((label, result, (out.text or "") if out is not None else ""))


def merge(paths: Sequence[Path]) -> ET.Element:
    """The merged report of `paths`, in the order given. Raises MergeError."""
    merged: Dict[str, _Suite] = {}
    root_seconds = 0.0
    for path in paths:
        root = read_report(path)
        root_seconds += _seconds(root)
        label = _label(root, path)
        for suite in root:
            _add_suite(merged, suite, label)
    return _tree(list(merged.values()), root_seconds)


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _tree(suites: List[_Suite], seconds: float) -> ET.Element:
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    elements = [_suite_element(suite) for suite in suites]
    for element in elements:
        for key in totals:
            totals[key] += int(element.get(key, "0"))
    for key, value in (("name", "scorecheck"), *((k, str(v)) for k, v in totals.items())):
        root.set(key, value)
    root.set("time", f"{seconds:.3f}")
    root.extend(elements)
    ET.indent(root, space="  ")
    return root


def _suite_element(suite: _Suite) -> ET.Element:
    cases = [_case_element(case) for case in suite.cases.values()]
    counts = {tag: sum(1 for c in cases if c.find(tag) is not None) for tag in RESULT_TAGS}
    element = ET.Element("testsuite")
    element.set("name", suite.name)
    element.set("tests", str(len(cases)))
    element.set("failures", str(counts["failure"]))
    element.set("errors", str(counts["error"]))
    element.set("skipped", str(counts["skipped"]))
    # Never less than the sum of its cases, which may have been rounded down one by one.
    element.set("time", f"{max(suite.seconds, sum(c.seconds for c in suite.cases.values())):.3f}")
    element.set("timestamp", suite.timestamp)
    element.set("hostname", SEPARATOR.join(suite.hostnames) or "localhost")
    properties = ET.SubElement(element, "properties")
    for name, values in suite.properties.items():
        ET.SubElement(properties, "property", {"name": name, "value": SEPARATOR.join(values)})
    element.extend(cases)
    return element


def _case_element(case: _Case) -> ET.Element:
    element = ET.Element("testcase", {"classname": case.classname, "name": case.name})
    element.set("time", f"{case.seconds:.3f}")
    result = _merged_result(case)
    if result is not None:
        element.append(result)
    outputs = [(label, text) for label, _, text in case.runs if text]
    if outputs:
        out = ET.SubElement(element, "system-out")
        out.text = cap_output(_joined(outputs) if len(case.runs) > 1 else outputs[0][1])
    return element


def _merged_result(case: _Case) -> Optional[ET.Element]:
    worst = max((None if r is None else r.tag for _, r, _ in case.runs), key=lambda tag: RANK[tag])
    if worst is None:
        return None
    first = next(r for _, r, _ in case.runs if r is not None and r.tag == worst)
    result = ET.Element(worst, dict(first.attrib))
    if worst == "skipped" or len(case.runs) == 1:
        result.text = first.text
        return result
    parts = [(label, _describe(r)) for label, r, _ in case.runs]
    # The text starts with the worst result's own text: CI pages show the message's first line.
    result.text = cap_output(f"{first.text or first.get('message', '')}\n\n{_joined(parts)}")
    return result


def _describe(result: Optional[ET.Element]) -> str:
    if result is None:
        return "passed"
    kind = result.get("type")
    head = f"{result.tag}{f' {kind}' if kind else ''}: {result.get('message', '')}"
    return f"{head}\n{result.text}" if result.text and result.tag != "skipped" else head


def _joined(parts: Sequence[Tuple[str, str]]) -> str:
    return "\n".join(f"--- {label} ---\n{text.rstrip()}" for label, text in parts)


def write_report(root: ET.Element, path: Path) -> None:
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    write_atomically(path, text)
