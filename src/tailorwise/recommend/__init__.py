"""Recommenders: one protocol, many models, one result type."""

from tailorwise.recommend.base import BaseRecommender, Filters, Recommender

__all__ = ["BaseRecommender", "Filters", "Recommender"]
