"""Process models: gunicorn worker processes on Linux, waitress threads on Windows (and on demand)."""
