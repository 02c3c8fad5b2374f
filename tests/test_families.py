"""Families of regimes beyond the paper: closed forms against GD runs, and every new check's false case."""

from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import claims, families, verifier
from linunlearn.claims import CLAIMS
from linunlearn.cli import main
from linunlearn.regimes import DEFAULT_REGIMES, Regime
from linunlearn.simulate import gradient_descent, gradient_descent_steps, smoothness
from linunlearn.verifier import check_claim, format_report, verify

EPS = np.finfo(float).eps


def small(seed=0, n=4, d=9):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)


def augmented(X, y, lam):
    """Rows whose mean squared loss is ``(1/n)||X w - y||^2 + lam ||w||^2`` (tests only)."""
    n, d = X.shape
    N = n + d
    c = np.sqrt(N / n)
    return c * np.vstack([X, np.sqrt(n * lam) * np.eye(d)]), c * np.r_[y, np.zeros(d)]


# -------------------------------------------------------------- closed forms


@pytest.mark.parametrize("lam", [1e-3, 0.1, 2.0])
def test_ridge_fit_against_normal_equations_and_a_gd_run(lam):
    X, y, _ = small()
    n, d = X.shape
    # d x d normal equations: allowed in a small test only
    normal = np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)
    # cond(X^T X / n + lam I) <= 1e4 here: 1e-10 relative is ample
    assert_allclose(families.ridge_fit(X, y, lam), normal, rtol=1e-10, atol=1e-12)
    Xa, ya = augmented(X, y, lam)
    run = gradient_descent(Xa, ya, np.zeros(d), gtol=1e-13, max_steps=10**6)
    assert run.stop_reason == "converged"
    # stopped at relative gradient 1e-13, curvature >= 2 lam: weights within 1e-9
    assert_allclose(run.w, normal, rtol=0, atol=1e-9 / min(lam, 1.0))


def test_ridge_fit_exact_rationals():
    # X = [1, 2], y = 3, lam = 1/2: w = X^T (5 + 1/2)^{-1} 3 = [6/11, 12/11]
    w = families.ridge_fit(np.array([[1.0, 2.0]]), np.array([3.0]), 0.5)
    assert_allclose(w, [float(Fraction(6, 11)), float(Fraction(12, 11))], rtol=4 * EPS)


@pytest.mark.parametrize("lam", [0.0, 0.05, 1.0])
def test_penalised_steps_are_an_actual_gd_run(lam):
    X, y, w0 = small(1)
    Xa, ya = augmented(X, y, lam)
    lr = 0.9 / smoothness(Xa)
    for k in (0, 1, 7, 40):
        run = gradient_descent(Xa, ya, w0, lr=lr, gtol=0.0, max_steps=k)
        assert run.n_steps == k
        assert_allclose(gradient_descent_steps(X, y, w0, k, lr=lr, penalty=lam), run.w,
                        rtol=1e-10, atol=1e-12)


def test_a_vanishing_penalty_joins_the_unpenalised_formula():
    X, y, w0 = small(2)
    for k in (3, 50):
        # the penalised branch at penalty 1e-13 and the unpenalised one: O(penalty)
        assert_allclose(gradient_descent_steps(X, y, w0, k, lr=0.2, penalty=1e-13),
                        gradient_descent_steps(X, y, w0, k, lr=0.2), rtol=1e-10,
                        atol=1e-11)


def test_penalised_limit_is_ridge_from_any_start_and_batched():
    X = np.random.default_rng(3).standard_normal((5, 4, 9))
    y = np.random.default_rng(4).standard_normal((5, 4))
    w0 = np.random.default_rng(5).standard_normal((5, 9))
    lr = families._lr(X, 0.3)  # 1/L per problem
    lim = gradient_descent_steps(X, y, w0, np.inf, lr=lr, penalty=0.3)
    assert_allclose(lim, families.ridge_fit(X, y, 0.3), rtol=1e-11, atol=1e-13)
    for i in range(5):  # batch-agnostic: each problem alone gives the same
        alone = gradient_descent_steps(X[i], y[i], w0[i], np.inf, lr=float(lr[i, 0]),
                                       penalty=0.3)
        assert_allclose(lim[i], alone, rtol=1e-12, atol=1e-14)


def test_ridge_models_on_a_dataset_and_the_lambda_to_zero_limit():
    data = lu.Scenario.overlapping(12, 8, 3, 5, 3).sample(rng=0)
    m = families.ridge_models(data, 1e-9)
    G = data.X @ data.X.T
    n = data.n_r + data.n_f
    bound = n * 1e-9 / np.linalg.eigvalsh(G)[0]  # R4's bound, about 1e-8 here
    for method in ("pretrained", "golden", "finetune", "projection"):
        paper = lu.solve(data, method).w
        assert np.linalg.norm(m[method] - paper) <= 2 * bound * np.linalg.norm(paper)
    assert_allclose(m["finetune_penalised"], m["golden"], rtol=1e-9)


def test_ridge_finetune_numeric_route():
    """Unpenalised fine-tuning from the ridge model: an actual GD run on D_r."""
    data = lu.Scenario.overlapping(12, 8, 3, 5, 3).sample(rng=1)
    m = families.ridge_models(data, 0.2)
    run = gradient_descent(data.X_r, data.y_r, m["pretrained"])
    assert_allclose(run.w, m["finetune"], rtol=0, atol=1e-9)
    assert run.history["loss"][0] > 1e-3  # the ridge model does not interpolate D_r


@pytest.mark.parametrize("d_r, d_lap, n_r", [(10, 0, 4), (10, 5, 4), (60, 16, 30),
                                           (12, 12, 3), (6, 6, 12), (20, 6, 40)])
def test_noise_term_from_sympy_matches_the_hand_derivation(d_r, d_lap, n_r):
    # Inverse-Wishart means, by hand and in exact rationals (regimes' Notes);
    # golden_ul_noise_term evaluates theory's sympy derivation instead.
    sigma = Fraction(7, 10)
    extra = (Fraction(d_lap * n_r, d_r * (d_r - n_r - 1)) if n_r < d_r else
             Fraction(d_lap, n_r - d_r - 1))
    hand = sigma ** 2 * (1 + extra)
    assert_allclose(families.golden_ul_noise_term(d_r, d_lap, n_r, 0.7), float(hand),
                    rtol=1e-13)


def test_early_stopping_path_is_a_gd_run_with_its_loss_history():
    data = DEFAULT_REGIMES["overlap"].scenario.sample(rng=0)
    w_o = lu.solve(data, "pretrained").w
    start = data.support_r * w_o  # RBM's reset
    lr = 1.0 / smoothness(data.X_r)
    run = gradient_descent(data.X_r, data.y_r, start, lr=lr, gtol=0.0, max_steps=10,
                           monitors={"ul": (data.X_f, data.y_f)})
    for k in (0, 3, 10):
        w_k = gradient_descent_steps(data.X_r, data.y_r, start, k, lr=lr)
        assert_allclose(np.mean((data.X_f @ w_k - data.y_f) ** 2),
                        run.history["ul"][k], rtol=1e-9)


def test_underparameterised_finetuning_run_reaches_golden():
    data = lu.Scenario.overlapping(6, 6, 6, 12, 2, sigma=0.3).sample(rng=0)
    with pytest.warns(lu.IllConditionedWarning, match="rank deficient"):
        golden = lu.solve(data, "golden").w
    run = gradient_descent(data.X_r, data.y_r, lu.solve(data, "pretrained").w)
    assert_allclose(run.w, golden, rtol=0, atol=1e-8)


# ----------------------------------------------------------------- verdicts


def verdicts(report):
    return {(r.key, r.regime): r.verdict for r in report.results}


def test_ridge_family_verdicts():
    report = verify(family="ridge", trials=30)
    v = verdicts(report)
    for lam in families.RIDGE_LAMBDAS:
        name = f"ridge lambda={lam:g}, overlap"
        for key in ("C1", "C3", "R1", "R2", "R3", "R4", "R5"):
            assert v[(key, name)] == "holds", (key, name)
        for key in ("C2", "C7"):
            assert v[(key, name)] == "fails", (key, name)  # findings, expected "depends"
        assert v[("C4", name)] == v[("C2-exact", name)] == "inconclusive"  # premises
    middle = f"{families.RIDGE_LAMBDAS[1]:g}"
    # RBM returns the unpenalised golden model, not the ridge one: a finding
    assert v[("C4", f"ridge lambda={middle}, distinct")] == "fails"
    assert v[("C6", f"ridge lambda={middle}, full-overlap")] == "holds"
    assert not report.failed_expected
    premise = [c for r in report.results for c in r.checks if c.kind == "premise"]
    assert premise and all(c.detail.startswith("premise does not apply: ")
                           for c in premise)


def test_early_stopping_and_underparameterised_verdicts():
    v = verdicts(verify(family="early-stopping", trials=30))
    converged, early = "early-stopping, overlap", "early-stopping, pretrained 20 steps"
    for key in ("C1", "C3", "C7", "E1", "E2"):
        assert v[(key, converged)] == "holds", key
    # from an early-stopped w_o fine-tuning moves: the identities become findings
    for key in ("C1", "C2", "C3", "C7", "E2"):
        assert v[(key, early)] == "fails", key
    assert v[("E1", early)] == "holds"  # the distance to golden never increases
    v = verdicts(verify(family="underparameterized", trials=30))
    below, above, part = ("n_r/d_r=0.8, full overlap, below", "n_r/d_r=1.5, full overlap",
                          "n_r/d_r=2, overlap")
    assert [v[(c, below)] for c in ("U1", "U2", "U3")] == ["fails"] * 3
    assert [v[(c, above)] for c in ("U1", "U2", "U3")] == ["holds"] * 3
    assert [v[(c, part)] for c in ("U1", "U2", "U3")] == ["holds", "fails", "holds"]
    assert v[("C1", above)] == "inconclusive"  # premise: noisy labels, n_r >= d_r


@pytest.mark.slow
def test_noise_and_anisotropic_families():
    overlap = [e for e in families.FAMILIES["noise"].entries()
               if e.claim.id in ("N1", "C7") and e.regime.name == "noise sigma=1, overlap"]
    v = verdicts(verifier.run(overlap, precision=0.1))
    assert v[("N1", "noise sigma=1, overlap")] == "holds"
    assert v[("C7", "noise sigma=1, overlap")] == "holds"
    report = verify(family="anisotropic", trials=200, workers=2)
    v = verdicts(report)
    # no exact E UL(w_g) with overlap: C2 stands on its other checks, and says so
    assert v[("C2", "power law alpha=1, overlap")] == "holds"
    assert v[("A1", "power law alpha=1, full overlap")] == "holds"
    notes = format_report(report).split("notes:")[1]
    assert "Monte-Carlo-only: features are not isotropic" in notes
    c2 = [r for r in report.results if r.key == "C2"]
    distinct = next(r for r in c2 if r.regime == "power law alpha=1, distinct")
    assert "golden_unlearning_loss" in {c.name.split(".")[1] for c in distinct.checks}


# ------------------------------------------------- every new check can fail

NOT_INTERPOLATING = Regime("n_r + n_f > d, noisy",
                           lu.Scenario.overlapping(10, 8, 4, 9, 10, sigma=0.5))


def entry(family, cid, regime_name=None):
    for e in families.FAMILIES[family].entries():
        if e.claim.id == cid and (regime_name is None or e.regime.name == regime_name):
            return e
    raise KeyError(cid)


def run(e, regime=None, trials=40, models=None):
    return check_claim(e.claim, regime or e.regime, trials=trials, symbolic=(),
                       models=models or e.models)


def test_ridge_checks_fail_on_wrong_closed_forms(monkeypatch):
    original = families.gradient_descent_steps
    monkeypatch.setattr(families, "gradient_descent_steps",
                        lambda X, y, w0, steps, lr, penalty=0.0:
                        original(X, y, w0, steps, lr=lr, penalty=1.01 * penalty))
    assert run(entry("ridge", "R1")).verdict == "fails"
    monkeypatch.undo()
    # R3 runs the iterates itself: steps 1% longer than 1/L leave a different part
    lr = families._lr
    monkeypatch.setattr(families, "_lr", lambda X, lam=0.0: 1.01 * lr(X, lam))
    assert run(entry("ridge", "R3")).verdict == "fails"
    monkeypatch.undo()
    fit = families.ridge_fit
    monkeypatch.setattr(families, "ridge_fit", lambda X, y, lam: fit(X, y, lam) * (1 + 100 * lam))
    # an O(lambda) error 100 times too large: the bound n lambda / lambda_min(G) catches it
    assert run(entry("ridge", "R4", "ridge lambda=0.0001, overlap")).verdict == "fails"
    monkeypatch.undo()
    models = families.ridge_models

    def wrong(data, lam, **kw):
        m = models(data, lam, **kw)
        return {**m, "finetune": 1.001 * m["finetune"]}

    monkeypatch.setattr(families, "ridge_models", wrong)
    assert run(entry("ridge", "R2")).verdict == "fails"
    e = entry("ridge", "C1")

    def wrong_claim_models(batch, *methods, **kw):
        m = e.models(batch, *methods, **kw)
        return {k: 1.001 * w if k == "finetune" else w for k, w in m.items()}

    assert run(e).verdict == "holds"
    assert run(e, models=wrong_claim_models).verdict == "fails"


def test_noise_term_check_fails_with_the_overlap_part_dropped(monkeypatch):
    e = entry("noise", "N1", "noise sigma=1, overlap")
    monkeypatch.setattr(families, "golden_ul_noise_term",
                        lambda d_r, d_lap, n_r, sigma: sigma ** 2)
    # the dropped part is 0.28 of 1.28; 3000 paired trials resolve it
    assert run(e, trials=3000).verdict == "fails"


def test_anisotropic_excess_is_not_claimed_without_overlap():
    e = entry("anisotropic", "A1", "power law alpha=1, overlap")
    distinct = families.FAMILIES["anisotropic"].regimes()["power law alpha=1, distinct"]
    # no overlap: the excess has mean zero, so "> 0" must not be reported
    assert run(e, distinct, trials=400).verdict != "holds"


def test_early_stopping_checks_fail_on_their_false_cases(monkeypatch):
    assert run(entry("early-stopping", "C2"), NOT_INTERPOLATING).verdict == "fails"
    full = DEFAULT_REGIMES["full-overlap"]
    c5 = run(entry("early-stopping", "C5"), full)
    forgets = {c.name: c for c in c5.checks}["C5.rbm_forgets_more"]
    # w_rbm = w_ft in every draw with full overlap: a strict claim fails on equality
    assert forgets.verdict == "equal" and forgets.outcome == "fails"
    # w_o no longer interpolates D_r: the reset start moves as well
    assert run(entry("early-stopping", "E2"), NOT_INTERPOLATING).verdict == "fails"
    k_step = families._k_step
    monkeypatch.setattr(families, "_k_step",
                        lambda batch, w0, steps: k_step(batch, w0, steps) + 0.01 * steps)
    assert run(entry("early-stopping", "E1")).verdict == "fails"


def test_ridge_distance_claims_fail_on_wrong_models(monkeypatch):
    models = families.ridge_models

    def wrong(data, lam, **kw):
        m = models(data, lam, **kw)
        return {**m, "finetune": 1.001 * m["finetune"]}

    monkeypatch.setattr(families, "ridge_models", wrong)
    assert run(entry("ridge", "R5")).verdict == "fails"
    monkeypatch.undo()
    # A start with a large row-space error (3 w_g): fine-tuning moves towards w_g.
    def far(data, lam, **kw):
        m = models(data, lam, **kw)
        w_o = 3 * m["golden"]
        return {**m, "pretrained": w_o, "finetune": data.rows[1].gd_limit(data.y_r, w_o)}

    monkeypatch.setattr(families, "ridge_models", far)
    assert run(entry("ridge", "R6")).verdict == "fails"


# ------------------------------------------------ determinism, CLI, errors


def test_same_seed_same_report_whatever_the_workers():
    # 300 trials make two batches, so the pool really splits the work
    a = verify(family="underparameterized", trials=300, seed=3)
    b = verify(family="underparameterized", trials=300, seed=3, workers=2)
    assert a.results == b.results
    c = verify(family="underparameterized", trials=300, seed=4)
    assert a.results != c.results


def test_cli_family(capsys):
    code = main(["verify", "--family", "underparameterized", "--trials", "20",
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "U2" in out and "notes:" in out
    assert "premise does not apply" in out
    with pytest.raises(SystemExit):
        main(["verify", "--family", "nowhere"])
    assert "family must be one of ridge, noise" in capsys.readouterr().err


def test_cli_help_names_every_family(capsys):
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in families.FAMILIES:
        assert name in text


def test_figure_data():
    c = families.ridge_curve([0.0, 0.01, 1.0], trials=20)
    pen, unpen = c["gap_penalised"], c["gap_unpenalised"]
    assert pen.estimate.shape == (3,) and c["seed"] == 0 and pen.n_trials == 20
    assert pen.estimate[0] == pytest.approx(unpen.estimate[0])  # lam = 0
    assert np.all(pen.low <= pen.estimate) and np.all(pen.estimate <= pen.high)
    assert c["untouched"].estimate[0] > c["untouched"].estimate[2]
    p = families.early_stopping_path((0, 2, 10), trials=20)
    assert np.all(np.diff(p["finetune"].estimate) == 0)  # the path does not move
    t = families.transition_curve([0.5, 0.9, 1.5, 2.0], trials=20)
    gap = t["weight_gap"].estimate
    assert np.all(gap[:2] > 0.05) and np.all(gap[2:] < 1e-8)


@pytest.mark.parametrize("call, message", [
    (lambda: families.ridge_fit(np.ones((2, 3)), np.ones(2), -1.0), "lam must be >= 0"),
    (lambda: families.ridge_fit(np.ones((2, 3)), np.ones(3), 1.0), r"y must have shape \(2,\)"),
    (lambda: gradient_descent_steps(np.ones((2, 3)), np.ones(2), np.ones(4), 1, lr=0.1,
                                    penalty=0.1), r"w0 must have shape \(\.\.\., 3\)"),
    (lambda: gradient_descent_steps(np.eye(2, 3), np.ones(2), np.ones(3), 1, lr=5.0,
                                    penalty=0.1), "makes gradient descent diverge"),
    (lambda: gradient_descent_steps(np.eye(2, 3), np.ones(2), np.ones(3), 1, lr=0.1,
                                    penalty=-0.1), "penalty must be >= 0"),
    (lambda: families.golden_ul_noise_term(5, 2, 4, 1.0), r"infinite .* \|n_r - d_r\| <= 1"),
    (lambda: families.golden_ul_noise_term(5, 6, 1, 1.0), "d_lap must be <= d_r"),
    (lambda: families.power_law_scale(4, -1.0), "alpha must be >= 0"),
    (lambda: verify(family="nowhere"), "family must be one of"),
    (lambda: verify(family="ridge", precision=0), "precision must be > 0"),
    (lambda: verify(family="ridge", trials=1), "trials must be >= 2"),
    (lambda: verify(["C1"], family="ridge"), "cannot be combined"),
])
def test_validation_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_multi_output_is_refused_with_a_pointer():
    X = np.random.default_rng(0).standard_normal((3, 8))
    data = lu.Dataset(X[:2], np.ones((2, 2)), X[2:], np.ones((1, 2)))
    with pytest.raises(ValueError, match="1-D labels"):
        families.ridge_models(data, 0.1)


def test_a_uniform_but_not_unit_scale_has_no_exact_expectation():
    # theory's formulas are for unit-variance features: scale 2 everywhere is not
    # "isotropic" for them (the expectation would be off by the factor 4)
    s = lu.Scenario.overlapping(12, 8, 3, 5, 3, scale=np.full(17, 2.0))
    assert "not isotropic" in claims.golden_ul_exact(s)
    assert claims.golden_ul_exact(lu.Scenario.overlapping(12, 8, 3, 5, 3)) is None


def test_a_family_moves_the_progress_bar_unless_quiet(monkeypatch):
    # a family runs through verify's one loop: its bar, and --quiet silences it
    from linunlearn import verifier as module
    seen = []

    class Recorder(module.Progress):
        def __init__(self, total, label, *, enabled=True):
            seen.append((label, total, enabled))
            super().__init__(total, label, enabled=enabled)

    monkeypatch.setattr(module, "Progress", Recorder)
    for quiet in (False, True):
        main(["verify", "--family", "underparameterized", "--trials", "20"]
             + ["--quiet"] * quiet)
    total = len(families.FAMILIES["underparameterized"].entries())
    assert seen == [("verify", total, True), ("verify", total, False)]
