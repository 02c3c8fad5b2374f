"""Beyond the paper: families of regimes, each a set of claim entries run by the verifier.

==========================  ===================================================
family (``FAMILIES``)       what changes, and the claims added
==========================  ===================================================
``"ridge"``                 pretraining and retraining with an L2 penalty
                            ``lambda``, unpenalised fine-tuning; the paper's
                            claims re-run on the ridge models
                            (:class:`RidgeModels`), and R1-R6
``"noise"``                 label noise ``sigma > 0`` (N1: the exact noise
                            term of ``E UL(w_g)``)
``"anisotropic"``           power-law feature spectrum; C2's exact expectation
                            survives only without overlap, the rest is
                            Monte-Carlo-only (said in the report's notes); A1
``"early-stopping"``        fine-tuning stopped after ``EARLY_BUDGET`` steps
                            (:class:`EarlyModels`), from a converged and from
                            an early-stopped ``w_o`` (E1, E2)
``"underparameterized"``    ``n_r >= d_r``, across the threshold ``n_r/d_r = 1``
                            (U1-U3)
==========================  ===================================================

Family, FAMILIES        a family: name, description, and the entries it runs
ridge_fit               ``argmin (1/n)||X w - y||^2 + lambda ||w||^2`` (n x n system)
ridge_models            the paper's models when pretraining and retraining use ridge
RidgeModels             model provider of the ridge family (for the claims' statistics)
EarlyModels             model provider of the early-stopping family
golden_ul_noise_term    the label-noise part of ``E UL(w_g)``, from the sympy derivation
power_law_scale         feature scales of a power-law spectrum
ridge_curve, early_stopping_path, transition_curve
                        the data of the ``regime_gaps`` figure

Every claim is declared once (:class:`linunlearn.claims.Claim`): the
paper's claims are re-run here with a family's model provider, and a claim
whose premise fails in a regime is reported as such. Claims that the theory
predicts to fail in a family, or that are findings there (their ``outside``
verdict), are expected ``"depends"``.

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
import warnings
from dataclasses import dataclass, replace

import numpy as np

from . import montecarlo
from ._linalg import RowSpace, gram_eigvalsh, gram_once, mv, numpy_pinv, rmv
from ._validation import check_float, check_int, once_per_array
from .checks import IDENTITY_RTOL, Check
from .claims import (CLAIMS, PREMISE, Claim, Entry, golden_ul_heavy_tailed, isotropic,
                     mask_options)
from .metrics import squared_loss
from .regimes import BASE, DEFAULT_REGIMES, SUPPORTS, Regime, base_scenario
from .scenarios import Scenario
from .simulate import gradient_descent_steps
from .solutions import closed_form, mask_for

__all__ = ["Family", "FAMILIES", "ridge_fit", "ridge_models", "RidgeModels", "EarlyModels",
           "golden_ul_noise_term", "power_law_scale", "ridge_curve", "early_stopping_path",
           "transition_curve", "RIDGE_LAMBDAS", "RIDGE_STEPS", "EARLY_STEPS",
           "EARLY_BUDGET", "EARLY_PRETRAIN_STEPS"]

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

_MC_ONLY = "Monte-Carlo-only"


# --------------------------------------------------------------------------
# closed forms


def _check_lambda(lam):
    return check_float(lam, "lam", minimum=0.0)


def _check_problem(X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim < 2:
        raise ValueError(f"X must have shape (..., n, d), got shape {X.shape}")
    if y.shape != X.shape[:-1]:
        raise ValueError(f"y must have shape {X.shape[:-1]} (rows of X), got "
                         f"{y.shape}")
    return X, y


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
    X, y = _check_problem(X, y)
    lam = _check_lambda(lam)
    if lam == 0.0:
        return once_per_array(X, "row space", lambda: RowSpace(X)).pinv(y)
    n = X.shape[-2]
    A = gram_once(X) + n * lam * np.eye(n)
    return rmv(X, np.linalg.solve(A, y[..., None])[..., 0])


def _lr(X, lam=0.0):
    """``1/L`` of ``(1/n)||X w - y||^2 + lam ||w||^2`` per problem, shape (..., 1)."""
    top = gram_eigvalsh(X)[..., -1]
    lr = 1.0 / (2.0 * (top / X.shape[-2] + lam))
    return lr[..., None] if np.ndim(lr) else float(lr)


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
        Step of the penalised fine-tuning (default ``1/L`` of the penalised
        remaining loss, per data set).

    Returns
    -------
    dict of str to ndarray
        ``"pretrained"`` ``w_o = ridge(D_r + D_f)``; ``"golden"``
        ``w_g = ridge(D_r)``; ``"finetune"``: unpenalised GD on ``D_r`` from
        ``w_o`` to convergence, ``w_o + X_r^+ (y_r - X_r w_o)``;
        ``"finetune_penalised"``: penalised GD on ``D_r`` from ``w_o`` for
        ``steps`` steps (:func:`linunlearn.gradient_descent_steps` with
        ``penalty=lam``); ``"projection"``: ``P_r w_o``.

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
    lr = _lr(data.X_r, lam) if lr is None else lr
    return {"pretrained": w_o,
            "golden": ridge_fit(data.X_r, data.y_r, lam),
            "finetune": rows_r.gd_limit(data.y_r, w_o),
            "finetune_penalised": gradient_descent_steps(data.X_r, data.y_r, w_o, steps,
                                                         lr=lr, penalty=lam),
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
    from . import expectations
    d_f = max(d_lap, 1)
    zero = np.zeros(d_r + d_f - d_lap)  # the noise part does not depend on the teacher
    expected = expectations.expected_golden_unlearning_loss
    return (expected(d_r, d_f, d_lap, n_r, zero, sigma=sigma)
            - expected(d_r, d_f, d_lap, n_r, zero))


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
# model providers (picklable, so worker processes can run them)


def _norm(x):
    return np.linalg.norm(x, axis=-1)


def _rel(a, b):
    return _norm(a - b) / np.maximum(_norm(b), 1e-300)


def _ul(batch, w):
    return squared_loss(batch.X_f, batch.y_f, w)


def _null_part(X, w):
    """``(I - P) w`` with ``P`` from numpy's SVD pseudo-inverse (independent route)."""
    return w - mv(numpy_pinv(X), mv(X, w))


def _provide(batch, methods, fbm, w_o, *, golden, fine_tune):
    """``{method: weights}`` of a model provider for the claims' statistics.

    ``golden()`` retrains on ``D_r``; ``fine_tune(start)`` trains on ``D_r``
    from a start: from ``w_o`` for fine-tuning, from its reset for RBM / FBM
    (masks as in :data:`linunlearn.claims.DEFAULT_MASKS`, FBM's from ``fbm``).
    """
    out = {}
    for method in methods:
        if method in ("rbm", "fbm"):
            mask, semantics = mask_for(batch, method, **mask_options(method, fbm))
            if semantics != "reset":
                raise ValueError("the families' model providers support reset masks only")
            out[method] = fine_tune(mask * w_o)
        else:
            out[method] = {"pretrained": lambda: w_o, "golden": golden,
                           "finetune": lambda: fine_tune(w_o),
                           "projection": lambda: batch.rows[1].project(w_o)}[method]()
    return out


@dataclass(frozen=True)
class RidgeModels:
    """The models of the claims when pretraining and retraining use ridge (penalty ``lam``).

    A model provider for the claims' statistics: ``"pretrained"``
    ``w_o(lambda)``, ``"golden"`` ``w_g(lambda)`` (ridge on ``D_r``),
    ``"finetune"`` (unpenalised GD on ``D_r`` from ``w_o`` to convergence),
    ``"rbm"``, ``"fbm"`` (the same from their reset of ``w_o``; masks as in
    :data:`linunlearn.claims.DEFAULT_MASKS`, FBM's from ``fbm``) and
    ``"projection"`` ``P_r w_o``. The ridge claims (R1-R6) read ``lam`` from it.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sorted(RidgeModels(0.1)(data, "finetune", "rbm"))
    ['finetune', 'rbm']
    """

    lam: float

    def __call__(self, batch, *methods, fbm=None):
        return _provide(batch, methods, fbm, ridge_fit(batch.X, batch.y, self.lam),
                        golden=lambda: ridge_fit(batch.X_r, batch.y_r, self.lam),
                        fine_tune=lambda start: batch.rows[1].gd_limit(batch.y_r, start))


def _pretrained(batch, pre_steps=None):
    """``w_o``: the closed form, or ``pre_steps`` steps of GD (step ``1/L``) from 0."""
    if pre_steps is None:
        return closed_form(batch, "pretrained")
    return gradient_descent_steps(batch.X, batch.y, np.zeros_like(batch.X[..., 0, :]),
                                  pre_steps, lr=_lr(batch.X))


def _lr_r(batch):
    """The step ``1/L`` of gradient descent on ``RL`` per trial, shape (trials, 1)."""
    n_r = batch.X_r.shape[-2]
    return (n_r / (2.0 * gram_eigvalsh(batch.X_r)[..., -1]))[..., None]


def _k_step(batch, w0, steps):
    return gradient_descent_steps(batch.X_r, batch.y_r, w0, steps, lr=_lr_r(batch))


@dataclass(frozen=True)
class EarlyModels:
    """The models of the claims when fine-tuning stops after ``steps`` steps.

    A model provider for the claims' statistics: ``"pretrained"`` ``w_o``
    (converged, or ``pre_steps`` steps of gradient descent from 0);
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
    >>> m = EarlyModels(steps=3)(data, "pretrained", "finetune")
    >>> bool(np.allclose(m["finetune"], m["pretrained"]))  # w_o interpolates D_r
    True
    """

    steps: int = EARLY_BUDGET
    pre_steps: int = None

    def __call__(self, batch, *methods, fbm=None):
        return _provide(batch, methods, fbm, _pretrained(batch, self.pre_steps),
                        golden=lambda: closed_form(batch, "golden"),
                        fine_tune=lambda start: _k_step(batch, start, self.steps))


# --------------------------------------------------------------------------
# the claims each family adds (statistics take the family's model provider)


def stat_ridge_mechanism(batch, models):
    """C3 under ridge: ``||w_ft - X_r^+ y_r - (I - P_r) w_o|| / ||w_o||`` (numpy pinv)."""
    m = ridge_models(batch, models.lam)
    golden0 = mv(numpy_pinv(batch.X_r), batch.y_r)
    gap = m["finetune"] - golden0 - _null_part(batch.X_r, m["pretrained"])
    return _norm(gap) / _norm(m["pretrained"])


def _ridge_distance_change(batch, lam):
    m = ridge_models(batch, lam)
    w_o, w_g = m["pretrained"], m["golden"]
    change = _norm(m["finetune"] - w_g) ** 2 - _norm(w_o - w_g) ** 2
    pinv = numpy_pinv(batch.X_r)  # independent route to X_r^+ and P_r
    predicted = (_norm(mv(pinv, batch.y_r) - w_g) ** 2
                 - _norm(mv(pinv, mv(batch.X_r, w_o)) - w_g) ** 2)
    return change, predicted, _norm(w_o - w_g) ** 2


def stat_ridge_distance_change(batch, models):
    """R5: deviation of ``||w_ft - w_g||^2 - ||w_o - w_g||^2`` from its prediction."""
    change, predicted, scale = _ridge_distance_change(batch, models.lam)
    return np.abs(change - predicted) / np.maximum(scale, 1e-300)


def stat_ridge_moves_away(batch, models):
    """R6: ``(||w_ft - w_g(lam)||^2 - ||w_o - w_g(lam)||^2) / ||w_o - w_g(lam)||^2``."""
    change, _, scale = _ridge_distance_change(batch, models.lam)
    return change / np.maximum(scale, 1e-300)


def stat_ridge_penalised_limit(batch, models):
    """R1: ``||w_ft,pen(inf) - w_g(lam)|| / ||w_g(lam)||`` (eigen route vs solve route)."""
    m = ridge_models(batch, models.lam)
    return _rel(m["finetune_penalised"], m["golden"])


def stat_ridge_gap_split(batch, models):
    """R2: the two-part decomposition of ``w_ft - w_g(lam)`` and its Pythagoras.

    Parts from numpy's pseudo-inverse; returns the larger relative deviation.
    """
    m = ridge_models(batch, models.lam)
    pinv = numpy_pinv(batch.X_r)
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
    return gram_eigvalsh(X)[..., -1] / n


def stat_ridge_budget(batch, models, steps=RIDGE_STEPS):
    """R3: untouched part left after ``steps`` penalised steps, against ``(kappa/(kappa+lam))^k``.

    Returns the relative deviation of ``||(I - P_r)(w_k - w_g)|| /
    ||(I - P_r) w_o||`` from the predicted factor, with ``w_k`` the actual
    iterate: ``steps`` penalised gradient steps taken one by one (not the
    closed-form k-step formula that :func:`ridge_models` uses).
    """
    lam = models.lam
    X, y = batch.X_r, batch.y_r
    n_r = X.shape[-2]
    w_o, w_g = ridge_fit(batch.X, batch.y, lam), ridge_fit(X, y, lam)
    lr, w = _lr(X, lam), w_o
    for _ in range(steps):
        w = w - lr * (2.0 / n_r * rmv(X, mv(X, w) - y) + 2.0 * lam * w)
    left = _norm(_null_part(X, w - w_g)) / _norm(_null_part(X, w_o))
    kappa = _kappa(batch.X_r)
    predicted = (kappa / (kappa + lam)) ** steps
    return np.abs(left - predicted) / predicted


def stat_ridge_small_lambda(batch, models):
    """R4: ``||w(lam) - w(0)|| / ||w(0)||`` over its bound ``n lam / lambda_min(G)``.

    The largest ratio over the pretrained, golden and fine-tuned models (the
    fine-tuned one against the pretrained bound: ``(I - P_r)`` contracts).
    """
    lam = models.lam
    ratios = []
    pre_bound = None
    for X, y in ((batch.X, batch.y), (batch.X_r, batch.y_r)):
        n = X.shape[-2]
        bound = n * lam / gram_eigvalsh(X)[..., 0]
        dev = _rel(ridge_fit(X, y, lam), ridge_fit(X, y, 0.0))
        ratios.append(dev / bound)
        pre_bound = bound if pre_bound is None else pre_bound
    m, m0 = ridge_models(batch, lam), ridge_models(batch, 0.0)
    ratios.append(_norm(m["finetune"] - m0["finetune"]) / _norm(m0["pretrained"])
                  / pre_bound)
    return np.max(np.stack(ratios, -1), axis=-1)


_RIDGE_C3 = Claim(
    "C3", "The mechanism w_ft - w_g^0 = (I - P_r) w_o(lambda), with the unpenalised "
    "golden model w_g^0 = X_r^+ y_r (it holds for any w_o; against w_g(lambda) see R2).",
    (Check("C3.mechanism", stat_ridge_mechanism, "identity",
           "||w_ft - X_r^+ y_r - (I - P_r) w_o|| / ||w_o|| <= tol (P_r via numpy pinv)",
           IDENTITY_RTOL),), section="docs/theory.md, C3")

_RIDGE_C2_EXACT = Claim("C2", "E UL(w_g) equals its exact expectation.", (),
                        part="exact", section="docs/theory.md, C2")

_RIDGE_CLAIMS = (
    Claim("R1", "Penalised fine-tuning (GD on RL + lambda ||w||^2 from w_o) converges to "
          "the ridge golden model: strongly convex, one minimiser.",
          (Check("R1.penalised_limit", stat_ridge_penalised_limit, "identity",
                 "||w_ft,pen(inf) - w_g|| / ||w_g|| <= tol (eigen route vs linear solve)",
                 IDENTITY_RTOL),), section="docs/theory.md, section 6"),
    Claim("R2", "Unpenalised fine-tuning stops at w_g(lambda) + (I - P_r) w_o + (X_r^+ y_r "
          "- w_g(lambda)), two orthogonal parts.",
          (Check("R2.gap_split", stat_ridge_gap_split, "identity",
                 "split and Pythagoras of w_ft - w_g (numpy pinv) <= tol",
                 IDENTITY_RTOL),), section="docs/theory.md, section 6"),
    Claim("R3", f"After k = {RIDGE_STEPS} penalised steps of size 1/L, the part "
          f"fine-tuning cannot reach without the penalty is (kappa/(kappa + lambda))^k of "
          f"(I - P_r) w_o, kappa = ||X_r||^2/n_r: no progress as lambda -> 0.",
          (Check("R3.budget", stat_ridge_budget, "identity",
                 "|left - (kappa/(kappa+lambda))^k| / prediction <= tol, on the "
                 "actual iterates",
                 IDENTITY_RTOL),), section="docs/theory.md, section 6"),
    Claim("R4", "lambda -> 0 recovers the paper: ||w(lambda) - w(0)|| <= n lambda / "
          "lambda_min(X X^T) ||w(0)|| for w_o, w_g and w_ft.",
          (Check("R4.small_lambda", stat_ridge_small_lambda, "identity",
                 "deviation / bound <= 1", 1.0 + 1e-8),), section="docs/theory.md, section 6"),
    Claim("R5", "How far unpenalised fine-tuning gets towards the ridge golden model: "
          "||w_ft - w_g||^2 - ||w_o - w_g||^2 = ||X_r^+ y_r - w_g||^2 - ||P_r w_o - "
          "w_g||^2 (it only replaces w_o's row-space part by the unpenalised fit).",
          (Check("R5.distance_change", stat_ridge_distance_change, "identity",
                 "|change - prediction| / ||w_o - w_g||^2 <= tol", IDENTITY_RTOL),),
          section="docs/theory.md, section 6"),
    Claim("R6", "Unpenalised fine-tuning moves away from the ridge golden model (the "
          "shrinkage it undoes outweighs the row-space error it removes).",
          (Check("R6.moves_away", stat_ridge_moves_away, "positive",
                 "E[(||w_ft - w_g||^2 - ||w_o - w_g||^2) / ||w_o - w_g||^2] > 0"),),
          expected="depends", section="docs/theory.md, section 6"),
)


def stat_noise_term(batch, models=None):
    """N1: ``UL(w_g)`` minus the same with the noise removed from every label (paired)."""
    clean_r = mv(batch.X_r, batch.w_r_star)
    clean_f = mv(batch.X_f, batch.w_f_star)
    rows_r = batch.rows[1]
    noisy = _ul(batch, rows_r.pinv(batch.y_r))
    w_clean = rows_r.pinv(clean_r)
    clean = squared_loss(batch.X_f, clean_f, w_clean)
    return noisy - clean


def stat_noise_excess(batch, models=None):
    """N1 (anisotropic): the noise part of ``UL(w_g)`` minus ``sigma^2``."""
    return stat_noise_term(batch) - batch.sigma ** 2


def stat_golden_ul_excess(batch, models=None):
    """A1: ``UL(w_g)`` minus its exact lower bound ``||s_B w*_B||^2 + sigma^2``."""
    only_f = batch.support_f & ~batch.support_r
    bound = np.sum((batch.scale * batch.w_f_star)[only_f] ** 2) + batch.sigma ** 2
    return _ul(batch, closed_form(batch, "golden")) - bound


def _noise_term_theory(scenario):
    """The noise term of the scenario, for isotropic features."""
    if not isotropic(scenario):
        raise ValueError("features are not isotropic")
    return golden_ul_noise_term(scenario.d_r, scenario.d_lap, scenario.n_r,
                                scenario.sigma)


def _noise_claim(statement, theory):
    return Claim("N1", statement,
                 (Check("N1.noise_term", stat_noise_term, "theory",
                        "mean[UL(w_g) - UL_clean(w_g,clean)] = the exact noise term",
                        theory=theory, undecidable=golden_ul_heavy_tailed),),
                 section="docs/theory.md, section 6")


def _noise_variance(scenario):
    """Without overlap, label noise adds its variance to ``E UL(w_g)``."""
    return scenario.sigma ** 2


def _overlapping_supports(scenario):
    """A1's premise: an overlap whose part of ``E UL(w_g)`` there is."""
    if scenario.d_lap > 0:
        return None
    return (f"{PREMISE}A1 is about the overlap's part and here d_lap = 0 (E UL(w_g) then "
            f"equals ||s_B w*_B||^2 + sigma^2 exactly, which C2 checks)")


_N1_ISOTROPIC = _noise_claim(
    "Label noise adds exactly sigma^2 (1 + d_lap n_r / (d_r (d_r - n_r - 1))) to E "
    "UL(w_g) (from theory's derivation; paired with the noise removed).",
    _noise_term_theory)
_N1_DISTINCT = _noise_claim(
    "Without overlap label noise adds exactly sigma^2 to E UL(w_g), whatever the "
    "spectrum (paired with the noise removed).", _noise_variance)
_N1_SIGN = Claim(
    "N1", f"Label noise adds sigma^2 plus a positive part from the overlap to E UL(w_g). "
    f"[{_MC_ONLY}: the isotropic noise term does not apply; its sign is checked]",
    (Check("N1.noise_excess", stat_noise_excess, "positive",
           "E[UL(w_g) - UL_clean(w_g,clean)] - sigma^2 > 0"),),
    section="docs/theory.md, section 6")
_A1 = Claim(
    "A1", "The overlap adds a positive part to E UL(w_g) over the exact forgetting-only "
    "term ||s_B w*_B||^2 + sigma^2, whatever the spectrum.",
    (Check("A1.excess_over_bound", stat_golden_ul_excess, "positive",
           "E[UL(w_g) - ||s_B w*_B||^2 - sigma^2] > 0"),),
    premise=_overlapping_supports, section="docs/theory.md, section 6")


def stat_early_distance(batch, models, steps=EARLY_STEPS):
    """E1: violations of ``||(I-P_r) w_0|| <= ||w_k - w_g|| <= ||w_{k-1} - w_g||``.

    Paths from ``w_o``, from ``S_r * w_o`` (RBM reset) and from ``S_f^c * w_o``
    (FBM reset); relative to ``||w_0 - w_g||``; the largest violation.
    """
    w_o = _pretrained(batch, models.pre_steps)
    w_g = closed_form(batch, "golden")
    worst = 0.0
    for start in (w_o, batch.support_r * w_o, ~batch.support_f * w_o):
        floor = _norm(_null_part(batch.X_r, start))
        scale = np.maximum(_norm(start - w_g), 1e-300)
        dist = np.stack([_norm(_k_step(batch, start, k) - w_g) for k in steps], -1)
        rise = np.max(np.diff(dist, axis=-1), axis=-1) / scale
        below = (floor - np.min(dist, axis=-1)) / scale
        worst = np.maximum(worst, np.maximum(rise, below))
    return np.maximum(worst, 0.0)


def stat_early_rbm_still(batch, models, steps=EARLY_STEPS):
    """E2: ``max_k ||w_rbm,k - S_r * w_o|| / ||w_o||`` along RBM's path."""
    w_o = _pretrained(batch, models.pre_steps)
    start = batch.support_r * w_o
    return np.max(np.stack([_norm(_k_step(batch, start, k) - start) for k in steps],
                           -1), axis=-1) / _norm(w_o)


_E1 = Claim(
    "E1", "Along any fine-tuning path (from w_o, RBM's and FBM's resets) the distance "
    "to golden never increases and never drops below ||(I - P_r) w_start||: stopping "
    "early cannot beat convergence.",
    (Check("E1.distance_monotone", stat_early_distance, "identity",
           "largest violation / ||w_0 - w_g|| <= tol", IDENTITY_RTOL),),
    section="docs/theory.md, section 6")
_E2 = Claim(
    "E2", "RBM's reset (support mask) already interpolates D_r when w_o does, since X_r "
    "is zero off S_r: its path is constant, w_rbm,k = S_r * w_o for every k; the reset "
    "does all the forgetting.",
    (Check("E2.rbm_path_is_still", stat_early_rbm_still, "identity",
           "max_k ||w_rbm,k - S_r w_o|| / ||w_o|| <= tol", IDENTITY_RTOL),),
    section="docs/theory.md, section 6")


def stat_under_on_support(batch, models=None):
    """U1: ``||S_r * (w_ft - w_g)|| / ||w_g||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    return _norm(batch.support_r * (rows_r.gd_limit(batch.y_r, w_o) - w_g)) / _norm(w_g)


def stat_under_finetune_golden(batch, models=None):
    """U2: ``||w_ft - w_g|| / ||w_g||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    return _rel(rows_r.gd_limit(batch.y_r, w_o), w_g)


def stat_under_gap_is_offsupport(batch, models=None):
    """U3: ``||w_ft - w_g - (1 - S_r) * w_o|| / ||w_o||``."""
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    gap = rows_r.gd_limit(batch.y_r, w_o) - rows_r.pinv(batch.y_r)
    return _norm(gap - ~batch.support_r * w_o) / _norm(w_o)


_U1 = Claim(
    "U1", "Fine-tuning equals golden on the remaining support S_r (theory: iff n_r >= "
    "d_r, where the least-squares fit there is unique).",
    (Check("U1.same_on_S_r", stat_under_on_support, "identity",
           "||S_r * (w_ft - w_g)|| / ||w_g|| <= tol", IDENTITY_RTOL),),
    section="docs/theory.md, section 6")
_U2 = Claim(
    "U2", "Fine-tuning converges to golden (theory: iff n_r >= d_r and S_f is inside "
    "S_r; else w_ft keeps w_o off S_r, see U3).",
    (Check("U2.finetune_is_golden", stat_under_finetune_golden, "identity",
           "||w_ft - w_g|| / ||w_g|| <= tol", IDENTITY_RTOL),),
    section="docs/theory.md, section 6")
_U3 = Claim(
    "U3", "w_ft - w_g is exactly w_o off S_r (theory: iff n_r >= d_r).",
    (Check("U3.gap_off_support", stat_under_gap_is_offsupport, "identity",
           "||w_ft - w_g - (1 - S_r) w_o|| / ||w_o|| <= tol", IDENTITY_RTOL),),
    section="docs/theory.md, section 6")


# --------------------------------------------------------------------------
# the families


@dataclass(frozen=True)
class Family:
    """A family of regimes beyond the paper: the claim entries the verifier runs there.

    Attributes
    ----------
    name : str
    description : str
    build : callable
        ``build()`` returns the list of :class:`linunlearn.claims.Entry`.
    """

    name: str
    description: str
    build: object

    def entries(self):
        """The entries of the family (claims on its regimes, with their providers)."""
        return self.build()

    def regimes(self):
        """``{regime name: Regime}`` of the family, in order.

        Examples
        --------
        >>> sorted(FAMILIES["early-stopping"].regimes())
        ['early-stopping, overlap', 'early-stopping, pretrained 20 steps']
        """
        return {e.regime.name: e.regime for e in self.entries()}


def _entry(claim, regime, **options):
    return Entry(claim, regime, proofs=False, **options)


def _paper_entries(regime, *, models=None, keep_theory=True, fails=(), statement=None):
    """The paper's claims on ``regime``, expected as ``claim.outside`` says.

    ``fails``: keys of claims the theory predicts to fail here (their
    premise is broken by the family: a failure confirms the prediction).
    ``statement(claim)``: a statement to report instead, or ``None``. C0
    (the models are the paper's training) is left out: a family's models are
    not.
    """
    out = []
    for key, claim in CLAIMS.items():
        if claim.id == "C0":
            continue
        expected = "fails" if key in fails else claim.outside
        out.append(_entry(claim, regime, models=models, keep_theory=keep_theory,
                          expected=expected,
                          statement=statement(claim) if statement else None))
    return out


def _regime(name, description, *sizes, **options):
    d_r, d_f, d_lap, n_r, n_f = sizes
    return Regime(name, base_scenario(d_r=d_r, d_f=d_f, d_lap=d_lap, n_r=n_r, n_f=n_f,
                                      **options), description)


#: Under ridge, the paper's claims that theory predicts to fail: w_o(lambda)
#: interpolates nothing, so fine-tuning moves (C2), RBM's reset moves too
#: (C5(i)), projection is not the ridge golden model (C7), and with distinct
#: features RBM returns the unpenalised golden model X_r^+ y_r, not
#: w_g(lambda) (C4). C8's convergence part still holds: the regularised
#: limit is the point of both interpolation sets closest to w_o, for any w_o.
_RIDGE_FAILS = ("C2", "C4", "C5", "C7")


def _ridge_entries(lam, support="overlap"):
    base = DEFAULT_REGIMES[support]
    regime = Regime(f"ridge lambda={lam:g}, {support}", base.scenario,
                    f"{base.description}; ridge pretraining and retraining, "
                    f"lambda = {lam:g}; unpenalised fine-tuning")
    models = RidgeModels(lam)
    out = []
    for key, claim in CLAIMS.items():
        if claim.id == "C0":
            continue
        reason = claim.premise(base.scenario) if claim.premise else None
        expected = "fails" if key in _RIDGE_FAILS else claim.outside
        if claim.id == "C3":
            claim = _RIDGE_C3
        out.append(_entry(claim, regime, models=models, keep_theory=False,
                          expected=expected, reason=reason))
    out.append(_entry(_RIDGE_C2_EXACT, regime, reason=(
        f"{PREMISE}the exact expectation is for the minimum-norm golden model, not the "
        f"ridge one")))
    if support == "overlap":
        out += [_entry(c, regime, models=models) for c in _RIDGE_CLAIMS]
    return out


def _ridge():
    out = [e for lam in RIDGE_LAMBDAS for e in _ridge_entries(lam)]
    for support in ("distinct", "full-overlap"):
        out += _ridge_entries(RIDGE_LAMBDAS[1], support)
    return out


def _noise(sigma=1.0):
    out = []
    for support, changes in SUPPORTS.items():
        description = DEFAULT_REGIMES[support].description
        regime = Regime(f"noise sigma={sigma:g}, {support.replace('-', ' ')}",
                        base_scenario(**changes, sigma=sigma),
                        f"sigma = {sigma:g}, {description}")
        out += _paper_entries(regime) + [_entry(_N1_ISOTROPIC, regime)]
    return out


def _anisotropic():
    out = []
    for support, changes in SUPPORTS.items():
        label = support.replace("-", " ")
        sizes = {**BASE, **changes}
        used = sizes["d_r"] + sizes["d_f"] - sizes["d_lap"]
        regime = Regime(f"power law alpha=1, {label}",
                        base_scenario(**changes, sigma=0.3,
                                      scale=power_law_scale(used, 1.0)),
                        f"feature variance (j+1)^-1 over [A|O|B], {label}")
        d_lap = sizes["d_lap"]
        out += _paper_entries(regime)
        out.append(_entry(_N1_DISTINCT if d_lap == 0 else _N1_SIGN, regime))
        out.append(_entry(_A1, regime))
    return out


def _early(pre_steps):
    """The early-stopping family on the overlap regime, ``w_o`` converged or early-stopped."""
    base = DEFAULT_REGIMES["overlap"]
    if pre_steps is None:
        regime = replace(base, name="early-stopping, overlap",
                         description=f"{base.description}; fine-tuning stopped after "
                                     f"k = {EARLY_BUDGET} steps of size 1/L")
    else:
        regime = replace(base, name=f"early-stopping, pretrained {pre_steps} steps",
                         description=f"{base.description}; w_o after {pre_steps} GD "
                                     f"steps from 0 (it does not interpolate); "
                                     f"fine-tuning stopped after k = {EARLY_BUDGET} steps")
    models = EarlyModels(EARLY_BUDGET, pre_steps)
    # With a converged w_o the paper's identities survive early stopping; from
    # an early-stopped w_o, which fits nothing, the identities about
    # fine-tuning and projection are predicted to fail (C8's convergence part
    # does not fine-tune with a budget, and holds for any w_o).
    fails = _EARLY_FAILS if pre_steps is not None else ()
    out = _paper_entries(regime, models=models, fails=fails, statement=_budgeted)
    # E1 holds from any start; E2 needs an interpolating w_o.
    return out + [_entry(_E1, regime, models=models),
                  _entry(_E2, regime, models=models,
                         expected="holds" if pre_steps is None else "fails")]


#: From an early-stopped w_o: the claims predicted to fail (see :func:`_early`).
_EARLY_FAILS = ("C1", "C2", "C3", "C5", "C7")


def _budgeted(claim):
    """A claim's statement in the early-stopping family: the budget, where it applies."""
    if set(claim.uses) & {"finetune", "rbm", "fbm"}:
        return f"{claim.statement} (fine-tuning stopped after k = {EARLY_BUDGET} steps)"
    return None


def _underparameterized():
    out = []
    # n_r = d_r itself is left to transition_curve: X_r is square there and its
    # condition number is unbounded (the interpolation peak), so identities
    # would need a data-dependent tolerance.
    for sizes, label in (((20, 20, 20, 16, 5), "full overlap, below"),
                         ((20, 20, 20, 30, 5), "full overlap"),
                         ((20, 12, 6, 40, 5), "overlap")):
        d_r, d_f, d_lap, n_r, n_f = sizes
        regime = _regime(f"n_r/d_r={n_r / d_r:g}, {label}",
                         f"d_r={d_r}, d_f={d_f}, d_lap={d_lap}, n_r={n_r}, n_f=5, "
                         f"sigma=0.3", *sizes, sigma=0.3)
        above, full = n_r >= d_r, d_lap == d_r == d_f
        out += _paper_entries(regime)
        # theory: U1 and U3 iff n_r >= d_r, U2 iff also S_f is inside S_r
        out += [_entry(_U1, regime, expected="holds" if above else "fails"),
                _entry(_U2, regime, expected="holds" if above and full else "fails"),
                _entry(_U3, regime, expected="holds" if above else "fails")]
    return out


#: The families of regimes beyond the paper, by name (``linunlearn verify --family``).
FAMILIES = {f.name: f for f in (
    Family("ridge", "pretraining and retraining with an L2 penalty, unpenalised "
           "fine-tuning (R1-R6)", _ridge),
    Family("noise", "label noise sigma = 1 (N1)", _noise),
    Family("anisotropic", "power-law feature spectrum (N1, A1)", _anisotropic),
    Family("early-stopping", f"fine-tuning stopped after {EARLY_BUDGET} steps, from a "
           f"converged and an early-stopped w_o (E1, E2)",
           lambda: _early(None) + _early(EARLY_PRETRAIN_STEPS)),
    Family("underparameterized", "n_r >= d_r, across the threshold n_r/d_r = 1 (U1-U3)",
           _underparameterized),
)}


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
        Default: the ``"overlap"`` regime of :data:`linunlearn.regimes.DEFAULT_REGIMES`.
    steps : int
        Budget of the penalised fine-tuning.
    trials, seed : int

    Returns
    -------
    dict
        ``"lambda"``; ``"gap_unpenalised"``, ``"gap_penalised"``:
        :class:`~linunlearn.montecarlo.ConfidenceInterval` of the mean of
        ``UL(w_g(lambda)) - UL(w)`` for unpenalised fine-tuning to convergence
        and penalised fine-tuning after ``steps`` steps, per ``lambda``;
        ``"untouched"``: of ``||(I - P_r) w_o(lambda)||^2``; and ``"seed"``,
        ``"trials"``, ``"steps"``.

    Examples
    --------
    >>> c = ridge_curve([0.0, 1.0], trials=10)
    >>> gap = c["gap_unpenalised"].estimate
    >>> bool(gap[0] > gap[1] > 0)
    True
    """
    lams = tuple(_check_lambda(lam) for lam in lams)
    scenario = scenario or DEFAULT_REGIMES["overlap"].scenario
    ci = montecarlo.confidence_interval(_mc(
        functools.partial(_stat_ridge_curve, lams=lams, steps=steps), scenario, trials,
        seed, "ridge_curve"))
    out = {"lambda": np.array(lams), "seed": seed, "trials": trials, "steps": steps}
    for j, key in enumerate(("gap_unpenalised", "gap_penalised", "untouched")):
        out[key] = ci[:, j]
    return out


def _stat_path(batch, steps):
    w_o = _pretrained(batch)
    golden = _ul(batch, closed_form(batch, "golden"))
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
        ``"steps"``; ``"finetune"``, ``"rbm"``, ``"fbm"``:
        :class:`~linunlearn.montecarlo.ConfidenceInterval` of the mean
        ``UL(w_k) - UL(w_g)`` per step; ``"seed"``, ``"trials"``.

    Examples
    --------
    >>> p = early_stopping_path((0, 5), trials=10)
    >>> ft = p["finetune"].estimate
    >>> bool(ft[0] == ft[1] < 0)
    True
    """
    steps = tuple(int(k) for k in steps)
    scenario = scenario or DEFAULT_REGIMES["overlap"].scenario
    ci = montecarlo.confidence_interval(_mc(functools.partial(_stat_path, steps=steps),
                                            scenario, trials, seed, "early_stopping_path"))
    out = {"steps": np.array(steps), "seed": seed, "trials": trials}
    for j, key in enumerate(("finetune", "rbm", "fbm")):
        out[key] = ci[j]
    return out


def _stat_transition(batch):
    w_o = _pretrained(batch)
    rows_r = batch.rows[1]
    w_g = rows_r.pinv(batch.y_r)
    w_ft = rows_r.gd_limit(batch.y_r, w_o)
    # With rank(X_r) = |S_r| (n_r >= d_r) the row space of X_r is exactly the
    # coordinates of S_r (X_r is zero off them), so w_ft = w_g + (1 - S_r) w_o
    # exactly (C3): the closed form above loses cond(X_r) eps, unbounded at
    # n_r = d_r, where the gap (0) came out as 1e-9 of BLAS-dependent round-off.
    full = np.reshape(rows_r.rank == batch.support_r.sum(), (-1, 1))
    w_ft = np.where(full, w_g + ~batch.support_r * w_o, w_ft)
    return np.stack([_rel(w_ft, w_g), _ul(batch, w_g) - _ul(batch, w_ft)], -1)


def transition_curve(ratios, *, d_r=20, d_f=20, d_lap=20, n_f=5, sigma=0.3,
                     trials=200, seed=0):
    """Fine-tuning's gap to golden as ``n_r / d_r`` crosses 1 (figure data).

    Returns
    -------
    dict
        ``"ratio"`` (the realised ``n_r / d_r``), ``"n_r"``; ``"weight_gap"``:
        :class:`~linunlearn.montecarlo.ConfidenceInterval` of the mean
        ``||w_ft - w_g|| / ||w_g||`` per ratio; ``"ul_gap"``: of the mean
        ``UL(w_g) - UL(w_ft)``; ``"seed"``, ``"trials"``. With full overlap
        (the default) both gaps vanish for ``n_r >= d_r``.

    Examples
    --------
    >>> t = transition_curve([0.5, 1.5], trials=10)
    >>> gap = t["weight_gap"].estimate
    >>> bool(gap[0] > 0.1 and gap[1] < 1e-8)
    True
    """
    samples = []
    n_rs = [max(1, int(round(r * d_r))) for r in ratios]
    for n_r in n_rs:
        s = Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, sigma=sigma)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)  # rank-deficient X_r
            samples.append(_mc(_stat_transition, s, trials, seed, "transition", n_r))
    ci = montecarlo.confidence_interval(np.stack(samples, axis=1))
    return {"ratio": np.array(n_rs) / d_r, "n_r": np.array(n_rs),
            "weight_gap": ci[:, 0], "ul_gap": ci[:, 1], "seed": seed, "trials": trials}
