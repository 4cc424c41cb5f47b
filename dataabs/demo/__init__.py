"""Demo deal packages (示范交易): deterministic generators of complete deal packages, one per deal model."""

from __future__ import annotations

from dataabs.demo.catalogue import PACKAGES, package_spec, write_model_package, write_named_package
from dataabs.demo.generate import write_demo_package
from dataabs.demo.samples import write_sample, write_spec

__all__ = [
    "PACKAGES",
    "package_spec",
    "write_demo_package",
    "write_model_package",
    "write_named_package",
    "write_sample",
    "write_spec",
]
