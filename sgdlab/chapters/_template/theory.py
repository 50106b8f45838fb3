"""Theory of the template chapter: the small-step Gibbs law of SGD with additive Gaussian noise on the
double well f(w) = w⁴/4 − w²/2 (never simulates)."""
import numpy as np


def f(w):
    return w**4 / 4 - w**2 / 2


def gibbs_density(w, lr, sigma):
    """exp(−2 f(w) / (lr σ²)), normalised on the grid w: the stationary law for small lr."""
    p = np.exp(-2 * f(w) / (lr * sigma**2))
    return p / np.trapezoid(p, w)


def gibbs_mean_abs(lr, sigma, n=4001):
    w = np.linspace(-3, 3, n)
    return float(np.trapezoid(np.abs(w) * gibbs_density(w, lr, sigma), w))
