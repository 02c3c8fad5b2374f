"""sphinx-gallery image scraper for figures drawn without pyplot.

linunlearn draws every figure on its own Agg canvas (no pyplot, so that no
global backend changes), which sphinx-gallery's matplotlib scraper, reading
pyplot's figure list, does not see. This scraper takes the
:class:`matplotlib.figure.Figure` objects that an example leaves in its
globals instead. sphinx-gallery finds it by module name (``image_scrapers =
("linunlearn_scraper",)``), so the configuration stays picklable.
"""

_seen = {}


def scrape(block, block_vars, gallery_conf, **kwargs):
    """Save each new Figure of the example's globals; return the reST that shows them."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst
    seen = _seen.setdefault(block_vars["src_file"], set())
    paths = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and id(value) not in seen:
            seen.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=100)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    return scrape
