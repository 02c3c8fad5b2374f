"""The unlearning methods of issue 5: known answers, routes against each other, errors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.methods import UNLEARNING_METHODS, VANISHING_RTOL

ATOL = 1e-9


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


def test_every_method_is_registered():
    assert set(UNLEARNING_METHODS) <= set(lu.available_methods())


@pytest.mark.parametrize("method", UNLEARNING_METHODS)
def test_every_method_returns_finite_weights_and_a_stop_reason(overlap, method):
    for numeric in (False, True):
        sol = lu.solve(overlap, method, numeric=numeric)
        assert np.all(np.isfinite(sol.w))
        assert sol.info["stop_reason"] in lu.methods.STOP_REASONS


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


def test_minnorm_og_is_golden_and_projection(overlap):
    golden = lu.solve(overlap, "golden").w
    assert_allclose(lu.solve(overlap, "minnorm_og").w, golden, atol=ATOL)
    assert_allclose(lu.solve(overlap, "minnorm_og", numeric=True).w, golden, atol=1e-8)
    assert lu.solve(overlap, "minnorm_og").info["uses_forget_data"] is False


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

@pytest.mark.parametrize("method", ["ga", "gdiff", "ngdiff", "icu"])
@pytest.mark.parametrize("numeric", [False, True])
def test_gradient_methods_report_vanishing_gradients_at_the_pretrained_model(
        overlap, method, numeric):
    sol = lu.solve(overlap, method, numeric=numeric)
    w_o = lu.solve(overlap, "pretrained", numeric=numeric).w
    assert sol.info["stop_reason"] == "vanishing_gradient"
    assert sol.run.stop_reason == "vanishing_gradient" and sol.run.n_steps == 0
    assert "init=" in sol.info["note"]
    assert_allclose(sol.w, w_o, atol=0)
    with pytest.raises(ValueError, match=f"method '{method}': the gradient of .* "
                                         f"vanishes at the starting model"):
        lu.solve(overlap, method, numeric=numeric, on_vanishing="raise")


def test_salun_original_saliency_vanishes_at_the_pretrained_model(overlap):
    with pytest.raises(ValueError, match="saliency='forget_gradient'.*zero here"):
        lu.solve(overlap, "salun", saliency="forget_gradient")
    g = 2 / overlap.n_f * overlap.X_f.T @ (overlap.X_f @ lu.solve(overlap, "pretrained").w
                                            - overlap.y_f)
    assert np.linalg.norm(g) < VANISHING_RTOL * np.linalg.norm(overlap.X_f.T @ overlap.y_f)


def test_salun_surrogate_saliencies(overlap):
    for saliency in ("random_label", "fisher"):
        sol = lu.solve(overlap, "salun", saliency=saliency, rng=0)
        assert sol.info["saliency"] == saliency and sol.semantics == "freeze"
        assert not np.any(sol.mask & ~overlap.support_f)  # scores vanish off S_f
        w_o = lu.solve(overlap, "pretrained").w
        assert_allclose(sol.w[~sol.mask], w_o[~sol.mask], atol=0)
    a = lu.solve(overlap, "salun", rng=5).w
    assert_allclose(lu.solve(overlap, "salun", rng=5).w, a, atol=0)


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


def test_ngdiff_step_is_exact_line_search_and_never_nan(overlap, start):
    sol = lu.solve(overlap, "ngdiff", init=start, steps=20)
    rl = sol.run.history["remaining_loss"]
    assert np.all(np.isfinite(sol.w))
    assert np.all(np.diff(rl) <= 1e-12 * rl[0])  # exact minimisation of RL along -d
    assert np.all(sol.run.history["step_size"][1:] > 0)
    assert sol.run.history["unlearning_loss"][-1] > sol.run.history["unlearning_loss"][0]


def test_icu_active_set_shrinks_and_empties(overlap, start):
    sol = lu.solve(overlap, "icu", init=start, forget_threshold=0.2, epochs=500)
    active = sol.run.history["active"]
    assert np.all(np.diff(active) <= 0)
    assert sol.info["stop_reason"] == "all_forgotten" and active[-1] == 0
    # Each sample left the active set at an epoch where its residual had
    # reached the threshold (it may be re-learned afterwards: nothing pushes it).
    left_at = sol.info["left_at"]
    assert np.all(left_at >= 0) and left_at.max() == sol.run.n_steps
    assert 0 < np.count_nonzero(left_at) < len(left_at)  # both kinds are exercised
    for i, epoch in enumerate(left_at):
        w = lu.solve(overlap, "icu", init=start, forget_threshold=0.2, epochs=int(epoch)).w
        assert (overlap.X_f[i] @ w - overlap.y_f[i]) ** 2 >= 0.2
        if epoch > 0:
            w = lu.solve(overlap, "icu", init=start, forget_threshold=0.2,
                         epochs=int(epoch) - 1).w
            assert (overlap.X_f[i] @ w - overlap.y_f[i]) ** 2 < 0.2
    nearest = np.argmin(((overlap.X_f[:, None] - overlap.X_r[None]) ** 2).sum(-1), 1)
    assert_allclose(sol.info["analog"], nearest)


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
    ("kl_ft", {"reference": "golden"}, ValueError, "reference must be one of 'zero'"),
    ("kl_ft", {"reference": np.ones(3)}, ValueError, r"reference must have shape \(28,\)"),
    ("ce_ft", {"reference": "zero"}, ValueError, "unknown option.*reference"),
    ("salun", {"saliency": "magic"}, ValueError, "saliency must be one of"),
    ("salun", {"ratio": 0.0}, ValueError, "ratio must be > 0"),
    ("salun", {"retain_weight": -1.0}, ValueError, "retain_weight must be >= 0"),
    ("deepclean", {"threshold": 1.0, "ratio": 0.5}, ValueError, "either threshold or ratio"),
    ("deepclean", {"eps": 0.0}, ValueError, "eps must be > 0"),
    ("ga", {"steps": None}, TypeError, "steps must be an integer"),
    ("ga", {"target_ul": 0.0}, ValueError, "target_ul must be > 0"),
    ("ga", {"on_vanishing": "ignore"}, ValueError, "on_vanishing must be one of"),
    ("ga", {"init": np.ones(3)}, ValueError, r"init must have shape \(28,\)"),
    ("ngdiff", {"lr": 0.1}, ValueError, "unknown option.*lr"),
    ("icu", {"epochs": -2}, ValueError, "epochs must be >= 0"),
    ("icu", {"kl_weight": -1.0}, ValueError, "kl_weight must be >= 0"),
    ("icu", {"forget_threshold": 0.0}, ValueError, "forget_threshold must be > 0"),
    ("minnorm_og", {"steps": 3}, ValueError, "unknown option.*steps"),
])
def test_hyperparameter_validation(overlap, method, options, error, match):
    with pytest.raises(error, match=match):
        lu.solve(overlap, method, **options)


def test_multi_output_labels_are_refused():
    rng = np.random.default_rng(0)
    data = lu.Dataset(rng.standard_normal((3, 8)), rng.standard_normal((3, 2)),
                      rng.standard_normal((2, 8)), rng.standard_normal((2, 2)))
    with pytest.raises(ValueError, match="'ce_ft' supports 1-D labels only"):
        lu.solve(data, "ce_ft")
