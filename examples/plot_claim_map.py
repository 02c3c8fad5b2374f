"""
Claim map
=========

Verdicts of C5's checks over a grid of overlap ratio by ``n_r / d_r``, run
by the verifier's own checks.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures claim_map`` writes the full one
(``figures/claim_map.pdf``).
"""

from linunlearn import figures

data = figures.compute_claim_map(seed=0, quick=True)
fig = figures.render("claim_map", data)
