"""The figures' data: one pure function per figure, and what it returns.

Each ``compute_*`` function takes ``(seed=0, *, quick=False, progress=None)``
and returns a frozen dataclass; its numbers depend on the seed alone (and
``quick`` selects a small version, for tests). This module computes only: it
never imports matplotlib (:mod:`linunlearn.figures.draw` draws these data).

=========================  ===================================================
name                       what it is
=========================  ===================================================
compute_training_curves    :class:`TrainingCurves`: GD loss histories, one
                           :class:`TrainingCase` per case (C1, C2)
compute_overlap_sweep      :class:`Sweep` of the six models against
                           ``d_lap / d_f``
compute_sample_sweep       :class:`Sweep` of the six models against
                           ``n_r / d_r``
compute_claim_map          :class:`ClaimMap`: verdicts of C5's checks on a
                           grid of regimes
compute_tradeoff           :class:`Tradeoff`: UL against RL of the
                           discriminative regularisers (C8)
tradeoff_unavailable       why ``compute_tradeoff`` cannot run, or ``None``
compute_method_gaps        :class:`MethodGaps`: ``linunlearn compare``'s gaps
compute_regime_gaps        :class:`RegimeGaps`: fine-tuning's gap to golden
                           beyond the paper's regime
compute_geometry           :class:`Geometry`: every model on the 3-D class
                           example :data:`GEOMETRY_EXAMPLE`
FLAT_TEACHER               the flat teacher of the synthetic figures, in words
=========================  ===================================================

Each Monte Carlo sweep point draws from ``montecarlo.seed_sequence(seed,
name, ...)``; the claim map runs the verifier's own checks
(:meth:`linunlearn.checks.Check.run`) with the seed, so its cells are what
``linunlearn verify`` reports for the same regimes.

Examples
--------
>>> from linunlearn.figures.data import compute_geometry
>>> data = compute_geometry(seed=0)
>>> sorted(data.points)
['finetune', 'golden', 'pretrained', 'projection', 'rbm']
>>> data.points["golden"]
array([0.75, 0.75, 0.  ])
"""

from dataclasses import dataclass

import numpy as np

from .. import claims, families, montecarlo, parallel, regimes
from ..regimes import BASE
from .._linalg import mv, rmv
from .._validation import NotConvergedWarning, check_int, warn
from ..methods import discriminative_finetune
from ..metrics import evaluate, squared_loss
from ..simulate import smoothness
from ..solutions import (PAPER_METHODS, available_methods, closed_form, mask_for,
                         solve)

__all__ = ["TrainingCurves", "TrainingCase", "Sweep", "ClaimMap", "Tradeoff",
           "MethodGaps", "RegimeGaps", "Geometry", "GEOMETRY_EXAMPLE",
           "FLAT_TEACHER", "compute_training_curves", "compute_overlap_sweep",
           "compute_sample_sweep", "compute_claim_map", "compute_tradeoff",
           "tradeoff_unavailable", "compute_method_gaps", "compute_regime_gaps",
           "compute_geometry"]


def _flat_scenario(**changes):
    """:func:`linunlearn.regimes.flat_scenario`: the base sizes, noiseless, flat teacher.

    Every block then carries a share of ``||w*||^2 = 1`` proportional to its
    size, so that sweeps over ``d_lap`` or ``n_r`` change one thing at a time
    (the default random teacher would be redrawn at every point).
    """
    return regimes.flat_scenario(**changes)


def _theory_args(scenario):
    used = scenario.support_r | scenario.support_f
    return (scenario.d_r, scenario.d_f, scenario.d_lap, scenario.n_r,
            scenario.w_r_star[used])


def _golden_expectations(scenario):
    """Exact ``E UL(w_g)`` and ``E`` remaining test loss of golden (``theory``)."""
    from .. import expectations
    args = _theory_args(scenario)
    ul = expectations.expected_golden_unlearning_loss(*args, sigma=scenario.sigma)
    test_r = expectations.expected_golden_remaining_loss(*args, sigma=scenario.sigma)
    return float(ul), float(test_r)


def _report(progress, done, total):
    if progress is not None:
        progress(done, total)


#: The teacher of the synthetic figures (``w* = 1/sqrt(d)`` on the used
#: features, :func:`linunlearn.regimes.flat_teacher`), in the words of the
#: figures' settings and footers.
FLAT_TEACHER = "flat teacher $w^* = 1/\\sqrt{d}$ on the d used features, noiseless"


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


def _descend(X, y, w0, monitors, *, max_steps, gtol):
    """:func:`linunlearn.gradient_descent` (full batch, step ``1/L``) on a stack of problems.

    The runs go side by side, each with its own step size and stopping rule,
    by the same operations problem by problem (batched matrix-vector products
    are the same BLAS calls, and norms are dot products as
    ``numpy.linalg.norm`` takes them), so each run's iterates and losses are
    the numbers of ``gradient_descent`` on that problem (a test checks it). A
    run that has stopped keeps its weights, so its losses repeat: the
    histories come padded with their last value.

    Parameters
    ----------
    X : ndarray of shape (T, n, d)
    y : ndarray of shape (T, n)
    w0 : ndarray of shape (T, d)
    monitors : dict of str to (X_m, y_m) stacks
        The losses recorded at every step (the run's own loss is not).
    max_steps : ndarray of int, shape (T,)
    gtol : float

    Returns
    -------
    w : ndarray of shape (T, d)
    histories : dict of str to ndarray of shape (T, steps + 1)
    n_steps : ndarray of int, shape (T,)
    """
    n = X.shape[-2]
    lr = np.array([1.0 / L if L > 0 else 1.0 for L in map(smoothness, X)])[:, None]

    def gradient(w):
        return (2.0 / n) * rmv(X, mv(X, w) - y)

    def norms(g):
        return np.sqrt([row.dot(row) for row in g])

    w = np.array(w0, dtype=float)
    g = gradient(w)
    g0 = np.maximum(norms(g), norms((2.0 / n) * rmv(X, y)))
    threshold = gtol * g0
    histories = {name: [] for name in monitors}

    def record():
        for name, (Xm, ym) in monitors.items():
            r = mv(Xm, w) - ym
            histories[name].append(np.sum(r * r, axis=-1) / ym.shape[-1])

    record()
    steps = np.zeros(len(X), int)
    active = (norms(g) > threshold) & (g0 > 0) & (steps < max_steps)
    while active.any():
        w[active] -= lr[active] * g[active]
        steps += active
        g = np.where(active[:, None], gradient(w), g)
        record()
        active &= (norms(g) > threshold) & (steps < max_steps)
    if gtol > 0 and np.any(steps >= max_steps):  # pragma: no cover - budget of 200000
        warn("gradient descent stopped at max_steps before converging",
             NotConvergedWarning)
    return w, {k: np.stack(v, axis=-1) for k, v in histories.items()}, steps


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
    budget = 200_000  # gradient_descent's default max_steps
    for i, (name, d_lap, description) in enumerate(_TRAINING_CASES):
        scenario = _flat_scenario(d_lap=d_lap)
        # the draws of scenario.sample with each child seed, side by side
        b = scenario.sample_batch(
            montecarlo.seed_sequence(seed, "training_curves", name).spawn(n_draws))
        monitors = {"remaining_loss": (b.X_r, b.y_r), "unlearning_loss": (b.X_f, b.y_f)}
        zeros, full = np.zeros((n_draws, b.d)), np.full(n_draws, budget)
        w_o, pre, _ = _descend(b.X, b.y, zeros, monitors, max_steps=full, gtol=1e-12)
        _, golden, k = _descend(b.X_r, b.y_r, zeros, monitors, max_steps=full,
                                gtol=1e-12)
        # fine-tuning from w_o for as many steps as retraining took, gtol = 0
        _, ft, _ = _descend(b.X_r, b.y_r, w_o, monitors, max_steps=k, gtol=0.0)
        curves = {(key, loss): h[loss] for key, h in (("pre", pre), ("ft", ft),
                                                     ("golden", golden))
                  for loss in ("remaining_loss", "unlearning_loss")}
        _report(progress, (i + 1) * n_draws, total)
        g = montecarlo.confidence_interval(curves["golden", "unlearning_loss"])
        mean = lambda key, loss: curves[key, loss].mean(axis=0)  # noqa: E731
        cases.append(TrainingCase(
            name, description,
            mean("pre", "remaining_loss"), mean("pre", "unlearning_loss"),
            mean("ft", "remaining_loss"), mean("ft", "unlearning_loss"),
            mean("golden", "remaining_loss"), g.estimate, g.low, g.high,
            _golden_expectations(scenario)[0], n_draws))
    return TrainingCurves(tuple(cases), seed)


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
        metrics = evaluate(batch, closed_form(batch, method, mask, semantics),
                           _SWEEP_METRICS)
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
                 montecarlo.CONFIDENCE, seed, f"{setting}; {FLAT_TEACHER}")


def compute_overlap_sweep(seed=0, *, quick=False, progress=None):
    """Monte Carlo of the six models against ``d_lap / d_f``.

    ``d_r = 60, d_f = 40, n_r = 30, n_f = 15``, flat teacher, noiseless;
    ``d_lap / d_f`` from 0 to 1 in steps of 0.1 (quick: 0, 0.5, 1), 1000
    trials per point (quick: 40).
    """
    seed = check_int(seed, "seed", minimum=0)
    x = (0.0, 0.5, 1.0) if quick else tuple(np.round(np.linspace(0, 1, 11), 2))
    scenarios = [_flat_scenario(d_lap=int(round(r * BASE['d_f']))) for r in x]
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
    scenarios = [_flat_scenario(n_r=int(round(r * BASE['d_r']))) for r in x]
    return _sweep("sample_sweep", "sample ratio $n_r / d_r$", x, scenarios,
                  40 if quick else 1000, seed, progress,
                  "d_r=60, d_f=40, d_lap=16, n_f=15, n_r = ratio * d_r")


# --------------------------------------------------------------------------
# 4. claim maps


def _map_checks(claim_id="C5"):
    """The sign checks the claim map shows: a claim's mapped parts first, then its other parts."""
    parts = [c for c in claims.CLAIMS.values() if c.id == claim_id]
    ordered = [c for c in parts if c.mapped] + [c for c in parts if not c.mapped]
    return tuple(check.name for c in ordered for check in c.checks
                 if check.kind in ("positive", "nonpositive"))


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


def _map_cell(job):
    """One cell of a claim map: the verifier's check on the cell's regime."""
    _, _, check, regime, seed, trials, precision = job
    return check.run(regime, seed, trials=trials, precision=precision)


def compute_claim_map(seed=0, *, quick=False, progress=None, executor=None):
    """Run C5's checks on a grid of overlap ratio by ``n_r / d_r``.

    Regimes from :func:`linunlearn.regimes.map_regimes` (``d_r = 60,
    d_f = 40, n_f = 15``, flat teacher, noiseless): overlap ratio 0 to 1 in
    steps of 0.1 by ``n_r / d_r`` 0.1 to 0.9 (quick: 3 by 2 with 30 trials).
    Each cell is :meth:`linunlearn.checks.Check.run` with the verifier's
    default adaptive sample size (trials are added until the interval settles
    the sign), decided on its own at the family-wise level 0.01. The cells
    are independent jobs, run on ``executor`` if one is given
    (:func:`linunlearn.parallel.executor`); the numbers do not depend on it.
    A sweep over the same grid (:mod:`linunlearn.sweeps`) gives the same
    cells.
    """
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
    names = _map_checks()
    shape = (len(names), len(laps), len(nrs))
    verdicts = np.full(shape, "n/a", dtype=object)
    means = np.full(shape, np.nan)
    equal = np.zeros(shape, bool)
    n_trials = np.zeros(shape, int)
    jobs = [(c, r, checks[name], regime, seed, trials, precision or 0.05)
            for c, name in enumerate(names) for r, regime in enumerate(cells)
            if regime.interpolating]

    def done(k, result):
        c, r = jobs[k][:2]
        a, b = divmod(r, len(nrs))
        e = result.estimate
        verdicts[c, a, b] = result.outcome
        means[c, a, b] = e["mean"]
        equal[c, a, b] = result.verdict == "equal"
        n_trials[c, a, b] = result.n_trials
        finished.append(k)
        _report(progress, len(finished), len(jobs))

    finished = []
    parallel.run_jobs(_map_cell, jobs, executor, done=done)
    return ClaimMap(names, tuple(checks[n].statement for n in names),
                    tuple(checks[n].masks for n in names),
                    "flat" if flat else "other", np.asarray(laps, float),
                    np.asarray(nrs, float), verdicts.astype(str), means, equal,
                    n_trials, seed, precision)


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
    """Mean over the last axis (draws) and the half-width of its confidence interval.

    The interval is :func:`linunlearn.montecarlo.confidence_interval`'s.
    """
    e = montecarlo.confidence_interval(np.moveaxis(x, -1, 0))
    return e.estimate, e.half_width


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
    # All draws at once (the draws of scenario.sample with each child seed):
    # the methods' objectives by discriminative_finetune, with solve's step
    # size (1/L of the objective at weight 1, the default there too).
    batch = _flat_scenario().sample_batch(
        montecarlo.seed_sequence(seed, "tradeoff").spawn(n_draws))
    w_o = closed_form(batch, "pretrained")

    def losses(w):
        return (squared_loss(batch.X_r, batch.y_r, w), squared_loss(batch.X_f, batch.y_f, w))

    def regularised(variant, alpha, k):
        if k is None and alpha == 0.0:  # no forgetting term: fine-tuning's limit
            return closed_form(batch, "finetune")
        return discriminative_finetune(batch, w_o, float(alpha),
                                       np.inf if k is None else k, variant=variant)

    golden = losses(closed_form(batch, "golden"))[1]
    finetune = losses(closed_form(batch, "finetune"))[1]
    shape = (len(_REGULARISED), len(alphas), n_draws)
    rl, ul = np.empty(shape), np.empty(shape)
    brl, bul = (np.empty((len(budgets), len(alphas), n_draws)) for _ in range(2))
    for i, method in enumerate(_REGULARISED):
        for j, alpha in enumerate(alphas):
            a = max(alpha, alphas[1]) if method == "ice_ft" else alpha
            rl[i, j], ul[i, j] = losses(regularised(method[:-3], a, steps))
        _report(progress, i + 1, len(_REGULARISED) + 1)
    for i, k in enumerate(budgets):
        for j, alpha in enumerate(alphas):
            brl[i, j], bul[i, j] = losses(regularised("ce", alpha, k))
    _report(progress, len(_REGULARISED) + 1, len(_REGULARISED) + 1)
    (rl, rl_half), (ul, ul_half) = _mean_half(rl), _mean_half(ul)
    (brl, brl_half), (bul, bul_half) = _mean_half(brl), _mean_half(bul)
    return Tradeoff(_REGULARISED, alphas, steps, rl, ul, rl_half, ul_half, budgets,
                    brl, bul, brl_half, bul_half, float(golden.mean()),
                    float(finetune.mean()), n_draws, seed,
                    "d_r=60, d_f=40, d_lap=16, n_r=30, n_f=15; " + FLAT_TEACHER)


# --------------------------------------------------------------------------
# 7. every method's gap to golden (``linunlearn compare``)


@dataclass(frozen=True)
class MethodGaps:
    """Data of the ``method_gaps`` figure: :func:`linunlearn.compare.gaps` of every regime.

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


def _compare_regime(job):
    """One regime of the method-gaps figure: ``linunlearn compare`` on it."""
    from .. import compare
    regime, n_trials, seed = job
    result = compare.compare([regime], n_trials=n_trials, seed=seed,
                             confidence=montecarlo.CONFIDENCE)
    return compare.gaps(result)[regime], result.descriptions[regime], result.confidence


def compute_method_gaps(seed=0, *, quick=False, progress=None, executor=None):
    """Run ``linunlearn compare`` on its default regimes and keep the gaps.

    Each default regime (distinct, 40% overlap, full overlap; default random
    teacher of :data:`linunlearn.regimes.DEFAULT_REGIMES`) with 200 trials
    (quick: 3), every default method, intervals at ``montecarlo.CONFIDENCE``.
    The regimes are independent jobs, run on ``executor`` if one is given
    (:func:`linunlearn.parallel.executor`); each draws from
    ``seed_sequence(seed, "compare", regime)``, so the numbers are those of one
    ``compare(n_trials=..., seed=seed, confidence=...)`` call, whatever the
    executor.
    """
    from .. import compare
    seed = check_int(seed, "seed", minimum=0)
    n_trials = 3 if quick else 200
    names = compare.DEFAULT_COMPARE_REGIMES
    finished = []

    def done(*_):
        finished.append(1)
        _report(progress, len(finished), len(names))
    results = parallel.run_jobs(_compare_regime, [(r, n_trials, seed) for r in names],
                                executor, done=done)
    gaps = {r: g for r, (g, _, _) in zip(names, results)}
    methods = tuple(gaps[names[0]])
    cells = np.array([[(gaps[r][m].estimate, gaps[r][m].low, gaps[r][m].high)
                       for m in methods] for r in names], float)
    return MethodGaps(tuple(names), tuple(d for _, d, _ in results), methods, cells[..., 0],
                      cells[..., 1], cells[..., 2], n_trials, results[-1][2], seed)


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
    seed = check_int(seed, "seed", minimum=0)
    trials = 10 if quick else 1000
    lambdas = (0.0, 1e-2, 1.0) if quick else (0.0, *np.logspace(-4, 2, 13))
    steps = (0, 5, 50) if quick else (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    ratios = (0.5, 1.0, 1.5) if quick else tuple(np.arange(2, 41, 2) / 20)
    scenario = _flat_scenario()
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
    setting = "d_r=60, d_f=40, d_lap=16, n_r=30, n_f=15; " + FLAT_TEACHER
    return RegimeGaps(
        ridge["lambda"], ridge["gap_unpenalised"].estimate,
        ridge["gap_penalised"].estimate, ridge["gap_unpenalised"].half_width,
        ridge["gap_penalised"].half_width, ridge["steps"], path["steps"],
        {m: -path[m].estimate for m in methods},
        {m: path[m].half_width for m in methods}, transition["ratio"],
        transition["ul_gap"].estimate, transition["ul_gap"].half_width,
        (d - t["n_f"]) / t["d_r"],
        (setting, setting, f"d_r=d_f=d_lap={t['d_r']}, n_f={t['n_f']}, "
                           f"sigma={t['sigma']:g}; default random teacher"),
        trials, seed)


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
    from ..scenarios import Dataset
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
