"""Encoding what `infer` returns into the envelope's `data` (fastml contract §4)."""

from __future__ import annotations

import io
import json
import math
from collections import OrderedDict

import numpy as np
import pytest
from azmlinfsrv.unified import envelope
from azmlinfsrv.unified.envelope import SerializationError, encode_data
from werkzeug.datastructures import FileStorage


def test_strings_are_data_type_string() -> None:
    assert encode_data("héllo") == ("héllo", "string")


@pytest.mark.parametrize("value", [b"RAWBYTES", bytearray(b"RAWBYTES"), memoryview(b"RAWBYTES")])
def test_bytes_like_values_are_base64(value: object) -> None:
    assert encode_data(value) == ("UkFXQllURVM=", "binary")


def test_json_values_keep_their_shape_and_tuples_become_lists() -> None:
    value = OrderedDict(a=1, b=[True, None, 2.5], c=(1, "x"))
    assert encode_data(value) == ({"a": 1, "b": [True, None, 2.5], "c": [1, "x"]}, "json")
    assert encode_data(None) == (None, "json")
    assert encode_data(3) == (3, "json")


def test_non_finite_floats_become_null_anywhere() -> None:
    data, _ = encode_data({"x": [math.nan, math.inf, -math.inf, 1.0]})
    assert data == {"x": [None, None, None, 1.0]}


def test_numpy_values_become_plain_values() -> None:
    data, kind = encode_data(
        {
            "a": np.array([[1.5, np.nan], [np.inf, 2]]),
            "s": np.float32(2.5),
            "b": np.bool_(True),
            "i": np.int64(7),
            np.int64(1): "numpy key",
        }
    )
    assert kind == "json"
    assert data == {"a": [[1.5, None], [None, 2.0]], "s": 2.5, "b": True, "i": 7, 1: "numpy key"}
    assert json.loads(envelope.dumps(data)) == {
        "a": [[1.5, None], [None, 2.0]],
        "s": 2.5,
        "b": True,
        "i": 7,
        "1": "numpy key",
    }


def test_nested_bytes_are_base64() -> None:
    assert encode_data({"blob": b"\x00\x01"}) == ({"blob": "AAE="}, "json")


def test_an_uploaded_file_becomes_its_metadata() -> None:
    upload = FileStorage(io.BytesIO(b"12345"), filename="f.txt", name="file", content_type="text/plain")
    upload.stream.seek(2)
    data, _ = encode_data({"file": upload})
    assert data == {"file": {"filename": "f.txt", "content_type": "text/plain", "size": 5}}
    assert upload.stream.tell() == 2  # the position is left where the user left it


@pytest.mark.parametrize(
    ("value", "name"), [({1, 2}, "set"), (object(), "object"), (io.BytesIO(b"x"), "BytesIO")]
)
def test_other_objects_are_serialization_errors(value: object, name: str) -> None:
    with pytest.raises(SerializationError) as caught:
        encode_data({"v": value})
    assert caught.value.status == 500
    assert caught.value.error_type == "SerializationError"
    assert caught.value.message == f"Object of type {name} is not JSON serializable"


def test_self_referencing_values_are_serialization_errors() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(SerializationError):
        encode_data(loop)


def test_bodies_are_strict_json_with_non_ascii_as_is() -> None:
    assert envelope.dumps({"k": "é"}) == '{"k": "é"}'
    with pytest.raises(SerializationError):
        envelope.dumps({"k": math.nan})


def test_envelope_shapes() -> None:
    failure = envelope.Failure(500, "InferError", "boom")
    assert envelope.success("x", "string", 1.5, "text") == {
        "result": True,
        "data": "x",
        "metadata": {"duration": 1.5, "content_type": "text", "data_type": "string"},
    }
    assert envelope.error(failure, 0.5, None) == {
        "result": False,
        "data": {"message": "boom", "error_type": "InferError"},
        "metadata": {"duration": 0.5, "content_type": None},
    }
    assert envelope.legacy_success(1, "json", 2.0) == {
        "status": True,
        "data": 1,
        "metadata": {"duration": 2.0, "data_type": "json"},
    }
    assert envelope.legacy_error(envelope.Failure(415, "UnsupportedMediaType", "no")) == {
        "status": False,
        "data": {"message": "no", "error_type": "InferError"},
    }
