"""Stage 'measurement': the measurement model against configured thresholds."""
