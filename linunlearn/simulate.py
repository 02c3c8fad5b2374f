"""Gradient descent, actually run, and its finite-step closed form.

Training in the paper is gradient descent on the mean squared loss
``L(w) = (1/n) ||X w - y||^2`` to convergence. :func:`gradient_descent` runs it
(full batch or mini-batch SGD, optionally updating only the weights in a mask)
and records the remaining and unlearning losses along the way;
:func:`gradient_descent_steps` is the exact k-step iterate of full-batch
gradient descent, for early-stopped methods; :func:`steps_to_converge`
predicts from the spectrum, before a run, how many steps it will take.
"""

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._linalg import RowSpace, gram, gram_eigh, mv, norm, rmv
from ._validation import (NotConvergedWarning, as_array, as_generator, as_mask,
                          check_float, check_int, warn)

__all__ = ["GDRun", "gradient_descent", "gradient_descent_steps", "smoothness",
           "steps_to_converge", "GD_MIN_ABS"]

#: How often (in steps) :func:`gradient_descent` reports its progress.
_PROGRESS_EVERY = 500

#: Gradient descent refuses features whose largest entry is below this
#: (2^-450, about 3.4e-136): the curvature ``L`` sums their squares, which
#: (below 2^-900) approach the denormal range and lose their precision, and
#: the step 1/L would approach the largest float. The closed forms have no
#: such limit (they rescale by a power of two).
GD_MIN_ABS = 2.0 ** -450


@dataclass(frozen=True)
class GDRun:
    """The outcome of a gradient-descent run.

    Attributes
    ----------
    w : ndarray of shape (d,)
        Final weights.
    steps : ndarray of int
        The step counts at which the losses were recorded (every step for
        full-batch gradient descent, every epoch for SGD).
    history : dict of str to ndarray
        Each monitored loss at those steps (at least ``"loss"``, the training
        loss).
    n_steps : int
        Number of parameter updates made.
    stop_reason : str
        ``"converged"`` (gradient norm below ``gtol`` times its scale, see
        :func:`gradient_descent`) or ``"max_steps"``.
    lr : float
        The step size used.
    grad_norm : float or None
        The full gradient's norm when the run stopped.
    threshold : float or None
        The norm below which it counts as converged (``gtol`` times the
        gradient's scale).
    """

    w: np.ndarray
    steps: np.ndarray
    history: dict
    n_steps: int
    stop_reason: str
    lr: float
    grad_norm: float = None
    threshold: float = None

    @property
    def converged(self):
        """Whether the run met its stopping rule (``stop_reason == "converged"``)."""
        return self.stop_reason == "converged"


def _mse(X, y, w):
    r = X @ w - y
    return float(np.sum(r * r)) / len(y)


def smoothness(X, mask=None):
    """Return the smoothness constant ``2 ||X_m||_2^2 / n`` of the mean squared loss.

    ``X_m`` keeps the columns in ``mask`` (boolean, or 0/1, of length ``d``).
    The largest eigenvalue comes from the smaller of the two Gram matrices, so
    no d x d matrix is formed when d > n.

    Examples
    --------
    >>> import numpy as np
    >>> smoothness(np.array([[3.0, 0.0], [0.0, 1.0]]))
    9.0
    >>> smoothness(np.array([[3.0, 0.0], [0.0, 1.0]]), mask=[0, 1])
    1.0
    """
    X = as_array(X, "X", ndim=2)
    Xm = X if mask is None else X[:, as_mask(mask, "mask", X.shape[1])]
    n = X.shape[0]
    if Xm.shape[1] == 0:
        return 0.0
    small = gram(Xm) if Xm.shape[0] <= Xm.shape[1] else Xm.T @ Xm
    top = scipy.linalg.eigvalsh(small, subset_by_index=[len(small) - 1] * 2)[0]
    return 2.0 * float(top) / n


def _data(X, y, names, d=None, outputs=None):
    """Validate one data set ``(X, y)``: ``X`` (n, d), ``y`` (n,) or (n, k)."""
    X = as_array(X, names[0], ndim=2)
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{names[0]} must have d={d} columns, got shape {X.shape}")
    y = as_array(y, names[1], ndim=(1, 2))
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{names[1]} must have {X.shape[0]} rows (one per row of "
                         f"{names[0]}), got shape {y.shape}")
    if outputs is not None and y.shape[1:] != outputs:
        raise ValueError(f"{names[1]} must have trailing shape {outputs} (the "
                         f"outputs of y), got shape {y.shape}")
    return X, y


def _monitors(monitors, d, outputs):
    """Validate ``{name: (X, y)}``: the losses a run records besides its own."""
    if monitors is None:
        return {}
    if not isinstance(monitors, dict):
        raise TypeError(f"monitors must be a dict of name to (X, y), got "
                        f"{type(monitors).__name__}")
    out = {}
    for name, pair in monitors.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"monitors[{name!r}] must be a pair (X, y)")
        out[name] = _data(*pair, (f"monitors[{name!r}] X", f"monitors[{name!r}] y"),
                          d, outputs)
    return out


def gradient_descent(X, y, w0, *, lr=None, max_steps=200_000, gtol=1e-12,
                     batch_size=None, mask=None, monitors=None, rng=None, name=None,
                     progress=None):
    """Run gradient descent on ``(1/n) ||X w - y||^2`` from ``w0``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,) or (n, k)
    w0 : ndarray of shape (d,) or (d, k)
        Starting point (2-D for ``k`` outputs, fitted jointly).
    lr : float, optional
        Step size. Default ``1/L`` for full batch (``L`` from
        :func:`smoothness`) and ``1 / (2 max_i ||x_i||^2)`` for SGD, which
        is stable for every mini-batch. A full-batch step of at least
        ``2/L`` diverges and is rejected.
    max_steps : int
        Budget of parameter updates.
    gtol : float
        Stop when the full gradient norm falls below ``gtol`` times its
        natural scale, the larger of its norms at ``w0`` and at zero.
        ``gtol=0`` runs exactly ``max_steps`` updates.
    batch_size : int, optional
        Mini-batch size for SGD (rows reshuffled every epoch, constant step);
        ``None`` for full-batch gradient descent.
    mask : ndarray of bool (or 0/1), shape (d,), optional
        Update only these weights (the others stay frozen at ``w0``).
    monitors : dict of str to (X, y), optional
        Further losses to record, e.g. ``{"unlearning_loss": (X_f, y_f)}``.
    rng : None, int or numpy.random.Generator
        Shuffling for SGD.
    name : str, optional
        What this run is (e.g. ``"finetune, pretraining"``): its warnings
        start with it.
    progress : callable, optional
        ``progress(done, total)``, called every few hundred steps with the
        steps done and ``max_steps`` (e.g. a
        :class:`linunlearn.progress.Progress`).

    Returns
    -------
    GDRun

    Raises
    ------
    ValueError, TypeError
        Shapes that disagree, NaN or infinite values, a step size that makes
        the iteration diverge, a bad budget or tolerance.

    Warns
    -----
    NotConvergedWarning
        When ``gtol > 0`` and the budget ran out first (``stop_reason ==
        "max_steps"``): the weights are the last iterate, not the limit.

    Notes
    -----
    On the row space of ``X`` the iteration contracts by ``1 - lr * mu`` per
    step, ``mu`` the smallest non-zero curvature; the complement of the row
    space is never touched, so the limit is the minimiser closest to ``w0``:
    ``w0 + X^+ (y - X w0)``. Full-batch gradient descent needs about
    ``cond(X)^2`` steps per factor ``e`` of progress.

    Mini-batch SGD keeps a constant step. When some weights fit every row (a
    consistent system, as in the paper's interpolating regime) every
    mini-batch gradient vanishes at the limit and SGD converges linearly to
    it. When none do (more rows than features with label noise), the
    mini-batch gradients do not vanish there and SGD only reaches a noise
    ball around the limit whose size scales with the step: the stopping rule
    is not met, the run ends at ``max_steps`` and warns. A decaying step
    would converge, but too slowly to reach the stopping rule (on a 12 x 5
    inconsistent problem: 6% relative error left with the constant step,
    3e-4 after 1e5 epochs with ``lr / (1 + epoch / 10)``) while slowing down
    the consistent case; use full-batch gradient descent (or the closed
    form) for the least-squares limit of inconsistent data.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> run = gradient_descent(X, y, np.array([1.0, -1.0]))
    >>> np.round(run.w, 8), run.stop_reason
    (array([2., 0.]), 'converged')
    """
    X, y = _data(X, y, ("X", "y"))
    n, d = X.shape
    peak = float(np.max(np.abs(X)))
    if 0 < peak < GD_MIN_ABS:
        raise ValueError(f"gradient descent: the entries of X are at most {peak:.3g}, "
                         f"below {GD_MIN_ABS:.2g}: their squares (the loss's curvature) "
                         f"leave the floating-point range and the step size 1/L "
                         f"cannot be represented; use the closed form (solve without "
                         f"numeric=True), or multiply X and y by one factor (the "
                         f"weights do not change)")
    w = np.array(as_array(w0, "w0", ndim=(1, 2)))  # a copy: updated in place
    if w.shape != (d, *y.shape[1:]):
        raise ValueError(f"w0 must have shape {(d, *y.shape[1:])} (d features"
                         f"{', k outputs as y' if y.ndim == 2 else ''}), got {w.shape}")
    max_steps = check_int(max_steps, "max_steps", minimum=0)
    gtol = check_float(gtol, "gtol", minimum=0.0)
    tracked = {"loss": (X, y), **_monitors(monitors, d, y.shape[1:])}
    m = np.ones(d, dtype=bool) if mask is None else as_mask(mask, "mask", d)
    m = m.reshape(m.shape + (1,) * (w.ndim - 1))  # broadcast over outputs
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if batch_size >= n:
            batch_size = None
    if lr is not None:
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
    if batch_size is None:
        L = smoothness(X, m.ravel())
        if lr is None:
            lr = 1.0 / L if L > 0 else 1.0
        if L > 0 and lr >= 2.0 / L:
            raise ValueError(f"lr={lr:g} makes gradient descent diverge on this "
                             f"data: it must be below 2/L = {2.0 / L:g}")
    else:
        row_norms = np.max(np.sum(X[:, m.ravel()] ** 2, axis=1))
        if lr is None:
            lr = 1.0 / (2.0 * row_norms) if row_norms > 0 else 1.0
        if row_norms > 0 and lr >= 1.0 / row_norms:
            raise ValueError(f"lr={lr:g} may make SGD diverge on this data: it "
                             f"must be below 1/max_i ||x_i||^2 = {1.0 / row_norms:g}")
    gen = as_generator(rng)
    history = {name: [] for name in tracked}
    steps = []

    def record(step):
        steps.append(step)
        for name, (Xm, ym) in tracked.items():
            history[name].append(_mse(Xm, ym, w))

    def full_gradient():
        return m * ((2.0 / n) * (X.T @ (X @ w - y)))

    g = full_gradient()
    # The gradient's natural scale: its size at w0 or at zero, whichever is
    # larger, so that a start already at the minimiser stops at once.
    g0 = max(norm(g), norm(m * ((2.0 / n) * (X.T @ y))))
    record(0)
    step, reason = 0, "converged"
    threshold = gtol * g0
    report = progress if progress is not None else (lambda done, total: None)
    every = _PROGRESS_EVERY if batch_size is None else max(1, _PROGRESS_EVERY // n)
    if batch_size is None:
        while norm(g) > threshold and g0 > 0:
            if step >= max_steps:
                reason = "max_steps"
                break
            w -= lr * g
            step += 1
            g = full_gradient()
            record(step)
            if step % every == 0:
                report(step, max_steps)
    else:
        while norm(g) > threshold and g0 > 0:
            if step >= max_steps:
                reason = "max_steps"
                break
            order = gen.permutation(n)
            for start in range(0, n, batch_size):
                if step >= max_steps:  # the budget counts updates, not epochs
                    break
                rows = order[start:start + batch_size]
                Xb = X[rows]
                w -= lr * m * ((2.0 / len(rows)) * (Xb.T @ (Xb @ w - y[rows])))
                step += 1
            g = full_gradient()
            record(step)
            if len(steps) % every == 0:
                report(step, max_steps)
    report(step, max_steps)
    g_norm = norm(g)
    if reason == "max_steps" and gtol > 0:
        hint = ("mini-batch SGD with a constant step stalls at a noise floor when "
                "no weights fit every row; use full-batch gradient descent "
                "(batch_size=None)" if batch_size is not None else
                "at lr = 1/L full-batch gradient descent needs about cond(X)^2 "
                "steps per factor e of progress; raise max_steps or gtol")
        warn(f"{name + ': ' if name else ''}gradient descent stopped at "
             f"max_steps={max_steps} before converging (gradient norm "
             f"{g_norm:.3g} > gtol * scale = {threshold:.3g}): the weights are the "
             f"last iterate, not the limit; {hint}", NotConvergedWarning)
    return GDRun(w=w, steps=np.array(steps),
                 history={k: np.array(v) for k, v in history.items()},
                 n_steps=step, stop_reason=reason, lr=float(lr), grad_norm=g_norm,
                 threshold=float(threshold))


def steps_to_converge(X, y, w0, *, lr=None, gtol=1e-12, mask=None):
    """Return the number of steps full-batch gradient descent takes to converge.

    The steps :func:`gradient_descent` (same arguments, full batch) makes
    before its gradient norm falls below ``gtol`` times its scale, predicted
    from the spectrum of ``X`` before running it: ``numpy.inf`` if it never
    gets there. No step is run; one eigendecomposition of the smaller Gram
    matrix of ``X`` (its columns in ``mask``).

    Parameters
    ----------
    X, y, w0, lr, mask
        As for :func:`gradient_descent` (``lr`` defaults to ``1/L``).
    gtol : float
        ``> 0``.

    Returns
    -------
    int or float
        The step count (``numpy.inf``: never).

    Notes
    -----
    Only the weights in the mask move, so the residual ``r = X w - y``
    evolves as ``r_{k+1} = (I - lr (2/n) X_m X_m^T) r_k`` and the gradient
    is ``g_k = (2/n) X_m^T r_k``. With ``X_m X_m^T = U diag(lam) U^T`` and
    ``a = U^T r_0``,

    .. math::

        \\|g_k\\|^2 = \\frac{4}{n^2} \\sum_i \\lambda_i a_i^2
                     (1 - 2\\,\\mathrm{lr}\\,\\lambda_i / n)^{2k},

    decreasing in ``k``; the first ``k`` where it is below the threshold is
    found by bisection. At ``lr = 1/L`` the slowest direction contracts by
    ``1 - 1/cond(X_m)^2`` per step: about ``cond^2 ln(1/gtol)`` steps at
    worst.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 0.1]]); y = np.array([1.0, 1.0])
    >>> steps_to_converge(X, y, np.zeros(2))
    2520
    >>> gradient_descent(X, y, np.zeros(2)).n_steps
    2520
    """
    X, y = _data(X, y, ("X", "y"))
    n, d = X.shape
    w0 = as_array(w0, "w0", ndim=(1, 2))
    if w0.shape != (d, *y.shape[1:]):
        raise ValueError(f"w0 must have shape {(d, *y.shape[1:])}, got {w0.shape}")
    gtol = check_float(gtol, "gtol", minimum=0.0, strict=True)
    Xm = X if mask is None else X[:, as_mask(mask, "mask", d)]
    if Xm.shape[1] == 0:
        return 0
    L = smoothness(Xm)
    lr = (1.0 / L if L > 0 else 1.0) if lr is None else check_float(
        lr, "lr", minimum=0.0, strict=True)
    if L > 0 and lr >= 2.0 / L:
        raise ValueError(f"lr={lr:g} makes gradient descent diverge on this data: it "
                         f"must be below 2/L = {2.0 / L:g}")
    r0 = X @ w0 - y
    g0 = max(norm((2.0 / n) * (Xm.T @ r0)), norm((2.0 / n) * (Xm.T @ y)))
    threshold = gtol * g0
    if g0 == 0 or norm((2.0 / n) * (Xm.T @ r0)) <= threshold:
        return 0
    if n <= Xm.shape[1]:  # lam, U of X_m X_m^T; weights of the gradient's terms
        lam, U = np.linalg.eigh(gram(Xm))
        a2 = (U.T @ r0) ** 2
        weight = (2.0 / n) ** 2 * np.clip(lam, 0.0, None) * (
            a2 if a2.ndim == 1 else a2.sum(axis=1))
    else:  # the same in the column space: g_k = (I - lr H)^k g_0
        lam, V = np.linalg.eigh(Xm.T @ Xm)
        b2 = (V.T @ ((2.0 / n) * (Xm.T @ r0))) ** 2
        weight = b2 if b2.ndim == 1 else b2.sum(axis=1)
    lam = np.clip(lam, 0.0, None)
    live = (weight > 0) & (lam > lam.max() * max(n, d) * np.finfo(float).eps)
    with np.errstate(divide="ignore"):
        log_w = np.log(weight[live])
        log_q = np.log(np.abs(1.0 - 2.0 * lr * lam[live] / n))
    target = 2.0 * np.log(threshold)

    def above(k):  # whether ||g_k|| > threshold, in logs (no underflow)
        with np.errstate(invalid="ignore"):
            terms = log_w + 2.0 * k * np.where(np.isneginf(log_q) & (k == 0), 0.0, log_q)
        top = np.max(terms)
        return top > -np.inf and top + np.log(np.sum(np.exp(terms - top))) > target

    if not above(0):
        return 0
    high = 1
    while above(high):
        if high > 1e18:
            return np.inf
        high *= 2
    low = high // 2  # above(low), not above(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if above(mid) else (low, mid)
    return int(high)


def _check_steps(steps):
    """``steps``: an int >= 0, or ``numpy.inf`` for the limit."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Real):
        raise TypeError(f"steps must be an integer >= 0 or numpy.inf, got {steps!r}")
    if steps == np.inf:
        return np.inf
    if not isinstance(steps, numbers.Integral):
        raise TypeError(f"steps must be an integer >= 0 or numpy.inf, got {steps!r}")
    return check_int(steps, "steps", minimum=0)


def _check_lr(lr):
    """``lr``: a positive finite float, or an array of them (one per problem)."""
    if not isinstance(lr, np.ndarray):
        return check_float(lr, "lr", minimum=0.0, strict=True)
    lr = as_array(lr, "lr", ndim=lr.ndim)
    if np.any(lr <= 0):
        raise ValueError(f"lr must be > 0, got {lr[lr <= 0].ravel()[0]} in its array")
    return lr


def gradient_descent_steps(X, y, w0, steps, *, lr, ascent=False, penalty=0.0):
    """Return the exact iterate after ``steps`` steps of full-batch gradient descent.

    Gradient descent on ``(1/n) ||X w - y||^2 + penalty ||w||^2`` from ``w0``
    (``penalty = 0``: least squares; ``penalty > 0``: ridge).

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
        Features; leading axes hold a stack of independent problems.
    y : ndarray of shape (..., n), or (..., n, k) for ``k`` outputs
        Labels. With one axis fewer than ``X`` they are a single output per
        problem; with as many axes as ``X`` the last axis holds ``k`` outputs,
        fitted jointly (the layout of :func:`gradient_descent`).
    w0 : ndarray of shape (..., d), or (..., d, k) for ``k`` outputs
        Starting point.
    steps : int or numpy.inf
        Number of steps ``k >= 0`` (``numpy.inf`` gives the limit).
    lr : float, or ndarray broadcasting against shape (..., n)
        Step size ``eta > 0`` (an array of shape ``(..., 1)`` gives each
        problem of a stack its own step).
    ascent : bool
        Gradient ascent, ``w <- w + eta grad L``, instead (``steps`` finite:
        ascent on a least-squares loss has no limit; no penalty).
    penalty : float
        Ridge penalty ``lambda >= 0``.

    Returns
    -------
    ndarray of the shape of ``w0`` (with the stack axes broadcast)

    Raises
    ------
    ValueError, TypeError
        Shapes that disagree, NaN or infinite values, ``steps`` not an int
        ``>= 0`` or ``numpy.inf``, ``lr <= 0``, ``penalty < 0``, or a step
        size that makes gradient descent diverge (``eta (lambda_max / n +
        penalty) >= 1``).

    Notes
    -----
    With ``w_t = w0 + X^T a_t`` the iteration is ``a_{t+1} = a_t - (2 eta/n)
    (r0 + G a_t)``, ``r0 = X w0 - y``, ``G = X X^T = U diag(lam) U^T``. Hence

    .. math::

        w_k = w_0 - X^T U \\operatorname{diag}\\Big(
              \\frac{1 - (1 - 2\\eta\\lambda_i/n)^k}{\\lambda_i}\\Big) U^T r_0,

    i.e. ``w_k = w_inf + (I - eta H)^k (w0 - w_inf)`` with ``H = (2/n) X^T X``,
    computed from the n x n Gram matrix only. Directions with ``lambda_i = 0``
    do not move ``w`` (``X^T u_i = 0``). Ascent is the same formula with
    ``-eta``.

    With a penalty ``mu`` the part of ``w`` off the row space only shrinks,
    by ``s = 1 - 2 eta mu`` per step, and on the row space each eigen-direction
    contracts by ``rho_i = s - 2 eta lambda_i / n`` towards the ridge
    solution ``X^T (X X^T + n mu I)^{-1} y``:

    .. math::

        w_k = s^k w_0 - X^T U \\operatorname{diag}\\Big(\\frac{1}{\\lambda_i}\\Big)
              \\Big[(1 - \\rho_i^k)\\Big(U^T r_0 + \\frac{n \\mu}{\\lambda_i + n \\mu}
              U^T y\\Big) - (1 - s^k)\\, U^T X w_0\\Big],

    which is the formula above at ``mu = 0`` (and for ``k = inf`` the ridge
    solution, whatever ``w0``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> gradient_descent_steps(X, y, np.zeros(2), 1, lr=0.25)
    array([1., 1.])
    >>> gradient_descent_steps(X, np.array([[2.0, -2.0]]), np.zeros((2, 2)), 1, lr=0.25)
    array([[ 1., -1.],
           [ 1., -1.]])
    >>> gradient_descent_steps(X, y, np.zeros(2), 1, lr=0.25, ascent=True)
    array([-1., -1.])
    >>> X = np.array([[1.0, 0.0]]); w0 = np.array([0.0, 4.0])
    >>> gradient_descent_steps(X, y, w0, 1, lr=0.25, penalty=1.0)  # w0 - 0.25 [-4, 8]
    array([1., 2.])
    >>> gradient_descent_steps(X, y, w0, np.inf, lr=0.25, penalty=1.0)  # ridge: 2/(1 + 1)
    array([1., 0.])
    """
    X = as_array(X, "X", ndim=2, batched=True)
    y = as_array(y, "y", ndim=1, batched=True)
    w0 = as_array(w0, "w0", ndim=1, batched=True)
    steps, lr = _check_steps(steps), _check_lr(lr)
    if not isinstance(ascent, (bool, np.bool_)):
        raise TypeError(f"ascent must be True or False, got {ascent!r}")
    if ascent and steps == np.inf:
        raise ValueError("steps must be finite for gradient ascent (a "
                         "least-squares loss has no maximiser)")
    penalty = check_float(penalty, "penalty", minimum=0.0)
    if ascent and penalty > 0:
        raise ValueError("penalty must be 0 for gradient ascent")
    n, d = X.shape[-2:]
    outputs = y.ndim == X.ndim
    if y.shape[-1 - outputs] != n:
        expected = f"(..., {n}, k)" if outputs else f"(..., {n})"
        raise ValueError(f"y must have shape {expected} for X of shape {X.shape}, "
                         f"got {y.shape}")
    core = (d, y.shape[-1]) if outputs else (d,)
    if w0.ndim < len(core) or w0.shape[-len(core):] != core:
        raise ValueError(f"w0 must have shape (..., {', '.join(map(str, core))}) for "
                         f"X of shape {X.shape} and y of shape {y.shape}, got {w0.shape}")
    try:
        np.broadcast_shapes(X.shape[:-2], y.shape[:y.ndim - 1 - outputs],
                            w0.shape[:w0.ndim - len(core)])
    except ValueError:
        raise ValueError(f"the stack axes of X {X.shape}, y {y.shape} and w0 "
                         f"{w0.shape} do not broadcast") from None
    if outputs:  # k outputs: a stack of k problems sharing X
        if np.ndim(lr) > 0:
            lr = np.expand_dims(lr, -2)
        w = _steps(X[..., None, :, :], np.swapaxes(y, -1, -2), np.swapaxes(w0, -1, -2),
                   steps, -lr if ascent else lr, penalty)
        return np.swapaxes(w, -1, -2)
    return _steps(X, y, w0, steps, -lr if ascent else lr, penalty)


def _one_minus_power(q, k):
    """``1 - (1 - q)^k``; expm1/log1p keep its accuracy when ``q`` is tiny."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if k == np.inf:
            return np.where(np.abs(1.0 - q) < 1.0, 1.0, np.nan)
        small = (q < 0.5) & (q > -0.5)
        return np.where(small, -np.expm1(k * np.log1p(-np.where(small, q, 0.0))),
                        1.0 - (1.0 - q) ** k)


def _steps(X, y, w0, steps, lr, penalty=0.0):
    """The k-step iterate for stacks ``X (..., n, d)``, ``y (..., n)``, ``w0 (..., d)``."""
    n = X.shape[-2]
    lam, U = gram_eigh(X)  # once per read-only X: a batch's statistics share it
    lam = np.clip(lam, 0.0, None)
    cutoff = lam[..., -1:] * n * np.finfo(float).eps
    q = 2.0 * lr * lam / n if penalty == 0.0 else 2.0 * lr * (lam / n + penalty)
    if np.any(q >= 2.0):
        bound = 1.0 / (lam[..., -1].max() / n + penalty)
        raise ValueError(f"lr={np.max(lr):g} makes gradient descent diverge on this "
                         f"data: it must be below 2/L = {bound:g}")
    if steps == np.inf and penalty == 0.0:
        # The limit divides by every eigenvalue of G (cond(X)^2 amplification):
        # take the backward-stable route of the closed forms, which also warns
        # on rank deficiency or ill-conditioning.
        return RowSpace(X).gd_limit(y, w0)
    live = lam > cutoff
    safe = np.where(live, lam, 1.0)
    k = steps if steps == np.inf else float(steps)  # also for Python ints beyond int64
    with np.errstate(over="ignore", invalid="ignore"):
        decay = _one_minus_power(q, k)
        r0 = mv(X, w0) - y
        if penalty == 0.0:
            w = w0 - rmv(X, mv(U, np.where(live, decay / safe, 0.0) * rmv(U, r0)))
        else:
            # (1 - 2 lr penalty)^k: the shrinkage of every direction off the row space
            left = 1.0 - _one_minus_power(2.0 * lr * penalty, k)
            ridge = n * penalty / (lam + n * penalty)
            inner = (decay * (rmv(U, r0) + ridge * rmv(U, y))
                     - (1.0 - left) * rmv(U, mv(X, w0)))
            w = left * w0 - rmv(X, mv(U, np.where(live, inner / safe, 0.0)))
    if not np.all(np.isfinite(w)):  # only gradient ascent can get here
        raise ValueError(f"steps={steps} of gradient ascent leave the floating-point "
                         f"range: the iterate overflows; use fewer steps")
    return w
