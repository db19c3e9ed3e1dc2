"""The documented name lists the lint rules compare against, each with the reason it is the list it is.

`scorecheck` never imports the server (it reaches it only as a process), so the few server facts the lint needs
are written here; `tests/scorecheck/lint/test_names.py` keeps them equal to the server's own lists.
"""

from __future__ import annotations

import sys
from typing import FrozenSet, Mapping, Tuple

# Modules that azureml-inference-server-http 1.5.1 puts first on sys.path from its own package: in production
# `import utils` (and the rest) gets the server's module, not the one beside the script (the AzureML contract §17).
UPSTREAM_MODULES: Tuple[str, ...] = (
    "utils",
    "config",
    "routes",
    "entry",
    "user_script",
    "swagger",
    "create_app",
    "input_parsers",
    "aml_blueprint",
    "appinsights_client",
)

# Packages the server process has imported (or installs) before the script runs, and the machine-learning
# packages of the AzureML curated inference images and documentation samples. A module of that name beside the
# script is a different module locally, where the script's folder comes first on sys.path (`python score.py`,
# pytest's rootdir insertion), than in the server, which appends the folder, so the installed package wins.
COMMON_PACKAGES: FrozenSet[str] = frozenset(
    {
        # the server and its dependencies
        "azureml",
        "azureml_inference_server_http",
        "azmlinfsrv",
        "flask",
        "werkzeug",
        "jinja2",
        "gunicorn",
        "waitress",
        "inference_schema",
        "opentelemetry",
        # what scoring scripts import
        "numpy",
        "pandas",
        "scipy",
        "sklearn",
        "joblib",
        "torch",
        "tensorflow",
        "keras",
        "onnxruntime",
        "mlflow",
        "requests",
        "yaml",
        "PIL",
    }
)

# The standard library: a same-named module beside the script matters only when something imports it (a folder
# of scripts often holds a harmless `test.py`), so these count when the script imports them.
# Python 3.9 has no list of its own: the modules a scoring script most often imports stand in.
STDLIB: FrozenSet[str] = frozenset(
    getattr(sys, "stdlib_module_names", ())
    or ("json", "logging", "os", "sys", "time", "math", "random", "pickle", "io", "typing", "base64", "uuid")
)

# The keys the server reads from a config.json, and the ones production ignores there (with what to use instead).
HONOURED_CONFIG_KEYS: FrozenSet[str] = frozenset(
    {
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
    }
)
IGNORED_CONFIG_KEYS: Mapping[str, str] = {
    "AML_APP_ROOT": "the AML_APP_ROOT environment variable",
    "AML_CORS_ORIGINS": "--access_control_allow_origins or the AML_CORS_ORIGINS environment variable",
    "AML_APP_INSIGHTS_ENABLED": "the AML_APP_INSIGHTS_ENABLED environment variable",
    "AML_APP_INSIGHTS_KEY": "--appinsights_instrumentation_key or the AML_APP_INSIGHTS_KEY environment variable",
    "AML_MODEL_DC_STORAGE_ENABLED": "the AML_MDC_STORAGE_ENABLED environment variable",
}
SERVER_CONFIG_KEYS: FrozenSet[str] = HONOURED_CONFIG_KEYS | frozenset(IGNORED_CONFIG_KEYS)
