"""Simulated hospitals: they drive the treating region's gateway like a real HIS would."""
