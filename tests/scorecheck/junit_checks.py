"""Check a JUnit report against the JUnit dialect CI consumers accept, the way CI consumers read it; reusable by any test.

Usage: `report = check_report(path)`; it raises AssertionError naming the first violated rule and returns the
parsed cases for further assertions. The XSD is `tests/data/junit-10.xsd` (provenance in tests/data/README.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

XSD = Path(__file__).resolve().parents[2] / "tests" / "data" / "junit-10.xsd"
TIME = re.compile(r"^\d+\.\d{3}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
RESULT_TAGS = ("failure", "error", "skipped")
CORE_PROPERTIES = ("seed", "entry_script", "server", "scorecheck_version")
PROFILE_ATTRIBUTES = {
    "testsuites": {"name", "tests", "failures", "errors", "time"},
    "testsuite": {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"},
    "testcase": {"classname", "name", "time"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"message"},
    "property": {"name", "value"},
    "properties": set(),
    "system-out": set(),
    "system-err": set(),
}


@dataclass(frozen=True)
class ReportCase:
    suite: str
    classname: str
    name: str
    time: str
    result: Optional[str]  # "failure", "error", "skipped" or None for passed
    type: Optional[str]
    message: Optional[str]
    text: Optional[str]
    system_out: Optional[str]


@dataclass(frozen=True)
class Report:
    root: ET.Element
    cases: List[ReportCase]
    properties: Dict[str, Dict[str, str]]  # suite name -> properties

    def case(self, name: str, classname: Optional[str] = None) -> ReportCase:
        found = [c for c in self.cases if c.name == name and (classname is None or c.classname == classname)]
        assert len(found) == 1, f"expected one testcase named {name!r}, found {len(found)}"
        return found[0]


def check_report(path: Path) -> Report:
    """Run every profile check (§9) on the report at `path` and return its content."""
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), "missing or wrong XML declaration"
    assert not raw.startswith(b"\xef\xbb\xbf"), "BOM present"
    assert b"<![CDATA[" not in raw
    assert b"<!DOCTYPE" not in raw
    root = ET.fromstring(raw)
    validate_xsd(root)
    _check_structure(root)
    _check_attributes(root)
    _check_times(root)
    report = _read_cases(root)
    _check_unique(report)
    _check_with_junitparser(path, report)
    return report


def validate_xsd(root: ET.Element) -> None:
    """Validate against junit-10.xsd after removing `disabled`, the one deviation junit-xml always writes."""
    copy = ET.fromstring(ET.tostring(root))
    for element in copy.iter():
        element.attrib.pop("disabled", None)
    xmlschema.XMLSchema(str(XSD)).validate(copy)


def _check_structure(root: ET.Element) -> None:
    assert root.tag == "testsuites"
    assert root.get("name") == "scorecheck"
    assert all(child.tag == "testsuite" for child in root), "root may only contain testsuite elements"
    totals: Counter[str] = Counter()
    for suite in root:
        assert suite.get("name"), "a testsuite without a name"
        assert TIMESTAMP.match(suite.get("timestamp", "")), f"bad timestamp {suite.get('timestamp')!r}"
        assert suite.get("hostname"), "a testsuite without a hostname"
        cases = suite.findall("testcase")
        counts = {tag: sum(1 for c in cases if c.find(tag) is not None) for tag in RESULT_TAGS}
        assert suite.get("tests") == str(len(cases)), f"{suite.get('name')}: tests != children"
        assert suite.get("failures") == str(counts["failure"]), f"{suite.get('name')}: failures count"
        assert suite.get("errors") == str(counts["error"]), f"{suite.get('name')}: errors count"
        assert suite.get("skipped") == str(counts["skipped"]), f"{suite.get('name')}: skipped count"
        totals.update({"tests": len(cases), "failures": counts["failure"], "errors": counts["error"]})
        _check_suite_children(suite)
    for key in ("tests", "failures", "errors"):
        assert root.get(key) == str(totals[key]), f"root {key} is not the sum over suites"


def _check_suite_children(suite: ET.Element) -> None:
    tags = [child.tag for child in suite]
    assert tags[:1] == ["properties"], "properties must come first"
    names = {p.get("name") for p in suite.iter("property")}
    assert set(CORE_PROPERTIES) <= names, f"missing properties {set(CORE_PROPERTIES) - names}"
    for case in suite.findall("testcase"):
        assert case.get("classname")
        assert case.get("classname") != suite.get("name")
        results = [child for child in case if child.tag in RESULT_TAGS]
        assert len(results) <= 1, f"{case.get('name')}: more than one result element"
        for result in results:
            message = result.get("message")
            assert message, f"{case.get('name')}: result without message"
            assert "\n" not in message, f"{case.get('name')}: message not one line"
            assert len(message) <= 200, f"{case.get('name')}: message longer than 200 characters"
            if result.tag != "skipped":
                assert result.get("type"), f"{case.get('name')}: result without type"
                assert (result.text or "").startswith(message.rstrip("…")[:50]), (
                    "text must start with summary"
                )
        order = [child.tag for child in case]
        assert order == sorted(order, key=(["failure", "error", "skipped", "system-out", "system-err"]).index)


def _check_attributes(root: ET.Element) -> None:
    for element in root.iter():
        extra = set(element.attrib) - PROFILE_ATTRIBUTES.get(element.tag, set())
        assert not extra, f"<{element.tag}> has non-profile attributes {extra}"
    for tag in ("testsuites", "testsuite", "testcase"):
        for element in root.iter(tag):
            missing = PROFILE_ATTRIBUTES[tag] - set(element.attrib)
            assert not missing, f"<{tag}> lacks {missing}"


def _check_times(root: ET.Element) -> None:
    for element in root.iter():
        if "time" in element.attrib:
            assert TIME.match(element.get("time", "")), f"<{element.tag}> time {element.get('time')!r}"


def _read_cases(root: ET.Element) -> Report:
    cases = []
    properties = {}
    for suite in root:
        suite_name = suite.get("name", "")
        properties[suite_name] = {p.get("name", ""): p.get("value", "") for p in suite.iter("property")}
        for case in suite.findall("testcase"):
            result = next((child for child in case if child.tag in RESULT_TAGS), None)
            out = case.find("system-out")
            cases.append(
                ReportCase(
                    suite=suite_name,
                    classname=case.get("classname", ""),
                    name=case.get("name", ""),
                    time=case.get("time", ""),
                    result=result.tag if result is not None else None,
                    type=result.get("type") if result is not None else None,
                    message=result.get("message") if result is not None else None,
                    text=result.text if result is not None else None,
                    system_out=out.text if out is not None else None,
                )
            )
    return Report(root, cases, properties)


def _check_unique(report: Report) -> None:
    pairs = Counter((c.classname, c.name) for c in report.cases)
    duplicates = [pair for pair, n in pairs.items() if n > 1]
    assert not duplicates, f"duplicate (classname, name): {duplicates}"
    suites = Counter(suite.get("name") for suite in report.root)
    assert all(n == 1 for n in suites.values()), f"duplicate suite names: {suites}"


def _check_with_junitparser(path: Path, report: Report) -> None:
    """Read the file again the way CI consumers do and compare with what xml.etree saw."""
    xml = JUnitXml.fromfile(str(path))
    seen = []
    for suite in xml:
        for case in suite:
            kinds = [type(r) for r in case.result]
            assert len(kinds) <= 1
            result = {Failure: "failure", Error: "error", Skipped: "skipped"}.get(kinds[0]) if kinds else None
            seen.append((suite.name, case.classname, case.name, result))
    expected = [(c.suite, c.classname, c.name, c.result) for c in report.cases]
    assert seen == expected, "junitparser reads the report differently from xml.etree"
