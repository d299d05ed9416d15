"""Features shared by every model: text encoders and user/item features."""
