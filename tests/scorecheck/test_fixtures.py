from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, List, Sequence, Tuple

import pytest

from scorecheck.fixtures.load import load_fixtures, select
from scorecheck.model import Case, FilePart, FixtureError


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(root: Path, *paths: Path) -> Tuple[List[Case], List[FixtureError]]:
    return load_fixtures(list(paths) or [root])


def load_ok(root: Path) -> List[Case]:
    cases, errors = load(root)
    assert errors == []
    return cases


def one_case(tmp_path: Path, text: str, name: str = "case.yaml") -> Case:
    write(tmp_path, name, text)
    [case] = load_ok(tmp_path)
    return case


def errors_of(tmp_path: Path, text: str, name: str = "case.yaml") -> List[Tuple[str, str]]:
    path = write(tmp_path, name, text)
    errors = [e for e in load(tmp_path)[1] if e.file == path]
    for error in errors:
        assert str(error).startswith(f"{tmp_path / name}: {error.key}: ")
    return [(e.key, e.message) for e in errors]


def only_error(tmp_path: Path, text: str, name: str = "case.yaml") -> Tuple[str, str]:
    errors = errors_of(tmp_path, text, name)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------------------------------------------------------
# Discovery and names


def test_discovers_recursively_sorted_and_skips_hidden(tmp_path: Path) -> None:
    minimal = "request: {}\n"
    for rel in [
        "b.yaml",
        "a/z.yml",
        "a/b.json",
        "_draft.yaml",
        ".hidden.yaml",
        "_inputs/x.yaml",
        "notes.txt",
    ]:
        write(tmp_path, rel, minimal if not rel.endswith(".json") else '{"request": {}}')
    cases = load_ok(tmp_path)
    assert [c.name for c in cases] == ["a/b.json", "a/z.yml", "b.yaml"]
    assert all(c.root == tmp_path and c.index is None for c in cases)


def test_cases_list_names_and_indices(tmp_path: Path) -> None:
    write(
        tmp_path,
        "multi.yaml",
        """
        cases:
          - request: {path: /a}
          - name: second one
            request: {path: /b}
        """,
    )
    cases = load_ok(tmp_path)
    assert [(c.name, c.index, c.request.path) for c in cases] == [
        ("multi.yaml[0]", 0, "/a"),
        ("second one", 1, "/b"),
    ]


def test_single_file_path_and_several_roots(tmp_path: Path) -> None:
    a = write(tmp_path, "one/a.yaml", "request: {}\n")
    write(tmp_path, "two/sub/b.yaml", "request: {}\n")
    cases, errors = load(tmp_path, a, tmp_path / "two", a)
    assert errors == []
    assert [(c.name, c.root) for c in cases] == [("a.yaml", a.parent), ("sub/b.yaml", tmp_path / "two")]


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    write(tmp_path, "good.yaml", "request: {}\n")
    cases, [error] = load(tmp_path)
    assert [c.name for c in cases] == ["good.yaml"]
    assert error.file.name == "bad.json"
    assert error.message.startswith("cannot read: ")


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    cases, errors = load(tmp_path, tmp_path / "nope")
    assert cases == []
    assert [(e.file, e.message) for e in errors] == [(tmp_path / "nope", "no such file or directory")]


def test_files_used_as_inputs_are_not_fixtures(tmp_path: Path) -> None:
    write(tmp_path, "inputs/payload.json", '{"data": [1, 2]}')
    (tmp_path / "inputs" / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    write(tmp_path, "inputs/expected.json", '{"output": [3]}')
    write(
        tmp_path,
        "case.yaml",
        "request: {body_file: inputs/payload.json}\nexpect: {body_file: inputs/expected.json}\n",
    )
    write(tmp_path, "other.yaml", "request: {body_file: inputs/latin1.json}\n")
    case, other = load_ok(tmp_path)
    assert case.request.body == b'{"data": [1, 2]}'
    assert other.request.body == b'{"name": "caf\xe9"}'


def test_duplicate_explicit_names_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "name: same\nrequest: {}\n")
    write(tmp_path, "b.yaml", "cases:\n  - name: same\n    request: {}\n  - name: d.yaml\n    request: {}\n")
    write(tmp_path, "c.yaml", "name: c\nrequest: {}\n")
    write(tmp_path, "d.yaml", "request: {}\n")
    cases, errors = load(tmp_path)
    assert [c.name for c in cases] == ["c", "d.yaml"]
    assert [(e.file.name, e.key) for e in errors] == [
        ("a.yaml", "name"),
        ("b.yaml", "cases[0].name"),
        ("b.yaml", "cases[1].name"),
    ]
    b = (tmp_path / "b.yaml").as_posix()
    assert errors[0].message == f"duplicate name 'same', also used in {b} (cases[0])"
    assert errors[2].message == f"duplicate name 'd.yaml', also used in {(tmp_path / 'd.yaml').as_posix()}"


def test_default_names_may_repeat_across_roots(tmp_path: Path) -> None:
    write(tmp_path, "r1/a.yaml", "request: {}\n")
    write(tmp_path, "r2/a.yaml", "request: {}\n")
    cases, errors = load(tmp_path, tmp_path / "r1", tmp_path / "r2")
    assert errors == []
    assert [c.name for c in cases] == ["a.yaml", "a.yaml"]


# ---------------------------------------------------------------------------------------------------------------
# Every key of the format


def test_defaults(tmp_path: Path) -> None:
    case = one_case(tmp_path, "request: {}\n")
    assert (case.request.method, case.request.path, case.request.body, case.request.body_source) == (
        "POST",
        "/score",
        None,
        None,
    )
    assert (case.expect.status, case.expect.body_kind, case.skip, case.tags, case.description) == (
        (200,),
        None,
        None,
        (),
        "",
    )


def test_top_level_keys(tmp_path: Path) -> None:
    case = one_case(
        tmp_path,
        """
        name: two rows scored
        description: free text
        tags: [smoke, regression]
        skip: "flaky upstream"
        request: {method: get, path: "/score?x=1"}
        """,
    )
    assert (case.name, case.description, case.tags, case.skip) == (
        "two rows scored",
        "free text",
        ("smoke", "regression"),
        "flaky upstream",
    )
    assert (case.request.method, case.request.path) == ("GET", "/score?x=1")


@pytest.mark.parametrize(("value", "expected"), [("true", "skipped"), ("false", None), ('""', "skipped")])
def test_skip_forms(tmp_path: Path, value: str, expected: Any) -> None:
    assert one_case(tmp_path, f"skip: {value}\nrequest: {{}}\n").skip == expected


def test_json_body_and_default_content_type(tmp_path: Path) -> None:
    case = one_case(tmp_path, 'request:\n  json: {"data": [[1, 2.5, "é"]], "d": 2024-01-01}\n')
    assert json.loads(case.request.body or b"") == {"data": [[1, 2.5, "é"]], "d": "2024-01-01"}
    assert case.request.headers == (("Content-Type", "application/json"),)
    assert case.request.body_source == "json"


def test_json_body_keeps_explicit_content_type(tmp_path: Path) -> None:
    case = one_case(tmp_path, "request:\n  headers: {content-type: application/x-custom}\n  json: [1]\n")
    assert case.request.headers == (("content-type", "application/x-custom"),)
    assert case.request.body == b"[1]"


def test_json_null_body(tmp_path: Path) -> None:
    assert one_case(tmp_path, "request: {json: null}\n").request.body == b"null"


def test_raw_text_body(tmp_path: Path) -> None:
    case = one_case(tmp_path, 'request: {body: "héllo\\n"}\n')
    assert (case.request.body, case.request.body_source, case.request.headers) == (
        b"h\xc3\xa9llo\n",
        "body",
        (),
    )


def test_base64_body_allows_folding(tmp_path: Path) -> None:
    case = one_case(tmp_path, "request:\n  body_base64: |\n    iVBORw0K\n    Ggo=\n")
    assert case.request.body == b"\x89PNG\r\n\x1a\n"


def test_body_file_relative_to_fixture(tmp_path: Path) -> None:
    (tmp_path / "sub" / "inputs").mkdir(parents=True)
    (tmp_path / "sub" / "inputs" / "cat.png").write_bytes(b"\x89PNG")
    (tmp_path / "shared.bin").write_bytes(b"up")
    write(
        tmp_path,
        "sub/case.yaml",
        "cases:\n  - request: {body_file: inputs/cat.png}\n  - request: {body_file: ../shared.bin}\n",
    )
    cases = load_ok(tmp_path)
    assert [(c.request.body, c.request.body_source) for c in cases] == [
        (b"\x89PNG", "body_file"),
        (b"up", "body_file"),
    ]


def test_query_pairs(tmp_path: Path) -> None:
    case = one_case(
        tmp_path,
        "request:\n  query: {a: 1, b: [x, y], f: 1.50, e: 1e3, t: true, n: null, s: '007', d: 2024-01-01}\n",
    )
    assert case.request.query == (
        ("a", "1"),
        ("b", "x"),
        ("b", "y"),
        ("f", "1.50"),
        ("e", "1e3"),
        ("t", "true"),
        ("n", ""),
        ("s", "007"),
        ("d", "2024-01-01"),
    )


def test_query_numbers_as_written_in_json_files(tmp_path: Path) -> None:
    text = '{"request": {"query": {"f": 1.50, "i": 10, "b": false}}, "expect": {"json": {"v": 1.50}}}'
    case = one_case(tmp_path, text, name="case.json")
    assert case.request.query == (("f", "1.50"), ("i", "10"), ("b", "false"))
    assert type(case.expect.body_value["v"]) is float


def test_headers(tmp_path: Path) -> None:
    case = one_case(tmp_path, "request:\n  headers: {X-Num: 5, X-List: [a, b], Authorization: Bearer x}\n")
    assert case.request.headers == (
        ("X-Num", "5"),
        ("X-List", "a"),
        ("X-List", "b"),
        ("Authorization", "Bearer x"),
    )


def test_form_and_files(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "a.png").write_bytes(b"A")
    (tmp_path / "inputs" / "b.txt").write_bytes(b"B")
    case = one_case(
        tmp_path,
        """
        request:
          form: {field: value, n: 2}
          files: {"file[]": [inputs/a.png, inputs/b.txt], single: inputs/a.png}
        """,
    )
    assert case.request.form == (("field", "value"), ("n", "2"))
    assert case.request.files == (
        FilePart("file[]", "a.png", b"A", "image/png"),
        FilePart("file[]", "b.txt", b"B", "text/plain"),
        FilePart("single", "a.png", b"A", "image/png"),
    )
    assert case.request.body_source == "form"
    assert case.request.body is None


def test_form_only_and_files_only(tmp_path: Path) -> None:
    (tmp_path / "x.zzz").write_bytes(b"X")
    write(tmp_path, "c.yaml", "cases:\n  - request: {form: {a: b}}\n  - request: {files: {f: x.zzz}}\n")
    cases = load_ok(tmp_path)
    assert [c.request.body_source for c in cases] == ["form", "form"]
    assert cases[1].request.files[0].content_type is None


def test_expect_status_forms(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        "cases:\n  - {request: {}, expect: {status: 201}}\n  - {request: {}, expect: {status: [200, 201, 5xx]}}\n"
        "  - {request: {}, expect: {status: 4XX}}\n",
    )
    assert [c.expect.status for c in load_ok(tmp_path)] == [(201,), (200, 201, "5xx"), ("4xx",)]


def test_expect_everything_else(tmp_path: Path) -> None:
    case = one_case(
        tmp_path,
        """
        request: {}
        expect:
          headers: {Content-Type: application/json, X-Ms-Request-Id: "/^[0-9a-f-]+$/"}
          json: {"output": [11.05]}
          schema: {type: object, required: [output]}
          tolerance: {abs: 1.0e-6, rel: 1.0e-6}
          ignore: ["$.meta.timestamp", "$.items[*].id"]
          max_latency_ms: 250
        """,
    )
    expect = case.expect
    assert expect.headers == (("Content-Type", "application/json"), ("X-Ms-Request-Id", "/^[0-9a-f-]+$/"))
    assert (expect.body_kind, expect.body_value) == ("json", {"output": [11.05]})
    assert expect.schema == {"type": "object", "required": ["output"]}
    assert (expect.tolerance.abs, expect.tolerance.rel) == (1e-6, 1e-6)
    assert expect.ignore == ("$.meta.timestamp", "$.items[*].id")
    assert expect.max_latency_ms == 250.0


@pytest.mark.parametrize(
    ("snippet", "kind", "value"),
    [
        ('json_subset: {"output": []}', "json_subset", {"output": []}),
        ('body: "exact text"', "body", "exact text"),
        ('body_regex: "^Healthy$"', "body_regex", "^Healthy$"),
        ('body_base64: "AAE="', "body_base64", b"\x00\x01"),
        ("body_file: expected.bin", "body_file", b"\xff"),
        ("json: null", "json", None),
    ],
)
def test_expect_body_kinds(tmp_path: Path, snippet: str, kind: str, value: Any) -> None:
    (tmp_path / "expected.bin").write_bytes(b"\xff")
    case = one_case(tmp_path, f"request: {{}}\nexpect:\n  {snippet}\n")
    assert (case.expect.body_kind, case.expect.body_value) == (kind, value)


def test_tolerance_partial_and_empty_expect(tmp_path: Path) -> None:
    case = one_case(tmp_path, "request: {}\nexpect:\n  tolerance: {rel: 0.01}\n")
    assert (case.expect.tolerance.abs, case.expect.tolerance.rel) == (0.0, 0.01)
    assert one_case(tmp_path, "request: {}\nexpect:\n").expect.status == (200,)


# ---------------------------------------------------------------------------------------------------------------
# Malformed fixtures: every problem, with file and key


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ("request: {}\nexpct: {}\n", "expct", "did you mean 'expect'?"),
        ("request: {metod: GET}\n", "request.metod", "did you mean 'method'?"),
        ("request: {}\nexpect: {json_subst: {}}\n", "expect.json_subst", "did you mean 'json_subset'?"),
        ("request: {}\nexpect: {tolerance: {ab: 1}}\n", "expect.tolerance.ab", "did you mean 'abs'?"),
        ("request: {}\nexpect: {tolerance: {zzz: 1}}\n", "expect.tolerance.zzz", "valid keys: abs, rel"),
        ("request: {}\nbanana: 1\n", "banana", "valid keys: name, description, tags, skip, request, expect"),
    ],
)
def test_unknown_keys_at_every_level(tmp_path: Path, text: str, key: str, hint: str) -> None:
    bad_key, message = only_error(tmp_path, text)
    assert bad_key == key
    assert message == f"unknown key {key.rsplit('.', 1)[-1]!r} ({hint})"


def test_unknown_key_inside_cases_list(tmp_path: Path) -> None:
    key, message = only_error(tmp_path, "cases:\n  - request: {}\n  - request: {}\n    tag: [x]\n")
    assert key == "cases[1].tag"
    assert "did you mean 'tags'?" in message


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("request: []\n", "request", "must be a mapping, got list"),
        ("request: {}\nname: 3\n", "name", "must be a string, got number"),
        ("request: {}\nname: ' '\n", "name", "must not be empty"),
        ("request: {}\ndescription: [x]\n", "description", "must be a string, got list"),
        ("request: {}\ntags: smoke\n", "tags", "must be a list of strings, got string"),
        ("request: {}\ntags: [1]\n", "tags[0]", "must be a string, got number"),
        ("request: {}\nskip: 1\n", "skip", "must be a reason string or true, got number"),
        ("request: {method: 1}\n", "request.method", "must be a string, got number"),
        ("request: {method: 'GE T'}\n", "request.method", "'GE T' is not an HTTP method"),
        ("request: {path: score}\n", "request.path", "must start with '/', got 'score'"),
        ("request: {query: [a]}\n", "request.query", "must be a mapping, got list"),
        (
            "request: {query: {a: {b: 1}}}\n",
            "request.query.a",
            "must be a scalar or a list of scalars, got mapping",
        ),
        ("request: {query: {1: a}}\n", "request.query.1", "names must be strings, got number (quote it)"),
        ("request: {headers: x}\n", "request.headers", "must be a mapping, got string"),
        ("request: {body: 1}\n", "request.body", "must be a string, got number"),
        ("request: {files: [a]}\n", "request.files", "must be a mapping of field name to path(s), got list"),
        ("request: {}\nexpect: []\n", "expect", "must be a mapping, got list"),
        ("request: {}\nexpect: {headers: {X: [a]}}\n", "expect.headers.X", "must be a scalar, got list"),
        ("request: {}\nexpect: {body: 1}\n", "expect.body", "must be a string, got number"),
        ("request: {}\nexpect: {schema: [1]}\n", "expect.schema", "must be a JSON Schema mapping, got list"),
        (
            "request: {}\nexpect: {tolerance: 0.1}\n",
            "expect.tolerance",
            "must be a mapping with 'abs' and/or 'rel', got number",
        ),
        (
            "request: {}\nexpect: {tolerance: {abs: '1'}}\n",
            "expect.tolerance.abs",
            "must be a number, got string",
        ),
        ("request: {}\nexpect: {tolerance: {rel: -1}}\n", "expect.tolerance.rel", "must not be negative"),
        (
            "request: {}\nexpect: {tolerance: {abs: .inf}}\n",
            "expect.tolerance.abs",
            "must be a finite number",
        ),
        (
            "request: {}\nexpect: {ignore: '$.a'}\n",
            "expect.ignore",
            "must be a list of JSON paths, got string",
        ),
        (
            "request: {}\nexpect: {ignore: [1]}\n",
            "expect.ignore[0]",
            "must be a JSON path string, got number",
        ),
        (
            "request: {}\nexpect: {max_latency_ms: true}\n",
            "expect.max_latency_ms",
            "must be a number, got boolean",
        ),
        ("request: {}\nexpect: {max_latency_ms: 0}\n", "expect.max_latency_ms", "must be greater than 0"),
    ],
)
def test_wrong_types(tmp_path: Path, text: str, key: str, message: str) -> None:
    assert only_error(tmp_path, text) == (key, message)


def test_more_than_one_body_source(tmp_path: Path) -> None:
    key, message = only_error(tmp_path, "request: {json: {}, body: x, form: {a: 1}}\n")
    assert key == "request"
    assert message == "more than one body source: 'json', 'body', 'form' (use at most one)"
    key, message = only_error(tmp_path, "request: {}\nexpect: {json: {}, body_regex: x}\n")
    assert (key, message) == (
        "expect",
        "more than one body expectation: 'json', 'body_regex' (use at most one)",
    )


def test_missing_files_and_escapes(tmp_path: Path) -> None:
    (tmp_path.parent / "outside.bin").write_bytes(b"secret")
    errors = errors_of(
        tmp_path,
        """
        cases:
          - request: {body_file: nope.bin}
          - request: {body_file: ../outside.bin}
          - request: {body_file: /etc/hostname}
          - request: {files: {f: [missing.png]}}
          - request: {}
            expect: {body_file: ../outside.bin}
        """,
    )
    assert errors == [
        (
            "cases[0].request.body_file",
            "file 'nope.bin' does not exist (paths are relative to the fixture file)",
        ),
        ("cases[1].request.body_file", f"'../outside.bin' escapes the fixtures root {tmp_path.as_posix()}"),
        ("cases[2].request.body_file", f"'/etc/hostname' escapes the fixtures root {tmp_path.as_posix()}"),
        (
            "cases[3].request.files.f",
            "file 'missing.png' does not exist (paths are relative to the fixture file)",
        ),
        ("cases[4].expect.body_file", f"'../outside.bin' escapes the fixtures root {tmp_path.as_posix()}"),
    ]


def test_symlink_out_of_the_root_is_an_escape(tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    root.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"s")
    (root / "link.bin").symlink_to(tmp_path / "secret.bin")
    key, message = only_error(root, "request: {body_file: link.bin}\n")
    assert key == "request.body_file"
    assert "escapes the fixtures root" in message


def test_bad_base64(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "request: {body_base64: 'abc'}\nexpect: {body_base64: '!!'}\n")
    assert [key for key, _ in errors] == ["request.body_base64", "expect.body_base64"]
    assert all(message.startswith("invalid base64: ") for _, message in errors)


@pytest.mark.parametrize("status", ["99", "600", "'200'", "6xx", "true", "[]", "[200, abc]", "2.5"])
def test_invalid_status(tmp_path: Path, status: str) -> None:
    key, message = only_error(tmp_path, f"request: {{}}\nexpect: {{status: {status}}}\n")
    assert key == "expect.status"
    assert message == "must not be an empty list" or message.startswith("invalid status ")


def test_invalid_json_schema(tmp_path: Path) -> None:
    key, message = only_error(
        tmp_path, "request: {}\nexpect:\n  schema: {type: object, properties: {a: {type: nonsense}}}\n"
    )
    assert key == "expect.schema"
    assert message.startswith("invalid JSON Schema at properties/a/type: 'nonsense' is not valid")


@pytest.mark.parametrize(
    ("snippet", "key"),
    [("body_regex: '('", "expect.body_regex"), ("headers: {X-Id: '/[a-/'}", "expect.headers.X-Id")],
)
def test_invalid_regex(tmp_path: Path, snippet: str, key: str) -> None:
    bad_key, message = only_error(tmp_path, f"request: {{}}\nexpect: {{{snippet}}}\n")
    assert bad_key == key
    assert message.startswith("invalid regular expression ")


@pytest.mark.parametrize("path", ["a.b", "$..x", "$.items[", "$[x]"])
def test_invalid_ignore_path(tmp_path: Path, path: str) -> None:
    key, message = only_error(tmp_path, f"request: {{}}\nexpect: {{ignore: ['{path}']}}\n")
    assert key == "expect.ignore[0]"
    assert message.startswith("invalid ignore path: ")


def test_yaml_parse_error_has_line_number(tmp_path: Path) -> None:
    assert only_error(tmp_path, "request:\n  path: /a\n  json: [1, 2\nexpect: {}\n") == (
        "line 4",
        "invalid YAML: expected ',' or ']', but got ':' (column 7)",
    )


def test_yaml_duplicate_key_is_an_error(tmp_path: Path) -> None:
    key, message = only_error(tmp_path, "request: {}\nexpect: {}\nexpect: {status: 500}\n")
    assert key == "line 3"
    assert "found duplicate key 'expect'" in message


def test_json_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = '{"request": {"path": "/a", "path": "/b"}}'
    assert only_error(tmp_path, text, name="case.json") == ("(file)", "invalid JSON: duplicate key 'path'")


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        "c.yaml",
        """
        cases:
          - &base {request: {path: /a, json: [1]}, expect: {status: 201}}
          - <<: *base
            name: other
            expect: {status: 202}
        """,
    )
    cases = load_ok(tmp_path)
    assert [(c.name, c.request.path, c.expect.status) for c in cases] == [
        ("c.yaml[0]", "/a", (201,)),
        ("other", "/a", (202,)),
    ]


def test_json_parse_error_has_line_number(tmp_path: Path) -> None:
    assert only_error(tmp_path, '{\n  "request": {},\n}\n', name="case.json") == (
        "line 3",
        "invalid JSON: Expecting property name enclosed in double quotes (column 1)",
    )


@pytest.mark.parametrize(
    ("name", "text"), [("e.yaml", ""), ("e.yml", "\n# only a comment\n"), ("e.json", "  \n")]
)
def test_empty_files(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    cases, errors = load(tmp_path)
    message = "empty file (only comments)" if "#" in text else "empty file"
    assert [(e.key, e.message) for e in errors] == [("(file)", message)]
    assert cases == []


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("- request: {}\n", "(file)", "must be a mapping with 'request' or 'cases', got list"),
        ("name: x\n", "request", "missing required key 'request' (or 'cases' for several cases)"),
        ("cases: {request: {}}\n", "cases", "must be a list of cases, got mapping"),
        ("cases: []\n", "cases", "is empty"),
        ("cases: [3]\n", "cases[0]", "must be a mapping with 'request', got number"),
        ("cases: [{name: a}]\n", "cases[0].request", "missing required key 'request'"),
        (
            "tags: [x]\ncases: [{request: {}}]\n",
            "tags",
            "key 'tags' is not allowed next to 'cases'; put it inside each case",
        ),
    ],
)
def test_file_shape_errors(tmp_path: Path, text: str, key: str, message: str) -> None:
    assert only_error(tmp_path, text) == (key, message)


def test_values_json_cannot_carry(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "request:\n  json: {b: !!binary AAE=, s: !!set {a}, 1: x}\n")
    assert errors == [
        ("request.json.b", "bytes is not a JSON value"),
        ("request.json.s", "set is not a JSON value"),
        ("request.json", "JSON object keys must be strings, got number 1 (quote it)"),
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", "request: {}\n")
    write(tmp_path, "broken.json", "{")
    errors = errors_of(
        tmp_path,
        """
        nme: x
        request: {metod: GET, body: 1, json: {}}
        expect: {status: 999, tolerance: {abss: 1}, schema: {type: 12}, ignore: [x]}
        """,
        name="many.yaml",
    )
    assert [key for key, _ in errors] == [
        "nme",
        "request.metod",
        "request",
        "expect.status",
        "expect.schema",
        "expect.tolerance.abss",
        "expect.ignore[0]",
    ]
    cases, all_errors = load(tmp_path)
    assert [c.name for c in cases] == ["good.yaml"]
    assert {e.file.name for e in all_errors} == {"broken.json", "many.yaml"}


def test_error_string_names_file_and_key(tmp_path: Path) -> None:
    write(tmp_path, "sub/x.yaml", "request: {}\nexpct: {}\n")
    [error] = load(tmp_path)[1]
    assert str(error) == f"{tmp_path / 'sub/x.yaml'}: expct: unknown key 'expct' (did you mean 'expect'?)"


# ---------------------------------------------------------------------------------------------------------------
# Selection


def make_cases(names: Sequence[str], tags: Sequence[Sequence[str]] = ()) -> List[Case]:
    from scorecheck.model import Expectation, RequestSpec

    tag_list = list(tags) or [()] * len(names)
    return [
        Case(n, Path(n), Path(), None, RequestSpec(), Expectation(), tags=tuple(t))
        for n, t in zip(names, tag_list)
    ]


NAMES = ["batch/ok.json", "batch/bad_shape.json", "single/OK.yaml", "health.yaml[0]", "two rows scored"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("", NAMES),
        ("ok", ["batch/ok.json", "single/OK.yaml"]),
        ("batch and not bad", ["batch/ok.json"]),
        ("health or single", ["single/OK.yaml", "health.yaml[0]"]),
        ("not (batch or single)", ["health.yaml[0]", "two rows scored"]),
        ("(ok or bad) and json", ["batch/ok.json", "batch/bad_shape.json"]),
        ("not not ok", ["batch/ok.json", "single/OK.yaml"]),
        ("'rows scored'", ["two rows scored"]),
        ('"yaml[0]"', ["health.yaml[0]"]),
        ("yaml[0]", ["health.yaml[0]"]),
    ],
)
def test_keyword_expressions(expression: str, expected: List[str]) -> None:
    assert [c.name for c in select(make_cases(NAMES), [expression], [])] == expected


def test_several_keywords_must_all_match() -> None:
    assert [c.name for c in select(make_cases(NAMES), ["batch", "ok"], [])] == ["batch/ok.json"]


def test_tags_match_any_and_combine_with_keywords() -> None:
    cases = make_cases(["a", "b", "c"], [["smoke"], ["slow", "regression"], []])
    assert [c.name for c in select(cases, [], ["smoke", "regression"])] == ["a", "b"]
    assert [c.name for c in select(cases, ["not a"], ["smoke", "regression"])] == ["b"]
    assert select(cases, [], ["nothing"]) == []


@pytest.mark.parametrize("expression", ["a and", "(a", "or", ")", "not", "a b", "a )", "and a"])
def test_bad_keyword_expressions(expression: str) -> None:
    with pytest.raises(ValueError, match="invalid -k expression"):
        select(make_cases(NAMES), [expression], [])
