"""The unlearning methods of the literature, in the linear model (issue 5).

Importing this module registers every method with
:func:`linunlearn.solutions.register_method`, so that
``linunlearn.solve(data, NAME, ...)`` computes it.

================  ==========================================================  ==================
method            objective / update, from the model ``w_start``              closed form
================  ==========================================================  ==================
``"salun"``       mask = top ``ratio`` of a forgetting saliency; GD on the     k-step and limit
                  random-label loss on ``D_f`` plus ``RL``, only masked
                  weights moving (Fan et al., ICLR 2024)
``"deepclean"``   Fisher ratio ``F_f / (F_r + eps)``; the selected weights      k-step and limit
                  are zeroed and only they are fine-tuned on ``D_r``
``"ce_ft"``       GD on ``RL + alpha * WL`` (version 1 of the paper)           k-step and limit
``"ice_ft"``      GD on ``alpha * RL + WL``                                     k-step and limit
``"kl_ft"``       GD on ``RL + alpha * (1/n_f) ||X_f (w - w_ref)||^2``          k-step and limit
``"ga"``          ascent on ``UL``                                             k-step
``"gdiff"``       descent on ``RL``, ascent on ``UL``                          k-step (dual space)
``"ngdiff"``      direction ``g_r/||g_r|| - g_f/||g_f||``, exact step on RL    none (iteration)
``"icu"``         ascent on active ``D_f`` + analog loss + KL to ``w_o``       none (iteration)
``"minnorm_og"``  minimum-norm interpolator of ``D_r`` from ``w_o`` and D_r    ``P_r w_o + X_r^+ (y_r - X_r w_o)``
================  ==========================================================  ==================

``RL(w) = (1/n_r) ||X_r w - y_r||^2``, ``UL(w) = (1/n_f) ||X_f w - y_f||^2``
and the wrong-label loss ``WL(w) = (1/n_f) ||X_f w + y_f||^2`` (labels
negated, the regression form of version 1's discriminative term, as in
:func:`linunlearn.claims.discriminative_finetune`).

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
``"vanishing_gradient"`` and an explanation in ``info["note"]``, or raise a
``ValueError`` with ``on_vanishing="raise"``; they never return NaN.

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
"""

import numpy as np

from . import masks
from ._validation import as_array, check_float, check_int, check_option
from .simulate import GDRun, gradient_descent, gradient_descent_steps, smoothness
from .solutions import register_method

__all__ = ["UNLEARNING_METHODS", "REGULARISED_METHODS", "VANISHING_RTOL",
           "STOP_REASONS", "SALUN_SALIENCIES"]

#: Methods this module registers, in table order.
UNLEARNING_METHODS = ("salun", "deepclean", "ce_ft", "ice_ft", "kl_ft", "ga",
                      "gdiff", "ngdiff", "icu", "minnorm_og")

#: The discriminative-regularisation variants of version 1 of the paper.
REGULARISED_METHODS = ("ce_ft", "ice_ft", "kl_ft")

#: A gradient vanishes when its norm is below this fraction of its scale, the
#: norm of the same gradient at ``w = 0``. The closed-form pretrained model
#: leaves gradients near 1e-14 of that scale, a gradient-descent run stopped
#: at ``gtol = 1e-12`` near 1e-12; a model that does not interpolate has
#: gradients of order one.
VANISHING_RTOL = 1e-8

#: Every stop reason a method reports.
STOP_REASONS = ("converged", "max_steps", "vanishing_gradient", "target_reached",
                "all_forgotten", "no_descent", "overflow", "closed_form")

#: Saliencies SalUn's mask can be built from.
SALUN_SALIENCIES = ("random_label", "fisher", "forget_gradient")

_VANISHING_NOTE = (
    "the starting model interpolates the data, so every gradient of this "
    "method's loss is zero (THEORY.md C2: the pretrained model interpolates "
    "D_r + D_f) and the method returns it unchanged; to make it move, start "
    "from a model that does not interpolate (init=..., e.g. an early-stopped "
    "or ridge pretrained model), or use a method that needs no gradient at "
    "the pretrained model (projection, rbm, minnorm_og)")


# --------------------------------------------------------------------------
# shared pieces


def _check_data(data, method):
    if data.y_r.ndim != 1:
        raise ValueError(f"method {method!r} supports 1-D labels only, got y_r "
                         f"of shape {data.y_r.shape}")


def _start(data, numeric, init):
    """Return the starting model: ``init``, or the pretrained model."""
    if init is not None:
        w = as_array(init, "init", ndim=1)
        if w.shape != (data.d,):
            raise ValueError(f"init must have shape ({data.d},), got {w.shape}")
        return w.copy()
    if numeric:
        return gradient_descent(data.X, data.y, np.zeros(data.d)).w
    return data.rows[0].pinv(data.y)


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
    r = X @ w - y
    return float(r @ r) / len(y)


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
    Numeric: :func:`gradient_descent`. Returns ``(w, run, stop_reason)``.
    """
    d = Z.shape[1]
    m = np.ones(d, bool) if mask is None else mask
    if lr is None:
        L = smoothness(Z, m)
        lr = 1.0 / L if L > 0 else 1.0
    if numeric:
        run = gradient_descent(Z, t, w0, lr=lr, mask=m, monitors=_monitors(data),
                               max_steps=max_steps if steps is None else steps,
                               gtol=gtol if steps is None else 0.0)
        return run.w, run, run.stop_reason
    if steps is None:
        w = w0.copy()
        if m.any():
            delta = np.linalg.lstsq(Z[:, m], t - Z @ w0, rcond=None)[0]
            w[m] += delta
        return w, None, "closed_form"
    L = smoothness(Z, m)
    if L > 0 and lr >= 2.0 / L:
        raise ValueError(f"lr={lr:g} makes gradient descent diverge on this "
                         f"data: it must be below 2/L = {2.0 / L:g}")
    Zm = Z * m
    target = t - Z[:, ~m] @ w0[~m]
    return gradient_descent_steps(Zm, target, w0, steps, lr=lr), None, "closed_form"


def _result(w, run, stop_reason, **info):
    return {"w": w, "run": run, "info": {"stop_reason": stop_reason, **info}}


def _vanishing(method, on_vanishing, w0, which):
    if on_vanishing == "raise":
        raise ValueError(f"method {method!r}: the gradient of {which} vanishes at "
                         f"the starting model; {_VANISHING_NOTE}")
    run = GDRun(w=w0, steps=np.array([0]), history={}, n_steps=0,
                stop_reason="vanishing_gradient", lr=0.0)
    return _result(w0, run, "vanishing_gradient", note=f"gradient of {which} "
                   f"vanishes: {_VANISHING_NOTE}")


def _target(target_ul):
    return None if target_ul is None else check_float(
        target_ul, "target_ul", minimum=0.0, strict=True)


# --------------------------------------------------------------------------
# SalUn


def _salun(data, *, numeric, saliency="random_label", ratio=0.5,
           retain_weight=1.0, steps=None, lr=None, rng=None, gtol=1e-12,
           max_steps=200_000):
    """SalUn: saliency-masked random-label unlearning (Fan et al., ICLR 2024).

    Objective, from the pretrained model ``w_o``, only the salient weights
    moving (the others held at ``w_o``):

    .. math:: \\frac{1}{n_f} \\|X_f w - \\tilde y_f\\|^2
              + \\beta \\frac{1}{n_r} \\|X_r w - y_r\\|^2,

    ``tilde y_f`` a random permutation of ``y_f`` (the regression analogue of
    relabelling each forgetting sample with a random class; drawn from
    ``rng``), ``beta = retain_weight``.

    Saliency (the mask is the top ``ratio`` of the scores, restricted to
    features with a positive score so that ties at zero are not salient):

    - ``"forget_gradient"``: the original, ``|grad UL(w_o)|``. It is exactly
      zero at an interpolating model; then a ``ValueError`` says so.
    - ``"random_label"`` (default): ``|grad|`` of the random-label loss at
      ``w_o``, ``(2/n_f) |X_f^T (y_f - tilde y_f)|``, the loss SalUn minimises.
    - ``"fisher"``: the Fisher diagonal of ``D_f``.

    ``steps=None`` runs to convergence; ``lr`` defaults to ``1/L`` of the
    objective on the mask.
    """
    _check_data(data, "salun")
    check_option(saliency, "saliency", SALUN_SALIENCIES)
    retain_weight = check_float(retain_weight, "retain_weight", minimum=0.0)
    steps, lr = _steps(steps), _lr(lr)
    gen = np.random.default_rng(rng)
    y_rand = gen.permutation(data.y_f)
    w0 = _start(data, numeric, None)
    if saliency == "forget_gradient":
        g = _grad(data.X_f, data.y_f, w0)
        if _vanishes(g, _grad_scale(data.X_f, data.y_f)):
            raise ValueError(
                "saliency='forget_gradient' (SalUn's original) is the gradient of "
                "the forgetting loss at the trained model, which is zero here "
                f"(norm {np.linalg.norm(g):.3g}: the model interpolates D_f); "
                "use saliency='random_label' or 'fisher'")
        scores = np.abs(g)
    elif saliency == "random_label":
        scores = np.abs(_grad(data.X_f, y_rand, w0))
    else:
        scores = masks.saliency(data.X_f)
    mask = masks.select(scores, ratio=ratio) & masks.select(scores)
    Z, t = _stacked([(1.0, data.X_f, y_rand), (retain_weight, data.X_r, data.y_r)])
    w, run, reason = _quadratic(data, Z, t, w0, steps=steps, lr=lr, mask=mask,
                                numeric=numeric, gtol=gtol, max_steps=max_steps)
    out = _result(w, run, reason, saliency=saliency, ratio=ratio,
                  random_labels=y_rand)
    out.update(mask=mask, semantics="freeze")
    return out


# --------------------------------------------------------------------------
# DeepClean


def _deepclean(data, *, numeric, threshold=None, ratio=None, eps=1e-8,
               steps=None, lr=None, gtol=1e-12, max_steps=200_000):
    """DeepClean analogue: Fisher-ratio selection, reset and fine-tune the selection.

    Scores ``s_j = F_j(D_f) / (F_j(D_r) + eps)`` with the Fisher diagonal
    ``F_j(D) = (1/n) sum_i x_ij^2`` (Gaussian likelihood, unit noise). The
    selected weights (``s_j > threshold``, default 1: features the forgetting
    set uses more than the remaining set; or the top ``ratio``) are set to
    zero, then only they are fine-tuned on ``D_r`` (gradient descent on
    ``RL``), the others frozen at ``w_o``:

    .. math:: w = w_0 + X_{r,m}^+ (y_r - X_r w_0), \\quad w_0 = (1 - m) \\odot w_o.

    When the remaining data barely use the selected features this problem is
    overdetermined and the limit is its least-squares solution (the model
    then does not interpolate ``D_r``).
    """
    _check_data(data, "deepclean")
    eps = check_float(eps, "eps", minimum=0.0, strict=True)
    steps, lr = _steps(steps), _lr(lr)
    if threshold is not None and ratio is not None:
        raise ValueError("give either threshold or ratio, not both")
    scores = masks.saliency(data.X_f) / (masks.saliency(data.X_r) + eps)
    if ratio is not None:
        mask = masks.select(scores, ratio=ratio)
    else:
        threshold = 1.0 if threshold is None else check_float(
            threshold, "threshold", minimum=0.0)
        mask = scores > threshold
    w_o = _start(data, numeric, None)
    w0 = np.where(mask, 0.0, w_o)
    w, run, reason = _quadratic(data, data.X_r, data.y_r, w0, steps=steps, lr=lr,
                                mask=mask, numeric=numeric, gtol=gtol,
                                max_steps=max_steps)
    out = _result(w, run, reason, threshold=threshold, ratio=ratio,
                  n_selected=int(mask.sum()))
    out.update(mask=mask, semantics="freeze")
    return out


# --------------------------------------------------------------------------
# version 1's discriminative regularisation


def _regularised(name):
    def solver(data, *, numeric, alpha=0.5, steps=None, lr=None, reference="zero",
               gtol=1e-12, max_steps=200_000):
        _check_data(data, name)
        lo_strict = name == "ice_ft"
        alpha = check_float(alpha, "alpha", minimum=0.0, maximum=1.0,
                            strict=lo_strict)
        steps, lr = _steps(steps), _lr(lr)
        w_o = _start(data, numeric, None)
        wrong = -data.y_f
        info = {"alpha": alpha}
        if name == "kl_ft":
            if isinstance(reference, str):
                check_option(reference, "reference", ("zero",))
                w_ref = np.zeros(data.d)
            else:
                w_ref = as_array(reference, "reference", ndim=1)
                if w_ref.shape != (data.d,):
                    raise ValueError(f"reference must have shape ({data.d},), "
                                     f"got {w_ref.shape}")
            info["reference"] = "zero" if isinstance(reference, str) else "array"
            terms = [(1.0, data.X_r, data.y_r), (alpha, data.X_f, data.X_f @ w_ref)]
        elif name == "ce_ft":
            terms = [(1.0, data.X_r, data.y_r), (alpha, data.X_f, wrong)]
        else:
            terms = [(alpha, data.X_r, data.y_r), (1.0, data.X_f, wrong)]
        if lr is None:
            # one step size for every alpha: 1/L of the objective at alpha = 1
            Z1, _ = _stacked([(1.0, data.X_r, data.y_r), (1.0, data.X_f, wrong)])
            lr = 1.0 / smoothness(Z1)
        Z, t = _stacked(terms)
        w, run, reason = _quadratic(data, Z, t, w_o, steps=steps, lr=lr,
                                    numeric=numeric, gtol=gtol, max_steps=max_steps)
        return _result(w, run, reason, lr=lr, steps=steps, **info)
    return solver


_REG_DOC = """Version 1's discriminative regularisation, {title}.

    Gradient descent from the pretrained model ``w_o`` on

    .. math:: {objective}

    {extra}``steps`` gradient steps (``None``: to convergence, the limit
    ``w_o + Z^+ (t - Z w_o)`` of the stacked problem), step size ``lr``
    (default ``1/L`` of the objective at ``alpha = 1``, so that runs with
    different weights share one step size). At convergence in the
    interpolating regime (``n_r + n_f`` below the rank of the used features)
    the limit interpolates both terms, whatever ``alpha > 0``: the weight
    only matters for finite ``steps``.
    """
_ce = _regularised("ce_ft")
_ce.__doc__ = _REG_DOC.format(
    title="CE-FT (the weight on the forgetting term)",
    objective="RL(w) + \\\\alpha \\\\frac{1}{n_f} \\\\|X_f w + y_f\\\\|^2, "
              "\\\\quad \\\\alpha \\\\in [0, 1]",
    extra="The forgetting set with negated (wrong) labels, as in "
          "``claims.discriminative_finetune``; ``alpha = 0`` is fine-tuning. ")
_ice = _regularised("ice_ft")
_ice.__doc__ = _REG_DOC.format(
    title="ICE-FT (the weight moved to the remaining term)",
    objective="\\\\alpha RL(w) + \\\\frac{1}{n_f} \\\\|X_f w + y_f\\\\|^2, "
              "\\\\quad \\\\alpha \\\\in (0, 1]",
    extra="``alpha = 1`` is CE-FT with ``alpha = 1``. ")
_kl = _regularised("kl_ft")
_kl.__doc__ = _REG_DOC.format(
    title="KL-FT (a divergence to a reference model)",
    objective="RL(w) + \\\\alpha \\\\frac{1}{n_f} \\\\|X_f (w - w_{{ref}})\\\\|^2, "
              "\\\\quad \\\\alpha \\\\in [0, 1]",
    extra="The second term is twice the mean Gaussian KL divergence "
          "``KL(N(x^T w_ref, 1/2) || N(x^T w, 1/2))`` over ``D_f``. The "
          "reference (``reference``) is by default the uninformed zero model "
          "(it predicts the labels' prior mean 0 and knows nothing of "
          "``D_f``), or a given weight vector. ")


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
    c = np.concatenate([np.full(n_r, 2.0 * retain / n_r), np.full(n_f, -2.0 / n_f)])
    r = Z @ w0 - np.concatenate([data.y_r, data.y_f])
    acc = prev = np.zeros_like(r)
    hist = {"remaining_loss": [], "unlearning_loss": []}
    reason, k = "max_steps", 0
    while True:
        ul = float(r[n_r:] @ r[n_r:]) / n_f
        if not np.isfinite(ul) or ul > _OVERFLOW:  # back to the last finite iterate
            reason, acc, k = "overflow", prev, max(k - 1, 0)
            break
        hist["remaining_loss"].append(float(r[:n_r] @ r[:n_r]) / n_r)
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


#: Ascent stops before the unlearning loss exceeds this (no inf, no NaN).
_OVERFLOW = 1e100


def _ascent_common(data, method, numeric, steps, lr, target_ul, init, on_vanishing):
    _check_data(data, method)
    steps = _steps(steps, allow_none=False)
    lr, target = _lr(lr), _target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    return steps, lr, target, _start(data, numeric, init)


def _ga(data, *, numeric, steps=10, lr=None, target_ul=None, init=None,
        on_vanishing="report"):
    """Gradient ascent on the forgetting loss (the standard baseline).

    Update ``w <- w + lr * grad UL(w)`` from the pretrained model (or
    ``init``). Maximising a squared loss is unbounded, so the run stops at a
    budget of ``steps`` updates (default 10) or as soon as ``UL >= target_ul``
    (e.g. the golden model's expected unlearning loss), whichever comes first,
    and before the loss overflows. ``lr`` defaults to ``1/L_f``,
    ``L_f = 2 ||X_f||^2 / n_f``. Closed form: :func:`gradient_descent_steps`
    with step ``-lr`` (the ascent iterate is the descent formula with a
    negative step), the stopping step found from the exact residuals.
    """
    steps, lr, target, w0 = _ascent_common(data, "ga", numeric, steps, lr,
                                           target_ul, init, on_vanishing)
    if _vanishes(_grad(data.X_f, data.y_f, w0), _grad_scale(data.X_f, data.y_f)):
        return _vanishing("ga", on_vanishing, w0, "UL")
    if lr is None:
        lr = 1.0 / smoothness(data.X_f)
    if numeric:
        return _weight_space_run(data, w0, steps, lr, target, retain=0.0)
    _, k, reason, hist = _dual_signed(data, w0, lr, steps, target, 0.0)
    w = gradient_descent_steps(data.X_f, data.y_f, w0, k, lr=-lr)
    return _result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


def _gdiff(data, *, numeric, steps=10, lr=None, target_ul=None, init=None,
           on_vanishing="report"):
    """Gradient difference: descent on ``RL``, ascent on ``UL``.

    Update ``w <- w - lr (grad RL(w) - grad UL(w))`` from the pretrained
    model (or ``init``), the objective ``RL - UL`` being unbounded below: stop
    rule as for ``"ga"`` (``steps``, default 10, and ``target_ul``). ``lr``
    defaults to ``1 / (L_r + L_f)``. Closed form: the exact iteration in the
    (n_r + n_f)-dimensional dual space (the Hessian ``H_r - H_f`` is
    indefinite, so :func:`gradient_descent_steps` does not apply).
    """
    steps, lr, target, w0 = _ascent_common(data, "gdiff", numeric, steps, lr,
                                           target_ul, init, on_vanishing)
    g = _grad(data.X_r, data.y_r, w0) - _grad(data.X_f, data.y_f, w0)
    if _vanishes(g, _grad_scale(data.X_r, data.y_r) + _grad_scale(data.X_f, data.y_f)):
        return _vanishing("gdiff", on_vanishing, w0, "RL - UL")
    if lr is None:
        lr = 1.0 / (smoothness(data.X_r) + smoothness(data.X_f))
    if numeric:
        return _weight_space_run(data, w0, steps, lr, target, retain=1.0)
    w, k, reason, hist = _dual_signed(data, w0, lr, steps, target, 1.0)
    return _result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


def _history_run(w, hist, k, reason, lr):
    h = {name: np.array(v) for name, v in hist.items()}
    steps = np.arange(len(h["unlearning_loss"]))
    return GDRun(w=w, steps=steps, history=h, n_steps=k, stop_reason=reason,
                 lr=float(lr))


def _weight_space_run(data, w0, steps, lr, target, retain):
    """``w <- w - lr (retain * grad RL - grad UL)``, run in weight space."""
    w = w0.copy()
    hist = {"remaining_loss": [], "unlearning_loss": []}
    reason, k = "max_steps", 0
    prev = w
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
        g = -_grad(data.X_f, data.y_f, w)
        if retain:
            g = g + retain * _grad(data.X_r, data.y_r, w)
        prev, w = w, w - lr * g
        k += 1
    return _result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


# --------------------------------------------------------------------------
# NGDiff


def _ngdiff(data, *, numeric, steps=100, target_ul=None, init=None,
            on_vanishing="report"):
    """NGDiff: normalised gradient difference with the exact adaptive step.

    Direction ``d = g_r / ||g_r|| - g_f / ||g_f||`` (``g_r = grad RL``,
    ``g_f = grad UL``), update ``w <- w - eta d`` with the step of NGDiff's
    adaptive scheduler, which on a quadratic is exact: the minimiser of
    ``RL`` along ``-d``,

    .. math:: \\eta = \\frac{g_r^T d}{d^T H_r d}, \\quad
              d^T H_r d = \\frac{2}{n_r} \\|X_r d\\|^2.

    Stops after ``steps`` updates (default 100), when ``UL >= target_ul``,
    when ``eta`` is not positive or ``d^T H_r d = 0`` (``"no_descent"``), or
    when either gradient vanishes (``"vanishing_gradient"``: the direction is
    0/0). At an interpolating model both vanish at the start. No closed
    form: both routes run the iteration (from the closed-form or the
    gradient-descent pretrained model).
    """
    _check_data(data, "ngdiff")
    steps, target = _steps(steps, allow_none=False), _target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    w = _start(data, numeric, init)
    scale_r = _grad_scale(data.X_r, data.y_r)
    scale_f = _grad_scale(data.X_f, data.y_f)
    hist = {"remaining_loss": [], "unlearning_loss": [], "step_size": []}
    reason, k, eta = "max_steps", 0, 0.0
    while True:
        ul = _mse(data.X_f, data.y_f, w)
        hist["remaining_loss"].append(_mse(data.X_r, data.y_r, w))
        hist["unlearning_loss"].append(ul)
        hist["step_size"].append(eta)
        if target is not None and ul >= target:
            reason = "target_reached"
            break
        if k >= steps:
            break
        g_r, g_f = _grad(data.X_r, data.y_r, w), _grad(data.X_f, data.y_f, w)
        if _vanishes(g_r, scale_r) or _vanishes(g_f, scale_f):
            if k == 0:
                return _vanishing("ngdiff", on_vanishing, w,
                                  "RL" if _vanishes(g_r, scale_r) else "UL")
            reason = "vanishing_gradient"
            break
        direction = g_r / np.linalg.norm(g_r) - g_f / np.linalg.norm(g_f)
        curvature = (2.0 / data.n_r) * float(np.sum((data.X_r @ direction) ** 2))
        slope = float(g_r @ direction)
        if not curvature > 0 or not slope > 0:
            reason = "no_descent"
            break
        eta = slope / curvature
        w = w - eta * direction
        k += 1
    h = {name: np.array(v) for name, v in hist.items()}
    run = GDRun(w=w, steps=np.arange(len(h["unlearning_loss"])), history=h,
                n_steps=k, stop_reason=reason, lr=float(eta))
    notes = {"vanishing_gradient": f"a gradient vanished after {k} steps (the "
                                   f"model interpolates D_r or D_f again)",
             "no_descent": "the direction is not a descent direction of RL"}
    return _result(w, run, reason, **({"note": notes[reason]} if reason in notes else {}))


# --------------------------------------------------------------------------
# ICU


def _icu(data, *, numeric, epochs=100, lr=None, forget_weight=1.0,
         analog_weight=0.5, kl_weight=1.0, forget_threshold=None, init=None,
         on_vanishing="report"):
    """ICU: iterative contrastive unlearning in regression form.

    The analog set ``D_a`` holds, for each forgetting sample, the nearest
    remaining sample (Euclidean distance of the features). Each epoch is one
    gradient step on

    .. math:: -\\lambda_f \\frac{1}{|A|} \\sum_{i \\in A} (x_i^T w - y_i)^2
              + \\lambda_a \\frac{1}{n_f} \\|X_a w - y_a\\|^2
              + \\lambda_k \\frac{1}{n_f} \\|X_a (w - w_o)\\|^2,

    ``A`` the active forgetting samples, weights ``forget_weight = 1``,
    ``analog_weight = 0.5``, ``kl_weight = 1`` (the last term is twice the
    Gaussian KL between the predictions of ``w_o`` and ``w`` on the analog
    set). After each epoch a sample leaves ``A`` once its squared residual
    reaches ``forget_threshold`` (default: the mean squared forgetting label,
    the loss of the uninformed zero model). Stops when ``A`` is empty
    (``"all_forgotten"``) or after ``epochs``. ``lr`` defaults to
    ``1 / (lambda_f L_f + (lambda_a + lambda_k) L_a)``.

    A sample that has left ``A`` is no longer pushed away, so later epochs
    (the analog and KL terms) may lower its residual again; ``info["left_at"]``
    records the epoch at which each sample left (``-1``: still active).
    """
    _check_data(data, "icu")
    epochs = check_int(epochs, "epochs", minimum=0)
    lr = _lr(lr)
    lf = check_float(forget_weight, "forget_weight", minimum=0.0)
    la = check_float(analog_weight, "analog_weight", minimum=0.0)
    lk = check_float(kl_weight, "kl_weight", minimum=0.0)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    X_f, y_f = data.X_f, data.y_f
    threshold = (float(np.mean(y_f ** 2)) if forget_threshold is None else
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

    active = (X_f @ w - y_f) ** 2 < threshold
    left_at = np.where(active, -1, 0)  # epoch each sample left A; -1: still active
    g = gradient(w, active)
    scale = (lf * _grad_scale(X_f, y_f) + la * _grad_scale(X_a, y_a)
             + lk * _grad_scale(X_a, p_o))
    if active.any() and _vanishes(g, scale):
        return _vanishing("icu", on_vanishing, w, "the ICU loss")
    if lr is None:
        lr = 1.0 / (lf * smoothness(X_f) + (la + lk) * smoothness(X_a))
    hist = {"remaining_loss": [], "unlearning_loss": [], "active": []}
    reason, k = "max_steps", 0
    while True:
        hist["remaining_loss"].append(_mse(data.X_r, data.y_r, w))
        hist["unlearning_loss"].append(_mse(X_f, y_f, w))
        hist["active"].append(int(active.sum()))
        if not active.any():
            reason = "all_forgotten"
            break
        if k >= epochs:
            break
        w = w - lr * gradient(w, active)
        k += 1
        leaving = active & ((X_f @ w - y_f) ** 2 >= threshold)
        left_at[leaving] = k
        active &= ~leaving
    h = {name: np.array(v) for name, v in hist.items()}
    run = GDRun(w=w, steps=np.arange(len(h["active"])), history=h, n_steps=k,
                stop_reason=reason, lr=float(lr))
    return _result(w, run, reason, analog=analog, forget_threshold=threshold,
                   n_active=int(active.sum()), left_at=left_at)


# --------------------------------------------------------------------------
# MinNorm-OG


def _minnorm_og(data, *, numeric):
    """The exact overparameterised unlearning solution, from ``w_o`` and ``D_r``.

    The minimum-norm interpolator of ``D_r`` (what retraining by gradient
    descent from zero returns, the golden model), computed from the trained
    model without the forgetting data:

    .. math:: w = P_r w_o + X_r^+ (y_r - X_r w_o), \\quad P_r = X_r^+ X_r.

    The second term vanishes when ``w_o`` interpolates ``D_r`` (then this is
    the projection, THEORY.md C7). Numeric route: gradient descent from 0 on
    ``(X_r, X_r w_o)`` (the projection) then on ``D_r`` from there.
    """
    _check_data(data, "minnorm_og")
    w_o = _start(data, numeric, None)
    rows_r = data.rows[1]
    if not numeric:
        w = rows_r.project(w_o) + rows_r.pinv(data.y_r - data.X_r @ w_o)
        return _result(w, None, "closed_form", uses_forget_data=False)
    zeros = np.zeros(data.d)
    proj = gradient_descent(data.X_r, data.X_r @ w_o, zeros, monitors=_monitors(data))
    run = gradient_descent(data.X_r, data.y_r, proj.w, monitors=_monitors(data))
    return _result(run.w, run, run.stop_reason, uses_forget_data=False)


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
register_method("minnorm_og", _minnorm_og, options=(), numeric_options=())
