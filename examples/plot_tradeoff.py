"""
Regulariser trade-off
=====================

Unlearning loss against remaining loss of the discriminative regularisers
``ce_ft``, ``ice_ft`` and ``kl_ft`` as their weight varies (claim C8).

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures tradeoff`` writes the full one
(``figures/tradeoff.pdf``).
"""

from linunlearn import figures

data = figures.compute_tradeoff(seed=0, quick=True)
fig = figures.render("tradeoff", data)
