"""tailorwise: a personalized marketing engine."""

__version__ = "0.1.0"
