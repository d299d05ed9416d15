"""Settings and component configs."""

from tailorwise.config.settings import Settings

__all__ = ["Settings"]
