"""Relearning: the closed-form curve, the exact relearn time, its definition's edge cases."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import relearn
from linunlearn.metrics import squared_loss
from linunlearn.regimes import DEFAULT_REGIMES
from linunlearn.simulate import gradient_descent_steps, smoothness


@pytest.fixture(scope="module")
def data():
    return DEFAULT_REGIMES["overlap"].scenario.sample(rng=3)


@pytest.fixture(scope="module")
def models(data):
    return {m: lu.solve(data, m).w for m in ("pretrained", "golden", "finetune", "rbm",
                                             "fbm", "newton")}


def test_the_curve_is_gradient_descent_on_the_relearning_set(data, models):
    X, y = relearn.relearn_set(data)
    assert X.shape[0] == 8   # ceil(0.5 * 15)
    lr = 1.0 / smoothness(X)
    for m in ("golden", "rbm", "newton"):
        curve = relearn.relearn_curve(data, models[m], 12)
        # the k-step formula of simulate (another eigendecomposition route)
        ref = [float(squared_loss(X, y, gradient_descent_steps(X, y, models[m], k, lr=lr)))
               for k in range(13)]
        assert_allclose(curve, ref, rtol=1e-10, atol=1e-14)
        # and an explicit loop
        w = models[m].copy()
        for k in range(13):
            assert_allclose(curve[k], np.mean((X @ w - y) ** 2), rtol=1e-9, atol=1e-14)
            w = w - lr * (2 / len(y)) * X.T @ (X @ w - y)
        assert np.all(np.diff(curve) <= 1e-15)   # non-increasing


def test_the_curve_on_the_other_rows_is_gradient_descent_too(data, models):
    X, y = relearn.relearn_set(data)
    rest_X, rest_y = data.X_f[len(y):], data.y_f[len(y):]
    lr = 1.0 / smoothness(X)
    c = relearn._Curve(X, y, models["rbm"])
    got = c.elsewhere(rest_X, rest_y, np.arange(6))
    ref = [float(squared_loss(rest_X, rest_y,
                              gradient_descent_steps(X, y, models["rbm"], k, lr=lr)))
           for k in range(6)]
    assert_allclose(got, ref, rtol=1e-10)


def test_relearn_time_is_the_first_step_below_the_threshold(data, models):
    tau = relearn.relearn_threshold(data, models["pretrained"], models["golden"])
    for m in ("golden", "rbm", "fbm", "newton"):
        k = relearn.relearn_time(data, models[m], tau)
        curve = relearn.relearn_curve(data, models[m], 200)
        assert k == int(np.argmax(curve <= tau)) and k > 0, m


def test_relearn_time_lies_within_the_spectral_bounds(data, models):
    # UL_k = sum_i q_i^(2k) c_i / m with q in [q_min, q_max]: the first k with
    # UL_k <= tau lies between log(UL_0/tau) / (2 log(1/q_min)) and
    # log(UL_0/tau) / (2 log(1/q_max)) + 1
    X, y = relearn.relearn_set(data)
    lam = np.linalg.eigvalsh(X @ X.T)
    q = 1 - 2 * (len(y) / (2 * lam.max())) * lam / len(y)
    q = np.abs(q[q < 1 - 1e-12])
    tau = relearn.relearn_threshold(data, models["pretrained"], models["golden"])
    for m in ("golden", "rbm", "fbm"):
        ul0 = float(squared_loss(X, y, models[m]))
        k = relearn.relearn_time(data, models[m], tau)
        ratio = math.log(ul0 / tau)
        assert ratio / (2 * math.log(1 / max(q.min(), 1e-300))) <= k
        assert k <= ratio / (2 * math.log(1 / q.max())) + 1


def test_definitions_at_the_interpolating_pretrained_model(data, models):
    X, y = relearn.relearn_set(data)
    # UL(w_o) = 0, so the threshold is tol times golden's loss on the rows
    tau = relearn.relearn_threshold(data, models["pretrained"], models["golden"], tol=0.1)
    assert float(squared_loss(X, y, models["pretrained"])) < 1e-25
    assert_allclose(tau, 0.1 * float(squared_loss(X, y, models["golden"])), rtol=1e-10)
    # a method that never unlearned (fine-tuning equals w_o) is back at once
    assert relearn.relearn_time(data, models["finetune"], tau) == 0
    # a threshold of exactly 0 is reached only in the limit: never
    assert relearn.relearn_time(data, models["golden"], 0.0) == math.inf
    # (tol = 0 asks for UL(w_o), which in floating point is round-off, ~1e-31:
    # reached, after many steps)
    tau0 = relearn.relearn_threshold(data, models["pretrained"], models["golden"], tol=0.0)
    assert 0 < tau0 < 1e-25 and relearn.relearn_time(data, models["golden"], tau0) > 50


def test_nothing_to_relearn_when_golden_does_not_forget():
    # n_r > d noiseless: golden recovers the teacher, UL(w_g) = UL(w_o) = 0,
    # the threshold is UL(w_o) and every model at it is back at step 0
    data = lu.Scenario.overlapping(10, 10, 10, 20, 5).sample(rng=0)
    with pytest.warns(lu.IllConditionedWarning):
        w_o, w_g = lu.solve(data, "pretrained").w, lu.solve(data, "golden").w
    tau = relearn.relearn_threshold(data, w_o, w_g)
    assert tau < 1e-20 and relearn.relearn_time(data, w_g, tau) == 0


def test_never_back_when_the_relearning_set_cannot_be_fit():
    # more relearned rows than features, noisy labels: the limit keeps a loss
    rng = np.random.default_rng(0)
    X_f, y_f = rng.standard_normal((10, 3)), rng.standard_normal(10)
    data = lu.Dataset(rng.standard_normal((4, 3)), rng.standard_normal(4), X_f, y_f)
    assert relearn.relearn_time(data, np.zeros(3), 1e-6) == math.inf
    assert relearn.relearn_time(data, np.zeros(3), 1e6) == 0


def test_relearning_summary_and_fraction(data, models):
    r = relearn.relearning(data, models["golden"], models["pretrained"], models["golden"],
                           fraction=1.0, curve_steps=4)
    assert r.curve.shape == (5,) and r.fraction == 1.0 and r.steps > 0
    assert_allclose(r.curve[0], float(squared_loss(data.X_f, data.y_f, models["golden"])),
                    rtol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda d, w: relearn.relearn_set(d, 0.0), "fraction must be > 0"),
    (lambda d, w: relearn.relearn_set(d, 1.5), "fraction must be <= 1"),
    (lambda d, w: relearn.relearn_threshold(d, w, w, tol=2.0), "tol must be <= 1"),
    (lambda d, w: relearn.relearn_curve(d, w, 3, lr=10.0), "lr=10 makes gradient descent"),
    (lambda d, w: relearn.relearn_curve(d, w, -1), "steps must be >= 0"),
    (lambda d, w: relearn.relearn_time(d, w, -1.0), "threshold must be >= 0"),
    (lambda d, w: relearn.relearn_curve(d, w[:3], 3), r"w must have shape \(84,\)"),
])
def test_bad_arguments_name_the_parameter(data, models, call, match):
    with pytest.raises(ValueError, match=match):
        call(data, models["golden"])


def test_figure_data(data):
    f = relearn.compute_relearning(0, quick=True)
    assert f.relearned.shape == f.rest.shape == (len(f.methods), len(f.steps))
    j = {m: i for i, m in enumerate(f.methods)}
    # golden is the normaliser; fine-tuning never unlearned and stays at 0
    assert_allclose(f.relearned[j["golden"], 0], 1.0, rtol=1e-12)
    assert_allclose(f.relearned[j["finetune"]], 0.0, atol=1e-20)
    assert f.times[j["finetune"]] == 0 and f.times[j["golden"]] > 0
    # relearning half of D_f leaves golden's loss on the other half well above 0
    assert f.rest[j["golden"], -1] > 0.3
