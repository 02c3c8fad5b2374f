"""Fuzzing the public API and the command line with random inputs.

Random shapes, dtypes, scales (1e-310 to 1e200), ranks and paths. Every
input is answered either by the promised error (a ValueError or TypeError
raised by linunlearn, naming the parameter) or by the pseudo-inverse answer,
checked against numpy's SVD route (``numpy.linalg.lstsq``); never a
traceback from inside numpy, never NaN, never a RuntimeWarning of numpy's.

Tolerances. On data of unit size the closed forms lose up to about
``cond(X)^2 eps`` relative to the weights (a Cholesky solve of ``X X^T``,
taken only when ``cond(X) <= 1e4``; the SVD route loses ``cond(X) eps``):
:func:`_close` allows ``1e3 cond^2 eps`` (the dimension factors are below
20 here). Data far from unit size are solved rescaled by a power of two,
exactly, so the same tolerance holds relative to the answer's own size.
A computed singular value within a factor 1e3 of the rank cut-off
(``max(n, d) eps`` times the largest) may be kept by one route and dropped
by the other: such draws are compared on their fitted values only.
"""

import os
import re
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import linunlearn as lu
from linunlearn.cli import main

EPS = np.finfo(float).eps
#: 100 fixed examples per test in the suite (about a second each); set
#: FUZZ_EXAMPLES=3000 for a longer, random search (3000 each passed here).
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 100)), deadline=None,
                derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

#: Names an error may give for what the user passed.
PARAMETERS = ("X_r", "y_r", "X_f", "y_f", "[X_r; X_f]", "X_test_r", "y_test_r",
              "X_test_f", "y_test_f", "d_r", "d_f", "d_lap", "n_r", "n_f", "sigma",
              "teacher", "methods", "method", "--data", "w_star", "n_test")


def _assert_promised(exc):
    """A ValueError or TypeError that linunlearn raised, naming a parameter."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    assert frames, repr(exc)
    raised_in = frames[-1].filename
    assert f"{os.sep}linunlearn{os.sep}" in raised_in, (raised_in, repr(exc))
    assert any(name in str(exc) for name in PARAMETERS), str(exc)


# --------------------------------------------------------------------------
# inputs


@st.composite
def matrices(draw, n, d):
    """A matrix of shape (n, d), of a given rank, columns sometimes all zero."""
    rank = draw(st.integers(0, min(n, d)))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))
    if draw(st.booleans()):  # a column no row uses
        X[:, draw(st.integers(0, d - 1))] = 0.0
    return X


SCALES = st.sampled_from([1.0, 1.0, 1.0, 1e-310, 1e-200, 1e-155, 1e-60, 1e60, 1e140,
                          1e160, 1e200])
DTYPES = st.sampled_from(["float64", "float64", "float64", "float32", "int64", "bool",
                          "complex128", "object", "str"])


@st.composite
def user_arrays(draw):
    """Arrays for ``Dataset(X_r, y_r, X_f, y_f)``: mostly valid, sometimes not."""
    n_r, n_f, d = (draw(st.integers(1, 6)), draw(st.integers(1, 6)),
                   draw(st.integers(1, 10)))
    X = draw(matrices(n_r + n_f, d))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    k = draw(st.sampled_from([None, None, 1, 3]))
    y = rng.standard_normal((n_r + n_f,) if k is None else (n_r + n_f, k))
    s, t = draw(SCALES), draw(SCALES)
    fault = draw(st.sampled_from([None] * 6 + ["dtype", "nan", "shape", "columns"]))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # making the input: casts that overflow
        arrays = {"X_r": X[:n_r] * s, "y_r": y[:n_r] * t, "X_f": X[n_r:] * s,
                  "y_f": y[n_r:] * t}
        if fault == "dtype":
            key = draw(st.sampled_from(sorted(arrays)))
            arrays[key] = arrays[key].astype(draw(DTYPES))
    if fault == "nan":
        key = draw(st.sampled_from(sorted(arrays)))
        arrays[key] = arrays[key].copy()
        arrays[key].flat[0] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    elif fault == "shape":
        arrays["y_r"] = arrays["y_r"][:-1] if n_r > 1 else np.ones((n_r, 2, 2))
    elif fault == "columns":
        arrays["X_f"] = np.hstack([arrays["X_f"], np.ones((n_f, 1))])
    return arrays


# --------------------------------------------------------------------------
# the reference: numpy's SVD route, on the data as stored


def _lstsq(X, y):
    """``X^+ y`` by numpy's SVD route; ``X`` and ``y`` rescaled exactly first (powers of two).

    Returns ``None`` when the answer overflows (linunlearn must then refuse).
    """
    peak, top = np.max(np.abs(X)), np.max(np.abs(y))
    if peak == 0 or top == 0:
        return np.zeros((X.shape[1], *y.shape[1:]))
    k, j = -np.frexp(peak)[1], -np.frexp(top)[1]  # y too: denormal labels lose bits
    with np.errstate(over="ignore"):
        w = np.ldexp(np.linalg.lstsq(np.ldexp(X, k), np.ldexp(y, j), rcond=None)[0],
                     k - j)
    return w if np.all(np.isfinite(w)) else None


def _ambiguous_rank(X):
    """Whether a singular value lies near the rank cut-off (routes may disagree)."""
    peak = np.max(np.abs(X))
    if peak == 0:
        return False
    s = np.linalg.svd(np.ldexp(X, -np.frexp(peak)[1]), compute_uv=False)
    cutoff = s[0] * max(X.shape) * EPS
    return bool(np.any((s > cutoff / 1e3) & (s < cutoff * 1e3)))


def _cond(X):
    peak = np.max(np.abs(X))
    if peak == 0:
        return 1.0
    s = np.linalg.svd(np.ldexp(X, -np.frexp(peak)[1]), compute_uv=False)
    live = s[s > s[0] * max(X.shape) * EPS]
    return live[0] / live[-1]


def _close(w, expected, size, *Xs):
    """``w`` equals ``expected`` within the tolerance of the module docstring.

    ``size``: the largest weight computed on the way (``w_o`` for the models
    built from it), which round-off is relative to.
    """
    kappa = max(_cond(X) for X in Xs)
    tol = 1e3 * kappa ** 2 * EPS * size
    np.testing.assert_allclose(w, expected, rtol=0, atol=max(tol, 1e-300))


def _expected(data, method):
    """A core model's pseudo-inverse answer by numpy, the data it solves, its size.

    The answer is ``None`` when it is not usable (it overflows, or exceeds
    the inputs' limit 1e150): linunlearn must refuse then.
    """
    with np.errstate(all="ignore"):
        w, Xs, parts = _reference(data, method)
    usable = w is not None and np.all(np.isfinite(w)) and np.max(np.abs(w)) <= 1e150
    size = max([float(np.max(np.abs(p))) for p in parts if p is not None and p.size]
               or [0.0])
    return (w if usable else None), Xs, size


def _reference(data, method):
    if method == "golden":
        w = _lstsq(data.X_r, data.y_r)
        return w, (data.X_r,), [w]
    w_o = _lstsq(data.X, data.y)
    if method == "pretrained" or w_o is None:
        return w_o, (data.X,), [w_o]
    if method == "finetune":
        step = _lstsq(data.X_r, data.y_r - data.X_r @ w_o)
        w = None if step is None else w_o + step
    elif method == "projection":
        w = _lstsq(data.X_r, data.X_r @ w_o)
    else:  # rbm: keep w_o on the columns X_r uses, then fine-tune (reset)
        used = np.any(data.X_r != 0, axis=0).reshape((-1,) + (1,) * (w_o.ndim - 1))
        step = _lstsq(data.X_r, data.y_r - data.X_r @ (used * w_o))
        w = None if step is None else used * w_o + step
    return w, (data.X, data.X_r), [w_o, w]


# --------------------------------------------------------------------------
# the public API


@FUZZ
@given(user_arrays(), st.sampled_from(["pretrained", "finetune", "golden", "rbm",
                                       "projection"]))
def test_the_api_answers_every_input(arrays, method):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarnings included
        warnings.simplefilter("ignore", lu.LinunlearnWarning)  # the package's own
        try:
            data = lu.Dataset(**arrays)
        except Exception as exc:  # noqa: BLE001 - the promise is checked
            _assert_promised(exc)
            event("Dataset refused the input")
            return
        expected, Xs, size = _expected(data, method)
        try:
            sol = lu.solve(data, method)
        except Exception as exc:  # noqa: BLE001
            _assert_promised(exc)
            assert expected is None, (method, str(exc))  # refused only on overflow
            event("solve refused: the weights overflow")
            return
        assert expected is not None, "numpy's answer overflows: expected an error"
        assert np.all(np.isfinite(sol.w))
        if not any(_ambiguous_rank(X) for X in Xs):
            _close(sol.w, expected, size, *Xs)
            event("compared with numpy")
        else:
            event("rank cut-off ambiguous: not compared")
        metrics = lu.evaluate(data, sol.w)
        assert all(np.isfinite(v) and v >= 0 for v in metrics.values()), metrics


@st.composite
def scenario_options(draw):
    """Options of ``Scenario.overlapping``, mostly valid."""
    d_r, d_f = draw(st.integers(-1, 8)), draw(st.integers(-1, 8))
    return dict(d_r=d_r, d_f=d_f, d_lap=draw(st.integers(-1, 8)),
                n_r=draw(st.integers(-1, 6)), n_f=draw(st.integers(-1, 6)),
                sigma=draw(st.sampled_from([0.0, 0.5, -1.0, 1e148, 1e200, np.nan,
                                            np.inf, "1"])),
                teacher=draw(st.sampled_from(["shared", "separate", "both"])))


@FUZZ
@given(scenario_options(), st.integers(0, 2 ** 32 - 1))
def test_scenarios_answer_every_option(options, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", lu.LinunlearnWarning)
        try:
            scenario = lu.Scenario.overlapping(**options, n_test=5)
        except Exception as exc:  # noqa: BLE001
            _assert_promised(exc)
            return
        data = scenario.sample(rng=seed)
        batch = scenario.sample_batch(np.random.SeedSequence(seed).spawn(2))
        for method in ("golden", "finetune"):
            expected, Xs, size = _expected(data, method)
            w = lu.solve(data, method).w
            if not any(_ambiguous_rank(X) for X in Xs):
                _close(w, expected, size, *Xs)
            batch_w = lu.solutions.closed_form(batch, method)
            assert np.all(np.isfinite(batch_w))
        results = lu.solve_all(data, ["golden", "rbm"])
        assert set(results) == {"golden", "rbm"}
        for methods in ("golden", 3, [object()]):
            with pytest.raises((ValueError, TypeError)) as exc:
                lu.solve_all(data, methods)
            _assert_promised(exc.value)


# --------------------------------------------------------------------------
# the command line


@FUZZ
@given(user_arrays(), st.sampled_from([None] * 6 + ["missing", "extra", "folder",
                                                      "nonexistent", "empty", "text",
                                                      "pickle"]))
def test_the_cli_answers_every_data_file(tmp_path_factory, arrays, fault):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "data.npz"
    if fault == "missing":
        arrays.pop("y_f")
    elif fault == "extra":
        arrays["w_star"] = np.ones(3)
    elif fault == "pickle":
        arrays["X_r"] = np.array([[1, "a"]], dtype=object)
    if fault in ("folder", "nonexistent"):
        path = folder if fault == "folder" else folder / "missing.npz"
    elif fault == "empty":
        path.write_bytes(b"")
    elif fault == "text":
        path.write_text("X_r = [[1, 2]]")
    else:
        np.savez(path, **arrays)
    import contextlib
    import io
    import json
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", lu.LinunlearnWarning)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["solve", "--data", str(path), "--json", "--methods",
                             "golden", "finetune"])
            except SystemExit as exc:
                code = exc.code
    if code != 0:
        assert code == 2, err.getvalue()
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("linunlearn solve: error: "), lines
        assert "Traceback" not in err.getvalue()
        assert fault is not None or any(name in lines[0] for name in PARAMETERS)
        return
    assert fault is None, fault
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.LinunlearnWarning)
        data = lu.Dataset(**arrays)
    results = json.loads(out.getvalue())["methods"]
    for method in ("golden", "finetune"):
        expected, Xs, size = _expected(data, method)
        assert expected is not None
        row = results[method]
        for key, (X, y) in (("remaining_loss", (data.X_r, data.y_r)),
                            ("unlearning_loss", (data.X_f, data.y_f))):
            assert np.isfinite(row[key]) and row[key] >= 0
            if not any(_ambiguous_rank(X_) for X_ in Xs) and _cond(data.X) < 1e4:
                loss = float(np.sum((X @ expected - y) ** 2)) / len(y)
                scale = float(np.sum(y ** 2)) / len(y) + loss
                assert abs(row[key] - loss) <= 1e-6 * scale + 1e-300, (key, row[key], loss)
