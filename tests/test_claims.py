"""The verifier: every claim holds where it should and fails where it is false."""

import dataclasses
import json

import numpy as np
import pytest

from linunlearn import Scenario, checks, claims, montecarlo, verifier
from linunlearn import parallel as lu_parallel
from linunlearn.claims import CLAIMS
from linunlearn.cli import main
from linunlearn.regimes import DEFAULT_REGIMES, Regime, map_regimes
from linunlearn.verifier import check_claim

TRIALS = 120  # enough for every interval below to exclude or include its target


def regime(name, *args, **options):
    return Regime(name, Scenario.overlapping(*args, **options))


# Regimes where a claim is false, built for it.
UNDERPARAMETERISED_NOISY = regime("n_r > d_r, noisy", 10, 8, 4, 20, 5, sigma=0.5)
NOT_INTERPOLATING = regime("n_r + n_f > d, noisy", 10, 8, 4, 9, 10, sigma=0.5)
EXACT_RECOVERY = regime("n_r >= d_r, full overlap, noiseless", 6, 6, 6, 10, 3)
ANISOTROPIC = Regime("anisotropic", Scenario.overlapping(
    20, 12, 6, 10, 6, scale=np.r_[np.full(14, 0.2), np.full(12, 3.0)]))


def conflicting_teachers():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(14) / 4
    w_f = w.copy()
    w_f[4:8] = -3 * w[4:8]  # the forgetting teacher fights the remaining one on O
    return Regime("conflicting teachers",
                  Scenario.overlapping(8, 10, 4, 4, 3, w_star=w, w_f_star=w_f))


def verdicts(claim, reg, **kw):
    result = check_claim(claim, reg, trials=TRIALS, **kw)
    return result, {c.name: c.verdict for c in result.checks}


@pytest.mark.parametrize("claim_id", [c for c in CLAIMS if CLAIMS[c].expected == "holds"])
def test_every_claim_holds_on_its_first_default_regime(claim_id):
    claim = CLAIMS[claim_id]
    result = check_claim(claim, claim.regimes[0], trials=TRIALS, precision=0.2)
    assert result.verdict == "holds", result


def test_c1_fails_when_remaining_data_cannot_be_interpolated():
    result, v = verdicts("C1", UNDERPARAMETERISED_NOISY)
    assert v["C1.remaining_loss"] == "fails"
    assert result.verdict == "fails"
    assert "rank deficient" in result.checks[0].detail


def test_c2_parts_fail_on_their_false_cases():
    _, v = verdicts("C2", NOT_INTERPOLATING)
    assert v["C2.finetune_is_pretrained"] == "fails"
    assert v["C2.finetune_unlearning_loss"] == "fails"
    result, v = verdicts("C2", EXACT_RECOVERY)
    # golden recovers w* exactly: UL = 0 in every draw, and "> 0" fails on equality
    assert v["C2.golden_forgets"] == "equal" and result.verdict == "fails"
    # The isotropic formula is wrong for anisotropic features, and detected.
    from linunlearn import theory
    exact = {c.name: c for c in CLAIMS["C2"].checks}["C2.golden_unlearning_loss"]
    isotropic_formula = dataclasses.replace(
        exact, theory=theory.expected_golden_unlearning_loss_for, requires=None)
    check = isotropic_formula.run(ANISOTROPIC, 0, trials=2000)
    assert check.verdict == "fails"
    assert "isotropic" in check.detail
    # The claim itself knows there is no exact expectation there.
    assert "not isotropic" in exact.requires(ANISOTROPIC.scenario)


def test_c2_theory_check_agrees_with_independent_monte_carlo_off_default():
    reg = regime("other point", 30, 24, 10, 12, 7, sigma=0.2, teacher="separate",
                 teacher_seed=5)
    result = check_claim("C2", reg, precision=0.05, seed=11)
    check = {c.name: c for c in result.checks}["C2.golden_unlearning_loss"]
    assert check.verdict == "holds"
    assert check.estimate["low"] <= check.theory <= check.estimate["high"]


def test_c3_fails_for_a_wrong_fine_tuning_solver(monkeypatch):
    original = claims.closed_form

    def wrong(batch, method, *args):
        w = original(batch, method, *args)
        return 1.01 * w if method == "finetune" else w

    monkeypatch.setattr(claims, "closed_form", wrong)
    _, v = verdicts("C3", DEFAULT_REGIMES["overlap"])
    assert v["C3.mechanism"] == "fails"


def test_c4_fails_with_overlap_and_c6_fails_without_full_overlap():
    assert verdicts("C4", DEFAULT_REGIMES["overlap"])[0].verdict == "fails"
    assert verdicts("C6", DEFAULT_REGIMES["overlap"])[0].verdict == "fails"


def test_c5_parts_fail_on_their_false_cases():
    result, v = verdicts("C5", DEFAULT_REGIMES["full-overlap"])
    # w_rbm = w_ft in every draw: nothing forgotten, and a strict claim fails on equality
    assert v["C5.rbm_forgets_more"] == "equal" and result.verdict == "fails"
    _, v = verdicts("C5-keeps-overlap", conflicting_teachers())
    assert v["C5.rbm_keeps_overlap"] == "fails"  # keeping O hurts here


def test_c5_disparity_is_mapped_both_ways():
    _, v = verdicts("C5-disparity", DEFAULT_REGIMES["overlap"])
    assert v["C5.disparity"] == "fails"  # FBM is closer to golden here
    result, v = verdicts("C5-disparity", DEFAULT_REGIMES["distinct"])
    # RBM = FBM = golden in every draw: "<= 0" holds, with equality, and says so
    assert v["C5.disparity"] == "equal" and result.verdict == "holds"
    # Against a partial (SalUn-style) FBM mask the answer depends on the regime.
    cells = {(r.coords["d_lap/d_f"], r.coords["n_r/d_r"]): r
             for r in map_regimes((0.2, 0.8), (0.2, 0.8))}
    assert check_claim("C5-disparity-salun", cells[0.2, 0.8]).verdict == "holds"
    assert check_claim("C5-disparity-salun", cells[0.8, 0.2]).verdict == "fails"


def test_masks_are_recorded_in_the_evidence():
    result = check_claim("C5-disparity-salun", "overlap", trials=20)
    masks = result.checks[0].masks
    assert masks["fbm"] == {"saliency": "gradient", "ratio": 0.2, "semantics": "reset"}
    assert masks["rbm"]["saliency"] == "support"
    assert check_claim("C1", "overlap", trials=20).checks[0].masks is None


def test_disparity_map_uses_the_flat_teacher():
    for reg in map_regimes((0.2, 0.6), (0.4,)):
        s = reg.scenario
        used = s.support_r | s.support_f
        np.testing.assert_allclose(s.w_r_star[used], 1 / np.sqrt(used.sum()), rtol=1e-15)
        assert s.shared_teacher and "flat teacher" in reg.description


def test_sign_checks_add_trials_until_the_sign_is_settled():
    # A small positive mean that 200 trials cannot separate from zero.
    def stat(batch):
        return claims.stat_golden_unlearning_loss(batch) - 0.39
    check = checks.Check("T.sign", stat, "positive", "mean > 0")
    result = check.run(DEFAULT_REGIMES["overlap"], 0)
    assert result.n_trials > 200 and result.verdict == "holds"
    assert result.estimate["low"] > 0


def test_heavy_tailed_noise_makes_the_theory_check_inconclusive():
    # nu = 3 (infinite variance) and nu = 12 (finite variance, no finite sixth
    # moment): no interval with a stated error rate, so no verdict
    for n_r, nu in ((18, 3), (9, 12)):
        reg = regime(f"nu = {nu}", 20, 12, 6, n_r, 5, sigma=1.0)
        result = check_claim("C2", reg, trials=50)
        check = {c.name: c for c in result.checks}["C2.golden_unlearning_loss"]
        assert check.verdict == "inconclusive" and "too heavy-tailed" in check.detail
        assert f"nu = |n_r - d_r| + 1 = {nu}" in check.detail
        assert check.theory > 0 and check.n_trials == 0
    # nu = 13: the sixth moment is finite and the check runs.
    reg = regime("nu = 13", 20, 12, 6, 8, 5, sigma=1.0)
    check = {c.name: c for c in check_claim("C2", reg, trials=50).checks}[
        "C2.golden_unlearning_loss"]
    # a third of the 50 draws fits the control variates, the rest estimate
    assert check.n_trials == 50 - 50 // 3 and "heavy-tailed" not in check.detail
    assert f"{50 // 3} more draws fitted the control variates" in check.detail


def test_a_symbolic_check_that_errors_is_inconclusive():
    def broken():
        raise NotImplementedError("sympy gave up")
    claim = dataclasses.replace(CLAIMS["C7"], proofs=(broken,))
    (sym,) = verifier._symbolic(claim)
    assert sym["verdict"] == "inconclusive" and "sympy gave up" in sym["detail"]
    assert check_claim(claim, "overlap", trials=20).verdict == "inconclusive"


def test_c7_fails_without_interpolation():
    assert verdicts("C7", NOT_INTERPOLATING)[0].verdict == "fails"


def test_c8_parts_fail_on_their_false_cases():
    _, v = verdicts("C8", NOT_INTERPOLATING)
    assert v["C8.weight_irrelevant_at_convergence"] == "fails"
    # Distinct features: the wrong-label term only moves B, which D_r does not
    # see, so RL does not rise (its steps are exactly 0: round-off cannot
    # make them a rise).
    result, v = verdicts("C8-tradeoff", DEFAULT_REGIMES["distinct"])
    assert v["C8.tradeoff_ce"] == v["C8.tradeoff_kl"] == "fails"
    assert max(result.checks[0].estimate["remaining_loss"]) < 1e-20


def test_c8_gap_narrows_until_golden_then_widens_for_every_variant():
    result, v = verdicts("C8-gap", DEFAULT_REGIMES["overlap"])
    assert result.expected == "holds" and set(v.values()) == {"holds"}
    paths = {c.name.removeprefix("C8.gap_"): c.estimate for c in result.checks}

    def sides(variant):  # where the mean UL is below (-1) or above (+1) golden's
        p = paths[variant]
        return np.sign(np.subtract(p["unlearning_loss"], p["golden_unlearning_loss"]))

    # KL-FT's UL stays below golden's: its gap narrows throughout
    assert np.all(sides("kl") < 0) and np.all(np.diff(paths["kl"]["ul_gap"]) < 0)
    # CE-FT passes golden's UL once: the gap narrows before, widens after
    ce, cross = paths["ce"], int(np.argmax(sides("ce") > 0))
    assert 0 < cross < len(ce["ul_gap"]) - 1 and np.all(sides("ce")[cross:] > 0)
    assert np.all(np.diff(ce["ul_gap"][:cross]) < 0)
    assert np.all(np.diff(ce["ul_gap"][cross:]) > 0)
    # ICE-FT's UL is above golden's from the start: its gap widens throughout
    assert np.all(sides("ice") > 0) and np.all(np.diff(paths["ice"]["ul_gap"]) > 0)
    # and the report says so, naming CE-FT's crossing by its weights
    details = {c.name.removeprefix("C8.gap_"): c.detail for c in result.checks}
    alphas = claims.C8_ALPHAS
    assert (f"passes golden's UL between alpha = {alphas[cross - 1]:g} and alpha = "
            f"{alphas[cross]:g}") in details["ce"]
    assert "narrows throughout" in details["kl"] and "widens throughout" in details["ice"]


def test_a_crossing_is_described_where_it_happens():
    from linunlearn.checks import _crossing
    labels = ("a", "b", "c", "d")
    assert "between b and c" in _crossing([1, 2, 3, 4], [2.5] * 4, "g", labels)
    assert "falls below g between a and b" in _crossing([4, 2, 1, 0], [3] * 4, "g", labels)
    assert "crosses g 2 times" in _crossing([1, 3, 1, 1], [2] * 4, "g", labels)
    assert "narrows throughout" in _crossing([1, 1], [2, 2], "g")


def test_c8_variants_match_the_methods_module():
    data = DEFAULT_REGIMES["overlap"].scenario.sample(rng=2)
    import linunlearn as lu
    for variant, method, alpha in (("ce", "ce_ft", 0.3), ("kl", "kl_ft", 0.1),
                                   ("ice", "ice_ft", 0.3)):
        batched = claims.regulariser_path(data, alpha, 5, variant=variant)
        single = lu.solve(data, method, alpha=alpha, steps=5).w
        # same objective and step size (1/L at weight 1), two implementations
        np.testing.assert_allclose(batched, single, rtol=1e-10, atol=1e-12)


def test_symbolic_disproof_makes_the_claim_fail():
    claim = CLAIMS["C7"]
    bad = ({"name": "x", "verdict": "disproved", "statement": "", "detail": ""},)
    result = check_claim(claim, "overlap", trials=TRIALS, symbolic=bad)
    assert result.verdict == "fails"
    unsure = ({"name": "x", "verdict": "inconclusive", "statement": "", "detail": ""},)
    assert check_claim(claim, "overlap", trials=TRIALS,
                       symbolic=unsure).verdict == "inconclusive"


def test_same_seed_same_numbers_whatever_the_workers():
    reg = DEFAULT_REGIMES["noisy-overlap"]
    seq = montecarlo.seed_sequence(3, "a")
    one = montecarlo.run_trials(claims.stat_golden_unlearning_loss, reg.scenario,
                                600, seq)
    with lu_parallel.executor(2) as pool:
        two = montecarlo.run_trials(claims.stat_golden_unlearning_loss, reg.scenario,
                                    600, montecarlo.seed_sequence(3, "a"), executor=pool)
    np.testing.assert_array_equal(one, two)
    other = montecarlo.run_trials(claims.stat_golden_unlearning_loss, reg.scenario,
                                  600, montecarlo.seed_sequence(4, "a"))
    assert not np.array_equal(one, other)


def test_verify_report_and_json(tmp_path, capsys):
    path = tmp_path / "evidence.json"
    code = main(["verify", "--claims", "C1", "C7", "--regimes", "overlap",
                 "--trials", "50", "--json", str(path), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "C7" in out and "HOLDS" in out
    evidence = json.loads(path.read_text())
    entries = evidence["claims"]
    assert {(e["id"], e["regime"], e["verdict"]) for e in entries} == {
        ("C1", "overlap", "holds"), ("C7", "overlap", "holds")}
    assert entries[0]["checks"][0]["n_trials"] == 50
    assert evidence["seed"] == 0


def test_json_ids_are_claim_ids_and_parts_are_separate(tmp_path):
    path = tmp_path / "evidence.json"
    main(["verify", "--claims", "C5", "--trials", "20", "--json", str(path), "--quiet"])
    entries = json.loads(path.read_text())["claims"]
    assert {e["id"] for e in entries} == {"C5"}
    parts = {e["part"] for e in entries}
    assert parts == {"", "keeps-overlap", "disparity", "disparity-salun"}
    mapped = [e for e in entries if e["coords"]]
    assert len(mapped) == 2 * 16
    assert {e["key"] for e in mapped} == {"C5-disparity", "C5-disparity-salun"}
    # every (key, regime) pair is reported once
    assert len({(e["key"], e["regime"]) for e in entries}) == len(entries)


def test_verify_exits_nonzero_when_a_claim_that_should_hold_fails(monkeypatch, capsys):
    original = claims.closed_form

    def wrong(batch, method, *args):  # a projection that is not golden
        w = original(batch, method, *args)
        return 1.01 * w if method == "projection" else w

    monkeypatch.setattr(claims, "closed_form", wrong)
    code = main(["verify", "--claims", "C7", "--regimes", "overlap", "--trials", "50",
                 "--quiet"])
    assert code == 1
    assert "CONTRADICTED" in capsys.readouterr().out


def test_verify_reports_a_premise_that_does_not_apply(monkeypatch):
    monkeypatch.setitem(DEFAULT_REGIMES, "overlap", NOT_INTERPOLATING)
    (result,) = verifier.verify(["C7"], ["overlap"], trials=20).results
    assert result.verdict == "inconclusive" and result.checks[0].kind == "premise"
    assert "need not interpolate" in result.checks[0].detail
    # check_claim runs the checks anyway: that is how a false case is fed
    assert check_claim("C7", "overlap", trials=20).verdict == "fails"


@pytest.mark.parametrize("argv, message", [
    (["verify", "--claims", "C9"], "unknown claim 'C9'"),
    (["verify", "--regimes", "nowhere"], "unknown regime 'nowhere'"),
    (["verify", "--precision", "0"], "precision must be > 0"),
    (["verify", "--trials", "1"], "trials must be >= 2"),
    (["verify", "--claims", "C4", "--regimes", "overlap"], "nothing to run"),
    (["verify", "--claims", "C5-disparity", "--no-map"], "nothing to run"),
])
def test_verify_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--quiet"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_interval_and_seed_validation():
    with pytest.raises(ValueError, match="at least 2 trials"):
        montecarlo.confidence_interval([1.0])
    with pytest.raises(ValueError, match="seed must be >= 0"):
        montecarlo.seed_sequence(-1)


def test_evidence_is_the_same_whatever_the_workers():
    # 600 trials make three batches, so the pool really splits the work.
    alone = check_claim("C1", UNDERPARAMETERISED_NOISY, trials=600)
    with lu_parallel.executor(2) as pool:
        pooled = check_claim("C1", UNDERPARAMETERISED_NOISY, trials=600, executor=pool)
    assert alone == pooled
    assert "rank deficient" in pooled.checks[0].detail


def test_a_premise_that_does_not_apply_is_shown_as_such():
    # before: "INCONCLUSIVE" in the claim's row while the summary counted it apart
    report = verifier.verify(["C4"], [DEFAULT_REGIMES["overlap"]], trials=20)
    table = verifier.format_report(report)
    assert "premise does not apply" in table and "INCONCLUSIVE" not in table
    assert report.results[0].verdict == "inconclusive"  # the evidence is unchanged


@pytest.mark.parametrize("args, error, message", [
    (("C1",), TypeError, r"claims must be a list, e.g. \['C1'\], got the string 'C1'"),
    (([],), ValueError, "claims is empty"),
    ((["C1"], []), ValueError, "regimes is empty"),
    ((["C1"], "overlap"), TypeError, "regimes must be a list"),
])
def test_verify_names_a_string_or_an_empty_selection(args, error, message):
    with pytest.raises(error, match=message):
        verifier.verify(*args)
