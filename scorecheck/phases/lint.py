"""The lint before the gate: the script's static pitfalls as cases of the `lint` suite, computed before the server
starts (so they are reported even when it then fails to start). A finding is a warning, or a failure with
`--strict-lint`; a script the lint cannot parse is left to the server start, which reports it fully."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

from ..config import RunConfig
from ..lint import Finding, LintError, lint_script
from ..model import WARNING_KIND, CaseFinished

LINT_KIND = "LintFinding"


def lint_cases(config: RunConfig) -> Tuple[CaseFinished, ...]:
    """One case per finding; nothing when there is none (a clean script adds nothing to the counts), the lint is
    off or there is no script."""
    script = config.entry_script
    if not config.lint or config.command != "run" or script is None:
        return ()
    try:
        findings = lint_script(Path(script), script)
    except (LintError, OSError) as exc:
        text = f"the script was not linted: {exc}"
        return (
            CaseFinished(
                "lint",
                "script",
                script,
                "passed",
                0.0,
                message=f"warning: {text}",
                kind=WARNING_KIND,
                log=text,
            ),
        )
    return tuple(_case(finding, config.strict_lint) for finding in findings)


def _case(finding: Finding, strict: bool) -> CaseFinished:
    details = f"{finding.location}: {finding.rule} {finding.message}\nfix: {finding.fix}"
    name = f"{finding.rule} {finding.location}"
    message = finding.message  # the fix is in the details: the console prints it before the server starts
    if strict:
        return CaseFinished(
            "lint", finding.rule, name, "failed", 0.0, message=message, kind=LINT_KIND, details=details
        )
    return CaseFinished(
        "lint",
        finding.rule,
        name,
        "passed",
        0.0,
        message=f"warning: {message}",
        kind=WARNING_KIND,
        log=details,
    )
