"""Experiments: interaction loops, specs, sweeps, backends, results and plots."""
