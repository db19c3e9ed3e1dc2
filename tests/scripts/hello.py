"""Conformance sample `hello`: always answers {"message": "Hello, World!"}."""


def init():
    pass


def run(data):
    return {"message": "Hello, World!"}
