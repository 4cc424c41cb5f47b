"""The deal package (交易资料包): ``deal.yaml`` plus tapes and data samples, validated all at once."""

from __future__ import annotations

from dataabs.package.loader import DealPackage, load_package, validate_package

__all__ = ["DealPackage", "load_package", "validate_package"]
