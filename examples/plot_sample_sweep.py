"""
Sample sweep
============

The six models against the sample ratio ``n_r / d_r``.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures sample_sweep`` writes the full one
(``figures/sample_sweep.pdf``).
"""

from linunlearn import figures

data = figures.compute_sample_sweep(seed=0, quick=True)
fig = figures.render("sample_sweep", data)
