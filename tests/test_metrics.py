"""Losses and unlearning metrics (docs/theory.md, section 3)."""

from contextlib import nullcontext

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.metrics import METRICS, average_gap, evaluate, mia_efficacy


@pytest.fixture(scope="module")
def scenario():
    scale = np.linspace(0.5, 2.0, 9)
    return lu.Scenario.overlapping(5, 6, 2, 3, 4, sigma=0.3, scale=scale,
                                   teacher="separate")


def test_exact_population_losses_against_a_large_fresh_sample(scenario):
    data = scenario.sample(rng=0)
    rng = np.random.default_rng(1)
    for method in ("pretrained", "golden", "rbm"):
        w = lu.solve(data, method).w
        m = evaluate(data, w)
        for key, support, w_star in (
                ("test_remaining_loss", scenario.support_r, scenario.w_r_star),
                ("test_forgetting_loss", scenario.support_f, scenario.w_f_star)):
            # the closed form, by hand
            exact = np.sum((scenario.scale * (w - w_star))[support] ** 2) + 0.3 ** 2
            assert_allclose(m[key], exact, rtol=1e-12)
            # and an empirical loss on 200000 fresh draws of that distribution:
            # the squared errors are i.i.d., so their mean is within a few
            # standard errors of the population value (5 SE: p < 1e-6)
            n = 200_000
            X = np.zeros((n, scenario.d))
            X[:, support] = rng.standard_normal((n, support.sum())) * scenario.scale[support]
            y = X @ w_star + 0.3 * rng.standard_normal(n)
            sq = (X @ w - y) ** 2
            assert abs(sq.mean() - m[key]) <= 5 * sq.std() / np.sqrt(n), (method, key)
        n_r, n_f = data.n_r, data.n_f
        assert_allclose(m["test_loss"], (n_r * m["test_remaining_loss"]
                                         + n_f * m["test_forgetting_loss"]) / (n_r + n_f),
                        rtol=1e-14)


def test_empirical_losses(scenario):
    data = scenario.sample(rng=2)
    w = np.random.default_rng(3).standard_normal(data.d)
    m = evaluate(data, w)
    assert_allclose(m["remaining_loss"], np.mean((data.X_r @ w - data.y_r) ** 2), rtol=1e-13)
    assert_allclose(m["unlearning_loss"], np.mean((data.X_f @ w - data.y_f) ** 2), rtol=1e-13)
    assert list(m) == list(METRICS)
    assert all(isinstance(v, float) for v in m.values())
    # a model that interpolates D_r has zero remaining loss (to round-off)
    ft = evaluate(data, lu.solve(data, "finetune").w)
    assert_allclose(ft["remaining_loss"], 0.0, atol=1e-24)


def test_user_data_without_test_sets_has_no_test_keys():
    rng = np.random.default_rng(0)
    X_r, X_f = rng.standard_normal((3, 7)), rng.standard_normal((2, 7))
    y_r, y_f = rng.standard_normal(3), rng.standard_normal(2)
    data = lu.Dataset(X_r, y_r, X_f, y_f)
    m = evaluate(data, np.zeros(7))
    assert set(m) == {"remaining_loss", "unlearning_loss"}
    assert_allclose(m["remaining_loss"], np.mean(y_r ** 2), rtol=1e-14)
    # teachers alone (no scale, no sigma) do not make population losses exact
    assert set(evaluate(lu.Dataset(X_r, y_r, X_f, y_f, w_r_star=np.ones(7)),
                        np.zeros(7))) == {"remaining_loss", "unlearning_loss"}
    # a held-out remaining set alone gives the attack but no test losses
    Xt, yt = rng.standard_normal((5, 7)), rng.standard_normal(5)
    only_r = lu.Dataset(X_r, y_r, X_f, y_f, X_test_r=Xt, y_test_r=yt)
    assert set(evaluate(only_r, np.zeros(7))) == {"remaining_loss", "unlearning_loss",
                                                  "mia_efficacy"}
    # both held-out sets: empirical test losses
    Xtf, ytf = rng.standard_normal((4, 7)), rng.standard_normal(4)
    both = lu.Dataset(X_r, y_r, X_f, y_f, X_test_r=Xt, y_test_r=yt,
                      X_test_f=Xtf, y_test_f=ytf)
    w = rng.standard_normal(7)
    m = evaluate(both, w)
    assert set(m) == set(METRICS)
    assert_allclose(m["test_remaining_loss"], np.mean((Xt @ w - yt) ** 2), rtol=1e-13)
    assert_allclose(m["test_forgetting_loss"], np.mean((Xtf @ w - ytf) ** 2), rtol=1e-13)
    assert_allclose(m["test_loss"], (3 * m["test_remaining_loss"]
                                     + 2 * m["test_forgetting_loss"]) / 5, rtol=1e-14)


def test_evaluate_bad_weights():
    data = lu.Scenario.distinct(3, 2, 2, 1).sample(rng=0)
    with pytest.raises(ValueError, match=r"w must have shape \(5,\), got \(4,\)"):
        evaluate(data, np.zeros(4))
    with pytest.raises(ValueError, match=r"w must have shape \(5,\), got \(5, 1\)"):
        evaluate(data, np.zeros((5, 1)))
    with pytest.raises(ValueError, match="w must contain only finite values"):
        evaluate(data, np.full(5, np.nan))
    with pytest.raises(TypeError, match="w must be a numeric array"):
        evaluate(data, ["a"] * 5)
    with pytest.raises(TypeError, match="w must be real, got complex values"):
        evaluate(data, np.zeros(5) + 1j)
    with pytest.raises(TypeError, match="data must be a linunlearn.Dataset or DatasetBatch, got dict"):
        evaluate({"X_r": data.X_r}, np.zeros(5))


@pytest.mark.parametrize("members,nonmembers,targets,expected", [
    # separable: threshold at the midpoint 0.5; target 3 is called non-member
    ([0.0, 0.0, 0.0], [1.0, 2.0], [0.0, 3.0], 0.5),
    # threshold 3.5 between the largest member and the smallest non-member
    ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [3.4, 3.6, 10.0], 2 / 3),
    # interleaved: the first best split (balanced accuracy 0.75) is after 1
    ([1.0, 5.0], [2.0, 6.0], [1.4, 1.6], 0.5),
    # a forgotten model: all forgetting losses look like non-members
    ([0.0, 0.1], [1.0, 1.2], [2.0, 3.0, 4.0], 1.0),
    # a model that did not forget: forgetting losses look like members
    ([0.0, 0.1], [1.0, 1.2], [0.0, 0.05], 0.0),
])
def test_mia_efficacy_hand_made(members, nonmembers, targets, expected):
    got = mia_efficacy(np.array(members), np.array(nonmembers), np.array(targets))
    assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize("members,nonmembers,targets,expected", [
    # regression: a stable sort put the member first among equal losses, so
    # the attack "separated" it from three equal non-members at tau = 0
    ([0.0], [0.0, 0.0, 0.0, 5.0], [1.0], 0.0),
    # every loss equal: no threshold beats chance, so the attack is a coin flip
    # (0.5; it used to report 1.0, "everything forgotten")
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0], 0.5),
    # members above non-members: the attack has no advantage either
    ([2.0, 3.0], [0.0, 1.0], [0.0, 2.5], 0.5),
])
def test_mia_efficacy_never_splits_equal_losses(members, nonmembers, targets, expected):
    got = mia_efficacy(np.array(members), np.array(nonmembers), np.array(targets))
    assert_allclose(got, expected, rtol=1e-15)


def test_mia_efficacy_ties_of_balanced_accuracy_are_exact():
    """Regression: equal balanced accuracies (1/3 + 2/3 against 1/2 + 1/2) were
    told apart by round-off; the first best split is taken now, as documented."""
    members, nonmembers = np.array([1.0, 4.0, 5.0]), np.array([2.0, 3.0, 6.0])
    # splits after 1 (TPR 1/3, TNR 1) and after 5 (TPR 1, TNR 1/3) tie at 4/3;
    # in floating point the second came out larger
    got = mia_efficacy(members, nonmembers, np.array([1.2, 1.8, 5.4]))
    assert_allclose(got, 2 / 3, rtol=1e-15)  # tau = 1.5: only 1.2 is a member


def test_mia_efficacy_does_not_depend_on_round_off():
    """Regression: n_r > d_r without noise, the models fit every sample and all
    losses are round-off (below 6e-29 closed form, 3e-20 by gradient descent).
    The attack split on it: here 0.0 (closed form) against 0.4 (gradient
    descent) for the pretrained model, 0.8 against 1.0 for fine-tuning.
    Round-off residuals (MIA_RTOL) count as zero and ties are not split, so
    the attack has no advantage and reports chance, 0.5, on both routes (it
    used to report 1.0 there, which flattered the models that forgot
    nothing: fine-tuning and the pretrained model fit D_f exactly)."""
    data = lu.Scenario.overlapping(10, 10, 5, 20, 5, n_test=30).sample(rng=0)
    for numeric in (False, True):
        with pytest.warns(lu.IllConditionedWarning) if not numeric else nullcontext():
            sols = lu.solve_all(data, ("pretrained", "finetune", "golden"), numeric=numeric)
        for method, sol in sols.items():
            assert evaluate(data, sol.w)["mia_efficacy"] == 0.5, (method, numeric)
    assert lu.metrics.MIA_CHANCE == 0.5
    assert lu.metrics.MIA_RTOL == np.sqrt(np.finfo(float).eps)


def test_mia_efficacy_is_batched():
    rng = np.random.default_rng(0)
    mem, non, tgt = rng.random((4, 5)), rng.random((4, 6)) + 0.3, rng.random((4, 7))
    batched = mia_efficacy(mem, non, tgt)
    assert batched.shape == (4,)
    for b in range(4):
        assert batched[b] == mia_efficacy(mem[b], non[b], tgt[b])


def test_mia_efficacy_in_evaluate_separates_finetune_from_golden():
    # distinct features, so golden cannot predict the forgetting set at all
    data = lu.Scenario.distinct(30, 30, 10, 10, n_test=200).sample(rng=0)
    ft = evaluate(data, lu.solve(data, "finetune").w)
    golden = evaluate(data, lu.solve(data, "golden").w)
    # fine-tuning interpolates D_f (zero loss): every target is called a member
    assert ft["mia_efficacy"] == 0.0
    assert golden["mia_efficacy"] > 0.5


def test_average_gap():
    metrics = {"a": 1.0, "b": 5.0, "c": 2.0}
    reference = {"a": 2.0, "b": 3.0, "d": 100.0}
    assert average_gap(metrics, reference) == pytest.approx(1.5, rel=1e-15)
    assert average_gap(reference, reference) == 0.0
    arrays = average_gap({"a": np.array([1.0, 2.0])}, {"a": np.array([0.0, 4.0])})
    assert_allclose(arrays, [1.0, 2.0], rtol=1e-15)
    with pytest.raises(ValueError, match="metrics and reference share no metric"):
        average_gap({"a": 1.0}, {"b": 1.0})


def test_golden_has_zero_gap_and_finetune_does_not_forget():
    data = lu.Scenario.overlapping(20, 16, 6, 8, 6).sample(rng=4)
    golden = evaluate(data, lu.solve(data, "golden").w)
    ft = evaluate(data, lu.solve(data, "finetune").w)
    assert average_gap(golden, golden) == 0.0
    assert_allclose(ft["unlearning_loss"], 0.0, atol=1e-24)  # C2: UL(w_ft) = 0
    assert golden["unlearning_loss"] > 1e-2
    assert average_gap(ft, golden) > 0


def test_only_the_metrics_asked_for_are_computed(scenario, monkeypatch):
    """The same numbers as the full evaluation; held-out sets drawn only for the attack."""
    batch = scenario.sample_batch(np.random.SeedSequence(5).spawn(6))
    drawn = []
    held_out = lu.Scenario._held_out_stack
    monkeypatch.setattr(lu.Scenario, "_held_out_stack", lambda self, gens, part=None: (
        drawn.append(part) or held_out(self, gens, part)))
    w = lu.solutions.closed_form(batch, "golden")
    some = evaluate(batch, w, ["test_remaining_loss", "unlearning_loss"])
    assert list(some) == ["unlearning_loss", "test_remaining_loss"] and drawn == []
    full = evaluate(batch, w)
    assert drawn == ["r"] and list(full) == list(METRICS)  # the attack's non-members
    for key, value in some.items():
        np.testing.assert_array_equal(value, full[key])
    with pytest.raises(ValueError, match="metrics must be a sequence of names from "
                                         "remaining_loss, .* got 'test_loss'"):
        evaluate(batch, w, "test_loss")
    with pytest.raises(ValueError, match=r"got \('accuracy',\)"):
        evaluate(batch.__getitem__(0), w[0], ("accuracy",))
