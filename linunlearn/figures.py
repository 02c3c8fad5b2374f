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
``geometry``         a 3-D picture of where each model lands (C2, C3, C4, C7)
===================  ==========================================================

Numbers depend on the seed alone: each Monte Carlo sweep point draws from
``montecarlo.seed_sequence(seed, name, ...)``; the claim map runs the
verifier's own checks (:meth:`linunlearn.claims.Check.run`) with the seed, so
its cells are what ``linunlearn verify`` reports for the same regimes.
Matplotlib is imported here only, never by ``import linunlearn``; figures are
drawn on the Agg canvas without pyplot, so no global backend is changed.

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
from .metrics import _metrics
from .scenarios import Scenario
from .simulate import gradient_descent
from .solutions import PAPER_METHODS, _closed_form, _mask_for, available_methods, solve

__all__ = ["FIGURES", "FigureSpec", "WriteResult", "write_figures", "STYLE",
           "METHOD_STYLE", "VERDICT_COLOURS", "MANIFEST",
           "TrainingCurves", "TrainingCase", "Sweep", "ClaimMap", "Tradeoff",
           "Geometry", "compute_training_curves", "compute_overlap_sweep",
           "compute_sample_sweep", "compute_claim_map", "compute_tradeoff",
           "compute_geometry", "draw_training_curves", "draw_sweep",
           "draw_claim_map", "draw_tradeoff", "draw_geometry"]

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

# Okabe & Ito's colour-blind-safe palette (and one colour from Paul Tol's
# muted set): one colour, marker and label per method in every figure.
METHOD_STYLE = {
    "pretrained": dict(color="#999999", marker="o", label="pretrained $w_o$"),
    "finetune": dict(color="#D55E00", marker="s", label="fine-tuned $w_{ft}$"),
    "golden": dict(color="#000000", marker="D", label="golden $w_g$ (retrained)"),
    "rbm": dict(color="#0072B2", marker="^", label="RBM"),
    "fbm": dict(color="#E69F00", marker="v", label="FBM"),
    "projection": dict(color="#009E73", marker="x", label="projection $P_r w_o$"),
    "ce_ft": dict(color="#CC79A7", marker="o", label="CE-FT"),
    "ice_ft": dict(color="#56B4E9", marker="s", label="ICE-FT"),
    "kl_ft": dict(color="#882255", marker="^", label="KL-FT"),
}

#: Colour of each verdict in claim maps (and of cells outside the regime).
VERDICT_COLOURS = {"holds": "#0072B2", "fails": "#D55E00",
                   "inconclusive": "#BBBBBB", "n/a": "#FFFFFF"}
_VERDICT_SYMBOL = {"holds": "\u2713", "fails": "\u2717", "inconclusive": "?",
                   "n/a": ""}

#: File in the output directory that lists the figures written there.
MANIFEST = "MANIFEST.txt"

_METRIC_LABEL = {"unlearning_loss": "unlearning loss UL (train, $D_f$)",
                 "test_remaining_loss": "remaining test loss"}


def _flat_scenario(d_r, d_f, d_lap, n_r, n_f, **options):
    """A scenario with the flat teacher ``w* = 1/sqrt(|S_r + S_f|)`` on the used features.

    Every block then carries a share of ``||w*||^2 = 1`` proportional to its
    size, so that sweeps over ``d_lap`` or ``n_r`` change one thing at a time
    (the default random teacher would be redrawn at every point).
    """
    d = d_r + d_f - d_lap
    return Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f,
                                w_star=np.full(d, 1.0 / np.sqrt(d)), **options)


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
    fig = _new_figure(FULL, 4.3)
    axes = fig.subplots(2, 2, sharey="row", gridspec_kw=dict(width_ratios=(1, 1.35)))
    g, ft = METHOD_STYLE["golden"]["color"], METHOD_STYLE["finetune"]["color"]
    pre = METHOD_STYLE["pretrained"]["color"]
    for row, case in zip(axes, data.cases):
        ax = row[0]
        steps = np.arange(len(case.pretrain_remaining))
        ax.plot(steps, case.pretrain_remaining, color=pre)
        ax.plot(steps, case.pretrain_unlearning, color=pre, linestyle="--")
        ax.set_ylabel(f"{case.description}\nmean squared loss")
        ax = row[1]
        steps = np.arange(len(case.golden_remaining))
        ax.fill_between(steps, case.golden_unlearning_low, case.golden_unlearning_high,
                        color=g, alpha=0.15, linewidth=0)
        ax.plot(steps, case.golden_remaining, color=g)
        ax.plot(steps, case.golden_unlearning, color=g, linestyle="--")
        ax.plot(steps, case.finetune_remaining, color=ft)
        ax.plot(steps, case.finetune_unlearning, color=ft, linestyle="--", linewidth=2.0)
        ax.axhline(case.expected_golden_unlearning, color=g, linestyle=":",
                   linewidth=1.2)
        ax.annotate(f"exact $E\\,UL(w_g) = {case.expected_golden_unlearning:.3f}$",
                    (steps[-1], case.expected_golden_unlearning),
                    xytext=(0, -4), textcoords="offset points", ha="right",
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
    handles = [Line2D([], [], color="k", linestyle="-", label="remaining loss RL"),
               Line2D([], [], color="k", linestyle="--", label="unlearning loss UL"),
               Line2D([], [], color="k", linestyle=":", linewidth=1.2,
                      label="exact $E\\,UL(w_g)$ (theory)"),
               Line2D([], [], color=pre, label="pretraining"),
               Line2D([], [], color=ft, label="fine-tuning"),
               Line2D([], [], color=g, label="retraining (golden)")]
    fig.legend(handles=handles, loc="lower center", ncol=6, handlelength=2.0,
               columnspacing=1.0, handletextpad=0.4)
    fig.text(0.99, 0.995, f"means over {data.cases[0].n_draws} draws per case "
             f"(band: {100 * montecarlo.CONFIDENCE:g}% interval of golden's UL); "
             f"d_r=60, d_f=40, n_r=30, n_f=15", ha="right", va="top", fontsize=6,
             color="#555555")
    fig.subplots_adjust(left=0.085, right=0.99, top=0.905, bottom=0.15,
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
        mask, semantics = (_mask_for(batch, method, {}) if method in ("rbm", "fbm")
                           else (None, "reset"))
        metrics = _metrics(batch, _closed_form(batch, method, mask, semantics))
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


def _sweep(name, parameter, x, scenarios, n_trials, seed, progress):
    mean, low, high = (np.empty((len(x), len(PAPER_METHODS), 2)) for _ in range(3))
    theory = {(m, k): np.empty(len(x)) for m in ("golden", "projection")
              for k in _SWEEP_METRICS}
    for i, (ratio, scenario) in enumerate(zip(x, scenarios)):
        values = montecarlo.run_trials(_paper_metrics, scenario, n_trials,
                                       montecarlo.seed_sequence(seed, name, f"{ratio:g}"))
        for j in range(len(PAPER_METHODS)):
            for k in range(2):
                e = montecarlo.estimate(values[:, j, k])
                mean[i, j, k], low[i, j, k], high[i, j, k] = e.mean, e.low, e.high
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
                 montecarlo.CONFIDENCE, seed)


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
                  40 if quick else 1000, seed, progress)


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
                  40 if quick else 1000, seed, progress)


# Drawing order and per-method tweaks, so that coinciding curves stay visible
# (golden = projection exactly, pretrained = fine-tuned exactly).
_SWEEP_DRAW = {"pretrained": dict(markersize=7, markerfacecolor="none"),
               "finetune": dict(markersize=3.5),
               "golden": dict(markersize=6.5, markerfacecolor="none"),
               "rbm": dict(markersize=4.5),
               "fbm": dict(markersize=4.5),
               "projection": dict(markersize=4.5)}


def draw_sweep(data):
    """Two panels: unlearning loss and remaining test loss against the ratio."""
    fig = _new_figure(FULL, 2.9)
    axes = fig.subplots(1, 2)
    for k, (ax, metric) in enumerate(zip(axes, data.metrics)):
        for j, method in enumerate(data.methods):
            style = METHOD_STYLE[method]
            ax.fill_between(data.x, data.low[:, j, k], data.high[:, j, k],
                            color=style["color"], alpha=0.18, linewidth=0)
            ax.plot(data.x, data.mean[:, j, k], color=style["color"],
                    marker=style["marker"], linewidth=0.8, label=style["label"],
                    **_SWEEP_DRAW[method])
        for (method, m), curve in data.theory.items():
            if m == metric and method != "projection":
                ax.plot(data.x, curve, color="k", linestyle=(0, (4, 2)),
                        linewidth=0.8, zorder=5)
        ax.set_xlabel(data.parameter)
        ax.set_ylabel(_METRIC_LABEL[metric])
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.margins(x=0.03)
    axes[0].set_title("(a) forgetting: higher is more forgotten")
    axes[1].set_title("(b) remaining performance: lower is better")
    from matplotlib.lines import Line2D
    handles, _ = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="k", linestyle=(0, (4, 2)), linewidth=0.8,
                          label="exact expectation"))
    fig.legend(handles=handles, loc="lower center", ncol=7, columnspacing=1.0,
               handletextpad=0.4)
    fig.text(0.99, 0.995, f"Monte Carlo: {data.n_trials} draws per point, bands "
             f"{100 * data.confidence:g}% confidence", ha="right", va="top",
             fontsize=6, color="#555555")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.88, bottom=0.27, wspace=0.22)
    return fig


# --------------------------------------------------------------------------
# 4. claim maps


_MAP_CHECKS = ("C5.disparity", "C5.rbm_forgets_more", "C5.rbm_keeps_overlap")
_MAP_TITLES = {"C5.disparity": "C5 disparity: gap(RBM) $\\leq$ gap(FBM)",
               "C5.rbm_forgets_more": "C5: UL(RBM) > UL(fine-tuned)",
               "C5.rbm_keeps_overlap": "C5: test$_r$(RBM) $\\leq$ test$_r$(FBM)"}


@dataclass(frozen=True)
class ClaimMap:
    """Data of the ``claim_map`` figure.

    Attributes
    ----------
    checks : tuple of str
        Names of the verifier's checks mapped (C5's disparity first).
    statements : tuple of str
    overlap_ratios : ndarray of shape (a,)
    sample_ratios : ndarray of shape (b,)
    verdicts : ndarray of str, shape (checks, a, b)
        ``"holds"``, ``"fails"``, ``"inconclusive"``, or ``"n/a"`` where the
        regime is not overparameterised (``n_r + n_f >= |S_r + S_f|``) and the
        claim does not apply.
    means : ndarray of shape (checks, a, b)
        Monte Carlo mean of each check's statistic (NaN for ``"n/a"``).
    n_trials : ndarray of int, shape (checks, a, b)
    seed : int
    precision : float or None
        The verifier's precision (``None``: fixed ``trials``).
    """

    checks: tuple
    statements: tuple
    overlap_ratios: np.ndarray
    sample_ratios: np.ndarray
    verdicts: np.ndarray
    means: np.ndarray
    n_trials: np.ndarray
    seed: int
    precision: float = None


def compute_claim_map(seed=0, *, quick=False, progress=None):
    """Run C5's checks on a grid of overlap ratio by ``n_r / d_r``.

    Regimes from :func:`linunlearn.claims.disparity_map_regimes` (``d_r = 60,
    d_f = 40, n_f = 15``, the default random teacher): overlap ratio 0 to 1 in
    steps of 0.1 by ``n_r / d_r`` 0.1 to 0.9 (quick: 3 by 2 with 30 trials).
    Each cell is :meth:`linunlearn.claims.Check.run` with the verifier's
    default adaptive sample size, so cells are exactly what ``linunlearn
    verify`` reports for the same regime and seed.
    """
    from . import claims
    seed = check_int(seed, "seed", minimum=0)
    if quick:
        laps, nrs, trials, precision = (0.0, 0.5, 1.0), (0.2, 0.5), 30, None
    else:
        laps = tuple(np.round(np.linspace(0, 1, 11), 2))
        nrs = tuple(np.round(np.linspace(0.1, 0.9, 9), 2))
        trials, precision = None, 0.05
    checks = {c.name: c for cl in claims.CLAIMS.values() for c in cl.checks}
    regimes = claims.disparity_map_regimes(laps, nrs)
    shape = (len(_MAP_CHECKS), len(laps), len(nrs))
    verdicts = np.full(shape, "n/a", dtype=object)
    means = np.full(shape, np.nan)
    n_trials = np.zeros(shape, int)
    total, done = len(_MAP_CHECKS) * len(regimes), 0
    for c, name in enumerate(_MAP_CHECKS):
        for r, regime in enumerate(regimes):
            a, b = divmod(r, len(nrs))
            if regime.interpolating:
                result = checks[name].run(regime, seed, trials=trials,
                                          precision=precision or 0.05)
                verdicts[c, a, b] = result.verdict
                means[c, a, b] = result.estimate["mean"]
                n_trials[c, a, b] = result.n_trials
            done += 1
            _report(progress, done, total)
    return ClaimMap(_MAP_CHECKS, tuple(checks[n].statement for n in _MAP_CHECKS),
                    np.asarray(laps, float), np.asarray(nrs, float),
                    verdicts.astype(str), means, n_trials, seed, precision)


def draw_claim_map(data):
    """One panel per check: a coloured verdict per regime cell."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch
    n = len(data.checks)
    fig = _new_figure(FULL, 2.75)
    axes = fig.subplots(1, n, sharey=True)
    axes = np.atleast_1d(axes)
    order = ("holds", "fails", "inconclusive", "n/a")
    cmap = ListedColormap([VERDICT_COLOURS[v] for v in order])
    codes = np.vectorize(order.index)(data.verdicts)
    for c, ax in enumerate(axes):
        ax.imshow(codes[c].T, origin="lower", cmap=cmap, vmin=-0.5, vmax=3.5,
                  aspect="auto", interpolation="nearest")
        for a in range(len(data.overlap_ratios)):
            for b in range(len(data.sample_ratios)):
                v = data.verdicts[c, a, b]
                ax.text(a, b, _VERDICT_SYMBOL[v], ha="center", va="center",
                        fontsize=7, color="white" if v in ("holds", "fails") else "k")
                if v == "n/a":
                    ax.plot(a, b, marker="s", markersize=9, markerfacecolor="none",
                            markeredgecolor="#DDDDDD", markeredgewidth=0.5)
        ax.set_xticks(range(len(data.overlap_ratios)))
        ax.set_xticklabels([f"{x:g}" for x in data.overlap_ratios], rotation=90)
        ax.set_yticks(range(len(data.sample_ratios)))
        ax.set_yticklabels([f"{x:g}" for x in data.sample_ratios])
        ax.set_xlabel("overlap ratio $d_{lap} / d_f$")
        ax.set_title(_MAP_TITLES.get(data.checks[c], data.checks[c]))
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
    axes[0].set_ylabel("sample ratio $n_r / d_r$")
    labels = {"holds": "holds", "fails": "fails", "inconclusive": "inconclusive",
              "n/a": "n/a: $n_r + n_f \\geq d$ (not overparameterised)"}
    handles = [Patch(facecolor=VERDICT_COLOURS[v], edgecolor="#888888", linewidth=0.5,
                     label=f"{_VERDICT_SYMBOL[v]} {labels[v]}".strip()) for v in order]
    fig.legend(handles=handles, loc="lower center", ncol=4)
    trials = data.n_trials[data.n_trials > 0]
    span = (f"{trials.min()}" if len(trials) and trials.min() == trials.max()
            else f"{trials.min()}-{trials.max()}" if len(trials) else "no")
    note = f"Monte Carlo per cell: {span} draws"
    fig.text(0.99, 0.995, f"{note}; verdicts at {100 * montecarlo.CONFIDENCE:g}% "
             f"confidence; d_r=60, d_f=40, n_f=15", ha="right", va="top",
             fontsize=6, color="#555555")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.86, bottom=0.3, wspace=0.08)
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
    budgets : tuple
        Budgets of panel (b) (``None``: converged), for ``ce_ft``.
    budget_remaining, budget_unlearning : ndarray of shape (budgets, a)
    golden_unlearning : float
        Mean UL of the golden model over the same draws.
    finetune_unlearning : float
        Mean UL of the fine-tuned model (0 up to round-off).
    n_draws : int
    seed : int
    """

    methods: tuple
    alphas: np.ndarray
    steps: int
    remaining: np.ndarray
    unlearning: np.ndarray
    budgets: tuple
    budget_remaining: np.ndarray
    budget_unlearning: np.ndarray
    golden_unlearning: float
    finetune_unlearning: float
    n_draws: int
    seed: int


def compute_tradeoff(seed=0, *, quick=False, progress=None):
    """UL and RL of ``ce_ft``, ``ice_ft``, ``kl_ft`` as their weight goes from 0 to 1.

    Scenario ``d_r = 60, d_f = 40, d_lap = 16, n_r = 30, n_f = 15``, flat
    teacher; means over 10 draws (quick: 3) of: each method after 5 steps for
    21 weights (quick: 5), and ``ce_ft`` after 1, 5, 20, 100 steps and at
    convergence (quick: 5 and convergence).

    Raises
    ------
    RuntimeError
        If the methods are not registered (see :func:`tradeoff_unavailable`).
    """
    reason = tradeoff_unavailable()
    if reason:
        raise RuntimeError(reason)
    seed = check_int(seed, "seed", minimum=0)
    alphas = np.linspace(0, 1, 5 if quick else 21)
    budgets = (5, None) if quick else (1, 5, 20, 100, None)
    n_draws = 3 if quick else 10
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
    return Tradeoff(_REGULARISED, alphas, steps, rl.mean(-1), ul.mean(-1), budgets,
                    brl.mean(-1), bul.mean(-1), float(golden.mean()),
                    float(finetune.mean()), n_draws, seed)


def draw_tradeoff(data):
    """(a) the three regularisers after a fixed budget; (b) CE-FT over budgets."""
    from matplotlib import colormaps
    fig = _new_figure(FULL, 2.9)
    axes = fig.subplots(1, 2)
    ax = axes[0]
    for i, method in enumerate(data.methods):
        style = METHOD_STYLE[method]
        ax.plot(data.remaining[i], data.unlearning[i], color=style["color"],
                marker=style["marker"], markersize=3, linewidth=1.0,
                label=style["label"])
        # CE-FT and KL-FT run from alpha = 0 (fine-tuning) to 1; ICE-FT from
        # alpha = 1 (CE-FT at 1) down to the smallest positive weight.
        end = 0 if method == "ice_ft" else -1
        alpha = data.alphas[1] if method == "ice_ft" else data.alphas[-1]
        ax.annotate(f"$\\alpha$={alpha:g}", (data.remaining[i, end], data.unlearning[i, end]),
                    xytext={"ice_ft": (0, -9), "ce_ft": (-5, 0)}.get(method, (5, -3)),
                    textcoords="offset points", fontsize=6, color=style["color"],
                    ha={"ice_ft": "center", "ce_ft": "right"}.get(method, "left"))
    ax.set_title(f"(a) after {data.steps} gradient steps, weight "
                 f"$\\alpha \\in [0, 1]$")
    ax = axes[1]
    cmap = colormaps["viridis"]
    for i, k in enumerate(data.budgets):
        colour = cmap(i / max(len(data.budgets) - 1, 1) * 0.9)
        label = "converged" if k is None else f"{k} step{'s' if k != 1 else ''}"
        ax.plot(data.budget_remaining[i], data.budget_unlearning[i], color=colour,
                marker="o", markersize=3, linewidth=1.0, label=label)
    ax.annotate("converged: every $\\alpha > 0$\ngives the same model",
                (data.budget_remaining[-1, -1], data.budget_unlearning[-1, -1]),
                xytext=(30, -50), textcoords="offset points", fontsize=6,
                arrowprops=dict(arrowstyle="->", linewidth=0.6))
    ax.set_title("(b) CE-FT: the trade-off depends on the budget")
    for ax in axes:
        ax.axhline(data.golden_unlearning, color="k", linestyle=":", linewidth=1.0)
        ax.plot([0], [data.finetune_unlearning], linestyle="none",
                **{k: v for k, v in METHOD_STYLE["finetune"].items() if k != "label"},
                markersize=5, label="fine-tuned ($\\alpha = 0$)", zorder=6)
        ax.set_xlabel("remaining loss RL (lower is better)")
        ax.set_ylabel("unlearning loss UL")
        ax.set_xlim(left=-0.02 * ax.get_xlim()[1])
    for ax, where, ncol in zip(axes, ("center right", "upper right"), (1, 2)):
        ax.text(ax.get_xlim()[1], data.golden_unlearning, "golden UL ",
                ha="right", va="bottom", fontsize=6)
        ax.legend(loc=where, ncol=ncol, handlelength=1.6, columnspacing=0.8)
    fig.text(0.99, 0.995, f"means over {data.n_draws} draws; d_r=60, d_f=40, "
             f"d_lap=16, n_r=30, n_f=15", ha="right", va="top", fontsize=6,
             color="#555555")
    fig.subplots_adjust(left=0.07, right=0.975, top=0.88, bottom=0.15, wspace=0.22)
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
    seed : int
    """

    x_r: np.ndarray
    x_f: np.ndarray
    y_r: float
    y_f: float
    points: dict
    plane: np.ndarray
    line: np.ndarray
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
    _report(progress, 1, 1)
    return Geometry(x_r, x_f, float(data.y_r[0]), float(data.y_f[0]),
                    points, corners, line, seed)


def draw_geometry(data):
    """A 3-D view: the plane of models fitting ``D_r``, the row space, the models."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    fig = _new_figure(COLUMN, 3.3)
    ax = fig.add_subplot(projection="3d")
    p = data.points
    w_o, w_g, w_rbm = p["pretrained"], p["golden"], p["rbm"]
    ax.add_collection3d(Poly3DCollection([data.plane], facecolor="#56B4E9",
                                         alpha=0.15, edgecolor="#56B4E9",
                                         linewidth=0.5))
    ax.plot(*data.line.T, color="#444444", linewidth=1.0)
    ax.plot(*np.c_[w_o, w_g], color="#D55E00", linestyle="--", linewidth=0.9)
    ax.plot(*np.c_[np.zeros(3), w_o], color="#999999", linestyle=":", linewidth=0.8)
    ax.plot(*np.c_[w_o, w_rbm], color="#0072B2", linestyle=":", linewidth=0.9)
    ax.scatter(0, 0, 0, color="k", marker="+", s=20)
    for method, size in (("pretrained", 48), ("finetune", 12), ("golden", 48),
                         ("projection", 16), ("rbm", 28)):
        style = METHOD_STYLE[method]
        kw = (dict(facecolors="none", edgecolors=style["color"])
              if method in ("pretrained", "golden") else dict(color=style["color"]))
        ax.scatter(*p[method], marker=style["marker"], s=size, linewidths=1.0,
                   label=style["label"], depthshade=False, **kw)
    text = dict(fontsize=7)
    ax.text(*(w_o + [0, 0, 0.07]), "$w_o = w_{ft}$", color="#555555", ha="center",
            va="bottom", **text)
    ax.text(*(w_g + [0, 0, -0.08]), "$w_g = P_r w_o$", color="k", ha="center",
            va="top", **text)
    ax.text(*(w_rbm + [0, 0.06, 0]), "RBM", color="#0072B2", ha="left", va="center",
            **text)
    ax.text(*(0.5 * (w_o + w_g)), "$(I - P_r)\\,w_o$  ", color="#D55E00",
            ha="right", va="center", fontsize=6)
    ax.text(*(0.5 * (w_o + w_rbm)), "  reset $w_B$", color="#0072B2", ha="left",
            va="center", fontsize=6)
    ax.text(0, 0, -0.05, "0", ha="center", va="top", fontsize=6)
    ax.text(*data.line[1], " row space\n of $X_r$", color="#444444", ha="left",
            va="center", fontsize=6)
    ax.text(*data.plane[np.argmax(data.plane[:, 2])], "$x_r^T w = y_r$ (fits $D_r$)",
            color="#0072B2", ha="center", va="bottom", fontsize=6)
    ax.set_xlabel("$w_A$ (remaining only)", labelpad=-7, fontsize=6)
    ax.set_ylabel("$w_O$ (overlap)", labelpad=-7, fontsize=6)
    ax.set_zlabel("$w_B$ (forgetting only)", labelpad=-7, fontsize=6)
    ax.tick_params(labelsize=5, pad=-3)
    ax.view_init(elev=18, azim=-12)
    ax.set_box_aspect((1, 1, 0.9))
    fig.legend(loc="lower center", ncol=2, fontsize=6, handletextpad=0.2,
               columnspacing=0.8)
    fig.subplots_adjust(left=0.0, right=0.94, top=1.05, bottom=0.13)
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
    """
    names = list(FIGURES) if names is None else list(names)
    for n in names:
        if n not in FIGURES:
            raise ValueError(f"unknown figure {n!r}; known: {', '.join(FIGURES)}")
    seed = check_int(seed, "seed", minimum=0)
    os.makedirs(out_dir, exist_ok=True)
    written, skipped, seconds = {}, {}, {}
    for n in names:
        spec = FIGURES[n]
        reason = spec.unavailable() if spec.unavailable else None
        if reason:
            skipped[n] = reason
            continue
        start = time.perf_counter()
        data = spec.compute(seed, quick=quick, progress=_Bar(n, progress))
        fig = render(n, data)
        written[n] = save(fig, os.path.join(out_dir, n), name=n, seed=seed,
                          quick=quick)
        seconds[n] = time.perf_counter() - start
    return WriteResult(written, skipped, seconds, _write_manifest(out_dir))
