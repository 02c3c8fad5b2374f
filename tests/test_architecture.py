"""The layout keeps its promises: imports, module sizes, references, the README's table."""

import ast
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "linunlearn"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path, node):
    """The absolute module name an ``ImportFrom`` node imports from."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    if node.level:
        base = package[:len(package) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def _is_module(name):
    return (PACKAGE.parent / (name.replace(".", "/") + ".py")).exists() or \
        (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def private_imports(path):
    """``(line, text)`` of every private name one module takes from another."""
    tree = ast.parse(path.read_text())
    found, imported_modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(path, node)
            if not source.startswith("linunlearn"):
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if _is_module(full):
                    imported_modules[alias.asname or alias.name] = full
                    continue
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, f"from {source} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("linunlearn"):
                    imported_modules[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_no_module_takes_another_modules_private_name(path):
    assert private_imports(path) == []


def test_the_import_check_finds_a_private_import(tmp_path):
    bad = PACKAGE / "_probe_for_the_test.py"
    bad.write_text("from .solutions import _core\nfrom . import claims\nclaims._declare\n")
    try:
        assert [text for _, text in private_imports(bad)] == [
            "from linunlearn.solutions import _core", "claims._declare"]
    finally:
        bad.unlink()


def test_every_module_is_under_1100_lines():
    sizes = {_module_name(p): len(p.read_text().splitlines()) for p in MODULES}
    assert max(sizes.values()) < 1100, max(sizes.items(), key=lambda kv: kv[1])


def _tracked_text_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout (an sdist): walk the tree
        return [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    return [ROOT / f for f in out.stdout.split()]


def test_nothing_refers_to_a_theory_file_outside_the_repository():
    needle = "THEORY" + ".md"   # not spelled out, so that this file does not match
    hits = [str(p.relative_to(ROOT)) for p in _tracked_text_files()
            if p.suffix in (".py", ".md", ".cfg", ".toml", ".txt", ".json", "")
            and p.exists() and needle in p.read_text(errors="ignore")]
    assert hits == []


def test_the_readme_module_table_matches_the_package():
    text = (ROOT / "README.md").read_text()
    table = text.split("## What is in the package", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"^\| `([\w./]+)` \|", table, re.MULTILINE)
    present = sorted({p.relative_to(PACKAGE).parts[0].removesuffix(".py")
                      for p in MODULES
                      if not p.relative_to(PACKAGE).parts[0].startswith("_")})
    assert sorted(listed) == present


def test_import_linunlearn_stays_light():
    code = ("import sys, linunlearn; "
            "print(sorted(m for m in ('sympy', 'matplotlib', 'sklearn', 'tqdm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
