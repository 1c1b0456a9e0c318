"""Tamper-evident, hash-chained audit log (审计日志)."""
