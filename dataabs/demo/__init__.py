"""The demo deal (示范交易): a deterministic generator of a complete data-pledged-loan deal package."""

from __future__ import annotations

from dataabs.demo.generate import write_demo_package
from dataabs.demo.samples import write_sample, write_spec

__all__ = ["write_demo_package", "write_sample", "write_spec"]
