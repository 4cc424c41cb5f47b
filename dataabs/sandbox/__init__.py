"""The sandbox counterparty service (FastAPI), seeded from deal packages, with fault injection for tests.

Importing this package is cheap: FastAPI and uvicorn load only with ``dataabs.sandbox.app``/``server``.
"""
