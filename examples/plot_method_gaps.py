"""
Method gaps
===========

Average gap to golden of every method of ``linunlearn compare`` in each
default regime.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures method_gaps`` writes the full one
(``figures/method_gaps.pdf``).
"""

from linunlearn import figures

data = figures.compute_method_gaps(seed=0, quick=True)
fig = figures.render("method_gaps", data)
