"""Send a list of probes to both servers of a pair and keep the normalised answers and logs for comparison."""

from __future__ import annotations

import http.client
from collections.abc import Iterable
from dataclasses import dataclass, field

from .allowed import log_differences, reconcile
from .cases import Probe
from .normalise import Answer, LogRecord, log_records, normalise
from .pair import Pair

# The per-sample log comparison starts where the worker loads the script: what comes before depends on the
# environment and telemetry settings, which the env-spelling tests compare on their own.
SCRIPT_LOADED = ("Found user script at", "Found driver script at")


@dataclass(frozen=True)
class Outcome:
    """Both answers to one probe (an error text instead when the connection failed)."""

    probe: Probe
    ours: Answer | str
    ref: Answer | str

    def mismatch(self) -> str | None:
        """None when equal after the allowed differences, else both sides, readable."""
        ours, ref = self.ours, self.ref
        if isinstance(ours, Answer) and isinstance(ref, Answer):
            ours, ref = reconcile(ours, ref)
            if ours == ref:
                return None
            return f"{self.probe.name}:\n  ours      {ours.show()}\n  reference {ref.show()}"
        if ours == ref:
            return None
        shown = [a.show() if isinstance(a, Answer) else a for a in (ours, ref)]
        return f"{self.probe.name}:\n  ours      {shown[0]}\n  reference {shown[1]}"


@dataclass
class Transcript:
    """Everything one pair answered, and the script-time log records of each side."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    ours_log: list[LogRecord] = field(default_factory=list)
    ref_log: list[LogRecord] = field(default_factory=list)
    error: str | None = None  # the pair did not start: every comparison fails with this

    def mismatches(self, names: Iterable[str]) -> list[str]:
        if self.error is not None:
            return [self.error]
        found = (self.outcomes[name].mismatch() for name in names)
        return [text for text in found if text is not None]

    def log_mismatch(self) -> str | None:
        if self.error is not None:
            return self.error
        missing, extra = log_differences(self.ours_log, self.ref_log)
        if not missing and not extra:
            return None
        lines = ["reference records ours lacks:", *map(str, missing), "records ours adds:", *map(str, extra)]
        return "\n  ".join(lines)


def _ask(pair: Pair, probe: Probe) -> tuple[Answer | str, Answer | str]:
    ports = (pair.ours.port, pair.reference.port)
    answers: list[Answer | str] = []
    for server in (pair.ours, pair.reference):
        try:
            answers.append(
                normalise(server.raw(probe.method, probe.path, dict(probe.headers), probe.body), ports)
            )
        except (OSError, http.client.HTTPException) as exc:
            answers.append(f"no answer: {type(exc).__name__}")
    return answers[0], answers[1]


def _script_part(records: list[LogRecord]) -> list[LogRecord]:
    start = next((i for i, r in enumerate(records) if r.message.startswith(SCRIPT_LOADED)), len(records))
    return records[start:]


def converse(pair: Pair, probes: Iterable[Probe]) -> Transcript:
    """Ask every probe in order, stop both servers (flushing their logs) and keep the transcript."""
    transcript = Transcript()
    for probe in probes:
        transcript.outcomes[probe.name] = Outcome(probe, *_ask(pair, probe))
    pair.stop()
    transcript.ours_log = _script_part(log_records(pair.ours.logs()))
    transcript.ref_log = _script_part(log_records(pair.reference.logs()))
    return transcript
