"""The cache of symbolic results: what it holds is what sympy computes, and a stale value is never read."""
import json
import math
import os

import numpy as np
import pytest
import sympy as sp

from linunlearn import cache, expectations, theory, verifier
from linunlearn.claims import CLAIMS
from linunlearn.regimes import DEFAULT_REGIMES


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LINUNLEARN_CACHE", str(tmp_path))
    expectations._functions.cache_clear()
    yield tmp_path
    expectations._functions.cache_clear()


def _proved_claims():
    return {c.key: c for c in CLAIMS.values() if c.proofs}


@pytest.mark.slow
def test_every_cached_proof_is_what_sympy_proves_now(fresh_cache):
    claims = _proved_claims()
    for claim in claims.values():
        verifier._symbolic(claim)                  # computes and stores
    files = sorted(os.listdir(fresh_cache))
    assert len(files) == len({verifier._cache_name(c) for c in claims.values()})
    for claim in claims.values():
        cached = cache.load(verifier._cache_name(claim))
        recomputed, complete = verifier._proved(claim)
        assert complete and list(recomputed) == cached, claim.key
        assert {s["verdict"] for s in cached} == {"proved"}, claim.key
        assert verifier._symbolic(claim) == recomputed  # read back


def test_cached_expectations_are_the_derived_ones(fresh_cache):
    scenarios = [r.scenario for r in DEFAULT_REGIMES.values()]
    first = [expectations.expected_golden_unlearning_loss_for(s) for s in scenarios]
    names = sorted(os.listdir(fresh_cache))
    assert names and all(n.startswith("theory-unlearning-") for n in names)
    for name in names:
        kind, teacher, regime = name.split("-")[1:4]
        with open(fresh_cache / name) as fh:
            assert json.load(fh) == list(theory.loss_sources(kind, teacher, regime))
    # read back from disk (not from memory): the same numbers, bit for bit
    expectations._functions.cache_clear()
    assert [expectations.expected_golden_unlearning_loss_for(s) for s in scenarios] == first
    # and they are sympy's own lambdified expressions
    s = theory.SYMBOLS
    args = (s.d_r, s.d_f, s.d_lap, s.n_r, s.sigma, s.w_A2, s.w_O2, s.w_B2)
    direct = sp.lambdify(args, theory.golden_unlearning_loss_expression(), modules="math")
    value = expectations.expected_golden_unlearning_loss(60, 40, 16, 30, np.full(84, 0.1),
                                                         sigma=0.3)
    assert math.isclose(direct(60, 40, 16, 30, 0.3, 44 * 0.01, 16 * 0.01, 24 * 0.01), value,
                        rel_tol=1e-13)


def test_a_stale_or_damaged_value_is_not_read(fresh_cache, monkeypatch):
    cache.store("x", [1, 2])
    assert cache.load("x") == [1, 2]
    (path,) = fresh_cache.iterdir()
    path.write_text("{not json")
    assert cache.load("x") is None
    cache.store("x", [1, 2])
    # another version of the symbolic sources is another key
    monkeypatch.setattr(cache, "fingerprint", lambda: "0" * 16)
    assert cache.load("x") is None
    assert cache.clear() == 1 and cache.load("x") is None


def test_the_cache_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("LINUNLEARN_CACHE", "off")
    assert cache.folder() is None
    cache.store("x", 1)
    assert cache.load("x") is None and cache.clear() == 0
    monkeypatch.delenv("LINUNLEARN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.folder() == str(tmp_path / "linunlearn")


def test_an_unwritable_cache_only_slows_a_run(monkeypatch):
    monkeypatch.setenv("LINUNLEARN_CACHE", "/proc/linunlearn-cache")
    cache.store("x", 1)             # no error
    assert cache.load("x") is None
    report = verifier.verify(["C7"], ["overlap"], trials=20)
    assert report.results[0].verdict == "holds"


def test_a_run_gives_the_same_evidence_with_and_without_the_cache(fresh_cache, monkeypatch):
    def evidence():
        return verifier.verify(["C3", "C7"], ["overlap"], trials=20).to_dict()["claims"]

    cold = evidence()                      # computes and stores
    warm = evidence()                      # reads back
    monkeypatch.setenv("LINUNLEARN_CACHE", "off")
    off = evidence()
    assert cold == warm == off
    assert cold[0]["symbolic"] and cold[0]["symbolic"][0]["verdict"] == "proved"
