"""Counterparty clients (registry, bank/custodian, reference curve) over httpx, with timeouts and retries."""
