"""`--format json`: the whole run as one JSON document on stdout, for tools that post-process results."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, Dict, List, Optional, TextIO

from ..model import (
    CaseFinished,
    Event,
    Measurement,
    PropertySummary,
    RunFinished,
    RunStarted,
    ServerDied,
    ServerFailed,
    ServerStarted,
)


class JsonReporter:
    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stdout
        self._doc: Dict[str, Any] = {
            "run": None,
            "server": None,
            "cases": [],
            "measurements": [],
            "result": None,
        }
        self._closed = False

    def handle(self, event: Event) -> None:
        cases: List[Dict[str, Any]] = self._doc["cases"]
        if isinstance(event, RunStarted):
            self._doc["run"] = {**asdict(event), "properties": dict(event.properties)}
        elif isinstance(event, (ServerStarted, ServerFailed)):
            self._doc["server"] = {
                "status": "started" if isinstance(event, ServerStarted) else "failed",
                **asdict(event),
            }
        elif isinstance(event, ServerDied):
            self._doc["server_died"] = asdict(event)
        elif isinstance(event, CaseFinished):
            cases.append(asdict(event))
        elif isinstance(event, PropertySummary):
            self._doc["property_phase"] = {
                **asdict(event),
                "examples": dict(event.examples),
                "total_examples": event.total,
            }
        elif isinstance(event, Measurement):
            # The series the HTML report draws (memory, batch scaling, latency, start-up); notes as an object.
            self._doc["measurements"].append({**asdict(event), "notes": dict(event.notes)})
        elif isinstance(event, RunFinished):
            self._doc["result"] = asdict(event)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        counts: Dict[str, int] = {}
        for case in self._doc["cases"]:
            counts[case["outcome"]] = counts.get(case["outcome"], 0) + 1
        self._doc["counts"] = counts
        json.dump(self._doc, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        self.stream.flush()
