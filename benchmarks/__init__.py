"""Benchmarks of dataabs: per-area modules (``*_bench.py``) and the suite that runs them all (``python -m benchmarks``)."""
