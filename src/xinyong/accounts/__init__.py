"""Accounts, roles, sessions, bearer tokens and API keys."""
