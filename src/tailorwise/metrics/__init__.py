"""Ranking metrics, and the paired bootstrap that compares two models on them."""
