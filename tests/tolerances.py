"""The suite's statistical tolerance policy, importable by every test module (`from tolerances import
Z_TOL`; tests/ is on sys.path through the root conftest).

Statistical tests use fixed seeds and two-sided tolerances of Z_TOL standard errors:
P(|N(0,1)| > 4.5) = 6.8e-6, so a correct implementation fails a given check less than once in 1e5 runs
(and the whole suite, with < 10 such checks per file, well under once in 1e4).
"""
import numpy as np

Z_TOL = 4.5
P_MIN = 1e-5      # p-value floor for two-sample tests (KS): false failure rate 1e-5 per check


def zscore_means(x, y):
    """z statistic of the difference of two sample means (independent samples)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    return (x.mean() - y.mean()) / se
