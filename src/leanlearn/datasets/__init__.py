"""Bundled example datasets (:func:`load`), and the population models and simulated export behind the bundled study data."""

from leanlearn.datasets.bundled import DATASETS, list_datasets, load, model

__all__ = ["DATASETS", "list_datasets", "load", "model"]
