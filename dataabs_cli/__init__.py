"""The ``dataabs`` command: the operator's entry point, above flows, tasks and the core."""
