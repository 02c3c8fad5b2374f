"""Scenarios and data sets (docs/theory.md, section 1): layout, teachers, randomness, validation."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import Dataset, Scenario


def test_overlapping_layout():
    s = Scenario.overlapping(d_r=5, d_f=4, d_lap=2, n_r=3, n_f=2, d_unused=3)
    assert (s.d, s.d_r, s.d_f, s.d_lap) == (10, 5, 4, 2)
    # [A | O | B | unused] = [3 | 2 | 2 | 3]
    np.testing.assert_array_equal(s.support_r, np.arange(10) < 5)
    np.testing.assert_array_equal(s.support_f, (np.arange(10) >= 3) & (np.arange(10) < 7))
    data = s.sample(rng=0)
    assert data.X_r.shape == (3, 10) and data.X_f.shape == (2, 10)
    # rows are exactly zero off their support, Gaussian on it
    assert np.all(data.X_r[:, ~s.support_r] == 0) and np.all(data.X_r[:, s.support_r] != 0)
    assert np.all(data.X_f[:, ~s.support_f] == 0) and np.all(data.X_f[:, s.support_f] != 0)
    np.testing.assert_array_equal(data.support_r, s.support_r)
    # noiseless labels from the shared teacher
    assert s.shared_teacher
    assert_allclose(data.y_r, data.X_r @ s.w_r_star, rtol=1e-14, atol=1e-15)
    assert_allclose(data.y_f, data.X_f @ s.w_r_star, rtol=1e-14, atol=1e-15)
    # the default teacher lives on the used coordinates
    assert np.all(s.w_r_star[7:] == 0) and np.all(s.w_r_star[:7] != 0)


def test_distinct_and_full_overlap():
    s = Scenario.distinct(4, 3, 2, 2)
    assert s.d_lap == 0 and s.d == 7 and not np.any(s.support_r & s.support_f)
    full = Scenario.overlapping(4, 4, 4, 2, 2)
    assert full.d == 4 and np.array_equal(full.support_r, full.support_f)


def test_same_seed_same_arrays_different_seed_different_arrays():
    s = Scenario.overlapping(6, 5, 2, 3, 2, sigma=0.3, n_test=7)
    a, b = s.draw_arrays(rng=42), s.draw_arrays(rng=np.random.default_rng(42))
    assert set(a) == {"X_r", "y_r", "X_f", "y_f", "X_test_r", "y_test_r",
                      "X_test_f", "y_test_f"}
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    c = s.draw_arrays(rng=43)
    assert not np.array_equal(a["X_r"], c["X_r"])
    data = s.sample(rng=42)
    for key in a:
        np.testing.assert_array_equal(getattr(data, key), a[key])
    assert data.X_test_r.shape == (7, s.d)
    # teachers are fixed by teacher_seed, not by the sampling seed
    np.testing.assert_array_equal(Scenario.overlapping(6, 5, 2, 3, 2).w_r_star,
                                  s.w_r_star)
    assert not np.array_equal(
        Scenario.overlapping(6, 5, 2, 3, 2, teacher_seed=1).w_r_star, s.w_r_star)


def test_label_noise_has_the_stated_variance():
    s = Scenario.distinct(3, 3, 2, 2, sigma=0.5, n_test=20_000)
    data = s.sample(rng=1)
    noise = data.y_test_r - data.X_test_r @ s.w_r_star
    # sample variance of 20000 draws: standard error 0.25 * sqrt(2/20000) = 0.0025
    assert abs(noise.var() - 0.25) < 4 * 0.0025


def test_separate_teachers():
    s = Scenario.overlapping(5, 4, 2, 3, 2, teacher="separate")
    assert not s.shared_teacher
    data = s.sample(rng=0)
    assert_allclose(data.y_r, data.X_r @ s.w_r_star, rtol=1e-14, atol=1e-15)
    assert_allclose(data.y_f, data.X_f @ s.w_f_star, rtol=1e-14, atol=1e-15)
    assert not np.allclose(data.X_f @ s.w_r_star, data.y_f)
    np.testing.assert_array_equal(data.w_f_star, s.w_f_star)
    # user-given teachers; w_f_star alone makes them separate
    w, wf = np.arange(7.0), -np.arange(7.0)
    u = Scenario.overlapping(5, 4, 2, 3, 2, w_star=w, w_f_star=wf)
    np.testing.assert_array_equal(u.w_r_star, w)
    np.testing.assert_array_equal(u.w_f_star, wf)
    assert Scenario.overlapping(5, 4, 2, 3, 2, w_star=w).shared_teacher


def test_scale_is_a_diagonal_covariance():
    scale = np.array([1.0, 2.0, 0.5, 3.0])
    s = Scenario.overlapping(3, 2, 1, 4000, 4000, scale=scale)
    data = s.sample(rng=5)
    # per-coordinate standard deviation on the support: 4000 draws give a
    # relative standard error of 1/sqrt(2 * 4000) = 1.1% on each
    std_r = data.X_r[:, :3].std(axis=0)
    assert_allclose(std_r, scale[:3], rtol=4 * 0.0112)
    assert_allclose(data.X_f[:, 2:].std(axis=0), scale[2:], rtol=4 * 0.0112)
    np.testing.assert_array_equal(data.scale, scale)


def test_from_supports_arbitrary_supports():
    support_r = np.array([1, 0, 1, 0, 1, 0], bool)
    support_f = np.array([0, 0, 1, 1, 0, 0], bool)
    s = Scenario.from_supports(support_r, support_f, n_r=2, n_f=1)
    assert (s.d, s.d_r, s.d_f, s.d_lap) == (6, 3, 2, 1)
    data = s.sample(rng=0)
    np.testing.assert_array_equal(data.X_r[:, ~support_r], 0)
    np.testing.assert_array_equal(data.X_f[:, ~support_f], 0)
    # unused coordinates (1 and 5) have no teacher weight
    assert s.w_r_star[1] == 0 and s.w_r_star[5] == 0
    # 0/1 arrays are accepted as masks
    s01 = Scenario.from_supports(support_r.astype(int), support_f.astype(int), 2, 1)
    np.testing.assert_array_equal(s01.support_r, support_r)


def test_dataset_from_user_arrays():
    rng = np.random.default_rng(0)
    X_r, X_f = rng.standard_normal((4, 6)), rng.standard_normal((2, 6))
    X_r[:, 5] = 0.0
    X_f[:, 0] = 0.0
    data = Dataset(X_r.tolist(), rng.standard_normal(4), X_f, rng.standard_normal(2))
    assert (data.n_r, data.n_f, data.d, data.n_outputs) == (4, 2, 6, None)
    assert isinstance(data.X_r, np.ndarray) and data.X_r.dtype == float
    # supports inferred from the data
    np.testing.assert_array_equal(data.support_r, np.arange(6) != 5)
    np.testing.assert_array_equal(data.support_f, np.arange(6) != 0)
    assert not data.has_population
    np.testing.assert_array_equal(data.X, np.vstack([X_r, X_f]))
    assert data.y.shape == (6,)
    # integer arrays are converted to float
    ints = Dataset(np.eye(2, 3, dtype=int), [1, 2], [[0, 0, 1]], [3])
    assert ints.X_r.dtype == float and ints.y_r.dtype == float


# --------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("args,kwargs,error,match", [
    ((5, 4, 6, 3, 2), {}, ValueError, r"d_lap must be <= min\(d_r, d_f\) = 4, got 6"),
    ((3, 5, 4, 3, 2), {}, ValueError, r"d_lap must be <= min\(d_r, d_f\) = 3, got 4"),
    ((0, 4, 0, 3, 2), {}, ValueError, "d_r must be >= 1, got 0"),
    ((5, -1, 0, 3, 2), {}, ValueError, "d_f must be >= 1, got -1"),
    ((5, 4, -1, 3, 2), {}, ValueError, "d_lap must be >= 0, got -1"),
    ((5, 4, 1, 0, 2), {}, ValueError, "n_r must be >= 1, got 0"),
    ((5, 4, 1, 3, -2), {}, ValueError, "n_f must be >= 1, got -2"),
    ((5, 4, 1, 3, 2), {"n_test": 0}, ValueError, "n_test must be >= 1, got 0"),
    ((5, 4, 1, 3, 2), {"d_unused": -1}, ValueError, "d_unused must be >= 0"),
    ((5, 4, 1, 3, 2), {"sigma": -0.1}, ValueError, "sigma must be >= 0.0, got -0.1"),
    ((5, 4, 1, 3, 2), {"sigma": np.nan}, ValueError, "sigma must be finite"),
    ((5, 4, 1, 3, 2), {"teacher": "both"}, ValueError,
     "teacher must be one of 'shared', 'separate', got 'both'"),
    ((5, 4, 1, 3, 2), {"w_star": np.ones(7)}, ValueError,
     r"w_star must have shape \(8,\), got \(7,\)"),
    ((5, 4, 1, 3, 2), {"w_f_star": np.ones(8)}, ValueError, "w_f_star needs w_star"),
    ((5, 4, 1, 3, 2), {"w_star": np.full(8, np.inf)}, ValueError,
     "w_star must contain only finite values"),
    ((5, 4, 1, 3, 2), {"scale": np.ones(3)}, ValueError,
     "scale must be a positive vector of length 8"),
    ((5, 4, 1, 3, 2), {"scale": -np.ones(8)}, ValueError,
     "scale must be a positive vector of length 8"),
    ((5.0, 4, 1, 3, 2), {}, TypeError, "d_r must be an integer, got 5.0"),
    ((5, 4, 1, "3", 2), {}, TypeError, "n_r must be an integer, got '3'"),
    ((5, 4, 1, 3, True), {}, TypeError, "n_f must be an integer, got True"),
    ((5, 4, 1, 3, 2), {"sigma": "0.1"}, TypeError, "sigma must be a real number"),
    ((5, 4, 1, 3, 2), {"w_star": ["a"] * 8}, TypeError,
     "w_star must be a numeric array, got list"),
])
def test_scenario_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        Scenario.overlapping(*args, **kwargs)


def test_from_supports_bad_input():
    with pytest.raises(ValueError, match="support_f must be a vector of length d=3"):
        Scenario.from_supports([1, 1, 0], [1, 0], 2, 1)
    with pytest.raises(ValueError, match="support_r must select at least one feature"):
        Scenario.from_supports([0, 0, 0], [1, 0, 0], 2, 1)
    with pytest.raises(ValueError, match="support_r must be boolean"):
        Scenario.from_supports([2, 0, 1], [1, 0, 0], 2, 1)


def _arrays():
    rng = np.random.default_rng(0)
    return dict(X_r=rng.standard_normal((3, 5)), y_r=rng.standard_normal(3),
                X_f=rng.standard_normal((2, 5)), y_f=rng.standard_normal(2))


def _with(**changes):
    kw = _arrays()
    kw.update(changes)
    return kw


@pytest.mark.parametrize("kwargs,error,match", [
    (_with(y_r=np.ones(4)), ValueError, r"y_r must have 3 entries \(rows of X_r\), got 4"),
    (_with(y_f=np.ones(3)), ValueError, r"y_f must have 2 entries \(rows of X_f\), got 3"),
    (_with(X_f=np.ones((2, 4))), ValueError, r"X_f must have as many columns as X_r "
                                             r"\(5\), got 4"),
    (_with(X_r=np.ones(5)), ValueError, r"X_r must have 2 dimension\(s\), got shape \(5,\)"),
    (_with(y_r=np.ones((3, 1, 1))), ValueError, r"y_r must have 1 or 2 dimension\(s\)"),
    (_with(X_r=np.ones((0, 5)), y_r=np.ones(0)), ValueError, "X_r must not be empty"),
    (_with(y_r=np.ones((3, 2))), ValueError, "same number of outputs"),
    (_with(X_r=np.full((3, 5), np.nan)), ValueError,
     r"X_r must contain only finite values \(no NaN or inf\)"),
    (_with(y_f=np.array([1.0, np.inf])), ValueError, "y_f must contain only finite values"),
    (_with(X_r="abc"), TypeError, "X_r must be a numeric array, got str"),
    (_with(y_r=np.ones(3) * 1j), TypeError, "y_r must be real, got complex values"),
    (_with(X_f=np.ones((2, 5), complex)), TypeError, "X_f must be real, got complex"),
    (_with(y_r=[1.0, None, 2.0]), TypeError, "y_r must be a numeric array, got list"),
    (_with(y_f=[1.0, "b"]), TypeError, "y_f must be a numeric array, got list"),
    (_with(X_f={"a": 1}), TypeError, "X_f must be a numeric array, got dict"),
    (_with(w_r_star=np.ones(4)), ValueError, r"w_r_star must have shape \(5,\), got \(4,\)"),
    (_with(w_f_star=np.ones(5)), ValueError, "w_f_star needs w_r_star"),
    (_with(scale=np.zeros(5)), ValueError, "scale must be positive"),
    (_with(sigma=-1.0), ValueError, "sigma must be >= 0.0"),
    (_with(support_r=np.ones(4, bool)), ValueError,
     "support_r must be a vector of length d=5"),
    (_with(X_test_r=np.ones((4, 5))), ValueError, "give both X_test_r and y_test_r"),
    (_with(X_test_f=np.ones((4, 6)), y_test_f=np.ones(4)), ValueError,
     "X_test_f must have d=5 columns, got 6"),
    (_with(X_test_r=np.ones((4, 5)), y_test_r=np.ones(3)), ValueError,
     r"y_test_r must have 4 entries \(rows of X_test_r\), got 3"),
    (_with(X_test_r=np.full((4, 5), -np.inf), y_test_r=np.ones(4)), ValueError,
     "X_test_r must contain only finite values"),
])
def test_dataset_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        Dataset(**kwargs)


def test_dataset_is_frozen():
    data = Dataset(**_arrays())
    with pytest.raises(AttributeError):
        data.X_r = np.zeros((3, 5))
    assert isinstance(lu.Scenario.distinct(2, 2, 1, 1).sample(rng=0), Dataset)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_default_teacher_is_independent_of_the_sampled_data(seed):
    """Regression: the default teacher used to come from ``default_rng(teacher_seed)``,
    the very stream of ``sample(rng=teacher_seed)``, so with the default seeds
    (0 and 0, as the CLI uses) ``w*`` was a multiple of the first row of ``X_r``
    and the golden model recovered it exactly from ``n_r < d_r`` samples.
    """
    s = Scenario.distinct(30, 30, 10, 10, teacher_seed=seed)
    data = s.sample(rng=seed)
    w = s.w_r_star[:30]
    X = data.X_r[:, :30]
    outside = w - np.linalg.pinv(X) @ (X @ w)
    # an independent teacher keeps about sqrt(20/30) = 0.82 of its norm
    # outside the 10-dimensional row space; below 0.3 happens with
    # probability < 1e-6 (a beta(5, 10) tail)
    assert np.linalg.norm(outside) > 0.3 * np.linalg.norm(w)
    golden = lu.evaluate(data, lu.solve(data, "golden").w)
    assert golden["test_remaining_loss"] > 0.05 * np.sum(w ** 2)


@pytest.mark.parametrize("n_r,n_f,d,methods", [
    (4, 3, 10, ("cholesky", "cholesky")),   # n <= d: one Gram product, shared factor
    (4, 8, 10, ("svd", "cholesky")),        # n_r <= d < n: SVD of all data, X_r alone
    (12, 3, 10, ("svd", "svd")),            # n_r > d: both by SVD, no Gram matrix
])
def test_row_spaces_share_work_when_they_can(n_r, n_f, d, methods):
    from linunlearn.scenarios import row_spaces
    rng = np.random.default_rng(1)
    X_r, X_f = rng.standard_normal((n_r, d)), rng.standard_normal((n_f, d))
    y = rng.standard_normal(n_r + n_f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.IllConditionedWarning)
        rows, rows_r = row_spaces(X_r, X_f)
    assert (rows.method, rows_r.method) == methods
    if methods[0] == "cholesky":
        # the factor of X_r is the leading block of the factor of all data
        assert np.shares_memory(rows_r.leading_factor(n_r), rows.leading_factor(n_r))
    X = np.vstack([X_r, X_f])
    scale = 1e-10 * np.abs(np.linalg.pinv(X) @ y).max()
    assert_allclose(rows.pinv(y), np.linalg.pinv(X) @ y, rtol=0, atol=scale)
    assert_allclose(rows_r.pinv(y[:n_r]), np.linalg.pinv(X_r) @ y[:n_r], rtol=0,
                    atol=1e-10 * np.abs(np.linalg.pinv(X_r) @ y[:n_r]).max())


def test_dataset_copies_its_arrays_and_makes_them_read_only():
    """Regression: editing the caller's X_r after a first solve left the cached
    Gram matrix stale (the golden model came out 0.71 off)."""
    rng = np.random.default_rng(4)
    arrays = _arrays()
    tests = dict(X_test_r=rng.standard_normal((4, 5)), y_test_r=rng.standard_normal(4),
                 X_test_f=rng.standard_normal((4, 5)), y_test_f=rng.standard_normal(4))
    data = Dataset(**arrays, **tests, w_r_star=np.ones(5), sigma=0.1, scale=np.ones(5))
    golden = lu.solve(data, "golden").w
    arrays["X_r"][0, 0] += 1.0
    arrays["y_r"][:] = 0.0
    np.testing.assert_array_equal(data.X_r[0, 0], _arrays()["X_r"][0, 0])
    np.testing.assert_array_equal(lu.solve(data, "golden").w, golden)
    for name in ("X_r", "y_r", "X_f", "y_f", "w_r_star", "w_f_star", "scale",
                 "support_r", "support_f", *tests, "X", "y"):
        value = getattr(data, name)
        with pytest.raises(ValueError, match="read-only"):
            value[0] = 0
    # one copy of the training data: X_r and X_f are views of X
    assert np.shares_memory(data.X_r, data.X) and np.shares_memory(data.X_f, data.X)
    np.testing.assert_array_equal(data.X, np.vstack([data.X_r, data.X_f]))
    # scenarios do not alias the caller's teacher either
    w = np.arange(8.0)
    s = Scenario.overlapping(5, 4, 1, 3, 2, w_star=w)
    w[0] = 100.0
    assert s.w_r_star[0] == 0.0 and not s.w_r_star.flags.writeable


@pytest.mark.parametrize("call, error, match", [
    (lambda: lu.Scenario.overlapping(6, 4, 2, 3, 2).sample(rng="x"), TypeError,
     "rng must be None, a non-negative int"),
    (lambda: lu.Scenario.overlapping(6, 4, 2, 3, 2, teacher_seed=-1), ValueError,
     "teacher_seed must be >= 0"),
    (lambda: lu.Scenario.overlapping(6, 4, 2, 3, 2, teacher_seed=1.5), TypeError,
     "teacher_seed must be an integer"),
    (lambda: lu.Scenario.from_supports(np.ones((2, 3), bool), np.ones(3, bool), 2, 1),
     ValueError, r"support_r must be a boolean vector, got shape \(2, 3\)"),
    (lambda: lu.gradient_descent(np.eye(3), np.ones(3), np.zeros(3), batch_size=1,
                                 rng=-2), ValueError, "rng must be None"),
])
def test_random_sources_are_validated(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_entries_whose_squares_overflow_are_refused():
    X = np.eye(2, 4) * 1e155
    with pytest.raises(ValueError, match=r"X_r must have entries below 1e\+150"):
        lu.Dataset(X, np.ones(2), np.eye(4)[2:3], np.ones(1))
    with pytest.raises(ValueError, match=r"X must have entries below 1e\+150"):
        lu.gradient_descent(X, np.ones(2), np.zeros(4))
    with pytest.raises(ValueError, match=r"X must have entries below 1e\+150"):
        lu.gradient_descent_steps(X * 1e45, np.ones(2), np.zeros(4), 3, lr=0.1)


# --------------------------------------------------------------------------
# Batches and construction cost


@pytest.mark.parametrize("scenario", [
    Scenario.overlapping(6, 4, 2, 3, 2, sigma=0.3, teacher="separate"),
    Scenario.from_supports([1, 0, 1, 1, 0, 1, 0, 0], [0, 1, 1, 0, 1, 0, 1, 0], 3, 2,
                           sigma=0.1, scale=np.linspace(0.5, 2.0, 8), n_test=7),
])
def test_a_batch_holds_exactly_the_trials_drawn_one_by_one(scenario, monkeypatch):
    """Trial i is sample(rng=default_rng(seeds[i])), held-out sets drawn when first read."""
    seeds = np.random.SeedSequence(3).spawn(4)
    drawn = []
    held_out = Scenario._held_out_stack
    monkeypatch.setattr(Scenario, "_held_out_stack", lambda self, gens, part=None: (
        drawn.append((len(gens), part)) or held_out(self, gens, part)))
    batch = scenario.sample_batch(seeds)
    lu.solutions.closed_form(batch, "golden")
    assert drawn == []  # nothing read the held-out sets yet
    assert batch.y_test_r.shape == (4, scenario.n_test) and drawn == [(4, "r")]
    for i, seed in enumerate(seeds):
        one = scenario.draw_arrays(np.random.default_rng(seed))
        for name, value in one.items():
            np.testing.assert_array_equal(getattr(batch, name)[i], value)
        np.testing.assert_array_equal(batch[i].X_test_f, one["X_test_f"])
    # the batch's: each set once, for every trial; draw_arrays: both at once
    assert sorted(drawn, key=str) == [(1, None)] * 4 + [(4, "f"), (4, "r")]
    # the forgetting set read first: the remaining one is drawn before it
    drawn.clear()
    again = scenario.sample_batch(seeds)
    np.testing.assert_array_equal(again.X_test_f, batch.X_test_f)
    assert drawn == [(4, "r"), (4, "f")]


def test_a_dataset_is_built_in_one_pass_without_temporaries():
    """One copy of the data, and nothing of its size besides (supports given or inferred).

    Regression: each array was checked three times, with temporaries of its
    size (``np.abs(X)``, ``np.isfinite(X)``, ``X**2``). What remains besides the
    copy are blocks of ``_BLOCK_BYTES`` (a few of them at a time).
    """
    import tracemalloc
    from linunlearn.scenarios import _BLOCK_BYTES
    rng = np.random.default_rng(12)
    X_r, X_f = rng.standard_normal((300, 20000)), rng.standard_normal((100, 20000))
    X_r[:, -5:] = 0.0
    size = X_r.nbytes + X_f.nbytes
    for supports in ({}, {"support_r": np.ones(20000, bool),
                          "support_f": np.ones(20000, bool)}):
        tracemalloc.start()
        try:
            data = Dataset(X_r, np.ones(300), X_f, np.ones(100), **supports)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert size <= peak < size + 4 * _BLOCK_BYTES, (peak - size) / _BLOCK_BYTES
        assert data.X.shape == (400, 20000) and np.shares_memory(data.X_r, data.X)
    # inferred supports: those of masks.supports
    inferred = Dataset(X_r, np.ones(300), X_f, np.ones(100))
    np.testing.assert_array_equal(inferred.support_r, lu.masks.supports(X_r, X_f)[0])
    assert inferred.support_r.sum() == 19995 and inferred.support_f.all()


def test_results_are_remembered_only_for_arrays_that_cannot_change():
    """once_per_array: read-only arrays (and views of them) only; dropped with the array."""
    import gc
    from linunlearn._validation import _REMEMBERED, once_per_array
    calls = []

    def compute():
        calls.append(1)
        return np.ones(2)

    writable = np.eye(3)
    once_per_array(writable, "k", compute)
    once_per_array(writable, "k", compute)
    assert len(calls) == 2  # recomputed: the array may have changed
    frozen = np.eye(3)
    frozen.setflags(write=False)
    view_of_writable = writable[:2]
    view_of_writable.setflags(write=False)
    once_per_array(view_of_writable, "k", compute)
    assert len(calls) == 3  # its base can still change
    first = once_per_array(frozen, "k", compute)
    assert once_per_array(frozen, "k", compute) is first and len(calls) == 4
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 5.0  # the remembered result cannot be edited either
    assert once_per_array(frozen[1:], "k", compute) is not first  # a view: its own entry
    key = id(frozen)
    assert key in _REMEMBERED
    del frozen
    gc.collect()
    assert key not in _REMEMBERED
