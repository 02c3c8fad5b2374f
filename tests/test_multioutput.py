"""Multi-output targets: k columns fitted jointly, as k problems sharing one factorisation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.solutions import METHODS


@pytest.fixture(scope="module")
def pair():
    """A multi-output data set and its k single-output columns."""
    rng = np.random.default_rng(7)
    X_r, X_f = rng.standard_normal((6, 20)), rng.standard_normal((4, 20))
    X_r[:, 15:] = 0.0  # the forgetting set alone uses the last features
    Y_r, Y_f = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
    Xt, Yt = rng.standard_normal((9, 20)), rng.standard_normal((9, 3))
    multi = lu.Dataset(X_r, Y_r, X_f, Y_f, X_test_r=Xt, y_test_r=Yt, X_test_f=Xt,
                       y_test_f=Yt)
    single = [lu.Dataset(X_r, Y_r[:, j], X_f, Y_f[:, j], X_test_r=Xt,
                         y_test_r=Yt[:, j], X_test_f=Xt, y_test_f=Yt[:, j])
              for j in range(3)]
    return multi, single


@pytest.mark.parametrize("method", [m for m in METHODS if m != "masked"])
def test_each_column_is_the_single_output_solution(pair, method):
    multi, single = pair
    W = lu.solve(multi, method).w
    assert W.shape == (20, 3)
    for j, data in enumerate(single):
        # same factorisation, same arithmetic: agreement to round-off
        assert_allclose(W[:, j], lu.solve(data, method).w, rtol=1e-12, atol=1e-14)


def test_gradient_descent_agrees_on_every_output(pair):
    multi, _ = pair
    for method in ("finetune", "fbm", "projection"):
        # GD stopped at a relative gradient of 1e-12 on a Gram matrix with
        # condition number below 1e3: weights within 1e-8
        assert lu.route_deviation(multi, method) < 1e-8
    # FBM-freeze updates S_f: all 20 features, which X_f uses densely
    assert lu.route_deviation(multi, "fbm", semantics="freeze") < 1e-8


def test_metrics_add_up_over_outputs(pair):
    multi, single = pair
    W = lu.solve(multi, "golden").w
    total = lu.evaluate(multi, W)
    parts = [lu.evaluate(s, W[:, j]) for j, s in enumerate(single)]
    for key in ("remaining_loss", "unlearning_loss", "test_remaining_loss", "test_loss"):
        assert_allclose(total[key], sum(p[key] for p in parts), rtol=1e-12)
    assert 0.0 <= total["mia_efficacy"] <= 1.0


def test_multi_output_shape_errors(pair):
    multi, _ = pair
    with pytest.raises(ValueError, match=r"w must have shape \(20, 3\)"):
        lu.evaluate(multi, np.zeros(20))
    with pytest.raises(ValueError, match="same number of outputs"):
        lu.Dataset(multi.X_r, multi.y_r, multi.X_f, multi.y_f[:, :2])
    with pytest.raises(ValueError, match=r"w_r_star must have shape \(20, 3\)"):
        lu.Dataset(multi.X_r, multi.y_r, multi.X_f, multi.y_f, w_r_star=np.zeros(20))
