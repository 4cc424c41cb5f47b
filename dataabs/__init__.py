"""dataabs core: models, money, calendar and the engines of a data-asset ABS deal (数据资产证券化).

Nothing in this package imports Prefect, ``flows`` or ``tasks``: the engines are plain functions that the
Prefect tasks call, so every rule here is testable without an orchestration server.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

# The machines have no internet: telemetry of the stack is off unless an operator turns it on explicitly.
for _name, _value in (
    ("DO_NOT_TRACK", "1"),
    ("GX_ANALYTICS_ENABLED", "false"),
    ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
):
    os.environ.setdefault(_name, _value)
