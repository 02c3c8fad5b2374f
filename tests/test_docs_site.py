"""The documentation site builds with ``sphinx-build -W`` and has a page for every public name.

The build runs once (a module fixture) on a copy of the site's sources
(``docs/``, ``examples/``, ``proofs/``, the figures' PNGs) in a temporary
folder, so that the files Sphinx generates (API stubs, the gallery) do not
land in the repository. It executes the three notebooks (myst-nb, a local
kernel; a cell that raises or writes to stderr fails the build) and the
gallery's scripts, and downloads nothing.
"""

import importlib
import json
import pathlib
import pkgutil
import shutil
import subprocess
import sys

import pytest

import linunlearn

ROOT = pathlib.Path(__file__).resolve().parents[1]


def public_modules():
    """Every public module of the package (no part of its name starts with ``_``)."""
    names = [info.name for info in pkgutil.walk_packages(linunlearn.__path__, "linunlearn.")
             if not any(part.startswith("_") for part in info.name.split("."))]
    return ["linunlearn"] + sorted(names)


def public_names():
    """``module.name`` of every name of every public module's ``__all__``."""
    out = []
    for module in public_modules():
        out += [f"{module}.{name}"
                for name in getattr(importlib.import_module(module), "__all__", ())]
    return out


def missing_pages(site):
    """The public modules and names that have no page of their own in ``site``."""
    generated = pathlib.Path(site) / "generated"
    return [name for name in public_modules() + public_names()
            if not (generated / f"{name}.html").is_file()]


def build(src, out):
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-j", "2", "-W", "--keep-going", "-E", "-q",
         "-b", "html", str(src / "docs"), str(out)],
        capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    src = tmp_path_factory.mktemp("site-src")
    ignore = shutil.ignore_patterns("generated", "auto_examples", "_build",
                                    "sg_execution_times.rst", "*.pdf", "__pycache__")
    for folder in ("docs", "examples", "proofs", "figures"):
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    out = src / "build" / "html"
    done = build(src, out)
    return done, out


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(site):
    done, out = site
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    for page in ("index", "teaching", "theory", "extending", "api", "proofs/README",
                 "proofs/C5", "notebooks/tutorial", "notebooks/exercises",
                 "notebooks/explorer", "auto_examples/index"):
        assert (out / f"{page}.html").is_file(), page


@pytest.mark.slow
def test_every_public_name_has_a_page(site):
    done, out = site
    assert done.returncode == 0
    assert len(public_names()) > 250
    assert missing_pages(out) == []


def test_the_page_check_finds_a_missing_page(tmp_path):
    """missing_pages reports a name whose page is not there."""
    (tmp_path / "generated").mkdir()
    for name in public_modules() + public_names():
        (tmp_path / "generated" / f"{name}.html").write_text("")
    assert missing_pages(tmp_path) == []
    (tmp_path / "generated" / "linunlearn.explorer.explore.html").unlink()
    assert missing_pages(tmp_path) == ["linunlearn.explorer.explore"]


def test_the_api_reference_lists_every_public_module():
    listed = [line.strip() for line in (ROOT / "docs" / "api.rst").read_text().splitlines()
              if line.strip().startswith("linunlearn")]
    assert listed == public_modules()


def test_one_gallery_example_per_figure():
    """examples/plot_NAME.py for every figure, computing it quick and drawing it."""
    from linunlearn import figures
    scripts = {p.stem.removeprefix("plot_"): p.read_text()
               for p in (ROOT / "examples").glob("plot_*.py")}
    assert set(scripts) == set(figures.FIGURES)
    for name, text in scripts.items():
        compute = figures.FIGURES[name].compute
        # a figure declared outside linunlearn.figures is computed by its own module
        module = compute.__module__.rsplit(".", 1)[-1]
        owner = "figures" if compute.__module__.startswith("linunlearn.figures") else module
        assert f"{owner}.{compute.__name__}(seed=0, quick=True)" in text, name
        assert f'figures.render("{name}", data)' in text, name


@pytest.mark.slow
def test_the_notebooks_ran_in_the_build(site):
    """The executed notebooks: no stderr, and every solution's check says right."""
    done, out = site
    assert done.returncode == 0
    executed = out.parent / "jupyter_execute" / "notebooks"
    assert sorted(p.name for p in executed.glob("*.ipynb")) == [
        "exercises.ipynb", "explorer.ipynb", "tutorial.ipynb"]
    for path in executed.glob("*.ipynb"):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            for o in cell.get("outputs", ()):
                assert o["output_type"] != "error" and o.get("name") != "stderr", path
    exercises = json.loads((executed / "exercises.ipynb").read_text())
    solved = [c for c in exercises["cells"]
              if "solution" in c["metadata"].get("tags", ()) and c["cell_type"] == "code"]
    assert len(solved) == 7
    for cell in solved:
        shown = "".join("".join(o.get("data", {}).get("text/plain", ""))
                        for o in cell["outputs"])
        assert ": right (" in shown and "not right" not in shown, shown


def test_a_warning_fails_the_build(tmp_path):
    """-W turns a warning (here a reference to a missing document) into a failure."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "conf.py").write_text("extensions = ['myst_parser']\n")
    (tmp_path / "src" / "index.md").write_text("# Title\n\nSee {doc}`missing`.\n")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
                           str(tmp_path / "src"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "missing" in done.stderr
