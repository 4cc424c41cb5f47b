"""Prefect tasks, one module per lifecycle stage: read inputs, call the core, gate, write, commit, publish."""
