"""Sphinx configuration of linunlearn's documentation site.

Build: ``pip install ".[docs]"`` then ``sphinx-build -j 2 -W docs build/html``
(``-W``: every warning is an error; ``tests/test_docs_site.py`` runs exactly
this). Nothing is downloaded while building: no intersphinx, the default
theme, the notebooks executed here by a local kernel and the gallery's
scripts run here.

Pages: the teaching guide, the notebooks (``notebooks/*.md``: MyST Markdown
notebooks kept as text with jupytext, executed by myst-nb), docs/theory.md,
docs/extending.md, the proofs (``proofs/*.md`` includes the repository's
``proofs/`` files), the gallery (``examples/plot_*.py``, one per figure, by
sphinx-gallery) and the API reference (autosummary: one page per public
name of every module's ``__all__``, from the numpydoc docstrings).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))

project = "linunlearn"
author = "the linunlearn developers"
copyright = "the linunlearn developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinx_gallery.gen_gallery",
]

# Markdown pages and notebooks are read by myst-nb; sphinx-gallery's own
# .ipynb copies of the examples are downloads, not pages.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "auto_examples/*.pickle"]
templates_path = ["_templates"]
root_doc = "index"

# --- API reference (autosummary + numpydoc)
autosummary_generate = True
autosummary_ignore_module_all = False      # a module's __all__ is its public API
autodoc_default_options = {}
numpydoc_show_class_members = False        # autosummary lists the members
numpydoc_class_members_toctree = False

# --- Markdown and notebooks (myst-nb)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# "force": every notebook is executed at every build, by a local kernel; a
# cell that raises fails the build.
nb_execution_mode = os.environ.get("LINUNLEARN_NB_EXECUTION", "force")
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_in_temp = False               # notebooks run from their folder
# Anything a cell writes to stderr (a warning) is a Sphinx warning, so an
# error under -W: warnings are errors, in the notebooks too.
nb_output_stderr = "warn"

# --- Gallery: one script per figure, in quick mode
sphinx_gallery_conf = {
    "examples_dirs": os.path.join(HERE, "..", "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "image_scrapers": ("linunlearn_scraper",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1e9,
}

# --- HTML
html_theme = "alabaster"
html_title = "linunlearn"
html_static_path = []


# --- Module docstrings are catalogues (one line per public name, in columns:
# the project's convention). reStructuredText would run such a paragraph
# together, or refuse its continuation lines; shown as a literal block, it
# reads as in the source. A paragraph is a catalogue when a line has a column
# gap (two spaces or more inside the text) and it is not a table, a doctest
# or a directive; only paragraphs before the first numpydoc section are read.
import re

_COLUMNS = re.compile(r"^\s*\S+.*?\S\s{2,}\S")
_SECTION = re.compile(r"^-{3,}\s*$")


def _catalogue(paragraph):
    first = paragraph[0].lstrip()
    if first.startswith(("=", ">>>", "..", "|", "*", "- ")) or first.endswith("::"):
        return False
    return any(_COLUMNS.match(line) for line in paragraph)


def literal_catalogues(app, what, name, obj, options, lines):
    """Show the catalogue paragraphs of a module docstring as literal blocks."""
    if what != "module":
        return
    out, paragraph, sections = [], [], False

    def flush():
        if paragraph and not sections and out and _catalogue(paragraph):
            out.extend(["::", ""] + ["    " + line for line in paragraph])
        else:
            out.extend(paragraph)
        paragraph.clear()

    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _SECTION.match(lines[i + 1]) and line.strip():
            flush()
            sections = True
        if line.strip():
            paragraph.append(line)
        else:
            flush()
            out.append(line)
    flush()
    lines[:] = out


def setup(app):
    # before numpydoc (priority 500) reads the docstring's sections
    app.connect("autodoc-process-docstring", literal_catalogues, priority=400)
