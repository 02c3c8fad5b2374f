"""
Training curves
===============

Remaining and unlearning loss over gradient-descent steps: pretraining, then
fine-tuning against retraining (golden). Fine-tuning reaches zero remaining
loss but never forgets (claims C1, C2); golden's unlearning loss settles at
its exact expectation.

This is the quick version (small Monte Carlo, coarse grid), so that the
gallery builds in seconds; ``linunlearn figures training_curves`` writes the full one
(``figures/training_curves.pdf``).
"""

from linunlearn import figures

data = figures.compute_training_curves(seed=0, quick=True)
fig = figures.render("training_curves", data)
