"""The hybrid: several recommenders blended with weights tuned on held-out events."""

from tailorwise.recommend.hybrid.model import HybridRecommender

__all__ = ["HybridRecommender"]
