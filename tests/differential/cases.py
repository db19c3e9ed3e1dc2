"""What is sent: the sample scripts both servers are started for, and the requests each one gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from support import REPO_ROOT, SCRIPTS_DIR

JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
BOUNDARY = "diffboundary"


@dataclass(frozen=True)
class Probe:
    """One request, sent identically to both servers."""

    name: str
    method: str
    path: str = "/score"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


def probe(
    name: str,
    method: str,
    path: str = "/score",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Probe:
    return Probe(name, method, path, tuple((headers or {}).items()), body)


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _multipart() -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nfile content\r\n",
        f"--{BOUNDARY}--\r\n",
    ]
    return "".join(parts).encode()


HUGE_INT = b"1" + b"0" * 4400  # more digits than Python's int-from-text limit (4,300)
DEEP = _deep(5000)


def routing_probes() -> list[Probe]:
    """Server routes: health, methods, unknown paths, swagger versions."""
    return [
        probe("get-health", "GET", "/"),
        probe("head-health", "HEAD", "/"),
        probe("options-health", "OPTIONS", "/"),
        probe("post-health", "POST", "/"),
        probe("unknown-path", "GET", "/nope"),
        probe("score-slash", "GET", "/score/"),
        probe("score-upper", "POST", "/SCORE", JSON, b"{}"),
        probe("double-slash", "GET", "//score"),
        probe("put-score", "PUT", "/score", JSON, b"{}"),
        probe("delete-score", "DELETE"),
        probe("head-score", "HEAD"),
        probe("options-score", "OPTIONS"),
        probe("swagger", "GET", "/swagger.json"),
        probe("swagger-3", "GET", "/swagger.json?version=3"),
        probe("swagger-3.1", "GET", "/swagger.json?version=3.1"),
        probe("swagger-2.0", "GET", "/swagger.json?version=2.0"),
        probe("swagger-4", "GET", "/swagger.json?version=4"),
        probe("swagger-post", "POST", "/swagger.json"),
    ]


def input_probes(sample: bytes) -> list[Probe]:
    """Normal, edge and hostile inputs to /score; `sample` is a body the script accepts."""
    return [
        probe("get-score", "GET"),
        probe("get-score-query", "GET", "/score?a=1&b=[1,2]&c=x&c=y&d=null"),
        probe("post-sample", "POST", "/score", JSON, sample),
        probe(
            "post-sample-charset",
            "POST",
            "/score",
            {"Content-Type": "application/json; charset=utf-8"},
            sample,
        ),
        probe("post-sample-vnd", "POST", "/score", {"Content-Type": "application/vnd.api+json"}, sample),
        probe("post-sample-text", "POST", "/score", TEXT, sample),
        probe("post-no-content-type", "POST", "/score", None, sample),
        probe("post-bad-json", "POST", "/score", JSON, b"{bad json"),
        probe("post-empty", "POST", "/score", JSON, b""),
        probe("post-list", "POST", "/score", JSON, b"[1, 2]"),
        probe("post-null", "POST", "/score", JSON, b"null"),
        probe(
            "post-form", "POST", "/score", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2"
        ),
        probe(
            "post-multipart",
            "POST",
            "/score",
            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            _multipart(),
        ),
        probe("post-non-utf8", "POST", "/score", {"Content-Type": "application/octet-stream"}, b"\xff\xfe"),
        probe("post-non-utf8-json", "POST", "/score", JSON, b'{"data": "\xff"}'),
        probe(
            "post-latin1-charset",
            "POST",
            "/score",
            {"Content-Type": "application/json; charset=latin-1"},
            b'{"data": "\xe9"}',
        ),
        probe("post-lone-surrogate", "POST", "/score", JSON, b'{"data": "\\ud800"}'),
        probe("post-deep-array", "POST", "/score", JSON, DEEP),
        probe("post-deep-object", "POST", "/score", JSON, b'{"data": ' + DEEP + b"}"),
        probe("post-huge-int", "POST", "/score", JSON, b'{"data": ' + HUGE_INT + b"}"),
        probe("post-huge-int-bare", "POST", "/score", JSON, HUGE_INT),
        probe("post-nan-literal", "POST", "/score", JSON, b'{"data": NaN}'),
        probe("post-bom", "POST", "/score", JSON, b"\xef\xbb\xbf" + sample),
    ]


def id_probes() -> list[Probe]:
    """Request id headers on every route, at the 100-character limit and over it on known routes."""
    long_id, ok_id = "r" * 101, "r" * 100
    probes = [probe("trace-id", "GET", "/", {"TraceId": "T1"})]
    for path in ("/", "/score", "/nope", "/swagger.json"):
        probes += [
            probe(f"x-request-id {path}", "GET", path, {"x-request-id": "rid-1"}),
            probe(f"x-ms-client-request-id {path}", "GET", path, {"x-ms-client-request-id": "cid-1"}),
            probe(f"x-ms-request-id {path}", "GET", path, {"x-ms-request-id": "mid-1"}),
            probe(
                f"all ids {path}",
                "GET",
                path,
                {"x-request-id": "a", "x-ms-request-id": "b", "x-ms-client-request-id": "c"},
            ),
            probe(
                f"100-char ids {path}", "GET", path, {"x-request-id": ok_id, "x-ms-client-request-id": ok_id}
            ),
            # An empty id is sent, not missing: upstream echoes nothing for it rather than making one up.
            probe(f"empty x-request-id {path}", "GET", path, {"x-request-id": ""}),
            probe(
                f"empty x-request-id, client id {path}",
                "GET",
                path,
                {"x-request-id": "", "x-ms-client-request-id": "c"},
            ),
            probe(f"empty x-ms-request-id {path}", "GET", path, {"x-ms-request-id": ""}),
            probe(f"empty x-ms-client-request-id {path}", "GET", path, {"x-ms-client-request-id": ""}),
            probe(f"empty TraceId {path}", "GET", path, {"TraceId": ""}),
        ]
    for path in ("/", "/score", "/swagger.json"):
        probes += [
            probe(f"long x-request-id {path}", "GET", path, {"x-request-id": long_id}),
            probe(f"long x-ms-client-request-id {path}", "GET", path, {"x-ms-client-request-id": long_id}),
        ]
    return probes


def long_id_probes(path: str) -> list[Probe]:
    """Each over-long id header on `path`."""
    names = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id")
    return [probe(f"long {name} {path}", "GET", path, {name: "r" * 101}) for name in names]


def text_probes(kinds: list[str]) -> list[Probe]:
    """Undecorated scripts that pick their outcome from the text body."""
    return [probe(f"kind={kind}", "POST", "/score", TEXT, kind.encode()) for kind in kinds]


def raw_probes() -> list[Probe]:
    kinds = ["png", "error", "header", "flagged", "status", "none", "jsonstr", "flask"]
    return [
        *(probe(f"raw kind={kind}", "GET", f"/score?kind={kind}") for kind in kinds),
        probe(
            "raw echo post",
            "POST",
            "/score?x=1",
            {"Content-Type": "application/json", "X-Foo": "bar"},
            b'{"a": 1}',
        ),
        probe("raw options", "OPTIONS", "/score"),
        probe("raw head", "HEAD", "/score"),
        probe("raw put", "PUT", "/score", JSON, b"{}"),
    ]


ORIGINS = "http://a.com, http://b.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def cors_probes() -> list[Probe]:
    probes = []
    for origin in ("http://a.com", "http://B.com", "http://evil.com"):
        probes += [
            probe(f"preflight /score from {origin}", "OPTIONS", "/score", {"Origin": origin, **PREFLIGHT}),
            probe(f"preflight / from {origin}", "OPTIONS", "/", {"Origin": origin, **PREFLIGHT}),
            probe(f"GET / from {origin}", "GET", "/", {"Origin": origin}),
            probe(f"POST /score from {origin}", "POST", "/score", {"Origin": origin, **JSON}, b"{}"),
            probe(f"swagger from {origin}", "GET", "/swagger.json", {"Origin": origin}),
        ]
    return probes


SCRIPT_SET_CORS = [
    probe("script sets ACAO, POST from a.com", "POST", "/score", {"Origin": "http://a.com", **JSON}, b"{}")
]


@dataclass(frozen=True)
class Sample:
    """A script both servers can serve, with a body it accepts and its own extra requests."""

    script: Path
    sample: bytes = b'{"data": [1, 2]}'
    extra: tuple[Probe, ...] = ()
    args: tuple[str, ...] = ()
    cwd_is_script_dir: bool = False
    env: dict[str, str] = field(default_factory=dict)
    decorated: bool = False  # run() has @input_schema: the server parses the JSON body itself

    @property
    def name(self) -> str:
        return str(self.script.relative_to(REPO_ROOT))


def _s(name: str, **kwargs: object) -> Sample:
    return Sample(SCRIPTS_DIR / name, **kwargs)  # type: ignore[arg-type]


OUTCOME_KINDS = [
    "none", "string", "list", "unicode", "nan", "inf", "set", "numpy", "numpy-scalar",
    "deep", "circular", "response", "response-json", "response-500", "raise", "print",
]  # fmt: skip

SAMPLES = [
    _s("hello.py"),
    _s("echo.py"),
    _s("undecorated.py"),
    _s("swagger_undecorated.py"),
    _s("raise_error.py"),
    _s("logging_user.py"),
    _s("printing.py"),
    _s("unified_probe.py"),
    _s("returns.py", extra=tuple(text_probes(["none", "string", "list", "nan", "inf", "set", "numpy"]))),
    _s("outcomes.py", extra=tuple(text_probes(OUTCOME_KINDS))),
    _s(
        "schema.py",
        decorated=True,
        sample=b'{"data": [{"a": 1, "b": "x"}], "scale": 2.0}',
        extra=(
            probe("schema no scale", "POST", "/score", JSON, b'{"data": [{"a": 2, "b": "y"}]}'),
            probe("schema missing data", "POST", "/score", JSON, b'{"scale": 2}'),
            probe("schema wrong type", "POST", "/score", JSON, b'{"data": "not a list"}'),
            probe("schema query", "GET", '/score?data=[{"a":1,"b":"x"}]&scale=2'),
        ),
    ),
    _s("mixed_list.py", decorated=True, sample=b'{"data": [1, "a"]}'),
    _s("swagger_mixed.py", decorated=True, sample=b'{"data": [2, "b"]}'),
    _s("numpy_schema.py", decorated=True, sample=b'{"data": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]}'),
    _s("swagger_decorated.py", decorated=True, sample=b'{"data": [1, 2, 3]}'),
    _s("pandas_schema.py", decorated=True, sample=b'{"data": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}'),
    _s("driver_outer.py", decorated=True, sample=b'{"data": [3, 4]}'),
    _s("raw.py", extra=tuple(raw_probes())),
    _s(
        "raw_introspect.py",
        extra=(
            probe(
                "introspect form",
                "POST",
                "/score?q=1",
                {"Content-Type": "application/x-www-form-urlencoded"},
                b"a=1&b=2",
            ),
        ),
    ),
    _s("prop_ok_raw.py"),
    _s("prop_ok_schema.py", decorated=True, sample=b'{"data": [[1.0, 2.0, 3.0]], "scale": 2.0}'),
    _s("prop_ok_floats.py", sample=b'{"logits": [1.0, 2.0, 0.5]}'),
    _s("prop_ok_validating.py", sample=b'{"data": [1, 2], "weights": [0.5, 2]}'),
    _s(
        "prop_bad_output.py",
        decorated=True,
        sample=b'{"data": [1.0, 2.0]}',
        extra=(probe("bad output", "POST", "/score", JSON, b'{"data": [-1.0]}'),),
    ),
    _s("prop_empty_list.py", extra=(probe("empty list", "POST", "/score", JSON, b'{"data": []}'),)),
    _s(
        "prop_nan.py",
        decorated=True,
        sample=b'{"data": [1.0, 3.0]}',
        extra=(probe("zero sum", "POST", "/score", JSON, b'{"data": [0.0]}'),),
    ),
    _s("prop_kills_worker.py"),
    _s("prop_slow_batches.py"),
    _s("plugin_echo.py"),
    _s("plugin_schema.py", decorated=True, sample=b'{"data": [{"rooms": 3, "area": 70.5}]}'),
    _s("sc_echo.py", extra=(probe("sc_echo raise", "POST", "/score", JSON, b'{"raise": true}'),)),
    _s("slow_init.py"),
    _s("sleep.py", sample=b'{"seconds": 0.01}'),
    _s("with_helper/score.py", cwd_is_script_dir=True),
    Sample(
        REPO_ROOT / "fixtures" / "housing" / "score.py",
        decorated=True,
        sample=b'{"data": [[3, 70, 20, 5], [4, 95.5, 3, 12]]}',
        args=("--model_dir", str(REPO_ROOT / "fixtures" / "housing" / "model")),
        extra=(
            probe("housing wrong shape", "POST", "/score", JSON, b'{"data": [[1, 2]]}'),
            probe("housing overflow", "POST", "/score", JSON, b'{"data": [[1e308, 1e308, 1e308, 1e308]]}'),
        ),
    ),
]


def probes_for(sample: Sample) -> list[Probe]:
    if sample.script.name == "sleep.py":
        # Every other body makes it sleep 3 s; the sample answers at once.
        return [probe("post-sample", "POST", "/score", JSON, sample.sample), *routing_probes()]
    return [*routing_probes(), *input_probes(sample.sample), *sample.extra]


# Scripts that must not boot; both servers are compared on exit code and the message that says why.
# Keys are paths under tests/scripts/.
BOOT_FAILURES = {
    "init_fails.py": "User's init function failed",
    "no_init.py": "does not have a init() function defined",
    "no_run.py": "does not have a run() function defined",
    "syntax_error.py": "Failed to import user script because it raised an unhandled exception",
    "varargs_run.py": "run() cannot accept positional-only arguments, *args, or **kwargs.",
    "run_no_args.py": "run() needs to accept an argument for input data.",
    "run_only_headers.py": 'run() needs to accept an argument other than "request_headers".',
    "raw_and_schema.py": "run() cannot be decorated with both @rawhttp and @input_schema",
    "sc_init_fails.py": "User's init function failed",
    "plugin_init_fails.py": "User's init function failed",
}

SAMPLES.append(_s("model_dir.py", args=("--model_dir", str(REPO_ROOT / "tests" / "data" / "model_dir"))))

# Scripts only ours serves, each an allowed difference: (path under tests/scripts/, run from its own folder).
OURS_ONLY = {"contrib_imports.py": False, "with_shadow/score.py": True}
