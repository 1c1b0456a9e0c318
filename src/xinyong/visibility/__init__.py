"""The visibility engine: who sees which record and field, and how (engine.py), masking of
personal data (masking.py) and publicity windows (publicity.py). Every domain that shows a record
or a person goes through it; it imports no domain that shows anything, so any of them may use it."""
