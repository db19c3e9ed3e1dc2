"""Unit tests for azmlinfsrv.config: precedence, config.json lookup, validation, exported environment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import pytest
from azmlinfsrv import SERVER_VERSION
from azmlinfsrv.config import CliArgs, ConfigError, ServerConfig, build_config

VALID_KEY = "0123abcd-4567-89ef-0123-456789abcdef"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An empty application root (the CLI's cwd), separate from anything else under tmp_path."""
    root = tmp_path / "app"
    root.mkdir()
    return root


def build(app: Path, env: Optional[Mapping[str, str]] = None, **args: Any) -> ServerConfig:
    return build_config(CliArgs(**args), dict(env or {}), str(app))


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def notice_texts(config: ServerConfig, level: Optional[str] = None) -> list:
    return [text for lvl, text in config.notices if level is None or lvl == level]


def config_error(app: Path, env: Optional[Mapping[str, str]] = None, **args: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build(app, env, **args)
    return info.value


# --- defaults --------------------------------------------------------------------------------------------


def test_defaults(app: Path) -> None:
    config = build(app)
    assert config.app_root == str(app)
    assert config.entry_script is None
    assert config.model_dir is None
    assert config.config_file is None
    assert config.port == 5001
    assert config.health_port == 5001
    assert config.worker_count == 1
    assert config.worker_timeout == 300
    assert config.worker_preload is False
    assert config.scoring_timeout_ms == 3_600_000
    assert config.service_name == "ML service"
    assert config.service_version == "1.0"
    assert config.service_path_prefix == ""
    assert config.workspace_name == ""
    assert config.hostname == "Unknown"
    assert config.version_header is True
    assert config.log_level == "INFO"
    assert config.log_level_explicit is False
    assert config.appinsights_enabled is False
    assert config.appinsights_key is None
    assert config.transport == "grpc"
    assert config.host == "0.0.0.0"
    assert config.notices == ()


def test_app_root_comes_from_env_before_cwd(app: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    assert build(app, {"AML_APP_ROOT": str(other)}).app_root == str(other)


def test_rest_flag_sets_transport(app: Path) -> None:
    assert build(app, rest=True).transport == "rest"


# --- precedence: CLI > environment > file -----------------------------------------------------------------


def test_model_dir_precedence(app: Path) -> None:
    write_json(app / "config.json", {"AZUREML_MODEL_DIR": "from_file"})
    assert build(app).model_dir == "from_file"
    assert build(app, {"AZUREML_MODEL_DIR": "from_env"}).model_dir == "from_env"
    assert build(app, {"AZUREML_MODEL_DIR": "from_env"}, model_dir="from_cli").model_dir == "from_cli"


def test_entry_script_precedence(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    write_json(app / "config.json", {"AZUREML_ENTRY_SCRIPT": "file_score.py"})
    assert build(app).entry_script == os.path.realpath(app / "file_score.py")
    env = {"AZUREML_ENTRY_SCRIPT": "env_score.py"}
    assert build(app, env).entry_script == os.path.realpath(app / "env_score.py")
    assert build(app, env, entry_script="cli_score.py").entry_script == os.path.realpath(app / "cli_score.py")


def test_scoring_timeout_precedence(app: Path) -> None:
    write_json(app / "config.json", {"SCORING_TIMEOUT_MS": 1000})
    assert build(app).scoring_timeout_ms == 1000
    assert build(app, {"SCORING_TIMEOUT_MS": "2000"}).scoring_timeout_ms == 2000


def test_service_name_precedence(app: Path) -> None:
    write_json(app / "config.json", {"SERVICE_NAME": "file-svc", "SERVICE_VERSION": "3.2"})
    config = build(app)
    assert (config.service_name, config.service_version) == ("file-svc", "3.2")
    assert build(app, {"SERVICE_NAME": "env-svc"}).service_name == "env-svc"


def test_worker_count_cli_beats_env(app: Path) -> None:
    assert build(app, {"WORKER_COUNT": "3"}).worker_count == 3
    assert build(app, {"WORKER_COUNT": "3"}, worker_count=2).worker_count == 2


def test_cors_cli_beats_env(app: Path) -> None:
    assert build(app, {"AML_CORS_ORIGINS": "http://env"}).cors_origins == "http://env"
    assert (
        build(app, {"AML_CORS_ORIGINS": "http://env"}, cors_origins="http://cli").cors_origins == "http://cli"
    )


def test_cors_list_is_split_and_stripped(app: Path) -> None:
    config = build(app, cors_origins="http://a.com, http://b.com ,")
    assert config.cors_list == ("http://a.com", "http://b.com")
    assert build(app).cors_list == ()


def test_appinsights_key_cli_beats_env(app: Path) -> None:
    env = {"AML_APP_INSIGHTS_ENABLED": "true", "AML_APP_INSIGHTS_KEY": "not-a-key"}
    config = build(app, env, appinsights_key=VALID_KEY)
    assert config.appinsights_key == VALID_KEY
    assert config.appinsights_enabled is True


# --- config.json lookup -------------------------------------------------------------------------------------


@pytest.fixture
def layout(app: Path, tmp_path: Path) -> Dict[str, Path]:
    """Four config files with distinct SERVICE_NAMEs, and an entry script in its own directory."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    script = scripts / "score.py"
    script.write_text("def init(): pass\ndef run(data): return data\n", encoding="utf-8")
    return {
        "flag": write_json(tmp_path / "flag.json", {"SERVICE_NAME": "flag"}),
        "env": write_json(tmp_path / "env.json", {"SERVICE_NAME": "env"}),
        "root": write_json(app / "config.json", {"SERVICE_NAME": "root"}),
        "beside": write_json(scripts / "config.json", {"SERVICE_NAME": "beside"}),
        "script": script,
    }


def test_lookup_flag_first(app: Path, layout: Dict[str, Path]) -> None:
    env = {"AZUREML_CONFIG_FILE": str(layout["env"])}
    config = build(app, env, config_file=str(layout["flag"]), entry_script=str(layout["script"]))
    assert config.service_name == "flag"
    assert config.config_file == os.path.realpath(layout["flag"])


def test_lookup_env_second(app: Path, layout: Dict[str, Path]) -> None:
    env = {"AZUREML_CONFIG_FILE": str(layout["env"])}
    config = build(app, env, entry_script=str(layout["script"]))
    assert config.service_name == "env"
    assert config.config_file == os.path.realpath(layout["env"])


def test_lookup_app_root_third(app: Path, layout: Dict[str, Path]) -> None:
    config = build(app, entry_script=str(layout["script"]))
    assert config.service_name == "root"
    assert config.config_file == str(layout["root"])
    assert any(str(layout["root"]) in text for text in notice_texts(config, "INFO"))


def test_lookup_beside_script_last(app: Path, layout: Dict[str, Path]) -> None:
    layout["root"].unlink()
    config = build(app, entry_script=str(layout["script"]))
    assert config.service_name == "beside"
    assert config.config_file == str(layout["beside"])


def test_lookup_nothing_found(app: Path, layout: Dict[str, Path]) -> None:
    layout["root"].unlink()
    layout["beside"].unlink()
    config = build(app, entry_script=str(layout["script"]))
    assert config.config_file is None
    assert config.service_name == "ML service"


def test_empty_app_root_file_is_skipped(app: Path, layout: Dict[str, Path]) -> None:
    layout["root"].write_text("", encoding="utf-8")
    config = build(app, entry_script=str(layout["script"]))
    assert config.service_name == "beside"
    assert config.config_file == str(layout["beside"])


def test_empty_beside_file_is_skipped(app: Path, layout: Dict[str, Path]) -> None:
    layout["root"].unlink()
    layout["beside"].write_text("", encoding="utf-8")
    config = build(app, entry_script=str(layout["script"]))
    assert config.config_file is None


def test_empty_explicit_file_is_skipped(app: Path, layout: Dict[str, Path]) -> None:
    # Contract §4: "first usable file wins ... Empty files are skipped" covers the explicit file too.
    layout["flag"].write_text("", encoding="utf-8")
    config = build(app, config_file=str(layout["flag"]), entry_script=str(layout["script"]))
    assert config.service_name == "root"


def test_relative_entry_script_in_file_resolves_against_app_root(app: Path) -> None:
    write_json(app / "config.json", {"AZUREML_ENTRY_SCRIPT": "sub/score.py"})
    assert build(app).entry_script == os.path.realpath(app / "sub" / "score.py")


def test_source_directory_joins_app_root(app: Path) -> None:
    assert build(app, {"AZUREML_SOURCE_DIRECTORY": "src"}).source_dir == os.path.join(str(app), "src")
    assert build(app).source_dir is None


# --- config.json errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["flag", "env"])
def test_missing_explicit_file_exits_1(app: Path, tmp_path: Path, via: str) -> None:
    missing = tmp_path / "nope" / "config.json"
    if via == "flag":
        error = config_error(app, config_file=str(missing))
    else:
        error = config_error(app, {"AZUREML_CONFIG_FILE": str(missing)})
    assert error.exit_code == 1
    assert error.lines == [f"Config file not found: {os.path.realpath(missing)}"]


@pytest.mark.parametrize("content", ["{bad json", "[1, 2]", '"text"'])
def test_invalid_explicit_file_exits_3(app: Path, tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    error = config_error(app, config_file=str(path))
    assert error.exit_code == 3
    assert error.lines[0].startswith("Invalid config file!: ")


@pytest.mark.parametrize("content", ['[{"name": "model"}]', "{not json"])
def test_discovered_unusable_file_exits_3_with_advice(app: Path, content: str) -> None:
    path = app / "config.json"
    path.write_text(content, encoding="utf-8")
    error = config_error(app)
    assert error.exit_code == 3
    text = "\n".join(error.lines)
    assert text.startswith("Invalid config file!: ")
    assert str(path) in text
    assert "production server" in text
    assert "Rename or move it" in text


def test_discovered_file_without_server_keys_warns(app: Path) -> None:
    path = write_json(app / "config.json", {"labels": ["cat", "dog"]})
    config = build(app)
    assert config.config_file == str(path)
    warnings = notice_texts(config, "WARNING")
    advice = [w for w in warnings if "holds none of the server's configuration keys" in w]
    assert len(advice) == 1
    assert str(path) in advice[0]
    assert "Rename or move it" in advice[0]


def test_discovered_file_with_server_keys_gives_no_advice(app: Path) -> None:
    write_json(app / "config.json", {"SERVICE_NAME": "svc"})
    config = build(app)
    assert not any("Rename or move" in text for text in notice_texts(config))


# --- keys ---------------------------------------------------------------------------------------------------

DROPPED = {
    "AML_APP_ROOT": ("/elsewhere", "AML_APP_ROOT environment variable"),
    "AML_CORS_ORIGINS": ("http://a.com", "--access_control_allow_origins"),
    "AML_APP_INSIGHTS_ENABLED": (True, "AML_APP_INSIGHTS_ENABLED environment variable"),
    "AML_APP_INSIGHTS_KEY": (VALID_KEY, "--appinsights_instrumentation_key"),
    "AML_MODEL_DC_STORAGE_ENABLED": (True, "AML_MDC_STORAGE_ENABLED environment variable"),
}


@pytest.mark.parametrize("key", sorted(DROPPED))
def test_dropped_key_warns_with_alternative(app: Path, key: str) -> None:
    value, alternative = DROPPED[key]
    write_json(app / "config.json", {key: value})
    config = build(app)
    warnings = [w for w in notice_texts(config, "WARNING") if f"'{key}'" in w]
    assert len(warnings) == 1
    assert alternative in warnings[0]
    assert "ignored" in warnings[0]
    assert not any("Found extra keys" in text for text in notice_texts(config))


def test_dropped_keys_have_no_effect(app: Path) -> None:
    values = {key: value for key, (value, _) in DROPPED.items()}
    write_json(app / "config.json", values)
    config = build(app)
    assert config.app_root == str(app)
    assert config.cors_origins is None
    assert config.appinsights_enabled is False
    assert config.appinsights_key is None
    assert config.mdc_storage_enabled is False
    assert "AML_APP_INSIGHTS_KEY" not in config.exported_environ()
    assert config.exported_environ()["AML_APP_INSIGHTS_ENABLED"] == "false"


def test_extra_keys_warning_lists_only_unknown_keys(app: Path) -> None:
    write_json(app / "config.json", {"SERVICE_NAME": "svc", "AML_APP_ROOT": "/x", "EXTRA_KEY": 1})
    config = build(app)
    extra = [text for text in notice_texts(config) if "Found extra keys" in text]
    assert extra == [
        "Found extra keys in the config file that are not supported by the server.\nExtra keys = ['EXTRA_KEY']"
    ]
    assert ("WARNING", extra[0]) in config.notices


def test_all_documented_keys_give_no_extra_keys_warning(app: Path) -> None:
    documented = {
        "AML_APP_ROOT": str(app),
        "AZUREML_SOURCE_DIRECTORY": "src",
        "AZUREML_ENTRY_SCRIPT": "score.py",
        "SERVICE_NAME": "svc",
        "WORKSPACE_NAME": "ws",
        "SERVICE_PATH_PREFIX": "api",
        "SERVICE_VERSION": "2.0",
        "SCORING_TIMEOUT_MS": 500,
        "AZUREML_LOG_LEVEL": "DEBUG",
        "AML_APP_INSIGHTS_ENABLED": False,
        "AML_APP_INSIGHTS_KEY": VALID_KEY,
        "AML_MODEL_DC_STORAGE_ENABLED": False,
        "APP_INSIGHTS_LOG_RESPONSE_ENABLED": False,
        "AML_CORS_ORIGINS": "*",
        "AZUREML_MODEL_DIR": "models",
        "HOSTNAME": "box",
        "AZUREML_DEBUG_PORT": 5678,
    }
    write_json(app / "config.json", documented)
    config = build(app)
    assert not any("Found extra keys" in text for text in notice_texts(config))
    # The twelve honoured keys are applied.
    assert config.service_name == "svc"
    assert config.workspace_name == "ws"
    assert config.service_path_prefix == "api"
    assert config.service_version == "2.0"
    assert config.scoring_timeout_ms == 500
    assert config.log_level == "DEBUG"
    assert config.appinsights_log_response is False
    assert config.model_dir == "models"
    assert config.hostname == "box"
    assert config.debug_port == 5678
    assert config.source_dir == os.path.join(str(app), "src")
    assert config.entry_script == os.path.realpath(app / "score.py")


# --- validation ---------------------------------------------------------------------------------------------


def test_scoring_timeout_not_an_integer(app: Path) -> None:
    error = config_error(app, {"SCORING_TIMEOUT_MS": "abc"})
    assert error.exit_code == 3
    assert (
        "SCORING_TIMEOUT_MS: Input should be a valid integer, unable to parse string as an integer "
        "(environment variable: SCORING_TIMEOUT_MS)"
    ) in error.lines


def test_every_invalid_field_is_reported(app: Path) -> None:
    error = config_error(app, {"SCORING_TIMEOUT_MS": "abc", "WORKER_TIMEOUT": "soon"})
    assert len(error.lines) == 2
    assert sorted(line.split(":")[0] for line in error.lines) == ["SCORING_TIMEOUT_MS", "WORKER_TIMEOUT"]
    assert all("Input should be a valid integer" in line for line in error.lines)


def test_invalid_integer_in_file_names_the_file(app: Path) -> None:
    path = write_json(app / "config.json", {"SCORING_TIMEOUT_MS": "abc"})
    error = config_error(app)
    assert error.exit_code == 3
    assert error.lines[0].startswith("SCORING_TIMEOUT_MS: Input should be a valid integer")
    assert str(path) in error.lines[0]


def test_invalid_boolean(app: Path) -> None:
    error = config_error(app, {"AML_MDC_STORAGE_ENABLED": "maybe"})
    assert error.exit_code == 3
    assert error.lines[0].startswith("AML_MDC_STORAGE_ENABLED: Input should be a valid boolean")


@pytest.mark.parametrize("text", ["asdf", "1", "yes", "on", "", " true"])
def test_upstream_switches_are_on_only_for_true(app: Path, text: str) -> None:
    """Upstream reads WORKER_PRELOAD and AML_APP_INSIGHTS_ENABLED as `value.lower() == "true"`: never an error."""
    env = {"WORKER_PRELOAD": text, "AML_APP_INSIGHTS_ENABLED": text, "AML_APP_INSIGHTS_KEY": VALID_KEY}
    config = build(app, env)
    assert (config.worker_preload, config.appinsights_enabled) == (False, False)


def test_worker_count_env_must_be_positive(app: Path) -> None:
    error = config_error(app, {"WORKER_COUNT": "0"})
    assert error.exit_code == 3
    assert error.lines[0].startswith("WORKER_COUNT: ")


def test_env_names_are_case_insensitive(app: Path) -> None:
    config = build(
        app,
        {"scoring_timeout_ms": "1234", "Service_Name": "svc", "worker_count": "2", "worker_timeout": "9"},
    )
    assert config.scoring_timeout_ms == 1234
    assert config.service_name == "svc"
    assert config.worker_count == 2
    assert config.worker_timeout == 9


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("TRUE", True), ("True", True), ("FALSE", False)]
)
def test_booleans_any_case(app: Path, text: str, expected: bool) -> None:
    config = build(
        app,
        {
            "WORKER_PRELOAD": text,
            "APP_INSIGHTS_LOG_RESPONSE_ENABLED": text,
            "AML_MDC_STORAGE_ENABLED": text,
            "AML_APP_INSIGHTS_ENABLED": text,
            "AML_APP_INSIGHTS_KEY": VALID_KEY,
            "SEPERATE_HEALTH_ENDPOINT": text,
        },
    )
    assert config.worker_preload is expected
    assert config.appinsights_log_response is expected
    assert config.mdc_storage_enabled is expected
    assert config.appinsights_enabled is expected
    assert config.health_enabled is expected


def test_mdc_storage_alias(app: Path) -> None:
    assert build(app, {"AML_MODEL_DC_STORAGE_ENABLED": "true"}).mdc_storage_enabled is True


# --- ports --------------------------------------------------------------------------------------------------


def test_server_port_env_is_ignored(app: Path) -> None:
    config = build(app, {"SERVER_PORT": "9999"})
    assert config.port == 5001
    assert config.exported_environ()["SERVER_PORT"] == "5001"
    assert build(app, {"SERVER_PORT": "9999"}, port=6001).port == 6001


def test_health_port_follows_score_port_without_separate_endpoint(app: Path) -> None:
    config = build(app, {"HEALTH_PORT": "7000"}, port=6001, health_port=6002)
    assert config.health_enabled is False
    assert config.health_port == 6001
    assert config.exported_environ()["HEALTH_PORT"] == "6001"


def test_health_port_inert_when_flag_false(app: Path) -> None:
    config = build(app, {"SEPERATE_HEALTH_ENDPOINT": "false"}, port=6001, health_port=6002)
    assert config.health_port == 6001


@pytest.mark.parametrize("name", ["SEPERATE_HEALTH_ENDPOINT", "SEPARATE_HEALTH_ENDPOINT"])
def test_health_port_with_separate_endpoint(app: Path, name: str) -> None:
    env = {name: "true"}
    assert build(app, env, port=6001).health_port == 5000
    assert build(app, {**env, "HEALTH_PORT": "7000"}, port=6001).health_port == 7000
    config = build(app, {**env, "HEALTH_PORT": "7000"}, port=6001, health_port=6002)
    assert config.health_port == 6002
    assert config.health_enabled is True
    assert config.separate_health == "true"


# --- log level ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"), [("debug", "DEBUG"), ("Warning", "WARNING"), (" ERROR ", "ERROR")]
)
def test_log_level_any_case(app: Path, value: str, level: str) -> None:
    config = build(app, {"AZUREML_LOG_LEVEL": value})
    assert config.log_level == level
    assert config.log_level_explicit is True


def test_unknown_log_level_warns_and_uses_info(app: Path) -> None:
    config = build(app, {"AZUREML_LOG_LEVEL": "loud"})
    assert config.log_level == "INFO"
    assert config.log_level_explicit is False
    warnings = notice_texts(config, "WARNING")
    assert len(warnings) == 1
    assert "'loud'" in warnings[0]
    assert "INFO" in warnings[0]


def test_log_level_from_file(app: Path) -> None:
    write_json(app / "config.json", {"AZUREML_LOG_LEVEL": "critical"})
    assert build(app).log_level == "CRITICAL"


# --- Application Insights ------------------------------------------------------------------------------------


def test_valid_cli_key_enables(app: Path) -> None:
    config = build(app, appinsights_key=VALID_KEY)
    assert config.appinsights_enabled is True
    assert ("INFO", "Valid Application Insights instrumentation key provided.") in config.notices


@pytest.mark.parametrize("key", ["not-a-key", f"x{VALID_KEY}", f"{VALID_KEY}0", ""])
def test_invalid_cli_key_disables(app: Path, key: str) -> None:
    config = build(app, appinsights_key=key)
    assert config.appinsights_enabled is False
    assert notice_texts(config, "WARNING") == [
        "Invalid Application Insights instrumentation key provided.",
        "Application Insights has been disabled.",
    ]
    assert config.exported_environ()["AML_APP_INSIGHTS_ENABLED"] == "false"


def test_key_match_is_case_insensitive(app: Path) -> None:
    env = {"AML_APP_INSIGHTS_ENABLED": "true", "AML_APP_INSIGHTS_KEY": VALID_KEY.upper()}
    assert build(app, env).appinsights_enabled is True


def test_env_key_without_enabled_flag_stays_off_silently(app: Path) -> None:
    config = build(app, {"AML_APP_INSIGHTS_KEY": VALID_KEY})
    assert config.appinsights_enabled is False
    assert config.notices == ()


def test_enabled_without_key_is_invalid(app: Path) -> None:
    config = build(app, {"AML_APP_INSIGHTS_ENABLED": "true"})
    assert config.appinsights_enabled is False
    assert "Invalid Application Insights instrumentation key provided." in notice_texts(config)


def test_debuggability_variables_warn(app: Path) -> None:
    config = build(app, {"AML_DBG_MODEL_INFO": "1"})
    assert (
        "WARNING",
        "The debuggability features have been removed. If you have a use case for them please reach out to us.",
    ) in config.notices


# --- exported environment ------------------------------------------------------------------------------------


def test_exported_environ_defaults(app: Path) -> None:
    exported = build(app).exported_environ()
    assert exported == {
        "AML_APP_ROOT": str(app),
        "SERVER_PORT": "5001",
        "HEALTH_PORT": "5001",
        "WORKER_COUNT": "1",
        "TRANSPORT_PROTOCOL": "grpc",
        "AML_APP_INSIGHTS_ENABLED": "false",
        "HTTP_X_MS_SERVER_VERSION": SERVER_VERSION,
    }
    assert SERVER_VERSION == "azmlinfsrv/1.5.1"


def test_exported_environ_with_everything(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    config = build(
        app,
        entry_script="score.py",
        model_dir="models/m1",
        port=6001,
        worker_count=2,
        appinsights_key=VALID_KEY,
        cors_origins="*",
        rest=True,
    )
    exported = config.exported_environ()
    assert exported["AZUREML_ENTRY_SCRIPT"] == os.path.realpath(app / "score.py")
    assert os.path.isabs(exported["AZUREML_ENTRY_SCRIPT"])
    assert exported["AZUREML_MODEL_DIR"] == "models/m1"
    assert exported["SERVER_PORT"] == "6001"
    assert exported["WORKER_COUNT"] == "2"
    assert exported["TRANSPORT_PROTOCOL"] == "rest"
    assert exported["AML_APP_INSIGHTS_ENABLED"] == "true"
    assert exported["AML_APP_INSIGHTS_KEY"] == VALID_KEY
    assert exported["AML_CORS_ORIGINS"] == "*"


def test_exported_model_dir_empty_string_is_given(app: Path) -> None:
    assert build(app, {"AZUREML_MODEL_DIR": ""}).exported_environ()["AZUREML_MODEL_DIR"] == ""


@pytest.mark.parametrize(
    ("value", "present"), [("true", True), ("TRUE", True), ("false", False), ("yes", False), ("", False)]
)
def test_exported_version_unless_disabled(app: Path, value: str, present: bool) -> None:
    config = build(app, {"SERVER_VERSION_LOG_RESPONSE_ENABLED": value})
    assert config.version_header is present
    assert ("HTTP_X_MS_SERVER_VERSION" in config.exported_environ()) is present


def test_header_timeout_default_and_env(app: Path) -> None:
    assert build(app).header_timeout_s == 10.0
    assert build(app, {"AZMLINFSRV_HEADER_TIMEOUT": "2.5"}).header_timeout_s == 2.5
    assert build(app, {"azmlinfsrv_header_timeout": " 30 "}).header_timeout_s == 30.0


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_header_timeout_must_be_positive_seconds(app: Path, value: str) -> None:
    error = config_error(app, {"AZMLINFSRV_HEADER_TIMEOUT": value})
    assert error.exit_code == 3
    assert f"AZMLINFSRV_HEADER_TIMEOUT: '{value}' is not a number of seconds above 0" in str(error)
