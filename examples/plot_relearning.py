"""
Relearning
==========

Unlearning loss while each unlearned model is fine-tuned on half of ``D_f``,
on the relearned rows and on the rest: how fast does what was forgotten come
back?

This is the quick version (few draws), so that the gallery builds in
seconds; ``linunlearn figures relearning`` writes the full one
(``figures/relearning.pdf``).
"""

from linunlearn import figures, relearn

data = relearn.compute_relearning(seed=0, quick=True)
fig = figures.render("relearning", data)
