"""Sharing, opening and querying: the one visibility engine every read goes through."""
