"""sgdlab: simulation core, theory and widgets for the companion book on SGD near critical points."""
__version__ = "0.1.0"
