"""Closed-form and numerical theory, one module per topic (quadratic model, sharp minima, Gibbs, heavy tails, sticking)."""
