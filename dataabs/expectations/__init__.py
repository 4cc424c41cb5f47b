"""Our custom Great Expectations 1.x expectations, one per file; importing this package registers them with GX."""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from dataabs.expectations.k_anonymity import ExpectTableKAnonymity
from dataabs.expectations.no_pii import ExpectColumnValuesToNotContainPii
from dataabs.expectations.valid_uscc import ExpectColumnValuesToBeValidUscc

__all__ = ["ExpectColumnValuesToBeValidUscc", "ExpectColumnValuesToNotContainPii", "ExpectTableKAnonymity"]
