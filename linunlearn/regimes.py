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
                            ``lambda``, unpenalised fine-tuning; the paper's
                            claims re-run on the ridge models
                            (:func:`ridge_claim_models`), and R1-R6
``"noise"``                 label noise ``sigma > 0`` (N1: the exact noise
                            term of ``E UL(w_g)``)
``"anisotropic"``           power-law feature spectrum; C2's exact expectation
                            survives only without overlap, the rest is
                            Monte-Carlo-only (said in the report's notes); A1
``"early-stopping"``        fine-tuning stopped after ``EARLY_BUDGET`` steps
                            (:func:`early_claim_models`), from a converged and
                            from an early-stopped ``w_o`` (E1, E2)
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
- :func:`golden_ul_noise_term`: ``sigma^2 (1 + d_lap n_r / (d_r (d_r - n_r - 1)))``,
  evaluated from :mod:`linunlearn.theory`'s derivation.

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
lambda_min(X X^T) ||w(0)||`` (R4). How far unpenalised fine-tuning gets
towards the ridge golden model: it trades the row-space error of ``w_o`` for
the shrinkage, ``||w_ft - w_g||^2 - ||w_o - w_g||^2 = ||X_r^+ y_r - w_g||^2 -
||P_r w_o - w_g||^2`` (R5), whose sign R6 estimates: in the default overlap
regime fine-tuning moves *away* from the ridge golden model on average.

Early stopping: with a converged (interpolating) ``w_o`` every gradient on
``D_r`` vanishes at ``w_o`` and at RBM's reset, so stopping early changes
nothing and the paper's claims hold at any budget; from an early-stopped
``w_o`` fine-tuning moves, the identities C1-C3 and C7 fail at a finite
budget, while the monotone approach to golden (E1), RBM's extra forgetting
(C5) and the convergence part of C8 still hold in the default overlap regime.
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
from .solutions import mask_for

__all__ = ["REGIMES", "ridge_fit", "penalised_steps", "ridge_models",
           "golden_ul_noise_term", "power_law_scale", "premise",
           "regime_claims", "family", "verify_regime", "format_notes",
           "ridge_curve", "early_stopping_path", "transition_curve",
           "RIDGE_LAMBDAS", "RIDGE_STEPS", "EARLY_STEPS",
           "EARLY_BUDGET", "EARLY_PRETRAIN_STEPS", "ridge_claim_models",
           "early_claim_models"]

#: The regime families :func:`verify_regime` knows.
REGIMES = ("ridge", "noise", "anisotropic", "early-stopping", "underparameterized")

#: Penalties of the ridge family: near the paper's regime, moderate, strong.
RIDGE_LAMBDAS = (1e-4, 1e-2, 1.0)

#: The fine-tuning budget (steps of size ``1/L``) of the ridge budget check R3.
RIDGE_STEPS = 20

#: Budgets of the early-stopping family's path checks.
EARLY_STEPS = (0, 1, 2, 5, 10, 20, 50)

#: The fine-tuning budget at which the early-stopping family re-checks the
#: paper's claims, and the pretraining budget of its non-interpolating regime.
EARLY_BUDGET = 10
EARLY_PRETRAIN_STEPS = 20

#: Relative accuracy of identities (as :data:`linunlearn.claims.IDENTITY_RTOL`):
#: round-off on Gram matrices with condition numbers below ~1e4 stays near 1e-11.
IDENTITY_RTOL = _claims.IDENTITY_RTOL

_PREMISE = "premise does not apply: "
_MC_ONLY = "Monte-Carlo-only"


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
    r"""The label-noise part of ``E UL(w_g)`` (isotropic features, any teachers).

    Evaluated from the sympy derivation of :mod:`linunlearn.theory`: the
    expected unlearning loss with noise ``sigma`` minus the same without.

    Parameters
    ----------
    d_r, d_lap, n_r : int
        Remaining support, overlap and remaining sample sizes.
    sigma : float
        Noise standard deviation.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the term is infinite (``|n_r - d_r| <= 1`` with ``d_lap > 0``).

    Notes
    -----
    ``w_g = X_r^+ (X_r w* + eps_r)``, so the noise adds ``X_r^+ eps_r``, and
    ``UL`` adds the forgetting noise ``eps_f``. Cross terms have mean zero and
    ``X_f`` is independent of ``w_g``, so for ``n_r < d_r - 1`` the noise part
    is ``sigma^2 + sigma^2 E tr(G^{-1} X_O X_O^T G^{-1})`` with ``G = X_r
    X_r^T`` and ``X_O`` the overlap columns; exchangeable columns and the
    inverse-Wishart mean give

    .. math::

        \sigma^2 \Big(1 + \frac{d_{lap}\, n_r}{d_r (d_r - n_r - 1)}\Big),

    and for ``n_r > d_r + 1``, :math:`\sigma^2 (1 + d_{lap} / (n_r - d_r - 1))`.
    The tests compare these hand derivations with the sympy one.

    Examples
    --------
    >>> round(golden_ul_noise_term(60, 16, 30, 0.3), 12)  # 0.09 * (1 + 480/1740)
    0.114827586207
    """
    d_r = check_int(d_r, "d_r", minimum=1)
    d_lap = check_int(d_lap, "d_lap", minimum=0)
    n_r = check_int(n_r, "n_r", minimum=1)
    sigma = check_float(sigma, "sigma", minimum=0.0)
    if d_lap > d_r:
        raise ValueError(f"d_lap must be <= d_r = {d_r}, got {d_lap}")
    from . import theory
    d_f = max(d_lap, 1)
    zero = np.zeros(d_r + d_f - d_lap)  # the noise part does not depend on the teacher
    return (theory.expected_golden_unlearning_loss(d_r, d_f, d_lap, n_r, zero, sigma=sigma)
            - theory.expected_golden_unlearning_loss(d_r, d_f, d_lap, n_r, zero))


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


def ridge_claim_models(batch, *methods, fbm=None, lam):
    """The models of the paper's claim checks when pretraining and retraining use ridge.

    A model provider for :mod:`linunlearn.claims`' statistics: ``"pretrained"``
    ``w_o(lambda)``, ``"golden"`` ``w_g(lambda)`` (ridge on ``D_r``),
    ``"finetune"`` (unpenalised GD on ``D_r`` from ``w_o`` to convergence),
    ``"rbm"``, ``"fbm"`` (the same from their reset of ``w_o``; masks as in
    :data:`linunlearn.claims.DEFAULT_MASKS`, FBM's from ``fbm``) and
    ``"projection"`` ``P_r w_o``.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> m = ridge_claim_models(data, "finetune", "rbm", lam=0.1)
    >>> sorted(m)
    ['finetune', 'rbm']
    """
    return _provide(batch, methods, fbm, ridge_fit(batch.X, batch.y, lam),
                    golden=lambda: ridge_fit(batch.X_r, batch.y_r, lam),
                    fine_tune=lambda start: batch.rows[1].gd_limit(batch.y_r, start))


def _provide(batch, methods, fbm, w_o, *, golden, fine_tune):
    """``{method: weights}`` of a model provider for the claims' statistics.

    ``golden()`` retrains on ``D_r``; ``fine_tune(start)`` trains on ``D_r``
    from a start: from ``w_o`` for fine-tuning, from its reset for RBM / FBM
    (masks as in :data:`linunlearn.claims.DEFAULT_MASKS`, FBM's from ``fbm``).
    """
    out = {}
    for method in methods:
        if method in ("rbm", "fbm"):
            mask, semantics = mask_for(batch, method, **_claims.mask_options(method, fbm))
            if semantics != "reset":
                raise ValueError("the regimes' model providers support reset masks only")
            out[method] = fine_tune(mask * w_o)
        else:
            out[method] = {"pretrained": lambda: w_o, "golden": golden,
                           "finetune": lambda: fine_tune(w_o),
                           "projection": lambda: batch.rows[1].project(w_o)}[method]()
    return out


def stat_ridge_mechanism(batch, lam):
    """C3 under ridge: ``||w_ft - X_r^+ y_r - (I - P_r) w_o|| / ||w_o||`` (numpy pinv)."""
    m = ridge_models(batch, lam)
    golden0 = mv(np.linalg.pinv(batch.X_r), batch.y_r)
    gap = m["finetune"] - golden0 - _null_part(batch.X_r, m["pretrained"])
    return _norm(gap) / _norm(m["pretrained"])


def _ridge_distance_change(batch, lam):
    m = ridge_models(batch, lam)
    w_o, w_g = m["pretrained"], m["golden"]
    change = _norm(m["finetune"] - w_g) ** 2 - _norm(w_o - w_g) ** 2
    pinv = np.linalg.pinv(batch.X_r)  # independent route to X_r^+ and P_r
    predicted = (_norm(mv(pinv, batch.y_r) - w_g) ** 2
                 - _norm(mv(pinv, mv(batch.X_r, w_o)) - w_g) ** 2)
    return change, predicted, _norm(w_o - w_g) ** 2


def stat_ridge_distance_change(batch, lam):
    """R5: deviation of ``||w_ft - w_g||^2 - ||w_o - w_g||^2`` from its prediction."""
    change, predicted, scale = _ridge_distance_change(batch, lam)
    return np.abs(change - predicted) / np.maximum(scale, 1e-300)


def stat_ridge_moves_away(batch, lam):
    """R6: ``(||w_ft - w_g(lam)||^2 - ||w_o - w_g(lam)||^2) / ||w_o - w_g(lam)||^2``."""
    change, _, scale = _ridge_distance_change(batch, lam)
    return change / np.maximum(scale, 1e-300)


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


def _pretrained(batch, pre_steps=None):
    """``w_o``: the closed form, or ``pre_steps`` steps of GD (step ``1/L``) from 0."""
    if pre_steps is None:
        return batch.rows[0].pinv(batch.y)
    return penalised_steps(batch.X, batch.y, np.zeros_like(batch.X[..., 0, :]), 0.0,
                           pre_steps)


def _lr_r(batch):
    """The step ``1/L`` of gradient descent on ``RL`` per trial."""
    n_r = batch.X_r.shape[-2]
    return n_r / (2.0 * np.linalg.eigvalsh(gram(batch.X_r))[..., -1])


def _k_step(batch, w0, steps):
    return penalised_steps(batch.X_r, batch.y_r, w0, 0.0, steps, lr=_lr_r(batch))


def early_claim_models(batch, *methods, fbm=None, steps=EARLY_BUDGET, pre_steps=None):
    """The models of the paper's claim checks when fine-tuning stops after ``steps`` steps.

    A model provider for :mod:`linunlearn.claims`' statistics: ``"pretrained"``
    ``w_o`` (converged, or ``pre_steps`` steps of gradient descent from 0);
    ``"finetune"``, ``"rbm"``, ``"fbm"``: ``steps`` steps of gradient descent
    (step ``1/L``) on ``D_r`` from ``w_o`` and from its resets (masks as in
    :data:`linunlearn.claims.DEFAULT_MASKS`, FBM's from ``fbm``);
    ``"golden"``: retraining on ``D_r`` to convergence, ``X_r^+ y_r``;
    ``"projection"``: ``P_r w_o``.

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> m = early_claim_models(data, "pretrained", "finetune", steps=3)
    >>> bool(np.allclose(m["finetune"], m["pretrained"]))  # w_o interpolates D_r
    True
    """
    return _provide(batch, methods, fbm, _pretrained(batch, pre_steps),
                    golden=lambda: batch.rows[1].pinv(batch.y_r),
                    fine_tune=lambda start: _k_step(batch, start, steps))


def stat_early_distance(batch, steps=EARLY_STEPS, pre_steps=None):
    """E1: violations of ``||(I-P_r) w_0|| <= ||w_k - w_g|| <= ||w_{k-1} - w_g||``.

    Paths from ``w_o``, from ``S_r * w_o`` (RBM reset) and from ``S_f^c * w_o``
    (FBM reset); relative to ``||w_0 - w_g||``; the largest violation.
    """
    w_o = _pretrained(batch, pre_steps)
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


def stat_early_rbm_still(batch, steps=EARLY_STEPS, pre_steps=None):
    """E2: ``max_k ||w_rbm,k - S_r * w_o|| / ||w_o||`` along RBM's path."""
    w_o = _pretrained(batch, pre_steps)
    start = batch.support_r * w_o
    return np.max(np.stack([_norm(_k_step(batch, start, k) - start) for k in steps],
                           -1), axis=-1) / _norm(w_o)


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


def _isotropic(s):
    """Unit variance on every used feature: what theory's formulas assume."""
    return bool(np.all(s.scale[s.support_r | s.support_f] == 1.0))


def premise(claim_id, scenario):
    """Why a claim of the paper does not apply to a scenario, or ``None``.

    Parameters
    ----------
    claim_id : str
        A key of :data:`linunlearn.claims.CLAIMS` (``"C1"``, ``"C5-disparity"``,
        ...), or a check name such as
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
    of C2 needs isotropic features when the supports overlap (without
    overlap it is ``||s_B w*_B||^2 + sigma^2`` for any diagonal spectrum), and
    ``|n_r - d_r| > 1`` when noise reaches the overlap.

    Examples
    --------
    >>> s = Scenario.overlapping(10, 6, 3, 12, 2, sigma=0.5)
    >>> premise("C1", s)
    'premise does not apply: n_r = 12 >= d_r = 10 with noisy labels, so D_r cannot be interpolated'
    >>> premise("C3", s) is None
    True
    """
    cid, _, check = claim_id.partition(".")
    cid = cid.split("-")[0]  # parts (e.g. "C5-disparity") share their claim's premise
    s = scenario
    if cid == "C1":
        if s.n_r >= s.d_r and s.sigma > 0:
            return (f"{_PREMISE}n_r = {s.n_r} >= d_r = {s.d_r} with noisy labels, "
                    f"so D_r cannot be interpolated")
        return None
    if cid in ("C2", "C5", "C7", "C8") and not _claims.interpolating(s):
        return (f"{_PREMISE}n_r + n_f = {s.n_r + s.n_f} is not below the "
                f"{int((s.support_r | s.support_f).sum())} used features, so the "
                f"pretrained model need not interpolate")
    if cid == "C2" and check == "golden_unlearning_loss":
        if not _isotropic(s) and s.d_lap > 0:
            return (f"{_PREMISE}features are not isotropic and the supports overlap, "
                    f"so E UL(w_g) has no exact expectation here")
        if s.sigma > 0 and s.d_lap > 0 and abs(s.d_r - s.n_r) <= 1:
            return f"{_PREMISE}E UL(w_g) is infinite when |n_r - d_r| <= 1 with noise"
    if cid == "C4" and s.d_lap != 0:
        return f"{_PREMISE}supports overlap (d_lap = {s.d_lap}), C4 is for distinct ones"
    if cid == "C5" and not 0 < s.d_lap < min(s.d_r, s.d_f):
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


def _regime(name, description, *args, **options):
    return _claims.Regime(name, Scenario.overlapping(*args, **options), description)


def _golden_ul_expectation(scenario):
    """Exact ``E UL(w_g)`` (``ValueError`` when there is none).

    From :mod:`linunlearn.theory` for isotropic features; without overlap,
    ``||s_B w*_B||^2 + sigma^2`` for any diagonal spectrum (``w_g`` lives on
    ``S_r``, which ``X_f`` does not see, so ``UL(w_g)`` is the mean squared
    forgetting label).
    """
    reason = premise("C2.golden_unlearning_loss", scenario)
    if reason:
        raise ValueError(reason)
    if scenario.d_lap == 0:
        only_f = scenario.support_f & ~scenario.support_r
        return float(np.sum((scenario.scale * scenario.w_f_star)[only_f] ** 2)
                     + scenario.sigma ** 2)
    return _claims._golden_ul_theory(scenario)


def _mc_only(statement, why):
    """A claim statement marked as checked by Monte Carlo only, and why."""
    return f"{statement} [{_MC_ONLY}: {why}]"


#: Outside the paper's regime the sign claims (C5 and its parts, C8) are
#: findings, not theorems: a failure there is reported, not an error. The
#: identities (C1-C4, C6, C7, C8 at convergence) are proved for any data
#: meeting their premises.
_FINDINGS = ("C5-keeps-overlap", "C5-disparity", "C5-disparity-salun", "C8-tradeoff",
             "C8-gap")


def _paper_entries(regime):
    """The paper's claims on ``regime``, gated by :func:`premise`.

    C2's exact expectation comes from :func:`_golden_ul_expectation`; where
    there is none, that check is left out and the claim's statement says so.
    """
    s = regime.scenario
    out = []
    for key, claim in _claims.CLAIMS.items():
        reason = premise(key, s)
        if key in _FINDINGS:
            claim = replace(claim, expected="depends")
        inexact = premise("C2.golden_unlearning_loss", s)
        if claim.id == "C2" and reason is None and inexact:
            claim = replace(claim, checks=tuple(c for c in claim.checks
                                                if c.kind != "theory"),
                            statement=_mc_only(claim.statement, inexact.removeprefix(
                                _PREMISE) + "; golden_forgets gives its estimate"))
        elif claim.id == "C2":
            claim = replace(claim, checks=tuple(
                replace(c, theory=_golden_ul_expectation) if c.kind == "theory" else c
                for c in claim.checks))
        out.append(_Entry(claim, regime, reason))
    return out


def _with_models(claim, models, *, keep_theory, **changes):
    """The claim with every statistic fed ``models`` (a model provider).

    ``keep_theory=False`` leaves out the ``theory`` checks, whose exact
    expectations hold for the paper's golden model only.
    """
    checks = tuple(replace(c, statistic=functools.partial(c.statistic, models=models))
                   for c in claim.checks if keep_theory or c.kind != "theory")
    return replace(claim, checks=checks, **changes)


#: Under ridge, the paper's claims that theory predicts to fail, or that are
#: findings: w_o(lambda) interpolates nothing, so fine-tuning moves (C2) and
#: projection is not the ridge golden model (C7); RBM returns the unpenalised
#: golden model X_r^+ y_r, not w_g(lambda) (C4).
_RIDGE_FINDINGS = ("C2", "C4", "C5", "C7", "C8")


def _ridge_entries(lam, support_regime="overlap"):
    base = _claims.DEFAULT_REGIMES[support_regime]
    regime = _claims.Regime(f"ridge lambda={lam:g}, {support_regime}", base.scenario,
                            f"{base.description}; ridge pretraining and retraining, "
                            f"lambda = {lam:g}; unpenalised fine-tuning")
    p = functools.partial
    tol = IDENTITY_RTOL
    entries = []
    for key, claim in _claims.CLAIMS.items():
        reason = premise(key, base.scenario)
        if claim.id == "C3":
            claim = _claims.Claim(
                "C3", "The mechanism w_ft - w_g^0 = (I - P_r) w_o(lambda), with the "
                "unpenalised golden model w_g^0 = X_r^+ y_r (it holds for any w_o; "
                "against w_g(lambda) see R2).", "THEORY.md 5, C3", (),
                (_claims.Check("C3.mechanism", p(stat_ridge_mechanism, lam=lam),
                               "identity", "||w_ft - X_r^+ y_r - (I - P_r) w_o|| / "
                               "||w_o|| <= tol (P_r via numpy pinv)", tol),))
        else:
            claim = _with_models(claim, functools.partial(ridge_claim_models, lam=lam),
                                 keep_theory=False)
        if claim.id in _RIDGE_FINDINGS:
            claim = replace(claim, expected="depends")
        entries.append(_Entry(claim, regime, reason))
    entries.append(_Entry(_claims.Claim(
        "C2", "E UL(w_g) equals its exact expectation.", "THEORY.md 5, C2", (), (),
        part="exact"), regime, f"{_PREMISE}the exact expectation is for the "
                               f"minimum-norm golden model, not the ridge one"))
    if support_regime != "overlap":
        return entries
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
        _Entry(_claims.Claim(
            "R5", "How far unpenalised fine-tuning gets towards the ridge golden "
            "model: ||w_ft - w_g||^2 - ||w_o - w_g||^2 = ||X_r^+ y_r - w_g||^2 - "
            "||P_r w_o - w_g||^2 (it only replaces w_o's row-space part by the "
            "unpenalised fit).", "issue 6, ridge", (),
            (_claims.Check("R5.distance_change", p(stat_ridge_distance_change, lam=lam),
                           "identity", "|change - prediction| / ||w_o - w_g||^2 <= tol",
                           tol),)), regime),
        _Entry(_claims.Claim(
            "R6", "Unpenalised fine-tuning moves away from the ridge golden model "
            "(the shrinkage it undoes outweighs the row-space error it removes).",
            "issue 6, ridge", (),
            (_claims.Check("R6.moves_away", p(stat_ridge_moves_away, lam=lam),
                           "positive", "E[(||w_ft - w_g||^2 - ||w_o - w_g||^2) / "
                           "||w_o - w_g||^2] > 0"),),
            expected="depends"), regime),
    ]
    return entries


def _noise_regimes(sigma=1.0):
    return [_regime(f"noise sigma={sigma:g}, {name}", f"sigma = {sigma:g}, {desc}",
                    *args, sigma=sigma)
            for name, desc, args in (
                ("distinct", "d_lap = 0", (60, 40, 0, 30, 15)),
                ("overlap", "d_lap / d_f = 0.4", (60, 40, 16, 30, 15)),
                ("full overlap", "d_lap = d_r = d_f", (60, 60, 60, 20, 15)))]


def _noise_claim(cid="N1", statement=None, theory=None):
    statement = statement or (
        "Label noise adds exactly sigma^2 (1 + d_lap n_r / (d_r (d_r - n_r - 1))) to "
        "E UL(w_g) (from theory's derivation; paired with the noise removed).")
    return _claims.Claim(
        cid, statement, "issue 6, noise", (),
        (_claims.Check(f"{cid}.noise_term", stat_noise_term, "theory",
                       "mean[UL(w_g) - UL_clean(w_g,clean)] = the exact noise term",
                       theory=theory or _noise_term_theory,
                       undecidable=_claims._golden_ul_heavy_tailed),))


def _noise_term_theory(scenario):
    """The noise term of the scenario, for isotropic features."""
    if not _isotropic(scenario):
        raise ValueError("features are not isotropic")
    return golden_ul_noise_term(scenario.d_r, scenario.d_lap, scenario.n_r,
                                scenario.sigma)


def _early_entries(pre_steps):
    """The early-stopping family on the overlap regime, ``w_o`` converged or early-stopped."""
    base = _claims.DEFAULT_REGIMES["overlap"]
    if pre_steps is None:
        regime = replace(base, name="early-stopping, overlap",
                         description=f"{base.description}; fine-tuning stopped after "
                                     f"k = {EARLY_BUDGET} steps of size 1/L")
    else:
        regime = replace(base, name=f"early-stopping, pretrained {pre_steps} steps",
                         description=f"{base.description}; w_o after {pre_steps} GD "
                                     f"steps from 0 (it does not interpolate); "
                                     f"fine-tuning stopped after k = {EARLY_BUDGET} steps")
    models = functools.partial(early_claim_models, steps=EARLY_BUDGET, pre_steps=pre_steps)
    p = functools.partial
    out = []
    for key, claim in _claims.CLAIMS.items():
        claim = _with_models(claim, models, keep_theory=True,  # golden is the paper's
                             statement=f"{claim.statement} (after k = {EARLY_BUDGET} "
                                       f"fine-tuning steps)")
        # With a converged w_o the paper's identities survive early stopping;
        # from an early-stopped w_o they are findings.
        if key in _FINDINGS or pre_steps is not None:
            claim = replace(claim, expected="depends")
        out.append(_Entry(claim, regime, premise(key, regime.scenario)))
    expected = "holds" if pre_steps is None else "depends"
    out += [
        _Entry(_claims.Claim(
            "E1", "Along any fine-tuning path (from w_o, RBM's and FBM's resets) "
            "the distance to golden never increases and never drops below "
            "||(I - P_r) w_start||: stopping early cannot beat convergence.",
            "issue 6, early stopping", (),
            (_claims.Check("E1.distance_monotone",
                           p(stat_early_distance, pre_steps=pre_steps), "identity",
                           "largest violation / ||w_0 - w_g|| <= tol",
                           IDENTITY_RTOL),)), regime),
        _Entry(_claims.Claim(
            "E2", "RBM's reset (support mask) already interpolates D_r when w_o "
            "does, since X_r is zero off S_r: its path is constant, w_rbm,k = S_r * "
            "w_o for every k; the reset does all the forgetting.",
            "issue 6, early stopping", (),
            (_claims.Check("E2.rbm_path_is_still",
                           p(stat_early_rbm_still, pre_steps=pre_steps), "identity",
                           "max_k ||w_rbm,k - S_r w_o|| / ||w_o|| <= tol",
                           IDENTITY_RTOL),), expected=expected), regime),
    ]
    return out


def _family_entries(name):
    if name == "ridge":
        out = [e for lam in RIDGE_LAMBDAS for e in _ridge_entries(lam)]
        for support in ("distinct", "full-overlap"):
            out += _ridge_entries(RIDGE_LAMBDAS[1], support)
        return out
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
            if d_lap == 0:  # exact whatever the spectrum: X_f does not see w_g
                out.append(_Entry(_noise_claim(
                    "N1", "Without overlap label noise adds exactly sigma^2 to E "
                    "UL(w_g), whatever the spectrum (paired with the noise removed).",
                    lambda scenario: scenario.sigma ** 2), regime))
            else:
                out.append(_Entry(_claims.Claim(
                    "N1", _mc_only("Label noise adds sigma^2 plus a positive part from "
                                   "the overlap to E UL(w_g).", "the isotropic noise "
                                   "term does not apply; its sign is checked"),
                    "issue 6, anisotropic", (),
                    (_claims.Check("N1.noise_excess", stat_noise_excess, "positive",
                                   "E[UL(w_g) - UL_clean(w_g,clean)] - sigma^2 > 0"),)),
                    regime))
            out.append(_Entry(_claims.Claim(
                "A1", "The overlap adds a positive part to E UL(w_g) over the "
                "exact forgetting-only term ||s_B w*_B||^2 + sigma^2, whatever the "
                "spectrum.", "issue 6, anisotropic", (),
                (_claims.Check("A1.excess_over_bound", stat_golden_ul_excess,
                               "positive", "E[UL(w_g) - ||s_B w*_B||^2 - sigma^2] > 0"),)),
                regime, None if d_lap > 0 else
                f"{_PREMISE}A1 is about the overlap's part and here d_lap = 0 (E "
                f"UL(w_g) then equals ||s_B w*_B||^2 + sigma^2 exactly, which C2 "
                f"checks)"))
        return out
    if name == "early-stopping":
        return [e for pre in (None, EARLY_PRETRAIN_STEPS) for e in _early_entries(pre)]
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
                    "U1", "Fine-tuning equals golden on the remaining support S_r "
                    "(theory: iff n_r >= d_r, where the least-squares fit there is "
                    "unique).",
                    "issue 6, underparameterised", (),
                    (_claims.Check("U1.same_on_S_r", stat_under_on_support, "identity",
                                   "||S_r * (w_ft - w_g)|| / ||w_g|| <= tol",
                                   IDENTITY_RTOL),),
                    expected="holds" if n_r >= d_r else "depends"), regime),
                _Entry(_claims.Claim(
                    "U2", "Fine-tuning converges to golden (theory: iff n_r >= d_r "
                    "and S_f is inside S_r; else w_ft keeps w_o off S_r, see U3).",
                    "issue 6, underparameterised", (),
                    (_claims.Check("U2.finetune_is_golden", stat_under_finetune_golden,
                                   "identity", "||w_ft - w_g|| / ||w_g|| <= tol",
                                   IDENTITY_RTOL),),
                    expected="holds" if n_r >= d_r and full else "depends"), regime),
                _Entry(_claims.Claim(
                    "U3", "w_ft - w_g is exactly w_o off S_r (theory: iff n_r >= d_r).",
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
    >>> sorted(family("early-stopping"))
    ['early-stopping, overlap', 'early-stopping, pretrained 20 steps']
    """
    check_option(name, "regime", REGIMES)
    return {e.regime.name: e.regime for e in _family_entries(name)}


def regime_claims(name):
    """``[(claim key, regime name, reason or None)]`` that :func:`verify_regime` runs.

    ``reason`` is ``"premise does not apply: ..."`` for the claims reported
    as inconclusive without being run.

    Examples
    --------
    >>> [c for c in regime_claims("ridge") if c[1] == "ridge lambda=1, overlap"][3:5]
    [('C4', 'ridge lambda=1, overlap', 'premise does not apply: supports overlap (d_lap = 16), C4 is for distinct ones'), ('C5', 'ridge lambda=1, overlap', None)]
    """
    check_option(name, "regime", REGIMES)
    return [(e.claim.key, e.regime.name, e.reason) for e in _family_entries(name)]


def _not_applicable(entry, seed):
    check = _claims.CheckResult(name=f"{entry.claim.key}.premise", kind="premise",
                                verdict="inconclusive", statement=entry.claim.statement,
                                detail=entry.reason)
    return _claims.ClaimResult(id=entry.claim.id, part=entry.claim.part,
                               regime=entry.regime.name, verdict="inconclusive",
                               expected=entry.claim.expected,
                               statement=entry.claim.statement, checks=(check,),
                               seed=seed, regime_description=entry.regime.description)


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
        if f"[{_MC_ONLY}: " in r.statement:
            note = r.statement[r.statement.rindex(f"[{_MC_ONLY}: ") + 1:-1]
            groups.setdefault(note, []).append(f"{r.key}@{r.regime}")
        for c in r.checks:
            if _PREMISE in c.detail:
                groups.setdefault(c.detail, []).append(f"{r.key}@{r.regime}")
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
    are constant (claims C2 and E2 of the early-stopping family); only FBM's
    moves.

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
