"""Relearning: how fast an unlearned model gets the forgetting data back.

relearn_set         the rows of ``D_f`` that are relearned: the first ``ceil(fraction n_f)``
relearn_curve       their unlearning loss after k steps of fine-tuning on them, closed form
relearn_threshold   the level that counts as "back": ``UL(w_o) + tol (UL(w_g) - UL(w_o))+``
relearn_time        the first step at which the curve reaches the threshold (exact)
Relearning          a model's relearning: its curve, threshold and time
relearning          everything above for one model, as ``compare`` reports it
compute_relearning  the data of the ``relearning`` figure; RelearningFigure: its type
FRACTION, TOL, CURVE_STEPS, FIGURE_METHODS

Definitions (docs/theory.md, section 3). An attacker (or a careless user)
fine-tunes the unlearned model ``w_u`` on the relearning set ``D_rho``, the
first ``m = ceil(rho n_f)`` rows of ``D_f`` (the rows of ``D_f`` are i.i.d.,
so this is a random subset), by gradient descent on its mean squared loss
``UL_rho(w) = (1/m) ||X_rho w - y_rho||^2`` with step ``eta = 1/L``, ``L = 2
||X_rho||_2^2 / m``. The model is *back* at step ``k`` when

.. math:: UL_\\rho(w_k) \\le \\tau = UL_\\rho(w_o) + tol \\cdot
          \\max\\big(UL_\\rho(w_g) - UL_\\rho(w_o), 0\\big),

within ``tol`` (default 0.1) of the gap between the pretrained and the
golden model's loss on the same rows; the relearn time is the first such
``k``. A model that never unlearned (``UL_rho(w_u) <= tau``, e.g.
fine-tuning in the interpolating regime) has relearn time 0. In the
interpolating regime ``UL_rho(w_o) = 0`` and ``tau = tol UL_rho(w_g) > 0``:
"back" means within 10% of golden's loss from zero, which gradient descent
reaches in finitely many steps because ``D_rho`` can be interpolated (it
approaches 0 only in the limit). Where golden's loss is not above the
pretrained model's there is nothing to relearn and ``tau = UL_rho(w_o)``.

The curve is exact: with ``X_rho X_rho^T = U diag(lambda) U^T`` and ``q_i =
1 - 2 eta lambda_i / m``, the residual on ``D_rho`` after ``k`` steps is
``U diag(q^k) U^T r_0`` plus the part of ``r_0 = X_rho w_u - y_rho`` that no
weight change can remove, so ``UL_rho(w_k)`` is non-increasing in ``k`` and
the relearn time is found by bisection, exactly. Only the unlearned model's
residual on ``D_rho`` matters: two models with the same residuals there
relearn alike.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._linalg import gram
from ._validation import check_float, check_int
from .metrics import squared_loss

__all__ = ["relearn_set", "relearn_curve", "relearn_threshold", "relearn_time",
           "Relearning", "relearning", "compute_relearning", "RelearningFigure",
           "FRACTION", "TOL", "CURVE_STEPS", "FIGURE_METHODS"]

#: Share of ``D_f`` relearned by default.
FRACTION = 0.5

#: "Back" means within this share of the gap between golden's and the
#: pretrained model's loss on the relearning set.
TOL = 0.1

#: Steps of the relearning curve :func:`relearning` returns.
CURVE_STEPS = 20

#: Relearn times are searched up to this many steps (a model farther than
#: this is reported as never back: ``inf``).
_MAX_STEPS = 2 ** 40


def relearn_set(data, fraction=FRACTION):
    """``(X_rho, y_rho)``: the first ``ceil(fraction n_f)`` rows of ``D_f``.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 5).sample(rng=0)
    >>> relearn_set(data, 0.5)[0].shape
    (3, 12)
    """
    fraction = check_float(fraction, "fraction", minimum=0.0, maximum=1.0, strict=True)
    m = max(1, math.ceil(fraction * data.n_f - 1e-12))
    return data.X_f[:m], data.y_f[:m]


class _Curve:
    """``UL_rho(w_k)`` for any ``k``, from one eigendecomposition of ``X_rho X_rho^T``.

    With ``G = X X^T = U diag(lambda) U^T``, ``r_0 = X w - y`` and ``q_i = 1 -
    2 eta lambda_i / m``, the residual after ``k`` steps is ``U diag(q^k)
    U^T r_0`` on the live eigendirections (the others never change), so
    ``UL(w_k) = (fixed + sum_i q_i^(2k) (u_i^T r_0)^2) / m``. On another set
    ``(X_e, y_e)`` the residual is ``e_0 - X_e X^T U diag((1 - q^k) /
    lambda) U^T r_0`` (:meth:`elsewhere`).
    """

    def __init__(self, X, y, w, lr=None):
        self.m = X.shape[0]
        self.X, self.w = X, w
        lam, U = np.linalg.eigh(gram(X))
        lam = np.clip(lam, 0.0, None)
        top = lam[-1]
        if lr is None:
            lr = self.m / (2.0 * top) if top > 0 else 1.0
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
        if top > 0 and lr >= self.m / top:
            raise ValueError(f"lr={lr:g} makes gradient descent diverge on the "
                             f"relearning set: it must be below 2/L = {self.m / top:g}")
        self.lr = lr
        live = lam > top * self.m * np.finfo(float).eps
        coef = U.T @ (X @ w - y)             # (m,) or (m, k)
        self.fixed = float(np.sum(coef[~live] ** 2))   # never removed
        self.coef2 = coef[live] ** 2
        if self.coef2.ndim == 2:
            self.coef2 = self.coef2.sum(axis=1)
        self.q = 1.0 - 2.0 * lr * lam[live] / self.m
        self.U, self.lam, self.coef = U[:, live], lam[live], coef[live]

    def __call__(self, k):
        k = np.asarray(k, dtype=float)
        decay = np.abs(self.q)[:, None] ** (2.0 * k.ravel()[None, :])
        values = (self.fixed + self.coef2 @ decay) / self.m
        return values.reshape(k.shape)

    def elsewhere(self, X_e, y_e, k):
        """The mean squared loss on ``(X_e, y_e)`` after ``k`` relearning steps (array ``k``)."""
        k = np.asarray(k, dtype=float).ravel()
        T = (X_e @ self.X.T @ self.U) / self.lam          # (n_e, m)
        moved = 1.0 - self.q[:, None] ** k[None, :]         # (m, K)
        e0 = X_e @ self.w - y_e
        if e0.ndim == 1:
            res = e0[:, None] - T @ (self.coef[:, None] * moved)
            return np.mean(res ** 2, axis=0)
        res = e0[:, :, None] - np.einsum("im,mo,mk->iok", T, self.coef, moved)
        return np.mean(np.sum(res ** 2, axis=1), axis=0)

    @property
    def limit(self):
        return self.fixed / self.m


def relearn_curve(data, w, steps=CURVE_STEPS, *, fraction=FRACTION, lr=None):
    """The relearning set's loss ``UL_rho(w_k)`` for ``k = 0, 1, ..., steps``, in closed form.

    Parameters
    ----------
    data : Dataset
    w : ndarray of shape (d,) or (d, k)
        The unlearned model ``w_u``, where relearning starts.
    steps : int
    fraction : float in (0, 1], default 0.5
    lr : float, optional
        Step size; default ``1/L`` of the relearning loss.

    Returns
    -------
    ndarray of shape (steps + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 6).sample(rng=0)
    >>> c = relearn_curve(data, lu.solve(data, "golden").w, 5)
    >>> bool(np.all(np.diff(c) <= 0)), c.shape
    (True, (6,))
    """
    steps = check_int(steps, "steps", minimum=0)
    X, y = relearn_set(data, fraction)
    return _Curve(X, y, data.as_weights(w), lr)(np.arange(steps + 1))


def relearn_threshold(data, w_o, w_g, *, fraction=FRACTION, tol=TOL):
    """``tau = UL_rho(w_o) + tol max(UL_rho(w_g) - UL_rho(w_o), 0)``.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 6).sample(rng=0)
    >>> w_o, w_g = lu.solve(data, "pretrained").w, lu.solve(data, "golden").w
    >>> X, y = relearn_set(data)
    >>> tau = relearn_threshold(data, w_o, w_g)
    >>> bool(abs(tau - 0.1 * float(squared_loss(X, y, w_g))) < 1e-12)  # UL(w_o) = 0
    True
    """
    tol = check_float(tol, "tol", minimum=0.0, maximum=1.0)
    X, y = relearn_set(data, fraction)
    ul_o = float(squared_loss(X, y, data.as_weights(w_o, "w_o")))
    ul_g = float(squared_loss(X, y, data.as_weights(w_g, "w_g")))
    return ul_o + tol * max(ul_g - ul_o, 0.0)


def relearn_time(data, w, threshold, *, fraction=FRACTION, lr=None):
    """The first step ``k`` with ``UL_rho(w_k) <= threshold`` (``inf`` if never).

    The curve is non-increasing, so the step is found exactly by doubling
    and bisection on the closed form; ``inf`` when its limit is not below
    the threshold (outside the interpolating regime, or a threshold of
    exactly 0, which is approached only in the limit) or the step lies
    beyond ``2^40``.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 6).sample(rng=0)
    >>> w_o, w_g = lu.solve(data, "pretrained").w, lu.solve(data, "golden").w
    >>> tau = relearn_threshold(data, w_o, w_g)
    >>> relearn_time(data, w_o, tau), relearn_time(data, w_g, tau) > 0
    (0, True)
    """
    threshold = check_float(threshold, "threshold", minimum=0.0)
    X, y = relearn_set(data, fraction)
    return _first_step(_Curve(X, y, data.as_weights(w), lr), threshold)


def _first_step(curve, threshold):
    """The first ``k`` with ``curve(k) <= threshold`` (``inf`` if never), exactly."""
    # a relative slack of 1e-12 so that round-off cannot keep a model that is
    # exactly at the threshold (e.g. w_o itself when tol = 0) from being back
    level = threshold * (1.0 + 1e-12)
    if curve(0) <= level:
        return 0
    if curve.limit >= level:   # UL_k > limit for every k: reached only in the limit
        return math.inf
    hi = 1
    while curve(hi) > level:
        if hi >= _MAX_STEPS:
            return math.inf
        hi *= 2
    lo = hi // 2          # curve(lo) > level (or lo = 0, checked above)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if curve(mid) <= level:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class Relearning:
    """One model's relearning on one data set.

    Attributes
    ----------
    steps : int or float
        The relearn time (``inf``: never back).
    threshold : float
    curve : ndarray of shape (CURVE_STEPS + 1,)
        ``UL_rho(w_k)`` for ``k = 0, 1, ...``.
    fraction, tol, lr : float
    """

    steps: float
    threshold: float
    curve: np.ndarray
    fraction: float
    tol: float
    lr: float


def relearning(data, w, w_o, w_g, *, fraction=FRACTION, tol=TOL, lr=None,
               curve_steps=CURVE_STEPS):
    """Relearn time, threshold and curve of the unlearned model ``w``.

    Parameters
    ----------
    data : Dataset
    w, w_o, w_g : ndarray
        The unlearned, the pretrained and the golden model.
    fraction, tol, lr
        See the module's definitions.
    curve_steps : int

    Returns
    -------
    Relearning

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 6).sample(rng=0)
    >>> w_o, w_g = lu.solve(data, "pretrained").w, lu.solve(data, "golden").w
    >>> relearning(data, lu.solve(data, "finetune").w, w_o, w_g).steps
    0
    """
    tau = relearn_threshold(data, w_o, w_g, fraction=fraction, tol=tol)
    X, y = relearn_set(data, fraction)
    curve = _Curve(X, y, data.as_weights(w), lr)
    return Relearning(_first_step(curve, tau), tau,
                      curve(np.arange(check_int(curve_steps, "curve_steps", minimum=0) + 1)),
                      float(fraction), float(tol), curve.lr)


# --------------------------------------------------------------------------
# the relearning figure

#: Rows of the ``relearning`` figure: ``(label, method, options)``.
FIGURE_METHODS = (("golden", "golden", {}), ("rbm", "rbm", {}), ("fbm", "fbm", {}),
                  ("newton", "newton", {}), ("pru", "pru", {}),
                  ("salun", "salun", {}), ("ce_ft[k=5]", "ce_ft", {"steps": 5}),
                  ("kl_ft[k=5]", "kl_ft", {"steps": 5}), ("finetune", "finetune", {}))


@dataclass(frozen=True)
class RelearningFigure:
    """Data of the ``relearning`` figure (regime ``overlap``).

    Attributes
    ----------
    steps : ndarray of int, shape (K + 1,)
    methods : tuple of str
        Row labels (``"ce_ft[k=5]"``: a variant of a method).
    relearned, rest : ndarray of shape (methods, K + 1)
        Mean over the draws of ``UL(w_k) / UL(w_g)`` on the relearning set
        ``D_rho`` and on the rest of ``D_f``, ``w_k`` after ``k`` relearning
        steps on ``D_rho``.
    relearned_half, rest_half : ndarray of shape (methods, K + 1)
        Half-widths of their confidence intervals.
    times : ndarray of shape (methods,)
        Mean relearn time (:func:`relearn_time`, steps).
    fraction, tol : float
    n_trials, seed : int
    confidence : float
    """

    steps: np.ndarray
    methods: tuple
    relearned: np.ndarray
    rest: np.ndarray
    relearned_half: np.ndarray
    rest_half: np.ndarray
    times: np.ndarray
    fraction: float
    tol: float
    n_trials: int
    seed: int
    confidence: float


def compute_relearning(seed=0, *, quick=False, progress=None):
    """Relearning curves of :data:`FIGURE_METHODS` on the ``overlap`` regime.

    Each draw: every method unlearns ``D_f``, then relearns the first half of
    it for ``K = 12`` steps; the curves are normalised by the golden model's
    loss on the same rows, so that the threshold of the relearn time is
    ``tol`` itself (``UL_rho(w_o) = 0`` there). 100 draws (quick: 3), from
    ``seed_sequence(seed, "relearning")``.
    """
    from . import montecarlo
    from .regimes import DEFAULT_REGIMES
    from .solutions import solve
    seed = check_int(seed, "seed", minimum=0)
    n_trials, K = (3, 12) if quick else (100, 12)
    scenario = DEFAULT_REGIMES["overlap"].scenario
    ks = np.arange(K + 1)
    relearned, rest, times = [], [], []
    children = montecarlo.seed_sequence(seed, "relearning").spawn(n_trials)
    for i, child in enumerate(children):
        data_seed, method_seed = child.spawn(2)
        data = scenario.sample(rng=np.random.default_rng(data_seed))
        w_o, w_g = solve(data, "pretrained").w, solve(data, "golden").w
        X, y = relearn_set(data)
        X_rest, y_rest = data.X_f[len(y):], data.y_f[len(y):]
        ul_g = float(squared_loss(X, y, w_g))
        ul_g_rest = float(squared_loss(X_rest, y_rest, w_g))
        tau = relearn_threshold(data, w_o, w_g)
        row_a, row_b, row_t = [], [], []
        for _, method, options in FIGURE_METHODS:
            opts = dict(options)
            if method == "salun":
                opts["rng"] = np.random.default_rng(method_seed)
            w = solve(data, method, **opts).w
            curve = _Curve(X, y, w)
            row_a.append(curve(ks) / ul_g)
            row_b.append(curve.elsewhere(X_rest, y_rest, ks) / ul_g_rest)
            row_t.append(relearn_time(data, w, tau))
        relearned.append(row_a)
        rest.append(row_b)
        times.append(row_t)
        if progress:
            progress(i + 1, n_trials)
    a = montecarlo.confidence_interval(np.array(relearned))
    b = montecarlo.confidence_interval(np.array(rest))
    return RelearningFigure(ks, tuple(label for label, _, _ in FIGURE_METHODS),
                            a.estimate, b.estimate, a.half_width, b.half_width,
                            np.mean(np.array(times, float), axis=0), FRACTION, TOL,
                            n_trials, seed, montecarlo.CONFIDENCE)
