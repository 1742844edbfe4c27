"""Population models and the simulated survey export behind the bundled data."""
