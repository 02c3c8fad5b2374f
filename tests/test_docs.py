"""The tutorial and the exercises run: every `>>>` example is a doctest."""

import doctest
import os

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")


@pytest.mark.parametrize("name", ["tutorial.md", "exercises.md"])
def test_doc_examples_run(name):
    result = doctest.testfile(os.path.join(DOCS, name), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              report=True, verbose=False)
    assert result.attempted >= 10
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"


def test_every_code_block_is_a_doctest():
    """A ```python block without `>>>` would not be run; forbid it."""
    for name in ("tutorial.md", "exercises.md"):
        with open(os.path.join(DOCS, name)) as fh:
            blocks = fh.read().split("```python")[1:]
        for block in blocks:
            assert block.lstrip().startswith(">>>"), block[:60]


def test_docs_point_only_at_files_in_the_repository():
    """Every file the lesson names (``figures/x.pdf``, ``proofs/C2.md``) exists here."""
    import re
    root = os.path.dirname(DOCS)
    for name in ("tutorial.md", "exercises.md"):
        with open(os.path.join(DOCS, name)) as fh:
            text = fh.read()
        paths = set(re.findall(r"[\w./-]+\.(?:md|pdf|png|py)\b", text))
        assert paths, name
        for path in paths:
            assert os.path.exists(os.path.join(root, path)), (name, path)
