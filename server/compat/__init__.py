"""Import aliases that let unchanged upstream scripts import the AzureML request/response API."""
