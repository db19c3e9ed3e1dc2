"""The start-up banner, printed to stdout exactly as upstream lays it out (blank lines included)."""

from __future__ import annotations

from typing import Optional

from . import SERVER_VERSION, __version__
from .config import ServerConfig


def _show(value: Optional[object]) -> str:
    return "None" if value is None else str(value)


def render_banner(config: ServerConfig) -> str:
    cors = f"Enabling CORS for {config.cors_origins}" if config.cors_origins else None
    key = "AppInsights key provided" if config.appinsights_key else None
    lines = [
        "",
        f"Azure ML Inferencing HTTP server v{__version__}",
        "",
        "",
        "Server Settings",
        "---------------",
        f"Entry Script Name: {_show(config.entry_script)}",
        f"Model Directory: {_show(config.model_dir)}",
        f"Config File: {_show(config.config_file)}",
        f"Worker Count: {config.worker_count}",
        f"Worker Timeout (seconds): {config.worker_timeout}",
        f"Server Port: {config.port}",
        f"Health Port: {config.health_port}",
        f"Application Insights Enabled: {'true' if config.appinsights_enabled else 'false'}",
        f"Application Insights Key: {_show(key)}",
        f"Inferencing HTTP server version: {SERVER_VERSION}",
        f"CORS for the specified origins: {_show(cors)}",
        f"Create dedicated endpoint for health: {_show(config.separate_health)}",
        "",
        "",
        "Server Routes",
        "---------------",
        f"Liveness Probe: GET   127.0.0.1:{config.health_port}/",
        f"Score:          POST  127.0.0.1:{config.port}/score",
        "",
    ]
    return "\n".join(lines)
