"""Shared building blocks: clock, errors, identifiers, roles."""
