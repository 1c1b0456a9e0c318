"""The comprehensive public credit evaluation (HLJ 47): a model as data (models/*.yaml), one
feature query (features.py), one pure scoring function over Arrow batches (scoring.py), runs
versioned and never overwritten, and each grade's explanation (service.py)."""
