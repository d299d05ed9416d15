"""Splits, full-ranking metrics, significance and the benchmark runner."""
