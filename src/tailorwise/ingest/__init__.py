"""Ingestion: file formats, validation, the fast path and the careful path."""
