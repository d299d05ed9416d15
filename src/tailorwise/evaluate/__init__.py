"""Evaluation: the runner, tuning and the benchmark."""
