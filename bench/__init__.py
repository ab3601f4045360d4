"""Measurements of the relay's building blocks, outside the services themselves."""
