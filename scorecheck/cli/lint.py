"""`scorecheck lint SCORE_PY`: the static pitfall checks on their own, as text or one JSON document."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import List, Sequence, TextIO

from ..lint import RULES, Finding, LintError, lint_script
from ..model import plural
from .exitcodes import ExitCode, lint_exit_code

LINT_EXIT_CODES = """\
exit codes:
  0    no findings, or findings without --strict (they are warnings)
  1    findings with --strict
  2    usage error, or the script cannot be read or parsed (the message names the file and line)
"""


def add_lint_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = "\n".join(f"  {rule.name:<22} {rule.summary}" for rule in RULES.values())
    parser = commands.add_parser(
        "lint",
        help="check a scoring script for production pitfalls, without running it",
        usage="scorecheck lint [options] SCORE_PY",
        description=textwrap.fill(
            "Read SCORE_PY (and the files beside it) with Python's ast module, never importing or running it, "
            "and report the production pitfalls the inference server would only warn about at run time. "
            "Silence one line with '# scorecheck: ignore[RULE]'.",
            width=100,
        ),
        epilog=f"rules:\n{rules}\n\n{LINT_EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("script", metavar="SCORE_PY", help="the entry script")
    parser.add_argument("--strict", action="store_true", help="findings fail (exit 1) instead of warning")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")


def lint_command(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Lint one script and print the findings; the exit code says what `lint_exit_code` makes of them."""
    path = Path(args.script)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        print(
            f"scorecheck: error: SCORE_PY {args.script}: {what}; give the scoring script's .py file",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE)
    try:
        findings = lint_script(path, args.script)
    except LintError as exc:
        print(f"scorecheck: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    code = lint_exit_code(len(findings), args.strict)
    if args.format == "json":
        document = {"script": args.script, "strict": args.strict, "exit_code": code}
        json.dump({**document, "findings": [asdict(f) for f in findings]}, out, indent=2)
        out.write("\n")
    else:
        out.write("".join(f"{line}\n" for line in text_report(args.script, findings, args.strict)))
    return code


def text_report(script: str, findings: Sequence[Finding], strict: bool) -> List[str]:
    """One `file:line:column: rule message` line and one `fix:` line per finding, then a summary line."""
    if not findings:
        return [f"{script}: no findings ({plural(len(RULES), 'rule')} checked)"]
    lines = []
    for finding in findings:
        lines.append(f"{finding.location}: {finding.rule} {finding.message}")
        lines.append(f"    fix: {finding.fix}")
    verdict = "failing (--strict)" if strict else "warnings; --strict makes them fail"
    lines.append(f"{plural(len(findings), 'finding')} in {script} ({verdict})")
    return lines
