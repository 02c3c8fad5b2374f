"""Tests of linunlearn.proofs: every claim's checks prove it; the written proofs name them."""

import pathlib
import re

import pytest

from linunlearn import proofs, theory
from linunlearn.proofs import SYMBOLIC_CHECKS, symbolic_checks
from linunlearn.symbolic import SymbolicResult

PROOFS = pathlib.Path(__file__).resolve().parent.parent / "proofs"


def test_claim_validation():
    with pytest.raises(ValueError, match=r"claim_id must be one of C1, .*C8, got 'C9'"):
        symbolic_checks("C9")


# --------------------------------------------------------------------------
# symbolic checks: true claims are proved


@pytest.mark.parametrize("claim_id", sorted(SYMBOLIC_CHECKS))
def test_every_symbolic_check_proves_its_claim(claim_id):
    results = symbolic_checks(claim_id)
    assert all(isinstance(r, SymbolicResult) for r in results)
    not_proved = [(r.name, r.verdict, r.detail) for r in results if r.verdict != "proved"]
    assert not not_proved
    assert results
    assert len({r.name for r in results}) == len(results)


@pytest.mark.parametrize("claim_id", sorted(SYMBOLIC_CHECKS))
def test_checks_return_tuples_computed_once(claim_id):
    for check in SYMBOLIC_CHECKS[claim_id]:
        first = check()
        assert isinstance(first, tuple) and first
        assert check() is first            # cached: the same results, not recomputed
    results = symbolic_checks(claim_id)
    assert isinstance(results, tuple)
    assert results == tuple(r for check in SYMBOLIC_CHECKS[claim_id] for r in check())


def test_registry_lists_every_public_check_once():
    checks = [f for funcs in SYMBOLIC_CHECKS.values() for f in funcs]
    assert len(set(checks)) == len(checks)
    public = {name for name in proofs.__all__ if name.startswith("check_")}
    assert {f.__name__ for f in checks} == public
    assert list(SYMBOLIC_CHECKS) == [f"C{i}" for i in range(1, 9)]


# --------------------------------------------------------------------------
# the written proofs reference functions that exist and prove


def _referenced_names():
    """``(module, name)`` of every ``theory.<name>`` and ``proofs.<name>`` in proofs/*.md."""
    names = {}
    pattern = r"(?<![\w/.])(theory|proofs)\.([A-Za-z_][A-Za-z0-9_]*)"
    for path in sorted(PROOFS.glob("*.md")):
        for module, name in re.findall(pattern, path.read_text()):
            names.setdefault((module, name), set()).add(path.name)
    return names


def test_proofs_exist_for_every_claim():
    files = {p.name for p in PROOFS.glob("*.md")}
    assert {"README.md"} | {f"C{i}.md" for i in range(1, 9)} <= files


def test_proofs_reference_existing_checks_that_prove():
    names = _referenced_names()
    assert names, "no theory.<name> or proofs.<name> references found in proofs/"
    modules = {"theory": theory, "proofs": proofs}
    missing = [f"{module}.{name}" for module, name in names
               if not hasattr(modules[module], name)]
    assert not missing, missing
    checks = {f.__name__: f for funcs in SYMBOLIC_CHECKS.values() for f in funcs}
    referenced = {name for module, name in names if module == "proofs"}
    for name in referenced:
        if name in checks:
            results = checks[name]()
            assert results and all(r.verdict == "proved" for r in results), name
    unreferenced = set(checks) - referenced
    assert not unreferenced, unreferenced
