"""Ingestion from provider units: validation, versioning, quarantine, receipts."""
