"""Synthetic demo data."""
