"""Data model, loaders, validation and ingestion."""
