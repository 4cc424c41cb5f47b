"""Data governance (数据治理): data specs, GB/T 36344 quality indicators and score, PII, k-anonymity, classification."""
