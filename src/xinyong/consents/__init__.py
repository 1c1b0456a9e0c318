"""Consents of natural persons to collection (HLJ 20)."""
