"""Logging: the built-in configuration and a user's logging.json, the `--log-dir` files, and print() capture.

The formatter itself lives in the core (`azmlinfsrv.log_format`), because every layer writes lines with it and
a user's logging.json names it.
"""
