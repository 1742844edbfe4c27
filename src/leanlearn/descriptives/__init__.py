"""Stage 'describe': item and construct descriptives."""
