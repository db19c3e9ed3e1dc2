"""Thumbnail sizes for uploaded images, @rawhttp with a multipart form. Planted bug: a non-PNG file crashes.

The script refuses a missing `image` part, a part that does not say it is an image and oversized files,
then looks for the PNG header chunk with bytes.index, which raises ValueError when it is not there.

Request:  POST multipart/form-data with a file part `image` (a PNG, at most 2 MB)
Response: {"thumbnail": [64, 32], "source": [2, 1]}
"""

import struct

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse

MAX_BYTES = 2 * 1024 * 1024
THUMBNAIL_EDGE = 64


def init():
    pass


def _refuse(message, status=400):
    return AMLResponse({"message": message}, status, json_str=True)


def _thumbnail(width, height):
    scale = THUMBNAIL_EDGE / max(width, height, 1)
    return [max(1, round(width * scale)), max(1, round(height * scale))]


@rawhttp
def run(request: AMLRequest):
    if request.method != "POST":
        return _refuse("use POST", 405)
    upload = request.files.get("image")
    if upload is None:
        return _refuse("send the picture as the multipart file part 'image'")
    if not (upload.mimetype or "").startswith("image/"):
        return _refuse("the 'image' part must be an image")
    data = upload.read(MAX_BYTES + 1)
    if not data or len(data) > MAX_BYTES:
        return _refuse(f"the image must hold 1 to {MAX_BYTES} bytes")
    header = data.index(b"IHDR")  # the bug: ValueError (a 500) for a file that is not a PNG
    width, height = struct.unpack_from(">II", data, header + 4)
    if not (width and height):
        return _refuse("the image has no pixels")
    return AMLResponse({"thumbnail": _thumbnail(width, height), "source": [width, height]}, 200, json_str=True)
