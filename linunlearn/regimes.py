"""Beyond the paper: ridge, label noise, anisotropic, early-stopped and underparameterised regimes.

The paper's analysis lives in one regime: noiseless, isotropic,
overparameterised, every training run taken to convergence. This module
re-runs its claims outside that regime (issue 6) and adds, per regime, the
claims that replace them. :func:`verify_regime` returns a
:class:`linunlearn.claims.Report` that says for each claim whether it still
holds there, fails there (a finding), or that its premise does not apply
(verdict ``"inconclusive"``, detail ``"premise does not apply: ..."``).

==========================  ===================================================
family (``REGIMES``)        what changes, and the claims added
==========================  ===================================================
``"ridge"``                 pretraining and retraining with an L2 penalty
                            ``lambda`` (R1-R4)
``"noise"``                 label noise ``sigma > 0`` (N1: the exact noise
                            term of ``E UL(w_g)``)
``"anisotropic"``           power-law feature spectrum; the exact expectations
                            become Monte-Carlo-only (A1)
``"early-stopping"``        ``k``-step fine-tuning and masked fine-tuning (E1-E4)
``"underparameterized"``    ``n_r >= d_r``, across the threshold ``n_r/d_r = 1``
                            (U1-U3)
==========================  ===================================================

Closed forms (all from ``n x n`` Gram matrices, batch-agnostic on stacks
``(..., n, d)``):

- :func:`ridge_fit`: ``argmin (1/n)||X w - y||^2 + lambda ||w||^2 =
  X^T (X X^T + n lambda I)^{-1} y``.
- :func:`penalised_steps`: the exact iterate after ``k`` steps of gradient
  descent on the penalised loss from any start (``k = inf``: the limit).
- :func:`ridge_models`: pretrained, golden, fine-tuned (with and without the
  penalty) and projected models under ridge.
- :func:`golden_ul_noise_term`: ``sigma^2 (1 + d_lap n_r / (d_r (d_r - n_r - 1)))``.

Results
-------
Ridge (derived in the Notes of :func:`ridge_models`): fine-tuning *with* the
penalty has a unique minimiser, the ridge golden model, so at convergence it
unlearns exactly (R1); but the part of ``w_o`` orthogonal to the remaining
data decays only as ``(kappa / (kappa + lambda))^k`` with step ``1/L``,
``kappa = ||X_r||_2^2 / n_r`` (R3), so at a fixed budget fine-tuning gets a
fraction ``1 - (kappa/(kappa+lambda))^k`` of the way and nothing as
``lambda -> 0``. Fine-tuning *without* the penalty ends at a distance from the
ridge golden model with two orthogonal parts, ``(I - P_r) w_o(lambda)``
(untouchable) and the shrinkage ``X_r^+ y_r - w_g(lambda)`` (R2). Every model
tends to the paper's at rate ``||w(lambda) - w(0)|| <= n lambda /
lambda_min(X X^T) ||w(0)||`` (R4).
"""

import functools
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np

from . import claims as _claims
from . import montecarlo
from ._linalg import RowSpace, gram, mv, rmv
from ._validation import check_float, check_int, check_option
from .scenarios import Scenario

__all__ = ["REGIMES", "ridge_fit", "penalised_steps", "ridge_models",
           "golden_ul_noise_term", "power_law_scale", "premise",
           "regime_claims", "family", "verify_regime", "format_notes",
           "ridge_curve", "early_stopping_path", "transition_curve",
           "RIDGE_LAMBDAS", "RIDGE_STEPS", "EARLY_STEPS", "MONTE_CARLO_ONLY"]

#: The regime families :func:`verify_regime` knows.
REGIMES = ("ridge", "noise", "anisotropic", "early-stopping", "underparameterized")

#: Penalties of the ridge family: near the paper's regime, moderate, strong.
RIDGE_LAMBDAS = (1e-4, 1e-2, 1.0)

#: The fine-tuning budget (steps of size ``1/L``) of the ridge budget check R3.
RIDGE_STEPS = 20

#: Budgets of the early-stopping family's path checks.
EARLY_STEPS = (0, 1, 2, 5, 10, 20, 50)

#: Checks that have no exact expectation under a non-isotropic spectrum.
MONTE_CARLO_ONLY = {
    "anisotropic": ("C2.golden_unlearning_loss", "N1.noise_term"),
    # and the C5 / C8 sign checks, which are Monte Carlo in every regime
}

#: Relative accuracy of identities (as :data:`linunlearn.claims.IDENTITY_RTOL`):
#: round-off on Gram matrices with condition numbers below ~1e4 stays near 1e-11.
IDENTITY_RTOL = _claims.IDENTITY_RTOL

_PREMISE = "premise does not apply: "


# --------------------------------------------------------------------------
# closed forms


def _check_lambda(lam):
    return check_float(lam, "lam", minimum=0.0)


def _check_problem(X, y, w0=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim < 2:
        raise ValueError(f"X must have shape (..., n, d), got shape {X.shape}")
    if y.shape != X.shape[:-1]:
        raise ValueError(f"y must have shape {X.shape[:-1]} (rows of X), got "
                         f"{y.shape}")
    if w0 is not None:
        w0 = np.asarray(w0, dtype=float)
        if w0.shape[-1] != X.shape[-1]:
            raise ValueError(f"w0 must have {X.shape[-1]} entries (columns of X), "
                             f"got shape {w0.shape}")
    return X, y, w0


def ridge_fit(X, y, lam):
    """Return the ridge solution ``argmin (1/n) ||X w - y||^2 + lam ||w||^2``.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
    y : ndarray of shape (..., n)
    lam : float
        Penalty ``lambda >= 0``; ``0`` gives the minimum-norm least-squares
        solution ``X^+ y`` (what gradient descent from 0 converges to).

    Returns
    -------
    ndarray of shape (..., d)

    Notes
    -----
    The gradient ``(2/n) X^T (X w - y) + 2 lambda w`` vanishes at a ``w`` in
    the row space of ``X``, ``w = X^T a``, with

    .. math:: w_\\lambda = X^T (X X^T + n \\lambda I)^{-1} y,

    an ``n x n`` system. It is also where gradient descent on the penalised
    loss converges from any start (the loss is strongly convex).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0]]); y = np.array([2.0])
    >>> ridge_fit(X, y, 0.0), ridge_fit(X, y, 1.0)
    (array([1., 1.]), array([0.66666667, 0.66666667]))
    """
    X, y, _ = _check_problem(X, y)
    lam = _check_lambda(lam)
    if lam == 0.0:
        return RowSpace(X).pinv(y)
    n = X.shape[-2]
    A = gram(X) + n * lam * np.eye(n)
    return rmv(X, np.linalg.solve(A, y[..., None])[..., 0])


def penalised_steps(X, y, w0, lam, steps, *, lr=None):
    """Exact iterate after ``steps`` steps of gradient descent on the penalised loss.

    Gradient descent on ``(1/n) ||X w - y||^2 + lam ||w||^2`` from ``w0``.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
    y : ndarray of shape (..., n)
    w0 : ndarray of shape (..., d)
    lam : float
        Penalty, ``>= 0`` (``0`` is :func:`linunlearn.gradient_descent_steps`).
    steps : int or float
        Number of steps ``k``; ``numpy.inf`` gives the limit.
    lr : float or ndarray of shape (...), optional
        Step size ``eta``; default ``1/L``, ``L = 2 (||X||_2^2 / n + lam)``,
        per problem.

    Returns
    -------
    ndarray of shape (..., d)

    Raises
    ------
    ValueError
        If ``lr >= 1 / (||X||_2^2 / n + lam)`` (gradient descent diverges).

    Notes
    -----
    Write ``G = X X^T = U diag(s) U^T`` and ``P`` the projection on the row
    space. Off the row space the update only shrinks,
    ``(I - P) w_k = (1 - 2 eta lam)^k (I - P) w0``. On it, ``b_k = X w_k``
    obeys ``b_{k+1} = rho b_k + (2 eta / n) G y`` per eigen-direction,
    ``rho_i = 1 - 2 eta lam - 2 eta s_i / n``, with fixed point
    ``b*_i = s_i (U^T y)_i / (s_i + n lam)``, and ``P w = X^T U diag(1/s) U^T b``:

    .. math::

        w_k = (1 - 2\\eta\\lambda)^k w_0 + X^T U \\operatorname{diag}(1/s_i)
              \\big[(\\rho_i^k - (1 - 2\\eta\\lambda)^k) (U^T X w_0)_i
              + (1 - \\rho_i^k)\\, b^*_i\\big].

    With ``lam > 0`` the limit is the ridge solution whatever ``w0``; with the
    default step, ``1 - 2 eta lam = kappa / (kappa + lam)``, ``kappa =
    ||X||_2^2 / n``, the slowest rate of all directions.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0]]); y = np.array([2.0]); w0 = np.array([0.0, 4.0])
    >>> penalised_steps(X, y, w0, 1.0, 1, lr=0.25)  # w0 - 0.25 * [-4, 8]
    array([1., 2.])
    >>> penalised_steps(X, y, w0, 1.0, np.inf)   # ridge_fit(X, y, 1.0) = [1, 0]
    array([1., 0.])
    """
    X, y, w0 = _check_problem(X, y, w0)
    lam = _check_lambda(lam)
    if not (np.isinf(steps) and steps > 0):
        steps = check_int(steps, "steps", minimum=0)
    n = X.shape[-2]
    s, U = np.linalg.eigh(gram(X))
    s = np.clip(s, 0.0, None)
    top = s[..., -1]
    if lr is None:
        lr = 1.0 / (2.0 * (top / n + lam))
    lr = np.asarray(lr, dtype=float)
    if np.any(lr <= 0) or np.any(lr * (top / n + lam) >= 1.0):
        raise ValueError(f"lr must be in (0, 1/(||X||_2^2/n + lam)) for gradient "
                         f"descent to converge, got {lr}")
    lr = lr[..., None]
    shrink = 1.0 - 2.0 * lr * lam
    rho = shrink - 2.0 * lr * s / n
    live = s > top[..., None] * n * np.finfo(float).eps
    safe = np.where(live, s, 1.0)
    c0 = rmv(U, mv(X, w0))
    b_star = s * rmv(U, y) / (safe + n * lam)
    with np.errstate(under="ignore"):
        pk = np.power(rho, steps)
        sk = np.power(shrink, steps)
    coef = np.where(live, ((pk - sk) * c0 + (1.0 - pk) * b_star) / safe, 0.0)
    return sk * w0 + rmv(X, mv(U, coef))


def _single(data):
    """``data`` itself (Dataset or DatasetBatch), refusing multi-output labels."""
    if getattr(data, "n_outputs", None) is not None:
        raise ValueError("ridge_models needs 1-D labels; solve each output column "
                         "separately (see linunlearn.realdata.column_datasets)")
    return data


def ridge_models(data, lam, *, steps=np.inf, lr=None):
    """The models of the paper when pretraining and retraining use a ridge penalty.

    Parameters
    ----------
    data : Dataset or DatasetBatch
        1-D labels.
    lam : float
        Penalty ``lambda >= 0`` (``0``: the paper's models).
    steps : int or float
        Budget of the penalised fine-tuning (default: to convergence).
    lr : float, optional
        Step of the penalised fine-tuning (default ``1/L``, see
        :func:`penalised_steps`).

    Returns
    -------
    dict of str to ndarray
        ``"pretrained"`` ``w_o = ridge(D_r + D_f)``; ``"golden"``
        ``w_g = ridge(D_r)``; ``"finetune"``: unpenalised GD on ``D_r`` from
        ``w_o`` to convergence, ``w_o + X_r^+ (y_r - X_r w_o)``;
        ``"finetune_penalised"``: penalised GD on ``D_r`` from ``w_o`` for
        ``steps`` steps; ``"projection"``: ``P_r w_o``.

    Notes
    -----
    With ``P_r`` the projection on the row space of ``X_r`` and ``w_g^0 =
    X_r^+ y_r`` the paper's golden model,

    .. math::

        w_{ft} - w_g(\\lambda) = \\underbrace{(I - P_r) w_o(\\lambda)}_{
        \\text{untouched}} + \\underbrace{w_g^0 - w_g(\\lambda)}_{
        \\text{shrinkage, in } \\operatorname{row}(X_r)},

    two orthogonal parts (claim R2). The penalised fine-tuning has a unique
    minimiser, ``w_g(lambda)`` (R1), and after ``k`` steps of size ``1/L``
    its untouched part is ``(kappa/(kappa + lambda))^k (I - P_r) w_o`` (R3).

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> m = ridge_models(data, 0.1)
    >>> bool(np.allclose(m["finetune_penalised"], m["golden"]))
    True
    >>> bool(np.allclose(m["finetune"], m["pretrained"]))  # fine-tuning moves
    False
    """
    data = _single(data)
    lam = _check_lambda(lam)
    rows_r = data.rows[1]
    w_o = ridge_fit(data.X, data.y, lam)
    return {"pretrained": w_o,
            "golden": ridge_fit(data.X_r, data.y_r, lam),
            "finetune": rows_r.gd_limit(data.y_r, w_o),
            "finetune_penalised": penalised_steps(data.X_r, data.y_r, w_o, lam,
                                                  steps, lr=lr),
            "projection": rows_r.project(w_o)}


def golden_ul_noise_term(d_r, d_lap, n_r, sigma):
    """The label-noise part of ``E UL(w_g)`` (isotropic features, any teachers).

    Parameters
    ----------
    d_r, d_lap, n_r : int
        Remaining support, overlap and remaining sample sizes, with
        ``d_r > n_r + 1``.
    sigma : float or fractions.Fraction
        Noise standard deviation (a Fraction gives an exact answer).

    Returns
    -------
    float or Fraction

    Raises
    ------
    ValueError
        If ``d_r <= n_r + 1`` (the inverse-Wishart mean does not exist).

    Notes
    -----
    ``w_g = X_r^+ (X_r w* + eps_r)``, so the noise adds ``X_r^+ eps_r``, and
    ``UL`` adds the forgetting noise ``eps_f``. Cross terms have mean zero, and
    ``X_f`` is independent of ``w_g``, so the noise part is
    ``sigma^2 + sigma^2 E tr(G^{-1} X_O X_O^T G^{-1})`` with ``G = X_r X_r^T``
    and ``X_O`` the overlap columns. The ``d_r`` columns of ``X_r`` are
    exchangeable and ``sum_j X_j X_j^T = G``, so the trace has mean
    ``(d_lap / d_r) tr E G^{-1} = (d_lap / d_r) n_r / (d_r - n_r - 1)``
    (inverse-Wishart mean):

    .. math::

        \\sigma^2 \\Big(1 + \\frac{d_{lap}\\, n_r}{d_r (d_r - n_r - 1)}\\Big).

    Examples
    --------
    >>> from fractions import Fraction
    >>> golden_ul_noise_term(60, 16, 30, Fraction(3, 10))
    Fraction(333, 2900)
    """
    d_r = check_int(d_r, "d_r", minimum=1)
    d_lap = check_int(d_lap, "d_lap", minimum=0)
    n_r = check_int(n_r, "n_r", minimum=1)
    if d_lap > d_r:
        raise ValueError(f"d_lap must be <= d_r = {d_r}, got {d_lap}")
    if d_r <= n_r + 1:
        raise ValueError(f"d_r must exceed n_r + 1 = {n_r + 1} for the noise term "
                         f"to be finite, got d_r = {d_r}")
    from fractions import Fraction
    exact = Fraction(d_lap * n_r, d_r * (d_r - n_r - 1))
    if isinstance(sigma, Fraction):
        return sigma ** 2 * (1 + exact)
    sigma = check_float(sigma, "sigma", minimum=0.0)
    return sigma ** 2 * (1.0 + float(exact))


def power_law_scale(d, alpha, *, used=None):
    """Per-coordinate feature standard deviations of a power-law spectrum.

    Feature ``j`` (counted over the ``used`` coordinates, in order) has
    variance ``(j + 1)^(-alpha)``; unused coordinates get 1.

    Examples
    --------
    >>> power_law_scale(4, 2.0)
    array([1.        , 0.5       , 0.33333333, 0.25      ])
    """
    d = check_int(d, "d", minimum=1)
    alpha = check_float(alpha, "alpha", minimum=0.0)
    used = np.ones(d, bool) if used is None else np.asarray(used, bool)
    scale = np.ones(d)
    scale[used] = np.arange(1, used.sum() + 1) ** (-alpha / 2)
    return scale


# --------------------------------------------------------------------------
# per-trial statistics (module level and partial-able, so workers can run them)


def _norm(x):
    return np.linalg.norm(x, axis=-1)


def _rel(a, b):
    return _norm(a - b) / np.maximum(_norm(b), 1e-300)


def _ul(batch, w):
    return np.mean((mv(batch.X_f, w) - batch.y_f) ** 2, axis=-1)


def _rl(batch, w):
    return np.mean((mv(batch.X_r, w) - batch.y_r) ** 2, axis=-1)


def _null_part(X, w):
    """``(I - P) w`` with ``P`` from numpy's SVD pseudo-inverse (independent route)."""
    return w - mv(np.linalg.pinv(X), mv(X, w))


def stat_ridge_remaining_loss(batch, lam):
    """C1 under ridge: ``RL(w_ft)`` (unpenalised fine-tuning) / mean ``y_r^2``."""
    w = ridge_models(batch, lam)["finetune"]
    return _rl(batch, w) / np.mean(batch.y_r ** 2, axis=-1)


def stat_ridge_finetune_moves(batch, lam):
    """C2 under ridge: ``||w_ft - w_o|| / ||w_o||`` (zero in the paper's regime)."""
    m = ridge_models(batch, lam)
    return _rel(m["finetune"], m["pretrained"])


def stat_ridge_finetune_ul(batch, lam):
    """C2 under ridge: ``UL(w_ft)`` / mean ``y_f^2``."""
    return (_ul(batch, ridge_models(batch, lam)["finetune"])
            / np.mean(batch.y_f ** 2, axis=-1))


def stat_ridge_mechanism(batch, lam):
    """C3 under ridge: ``||w_ft - w_g(lam) - (I - P_r) w_o|| / ||w_o||``."""
    m = ridge_models(batch, lam)
    gap = m["finetune"] - m["golden"] - _null_part(batch.X_r, m["pretrained"])
    return _norm(gap) / _norm(m["pretrained"])


def stat_ridge_projection(batch, lam):
    """C7 under ridge: ``||P_r w_o - w_g(lam)|| / ||w_g(lam)||``."""
    m = ridge_models(batch, lam)
    return _rel(m["projection"], m["golden"])


def stat_ridge_penalised_limit(batch, lam):
    """R1: ``||w_ft,pen(inf) - w_g(lam)|| / ||w_g(lam)||`` (eigh route vs solve route)."""
    m = ridge_models(batch, lam)
    return _rel(m["finetune_penalised"], m["golden"])


def stat_ridge_gap_split(batch, lam):
    """R2: the two-part decomposition of ``w_ft - w_g(lam)`` and its Pythagoras.

    Parts from numpy's pseudo-inverse; returns the larger relative deviation.
    """
    m = ridge_models(batch, lam)
    pinv = np.linalg.pinv(batch.X_r)
    untouched = _null_part(batch.X_r, m["pretrained"])
    shrinkage = mv(pinv, batch.y_r) - m["golden"]
    gap = m["finetune"] - m["golden"]
    scale = np.maximum(_norm(gap), 1e-300)
    split = _norm(gap - untouched - shrinkage) / scale
    pythagoras = np.abs(_norm(gap) ** 2 - _norm(untouched) ** 2
                        - _norm(shrinkage) ** 2) / scale ** 2
    return np.maximum(split, pythagoras)


def _kappa(X):
    n = X.shape[-2]
    return np.linalg.eigvalsh(gram(X))[..., -1] / n


def stat_ridge_budget(batch, lam, steps):
    """R3: untouched part left after ``steps`` penalised steps, against ``(kappa/(kappa+lam))^k``.

    Returns the relative deviation of ``||(I - P_r)(w_k - w_g)|| /
    ||(I - P_r) w_o||`` from the predicted factor.
    """
    m = ridge_models(batch, lam, steps=steps)
    left = (_norm(_null_part(batch.X_r, m["finetune_penalised"] - m["golden"]))
            / _norm(_null_part(batch.X_r, m["pretrained"])))
    kappa = _kappa(batch.X_r)
    predicted = (kappa / (kappa + lam)) ** steps
    return np.abs(left - predicted) / predicted


def stat_ridge_small_lambda(batch, lam):
    """R4: ``||w(lam) - w(0)|| / ||w(0)||`` over its bound ``n lam / lambda_min(G)``.

    The largest ratio over the pretrained, golden and fine-tuned models (the
    fine-tuned one against the pretrained bound: ``(I - P_r)`` contracts).
    """
    ratios = []
    pre_bound = None
    for X, y in ((batch.X, batch.y), (batch.X_r, batch.y_r)):
        n = X.shape[-2]
        bound = n * lam / np.linalg.eigvalsh(gram(X))[..., 0]
        dev = _rel(ridge_fit(X, y, lam), ridge_fit(X, y, 0.0))
        ratios.append(dev / bound)
        pre_bound = bound if pre_bound is None else pre_bound
    m, m0 = ridge_models(batch, lam), ridge_models(batch, 0.0)
    ratios.append(_norm(m["finetune"] - m0["finetune"]) / _norm(m0["pretrained"])
                  / pre_bound)
    return np.max(np.stack(ratios, -1), axis=-1)


def stat_noise_term(batch):
    """N1: ``UL(w_g)`` minus the same with the noise removed from every label (paired)."""
    clean_r = mv(batch.X_r, batch.w_r_star)
    clean_f = mv(batch.X_f, batch.w_f_star)
    rows_r = batch.rows[1]
    noisy = _ul(batch, rows_r.pinv(batch.y_r))
    w_clean = rows_r.pinv(clean_r)
    clean = np.mean((mv(batch.X_f, w_clean) - clean_f) ** 2, axis=-1)
    return noisy - clean


def stat_noise_excess(batch):
    """N1 (anisotropic): the noise part of ``UL(w_g)`` minus ``sigma^2``."""
    return stat_noise_term(batch) - batch.sigma ** 2


def stat_golden_ul(batch):
    """``UL(w_g)``, the paper's golden model."""
    return _ul(batch, batch.rows[1].pinv(batch.y_r))


def stat_golden_ul_excess(batch):
    """A1: ``UL(w_g)`` minus its exact lower bound ``||s_B w*_B||^2 + sigma^2``."""
    only_f = batch.support_f & ~batch.support_r
    bound = np.sum((batch.scale * batch.w_f_star)[only_f] ** 2) + batch.sigma ** 2
    return stat_golden_ul(batch) - bound


def _pretrained(batch):
    return batch.rows[0].pinv(batch.y)


def _lr_r(batch):
    """The step ``1/L`` of gradient descent on ``RL`` per trial."""
    n_r = batch.X_r.shape[-2]
    return n_r / (2.0 * np.linalg.eigvalsh(gram(batch.X_r))[..., -1])


def _k_step(batch, w0, steps):
    return penalised_steps(batch.X_r, batch.y_r, w0, 0.0, steps, lr=_lr_r(batch))


def stat_early_finetune_still(batch, steps=EARLY_STEPS):
    """E1: ``max_k ||w_k - w_o|| / ||w_o||`` along the fine-tuning path."""
    w_o = _pretrained(batch)
    return np.max(np.stack([_rel(_k_step(batch, w_o, k), w_o) for k in steps], -1),
                  axis=-1)


def stat_early_distance(batch, steps=EARLY_STEPS):
    """E2: violations of ``||(I-P_r) w_0|| <= ||w_k - w_g|| <= ||w_{k-1} - w_g||``.

    Paths from ``w_o``, from ``S_r * w_o`` (RBM reset) and from ``S_f^c * w_o``
    (FBM reset); relative to ``||w_0 - w_g||``; the largest violation.
    """
    w_o = _pretrained(batch)
    w_g = batch.rows[1].pinv(batch.y_r)
    worst = 0.0
    for start in (w_o, batch.support_r * w_o, ~batch.support_f * w_o):
        floor = _norm(_null_part(batch.X_r, start))
        scale = np.maximum(_norm(start - w_g), 1e-300)
        dist = np.stack([_norm(_k_step(batch, start, k) - w_g) for k in steps], -1)
        rise = np.max(np.diff(dist, axis=-1), axis=-1) / scale
        below = (floor - np.min(dist, axis=-1)) / scale
        worst = np.maximum(worst, np.maximum(rise, below))
    return np.maximum(worst, 0.0)


def stat_early_rbm_still(batch, steps=EARLY_STEPS):
    """E3: ``max_k ||w_rbm,k - S_r * w_o|| / ||w_o||`` along RBM's path."""
    w_o = _pretrained(batch)
    start = batch.support_r * w_o
    return np.max(np.stack([_norm(_k_step(batch, start, k) - start) for k in steps],
                           -1), axis=-1) / _norm(w_o)


def stat_early_rbm_forgets(batch, steps=5):
    """E4: ``UL(w_rbm,k) - UL(w_ft,k)`` after ``steps`` steps (masked vs plain)."""
    w_o = _pretrained(batch)
    rbm = _k_step(batch, batch.support_r * w_o, steps)
    return _ul(batch, rbm) - _ul(batch, _k_step(batch, w_o, steps))


def stat_early_remaining_loss(batch, steps=EARLY_STEPS[-1]):
    """C1 at a finite budget: ``RL(w_k) / mean y_r^2``."""
    return (_rl(batch, _k_step(batch, _pretrained(batch), steps))
            / np.mean(batch.y_r ** 2, axis=-1))


def stat_early_mechanism(batch, steps=EARLY_STEPS[-1]):
    """C3 at a finite budget: ``||w_k - w_g - (I - P_r) w_o|| / ||w_o||``."""
    w_o = _pretrained(batch)
    gap = (_k_step(batch, w_o, steps) - batch.rows[1].pinv(batch.y_r)
           - _null_part(batch.X_r, w_o))
    return _norm(gap) / _norm(w_o)


def stat_under_on_support(batch):
    """U1: ``||S_r * (w_ft - w_g)|| / ||w_g||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    return _norm(batch.support_r * (rows_r.gd_limit(batch.y_r, w_o) - w_g)) / _norm(w_g)


def stat_under_finetune_golden(batch):
    """U2: ``||w_ft - w_g|| / ||w_g||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    return _rel(rows_r.gd_limit(batch.y_r, w_o), w_g)


def stat_under_gap_is_offsupport(batch):
    """U3: ``||w_ft - w_g - (1 - S_r) * w_o|| / ||w_o||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    gap = rows_r.gd_limit(batch.y_r, w_o) - rows_r.pinv(batch.y_r)
    return _norm(gap - ~batch.support_r * w_o) / _norm(w_o)


# --------------------------------------------------------------------------
# premises


def _interpolating(s):
    return s.n_r + s.n_f < int((s.support_r | s.support_f).sum())


def _isotropic(s):
    used = s.support_r | s.support_f
    return bool(np.all(s.scale[used] == s.scale[used][0]))


def premise(claim_id, scenario):
    """Why a claim of the paper does not apply to a scenario, or ``None``.

    Parameters
    ----------
    claim_id : str
        ``"C1"`` ... ``"C8"``, ``"C5-disparity"``, or a check name such as
        ``"C2.golden_unlearning_loss"`` (its claim's premise plus its own).
    scenario : Scenario

    Returns
    -------
    str or None
        ``"premise does not apply: ..."``, or ``None`` when it applies.

    Notes
    -----
    C3 has no premise (``w0 + X_r^+ (y_r - X_r w0) - X_r^+ y_r = (I - P_r) w0``
    for any data). C4 and C6 need only their supports (distinct, full
    overlap). C2, C5, C7 and C8 need the pretrained model to interpolate
    (``n_r + n_f`` below the number of used features); C1 needs ``D_r`` to be
    interpolable (``n_r < d_r``, or noiseless labels). The exact expectation
    of C2 needs isotropic features in the ``[A | O | B]`` layout and
    ``d_r > n_r + 1`` when ``sigma > 0``.

    Examples
    --------
    >>> s = Scenario.overlapping(10, 6, 3, 12, 2, sigma=0.5)
    >>> premise("C1", s)
    'premise does not apply: n_r = 12 >= d_r = 10 with noisy labels, so D_r cannot be interpolated'
    >>> premise("C3", s) is None
    True
    """
    cid, _, check = claim_id.partition(".")
    s = scenario
    if cid == "C1":
        if s.n_r >= s.d_r and s.sigma > 0:
            return (f"{_PREMISE}n_r = {s.n_r} >= d_r = {s.d_r} with noisy labels, "
                    f"so D_r cannot be interpolated")
        return None
    if cid in ("C2", "C5", "C5-disparity", "C7", "C8") and not _interpolating(s):
        return (f"{_PREMISE}n_r + n_f = {s.n_r + s.n_f} is not below the "
                f"{int((s.support_r | s.support_f).sum())} used features, so the "
                f"pretrained model need not interpolate")
    if cid == "C2" and check == "golden_unlearning_loss":
        if not _isotropic(s):
            return (f"{_PREMISE}features are not isotropic; E UL(w_g) has no exact "
                    f"expectation here (Monte-Carlo-only)")
        if s.sigma > 0 and s.d_r <= s.n_r + 1:
            return f"{_PREMISE}the noise term needs d_r > n_r + 1"
    if cid == "C4" and s.d_lap != 0:
        return f"{_PREMISE}supports overlap (d_lap = {s.d_lap}), C4 is for distinct ones"
    if cid in ("C5", "C5-disparity") and not 0 < s.d_lap < min(s.d_r, s.d_f):
        return f"{_PREMISE}C5 is for partial overlap, here d_lap = {s.d_lap}"
    if cid == "C6" and not s.d_lap == s.d_r == s.d_f:
        return f"{_PREMISE}C6 is for full overlap (d_lap = d_r = d_f)"
    return None


# --------------------------------------------------------------------------
# claims per family


@dataclass(frozen=True)
class _Entry:
    """A claim to run on one regime, or the reason it does not apply there."""

    claim: _claims.Claim
    regime: _claims.Regime
    reason: str = None
    monte_carlo_only: tuple = ()


def _regime(name, description, *args, **options):
    return _claims.Regime(name, Scenario.overlapping(*args, **options), description)


def _golden_ul_expectation(scenario):
    """Exact ``E UL(w_g)`` from :mod:`linunlearn.theory` (``ValueError`` when absent)."""
    reason = premise("C2.golden_unlearning_loss", scenario)
    if reason:
        raise ValueError(reason)
    try:
        from . import theory
    except ImportError as exc:
        raise ValueError(f"linunlearn.theory is not available ({exc})") from None
    used = scenario.support_r | scenario.support_f
    w_f = None if scenario.shared_teacher else scenario.w_f_star[used]
    return theory.expected_golden_unlearning_loss(
        scenario.d_r, scenario.d_f, scenario.d_lap, scenario.n_r,
        scenario.w_r_star[used], w_f, sigma=scenario.sigma)


def _paper_claim(cid):
    """The paper's claim ``cid``, with C2's expectation read through the premises."""
    claim = _claims.CLAIMS[cid]
    if cid != "C2":
        return claim
    checks = tuple(replace(c, theory=_golden_ul_expectation) if c.kind == "theory"
                   else c for c in claim.checks)
    return replace(claim, checks=checks)


#: Outside the paper's regime, the Monte Carlo sign claims are findings, not
#: theorems: a failure there is reported, not an error. The identities (C1-C4,
#: C6, C7, C8 at convergence) are proved for any data meeting their premises.
_SIGN_CLAIMS = {"C5": "depends", "C5-disparity": "depends", "C8": "depends"}


def _paper_entries(regime, *, expected=_SIGN_CLAIMS, reasons=None):
    """The paper's claims on ``regime``, gated by :func:`premise`."""
    out = []
    for cid, claim in _claims.CLAIMS.items():
        reason = (reasons or {}).get(cid) or premise(cid, regime.scenario)
        claim = _paper_claim(cid)
        if expected and cid in expected:
            claim = replace(claim, expected=expected[cid])
        mc_only = ()
        if reason is None and cid == "C2" and premise("C2.golden_unlearning_loss",
                                                      regime.scenario):
            mc_only = ("C2.golden_unlearning_loss",)
        out.append(_Entry(claim, regime, reason, mc_only))
    return out


def _ridge_entries(lam):
    base = _claims.DEFAULT_REGIMES["overlap"].scenario
    regime = _claims.Regime(f"ridge lambda={lam:g}", base,
                            f"overlap regime, ridge penalty lambda = {lam:g}")
    p = functools.partial
    tol = IDENTITY_RTOL
    untrained = (f"{_PREMISE}masked methods and the discriminative regulariser "
                 f"are defined with unpenalised training; under ridge they are "
                 f"not re-derived (R1 covers every penalised fine-tuning: it "
                 f"converges to w_g(lambda) from any start)")
    entries = [
        _Entry(_claims.Claim(
            "C1", "Fine-tuning (unpenalised GD on D_r from the ridge w_o) reaches "
            "zero remaining loss.", "THEORY.md 5, C1", (),
            (_claims.Check("C1.remaining_loss", p(stat_ridge_remaining_loss, lam=lam),
                           "identity", "RL(w_ft) / mean(y_r^2) <= tol", tol),)), regime),
        _Entry(_claims.Claim(
            "C2", "Fine-tuning does not forget: w_ft = w_o, UL(w_ft) = 0. Under "
            "ridge w_o does not interpolate, so fine-tuning moves (expected to fail).",
            "THEORY.md 5, C2", (),
            (_claims.Check("C2.finetune_is_pretrained",
                           p(stat_ridge_finetune_moves, lam=lam), "identity",
                           "||w_ft - w_o|| / ||w_o|| <= tol", tol),
             _claims.Check("C2.finetune_unlearning_loss",
                           p(stat_ridge_finetune_ul, lam=lam), "identity",
                           "UL(w_ft) / mean(y_f^2) <= tol", tol)),
            expected="depends"), regime),
        _Entry(_claims.Claim(
            "C3", "The mechanism w_ft - w_g = (I - P_r) w_o, with the ridge golden "
            "model w_g(lambda); off by the shrinkage part (see R2).",
            "THEORY.md 5, C3", (),
            (_claims.Check("C3.mechanism", p(stat_ridge_mechanism, lam=lam),
                           "identity", "||w_ft - w_g - (I - P_r) w_o|| / ||w_o|| <= tol",
                           tol),), expected="depends"), regime),
        _Entry(_claims.Claim(
            "C7", "Projection is exact unlearning: P_r w_o = w_g(lambda). Needs "
            "X_r w_o = y_r, false under ridge.", "THEORY.md 5, C7", (),
            (_claims.Check("C7.projection_is_golden", p(stat_ridge_projection, lam=lam),
                           "identity", "||P_r w_o - w_g|| / ||w_g|| <= tol", tol),),
            expected="depends"), regime),
    ]
    for cid in ("C4", "C5", "C5-disparity", "C6", "C8"):
        entries.append(_Entry(_claims.CLAIMS[cid], regime,
                              premise(cid, base) or untrained))
    entries.append(_Entry(_claims.Claim(
        "C2-exact", "E UL(w_g) equals its exact expectation.", "THEORY.md 5, C2",
        (), ()), regime, f"{_PREMISE}the exact expectation is for the minimum-norm "
                         f"golden model, not the ridge one"))
    entries += [
        _Entry(_claims.Claim(
            "R1", "Penalised fine-tuning (GD on RL + lambda ||w||^2 from w_o) "
            "converges to the ridge golden model: strongly convex, one minimiser.",
            "issue 6, ridge", (),
            (_claims.Check("R1.penalised_limit", p(stat_ridge_penalised_limit, lam=lam),
                           "identity", "||w_ft,pen(inf) - w_g|| / ||w_g|| <= tol "
                           "(eigen route vs linear solve)", tol),)), regime),
        _Entry(_claims.Claim(
            "R2", "Unpenalised fine-tuning stops at w_g(lambda) + (I - P_r) w_o "
            "+ (X_r^+ y_r - w_g(lambda)), two orthogonal parts.", "issue 6, ridge", (),
            (_claims.Check("R2.gap_split", p(stat_ridge_gap_split, lam=lam), "identity",
                           "split and Pythagoras of w_ft - w_g (numpy pinv) <= tol",
                           tol),)), regime),
        _Entry(_claims.Claim(
            "R3", f"After k = {RIDGE_STEPS} penalised steps of size 1/L, the part "
            f"fine-tuning cannot reach without the penalty is (kappa/(kappa + "
            f"lambda))^k of (I - P_r) w_o, kappa = ||X_r||^2/n_r: no progress as "
            f"lambda -> 0.", "issue 6, ridge", (),
            (_claims.Check("R3.budget", p(stat_ridge_budget, lam=lam, steps=RIDGE_STEPS),
                           "identity", "|left - (kappa/(kappa+lambda))^k| / "
                           "prediction <= tol", IDENTITY_RTOL),)), regime),
        _Entry(_claims.Claim(
            "R4", "lambda -> 0 recovers the paper: ||w(lambda) - w(0)|| <= n lambda "
            "/ lambda_min(X X^T) ||w(0)|| for w_o, w_g and w_ft.", "issue 6, ridge", (),
            (_claims.Check("R4.small_lambda", p(stat_ridge_small_lambda, lam=lam),
                           "identity", "deviation / bound <= 1", 1.0 + 1e-8),)), regime),
    ]
    return entries


def _noise_regimes(sigma=1.0):
    return [_regime(f"noise sigma={sigma:g}, {name}", f"sigma = {sigma:g}, {desc}",
                    *args, sigma=sigma)
            for name, desc, args in (
                ("distinct", "d_lap = 0", (60, 40, 0, 30, 15)),
                ("overlap", "d_lap / d_f = 0.4", (60, 40, 16, 30, 15)),
                ("full overlap", "d_lap = d_r = d_f", (60, 60, 60, 20, 15)))]


def _noise_claim():
    return _claims.Claim(
        "N1", "Label noise adds exactly sigma^2 (1 + d_lap n_r / (d_r (d_r - n_r "
        "- 1))) to E UL(w_g) (paired with the noise removed).", "issue 6, noise", (),
        (_claims.Check("N1.noise_term", stat_noise_term, "theory",
                       "mean[UL(w_g) - UL_clean(w_g,clean)] = golden_ul_noise_term",
                       theory=_noise_term_theory),))


def _noise_term_theory(scenario):
    if not _isotropic(scenario):
        raise ValueError(f"{_PREMISE}features are not isotropic (Monte-Carlo-only)")
    try:
        return golden_ul_noise_term(scenario.d_r, scenario.d_lap, scenario.n_r,
                                    scenario.sigma)
    except ValueError as exc:
        raise ValueError(f"{_PREMISE}{exc}") from None


def _family_entries(name):
    if name == "ridge":
        return [e for lam in RIDGE_LAMBDAS for e in _ridge_entries(lam)]
    if name == "noise":
        out = []
        for regime in _noise_regimes():
            out += _paper_entries(regime)
            out.append(_Entry(_noise_claim(), regime))
        return out
    if name == "anisotropic":
        out = []
        for d_r, d_f, d_lap, n_r, n_f, label in ((60, 40, 0, 30, 15, "distinct"),
                                                 (60, 40, 16, 30, 15, "overlap"),
                                                 (60, 60, 60, 20, 15, "full overlap")):
            used = d_r + d_f - d_lap
            regime = _regime(f"power law alpha=1, {label}",
                             f"feature variance (j+1)^-1 over [A|O|B], {label}",
                             d_r, d_f, d_lap, n_r, n_f, sigma=0.3,
                             scale=power_law_scale(used, 1.0))
            out += _paper_entries(regime)
            out.append(_Entry(_claims.Claim(
                "N1", "Label noise adds sigma^2 plus a positive part from the overlap "
                "(no exact expectation under this spectrum: Monte-Carlo-only).",
                "issue 6, anisotropic", (),
                (_claims.Check("N1.noise_excess", stat_noise_excess, "positive",
                               "E[UL(w_g) - UL_clean(w_g,clean)] - sigma^2 > 0"),)),
                regime, None if d_lap > 0 else
                f"{_PREMISE}without overlap the noise adds exactly sigma^2"))
            out.append(_Entry(_claims.Claim(
                "A1", "The forgetting-only block is exact whatever the spectrum: "
                "E UL(w_g) > ||s_B w*_B||^2 + sigma^2 (the overlap adds a positive, "
                "Monte-Carlo-only part).", "issue 6, anisotropic", (),
                (_claims.Check("A1.excess_over_bound", stat_golden_ul_excess,
                               "positive", "E[UL(w_g) - ||s_B w*_B||^2 - sigma^2] > 0"),)),
                regime, None if d_lap > 0 else
                f"{_PREMISE}without overlap E UL(w_g) equals the bound exactly"))
        return out
    if name == "early-stopping":
        regime = _claims.DEFAULT_REGIMES["overlap"]
        regime = replace(regime, name=f"early-stopping, {regime.name}",
                         description=f"k-step GD with step 1/L, k in {EARLY_STEPS}")
        finite = (f"{_PREMISE}stated for training to convergence; at a finite "
                  f"budget see E4 (RBM's path is constant, E3; FBM's converges "
                  f"geometrically, E2)")
        out = [
            _Entry(_claims.Claim(
                "C1", f"RL(w_k) = 0 after k = {EARLY_STEPS[-1]} fine-tuning steps.",
                "THEORY.md 5, C1", (),
                (_claims.Check("C1.remaining_loss", stat_early_remaining_loss,
                               "identity", "RL(w_k) / mean(y_r^2) <= tol",
                               IDENTITY_RTOL),)), regime),
            _Entry(_claims.Claim(
                "C3", f"w_k - w_g = (I - P_r) w_o after k = {EARLY_STEPS[-1]} steps.",
                "THEORY.md 5, C3", (),
                (_claims.Check("C3.mechanism", stat_early_mechanism, "identity",
                               "||w_k - w_g - (I - P_r) w_o|| / ||w_o|| <= tol",
                               IDENTITY_RTOL),)), regime),
            _Entry(_claims.CLAIMS["C8"], regime),
        ]
        for cid in ("C4", "C5", "C6"):
            out.append(_Entry(_claims.CLAIMS[cid], regime,
                              premise(cid, regime.scenario) or finite))
        out.append(_Entry(_claims.CLAIMS["C7"], regime,
                          f"{_PREMISE}projection involves no fine-tuning; "
                          f"unchanged from the paper's regime"))
        out += [
            _Entry(_claims.Claim(
                "E1", "Early-stopped fine-tuning does not move either: w_k = w_o for "
                "every k (every gradient vanishes at w_o), so C2 holds along the path.",
                "issue 6, early stopping", (),
                (_claims.Check("E1.path_is_still", stat_early_finetune_still,
                               "identity", "max_k ||w_k - w_o|| / ||w_o|| <= tol",
                               IDENTITY_RTOL),)), regime),
            _Entry(_claims.Claim(
                "E2", "Along any fine-tuning path (from w_o, RBM's and FBM's resets) "
                "the distance to golden never increases and never drops below "
                "||(I - P_r) w_start||: stopping early cannot beat convergence.",
                "issue 6, early stopping", (),
                (_claims.Check("E2.distance_monotone", stat_early_distance, "identity",
                               "largest violation / ||w_0 - w_g|| <= tol",
                               IDENTITY_RTOL),)), regime),
            _Entry(_claims.Claim(
                "E3", "RBM's reset (support mask) already interpolates D_r, since X_r "
                "is zero off S_r: its fine-tuning path is constant, w_rbm,k = S_r * "
                "w_o for every k; the reset does all the forgetting.",
                "issue 6, early stopping", (),
                (_claims.Check("E3.rbm_path_is_still", stat_early_rbm_still,
                               "identity", "max_k ||w_rbm,k - S_r w_o|| / ||w_o|| <= tol",
                               IDENTITY_RTOL),)), regime),
            _Entry(_claims.Claim(
                "E4", "After 5 steps RBM has forgotten more than fine-tuning: "
                "E[UL(w_rbm,5) - UL(w_ft,5)] > 0.", "issue 6, early stopping", (),
                (_claims.Check("E4.rbm_forgets_early", stat_early_rbm_forgets,
                               "positive", "E[UL(w_rbm,5) - UL(w_ft,5)] > 0"),)), regime),
        ]
        return out
    if name == "underparameterized":
        out = []
        # n_r = d_r itself is left to transition_curve: X_r is square there and
        # its condition number is unbounded (the interpolation peak), so
        # identities would need a data-dependent tolerance.
        for d_r, d_f, d_lap, n_r, label in ((20, 20, 20, 16, "full overlap, below"),
                                            (20, 20, 20, 30, "full overlap"),
                                            (20, 12, 6, 40, "overlap")):
            ratio = n_r / d_r
            regime = _regime(f"n_r/d_r={ratio:g}, {label}",
                             f"d_r={d_r}, d_f={d_f}, d_lap={d_lap}, n_r={n_r}, "
                             f"n_f=5, sigma=0.3", d_r, d_f, d_lap, n_r, 5, sigma=0.3)
            out += _paper_entries(regime)
            full = d_lap == d_r == d_f
            out += [
                _Entry(_claims.Claim(
                    "U1", "n_r >= d_r: fine-tuning equals golden on the remaining "
                    "support S_r (the least-squares fit there is unique).",
                    "issue 6, underparameterised", (),
                    (_claims.Check("U1.same_on_S_r", stat_under_on_support, "identity",
                                   "||S_r * (w_ft - w_g)|| / ||w_g|| <= tol",
                                   IDENTITY_RTOL),),
                    expected="holds" if n_r >= d_r else "depends"), regime),
                _Entry(_claims.Claim(
                    "U2", "n_r >= d_r: fine-tuning converges to golden. True only "
                    "when S_f is inside S_r (else w_ft keeps w_o off S_r, see U3).",
                    "issue 6, underparameterised", (),
                    (_claims.Check("U2.finetune_is_golden", stat_under_finetune_golden,
                                   "identity", "||w_ft - w_g|| / ||w_g|| <= tol",
                                   IDENTITY_RTOL),),
                    expected="holds" if n_r >= d_r and full else "depends"), regime),
                _Entry(_claims.Claim(
                    "U3", "n_r >= d_r: w_ft - w_g is exactly w_o off S_r.",
                    "issue 6, underparameterised", (),
                    (_claims.Check("U3.gap_off_support", stat_under_gap_is_offsupport,
                                   "identity", "||w_ft - w_g - (1 - S_r) w_o|| / ||w_o||"
                                   " <= tol", IDENTITY_RTOL),),
                    expected="holds" if n_r >= d_r else "depends"), regime),
            ]
        return out
    raise AssertionError(name)  # pragma: no cover - names are checked first


def family(name):
    """The regimes of a family: ``{regime name: claims.Regime}``.

    Examples
    --------
    >>> sorted(family("ridge"))
    ['ridge lambda=0.0001', 'ridge lambda=0.01', 'ridge lambda=1']
    """
    check_option(name, "regime", REGIMES)
    return {e.regime.name: e.regime for e in _family_entries(name)}


def regime_claims(name):
    """``[(claim id, regime name, reason or None)]`` that :func:`verify_regime` runs.

    ``reason`` is ``"premise does not apply: ..."`` for the claims reported
    as inconclusive without being run.

    Examples
    --------
    >>> [c for c in regime_claims("ridge") if c[1] == "ridge lambda=1"][:2]
    [('C1', 'ridge lambda=1', None), ('C2', 'ridge lambda=1', None)]
    """
    check_option(name, "regime", REGIMES)
    return [(e.claim.id, e.regime.name, e.reason) for e in _family_entries(name)]


def _not_applicable(entry, seed):
    check = _claims.CheckResult(name=f"{entry.claim.id}.premise", kind="premise",
                                verdict="inconclusive", statement=entry.claim.statement,
                                detail=entry.reason)
    return _claims.ClaimResult(id=entry.claim.id, regime=entry.regime.name,
                               verdict="inconclusive", expected=entry.claim.expected,
                               statement=entry.claim.statement, checks=(check,),
                               seed=seed, regime_description=entry.regime.description)


def _mc_only(result, names):
    """Mark the checks in ``names`` inconclusive: no exact expectation here."""
    checks = []
    for c in result.checks:
        if c.name in names and c.kind == "theory":
            c = replace(c, verdict="inconclusive",
                        detail=f"{_PREMISE}no exact expectation under a non-isotropic "
                               f"spectrum (Monte-Carlo-only: see the golden_forgets "
                               f"estimate)")
        checks.append(c)
    verdict = _claims._combine(c.verdict for c in checks)
    return replace(result, checks=tuple(checks), verdict=verdict)


def verify_regime(name, *, precision=0.05, seed=0, workers=1, trials=None):
    """Re-run the claims in one beyond-the-paper regime family.

    Parameters
    ----------
    name : {"ridge", "noise", "anisotropic", "early-stopping", "underparameterized"}
    precision : float
        Target relative half-width of the confidence intervals.
    seed : int
        Every number is a function of the seed alone.
    workers : int
        Worker processes; the report does not depend on it.
    trials : int, optional
        Fix the number of Monte Carlo trials per check.

    Returns
    -------
    linunlearn.claims.Report
        One :class:`~linunlearn.claims.ClaimResult` per (claim, regime). A claim
        whose premise does not hold there has verdict ``"inconclusive"`` and a
        single check ``"<id>.premise"`` whose detail starts with ``"premise does
        not apply: "``. Claims that theory predicts to fail in the regime
        carry ``expected="depends"`` (a failure there is a finding). The
        paper's symbolic checks are not attached: they are proofs for the
        paper's regime. ``settings["regime"]`` is ``name``.

    Raises
    ------
    ValueError
        Unknown ``name`` (message names ``regime``), or bad ``precision``,
        ``seed``, ``workers`` or ``trials``.

    Examples
    --------
    >>> report = verify_regime("early-stopping", trials=20)
    >>> {r.id: r.verdict for r in report.results}["E1"]
    'holds'
    """
    check_option(name, "regime", REGIMES)
    precision = check_float(precision, "precision", minimum=0.0, strict=True)
    seed = check_int(seed, "seed", minimum=0)
    if trials is not None:
        trials = check_int(trials, "n_trials", minimum=2)
    entries = _family_entries(name)
    start = time.perf_counter()
    executor = montecarlo.make_executor(workers)
    results = []
    try:
        for entry in entries:
            if entry.reason is not None:
                results.append(_not_applicable(entry, seed))
                continue
            with warnings.catch_warnings():
                # Rank-deficient X_r (n_r >= d_r) is expected here; the checks
                # record the warning in their detail.
                warnings.simplefilter("ignore", category=Warning)
                result = _claims.check_claim(entry.claim, entry.regime, seed=seed,
                                             precision=precision, trials=trials,
                                             executor=executor, symbolic=())
            if entry.monte_carlo_only:
                result = _mc_only(result, entry.monte_carlo_only)
            results.append(result)
    finally:
        if executor is not None:
            executor.shutdown()
    return _claims.Report(tuple(results), seed, precision,
                          time.perf_counter() - start,
                          {"regime": name, "workers": workers, "trials": trials})


def format_notes(report):
    """The details the table truncates: why premises fail, Monte-Carlo-only checks.

    One line per distinct detail, with the (claim, regime) pairs it concerns.

    Examples
    --------
    >>> from linunlearn.claims import Report
    >>> format_notes(Report((), 0, 0.05))
    ''
    """
    groups = {}
    for r in report.results:
        for c in r.checks:
            if _PREMISE in c.detail:
                groups.setdefault(c.detail, []).append(f"{r.id}@{r.regime}")
    lines = [f"- {detail}\n    ({', '.join(where)})" for detail, where in groups.items()]
    return ("notes:\n" + "\n".join(lines)) if lines else ""


# --------------------------------------------------------------------------
# curves for figures (pure data)


def _mc(stat, scenario, trials, seed, *labels):
    seq = montecarlo.seed_sequence(seed, *labels)
    return montecarlo.run_trials(stat, scenario, trials, seq)


def _stat_ridge_curve(batch, lams, steps):
    out = []
    for lam in lams:
        m = ridge_models(batch, lam, steps=steps)
        golden = _ul(batch, m["golden"])
        out.append(np.stack([golden - _ul(batch, m["finetune"]),
                             golden - _ul(batch, m["finetune_penalised"]),
                             _norm(_null_part(batch.X_r, m["pretrained"])) ** 2], -1))
    return np.stack(out, axis=1)


def ridge_curve(lams, *, scenario=None, steps=RIDGE_STEPS, trials=200, seed=0):
    """Unlearning-loss gap to the ridge golden model against ``lambda`` (figure data).

    Parameters
    ----------
    lams : sequence of float
        Penalties (``0`` allowed: the paper's regime).
    scenario : Scenario, optional
        Default: the ``"overlap"`` regime of :data:`linunlearn.claims.DEFAULT_REGIMES`.
    steps : int
        Budget of the penalised fine-tuning.
    trials, seed : int

    Returns
    -------
    dict
        ``"lambda"``; ``"gap_unpenalised"``, ``"gap_penalised"``: mean of
        ``UL(w_g(lambda)) - UL(w)`` for unpenalised fine-tuning to convergence
        and penalised fine-tuning after ``steps`` steps; ``"untouched"``: mean
        ``||(I - P_r) w_o(lambda)||^2``; each with ``"<key>_se"`` standard
        errors; and ``"seed"``, ``"trials"``, ``"steps"``.

    Examples
    --------
    >>> c = ridge_curve([0.0, 1.0], trials=10)
    >>> bool(c["gap_unpenalised"][0] > c["gap_unpenalised"][1] > 0)
    True
    """
    lams = tuple(_check_lambda(lam) for lam in lams)
    scenario = scenario or _claims.DEFAULT_REGIMES["overlap"].scenario
    x = _mc(functools.partial(_stat_ridge_curve, lams=lams, steps=steps),
            scenario, trials, seed, "ridge_curve")
    mean, se = x.mean(0), x.std(0, ddof=1) / np.sqrt(len(x))
    out = {"lambda": np.array(lams), "seed": seed, "trials": trials, "steps": steps}
    for j, key in enumerate(("gap_unpenalised", "gap_penalised", "untouched")):
        out[key], out[f"{key}_se"] = mean[:, j], se[:, j]
    return out


def _stat_path(batch, steps):
    w_o = _pretrained(batch)
    golden = _ul(batch, batch.rows[1].pinv(batch.y_r))
    out = []
    for start in (w_o, batch.support_r * w_o, ~batch.support_f * w_o):
        out.append(np.stack([_ul(batch, _k_step(batch, start, k)) - golden
                             for k in steps], -1))
    return np.stack(out, axis=1)


def early_stopping_path(steps=EARLY_STEPS, *, scenario=None, trials=200, seed=0):
    """Unlearning loss minus golden's along k-step fine-tuning paths (figure data).

    Paths start from ``w_o`` (fine-tuning), ``S_r * w_o`` (RBM reset) and
    ``(1 - S_f) * w_o`` (FBM reset); step ``1/L`` of ``RL``. The first two
    starts interpolate ``D_r`` (``X_r`` is zero off ``S_r``), so their paths
    are constant (claims E1, E3); only FBM's moves.

    Returns
    -------
    dict
        ``"steps"``; ``"finetune"``, ``"rbm"``, ``"fbm"``: mean
        ``UL(w_k) - UL(w_g)`` per step, each with ``"<key>_se"``; ``"seed"``,
        ``"trials"``.

    Examples
    --------
    >>> p = early_stopping_path((0, 5), trials=10)
    >>> bool(p["finetune"][0] == p["finetune"][1] < 0)
    True
    """
    steps = tuple(int(k) for k in steps)
    scenario = scenario or _claims.DEFAULT_REGIMES["overlap"].scenario
    x = _mc(functools.partial(_stat_path, steps=steps), scenario, trials, seed,
            "early_stopping_path")
    mean, se = x.mean(0), x.std(0, ddof=1) / np.sqrt(len(x))
    out = {"steps": np.array(steps), "seed": seed, "trials": trials}
    for j, key in enumerate(("finetune", "rbm", "fbm")):
        out[key], out[f"{key}_se"] = mean[j], se[j]
    return out


def _stat_transition(batch):
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    w_ft = rows_r.gd_limit(batch.y_r, w_o)
    return np.stack([_rel(w_ft, w_g), _ul(batch, w_g) - _ul(batch, w_ft)], -1)


def transition_curve(ratios, *, d_r=20, d_f=20, d_lap=20, n_f=5, sigma=0.3,
                     trials=200, seed=0):
    """Fine-tuning's gap to golden as ``n_r / d_r`` crosses 1 (figure data).

    Returns
    -------
    dict
        ``"ratio"`` (the realised ``n_r / d_r``), ``"n_r"``; ``"weight_gap"``:
        mean ``||w_ft - w_g|| / ||w_g||``; ``"ul_gap"``: mean ``UL(w_g) -
        UL(w_ft)``; each with ``"<key>_se"``; ``"seed"``, ``"trials"``.
        With full overlap (the default) both gaps vanish for ``n_r >= d_r``.

    Examples
    --------
    >>> t = transition_curve([0.5, 1.5], trials=10)
    >>> bool(t["weight_gap"][0] > 0.1 and t["weight_gap"][1] < 1e-8)
    True
    """
    rows = []
    n_rs = [max(1, int(round(r * d_r))) for r in ratios]
    for n_r in n_rs:
        s = Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, sigma=sigma)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)  # rank-deficient X_r
            x = _mc(_stat_transition, s, trials, seed, "transition", n_r)
        rows.append((x.mean(0), x.std(0, ddof=1) / np.sqrt(len(x))))
    mean = np.array([r[0] for r in rows])
    se = np.array([r[1] for r in rows])
    return {"ratio": np.array(n_rs) / d_r, "n_r": np.array(n_rs),
            "weight_gap": mean[:, 0], "weight_gap_se": se[:, 0],
            "ul_gap": mean[:, 1], "ul_gap_se": se[:, 1], "seed": seed,
            "trials": trials}
