"""Attach to a VS Code (debugpy) adapter when AZUREML_DEBUG_PORT is set (contract §14)."""

from __future__ import annotations

import sys


class DebuggerUnavailable(Exception):
    """debugpy is not installed; the server stops once instead of respawning workers forever as upstream does."""


def attach_debugger(port: int) -> None:
    write = sys.stdout.write
    write("!! Starting the inference server in DEBUGGING mode because AZUREML_DEBUG_PORT is set.\n")
    write("!! This environment variable should not be set in a production environment.\n")
    write(f"** Connecting to debugger at port {port}...\n")
    sys.stdout.flush()
    try:
        import debugpy
    except ImportError as exc:
        write("** Cannot connect to a debugger because debugpy is not installed.\n")
        sys.stdout.flush()
        raise DebuggerUnavailable() from exc
    debugpy.connect(port)
    debugpy.wait_for_client()
