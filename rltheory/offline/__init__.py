"""Offline RL data: behaviour policies and collection, on-disk datasets, coverage diagnostics
and exact offline metrics (robust suboptimality, values in perturbed test models)."""

from rltheory.offline.data import BEHAVIOURS, OfflineDataset, behaviour_policy, collect
from rltheory.offline.storage import DatasetError, load_dataset, save_dataset

__all__ = [
    "BEHAVIOURS",
    "DatasetError",
    "OfflineDataset",
    "behaviour_policy",
    "collect",
    "load_dataset",
    "save_dataset",
]
