"""The figures of the paper's synthetic experiments, computed and drawn.

Every figure has one pure function that computes its data (a frozen
dataclass, tested) and one that draws it (a :class:`matplotlib.figure.Figure`).
:data:`FIGURES` maps each name to both; :func:`write_figures` writes PDF and
PNG files, and ``linunlearn figures`` calls it.

===================  ==========================================================
name                 what it shows
===================  ==========================================================
``training_curves``  remaining and unlearning loss over gradient-descent steps:
                     pretraining, then fine-tuning versus retraining (golden),
                     with golden's exact expected unlearning loss (C1, C2)
``overlap_sweep``    unlearning and remaining test loss of the six models of
                     the paper against the overlap ratio ``d_lap / d_f``
                     (Monte Carlo means with bands; exact curves)
``sample_sweep``     the same against the sample ratio ``n_r / d_r``
``claim_map``        verdicts of C5's checks over overlap ratio by ``n_r / d_r``
``tradeoff``         unlearning against remaining loss of the discriminative
                     regularisers ``ce_ft``, ``ice_ft``, ``kl_ft`` as their
                     weight varies (C8)
``method_gaps``      average gap to golden of every method of
                     ``linunlearn compare`` in each default regime
``regime_gaps``      fine-tuning's unlearning-loss gap to golden against the
                     ridge penalty, the fine-tuning budget and ``n_r / d_r``
                     across the interpolation threshold
``geometry``         a 3-D picture of where each model lands (C2, C3, C4, C7)
===================  ==========================================================

Numbers depend on the seed alone: each Monte Carlo sweep point draws from
``montecarlo.seed_sequence(seed, name, ...)``; the claim map runs the
verifier's own checks (:meth:`linunlearn.checks.Check.run`) with the seed, so
its cells are what ``linunlearn verify`` reports for the same regimes.
Matplotlib is imported here only, never by ``import linunlearn``; figures are
drawn on the Agg canvas without pyplot, so no global backend is changed.
Every draw function passes its data through :func:`_tidy` (plotted numbers
rounded to 10 significant digits, round-off-sized values set to exactly 0), so
that round-off, which depends on the BLAS build and its thread count, does not
reach the bytes written; :func:`write_figures` also computes with one BLAS
thread.

Examples
--------
>>> from linunlearn import figures
>>> data = figures.compute_geometry(seed=0)
>>> sorted(data.points)
['finetune', 'golden', 'pretrained', 'projection', 'rbm']
"""

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import __version__, montecarlo
from ._validation import check_int
from .metrics import evaluate
from .scenarios import Scenario
from .simulate import gradient_descent
from .solutions import (PAPER_METHODS, available_methods, closed_form, mask_for,
                        method_spec, solve)

__all__ = ["FIGURES", "FigureSpec", "WriteResult", "write_figures", "STYLE",
           "method_style", "VERDICT_COLOURS", "GEOMETRY_COLOURS", "THEORY_STYLE",
           "MANIFEST", "read_manifest", "render", "save",
           "TrainingCurves", "TrainingCase", "Sweep", "ClaimMap", "Tradeoff",
           "MethodGaps", "RegimeGaps", "Geometry", "compute_training_curves",
           "compute_overlap_sweep", "compute_sample_sweep", "compute_claim_map",
           "compute_tradeoff", "compute_method_gaps", "compute_regime_gaps",
           "compute_geometry", "draw_training_curves", "draw_sweep",
           "draw_claim_map", "draw_tradeoff", "draw_method_gaps",
           "draw_regime_gaps", "draw_geometry"]

#: Width of one paper column and of the full text, in inches.
COLUMN, FULL = 3.4, 6.9

#: Matplotlib settings of every figure (applied with ``rc_context``).
STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
    "font.family": "DejaVu Sans", "mathtext.fontset": "dejavusans",
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.linewidth": 0.6, "lines.linewidth": 1.2, "lines.markersize": 4,
    "legend.frameon": False, "savefig.dpi": 200,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "linunlearn",
}

# Method styles come from the method declarations (register_method's label,
# color and marker): Okabe & Ito's colour-blind-safe palette for the paper's
# models, Paul Tol's muted set for the other methods. A method declared
# without a style gets one of _FALLBACK_COLOURS and a marker, in declaration
# order. Variants of a method (``ce_ft[k=5]``) share its style, drawn hollow.
_FALLBACK_COLOURS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE",
                     "#AA3377", "#BBBBBB")
_FALLBACK_MARKERS = ("o", "s", "^", "v", "D", "P", "X")


def method_style(name):
    """``dict(color, marker, label)`` of a declared method (see :func:`linunlearn.register_method`).

    Examples
    --------
    >>> method_style("golden")["label"]
    'golden $w_g$ (retrained)'
    """
    spec = method_spec(name)
    style = dict(spec.style)
    if style["color"] is None or style["marker"] is None:
        unstyled = [m for m in available_methods()
                    if None in (method_spec(m).style["color"], method_spec(m).style["marker"])]
        i = unstyled.index(name)
        style["color"] = style["color"] or _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)]
        style["marker"] = style["marker"] or _FALLBACK_MARKERS[i % len(_FALLBACK_MARKERS)]
    return style


#: Colour of each verdict in claim maps (Paul Tol's light scheme: no method
#: uses these colours), and white for cells outside the regime.
VERDICT_COLOURS = {"holds": "#77AADD", "fails": "#EE8866",
                   "inconclusive": "#DDDDDD", "n/a": "#FFFFFF"}
_VERDICT_SYMBOL = {"holds": "\u2713", "fails": "\u2717", "inconclusive": "?",
                   "n/a": ""}

#: Colours of the geometric objects of the ``geometry`` figure (used by no method).
GEOMETRY_COLOURS = {"plane": "#EEDD88", "plane_edge": "#AA9900",
                    "row_space": "#555555"}

#: Exact (theory) curves: a broad translucent stroke under the Monte Carlo
#: data, so that a mean lying on its expectation stays visible.
THEORY_STYLE = dict(color="#000000", alpha=0.28, linewidth=3.5,
                    solid_capstyle="butt", zorder=1)

#: File in the output directory that lists the figures written there.
MANIFEST = "MANIFEST.txt"

#: Plotted numbers keep this many significant digits, and values smaller than
#: ``_TINY`` in magnitude are drawn as exactly 0: every quantity drawn here is
#: a loss or weight of order 1e-3 to 10, while round-off (whose sign and last
#: digits depend on the BLAS build and thread count) is near 1e-15. Without
#: this a converged loss of +-1e-16 flips a marker offset between 0 and -0 in
#: the PDF.
_DIGITS, _TINY = 10, 1e-12


def _tidy(data):
    """Round every float of ``data`` (dataclass, dict, tuple, array, number) for drawing.

    Returns the same structure with floats rounded to ``_DIGITS`` significant
    digits and magnitudes below ``_TINY`` set to exactly ``0.0`` (never -0).
    Strings, integers and ``None`` pass through.
    """
    import dataclasses
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return dataclasses.replace(data, **{f.name: _tidy(getattr(data, f.name))
                                            for f in dataclasses.fields(data)
                                            if f.init})
    if isinstance(data, dict):
        return {k: _tidy(v) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return type(data)(_tidy(v) for v in data)
    if isinstance(data, (float, np.floating)):
        return float(_tidy(np.array([data]))[0])
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        x = np.array(data, float)
        tiny = np.abs(x) < _TINY
        keep = np.isfinite(x) & ~tiny
        scale = 10.0 ** (_DIGITS - 1 - np.floor(np.log10(np.abs(x[keep]))))
        x[keep] = np.round(x[keep] * scale) / scale
        x[tiny] = 0.0
        return x + 0.0  # turns -0.0 into 0.0
    return data


_METRIC_LABEL = {"unlearning_loss": "unlearning loss UL (train, $D_f$)",
                 "test_remaining_loss": "remaining test loss"}


def _flat_scenario(d_r, d_f, d_lap, n_r, n_f, **options):
    """A scenario with :func:`linunlearn.regimes.flat_teacher` on the used features.

    Every block then carries a share of ``||w*||^2 = 1`` proportional to its
    size, so that sweeps over ``d_lap`` or ``n_r`` change one thing at a time
    (the default random teacher would be redrawn at every point).
    """
    from .regimes import flat_teacher
    return Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f,
                                w_star=flat_teacher(d_r, d_f, d_lap), **options)


def _theory_args(scenario):
    used = scenario.support_r | scenario.support_f
    return (scenario.d_r, scenario.d_f, scenario.d_lap, scenario.n_r,
            scenario.w_r_star[used])


def _golden_expectations(scenario):
    """Exact ``E UL(w_g)`` and ``E`` remaining test loss of golden (``theory``)."""
    from . import theory
    args = _theory_args(scenario)
    ul = theory.expected_golden_unlearning_loss(*args, sigma=scenario.sigma)
    test_r = theory.expected_golden_remaining_loss(*args, sigma=scenario.sigma)
    return float(ul), float(test_r)


def _report(progress, done, total):
    if progress is not None:
        progress(done, total)


#: The teacher of :func:`_flat_scenario`, as figure footers state it.
_FLAT_TEACHER = "flat teacher $w^* = 1/\\sqrt{d}$ on the d used features, noiseless"


def _footer(fig, text):
    """The small grey line at the top right that states a figure's setting."""
    fig.text(0.99, 0.995, text, ha="right", va="top", fontsize=6, color="#555555",
             linespacing=1.3)


# --------------------------------------------------------------------------
# 1. training curves


@dataclass(frozen=True)
class TrainingCase:
    """Loss histories on one scenario, averaged over draws of the data.

    Every array is indexed by the gradient-descent step (step 0 is the start)
    and holds the mean over ``n_draws`` independent data sets; a run that
    stopped early (converged) keeps its final value.

    Attributes
    ----------
    name, description : str
    pretrain_remaining, pretrain_unlearning : ndarray of shape (k_pre + 1,)
        RL and UL while pretraining (GD on ``D_r + D_f`` from 0).
    finetune_remaining, finetune_unlearning : ndarray of shape (k + 1,)
        RL and UL while fine-tuning from ``w_o`` on ``D_r``, run for as many
        steps as retraining took (``gtol=0``: it keeps stepping).
    golden_remaining, golden_unlearning : ndarray of shape (k + 1,)
        RL and UL while retraining from 0 on ``D_r`` to convergence.
    golden_unlearning_low, golden_unlearning_high : ndarray of shape (k + 1,)
        Confidence interval of the mean golden UL at every step
        (``montecarlo.CONFIDENCE``).
    expected_golden_unlearning : float
        Exact ``E UL(w_g)`` over draws of the data (``theory``).
    n_draws : int
    """

    name: str
    description: str
    pretrain_remaining: np.ndarray
    pretrain_unlearning: np.ndarray
    finetune_remaining: np.ndarray
    finetune_unlearning: np.ndarray
    golden_remaining: np.ndarray
    golden_unlearning: np.ndarray
    golden_unlearning_low: np.ndarray
    golden_unlearning_high: np.ndarray
    expected_golden_unlearning: float
    n_draws: int


@dataclass(frozen=True)
class TrainingCurves:
    """Data of the ``training_curves`` figure: one :class:`TrainingCase` per case."""

    cases: tuple
    seed: int


_TRAINING_CASES = (("distinct", 0, "distinct features, $d_{lap} = 0$"),
                   ("overlap", 16, "overlap, $d_{lap}/d_f = 0.4$"))


def _padded(histories):
    """Stack histories of different lengths, each padded with its last value."""
    k = max(len(h) for h in histories)
    return np.array([np.concatenate([h, np.full(k - len(h), h[-1])]) for h in histories])


def compute_training_curves(seed=0, *, quick=False, progress=None):
    """Run gradient descent stage by stage, as the paper trains, on many draws.

    Scenario: ``d_r = 60, d_f = 40, n_r = 30, n_f = 15``, flat teacher,
    noiseless; ``d_lap = 0`` and ``16``. Each draw is pretrained by gradient
    descent (:func:`linunlearn.gradient_descent`, step ``1/L``, to
    convergence), then fine-tuned and retrained on ``D_r``. Curves are means
    over 100 draws (quick: 10).
    """
    seed = check_int(seed, "seed", minimum=0)
    n_draws = 10 if quick else 100
    cases = []
    total = n_draws * len(_TRAINING_CASES)
    for i, (name, d_lap, description) in enumerate(_TRAINING_CASES):
        scenario = _flat_scenario(60, 40, d_lap, 30, 15)
        children = montecarlo.seed_sequence(seed, "training_curves", name).spawn(n_draws)
        runs = {"pre": [], "ft": [], "golden": []}
        for t, child in enumerate(children):
            data = scenario.sample(rng=np.random.default_rng(child))
            monitors = {"remaining_loss": (data.X_r, data.y_r),
                        "unlearning_loss": (data.X_f, data.y_f)}
            pre = gradient_descent(data.X, data.y, np.zeros(data.d), monitors=monitors)
            golden = gradient_descent(data.X_r, data.y_r, np.zeros(data.d),
                                      monitors=monitors)
            ft = gradient_descent(data.X_r, data.y_r, pre.w, monitors=monitors,
                                  gtol=0.0, max_steps=golden.n_steps)
            for key, run in (("pre", pre), ("ft", ft), ("golden", golden)):
                runs[key].append(run.history)
            _report(progress, i * n_draws + t + 1, total)
        curves = {(key, loss): _padded([h[loss] for h in hs]) for key, hs in runs.items()
                  for loss in ("remaining_loss", "unlearning_loss")}
        g = curves["golden", "unlearning_loss"]
        half = (_t_quantile(n_draws) * g.std(axis=0, ddof=1) / np.sqrt(n_draws))
        mean = lambda key, loss: curves[key, loss].mean(axis=0)  # noqa: E731
        cases.append(TrainingCase(
            name, description,
            mean("pre", "remaining_loss"), mean("pre", "unlearning_loss"),
            mean("ft", "remaining_loss"), mean("ft", "unlearning_loss"),
            mean("golden", "remaining_loss"), g.mean(axis=0),
            g.mean(axis=0) - half, g.mean(axis=0) + half,
            _golden_expectations(scenario)[0], n_draws))
    return TrainingCurves(tuple(cases), seed)


def _t_quantile(n):
    """Two-sided Student-t quantile of ``montecarlo.CONFIDENCE`` for ``n`` samples."""
    import scipy.stats
    return float(scipy.stats.t.ppf(0.5 + montecarlo.CONFIDENCE / 2, n - 1))


def draw_training_curves(data):
    """Two rows (cases) by two columns (pretraining, unlearning)."""
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = _new_figure(FULL, 4.6)
    axes = fig.subplots(2, 2, sharey="row", gridspec_kw=dict(width_ratios=(1, 1.35)))
    g, ft = method_style("golden")["color"], method_style("finetune")["color"]
    pre = method_style("pretrained")["color"]
    for row, case in zip(axes, data.cases):
        ax = row[0]
        steps = np.arange(len(case.pretrain_remaining))
        ax.plot(steps, case.pretrain_remaining, color=pre)
        ax.plot(steps, case.pretrain_unlearning, color=pre, linestyle="--")
        ax.set_ylabel(f"{case.description}\nmean squared loss")
        ax = row[1]
        steps = np.arange(len(case.golden_remaining))
        ax.fill_between(steps, case.golden_unlearning_low, case.golden_unlearning_high,
                        color=g, alpha=0.08, linewidth=0)
        ax.plot(steps, case.golden_remaining, color=g)
        ax.plot(steps, case.golden_unlearning, color=g, linestyle="--")
        ax.plot(steps, case.finetune_remaining, color=ft)
        ax.plot(steps, case.finetune_unlearning, color=ft, linestyle="--", linewidth=2.0)
        ax.axhline(case.expected_golden_unlearning, **THEORY_STYLE)
        ax.annotate(f"exact $E\\,UL(w_g) = {case.expected_golden_unlearning:.3f}$",
                    (steps[-1], case.expected_golden_unlearning),
                    xytext=(0, -6), textcoords="offset points", ha="right",
                    va="top", fontsize=7)
        ax.annotate("fine-tuning: RL and UL stay 0", (steps[-1], 0.0),
                    xytext=(0, 3), textcoords="offset points", ha="right",
                    va="bottom", fontsize=7, color=ft)
        for ax in row:
            ax.set_xscale("symlog", linthresh=10, linscale=0.6)
            ax.set_xlim(0, ax.lines[0].get_xdata()[-1])
            ax.set_ylim(-0.03, 1.08 * max(np.max(case.pretrain_remaining),
                                          np.max(case.golden_unlearning_high)))
    axes[0, 0].set_title("pretraining: GD on $D_r \\cup D_f$ from 0")
    axes[0, 1].set_title("unlearning: GD on $D_r$, fine-tuning from $w_o$ "
                         "or retraining from 0")
    for ax in axes[1]:
        ax.set_xlabel("gradient-descent step (log scale beyond 10)")
    key = "#555555"  # line-style keys: no method's colour
    styles = [Line2D([], [], color=key, linestyle="-", label="remaining loss RL"),
              Line2D([], [], color=key, linestyle="--", label="unlearning loss UL"),
              Line2D([], [], **{**THEORY_STYLE, "linewidth": 3.0},
                     label="exact $E\\,UL(w_g)$")]
    colours = [Line2D([], [], color=pre, label="pretraining"),
               Line2D([], [], color=ft, label="fine-tuning"),
               Line2D([], [], color=g, label="retraining (golden)")]
    for handles, title, x in ((styles, "line style", 0.02), (colours, "colour", 0.52)):
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(x, 0.0),
                   ncol=3, handlelength=2.0, columnspacing=1.0, handletextpad=0.4,
                   title=title, title_fontsize=7, alignment="left")
    _footer(fig, f"means over {data.cases[0].n_draws} draws per case (band: "
                 f"{100 * montecarlo.CONFIDENCE:g}% interval of golden's mean UL)\n"
                 f"d_r=60, d_f=40, n_r=30, n_f=15; {_FLAT_TEACHER}")
    fig.subplots_adjust(left=0.085, right=0.99, top=0.88, bottom=0.19,
                        hspace=0.28, wspace=0.06)
    return fig


# --------------------------------------------------------------------------
# 2, 3. sweeps over the overlap ratio and the sample ratio


_SWEEP_METRICS = ("unlearning_loss", "test_remaining_loss")


def _paper_metrics(batch):
    """Per trial, for each of :data:`PAPER_METHODS`: UL and remaining test loss.

    Returns an array of shape (trials, 6, 2).
    """
    out = []
    for method in PAPER_METHODS:
        mask, semantics = (mask_for(batch, method) if method in ("rbm", "fbm")
                           else (None, "reset"))
        metrics = evaluate(batch, closed_form(batch, method, mask, semantics))
        out.append(np.stack([metrics[k] for k in _SWEEP_METRICS], axis=-1))
    return np.stack(out, axis=1)


@dataclass(frozen=True)
class Sweep:
    """Data of a sweep figure (``overlap_sweep``, ``sample_sweep``).

    Attributes
    ----------
    name : str
    parameter : str
        Axis label of the swept ratio.
    x : ndarray of shape (p,)
        The swept ratio.
    scenarios : tuple of str
        ``(d_r, d_f, d_lap, n_r, n_f)`` of each point, as text.
    methods : tuple of str
        :data:`linunlearn.solutions.PAPER_METHODS`.
    metrics : tuple of str
        ``("unlearning_loss", "test_remaining_loss")``.
    mean, low, high : ndarray of shape (p, 6, 2)
        Monte Carlo means and confidence interval ends.
    theory : dict of (method, metric) to ndarray of shape (p,)
        Exact expectations where the theory gives them: golden's (and so
        projection's, C7) from :mod:`linunlearn.theory`, and the zero
        unlearning loss of the pretrained and fine-tuned models (C2).
    n_trials : int
    confidence : float
    seed : int
    setting : str
        The fixed sizes and the teacher, as the figure's footer states them.
    """

    name: str
    parameter: str
    x: np.ndarray
    scenarios: tuple
    methods: tuple
    metrics: tuple
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    theory: dict
    n_trials: int
    confidence: float
    seed: int
    setting: str = ""


def _sweep(name, parameter, x, scenarios, n_trials, seed, progress, setting):
    mean, low, high = (np.empty((len(x), len(PAPER_METHODS), 2)) for _ in range(3))
    theory = {(m, k): np.empty(len(x)) for m in ("golden", "projection")
              for k in _SWEEP_METRICS}
    for i, (ratio, scenario) in enumerate(zip(x, scenarios)):
        values = montecarlo.run_trials(_paper_metrics, scenario, n_trials,
                                       montecarlo.seed_sequence(seed, name, f"{ratio:g}"))
        for j in range(len(PAPER_METHODS)):
            for k in range(2):
                e = montecarlo.confidence_interval(values[:, j, k])
                mean[i, j, k], low[i, j, k], high[i, j, k] = e.estimate, e.low, e.high
        ul, test_r = _golden_expectations(scenario)
        for m in ("golden", "projection"):
            theory[m, "unlearning_loss"][i] = ul
            theory[m, "test_remaining_loss"][i] = test_r
        _report(progress, i + 1, len(x))
    for m in ("pretrained", "finetune"):
        theory[m, "unlearning_loss"] = np.zeros(len(x))
    text = tuple(f"d_r={s.d_r}, d_f={s.d_f}, d_lap={s.d_lap}, n_r={s.n_r}, "
                 f"n_f={s.n_f}" for s in scenarios)
    return Sweep(name, parameter, np.asarray(x, float), text, PAPER_METHODS,
                 _SWEEP_METRICS, mean, low, high, theory, n_trials,
                 montecarlo.CONFIDENCE, seed, f"{setting}; {_FLAT_TEACHER}")


def compute_overlap_sweep(seed=0, *, quick=False, progress=None):
    """Monte Carlo of the six models against ``d_lap / d_f``.

    ``d_r = 60, d_f = 40, n_r = 30, n_f = 15``, flat teacher, noiseless;
    ``d_lap / d_f`` from 0 to 1 in steps of 0.1 (quick: 0, 0.5, 1), 1000
    trials per point (quick: 40).
    """
    seed = check_int(seed, "seed", minimum=0)
    x = (0.0, 0.5, 1.0) if quick else tuple(np.round(np.linspace(0, 1, 11), 2))
    scenarios = [_flat_scenario(60, 40, int(round(r * 40)), 30, 15) for r in x]
    return _sweep("overlap_sweep", "overlap ratio $d_{lap} / d_f$", x, scenarios,
                  40 if quick else 1000, seed, progress,
                  "d_r=60, d_f=40, n_r=30, n_f=15, d_lap = ratio * d_f")


def compute_sample_sweep(seed=0, *, quick=False, progress=None):
    """Monte Carlo of the six models against ``n_r / d_r``.

    ``d_r = 60, d_f = 40, d_lap = 16, n_f = 15``, flat teacher, noiseless;
    ``n_r / d_r`` from 0.1 to 0.9 in steps of 0.1 (quick: 0.2, 0.5, 0.8),
    1000 trials per point (quick: 40).
    """
    seed = check_int(seed, "seed", minimum=0)
    x = (0.2, 0.5, 0.8) if quick else tuple(np.round(np.linspace(0.1, 0.9, 9), 2))
    scenarios = [_flat_scenario(60, 40, 16, int(round(r * 60)), 15) for r in x]
    return _sweep("sample_sweep", "sample ratio $n_r / d_r$", x, scenarios,
                  40 if quick else 1000, seed, progress,
                  "d_r=60, d_f=40, d_lap=16, n_f=15, n_r = ratio * d_r")


# Nested markers, so that coinciding curves stay visible (golden = projection
# exactly; pretrained = fine-tuned, and for the remaining test loss also RBM):
# large hollow shapes behind, small filled ones in front.
_SWEEP_DRAW = {"pretrained": dict(markersize=8, markerfacecolor="none", zorder=2),
               "finetune": dict(markersize=3, zorder=4),
               "golden": dict(markersize=7, markerfacecolor="none", zorder=2),
               "rbm": dict(markersize=6, markerfacecolor="none", zorder=3),
               "fbm": dict(markersize=4.5, zorder=3),
               "projection": dict(markersize=4.5, zorder=4)}

_SHORT_LABEL = {"pretrained": "$w_o$", "finetune": "$w_{ft}$", "golden": "$w_g$",
                "rbm": "RBM", "fbm": "FBM", "projection": "$P_r w_o$"}


def _coinciding(methods, values):
    """Groups (of two or more) of methods whose curves are equal at every point.

    ``values`` has shape (points, methods); equal means within ``rtol=1e-9``
    (the closed forms agree to round-off, ~1e-15, when the models coincide).
    """
    groups, seen = [], set()
    for j, m in enumerate(methods):
        if m in seen:
            continue
        group = [k for k in range(len(methods))
                 if np.allclose(values[:, k], values[:, j], rtol=1e-9, atol=_TINY)]
        if len(group) > 1:
            groups.append([methods[k] for k in group])
            seen.update(methods[k] for k in group)
    return groups


def draw_sweep(data):
    """Two panels: unlearning loss and remaining test loss against the ratio."""
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = _new_figure(FULL, 3.0)
    axes = fig.subplots(1, 2)
    titles = ("(a) forgetting: higher is more forgotten",
              "(b) remaining performance: lower is better")
    for k, (ax, metric) in enumerate(zip(axes, data.metrics)):
        for j, method in enumerate(data.methods):
            style = method_style(method)
            ax.fill_between(data.x, data.low[:, j, k], data.high[:, j, k],
                            color=style["color"], alpha=0.18, linewidth=0)
            ax.plot(data.x, data.mean[:, j, k], color=style["color"],
                    marker=style["marker"], linewidth=0.8, label=style["label"],
                    **_SWEEP_DRAW[method])
        for (method, m), curve in data.theory.items():
            if m == metric and method != "projection":
                ax.plot(data.x, curve, **THEORY_STYLE)
        ax.set_xlabel(data.parameter)
        ax.set_ylabel(_METRIC_LABEL[metric])
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.margins(x=0.03)
        same = _coinciding(data.methods, data.mean[:, :, k])
        note = "; ".join(" = ".join(_SHORT_LABEL[m] for m in g) for g in same)
        ax.set_title(titles[k], pad=12 if note else 6)
        if note:
            ax.text(0.5, 1.0, f"equal at every point: {note}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=6.5, color="#555555")
    handles, _ = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], **{**THEORY_STYLE, "linewidth": 3.0},
                          label="exact expectation"))
    fig.legend(handles=handles, loc="lower center", ncol=7, columnspacing=1.0,
               handletextpad=0.4)
    _footer(fig, f"Monte Carlo: {data.n_trials} draws per point, bands "
                 f"{100 * data.confidence:g}% confidence\n{data.setting}")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.8, bottom=0.26, wspace=0.22)
    return fig


# --------------------------------------------------------------------------
# 4. claim maps


def _map_checks(claim_id="C5"):
    """The checks the claim map shows: a claim's mapped parts first, then its other parts."""
    from . import claims
    parts = [c for c in claims.CLAIMS.values() if c.id == claim_id]
    ordered = [c for c in parts if c.mapped] + [c for c in parts if not c.mapped]
    return tuple(check.name for c in ordered for check in c.checks)
_MAP_TITLES = {"C5.disparity": "C5 disparity: gap(RBM) $\\leq$ gap(FBM)",
               "C5.disparity_salun_mask": "C5 disparity: gap(RBM) $\\leq$ gap(FBM)",
               "C5.rbm_forgets_more": "C5: UL(RBM) > UL(fine-tuned)",
               "C5.rbm_keeps_overlap": "C5: test$_r$(RBM) $\\leq$ test$_r$(FBM)"}


def _mask_text(options, data_set):
    """``{"saliency": "gradient", "ratio": 0.2, ...}`` as words."""
    semantics = options.get("semantics", "reset")
    if options.get("saliency", "support") == "support":
        return f"support of $D_{data_set}$, {semantics}"
    return (f"top {100 * options['ratio']:g}% by {options['saliency']} saliency "
            f"of $D_{data_set}$, {semantics}")


@dataclass(frozen=True)
class ClaimMap:
    """Data of the ``claim_map`` figure.

    Attributes
    ----------
    checks : tuple of str
        Names of the verifier's checks mapped (C5's disparity parts first).
    statements : tuple of str
    masks : tuple of dict
        RBM's and FBM's mask options of each check (``Check.masks``).
    teacher : str
        ``"flat"`` when every regime has the flat teacher
        (:func:`linunlearn.regimes.flat_teacher`), else ``"other"``.
    overlap_ratios : ndarray of shape (a,)
    sample_ratios : ndarray of shape (b,)
    verdicts : ndarray of str, shape (checks, a, b)
        ``"holds"``, ``"fails"``, ``"inconclusive"``, or ``"n/a"`` where the
        regime is not overparameterised (``n_r + n_f >= |S_r + S_f|``) and the
        claim does not apply.
    means : ndarray of shape (checks, a, b)
        Monte Carlo mean of each check's statistic (NaN for ``"n/a"``).
    equal : ndarray of bool, shape (checks, a, b)
        The statistic (a difference) is 0 within ``checks.ZERO_ATOL`` in every
        draw: both sides of the claim are equal there (at full overlap, C6:
        RBM is fine-tuning).
    n_trials : ndarray of int, shape (checks, a, b)
    seed : int
    precision : float or None
        The verifier's precision (``None``: fixed ``trials``).
    """

    checks: tuple
    statements: tuple
    masks: tuple
    teacher: str
    overlap_ratios: np.ndarray
    sample_ratios: np.ndarray
    verdicts: np.ndarray
    means: np.ndarray
    equal: np.ndarray
    n_trials: np.ndarray
    seed: int
    precision: float = None


def compute_claim_map(seed=0, *, quick=False, progress=None):
    """Run C5's checks on a grid of overlap ratio by ``n_r / d_r``.

    Regimes from :func:`linunlearn.regimes.map_regimes` (``d_r = 60,
    d_f = 40, n_f = 15``, flat teacher, noiseless): overlap ratio 0 to 1 in
    steps of 0.1 by ``n_r / d_r`` 0.1 to 0.9 (quick: 3 by 2 with 30 trials).
    Each cell is :meth:`linunlearn.checks.Check.run` with the verifier's
    default adaptive sample size (trials are added until the interval settles
    the sign), so cells are exactly what ``linunlearn verify`` reports for the
    same regime and seed.
    """
    from . import claims, regimes
    from .checks import ZERO_ATOL
    seed = check_int(seed, "seed", minimum=0)
    if quick:
        laps, nrs, trials, precision = (0.0, 0.5, 1.0), (0.2, 0.5), 30, None
    else:
        laps = tuple(np.round(np.linspace(0, 1, 11), 2))
        nrs = tuple(np.round(np.linspace(0.1, 0.9, 9), 2))
        trials, precision = None, 0.05
    checks = {c.name: c for cl in claims.CLAIMS.values() for c in cl.checks}
    cells = regimes.map_regimes(laps, nrs)
    flat = all(np.array_equal(r.scenario.w_r_star, regimes.flat_teacher(
        r.scenario.d_r, r.scenario.d_f, r.scenario.d_lap)) for r in cells)
    shape = (len(_map_checks()), len(laps), len(nrs))
    verdicts = np.full(shape, "n/a", dtype=object)
    means = np.full(shape, np.nan)
    equal = np.zeros(shape, bool)
    n_trials = np.zeros(shape, int)
    names = _map_checks()
    total, done = len(names) * len(cells), 0
    for c, name in enumerate(names):
        for r, regime in enumerate(cells):
            a, b = divmod(r, len(nrs))
            if regime.interpolating:
                result = checks[name].run(regime, seed, trials=trials,
                                          precision=precision or 0.05)
                e = result.estimate
                verdicts[c, a, b] = result.verdict
                means[c, a, b] = e["mean"]
                equal[c, a, b] = max(abs(e["low"]), abs(e["high"])) <= ZERO_ATOL
                n_trials[c, a, b] = result.n_trials
            done += 1
            _report(progress, done, total)
    return ClaimMap(names, tuple(checks[n].statement for n in names),
                    tuple(checks[n].masks for n in names),
                    "flat" if flat else "other", np.asarray(laps, float),
                    np.asarray(nrs, float), verdicts.astype(str), means, equal,
                    n_trials, seed, precision)


def draw_claim_map(data):
    """Two rows of panels: C5's disparity per FBM mask; C5's other checks."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle
    data = _tidy(data)
    n = len(data.checks)
    rows = (n + 1) // 2
    fig = _new_figure(FULL, 2.45 * rows + 0.75)
    axes = np.atleast_1d(fig.subplots(rows, 2, sharex=True, sharey=True)).ravel()
    order = ("holds", "fails", "inconclusive", "n/a")
    cmap = ListedColormap([VERDICT_COLOURS[v] for v in order])
    codes = np.vectorize(order.index)(data.verdicts)
    na = "#BBBBBB"
    for c, ax in enumerate(axes[:n]):
        ax.pcolormesh(np.arange(len(data.overlap_ratios) + 1),
                      np.arange(len(data.sample_ratios) + 1), codes[c].T, cmap=cmap,
                      vmin=-0.5, vmax=3.5, edgecolors="white", linewidth=0.6)
        for a in range(len(data.overlap_ratios)):
            for b in range(len(data.sample_ratios)):
                v = data.verdicts[c, a, b]
                if v == "n/a":
                    ax.add_patch(Rectangle((a + 0.06, b + 0.06), 0.88, 0.88,
                                           facecolor="none", edgecolor=na,
                                           hatch="////", linewidth=0))
                    continue
                symbol = "=" if data.equal[c, a, b] else _VERDICT_SYMBOL[v]
                ax.text(a + 0.5, b + 0.5, symbol, ha="center", va="center",
                        fontsize=7, color="#000000")
        masks = data.masks[c] or {}
        title = _MAP_TITLES.get(data.checks[c], data.checks[c])
        if "disparity" in data.checks[c] or "overlap" in data.checks[c]:
            title += f"\nFBM: {_mask_text(masks.get('fbm', {}), 'f')}"
        full = np.flatnonzero(data.overlap_ratios == 1.0)
        used = data.verdicts[c, full[0]] != "n/a" if len(full) else None
        if data.checks[c] == "C5.rbm_forgets_more" and len(full) and np.any(used) \
                and np.all(data.equal[c, full[0]][used]):
            title += "\n= at $d_{lap} = d_f$: RBM is fine-tuning there (C6)"
        ax.set_title(title, fontsize=7.5, linespacing=1.3)
        ax.set_xticks(np.arange(len(data.overlap_ratios)) + 0.5)
        ax.set_xticklabels([f"{x:g}" for x in data.overlap_ratios])
        ax.set_yticks(np.arange(len(data.sample_ratios)) + 0.5)
        ax.set_yticklabels([f"{x:g}" for x in data.sample_ratios])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - 2):n]:
        ax.set_xlabel("overlap ratio $d_{lap} / d_f$")
    for ax in axes[:n:2]:
        ax.set_ylabel("sample ratio $n_r / d_r$")
    labels = {"holds": "holds", "fails": "fails", "inconclusive": "inconclusive",
              "n/a": "n/a: $n_r + n_f \\geq d$ (not overparameterised)"}
    handles = [Patch(facecolor=VERDICT_COLOURS[v], edgecolor=na, linewidth=0.5,
                     hatch="////" if v == "n/a" else None,
                     label=f"{_VERDICT_SYMBOL[v]} {labels[v]}".strip()) for v in order]
    handles.append(Patch(facecolor="white", edgecolor="white",
                         label="= both sides equal in every draw"))
    fig.legend(handles=handles, loc="lower center", ncol=5, handlelength=1.5,
               columnspacing=1.2)
    trials = data.n_trials[data.n_trials > 0]
    span = (f"{trials.min()}" if len(trials) and trials.min() == trials.max()
            else f"{trials.min()}-{trials.max()}" if len(trials) else "no")
    rule = ("" if data.precision is None else
            " (added until the interval settles the sign)")
    rbm = _mask_text((data.masks[0] or {}).get("rbm", {}), "r")
    teacher = _FLAT_TEACHER if data.teacher == "flat" else "teachers vary by cell"
    _footer(fig, f"Monte Carlo per cell: {span} draws{rule}; verdicts at "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence\n"
                 f"d_r=60, d_f=40, n_f=15; {teacher}; RBM keeps the {rbm.split(',')[0]}")
    fig.subplots_adjust(left=0.08, right=0.99, top=1 - 0.75 / fig.get_figheight(),
                        bottom=0.75 / fig.get_figheight(), hspace=0.42, wspace=0.06)
    return fig


# --------------------------------------------------------------------------
# 5. trade-off of the discriminative regularisers


_REGULARISED = ("ce_ft", "ice_ft", "kl_ft")


def tradeoff_unavailable():
    """Why the ``tradeoff`` figure cannot be produced, or ``None`` if it can."""
    missing = [m for m in _REGULARISED if m not in available_methods()]
    if missing:
        return (f"the discriminative-regularisation methods {', '.join(missing)} "
                f"are not registered with linunlearn.solve yet (C8)")
    return None


@dataclass(frozen=True)
class Tradeoff:
    """Data of the ``tradeoff`` figure.

    Attributes
    ----------
    methods : tuple of str
        ``("ce_ft", "ice_ft", "kl_ft")``.
    alphas : ndarray of shape (a,)
        Weights (``ice_ft`` starts at the smallest positive one).
    steps : int
        Fine-tuning budget of panel (a).
    remaining, unlearning : ndarray of shape (methods, a)
        Mean RL and UL over draws after ``steps`` steps.
    remaining_half, unlearning_half : ndarray of shape (methods, a)
        Half-widths of their confidence intervals (``montecarlo.CONFIDENCE``,
        Student t).
    budgets : tuple
        Budgets of panel (b) (``None``: converged), for ``ce_ft``.
    budget_remaining, budget_unlearning : ndarray of shape (budgets, a)
    budget_remaining_half, budget_unlearning_half : ndarray of shape (budgets, a)
    golden_unlearning : float
        Mean UL of the golden model over the same draws.
    finetune_unlearning : float
        Mean UL of the fine-tuned model (0 up to round-off).
    n_draws : int
    seed : int
    setting : str
        Scenario and teacher, as the footer states them.
    """

    methods: tuple
    alphas: np.ndarray
    steps: int
    remaining: np.ndarray
    unlearning: np.ndarray
    remaining_half: np.ndarray
    unlearning_half: np.ndarray
    budgets: tuple
    budget_remaining: np.ndarray
    budget_unlearning: np.ndarray
    budget_remaining_half: np.ndarray
    budget_unlearning_half: np.ndarray
    golden_unlearning: float
    finetune_unlearning: float
    n_draws: int
    seed: int
    setting: str = ""


def _mean_half(x):
    """Mean over the last axis and the half-width of its confidence interval."""
    n = x.shape[-1]
    return x.mean(-1), _t_quantile(n) * x.std(-1, ddof=1) / np.sqrt(n)


def compute_tradeoff(seed=0, *, quick=False, progress=None):
    """UL and RL of ``ce_ft``, ``ice_ft``, ``kl_ft`` as their weight goes from 0 to 1.

    Scenario ``d_r = 60, d_f = 40, d_lap = 16, n_r = 30, n_f = 15``, flat
    teacher; means and confidence intervals over 100 draws (quick: 3) of:
    each method after 5 steps for 11 weights (quick: 5), and ``ce_ft`` after
    1, 5, 20, 100 steps and at convergence (quick: 5 and convergence).

    Raises
    ------
    RuntimeError
        If the methods are not registered (see :func:`tradeoff_unavailable`).
    """
    reason = tradeoff_unavailable()
    if reason:
        raise RuntimeError(reason)
    seed = check_int(seed, "seed", minimum=0)
    alphas = np.linspace(0, 1, 5 if quick else 11)
    budgets = (5, None) if quick else (1, 5, 20, 100, None)
    n_draws = 3 if quick else 100
    steps = 5
    scenario = _flat_scenario(60, 40, 16, 30, 15)
    children = montecarlo.seed_sequence(seed, "tradeoff").spawn(n_draws)
    shape = (len(_REGULARISED), len(alphas), n_draws)
    rl, ul = np.empty(shape), np.empty(shape)
    brl, bul = (np.empty((len(budgets), len(alphas), n_draws)) for _ in range(2))
    golden, finetune = np.empty(n_draws), np.empty(n_draws)

    def losses(data, w):
        return (float(np.mean((data.X_r @ w - data.y_r) ** 2)),
                float(np.mean((data.X_f @ w - data.y_f) ** 2)))

    for t, child in enumerate(children):
        data = scenario.sample(rng=np.random.default_rng(child))
        golden[t] = losses(data, solve(data, "golden").w)[1]
        finetune[t] = losses(data, solve(data, "finetune").w)[1]
        for i, method in enumerate(_REGULARISED):
            for j, alpha in enumerate(alphas):
                a = max(alpha, alphas[1]) if method == "ice_ft" else alpha
                w = solve(data, method, alpha=float(a), steps=steps).w
                rl[i, j, t], ul[i, j, t] = losses(data, w)
        for i, k in enumerate(budgets):
            for j, alpha in enumerate(alphas):
                w = solve(data, "ce_ft", alpha=float(alpha), steps=k).w
                brl[i, j, t], bul[i, j, t] = losses(data, w)
        _report(progress, t + 1, n_draws)
    (rl, rl_half), (ul, ul_half) = _mean_half(rl), _mean_half(ul)
    (brl, brl_half), (bul, bul_half) = _mean_half(brl), _mean_half(bul)
    return Tradeoff(_REGULARISED, alphas, steps, rl, ul, rl_half, ul_half, budgets,
                    brl, bul, brl_half, bul_half, float(golden.mean()),
                    float(finetune.mean()), n_draws, seed,
                    "d_r=60, d_f=40, d_lap=16, n_r=30, n_f=15; " + _FLAT_TEACHER)


def draw_tradeoff(data):
    """(a) the three regularisers after a fixed budget; (b) CE-FT over budgets.

    RL spans four decades (KL-FT's curve sits well left of CE-FT's), so the
    x-axes are symmetric-logarithmic: linear below ``1e-5``, where the
    fine-tuned model (``alpha = 0``, RL = 0) and converged CE-FT sit.
    """
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = _new_figure(FULL, 3.1)
    axes = fig.subplots(1, 2, sharey=True)
    bars = dict(linestyle="none", elinewidth=0.5, capsize=0, alpha=0.45)

    def curve(ax, x, y, xh, yh, colour, marker, label):
        # alpha = 0 is the fine-tuned model, drawn once on its own: a segment
        # from it across the linear part of the axis would not be data.
        x, y, xh, yh = (v[1:] for v in (x, y, xh, yh))
        ax.errorbar(x, y, xerr=xh, yerr=yh, color=colour, **bars)
        ax.plot(x, y, color=colour, marker=marker, markersize=3.5, linewidth=1.0,
                label=label)

    ax = axes[0]
    for i, method in enumerate(data.methods):
        style = method_style(method)
        curve(ax, data.remaining[i], data.unlearning[i], data.remaining_half[i],
              data.unlearning_half[i], style["color"], style["marker"], style["label"])
        # CE-FT and KL-FT run from alpha = 0 (fine-tuning) to 1; ICE-FT from
        # alpha = 1 (CE-FT at 1) down to the smallest positive weight.
        end = 0 if method == "ice_ft" else -1
        alpha = data.alphas[1] if method == "ice_ft" else data.alphas[-1]
        offset, ha, va = {"ice_ft": ((0, -7), "center", "top"),
                          "ce_ft": ((-6, 2), "right", "bottom"),
                          "kl_ft": ((4, -6), "left", "top")}[method]
        ax.annotate(f"$\\alpha$={alpha:g}", (data.remaining[i, end],
                                            data.unlearning[i, end]),
                    xytext=offset, textcoords="offset points", fontsize=6.5,
                    color=style["color"], ha=ha, va=va)
    ax.set_title(f"(a) after {data.steps} gradient steps, weight "
                 f"$\\alpha$ from 0 to 1")
    ax = axes[1]
    cmap = colormaps["viridis"]
    finite = [k for k in data.budgets if k is not None]
    for i, k in enumerate(data.budgets):
        if k is None:
            # every alpha > 0 gives one model: a single point, no curve
            ax.plot(data.budget_remaining[i, 1:], data.budget_unlearning[i, 1:],
                    linestyle="none", marker="*", markersize=9, color="#000000",
                    markerfacecolor="white", zorder=5,
                    label="converged, every $\\alpha > 0$ (one model)")
            continue
        colour = cmap(0.8 * i / max(len(finite) - 1, 1))
        curve(ax, data.budget_remaining[i], data.budget_unlearning[i],
              data.budget_remaining_half[i], data.budget_unlearning_half[i], colour,
              "o", f"{k} step{'s' if k != 1 else ''}")
    ax.set_title("(b) CE-FT: the trade-off depends on the budget")
    for ax in axes:
        ax.axhline(data.golden_unlearning, color=method_style("golden")["color"],
                   linestyle=(0, (1.5, 1.5)), linewidth=0.9, zorder=1)
        ax.plot([0], [data.finetune_unlearning], linestyle="none",
                **{k: v for k, v in method_style("finetune").items() if k != "label"},
                markersize=5, zorder=6)
        ax.set_xscale("symlog", linthresh=1e-5, linscale=0.4)
        ax.set_xlim(-2e-6, 0.3)
        ax.set_xlabel("remaining loss RL (lower is better; log scale)")
        ax.text(1.5e-5, data.golden_unlearning, "golden UL (mean)", ha="left",
                va="bottom", fontsize=6.5)
    axes[0].set_ylabel("unlearning loss UL (higher: more forgotten)")
    ft = Line2D([], [], linestyle="none", markersize=5, label="fine-tuned ($\\alpha = 0$)",
                **{k: v for k, v in method_style("finetune").items() if k != "label"})
    for ax, where in zip(axes, ((0.02, 0.52), (0.02, 0.3))):
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(handles=handles + [ft], loc="lower left", bbox_to_anchor=where,
                  handlelength=1.6)
    _footer(fig, f"means over {data.n_draws} draws, bars "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence\n{data.setting}")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.84, bottom=0.15, wspace=0.08)
    return fig


# --------------------------------------------------------------------------
# 7. every method's gap to golden (``linunlearn compare``)


@dataclass(frozen=True)
class MethodGaps:
    """Data of the ``method_gaps`` figure: :func:`linunlearn.compare.figure_data`'s gaps.

    Attributes
    ----------
    regimes : tuple of str
        :data:`linunlearn.compare.DEFAULT_COMPARE_REGIMES`.
    descriptions : tuple of str
        Sizes of each regime's scenario.
    methods : tuple of str
        Row labels of :func:`linunlearn.compare.default_methods`
        (``"ce_ft[k=5]"``: CE-FT stopped after 5 steps).
    mean, low, high : ndarray of shape (regimes, methods)
        Monte Carlo mean of the average gap to golden and its interval.
    n_trials : int
    confidence : float
    seed : int
    """

    regimes: tuple
    descriptions: tuple
    methods: tuple
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_trials: int
    confidence: float
    seed: int


def compute_method_gaps(seed=0, *, quick=False, progress=None):
    """Run ``linunlearn compare`` on its default regimes and keep the gaps.

    Each default regime (distinct, 40% overlap, full overlap; default random
    teacher of :data:`linunlearn.regimes.DEFAULT_REGIMES`) with 200 trials
    (quick: 3), every default method, intervals at ``montecarlo.CONFIDENCE``.
    The regimes are run one by one (for the progress bar); each draws from
    ``seed_sequence(seed, "compare", regime)``, so the numbers are those of one
    ``compare(n_trials=..., seed=seed, confidence=...)`` call.
    """
    from . import compare
    seed = check_int(seed, "seed", minimum=0)
    n_trials = 3 if quick else 200
    regimes = compare.DEFAULT_COMPARE_REGIMES
    gaps, descriptions = {}, []
    for i, regime in enumerate(regimes):
        result = compare.compare([regime], n_trials=n_trials, seed=seed,
                                 confidence=montecarlo.CONFIDENCE)
        # no trade-off curves here (alphas=()): the ``tradeoff`` figure has them
        gaps.update(compare.figure_data(result, regime=regime, alphas=(),
                                        n_trials=2, seed=seed)["gap"])
        descriptions.append(result.descriptions[regime])
        _report(progress, i + 1, len(regimes))
    methods = tuple(gaps[regimes[0]])
    cells = np.array([[gaps[r][m] for m in methods] for r in regimes], float)
    return MethodGaps(tuple(regimes), tuple(descriptions), methods, cells[..., 0],
                      cells[..., 1], cells[..., 2], n_trials, result.confidence, seed)


def _row_style(label):
    """Style of a ``compare`` row label: ``"ce_ft[k=5]"`` is CE-FT's, drawn hollow."""
    base, _, variant = label.partition("[")
    style = dict(method_style(base))
    if variant:
        style["label"] = f"{style['label']} [{variant}"
    return style, bool(variant)


def draw_method_gaps(data):
    """One panel per regime: a lollipop per method, mean gap with its interval."""
    data = _tidy(data)
    n = len(data.methods)
    fig = _new_figure(FULL, 0.17 * n + 1.4)
    axes = fig.subplots(1, len(data.regimes), sharey=True)
    y = np.arange(n)[::-1]
    for r, ax in enumerate(np.atleast_1d(axes)):
        for j, label in enumerate(data.methods):
            style, hollow = _row_style(label)
            colour = style["color"]
            ax.plot([0, data.mean[r, j]], [y[j], y[j]], color=colour, linewidth=1.0,
                    linestyle=":" if hollow else "-", alpha=0.7)
            ax.plot([data.low[r, j], data.high[r, j]], [y[j], y[j]], color=colour,
                    linewidth=2.2, alpha=0.35, solid_capstyle="butt")
            ax.plot(data.mean[r, j], y[j], marker=style["marker"], color=colour,
                    markersize=4.5, markerfacecolor="white" if hollow else colour,
                    markeredgewidth=1.0, linestyle="none")
        ax.axvline(0, color="#000000", linewidth=0.6)
        ax.set_xlim(left=-0.04 * ax.get_xlim()[1])
        sizes = data.descriptions[r].split(", sigma")[0].split(", ")
        ax.set_title(f"{data.regimes[r]}\n" + ", ".join(sizes[:3]) + "\n"
                     + ", ".join(sizes[3:]), fontsize=7, linespacing=1.3)
        ax.set_xlabel("average gap to golden")
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.5)
        ax.tick_params(axis="y", length=0)
    ax = np.atleast_1d(axes)[0]
    ax.set_yticks(y)
    ax.set_yticklabels([_row_style(m)[0]["label"] for m in data.methods])
    ax.set_ylim(-0.6, n - 0.4)
    _footer(fig, f"{data.n_trials} draws per regime, default random teacher, "
                 f"noiseless; thick bar: {100 * data.confidence:g}% confidence\n"
                 f"gap = mean |metric - golden's| over UL, RL, test losses and MIA; "
                 f"hollow, dotted: stopped after k steps")
    fig.subplots_adjust(left=0.19, right=0.99, top=1 - 0.85 / fig.get_figheight(),
                        bottom=0.4 / fig.get_figheight(), wspace=0.1)
    return fig


# --------------------------------------------------------------------------
# 8. fine-tuning's gap to golden beyond the paper's regime


@dataclass(frozen=True)
class RegimeGaps:
    """Data of the ``regime_gaps`` figure (from :mod:`linunlearn.families`).

    Every gap is ``UL(w_g) - UL(w)``: positive when ``w`` forgets less than
    the golden model of the same regime. ``*_half`` are half-widths of
    confidence intervals (``montecarlo.CONFIDENCE``: Student-t quantile times
    the standard error the regime functions return).

    Attributes
    ----------
    lambdas : ndarray of shape (p,)
        Ridge penalties (``0``: the paper's regime).
    ridge_unpenalised, ridge_penalised : ndarray of shape (p,)
        :func:`linunlearn.families.ridge_curve`: fine-tuning without the
        penalty to convergence, and with it after ``ridge_steps`` steps,
        against the ridge golden model.
    ridge_unpenalised_half, ridge_penalised_half : ndarray of shape (p,)
    ridge_steps : int
    steps : ndarray of shape (q,)
        Fine-tuning budgets.
    path : dict of str to ndarray of shape (q,)
        :func:`linunlearn.families.early_stopping_path` with the sign flipped:
        ``"finetune"``, ``"rbm"``, ``"fbm"`` paths (start ``w_o`` or its reset).
    path_half : dict of str to ndarray of shape (q,)
    ratios : ndarray of shape (s,)
        Realised ``n_r / d_r`` of :func:`linunlearn.families.transition_curve`.
    transition, transition_half : ndarray of shape (s,)
        Fine-tuning (to convergence) against golden.
    interpolation_ratio : float
        ``n_r / d_r`` at which ``n_r + n_f`` reaches the number of features
        of the transition scenario: below it ``w_o`` interpolates.
    settings : tuple of str
        The scenario of each panel, as the footer states it.
    trials : int
    seed : int
    """

    lambdas: np.ndarray
    ridge_unpenalised: np.ndarray
    ridge_penalised: np.ndarray
    ridge_unpenalised_half: np.ndarray
    ridge_penalised_half: np.ndarray
    ridge_steps: int
    steps: np.ndarray
    path: dict
    path_half: dict
    ratios: np.ndarray
    transition: np.ndarray
    transition_half: np.ndarray
    interpolation_ratio: float
    settings: tuple
    trials: int
    seed: int


#: The transition scenario of :func:`linunlearn.families.transition_curve`
#: (its defaults, restated for the footer and the threshold).
_TRANSITION = dict(d_r=20, d_f=20, d_lap=20, n_f=5, sigma=0.3)


def compute_regime_gaps(seed=0, *, quick=False, progress=None):
    """Fine-tuning's unlearning-loss gap to golden in three regimes beyond the paper.

    (a) ridge, :func:`linunlearn.families.ridge_curve` with ``lambda`` in 0 and
    ``1e-4 ... 1e2`` (13 points; quick: 0, 0.01, 1); (b) early stopping,
    :func:`linunlearn.families.early_stopping_path` over 0 to 1000 steps
    (quick: 0, 5, 50); both on ``d_r = 60, d_f = 40, d_lap = 16, n_r = 30,
    n_f = 15`` with the flat teacher. (c) :func:`linunlearn.families.transition_curve`
    for ``n_r = 2, 4, ..., 40`` (quick: 10, 20, 30) with its default scenario
    ``d_r = d_f = d_lap = 20, n_f = 5, sigma = 0.3`` (default random
    teacher), across ``n_r / d_r = 1``. 1000 trials per point (quick: 10).
    """
    from . import families
    seed = check_int(seed, "seed", minimum=0)
    trials = 10 if quick else 1000
    z = _t_quantile(trials)
    lambdas = (0.0, 1e-2, 1.0) if quick else (0.0, *np.logspace(-4, 2, 13))
    steps = (0, 5, 50) if quick else (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    ratios = (0.5, 1.0, 1.5) if quick else tuple(np.arange(2, 41, 2) / 20)
    scenario = _flat_scenario(60, 40, 16, 30, 15)
    ridge = families.ridge_curve(lambdas, scenario=scenario, trials=trials, seed=seed)
    _report(progress, 1, 3)
    path = families.early_stopping_path(steps, scenario=scenario, trials=trials,
                                       seed=seed)
    _report(progress, 2, 3)
    transition = families.transition_curve(ratios, trials=trials, seed=seed,
                                          **_TRANSITION)
    _report(progress, 3, 3)
    t = _TRANSITION
    d = t["d_r"] + t["d_f"] - t["d_lap"]
    methods = ("finetune", "rbm", "fbm")
    setting = "d_r=60, d_f=40, d_lap=16, n_r=30, n_f=15; " + _FLAT_TEACHER
    return RegimeGaps(
        ridge["lambda"], ridge["gap_unpenalised"], ridge["gap_penalised"],
        z * ridge["gap_unpenalised_se"], z * ridge["gap_penalised_se"],
        ridge["steps"], path["steps"], {m: -path[m] for m in methods},
        {m: z * path[f"{m}_se"] for m in methods}, transition["ratio"],
        transition["ul_gap"], z * transition["ul_gap_se"],
        (d - t["n_f"]) / t["d_r"],
        (setting, setting, f"d_r=d_f=d_lap={t['d_r']}, n_f={t['n_f']}, "
                           f"sigma={t['sigma']:g}; default random teacher"),
        trials, seed)


def draw_regime_gaps(data):
    """Three panels: gap against lambda, against steps, against n_r / d_r."""
    data = _tidy(data)
    fig = _new_figure(FULL, 3.0)
    axes = fig.subplots(1, 3)
    ft = method_style("finetune")

    def band(ax, x, mean, half, colour, marker, label, hollow=False, **kw):
        ax.fill_between(x, mean - half, mean + half, color=colour, alpha=0.2,
                        linewidth=0)
        ax.plot(x, mean, color=colour, marker=marker, markersize=3.5, linewidth=1.0,
                label=label, markerfacecolor="white" if hollow else colour, **kw)

    ax = axes[0]
    band(ax, data.lambdas, data.ridge_unpenalised, data.ridge_unpenalised_half,
         ft["color"], ft["marker"], "no penalty, converged")
    band(ax, data.lambdas, data.ridge_penalised, data.ridge_penalised_half,
         ft["color"], ft["marker"], f"penalised, {data.ridge_steps} steps",
         hollow=True, linestyle="--")
    ax.set_xscale("symlog", linthresh=1e-4, linscale=0.8)
    ax.set_xticks([0, 1e-4, 1e-2, 1, 1e2])
    ax.set_xlabel("ridge penalty $\\lambda$ (0: the paper's regime)")
    ax.set_title("(a) ridge: fine-tuning vs ridge golden")
    ax = axes[1]
    for m in ("finetune", "rbm", "fbm"):
        style = method_style(m)
        band(ax, data.steps, data.path[m], data.path_half[m], style["color"],
             style["marker"], {"finetune": "fine-tuned from $w_o$",
                               "rbm": "RBM (reset, then fine-tune)",
                               "fbm": "FBM (reset, then fine-tune)"}[m])
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.set_xlabel("fine-tuning steps $k$ (step $1/L$)")
    ax.set_title("(b) early-stopped fine-tuning")
    ax = axes[2]
    band(ax, data.ratios, data.transition, data.transition_half, ft["color"],
         ft["marker"], "fine-tuned (converged)")
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.axvline(data.interpolation_ratio, color="#555555", linewidth=0.8,
               linestyle=(0, (2, 2)))
    top = ax.get_ylim()[1]
    ax.text(1.0, top, " $n_r = d_r$", ha="left", va="top", fontsize=6.5,
            color="#555555")
    ax.text(data.interpolation_ratio, top, "$n_r + n_f = d$ ", ha="right", va="top",
            fontsize=6.5, color="#555555")
    ax.set_xlabel("sample ratio $n_r / d_r$")
    ax.set_title("(c) crossing $n_r = d_r$")
    for ax, (loc, anchor) in zip(axes, (("lower left", (0.0, 0.06)),
                                        ("upper right", (1.0, 0.86)),
                                        ("upper right", (1.0, 0.85)))):
        ax.axhline(0, color="#000000", linewidth=0.6, zorder=1)
        ax.legend(loc=loc, bbox_to_anchor=anchor, fontsize=6.5, handlelength=1.5)
    axes[0].set_ylabel("unlearning-loss gap $UL(w_g) - UL(w)$")
    _footer(fig, f"{data.trials} draws per point, bands "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence; gap > 0: forgets "
                 f"less than golden\n(a), (b): {data.settings[0]}\n"
                 f"(c): {data.settings[2]}")
    fig.subplots_adjust(left=0.075, right=0.99, top=0.76, bottom=0.16, wspace=0.25)
    return fig


# --------------------------------------------------------------------------
# 6. geometry in three dimensions


@dataclass(frozen=True)
class Geometry:
    """Data of the ``geometry`` figure: the class example in d = 3.

    Features ``[A | O | B]`` (one each), one remaining and one forgetting
    sample. The remaining row space is the line through ``x_r``; the models
    that fit ``D_r`` lie on the plane ``x_r . w = y_r``.

    Attributes
    ----------
    x_r, x_f : ndarray of shape (3,)
    y_r, y_f : float
    points : dict of str to ndarray of shape (3,)
        ``pretrained``, ``finetune``, ``golden``, ``rbm``, ``projection``
        (closed forms of :func:`linunlearn.solve`). RBM resets the
        forgetting-only weight ``w_B``; as ``X_r`` does not see it, the reset
        model already fits ``D_r`` and fine-tuning leaves it there.
    plane : ndarray of shape (4, 3)
        Corners of a patch of the plane ``x_r . w = y_r`` around golden.
    line : ndarray of shape (2, 3)
        Ends of a segment of the row space of ``X_r``.
    right_angle : ndarray of shape (3, 3)
        The corner mark at ``w_g``: ``w_g + s u``, ``w_g + s (u + v)``,
        ``w_g + s v`` with ``u`` along the row space and ``v`` along
        ``w_o - w_g`` (orthogonal, C3).
    seed : int
    """

    x_r: np.ndarray
    x_f: np.ndarray
    y_r: float
    y_f: float
    points: dict
    plane: np.ndarray
    line: np.ndarray
    right_angle: np.ndarray
    seed: int


#: The class example of the ``geometry`` figure: features ``[A | O | B]``,
#: one remaining sample on ``A, O`` and one forgetting sample on ``O, B``.
GEOMETRY_EXAMPLE = dict(x_r=(1.0, 1.0, 0.0), x_f=(0.0, 1.0, 1.0),
                        w_star=(1.0, 0.5, 1.0))


def compute_geometry(seed=0, *, quick=False, progress=None):
    """Solve every model on the 3-dimensional class example.

    The data set is fixed, not drawn (:data:`GEOMETRY_EXAMPLE`: ``x_r = (1, 1,
    0)``, ``x_f = (0, 1, 1)``, teacher ``(1, 0.5, 1)``, so ``y_r = y_f =
    1.5``), so that a class sees round numbers: ``w_o = w_ft = (0.5, 1,
    0.5)``, ``w_g = P_r w_o = (0.75, 0.75, 0)``, ``w_rbm = (0.5, 1, 0)``.
    ``seed`` is recorded only.
    """
    seed = check_int(seed, "seed", minimum=0)
    from .scenarios import Dataset
    x_r, x_f = (np.array(GEOMETRY_EXAMPLE[k]) for k in ("x_r", "x_f"))
    w_star = np.array(GEOMETRY_EXAMPLE["w_star"])
    data = Dataset(x_r[None], np.array([x_r @ w_star]), x_f[None],
                   np.array([x_f @ w_star]), w_r_star=w_star, sigma=0.0,
                   scale=np.ones(3))
    points = {m: solve(data, m).w for m in ("pretrained", "finetune", "golden",
                                            "rbm", "projection")}
    # An orthonormal basis of the plane's directions (orthogonal to x_r).
    u = x_r / np.linalg.norm(x_r)
    basis = np.linalg.svd(np.eye(3) - np.outer(u, u))[0][:, :2]
    span = 1.3 * max(np.linalg.norm(p - points["golden"])
                     for p in (points["pretrained"], points["rbm"]))
    corners = np.array([points["golden"] + span * (s * basis[:, 0] + t * basis[:, 1])
                        for s, t in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    line = np.array([-0.25 * points["golden"], 1.45 * points["golden"]])
    v = points["pretrained"] - points["golden"]
    v /= np.linalg.norm(v)
    size = 0.12
    right_angle = points["golden"] + size * np.array([u, u + v, v])
    _report(progress, 1, 1)
    return Geometry(x_r, x_f, float(data.y_r[0]), float(data.y_f[0]),
                    points, corners, line, right_angle, seed)


def draw_geometry(data):
    """A 3-D view: the plane of models fitting ``D_r``, the row space, the models."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    data = _tidy(data)
    fig = _new_figure(COLUMN, 3.5)
    ax = fig.add_subplot(projection="3d", computed_zorder=False)
    p = data.points
    w_o, w_g, w_rbm = p["pretrained"], p["golden"], p["rbm"]
    plane, row = GEOMETRY_COLOURS["plane"], GEOMETRY_COLOURS["row_space"]
    ft, rbm = method_style("finetune")["color"], method_style("rbm")["color"]
    ax.add_collection3d(Poly3DCollection([data.plane], facecolor=plane, alpha=0.45,
                                         edgecolor=GEOMETRY_COLOURS["plane_edge"],
                                         linewidth=0.6, zorder=1))
    ax.plot(*data.line.T, color=row, linewidth=1.1)
    ax.plot(*data.right_angle.T, color=row, linewidth=0.8)
    ax.plot(*np.c_[w_o, w_g], color=ft, linestyle="--", linewidth=1.0)
    ax.plot(*np.c_[np.zeros(3), w_o], color=method_style("pretrained")["color"],
            linestyle=":", linewidth=0.8)
    ax.plot(*np.c_[w_o, w_rbm], color=rbm, linestyle=":", linewidth=1.0)
    ax.scatter(0, 0, 0, color="k", marker="+", s=24)
    for method, size in (("pretrained", 52), ("finetune", 12), ("golden", 52),
                         ("projection", 18), ("rbm", 30)):
        style = method_style(method)
        kw = (dict(facecolors="none", edgecolors=style["color"])
              if method in ("pretrained", "golden") else dict(color=style["color"]))
        ax.scatter(*p[method], marker=style["marker"], s=size, linewidths=1.0,
                   label=style["label"], depthshade=False, **kw)
    text = dict(fontsize=7, zorder=10)
    ax.text(*(w_o + [0, 0, 0.09]), "$w_o = w_{ft}$", color="#555555", ha="center",
            va="bottom", **text)
    ax.text(*(w_g + [0, 0, -0.1]), "$w_g = P_r w_o$", color="k", ha="center",
            va="top", **text)
    ax.text(*w_rbm, "RBM  ", color=rbm, ha="right", va="center", **text)
    ax.text(*(0.75 * w_o + 0.25 * w_g), "$(I - P_r)\\,w_o$  ", color=ft,
            ha="right", va="center", **text)
    ax.text(*(0.5 * (w_o + w_rbm) + [0, 0.03, 0]), " reset $w_B$", color=rbm,
            ha="left", va="center", **text)
    ax.text(0, 0, -0.06, "0", ha="center", va="top", **text)
    ax.text(*data.line[1], " row space\n of $X_r$", color=row, ha="left",
            va="center", **text)
    ax.text(*data.plane[np.argmax(data.plane[:, 2])], "$x_r^T w = y_r$ (fits $D_r$)",
            color="#665C00", ha="center", va="bottom", **text)
    ax.set_xlabel("$w_A$ (remaining only)", labelpad=-4, fontsize=7)
    ax.set_ylabel("$w_O$ (overlap)", labelpad=-4, fontsize=7)
    ax.set_zlabel("$w_B$ (forgetting only)", labelpad=-4, fontsize=7)
    ax.tick_params(labelsize=7, pad=-2)
    ax.view_init(elev=22, azim=-65)
    ax.set_box_aspect((1, 1, 0.9))
    fig.legend(loc="lower center", ncol=2, fontsize=7, handletextpad=0.2,
               columnspacing=0.8)
    fig.subplots_adjust(left=0.0, right=0.92, top=1.04, bottom=0.15)
    return fig


# --------------------------------------------------------------------------
# registry and writing


@dataclass(frozen=True)
class FigureSpec:
    """A figure: how to compute its data and how to draw them.

    Attributes
    ----------
    name : str
    description : str
    compute : callable
        ``compute(seed, *, quick, progress)`` returning the data.
    draw : callable
        ``draw(data)`` returning a matplotlib Figure.
    unavailable : callable or None
        Returns the reason the figure cannot be produced, or ``None``.
    """

    name: str
    description: str
    compute: object
    draw: object
    unavailable: object = None


FIGURES = {f.name: f for f in (
    FigureSpec("training_curves", "RL and UL over gradient descent: fine-tuning "
               "reaches zero remaining loss but never forgets (C1, C2)",
               compute_training_curves, draw_training_curves),
    FigureSpec("overlap_sweep", "UL and remaining test loss of the six models "
               "against the overlap ratio d_lap/d_f", compute_overlap_sweep,
               draw_sweep),
    FigureSpec("sample_sweep", "UL and remaining test loss of the six models "
               "against the sample ratio n_r/d_r", compute_sample_sweep, draw_sweep),
    FigureSpec("claim_map", "verdicts of C5's checks over overlap ratio by n_r/d_r",
               compute_claim_map, draw_claim_map),
    FigureSpec("tradeoff", "UL against RL of the discriminative regularisers "
               "as their weight varies (C8)", compute_tradeoff, draw_tradeoff,
               tradeoff_unavailable),
    FigureSpec("method_gaps", "average gap to golden of every method of "
               "`linunlearn compare` in each default regime", compute_method_gaps,
               draw_method_gaps),
    FigureSpec("regime_gaps", "fine-tuning's UL gap to golden against the ridge "
               "penalty, the fine-tuning steps and n_r/d_r across 1",
               compute_regime_gaps, draw_regime_gaps),
    FigureSpec("geometry", "3-D class example: where fine-tuning, golden, RBM and "
               "projection land", compute_geometry, draw_geometry),
)}


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_figures` did.

    Attributes
    ----------
    written : dict of str to tuple of str
        Figure name to the paths of its PDF and PNG.
    skipped : dict of str to str
        Figure name to the reason it was not produced.
    seconds : dict of str to float
        Time spent per written figure.
    manifest : str
        Path of the manifest file.
    """

    written: dict
    skipped: dict
    seconds: dict = field(default_factory=dict)
    manifest: str = ""


def _new_figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def render(name, data):
    """Draw the figure ``name`` from its data, in the project's style."""
    import matplotlib
    with matplotlib.rc_context(STYLE):
        return FIGURES[name].draw(data)


def save(fig, stem, *, name, seed, quick):
    """Write ``stem.pdf`` and ``stem.png`` with reproducible metadata; return the paths."""
    import matplotlib
    tag = f"linunlearn {__version__} figure {name}; seed={seed}; quick={quick}"
    description = FIGURES[name].description if name in FIGURES else name
    pdf_meta = {"Title": name, "Subject": description, "Keywords": tag,
                "Creator": f"linunlearn {__version__}", "CreationDate": None,
                "ModDate": None}
    png_meta = {"Title": name, "Description": f"{description}. {tag}"}
    paths = (f"{stem}.pdf", f"{stem}.png")
    with matplotlib.rc_context(STYLE):
        fig.savefig(paths[0], format="pdf", metadata=pdf_meta)
        fig.savefig(paths[1], format="png", metadata=png_meta)
    return paths


class _Bar:
    """A text progress bar on stderr (terminals only)."""

    def __init__(self, label, enabled):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, done, total):
        if self.enabled:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r{self.label:<16} [{'#' * filled}{'.' * (30 - filled)}]"
                             f" {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _write_manifest(out_dir):
    present = [n for n in FIGURES
               if all(os.path.exists(os.path.join(out_dir, f"{n}.{ext}"))
                      for ext in ("pdf", "png"))]
    path = os.path.join(out_dir, MANIFEST)
    lines = ["# Figures written by `linunlearn figures`; one name per line.",
             "# Each name has NAME.pdf and NAME.png in this folder."]
    for n in present:
        with open(os.path.join(out_dir, f"{n}.pdf"), "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:16]
        lines.append(f"{n}  # pdf sha256 {digest}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def read_manifest(path):
    """Return the figure names listed in a manifest file."""
    with open(path) as fh:
        return [line.split("#", 1)[0].strip() for line in fh
                if line.split("#", 1)[0].strip()]


def write_figures(names=None, out_dir="figures", seed=0, quick=False, progress=False):
    """Compute, draw and write figures as PDF and PNG.

    Parameters
    ----------
    names : list of str, optional
        Figure names (default: every figure of :data:`FIGURES`).
    out_dir : str
        Output folder (created if missing). Its manifest lists every figure
        whose PDF and PNG it holds.
    seed : int
        Every number in a figure is a function of the seed alone.
    quick : bool
        Small versions (few Monte Carlo draws, coarse grids), for tests.
    progress : bool
        Show a progress bar per figure on a terminal.

    Returns
    -------
    WriteResult

    Raises
    ------
    ValueError
        Unknown figure name.

    Notes
    -----
    Data are computed with BLAS limited to one thread
    (:func:`threadpoolctl.threadpool_limits`): the figures run many solves of
    size below 100, where thread start-up costs more than it saves.
    """
    names = list(FIGURES) if names is None else list(names)
    for n in names:
        if n not in FIGURES:
            raise ValueError(f"unknown figure {n!r}; known: {', '.join(FIGURES)}")
    seed = check_int(seed, "seed", minimum=0)
    from threadpoolctl import threadpool_limits
    os.makedirs(out_dir, exist_ok=True)
    written, skipped, seconds = {}, {}, {}
    for n in names:
        spec = FIGURES[n]
        reason = spec.unavailable() if spec.unavailable else None
        if reason:
            skipped[n] = reason
            continue
        start = time.perf_counter()
        # Many small solves, which BLAS threads only slow down (measured: see
        # the notes); one thread also takes the thread count out of round-off.
        with threadpool_limits(limits=1, user_api="blas"):
            data = spec.compute(seed, quick=quick, progress=_Bar(n, progress))
        fig = render(n, data)
        written[n] = save(fig, os.path.join(out_dir, n), name=n, seed=seed,
                          quick=quick)
        seconds[n] = time.perf_counter() - start
    return WriteResult(written, skipped, seconds, _write_manifest(out_dir))
