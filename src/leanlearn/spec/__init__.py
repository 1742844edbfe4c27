"""Specifications: the model syntax and the survey codebook (the bottom layer)."""
