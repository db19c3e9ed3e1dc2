"""`scorecheck merge-junit`: the command line of the report merge (the merge itself is `reporters/merge.py`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..model import plural
from ..reporters.merge import MergeError, merge, write_report
from .exitcodes import ExitCode


def add_merge_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "merge-junit",
        help="merge the JUnit reports of the shards of one gate into one report",
        usage="scorecheck merge-junit REPORT.xml ... -o MERGED.xml",
        description=(
            "Merge the JUnit reports that `scorecheck run --shard INDEX/TOTAL` wrote into one report of the same "
            "shape: suites of the same name become one; a testcase found in several reports (the start-up and "
            "every property check run in each shard) takes its worst result (error, failure, passed; skipped "
            "only if skipped everywhere), keeping each shard's message and details. Exit code 0 when merged "
            "(the shards' jobs are the gate), 2 when an input is missing or not a scorecheck report."
        ),
    )
    parser.add_argument("reports", nargs="+", metavar="REPORT.xml", help="the shards' reports, in order")
    parser.add_argument("-o", "--output", required=True, metavar="PATH", help="where the merged report goes")


def merge_junit(args: argparse.Namespace) -> int:
    try:
        root = merge([Path(path) for path in args.reports])
        write_report(root, Path(args.output))
    except MergeError as exc:
        print(f"scorecheck merge-junit: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except OSError as exc:
        print(
            f"scorecheck merge-junit: error: cannot write {args.output}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE)
    counts = ", ".join(plural(int(root.get(f"{noun}s", "0")), noun) for noun in ("test", "failure", "error"))
    print(f"merged {len(args.reports)} report(s) into {args.output}: {counts}")
    return int(ExitCode.OK)
