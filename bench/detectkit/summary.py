"""Per-script figures over all seeds: runs with the expected verdict, times, which checks fired; table and JSON."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from detectkit.runs import RunResult
from detectkit.suite import Script


def matches(script: Script, run: RunResult) -> bool:
    """Did this run reach the script's expected verdict? A correct script may warn, never fail."""
    if script.verdict == "pass":
        return run.verdict in ("pass", "warn")
    if script.verdict == "fail":
        return run.verdict == "fail" and "replay" not in run.failed  # its fixtures must pass
    return run.verdict == "warn"


@dataclass(frozen=True)
class Row:
    script: str
    expected: str
    target: str  # check@tier for a planted bug
    hits: int
    runs: int
    verdicts: str  # e.g. "fail 7, pass 3"
    median_wall_s: float | None
    median_property_s: float | None
    fired: str  # checks that failed (or warned, marked "w:") and in how many runs


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _fired(runs: Sequence[RunResult]) -> str:
    counts: Counter[str] = Counter()
    for run in runs:
        counts.update(run.failed)
        counts.update(f"w:{name}" for name in run.warned)
        counts.update([f"error({run.note})"] if run.verdict == "error" else [])
    return ", ".join(
        f"{name} {n}" for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def build_row(script: Script, runs: Sequence[RunResult]) -> Row:
    verdicts = Counter(run.verdict for run in runs)
    timed = [run for run in runs if run.verdict != "error"]
    return Row(
        script=script.name,
        expected=script.verdict,
        target=f"{script.check}@{script.tier}" if script.planted else "",
        hits=sum(matches(script, run) for run in runs),
        runs=len(runs),
        verdicts=", ".join(f"{name} {n}" for name, n in verdicts.most_common()),
        median_wall_s=_median([run.wall_s for run in timed]),
        median_property_s=_median([run.property_s for run in timed]),
        fired=_fired(runs),
    )


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table, readable on a terminal and pasted as is into bench/README.md."""
    header = [
        "script",
        "expected",
        "check@tier",
        "expected verdict",
        "verdicts",
        "s/run",
        "property s",
        "fired",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            row.script,
            row.expected,
            row.target or "-",
            f"{row.hits}/{row.runs}",
            row.verdicts,
            _cell(row.median_wall_s),
            _cell(row.median_property_s),
            row.fired or "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def totals(scripts: Sequence[Script], rows: Sequence[Row]) -> str:
    """One line per group: the issue's targets are 'every bug on every seed' and 'no correct script fails'."""
    by_name = {row.script: row for row in rows}
    lines = []
    for label, group in (
        ("planted bugs", [s for s in scripts if s.planted]),
        ("correct", [s for s in scripts if not s.planted]),
    ):
        picked = [by_name[s.name] for s in group if s.name in by_name]
        if picked:
            hits, runs = sum(r.hits for r in picked), sum(r.runs for r in picked)
            perfect = sum(r.hits == r.runs for r in picked)
            lines.append(
                f"{label}: {hits}/{runs} runs with the expected verdict; {perfect}/{len(picked)} scripts on every seed"
            )
    return "\n".join(lines)


def write_json(path: Path, settings: dict[str, Any], rows: Sequence[Row], runs: Sequence[RunResult]) -> None:
    doc = {"settings": settings, "rows": [asdict(row) for row in rows], "runs": [asdict(run) for run in runs]}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
