"""A script's print() as log records, as upstream captures it."""

from __future__ import annotations

import builtins
import logging
from typing import Any, Optional

from .configure import LOGGER_NAME


class PrintCapture:
    """Turns a script's bare print() into one INFO record on `azmlinfsrv.print`, as upstream does.

    Only calls that print to the default stdout are captured; print(file=...) is left alone so that nothing
    is printed twice or lost.
    """

    def __init__(self) -> None:
        self._original = builtins.print
        self._logger = logging.getLogger(f"{LOGGER_NAME}.print")

    def install(self) -> None:
        if getattr(builtins.print, "__azmlinfsrv__", False):
            return
        original = self._original
        logger = self._logger

        def print_(
            *objects: Any,
            sep: Optional[str] = " ",
            end: Optional[str] = "\n",
            file: Any = None,
            flush: bool = False,
        ) -> None:
            if file is not None:
                original(*objects, sep=sep, end=end, file=file, flush=flush)
                return
            logger.info((" " if sep is None else sep).join(str(o) for o in objects))

        print_.__azmlinfsrv__ = True  # type: ignore[attr-defined]
        builtins.print = print_
