"""The unified multi-format inference API (`/health`, `/infer`) as a Flask blueprint, served by `azmlinfsrv`
(the entry script as the service `score`, see entry_service.py) and by `fastml server` (`azmlinfsrv.fastml`).

See docs/unified.md. The request flows media -> decode -> (service) -> envelope; routes wires them together.
"""
