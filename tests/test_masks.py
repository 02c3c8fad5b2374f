"""Saliency maps and mask selection (docs/theory.md, section 4)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from linunlearn import masks
from linunlearn.masks import SALIENCIES, saliency, select

X = np.array([[1.0, 0.0, 2.0, -1.0],
              [3.0, 0.0, 0.0, 1.0]])
Y = np.array([1.0, -2.0])


def test_fisher_and_support_are_the_mean_square():
    expected = np.array([5.0, 0.0, 2.0, 1.0])  # (1/n) sum_i x_ij^2
    for kind in ("fisher", "support"):
        assert_allclose(saliency(X, kind=kind), expected, rtol=1e-15, atol=0)
    assert SALIENCIES == ("support", "fisher", "gradient")


def test_gradient_at_zero():
    # |(2/n) X^T y| = |X^T y| for n = 2
    expected = np.abs(X.T @ Y)
    assert_allclose(saliency(X, Y, kind="gradient"), expected, rtol=1e-15, atol=0)
    # with k outputs: Euclidean norm of each row of the (d, k) gradient
    Yk = np.column_stack([Y, 2 * Y])
    assert_allclose(saliency(X, Yk, kind="gradient"), np.sqrt(5) * expected,
                    rtol=1e-14, atol=0)


def test_saliency_is_batched():
    rng = np.random.default_rng(0)
    Xb, yb = rng.standard_normal((3, 5, 7)), rng.standard_normal((3, 5))
    for kind in SALIENCIES:
        batched = saliency(Xb, yb, kind=kind)
        for b in range(3):
            assert_allclose(batched[b], saliency(Xb[b], yb[b], kind=kind),
                            rtol=1e-14, atol=0)


def test_saliency_batched_multi_output():
    """Regression: a stack of multi-output problems, X (2, 6, 20) and y (2, 6, 3)."""
    rng = np.random.default_rng(1)
    Xb, Yb = rng.standard_normal((2, 6, 20)), rng.standard_normal((2, 6, 3))
    batched = saliency(Xb, Yb, kind="gradient")
    assert batched.shape == (2, 20)
    for b in range(2):
        # the Euclidean norm over outputs of each row of (2/n) X^T Y
        expected = np.linalg.norm((2 / 6) * Xb[b].T @ Yb[b], axis=1)
        assert_allclose(batched[b], expected, rtol=1e-14, atol=0)
        assert_allclose(batched[b], saliency(Xb[b], Yb[b], kind="gradient"),
                        rtol=1e-14, atol=0)


@pytest.mark.parametrize("X,y,match", [
    (np.ones((2, 6, 20)), np.ones((2, 5)), r"y must have shape \(\.\.\., 6\)"),
    (np.ones((2, 6, 20)), np.ones((2, 5, 3)), r"y must have shape \(\.\.\., 6, k\)"),
    (np.ones((6, 20)), np.ones((3, 6)), r"y must have shape \(\.\.\., 6, k\)"),
    (np.ones(6), np.ones(6), r"X must have at least 2 dimension\(s\)"),
    (np.full((6, 2), np.nan), np.ones(6), "X must contain only finite values"),
])
def test_saliency_bad_layouts(X, y, match):
    with pytest.raises(ValueError, match=match):
        saliency(X, y, kind="gradient")


def test_select_never_picks_a_feature_the_data_do_not_use():
    """Regression: top-50% of d = 84 is 42 features, but the forgetting data use 40.

    FBM's mask used to fill the top 42 with coordinates 0 and 1, where the
    forgetting set's Fisher score is exactly zero.
    """
    import linunlearn as lu
    data = lu.Scenario.overlapping(54, 40, 10, 20, 10).sample(rng=0)
    assert data.d == 84
    scores = saliency(data.X_f)
    np.testing.assert_array_equal(select(scores, ratio=0.5), data.support_f)
    fbm = lu.solve(data, "fbm", saliency="fisher", ratio=0.5)
    np.testing.assert_array_equal(fbm.mask, ~data.support_f)  # kept: all but S_f
    # a tolerance never picks a zero score either, even tol=0
    np.testing.assert_array_equal(select(scores, tol=0.0), data.support_f)
    # nothing salient: an empty mask, however generous the ratio
    assert not select(np.zeros(5), ratio=1.0).any()


def test_select_by_tolerance():
    scores = np.array([4.0, 0.0, 1.0, 2.0, 1e-12])
    # default: the support, above SUPPORT_RTOL of the largest score
    np.testing.assert_array_equal(select(scores), [True, False, True, True, False])
    np.testing.assert_array_equal(select(scores, tol=0.3), [True, False, False, True, False])
    # strictly above: a score equal to tol * max is not kept
    np.testing.assert_array_equal(select(scores, tol=0.5), [True, False, False, False, False])
    np.testing.assert_array_equal(select(scores, tol=0.0), scores > 0)


@pytest.mark.parametrize("ratio,expected", [
    (0.2, [True, False, False, False, False]),
    (0.4, [True, False, False, True, False]),
    (0.5, [True, False, True, True, False]),   # ceil(2.5) = 3: ties by position
    (1.0, [True, False, True, True, True]),    # a zero score is never salient
    (1e-12, [True, False, False, False, False]),  # at least one feature
])
def test_select_by_ratio(ratio, expected):
    scores = np.array([4.0, 0.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(select(scores, ratio=ratio), expected)


def test_select_ratio_ties_are_broken_by_position_and_batched():
    scores = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 3.0, 1.0]])
    np.testing.assert_array_equal(select(scores, ratio=0.5),
                                  [[True, True, False, False], [False, True, True, False]])
    np.testing.assert_array_equal(select(scores, tol=0.5),
                                  [[True, True, True, True], [False, True, True, False]])


@pytest.mark.parametrize("kwargs,error,match", [
    ({"ratio": 0.0}, ValueError, r"ratio must be > 0.0, got 0.0"),
    ({"ratio": -0.5}, ValueError, r"ratio must be > 0.0, got -0.5"),
    ({"ratio": 1.01}, ValueError, r"ratio must be <= 1.0, got 1.01"),
    ({"ratio": np.nan}, ValueError, r"ratio must be finite"),
    ({"ratio": "half"}, TypeError, r"ratio must be a real number"),
    ({"tol": -0.1}, ValueError, r"tol must be >= 0.0, got -0.1"),
    ({"tol": "x"}, TypeError, r"tol must be a real number"),
    ({"tol": 0.1, "ratio": 0.5}, ValueError, "give either tol or ratio, not both"),
])
def test_select_bad_thresholds(kwargs, error, match):
    with pytest.raises(error, match=match):
        select(np.array([1.0, 2.0]), **kwargs)


@pytest.mark.parametrize("scores,error,match", [
    (np.array([1.0, -2.0]), ValueError, "scores must be non-negative"),
    (np.array([1.0, np.nan]), ValueError, "scores must contain only finite values"),
    (["a", "b"], TypeError, "scores must be a numeric array"),
    (np.float64(1.0), ValueError, r"scores must have at least 1 dimension\(s\)"),
])
def test_select_bad_scores(scores, error, match):
    with pytest.raises(error, match=match):
        select(scores)


def test_saliency_bad_kind_and_missing_labels():
    with pytest.raises(ValueError, match="saliency must be one of 'support', 'fisher', "
                                         "'gradient', got 'hessian'"):
        saliency(X, kind="hessian")
    with pytest.raises(ValueError, match="saliency='gradient' needs the labels y"):
        saliency(X, kind="gradient")


def test_module_exports():
    assert set(masks.__all__) == {"SUPPORT_RTOL", "USED_RTOL", "SALIENCIES", "saliency",
                                  "select", "supports"}
