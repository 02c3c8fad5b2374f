"""figures.data: each figure's data in quick mode (the claims they show)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from linunlearn import figures
from linunlearn.solutions import PAPER_METHODS


def test_training_curves(quick):
    data = quick["training_curves"]
    assert [c.name for c in data.cases] == ["distinct", "overlap"]
    for case in data.cases:
        n = len(case.golden_remaining)
        for arr in (case.golden_unlearning, case.finetune_remaining,
                    case.finetune_unlearning, case.golden_unlearning_low):
            assert arr.shape == (n,)
        assert len(case.pretrain_unlearning) == len(case.pretrain_remaining)
        # pretraining and retraining reach zero remaining loss (C1)
        assert case.pretrain_remaining[-1] < 1e-18
        assert case.golden_remaining[-1] < 1e-18
        # fine-tuning never forgets: UL stays at 0 at every step (C2)
        assert np.max(case.finetune_unlearning) < 1e-18
        assert np.max(case.finetune_remaining) < 1e-18
        # golden's mean UL agrees with the exact expectation
        assert case.golden_unlearning_low[-1] <= case.expected_golden_unlearning
        assert case.expected_golden_unlearning <= case.golden_unlearning_high[-1]
    # distinct features: E UL(w_g) = ||w*_B||^2 = 40/100 for the flat teacher
    assert_allclose(data.cases[0].expected_golden_unlearning, 0.4, rtol=1e-12)


@pytest.mark.parametrize("name", ["overlap_sweep", "sample_sweep"])
def test_sweeps(quick, name):
    data = quick[name]
    p = len(data.x)
    assert data.methods == PAPER_METHODS
    assert data.mean.shape == data.low.shape == data.high.shape == (p, 6, 2)
    assert np.all(data.low <= data.mean) and np.all(data.mean <= data.high)
    index = {m: i for i, m in enumerate(data.methods)}
    ul = 0  # index of the unlearning loss (1: remaining test loss)
    # fine-tuning and pretrained do not forget (C2)
    assert_allclose(data.mean[:, index["finetune"], ul], 0, atol=1e-18)
    assert_allclose(data.mean[:, index["pretrained"], ul], 0, atol=1e-18)
    # projection is golden (C7)
    assert_allclose(data.mean[:, index["projection"]], data.mean[:, index["golden"]],
                    rtol=1e-8)
    # golden's Monte Carlo means agree with the exact expectations
    for k, metric in enumerate(data.metrics):
        theory = data.theory["golden", metric]
        low, high = data.low[:, index["golden"], k], data.high[:, index["golden"], k]
        assert np.all((low <= theory) & (theory <= high)), (metric, low, theory, high)
    assert data.n_trials == 40 and data.seed == 0


def test_overlap_sweep_endpoints(quick):
    data = quick["overlap_sweep"]
    index = {m: i for i, m in enumerate(data.methods)}
    assert data.x[0] == 0 and data.x[-1] == 1
    # distinct features: RBM is golden (C4); full overlap: RBM is fine-tuning (C6)
    assert_allclose(data.mean[0, index["rbm"]], data.mean[0, index["golden"]], rtol=1e-8)
    assert_allclose(data.mean[-1, index["rbm"]], data.mean[-1, index["finetune"]],
                    atol=1e-12)


def test_claim_map(quick):
    data = quick["claim_map"]
    assert data.checks[:2] == ("C5.disparity", "C5.disparity_salun_mask")
    shape = (len(data.checks), len(data.overlap_ratios), len(data.sample_ratios))
    for arr in (data.verdicts, data.means, data.equal, data.n_trials):
        assert arr.shape == shape
    assert set(np.unique(data.verdicts)) <= {"holds", "fails", "inconclusive", "n/a"}
    # the map states its teacher and the FBM mask of each disparity panel
    assert data.teacher == "flat"
    assert data.masks[0]["fbm"]["saliency"] == "support"
    assert data.masks[1]["fbm"] == {"saliency": "gradient", "ratio": 0.2,
                                    "semantics": "reset"}
    # distinct features: RBM and FBM (support masks) reset the same weights, so
    # the disparity difference is exactly 0 and the claim holds with equality
    assert np.all(data.verdicts[0, 0] == "holds") and np.all(data.equal[0, 0])
    assert_allclose(data.means[0, 0], 0, atol=1e-12)
    # the partial (SalUn-style) mask keeps part of B: not equal there
    assert not np.any(data.equal[1, 0])
    # full overlap: RBM is fine-tuning (C6), so UL(RBM) > UL(FT) fails by equality
    forgets = data.checks.index("C5.rbm_forgets_more")
    assert np.all(data.verdicts[forgets, -1] == "fails")
    assert np.all(data.equal[forgets, -1]) and not np.any(data.equal[forgets, :-1])
    # every quick cell is overparameterised and ran the fixed 30 trials
    assert np.all(data.n_trials[data.verdicts != "n/a"] == 30)


def test_claim_map_cells_are_the_verifiers(quick):
    from linunlearn import claims
    data = quick["claim_map"]
    from linunlearn.regimes import map_regimes
    regime = map_regimes((0.5,), (0.2,))[0]
    result = claims.CLAIMS["C5-disparity"].checks[0].run(regime, 0, trials=30)
    a = list(data.overlap_ratios).index(0.5)
    b = list(data.sample_ratios).index(0.2)
    assert data.verdicts[0, a, b] == result.verdict
    assert data.means[0, a, b] == result.estimate["mean"]


@pytest.mark.skipif(figures.tradeoff_unavailable() is not None,
                    reason="regularised methods not registered")
def test_tradeoff(quick):
    data = quick["tradeoff"]
    a = len(data.alphas)
    for arr in (data.remaining, data.unlearning, data.remaining_half,
                data.unlearning_half):
        assert arr.shape == (3, a)
    for arr in (data.budget_remaining, data.budget_unlearning,
                data.budget_remaining_half, data.budget_unlearning_half):
        assert arr.shape == (len(data.budgets), a)
    assert np.all(data.unlearning_half >= 0) and np.all(data.budget_remaining_half >= 0)
    # alpha = 0 of CE-FT and KL-FT is fine-tuning: RL = UL = 0
    for i in (0, 2):
        assert_allclose([data.remaining[i, 0], data.unlearning[i, 0]], 0, atol=1e-12)
    # UL grows with the weight after a fixed budget (C8)
    assert np.all(np.diff(data.unlearning[0]) > 0)
    # converged: every alpha > 0 gives the same model (C8), RL = 0
    converged = data.budgets.index(None)
    assert_allclose(data.budget_unlearning[converged, 1:],
                    data.budget_unlearning[converged, -1], rtol=1e-6)
    assert_allclose(data.budget_remaining[converged], 0, atol=1e-12)
    assert data.golden_unlearning > 0 and abs(data.finetune_unlearning) < 1e-12
    assert "flat teacher" in data.setting and data.n_draws == 3


def test_method_gaps(quick):
    from linunlearn import compare
    data = quick["method_gaps"]
    assert data.regimes == compare.DEFAULT_COMPARE_REGIMES
    assert data.methods == tuple(label for label, _, _ in compare.default_methods())
    shape = (len(data.regimes), len(data.methods))
    assert data.mean.shape == data.low.shape == data.high.shape == shape
    assert np.all(data.low <= data.mean + 1e-15) and np.all(data.mean <= data.high + 1e-15)
    col = {m: j for j, m in enumerate(data.methods)}
    row = {r: i for i, r in enumerate(data.regimes)}
    # golden, projection (C7) and the min-norm interpolator of D_r are golden
    for m in ("golden", "projection", "minnorm_og"):
        assert_allclose(data.mean[:, col[m]], 0, atol=1e-9)
    # distinct: RBM is golden (C4); full overlap: RBM is fine-tuning (C6)
    assert_allclose(data.mean[row["distinct"], col["rbm"]], 0, atol=1e-9)
    assert_allclose(data.mean[row["full-overlap"], col["rbm"]],
                    data.mean[row["full-overlap"], col["finetune"]], rtol=1e-9)
    # fine-tuning keeps a gap to golden in every regime (C2)
    assert np.all(data.mean[:, col["finetune"]] > 0.05)
    # the numbers are those of one `compare` call with the same seed
    direct = compare.compare(["overlap"], methods=[("rbm", "rbm", {})], n_trials=3,
                             seed=0, confidence=data.confidence)
    assert data.mean[row["overlap"], col["rbm"]] == \
        direct.cells["overlap"]["rbm"]["gap_to_golden"].estimate
    assert data.n_trials == 3 and data.seed == 0


def test_regime_gaps(quick):
    data = quick["regime_gaps"]
    assert data.lambdas[0] == 0 and data.steps[0] == 0
    for arr in (data.ridge_unpenalised, data.ridge_penalised,
                data.ridge_unpenalised_half, data.ridge_penalised_half):
        assert arr.shape == data.lambdas.shape
    for m in ("finetune", "rbm", "fbm"):
        assert data.path[m].shape == data.path_half[m].shape == data.steps.shape
    # lambda = 0 is the paper's regime: fine-tuning forgets less than golden
    assert data.ridge_unpenalised[0] > 0
    # a larger penalty narrows the gap (the pretrained model moves into reach)
    assert data.ridge_unpenalised[-1] < data.ridge_unpenalised[0]
    # fine-tuning and RBM start at interpolators of D_r: their paths are flat
    # (C2), and the sign is flipped to UL(w_g) - UL(w): fine-tuning's is > 0
    for m in ("finetune", "rbm"):
        assert_allclose(data.path[m], data.path[m][0], rtol=1e-12)
    assert data.path["finetune"][0] > 0
    assert not np.allclose(data.path["fbm"], data.path["fbm"][0])
    # across n_r = d_r: a gap below, exactly none above (least squares is unique)
    assert_allclose(data.ratios, [0.5, 1.0, 1.5])
    assert data.transition[0] > 0
    assert_allclose(data.transition[1:], 0, atol=1e-9)
    # n_r + n_f = d at n_r = 15 of d_r = 20 (d = 20, n_f = 5)
    assert data.interpolation_ratio == 0.75
    assert "flat teacher" in data.settings[0] and "random teacher" in data.settings[2]
    assert data.trials == 10


def test_geometry_projection_is_orthogonal(quick):
    data = quick["geometry"]
    p = data.points
    w_o, w_g = p["pretrained"], p["golden"]
    # golden lies on the row space of X_r and P_r w_o is the orthogonal projection
    assert_allclose(np.cross(w_g, data.x_r), 0, atol=1e-12)
    assert_allclose((w_o - p["projection"]) @ data.x_r, 0, atol=1e-12)
    assert_allclose(p["projection"], w_g, atol=1e-12)
    # fine-tuning does not move; RBM zeroes the forgetting-only weight
    assert_allclose(p["finetune"], w_o, atol=1e-12)
    assert_allclose(p["rbm"], [w_o[0], w_o[1], 0.0], atol=1e-12)
    # the round numbers the tutorial quotes
    assert_allclose(w_o, [0.5, 1.0, 0.5], atol=1e-12)
    assert_allclose(w_g, [0.75, 0.75, 0.0], atol=1e-12)
    # every drawn model fits D_r: it lies on the plane x_r . w = y_r
    for w in p.values():
        assert_allclose(w @ data.x_r, data.y_r, atol=1e-12)
    assert_allclose((data.plane - w_g) @ data.x_r, 0, atol=1e-12)
    # the right-angle mark at w_g: one side along x_r, one along w_o - w_g
    corner, far, side = data.right_angle
    assert_allclose(np.cross(corner - w_g, data.x_r), 0, atol=1e-12)
    assert_allclose((side - w_g) @ (corner - w_g), 0, atol=1e-12)
    assert_allclose(np.cross(side - w_g, w_o - w_g), 0, atol=1e-12)
    assert_allclose(far - w_g, (corner - w_g) + (side - w_g), atol=1e-12)


def test_seed_changes_the_numbers():
    a = figures.compute_sample_sweep(0, quick=True).mean
    b = figures.compute_sample_sweep(1, quick=True).mean
    assert not np.allclose(a, b)


def test_transition_gap_is_exactly_zero_where_fine_tuning_is_golden():
    """Regression: at n_r = d_r (square X_r, unbounded condition number) the plotted
    gap of ``regime_gaps`` was 3e-9 of round-off, whose digits depended on BLAS.

    For n_r >= d_r the row space of X_r is the support's coordinates, so
    w_ft = w_g + (1 - S_r) w_o exactly; with S_f outside S_r that part is not
    zero, and the exact route agrees with the closed form.
    """
    import numpy as np
    from numpy.testing import assert_allclose
    from linunlearn import Scenario, families
    from linunlearn.metrics import squared_loss
    from linunlearn.solutions import closed_form
    t = families.transition_curve([1.0, 1.5], trials=50)
    assert np.all(t["ul_gap"].estimate == 0.0) and np.all(t["weight_gap"].estimate == 0.0)
    from linunlearn import IllConditionedWarning
    batch = Scenario.overlapping(20, 10, 5, 30, 5, sigma=0.3).sample_batch(
        np.random.SeedSequence(1).spawn(20))
    with pytest.warns(IllConditionedWarning, match="rank deficient"):  # n_r > d_r
        rows_r = batch.rows[1]
        w_ft = rows_r.gd_limit(batch.y_r, closed_form(batch, "pretrained"))
    w_g = rows_r.pinv(batch.y_r)
    gap = (squared_loss(batch.X_f, batch.y_f, w_g)
           - squared_loss(batch.X_f, batch.y_f, w_ft))
    assert np.all(np.abs(gap) > 1e-3)
    # X_r is 30 x 20 on its support (cond ~ 10): the closed form's round-off
    assert_allclose(families._stat_transition(batch)[:, 1], gap, rtol=1e-10)


def test_claim_map_cells_are_the_same_in_worker_processes():
    """The full claim map runs its cells in processes: the same evidence as in this one."""
    from linunlearn import claims, regimes
    from linunlearn import parallel as lu_parallel
    from linunlearn.figures.data import _map_cell
    check = next(c for claim in claims.CLAIMS.values() for c in claim.checks
                 if c.name == "C5.disparity")
    jobs = [(0, r, check, regime, 0, 30, 0.05)
            for r, regime in enumerate(regimes.map_regimes((0.5,), (0.2, 0.5)))]
    serial = [_map_cell(job) for job in jobs]
    with lu_parallel.executor(2) as executor:
        pooled = lu_parallel.run_jobs(_map_cell, jobs, executor)
    assert pooled == serial and serial[0].n_trials == 30
    # and the whole quick map, computed on worker processes
    from linunlearn.figures.data import compute_claim_map
    with lu_parallel.executor(2) as executor:
        pooled_map = compute_claim_map(quick=True, executor=executor)
    alone = compute_claim_map(quick=True)
    np.testing.assert_array_equal(pooled_map.verdicts, alone.verdicts)
    np.testing.assert_array_equal(pooled_map.means, alone.means)


def test_method_gaps_are_the_same_in_worker_processes():
    """The method gaps run their regimes in processes: the numbers of one compare call."""
    from linunlearn import compare, montecarlo
    from linunlearn import parallel as lu_parallel
    from linunlearn.figures.data import compute_method_gaps
    with lu_parallel.executor(2) as executor:
        pooled = compute_method_gaps(quick=True, executor=executor)
    alone = compute_method_gaps(quick=True)
    for field in ("mean", "low", "high"):
        np.testing.assert_array_equal(getattr(pooled, field), getattr(alone, field))
    whole = compare.gaps(compare.compare(list(alone.regimes), n_trials=3, seed=0,
                                         confidence=montecarlo.CONFIDENCE))
    r, m = alone.regimes[-1], alone.methods[-1]
    assert alone.mean[-1, -1] == whole[r][m].estimate


def test_side_by_side_gradient_descent_is_gradient_descent_run_by_run():
    """The training curves' runs: the numbers of gradient_descent, problem by problem."""
    import linunlearn as lu
    from linunlearn.figures.data import _descend
    batch = lu.Scenario.overlapping(8, 6, 2, 4, 3).sample_batch(
        np.random.SeedSequence(2).spawn(5))
    monitors = {"remaining_loss": (batch.X_r, batch.y_r),
                "unlearning_loss": (batch.X_f, batch.y_f)}
    start = np.random.default_rng(3).standard_normal((5, batch.d))
    for X, y, budget, gtol in ((batch.X, batch.y, np.full(5, 200_000), 1e-12),
                               (batch.X_r, batch.y_r, np.array([0, 3, 7, 1, 20]), 0.0)):
        w, histories, steps = _descend(X, y, start, monitors, max_steps=budget, gtol=gtol)
        for t in range(5):
            run = lu.gradient_descent(X[t], y[t], start[t], gtol=gtol, max_steps=budget[t],
                                      monitors={k: (Xm[t], ym[t]) for k, (Xm, ym)
                                                in monitors.items()})
            assert steps[t] == run.n_steps
            np.testing.assert_array_equal(w[t], run.w)
            for key, history in histories.items():
                k = len(run.history[key])
                np.testing.assert_array_equal(history[t, :k], run.history[key])
                assert np.all(history[t, k:] == run.history[key][-1])  # padded
    assert steps.max() == 20 and histories["remaining_loss"].shape == (5, 21)
