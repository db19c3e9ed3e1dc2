"""Every difference from the reference the suite accepts, each listed once with the contract section allowing it.

A response rule takes both normalised answers and returns them with the allowed part of the difference removed
(only when the reference really lacks it, so a rule never hides anything else). A log rule names reference
records ours may lack, or ours may have on top, or a reference record ours may word differently.
Anything not covered here is a parity defect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .normalise import Answer, LogRecord

ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id", "traceid", "x-ms-server-version")


@dataclass(frozen=True)
class Allowed:
    """One accepted difference: why it exists and the contract section that allows it."""

    key: str
    section: str
    why: str


# ---- the table ---------------------------------------------------------------------------------------------

TRANSPORT = Allowed(
    "transport-headers",
    "the AzureML contract §6.1 (keep-alive optional) and §6.3",
    "Date, Server, Connection and Keep-Alive are the HTTP layer's own; they are not compared",
)
ROUTING_IDS = Allowed(
    "routing-error-ids",
    "the AzureML contract §6.1 and §17 (routing 404/405 with ids)",
    "routing 404/405 answers carry x-request-id, x-ms-request-id, a TraceId sent and x-ms-server-version",
)
ALLOW_ON_405 = Allowed(
    "allow-on-405",
    "the AzureML contract, preamble (additive headers)",
    "a routing 405 names the allowed methods in an Allow header, as HTTP asks",
)
ONE_CONTENT_TYPE = Allowed(
    "one-content-type",
    "the AzureML contract §17 (duplicate Content-Type from AMLResponse headers)",
    "an AMLResponse given a Content-Type header sends one (the server's), upstream both lines",
)
FLAG_ON_PLAIN_RESPONSE = Allowed(
    "failed-flag-on-plain-response",
    "the AzureML contract §6.1 (one server-controlled x-ms-run-function-failed)",
    "a plain Flask response returned by run() also gets x-ms-run-function-failed: False",
)
CONTRIB_PLAIN_IMPORT = Allowed(
    "contrib-plain-import",
    "the AzureML contract §1 and §17",
    "`import azureml.contrib.services.aml_response` works; upstream fails to boot (exit 3)",
)
SCRIPT_DIR_MODULES = Allowed(
    "script-dir-modules",
    "the AzureML contract §7.1 and §17",
    "the script's own utils.py/config.py load; upstream's server modules shadow them and boot fails (exit 3)",
)
BUILTIN_LOG_CONFIG_LINE = Allowed(
    "builtin-logging-config-line",
    "the AzureML contract §11 (`Loaded logging config` for a user file only)",
    "upstream also logs the path of its own built-in logging.json",
)
EXTRA_KEYS_WARNING = Allowed(
    "extra-keys-warning",
    "the AzureML contract §4 and §17",
    "upstream warns about 'extra keys' on every start; ours only for truly unknown keys",
)
TELEMETRY_TRACE_LINES = Allowed(
    "telemetry-trace-lines",
    "the AzureML contract §15 and §17 (telemetry code loaded only when enabled)",
    "upstream's trace module logs model-id lookups (`Model directory is not set or does not exist`, "
    "`Error while fetching model IDs`) with telemetry off",
)
REJECTED_REQUEST_LINES = Allowed(
    "rejected-request-lines",
    "the AzureML contract §6.1, §6.2 and §11 (routing and id-limit answers handled like other answers)",
    "a routing 405 or an id-limit 431 on /score or /swagger.json also gets the per-request log line",
)
CLEARER_ERROR_LINES = Allowed(
    "clearer-error-lines",
    "the AzureML contract §7.7 (the logged error says what to return instead)",
    "an unserialisable result logs `Encountered Exception: could not serialise ...` instead of a bare traceback",
)
INIT_TIMING_LINE = Allowed(
    "init-timing-line",
    "the AzureML contract, preamble (better log lines)",
    "after `Users's init has completed successfully`, ours logs `init() finished in <s> s` (start-up budgets)",
)
ADDED_WARNINGS = Allowed(
    "added-warnings",
    "the AzureML contract, preamble and §17 (warnings naming a production pitfall and its fix)",
    "extra WARNING and ERROR records (form bodies, NaN, numpy results, unset model dir, Flask's exception line)",
)

TABLE = (
    TRANSPORT,
    ROUTING_IDS,
    ALLOW_ON_405,
    ONE_CONTENT_TYPE,
    FLAG_ON_PLAIN_RESPONSE,
    CONTRIB_PLAIN_IMPORT,
    SCRIPT_DIR_MODULES,
    BUILTIN_LOG_CONFIG_LINE,
    EXTRA_KEYS_WARNING,
    TELEMETRY_TRACE_LINES,
    REJECTED_REQUEST_LINES,
    CLEARER_ERROR_LINES,
    INIT_TIMING_LINE,
    ADDED_WARNINGS,
)

# ---- response rules ----------------------------------------------------------------------------------------

Rule = Callable[[Answer, Answer], tuple[Answer, Answer]]


def _routing_ids(ours: Answer, ref: Answer) -> tuple[Answer, Answer]:
    if ref.status in (404, 405) and not ref.values("x-request-id"):
        for name in ID_HEADERS:
            ours = ours.without(name)
    return ours, ref


def _allow_on_405(ours: Answer, ref: Answer) -> tuple[Answer, Answer]:
    if ref.status == 405 and not ref.values("allow"):
        ours = ours.without("allow")
    return ours, ref


def _one_content_type(ours: Answer, ref: Answer) -> tuple[Answer, Answer]:
    theirs, mine = ref.values("content-type"), ours.values("content-type")
    if len(theirs) > 1 and len(mine) == 1 and mine[0] in theirs:
        ref = ref.without("content-type")
        ref = Answer(
            ref.status, tuple(sorted((*ref.headers, ("content-type", mine[0])), key=lambda h: h[0])), ref.body
        )
    return ours, ref


def _flag_on_plain_response(ours: Answer, ref: Answer) -> tuple[Answer, Answer]:
    if (
        ref.status < 500
        and not ref.values("x-ms-run-function-failed")
        and ours.values("x-ms-run-function-failed") == ["False"]
    ):
        ours = ours.without("x-ms-run-function-failed")
    return ours, ref


RESPONSE_RULES: tuple[tuple[Allowed, Rule], ...] = (
    (ROUTING_IDS, _routing_ids),
    (ALLOW_ON_405, _allow_on_405),
    (ONE_CONTENT_TYPE, _one_content_type),
    (FLAG_ON_PLAIN_RESPONSE, _flag_on_plain_response),
)


def reconcile(ours: Answer, ref: Answer) -> tuple[Answer, Answer]:
    """Both answers with every allowed difference removed."""
    for _, rule in RESPONSE_RULES:
        ours, ref = rule(ours, ref)
    return ours, ref


# ---- log rules ---------------------------------------------------------------------------------------------

# Reference records ours may lack.
MAY_LACK: tuple[tuple[Allowed, re.Pattern[str]], ...] = (
    (BUILTIN_LOG_CONFIG_LINE, re.compile(r"^Loaded logging config from .*azureml_inference_server_http")),
    (EXTRA_KEYS_WARNING, re.compile(r"^Found extra keys in the config file")),
    (
        TELEMETRY_TRACE_LINES,
        re.compile(r"^(Model directory is not set or does not exist|Error while fetching model IDs)"),
    ),
)
# Records ours may have on top (INFO ones; extra WARNING/ERROR records are always additive).
MAY_ADD: tuple[tuple[Allowed, re.Pattern[str]], ...] = (
    (REJECTED_REQUEST_LINES, re.compile(r"^[A-Z]+ /(score|swagger\.json)\S* (405|431) <ms>ms \d+$")),
    (INIT_TIMING_LINE, re.compile(r"^init\(\) finished in \d+\.\d{3} s$")),
)
# (reference wording, our wording) of the same event.
REWORDED: tuple[tuple[Allowed, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        CLEARER_ERROR_LINES,
        re.compile(r"^Encountered Exception: Traceback"),
        re.compile(r"^Encountered Exception: could not serialise the value returned by run\(\)"),
    ),
)


def _take(records: list[LogRecord], wanted: LogRecord) -> bool:
    if wanted in records:
        records.remove(wanted)
        return True
    return False


def _drop_reworded(missing: list[LogRecord], extra: list[LogRecord]) -> None:
    for _, theirs, mine in REWORDED:
        for record in [r for r in extra if mine.search(r.message)]:
            partner = next((m for m in missing if m.level == record.level and theirs.search(m.message)), None)
            if partner is not None:
                missing.remove(partner)
                extra.remove(record)


def log_differences(ours: list[LogRecord], ref: list[LogRecord]) -> tuple[list[LogRecord], list[LogRecord]]:
    """(reference records ours lacks, records ours adds), as multisets, after the allowed differences."""
    extra = list(ours)
    missing = [record for record in ref if not _take(extra, record)]
    _drop_reworded(missing, extra)
    missing = [r for r in missing if not any(p.search(r.message) for _, p in MAY_LACK)]
    extra = [r for r in extra if r.level == "I" and not any(p.search(r.message) for _, p in MAY_ADD)]
    return missing, extra
