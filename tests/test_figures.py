"""Figures: each figure's data in quick mode, the manifest, reproducible bytes."""

import hashlib
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from linunlearn import figures
from linunlearn.cli import main
from linunlearn.solutions import PAPER_METHODS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "figures")


@pytest.fixture(scope="module")
def quick():
    """Every figure's data, computed once in quick mode with seed 0."""
    return {name: spec.compute(0, quick=True) for name, spec in figures.FIGURES.items()
            if not (spec.unavailable and spec.unavailable())}


def test_import_linunlearn_does_not_import_matplotlib():
    code = "import sys, linunlearn; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


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
    ul, test_r = 0, 1
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
    assert data.checks[0] == "C5.disparity"
    shape = (len(data.checks), len(data.overlap_ratios), len(data.sample_ratios))
    assert data.verdicts.shape == data.means.shape == data.n_trials.shape == shape
    assert set(np.unique(data.verdicts)) <= {"holds", "fails", "inconclusive", "n/a"}
    # distinct features: RBM and FBM reset the same weights, so the disparity
    # difference is exactly 0 and the claim holds
    assert np.all(data.verdicts[0, 0] == "holds")
    assert_allclose(data.means[0, 0], 0, atol=1e-12)
    # full overlap: RBM is fine-tuning, so it cannot forget more (C6)
    forgets = data.checks.index("C5.rbm_forgets_more")
    assert np.all(data.verdicts[forgets, -1] == "fails")
    # every quick cell is overparameterised and ran the fixed 30 trials
    assert np.all(data.n_trials[data.verdicts != "n/a"] == 30)


def test_claim_map_cells_are_the_verifiers(quick):
    from linunlearn import claims
    data = quick["claim_map"]
    regime = claims.disparity_map_regimes((0.5,), (0.2,))[0]
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
    assert data.remaining.shape == data.unlearning.shape == (3, a)
    assert data.budget_remaining.shape == (len(data.budgets), a)
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


def test_tradeoff_unavailable_is_explained(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(figures, "available_methods", lambda: ("finetune",))
    reason = figures.tradeoff_unavailable()
    assert "ce_ft" in reason and "not registered" in reason
    result = figures.write_figures(["tradeoff"], str(tmp_path), quick=True)
    assert result.written == {} and "ce_ft" in result.skipped["tradeoff"]
    main(["figures", "tradeoff", "--quick", "--out", str(tmp_path), "--quiet"])
    assert "tradeoff: not produced: the discriminative" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="not registered"):
        figures.compute_tradeoff(0, quick=True)


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


def test_pdf_bytes_are_reproducible(tmp_path):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = figures.write_figures(["geometry", "sample_sweep"], str(out), seed=3,
                                       quick=True)
        digests.append({n: [hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()
                            for p in paths] for n, paths in result.written.items()})
    assert digests[0] == digests[1]
    pdf = (tmp_path / "a" / "geometry.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"seed=3" in pdf


def test_committed_figures_match_the_manifest_and_registry():
    manifest = figures.read_manifest(os.path.join(COMMITTED, figures.MANIFEST))
    expected = [n for n, s in figures.FIGURES.items()
                if not (s.unavailable and s.unavailable())]
    assert manifest == expected
    files = sorted(f for f in os.listdir(COMMITTED) if f != figures.MANIFEST)
    assert files == sorted(f"{n}.{ext}" for n in manifest for ext in ("pdf", "png"))
    for n in manifest:
        pdf = pathlib.Path(COMMITTED, f"{n}.pdf").read_bytes()
        assert b"seed=0; quick=False" in pdf


@pytest.mark.parametrize("name", ["geometry"])
def test_committed_figure_is_what_the_cli_writes(tmp_path, name):
    """The cheap figures regenerate byte for byte from the default seed."""
    main(["figures", name, "--out", str(tmp_path), "--quiet"])
    for ext in ("pdf", "png"):
        new = (tmp_path / f"{name}.{ext}").read_bytes()
        old = pathlib.Path(COMMITTED, f"{name}.{ext}").read_bytes()
        assert new == old


def test_write_figures_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="unknown figure 'nope'; known: training"):
        figures.write_figures(["nope"], str(tmp_path))
    with pytest.raises(ValueError, match="seed must be >= 0"):
        figures.write_figures(["geometry"], str(tmp_path), seed=-1)


def test_cli_lists_figures(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for name in figures.FIGURES:
        assert name in out


def test_every_figure_draws(quick):
    from matplotlib.figure import Figure
    for name, data in quick.items():
        fig = figures.render(name, data)
        assert isinstance(fig, Figure) and fig.axes
        for ax in fig.axes:
            assert ax.has_data(), (name, ax.get_title())


def test_seed_changes_the_numbers():
    a = figures.compute_sample_sweep(0, quick=True).mean
    b = figures.compute_sample_sweep(1, quick=True).mean
    assert not np.allclose(a, b)
