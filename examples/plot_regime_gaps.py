"""
Regime gaps
===========

Fine-tuning's unlearning-loss gap to golden beyond the paper's regime:
against the ridge penalty, the fine-tuning budget, and ``n_r / d_r`` across
the interpolation threshold.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures regime_gaps`` writes the full one
(``figures/regime_gaps.pdf``).
"""

from linunlearn import figures

data = figures.compute_regime_gaps(seed=0, quick=True)
fig = figures.render("regime_gaps", data)
