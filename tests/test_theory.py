"""Tests of linunlearn.theory: the derivations against an independent Monte Carlo."""

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linunlearn import LinunlearnWarning, Scenario, theory
from linunlearn.symbolic import check_identity
from linunlearn.theory import (SYMBOLS, expected_golden_remaining_loss,
                               expected_golden_unlearning_loss,
                               expected_golden_unlearning_loss_for, projection_moments)

# A Monte Carlo mean is within 4 standard errors of its expectation with
# probability 1 - 6e-5 (normal approximation); all seeds are fixed.
N_SE = 4.0


# --------------------------------------------------------------------------
# an independent plain-numpy simulator of the golden model


def _simulate_golden(d_r, d_f, d_lap, n_r, w_r, w_f, sigma, *, trials, n_f=5, n_test=5,
                     seed):
    """Per-trial UL(w_g) on a fresh forgetting set and remaining test loss.

    Uses only numpy: w_g = pinv(X_r) y_r on S_r, zero elsewhere; losses are
    sample means over ``n_f`` forgetting rows and ``n_test`` fresh remaining
    rows, so no population identity is assumed.
    """
    rng = np.random.default_rng(seed)
    dim = d_r + d_f - d_lap
    s_r, s_f = slice(0, d_r), slice(d_r - d_lap, dim)
    w_r, w_f = np.asarray(w_r, float), np.asarray(w_f, float)
    X_r = rng.standard_normal((trials, n_r, d_r))
    y_r = X_r @ w_r[s_r] + sigma * rng.standard_normal((trials, n_r))
    w_g = np.zeros((trials, dim))
    w_g[:, s_r] = (np.linalg.pinv(X_r) @ y_r[..., None])[..., 0]
    X_f = rng.standard_normal((trials, n_f, d_f))
    y_f = X_f @ w_f[s_f] + sigma * rng.standard_normal((trials, n_f))
    ul = np.mean(((X_f @ w_g[:, s_f, None])[..., 0] - y_f) ** 2, axis=1)
    X_t = rng.standard_normal((trials, n_test, d_r))
    y_t = X_t @ w_r[s_r] + sigma * rng.standard_normal((trials, n_test))
    rl = np.mean(((X_t @ w_g[:, s_r, None])[..., 0] - y_t) ** 2, axis=1)
    return ul, rl


def _teachers(d_r, d_f, d_lap, *, separate, seed):
    rng = np.random.default_rng(seed)
    dim = d_r + d_f - d_lap
    w_r = rng.standard_normal(dim)
    w_f = rng.standard_normal(dim) if separate else w_r.copy()
    return w_r, w_f


# (d_r, d_f, d_lap, n_r, separate teachers, sigma); with sigma > 0 the gap
# |n_r - d_r| is >= 4 so that 1/chi2_nu (nu >= 5) has a finite variance.
REGIMES = {
    "shared_overlap": (8, 6, 3, 4, False, 0.0),
    "separate_overlap": (8, 6, 3, 4, True, 0.0),
    "shared_noisy": (10, 5, 3, 4, False, 0.5),
    "separate_noisy": (9, 6, 4, 3, True, 0.7),
    "distinct_features": (6, 4, 0, 3, True, 0.3),
    "full_overlap": (7, 7, 7, 3, True, 0.2),
    "full_overlap_shared": (6, 6, 6, 2, False, 0.0),
    "smallest_m": (2, 2, 1, 1, True, 0.0),
    "underparameterised": (4, 5, 2, 12, True, 0.7),
    "exactly_determined": (5, 4, 2, 5, True, 0.0),
}


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_expected_losses_agree_with_independent_monte_carlo(regime):
    d_r, d_f, d_lap, n_r, separate, sigma = REGIMES[regime]
    w_r, w_f = _teachers(d_r, d_f, d_lap, separate=separate, seed=len(regime))
    ul, rl = _simulate_golden(d_r, d_f, d_lap, n_r, w_r, w_f, sigma, trials=6000,
                              seed=sum(map(ord, regime)))
    theory_ul = expected_golden_unlearning_loss(d_r, d_f, d_lap, n_r, w_r,
                                                w_f if separate else None, sigma=sigma)
    theory_rl = expected_golden_remaining_loss(d_r, d_f, d_lap, n_r, w_r, sigma=sigma)
    for sample, expected in ((ul, theory_ul), (rl, theory_rl)):
        se = sample.std(ddof=1) / np.sqrt(sample.size)
        assert abs(sample.mean() - expected) <= N_SE * se, (regime, sample.mean(), expected, se)


def test_shared_teacher_equals_separate_with_equal_teachers():
    w = np.arange(1.0, 9.0)
    shared = expected_golden_unlearning_loss(6, 5, 3, 2, w, sigma=0.3)
    separate = expected_golden_unlearning_loss(6, 5, 3, 2, w, w.copy(), sigma=0.3)
    # same expression evaluated in float64: a few ulps of a sum of O(10) terms
    np.testing.assert_allclose(shared, separate, rtol=1e-12)


def test_distinct_features_golden_unlearning_loss_is_forget_signal_plus_noise():
    w_r, w_f = np.ones(5), np.array([0.0, 0.0, 1.0, 2.0, 3.0])
    value = expected_golden_unlearning_loss(2, 3, 0, 1, w_r, w_f, sigma=0.5)
    np.testing.assert_allclose(value, 14.0 + 0.25, rtol=1e-14)


def test_edge_cases_have_no_division_by_zero():
    # m = 1 (underparameterised), k = 0 (n_r = d_r, noiseless), full overlap
    assert expected_golden_unlearning_loss(1, 1, 1, 1, [2.0]) == 0.0
    assert expected_golden_unlearning_loss(1, 2, 0, 3, [1.0, 2.0, 0.0], sigma=0.0) == 4.0
    assert expected_golden_unlearning_loss(3, 3, 3, 3, [1.0, 1.0, 1.0]) == 0.0
    assert expected_golden_remaining_loss(3, 3, 3, 3, [1.0, 1.0, 1.0]) == 0.0
    # noise with an empty overlap is finite even when |n_r - d_r| <= 1
    assert expected_golden_unlearning_loss(3, 2, 0, 3, np.ones(5), sigma=1.0) == 3.0


@settings(max_examples=30, deadline=None)
@given(d_r=st.integers(2, 8), d_f=st.integers(1, 8), data=st.data())
def test_golden_unlearning_loss_at_least_forget_signal_plus_noise(d_r, d_f, data):
    d_lap = data.draw(st.integers(0, min(d_r, d_f)))
    n_r = data.draw(st.integers(1, d_r - 1))
    sigma = data.draw(st.sampled_from([0.0, 0.5])) if n_r <= d_r - 2 else 0.0
    w = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=d_r + d_f - d_lap,
                                    max_size=d_r + d_f - d_lap)))
    value = expected_golden_unlearning_loss(d_r, d_f, d_lap, n_r, w, sigma=sigma)
    floor = w[d_r:] @ w[d_r:] + sigma ** 2
    # c1, c2 >= 0 (proved in theory); slack for float rounding of O(100) terms
    assert value >= floor - 1e-12 * max(1.0, floor)


# --------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((0, 2, 0, 1, [1.0, 1.0]), {}, ValueError, r"d_r must be >= 1, got 0"),
    ((2.0, 2, 0, 1, [1.0] * 4), {}, TypeError, r"d_r must be an integer, got 2\.0"),
    ((2, 2, 3, 1, [1.0] * 4), {}, ValueError,
     r"d_lap must be <= min\(d_r, d_f\) = 2 .*unlearning loss, got d_lap=3"),
    ((2, 2, -1, 1, [1.0] * 4), {}, ValueError, r"d_lap must be >= 0, got -1"),
    ((2, 2, 0, 0, [1.0] * 4), {}, ValueError, r"n_r must be >= 1, got 0"),
    ((2, 2, 1, 1, [1.0] * 4), {}, ValueError,
     r"w_r must have length d_r \+ d_f - d_lap = 3 .*got length 4"),
    ((2, 2, 1, 1, [1.0] * 3, [1.0] * 2), {}, ValueError,
     r"w_f must have length d_r \+ d_f - d_lap = 3 .*got length 2"),
    ((2, 2, 1, 1, [1.0, np.nan, 1.0]), {}, ValueError, r"w_r must contain only finite"),
    ((2, 2, 1, 1, 3.0), {}, TypeError, r"w_r must be a vector of length .* got float"),
    ((2, 2, 1, 1, [1.0] * 3), {"sigma": -0.1}, ValueError, r"sigma must be >= 0.0, got -0.1"),
    ((2, 2, 1, 1, [1.0] * 3), {"sigma": "a"}, TypeError, r"sigma must be a real number"),
    ((4, 2, 1, 3, [1.0] * 5), {"sigma": 0.5}, ValueError,
     r"expected golden unlearning loss is infinite for sigma > 0 when \|n_r - d_r\| <= 1"
     r".*sigma=0\.5, n_r=3, d_r=4"),
    ((4, 2, 1, 5, [1.0] * 5), {"sigma": 0.5}, ValueError, r"is infinite .*n_r=5, d_r=4"),
])
def test_unlearning_loss_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        expected_golden_unlearning_loss(*args, **kwargs)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((3, 2, 1, 1, [1.0] * 3), {}, ValueError,
     r"w_r must have length d_r \+ d_f - d_lap = 4 \(layout \[A \| O \| B\]\) for the "
     r"expected golden remaining loss, got length 3"),
    ((3, 2, 0, 3, [1.0] * 5), {"sigma": 1.0}, ValueError,
     r"expected golden remaining loss is infinite .*n_r=3, d_r=3"),
    ((3, 2, 0, 1, [1.0] * 5), {"sigma": float("inf")}, ValueError, r"sigma must be finite"),
])
def test_remaining_loss_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        expected_golden_remaining_loss(*args, **kwargs)


def test_option_validation():
    with pytest.raises(ValueError, match=r"teacher must be one of 'shared', 'separate', "
                                         r"got 'both'"):
        theory.golden_unlearning_loss_expression(teacher="both")
    with pytest.raises(ValueError, match=r"regime must be one of 'over', 'under', got 'x'"):
        theory.expected_trace_inverse_gram(regime="x")
    with pytest.raises(ValueError, match=r"teacher must be one of 'shared', 'separate', "
                                         r"got 'both'"):
        theory.golden_unlearning_loss_template(teacher="both")


# --------------------------------------------------------------------------
# derivations


def test_derived_moments_match_the_brief():
    m, k = SYMBOLS.m, SYMBOLS.k
    mom = projection_moments()
    c1 = k * (k * m + m - 2) / (m * (m - 1) * (m + 2))
    c2 = k * (m - k) / (m * (m - 1) * (m + 2))
    assert sp.simplify(mom.c1 - c1) == 0
    assert sp.simplify(mom.c2 - c2) == 0
    assert sp.simplify(mom.diag - k / m) == 0
    assert mom.diag_offdiag == 0 and mom.offdiag_pair == 0


def test_documented_closed_forms():
    """The closed forms displayed in proofs/C2.md equal the derived expressions."""
    s = SYMBOLS
    m, k = s.d_r, s.d_r - s.n_r
    mom = projection_moments()
    c1 = mom.c1.subs({SYMBOLS.m: m, SYMBOLS.k: k})
    c2 = mom.c2.subs({SYMBOLS.m: m, SYMBOLS.k: k})
    u2 = s.wr_O2 - 2 * s.wrf_O + s.wf_O2
    over = (s.wf_B2 + u2 - 2 * k / m * (s.wr_O2 - s.wrf_O) + c1 * s.wr_O2
            + c2 * s.d_lap * (s.wr_A2 + s.wr_O2)
            + s.sigma ** 2 * (1 + s.d_lap * s.n_r / (s.d_r * (s.d_r - s.n_r - 1))))
    under = s.wf_B2 + u2 + s.sigma ** 2 * (1 + s.d_lap / (s.n_r - s.d_r - 1))
    remaining_under = s.sigma ** 2 * (1 + s.d_r / (s.n_r - s.d_r - 1))
    for documented, derived in (
            (over, theory.golden_unlearning_loss_expression(teacher="separate", regime="over")),
            (under, theory.golden_unlearning_loss_expression(teacher="separate",
                                                             regime="under")),
            (remaining_under, theory.golden_remaining_loss_expression(regime="under"))):
        assert check_identity(documented, derived, name="doc", statement="").verdict == "proved"


def test_projection_moments_agree_with_monte_carlo():
    # independent route: Q = I - pinv(X) X for Gaussian X (m = 5, k = 3)
    rng = np.random.default_rng(11)
    m_val, n_val = 5, 2
    X = rng.standard_normal((20000, n_val, m_val))
    Q = np.eye(m_val) - np.linalg.pinv(X) @ X
    mom = projection_moments()
    at = {SYMBOLS.m: m_val, SYMBOLS.k: m_val - n_val}
    for sample, expr in ((Q[:, 0, 0], mom.diag), (Q[:, 0, 0] ** 2, mom.diag_sq),
                         (Q[:, 0, 1] ** 2, mom.offdiag_sq), (Q[:, 0, 0] * Q[:, 0, 1], 0),
                         (Q[:, 0, 1] * Q[:, 0, 2], 0)):
        se = sample.std(ddof=1) / np.sqrt(sample.size)
        assert abs(sample.mean() - float(sp.sympify(expr).subs(at))) <= N_SE * se


def test_inverse_gram_trace_agrees_with_monte_carlo():
    # nu = |n - p| + 1 = 7 > 4: the inverse chi-square has a finite variance
    rng = np.random.default_rng(12)
    wide = rng.standard_normal((20000, 3, 9))            # n = 3 rows, p = 9 columns
    tall = rng.standard_normal((20000, 9, 3))            # n = 9 rows, p = 3 columns
    over = np.trace(np.linalg.inv(wide @ wide.transpose(0, 2, 1)), axis1=1, axis2=2)
    under = np.trace(np.linalg.inv(tall.transpose(0, 2, 1) @ tall), axis1=1, axis2=2)
    for sample, regime, n_val, p_val in ((over, "over", 3, 9), (under, "under", 9, 3)):
        expr = theory.expected_trace_inverse_gram(regime=regime)
        expected = float(expr.subs({SYMBOLS.n: n_val, SYMBOLS.p: p_val}))
        se = sample.std(ddof=1) / np.sqrt(sample.size)
        assert abs(sample.mean() - expected) <= N_SE * se


# --------------------------------------------------------------------------
# the expectation of a scenario


@pytest.mark.parametrize("teacher, sigma", [("shared", 0.0), ("separate", 0.3)])
def test_expectation_of_a_scenario_is_that_of_its_sizes_and_used_teachers(teacher, sigma):
    scenario = Scenario.overlapping(8, 6, 3, 2, 5, d_unused=2, sigma=sigma, teacher=teacher,
                                    teacher_seed=3)
    used = scenario.support_r | scenario.support_f
    w_f = None if teacher == "shared" else scenario.w_f_star[used]
    direct = expected_golden_unlearning_loss(8, 6, 3, 2, scenario.w_r_star[used], w_f,
                                             sigma=sigma)
    assert expected_golden_unlearning_loss_for(scenario) == direct


@pytest.mark.parametrize("make", [
    lambda: Scenario.overlapping(4, 3, 1, 1, 2, scale=[1.0, 1.0, 2.0, 1.0, 1.0, 1.0]),
    lambda: Scenario.from_supports([0, 1, 1, 1, 0], [1, 0, 0, 1, 1], 1, 2),  # not [A|O|B]
])
def test_expectation_of_a_scenario_warns_outside_its_assumptions(make):
    scenario = make()
    with pytest.warns(LinunlearnWarning, match=r"assumes isotropic features in the "
                                               r"\[A \| O \| B\] layout; it is evaluated"):
        value = expected_golden_unlearning_loss_for(scenario)
    assert value >= 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected_golden_unlearning_loss_for(Scenario.overlapping(4, 3, 1, 1, 2))


def test_expectation_of_a_scenario_refuses_an_infinite_one():
    scenario = Scenario.overlapping(4, 3, 1, 3, 2, sigma=0.5)
    with pytest.raises(ValueError, match=r"is infinite for sigma > 0 when \|n_r - d_r\| <= 1"):
        expected_golden_unlearning_loss_for(scenario)
