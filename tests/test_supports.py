"""Supports measured scale-free: a feature is used when it is non-zero on its own scale."""
import re
import warnings

import numpy as np
import pytest

import linunlearn as lu
from linunlearn import masks


def _rescaled(scenario, low, high, rng=0):
    """A draw of ``scenario`` whose columns are multiplied by scales from low to high."""
    data = scenario.sample(rng=rng)
    scale = np.logspace(np.log10(low), np.log10(high), data.d)
    np.random.default_rng(rng).shuffle(scale)
    return lu.Dataset(data.X_r * scale, data.y_r, data.X_f * scale, data.y_f), data


def test_columns_of_any_scale_are_found():
    # features in different units: std 1e-6 beside std 1e6 (1e-3 beside 1e3
    # lost six of thirty used features under the old rule)
    scenario = lu.Scenario.distinct(d_r=30, d_f=20, n_r=20, n_f=10)
    for low, high in ((1e-3, 1e3), (1e-6, 1e6)):
        data, truth = _rescaled(scenario, low, high)
        np.testing.assert_array_equal(data.support_r, scenario.support_r)
        np.testing.assert_array_equal(data.support_f, scenario.support_f)


def test_c4_stays_exact_on_rescaled_columns():
    # C4: with disjoint supports RBM is golden. Column scales 1e-3..1e3 and
    # 1e-6..1e6 make cond(X_r) about 5e4 and 5e8 (the SVD route, with its
    # warning), which loses about cond(X_r) * eps relative to |w|: measured
    # 0.1-0.3 times that on these draws, so 10 times it is the tolerance.
    scenario = lu.Scenario.distinct(d_r=30, d_f=20, n_r=20, n_f=10)
    for low, high in ((1e-3, 1e3), (1e-6, 1e6)):
        data, _ = _rescaled(scenario, low, high)
        rtol = 10 * np.linalg.cond(data.X_r) * np.finfo(float).eps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lu.IllConditionedWarning)
            w_rbm = lu.solve(data, "rbm").w
            w_g = lu.solve(data, "golden").w
        # before: 0.15 (1e-3..1e3), RBM kept D_f's imprint on dropped columns
        assert np.max(np.abs(w_rbm - w_g)) <= rtol * np.max(np.abs(w_g))
        # and it is the pseudo-inverse answer, checked against numpy
        expected = np.linalg.lstsq(data.X_r, data.y_r, rcond=None)[0]
        assert np.max(np.abs(w_g - expected)) <= rtol * np.max(np.abs(expected))


def test_a_column_dropped_as_numerically_zero_is_named():
    rng = np.random.default_rng(1)
    X_r, X_f = rng.standard_normal((4, 6)), rng.standard_normal((3, 6))
    X_r[:, 2] = 1e-14 * X_r[:, 2]     # round-off left by centring, say
    X_r[:, 5] = 0.0                   # exactly unused: no warning for it
    with pytest.warns(lu.LinunlearnWarning,
                      match=r"X_r: column 2 \(of 6\) is non-zero but below 1e-10 of "
                            r"its scale"):
        data = lu.Dataset(X_r, np.ones(4), X_f, np.ones(3))
    np.testing.assert_array_equal(data.support_r, [1, 1, 0, 1, 1, 0])
    assert data.support_f.all()
    # a column small everywhere is used: its scale is its own
    X_r[:, 2] = 1e-14 * rng.standard_normal(4)
    X_f[:, 2] = 1e-14 * rng.standard_normal(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = lu.Dataset(X_r, np.ones(4), X_f, np.ones(3))
    assert data.support_r[2] and data.support_f[2]


def test_supports_function_and_dataset_agree():
    rng = np.random.default_rng(2)
    X_r = rng.standard_normal((5, 8)) * np.logspace(-8, 8, 8)
    X_f = rng.standard_normal((3, 8)) * np.logspace(-8, 8, 8)
    X_r[:, 0] = 0.0
    X_f[:, [3, 4]] = 0.0
    s_r, s_f = masks.supports(X_r, X_f)
    data = lu.Dataset(X_r, np.ones(5), X_f, np.ones(3))
    np.testing.assert_array_equal(data.support_r, s_r)
    np.testing.assert_array_equal(data.support_f, s_f)
    np.testing.assert_array_equal(s_r, np.arange(8) != 0)
    np.testing.assert_array_equal(s_f, ~np.isin(np.arange(8), [3, 4]))
    # the old rule (Fisher score above 1e-10 of the largest) lost the small columns
    old = masks.select(masks.saliency(X_r))
    assert old.sum() < s_r.sum()
    with pytest.raises(ValueError, match=re.escape("X_f must have 8 columns (as X_r), "
                                                   "got 3")):
        masks.supports(X_r, X_f[:, :3])
