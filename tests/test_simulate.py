"""Gradient descent, actually run, against its closed forms (docs/theory.md, section 2).

The k-step iterate ``gradient_descent_steps`` is compared with a real run
stopped after k steps (``gtol=0`` so that only ``max_steps`` stops it). Both
compute the same linear recursion in floating point, by different routes
(iterating in weight space against an eigen-decomposition of the Gram
matrix); each step is a contraction on the row space, so round-off does not
accumulate beyond ``k * eps`` relative: the tolerance is ``1e-10`` relative to
the size of the weights for ``k <= 200``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.simulate import gradient_descent, gradient_descent_steps, smoothness
from linunlearn import IllConditionedWarning

RTOL_STEPS = 1e-10


def _problems():
    rng = np.random.default_rng(0)
    wide = rng.standard_normal((4, 9))
    duplicate = np.vstack([wide, wide[:2]])                  # rank 4, 6 rows
    low_rank = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 9))
    tall = rng.standard_normal((12, 5))                      # n > d
    out = {}
    for name, X in (("wide", wide), ("duplicate", duplicate), ("low-rank", low_rank),
                    ("tall", tall)):
        y = rng.standard_normal(len(X))                      # inconsistent if rank < n
        w0 = rng.standard_normal(X.shape[1])
        out[name] = (X, y, w0)
    return out


PROBLEMS = _problems()


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("k", [0, 1, 2, 7, 50, 200])
def test_k_step_closed_form_matches_a_real_run(name, k):
    X, y, w0 = PROBLEMS[name]
    lr = 0.7 / smoothness(X)  # any stable step, not only the default 1/L
    run = gradient_descent(X, y, w0, lr=lr, max_steps=k, gtol=0.0)
    assert run.n_steps == k
    assert run.stop_reason == "max_steps"
    closed = gradient_descent_steps(X, y, w0, k, lr=lr)
    scale = max(np.abs(w0).max(), np.abs(run.w).max())
    assert_allclose(closed, run.w, rtol=0, atol=RTOL_STEPS * scale)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_infinitely_many_steps_is_the_pseudo_inverse_limit(name):
    X, y, w0 = PROBLEMS[name]
    limit = w0 + np.linalg.pinv(X) @ (y - X @ w0)
    lr = 1.0 / smoothness(X)
    if np.linalg.matrix_rank(X) < X.shape[0]:  # the limit says it is a pseudo-inverse
        with pytest.warns(IllConditionedWarning, match="rank deficient"):
            closed = gradient_descent_steps(X, y, w0, np.inf, lr=lr)
    else:
        closed = gradient_descent_steps(X, y, w0, np.inf, lr=lr)
    # the closed forms' route (Cholesky or SVD of X): backward stable
    assert_allclose(closed, limit, rtol=0, atol=1e-10 * np.abs(limit).max())
    # a very large finite k reaches the same limit
    assert_allclose(gradient_descent_steps(X, y, w0, 10 ** 6, lr=lr), closed,
                    rtol=0, atol=1e-12 * np.abs(limit).max())
    # and so does a run to convergence, from w0, on rank-deficient data too
    run = gradient_descent(X, y, w0, lr=lr)
    assert run.stop_reason == "converged"
    assert_allclose(run.w, limit, rtol=0, atol=1e-9 * np.abs(limit).max())


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 8), k=st.integers(0, 30),
       frac=st.floats(0.05, 0.95), seed=st.integers(0, 2 ** 32 - 1))
def test_k_step_property(n, d, k, frac, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y, w0 = rng.standard_normal(n), rng.standard_normal(d)
    lr = frac * 2.0 / smoothness(X)  # anywhere in the stable range (0, 2/L)
    run = gradient_descent(X, y, w0, lr=lr, max_steps=k, gtol=0.0)
    closed = gradient_descent_steps(X, y, w0, k, lr=lr)
    scale = max(np.abs(w0).max(), np.abs(run.w).max(), np.abs(y).max())
    assert_allclose(closed, run.w, rtol=0, atol=RTOL_STEPS * scale)


def test_k_step_closed_form_is_batched():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 4, 10))
    y, w0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 10))
    lr = 0.5 / max(smoothness(x) for x in X)
    batched = gradient_descent_steps(X, y, w0, 5, lr=lr)
    for b in range(3):
        assert_allclose(batched[b], gradient_descent_steps(X[b], y[b], w0[b], 5, lr=lr),
                        rtol=1e-13, atol=1e-14)


def test_diverging_step_sizes_are_rejected():
    X, y, w0 = PROBLEMS["wide"]
    L = smoothness(X)
    with pytest.raises(ValueError, match=r"lr=.* makes gradient descent diverge"):
        gradient_descent_steps(X, y, w0, 3, lr=2.0 / L * 1.01)
    with pytest.raises(ValueError, match=r"lr=.* makes gradient descent diverge on "
                                         r"this data: it must be below 2/L"):
        gradient_descent(X, y, w0, lr=2.0 / L)
    # the bound is tight: just below it the iteration still contracts
    run = gradient_descent(X, y, w0, lr=1.99 / L, max_steps=20_000)
    assert run.stop_reason == "converged"


def test_smoothness_against_numpy():
    X, _, _ = PROBLEMS["tall"]
    assert_allclose(smoothness(X), 2 * np.linalg.norm(X, 2) ** 2 / len(X), rtol=1e-12)
    X, _, _ = PROBLEMS["wide"]
    mask = np.arange(9) < 4
    assert_allclose(smoothness(X, mask), 2 * np.linalg.norm(X[:, mask], 2) ** 2 / 4,
                    rtol=1e-12)
    assert smoothness(X, np.zeros(9, bool)) == 0.0


def test_freeze_mask_never_moves_frozen_weights():
    X, y, w0 = PROBLEMS["wide"]
    mask = np.arange(9) % 2 == 0
    run = gradient_descent(X, y, w0, mask=mask)
    assert run.stop_reason == "converged"
    np.testing.assert_array_equal(run.w[~mask], w0[~mask])
    Xm = X * mask
    assert_allclose(run.w, w0 + np.linalg.pinv(Xm) @ (y - X @ w0), rtol=0,
                    atol=1e-9 * np.abs(run.w).max())


def test_sgd_is_reproducible_and_converges_to_the_same_limit():
    X, y, w0 = PROBLEMS["wide"]
    a = gradient_descent(X, y, w0, batch_size=2, rng=3)
    b = gradient_descent(X, y, w0, batch_size=2, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    c = gradient_descent(X, y, w0, batch_size=2, rng=4)
    assert not np.array_equal(a.history["loss"], c.history["loss"])
    limit = w0 + np.linalg.pinv(X) @ (y - X @ w0)
    for run in (a, c):
        assert run.stop_reason == "converged"
        # steps counted per update: two mini-batches per epoch of 4 rows
        assert run.n_steps % 2 == 0 and list(run.steps) == list(range(0, run.n_steps + 1, 2))
        assert_allclose(run.w, limit, rtol=0, atol=1e-9 * np.abs(limit).max())
    # batch_size >= n is full-batch gradient descent
    full = gradient_descent(X, y, w0, batch_size=len(X))
    np.testing.assert_array_equal(full.w, gradient_descent(X, y, w0).w)


def test_start_at_the_minimiser_stops_at_once():
    X, y, w0 = PROBLEMS["wide"]
    limit = w0 + np.linalg.pinv(X) @ (y - X @ w0)
    run = gradient_descent(X, X @ limit, limit)
    assert run.n_steps <= 1 and run.stop_reason == "converged"
    zero = gradient_descent(X, np.zeros(len(X)), np.zeros(9))
    assert zero.n_steps == 0 and np.all(zero.w == 0)


def test_history_records_monitors():
    X, y, w0 = PROBLEMS["wide"]
    Xf, yf = X[:2] + 1.0, y[:2]
    run = gradient_descent(X, y, w0, max_steps=5, gtol=0.0, monitors={"other": (Xf, yf)})
    assert list(run.steps) == [0, 1, 2, 3, 4, 5]
    w = w0.copy()
    lr = run.lr
    for _ in range(5):
        w = w - lr * (2 / len(X)) * X.T @ (X @ w - y)
    assert_allclose(run.w, w, rtol=1e-12, atol=1e-14)
    assert_allclose(run.history["loss"][-1], np.mean((X @ w - y) ** 2), rtol=1e-12)
    assert_allclose(run.history["other"][-1], np.mean((Xf @ w - yf) ** 2), rtol=1e-12)
    assert run.history["loss"][0] == pytest.approx(np.mean((X @ w0 - y) ** 2), rel=1e-12)


def test_bad_arguments():
    X, y, w0 = PROBLEMS["wide"]
    with pytest.raises(ValueError, match="max_steps must be >= 0, got -1"):
        gradient_descent(X, y, w0, max_steps=-1)
    with pytest.raises(ValueError, match="gtol must be >= 0.0"):
        gradient_descent(X, y, w0, gtol=-1e-3)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        gradient_descent(X, y, w0, batch_size=2.5)
    with pytest.raises(ValueError, match="lr must be finite"):
        gradient_descent(X, y, w0, lr=np.inf)


def test_numeric_solution_exposes_its_run():
    data = lu.Scenario.distinct(6, 5, 3, 2).sample(rng=2)
    sol = lu.solve(data, "finetune", numeric=True)
    run = sol.run
    assert isinstance(run, lu.GDRun) and run.stop_reason == "converged"
    # fine-tuning starts at an interpolating model: remaining loss ~0 all along,
    # the unlearning loss stays at the pretrained model's ~0 too (C1, C2)
    assert np.all(run.history["remaining_loss"] < 1e-20)
    assert np.all(run.history["unlearning_loss"] < 1e-20)
    golden = lu.solve(data, "golden", numeric=True).run
    assert golden.history["unlearning_loss"][-1] > 1e-3


# --------------------------------------------------------------------------
# Runs that do not converge


def test_budget_exhausted_warns_and_says_so():
    X, y, w0 = PROBLEMS["wide"]
    with pytest.warns(lu.NotConvergedWarning, match=r"stopped at max_steps=3 before "
                                                    r"converging .* raise max_steps"):
        run = gradient_descent(X, y, w0, max_steps=3)
    assert run.stop_reason == "max_steps" and run.n_steps == 3
    # gtol=0 asks for exactly max_steps updates: nothing to warn about
    assert gradient_descent(X, y, w0, max_steps=3, gtol=0.0).stop_reason == "max_steps"
    assert issubclass(lu.NotConvergedWarning, lu.LinunlearnWarning)
    assert "NotConvergedWarning" in lu.__all__ and "NotConvergedWarning" in lu.__doc__


def test_slow_numeric_route_warns_instead_of_returning_silently():
    """Regression: a 30 x 30 remaining block (cond ~1e3) needs ~1e7 GD steps.

    ``solve(..., numeric=True)`` used to return the unfinished run (0.039 away
    from the closed form) without a word.
    """
    data = lu.Scenario.overlapping(30, 20, 4, 30, 15).sample(rng=0)
    with pytest.warns(lu.NotConvergedWarning, match="max_steps=2000"):
        sol = lu.solve(data, "golden", numeric=True, max_steps=2000)
    assert sol.run.stop_reason == "max_steps"
    assert np.abs(sol.w - lu.solve(data, "golden").w).max() > 1e-3


def test_sgd_on_an_inconsistent_system_stalls_and_warns():
    """No w fits every row: constant-step SGD stops at max_steps with a warning."""
    X, y, w0 = PROBLEMS["tall"]          # 12 x 5, random labels: inconsistent
    limit = w0 + np.linalg.pinv(X) @ (y - X @ w0)
    with pytest.warns(lu.NotConvergedWarning, match=r"stalls at a noise floor .*"
                                                    r"\(batch_size=None\)"):
        run = gradient_descent(X, y, w0, batch_size=2, rng=0, max_steps=6000)
    assert run.stop_reason == "max_steps"
    assert np.abs(run.w - limit).max() > 1e-6
    # full-batch gradient descent reaches the least-squares limit
    full = gradient_descent(X, y, w0)
    assert full.stop_reason == "converged"
    assert_allclose(full.w, limit, rtol=0, atol=1e-9 * np.abs(limit).max())
    # a consistent system (labels fitted exactly by some w): SGD converges
    consistent = gradient_descent(X, X @ limit, w0, batch_size=2, rng=0)
    assert consistent.stop_reason == "converged"
    assert_allclose(consistent.w, limit, rtol=0, atol=1e-9 * np.abs(limit).max())


# --------------------------------------------------------------------------
# Bad input to the public functions


def _gd_case(**changes):
    X, y, w0 = PROBLEMS["wide"]
    args = {"X": X, "y": y, "w0": w0}
    args.update(changes)
    return args


@pytest.mark.parametrize("args,error,match", [
    (_gd_case(y=np.r_[np.nan, np.ones(3)]), ValueError, "y must contain only finite values"),
    (_gd_case(X=np.full((4, 9), np.inf)), ValueError, "X must contain only finite values"),
    (_gd_case(w0=np.full(9, np.nan)), ValueError, "w0 must contain only finite values"),
    (_gd_case(mask=np.ones(5, bool)), ValueError,
     r"mask must be a vector of length d=9, got shape \(5,\)"),
    (_gd_case(mask=np.full(9, 2)), ValueError, "mask must be boolean"),
    (_gd_case(w0=np.zeros(8)), ValueError, r"w0 must have shape \(9,\) \(d features\), got \(8,\)"),
    (_gd_case(y=np.zeros(5)), ValueError,
     r"y must have 4 rows \(one per row of X\), got shape \(5,\)"),
    (_gd_case(y=np.zeros((4, 2))), ValueError,
     r"w0 must have shape \(9, 2\) \(d features, k outputs as y\), got \(9,\)"),
    (_gd_case(X=np.zeros(9)), ValueError, r"X must have 2 dimension\(s\), got shape \(9,\)"),
    (_gd_case(X=np.ones((4, 9)) * 1j), TypeError, "X must be real, got complex values"),
    (_gd_case(y=["a"] * 4), TypeError, "y must be a numeric array, got list"),
    (_gd_case(monitors={"other": (np.ones((2, 8)), np.ones(2))}), ValueError,
     r"monitors\['other'\] X must have d=9 columns"),
    (_gd_case(monitors={"other": (np.ones((2, 9)), np.ones(3))}), ValueError,
     r"monitors\['other'\] y must have 2 rows"),
    (_gd_case(monitors={"other": np.ones((2, 9))}), TypeError,
     r"monitors\['other'\] must be a pair \(X, y\)"),
    (_gd_case(monitors=[np.ones((2, 9))]), TypeError, "monitors must be a dict"),
])
def test_gradient_descent_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        gradient_descent(args.pop("X"), args.pop("y"), args.pop("w0"), **args)


def test_lists_are_arrays_and_a_0_1_mask_is_a_mask():
    X, y, w0 = PROBLEMS["wide"]
    run = gradient_descent(X.tolist(), y.tolist(), w0.tolist(), max_steps=4, gtol=0.0)
    np.testing.assert_array_equal(run.w, gradient_descent(X, y, w0, max_steps=4,
                                                          gtol=0.0).w)
    # regression: an integer 0/1 mask was used as an index (columns 0 and 1)
    mask = (np.arange(9) % 3 == 0)
    assert smoothness(X, mask.astype(int)) == smoothness(X, mask)
    assert smoothness(X, mask) == smoothness(X[:, mask])
    a = gradient_descent(X, y, w0, mask=mask.astype(int))
    b = gradient_descent(X, y, w0, mask=mask)
    assert a.lr == b.lr
    np.testing.assert_array_equal(a.w, b.w)


@pytest.mark.parametrize("steps,lr,error,match", [
    (-3, 0.1, ValueError, "steps must be >= 0, got -3"),
    (2.5, 0.1, TypeError, r"steps must be an integer >= 0 or numpy.inf, got 2.5"),
    (np.nan, 0.1, TypeError, r"steps must be an integer >= 0 or numpy.inf, got nan"),
    (-np.inf, 0.1, TypeError, r"steps must be an integer >= 0 or numpy.inf"),
    (True, 0.1, TypeError, "steps must be an integer"),
    ("3", 0.1, TypeError, "steps must be an integer"),
    (3, -0.5, ValueError, r"lr must be > 0.0, got -0.5"),
    (3, 0.0, ValueError, r"lr must be > 0.0, got 0.0"),
    (3, np.nan, ValueError, "lr must be finite"),
    (3, np.array([[0.1], [-0.1]]), ValueError, r"lr must be > 0, got -0.1"),
])
def test_gradient_descent_steps_bad_steps_and_lr(steps, lr, error, match):
    X, y, w0 = PROBLEMS["wide"]
    with pytest.raises(error, match=match):
        gradient_descent_steps(X, y, w0, steps, lr=lr)


@pytest.mark.parametrize("y,w0,match", [
    (np.zeros(5), np.zeros(9), r"y must have shape \(\.\.\., 4\) for X of shape \(4, 9\)"),
    (np.zeros(4), np.zeros(8), r"w0 must have shape \(\.\.\., 9\)"),
    (np.zeros((5, 2)), np.zeros((9, 2)), r"y must have shape \(\.\.\., 4, k\)"),
    (np.zeros((4, 2)), np.zeros((9, 3)), r"w0 must have shape \(\.\.\., 9, 2\)"),
    (np.zeros((3, 4)), np.zeros((2, 9)), "do not broadcast"),
    (np.full(4, np.nan), np.zeros(9), "y must contain only finite values"),
])
def test_gradient_descent_steps_bad_shapes(y, w0, match):
    X = PROBLEMS["wide"][0]
    if "broadcast" in match:
        X = np.stack([X, X, X])
    with pytest.raises(ValueError, match=match):
        gradient_descent_steps(X, y, w0, 3, lr=0.01)


def test_k_step_closed_form_multi_output_layout():
    """``y`` (n, k) with ``w0`` (d, k), as gradient_descent takes them."""
    X, _, _ = PROBLEMS["wide"]
    rng = np.random.default_rng(2)
    Y, W0 = rng.standard_normal((4, 3)), rng.standard_normal((9, 3))
    lr = 0.7 / smoothness(X)
    closed = gradient_descent_steps(X, Y, W0, 6, lr=lr)
    assert closed.shape == (9, 3)
    for j in range(3):  # each column is the single-output iterate
        assert_allclose(closed[:, j], gradient_descent_steps(X, Y[:, j], W0[:, j], 6, lr=lr),
                        rtol=1e-13, atol=1e-14)
    run = gradient_descent(X, Y, W0, lr=lr, max_steps=6, gtol=0.0)
    assert_allclose(closed, run.w, rtol=0, atol=RTOL_STEPS * np.abs(run.w).max())
    # and a stack of multi-output problems, each with its own step size
    Xs, Ys, Ws = np.stack([X, 2 * X]), np.stack([Y, Y]), np.stack([W0, -W0])
    lrs = np.array([[lr], [lr / 4]])
    stacked = gradient_descent_steps(Xs, Ys, Ws, 6, lr=lrs)
    for b in range(2):
        assert_allclose(stacked[b], gradient_descent_steps(Xs[b], Ys[b], Ws[b], 6,
                                                           lr=float(lrs[b, 0])),
                        rtol=1e-13, atol=1e-14)


def test_k_step_gradient_ascent():
    X, y, w0 = PROBLEMS["wide"]
    lr = 0.3 / smoothness(X)
    w = w0.copy()
    for _ in range(4):
        w = w + lr * (2 / len(X)) * X.T @ (X @ w - y)
    assert_allclose(gradient_descent_steps(X, y, w0, 4, lr=lr, ascent=True), w,
                    rtol=0, atol=1e-12 * np.abs(w).max())
    with pytest.raises(ValueError, match="steps must be finite for gradient ascent"):
        gradient_descent_steps(X, y, w0, np.inf, lr=lr, ascent=True)
    with pytest.raises(TypeError, match="ascent must be True or False"):
        gradient_descent_steps(X, y, w0, 4, lr=lr, ascent="yes")


def test_the_limit_is_accurate_for_ill_conditioned_data():
    # cond(X) = 1e7: dividing by the eigenvalues of X X^T (cond 1e14) loses
    # about cond(X)^2 eps; the limit must stay as accurate as numpy's pinv.
    rng = np.random.default_rng(3)
    U, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    V, _ = np.linalg.qr(rng.standard_normal((30, 5)))
    X = U @ np.diag(np.logspace(0, -7, 5)) @ V.T
    y, w0 = rng.standard_normal(5), rng.standard_normal(30)
    with pytest.warns(IllConditionedWarning):
        w = gradient_descent_steps(X, y, w0, np.inf, lr=0.1)
    assert np.linalg.norm(X @ w - y) <= 1e-6 * np.linalg.norm(y)
    assert_allclose(w, w0 + np.linalg.pinv(X) @ (y - X @ w0), rtol=0, atol=1e-6)


def test_huge_step_counts():
    X, y, w0 = PROBLEMS["wide"]
    lr = 1.0 / smoothness(X)
    assert_allclose(gradient_descent_steps(X, y, w0, 10 ** 30, lr=lr),
                    gradient_descent_steps(X, y, w0, np.inf, lr=lr), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="gradient ascent leave the floating-point range"):
        gradient_descent_steps(X, y, w0, 10 ** 6, lr=lr, ascent=True)


def test_sgd_makes_exactly_max_steps_updates():
    X, y, w0 = PROBLEMS["wide"]  # 4 rows, batches of 3: two updates per epoch
    X = np.vstack([X, X[:2] + 0.1])
    y = np.r_[y, y[:2]]
    with pytest.warns(lu.NotConvergedWarning):
        run = gradient_descent(X, y, w0, batch_size=3, max_steps=5, rng=0)
    assert run.n_steps == 5 and run.steps[-1] == 5
