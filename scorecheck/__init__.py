"""scorecheck: a CI gate that replays recorded requests against an AzureML scoring script."""

__version__ = "0.1.0"
