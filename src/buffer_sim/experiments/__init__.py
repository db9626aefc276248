"""Experiments on the model: one run, ensembles, sweeps, sensitivity, discovery, comparison,
calibration and validation, and the engines they run on."""
