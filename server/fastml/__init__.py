"""`fastml server`: the fastml-engine product (its command line, gunicorn runner, app, service discovery and
execution rules), built on the unified API blueprint (`azmlinfsrv.unified`). See docs/unified.md."""
