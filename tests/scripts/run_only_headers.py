"""run() takes only request_headers."""


def init():
    pass


def run(request_headers):
    return {}
