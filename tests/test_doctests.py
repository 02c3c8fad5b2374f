"""Run the docstring examples of every module of the installed package.

The examples are collected from the imported modules rather than from the
source tree, so the suite checks the package exactly as ``pip install``
placed it (pytest's ``--doctest-modules`` would import the source files a
second time beside the installed copy).
"""
import doctest
import importlib
import pkgutil

import pytest

import linunlearn

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(linunlearn.__path__, "linunlearn.")
    if info.name != "linunlearn.__main__"
) + ["linunlearn"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_subpackages_are_walked():
    """walk_packages recurses: the modules of subpackages are collected too."""
    assert {"linunlearn.figures", "linunlearn.figures.data",
            "linunlearn.figures.draw"} <= set(MODULES)
