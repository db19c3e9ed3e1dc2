"""The one frozen RunConfig, built from the parsed command line and `[tool.scorecheck]` in pyproject.toml.

This is the only module that interprets settings: the command line wins over pyproject.toml, which wins over
the defaults. Paths written in pyproject.toml are relative to that file, so a setting means the same thing
whichever subdirectory the gate is started from.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from .compare import parse_path
from .phases.checks import select_checks
from .serverproc.secrets import expand
from .shards import Shard, parse_shard, shard_examples, shard_seed
from .volatile import DEFAULT_IGNORE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

DEFAULT_JUNIT_XML = "TEST-scorecheck.xml"
DEFAULT_STARTUP_TIMEOUT = 60.0
DEFAULT_REQUEST_TIMEOUT = 30.0
FORMATS = ("text", "json")
# The property phase: a fixed seed, so a CI run is reproducible and a failure can be replayed with --seed.
DEFAULT_SEED = 42
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_MAX_TIME = 30.0
DEFAULT_SHRINK_TIME = 10.0
DEFAULT_SAVE_FAILURES = ".scorecheck/failures"
DEFAULT_BASELINE_MAX_REQUESTS = 300
SEVERITIES = ("warning", "failure")
# Every duration is a bound the gate keeps; past a day, clocks and sockets overflow (and no CI job waits).
MAX_SECONDS = 86_400.0
# option -> (the RunConfig field, the largest value allowed); each must also be finite and greater than 0.
DURATIONS: Dict[str, Tuple[str, float]] = {
    "startup-timeout": ("startup_timeout", MAX_SECONDS),
    "request-timeout": ("request_timeout", MAX_SECONDS),
    "max-time": ("max_time", MAX_SECONDS),
    "shrink-time": ("shrink_time", MAX_SECONDS),
    "max-latency-ms": ("max_latency_ms", MAX_SECONDS * 1000),
    "max-startup-s": ("max_startup_s", MAX_SECONDS),
}
DEFAULT_MAX_MEMORY_GROWTH = 20.0  # kB per request served (phases/growth.py)
MAX_MEMORY_GROWTH = 1e9  # kB per request: a terabyte, far past any worker


class ConfigError(Exception):
    """A setting that cannot be used; the CLI reports it as a usage error."""


@dataclass(frozen=True)
class RunConfig:
    command: str = "run"  # "run" or "record"
    entry_script: Optional[str] = None  # as given (relative paths stay relative); None with --target only
    fixtures: Tuple[str, ...] = ()
    model_dir: Optional[str] = None
    env: Tuple[Tuple[str, str], ...] = ()
    server_args: Tuple[str, ...] = ()
    server_command: Tuple[str, ...] = ()  # empty: the `azmlinfsrv` beside this interpreter
    junit_xml: Optional[str] = DEFAULT_JUNIT_XML
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    keywords: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ()
    exitfirst: bool = False
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    format: str = "text"
    target: Optional[str] = None
    headers: Tuple[Tuple[str, str], ...] = ()  # may hold credentials: never print or report the values
    # --header and --env as typed on the command line, `${NAME}` references unexpanded (for replay commands)
    cli_headers: Tuple[Tuple[str, str], ...] = ()
    cli_env: Tuple[Tuple[str, str], ...] = ()
    update: bool = False
    ignore: Tuple[str, ...] = ()  # JSON paths ignored in every fixture, besides the volatile defaults
    default_ignore: bool = True  # volatile.DEFAULT_IGNORE applies
    color: bool = True  # allowed at all (NO_COLOR unset); the console still requires a TTY
    pyproject: Optional[str] = None  # the file settings were read from
    # the property phase (`run` only)
    properties: bool = True
    seed: Optional[int] = None  # None: DEFAULT_SEED (see `property_seed`)
    max_examples: int = DEFAULT_MAX_EXAMPLES
    max_time: float = DEFAULT_MAX_TIME  # seconds for the whole phase, shrinking included
    shrink_time: float = DEFAULT_SHRINK_TIME  # seconds spent minimising failures, within max_time
    checks: Tuple[str, ...] = ()  # empty: the default checks; "all": every check
    exclude_checks: Tuple[str, ...] = ()
    max_latency_ms: Optional[float] = None
    save_failures: Optional[str] = DEFAULT_SAVE_FAILURES  # None: failures are not written
    hostile_severity: str = "warning"  # how a 5xx or bare NaN answer to a hostile request counts
    input_schema: Optional[str] = None  # a JSON Schema of the request body, for an undecorated script
    max_batch: Optional[int] = None  # the largest batch of the near tier's ladder (None: 100x or 1 MB)
    hypothesis_database: Optional[str] = (
        None  # None: no example database (reproducibility comes from the seed)
    )
    # `record` only
    inputs: Tuple[str, ...] = ()
    out_dir: Optional[str] = None
    force: bool = False
    method: str = "POST"
    path: str = "/score"
    shard: Optional[Shard] = None  # `run` only: replay this share of the cases, search this share of examples
    html: Optional[str] = None  # `run` only: the self-contained HTML report's path (None: none written)
    # the behaviour diff against the baseline (`run` only)
    baseline: Optional[str] = None  # --baseline OLD_SCORE_PY: the released script, started as a second server
    baseline_target: Optional[str] = None  # --baseline-target URL: a deployed baseline
    baseline_max_requests: int = DEFAULT_BASELINE_MAX_REQUESTS
    accepted_changes: Optional[str] = None  # None: scorecheck-accepted-changes.yaml beside pyproject.toml
    accept_changes: bool = False  # write every change found into the accepted-changes file
    # the static pitfall checks before the server starts (`run` only)
    lint: bool = True
    strict_lint: bool = False  # findings fail the gate instead of warning
    # checks of the server process as a whole (`run` with a server it starts)
    memory_check: bool = True
    max_memory_growth: float = DEFAULT_MAX_MEMORY_GROWTH  # kB per request, sustained
    max_startup_s: Optional[float] = None  # launch to ready; None: measured and reported, not limited


# ---------------------------------------------------------------------------------------------------------------
# pyproject.toml


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml in `start` or above it."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_settings(pyproject: Path) -> Dict[str, Any]:
    """The `[tool.scorecheck]` table, keys normalised to dashes (`model_dir` reads as `model-dir`)."""
    try:
        with pyproject.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc}") from exc
    table = data.get("tool", {}).get("scorecheck", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.scorecheck] must be a table")
    settings = {str(key).replace("_", "-"): value for key, value in table.items()}
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        known = ", ".join(sorted(_SETTINGS))
        raise ConfigError(f"{pyproject}: [tool.scorecheck]: unknown key {unknown[0]!r} (known keys: {known})")
    return settings


def _path(value: Any, base: Path, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"[tool.scorecheck] {key}: must be a non-empty path string")
    # Relative to pyproject.toml, then shown relative to the working directory when that is shorter.
    full = base / value
    relative = os.path.relpath(full)
    return relative if not relative.startswith("..") else str(full)


def _strings(value: Any, key: str) -> Tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"[tool.scorecheck] {key}: must be a string or a list of strings")
    return tuple(items)


def check_duration(label: str, value: float, limit: float) -> float:
    """`value` when it is a usable bound: finite, greater than 0 and at most `limit` (NaN fails every test)."""
    if not (0 < value <= limit):
        raise ConfigError(f"{label}: must be a number greater than 0 and at most {limit:g}, got {value:g}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"[tool.scorecheck] {key}: must be a number greater than 0")
    return check_duration(f"[tool.scorecheck] {key}", float(value), DURATIONS[key][1])


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"[tool.scorecheck] {key}: must be true or false")
    return value


def _table(value: Any, key: str) -> Tuple[Tuple[str, str], ...]:
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        pairs = [parse_assignment(item, key) for item in _strings(value, key)]
    return tuple((name, _expand(text, f"[tool.scorecheck] {key}")) for name, text in pairs)


def _expand(text: str, key: str) -> str:
    """`${NAME}` from the environment, so that pyproject.toml or a command line can name a CI secret without
    holding it."""
    expanded, missing = expand(text)
    if missing:
        raise ConfigError(f"{key}: environment variable {missing[0]} is not set")
    return expanded


def _headers(value: Any, key: str) -> Tuple[Tuple[str, str], ...]:
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        pairs = [parse_header(item) for item in _strings(value, key)]
    return tuple((name, _expand(text, f"[tool.scorecheck] {key}")) for name, text in pairs)


def _choice(value: Any, key: str, choices: Sequence[str] = FORMATS) -> str:
    if value not in choices:
        raise ConfigError(f"[tool.scorecheck] {key}: must be one of {', '.join(choices)}")
    return str(value)


def _integer(value: Any, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"[tool.scorecheck] {key}: must be an integer of at least {minimum}")
    return value


def _names(value: Any, key: str) -> Tuple[str, ...]:
    """Check names, as a list or as one comma-separated string (the command-line form)."""
    return split_names(_strings(value, key))


def split_names(items: Sequence[str]) -> Tuple[str, ...]:
    return tuple(name.strip() for item in items for name in item.split(",") if name.strip())


def _shard(value: Any, label: str) -> Shard:
    try:
        return parse_shard(value if isinstance(value, str) else repr(value), label)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def _growth(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{label}: must be a number of kB per request greater than 0")
    return check_duration(label, float(value), MAX_MEMORY_GROWTH)


_Convert = Callable[[Any, Path, str], Any]
# pyproject key -> (RunConfig field, converter taking (value, pyproject folder, key)).
_SETTINGS: Dict[str, Tuple[str, _Convert]] = {
    "score": ("entry_script", _path),
    "fixtures": ("fixtures", lambda v, b, k: tuple(_path(p, b, k) for p in _strings(v, k))),
    "model-dir": ("model_dir", _path),
    "env": ("env", lambda v, b, k: _table(v, k)),
    "server-args": ("server_args", lambda v, b, k: _strings(v, k)),
    "server-command": ("server_command", lambda v, b, k: _strings(v, k)),
    "junit-xml": ("junit_xml", _path),
    "startup-timeout": ("startup_timeout", lambda v, b, k: _number(v, k)),
    "request-timeout": ("request_timeout", lambda v, b, k: _number(v, k)),
    "keyword": ("keywords", lambda v, b, k: _strings(v, k)),
    "tags": ("tags", lambda v, b, k: _strings(v, k)),
    "exitfirst": ("exitfirst", lambda v, b, k: _flag(v, k)),
    "format": ("format", lambda v, b, k: _choice(v, k)),
    "target": ("target", lambda v, b, k: _strings(v, k)[0]),
    "headers": ("headers", lambda v, b, k: _headers(v, k)),
    "ignore": ("ignore", lambda v, b, k: _strings(v, k)),
    "default-ignore": ("default_ignore", lambda v, b, k: _flag(v, k)),
    "properties": ("properties", lambda v, b, k: _flag(v, k)),
    "seed": ("seed", lambda v, b, k: _integer(v, k, 0)),
    "max-examples": ("max_examples", lambda v, b, k: _integer(v, k, 1)),
    "max-time": ("max_time", lambda v, b, k: _number(v, k)),
    "shrink-time": ("shrink_time", lambda v, b, k: _number(v, k)),
    "checks": ("checks", lambda v, b, k: _names(v, k)),
    "exclude-checks": ("exclude_checks", lambda v, b, k: _names(v, k)),
    "max-latency-ms": ("max_latency_ms", lambda v, b, k: _number(v, k)),
    "save-failures": ("save_failures", _path),
    "hostile-severity": ("hostile_severity", lambda v, b, k: _choice(v, k, SEVERITIES)),
    # the former name of hostile-severity
    "malformed-severity": ("hostile_severity", lambda v, b, k: _choice(v, k, SEVERITIES)),
    "input-schema": ("input_schema", _path),
    "max-batch": ("max_batch", lambda v, b, k: _integer(v, k, 1)),
    "hypothesis-database": ("hypothesis_database", _path),
    "shard": ("shard", lambda v, b, k: _shard(v, f"[tool.scorecheck] {k}")),
    "html": ("html", _path),
    "baseline": ("baseline", _path),
    "baseline-target": ("baseline_target", lambda v, b, k: _strings(v, k)[0]),
    "baseline-max-requests": ("baseline_max_requests", lambda v, b, k: _integer(v, k, 1)),
    "accepted-changes": ("accepted_changes", _path),
    "lint": ("lint", lambda v, b, k: _flag(v, k)),
    "strict-lint": ("strict_lint", lambda v, b, k: _flag(v, k)),
    "memory-check": ("memory_check", lambda v, b, k: _flag(v, k)),
    "max-memory-growth": ("max_memory_growth", lambda v, b, k: _growth(v, f"[tool.scorecheck] {k}")),
    "max-startup-s": ("max_startup_s", lambda v, b, k: _number(v, k)),
}


def project_values(settings: Mapping[str, Any], base: Path) -> Dict[str, Any]:
    """RunConfig field values from a `[tool.scorecheck]` table."""
    return {
        field: convert(settings[key], base, key)
        for key, (field, convert) in _SETTINGS.items()
        if key in settings
    }


# ---------------------------------------------------------------------------------------------------------------
# Command line


def parse_assignment(text: str, what: str) -> Tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"{what}: expected KEY=VALUE, got {text!r}")
    return name.strip(), value


def parse_header(text: str) -> Tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or " " in name.strip():
        # The text may be a credential: repeat none of it.
        raise ConfigError("--header: expected 'Name: value' (the value given has no header name)")
    return name.strip(), value.strip()


def _merge_pairs(
    base: Sequence[Tuple[str, str]], override: Sequence[Tuple[str, str]], fold: bool
) -> Tuple[Tuple[str, str], ...]:
    def norm(key: str) -> str:
        return key.lower() if fold else key

    overridden = {norm(k) for k, _ in override}
    return (*((k, v) for k, v in base if norm(k) not in overridden), *override)


def _split_positionals(paths: Sequence[str]) -> Tuple[Optional[str], Tuple[str, ...]]:
    """`SCORE_PY [FIXTURES ...]`: the first path is the script when it is a `.py` file."""
    if paths and paths[0].endswith(".py"):
        return paths[0], tuple(paths[1:])
    return None, tuple(paths)


def _cli_values(args: argparse.Namespace, project: Mapping[str, Any]) -> Dict[str, Any]:
    """Field values the command line sets; absent flags leave the pyproject value in place."""
    script, rest = _split_positionals(getattr(args, "paths", []) or [])
    values: Dict[str, Any] = {"command": args.command}
    simple = {
        "entry_script": script,
        "model_dir": getattr(args, "model_dir", None),
        "junit_xml": getattr(args, "junit_xml", None),
        "startup_timeout": getattr(args, "startup_timeout", None),
        "request_timeout": getattr(args, "request_timeout", None),
        "format": getattr(args, "format", None),
        "target": getattr(args, "target", None),
        "out_dir": getattr(args, "out", None),
        "method": getattr(args, "method", None),
        "path": getattr(args, "path", None),
        "fixtures" if args.command == "run" else "inputs": rest or None,
        "server_args": tuple(getattr(args, "server_arg", None) or ()) or None,
        "keywords": tuple(getattr(args, "keyword", None) or ()) or None,
        "ignore": (*project.get("ignore", ()), *(getattr(args, "ignore", None) or ())) or None,
        "tags": tuple(getattr(args, "tag", None) or ()) or None,
        "html": getattr(args, "html", None),
        **_property_values(args),
        **_baseline_values(args),
        **_runtime_values(args),
    }
    values.update({field: value for field, value in simple.items() if value is not None})
    for flag in ("exitfirst", "update", "force"):
        if getattr(args, flag, False):
            values[flag] = True
    if getattr(args, "no_default_ignore", False):
        values["default_ignore"] = False
    if getattr(args, "no_lint", False):
        values["lint"] = False
    if getattr(args, "strict_lint", False):
        values["strict_lint"] = True
    cli_env = [parse_assignment(item, "--env") for item in getattr(args, "env", None) or ()]
    cli_headers = [parse_header(item) for item in getattr(args, "header", None) or ()]
    values["cli_env"], values["cli_headers"] = tuple(cli_env), tuple(cli_headers)
    env = [(name, _expand(text, f"--env {name}")) for name, text in cli_env]
    values["env"] = _merge_pairs(project.get("env", ()), env, fold=False)
    headers = [(name, _expand(text, f"--header {name}")) for name, text in cli_headers]
    values["headers"] = _merge_pairs(project.get("headers", ()), headers, fold=True)
    values["verbosity"] = getattr(args, "verbose", 0) - getattr(args, "quiet", 0)
    return values


def _property_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The property-phase flags given on the command line (None: not given)."""
    return {
        "properties": False if getattr(args, "no_properties", False) else None,
        "seed": getattr(args, "seed", None),
        "max_examples": getattr(args, "max_examples", None),
        "max_time": getattr(args, "max_time", None),
        "shrink_time": getattr(args, "shrink_time", None),
        "checks": split_names(getattr(args, "checks", None) or ()) or None,
        "exclude_checks": split_names(getattr(args, "exclude_checks", None) or ()) or None,
        "max_latency_ms": getattr(args, "max_latency_ms", None),
        "save_failures": getattr(args, "save_failures", None),
        "hostile_severity": getattr(args, "hostile_severity", None),
        "input_schema": getattr(args, "input_schema", None),
        "max_batch": getattr(args, "max_batch", None),
        "hypothesis_database": getattr(args, "hypothesis_database", None),
        "shard": None if getattr(args, "shard", None) is None else _shard(args.shard, "--shard"),
    }


def _baseline_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The baseline flags given on the command line (None: not given)."""
    return {
        "baseline": getattr(args, "baseline", None),
        "baseline_target": getattr(args, "baseline_target", None),
        "baseline_max_requests": getattr(args, "baseline_max_requests", None),
        "accepted_changes": getattr(args, "accepted_changes", None),
        "accept_changes": True if getattr(args, "accept_changes", False) else None,
    }


def _validate_baseline(config: RunConfig) -> None:
    if config.baseline is not None and config.baseline_target is not None:
        raise ConfigError("--baseline and --baseline-target: give one of them, the script or the endpoint")
    target = config.baseline_target
    if target is not None and not re.match(r"https?://[^/]", target):
        raise ConfigError(f"--baseline-target: expected an http:// or https:// URL, got {target!r}")
    if config.baseline_max_requests < 1:
        raise ConfigError("--baseline-max-requests: must be at least 1")
    if config.accept_changes and config.baseline is None and target is None:
        raise ConfigError("--accept-changes: needs --baseline OLD_SCORE_PY or --baseline-target URL")


def _runtime_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The memory and start-up flags given on the command line (None: not given)."""
    return {
        "memory_check": False if getattr(args, "no_memory_check", False) else None,
        "max_memory_growth": getattr(args, "max_memory_growth", None),
        "max_startup_s": getattr(args, "max_startup_s", None),
    }


def property_seed(config: RunConfig) -> Optional[int]:
    """The seed the property phase uses, or None when the phase is off (it runs with `run` only)."""
    if not config.properties or config.command != "run":
        return None
    seed = DEFAULT_SEED if config.seed is None else config.seed
    return seed if config.shard is None else shard_seed(seed, config.shard)


def property_examples(config: RunConfig) -> int:
    """The valid-input examples the property phase of this run (this shard) searches."""
    return config.max_examples if config.shard is None else shard_examples(config.max_examples, config.shard)


def load_input_schema(path: str) -> Dict[str, Any]:
    """The --input-schema file: a JSON Schema (an object) of the request body. Raises ConfigError."""
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--input-schema: cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"--input-schema: {path} is not JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise ConfigError(f'--input-schema: {path} must hold a JSON Schema object, e.g. {{"type": "object"}}')
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        raise ConfigError(f"--input-schema: {path} is not a valid JSON Schema: {exc.message}") from exc
    return schema


def _validate_properties(config: RunConfig) -> None:
    try:
        select_checks(config.checks, config.exclude_checks)
    except ValueError as exc:
        raise ConfigError(f"--checks: {exc}") from exc
    if config.max_examples < 1:
        raise ConfigError("--max-examples: must be at least 1")
    if config.seed is not None and config.seed < 0:
        raise ConfigError("--seed: must be 0 or more")
    if config.hostile_severity not in SEVERITIES:
        raise ConfigError(f"--hostile-severity: must be one of {', '.join(SEVERITIES)}")
    if config.max_batch is not None and config.max_batch < 1:
        raise ConfigError("--max-batch: must be at least 1")
    if config.input_schema is not None:
        load_input_schema(config.input_schema)


def failures_dir(config: RunConfig) -> Optional[Path]:
    """Where the property phase saves failures: the default folder has one subfolder per script, so that
    failures of different scripts never overwrite each other."""
    if not config.save_failures:
        return None
    if config.save_failures != DEFAULT_SAVE_FAILURES:
        return Path(config.save_failures)
    if config.entry_script:
        return Path(config.save_failures) / Path(config.entry_script).stem
    host = urlsplit(config.target or "").hostname or "target"
    return Path(config.save_failures) / re.sub(r"[^A-Za-z0-9._-]+", "-", host)


def response_ignore(config: RunConfig) -> Tuple[str, ...]:
    """The JSON paths left out of every fixture's comparison."""
    return (*(DEFAULT_IGNORE if config.default_ignore else ()), *config.ignore)


def _validate_ignore(config: RunConfig) -> None:
    for text in config.ignore:
        try:
            parse_path(text)
        except ValueError as exc:
            raise ConfigError(f"--ignore / [tool.scorecheck] ignore: {exc}") from exc


def _validate_outputs(config: RunConfig) -> None:
    # The report paths of `run` are checked by the CLI's pre-flight, with every other problem at once.
    out = config.out_dir
    if config.command == "record" and out and Path(out).exists() and not Path(out).is_dir():
        raise ConfigError(f"--out {out}: is a file; give the folder the new fixtures go in")


def _validate(config: RunConfig) -> None:
    if config.target is not None and not re.match(r"https?://[^/]", config.target):
        raise ConfigError(f"--target: expected an http:// or https:// URL, got {config.target!r}")
    if config.entry_script is None and config.target is None:
        raise ConfigError(
            "missing SCORE_PY: give the scoring script (or --target URL, or `score` in [tool.scorecheck])"
        )
    if config.command == "run" and not config.fixtures:
        raise ConfigError(
            "no fixtures given: pass fixture files or folders after SCORE_PY (or set "
            "`fixtures` in [tool.scorecheck])"
        )
    if config.command == "record" and not config.inputs:
        raise ConfigError("no inputs given: pass request files or a .jsonl file of requests")
    if config.command == "record" and not config.out_dir:
        raise ConfigError("record needs --out DIR, the folder the fixtures are written to")
    _validate_outputs(config)
    for option, (field_name, limit) in DURATIONS.items():
        value = getattr(config, field_name)
        if value is not None:
            check_duration(f"--{option}", value, limit)
    _growth(config.max_memory_growth, "--max-memory-growth")
    _validate_properties(config)
    _validate_ignore(config)
    _validate_baseline(config)


def build_config(args: argparse.Namespace, cwd: Optional[Path] = None) -> RunConfig:
    """Merge the parsed command line with the nearest pyproject.toml. Raises ConfigError."""
    pyproject = find_pyproject((cwd or Path.cwd()).resolve())
    project: Dict[str, Any] = {}
    if pyproject is not None:
        project = project_values(read_settings(pyproject), pyproject.parent)
    values: Dict[str, Any] = {**project, **_cli_values(args, project)}
    values["color"] = "NO_COLOR" not in os.environ
    values["pyproject"] = str(pyproject) if pyproject is not None and project else None
    config = RunConfig(**values)
    _validate(config)
    return config
