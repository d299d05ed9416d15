"""The data the models learn from: id maps, interactions, weighting and splits."""
