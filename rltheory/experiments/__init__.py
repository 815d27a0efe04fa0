"""Experiments: interaction loops, specs, sweeps, backends, tidy results, plots and reports.

Plotting (:mod:`rltheory.experiments.plots`, :mod:`rltheory.experiments.report`) is imported on
demand so that running cells does not load matplotlib.
"""

from rltheory.experiments.errors import SpecError, UsageError
from rltheory.experiments.results import ResultsError, load_results
from rltheory.experiments.runner import (
    BACKENDS,
    CellFailedError,
    Terminated,
    run_cell,
    run_experiment,
)
from rltheory.experiments.spec import ExperimentSpec, load_spec, spec_from_dict

__all__ = [
    "BACKENDS",
    "CellFailedError",
    "ExperimentSpec",
    "ResultsError",
    "SpecError",
    "Terminated",
    "UsageError",
    "load_results",
    "load_spec",
    "run_cell",
    "run_experiment",
    "spec_from_dict",
]
