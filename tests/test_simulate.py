"""Gradient descent, actually run, against its closed forms (THEORY.md section 2).

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
    closed = gradient_descent_steps(X, y, w0, np.inf, lr=lr)
    # eigh of the Gram matrix: about cond(X)^2 * eps relative (cond < 1e2 here)
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
