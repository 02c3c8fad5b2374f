"""Write the class notebooks as .ipynb files, the exercises with and without solutions.

The notebooks are kept as MyST Markdown text (jupytext) in this folder, one
source each: ``tutorial.md``, ``exercises.md`` (with the solutions: cells
tagged ``solution``) and ``explorer.md``. This script writes

- ``tutorial.ipynb``, ``explorer.ipynb``
- ``exercises.ipynb``: the exercises with their solutions
- ``exercises-student.ipynb``: the same without the cells tagged ``solution``

into ``OUT`` (default ``build/notebooks`` at the repository's root, which
git ignores: they are generated, never edited in place), ready for
``jupyter lab``. The figures a notebook shows (``![...](../../figures/x.png)``
in the source) are embedded in the .ipynb as cell attachments, so that each
file stands alone: a student's copy shows them wherever it is opened.
``--execute`` also runs each one (nbclient; a cell that raises stops the
script with status 1), as the tests do.

Run: ``python docs/notebooks/make_notebooks.py [--out OUT] [--execute]``.
Needs jupytext (and nbclient with ipykernel for ``--execute``): ``pip install
".[notebook]"``.
"""

import argparse
import base64
import copy
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCES = ("tutorial", "exercises", "explorer")
SOLUTION = "solution"


def read(name):
    """The notebook ``name`` (a key of :data:`SOURCES`) read from its text source."""
    import jupytext
    return jupytext.read(os.path.join(HERE, f"{name}.md"))


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", ()))


def student_form(notebook):
    """A copy of ``notebook`` without the cells tagged ``solution``."""
    out = copy.deepcopy(notebook)
    out.cells = [c for c in out.cells if SOLUTION not in tags(c)]
    return out


def forms():
    """``{file stem: notebook}`` of every notebook the class gets."""
    notebooks = {name: read(name) for name in SOURCES}
    notebooks["exercises-student"] = student_form(notebooks["exercises"])
    return notebooks


_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+\.png)\)")


def embed_images(notebook):
    """A copy of ``notebook`` whose local PNG images are cell attachments."""
    out = copy.deepcopy(notebook)
    for cell in out.cells:
        if cell.cell_type != "markdown":
            continue

        def attach(match, cell=cell):
            alt, link = match.groups()
            with open(os.path.normpath(os.path.join(HERE, link)), "rb") as fh:
                data = base64.b64encode(fh.read()).decode("ascii")
            name = os.path.basename(link)
            cell.setdefault("attachments", {})[name] = {"image/png": data}
            return f"![{alt}](attachment:{name})"

        cell.source = _IMAGE.sub(attach, cell.source)
    return out


def execute(notebook, timeout=600):
    """Run every cell of ``notebook`` (in place) from this folder; return it.

    Raises nbclient's ``CellExecutionError`` when a cell raises.
    """
    import nbclient
    nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": HERE}}).execute()
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "notebooks"))
    parser.add_argument("--execute", action="store_true",
                        help="run every notebook after writing it")
    args = parser.parse_args(argv)
    import nbformat
    os.makedirs(args.out, exist_ok=True)
    for stem, notebook in forms().items():
        if args.execute:
            try:
                execute(notebook)
            except Exception as exc:  # nbclient's CellExecutionError and kin
                print(f"{stem}: a cell failed\n{exc}", file=sys.stderr)
                return 1
        path = os.path.join(args.out, f"{stem}.ipynb")
        nbformat.write(embed_images(notebook), path)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
