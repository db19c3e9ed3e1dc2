"""Image metadata for PNG uploads, @rawhttp with a binary body. Planted bug: a body that is not a PNG crashes.

The script refuses other methods, other content types, empty and oversized bodies, but trusts that an
`image/png` body is a PNG: a short body raises struct.error and an odd colour-type byte raises KeyError.

Request:  POST, Content-Type: image/png, the PNG's bytes (at most 1 MB)
Response: {"width": 2, "height": 1, "channels": 3}
"""

import struct

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse

MAX_BYTES = 1024 * 1024
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> channels
MAX_PIXELS = 40_000_000


def init():
    pass


def _answer(payload, status):
    return AMLResponse(payload, status, json_str=True)


@rawhttp
def run(request: AMLRequest):
    if request.method != "POST":
        return _answer({"message": "use POST"}, 405)
    if request.mimetype != "image/png":
        return _answer({"message": "Content-Type must be image/png"}, 415)
    body = request.get_data()
    if not body or len(body) > MAX_BYTES:
        return _answer({"message": f"the image must hold 1 to {MAX_BYTES} bytes"}, 400)
    # the bug: no signature check, so anything that is not a PNG fails below with a 500
    width, height, _depth, colour = struct.unpack(">IIBB", body[16:26])
    channels = CHANNELS[colour]
    if width * height > MAX_PIXELS:
        return _answer({"message": "the image is too large"}, 400)
    return _answer({"width": width, "height": height, "channels": channels}, 200)
