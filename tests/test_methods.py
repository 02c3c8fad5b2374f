"""The unlearning methods of the literature: known answers, routes against each other, errors."""

import inspect
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.methods import UNLEARNING_METHODS, VANISHING_RTOL, describe

ATOL = 1e-9
#: Methods whose gradient vanishes at the pretrained model: they are run from a
#: model that does not interpolate.
GRADIENT_METHODS = ("ga", "gdiff", "ngdiff", "icu")


@pytest.fixture(scope="module")
def overlap():
    return lu.Scenario.overlapping(20, 14, 6, 8, 5).sample(rng=3)


@pytest.fixture(scope="module")
def distinct():
    return lu.Scenario.distinct(20, 14, 8, 5).sample(rng=4)


@pytest.fixture(scope="module")
def start(overlap):
    """A model that does not interpolate: half the pretrained weights."""
    return 0.5 * lu.solve(overlap, "pretrained").w


@pytest.fixture(scope="module")
def multi():
    """Three outputs, fitted jointly; the forgetting rows alone use the last features."""
    rng = np.random.default_rng(11)
    X_r, X_f = rng.standard_normal((7, 24)), rng.standard_normal((4, 24))
    X_r[:, 18:] = 0.0
    return lu.Dataset(X_r, rng.standard_normal((7, 3)), X_f, rng.standard_normal((4, 3)))


@pytest.fixture(scope="module")
def multi_start(multi):
    return 0.5 * lu.solve(multi, "pretrained").w


def _vec(W):
    """Column-stacking ``vec``: ``vec(X W) = (I_k kron X) vec(W)``."""
    return W.ravel(order="F")


def _kron(X, k):
    return np.kron(np.eye(k), X)


def test_every_method_is_registered():
    assert set(UNLEARNING_METHODS) <= set(lu.available_methods())


@pytest.mark.parametrize("method", UNLEARNING_METHODS)
def test_every_method_returns_finite_weights_and_a_stop_reason(overlap, method):
    for numeric in (False, True):
        sol = lu.solve(overlap, method, numeric=numeric)
        assert np.all(np.isfinite(sol.w))
        assert sol.info["stop_reason"] in lu.methods.STOP_REASONS


# ------------------------------------------------------------- documentation

_SOURCES = {"salun": "arXiv:2310.12508", "deepclean": "arXiv:2311.10448",
            "ce_ft": "arXiv:2410.03833v1", "ice_ft": "arXiv:2410.03833v1",
            "kl_ft": "arXiv:2410.03833v1", "ga": "arXiv:2210.01504",
            "gdiff": "arXiv:2410.22086", "ngdiff": "arXiv:2410.22086",
            "icu": "arXiv:2407.20271", "minnorm_og": "docs/theory.md, C7",
            "newton": "arXiv:1911.03030", "certified": "arXiv:1911.03030",
            "ridge_downdate": "Sherman-Morrison-Woodbury", "pru": "arXiv:2002.10077"}


def _numbers(text):
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


@pytest.mark.parametrize("method", UNLEARNING_METHODS)
def test_each_method_documents_its_source_and_every_option_with_its_default(method):
    text = describe(method)
    assert _SOURCES[method] in text
    assert "\nParameters\n----------\n" in text and "\nReturns\n-------\n" in text
    spec = lu.solutions.method_spec(method)
    solver = spec.solver
    for name in spec.options + spec.numeric_options:
        # the entry "name : ..." (or "a, name : ..." for grouped options)
        entry = re.search(rf"^(?:\w+, )*{name}(?:, \w+)* : (.*)$", text, re.MULTILINE)
        assert entry, f"{method}: option {name!r} is not documented"
        default = inspect.signature(solver).parameters[name].default
        if default is None:
            assert "optional" in entry.group(1) or "None" in entry.group(1)
        elif isinstance(default, str):
            assert f'default "{default}"' in entry.group(1)
        else:  # the documented default is the actual one
            assert default in _numbers(entry.group(1).split("default")[1]), (method, name)


def test_describe_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of 'pretrained', .*got 'retrain'"):
        describe("retrain")


def test_docstring_math_renders_without_doubled_escapes():
    for method in UNLEARNING_METHODS:
        text = describe(method)
        assert "\\\\" not in text and "{{" not in text
    assert "w_{\\mathrm{ref}}" in describe("kl_ft")
    # variance 1/2: the KL is the squared prediction difference itself
    assert "KL(N(x^T w_ref, 1/2) || N(x^T w, 1/2))" in describe("kl_ft")
    assert "twice the KL at unit variance" in describe("kl_ft")
    assert "[X_r; X_f]`` has full row" in describe("ce_ft")


# ---------------------------------------------------------------- known answers

def test_deepclean_rbm_and_minnorm_are_golden_with_disjoint_supports(distinct):
    golden = lu.solve(distinct, "golden").w
    for method in ("deepclean", "rbm", "minnorm_og"):
        assert_allclose(lu.solve(distinct, method).w, golden, atol=ATOL)
    sol = lu.solve(distinct, "deepclean")
    assert_allclose(sol.mask, distinct.support_f & ~distinct.support_r)


def test_deepclean_equals_rbm_when_the_reset_overlap_can_be_refit(overlap):
    # The overlap features it selects are refit exactly by D_r (n_r rows >= their
    # number, w_o interpolates D_r), so only the forgetting-only features change.
    assert_allclose(lu.solve(overlap, "deepclean").w, lu.solve(overlap, "rbm").w,
                    atol=ATOL)


def test_deepclean_is_invariant_to_the_scale_of_the_features(distinct):
    # eps is relative to max F_r: rescaling every feature by s rescales both
    # Fisher diagonals by s^2, so the selection is the same and w scales by 1/s.
    s = 1e-5
    scaled = lu.Dataset(s * distinct.X_r, distinct.y_r, s * distinct.X_f, distinct.y_f)
    a, b = lu.solve(distinct, "deepclean"), lu.solve(scaled, "deepclean")
    assert np.array_equal(a.mask, b.mask) and b.info["n_selected"] > 0
    assert_allclose(s * b.w, a.w, rtol=1e-8, atol=ATOL)
    assert_allclose(b.w, lu.solve(scaled, "golden").w, rtol=1e-8)


def test_deepclean_warns_when_nothing_is_selected(overlap):
    # scores are at most F_f / (eps max F_r), about 1e8 with eps = 1e-8
    with pytest.warns(lu.LinunlearnWarning, match="deepclean selected no feature"):
        sol = lu.solve(overlap, "deepclean", threshold=1e10)
    assert sol.info["n_selected"] == 0
    assert_allclose(sol.w, lu.solve(overlap, "pretrained").w, atol=0)


def test_minnorm_og_is_golden_and_projection(overlap):
    golden = lu.solve(overlap, "golden").w
    assert_allclose(lu.solve(overlap, "minnorm_og").w, golden, atol=ATOL)
    assert_allclose(lu.solve(overlap, "minnorm_og", numeric=True).w, golden, atol=1e-8)
    assert lu.solve(overlap, "minnorm_og").info["uses_forget_data"] is False


def test_minnorm_og_is_golden_from_any_trained_model(overlap):
    # P_r w_o + X_r^+ (y_r - X_r w_o) = X_r^+ y_r whatever w_o, also one that
    # interpolates neither set.
    w_o = np.random.default_rng(0).standard_normal(overlap.d)
    assert lu.evaluate(overlap, w_o)["remaining_loss"] > 1.0
    golden = lu.solve(overlap, "golden").w
    assert_allclose(lu.solve(overlap, "minnorm_og", init=w_o).w, golden, atol=ATOL)
    assert_allclose(lu.solve(overlap, "minnorm_og", init=w_o, numeric=True).w,
                    golden, atol=1e-8)


@pytest.mark.parametrize("steps", [None, 0, 3])
def test_ce_ft_with_alpha_zero_is_finetuning(overlap, steps):
    ft = lu.solve(overlap, "finetune").w
    assert_allclose(lu.solve(overlap, "ce_ft", alpha=0.0, steps=steps).w, ft, atol=ATOL)
    assert_allclose(lu.solve(overlap, "kl_ft", alpha=0.0, steps=steps).w, ft, atol=ATOL)


def test_ice_ft_with_alpha_one_is_ce_ft_with_alpha_one(overlap):
    for steps in (None, 4):
        assert_allclose(lu.solve(overlap, "ice_ft", alpha=1.0, steps=steps).w,
                        lu.solve(overlap, "ce_ft", alpha=1.0, steps=steps).w, atol=ATOL)


def test_converged_regularisation_does_not_depend_on_the_weight(overlap):
    # n_r + n_f < d: the limit interpolates D_r and the wrong labels on D_f.
    a = lu.solve(overlap, "ce_ft", alpha=0.1).w
    b = lu.solve(overlap, "ce_ft", alpha=1.0).w
    c = lu.solve(overlap, "ice_ft", alpha=0.3).w
    assert_allclose(a, b, atol=ATOL)
    assert_allclose(a, c, atol=ATOL)
    m = lu.evaluate(overlap, a)
    assert m["remaining_loss"] < 1e-20
    assert_allclose(m["unlearning_loss"], 4 * np.mean(overlap.y_f ** 2), rtol=1e-9)


@pytest.mark.parametrize("steps", [0, 5, np.inf])
def test_ce_ft_is_the_claims_module_discriminative_finetune(overlap, steps):
    # claims.regulariser_path computes the same iterate for batches of data
    # sets (Monte Carlo); both default to 1/L of the objective at alpha = 1.
    from linunlearn.claims import regulariser_path as discriminative_finetune
    for alpha in (0.0, 0.3, 1.0):
        ours = lu.solve(overlap, "ce_ft", alpha=alpha,
                        steps=None if np.isinf(steps) else steps)
        if alpha == 0 and np.isinf(steps):  # the stacked problem has zero rows
            with pytest.warns(lu.IllConditionedWarning, match="rank deficient"):
                theirs = discriminative_finetune(overlap, alpha, steps)
        else:
            theirs = discriminative_finetune(overlap, alpha, steps)
        # two routes (k-step eigendecomposition, or Cholesky / SVD at the
        # limit, against lstsq): agreement to round-off of weights of order one
        assert_allclose(ours.w, theirs, atol=1e-12)


def test_discriminative_finetune_limit_checks_its_start(overlap):
    """The limit (steps=inf, default step) skips the k-step route: w_o still checked."""
    from linunlearn.methods import discriminative_finetune
    with pytest.raises(ValueError, match=r"w_o must have 28 weights \(one per feature\), "
                                         r"got shape \(3,\)"):
        discriminative_finetune(overlap, np.zeros(3), 0.3, np.inf)
    with pytest.raises(TypeError, match="w_o must be a numeric array"):
        discriminative_finetune(overlap, "zeros", 0.3, np.inf)


def test_finite_steps_trade_remaining_loss_for_unlearning_loss(overlap):
    # For small alpha the 5-step model moves linearly in alpha away from an
    # interpolator of D_r, so RL grows like alpha**2 and UL grows; at larger
    # alpha the step can overshoot and RL need not stay monotone.
    ul, rl = [], []
    for alpha in (0.0, 0.01, 0.03, 0.1):
        m = lu.evaluate(overlap, lu.solve(overlap, "ce_ft", alpha=alpha, steps=5).w)
        ul.append(m["unlearning_loss"])
        rl.append(m["remaining_loss"])
    assert np.all(np.diff(ul) > 0) and np.all(np.diff(rl) > 0)


def test_kl_ft_to_the_zero_model_is_golden_with_disjoint_supports(distinct):
    # Finding: the limit is the interpolator of (D_r, zero predictions on D_f)
    # closest to w_o; on disjoint supports that zeroes w_o on the forgetting block.
    assert_allclose(lu.solve(distinct, "kl_ft").w, lu.solve(distinct, "golden").w,
                    atol=ATOL)


def test_kl_ft_with_the_pretrained_reference_is_finetuning(overlap):
    w_o = lu.solve(overlap, "pretrained").w
    assert_allclose(lu.solve(overlap, "kl_ft", reference=w_o, alpha=0.7).w,
                    lu.solve(overlap, "finetune").w, atol=ATOL)


# ---------------------------------------------------------- vanishing gradients

@pytest.mark.parametrize("method", GRADIENT_METHODS)
@pytest.mark.parametrize("numeric", [False, True])
def test_gradient_methods_report_vanishing_gradients_at_the_pretrained_model(
        overlap, method, numeric):
    sol = lu.solve(overlap, method, numeric=numeric)
    w_o = lu.solve(overlap, "pretrained", numeric=numeric).w
    assert sol.info["stop_reason"] == "vanishing_gradient"
    assert sol.run.stop_reason == "vanishing_gradient" and sol.run.n_steps == 0
    assert "init=" in sol.info["note"] and "interpolates D_r + D_f" in sol.info["note"]
    assert_allclose(sol.w, w_o, atol=0)
    with pytest.raises(ValueError, match=f"method '{method}': the gradient of .* "
                                         f"vanishes at the starting model"):
        lu.solve(overlap, method, numeric=numeric, on_vanishing="raise")


def test_ngdiff_note_names_the_gradient_that_vanished(overlap):
    # From golden only g_r vanishes; ||g_f|| is of order one, yet the direction
    # g_r/||g_r|| - g_f/||g_f|| is 0/0.
    golden = lu.solve(overlap, "golden").w
    g_f = 2 / overlap.n_f * overlap.X_f.T @ (overlap.X_f @ golden - overlap.y_f)
    note = lu.solve(overlap, "ngdiff", init=golden).info["note"]
    assert note.startswith("the gradient of RL vanishes")
    assert "the given init minimises RL" in note
    assert f"the gradient of UL has norm {np.linalg.norm(g_f):.3g}" in note
    assert np.linalg.norm(g_f) > 1.0


def test_salun_original_saliency_vanishes_at_the_pretrained_model(overlap):
    with pytest.raises(ValueError, match="saliency='forget_gradient'.*zero here"):
        lu.solve(overlap, "salun", saliency="forget_gradient")
    g = 2 / overlap.n_f * overlap.X_f.T @ (overlap.X_f @ lu.solve(overlap, "pretrained").w
                                            - overlap.y_f)
    assert np.linalg.norm(g) < VANISHING_RTOL * np.linalg.norm(overlap.X_f.T @ overlap.y_f)


def test_salun_random_label_saliency_vanishes_only_without_forgetting_labels(overlap):
    zero = lu.Dataset(overlap.X_r, overlap.y_r, overlap.X_f, 0.0 * overlap.y_f)
    with pytest.raises(ValueError, match="saliency='random_label'.*labels are zero"):
        lu.solve(zero, "salun", rng=0)
    assert lu.solve(zero, "salun", saliency="fisher", rng=0).mask.any()


def test_salun_surrogate_saliencies(overlap):
    for saliency in ("random_label", "fisher"):
        sol = lu.solve(overlap, "salun", saliency=saliency, rng=0)
        assert sol.info["saliency"] == saliency and sol.semantics == "freeze"
        assert not np.any(sol.mask & ~overlap.support_f)  # scores vanish off S_f
        w_o = lu.solve(overlap, "pretrained").w
        assert_allclose(sol.w[~sol.mask], w_o[~sol.mask], atol=0)
    a = lu.solve(overlap, "salun", rng=5).w
    assert_allclose(lu.solve(overlap, "salun", rng=5).w, a, atol=0)


@pytest.mark.parametrize("n_f", [1, 2])
def test_salun_random_labels_never_equal_the_forgetting_labels(n_f):
    # A random permutation of one label is the label itself (and of two, half
    # the time): the random-label saliency then vanished and the mask came from
    # round-off. Gaussian labels differ from y_f with probability one.
    data = lu.Scenario.overlapping(20, 14, 6, 8, n_f).sample(rng=3)
    w_o = lu.solve(data, "pretrained").w
    for seed in range(4):
        sol = lu.solve(data, "salun", rng=seed)
        y_rand = sol.info["random_labels"]
        expected = np.sqrt(np.mean(data.y_f ** 2)) * np.random.default_rng(seed) \
            .standard_normal(n_f)
        assert_allclose(y_rand, expected, rtol=1e-15)
        g = 2 / n_f * data.X_f.T @ (data.X_f @ w_o - y_rand)
        assert np.linalg.norm(g) > 1e-3 * np.linalg.norm(2 / n_f * data.X_f.T @ data.y_f)
        assert np.linalg.norm(sol.w - w_o) > 1e-3 * np.linalg.norm(w_o)


def test_salun_forget_gradient_works_off_the_interpolating_regime():
    rng = np.random.default_rng(0)
    X_r, X_f = rng.standard_normal((30, 5)), rng.standard_normal((20, 5))
    data = lu.Dataset(X_r, X_r @ np.ones(5) + rng.standard_normal(30), X_f,
                      rng.standard_normal(20))
    with pytest.warns(lu.IllConditionedWarning, match="more rows than features"):
        sol = lu.solve(data, "salun", saliency="forget_gradient", ratio=0.4, rng=0)
    assert sol.mask.sum() == 2


# ---------------------------------------------- closed forms against actual runs

@pytest.mark.parametrize("method,options", [
    ("ce_ft", {"alpha": 0.3, "steps": 9}), ("ice_ft", {"alpha": 0.3, "steps": 9}),
    ("kl_ft", {"alpha": 0.3, "steps": 9}), ("salun", {"rng": 1, "steps": 9}),
    ("deepclean", {"steps": 9}), ("ce_ft", {"alpha": 0.5}), ("deepclean", {}),
    ("salun", {"rng": 1, "ratio": 0.3}), ("kl_ft", {"alpha": 1.0}),
])
def test_closed_form_matches_a_gradient_descent_run(overlap, method, options):
    a = lu.solve(overlap, method, **options)
    b = lu.solve(overlap, method, numeric=True, **options)
    assert_allclose(a.w, b.w, atol=1e-8)
    expected = "max_steps" if options.get("steps") else "converged"
    assert b.run.stop_reason == expected
    assert {"remaining_loss", "unlearning_loss"} <= set(b.run.history)


def test_ce_ft_k_steps_by_an_explicit_loop(overlap):
    d = overlap
    w = lu.solve(d, "pretrained").w
    sol = lu.solve(d, "ce_ft", alpha=0.4, steps=6)
    lr = sol.info["lr"]
    for _ in range(6):
        g = (2 / d.n_r * d.X_r.T @ (d.X_r @ w - d.y_r)
             + 0.4 * 2 / d.n_f * d.X_f.T @ (d.X_f @ w + d.y_f))
        w = w - lr * g
    assert_allclose(sol.w, w, atol=1e-12)


@pytest.mark.parametrize("method", ["ga", "gdiff"])
def test_ascent_closed_form_matches_the_weight_space_run(overlap, start, method):
    for opts in ({"steps": 7}, {"steps": 50, "target_ul": 3.0}):
        a = lu.solve(overlap, method, init=start, **opts)
        b = lu.solve(overlap, method, init=start, numeric=True, **opts)
        assert_allclose(a.w, b.w, rtol=1e-10, atol=1e-12)
        assert a.run.n_steps == b.run.n_steps
        assert a.info["stop_reason"] == b.info["stop_reason"]
    assert a.info["stop_reason"] == "target_reached"
    ul = a.run.history["unlearning_loss"]
    assert ul[-1] >= 3.0 and np.all(ul[:-1] < 3.0)


def test_ga_by_an_explicit_loop(overlap, start):
    d, w = overlap, start.copy()
    sol = lu.solve(d, "ga", init=start, steps=4, lr=0.01)
    for _ in range(4):
        w = w + 0.01 * 2 / d.n_f * d.X_f.T @ (d.X_f @ w - d.y_f)
    assert_allclose(sol.w, w, rtol=1e-12)


def test_ga_stops_before_overflow(overlap, start):
    for numeric in (False, True):
        sol = lu.solve(overlap, "ga", init=start, steps=10_000, numeric=numeric)
        assert sol.info["stop_reason"] == "overflow"
        assert np.all(np.isfinite(sol.w))
        assert lu.evaluate(overlap, sol.w)["unlearning_loss"] <= 1e100


@pytest.mark.parametrize("method", ["ga", "gdiff"])
@pytest.mark.parametrize("numeric", [False, True])
def test_a_huge_step_is_caught_without_floating_point_warnings(overlap, start,
                                                               method, numeric):
    # lr = 1e200 overflows in the first product; warnings are errors here, so
    # this also checks that no RuntimeWarning leaks.
    sol = lu.solve(overlap, method, init=start, lr=1e200, numeric=numeric)
    assert sol.info["stop_reason"] == "overflow" and sol.run.n_steps == 0
    assert_allclose(sol.w, start, atol=0)


def test_ngdiff_step_is_exact_line_search_and_never_nan(overlap, start):
    sol = lu.solve(overlap, "ngdiff", init=start, steps=20)
    rl = sol.run.history["remaining_loss"]
    assert np.all(np.isfinite(sol.w))
    assert np.all(np.diff(rl) <= 1e-12 * rl[0])  # exact minimisation of RL along -d
    assert np.all(sol.run.history["step_size"][1:] > 0)
    assert sol.run.history["unlearning_loss"][-1] > sol.run.history["unlearning_loss"][0]
    assert np.isnan(sol.run.lr)  # no single step size: they are in the history
    assert len(sol.run.history["step_size"]) == sol.run.n_steps + 1


# -------------------------------------------------------------------- ICU

def _first_reaching(residuals, threshold):
    """Epoch at which each sample's residual first reaches the threshold (-1: never)."""
    reached = residuals >= threshold
    return np.where(reached.any(axis=0), reached.argmax(axis=0), -1)


def test_icu_active_set_shrinks_and_empties(overlap, start):
    sol = lu.solve(overlap, "icu", init=start, forget_threshold=0.2, epochs=500)
    active = sol.run.history["active"]
    assert np.all(np.diff(active) <= 0)
    assert sol.info["stop_reason"] == "active_set_empty" and active[-1] == 0
    # A sample leaves at the first epoch its residual reaches the threshold
    # ("leave once"): read off the per-epoch residuals of the run itself ...
    res = sol.run.history["residuals"]
    assert res.shape == (sol.run.n_steps + 1, overlap.n_f)
    left_at = sol.info["left_at"]
    assert_allclose(left_at, _first_reaching(res, 0.2))
    assert np.all(left_at >= 0) and left_at.max() == sol.run.n_steps
    assert 0 < np.count_nonzero(left_at) < len(left_at)  # both kinds are exercised
    # ... and by re-running for fewer epochs.
    for i, epoch in enumerate(left_at):
        w = lu.solve(overlap, "icu", init=start, forget_threshold=0.2, epochs=int(epoch)).w
        assert (overlap.X_f[i] @ w - overlap.y_f[i]) ** 2 >= 0.2
        if epoch > 0:
            w = lu.solve(overlap, "icu", init=start, forget_threshold=0.2,
                         epochs=int(epoch) - 1).w
            assert (overlap.X_f[i] @ w - overlap.y_f[i]) ** 2 < 0.2
    nearest = np.argmin(((overlap.X_f[:, None] - overlap.X_r[None]) ** 2).sum(-1), 1)
    assert_allclose(sol.info["analog"], nearest)


def test_icu_reports_samples_relearned_after_they_left(overlap, start):
    # The analog and KL terms pull a sample that left back: the stop reason
    # says only that the active set is empty; the final state says the rest.
    sol = lu.solve(overlap, "icu", init=start, forget_threshold=0.3, epochs=500)
    final = (overlap.X_f @ sol.w - overlap.y_f) ** 2
    assert_allclose(sol.run.history["residuals"][-1], final, rtol=1e-12)
    assert np.array_equal(sol.info["forgotten_at_end"], final >= 0.3)
    left = sol.info["left_at"]
    relearned = (left > 0) & (final < 0.3)  # left_at 0: never active, not relearned
    assert sol.info["n_relearned"] == relearned.sum() > 0


def test_icu_on_disjoint_forgetting_blocks_keeps_every_sample_forgotten():
    # Known answer. Forgetting rows on disjoint feature blocks, analog and KL
    # weights 0: ascent on an active sample i only moves block i, its residual
    # grows as r_i <- r_i (1 + 2 lr ||x_i||^2 / |A|), and a sample that left is
    # never touched again, so it stays forgotten.
    rng = np.random.default_rng(5)
    X_f = np.zeros((3, 12))
    for i in range(3):
        X_f[i, 4 * i:4 * i + 4] = rng.standard_normal(4) * (i + 1)
    X_r = rng.standard_normal((2, 12))
    data = lu.Dataset(X_r, rng.standard_normal(2), X_f, rng.standard_normal(3))
    init = np.zeros(12)
    threshold = 4.0 * np.max(data.y_f ** 2)
    sol = lu.solve(data, "icu", init=init, analog_weight=0.0, kl_weight=0.0,
                   forget_threshold=threshold, epochs=200)
    # the recurrence, run by hand; lr = 1/L_f = n_f / (2 max ||x_i||^2)
    sq_norms = np.sum(X_f ** 2, axis=1)
    lr = 3 / (2 * sq_norms.max())
    r, active, history = -data.y_f.copy(), np.ones(3, bool), []
    while active.any():
        history.append(r ** 2)
        r = np.where(active, r * (1 + 2 * lr * sq_norms / active.sum()), r)
        active &= r ** 2 < threshold
    history.append(r ** 2)
    assert sol.info["stop_reason"] == "active_set_empty"
    assert_allclose(sol.run.history["residuals"], np.array(history), rtol=1e-12)
    assert np.all(sol.info["forgotten_at_end"]) and sol.info["n_relearned"] == 0
    assert_allclose(sol.info["left_at"], _first_reaching(np.array(history), threshold))


def test_icu_stops_before_overflow(overlap, start):
    # lr = 1e6 with a threshold no sample reaches: the ascent grows by a large
    # factor per epoch and would overflow; no RuntimeWarning may leak.
    sol = lu.solve(overlap, "icu", init=start, lr=1e6, forget_threshold=1e300,
                   epochs=1000)
    assert sol.info["stop_reason"] == "overflow" and 0 < sol.run.n_steps < 1000
    assert np.all(np.isfinite(sol.w))
    assert lu.evaluate(overlap, sol.w)["unlearning_loss"] <= 1e100


# ---------------------------------------------------------- multi-output labels

#: Methods whose multi-output problem decouples into one problem per column
#: (a mask, if any, depends on X only): a per-column loop is an independent
#: route. "start" stands for the fixture ``multi_start``.
_DECOUPLED = [
    ("deepclean", {}), ("deepclean", {"steps": 4}), ("ce_ft", {"alpha": 0.3}),
    ("ce_ft", {"alpha": 0.3, "steps": 4}), ("ice_ft", {"alpha": 0.3, "steps": 4}),
    ("kl_ft", {"alpha": 0.3, "steps": 4}), ("kl_ft", {"alpha": 0.7}),
    ("kl_ft", {"alpha": 0.5, "steps": 3, "reference": "start"}),
    ("ga", {"steps": 4, "init": "start"}), ("gdiff", {"steps": 4, "init": "start"}),
    ("minnorm_og", {}),
]


@pytest.mark.parametrize("method,options", _DECOUPLED)
def test_linear_methods_solve_each_output_column(multi, multi_start, method, options):
    opts = {k: (multi_start if v == "start" else v) for k, v in options.items()}
    W = lu.solve(multi, method, **opts).w
    assert W.shape == (multi.d, 3)
    for j in range(3):
        column = lu.Dataset(multi.X_r, multi.y_r[:, j], multi.X_f, multi.y_f[:, j])
        col_opts = {k: (v[:, j] if isinstance(v, np.ndarray) else v)
                    for k, v in opts.items()}
        # one factorisation shared by the outputs against one per column:
        # agreement to round-off
        assert_allclose(W[:, j], lu.solve(column, method, **col_opts).w,
                        rtol=1e-10, atol=1e-12)
    # and the gradient-descent route agrees on the joint problem
    assert_allclose(lu.solve(multi, method, numeric=True, **opts).w, W, atol=1e-8)


def test_salun_multi_output_by_flattened_weights(multi):
    # SalUn does not decouple: its mask ranks features by the norm of their
    # gradient row over the outputs. Independent route: vec(W) and Kronecker
    # matrices, the mask recomputed, the run as an explicit loop / pseudo-inverse.
    X_r, X_f, k, d = multi.X_r, multi.X_f, 3, multi.d
    W_o = lu.solve(multi, "pretrained").w
    for steps in (4, None):
        sol = lu.solve(multi, "salun", rng=2, ratio=0.4, retain_weight=0.7, steps=steps)
        Y_rand = sol.info["random_labels"]
        expected = (np.sqrt(np.mean(multi.y_f ** 2, axis=0))
                    * np.random.default_rng(2).standard_normal((4, 3)))
        assert_allclose(Y_rand, expected, rtol=1e-15)
        scores = np.linalg.norm(2 / 4 * X_f.T @ (X_f @ W_o - Y_rand), axis=1)
        top = np.argsort(-scores)[:int(np.ceil(0.4 * d))]
        assert set(np.flatnonzero(sol.mask)) == set(top.tolist())
        K = np.vstack([_kron(X_f, k) / np.sqrt(4), np.sqrt(0.7 / 7) * _kron(X_r, k)])
        t = np.concatenate([_vec(Y_rand) / np.sqrt(4), np.sqrt(0.7 / 7) * _vec(multi.y_r)])
        m = np.tile(sol.mask, k)
        v = _vec(W_o).copy()
        if steps:
            for _ in range(steps):
                v = v - sol.info["lr"] * m * (2 * K.T @ (K @ v - t))
        else:
            v[m] += np.linalg.pinv(K[:, m]) @ (t - K @ v)
        assert_allclose(sol.w, v.reshape((d, k), order="F"), rtol=1e-9, atol=1e-10)
        numeric = lu.solve(multi, "salun", rng=2, ratio=0.4, retain_weight=0.7,
                           steps=steps, numeric=True)
        assert_allclose(numeric.w, sol.w, atol=1e-8)


def test_ngdiff_multi_output_by_flattened_weights(multi, multi_start):
    # Normalisation and exact step use Frobenius norms and inner products: the
    # columns are coupled. Route: the iteration on vec(W).
    sol = lu.solve(multi, "ngdiff", init=multi_start, steps=6)
    assert sol.run.n_steps == 6
    K_r, K_f = _kron(multi.X_r, 3), _kron(multi.X_f, 3)
    y_r, y_f = _vec(multi.y_r), _vec(multi.y_f)
    v, etas = _vec(multi_start), [0.0]
    for _ in range(6):
        g_r = 2 / 7 * K_r.T @ (K_r @ v - y_r)
        g_f = 2 / 4 * K_f.T @ (K_f @ v - y_f)
        D = g_r / np.linalg.norm(g_r) - g_f / np.linalg.norm(g_f)
        eta = (g_r @ D) / (2 / 7 * np.sum((K_r @ D) ** 2))
        v, etas = v - eta * D, etas + [eta]
    assert_allclose(sol.w, v.reshape((multi.d, 3), order="F"), rtol=1e-10, atol=1e-12)
    assert_allclose(sol.run.history["step_size"], etas, rtol=1e-10)


def test_icu_multi_output_by_flattened_weights(multi, multi_start):
    # A sample's residual is its squared norm over the outputs: the columns are
    # coupled through the active set. Route: the epochs on vec(W).
    sol = lu.solve(multi, "icu", init=multi_start, epochs=40)
    k, n_f = 3, 4
    W_o = lu.solve(multi, "pretrained").w
    analog = np.argmin(((multi.X_f[:, None] - multi.X_r[None]) ** 2).sum(-1), 1)
    K_f, K_a = _kron(multi.X_f, k), _kron(multi.X_r[analog], k)
    y_f, y_a, p_o = _vec(multi.y_f), _vec(multi.y_r[analog]), K_a @ _vec(W_o)
    threshold = np.mean(np.sum(multi.y_f ** 2, axis=1))
    lr = sol.run.lr
    v = _vec(multi_start)

    def residuals(v):
        return np.sum(((K_f @ v - y_f) ** 2).reshape(k, n_f), axis=0)

    active, history = residuals(v) < threshold, []
    while True:
        history.append(residuals(v))
        if not active.any() or len(history) > 40:
            break
        rows = np.tile(active, k)
        g = 0.5 * 2 / n_f * K_a.T @ (K_a @ v - y_a) + 2 / n_f * K_a.T @ (K_a @ v - p_o)
        g = g - 2 / active.sum() * K_f[rows].T @ (K_f[rows] @ v - y_f[rows])
        v = v - lr * g
        active &= residuals(v) < threshold
    assert_allclose(sol.w, v.reshape((multi.d, k), order="F"), rtol=1e-10, atol=1e-12)
    assert_allclose(sol.run.history["residuals"], np.array(history), rtol=1e-10)
    assert_allclose(sol.info["forgotten_at_end"], history[-1] >= threshold)
    assert sol.info["n_relearned"] > 0  # this run exercises the re-learning report


@pytest.mark.parametrize("method", UNLEARNING_METHODS)
def test_one_output_column_is_the_single_output_problem(overlap, start, method):
    as_column = lu.Dataset(overlap.X_r, overlap.y_r[:, None], overlap.X_f,
                           overlap.y_f[:, None])
    opts = {"init": start, "steps": 5} if method in ("ga", "gdiff", "ngdiff") else {}
    opts = {"init": start, "epochs": 20} if method == "icu" else opts
    opts = {"rng": 4} if method == "salun" else opts
    col_opts = {k: (v[:, None] if k == "init" else v) for k, v in opts.items()}
    a = lu.solve(as_column, method, **col_opts)
    b = lu.solve(overlap, method, **opts)
    assert a.w.shape == (overlap.d, 1)
    # the same arithmetic on a (d, 1) array: agreement to round-off
    assert_allclose(a.w[:, 0], b.w, rtol=1e-10, atol=1e-12)
    assert a.info["stop_reason"] == b.info["stop_reason"]


# ----------------------------------------------------------------- validation

@pytest.mark.parametrize("method,options,error,match", [
    ("ce_ft", {"alpha": 1.5}, ValueError, "alpha must be <= 1"),
    ("ce_ft", {"alpha": -0.1}, ValueError, "alpha must be >= 0"),
    ("ice_ft", {"alpha": 0.0}, ValueError, "alpha must be > 0"),
    ("kl_ft", {"alpha": "big"}, TypeError, "alpha must be a real number"),
    ("ce_ft", {"steps": -1}, ValueError, "steps must be >= 0"),
    ("ce_ft", {"steps": 2.5}, TypeError, "steps must be an integer"),
    ("ce_ft", {"lr": 0.0}, ValueError, "lr must be > 0"),
    ("ce_ft", {"lr": 10.0, "steps": 2}, ValueError, "lr=10 makes gradient descent diverge"),
    ("ce_ft", {"lr": 1000.0}, ValueError, "lr=1000 makes gradient descent diverge"),
    ("deepclean", {"lr": 1000.0}, ValueError, "lr=1000 makes gradient descent diverge"),
    ("salun", {"lr": 1000.0, "rng": 0}, ValueError, "lr=1000 makes gradient descent"),
    ("kl_ft", {"reference": "golden"}, ValueError, "reference must be one of 'zero'"),
    ("kl_ft", {"reference": np.ones(3)}, ValueError, r"reference must have shape \(28,\)"),
    ("kl_ft", {"reference": np.ones((28, 2))}, ValueError,
     r"reference must have shape \(28,\)"),
    ("ce_ft", {"reference": "zero"}, ValueError, "unknown option.*reference"),
    ("salun", {"saliency": "magic"}, ValueError, "saliency must be one of"),
    ("salun", {"ratio": 0.0}, ValueError, "ratio must be > 0"),
    ("salun", {"ratio": 1.5}, ValueError, "ratio must be <= 1"),
    ("salun", {"retain_weight": -1.0}, ValueError, "retain_weight must be >= 0"),
    ("salun", {"retain_weight": 1e308}, ValueError, "retain_weight must be <= 1000000000000000"),
    ("salun", {"rng": "seed"}, TypeError, "rng must be None, a non-negative int"),
    ("salun", {"rng": -1}, ValueError, "rng must be None, a non-negative int"),
    ("deepclean", {"threshold": 1.0, "ratio": 0.5}, ValueError, "either threshold or ratio"),
    ("deepclean", {"eps": 0.0}, ValueError, "eps must be > 0"),
    ("ga", {"steps": None}, TypeError, "steps must be an integer"),
    ("ga", {"target_ul": 0.0}, ValueError, "target_ul must be > 0"),
    ("ga", {"on_vanishing": "ignore"}, ValueError, "on_vanishing must be one of"),
    ("ga", {"init": np.ones(3)}, ValueError, r"init must have shape \(28,\)"),
    ("ngdiff", {"lr": 0.1}, ValueError, "unknown option.*lr"),
    ("icu", {"epochs": -2}, ValueError, "epochs must be >= 0"),
    ("icu", {"kl_weight": -1.0}, ValueError, "kl_weight must be >= 0"),
    ("icu", {"forget_weight": 1e300}, ValueError, "forget_weight must be <="),
    ("icu", {"forget_weight": 0.0, "analog_weight": 0.0, "kl_weight": 0},
     ValueError, "are all zero: ICU has no loss"),
    ("icu", {"forget_threshold": 0.0}, ValueError, "forget_threshold must be > 0"),
    ("minnorm_og", {"steps": 3}, ValueError, "unknown option.*steps"),
    ("minnorm_og", {"init": np.ones((28, 2))}, ValueError, r"init must have shape \(28,\)"),
])
def test_hyperparameter_validation(overlap, method, options, error, match):
    with pytest.raises(error, match=match):
        lu.solve(overlap, method, **options)


@pytest.mark.parametrize("method", ["ce_ft", "deepclean", "salun"])
@pytest.mark.parametrize("steps", [None, 3])
def test_both_routes_validate_the_step_size(overlap, method, steps):
    # At steps=None the limit does not depend on lr, but a step size that
    # diverges is rejected there too, as the gradient-descent route must.
    for numeric in (False, True):
        with pytest.raises(ValueError, match="lr=1000 makes gradient descent diverge"):
            lu.solve(overlap, method, numeric=numeric, lr=1000.0, steps=steps,
                     **({"rng": 0} if method == "salun" else {}))


def test_multi_output_weights_have_the_label_shape(multi):
    with pytest.raises(ValueError, match=r"init must have shape \(24, 3\)"):
        lu.solve(multi, "ga", init=np.zeros(24))
    with pytest.raises(ValueError, match=r"reference must have shape \(24, 3\)"):
        lu.solve(multi, "kl_ft", reference=np.zeros(24))


def test_route_deviation_of_registered_methods_keeps_their_options(overlap):
    # lr, steps and rng belong to both routes of these methods: the analytic
    # side must not drop them (it used to, comparing different problems)
    assert lu.route_deviation(overlap, "ce_ft", steps=5, lr=0.01) < 1e-9
    assert lu.route_deviation(overlap, "salun", rng=0) < 1e-8


# ------------------------------------------------- a given starting model (init)

@pytest.mark.parametrize("method,options", [("salun", {"rng": 0}), ("deepclean", {}),
                                            ("ce_ft", {}), ("ice_ft", {}), ("kl_ft", {}),
                                            ("ce_ft", {"steps": 3})])
def test_init_is_the_starting_model(overlap, start, method, options):
    # init = the pretrained model changes nothing; another init changes the
    # result (one off the row space of [X_r; X_f]: from inside it, the
    # converged regularisers all land on the same minimum-norm point)
    w_o = lu.solve(overlap, "pretrained").w
    plain = lu.solve(overlap, method, **options).w
    assert_allclose(lu.solve(overlap, method, init=w_o, **options).w, plain, atol=ATOL)
    v = np.random.default_rng(0).standard_normal(overlap.d)
    off = start + v - np.linalg.pinv(overlap.X) @ (overlap.X @ v)
    assert not np.allclose(lu.solve(overlap, method, init=off, **options).w, plain)


def test_ce_ft_from_a_given_model_is_the_closest_point_to_it(overlap, start):
    # the limit of gradient descent from init on the stacked problem (Z, t):
    # init + Z^+ (t - Z init), by numpy's pseudo-inverse
    Z = np.vstack([overlap.X_r, overlap.X_f])
    t = np.concatenate([overlap.y_r, -overlap.y_f])
    expected = start + np.linalg.pinv(Z) @ (t - Z @ start)
    assert_allclose(lu.solve(overlap, "ce_ft", alpha=0.5, init=start).w, expected,
                    atol=ATOL)


def test_an_ill_conditioned_masked_system_warns_with_the_methods_name():
    # SalUn's default mask (half the features) on ReLU features of the digits,
    # twice as many as rows: a square masked system, condition number 3.8e4
    # (the old defaults, 1000 x 1000, read a remaining test loss of 99.5
    # without a word)
    from linunlearn.realdata import digits_forgetting
    data = digits_forgetting(3, n_train=100, n_features=200, rng=0).dataset()
    with pytest.warns(lu.IllConditionedWarning,
                      match=r"^salun: the least-squares system it solves \(100 rows x "
                            r"100 weights the mask updates\) is ill-conditioned "
                            r"\(condition number \S+ > 1e\+04\).*further from the "
                            r"number of rows"):
        lu.solve(data, "salun", rng=0)
    # away from square (condition number 4e2): no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lu.solve(data, "salun", rng=0, ratio=0.75)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4))
    # the core masked models name themselves too
    X_r = np.vstack([X[:3, :4], X[:1, :4]])  # a duplicated row: rank deficient
    data = lu.Dataset(np.hstack([X_r, np.zeros((4, 2))]), np.ones(4),
                      rng.standard_normal((2, 6)), np.ones(2))
    with pytest.warns(lu.IllConditionedWarning) as caught:  # [X_r; X_f], X_r, fbm's
        lu.solve(data, "fbm", semantics="freeze")
    assert any(str(w.message).startswith("fbm: X_r restricted to the weights the mask "
                                         "updates is rank deficient") for w in caught)


def test_the_digits_defaults_keep_saluns_system_away_from_square():
    import inspect
    from linunlearn.realdata import digits_forgetting
    defaults = inspect.signature(digits_forgetting).parameters
    n_train, d = defaults["n_train"].default, defaults["n_features"].default
    # SalUn's default mask updates half the features for all n_train rows
    assert abs(d / 2 - n_train) >= 0.25 * n_train, (n_train, d)
