"""Bare Flask app serving the same ``run()`` as the servers: the ceiling for Flask on gunicorn.

Started by run_bench.py with the gunicorn CLI on ours' worker class, e.g.
``gunicorn --workers 1 --worker-class CLASS --chdir bench/scripts bare_flask_app:app``.
"""

from __future__ import annotations

import json

import trivial_score
from flask import Flask, Response, request

trivial_score.init()
app = Flask(__name__)


@app.get("/")
def health() -> Response:
    """Liveness probe, like the servers' ``GET /``."""
    return Response("Healthy", mimetype="text/plain")


@app.post("/score")
def score() -> Response:
    """Pass the raw body text to ``run()`` and return its result as JSON."""
    result = trivial_score.run(request.get_data(as_text=True))
    return Response(json.dumps(result), mimetype="application/json")
