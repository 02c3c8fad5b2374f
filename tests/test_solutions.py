"""The closed forms of docs/theory.md, section 2, each checked by an independent route.

Independent routes: numpy's SVD-based least squares (``numpy.linalg.lstsq``,
``numpy.linalg.pinv``), an actual gradient-descent run, and exact rational
arithmetic (sympy) on a tiny case.

Tolerances. The closed forms go through the Gram matrix ``X X^T``, whose
Cholesky solve has a relative error of about ``cond(X)^2 * eps`` (times a
modest dimension factor); the reference SVD route has error ``cond(X) * eps``.
:func:`closed_form_atol` therefore allows ``50 * d * cond^2 * eps`` times the
scale of the weights. Gradient descent stops when the gradient norm is below
``gtol`` (1e-12) times its scale; on the row space the distance to the limit is
at most ``n ||g|| / (2 s_min^2)``, i.e. ``gtol * cond^2`` relative, summed over
the (non-expansive) training stages: :func:`gd_atol`.
"""

import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import masks
from linunlearn.solutions import INTERPOLATION_RTOL, METHODS, PAPER_METHODS, mask_for

EPS = np.finfo(float).eps
PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def cond(X):
    """Condition number over the non-zero singular values (numpy's rank cut-off)."""
    s = np.linalg.svd(X, compute_uv=False)
    s = s[s > s[0] * max(X.shape) * EPS]
    return s[0] / s[-1]


def closed_form_atol(*Xs, scale):
    """Round-off of a Gram/Cholesky solve against an SVD one (see module docstring)."""
    d = Xs[0].shape[1]
    kappa = max(cond(X) for X in Xs)
    return 50 * d * kappa ** 2 * EPS * max(scale, 1.0)


def gd_atol(*Xs, scale, stages=2, gtol=1e-12):
    """Distance of a stopped GD run to its limit, plus round-off (module docstring)."""
    kappa = max(cond(X) for X in Xs)
    return 10 * stages * (gtol + 100 * EPS) * kappa ** 2 * max(scale, 1.0)


def lstsq(X, y):
    """Minimum-norm least-squares solution by numpy's SVD route."""
    return np.linalg.lstsq(X, y, rcond=None)[0]


@st.composite
def regimes(draw, max_n=5):
    """Sizes of an overparameterised overlapping scenario, a noise level and a seed.

    Each support has at least two more features than its set has rows, and the
    union at least two more than all rows, so every training problem has full
    row rank with probability one.
    """
    n_r = draw(st.integers(1, max_n))
    n_f = draw(st.integers(1, max_n))
    d_r = n_r + draw(st.integers(2, 5))
    d_f = n_f + draw(st.integers(2, 5))
    d_lap = draw(st.integers(0, min(d_r, d_f, d_r + d_f - n_r - n_f - 2)))
    sigma = draw(st.sampled_from([0.0, 0.5]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return n_r, n_f, d_r, d_f, d_lap, sigma, seed


def scenario_data(n_r, n_f, d_r, d_f, d_lap, sigma, seed):
    data = lu.Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, sigma=sigma,
                                   n_test=5).sample(rng=seed)
    # Ill-conditioned draws are the subject of the hard-input tests below.
    assume(cond(data.X) < 1e3)
    return data


# --------------------------------------------------------------------------
# Properties for any data


@PROPERTY
@given(regimes())
def test_properties_of_generated_data(regime):
    data = scenario_data(*regime)
    n_r, n_f, d_r, d_f, d_lap, sigma, seed = regime
    sols = lu.solve_all(data)
    w_o, w_ft, w_g = sols["pretrained"].w, sols["finetune"].w, sols["golden"].w
    scale = max(np.abs(w_o).max(), np.abs(w_g).max())
    atol = closed_form_atol(data.X, data.X_r, scale=scale)

    # pretrained and golden against the SVD route (retraining on D_r alone)
    assert_allclose(w_o, lstsq(data.X, data.y), rtol=0, atol=atol)
    assert_allclose(w_g, lstsq(data.X_r, data.y_r), rtol=0, atol=atol)
    assert_allclose(w_g, np.linalg.pinv(data.X_r) @ data.y_r, rtol=0, atol=atol)
    # fine-tuning interpolates D_r (residual measured against the labels' size)
    assert_allclose(data.X_r @ w_ft, data.y_r, rtol=0,
                    atol=atol * np.abs(data.X_r).sum(axis=1).max())
    assert sols["finetune"].interpolates and sols["golden"].interpolates
    assert sols["pretrained"].interpolates
    # interpolating regime: fine-tuning does not move the pretrained weights
    assert_allclose(w_ft, w_o, rtol=0, atol=atol)
    # projection is exact unlearning (noisy or not)
    assert_allclose(sols["projection"].w, w_g, rtol=0, atol=atol)
    # RBM: golden with disjoint supports, fine-tuning with full overlap
    if d_lap == 0:
        assert_allclose(sols["rbm"].w, w_g, rtol=0, atol=atol)
    if d_lap == d_r == d_f:
        assert_allclose(sols["rbm"].w, w_ft, rtol=0, atol=atol)


@PROPERTY
@given(n_r=st.integers(1, 5), n_f=st.integers(1, 5), extra=st.integers(2, 6),
       seed=st.integers(0, 2 ** 32 - 1))
def test_properties_of_dense_user_arrays(n_r, n_f, extra, seed):
    """User arrays: dense features (full overlap), labels from no teacher."""
    rng = np.random.default_rng(seed)
    d = n_r + n_f + extra
    X_r, X_f = rng.standard_normal((n_r, d)), rng.standard_normal((n_f, d))
    y_r, y_f = 3 * rng.standard_normal(n_r), 3 * rng.standard_normal(n_f)
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    assume(cond(data.X) < 1e3)
    assert data.support_r.all() and data.support_f.all()
    sols = lu.solve_all(data)
    w_o, w_g = sols["pretrained"].w, sols["golden"].w
    atol = closed_form_atol(data.X, scale=max(np.abs(w_o).max(), np.abs(w_g).max()))
    assert_allclose(w_o, np.linalg.pinv(data.X) @ data.y, rtol=0, atol=atol)
    assert_allclose(w_g, np.linalg.pinv(X_r) @ y_r, rtol=0, atol=atol)
    assert_allclose(sols["finetune"].w, w_o, rtol=0, atol=atol)
    assert_allclose(X_r @ sols["finetune"].w, y_r, rtol=0,
                    atol=atol * np.abs(X_r).sum(axis=1).max())
    assert_allclose(sols["projection"].w, w_g, rtol=0, atol=atol)
    # inferred supports overlap fully: RBM keeps everything, so it is fine-tuning;
    # FBM resets everything, so it is golden
    assert_allclose(sols["rbm"].w, sols["finetune"].w, rtol=0, atol=atol)
    assert_allclose(sols["fbm"].w, w_g, rtol=0, atol=atol)


@settings(max_examples=150, deadline=None)
@given(n_r=st.integers(1, 4), n_f=st.integers(1, 3), d=st.integers(1, 7),
       data=st.data())
def test_any_small_integer_arrays_get_the_pseudo_inverse_answer(n_r, n_f, d, data):
    """Arbitrary user arrays, full rank or not, more rows than columns or not.

    Small integer entries make every matrix either exactly rank deficient or
    well conditioned (cond < 2e4: the singular values' product is at least 1),
    so the rank decision is unambiguous and the tolerance stays meaningful.
    """
    ints = st.integers(-2, 2)
    draw = lambda shape: np.array(  # noqa: E731
        data.draw(st.lists(ints, min_size=int(np.prod(shape)),
                           max_size=int(np.prod(shape)))), float).reshape(shape)
    X_r, X_f, y_r, y_f = draw((n_r, d)), draw((n_f, d)), draw((n_r,)), draw((n_f,))
    assume(np.any(X_r) and np.any(X_f))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=d, max_size=d)))
    ds = lu.Dataset(X_r, y_r, X_f, y_f)
    X, y = ds.X, ds.y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sols = lu.solve_all(ds, METHODS[:3] + ("rbm", "fbm", "projection"))
        freeze = lu.solve(ds, "masked", mask=mask, semantics="freeze")
    ill = [w for w in caught if issubclass(w.category, lu.IllConditionedWarning)]
    assert len(ill) == len(caught)  # no other warning
    rank_deficient = (np.linalg.matrix_rank(X) < len(X)
                      or np.linalg.matrix_rank(X_r) < n_r)
    assert bool(ill) >= rank_deficient  # rank deficiency always warns

    w_o = lstsq(X, y)
    m_r, m_f = np.any(X_r != 0, axis=0), np.any(X_f != 0, axis=0)
    expected = {
        "pretrained": w_o,
        "golden": lstsq(X_r, y_r),
        "finetune": w_o + lstsq(X_r, y_r - X_r @ w_o),
        "projection": lstsq(X_r, X_r @ w_o),
        "rbm": m_r * w_o + lstsq(X_r, y_r - X_r @ (m_r * w_o)),
        "fbm": ~m_f * w_o + lstsq(X_r, y_r - X_r @ (~m_f * w_o)),
    }
    scale = max(1.0, *(np.abs(v).max() for v in expected.values()))
    atol = closed_form_atol(X, X_r, scale=scale)
    for method, w in expected.items():
        assert_allclose(sols[method].w, w, rtol=0, atol=atol, err_msg=method)
    Xm = X_r * mask
    if np.any(Xm):
        assert_allclose(freeze.w, w_o + lstsq(Xm, y_r - X_r @ w_o), rtol=0,
                        atol=closed_form_atol(X, Xm, scale=scale))
    # the interpolation flag, against the SVD route's residual
    for method, (A, b) in {"pretrained": (X, y), "golden": (X_r, y_r)}.items():
        res = np.linalg.norm(A @ lstsq(A, b) - b)
        ref = max(np.linalg.norm(b), 1e-300)
        assume(not 1e-9 * ref < res < 1e-3 * ref)  # no borderline cases
        assert sols[method].interpolates == (res <= INTERPOLATION_RTOL * ref)


# --------------------------------------------------------------------------
# Analytic against gradient descent


def _route_options(data, method, semantics, rng):
    options = {}
    if method == "masked":
        # a random mask that keeps the masked problem well posed: every
        # remaining-support feature but one, plus half of the others
        keep = data.support_r.copy()
        keep[np.flatnonzero(keep)[0]] = False
        options["mask"] = keep | (rng.random(data.d) < 0.5)
    if method == "rbm" and semantics == "freeze":
        # RBM-freeze with the default mask updates only weights X_r never
        # uses (it returns w_o, see below); a Fisher top-30% leaves some of
        # S_r to update
        options.update(saliency="fisher", ratio=0.3)
    if method in ("masked", "rbm", "fbm"):
        options["semantics"] = semantics
    return options


def _masked_X_r(data, method, options):
    """``X_r`` restricted to the weights that the method's last GD stage updates."""
    if options.get("semantics") != "freeze":
        return data.X_r
    return data.X_r * mask_for(data, method, **options)[0]


@pytest.fixture(scope="module")
def overlap():
    # d_lap = 5 >= n_r: FBM-freeze, which updates S_f, can still fit D_r
    return lu.Scenario.overlapping(9, 7, 5, 4, 3, sigma=0.1).sample(rng=11)


@pytest.mark.parametrize("batch_size", [None, 2], ids=["full-batch", "sgd"])
@pytest.mark.parametrize("method,semantics", [(m, "reset") for m in METHODS]
                         + [("masked", "freeze"), ("rbm", "freeze"), ("fbm", "freeze")])
def test_analytic_and_gradient_descent_agree(overlap, method, semantics, batch_size):
    data = overlap
    options = _route_options(data, method, semantics, np.random.default_rng(0))
    numeric = lu.solve(data, method, numeric=True, batch_size=batch_size, rng=5,
                       **options)
    analytic = lu.solve(data, method, **options)
    assert numeric.run.stop_reason == "converged"
    assert numeric.route == "numeric" and analytic.route == "analytic"
    if numeric.mask is not None:
        np.testing.assert_array_equal(numeric.mask, analytic.mask)
        assert numeric.semantics == analytic.semantics == semantics
    Xm = _masked_X_r(data, method, options)
    atol = gd_atol(data.X, data.X_r, Xm, scale=np.abs(analytic.w).max())
    assert_allclose(numeric.w, analytic.w, rtol=0, atol=atol)
    dev = lu.route_deviation(data, method, batch_size=batch_size, rng=5, **options)
    assert dev == pytest.approx(np.max(np.abs(numeric.w - analytic.w)), abs=1e-15)
    assert dev <= atol
    # the run records the losses it promises, step by step
    hist = numeric.run.history
    assert set(hist) >= {"loss", "remaining_loss", "unlearning_loss"}
    assert len(hist["loss"]) == len(numeric.run.steps)


@settings(max_examples=30, deadline=None)
@given(regimes(max_n=3), st.sampled_from(METHODS), st.sampled_from(["reset", "freeze"]),
       st.sampled_from([None, 1, 2]))
def test_route_deviation_property(regime, method, semantics, batch_size):
    data = scenario_data(*regime)
    assume(cond(data.X) < 30)  # keeps the number of GD steps small
    options = _route_options(data, method, semantics, np.random.default_rng(regime[-1]))
    Xm = _masked_X_r(data, method, options)
    assume(np.linalg.matrix_rank(Xm) == data.n_r and cond(Xm) < 30)
    w = lu.solve(data, method, **options).w
    atol = gd_atol(data.X, data.X_r, Xm, scale=np.abs(w).max())
    assert lu.route_deviation(data, method, batch_size=batch_size, rng=0,
                              **options) <= atol


# --------------------------------------------------------------------------
# Exact rational arithmetic


def test_exact_rational_case():
    """2 + 1 rows, 5 columns, small integers: every model in exact arithmetic."""
    Xr = [[1, 2, 0, -1, 0], [0, 1, 3, 1, 0]]
    Xf = [[0, 0, 1, 2, -1]]
    yr, yf = [3, -1], [2]
    R = sympy.Matrix
    Xr_, Xf_ = R(Xr), R(Xf)
    X_, y_ = Xr_.col_join(Xf_), R(yr + yf)
    pinv = lambda A: A.T * (A * A.T).inv()  # noqa: E731 - full row rank
    w_o = pinv(X_) * y_
    w_g = pinv(Xr_) * R(yr)
    P_r = pinv(Xr_) * Xr_
    I5 = sympy.eye(5)
    m_r = sympy.diag(1, 1, 1, 1, 0)          # support of X_r
    m_fbm = sympy.diag(1, 1, 0, 0, 0)        # complement of the support of X_f
    m_freeze = sympy.diag(1, 0, 1, 1, 1)
    Xm = Xr_ * m_freeze
    exact = {
        "pretrained": w_o,
        "finetune": w_o + pinv(Xr_) * (R(yr) - Xr_ * w_o),
        "golden": w_g,
        "projection": P_r * w_o,
        "rbm": (I5 - P_r) * m_r * w_o + w_g,
        "fbm": (I5 - P_r) * m_fbm * w_o + w_g,
        "freeze": w_o + pinv(Xm) * (R(yr) - Xr_ * w_o),
    }
    # the exact answers are rationals, as they must be
    assert all(v.is_Rational for w in exact.values() for v in w)
    # and fine-tuning is exactly pretrained here (interpolating regime)
    assert sympy.simplify(exact["finetune"] - exact["pretrained"]) == sympy.zeros(5, 1)
    data = lu.Dataset(np.array(Xr, float), np.array(yr, float),
                      np.array(Xf, float), np.array(yf, float))
    got = lu.solve_all(data, PAPER_METHODS)
    got["freeze"] = lu.solve(data, "masked", mask=np.diag(np.array(m_freeze)).astype(bool),
                             semantics="freeze")
    X = np.array(Xr + Xf, float)
    atol = closed_form_atol(X, scale=10.0)  # entries below 10 in size
    for name, w in exact.items():
        expected = np.array(w.evalf(30), dtype=float).ravel()
        assert_allclose(got[name].w, expected, rtol=1e-12, atol=atol, err_msg=name)


# --------------------------------------------------------------------------
# Options, masks and the Solution record


def test_solution_records_options_mask_and_semantics(overlap):
    sol = lu.solve(overlap, "fbm", saliency="fisher", ratio=0.5, semantics="freeze")
    assert sol.method == "fbm" and sol.route == "analytic" and sol.run is None
    assert sol.options == {"saliency": "fisher", "ratio": 0.5, "semantics": "freeze"}
    assert sol.semantics == "freeze"
    # FBM-freeze updates what the forgetting data make salient: 50% of d
    assert sol.mask.sum() == int(np.ceil(0.5 * overlap.d))
    assert not np.any(sol.mask & ~overlap.support_f)
    rbm = lu.solve(overlap, "rbm")
    np.testing.assert_array_equal(rbm.mask, overlap.support_r)
    assert rbm.semantics == "reset"
    np.testing.assert_array_equal(lu.solve(overlap, "fbm").mask, ~overlap.support_f)


def test_masked_reset_closed_form(overlap):
    data = overlap
    mask = np.random.default_rng(2).random(data.d) < 0.5
    w_o = lu.solve(data, "pretrained").w
    expected = mask * w_o + lstsq(data.X_r, data.y_r - data.X_r @ (mask * w_o))
    got = lu.solve(data, "masked", mask=mask).w
    assert_allclose(got, expected, rtol=0,
                    atol=closed_form_atol(data.X, scale=np.abs(w_o).max()))
    # freeze semantics never changes the frozen weights
    frozen = lu.solve(data, "masked", mask=mask, semantics="freeze").w
    assert_allclose(frozen[~mask], w_o[~mask], rtol=0, atol=0)
    # 0/1 masks are accepted
    assert_allclose(lu.solve(data, "masked", mask=mask.astype(int)).w, got, rtol=0, atol=0)


@pytest.mark.parametrize("method", ["rbm", "fbm"])
@pytest.mark.parametrize("semantics", ["reset", "freeze"])
def test_masked_methods_against_an_explicit_gradient_descent(method, semantics):
    """RBM and FBM unlearn a set u of weights: reset zeroes u, then fine-tunes
    everything; freeze fine-tunes only u (SalUn's rule for FBM). Both against
    explicit gradient-descent runs, with the mask computed by hand."""
    data = lu.Scenario.overlapping(12, 10, 6, 3, 2).sample(rng=3)
    options = {"saliency": "fisher", "ratio": 0.5, "semantics": semantics}
    sol = lu.solve(data, method, **options)
    X = data.X_r if method == "rbm" else data.X_f
    salient = masks.select(masks.saliency(X), ratio=0.5)
    unlearned = ~salient if method == "rbm" else salient
    w_o = lu.gradient_descent(data.X, data.y, np.zeros(data.d)).w
    if semantics == "reset":
        np.testing.assert_array_equal(sol.mask, ~unlearned)  # the weights kept
        run = lu.gradient_descent(data.X_r, data.y_r, np.where(unlearned, 0.0, w_o))
        Xm = data.X_r
    else:
        np.testing.assert_array_equal(sol.mask, unlearned)   # the weights updated
        run = lu.gradient_descent(data.X_r, data.y_r, w_o, mask=unlearned)
        np.testing.assert_array_equal(run.w[~unlearned], w_o[~unlearned])
        Xm = data.X_r * unlearned
    assert run.stop_reason == "converged" and sol.interpolates
    assert_allclose(sol.w, run.w, rtol=0,
                    atol=gd_atol(data.X, Xm, scale=np.abs(run.w).max()))
    # and the numeric route is that very run
    numeric = lu.solve(data, method, numeric=True, **options)
    assert_allclose(numeric.w, run.w, rtol=0, atol=1e-13 * np.abs(run.w).max())


def test_default_rbm_freeze_updates_only_unused_weights():
    """With support masks RBM-freeze may update only the weights off S_r,
    where X_r is zero: the masked problem has rank 0 and w_o stays."""
    data = lu.Scenario.overlapping(9, 7, 5, 4, 3).sample(rng=2)
    with pytest.warns(lu.IllConditionedWarning,
                      match=r"X_r restricted to the weights the mask updates is rank "
                            r"deficient \(rank 0 < 4 rows: it has no nonzero column\)"):
        sol = lu.solve(data, "rbm", semantics="freeze")
    np.testing.assert_array_equal(sol.mask, ~data.support_r)
    np.testing.assert_array_equal(sol.w, lu.solve(data, "pretrained").w)


# --------------------------------------------------------------------------
# Bad input


@pytest.fixture(scope="module")
def small():
    return lu.Scenario.overlapping(6, 5, 2, 3, 2).sample(rng=0)


def test_unknown_method(small):
    with pytest.raises(ValueError, match="method must be one of .*got 'retrain'"):
        lu.solve(small, "retrain")


@pytest.mark.parametrize("method,options,numeric,match", [
    ("golden", {"lr": 0.1}, False, r"unknown option\(s\) lr for method 'golden' "
                                   r"\(numeric=False\); allowed: none"),
    ("finetune", {"mask": None}, True, r"unknown option\(s\) mask"),
    ("rbm", {"learning_rate": 1}, True, r"unknown option\(s\) learning_rate"),
    ("masked", {"semantics": "freeze"}, False, "method 'masked' needs a mask"),
    ("rbm", {"mask": np.ones(9, bool)}, False, "computes its own mask"),
    ("rbm", {"semantics": "thaw"}, False, "semantics must be one of 'reset', 'freeze'"),
    ("fbm", {"saliency": "hessian"}, False, "saliency must be one of"),
    ("fbm", {"tol": 0.1, "ratio": 0.5}, False, "either tol or ratio"),
    ("fbm", {"ratio": 1.5}, False, "ratio must be <= 1.0, got 1.5"),
    ("fbm", {"tol": -1.0}, False, r"tol must be >= 0.0, got -1.0"),
])
def test_bad_options(small, method, options, numeric, match):
    with pytest.raises(ValueError, match=match):
        lu.solve(small, method, numeric=numeric, **options)


@pytest.mark.parametrize("mask,match", [
    (np.ones(8, bool), r"mask must be a vector of length d=9, got shape \(8,\)"),
    (np.ones((2, 9), bool), r"mask must be a vector of length d=9, got shape \(2, 9\)"),
    (np.full(9, 2), "mask must be boolean"),
])
def test_bad_mask(small, mask, match):
    with pytest.raises(ValueError, match=match):
        lu.solve(small, "masked", mask=mask)


def test_diverging_step_size(small):
    L = lu.simulate.smoothness(small.X_r)
    with pytest.raises(ValueError, match=r"lr=.* makes gradient descent diverge .* "
                                         r"below 2/L"):
        lu.solve(small, "golden", numeric=True, lr=2.0 / L)
    with pytest.raises(ValueError, match=r"lr=.* may make SGD diverge"):
        lu.solve(small, "golden", numeric=True, lr=10.0, batch_size=1)
    with pytest.raises(ValueError, match="lr must be > 0.0, got 0.0"):
        lu.solve(small, "golden", numeric=True, lr=0.0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        lu.solve(small, "golden", numeric=True, batch_size=0)
    with pytest.raises(TypeError, match="max_steps must be an integer"):
        lu.solve(small, "golden", numeric=True, max_steps=1.5)
    with pytest.raises(TypeError, match="lr must be a real number"):
        lu.solve(small, "golden", numeric=True, lr="fast")
    # just below the limit is stable and is accepted
    run = lu.solve(small, "golden", numeric=True, lr=1.9 / L, max_steps=10, gtol=0.0).run
    assert run.stop_reason == "max_steps" and run.n_steps == 10


def test_max_steps_budget_is_reported(small):
    with pytest.warns(lu.NotConvergedWarning, match="stopped at max_steps=3"):
        sol = lu.solve(small, "golden", numeric=True, max_steps=3)
    assert sol.run.stop_reason == "max_steps" and sol.run.n_steps == 3
    assert list(sol.run.steps) == [0, 1, 2, 3]
    # full-batch GD at lr = 1/L decreases the training loss monotonically
    assert np.all(np.diff(sol.run.history["loss"]) <= 0)


# --------------------------------------------------------------------------
# Hard input: solved correctly, with a warning


def _hard_cases():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 8))
    w_star = rng.standard_normal(8)
    X_f = rng.standard_normal((2, 8))
    duplicate = np.vstack([base, base[:1]])
    collinear = np.vstack([base, 2 * base[0] - 0.5 * base[1]])
    low_rank = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 8))
    tall = rng.standard_normal((12, 8))  # more samples than features (n_r > d)
    cases = {}
    for name, X_r in (("duplicate", duplicate), ("collinear", collinear),
                      ("rank", low_rank), ("tall", tall)):
        consistent = X_r @ w_star
        inconsistent = consistent + rng.standard_normal(len(X_r))
        cases[name + "-consistent"] = (X_r, consistent, X_f, X_f @ w_star, True)
        cases[name + "-inconsistent"] = (X_r, inconsistent, X_f, X_f @ w_star, False)
    return cases


HARD = _hard_cases()


@pytest.mark.parametrize("case", sorted(HARD))
def test_hard_input_gets_the_pseudo_inverse_answer_and_a_warning(case):
    X_r, y_r, X_f, y_f, consistent = HARD[case]
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    # (pytest.warns re-emits unmatched warnings: match every message here)
    with pytest.warns(lu.IllConditionedWarning, match="is rank deficient") as record:
        sols = lu.solve_all(data, METHODS[:3] + ("projection",))
    assert any(str(w.message).startswith("X_r is rank deficient") for w in record)
    X, y = data.X, data.y
    pinv_r = np.linalg.pinv(X_r)
    w_o = np.linalg.pinv(X) @ y
    # pinv with numpy's default rcond=1e-15 and a cut-off on exactly zero
    # singular values agree: the tolerance is the Gram route's round-off
    scale = max(np.abs(w_o).max(), 1.0)
    atol = closed_form_atol(X, X_r, scale=scale)
    assert_allclose(sols["pretrained"].w, w_o, rtol=0, atol=atol)
    assert_allclose(sols["golden"].w, pinv_r @ y_r, rtol=0, atol=atol)
    # gradient descent from w0 ends at w0 + X^+ (y - X w0)
    assert_allclose(sols["finetune"].w, w_o + pinv_r @ (y_r - X_r @ w_o), rtol=0,
                    atol=atol)
    assert_allclose(sols["projection"].w, pinv_r @ X_r @ w_o, rtol=0, atol=atol)
    assert sols["golden"].interpolates is consistent
    assert sols["finetune"].interpolates is consistent
    # and an actual gradient-descent run lands there too
    run = lu.gradient_descent(X_r, y_r, w_o, monitors=None)
    assert run.stop_reason == "converged"
    assert_allclose(run.w, w_o + pinv_r @ (y_r - X_r @ w_o), rtol=0,
                    atol=gd_atol(X_r, scale=scale, stages=1))


def test_more_samples_than_features_in_all_data():
    """n_r + n_f > d: the pretrained model is least squares and may not interpolate."""
    rng = np.random.default_rng(4)
    X_r, X_f = rng.standard_normal((5, 6)), rng.standard_normal((4, 6))
    w_star = rng.standard_normal(6)
    for noise, interpolates in ((0.0, True), (1.0, False)):
        y_r = X_r @ w_star + noise * rng.standard_normal(5)
        y_f = X_f @ w_star + noise * rng.standard_normal(4)
        data = lu.Dataset(X_r, y_r, X_f, y_f)
        with pytest.warns(lu.IllConditionedWarning, match=r"\[X_r; X_f\] is rank "
                                                          r"deficient \(rank 6 < 9"):
            pre = lu.solve(data, "pretrained")
        X = np.vstack([X_r, X_f])
        assert_allclose(pre.w, np.linalg.pinv(X) @ data.y, rtol=0,
                        atol=closed_form_atol(X, scale=np.abs(pre.w).max()))
        assert pre.interpolates is interpolates
        # X_r alone (5 x 6) is still full row rank: no warning for it
        assert lu.solve(data, "golden").interpolates


def test_ill_conditioned_but_full_rank_warns_and_is_accurate():
    rng = np.random.default_rng(5)
    U, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    V, _ = np.linalg.qr(rng.standard_normal((10, 3)))
    X_r = U @ np.diag([1.0, 1e-3, 1e-6]) @ V.T   # cond 1e6: Gram cond 1e12
    y_r = rng.standard_normal(3)
    data = lu.Dataset(X_r, y_r, rng.standard_normal((2, 10)), rng.standard_normal(2))
    with pytest.warns(lu.IllConditionedWarning, match="is ill-conditioned") as record:
        w = lu.solve(data, "golden").w
    assert any(str(w.message).startswith("X_r is ill-conditioned") for w in record)
    # the SVD fallback loses about cond(X) * eps = 2e-10 relative, not the
    # cond^2 * eps = 2e-4 of a Cholesky solve of the Gram matrix
    expected = V @ np.diag([1.0, 1e3, 1e6]) @ U.T @ y_r
    assert_allclose(w, expected, rtol=0, atol=1e-8 * np.abs(expected).max())


def _ill_conditioned(rng, singular_values, d):
    """``U diag(s) V^T`` with random orthonormal ``U`` and ``V``: cond(X) = s[0] / s[-1]."""
    n = len(singular_values)
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((d, n)))
    return U @ np.diag(singular_values) @ V.T, U, V


def test_svd_fallback_residual_is_accurate_at_cond_1e8():
    """Regression: the SVD fallback used to compute ``X^+ r = X^T (U S^-2 U^T r)``.

    Its weights were right to ``cond(X) eps`` but the residual ``X w - y`` was
    off by ``cond(X)^2 eps`` (0.03 to 0.58 of ``||y||`` at cond 1e8), so the
    interpolation flag and the remaining loss came out wrong.
    ``V S^-1 U^T r`` is backward stable: residual and weights within a small
    multiple of ``cond(X) eps = 2.2e-8`` (``numpy.linalg.pinv``: ~1e-9).
    """
    rng = np.random.default_rng(5)
    kappa = 1e8
    X_r, U, V = _ill_conditioned(rng, [1.0, 1e-4, 1e-8], 10)
    y_r = rng.standard_normal(3)
    data = lu.Dataset(X_r, y_r, rng.standard_normal((2, 10)), rng.standard_normal(2))
    with pytest.warns(lu.IllConditionedWarning, match="is ill-conditioned"):
        sols = lu.solve_all(data, ("pretrained", "golden", "finetune", "projection"))
    bound = 10 * kappa * EPS
    for method in ("golden", "finetune"):
        w = sols[method].w
        assert np.linalg.norm(X_r @ w - y_r) <= bound * np.linalg.norm(y_r), method
        assert sols[method].interpolates
        assert lu.evaluate(data, w)["remaining_loss"] <= bound ** 2 * np.mean(y_r ** 2)
    expected = V @ np.diag([1.0, 1e4, 1e8]) @ U.T @ y_r
    assert_allclose(sols["golden"].w, expected, rtol=0, atol=bound * np.abs(expected).max())
    # the projection on the row space of X_r (spanned by V), to cond(X) eps too
    w_o = sols["pretrained"].w
    assert_allclose(sols["projection"].w, V @ (V.T @ w_o), rtol=0,
                    atol=bound * np.abs(w_o).max())


@pytest.mark.parametrize("delta", [1e-6, 1e-8])
def test_near_duplicate_rows_are_fitted_to_round_off(delta):
    """A row repeated up to ``delta``: full row rank, cond(X) ~ 1/delta."""
    rng = np.random.default_rng(6)
    base = rng.standard_normal((3, 12))
    X_r = np.vstack([base, base[0] + delta * rng.standard_normal(12)])
    y_r = rng.standard_normal(4)
    assert np.linalg.matrix_rank(X_r) == 4
    kappa = cond(X_r)
    data = lu.Dataset(X_r, y_r, rng.standard_normal((2, 12)), rng.standard_normal(2))
    with pytest.warns(lu.IllConditionedWarning, match="is ill-conditioned"):
        golden = lu.solve(data, "golden")
    assert np.linalg.norm(X_r @ golden.w - y_r) <= 10 * kappa * EPS * np.linalg.norm(y_r)
    assert golden.interpolates
    reference = np.linalg.pinv(X_r) @ y_r
    assert_allclose(golden.w, reference, rtol=0,
                    atol=10 * kappa * EPS * np.abs(reference).max())


def test_svd_fallback_on_a_stack_matches_each_problem():
    """One ill-conditioned problem sends the whole stack to the SVD route."""
    from linunlearn._linalg import RowSpace
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 4, 9))
    X[1] = _ill_conditioned(rng, [1.0, 1e-2, 1e-4, 1e-7], 9)[0]
    r, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 9))
    with pytest.warns(lu.IllConditionedWarning, match="is ill-conditioned"):
        rows = RowSpace(X)
    assert rows.method == "svd" and rows.full_row_rank
    for b in range(3):
        P = np.linalg.pinv(X[b])
        kappa = cond(X[b])
        scale = 10 * kappa * EPS
        assert_allclose(rows.pinv(r)[b], P @ r[b], rtol=0,
                        atol=scale * np.abs(P @ r[b]).max())
        assert_allclose(rows.project(w)[b], P @ X[b] @ w[b], rtol=0,
                        atol=scale * np.abs(w[b]).max())
        assert_allclose(rows.gd_limit(r, w)[b], w[b] + P @ (r[b] - X[b] @ w[b]),
                        rtol=0, atol=scale * np.abs(w[b]).max() * 10)
        # (X X^T)^+ = (X^+)^T X^+
        dual = P.T @ (P @ r[b])
        assert_allclose(rows.dual(r)[b], dual, rtol=0, atol=scale * np.abs(dual).max())


def test_more_samples_than_features_uses_O_nd_memory():
    """Regression: the n x n Gram matrix was formed even when n > d.

    With n = 4000 rows and d = 20 features a Gram matrix is 128 MB; the thin
    SVD of X needs U (n x d) and a few vectors: a few times the data (640 kB).
    """
    import tracemalloc
    rng = np.random.default_rng(8)
    n_r, n_f, d = 3000, 1000, 20
    X_r, X_f = rng.standard_normal((n_r, d)), rng.standard_normal((n_f, d))
    w_star = rng.standard_normal(d)
    y_r = X_r @ w_star + rng.standard_normal(n_r)
    y_f = X_f @ w_star + rng.standard_normal(n_f)
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    tracemalloc.start()
    try:
        with pytest.warns(lu.IllConditionedWarning, match="rank deficient"):
            sols = lu.solve_all(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * (n_r + n_f) * d * 8, peak
    assert [r.method for r in data.rows] == ["svd", "svd"]
    # least squares from 0 (pretrained, golden) and from w_o (fine-tuning)
    scale = np.abs(w_star).max()
    atol = closed_form_atol(data.X, scale=scale)
    assert_allclose(sols["pretrained"].w, lstsq(data.X, data.y), rtol=0, atol=atol)
    assert_allclose(sols["golden"].w, lstsq(X_r, y_r), rtol=0, atol=atol)
    assert_allclose(sols["projection"].w, sols["pretrained"].w, rtol=0, atol=atol)
    assert not sols["golden"].interpolates  # noisy labels, n_r > d


@pytest.mark.parametrize("call", [lu.solve, lu.route_deviation])
@pytest.mark.parametrize("data", [None, {"X_r": np.eye(2)}, np.eye(2)])
def test_data_must_be_a_dataset(call, data):
    with pytest.raises(TypeError, match="data must be a linunlearn.Dataset .* got"):
        call(data, "golden")


@pytest.mark.parametrize("numeric", ["no", 0, 1, None])
def test_numeric_must_be_a_bool(small, numeric):
    """Regression: numeric="no" counted as true."""
    with pytest.raises(TypeError, match=f"numeric must be True or False, got {numeric!r}"):
        lu.solve(small, "golden", numeric=numeric)
    assert lu.solve(small, "golden", numeric=np.bool_(False)).route == "analytic"


def test_warnings_point_at_the_users_call():
    """Regression: warnings were attributed to scenarios.py internals."""
    X_r, y_r, X_f, y_f, _ = HARD["duplicate-consistent"]
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    with pytest.warns(lu.IllConditionedWarning) as record:
        lu.solve(data, "golden")
    with pytest.warns(lu.NotConvergedWarning) as more:
        lu.solve(lu.Dataset(X_r[:3], y_r[:3], X_f, y_f), "golden", numeric=True,
                 max_steps=2)
    with pytest.warns(lu.NotConvergedWarning) as direct:
        lu.gradient_descent(X_r, y_r, np.zeros(8), max_steps=2)
    caught = [*record, *more, *direct]
    assert len(caught) >= 3
    assert {w.filename for w in caught} == {__file__}


def test_a_well_posed_fit_near_the_cholesky_threshold_interpolates():
    # cond(X_r) = 7.7e4 with y_r along the weakest direction: a Cholesky solve
    # of X X^T left a relative residual of 1.3e-6 (above INTERPOLATION_RTOL)
    # and reported interpolates=False; the SVD route fits to ~1e-11.
    rng = np.random.default_rng(22)
    U, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    Q, _ = np.linalg.qr(rng.standard_normal((40, 6)))
    X_r = U @ np.diag([1, 0.3, 1e-2, 1.3e-5]) @ Q[:, :4].T
    y_r = U[:, -1] + 1e-3 * rng.standard_normal(4)
    data = lu.Dataset(X_r, y_r, 0.5 * Q[:, 4:].T, rng.standard_normal(2))
    with pytest.warns(lu.IllConditionedWarning, match="ill-conditioned"):
        golden = lu.solve(data, "golden")
    assert golden.interpolates
    assert np.linalg.norm(X_r @ golden.w - y_r) <= 1e-9 * np.linalg.norm(y_r)


# --------------------------------------------------------------------------
# Factorisation routes: LAPACK per problem, the normal equations for n > d


def test_the_cholesky_route_gives_scipys_numbers():
    """LAPACK per problem: the same numbers as scipy's (batched) cho_factor / cho_solve."""
    import scipy.linalg
    from linunlearn._linalg import RowSpace, gram
    rng = np.random.default_rng(10)
    X, r = rng.standard_normal((5, 7, 20)), rng.standard_normal((5, 7))
    G = gram(X)
    rows = RowSpace(X, G)
    c = scipy.linalg.cho_factor(G, lower=True, check_finite=False)[0]
    np.testing.assert_array_equal(np.tril(rows.leading_factor(7)), np.tril(c))
    np.testing.assert_array_equal(
        rows.dual(r), scipy.linalg.cho_solve((c, True), r[..., None],
                                             check_finite=False)[..., 0])
    # one factor and a stack of right-hand sides (k outputs) broadcast
    one = RowSpace(X[0])
    R = rng.standard_normal((3, 7))
    c0 = scipy.linalg.cho_factor(gram(X[0]), lower=True, check_finite=False)
    np.testing.assert_array_equal(one.dual(R), np.stack(
        [scipy.linalg.cho_solve(c0, R[i], check_finite=False) for i in range(3)]))


def _tall(rng, n_r, n_f, d, spread=1.0):
    X_r = rng.standard_normal((n_r, d)) * np.linspace(1.0, spread, d)
    X_f = rng.standard_normal((n_f, d))
    w_star = rng.standard_normal(d)
    return (X_r, X_r @ w_star + rng.standard_normal(n_r), X_f,
            X_f @ w_star + rng.standard_normal(n_f))


def test_many_more_samples_than_features_use_the_normal_equations():
    """n > d at scale: X^+ r = (X^T X)^{-1} X^T r from a d x d Cholesky factor.

    Reference: numpy's SVD least squares. The normal equations lose about
    ``cond(X)^2 eps`` relative, the Gram route's bound (:func:`closed_form_atol`).
    """
    from linunlearn._linalg import NORMAL_MIN_WORK
    rng = np.random.default_rng(9)
    X_r, y_r, X_f, y_f = _tall(rng, 3000, 1000, 40, spread=3.0)
    assert 3000 * 40 ** 2 >= NORMAL_MIN_WORK
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    with pytest.warns(lu.IllConditionedWarning, match="rank deficient") as record:
        sols = lu.solve_all(data)
    assert all("more rows than features" in str(w.message) for w in record)
    assert [r.method for r in data.rows] == ["normal", "normal"]
    w_o = lstsq(data.X, data.y)
    atol = closed_form_atol(data.X, X_r, scale=np.abs(w_o).max())
    assert_allclose(sols["pretrained"].w, w_o, rtol=0, atol=atol)
    assert_allclose(sols["golden"].w, lstsq(X_r, y_r), rtol=0, atol=atol)
    w_ft = w_o + lstsq(X_r, y_r - X_r @ w_o)
    assert_allclose(sols["finetune"].w, w_ft, rtol=0, atol=atol)
    # full column rank: the row space is everything, P_r w_o = w_o exactly
    np.testing.assert_array_equal(sols["projection"].w, sols["pretrained"].w)
    assert not sols["golden"].interpolates
    r = rng.standard_normal(3000)
    P = np.linalg.pinv(X_r)
    dual = P.T @ (P @ r)  # (X X^T)^+ = (X^+)^T X^+
    assert_allclose(data.rows[1].dual(r), dual, rtol=0,
                    atol=closed_form_atol(X_r, scale=np.abs(dual).max()))


def test_ill_conditioned_tall_data_fall_back_to_the_svd():
    """Nearly collinear columns: cond(X^T X) ~ 1e12 is refused, the SVD answers."""
    rng = np.random.default_rng(11)
    X_r, y_r, X_f, y_f = _tall(rng, 3000, 1000, 40)
    X_r[:, 1] = X_r[:, 0] + 1e-6 * rng.standard_normal(3000)
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    with pytest.warns(lu.IllConditionedWarning, match="rank deficient"):
        golden = lu.solve(data, "golden").w
    assert data.rows[1].method == "svd" and data.rows[0].method == "normal"
    reference = lstsq(X_r, y_r)
    assert_allclose(golden, reference, rtol=0,
                    atol=100 * cond(X_r) * EPS * np.abs(reference).max())


def test_pretrained_weights_are_shared_but_not_exposed():
    """w_o is computed once per data set; editing the returned copy changes nothing."""
    data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    w_o = lu.solve(data, "pretrained").w
    finetune = lu.solve(data, "finetune").w
    w_o[:] = 0.0
    np.testing.assert_array_equal(lu.solve(data, "finetune").w, finetune)
    assert np.any(lu.solve(data, "pretrained").w != 0.0)
