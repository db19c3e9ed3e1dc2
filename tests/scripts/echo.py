"""Conformance sample `echo`: reports the input and headers `run` received, and how often it ran."""

calls = 0


def init():
    global calls
    calls = 0


def run(input_data, request_headers):
    global calls
    calls += 1
    return {
        "data": input_data,
        "type": type(input_data).__name__,
        "headers": request_headers,
        "calls": calls,
    }
