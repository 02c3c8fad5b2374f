"""Tests of linunlearn.symbolic: the engine proves true identities, and its checks can fail.

Every identity behind a claim is fed a false variant here (wrong constants,
a missing hypothesis, a mask that does not apply), which must not be proved.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linunlearn import proofs, theory
from linunlearn.symbolic import (VERDICTS, SymbolicResult, check_identity, check_nonnegative,
                                 random_rational_matrix)
from linunlearn.theory import SYMBOLS, projection_moments

# --------------------------------------------------------------------------
# the engine's records


def test_verdict_validation():
    with pytest.raises(ValueError, match=r"verdict must be one of .* got 'holds'"):
        SymbolicResult("n", "s", "holds", "")
    assert VERDICTS == ("proved", "disproved", "inconclusive")


def test_random_rational_matrices_are_exact_and_reproducible():
    a = random_rational_matrix(np.random.default_rng(5), 3, 2)
    b = random_rational_matrix(np.random.default_rng(5), 3, 2)
    assert a == b and a.shape == (3, 2)
    assert all(isinstance(e, sp.Rational) and -5 <= e <= 5 for e in a)


# --------------------------------------------------------------------------
# symbolic checks: false claims are not proved


def _opaque():
    n, d = sp.symbols("n d", positive=True, integer=True)
    return (sp.MatrixSymbol("X_r", n, d), sp.MatrixSymbol("X_r^+", d, n),
            sp.MatrixSymbol("w_o", d, 1), sp.MatrixSymbol("y_r", n, 1))


def test_c1_false_identities_are_disproved():
    X, Xp, w, y = _opaque()
    n, d = X.shape
    full_rank = [(Xp, X.T * (X * X.T).I)]
    wrong_side = check_identity(Xp * X, sp.Identity(d), name="f", statement="X^+ X = I",
                                assumptions=full_rank)
    assert wrong_side.verdict == "disproved"
    no_inverse = check_identity(X * X.T, sp.Identity(n), name="f", statement="X X^T = I")
    assert no_inverse.verdict == "disproved"


def test_c2_non_interpolating_pretrained_is_disproved():
    X, Xp, w, y = _opaque()
    res = check_identity(w + Xp * (y - X * w), w, name="f", statement="w_ft = w_o, no hypothesis")
    assert res.verdict == "disproved"


def test_c2_wrong_constants_are_disproved():
    m, k = SYMBOLS.m, SYMBOLS.k
    mom = projection_moments()
    wrong_c1 = k * (k * m - m - 2) / (m * (m - 1) * (m + 2))       # sign flipped
    assert check_identity(mom.c1, wrong_c1, name="f", statement="").verdict == "disproved"
    wrong_c2 = k * (m - k) / (m * (m + 1) * (m + 2))
    assert check_identity(mom.c2, wrong_c2, name="f", statement="").verdict == "disproved"
    s = SYMBOLS
    derived = theory.golden_unlearning_loss_expression(teacher="shared", regime="over")
    no_overlap_term = s.w_B2 + mom.c1.subs({m: s.d_r, k: s.d_r - s.n_r}) * s.w_O2
    res = check_identity(derived.subs(s.sigma, 0), no_overlap_term, name="f", statement="")
    assert res.verdict == "disproved"


def test_c2_wrong_signs_are_not_proved_nonnegative():
    m, k = SYMBOLS.m, SYMBOLS.k
    p, q = sp.symbols("p_ q_", nonnegative=True)
    mom = projection_moments()
    # k is allowed above m: c2 < 0 there
    res = check_nonnegative(mom.c2, name="f", statement="", substitutions={m: 2 + p, k: q})
    assert res.verdict == "disproved"
    res = check_nonnegative(-mom.c1, name="f", statement="", substitutions={m: 2 + p, k: 1 + q})
    assert res.verdict == "disproved"
    # c1 = 0 at k = 0: strict positivity fails there
    res = check_nonnegative(mom.c1, name="f", statement="", substitutions={m: 2 + p, k: q},
                            strict=True)
    assert res.verdict == "disproved"


def test_check_nonnegative_refuses_signed_symbols():
    x = sp.Symbol("x")
    res = check_nonnegative(x ** 2, name="f", statement="", substitutions={})
    assert res.verdict == "inconclusive"
    assert "not declared nonnegative" in res.detail


def test_check_nonnegative_is_inconclusive_beyond_rational_functions():
    q = sp.Symbol("q", nonnegative=True)
    res = check_nonnegative(sp.sqrt(q) + 1, name="f", statement="", substitutions={})
    assert res.verdict == "inconclusive"
    assert "not a rational function" in res.detail


def test_c3_missing_projection_is_disproved():
    X, Xp, w, y = _opaque()
    res = check_identity(w + Xp * (y - X * w) - Xp * y, Xp * X * w, name="f",
                         statement="w_ft - w_g = P_r w_o")
    assert res.verdict == "disproved"
    res = check_identity(w + Xp * (y - X * w) - Xp * y, -(sp.Identity(X.shape[1]) - Xp * X) * w,
                         name="f", statement="wrong sign")
    assert res.verdict == "disproved"


def _c4_setup():
    a, b, nr = sp.symbols("a b n_r", positive=True, integer=True)
    XA, XAp = sp.MatrixSymbol("X_A", nr, a), sp.MatrixSymbol("X_A^+", a, nr)
    yr = sp.MatrixSymbol("y_r", nr, 1)

    def sampler(rng):
        na, ka = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        A = sp.ImmutableMatrix(rng.integers(-3, 4, size=(ka, na)).tolist())
        return {a: na, nr: ka, sp.MatrixSymbol("X_A", ka, na): A,
                sp.MatrixSymbol("X_A^+", na, ka): A.pinv()}

    return a, XA, XAp, yr, proofs._penrose_rules(XA, XAp), sampler


def test_c4_penrose_rules_prove_true_and_disprove_false():
    a, XA, XAp, yr, rules, sampler = _c4_setup()
    true = check_identity((sp.Identity(a) - XAp * XA) * XAp * yr + XAp * yr, XAp * yr,
                          name="t", statement="RBM block A = golden", assumptions=rules,
                          sampler=sampler)
    assert true.verdict == "proved"
    # without the reset an arbitrary pretrained block w_A survives: a false variant
    w_A = sp.MatrixSymbol("w_A", a, 1)
    false = check_identity((sp.Identity(a) - XAp * XA) * w_A + XAp * yr, XAp * yr,
                           name="f", statement="FT from any w_A = golden", assumptions=rules,
                           sampler=sampler)
    assert false.verdict == "disproved"
    # without a sampler the product hypotheses forbid a random search: inconclusive
    unsampled = check_identity(XAp * XA, sp.Identity(a), name="f", statement="",
                               assumptions=rules)
    assert unsampled.verdict == "inconclusive"


def test_c4_rbm_without_reset_is_not_golden_on_rational_instance():
    A = sp.Matrix([[1, 2, 0]])
    B = sp.Matrix([[0, 1], [1, 1]])
    Xs = sp.diag(A, B)
    ys = sp.Matrix([1, 2, 3])
    w0 = Xs.pinv() * ys
    Xr = A.row_join(sp.zeros(1, 2))
    no_reset = proofs._gd_limit(Xr, ys[:1, 0], w0)        # plain fine-tuning
    golden = Xr.pinv() * ys[:1, 0]
    assert check_identity(no_reset, golden, name="f", statement="").verdict == "disproved"


def test_c5_rbm_reset_moves_when_the_remaining_data_see_b():
    # If X_r used a coordinate of B, resetting it would break the fit of D_r
    # and fine-tuning would move: the identity must not be proved there.
    Xr = sp.Matrix([[1, 2, 1]])
    Xf = sp.Matrix([[0, 1, 3]])
    ys = sp.Matrix([1, 2])
    w0 = Xr.col_join(Xf).pinv() * ys
    mask = sp.diag(1, 1, 0)
    w_rbm = proofs._gd_limit(Xr, ys[:1, 0], mask * w0)
    assert check_identity(w_rbm, mask * w0, name="f", statement="").verdict == "disproved"
    # The block-matrix identities of the check itself, with X_r seeing B
    # (and without the interpolation hypothesis): not proved.
    for name, statement, lhs, rhs, assumptions in proofs._c5_identities(True):
        res = check_identity(lhs, rhs, name=name, statement=statement,
                             assumptions=assumptions)
        if name.startswith("C5.rbm_reset_stays"):
            assert res.verdict != "proved", name
    for name, statement, lhs, rhs, _ in proofs._c5_identities():
        assert check_identity(lhs, rhs, name=name, statement=statement).verdict != "proved"


def test_c6_partial_overlap_mask_is_not_void():
    # S_r = {0, 1}, S_f = {1, 2}: the RBM mask drops coordinate 2, so RBM != FT
    Xr = sp.Matrix([[1, 2, 0]])
    Xf = sp.Matrix([[0, 1, 3]])
    ys = sp.Matrix([1, 2])
    w0 = Xr.col_join(Xf).pinv() * ys
    mask = proofs._fisher_mask(Xr)
    assert mask == [1, 1, 0]
    w_rbm = proofs._gd_limit(Xr, ys[:1, 0], sp.diag(*mask) * w0)
    w_ft = proofs._gd_limit(Xr, ys[:1, 0], w0)
    assert check_identity(w_rbm, w_ft, name="f", statement="").verdict == "disproved"


def test_c7_non_interpolating_pretrained_is_disproved():
    X, Xp, w, y = _opaque()
    assert check_identity(Xp * X * w, Xp * y, name="f", statement="").verdict == "disproved"
    # exact instance where w_o does not interpolate D_r (n_r + n_f > d)
    Xs = sp.Matrix([[1, 0], [0, 1], [1, 1]])
    ys = sp.Matrix([1, 1, 5])
    w0 = Xs.pinv() * ys
    Xr = Xs[:2, :]
    res = check_identity(Xr.pinv() * Xr * w0, Xr.pinv() * ys[:2, 0], name="f", statement="")
    assert res.verdict == "disproved"


def test_c8_weight_matters_when_interpolation_sets_do_not_meet():
    # n_r + n_f > d: RL = 0 and L_f = 0 cannot both hold; the limit depends on alpha
    S = sp.Matrix([[1, 0], [0, 1], [1, 1]])
    c = sp.Matrix([1, 1, -4])
    lim1, lim2 = proofs.c8_regularised_limits(S, c, 2, [1, sp.Rational(7, 3)], sp.zeros(2, 1))
    assert check_identity(lim1, lim2, name="f", statement="").verdict == "disproved"


def test_check_identity_inconclusive_never_proved():
    x = sp.Symbol("x", positive=True)
    # a true identity sympy's simplify does not settle is at worst inconclusive;
    # a false one that only differs far from the sampled points is not proved
    res = check_identity(sp.Max(x, 100), x, name="f", statement="")
    assert res.verdict in ("disproved", "inconclusive")
    assert res.verdict != "proved"


@settings(max_examples=25, deadline=None)
@given(coeffs=st.lists(st.integers(-5, 5), min_size=1, max_size=4),
       shift=st.integers(-3, 3))
def test_check_identity_on_random_polynomials(coeffs, shift):
    x, y = sp.symbols("x y")
    poly = sum(c * x ** i * (y + 1) ** (len(coeffs) - i) for i, c in enumerate(coeffs))
    assert check_identity(poly, sp.expand(poly), name="t", statement="").verdict == "proved"
    res = check_identity(poly + shift, sp.expand(poly), name="t", statement="")
    assert res.verdict == ("proved" if shift == 0 else "disproved")

