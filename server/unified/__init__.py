"""The unified multi-format inference API (`/health`, `/infer`), shared by `azmlinfsrv` and `fastml server`.

See docs/unified.md. The request flows media -> decode -> (service) -> envelope; routes wires them together.
"""
