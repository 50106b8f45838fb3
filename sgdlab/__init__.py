"""sgdlab: simulation core, theory and widgets for the companion book on SGD near critical points.

The simulation core is compiled (Cython, OpenMP); `simulate` is its entry point.
"""
__version__ = "0.1.0"

from sgdlab.landscapes import LANDSCAPES, Landscape, make_landscape
from sgdlab.noise import (NOISES, Constant, DataLaw, Discrete, GaussianData, NoiseLaw, NoiseScale,
                          SqrtLoss, Tabulated, TwoPoint, make_noise)
from sgdlab.optimizers import OPTIMIZERS, make_optimizer
from sgdlab.regions import Ball, Box, Interval
from sgdlab.simulate import DivergenceWarning, Result, default_threads, simulate
from sgdlab.sweep import ChunkFailure, SweepError, SweepResult, sweep

__all__ = ["simulate", "Result", "DivergenceWarning", "default_threads", "LANDSCAPES",
           "Landscape", "make_landscape", "NOISES", "make_noise", "NoiseLaw", "DataLaw",
           "Discrete", "TwoPoint", "GaussianData", "NoiseScale", "Constant", "SqrtLoss",
           "Tabulated", "OPTIMIZERS", "make_optimizer", "Box", "Interval", "Ball", "sweep",
           "SweepResult", "SweepError", "ChunkFailure"]
