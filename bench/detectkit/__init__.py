"""Helpers of `bench/detection.py`: the script suite, one gate run per (script, seed), the summary table."""
