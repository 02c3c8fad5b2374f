"""The class notebooks: one text source each, two forms of the exercises, all run.

The three sources (``docs/notebooks/*.md``) are executed by the site's build
(``tests/test_docs_site.py``: myst-nb runs every cell with a local kernel,
and a cell that raises or writes to stderr fails the build); the student form
of the exercises, which the site does not show, is executed here.
"""

import importlib.util
import os
import pathlib
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "docs", "notebooks")


def _make_notebooks():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", os.path.join(HERE, "make_notebooks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _make_notebooks()


def outputs(cell):
    """The text a code cell showed: results, displays and streams."""
    out = []
    for o in cell.get("outputs", ()):
        out.append(o.get("data", {}).get("text/plain", "") or o.get("text", ""))
    return "".join(out)


def stderr(notebook):
    return [o.get("text", "") for c in notebook.cells if c.cell_type == "code"
            for o in c.get("outputs", ()) if o.get("name") == "stderr"]


def check_cells(notebook):
    """The code cells that call ``check(N, answer)``, with N."""
    return [(int(m.group(1)), c) for c in notebook.cells if c.cell_type == "code"
            for m in [re.search(r"^check\((\d+), answer\)", c.source, re.MULTILINE)] if m]


def test_the_sources_are_jupytext_myst_notebooks():
    import jupytext
    for name in make.SOURCES:
        notebook = make.read(name)
        fmt = notebook.metadata["jupytext"]["text_representation"]
        assert fmt["format_name"] == "myst" and fmt["extension"] == ".md"
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        assert sum(c.cell_type == "code" for c in notebook.cells) >= 4, name
        # a round trip through the text format keeps every cell
        again = jupytext.reads(jupytext.writes(notebook, fmt="md:myst"), fmt="md:myst")
        assert [c.source for c in again.cells] == [c.source for c in notebook.cells]


def test_one_source_per_lesson():
    """The lessons live in the notebooks only; the old Markdown copies are gone."""
    assert not os.path.exists(os.path.join(ROOT, "docs", "tutorial.md"))
    assert not os.path.exists(os.path.join(ROOT, "docs", "exercises.md"))
    readme = pathlib.Path(ROOT, "README.md").read_text()
    assert "docs/notebooks/tutorial.md" in readme and "docs/tutorial.md" not in readme


def test_the_student_form_has_no_solution():
    full = make.read("exercises")
    student = make.student_form(full)
    solutions = [c for c in full.cells if make.SOLUTION in make.tags(c)]
    assert len(solutions) >= 2 * 7                   # text and code, each exercise
    assert all(make.SOLUTION not in make.tags(c) for c in student.cells)
    assert len(student.cells) == len(full.cells) - len(solutions)
    text = "\n".join(c.source for c in student.cells)
    assert "**Solution.**" not in text
    for cell in solutions:                       # nothing of a solution is left
        assert cell.source not in text
    # every exercise keeps its statement and its answer cell
    assert [n for n, _ in check_cells(student)] == list(range(1, 8))
    assert all("answer = ..." in c.source for _, c in check_cells(student))


def test_the_solution_check_finds_a_solution():
    """The student-form check above fails on a form that kept a solution."""
    full = make.read("exercises")
    leaky = make.student_form(full)
    leaky.cells.append(next(c for c in full.cells if make.SOLUTION in make.tags(c)))
    assert any(make.SOLUTION in make.tags(c) for c in leaky.cells)


@pytest.mark.slow
def test_the_student_form_runs():
    """Every cell runs; every check says "no answer yet" (none is filled in)."""
    notebook = make.execute(make.student_form(make.read("exercises")))
    checks = check_cells(notebook)
    assert len(checks) == 7
    for n, cell in checks:
        assert outputs(cell).startswith(f"Exercise {n}: no answer yet"), outputs(cell)
    assert stderr(notebook) == []


def test_a_failing_cell_fails_the_run():
    """execute raises on a cell that raises (what the site's build relies on too)."""
    import nbclient.exceptions
    import nbformat
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="ZeroDivisionError"):
        make.execute(notebook)


def test_make_notebooks_writes_the_class_notebooks(tmp_path):
    """The README's Teaching command, headless: the .ipynb files it opens."""
    import nbformat
    assert make.main(["--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["exercises-student.ipynb", "exercises.ipynb", "explorer.ipynb",
                     "tutorial.ipynb"]
    for name in names:
        nbformat.validate(nbformat.read(tmp_path / name, as_version=4))
    student = nbformat.read(tmp_path / "exercises-student.ipynb", as_version=4)
    assert all(make.SOLUTION not in make.tags(c) for c in student.cells)
    # each file stands alone: its figures are attachments, not links
    tutorial = nbformat.read(tmp_path / "tutorial.ipynb", as_version=4)
    attached = {name for c in tutorial.cells for name in c.get("attachments", {})}
    assert attached == {"geometry.png", "overlap_sweep.png"}
    assert not any(re.search(r"!\[[^]]*\]\((?!attachment:)", c.source)
                   for c in tutorial.cells)


def test_the_readme_command_opens_what_make_notebooks_writes():
    readme = pathlib.Path(ROOT, "README.md").read_text()
    teaching = readme.split("## Teaching", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"^pip install .*$", teaching, re.MULTILINE).group(0)
    assert "docs/notebooks/make_notebooks.py" in command
    assert "jupyter lab build/notebooks/tutorial.ipynb" in command
    assert '".[notebook]"' in command


def test_notebooks_point_only_at_files_in_the_repository():
    """Every file a notebook names (``figures/x.pdf``, a linked notebook) exists."""
    for name in make.SOURCES:
        text = pathlib.Path(HERE, f"{name}.md").read_text()
        links = re.findall(r"\]\(([^)#]+)\)", text)         # relative to the notebook
        for link in links:
            assert os.path.exists(os.path.normpath(os.path.join(HERE, link))), (name, link)
        paths = {p for p in re.findall(r"`([\w./-]+\.(?:md|pdf|png|py))`", text)}
        for path in paths:                                  # relative to the root
            assert os.path.exists(os.path.join(ROOT, path)), (name, path)
        assert links or paths, name
