"""The linear deletion baselines: Newton, certified removal, PRU, the ridge downdate.

Each is checked where it has an exact answer (ridge retraining, golden,
fine-tuning), by an independent route (a d x d solve on a small case, numpy's
pseudo-inverse, a root finder), and on the cases where it is degenerate.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.families import ridge_fit
from linunlearn.methods import deletion
from linunlearn.regimes import DEFAULT_REGIMES

#: Closed forms against an independent solve: both run in double precision on
#: Gram matrices with condition numbers below ~1e3 here, so they agree to
#: about 1e-13 relative; 1e-10 leaves a margin of 1000.
RTOL = 1e-10

SCENARIOS = {"distinct": DEFAULT_REGIMES["distinct"].scenario,
             "overlap": DEFAULT_REGIMES["overlap"].scenario,
             "full-overlap": DEFAULT_REGIMES["full-overlap"].scenario,
             # more rows than features (n = 45 > d = 20): the primal downdate
             "underparameterized": lu.Scenario.overlapping(14, 10, 4, 30, 15, sigma=0.3)}


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture(scope="module", params=list(SCENARIOS))
def data(request):
    return SCENARIOS[request.param].sample(rng=7)


@pytest.fixture(scope="module")
def small():
    """A small overparameterised data set, for d x d reference solves."""
    return lu.Scenario.overlapping(8, 6, 2, 3, 3).sample(rng=2)


def _ridge_by_normal_equations(X, y, lam, b=None):
    """``argmin (1/n)||Xw - y||^2 + lam ||w||^2 + b^T w / n``: a d x d solve (tests only)."""
    n, d = X.shape
    rhs = X.T @ y - (0 if b is None else b / 2)
    return np.linalg.solve(X.T @ X + n * lam * np.eye(d), rhs)


# ------------------------------------------------------------- ridge downdate

@pytest.mark.parametrize("alpha", [0.0, 0.5, 10.0])
def test_ridge_downdate_is_ridge_retraining(data, alpha):
    if alpha == 0.0 and data.n_r + data.n_f > data.d:
        # n > d and X_r misses the forgetting-only features: no exact downdate
        with pytest.warns(lu.IllConditionedWarning), \
                pytest.raises(ValueError, match="needs X_r of full column rank"):
            lu.solve(data, "ridge_downdate", alpha=alpha)
        return
    w = lu.solve(data, "ridge_downdate", alpha=alpha).w
    assert _rel(w, ridge_fit(data.X_r, data.y_r, alpha / data.n_r)) < RTOL


def test_ridge_downdate_with_alpha_zero_is_golden_in_the_interpolating_regime():
    for name in ("distinct", "overlap", "full-overlap"):
        d = SCENARIOS[name].sample(rng=3)
        assert _rel(lu.solve(d, "ridge_downdate", alpha=0.0).w,
                    lu.solve(d, "golden").w) < RTOL


def test_ridge_downdate_against_the_primal_woodbury_identity(small):
    # (A - X_f^T X_f)^{-1} by the textbook formula, d x d (tests only)
    alpha = 0.3
    X, y = small.X, small.y
    A_inv = np.linalg.inv(X.T @ X + alpha * np.eye(small.d))
    Xf = small.X_f
    inner = np.linalg.inv(np.eye(small.n_f) - Xf @ A_inv @ Xf.T)
    A_r_inv = A_inv + A_inv @ Xf.T @ inner @ Xf @ A_inv
    expected = A_r_inv @ (X.T @ y - Xf.T @ small.y_f)
    assert _rel(lu.solve(small, "ridge_downdate", alpha=alpha).w, expected) < RTOL


def test_ridge_downdate_from_a_given_model_and_the_numeric_route(data):
    w_o = deletion.ridge_pretrained(data.X, data.y, 0.5 / (data.n_r + data.n_f))
    a = lu.solve(data, "ridge_downdate", alpha=0.5).w
    assert _rel(lu.solve(data, "ridge_downdate", alpha=0.5, init=w_o).w, a) < RTOL
    # gradient descent stopped at a relative gradient of 1e-12: the weights
    # agree to about 1e-10 (cond(X)^2 amplification), 1e-8 leaves a margin
    b = lu.solve(data, "ridge_downdate", alpha=0.5, numeric=True)
    assert _rel(b.w, a) < 1e-8 and b.info["stop_reason"] == "converged"


def test_ridge_downdate_at_alpha_zero_needs_a_nonsingular_leave_out_formula():
    # n = 45 > d = 14 and X_r of full column rank: the primal formula is fine
    d = lu.Scenario.overlapping(14, 14, 14, 30, 15, sigma=0.3).sample(rng=0)
    # (the trained model X^+ y and golden warn as the core models do for n > d)
    with pytest.warns(lu.IllConditionedWarning, match="more rows than features"):
        golden = lu.solve(d, "golden").w
        w = lu.solve(d, "ridge_downdate", alpha=0.0).w
    assert _rel(w, golden) < RTOL
    # duplicated rows: X X^T is singular
    base = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    dup = lu.Dataset(np.vstack([base.X_r, base.X_r[:1]]), np.r_[base.y_r, base.y_r[:1]],
                     base.X_f, base.y_f)
    with pytest.warns(lu.IllConditionedWarning, match="rank deficient"), \
            pytest.raises(ValueError, match="alpha must be > 0 here: with alpha = 0 "
                                            "the exact downdate needs"):
        lu.solve(dup, "ridge_downdate", alpha=0.0)
    # and X_r without full column rank in the primal case (D_r never uses
    # the forgetting-only features)
    tall = SCENARIOS["underparameterized"].sample(rng=0)
    with pytest.warns(lu.IllConditionedWarning), \
            pytest.raises(ValueError, match="needs X_r of full column rank"):
        lu.solve(tall, "ridge_downdate", alpha=0.0)
    assert _rel(lu.solve(tall, "ridge_downdate", alpha=1.0).w,
                ridge_fit(tall.X_r, tall.y_r, 1.0 / tall.n_r)) < RTOL


# --------------------------------------------------------------------- Newton

@pytest.mark.parametrize("lam", [1e-3, 0.01, 1.0])
def test_newton_is_ridge_retraining(data, lam):
    # Guo et al.'s objective keeps the penalty per sample: ridge_fit(X_r, y_r, lam).
    # The removed points' gradient Delta is a difference of nearly equal terms
    # off the row space of X_r (it is -2 lam w_o there), and H_r^{-1} divides
    # that part by 2 lam: round-off grows like 1/lam (measured: 9e-10 at
    # lam = 1e-3, 1e-12 at lam = 1), hence a tolerance of 1e-11 / lam.
    w = lu.solve(data, "newton", lam=lam).w
    assert _rel(w, ridge_fit(data.X_r, data.y_r, lam)) < 1e-11 / lam


def test_newtons_delta_is_minus_the_remaining_gradient(small):
    # at the optimum of the full objective the removed terms' gradient is
    # minus the remaining objective's (n L_D = n_r L_r + removed terms)
    lam = 0.2
    w_o = _ridge_by_normal_equations(small.X, small.y, lam)
    n_r, n_f = small.n_r, small.n_f
    delta = (2 * small.X_f.T @ (small.X_f @ w_o - small.y_f) + 2 * n_f * lam * w_o) / n_r
    grad_r = 2 / n_r * small.X_r.T @ (small.X_r @ w_o - small.y_r) + 2 * lam * w_o
    assert_allclose(delta, -grad_r, atol=1e-12)
    H_r = 2 / n_r * small.X_r.T @ small.X_r + 2 * lam * np.eye(small.d)
    assert _rel(lu.solve(small, "newton", lam=lam).w,
                w_o + np.linalg.solve(H_r, delta)) < RTOL


def test_newton_without_a_penalty_is_finetuning_and_degenerate_when_interpolating(data):
    # H_r^+ applied to the removed gradient at w_o = X^+ y: fine-tuning's limit
    with warnings.catch_warnings():  # n > d: the pretrained model's warning
        warnings.simplefilter("ignore", lu.IllConditionedWarning)
        sol = lu.solve(data, "newton", lam=0.0)
        ft = lu.solve(data, "finetune").w
    assert _rel(sol.w, ft) < RTOL
    if lu.solve(data, "pretrained").interpolates:
        # interpolating: Delta = 0, the step is nothing, w^- = w_o
        assert sol.info["step_norm"] < 1e-10 * np.linalg.norm(sol.w)
        assert _rel(sol.w, lu.solve(data, "pretrained").w) < 1e-12


def test_newton_without_a_penalty_is_exact_when_X_r_has_full_column_rank():
    d = lu.Scenario.overlapping(14, 14, 14, 30, 15, sigma=0.3).sample(rng=1)  # n_r > d
    with pytest.warns(lu.IllConditionedWarning, match="more rows than features"):
        golden = lu.solve(d, "golden").w
        w = lu.solve(d, "newton", lam=0.0).w
    assert _rel(w, golden) < RTOL


# ------------------------------------------------------------------ certified

def test_certified_with_the_squared_loss_bound_is_newton_removal(data):
    sol = lu.solve(data, "certified", lam=0.05)
    assert sol.info["sigma"] == 0.0 and np.all(sol.info["b"] == 0)
    assert _rel(sol.w, lu.solve(data, "newton", lam=0.05).w) < 1e-12


def test_certified_removal_equals_perturbed_retraining(small):
    sol = lu.solve(small, "certified", lam=0.2, residual_bound=0.5, rng=3)
    b = sol.info["b"]
    assert sol.info["sigma"] > 0 and np.any(b != 0)
    # b is the same at training and after removal; removal drops D_f's terms
    assert _rel(sol.w, _ridge_by_normal_equations(small.X_r, small.y_r, 0.2, b)) < RTOL
    # and the trained model was the perturbed ridge model of all the data
    assert_allclose(deletion.ridge_pretrained(small.X, small.y, 0.2, b),
                    _ridge_by_normal_equations(small.X, small.y, 0.2, b), rtol=1e-10)


def _residual_bound_holds(data, w, lam, b, bound):
    """Guo et al.'s requirement, with round-off: ||grad L_b(w; D_r)|| <= bound + 1e-10 scale.

    ``scale`` is the residual's natural size, ``||2 X_r^T y_r|| + ||b||`` (the
    gradient at 0); the closed forms leave about 1e-13 of it.
    """
    scale = np.linalg.norm(2 * data.X_r.T @ data.y_r) + np.linalg.norm(b)
    return deletion.gradient_residual(data.X_r, data.y_r, w, lam, b) <= bound + 1e-10 * scale


def test_certified_residual_bound_holds_on_every_draw():
    seeds = np.random.SeedSequence(11).spawn(200)
    for i, seed in enumerate(seeds):
        scenario = list(SCENARIOS.values())[i % 3]
        data = scenario.sample(rng=np.random.default_rng(seed))
        bound = (0.0, 0.05)[i % 2]
        sol = lu.solve(data, "certified", lam=0.01, residual_bound=bound, rng=i)
        b = sol.info["b"]
        assert _residual_bound_holds(data, sol.w, 0.01, b, bound), i
        # Guo's bound for the squared loss is 0 (gamma = 0): what remains is the
        # training residual, on the closed-form route round-off
        assert sol.info["gradient_residual"] <= 1e-10 * (
            np.linalg.norm(2 * data.X_r.T @ data.y_r) + np.linalg.norm(b))


def test_the_residual_check_fails_for_an_inexact_removal():
    # the influence-function shortcut: the Hessian of all the data instead of
    # the remaining data's; the step is then not exact and the residual is
    # far above round-off
    data = SCENARIOS["overlap"].sample(rng=5)
    lam = 0.01
    w_o = deletion.ridge_pretrained(data.X, data.y, lam)
    n_r, n_f = data.n_r, data.n_f
    delta = (2 * data.X_f.T @ (data.X_f @ w_o - data.y_f) + 2 * n_f * lam * w_o) / n_r
    wrong = w_o + 0.5 * (n_r + n_f) * (
        np.linalg.solve(data.X.T @ data.X + (n_r + n_f) * lam * np.eye(data.d), delta))
    assert not _residual_bound_holds(data, wrong, lam, np.zeros(data.d), 0.0)
    assert _residual_bound_holds(data, lu.solve(data, "newton", lam=lam).w, lam,
                                 np.zeros(data.d), 0.0)


def test_removal_residual_equals_the_training_residual_on_the_numeric_route():
    # grad S_r(w^-) = grad S_r(w_o) + H_r H_r^{-1} Delta = grad S_D(w_o): the
    # removal adds nothing to what the optimiser left
    for seed in range(3):
        data = SCENARIOS["overlap"].sample(rng=seed)
        sol = lu.solve(data, "certified", numeric=True, residual_bound=0.05, rng=seed)
        assert sol.info["training_residual"] > 1e-12
        assert_allclose(sol.info["gradient_residual"], sol.info["training_residual"],
                        rtol=1e-3)


def test_noise_scale_is_guo_et_als_formula_by_an_independent_computation():
    for eps in (0.1, 0.5, 1.0, 3.0):
        for delta in (1e-1, 1e-4, 1e-8):
            for bound in (0.0, 0.01, 2.0):
                # c solves 1.5 exp(-c^2 / 2) = delta (Theorem 3), found by a root finder
                c = scipy.optimize.brentq(lambda c: 1.5 * math.exp(-c * c / 2) - delta,
                                          1e-9, 100.0, xtol=1e-14)
                assert_allclose(deletion.noise_scale(eps, delta, bound), c * bound / eps,
                                rtol=1e-12, atol=0)


def test_the_noise_scale_bounds_the_gaussian_privacy_loss():
    # Masking a residual u (||u|| = eps') by b ~ N(0, sigma^2 I): the privacy
    # loss log p(b) / p(b + u) is N(eta, 2 eta), eta = eps'^2 / (2 sigma^2).
    # At sigma = noise_scale(eps, delta, eps') it exceeds eps with probability
    # at most delta (exact Gaussian tail) for every eps <= 1.
    for eps in np.linspace(0.05, 1.0, 20):
        for delta in (0.5, 1e-2, 1e-4, 1e-8):
            sigma = deletion.noise_scale(eps, delta, 1.0)
            eta = 1.0 / (2 * sigma ** 2)
            tail = scipy.stats.norm.sf((eps - eta) / math.sqrt(2 * eta))
            assert tail <= delta, (eps, delta, tail)


@pytest.mark.parametrize("options,match", [
    ({"lam": 0.0}, "lam must be > 0 for certified removal"),
    ({"lam": -1.0}, "lam must be >= 0"),
    ({"epsilon": 0.0}, "epsilon must be > 0"),
    ({"delta": 1.0}, "delta must be < 1"),
    ({"delta": 0.0}, "delta must be > 0"),
    ({"residual_bound": -0.1}, "residual_bound must be >= 0"),
])
def test_certified_rejects_bad_options(small, options, match):
    with pytest.raises(ValueError, match=match):
        lu.solve(small, "certified", **options)


def test_lambda_zero_perturbation_is_rejected():
    X, y = np.eye(2, 3), np.ones(2)
    with pytest.raises(ValueError, match="lam must be > 0 with a loss perturbation"):
        deletion.ridge_pretrained(X, y, 0.0, b=np.ones(3))


# ------------------------------------------------------------------------ PRU

def test_pru_reproduces_the_leave_k_out_predictions(data):
    sol = lu.solve(data, "pru", alpha=0.5)
    # the least-squares fit of the leave-k-out predictions (exact when the
    # deleted rows are independent): the normal equations hold
    miss = data.X_f @ sol.w - sol.info["lko_predictions"]
    assert_allclose(data.X_f.T @ miss, 0, atol=1e-12 * np.abs(data.X_f).max()
                    * np.abs(data.y_f).max() * data.n_f)
    if data.n_f <= int(data.support_f.sum()):
        assert_allclose(miss, 0, atol=1e-12 * np.abs(data.y_f).max())
    # the change lies in the span of the deleted rows
    theta = deletion.ridge_pretrained(data.X, data.y, 0.5 / (data.n_r + data.n_f))
    change = sol.w - theta
    assert _rel(np.linalg.pinv(data.X_f) @ (data.X_f @ change), change) < 1e-9


def test_pru_leave_k_out_predictions_are_the_papers_leverage_formula(small):
    # y'_f = (I - H_ff)^{-1} (X_f theta - H_ff y_f), H = X (X^T X + alpha I)^{-1} X^T
    alpha = 0.4
    X, y = small.X, small.y
    H = X @ np.linalg.solve(X.T @ X + alpha * np.eye(small.d), X.T)
    f = slice(small.n_r, None)
    theta = np.linalg.solve(X.T @ X + alpha * np.eye(small.d), X.T @ y)
    lko = np.linalg.solve(np.eye(small.n_f) - H[f, f], small.X_f @ theta - H[f, f] @ small.y_f)
    assert_allclose(lu.solve(small, "pru", alpha=alpha).info["lko_predictions"], lko,
                    rtol=1e-9)


def test_pru_in_the_interpolating_limit():
    # alpha = 0: theta_res = w_o - P_f (w_o - w_g), P_f by numpy's pinv
    for name in ("distinct", "overlap", "full-overlap"):
        d = SCENARIOS[name].sample(rng=4)
        w_o, w_g = lu.solve(d, "pretrained").w, lu.solve(d, "golden").w
        P_f = np.linalg.pinv(d.X_f) @ d.X_f
        expected = w_o - P_f @ (w_o - w_g)
        w = lu.solve(d, "pru", alpha=0.0).w
        assert _rel(w, expected) < 1e-9
        gap = _rel(w, w_g)
        if name == "distinct":   # w_o - w_g lies on B, in the row space of X_f
            assert gap < 1e-9
        else:                    # the overlap part of w_o - w_g is not removed
            assert gap > 0.05


# ----------------------------------------------------- every method, generally

@pytest.mark.parametrize("method,options", [("newton", {"lam": 0.01}),
                                            ("ridge_downdate", {"alpha": 0.5}),
                                            ("pru", {"alpha": 0.5}),
                                            ("certified", {"lam": 0.01})])
def test_analytic_and_numeric_routes_agree(method, options):
    d = SCENARIOS["overlap"].sample(rng=9)
    assert lu.route_deviation(d, method, **options) < 1e-8


@pytest.mark.parametrize("method", ["newton", "ridge_downdate", "pru", "certified"])
def test_multi_output_is_each_column_alone(method):
    rng = np.random.default_rng(11)
    X_r, X_f = rng.standard_normal((7, 24)), rng.standard_normal((4, 24))
    Y_r, Y_f = rng.standard_normal((7, 3)), rng.standard_normal((4, 3))
    W = lu.solve(lu.Dataset(X_r, Y_r, X_f, Y_f), method).w
    assert W.shape == (24, 3)
    for j in range(3):
        w = lu.solve(lu.Dataset(X_r, Y_r[:, j], X_f, Y_f[:, j]), method).w
        assert_allclose(W[:, j], w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method,options,match", [
    ("newton", {"lam": -0.1}, "lam must be >= 0"),
    ("ridge_downdate", {"alpha": -1.0}, "alpha must be >= 0"),
    ("pru", {"alpha": "x"}, "alpha must be a real number"),
    ("newton", {"init": np.zeros(3)}, r"init must have shape \(12,\)"),
])
def test_bad_options_name_the_parameter(method, options, match):
    d = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    with pytest.raises((ValueError, TypeError), match=match):
        lu.solve(d, method, **options)


def test_styles_are_declared_and_distinct():
    from linunlearn.figures.draw import method_style
    taken = {method_style(m)["color"] for m in lu.available_methods()
             if m not in ("newton", "certified", "pru", "ridge_downdate")}
    new = [method_style(m) for m in ("newton", "certified", "pru", "ridge_downdate")]
    colours = [s["color"] for s in new]
    assert len(set(colours)) == 4 and not set(colours) & taken
    assert len({s["marker"] for s in new}) == 4
