"""
Overlap sweep
=============

Unlearning loss and remaining test loss of the six models of the paper
against the overlap ratio ``d_lap / d_f``: Monte Carlo means with their
intervals, and the exact expectations where the theory gives them.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures overlap_sweep`` writes the full one
(``figures/overlap_sweep.pdf``).
"""

from linunlearn import figures

data = figures.compute_overlap_sweep(seed=0, quick=True)
fig = figures.render("overlap_sweep", data)
