"""Helpers for bench/run_bench.py: processes, memory, wrk, servers, measurements, report."""
