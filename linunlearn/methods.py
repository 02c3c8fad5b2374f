"""The unlearning methods of the literature, in the linear model (issue 5).

Importing this module registers every method with
:func:`linunlearn.solutions.register_method`, so that
``linunlearn.solve(data, NAME, ...)`` computes it. :func:`describe` returns a
method's full documentation (objective, update rule, source, options with
their defaults).

================  ==========================================================  ==================
method            objective / update, from the model ``w_start``              closed form
================  ==========================================================  ==================
``"salun"``       mask = top ``ratio`` of a forgetting saliency; GD on the     k-step and limit
                  random-label loss on ``D_f`` plus ``RL``, only masked
                  weights moving (Fan et al., ICLR 2024)
``"deepclean"``   Fisher ratio ``F_f / (F_r + eps max F_r)``; the selected     k-step and limit
                  weights are zeroed and only they are fine-tuned on ``D_r``
                  (Shi et al., arXiv 2311.10448)
``"ce_ft"``       GD on ``RL + alpha * WL`` (version 1 of the paper)           k-step and limit
``"ice_ft"``      GD on ``alpha * RL + WL``                                     k-step and limit
``"kl_ft"``       GD on ``RL + alpha * (1/n_f) ||X_f (w - w_ref)||^2``          k-step and limit
``"ga"``          ascent on ``UL`` (Jang et al., ACL 2023)                     k-step
``"gdiff"``       descent on ``RL``, ascent on ``UL``                          k-step (dual space)
``"ngdiff"``      direction ``g_r/||g_r|| - g_f/||g_f||``, exact step on RL    none (iteration)
                  (Bu et al., arXiv 2410.22086)
``"icu"``         ascent on active ``D_f`` + analog loss + KL to ``w_o``       none (iteration)
                  (Tang et al., arXiv 2407.20271)
``"minnorm_og"``  minimum-norm interpolator of ``D_r`` from ``w_o`` and D_r    ``P_r w_o + X_r^+ (y_r - X_r w_o)``
================  ==========================================================  ==================

``RL(w) = (1/n_r) ||X_r w - y_r||^2``, ``UL(w) = (1/n_f) ||X_f w - y_f||^2``
and the wrong-label loss ``WL(w) = (1/n_f) ||X_f w + y_f||^2`` (labels
negated, the regression form of version 1's discriminative term, as in
:func:`linunlearn.claims.discriminative_finetune`).

Multi-output labels. Every method accepts labels of shape ``(n, k)`` (e.g.
one-hot classes): the weights then have shape ``(d, k)``, every loss is
summed over the outputs (Frobenius norms, as in :mod:`linunlearn.metrics`),
and the ``k`` columns are treated jointly, never in a Python loop: closed
forms share one factorisation, NGDiff's normalisation and step use Frobenius
norms and inner products, ICU's per-sample residual is the squared norm over
the outputs, and masks (one entry per feature, i.e. per row of the weights)
come from scores that combine the outputs.

Routes. ``numeric=False`` starts from the closed-form pretrained model
``w_o = X^+ y`` and uses the method's closed form (the k-step formula of
:func:`linunlearn.simulate.gradient_descent_steps`, or the limit by least
squares); methods without a closed form (NGDiff, ICU) run their iteration.
``numeric=True`` pretrains by gradient descent and then runs the method's
update in weight space, with a loss history (:class:`GDRun`) and a stop
reason. Every solution's ``info["stop_reason"]`` says why it stopped.

Vanishing gradients. The pretrained model interpolates ``D_r + D_f`` in the
paper's regime, so ``grad RL(w_o) = grad UL(w_o) = 0``: gradient ascent,
GDiff, NGDiff and ICU cannot move (NGDiff's direction is 0/0), and SalUn's
original saliency (the forgetting-loss gradient) is zero. These methods then
return their starting model unchanged with stop reason
``"vanishing_gradient"`` and an explanation in ``info["note"]`` (which
gradient vanished, and what to do), or raise a ``ValueError`` with
``on_vanishing="raise"``; they never return NaN.

Examples
--------
>>> import numpy as np
>>> import linunlearn as lu
>>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
>>> ga = lu.solve(data, "ga")        # at an interpolating model
>>> ga.info["stop_reason"], bool(np.array_equal(ga.w, lu.solve(data, "pretrained").w))
('vanishing_gradient', True)
>>> ft = lu.solve(data, "finetune").w
>>> bool(np.allclose(lu.solve(data, "ce_ft", alpha=0.0, steps=5).w, ft))
True
>>> bool(np.allclose(lu.solve(data, "minnorm_og").w, lu.solve(data, "golden").w))
True
>>> print(describe("ga").splitlines()[0])
Gradient ascent on the forgetting loss (the standard baseline).
"""

import inspect

import numpy as np

from . import masks
from ._validation import (LinunlearnWarning, as_generator, check_float,
                          check_int, check_option, warn)
from .simulate import GDRun, gradient_descent, gradient_descent_steps, smoothness
from .solutions import register_method

__all__ = ["UNLEARNING_METHODS", "REGULARISED_METHODS", "VANISHING_RTOL",
           "STOP_REASONS", "SALUN_SALIENCIES", "describe"]

#: Methods this module registers, in table order.
UNLEARNING_METHODS = ("salun", "deepclean", "ce_ft", "ice_ft", "kl_ft", "ga",
                      "gdiff", "ngdiff", "icu", "minnorm_og")

#: The discriminative-regularisation variants of version 1 of the paper.
REGULARISED_METHODS = ("ce_ft", "ice_ft", "kl_ft")

#: A gradient vanishes when its norm is below this fraction of its scale, the
#: norm of the same gradient at ``w = 0`` (for SalUn's saliencies, which may
#: have zero labels, a bound on the gradient's terms). The closed-form pretrained model
#: leaves gradients near 1e-14 of that scale, a gradient-descent run stopped
#: at ``gtol = 1e-12`` near 1e-12; a model that does not interpolate has
#: gradients of order one.
VANISHING_RTOL = 1e-8

#: Every stop reason a method reports. ``"active_set_empty"`` (ICU): no
#: forgetting sample is still pushed away; it says nothing about the final
#: residuals (see ``info["forgotten_at_end"]``).
STOP_REASONS = ("converged", "max_steps", "vanishing_gradient", "target_reached",
                "active_set_empty", "no_descent", "overflow", "closed_form")

#: Saliencies SalUn's mask can be built from.
SALUN_SALIENCIES = ("random_label", "fisher", "forget_gradient")

#: Ascent stops before the unlearning loss exceeds this (no inf, no NaN).
_OVERFLOW = 1e100

#: Largest weight of one loss term (SalUn's ``retain_weight``, ICU's weights):
#: near ``1/eps = 4.5e15`` a term of weight one is below round-off in the
#: summed gradient, so larger weights add nothing but the risk of overflow in
#: the stacked problem.
_MAX_WEIGHT = 1e15

_ADVICE = (
    "the method returns the starting model unchanged; to make it move, start "
    "from a model that does not minimise {which} (init=..., e.g. an "
    "early-stopped or ridge pretrained model), or use a method that needs no "
    "gradient at the pretrained model (projection, rbm, minnorm_og)")


# --------------------------------------------------------------------------
# shared pieces


def _pinv(rows, r):
    """``X^+ r`` for ``r`` of shape (n,) or (n, k) (``RowSpace`` stacks outputs first)."""
    return rows.pinv(r.T).T


def _start(data, numeric, init):
    """Return the starting model: ``init``, or the pretrained model."""
    if init is not None:
        return data.as_weights(init, "init").copy()
    if numeric:
        return gradient_descent(data.X, data.y, np.zeros(data.w_shape)).w
    return _pinv(data.rows[0], data.y)


def _steps(steps, *, allow_none=True):
    if steps is None and allow_none:
        return None
    return check_int(steps, "steps", minimum=0)


def _lr(lr):
    return None if lr is None else check_float(lr, "lr", minimum=0.0, strict=True)


def _monitors(data):
    return {"remaining_loss": (data.X_r, data.y_r),
            "unlearning_loss": (data.X_f, data.y_f)}


def _mse(X, y, w):
    """``(1/n) ||X w - y||^2``, summed over outputs."""
    r = X @ w - y
    return float(np.sum(r * r)) / len(y)


def _row_sq(r):
    """Squared residual of each sample, summed over outputs."""
    return r * r if r.ndim == 1 else np.sum(r * r, axis=1)


def _row_norms(g):
    """Per-feature magnitude of a gradient: ``|g_j|``, or the norm of row ``j``."""
    return np.abs(g) if g.ndim == 1 else np.linalg.norm(g, axis=1)


def _grad(X, y, w):
    """Gradient of ``(1/n) ||X w - y||^2``."""
    return (2.0 / len(y)) * (X.T @ (X @ w - y))


def _grad_scale(X, y):
    return float(np.linalg.norm((2.0 / len(y)) * (X.T @ y)))


def _vanishes(g, scale):
    return bool(np.linalg.norm(g) <= VANISHING_RTOL * max(scale, 1e-300))


def _stacked(terms):
    """``(Z, t)`` with ``(1/N) ||Z w - t||^2 = sum_s c_s (1/n_s) ||X_s w - y_s||^2``."""
    N = sum(len(y) for _, _, y in terms)
    Z = np.vstack([np.sqrt(N * c / len(y)) * X for c, X, y in terms])
    t = np.concatenate([np.sqrt(N * c / len(y)) * y for c, X, y in terms])
    return Z, t


def _quadratic(data, Z, t, w0, *, steps, lr, mask=None, numeric=False,
               gtol=1e-12, max_steps=200_000):
    """Gradient descent on ``(1/N) ||Z w - t||^2`` from ``w0``, only ``mask`` moving.

    Analytic: the k-step iterate of :func:`gradient_descent_steps`, or for
    ``steps=None`` the limit, the least-squares minimiser closest to ``w0``
    (``numpy.linalg.lstsq`` on the masked columns: an N x |mask| problem).
    Numeric: :func:`gradient_descent`. A given ``lr`` must be below ``2/L`` on
    both routes, also for ``steps=None``, where the limit does not depend on
    it. Returns ``(w, run, stop_reason, lr)``.
    """
    d = Z.shape[1]
    m = np.ones(d, bool) if mask is None else mask
    L = smoothness(Z, m)
    if lr is None:
        lr = 1.0 / L if L > 0 else 1.0
    elif L > 0 and lr >= 2.0 / L:
        raise ValueError(f"lr={lr:g} makes gradient descent diverge on this "
                         f"data: it must be below 2/L = {2.0 / L:g}")
    if numeric:
        run = gradient_descent(Z, t, w0, lr=lr, mask=m, monitors=_monitors(data),
                               max_steps=max_steps if steps is None else steps,
                               gtol=gtol if steps is None else 0.0)
        return run.w, run, run.stop_reason, lr
    if steps is None:
        w = w0.copy()
        if m.any():
            w[m] += np.linalg.lstsq(Z[:, m], t - Z @ w0, rcond=None)[0]
        return w, None, "closed_form", lr
    target = t - Z[:, ~m] @ w0[~m]
    w = gradient_descent_steps(Z * m, target, w0, steps, lr=lr)
    return w, None, "closed_form", lr


def _result(w, run, stop_reason, **info):
    return {"w": w, "run": run, "info": {"stop_reason": stop_reason, **info}}


def _vanishing(method, on_vanishing, w0, which, g, scale, init, other=""):
    """Return the starting model with stop reason ``"vanishing_gradient"``, or raise."""
    context = ("the pretrained model interpolates D_r + D_f, so it minimises "
               "every loss on them (THEORY.md C2)" if init is None else
               f"the given init minimises {which}")
    message = (f"the gradient of {which} vanishes at the starting model (norm "
               f"{np.linalg.norm(g):.3g} <= {VANISHING_RTOL:g} x its scale "
               f"{scale:.3g}): {context}{other}; {_ADVICE.format(which=which)}")
    if on_vanishing == "raise":
        raise ValueError(f"method {method!r}: {message}")
    run = GDRun(w=w0, steps=np.array([0]), history={}, n_steps=0,
                stop_reason="vanishing_gradient", lr=0.0)
    return _result(w0, run, "vanishing_gradient", note=message)


def _target(target_ul):
    return None if target_ul is None else check_float(
        target_ul, "target_ul", minimum=0.0, strict=True)


# --------------------------------------------------------------------------
# SalUn


def _salun_scores(data, saliency, w0, y_rand):
    """Per-feature saliency, its scale, and why it would vanish.

    A gradient saliency's scale is a bound on its terms without cancellation,
    ``(2/n_f) ||X_f|| (||X_f|| ||w0|| + ||y||)`` (Frobenius norms): below
    :data:`VANISHING_RTOL` of it the gradient is round-off, also when the
    labels are zero.
    """
    X_f, n_f = data.X_f, data.n_f
    norm_x = np.linalg.norm(X_f)

    def scale(y):
        return 2.0 / n_f * norm_x * (norm_x * np.linalg.norm(w0) + np.linalg.norm(y))

    if saliency == "forget_gradient":
        g = _grad(data.X_f, data.y_f, w0)
        return _row_norms(g), scale(data.y_f), (
            "saliency='forget_gradient' (SalUn's original) is the gradient of the "
            "forgetting loss at the trained model, which is zero here (the model "
            "interpolates D_f); use saliency='random_label' or 'fisher'")
    if saliency == "random_label":
        g = _grad(data.X_f, y_rand, w0)
        return _row_norms(g), scale(y_rand), (
            "saliency='random_label': the gradient of the random-label loss "
            "vanishes at the trained model (the forgetting labels are zero, so "
            "the random labels are too, and the model fits them); use "
            "saliency='fisher'")
    scores = masks.saliency(data.X_f)
    return scores, float(np.sum(scores)), (
        "saliency='fisher': the Fisher diagonal of D_f is zero (X_f is zero)")


def _salun(data, *, numeric, saliency="random_label", ratio=0.5,
           retain_weight=1.0, steps=None, lr=None, rng=None, gtol=1e-12,
           max_steps=200_000):
    """SalUn: saliency-masked random-label unlearning.

    The weights salient for forgetting (the top ``ratio`` of a saliency score)
    are updated, the others held at the trained model ``w_o``, by gradient
    descent on the random-label loss on ``D_f`` plus the remaining loss:

    .. math:: \\min_w \\; \\frac{1}{n_f} \\|X_f w - \\tilde y_f\\|^2
              + \\beta \\, \\frac{1}{n_r} \\|X_r w - y_r\\|^2,
              \\qquad w_j = (w_o)_j \\text{ for } j \\notin m,

    update ``w <- w - lr * m * grad`` (``m`` the mask, ``beta =
    retain_weight``). The random labels ``tilde y_f`` are i.i.d. Gaussian with
    the per-output second moment of ``y_f``, ``N(0, mean_i y_ic^2)``: the
    regression analogue of relabelling each forgetting sample with a random
    class. They are drawn from ``rng`` and never equal ``y_f`` (a random
    permutation of ``y_f`` can be the identity, which for ``n_f = 1`` it
    always is).

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k); the weights then have shape (d,) or
        (d, k), and a mask entry covers a whole row (one feature).
    numeric : bool
        ``False``: closed form from the closed-form ``w_o``; ``True``: a
        gradient-descent run from a gradient-descent ``w_o``.
    saliency : {"random_label", "fisher", "forget_gradient"}, default "random_label"
        The score each feature is ranked by. ``"forget_gradient"``: SalUn's
        original, ``|grad UL(w_o)|``; it is exactly zero at an interpolating
        model, and then a ``ValueError`` says so. ``"random_label"``: ``|grad|``
        of the random-label loss at ``w_o``, ``(2/n_f) |X_f^T (X_f w_o -
        tilde y_f)|``, the loss SalUn minimises. ``"fisher"``: the Fisher
        diagonal of ``D_f``, ``(1/n_f) sum_i x_ij^2``. With several outputs a
        gradient score is the norm of the feature's row over the outputs.
    ratio : float in (0, 1], default 0.5
        Share of the features in the mask (the top 50% by default, as issue 5
        describes SalUn's original), among those with a positive score (ties
        at zero are not salient).
    retain_weight : float in [0, 1e15], default 1.0
        ``beta``, the weight of the remaining loss.
    steps : int or None, default None
        Gradient steps; ``None`` runs to convergence (closed form: the
        least-squares minimiser on the mask closest to ``w_o``).
    lr : float, optional
        Step size; default ``1/L`` of the objective on the mask. It must be
        below ``2/L`` on both routes (also for ``steps=None``, where the limit
        does not depend on it).
    rng : None, int, SeedSequence or numpy.random.Generator, default None
        Source of the random labels.
    gtol, max_steps : float, int, default 1e-12, 200000
        Stopping rule of the numeric route (see
        :func:`linunlearn.simulate.gradient_descent`).

    Returns
    -------
    dict
        ``w``; ``run`` (numeric route); ``mask`` (the features updated) with
        ``semantics="freeze"``; ``info``: ``stop_reason``, ``saliency``,
        ``ratio``, ``random_labels``.

    Raises
    ------
    ValueError
        A saliency that vanishes at ``w_o`` (below :data:`VANISHING_RTOL` of
        its scale), or a bad option.

    References
    ----------
    C. Fan, J. Liu, Y. Zhang, E. Wong, D. Wei, S. Liu, "SalUn: Empowering
    Machine Unlearning via Gradient-based Weight Saliency in Both Image
    Classification and Generation", ICLR 2024, arXiv:2310.12508.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sol = lu.solve(data, "salun", rng=0)
    >>> int(sol.mask.sum()), sol.info["stop_reason"]
    (6, 'closed_form')
    """
    check_option(saliency, "saliency", SALUN_SALIENCIES)
    ratio = check_float(ratio, "ratio", minimum=0.0, maximum=1.0, strict=True)
    retain_weight = check_float(retain_weight, "retain_weight", minimum=0.0,
                                maximum=_MAX_WEIGHT)
    steps, lr = _steps(steps), _lr(lr)
    gen = as_generator(rng)
    y_rand = np.sqrt(np.mean(data.y_f ** 2, axis=0)) * gen.standard_normal(
        data.y_f.shape)
    w0 = _start(data, numeric, None)
    scores, scale, why = _salun_scores(data, saliency, w0, y_rand)
    if _vanishes(scores, scale):
        raise ValueError(f"{why} (norm {np.linalg.norm(scores):.3g} <= "
                         f"{VANISHING_RTOL:g} x its scale {scale:.3g})")
    mask = masks.select(scores, ratio=ratio)  # never a zero score
    Z, t = _stacked([(1.0, data.X_f, y_rand), (retain_weight, data.X_r, data.y_r)])
    w, run, reason, lr = _quadratic(data, Z, t, w0, steps=steps, lr=lr, mask=mask,
                                    numeric=numeric, gtol=gtol, max_steps=max_steps)
    out = _result(w, run, reason, saliency=saliency, ratio=ratio, lr=lr,
                  random_labels=y_rand)
    out.update(mask=mask, semantics="freeze")
    return out


# --------------------------------------------------------------------------
# DeepClean


def _deepclean(data, *, numeric, threshold=None, ratio=None, eps=1e-8,
               steps=None, lr=None, gtol=1e-12, max_steps=200_000):
    """DeepClean: Fisher-ratio selection, reset and fine-tune the selection.

    Each feature is scored by the ratio of its Fisher diagonals on the two
    sets (Gaussian likelihood, unit noise: ``F_j(D) = (1/n) sum_i x_ij^2``,
    the same for every output), with ``eps`` relative to the largest remaining
    score so that the ratio does not change when the features are rescaled:

    .. math:: s_j = \\frac{F_j(D_f)}{F_j(D_r) + \\epsilon \\max_l F_l(D_r)}.

    The selected weights (``s_j > threshold``, or the top ``ratio``) are set
    to zero, then only they are fine-tuned on ``D_r`` (gradient descent on
    ``RL``, ``w <- w - lr * m * grad RL(w)``), the others frozen at ``w_o``.
    The limit is

    .. math:: w = w_0 + X_{r,m}^+ (y_r - X_r w_0), \\quad w_0 = (1 - m) \\odot w_o,

    ``X_{r,m}`` the columns of ``X_r`` in the mask. If ``w_o`` interpolates
    ``D_r`` this problem is consistent (``w_o`` solves it), and when
    ``X_{r,m}`` has full column rank (fewer selected features than remaining
    samples) ``w_o`` is its only solution: DeepClean then returns ``w_o`` and
    forgets nothing, as on the bundled digits with random features. Otherwise
    the limit is the least-squares solution closest to the reset.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or a gradient-descent run (``True``).
    threshold : float >= 0, optional
        Select ``s_j > threshold``; default 1 (features the forgetting set
        uses more than the remaining set). Give ``threshold`` or ``ratio``.
        Overlap features that both sets draw from one distribution have a
        population ratio of exactly 1, so which of them pass the default
        threshold is decided by sampling noise (about half of them, varying
        from draw to draw); a threshold above 1 leaves them alone.
    ratio : float in (0, 1], optional
        Select the top ``ratio`` of the scores instead.
    eps : float > 0, default 1e-8
        Floor of the denominator, relative to ``max_l F_l(D_r)``.
    steps : int or None, default None
        Gradient steps on ``D_r``; ``None``: to convergence.
    lr : float, optional
        Step size; default ``1/L`` of ``RL`` on the selected columns; must be
        below ``2/L`` on both routes.
    gtol, max_steps : float, int, default 1e-12, 200000
        Stopping rule of the numeric route.

    Returns
    -------
    dict
        ``w``, ``run``, ``mask`` (the selected features) with
        ``semantics="freeze"``, ``info``: ``stop_reason``, ``threshold``,
        ``ratio``, ``n_selected``, ``scores``.

    Warns
    -----
    LinunlearnWarning
        When nothing is selected: the model is returned unchanged.

    References
    ----------
    J. Shi, N. Ghalyan, K. Gourgoulias, J. Buford, S. Moran, "DeepClean:
    Machine Unlearning on the Cheap by Resetting Privacy Sensitive Weights
    using the Fisher Diagonal", arXiv:2311.10448 (2023).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.distinct(8, 6, 3, 2).sample(rng=0)
    >>> sol = lu.solve(data, "deepclean")
    >>> bool(np.allclose(sol.w, lu.solve(data, "golden").w)), sol.info["n_selected"]
    (True, 6)
    """
    eps = check_float(eps, "eps", minimum=0.0, strict=True)
    steps, lr = _steps(steps), _lr(lr)
    if threshold is not None and ratio is not None:
        raise ValueError("give either threshold or ratio, not both")
    F_f, F_r = masks.saliency(data.X_f), masks.saliency(data.X_r)
    floor = eps * float(np.max(F_r))
    if not floor > 0:
        raise ValueError("deepclean needs remaining data with a non-zero feature "
                         "(X_r is zero)")
    scores = F_f / (F_r + floor)
    if ratio is not None:
        mask = masks.select(scores, ratio=ratio)
    else:
        threshold = 1.0 if threshold is None else check_float(
            threshold, "threshold", minimum=0.0)
        mask = scores > threshold
    if not mask.any():
        warn(f"deepclean selected no feature (largest Fisher ratio "
             f"{np.max(scores):.3g}, threshold {threshold}); the model "
             f"is returned unchanged", LinunlearnWarning)
    w_o = _start(data, numeric, None)
    w0 = np.where(mask.reshape(mask.shape + (1,) * (w_o.ndim - 1)), 0.0, w_o)
    w, run, reason, lr = _quadratic(data, data.X_r, data.y_r, w0, steps=steps,
                                    lr=lr, mask=mask, numeric=numeric, gtol=gtol,
                                    max_steps=max_steps)
    out = _result(w, run, reason, threshold=threshold, ratio=ratio, lr=lr,
                  n_selected=int(mask.sum()), scores=scores)
    out.update(mask=mask, semantics="freeze")
    return out


# --------------------------------------------------------------------------
# version 1's discriminative regularisation


def _regularised(data, name, numeric, alpha, steps, lr, gtol, max_steps,
                 reference=None):
    """Gradient descent from ``w_o`` on version 1's regularised objectives."""
    alpha = check_float(alpha, "alpha", minimum=0.0, maximum=1.0,
                        strict=name == "ice_ft")
    steps, lr = _steps(steps), _lr(lr)
    w_o = _start(data, numeric, None)
    wrong = -data.y_f
    info = {"alpha": alpha}
    if name == "kl_ft":
        if isinstance(reference, str):
            check_option(reference, "reference", ("zero",))
            w_ref = np.zeros(data.w_shape)
        else:
            w_ref = data.as_weights(reference, "reference")
        info["reference"] = "zero" if isinstance(reference, str) else "array"
        terms = [(1.0, data.X_r, data.y_r), (alpha, data.X_f, data.X_f @ w_ref)]
    elif name == "ce_ft":
        terms = [(1.0, data.X_r, data.y_r), (alpha, data.X_f, wrong)]
    else:
        terms = [(alpha, data.X_r, data.y_r), (1.0, data.X_f, wrong)]
    if lr is None:
        # one step size for every alpha: 1/L of the objective at alpha = 1
        lr = 1.0 / smoothness(_stacked([(1.0, data.X_r, data.y_r),
                                        (1.0, data.X_f, wrong)])[0])
    Z, t = _stacked(terms)
    w, run, reason, lr = _quadratic(data, Z, t, w_o, steps=steps, lr=lr,
                                    numeric=numeric, gtol=gtol, max_steps=max_steps)
    return _result(w, run, reason, lr=lr, steps=steps, **info)


_REG_PARAMS = """
    steps : int or None, default None
        Gradient steps; ``None``: to convergence, the limit ``w_o + Z^+ (t -
        Z w_o)`` of the stacked least-squares problem ``(Z, t)``.
    lr : float, optional
        Step size; default ``1/L`` of the objective at ``alpha = 1``, so that
        runs with different weights share one step size. It must be below
        ``2/L`` on both routes (also for ``steps=None``, where the limit does
        not depend on it).
    gtol, max_steps : float, int, default 1e-12, 200000
        Stopping rule of the numeric route.

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route), ``info``: ``stop_reason``, ``alpha``,
        ``lr``, ``steps``."""

_REG_NOTES = """
    Notes
    -----
    At convergence in the interpolating regime (``[X_r; X_f]`` has full row
    rank, proofs/C8.md) the limit interpolates both terms, whatever ``alpha >
    0``: the weight only matters for finite ``steps``.

    References
    ----------
    M. Ding, R. Sharma, C. Chen, J. Xu, K. Ji, "Why Fine-Tuning Struggles with
    Forgetting in Machine Unlearning? Theoretical Insights and a Remedial
    Approach", arXiv:2410.03833v1 (version 1 of the paper)."""


def _doc(template, **sections):
    """Set a docstring, replacing each ``{name}`` by ``sections[name]``."""
    def decorate(fn):
        doc = template
        for name, text in sections.items():
            doc = doc.replace("{" + name + "}", text)
        fn.__doc__ = doc
        return fn
    return decorate


@_doc("""CE-FT: fine-tuning plus a weighted wrong-label loss on the forgetting set.

    Gradient descent from the pretrained model ``w_o``,
    ``w <- w - lr * grad J(w)``, on

    .. math:: J(w) = RL(w) + \\alpha \\frac{1}{n_f} \\|X_f w + y_f\\|^2,
              \\quad \\alpha \\in [0, 1],

    the forgetting set with negated (wrong) labels, as in
    :func:`linunlearn.claims.discriminative_finetune` (which computes the same
    iterate for batches of data sets). ``alpha = 0`` is fine-tuning.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or a gradient-descent run (``True``).
    alpha : float in [0, 1], default 0.5
        Weight of the wrong-label term.{params}
{notes}

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> lu.solve(data, "ce_ft", alpha=0.5, steps=5).info["stop_reason"]
    'closed_form'
    """, params=_REG_PARAMS, notes=_REG_NOTES)
def _ce(data, *, numeric, alpha=0.5, steps=None, lr=None, gtol=1e-12,
        max_steps=200_000):
    return _regularised(data, "ce_ft", numeric, alpha, steps, lr, gtol, max_steps)


@_doc("""ICE-FT: the weight moved from the forgetting term to the remaining term.

    Gradient descent from the pretrained model ``w_o``,
    ``w <- w - lr * grad J(w)``, on

    .. math:: J(w) = \\alpha \\, RL(w) + \\frac{1}{n_f} \\|X_f w + y_f\\|^2,
              \\quad \\alpha \\in (0, 1].

    ``alpha = 1`` is CE-FT with ``alpha = 1``.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or a gradient-descent run (``True``).
    alpha : float in (0, 1], default 0.5
        Weight of the remaining loss.{params}
{notes}
    """, params=_REG_PARAMS, notes=_REG_NOTES)
def _ice(data, *, numeric, alpha=0.5, steps=None, lr=None, gtol=1e-12,
         max_steps=200_000):
    return _regularised(data, "ice_ft", numeric, alpha, steps, lr, gtol, max_steps)


@_doc("""KL-FT: fine-tuning plus a Gaussian KL to a reference model on the forgetting set.

    Gradient descent from the pretrained model ``w_o``,
    ``w <- w - lr * grad J(w)``, on

    .. math:: J(w) = RL(w) + \\alpha \\frac{1}{n_f} \\|X_f (w - w_{\\mathrm{ref}})\\|^2,
              \\quad \\alpha \\in [0, 1].

    The second term is ``alpha`` times the mean over ``D_f`` of
    ``KL(N(x^T w_ref, 1/2) || N(x^T w, 1/2))`` (Gaussian predictive
    distributions with variance 1/2, for which the KL is the squared
    prediction difference; it is twice the KL at unit variance). With ``k``
    outputs the covariance is ``I/2`` and the squared difference is summed
    over the outputs. ``alpha = 0`` is fine-tuning.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or a gradient-descent run (``True``).
    alpha : float in [0, 1], default 0.5
        Weight of the KL term.
    reference : "zero" or ndarray of shape (d,) or (d, k), default "zero"
        ``w_ref``: the uninformed zero model (it predicts the labels' prior
        mean 0 and knows nothing of ``D_f``), or given weights.{params}
{notes}
    """, params=_REG_PARAMS, notes=_REG_NOTES)
def _kl(data, *, numeric, alpha=0.5, steps=None, lr=None, reference="zero",
        gtol=1e-12, max_steps=200_000):
    return _regularised(data, "kl_ft", numeric, alpha, steps, lr, gtol, max_steps,
                        reference=reference)


# --------------------------------------------------------------------------
# gradient ascent and gradient difference


def _dual_signed(data, w0, lr, steps, target, retain):
    """Exact iteration of ``w <- w - lr (c_r g_r - g_f)`` in the n-dim dual space.

    With ``w_t = w0 + Z^T a_t`` (``Z = [X_r; X_f]``) the residuals obey
    ``r_{t+1} = (I - lr G D) r_t``, ``G = Z Z^T``, ``D = diag(2 c_r/n_r, -2/n_f)``,
    and ``w_k = w0 - lr Z^T D sum_{t<k} r_t``: no step touches a d-vector.
    Returns ``(w, n_steps, stop_reason, history)``.
    """
    X_r, X_f, n_r, n_f = data.X_r, data.X_f, data.n_r, data.n_f
    Z = np.vstack([X_r, X_f])
    G = Z @ Z.T
    r = Z @ w0 - np.concatenate([data.y_r, data.y_f])
    c = np.concatenate([np.full(n_r, 2.0 * retain / n_r), np.full(n_f, -2.0 / n_f)])
    c = c.reshape(c.shape + (1,) * (r.ndim - 1))  # broadcast over outputs
    acc = prev = np.zeros_like(r)
    hist = {"remaining_loss": [], "unlearning_loss": []}
    reason, k = "max_steps", 0
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below
        while True:
            ul = float(np.sum(r[n_r:] ** 2)) / n_f
            if not np.isfinite(ul) or ul > _OVERFLOW:  # back to the last finite iterate
                reason, acc, k = "overflow", prev, max(k - 1, 0)
                break
            hist["remaining_loss"].append(float(np.sum(r[:n_r] ** 2)) / n_r)
            hist["unlearning_loss"].append(ul)
            if target is not None and ul >= target:
                reason = "target_reached"
                break
            if k >= steps:
                break
            prev, acc = acc, acc + c * r
            r = r - lr * (G @ (c * r))
            k += 1
    return w0 - lr * (Z.T @ acc), k, reason, hist


def _ascent_common(data, method, numeric, steps, lr, target_ul, init, on_vanishing):
    steps = _steps(steps, allow_none=False)
    lr, target = _lr(lr), _target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    return steps, lr, target, _start(data, numeric, init)


_ASCENT_PARAMS = """
    steps : int, default 10
        Budget of updates (required: the objective is unbounded).
    lr : float, optional
        Step size; default {lr_default}.
    target_ul : float > 0, optional
        Stop as soon as ``UL >= target_ul`` (e.g. the golden model's expected
        unlearning loss).
    init : ndarray of shape (d,) or (d, k), optional
        Starting model; default the pretrained model ``w_o``.
    on_vanishing : {"report", "raise"}, default "report"
        At a starting model where the gradient vanishes: return it with stop
        reason ``"vanishing_gradient"`` and a note, or raise ``ValueError``.

    Returns
    -------
    dict
        ``w``; ``run`` with the loss history (``remaining_loss``,
        ``unlearning_loss`` at every step); ``info``: ``stop_reason``
        (``"max_steps"``, ``"target_reached"``, ``"overflow"`` or
        ``"vanishing_gradient"``), ``lr``, and ``note`` when it vanished."""


@_doc("""Gradient ascent on the forgetting loss (the standard baseline).

    Update ``w <- w + lr * grad UL(w)`` from the pretrained model (or
    ``init``), i.e. gradient descent on ``-UL``. Maximising a squared loss is
    unbounded, so the run stops at a budget of ``steps`` updates or as soon
    as ``UL >= target_ul``, whichever comes first, and before the loss
    exceeds 1e100 (stop reason ``"overflow"``, returning the last iterate
    below it). Closed form: :func:`gradient_descent_steps` with
    ``ascent=True`` (the descent formula with a negative step), the stopping
    step found from the exact residuals in the dual space.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or the update run in weight space
        (``True``).{params}

    References
    ----------
    J. Jang, D. Yoon, S. Yang, S. Cha, M. Lee, L. Logeswaran, M. Seo,
    "Knowledge Unlearning for Mitigating Privacy Risks in Language Models",
    ACL 2023, arXiv:2210.01504 (gradient ascent on the sequences to forget).

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> start = 0.5 * lu.solve(data, "pretrained").w
    >>> lu.solve(data, "ga", init=start, steps=3).run.n_steps
    3
    """, params=_ASCENT_PARAMS.replace(
    "{lr_default}", "``1/L_f``, ``L_f = 2 ||X_f||_2^2 / n_f``"))
def _ga(data, *, numeric, steps=10, lr=None, target_ul=None, init=None,
        on_vanishing="report"):
    return _ascent(data, "ga", numeric, steps, lr, target_ul, init, on_vanishing)


@_doc("""Gradient difference: descent on the remaining loss, ascent on the forgetting loss.

    Update ``w <- w - lr (grad RL(w) - grad UL(w))`` from the pretrained
    model (or ``init``), i.e. gradient descent on ``RL - UL``, which is
    unbounded below: stop rule as for ``"ga"`` (``steps``, ``target_ul``, and
    before ``UL`` exceeds 1e100). Closed form: the exact iteration in the
    (n_r + n_f)-dimensional dual space (the Hessian ``H_r - H_f`` is
    indefinite, so :func:`gradient_descent_steps` does not apply).

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Closed form (``False``) or the update run in weight space
        (``True``).{params}

    References
    ----------
    The baseline as described in Z. Bu, X. Jin, B. Vinzamuri, A. Ramakrishna,
    K.-W. Chang, V. Cevher, M. Hong, "Unlearning as multi-task optimization: A
    normalized gradient difference approach with an adaptive learning rate",
    arXiv:2410.22086, Sec. 1: minimise the sum of the negative loss on the
    forgetting set and the loss on the retained set.
    """, params=_ASCENT_PARAMS.replace("{lr_default}", "``1 / (L_r + L_f)``"))
def _gdiff(data, *, numeric, steps=10, lr=None, target_ul=None, init=None,
           on_vanishing="report"):
    return _ascent(data, "gdiff", numeric, steps, lr, target_ul, init, on_vanishing)


def _ascent(data, method, numeric, steps, lr, target_ul, init, on_vanishing):
    steps, lr, target, w0 = _ascent_common(data, method, numeric, steps, lr,
                                           target_ul, init, on_vanishing)
    retain = 1.0 if method == "gdiff" else 0.0
    g = retain * _grad(data.X_r, data.y_r, w0) - _grad(data.X_f, data.y_f, w0)
    scale = retain * _grad_scale(data.X_r, data.y_r) + _grad_scale(data.X_f, data.y_f)
    if _vanishes(g, scale):
        return _vanishing(method, on_vanishing, w0, "RL - UL" if retain else "UL",
                          g, scale, init)
    if lr is None:
        lr = 1.0 / (retain * smoothness(data.X_r) + smoothness(data.X_f))
    if numeric:
        return _weight_space_run(data, w0, steps, lr, target, retain)
    w, k, reason, hist = _dual_signed(data, w0, lr, steps, target, retain)
    if not retain:  # GA: the k-step formula, ascending
        w = gradient_descent_steps(data.X_f, data.y_f, w0, k, lr=lr, ascent=True)
    return _result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


def _history_run(w, hist, k, reason, lr):
    h = {name: np.array(v) for name, v in hist.items()}
    steps = np.arange(len(h["unlearning_loss"]))
    return GDRun(w=w, steps=steps, history=h, n_steps=k, stop_reason=reason,
                 lr=float(lr))


def _iterate(data, w, steps, target, step):
    """Iterate ``w <- step(w)`` under the ascent methods' stop rules.

    ``step`` returns the next iterate, or a stop reason (a string). The run
    stops after ``steps`` updates, once ``UL >= target``, or before ``UL``
    exceeds ``_OVERFLOW`` (keeping the last iterate below it: no inf, no
    NaN). Returns ``(w, n_steps, stop_reason, history)``, the history holding
    RL and UL at every iterate.
    """
    hist = {"remaining_loss": [], "unlearning_loss": []}
    reason, k, prev = "max_steps", 0, w
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below
        while True:
            ul = _mse(data.X_f, data.y_f, w)
            if not np.isfinite(ul) or ul > _OVERFLOW:  # back to the last finite iterate
                reason, w, k = "overflow", prev, max(k - 1, 0)
                break
            hist["remaining_loss"].append(_mse(data.X_r, data.y_r, w))
            hist["unlearning_loss"].append(ul)
            if target is not None and ul >= target:
                reason = "target_reached"
                break
            if k >= steps:
                break
            nxt = step(w)
            if isinstance(nxt, str):
                reason = nxt
                break
            prev, w = w, nxt
            k += 1
    return w, k, reason, hist


def _weight_space_run(data, w0, steps, lr, target, retain):
    """``w <- w - lr (retain * grad RL - grad UL)``, run in weight space."""
    def step(w):
        g = -_grad(data.X_f, data.y_f, w)
        if retain:
            g = g + retain * _grad(data.X_r, data.y_r, w)
        return w - lr * g

    w, k, reason, hist = _iterate(data, w0.copy(), steps, target, step)
    return _result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


# --------------------------------------------------------------------------
# NGDiff


def _ngdiff(data, *, numeric, steps=100, target_ul=None, init=None,
            on_vanishing="report"):
    """NGDiff: normalised gradient difference with an exact adaptive step.

    Direction ``D = g_r / ||g_r|| - g_f / ||g_f||`` (``g_r = grad RL``,
    ``g_f = grad UL``; Frobenius norms with several outputs), update
    ``w <- w - eta D``. NGDiff sets ``eta`` with the GeN rule (Bu & Xu,
    arXiv:2407.02772), ``eta = g^T D / (D^T H D)``, the minimiser of the
    second-order expansion of a loss along ``-D``; on a quadratic it is exact.
    Here it is applied to ``RL`` (the choice of issue 5), so each step is an
    exact line search of the remaining loss:

    .. math:: \\eta = \\frac{\\langle g_r, D\\rangle}{D^T H_r D}, \\quad
              D^T H_r D = \\frac{2}{n_r} \\|X_r D\\|^2

    (Frobenius inner product and norm with ``k`` outputs: the exact line
    search of the joint loss). No closed form: both routes run the
    iteration, from the closed-form or the gradient-descent pretrained model.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Start from the closed-form (``False``) or gradient-descent
        (``True``) pretrained model; ignored when ``init`` is given.
    steps : int, default 100
        Budget of updates.
    target_ul : float > 0, optional
        Stop as soon as ``UL >= target_ul``.
    init : ndarray of shape (d,) or (d, k), optional
        Starting model; default the pretrained model.
    on_vanishing : {"report", "raise"}, default "report"
        If either gradient vanishes at the start (the direction is then
        0/0): return the start with stop reason ``"vanishing_gradient"`` and
        a note saying which gradient vanished, or raise ``ValueError``.

    Returns
    -------
    dict
        ``w``; ``run``, whose ``history["step_size"][t]`` is the step that
        produced iterate ``t`` (0 for the start); ``run.lr`` is NaN, as there
        is no single step size; ``info``: ``stop_reason`` (``"max_steps"``,
        ``"target_reached"``, ``"no_descent"`` when ``eta`` is not positive
        or ``D^T H_r D = 0``, ``"vanishing_gradient"`` when a gradient
        vanishes later, ``"overflow"``), and ``note`` where relevant.

    References
    ----------
    Z. Bu, X. Jin, B. Vinzamuri, A. Ramakrishna, K.-W. Chang, V. Cevher,
    M. Hong, "Unlearning as multi-task optimization: A normalized gradient
    difference approach with an adaptive learning rate", arXiv:2410.22086.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sol = lu.solve(data, "ngdiff", init=lu.solve(data, "golden").w)
    >>> sol.info["stop_reason"], "gradient of RL vanishes" in sol.info["note"]
    ('vanishing_gradient', True)
    """
    steps, target = _steps(steps, allow_none=False), _target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    w = _start(data, numeric, init)
    scale_r = _grad_scale(data.X_r, data.y_r)
    scale_f = _grad_scale(data.X_f, data.y_f)
    g_r, g_f = _grad(data.X_r, data.y_r, w), _grad(data.X_f, data.y_f, w)
    van_r, van_f = _vanishes(g_r, scale_r), _vanishes(g_f, scale_f)
    started = steps > 0 and (target is None or _mse(data.X_f, data.y_f, w) < target)
    if started and (van_r or van_f):
        which, g, scale = ("RL", g_r, scale_r) if van_r else ("UL", g_f, scale_f)
        other = ("" if van_r and van_f else
                 f"; the gradient of {'UL' if van_r else 'RL'} has norm "
                 f"{np.linalg.norm(g_f if van_r else g_r):.3g}, but "
                 f"NGDiff normalises both, so its direction is 0/0")
        return _vanishing("ngdiff", on_vanishing, w, which, g, scale, init, other)
    etas = [0.0]  # the step that produced each iterate (0 for the start)

    def step(w):
        g_r, g_f = _grad(data.X_r, data.y_r, w), _grad(data.X_f, data.y_f, w)
        if _vanishes(g_r, scale_r) or _vanishes(g_f, scale_f):
            return "vanishing_gradient"
        direction = g_r / np.linalg.norm(g_r) - g_f / np.linalg.norm(g_f)
        curvature = (2.0 / data.n_r) * float(np.sum((data.X_r @ direction) ** 2))
        slope = float(np.sum(g_r * direction))
        if not curvature > 0 or not slope > 0:
            return "no_descent"
        etas.append(slope / curvature)
        return w - etas[-1] * direction

    w, k, reason, hist = _iterate(data, w, steps, target, step)
    hist["step_size"] = etas[:len(hist["unlearning_loss"])]
    h = {name: np.array(v) for name, v in hist.items()}
    run = GDRun(w=w, steps=np.arange(len(h["unlearning_loss"])), history=h,
                n_steps=k, stop_reason=reason, lr=float("nan"))
    notes = {"vanishing_gradient": f"a gradient vanished after {k} steps (the "
                                   f"model interpolates D_r or D_f again)",
             "no_descent": "the direction is not a descent direction of RL",
             "overflow": "UL would exceed 1e100: stopped at the last iterate below"}
    return _result(w, run, reason, **({"note": notes[reason]} if reason in notes else {}))


# --------------------------------------------------------------------------
# ICU


def _icu(data, *, numeric, epochs=100, lr=None, forget_weight=1.0,
         analog_weight=0.5, kl_weight=1.0, forget_threshold=None, init=None,
         on_vanishing="report"):
    """ICU: iterative contrastive unlearning, in regression form.

    The analog set ``D_a`` holds, for each forgetting sample, the nearest
    remaining sample (Euclidean distance of the features). Each epoch is one
    gradient step ``w <- w - lr * grad J_A(w)`` on

    .. math:: J_A(w) = -\\lambda_f \\frac{1}{|A|} \\sum_{i \\in A} \\|x_i^T w - y_i\\|^2
              + \\lambda_a \\frac{1}{n_f} \\|X_a w - y_a\\|^2
              + \\lambda_k \\frac{1}{n_f} \\|X_a (w - w_o)\\|^2,

    ``A`` the active forgetting samples: ascent on them (the unlearning
    module), the loss on the analog set (the contrastive module keeping the
    model's performance) and a squared prediction difference to the original
    model ``w_o`` there, which is the mean Gaussian KL with variance 1/2
    (twice the KL at unit variance). After each epoch a sample leaves ``A``
    once its squared residual (summed over outputs) reaches
    ``forget_threshold``, and never returns (the iterative refinement module:
    "leave once"). The run stops when ``A`` is empty (``"active_set_empty"``)
    or after ``epochs`` (``"max_steps"``), or before ``UL`` exceeds 1e100
    (``"overflow"``, keeping the last iterate below it).

    A sample that has left ``A`` is no longer pushed away, so later epochs
    (the analog and KL terms) can lower its residual below the threshold
    again: ``"active_set_empty"`` means that every sample *was* forgotten at
    some epoch, not that it still is. ``info["forgotten_at_end"]`` says which
    samples are at the threshold at the returned model, ``info["n_relearned"]``
    how many left ``A`` and fell below it again.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        Start from the closed-form (``False``) or gradient-descent
        (``True``) pretrained model ``w_o`` (also the KL reference).
    epochs : int, default 100
        Budget of epochs (gradient steps).
    lr : float, optional
        Step size; default ``1 / (lambda_f L_f + (lambda_a + lambda_k) L_a)``.
    forget_weight, analog_weight, kl_weight : float in [0, 1e15], default 1.0, 0.5, 1.0
        ``lambda_f``, ``lambda_a``, ``lambda_k`` (the defaults of issue 5);
        not all zero.
    forget_threshold : float > 0, optional
        Squared residual at which a sample counts as forgotten; default the
        mean squared norm of the forgetting labels (the loss of the
        uninformed zero model).
    init : ndarray of shape (d,) or (d, k), optional
        Starting model (default ``w_o``); the KL reference stays ``w_o``.
    on_vanishing : {"report", "raise"}, default "report"
        At a start where the gradient vanishes (the pretrained model).

    Returns
    -------
    dict
        ``w``; ``run`` with ``history`` (``remaining_loss``,
        ``unlearning_loss``, ``active`` and ``residuals``, the per-sample
        squared residuals, shape (epochs + 1, n_f)); ``info``:
        ``stop_reason``, ``analog`` (index of each analog sample in ``D_r``),
        ``forget_threshold``, ``n_active``, ``left_at`` (epoch at which each
        sample left ``A``: 0 if never active, -1 if still active),
        ``forgotten_at_end`` (bool per sample), ``n_relearned``.

    References
    ----------
    H. Tang, Y. Liu, X. Zhao, X. Liu, Y. Zhang, K. Zhang, X. Zhou, E. Chen,
    "Learn while Unlearn: An Iterative Unlearning Framework for Generative
    Language Models", arXiv:2407.20271.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> start = 0.5 * lu.solve(data, "pretrained").w
    >>> sol = lu.solve(data, "icu", init=start, epochs=5)
    >>> sol.run.history["residuals"].shape
    (6, 2)
    """
    epochs = check_int(epochs, "epochs", minimum=0)
    lr = _lr(lr)
    lf, la, lk = (check_float(v, name, minimum=0.0, maximum=_MAX_WEIGHT)
                  for v, name in ((forget_weight, "forget_weight"),
                                  (analog_weight, "analog_weight"),
                                  (kl_weight, "kl_weight")))
    if lf == la == lk == 0.0:
        raise ValueError("forget_weight, analog_weight and kl_weight are all "
                         "zero: ICU has no loss")
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    X_f, y_f = data.X_f, data.y_f
    threshold = (float(np.mean(_row_sq(y_f))) if forget_threshold is None else
                 check_float(forget_threshold, "forget_threshold", minimum=0.0,
                             strict=True))
    w_o = _start(data, numeric, None)
    w = w_o if init is None else _start(data, numeric, init)
    # nearest remaining sample to each forgetting sample, by ||a - b||^2
    sq = (np.sum(X_f ** 2, 1)[:, None] - 2 * X_f @ data.X_r.T
          + np.sum(data.X_r ** 2, 1)[None, :])
    analog = np.argmin(sq, axis=1)
    X_a, y_a = data.X_r[analog], data.y_r[analog]
    p_o = X_a @ w_o

    def gradient(w, active):
        g = la * _grad(X_a, y_a, w) + lk * _grad(X_a, p_o, w)
        if active.any():
            g = g - lf * _grad(X_f[active], y_f[active], w)
        return g

    def residuals(w):
        return _row_sq(X_f @ w - y_f)

    res = residuals(w)
    active = res < threshold
    left_at = np.where(active, -1, 0)  # epoch each sample left A; -1: still active
    g = gradient(w, active)
    scale = (lf * _grad_scale(X_f, y_f) + la * _grad_scale(X_a, y_a)
             + lk * _grad_scale(X_a, p_o))
    if active.any() and _vanishes(g, scale):
        return _vanishing("icu", on_vanishing, w, "the ICU loss", g, scale, init)
    if lr is None:
        lr = 1.0 / (lf * smoothness(X_f) + (la + lk) * smoothness(X_a))
    hist = {"remaining_loss": [], "unlearning_loss": [], "active": [],
            "residuals": []}
    reason, k = "max_steps", 0
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below
        while True:
            hist["remaining_loss"].append(_mse(data.X_r, data.y_r, w))
            hist["unlearning_loss"].append(float(np.mean(res)))
            hist["active"].append(int(active.sum()))
            hist["residuals"].append(res)
            if not active.any():
                reason = "active_set_empty"
                break
            if k >= epochs:
                break
            w_next = w - lr * gradient(w, active)
            res_next = residuals(w_next)
            ul = float(np.mean(res_next))
            if not np.isfinite(ul) or ul > _OVERFLOW:  # keep the last finite iterate
                reason = "overflow"
                break
            w, res = w_next, res_next
            k += 1
            leaving = active & (res >= threshold)
            left_at[leaving] = k
            active &= ~leaving
    h = {name: np.array(v) for name, v in hist.items()}
    run = GDRun(w=w, steps=np.arange(len(h["active"])), history=h, n_steps=k,
                stop_reason=reason, lr=float(lr))
    forgotten = res >= threshold
    return _result(w, run, reason, analog=analog, forget_threshold=threshold,
                   n_active=int(active.sum()), left_at=left_at,
                   forgotten_at_end=forgotten,
                   n_relearned=int(np.sum((left_at > 0) & ~forgotten)))


# --------------------------------------------------------------------------
# MinNorm-OG


def _minnorm_og(data, *, numeric, init=None):
    """The exact overparameterised unlearning solution, from ``w_o`` and ``D_r``.

    The minimum-norm interpolator of ``D_r`` (what retraining by gradient
    descent from zero returns, the golden model), computed from the trained
    model without the forgetting data:

    .. math:: w = P_r w_o + X_r^+ (y_r - X_r w_o), \\quad P_r = X_r^+ X_r.

    Since ``X_r^+ X_r w_o = P_r w_o``, this is identically ``X_r^+ y_r`` for
    every ``w_o``: it is the golden model by construction (exact unlearning
    that needs no forgetting data and, in exact arithmetic, not even
    ``w_o``), not an approximation of it. The second term vanishes when
    ``w_o`` interpolates ``D_r`` (then this is the projection, THEORY.md C7).
    It is the reference the other methods are measured against.

    Parameters
    ----------
    data : Dataset
        Labels of shape (n,) or (n, k) (weights (d,) or (d, k)).
    numeric : bool
        ``False``: the formula above. ``True``: gradient descent from 0 on
        ``(X_r, X_r w_o)`` (the projection), then on ``D_r`` from there.
    init : ndarray of shape (d,) or (d, k), optional
        The trained model ``w_o`` to start from (default the pretrained
        model); the result does not depend on it.

    Returns
    -------
    dict
        ``w``, ``run`` (numeric route), ``info``: ``stop_reason``,
        ``uses_forget_data`` (False).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> w = lu.solve(data, "minnorm_og", init=np.ones(12)).w
    >>> bool(np.allclose(w, lu.solve(data, "golden").w))
    True
    """
    w_o = _start(data, numeric, init)
    rows_r = data.rows[1]
    if not numeric:
        w = rows_r.project(w_o.T).T + _pinv(rows_r, data.y_r - data.X_r @ w_o)
        return _result(w, None, "closed_form", uses_forget_data=False)
    zeros = np.zeros(data.w_shape)
    proj = gradient_descent(data.X_r, data.X_r @ w_o, zeros, monitors=_monitors(data))
    run = gradient_descent(data.X_r, data.y_r, proj.w, monitors=_monitors(data))
    return _result(run.w, run, run.stop_reason, uses_forget_data=False)


# --------------------------------------------------------------------------
# registration


_SOLVERS = {"salun": _salun, "deepclean": _deepclean, "ce_ft": _ce,
            "ice_ft": _ice, "kl_ft": _kl, "ga": _ga, "gdiff": _gdiff,
            "ngdiff": _ngdiff, "icu": _icu, "minnorm_og": _minnorm_og}


def describe(name):
    """Return the documentation of an unlearning method.

    Its objective and update rule, where it comes from, and every option
    with its default (the docstring of the function behind
    ``linunlearn.solve(data, name, ...)``).

    Parameters
    ----------
    name : str
        One of :data:`UNLEARNING_METHODS`.

    Returns
    -------
    str

    Examples
    --------
    >>> text = describe("salun")
    >>> print(text.splitlines()[0])
    SalUn: saliency-masked random-label unlearning.
    >>> "ratio : float in (0, 1], default 0.5" in text
    True
    """
    check_option(name, "name", UNLEARNING_METHODS)
    return inspect.cleandoc(_SOLVERS[name].__doc__)


_NUMERIC = ("gtol", "max_steps")
register_method("salun", _salun, options=("saliency", "ratio", "retain_weight",
                                          "steps", "lr", "rng"),
                numeric_options=_NUMERIC)
register_method("deepclean", _deepclean, options=("threshold", "ratio", "eps",
                                                  "steps", "lr"),
                numeric_options=_NUMERIC)
register_method("ce_ft", _ce, options=("alpha", "steps", "lr"), numeric_options=_NUMERIC)
register_method("ice_ft", _ice, options=("alpha", "steps", "lr"), numeric_options=_NUMERIC)
register_method("kl_ft", _kl, options=("alpha", "steps", "lr", "reference"),
                numeric_options=_NUMERIC)
_ASCENT = ("steps", "lr", "target_ul", "init", "on_vanishing")
register_method("ga", _ga, options=_ASCENT, numeric_options=())
register_method("gdiff", _gdiff, options=_ASCENT, numeric_options=())
register_method("ngdiff", _ngdiff, options=("steps", "target_ul", "init",
                                            "on_vanishing"), numeric_options=())
register_method("icu", _icu, options=("epochs", "lr", "forget_weight",
                                      "analog_weight", "kl_weight",
                                      "forget_threshold", "init", "on_vanishing"),
                numeric_options=())
register_method("minnorm_og", _minnorm_og, options=("init",), numeric_options=())
