"""azmlinfsrv: a drop-in replacement for the AzureML inference HTTP server (azureml-inference-server-http 1.5.1)."""

# The server reports the upstream release it is compatible with, so that clients and the gate see the
# same `x-ms-server-version` as production.
__version__ = "1.5.1"

SERVER_VERSION = f"azmlinfsrv/{__version__}"
