"""A seeded synthetic shop with a campaign of known effects."""

from tailorwise.synth.config import SynthConfig
from tailorwise.synth.generate import SynthReport, generate

__all__ = ["SynthConfig", "SynthReport", "generate"]
