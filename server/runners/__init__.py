"""Process models (gunicorn worker processes on Linux, waitress threads on Windows and on demand) and what each
of them does to boot a worker: attach the debugger, start telemetry, load the script and build its app."""
