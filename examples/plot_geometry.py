"""
Geometry
========

The three-dimensional class example: where the pretrained, fine-tuned,
golden, RBM and projected models land (claims C2, C3, C4, C7).

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures geometry`` writes the full one
(``figures/geometry.pdf``).
"""

from linunlearn import figures

data = figures.compute_geometry(seed=0, quick=True)
fig = figures.render("geometry", data)
