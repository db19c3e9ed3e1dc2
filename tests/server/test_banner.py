"""Unit tests for azmlinfsrv.banner: the start-up banner, line for line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from azmlinfsrv.banner import render_banner
from azmlinfsrv.config import CliArgs, build_config

VALID_KEY = "0123abcd-4567-89ef-0123-456789abcdef"


def banner_lines(tmp_path: Path, env: Dict[str, str], **args: Any) -> List[str]:
    return render_banner(build_config(CliArgs(**args), env, str(tmp_path))).split("\n")


def test_minimal_banner(tmp_path: Path) -> None:
    assert banner_lines(tmp_path, {}) == [
        "",
        "Azure ML Inferencing HTTP server v1.5.1",
        "",
        "",
        "Server Settings",
        "---------------",
        "Entry Script Name: None",
        "Model Directory: None",
        "Config File: None",
        "Worker Count: 1",
        "Worker Timeout (seconds): 300",
        "Server Port: 5001",
        "Health Port: 5001",
        "Application Insights Enabled: false",
        "Application Insights Key: None",
        "Inferencing HTTP server version: azmlinfsrv/1.5.1",
        "CORS for the specified origins: None",
        "Create dedicated endpoint for health: None",
        "",
        "",
        "Server Routes",
        "---------------",
        "Liveness Probe: GET   127.0.0.1:5001/",
        "Score:          POST  127.0.0.1:5001/score",
        "",
    ]


def test_full_banner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config_file = tmp_path / "server.json"
    config_file.write_text(json.dumps({"SERVICE_NAME": "svc"}), encoding="utf-8")
    lines = banner_lines(
        tmp_path,
        {"SEPERATE_HEALTH_ENDPOINT": "true", "WORKER_TIMEOUT": "60"},
        entry_script="score.py",
        model_dir="models",
        port=6001,
        health_port=6002,
        worker_count=2,
        appinsights_key=VALID_KEY,
        cors_origins="http://a.com,http://b.com",
        config_file=str(config_file),
    )
    settings = lines[lines.index("Server Settings") + 2 : lines.index("Server Routes") - 2]
    assert settings == [
        f"Entry Script Name: {os.path.realpath(tmp_path / 'score.py')}",
        "Model Directory: models",
        f"Config File: {os.path.realpath(config_file)}",
        "Worker Count: 2",
        "Worker Timeout (seconds): 60",
        "Server Port: 6001",
        "Health Port: 6002",
        "Application Insights Enabled: true",
        "Application Insights Key: AppInsights key provided",
        "Inferencing HTTP server version: azmlinfsrv/1.5.1",
        "CORS for the specified origins: Enabling CORS for http://a.com,http://b.com",
        "Create dedicated endpoint for health: true",
    ]
    assert lines[-3:] == [
        "Liveness Probe: GET   127.0.0.1:6002/",
        "Score:          POST  127.0.0.1:6001/score",
        "",
    ]


def test_banner_names_an_auto_discovered_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"SERVICE_NAME": "svc"}), encoding="utf-8")
    assert f"Config File: {tmp_path / 'config.json'}" in banner_lines(tmp_path, {})


def test_invalid_key_shows_disabled_but_provided(tmp_path: Path) -> None:
    lines = banner_lines(tmp_path, {}, appinsights_key="bad")
    assert "Application Insights Enabled: false" in lines
    assert "Application Insights Key: AppInsights key provided" in lines
