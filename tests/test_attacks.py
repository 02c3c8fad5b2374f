"""Membership attacks on the forgetting set: AUC, TPR at a false-positive rate, LiRA, gaps."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import attacks
from linunlearn.montecarlo import confidence_interval
from linunlearn.regimes import DEFAULT_REGIMES


def _tpr_brute_force(members, nonmembers, fpr):
    """The best randomised threshold test with FPR <= fpr, by enumeration.

    Call "member" every score above ``t`` and a share ``p`` of the scores
    equal to ``t``; for each candidate ``t`` take the largest feasible ``p``.
    """
    members, nonmembers = np.asarray(members), np.asarray(nonmembers)
    best = 0.0
    for t in np.concatenate([members, nonmembers, [np.inf]]):
        above_u, at_u = np.sum(nonmembers > t), np.sum(nonmembers == t)
        budget = fpr * len(nonmembers) - above_u
        if budget < -1e-12:
            continue
        p = 1.0 if at_u == 0 else min(1.0, budget / at_u)
        tpr = (np.sum(members > t) + p * np.sum(members == t)) / len(members)
        best = max(best, tpr)
    return best


def test_auc_is_the_mann_whitney_statistic():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = np.round(rng.standard_normal(rng.integers(1, 12)), 1)   # ties included
        u = np.round(rng.standard_normal(rng.integers(1, 12)) - 0.3, 1)
        labels = np.r_[np.ones(len(m)), np.zeros(len(u))]
        expected = roc_auc_score(labels, np.r_[m, u]) if len(set(labels)) == 2 else 0.5
        assert_allclose(attacks.roc_auc(m, u), expected, rtol=1e-14)


@pytest.mark.parametrize("members,nonmembers,fpr,expected", [
    ([3.0, 2.0], [1.0, 0.0], 0.0, 1.0),          # separable
    ([0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.25, 0.25),  # chance: every score equal
    ([5.0, 1.0], [2.0, 0.0], 0.0, 0.5),          # only the top member at no FPR
    ([1.0, 1.0], [1.0, 0.0], 0.25, 0.5),          # half a tied block
    ([np.inf, 0.0], [-np.inf, 1.0], 0.01, 0.5),  # infinite scores are scores
])
def test_tpr_at_fpr_hand_made(members, nonmembers, fpr, expected):
    assert_allclose(attacks.tpr_at_fpr(members, nonmembers, fpr), expected, rtol=1e-14)


def test_tpr_at_fpr_is_the_best_randomised_threshold_test():
    rng = np.random.default_rng(1)
    for _ in range(200):
        m = np.round(rng.standard_normal(rng.integers(1, 15)) + 0.5, 1)
        u = np.round(rng.standard_normal(rng.integers(1, 30)), 1)
        fpr = rng.choice([0.0, 0.01, 0.1, 0.37, 1.0])
        assert_allclose(attacks.tpr_at_fpr(m, u, fpr), _tpr_brute_force(m, u, fpr),
                        rtol=1e-12, atol=1e-15)


def test_score_validation():
    with pytest.raises(ValueError, match="members must be a non-empty vector"):
        attacks.roc_auc([], [1.0])
    with pytest.raises(ValueError, match="nonmembers must not contain NaN"):
        attacks.tpr_at_fpr([1.0], [np.nan])
    with pytest.raises(ValueError, match="fpr must be <= 1"):
        attacks.tpr_at_fpr([1.0], [0.0], 2.0)


def test_models_that_fit_D_f_exactly_are_caught_by_the_loss_attack():
    # interpolating regime: w_o (and fine-tuning) have zero loss on D_f, every
    # held-out row has a positive loss: AUC and TPR exactly 1
    for name in ("distinct", "overlap", "full-overlap"):
        data = DEFAULT_REGIMES[name].scenario.sample(rng=2)
        for method in ("pretrained", "finetune"):
            out = attacks.attack_metrics(data, lu.solve(data, method).w)
            assert out["mia_auc"] == 1.0 and out["mia_tpr"] == 1.0, (name, method)


def _attack_draws(name, methods, n=200, seed=0):
    scenario = DEFAULT_REGIMES[name].scenario
    out = {m: [] for m in methods}
    for child in np.random.SeedSequence(seed).spawn(n):
        data_seed, attack_seed = child.spawn(2)
        data = scenario.sample(rng=np.random.default_rng(data_seed))
        shadows = attacks.shadow_models(data, rng=np.random.default_rng(attack_seed))
        for m in methods:
            metrics = attacks.attack_metrics(data, lu.solve(data, m).w, shadows)
            out[m].append([metrics[k] for k in attacks.ATTACK_METRICS])
    return {m: np.array(v) for m, v in out.items()}


def test_golden_is_at_chance_on_average():
    # Golden never saw D_f: members and held-out rows are exchangeable (and
    # their scores distinct almost surely), so every attack's expected AUC is
    # exactly 1/2, and its TPR at FPR a, the share of members above the
    # (k+1)-th largest of n_u non-member scores (k = floor(a n_u)), has
    # expectation (k + 1) / (n_u + 1): 2/101 for a = 1%, n_u = 100. 200
    # draws; the 99.9% interval must contain these values.
    draws = _attack_draws("overlap", ["golden"])["golden"]
    tpr = 2 / 101
    expected = {"mia_auc": 0.5, "mia_tpr": tpr, "lira_auc": 0.5, "lira_tpr": tpr}
    ci = confidence_interval(draws, confidence=0.999)
    for j, key in enumerate(attacks.ATTACK_METRICS):
        assert ci.low[j] <= expected[key] <= ci.high[j], (key, ci.estimate[j])


def test_lira_is_stronger_than_the_loss_attack_on_rbm():
    # RBM forgets only the forgetting-only block; LiRA, which judges each
    # target against its own out-of-training residuals, separates D_f from
    # held-out rows better (paired differences, 99.9% interval above 0)
    draws = _attack_draws("overlap", ["rbm"], n=300, seed=1)["rbm"]
    ci = confidence_interval(draws[:, 2] - draws[:, 0], confidence=0.999)
    assert ci.low > 0, ci
    # and it is not chance: the loss attack's AUC is above 1/2 too
    assert confidence_interval(draws[:, 0], confidence=0.999).low > 0.5


def test_gaps_to_golden():
    data = DEFAULT_REGIMES["overlap"].scenario.sample(rng=4)
    shadows = attacks.shadow_models(data, rng=0)
    golden = {**lu.evaluate(data, lu.solve(data, "golden").w),
              **attacks.attack_metrics(data, lu.solve(data, "golden").w, shadows)}
    ft = {**lu.evaluate(data, lu.solve(data, "finetune").w),
          **attacks.attack_metrics(data, lu.solve(data, "finetune").w, shadows)}
    gaps = attacks.attack_gaps(ft, golden)
    assert set(gaps) == set(attacks.GAP_METRICS)
    assert gaps["mia_auc_gap"] == abs(1.0 - golden["mia_auc"])
    assert all(v == 0.0 for v in attacks.attack_gaps(golden, golden).values())


def test_shadow_models_never_train_on_a_target_and_are_reproducible():
    data = lu.Scenario.overlapping(20, 14, 6, 8, 5).sample(rng=0)
    a = attacks.shadow_models(data, n_shadows=5, rng=3)
    b = attacks.shadow_models(data, n_shadows=5, rng=3)
    assert np.array_equal(a.mean_members, b.mean_members) and a.size == data.n_r
    assert not np.array_equal(attacks.shadow_models(data, n_shadows=5, rng=4).mean_members,
                              a.mean_members)
    # a shadow model trained on remaining rows: the forgetting-only block is
    # zero, so it cannot fit a forgetting row whose label uses it
    assert np.all(np.isfinite(a.std_members)) and np.all(a.mean_members > -10)


def test_log_residuals_treat_exact_fits_as_round_off():
    data = DEFAULT_REGIMES["overlap"].scenario.sample(rng=1)
    w_o = lu.solve(data, "pretrained").w
    phi = attacks.log_residuals(data.X_f, data.y_f, w_o)
    # |r| is clipped at MIA_RTOL (|y| + ||x|| ||w||): a finite, very negative value
    size = np.abs(data.y_f) + np.linalg.norm(data.X_f, axis=1) * np.linalg.norm(w_o)
    assert_allclose(phi, np.log(lu.metrics.MIA_RTOL * size), rtol=1e-12)


def test_attacks_need_held_out_forgetting_rows():
    rng = np.random.default_rng(0)
    data = lu.Dataset(rng.standard_normal((3, 7)), rng.standard_normal(3),
                      rng.standard_normal((2, 7)), rng.standard_normal(2))
    assert attacks.attack_metrics(data, np.zeros(7)) == {}
    with pytest.raises(ValueError, match="the attacks need held-out forgetting rows"):
        attacks.shadow_models(data)
    with pytest.raises(ValueError, match="n_shadows must be >= 2"):
        attacks.shadow_models(lu.Scenario.distinct(4, 3, 2, 2).sample(rng=0), n_shadows=1)


def test_multi_output_attacks():
    # one-hot digits: residual norms over the outputs
    from linunlearn import realdata
    data = realdata.digits_forgetting(3, n_train=200, n_features=400, rng=1).dataset()
    shadows = attacks.shadow_models(data, n_shadows=4, rng=0)
    ft = attacks.attack_metrics(data, lu.solve(data, "finetune").w, shadows)
    assert ft["mia_auc"] == 1.0 and 0.5 < ft["lira_auc"] <= 1.0
    g = attacks.attack_metrics(data, lu.solve(data, "golden").w, shadows)
    assert set(g) == set(attacks.ATTACK_METRICS)
    assert all(0.0 <= v <= 1.0 for v in g.values())
