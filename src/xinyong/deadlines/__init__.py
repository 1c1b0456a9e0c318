"""Statutory deadlines (法定时限): computed once, stored with their citation."""
