"""linunlearn.explorer: the function behind the sliders, tested without a browser."""

import subprocess
import sys

import numpy as np
import pytest

from linunlearn import explorer, montecarlo, regimes
from linunlearn.explorer import explore

I = {m: i for i, m in enumerate(explorer.explore(trials=2).methods)}
UL, RL = 0, 1


@pytest.fixture(scope="module")
def default():
    return explore()


def test_the_defaults_are_the_sliders(default):
    assert default.settings == dict(overlap=0.4, sample_ratio=0.5, sigma=0.0,
                                    mask="support")
    assert default.sizes == dict(d_r=60, d_f=40, d_lap=16, n_r=30, n_f=15)
    assert default.n_trials == 100 and default.interpolating
    assert default.methods == ("pretrained", "finetune", "golden", "rbm", "fbm",
                               "projection")


@pytest.mark.parametrize("setting", [dict(), dict(sigma=0.5), dict(overlap=0.8,
                                                                    sample_ratio=0.3)])
def test_exact_values_agree_with_the_monte_carlo(setting):
    """Golden's exact expectations lie in the Monte Carlo interval (400 draws)."""
    e = explore(**setting, trials=400)
    for method in ("golden", "projection"):
        for j in (UL, RL):
            i = I[method]
            assert e.low[i, j] <= e.exact[i, j] <= e.high[i, j], (method, j)
    # C1, C2: while w_o interpolates, UL is 0 in every draw, not on average only
    for method in ("pretrained", "finetune"):
        assert e.exact[I[method], UL] == 0.0
        assert e.high[I[method], UL] < 1e-20
    assert e.source("rbm", "unlearning_loss") == "monte carlo"
    assert np.isnan(e.exact[I["rbm"]]).all() and np.isnan(e.exact[I["fbm"]]).all()


def test_the_exact_golden_value_is_the_theory(default):
    from linunlearn import theory
    w = regimes.flat_teacher(60, 40, 16)
    assert default.value("golden", "unlearning_loss") == \
        theory.expected_golden_unlearning_loss(60, 40, 16, 30, w)
    assert default.value("golden", "test_remaining_loss") == \
        theory.expected_golden_remaining_loss(60, 40, 16, 30, w)


def test_outside_the_papers_regime_only_golden_is_exact():
    e = explore(overlap=1.0, sample_ratio=0.9, sigma=0.3)   # n = 69 > 60 features
    assert not e.interpolating
    assert e.source("golden", "unlearning_loss") == "exact"
    for method in ("pretrained", "finetune", "projection"):
        assert e.source(method, "unlearning_loss") == "monte carlo"
    assert e.mean[I["finetune"], UL] > 1e-3                # w_o no longer fits D_f


def test_the_claims_show_in_the_numbers():
    distinct = explore(overlap=0.0, trials=50)
    assert np.allclose(distinct.mean[I["rbm"]], distinct.mean[I["golden"]],
                       rtol=1e-10)                              # C4
    full = explore(overlap=1.0, sample_ratio=0.3, trials=50)
    assert np.allclose(full.mean[I["rbm"]], full.mean[I["finetune"]], rtol=1e-10)  # C6
    e = explore(trials=50)
    assert e.mean[I["rbm"], UL] > e.mean[I["finetune"], UL]     # C5: RBM forgets more


def test_the_mask_choice_changes_fbm_only():
    a, b = explore(trials=50), explore(mask="salun", trials=50)
    assert b.settings["mask"] == "salun"
    assert not np.allclose(a.mean[I["fbm"]], b.mean[I["fbm"]])
    for method in ("pretrained", "finetune", "golden", "rbm", "projection"):
        assert np.array_equal(a.mean[I[method]], b.mean[I[method]])


def test_same_seed_same_numbers_other_seed_other_numbers(default):
    again = explore()
    assert np.array_equal(default.mean, again.mean)
    assert np.array_equal(default.coordinates, again.coordinates)
    other = explore(seed=1)
    assert not np.allclose(default.mean[I["rbm"]], other.mean[I["rbm"]])


def _first_draw(e):
    """The explorer's first draw, rebuilt from the public seed stream."""
    sizes = e.sizes
    scenario = regimes.flat_scenario(**sizes, sigma=e.settings["sigma"])
    children = montecarlo.seed_sequence(e.seed, "explorer").spawn(e.n_trials)
    return scenario.sample_batch(children)[0]


def test_the_picture_against_an_independent_projection(default):
    """Frame and coordinates recomputed with numpy.linalg.pinv (d = 84: small)."""
    import linunlearn as lu
    data = _first_draw(default)
    P = np.linalg.pinv(data.X_r) @ data.X_r
    w_o = np.linalg.pinv(data.X) @ data.y
    row, unseen = P @ w_o, w_o - P @ w_o
    on_b = np.where(data.support_r, 0.0, unseen)
    basis = np.array([v / np.linalg.norm(v) for v in (row, unseen - on_b, on_b)])
    assert np.allclose(basis @ basis.T, np.eye(3), atol=1e-12)   # orthonormal
    for i, method in enumerate(default.methods):
        w = lu.solve(data, method).w
        c = basis @ w
        assert np.allclose(default.coordinates[i], c, atol=1e-9), method
        assert np.isclose(default.off_picture[i], np.linalg.norm(w - c @ basis),
                          atol=1e-9), method
    # the models that fit D_r lie on the plane x = fits_remaining, and every
    # one of the paper's models but FBM is in the picture (C2, C3, C5, C7)
    for method in ("pretrained", "finetune", "golden", "rbm", "projection"):
        assert np.isclose(default.coordinates[I[method], 0], default.fits_remaining)
        assert default.off_picture[I[method]] < 1e-9
    assert default.off_picture[I["fbm"]] > 1e-3
    c = default.coordinates
    assert np.allclose(c[I["golden"], 1:], 0, atol=1e-12)      # w_g = P_r w_o
    assert np.allclose(c[I["rbm"]], [c[0, 0], c[0, 1], 0.0])   # w_B reset, rest kept


def test_undefined_axes_with_distinct_features():
    e = explore(overlap=0.0, trials=10)
    assert e.axes_defined == (True, False, True)
    assert np.all(e.coordinates[:, 1] == 0)
    full = explore(overlap=1.0, sample_ratio=0.3, trials=10)
    assert full.axes_defined == (True, True, False)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(overlap=1.5), ValueError, "overlap must be <= 1.0, got 1.5"),
    (dict(overlap=-0.1), ValueError, "overlap must be >= 0.0"),
    (dict(sample_ratio=0.95), ValueError, "sample_ratio must be <= 0.9"),
    (dict(sample_ratio=0.0), ValueError, "sample_ratio must be >= 0.05"),
    (dict(sigma=-1.0), ValueError, "sigma must be >= 0.0"),
    (dict(sigma="a"), TypeError, "sigma must be a real number"),
    (dict(mask="random"), ValueError, "mask must be one of 'support', 'salun'"),
    (dict(trials=1), ValueError, "trials must be >= 2"),
    (dict(seed=-1), ValueError, "seed must be >= 0"),
])
def test_bad_input_names_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        explore(**kwargs)


def test_value_names_a_wrong_method(default):
    with pytest.raises(ValueError, match="method must be one of"):
        default.value("salun", "unlearning_loss")
    with pytest.raises(ValueError, match="metric must be one of"):
        default.value("golden", "test_loss")


def test_draw_and_png(default):
    fig = explorer.draw(default)
    assert len(fig.axes) == 3 and fig.axes[2].name == "3d"
    png = explorer.to_png(default)
    assert png.startswith(b"\x89PNG")


def test_the_explorer_widget_redraws_on_a_slider():
    x = explorer.Explorer(trials=20)
    assert x.exploration.settings["overlap"] == 0.4
    first = bytes(x.image.value)
    assert first.startswith(b"\x89PNG")
    x.controls["overlap"].value = 0.0
    assert x.exploration.sizes["d_lap"] == 0
    assert bytes(x.image.value) != first
    x.controls["mask"].value = "salun"
    assert x.exploration.settings == dict(overlap=0.0, sample_ratio=0.5, sigma=0.0,
                                          mask="salun")
    assert "redrawn in" in x.status.value and x.seconds > 0
    assert "application/vnd.jupyter.widget-view+json" in x._repr_mimebundle_()


def test_the_core_install_stays_light():
    """Neither ``import linunlearn`` nor the explorer module imports ipywidgets."""
    code = ("import sys, linunlearn, linunlearn.explorer, linunlearn.exercises; "
            "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'sympy', 'IPython') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
