"""Authorisations: a subject lets a named party query its conditional information
(HLJ 24, HLJ 36, HRB 35); the subject's publicity choices (HLJ 37)."""
