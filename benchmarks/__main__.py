"""``python -m benchmarks [--sizes small|default|large] [--only NAME,...]``: run the benchmark suite."""

from __future__ import annotations

from benchmarks.suite import main

raise SystemExit(main())
