"""The PLS-SEM engine: data preparation, estimation, bootstrap, reliability and validity metrics, model fit."""
