"""The documents run: every `>>>` example is a doctest, every `# file:` block a file it uses."""

import doctest
import os
import sys

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
RUN = ["extending.md"]  # the lessons are notebooks: tests/test_notebooks.py


def file_blocks(text):
    """``{name: source}`` of the fenced blocks whose first line is ``# file: NAME``."""
    out = {}
    for block in text.split("```python\n")[1:]:
        body = block.split("```", 1)[0]
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            out[first.removeprefix("# file: ").strip()] = rest
    return out


@pytest.mark.parametrize("name", RUN)
def test_doc_examples_run(name, tmp_path, monkeypatch):
    with open(os.path.join(DOCS, name)) as fh:
        text = fh.read()
    # the files the document shows are saved in the folder it runs in
    for file, source in file_blocks(text).items():
        (tmp_path / file).write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import linunlearn as lu
    from linunlearn import claims, figures
    before = (set(claims.CLAIMS), lu.available_methods(), set(figures.FIGURES))
    modules = set(sys.modules)
    try:
        result = doctest.testfile(os.path.join(DOCS, name), module_relative=False,
                                  optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                  report=True, verbose=False)
    finally:
        for module in set(sys.modules) - modules:  # the document's own files
            if module.startswith("my_"):
                del sys.modules[module]
    assert result.attempted >= 10
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"
    # what a document declares, it removes again
    assert (set(claims.CLAIMS), lu.available_methods(), set(figures.FIGURES)) == before


def test_every_code_block_is_a_doctest_or_a_file():
    """A ```python block without `>>>` would not be run, unless it is a file the text uses."""
    for name in RUN:
        with open(os.path.join(DOCS, name)) as fh:
            blocks = fh.read().split("```python")[1:]
        for block in blocks:
            body = block.lstrip()
            assert body.startswith(">>>") or body.startswith("# file: "), block[:60]


def test_docs_point_only_at_files_in_the_repository():
    """Every file the lesson names (``figures/x.pdf``, ``proofs/C2.md``) exists here."""
    import re
    root = os.path.dirname(DOCS)
    for name in RUN:
        with open(os.path.join(DOCS, name)) as fh:
            text = fh.read()
        shown = set(file_blocks(text))
        paths = {p for p in re.findall(r"[\w./-]+\.(?:md|pdf|png|py)\b", text)
                 if not p.startswith(".")}  # "..." stands for a folder in an output
        assert paths, name
        for path in paths - shown:
            assert os.path.exists(os.path.join(root, path)), (name, path)


def unclosed_repl_blocks(text):
    """``(line, text)`` of each `>>>` statement that opens a block without closing it.

    Typed into Python's REPL, a compound statement (``def``, ``with``, ``for``,
    a decorated function...) is ended by an empty continuation line, ``...``;
    without it the next ``>>>`` line is a syntax error there (doctest does
    not mind, so only this check catches it).
    """
    import re
    lines, bad, i = text.splitlines(), [], 0
    while i < len(lines):
        start = re.match(r"^(\s*)>>> ", lines[i])
        if not start:
            i += 1
            continue
        indent, j = start.group(1), i + 1
        while j < len(lines) and re.match(rf"^{re.escape(indent)}\.\.\.( |$)", lines[j]):
            j += 1
        group = [re.sub(r"^\s*(>>>|\.\.\.) ?", "", line) for line in lines[i:j]]
        opens = any(line.split("#", 1)[0].rstrip().endswith(":") for line in group)
        if opens and lines[j - 1].strip() != "...":
            bad.append((i + 1, lines[i].strip()))
        i = j
    return bad


def test_repl_examples_close_their_blocks():
    """README, docs and the docstrings (the API reference) can be typed into the REPL."""
    import pathlib
    root = pathlib.Path(DOCS).parent
    assert unclosed_repl_blocks(">>> def f():\n...     return 1\n>>> f()\n1\n") == [
        (1, ">>> def f():")]  # the check fails where it should
    assert unclosed_repl_blocks(">>> def f():\n...     return 1\n...\n>>> f()\n") == []
    files = [root / "README.md", *sorted(pathlib.Path(DOCS).rglob("*.md")),
             *sorted(pathlib.Path(DOCS).rglob("*.rst")),
             *sorted((root / "linunlearn").rglob("*.py"))]
    bad = [f"{path.relative_to(root)}:{line}: {text}" for path in files
           for line, text in unclosed_repl_blocks(path.read_text())]
    assert bad == [], "\n".join(bad)
