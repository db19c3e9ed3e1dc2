"""This file does not parse."""


def init(:
    pass


def run(data):
    return data
