"""figures.draw: rounding for drawing, and every figure draws from its quick data."""

import pathlib

import numpy as np
from numpy.testing import assert_allclose

from linunlearn import figures


def test_tidy_removes_round_off():
    x = np.array([1e-16, -1e-16, -0.0, 0.1234567890123456, np.nan, -2.5])
    out = figures.draw._tidy(x)
    assert_allclose(out, [0, 0, 0, 0.123456789, np.nan, -2.5], rtol=1e-15)
    assert not np.any(np.signbit(out[:3]))
    # numbers that differ by round-off are drawn as the same number
    y = np.array([0.1, 0.385100811646, 1.919818, 2.0 / 3.0])
    assert np.array_equal(figures.draw._tidy(y * (1 + 4e-16)), figures.draw._tidy(y))
    # structures keep their shape; strings and integers pass through
    data = figures.draw._tidy({"a": (1, np.float64(-1e-20), "s"), "b": [np.arange(3)]})
    assert data["a"] == (1, 0.0, "s") and data["b"][0].dtype.kind == "i"


def test_drawing_is_robust_to_round_off(quick, tmp_path):
    """Data that differ by round-off (as on another BLAS) give the same PDF bytes."""
    import dataclasses
    data = quick["tradeoff"]
    rng = np.random.default_rng(0)

    def jitter(x):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return x * (1 + 2e-16 * rng.standard_normal(x.shape)) \
                + 1e-17 * rng.standard_normal(x.shape)
        return x

    other = dataclasses.replace(data, **{f.name: jitter(getattr(data, f.name))
                                         for f in dataclasses.fields(data)})
    assert not np.array_equal(other.remaining, data.remaining)
    pdfs = []
    for i, d in enumerate((data, other)):
        paths = figures.save(figures.render("tradeoff", d), str(tmp_path / f"t{i}"),
                             name="tradeoff", seed=0, quick=True)
        pdfs.append(pathlib.Path(paths[0]).read_bytes())
    assert pdfs[0] == pdfs[1]


def test_every_figure_draws(quick):
    from matplotlib.figure import Figure
    for name, data in quick.items():
        fig = figures.render(name, data)
        assert isinstance(fig, Figure) and fig.axes
        for ax in fig.axes:
            assert ax.has_data(), (name, ax.get_title())
