"""Issuance (发行): tranche pricing analytics, tranche terms, the document checklist, term sheet and deal report.

Modules load independently: ``pricing`` and ``documents`` are light; ``report`` pulls matplotlib (Agg) and
``termsheet`` openpyxl only when imported.
"""
