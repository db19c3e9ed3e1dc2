"""The server's one configuration object, built once from command-line flags, the environment and config.json.

This is the only module that reads `os.environ`. Precedence is CLI > environment > config file, as upstream.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Tuple

from . import SERVER_VERSION
from .watchdog import watchdog_fd

DEFAULT_SCORING_TIMEOUT_MS = 3_600_000
DEFAULT_WORKER_TIMEOUT_S = 300
DEFAULT_PORT = 5001
DEFAULT_HEALTH_PORT = 5000
# (ours) Seconds a connection may take to deliver its request head before it is closed (runners/head_gate.py).
HEADER_TIMEOUT_VARIABLE = "AZMLINFSRV_HEADER_TIMEOUT"
DEFAULT_HEADER_TIMEOUT_S = 10.0
# Stopping (every runner): seconds in-flight and backlog requests have to finish, and how much longer a connection
# that has not completed its request head gets.
GRACEFUL_TIMEOUT_S = 30
STOP_LINGER_S = 2.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The HTTP server (--server) and the protocol exported as TRANSPORT_PROTOCOL (upstream's --rest flag).
ServerKind = Literal["gunicorn", "waitress"]
Transport = Literal["rest", "grpc"]
_APPINSIGHTS_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

# Keys the production server reads from config.json ...
HONOURED_FILE_KEYS = (
    "AZUREML_SOURCE_DIRECTORY",
    "AZUREML_ENTRY_SCRIPT",
    "SERVICE_NAME",
    "WORKSPACE_NAME",
    "SERVICE_PATH_PREFIX",
    "SERVICE_VERSION",
    "SCORING_TIMEOUT_MS",
    "AZUREML_LOG_LEVEL",
    "APP_INSIGHTS_LOG_RESPONSE_ENABLED",
    "AZUREML_MODEL_DIR",
    "HOSTNAME",
    "AZUREML_DEBUG_PORT",
)
# ... and documented keys it silently drops; we drop them too (parity) but say what to use instead.
DROPPED_FILE_KEYS = {
    "AML_APP_ROOT": "the AML_APP_ROOT environment variable",
    "AML_CORS_ORIGINS": "--access_control_allow_origins or the AML_CORS_ORIGINS environment variable",
    "AML_APP_INSIGHTS_ENABLED": "the AML_APP_INSIGHTS_ENABLED environment variable",
    "AML_APP_INSIGHTS_KEY": "--appinsights_instrumentation_key or the AML_APP_INSIGHTS_KEY environment variable",
    "AML_MODEL_DC_STORAGE_ENABLED": "the AML_MDC_STORAGE_ENABLED environment variable",
}


class ConfigError(Exception):
    """A configuration problem that stops the server; `exit_code` is the CLI's."""

    def __init__(self, lines: List[str], exit_code: int = 3) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.exit_code = exit_code


@dataclass(frozen=True)
class CliArgs:
    """What the command line said; None where a flag was not given."""

    entry_script: Optional[str] = None
    model_dir: Optional[str] = None
    port: Optional[int] = None
    health_port: Optional[int] = None
    worker_count: Optional[int] = None
    appinsights_key: Optional[str] = None
    cors_origins: Optional[str] = None
    config_file: Optional[str] = None
    rest: bool = False
    host: str = "0.0.0.0"
    server: Optional[ServerKind] = None
    log_dir: Optional[str] = None


@dataclass(frozen=True)
class ServerConfig:
    """Every setting of one server run, resolved once at start-up (CLI > environment > config.json) and then only
    read: the runners, the worker and the app take their settings from here, never from the environment.

    Field names follow what they mean, not upstream's variable names; `exported_environ()` gives the variables
    the entry script may read, and `notices` the lines to log once logging is configured.
    """

    app_root: str
    entry_script: Optional[str]
    source_dir: Optional[str]
    model_dir: Optional[str]
    config_file: Optional[str]
    host: str
    port: int
    health_port: int
    separate_health: Optional[str]
    worker_count: int
    worker_timeout: int
    worker_preload: bool
    scoring_timeout_ms: int
    service_name: str
    service_version: str
    service_path_prefix: str
    workspace_name: str
    hostname: str
    version_header: bool
    cors_origins: Optional[str]
    log_level: str
    log_level_explicit: bool
    debug_port: Optional[int]
    appinsights_enabled: bool
    appinsights_key: Optional[str]
    appinsights_log_response: bool
    mdc_storage_enabled: bool
    transport: Transport
    server_kind: ServerKind
    log_dir: Optional[str]
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    # Lines to log at start-up, as (level, message), gathered while building so that nothing here prints.
    notices: Tuple[Tuple[str, str], ...] = field(default=())
    # AZMLINFSRV_WATCHDOG_FD: a pipe from the harness that started us; its end-of-file ends the server.
    watchdog_fd: Optional[int] = None

    @property
    def health_enabled(self) -> bool:
        return (self.separate_health or "").lower() == "true"

    @property
    def cors_list(self) -> Tuple[str, ...]:
        if not self.cors_origins:
            return ()
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())

    def exported_environ(self) -> Dict[str, str]:
        """The variables the entry script can read, with the names and values upstream exports."""
        env = {
            "AML_APP_ROOT": self.app_root,
            "SERVER_PORT": str(self.port),
            "HEALTH_PORT": str(self.health_port),
            "WORKER_COUNT": str(self.worker_count),
            "TRANSPORT_PROTOCOL": self.transport,
            "AML_APP_INSIGHTS_ENABLED": "true" if self.appinsights_enabled else "false",
        }
        if self.entry_script:
            env["AZUREML_ENTRY_SCRIPT"] = self.entry_script
        if self.model_dir is not None:
            env["AZUREML_MODEL_DIR"] = self.model_dir
        if self.version_header:
            env["HTTP_X_MS_SERVER_VERSION"] = SERVER_VERSION
        if self.appinsights_key:
            env["AML_APP_INSIGHTS_KEY"] = self.appinsights_key
        if self.cors_origins:
            env["AML_CORS_ORIGINS"] = self.cors_origins
        if self.config_file:
            env["AZUREML_CONFIG_FILE"] = self.config_file
        return env


class _Env:
    """Case-insensitive view of the environment, as upstream's settings reader matches names."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._exact = dict(environ)
        self._folded = {k.upper(): v for k, v in environ.items()}

    def get(self, name: str) -> Optional[str]:
        if name in self._exact:
            return self._exact[name]
        return self._folded.get(name.upper())


def script_named_in(environ: Mapping[str, str]) -> bool:
    """Whether the environment names an entry script or config file (names matched as everywhere else)."""
    env = _Env(environ)
    return bool(env.get("AZUREML_ENTRY_SCRIPT") or env.get("AZUREML_CONFIG_FILE"))


@dataclass
class _Sources:
    """Where each setting comes from, in precedence order; collects validation errors as it goes."""

    env: _Env
    file_values: Dict[str, Any]
    file_path: Optional[str]
    errors: List[str] = field(default_factory=list)

    def raw(self, name: str, from_file: bool = True) -> Tuple[Optional[Any], str]:
        value = self.env.get(name)
        if value is not None:
            return value, f"environment variable: {name}"
        if from_file and name in self.file_values:
            return self.file_values[name], f"config file: {self.file_path}"
        return None, ""

    def text(self, name: str, default: Optional[str] = None, from_file: bool = True) -> Optional[str]:
        value, _ = self.raw(name, from_file)
        return default if value is None else str(value)

    def integer(self, name: str, default: Optional[int]) -> Optional[int]:
        result: Optional[int] = self._typed(
            name, default, _parse_int, "Input should be a valid integer, unable to parse string as an integer"
        )
        return result

    def boolean(self, name: str, default: bool, from_file: bool = True) -> bool:
        result = self._typed(
            name,
            default,
            _parse_bool,
            "Input should be a valid boolean, unable to interpret input",
            from_file,
        )
        return bool(result)

    def only_true(self, name: str) -> bool:
        """An environment switch upstream reads as `value.lower() == "true"`: any other value is off, never an error."""
        value = self.env.get(name)
        return value is not None and value.lower() == "true"

    def _typed(
        self,
        name: str,
        default: Any,
        parse: Callable[[Any], Any],
        message: str,
        from_file: bool = True,
    ) -> Any:
        value, origin = self.raw(name, from_file)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError:
            self.errors.append(f"{name}: {message} ({origin})")
            return default


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    return int(str(value).strip())


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(value)


def build_config(args: CliArgs, environ: Mapping[str, str], cwd: str) -> ServerConfig:
    """Build the one ServerConfig, or raise ConfigError with every problem found."""
    env = _Env(environ)
    notices: List[Tuple[str, str]] = []
    app_root = env.get("AML_APP_ROOT") or cwd
    entry = _entry_from_cli_or_env(args, env, app_root)
    config_path, file_values = _load_config_file(args, env, app_root, entry, notices)
    src = _Sources(env, file_values, config_path)
    if entry is None and src.text("AZUREML_ENTRY_SCRIPT") is not None:
        entry = _resolve(app_root, str(src.text("AZUREML_ENTRY_SCRIPT")))
    port = args.port if args.port is not None else DEFAULT_PORT
    separate = env.get("SEPERATE_HEALTH_ENDPOINT") or env.get("SEPARATE_HEALTH_ENDPOINT")
    health_port = _health_port(args, src, port, separate)
    worker_count = args.worker_count if args.worker_count is not None else src.integer("WORKER_COUNT", 1)
    if worker_count is not None and worker_count <= 0:
        src.errors.append("WORKER_COUNT: Input should be greater than 0 (environment variable: WORKER_COUNT)")
    log_level, explicit = _log_level(src, notices)
    appinsights_key, appinsights_enabled = _appinsights(args, src, notices)
    model_dir = args.model_dir if args.model_dir is not None else src.text("AZUREML_MODEL_DIR")
    source = src.text("AZUREML_SOURCE_DIRECTORY")
    config = ServerConfig(
        app_root=app_root,
        entry_script=entry,
        source_dir=os.path.join(app_root, source) if source else None,
        model_dir=model_dir,
        config_file=config_path,
        host=args.host,
        port=port,
        health_port=health_port,
        separate_health=separate,
        worker_count=worker_count or 1,
        worker_timeout=src.integer("WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT_S) or DEFAULT_WORKER_TIMEOUT_S,
        worker_preload=src.only_true("WORKER_PRELOAD"),
        scoring_timeout_ms=src.integer("SCORING_TIMEOUT_MS", DEFAULT_SCORING_TIMEOUT_MS)
        or DEFAULT_SCORING_TIMEOUT_MS,
        service_name=src.text("SERVICE_NAME", "ML service") or "ML service",
        service_version=src.text("SERVICE_VERSION", "1.0") or "1.0",
        service_path_prefix=src.text("SERVICE_PATH_PREFIX", "") or "",
        workspace_name=src.text("WORKSPACE_NAME", "") or "",
        hostname=src.text("HOSTNAME", "Unknown") or "Unknown",
        version_header=_version_header(env.get("SERVER_VERSION_LOG_RESPONSE_ENABLED")),
        watchdog_fd=watchdog_fd(environ),
        cors_origins=args.cors_origins if args.cors_origins is not None else env.get("AML_CORS_ORIGINS"),
        log_level=log_level,
        log_level_explicit=explicit,
        debug_port=src.integer("AZUREML_DEBUG_PORT", None),
        appinsights_enabled=appinsights_enabled,
        appinsights_key=appinsights_key,
        appinsights_log_response=src.boolean("APP_INSIGHTS_LOG_RESPONSE_ENABLED", True),
        mdc_storage_enabled=src.boolean("AML_MDC_STORAGE_ENABLED", False, from_file=False)
        or src.boolean("AML_MODEL_DC_STORAGE_ENABLED", False, from_file=False),
        transport="rest" if args.rest else "grpc",
        server_kind=args.server or _default_server(),
        log_dir=args.log_dir,
        header_timeout_s=_header_timeout(env, src.errors),
        notices=tuple(notices + _debuggability_notices(env)),
    )
    if src.errors:
        raise ConfigError(src.errors)
    return config


def entry_script_problem(config: ServerConfig) -> Optional[str]:
    """One line naming the entry script and the fix when it is missing or not a file, else None.

    The worker stops on it where upstream fails (after the start-up lines log checks look for, exit 3), and the
    --log-dir folder is not created for it. The first words stay upstream's message.
    """
    path = config.entry_script
    if path is None or os.path.isfile(path):
        return None
    if os.path.isdir(path):
        return (
            f"No such file or directory. The entry script {path} is a directory, not a file: name the scoring "
            f"script inside it, for example --entry_script {os.path.join(path, 'score.py')}."
        )
    return (
        f"No such file or directory. The entry script {path} does not exist: pass the path of your scoring "
        f"script with --entry_script (relative to the current directory) or AZUREML_ENTRY_SCRIPT (relative to "
        f"AML_APP_ROOT, {config.app_root})."
    )


def header_timeout_from_environment() -> float:
    """The header timeout for `fastml server`, which has no ServerConfig; ConfigError when it is invalid."""
    errors: List[str] = []
    value = _header_timeout(_Env(os.environ), errors)
    if errors:
        raise ConfigError(errors)
    return value


def _header_timeout(env: _Env, errors: List[str]) -> float:
    text = env.get(HEADER_TIMEOUT_VARIABLE)
    if text is None or not text.strip():
        return DEFAULT_HEADER_TIMEOUT_S
    try:
        seconds = float(text.strip())
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        errors.append(
            f"{HEADER_TIMEOUT_VARIABLE}: '{text}' is not a number of seconds above 0; unset it for the default "
            f"({DEFAULT_HEADER_TIMEOUT_S:g}) or give one, such as 30 (environment variable: {HEADER_TIMEOUT_VARIABLE})"
        )
        return DEFAULT_HEADER_TIMEOUT_S
    return seconds


def _default_server() -> ServerKind:
    return "waitress" if os.name == "nt" else "gunicorn"


def _version_header(value: Optional[str]) -> bool:
    # Unset means on; any value but "true" (an empty one included) turns the header off, as upstream.
    return value is None or value.lower() == "true"


def _resolve(app_root: str, path: str) -> str:
    return os.path.realpath(os.path.join(app_root, path))


def _entry_from_cli_or_env(args: CliArgs, env: _Env, app_root: str) -> Optional[str]:
    if args.entry_script:
        return os.path.realpath(args.entry_script)
    value = env.get("AZUREML_ENTRY_SCRIPT")
    return _resolve(app_root, value) if value else None


def _health_port(args: CliArgs, src: _Sources, port: int, separate: Optional[str]) -> int:
    if (separate or "").lower() != "true":
        return port
    if args.health_port is not None:
        return args.health_port
    return src.integer("HEALTH_PORT", DEFAULT_HEALTH_PORT) or DEFAULT_HEALTH_PORT


def _log_level(src: _Sources, notices: List[Tuple[str, str]]) -> Tuple[str, bool]:
    value = src.text("AZUREML_LOG_LEVEL")
    if value is None:
        return "INFO", False
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        notices.append(
            (
                "WARNING",
                f"AZUREML_LOG_LEVEL '{value}' is not a log level; use one of {', '.join(LOG_LEVELS)}. Using INFO.",
            )
        )
        return "INFO", False
    return level, True


def _appinsights(args: CliArgs, src: _Sources, notices: List[Tuple[str, str]]) -> Tuple[Optional[str], bool]:
    if args.appinsights_key is not None:
        key: Optional[str] = args.appinsights_key
        enabled = True
    else:
        key = src.text("AML_APP_INSIGHTS_KEY", from_file=False)
        enabled = src.only_true("AML_APP_INSIGHTS_ENABLED")
    if not enabled:
        return key, False
    if key and _APPINSIGHTS_KEY.fullmatch(key.strip()):
        notices.append(("INFO", "Valid Application Insights instrumentation key provided."))
        return key, True
    notices.append(("WARNING", "Invalid Application Insights instrumentation key provided."))
    notices.append(("WARNING", "Application Insights has been disabled."))
    return key, False


def _debuggability_notices(env: _Env) -> List[Tuple[str, str]]:
    if env.get("AML_DBG_MODEL_INFO") is None and env.get("AML_DBG_RESOURCE_INFO") is None:
        return []
    message = "The debuggability features have been removed. If you have a use case for them please reach out to us."
    return [("WARNING", message)]


def _load_config_file(
    args: CliArgs,
    env: _Env,
    app_root: str,
    entry: Optional[str],
    notices: List[Tuple[str, str]],
) -> Tuple[Optional[str], Dict[str, Any]]:
    explicit = args.config_file or env.get("AZUREML_CONFIG_FILE")
    if explicit:
        path = os.path.realpath(explicit)
        if not os.path.isfile(path):
            raise ConfigError([f"Config file not found: {path}"], exit_code=1)
        if os.path.getsize(path) > 0:  # an empty file is skipped like any other, as upstream's lookup does
            return path, _read_explicit(path, notices)
    for candidate in _auto_candidates(app_root, entry):
        if os.path.isfile(candidate) and os.path.getsize(candidate) > 0:
            return candidate, _read_discovered(candidate, notices)
    return None, {}


def _auto_candidates(app_root: str, entry: Optional[str]) -> List[str]:
    candidates = [os.path.join(app_root, "config.json")]
    if entry:
        beside = os.path.join(os.path.dirname(entry), "config.json")
        if os.path.realpath(beside) != os.path.realpath(candidates[0]):
            candidates.append(beside)
    return candidates


def _read_explicit(path: str, notices: List[Tuple[str, str]]) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            values = json.load(handle)
        if not isinstance(values, dict):
            raise ValueError(f"the config file must hold a JSON object, not {type(values).__name__}")
    except (OSError, ValueError) as exc:
        raise ConfigError([f"Invalid config file!: {exc!r} (file: {path})"]) from exc
    return _check_keys(path, values, notices)


def _read_discovered(path: str, notices: List[Tuple[str, str]]) -> Dict[str, Any]:
    notices.append(("INFO", f"Loaded server configuration from {path} (a config.json found automatically)."))
    advice = (
        f"The production server reads {path} as its own configuration too, so this file would break it or be "
        "misread there. Rename or move it (for example into the model directory), or pass a server configuration "
        "explicitly with --config_file."
    )
    try:
        with open(path, encoding="utf-8") as handle:
            values = json.load(handle)
        if not isinstance(values, dict):
            raise ValueError(f"it holds a JSON {type(values).__name__}, not an object")
    except (OSError, ValueError) as exc:
        raise ConfigError([f"Invalid config file!: {path}: {exc}", advice]) from exc
    known = set(HONOURED_FILE_KEYS) | set(DROPPED_FILE_KEYS)
    if not known.intersection(values):
        notices.append(("WARNING", f"{path} holds none of the server's configuration keys. {advice}"))
    return _check_keys(path, values, notices)


def _check_keys(path: str, values: Dict[str, Any], notices: List[Tuple[str, str]]) -> Dict[str, Any]:
    extra = [k for k in values if k not in HONOURED_FILE_KEYS and k not in DROPPED_FILE_KEYS]
    if extra:
        notices.append(
            (
                "WARNING",
                f"Found extra keys in the config file that are not supported by the server.\nExtra keys = {extra}",
            )
        )
    for key, instead in DROPPED_FILE_KEYS.items():
        if key in values:
            notices.append(
                (
                    "WARNING",
                    f"The key '{key}' in {path} is ignored, as the production server ignores it; use {instead} "
                    "instead.",
                )
            )
    return {k: v for k, v in values.items() if k in HONOURED_FILE_KEYS}
