"""Closed-form deletion for linear models: Newton, certified removal, PRU, ridge downdate.

``"newton"``            one Newton step on the remaining ridge objective, from the
                        gradient of the removed points (Guo et al., arXiv 1911.03030)
``"certified"``         loss-perturbed ridge training, then the Newton step; the
                        noise scale of an (epsilon, delta) guarantee (same source)
``"pru"``               projective residual update: the smallest change in the span
                        of the deleted rows that gives them their leave-k-out
                        predictions (Izzo et al., arXiv 2002.10077)
``"ridge_downdate"``    the exact Sherman-Morrison-Woodbury downdate of ridge
                        regression (retraining without ``D_f``, to round-off)
ridge_pretrained        the model these methods start from, ``ridge_fit(X, y, lam)``
woodbury_downdate       the exact ridge model without ``D_f``, from the trained one
noise_scale             Guo et al.'s noise standard deviation for (epsilon, delta)
noise_scale_constant    its constant ``c = sqrt(2 log(1.5 / delta))``
gradient_residual       norm of the gradient of Guo et al.'s objective at a model
SQUARED_LOSS_GAMMA      the Lipschitz constant of ``l''`` for the squared loss (0)

Each method's penalty follows its source, and the model it starts from is
the ridge model of ``D_r + D_f`` with that penalty (0: the paper's
pretrained model ``X^+ y``). Guo et al. (newton, certified) penalise the
mean loss, ``(1/n) ||X w - y||^2 + lam ||w||^2`` as in
:func:`linunlearn.families.ridge_fit`, and remove the forgetting points
together with their share of the penalty: the result is ``ridge_fit(X_r,
y_r, lam)``. The downdate and PRU penalise the sum of losses, ``||X w -
y||^2 + alpha ||w||^2`` (scikit-learn's ``Ridge(alpha)``), and remove the
loss terms only: the result is ``ridge_fit(X_r, y_r, alpha / n_r)``. Either
way a stream of requests with a fixed penalty stays exact. docs/theory.md,
section 9, states where each method is exact and where it is degenerate.
"""

import math
import warnings

import numpy as np
import scipy.linalg

from .._linalg import RCOND_MIN, RowSpace, gram
from .._validation import IllConditionedWarning, as_generator, check_float
from ..simulate import GDRun, gradient_descent, smoothness
from ..solutions import register_method
from ._shared import loss_monitors, result

__all__ = ["ridge_pretrained", "woodbury_downdate", "noise_scale",
           "noise_scale_constant", "gradient_residual", "SQUARED_LOSS_GAMMA"]

#: The Lipschitz constant of the second derivative of the loss, the ``gamma``
#: of Guo et al.'s gradient-residual bounds (Theorem 1: ``4 gamma C^2 /
#: (lam^2 (n - 1))``; Corollary 1: ``gamma ||X|| ||H^-1 Delta|| ||X H^-1
#: Delta||``). For the squared loss ``l(z) = (z - y)^2`` the second
#: derivative is the constant 2, so ``gamma = 0``: both bounds vanish and the
#: Newton step is exact.
SQUARED_LOSS_GAMMA = 0.0

_GTOL, _MAX_STEPS = 1e-12, 200_000


# --------------------------------------------------------------------------
# pieces


def _check_lam(lam, strict=False):
    return check_float(lam, "lam", minimum=0.0, strict=strict)


def _hessian_solve(X, mu, v):
    """``(X^T X + mu I)^+ v`` without a d x d matrix.

    ``mu > 0``: the Woodbury identity, ``(v - X^T (X X^T + mu I)^{-1} X v) /
    mu``, one ``n x n`` Cholesky factorisation. ``mu = 0``: the
    pseudo-inverse ``X^+ (X^+)^T v = X^T G^+ G^+ X v`` through the row space
    of ``X`` (:class:`RowSpace`: Cholesky of ``G = X X^T``, or the SVD of
    ``X`` when ``G`` is ill-conditioned or ``n > d``), which drops the null
    space of ``X``.
    """
    def stacked(fn, r):   # RowSpace works on (..., n) vectors: outputs first
        return fn(r) if r.ndim == 1 else fn(r.T).T
    if mu > 0:
        n = X.shape[0]
        factor = scipy.linalg.cho_factor(gram(X) + mu * np.eye(n), lower=True,
                                         check_finite=False)
        return (v - X.T @ scipy.linalg.cho_solve(factor, X @ v, check_finite=False)) / mu
    rows = RowSpace(X, name="X_r")
    return stacked(lambda r: rows.pinv(rows.dual(rows.apply(r))), v)


def ridge_pretrained(X, y, lam, b=None):
    """``argmin (1/n) ||X w - y||^2 + lam ||w||^2 + b^T w / n``, in closed form.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,) or (n, k)
    lam : float >= 0
        ``0`` gives the minimum-norm least-squares solution ``X^+ y`` (then
        ``b`` must be 0: the objective is unbounded below otherwise).
    b : ndarray of the shape of the weights, optional
        Guo et al.'s loss perturbation (a linear term, unnormalised in the
        sum of losses, hence ``/ n`` in the mean).

    Returns
    -------
    ndarray of shape (d,) or (d, k)

    Notes
    -----
    The gradient vanishes where ``(X^T X + n lam I) w = X^T y - b / 2``; by
    the Woodbury identity ``w = (v - X^T (X X^T + n lam I)^{-1} X v) /
    (n lam)`` with ``v = X^T y - b / 2``: one ``n x n`` system.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> ridge_pretrained(X, y, 0.0), ridge_pretrained(X, y, 1.0)
    (array([1., 1.]), array([0.66666667, 0.66666667]))
    """
    lam = _check_lam(lam)
    n = X.shape[0]
    if lam == 0.0:
        if b is not None and np.any(b != 0):
            raise ValueError("lam must be > 0 with a loss perturbation b: without a "
                             "penalty b^T w is unbounded below off the row space of X")
        return RowSpace(X).pinv(y.T).T
    v = X.T @ y - (0.0 if b is None else 0.5 * b)
    mu = n * lam
    factor = scipy.linalg.cho_factor(gram(X) + mu * np.eye(n), lower=True)
    return (v - X.T @ scipy.linalg.cho_solve(factor, X @ v)) / mu


def _penalised_descent(data, lam, b=None):
    """Gradient descent from 0 on ``(1/n) ||X w - y||^2 + lam ||w||^2 + b^T w / n``.

    Step ``1/L``, ``L = 2 ||X||_2^2 / n + 2 lam``; stops when the gradient
    norm falls below 1e-12 of its norm at 0 (or after 200 000 steps, with a
    :class:`~linunlearn.NotConvergedWarning` from the unpenalised runner when
    ``lam = 0``).
    """
    X, y = data.X, data.y
    if lam == 0.0:
        return gradient_descent(X, y, np.zeros(data.w_shape),
                                monitors=loss_monitors(data))
    n = X.shape[0]
    shift = 0.0 if b is None else b / n
    lr = 1.0 / (smoothness(X) + 2.0 * lam)
    w = np.zeros(data.w_shape)

    def gradient(w):
        return (2.0 / n) * (X.T @ (X @ w - y)) + 2.0 * lam * w + shift

    g = gradient(w)
    threshold = _GTOL * float(np.linalg.norm(g))
    steps = 0
    while np.linalg.norm(g) > threshold and steps < _MAX_STEPS:
        w = w - lr * g
        g = gradient(w)
        steps += 1
    reason = "converged" if np.linalg.norm(g) <= threshold else "max_steps"
    return GDRun(w=w, steps=np.array([0, steps]), history={}, n_steps=steps,
                 stop_reason=reason, lr=lr)


def _start(data, numeric, lam, init, b=None):
    """The trained model: ``init``, or ``ridge_pretrained`` (closed form or gradient descent)."""
    if init is not None:
        return data.as_weights(init, "init").copy(), None
    if numeric:
        run = _penalised_descent(data, lam, b)
        return run.w, run
    return ridge_pretrained(data.X, data.y, lam, b), None


def _route(run):
    return "closed_form" if run is None else run.stop_reason


def gradient_residual(X, y, w, lam, b=None):
    """Norm of the gradient of Guo et al.'s objective ``sum_i l_i + n lam ||w||^2 + b^T w``.

    The unnormalised objective of the n rows of ``(X, y)`` (squared loss),
    the scale at which the loss perturbation ``b`` masks it. It is zero at
    the objective's minimiser; certified removal needs a bound on it after
    the removal.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0]]); y = np.array([2.0])
    >>> gradient_residual(X, y, np.array([2.0, 0.0]), 0.0)
    0.0
    """
    n = X.shape[0]
    g = 2.0 * (X.T @ (X @ w - y)) + 2.0 * n * lam * w
    if b is not None:
        g = g + b
    return float(np.linalg.norm(g))


def noise_scale_constant(delta):
    """Guo et al.'s ``c = sqrt(2 log(1.5 / delta))`` (Theorem 3: ``delta = 1.5 exp(-c^2 / 2)``).

    Examples
    --------
    >>> round(noise_scale_constant(1e-4), 4)
    4.3854
    """
    delta = check_float(delta, "delta", minimum=0.0, maximum=1.0, strict=True)
    if delta >= 1.0:
        raise ValueError(f"delta must be < 1, got {delta}")
    return math.sqrt(2.0 * math.log(1.5 / delta))


def noise_scale(epsilon, delta, residual_bound):
    """Standard deviation of the loss perturbation for (epsilon, delta)-certified removal.

    Guo et al. (Theorem 3): if the removal leaves a gradient residual
    ``||grad L(w^-; D')|| <= eps'`` and the training objective is perturbed
    by ``b^T w`` with ``b ~ N(0, sigma^2 I)``, removal is (epsilon,
    delta)-certified for

    .. math:: \\sigma = \\frac{c\\, \\epsilon'}{\\epsilon}, \\qquad
              c = \\sqrt{2 \\log(1.5 / \\delta)}.

    Parameters
    ----------
    epsilon : float > 0
    delta : float in (0, 1)
    residual_bound : float >= 0
        ``eps'``, a bound on the gradient residual of the unnormalised
        objective (:func:`gradient_residual`).

    Returns
    -------
    float

    Examples
    --------
    >>> round(noise_scale(1.0, 1e-4, 0.1), 5)
    0.43854
    >>> noise_scale(1.0, 1e-4, 0.0)   # the squared loss's bound: no noise needed
    0.0
    """
    epsilon = check_float(epsilon, "epsilon", minimum=0.0, strict=True)
    bound = check_float(residual_bound, "residual_bound", minimum=0.0)
    return noise_scale_constant(delta) * bound / epsilon


def _singular(where):
    return ValueError(f"alpha must be > 0 here: with alpha = 0 the exact downdate needs "
                      f"{where} (the leave-out formula divides by zero otherwise)")


def _factor(M, alpha, where):
    """Cholesky factor of ``M`` (positive definite for ``alpha > 0``); an error if singular at 0."""
    try:
        factor = scipy.linalg.cho_factor(M, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        factor = None
    # the reciprocal condition number the closed forms accept (_linalg.RCOND_MIN)
    if alpha == 0.0 and (factor is None or 1.0 / np.linalg.cond(M) < RCOND_MIN):
        raise _singular(where)
    return factor


def _dual_coefficients(X, y, w, alpha, factor):
    """``a`` with ``w = X^T a`` for a ridge model ``w`` of ``(X, y)`` (``n <= d``).

    ``a = (X X^T)^{-1} X w`` when the Gram matrix is well conditioned (``w``
    lies in the row space of ``X``); else ``a = (y - X w) / alpha``, the
    stationarity condition. The first is the stable one: the residual ``y -
    X w`` of a ridge model that nearly interpolates is small, and dividing it
    by ``alpha`` amplifies the error of ``w`` (along a stream of downdates
    the error grew about a hundredfold per request that way).
    """
    if alpha == 0.0:
        return scipy.linalg.cho_solve(factor, X @ w)
    G = gram(X)
    try:
        plain = scipy.linalg.cho_factor(G, lower=True, check_finite=False)
        if 1.0 / np.linalg.cond(G) >= RCOND_MIN:
            return scipy.linalg.cho_solve(plain, X @ w)
    except np.linalg.LinAlgError:
        pass
    return (y - X @ w) / alpha


def woodbury_downdate(X_r, y_r, X_f, y_f, alpha, w=None):
    """The ridge model of ``D_r`` from the ridge model of ``D_r + D_f``, without retraining.

    For the sum objective ``||X w - y||^2 + alpha ||w||^2``, removing the
    rows of ``D_f`` and keeping ``alpha`` gives ``ridge_fit(X_r, y_r, alpha /
    n_r)``. Computed by the Sherman-Morrison-Woodbury identity in the
    smaller space:

    - ``n <= d`` (dual): with ``K = (X X^T + alpha I)^{-1}`` and the trained
      dual coefficients ``a = K y`` (``w = X^T a``), the block-inverse (Schur
      complement) identity gives ``a_r' = a_r - K_rf K_ff^{-1} a_f`` and
      ``w' = X_r^T a_r'``; with ``alpha = 0`` this needs ``X X^T``
      invertible (the interpolating regime).
    - ``n > d`` (primal): with ``A = X^T X + alpha I`` and ``H_ff = X_f
      A^{-1} X_f^T``, ``w' = w + A^{-1} X_f^T (I - H_ff)^{-1} (X_f w -
      y_f)``; with ``alpha = 0`` this needs ``X_r`` of full column rank.

    Parameters
    ----------
    X_r, y_r, X_f, y_f : ndarray
        Labels of shape (n,) or (n, k).
    alpha : float >= 0
        The penalty of the sum of losses.
    w : ndarray, optional
        The trained model (default: computed in closed form). The dual
        coefficients are recovered from it: ``a = (X X^T)^{-1} X w``, or
        ``(y - X w) / alpha`` when ``X X^T`` is ill-conditioned.

    Returns
    -------
    w : ndarray
        The trained model.
    w_new : ndarray
        The model without ``D_f``.

    Raises
    ------
    ValueError
        ``alpha = 0`` where the leave-out formula is singular.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_r, X_f = rng.standard_normal((3, 6)), rng.standard_normal((2, 6))
    >>> y_r, y_f = rng.standard_normal(3), rng.standard_normal(2)
    >>> _, w_new = woodbury_downdate(X_r, y_r, X_f, y_f, 0.0)
    >>> bool(np.allclose(w_new, np.linalg.pinv(X_r) @ y_r))
    True
    """
    alpha = check_float(alpha, "alpha", minimum=0.0)
    X = np.concatenate([X_r, X_f])
    y = np.concatenate([y_r, y_f])
    n, d = X.shape
    n_r = X_r.shape[0]
    if n <= d:
        factor = _factor(gram(X) + alpha * np.eye(n), alpha,
                         "[X_r; X_f] of full row rank (the interpolating regime)")
        if w is None:
            a = scipy.linalg.cho_solve(factor, y)
            w = X.T @ a
        else:
            a = _dual_coefficients(X, y, w, alpha, factor)
        K_f = scipy.linalg.cho_solve(factor, np.eye(n)[:, n_r:])   # columns f of K
        K_rf, K_ff = K_f[:n_r], K_f[n_r:]
        a_r = a[:n_r] - K_rf @ np.linalg.solve(K_ff, a[n_r:])
        return w, X_r.T @ a_r
    # d < n: A = X^T X + alpha I is the smaller matrix
    factor = _factor(X.T @ X + alpha * np.eye(d), alpha, "X_r of full column rank")
    if w is None:
        w = scipy.linalg.cho_solve(factor, X.T @ y)
    if alpha == 0.0:
        _factor(X_r.T @ X_r, alpha, "X_r of full column rank")
    AinvXf = scipy.linalg.cho_solve(factor, X_f.T)
    inner = np.eye(X_f.shape[0]) - X_f @ AinvXf
    return w, w + AinvXf @ np.linalg.solve(inner, X_f @ w - y_f)


# --------------------------------------------------------------------------
# the methods

_LAM_DOC = """lam : float >= 0, default {default}
        Ridge penalty of the mean training loss, ``(1/n) ||X w - y||^2 + lam
        ||w||^2`` (``0``: the paper's pretrained model ``X^+ y``)."""

_INIT_DOC = """init : ndarray of shape (d,) or (d, k), optional
        The trained model to delete from (default: the ridge model of ``D_r +
        D_f`` with the method's penalty, on the chosen route). The update is
        exact only when ``init`` is that model (as it is along a stream of
        requests, :mod:`linunlearn.streams`)."""


@register_method("newton", label="Newton removal", color="#CC3311", marker="p",
                 compare={"newton": {}, "newton[lam=0]": {"lam": 0.0}})
def _newton(data, *, numeric, lam=0.01, init=None):
    """Newton (influence) removal: one Newton step from the removed points' gradient.

    Guo et al.'s removal mechanism for an L2-regularised linear model: with
    the objective ``L(w; D) = (1/n) sum_i l_i(w) + lam ||w||^2`` minimised at
    ``w_o``, the step uses the gradient of the removed terms and the Hessian
    of the remaining objective,

    .. math:: \\Delta = \\tfrac{1}{n_r} \\big(2 X_f^\\top (X_f w_o - y_f)
              + 2 n_f \\lambda w_o\\big), \\quad
              H_r = \\tfrac{2}{n_r} X_r^\\top X_r + 2 \\lambda I, \\quad
              w^- = w_o + H_r^{-1} \\Delta.

    Since ``grad L(w_o; D) = 0``, ``Delta = -grad L(w_o; D_r)``: this is one
    Newton step on the remaining objective, exact for the squared loss (its
    Hessian is constant), so ``w^- = ridge_fit(X_r, y_r, lam)``, the ridge
    model retrained without ``D_f``. ``H_r^{-1}`` is applied by the Woodbury
    identity through ``X_r X_r^T`` (no d x d matrix).

    Guo et al. need ``lam > 0`` (strong convexity). With ``lam = 0`` the
    pseudo-inverse ``H_r^+`` is used, and the step from ``w_o = X^+ y`` is
    ``w_o + X_r^+ (y_r - X_r w_o)``: exactly fine-tuning to convergence, on
    any data. In the interpolating regime it is degenerate: ``w_o``
    interpolates ``D_f``, so ``Delta = 0`` and ``w^- = w_o``, which forgets
    nothing (docs/theory.md, C2, C3). With ``X_r`` of full column rank
    (``n_r >= d``) ``H_r`` is invertible and the step is exact again
    (golden).

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        ``False``: the closed-form trained model. ``True``: the trained model
        by gradient descent on the penalised loss; the step is the same
        linear solve (as in the source).
    {lam}
    {init}

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route: the training run), ``info``:
        ``stop_reason``, ``lam``, ``step_norm`` (``||H_r^+ Delta||``).

    References
    ----------
    C. Guo, T. Goldstein, A. Hannun, L. van der Maaten, "Certified Data
    Removal from Machine Learning Models", ICML 2020, arXiv:1911.03030
    (the Newton update removal mechanism, section 3).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> from linunlearn.families import ridge_fit
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> w = lu.solve(data, "newton", lam=0.1).w
    >>> bool(np.allclose(w, ridge_fit(data.X_r, data.y_r, 0.1)))
    True
    >>> bool(np.allclose(lu.solve(data, "newton", lam=0.0).w, lu.solve(data, "finetune").w))
    True
    """
    lam = _check_lam(lam)
    w_o, run = _start(data, numeric, lam, init)
    step = _newton_step(data, w_o, lam)
    return result(w_o + step, run, _route(run), lam=lam,
                  step_norm=float(np.linalg.norm(step)))


def _newton_step(data, w_o, lam):
    """``H_r^+ Delta`` with ``Delta`` from the removed terms (Guo et al.)."""
    n_r, n_f = data.n_r, data.n_f
    delta = (2.0 * (data.X_f.T @ (data.X_f @ w_o - data.y_f)) + 2.0 * n_f * lam * w_o) / n_r
    # H_r = (2 / n_r) (X_r^T X_r + n_r lam I)
    return 0.5 * n_r * _hessian_solve(data.X_r, n_r * lam, delta)


_newton.__doc__ = _newton.__doc__.replace("{lam}", _LAM_DOC.format(default="0.01")).replace(
    "{init}", _INIT_DOC)


@register_method("certified", label="certified removal", color="#EE3377", marker="H")
def _certified(data, *, numeric, lam=0.01, epsilon=1.0, delta=1e-4, residual_bound=0.0,
               rng=None):
    """Certified removal: loss-perturbed ridge training, then Newton removal.

    Guo et al.'s mechanism. Training minimises the perturbed objective

    .. math:: L_b(w; D) = \\tfrac{1}{n} \\|X w - y\\|^2 + \\lambda \\|w\\|^2
              + \\tfrac{1}{n} b^\\top w, \\qquad b \\sim N(0, \\sigma^2 I),

    and removal is the Newton step of ``"newton"`` (``b`` is not among the
    removed terms). Removal is (epsilon, delta)-certified when the gradient
    residual of the unnormalised remaining objective after the step,
    ``||sum_{D_r} grad l_i(w^-) + 2 n_r lam w^- + b||``, is at most
    ``residual_bound`` and ``sigma = c * residual_bound / epsilon``, ``c =
    sqrt(2 log(1.5 / delta))`` (:func:`noise_scale`, Theorem 3).

    For the squared loss the Newton step is exact: ``gamma``, the Lipschitz
    constant of ``l''``, is 0 (:data:`SQUARED_LOSS_GAMMA`), so both of the
    paper's bounds on the residual (Theorem 1, Corollary 1) are 0, and the
    residual after removal equals the one the training optimiser left
    (round-off on the closed-form route). The default ``residual_bound = 0``
    therefore needs no noise at all: certified removal is then Newton
    removal, and ``w^-`` is exactly the perturbed ridge model of ``D_r``
    with the same ``b``. A positive bound buys a guarantee that holds for a
    removal mechanism with a residual up to it, at the price of the noise.
    The guarantee needs strong convexity: ``lam > 0``.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        ``False``: the closed-form trained model. ``True``: gradient descent
        on the perturbed objective; the step is the same linear solve.
    lam : float > 0, default 0.01
        Ridge penalty of the mean training loss.
    epsilon : float > 0, default 1.0
    delta : float in (0, 1), default 1e-4
        The certificate: (epsilon, delta) as in Guo et al.'s Definition 2.
    residual_bound : float >= 0, default 0.0
        ``eps'``, the bound on the gradient residual that the noise masks;
        it sets ``sigma``.
    rng : None, int or numpy.random.Generator, optional
        Draws ``b`` (not used when ``sigma = 0``).

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route), ``info``: ``stop_reason``, ``lam``,
        ``sigma``, ``epsilon``, ``delta``, ``residual_bound``,
        ``gradient_residual`` (after removal), ``training_residual`` (of the
        trained model on ``D``), ``b``.

    Raises
    ------
    ValueError
        ``lam = 0``: no strong convexity, no certificate (and the
        perturbation makes the objective unbounded below).

    References
    ----------
    C. Guo, T. Goldstein, A. Hannun, L. van der Maaten, "Certified Data
    Removal from Machine Learning Models", ICML 2020, arXiv:1911.03030
    (loss perturbation, gradient-residual bounds, Theorem 3).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sol = lu.solve(data, "certified", lam=0.1)
    >>> sol.info["sigma"], bool(np.allclose(sol.w, lu.solve(data, "newton", lam=0.1).w))
    (0.0, True)
    >>> round(lu.solve(data, "certified", lam=0.1, residual_bound=0.1, rng=0).info["sigma"], 5)
    0.43854
    """
    lam = _check_lam(lam)
    if lam == 0.0:
        raise ValueError("lam must be > 0 for certified removal: Guo et al.'s "
                         "guarantee rests on strong convexity")
    sigma = noise_scale(epsilon, delta, residual_bound)
    b = sigma * as_generator(rng).standard_normal(data.w_shape) if sigma > 0 else None
    w_o, run = _start(data, numeric, lam, None, b)
    w = w_o + _newton_step(data, w_o, lam)
    return result(w, run, _route(run), lam=lam, sigma=sigma, epsilon=float(epsilon),
                  delta=float(delta), residual_bound=float(residual_bound),
                  gradient_residual=gradient_residual(data.X_r, data.y_r, w, lam, b),
                  training_residual=gradient_residual(data.X, data.y, w_o, lam, b),
                  b=np.zeros(data.w_shape) if b is None else b)


_ALPHA_DOC = """alpha : float >= 0, default 0.5
        Ridge penalty of the sum of training losses, ``||X w - y||^2 + alpha
        ||w||^2`` (``ridge_fit(X, y, alpha / n)``; ``0``: the paper's
        pretrained model ``X^+ y``). The default is ``n lam`` for the
        ``lam = 0.01`` of ``"newton"`` in the default regimes (``n = 45``,
        rounded up)."""


def _sum_penalty_start(data, numeric, alpha, init):
    """The trained model of the sum-penalty methods (``ridge_fit(X, y, alpha / n)``)."""
    alpha = check_float(alpha, "alpha", minimum=0.0)
    return (alpha, *_start(data, numeric, alpha / (data.n_r + data.n_f), init))


@register_method("ridge_downdate", label="ridge downdate", color="#004488", marker="8",
                 compare={"ridge_downdate": {}, "ridge_downdate[alpha=0]": {"alpha": 0.0}})
def _ridge_downdate(data, *, numeric, alpha=0.5, init=None):
    """The exact Sherman-Morrison-Woodbury downdate of ridge regression.

    The trained model minimises ``||X w - y||^2 + alpha ||w||^2`` (that is
    ``ridge_fit(X, y, alpha / n)``). Removing the rows of ``D_f`` from that
    sum (keeping ``alpha``) is a rank-``n_f`` change of the normal
    equations, and the Woodbury identity gives the new minimiser from the
    trained one without refitting (:func:`woodbury_downdate`): in the dual,
    with ``K = (X X^T + alpha I)^{-1}`` and the dual coefficients ``a = K
    y``,

    .. math:: a_r' = a_r - K_{rf} K_{ff}^{-1} a_f, \\qquad w' = X_r^\\top a_r'

    (in the primal, with ``A = X^T X + alpha I``, when ``n > d``). The
    result is ridge regression retrained on ``D_r`` with the same ``alpha``,
    ``ridge_fit(X_r, y_r, alpha / n_r)``, to round-off. With ``alpha = 0``
    it is the minimum-norm interpolator of ``D_r``, the golden model: exact
    unlearning in the interpolating regime, where ``X X^T`` is invertible
    (with ``n > d`` it needs ``X_r`` of full column rank instead).

    Cost: training's factorisation of ``X X^T + alpha I`` (recomputed here:
    training and deletion share no state in this API, so the call costs as
    much as training), then ``O(n^2 n_f)`` for the downdate itself.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        ``False``: the closed-form trained model. ``True``: the trained model
        by gradient descent; the downdate recovers its dual coefficients
        from it (:func:`woodbury_downdate`).
    {alpha}
    {init}

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route), ``info``: ``stop_reason``, ``alpha``.

    Raises
    ------
    ValueError
        ``alpha = 0`` where the leave-out formula is singular.

    References
    ----------
    M. A. Woodbury, "Inverting modified matrices", Memorandum Report 42,
    Statistical Research Group, Princeton, 1950 (the Sherman-Morrison-Woodbury
    identity); exact deletion from ridge regression by it is the exact
    baseline of Z. Izzo et al., AISTATS 2021, arXiv:2002.10077.

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> from linunlearn.families import ridge_fit
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> w = lu.solve(data, "ridge_downdate", alpha=0.5).w
    >>> bool(np.allclose(w, ridge_fit(data.X_r, data.y_r, 0.5 / data.n_r)))
    True
    >>> bool(np.allclose(lu.solve(data, "ridge_downdate", alpha=0.0).w,
    ...                  lu.solve(data, "golden").w))
    True
    """
    alpha, w_o, run = _sum_penalty_start(data, numeric, alpha, init)
    given = w_o if (run is not None or init is not None) else None
    _, w = woodbury_downdate(data.X_r, data.y_r, data.X_f, data.y_f, alpha, w=given)
    return result(w, run, _route(run), alpha=alpha)


_ridge_downdate.__doc__ = _ridge_downdate.__doc__.replace("{alpha}", _ALPHA_DOC).replace(
    "{init}", _INIT_DOC)


@register_method("pru", label="PRU", color="#88CCEE", marker="d",
                 compare={"pru": {}, "pru[alpha=0]": {"alpha": 0.0}})
def _pru(data, *, numeric, alpha=0.5, init=None):
    """The projective residual update: leave-k-out predictions, projected on the deleted rows.

    Izzo et al.'s deletion method for linear regression. With ``theta`` the
    trained model and ``y'_f = X_f w'`` the leave-k-out predictions on the
    deleted rows (those of the model retrained without them), the update is
    the smallest change in the span of the deleted rows that reproduces
    them (in the least-squares sense when the deleted rows are collinear):

    .. math:: \\theta^{res} = \\theta - (X_f^\\top X_f)^+ X_f^\\top
              (X_f \\theta - y'_f) = \\theta + X_f^+ (y'_f - X_f \\theta).

    The paper obtains the leave-k-out predictions from the leverages
    ``H_ff`` of ``H = X (X^T X + alpha I)^{-1} X^T``: ``y'_f = (I -
    H_ff)^{-1} (X_f theta - H_ff y_f)``. Here they come from the exact
    downdate (:func:`woodbury_downdate`; in the dual ``y'_f = y_f - K_ff^{-1}
    a_f``), which stays defined where the leverage form is not: in the
    interpolating regime with ``alpha = 0``, ``H = I`` (every leverage is 1)
    and that form is 0/0, while its limit is the golden model's prediction
    ``X_f X_r^+ y_r``. Then

    .. math:: \\theta^{res} = w_o - P_f (w_o - w_g), \\qquad P_f = X_f^+ X_f,

    the golden model exactly when ``w_o - w_g`` lies in the row space of
    ``X_f``, which holds with distinct features (docs/theory.md, section 9).
    The update costs ``O(n_f^2 d)`` once the leave-k-out predictions are
    known.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        ``False``: the closed-form trained model. ``True``: the trained model
        by gradient descent; the update is the same.
    {alpha}
    {init}

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route), ``info``: ``stop_reason``, ``alpha``,
        ``lko_predictions`` (``y'_f``).

    Raises
    ------
    ValueError
        ``alpha = 0`` where the leave-k-out predictions are not defined.

    References
    ----------
    Z. Izzo, M. A. Smart, K. Chaudhuri, J. Zou, "Approximate Data Deletion
    from Machine Learning Models", AISTATS 2021, arXiv:2002.10077
    (Algorithm 1, the projective residual update).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.distinct(8, 6, 3, 2).sample(rng=0)
    >>> bool(np.allclose(lu.solve(data, "pru", alpha=0.0).w, lu.solve(data, "golden").w))
    True
    """
    alpha, theta, run = _sum_penalty_start(data, numeric, alpha, init)
    _, retrained = woodbury_downdate(data.X_r, data.y_r, data.X_f, data.y_f, alpha)
    lko = data.X_f @ retrained
    with warnings.catch_warnings():
        # (X_f^T X_f)^+ is the method's own pseudo-inverse (more deleted rows
        # than features, or collinear ones): not a fallback worth a warning
        warnings.simplefilter("ignore", IllConditionedWarning)
        rows_f = RowSpace(data.X_f, name="X_f")
    w = theta + rows_f.pinv((lko - data.X_f @ theta).T).T
    return result(w, run, _route(run), alpha=alpha, lko_predictions=lko)


_pru.__doc__ = _pru.__doc__.replace("{alpha}", _ALPHA_DOC).replace("{init}", _INIT_DOC)
