"""Inputs at the edges: errors that name what the user passed, scale-aware answers.

Each answer is either the promised error (naming the parameter and the true
limit) or the pseudo-inverse answer, checked against numpy's SVD route.
"""
import re
import warnings

import numpy as np
import pytest

import linunlearn as lu
from linunlearn._validation import MAX_ABS

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def base():
    return lu.Scenario.overlapping(20, 10, 4, 8, 4).sample(rng=0)


def _scaled(data, s, t=None):
    """The data with features times ``s`` and labels times ``t`` (default ``s``)."""
    t = s if t is None else t
    return lu.Dataset(data.X_r * s, data.y_r * t, data.X_f * s, data.y_f * t)


def _no_warnings():
    catcher = warnings.catch_warnings()
    catcher.__enter__()
    warnings.simplefilter("error")
    return catcher


@pytest.mark.parametrize("s", [1e100, 1e140])
def test_large_data_work_up_to_the_named_limit(base, s):
    # The weights of X s, y s are those of X, y; before, 1e100 was refused as
    # "scores must have entries below 1e+150" (Fisher scores, which the user
    # never passed, square the entries).
    data = _scaled(base, s)
    for method in ("pretrained", "finetune", "golden", "rbm", "fbm", "projection"):
        np.testing.assert_allclose(lu.solve(data, method).w, lu.solve(base, method).w,
                                   rtol=1e-10, atol=1e-12)
    for options in ({"saliency": "fisher", "ratio": 0.2},
                    {"saliency": "gradient", "ratio": 0.2}):
        np.testing.assert_allclose(lu.solve(data, "fbm", **options).w,
                                   lu.solve(base, "fbm", **options).w,
                                   rtol=1e-10, atol=1e-12)
    losses = lu.evaluate(data, lu.solve(data, "golden").w)
    assert all(np.isfinite(v) for v in losses.values())


def test_beyond_the_limit_the_parameter_is_named(base):
    with pytest.raises(ValueError, match=r"X_r must have entries below 1e\+150 in "
                                         r"absolute value .*got 2\.\d+e\+160"):
        _scaled(base, 1e160, 1.0)
    with pytest.raises(ValueError, match=r"y_f must have entries below 1e\+150"):
        lu.Dataset(base.X_r, base.y_r, base.X_f, base.y_f * 1e160)
    assert MAX_ABS == 1e150


@pytest.mark.parametrize("s", [1e-155, 1e-200, 1e-300])
def test_tiny_well_conditioned_data_are_solved_scale_aware(base, s):
    # Squares of 1e-155 are denormal: the Gram matrix lost its precision and
    # well-conditioned data were called ill-conditioned (an SVD fallback
    # with a warning). Scaled by a power of two, they are solved as usual,
    # with no warning, to the same weights.
    data = _scaled(base, s)
    catcher = _no_warnings()
    try:
        for method in ("pretrained", "finetune", "golden", "rbm", "fbm", "projection"):
            np.testing.assert_allclose(lu.solve(data, method).w,
                                       lu.solve(base, method).w, rtol=1e-9, atol=1e-12)
    finally:
        catcher.__exit__(None, None, None)


def test_denormal_inputs_never_give_nan(base):
    # 1e-310 is a denormal number (fewer significant bits): the answer is the
    # pseudo-inverse answer of the data as stored, or a clear error; before,
    # NaN weights with only numpy's RuntimeWarnings.
    data = _scaled(base, 1e-310)
    catcher = _no_warnings()
    try:
        w = lu.solve(data, "golden").w
    finally:
        catcher.__exit__(None, None, None)
    X, y = np.ldexp(data.X_r, 1040), np.ldexp(data.y_r, 1040)  # exact: powers of two
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(w, expected, rtol=1e-6, atol=1e-9)
    # features at 1e-310 with labels of size 1: weights near 1e310 overflow
    with pytest.raises(ValueError, match=r"X_r.*overflow.*rescale"):
        lu.solve(_scaled(base, 1e-310, 1.0), "golden")


def test_gradient_descent_on_tiny_data_is_refused_with_the_limit(base):
    # Squares of 1e-160 underflow: the gradient was zero at once and the run
    # "converged" at w = 0 (silently wrong); the closed form is scale-aware.
    data = _scaled(base, 1e-160)
    with pytest.raises(ValueError, match=r"gradient descent: the entries of X are at "
                                         r"most \d\.\d+e-160, below 3\.4e-136: .*closed "
                                         r"form"):
        lu.solve(data, "golden", numeric=True)
    with pytest.raises(ValueError, match=r"the entries of X are at most"):
        lu.gradient_descent(base.X_r * 1e-160, base.y_r, np.zeros(base.d))
    # at 1e-130 it runs, to the closed form's answer
    data = _scaled(base, 1e-130)
    run = lu.solve(data, "golden", numeric=True)
    assert run.run.stop_reason == "converged"
    np.testing.assert_allclose(run.w, lu.solve(base, "golden").w, rtol=1e-7, atol=1e-9)


def test_label_noise_beyond_the_limit_names_sigma():
    with pytest.raises(ValueError, match=r"sigma must be <= 1e\+148 .*got 1e\+200"):
        lu.Scenario.overlapping(8, 6, 2, 3, 2, sigma=1e200)
    with pytest.raises(ValueError, match=r"scale must have entries below"):
        lu.Scenario.overlapping(8, 6, 2, 3, 2, scale=np.full(12, 1e200))


def test_object_arrays_name_their_dtype(base):
    X_r = base.X_r.astype(object)
    with pytest.raises(TypeError, match=r"X_r must be a numeric array, got an array "
                                        r"of dtype object"):
        lu.Dataset(X_r, base.y_r, base.X_f, base.y_f)
    with pytest.raises(TypeError, match=r"y_r must be a numeric array, got list "
                                        r"\(an array of dtype object\)"):
        lu.Dataset(base.X_r, [1.0, None] * 4, base.X_f, base.y_f)


def test_a_string_is_not_a_list_of_methods(base):
    with pytest.raises(TypeError, match=re.escape(
            "methods must be a sequence of method names, got the string 'golden' "
            "(for one method: ['golden'])")):
        lu.solve_all(base, "golden")
    with pytest.raises(TypeError, match="methods must be a sequence of method names, "
                                        "got int"):
        lu.solve_all(base, 3)


# --------------------------------------------------------------------------
# memory: estimated before any large allocation, refused with the sizes


@pytest.fixture
def eight_gib(monkeypatch):
    """The memory available, as the checks read it: 8 GiB, whatever the machine."""
    from linunlearn import _validation
    monkeypatch.setattr(_validation, "available_memory", lambda: 8 * 2 ** 30)


def test_available_memory_is_read_from_the_system():
    from linunlearn._validation import available_memory
    available = available_memory()
    assert available is None or available > 2 ** 20


def test_a_huge_draw_is_refused_before_it_allocates(eight_gib):
    # before: numpy's "Unable to allocate 29.8 GiB" traceback (and a larger
    # machine would have tried)
    scenario = lu.Scenario.overlapping(200000, 200000, 16, 10000, 5000)
    with pytest.raises(ValueError, match=r"Scenario.sample: drawing X_r \(10000 x "
                                         r"399984\), X_f \(5000 x 399984\) and the "
                                         r"held-out sets .* needs about [\d.]+ GiB of "
                                         r"memory, 8\.0 GiB available"):
        scenario.sample(rng=0)
    seeds = np.random.SeedSequence(0).spawn(100)
    with pytest.raises(ValueError, match=r"Scenario.sample_batch: drawing 100 trials "
                                         r"of X_r \(1000 x 40000\) and X_f \(1000 x "
                                         r"40000\) needs about [\d.]+ GiB"):
        lu.Scenario.distinct(20000, 20000, 1000, 1000).sample_batch(seeds)
    # what fits is drawn as before
    assert lu.Scenario.distinct(20, 20, 10, 10).sample_batch(seeds[:3]).n_trials == 3


def test_a_copy_of_user_data_that_cannot_fit_is_refused(monkeypatch):
    from linunlearn import _validation
    monkeypatch.setattr(_validation, "available_memory", lambda: 1000)
    monkeypatch.setattr(_validation, "_CHECKED_BYTES", 0)  # checked however small
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"Dataset: a copy of X_r and X_f \(20 x 10\) "
                                         r"needs about 1\.6 KiB of memory, 1\.0 KiB available"):
        lu.Dataset(rng.standard_normal((12, 10)), np.ones(12),
                   rng.standard_normal((8, 10)), np.ones(8))


def test_huge_random_features_are_refused(eight_gib):
    from linunlearn.realdata import digits_forgetting
    with pytest.raises(ValueError, match=r"random_features: 1797 samples x n_features="
                                         r"10000000 needs about [\d.]+ GiB of memory, "
                                         r"8\.0 GiB available"):
        digits_forgetting(3, n_features=10_000_000)
