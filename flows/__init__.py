"""Prefect flows: they only compose the tasks of ``tasks/`` in lifecycle order."""
