"""Correct @rawhttp image metadata: checks the PNG signature and header before trusting any byte.

Request:  POST, Content-Type: image/png, the PNG's bytes (at most 1 MB)
Response: {"width": 2, "height": 1, "channels": 3}
"""

import struct

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse

MAX_BYTES = 1024 * 1024
SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def init():
    pass


def _header(body):
    """(width, height, channels) of a PNG, or None when the bytes are not one."""
    if len(body) < 26 or not body.startswith(SIGNATURE) or body[12:16] != b"IHDR":
        return None
    width, height, _depth, colour = struct.unpack(">IIBB", body[16:26])
    if colour not in CHANNELS or not (width and height):
        return None
    return width, height, CHANNELS[colour]


@rawhttp
def run(request: AMLRequest):
    if request.method != "POST":
        return AMLResponse({"message": "use POST"}, 405, json_str=True)
    if request.mimetype != "image/png":
        return AMLResponse({"message": "Content-Type must be image/png"}, 415, json_str=True)
    body = request.get_data()
    header = _header(body) if len(body) <= MAX_BYTES else None
    if header is None:
        return AMLResponse({"message": f"send a PNG image of at most {MAX_BYTES} bytes"}, 400, json_str=True)
    width, height, channels = header
    return AMLResponse({"width": width, "height": height, "channels": channels}, 200, json_str=True)
