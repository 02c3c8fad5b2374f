"""
Deletion stream
===============

Distance to golden against the number of deletion requests served, per
method: ``D_f`` is deleted one row at a time, each method continuing from
its previous model.

This is the quick version (few draws), so that the gallery builds in
seconds; ``linunlearn figures deletion_stream`` writes the full one
(``figures/deletion_stream.pdf``).
"""

from linunlearn import figures, streams

data = streams.compute_stream_figure(seed=0, quick=True)
fig = figures.render("deletion_stream", data)
