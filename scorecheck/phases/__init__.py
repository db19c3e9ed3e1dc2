"""The phases of a run (replay, properties) and the checks that judge one request and its response."""
