"""Application Insights request and exception telemetry (contract §15), only when enabled.

The OpenTelemetry and Azure Monitor packages are an optional extra (`scorecheck[telemetry]`) and are imported only
here and only when telemetry is on, so a normal start does not pay for them. Telemetry problems never fail a
request: they are logged as warnings.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from .config import ServerConfig

logger = logging.getLogger("azmlinfsrv")
NOT_SERIALISABLE = "Scoring request response payload is a non serializable object or raw binary"
FLUSH_TIMEOUT_MS = 30_000


def format_duration(seconds: float) -> str:
    """`[d.]HH:MM:SS.mmm`, the Application Insights duration format."""
    millis = round(seconds * 1000)
    days, millis = divmod(millis, 86_400_000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"{days}.{text}" if days else text


def response_value(body: bytes, is_json: bool) -> str:
    if not is_json:
        return NOT_SERIALISABLE
    try:
        return json.dumps(json.loads(body))
    except ValueError:
        return NOT_SERIALISABLE


def model_ids(model_dir: Optional[str]) -> str:
    """`name:version` pairs from an AZUREML_MODEL_DIR laid out as `<name>/<version>/`."""
    if not model_dir or not os.path.isdir(model_dir):
        return ""
    pairs: List[str] = []
    for name in sorted(os.listdir(model_dir)):
        path = os.path.join(model_dir, name)
        if os.path.isdir(path):
            pairs.extend(
                f"{name}:{v}" for v in sorted(os.listdir(path)) if os.path.isdir(os.path.join(path, v))
            )
    return ",".join(pairs)


class Telemetry:
    """The worker's Application Insights client: request, exception and model-data records, each named by the
    request's ids (`{"request_id": ..., "client_request_id": ...}`), sent without ever failing a request."""

    def __init__(self, config: ServerConfig, tracer: Any, provider: Any) -> None:
        self._config = config
        self._tracer = tracer
        self._provider = provider

    def request(
        self,
        *,
        path: str,
        method: str,
        url: str,
        started: datetime,
        seconds: float,
        status: int,
        ids: Mapping[str, str],
        body: Optional[str],
    ) -> None:
        attributes = {
            "Container Id": self._config.hostname,
            "Request Id": ids.get("request_id", ""),
            "Client Request Id": ids.get("client_request_id", ""),
            "name": path,
            "url": url,
            "start_time": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "duration": format_duration(seconds),
            "resultCode": str(status),
            "success": status < 400,
            "http_method": method,
            "Workspace Name": self._config.workspace_name,
            "Service Name": self._config.service_name,
        }
        if self._config.appinsights_log_response and body is not None:
            attributes["Response Value"] = body
        self._emit(path, attributes, None)

    def exception(self, exc: BaseException, ids: Mapping[str, str]) -> None:
        attributes = {
            "Container Id": self._config.hostname,
            "Request Id": ids.get("request_id", ""),
            "Client Request Id": ids.get("client_request_id", ""),
        }
        self._emit("exception", attributes, exc)

    def model_data(self, ids: Mapping[str, str], input_value: Any, prediction: Any) -> None:
        """The model-data record, when AML_MDC_STORAGE_ENABLED is on."""
        if not self._config.mdc_storage_enabled:
            return
        attributes = {
            "Container Id": self._config.hostname,
            "Request Id": ids.get("request_id", ""),
            "Client Request Id": ids.get("client_request_id", ""),
            "Workspace Name": self._config.workspace_name,
            "Service Name": self._config.service_name,
            "Models": model_ids(self._config.model_dir),
            "Input": _as_text(input_value),
            "Prediction": _as_text(prediction),
        }
        self._emit("model_data_collection", attributes, None)

    def _emit(self, name: str, attributes: Dict[str, Any], exc: Optional[BaseException]) -> None:
        try:
            from opentelemetry.trace import SpanKind

            with self._tracer.start_as_current_span(
                name, kind=SpanKind.SERVER, attributes=attributes
            ) as span:
                if exc is not None:
                    span.record_exception(exc)
        except Exception as error:  # telemetry must never break a request
            logger.warning("Could not send telemetry: %s", error)

    def flush(self) -> None:
        try:
            self._provider.force_flush(FLUSH_TIMEOUT_MS)
        except Exception as error:
            logger.warning("Could not flush telemetry: %s", error)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return NOT_SERIALISABLE


def start_telemetry(config: ServerConfig) -> Optional[Telemetry]:
    if not config.appinsights_enabled or not config.appinsights_key:
        return None
    logger.info("Starting up app insights client")
    try:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.warning(
            "Application Insights is enabled but its packages are not installed, so telemetry is disabled. "
            "Install them with: pip install 'scorecheck[telemetry]'"
        )
        return None
    try:
        exporter = AzureMonitorTraceExporter(connection_string=f"InstrumentationKey={config.appinsights_key}")
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    except Exception as error:
        logger.warning("Application Insights could not be started, telemetry is disabled: %s", error)
        return None
    return Telemetry(config, provider.get_tracer("azmlinfsrv"), provider)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
