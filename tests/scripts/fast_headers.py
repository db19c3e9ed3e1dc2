"""An undecorated run() that takes request_headers and reports what it received."""


def init():
    pass


def run(input_data, request_headers):
    return {"data": input_data, "headers": request_headers}
