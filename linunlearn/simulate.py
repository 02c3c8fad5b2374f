"""Gradient descent, actually run, and its finite-step closed form.

Training in the paper is gradient descent on the mean squared loss
``L(w) = (1/n) ||X w - y||^2`` to convergence. :func:`gradient_descent` runs it
(full batch or mini-batch SGD, optionally updating only the weights in a mask)
and records the remaining and unlearning losses along the way;
:func:`gradient_descent_steps` is the exact k-step iterate of full-batch
gradient descent, for early-stopped methods.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._linalg import gram, mv, rmv
from ._validation import check_float, check_int

__all__ = ["GDRun", "gradient_descent", "gradient_descent_steps", "smoothness"]


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
    """

    w: np.ndarray
    steps: np.ndarray
    history: dict
    n_steps: int
    stop_reason: str
    lr: float


def _mse(X, y, w):
    r = X @ w - y
    return float(np.sum(r * r)) / len(y)


def smoothness(X, mask=None):
    """Return the smoothness constant ``2 ||X_m||_2^2 / n`` of the mean squared loss.

    ``X_m`` keeps the columns in ``mask``. The largest eigenvalue comes from the
    smaller of the two Gram matrices, so no d x d matrix is formed when d > n.

    Examples
    --------
    >>> import numpy as np
    >>> smoothness(np.array([[3.0, 0.0], [0.0, 1.0]]))
    9.0
    """
    Xm = X if mask is None else X[:, mask]
    n = X.shape[0]
    if Xm.shape[1] == 0:
        return 0.0
    small = gram(Xm) if Xm.shape[0] <= Xm.shape[1] else Xm.T @ Xm
    top = scipy.linalg.eigvalsh(small, subset_by_index=[len(small) - 1] * 2)[0]
    return 2.0 * float(top) / n


def gradient_descent(X, y, w0, *, lr=None, max_steps=200_000, gtol=1e-12,
                     batch_size=None, mask=None, monitors=None, rng=None):
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
    batch_size : int, optional
        Mini-batch size for SGD (rows reshuffled every epoch); ``None`` for
        full-batch gradient descent.
    mask : ndarray of bool, shape (d,), optional
        Update only these weights (the others stay frozen at ``w0``).
    monitors : dict of str to (X, y), optional
        Further losses to record, e.g. ``{"unlearning_loss": (X_f, y_f)}``.
    rng : None, int or numpy.random.Generator
        Shuffling for SGD.

    Returns
    -------
    GDRun

    Notes
    -----
    On the row space of ``X`` the iteration contracts by ``1 - lr * mu`` per
    step, ``mu`` the smallest non-zero curvature; the complement of the row
    space is never touched, so the limit is the minimiser closest to ``w0``:
    ``w0 + X^+ (y - X w0)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> run = gradient_descent(X, y, np.array([1.0, -1.0]))
    >>> np.round(run.w, 8), run.stop_reason
    (array([2., 0.]), 'converged')
    """
    n, d = X.shape
    max_steps = check_int(max_steps, "max_steps", minimum=0)
    gtol = check_float(gtol, "gtol", minimum=0.0)
    w = np.array(w0, dtype=float)
    m = np.ones(d, dtype=bool) if mask is None else mask
    m = m.reshape(m.shape + (1,) * (w.ndim - 1))  # broadcast over outputs
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if batch_size >= n:
            batch_size = None
    if batch_size is None:
        L = smoothness(X, m.ravel())
        if lr is None:
            lr = 1.0 / L if L > 0 else 1.0
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
        if L > 0 and lr >= 2.0 / L:
            raise ValueError(f"lr={lr:g} makes gradient descent diverge on this "
                             f"data: it must be below 2/L = {2.0 / L:g}")
    else:
        row_norms = np.max(np.sum(X[:, m.ravel()] ** 2, axis=1))
        if lr is None:
            lr = 1.0 / (2.0 * row_norms) if row_norms > 0 else 1.0
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
        if row_norms > 0 and lr >= 1.0 / row_norms:
            raise ValueError(f"lr={lr:g} may make SGD diverge on this data: it "
                             f"must be below 1/max_i ||x_i||^2 = {1.0 / row_norms:g}")
    gen = np.random.default_rng(rng)
    tracked = {"loss": (X, y), **(monitors or {})}
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
    g0 = max(float(np.linalg.norm(g)),
             float(np.linalg.norm(m * ((2.0 / n) * (X.T @ y)))))
    record(0)
    step, reason = 0, "converged"
    threshold = gtol * g0
    if batch_size is None:
        while np.linalg.norm(g) > threshold and g0 > 0:
            if step >= max_steps:
                reason = "max_steps"
                break
            w -= lr * g
            step += 1
            g = full_gradient()
            record(step)
    else:
        while np.linalg.norm(g) > threshold and g0 > 0:
            if step >= max_steps:
                reason = "max_steps"
                break
            order = gen.permutation(n)
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                Xb = X[rows]
                w -= lr * m * ((2.0 / len(rows)) * (Xb.T @ (Xb @ w - y[rows])))
                step += 1
            g = full_gradient()
            record(step)
    return GDRun(w=w, steps=np.array(steps),
                 history={k: np.array(v) for k, v in history.items()},
                 n_steps=step, stop_reason=reason, lr=float(lr))


def gradient_descent_steps(X, y, w0, steps, *, lr):
    """Return the exact iterate after ``steps`` steps of full-batch gradient descent.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
    y : ndarray of shape (..., n)
    w0 : ndarray of shape (..., d)
    steps : int or float
        Number of steps ``k`` (``numpy.inf`` gives the limit).
    lr : float
        Step size ``eta``.

    Returns
    -------
    ndarray of shape (..., d)

    Notes
    -----
    With ``w_t = w0 + X^T a_t`` the iteration is ``a_{t+1} = a_t - (2 eta/n)
    (r0 + G a_t)``, ``r0 = X w0 - y``, ``G = X X^T = U diag(lam) U^T``. Hence

    .. math::

        w_k = w_0 - X^T U \\operatorname{diag}\\Big(
              \\frac{1 - (1 - 2\\eta\\lambda_i/n)^k}{\\lambda_i}\\Big) U^T r_0,

    i.e. ``w_k = w_inf + (I - eta H)^k (w0 - w_inf)`` with ``H = (2/n) X^T X``,
    computed from the n x n Gram matrix only. Directions with ``lambda_i = 0``
    do not move ``w`` (``X^T u_i = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> gradient_descent_steps(X, y, np.zeros(2), 1, lr=0.25)
    array([1., 1.])
    """
    n = X.shape[-2]
    lam, U = np.linalg.eigh(gram(X))
    lam = np.clip(lam, 0.0, None)
    cutoff = lam[..., -1:] * n * np.finfo(float).eps
    q = 2.0 * lr * lam / n
    if np.any(q >= 2.0):
        raise ValueError(f"lr={lr:g} makes gradient descent diverge on this data")
    live = lam > cutoff
    safe = np.where(live, lam, 1.0)
    if np.isinf(steps):
        decay = np.ones_like(q)
    else:
        # 1 - (1 - q)^k; expm1/log1p keeps accuracy when q is tiny
        small = q < 0.5
        decay = np.where(small, -np.expm1(steps * np.log1p(-np.where(small, q, 0.0))),
                         1.0 - (1.0 - q) ** steps)
    factor = np.where(live, decay / safe, 0.0)
    r0 = mv(X, w0) - y
    return w0 - rmv(X, mv(U, factor * rmv(U, r0)))
