"""Gradient-based unlearning: GA, GDiff, NGDiff and ICU, in the linear model.

``"ga"``        ascent on ``UL`` (Jang et al., ACL 2023)
``"gdiff"``     descent on ``RL``, ascent on ``UL``
``"ngdiff"``    direction ``g_r/||g_r|| - g_f/||g_f||``, exact step on ``RL`` (Bu et al.,
                arXiv 2410.22086)
``"icu"``       ascent on the active part of ``D_f`` + analog loss + KL to ``w_o``
                (Tang et al., arXiv 2407.20271)

At an interpolating pretrained model every gradient on ``D_r`` and ``D_f``
vanishes, so these methods return their start with stop reason
``"vanishing_gradient"`` (or raise, with ``on_vanishing="raise"``).
"""

import numpy as np

from .._validation import check_float, check_int, check_option
from ..solutions import register_method
from ._shared import (OVERFLOW, MAX_WEIGHT, GDRun, check_lr, check_steps, check_target,
                      doc_from, grad, grad_scale, gradient_descent_steps, result, row_sq,
                      smoothness, squared_loss, start_model, vanishes, vanishing)


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
            if not np.isfinite(ul) or ul > OVERFLOW:  # back to the last finite iterate
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
    steps = check_steps(steps, allow_none=False)
    lr, target = check_lr(lr), check_target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    return steps, lr, target, start_model(data, numeric, init)


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


@register_method("ga", label="GA", color="#332288", marker="<")
@doc_from("""Gradient ascent on the forgetting loss (the standard baseline).

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


@register_method("gdiff", label="GDiff", color="#44AA99", marker=">")
@doc_from("""Gradient difference: descent on the remaining loss, ascent on the forgetting loss.

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
    g = retain * grad(data.X_r, data.y_r, w0) - grad(data.X_f, data.y_f, w0)
    scale = retain * grad_scale(data.X_r, data.y_r) + grad_scale(data.X_f, data.y_f)
    if vanishes(g, scale):
        return vanishing(method, on_vanishing, w0, "RL - UL" if retain else "UL",
                          g, scale, init)
    if lr is None:
        lr = 1.0 / (retain * smoothness(data.X_r) + smoothness(data.X_f))
    if numeric:
        return _weight_space_run(data, w0, steps, lr, target, retain)
    w, k, reason, hist = _dual_signed(data, w0, lr, steps, target, retain)
    if not retain:  # GA: the k-step formula, ascending
        w = gradient_descent_steps(data.X_f, data.y_f, w0, k, lr=lr, ascent=True)
    return result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


def _history_run(w, hist, k, reason, lr):
    h = {name: np.array(v) for name, v in hist.items()}
    steps = np.arange(len(h["unlearning_loss"]))
    return GDRun(w=w, steps=steps, history=h, n_steps=k, stop_reason=reason,
                 lr=float(lr))


def _iterate(data, w, steps, target, step):
    """Iterate ``w <- step(w)`` under the ascent methods' stop rules.

    ``step`` returns the next iterate, or a stop reason (a string). The run
    stops after ``steps`` updates, once ``UL >= target``, or before ``UL``
    exceeds ``OVERFLOW`` (keeping the last iterate below it: no inf, no
    NaN). Returns ``(w, n_steps, stop_reason, history)``, the history holding
    RL and UL at every iterate.
    """
    hist = {"remaining_loss": [], "unlearning_loss": []}
    reason, k, prev = "max_steps", 0, w
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below
        while True:
            ul = float(squared_loss(data.X_f, data.y_f, w))
            if not np.isfinite(ul) or ul > OVERFLOW:  # back to the last finite iterate
                reason, w, k = "overflow", prev, max(k - 1, 0)
                break
            hist["remaining_loss"].append(float(squared_loss(data.X_r, data.y_r, w)))
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
        g = -grad(data.X_f, data.y_f, w)
        if retain:
            g = g + retain * grad(data.X_r, data.y_r, w)
        return w - lr * g

    w, k, reason, hist = _iterate(data, w0.copy(), steps, target, step)
    return result(w, _history_run(w, hist, k, reason, lr), reason, lr=lr)


# --------------------------------------------------------------------------
# NGDiff


@register_method("ngdiff", label="NGDiff", color="#DDCC77", marker="h")
def _ngdiff(data, *, numeric, steps=100, target_ul=None, init=None,
            on_vanishing="report"):
    """NGDiff: normalised gradient difference with an exact adaptive step.

    Direction ``D = g_r / ||g_r|| - g_f / ||g_f||`` (``g_r = grad RL``,
    ``g_f = grad UL``; Frobenius norms with several outputs), update
    ``w <- w - eta D``. NGDiff sets ``eta`` with the GeN rule (Bu & Xu,
    arXiv:2407.02772), ``eta = g^T D / (D^T H D)``, the minimiser of the
    second-order expansion of a loss along ``-D``; on a quadratic it is exact.
    Here it is applied to ``RL`` (this toolkit's choice), so each step is an
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
    steps, target = check_steps(steps, allow_none=False), check_target(target_ul)
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    w = start_model(data, numeric, init)
    scale_r = grad_scale(data.X_r, data.y_r)
    scale_f = grad_scale(data.X_f, data.y_f)
    g_r, g_f = grad(data.X_r, data.y_r, w), grad(data.X_f, data.y_f, w)
    van_r, van_f = vanishes(g_r, scale_r), vanishes(g_f, scale_f)
    started = steps > 0 and (target is None or float(squared_loss(data.X_f, data.y_f, w)) < target)
    if started and (van_r or van_f):
        which, g, scale = ("RL", g_r, scale_r) if van_r else ("UL", g_f, scale_f)
        other = ("" if van_r and van_f else
                 f"; the gradient of {'UL' if van_r else 'RL'} has norm "
                 f"{np.linalg.norm(g_f if van_r else g_r):.3g}, but "
                 f"NGDiff normalises both, so its direction is 0/0")
        return vanishing("ngdiff", on_vanishing, w, which, g, scale, init, other)
    etas = [0.0]  # the step that produced each iterate (0 for the start)

    def step(w):
        g_r, g_f = grad(data.X_r, data.y_r, w), grad(data.X_f, data.y_f, w)
        if vanishes(g_r, scale_r) or vanishes(g_f, scale_f):
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
    return result(w, run, reason, **({"note": notes[reason]} if reason in notes else {}))


# --------------------------------------------------------------------------
# ICU


@register_method("icu", label="ICU", color="#AA4499", marker="*")
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
        ``lambda_f``, ``lambda_a``, ``lambda_k`` (this toolkit's defaults);
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
    lr = check_lr(lr)
    lf, la, lk = (check_float(v, name, minimum=0.0, maximum=MAX_WEIGHT)
                  for v, name in ((forget_weight, "forget_weight"),
                                  (analog_weight, "analog_weight"),
                                  (kl_weight, "kl_weight")))
    if lf == la == lk == 0.0:
        raise ValueError("forget_weight, analog_weight and kl_weight are all "
                         "zero: ICU has no loss")
    check_option(on_vanishing, "on_vanishing", ("report", "raise"))
    X_f, y_f = data.X_f, data.y_f
    threshold = (float(np.mean(row_sq(y_f))) if forget_threshold is None else
                 check_float(forget_threshold, "forget_threshold", minimum=0.0,
                             strict=True))
    w_o = start_model(data, numeric, None)
    w = w_o if init is None else start_model(data, numeric, init)
    # nearest remaining sample to each forgetting sample, by ||a - b||^2
    sq = (np.sum(X_f ** 2, 1)[:, None] - 2 * X_f @ data.X_r.T
          + np.sum(data.X_r ** 2, 1)[None, :])
    analog = np.argmin(sq, axis=1)
    X_a, y_a = data.X_r[analog], data.y_r[analog]
    p_o = X_a @ w_o

    def gradient(w, active):
        g = la * grad(X_a, y_a, w) + lk * grad(X_a, p_o, w)
        if active.any():
            g = g - lf * grad(X_f[active], y_f[active], w)
        return g

    def residuals(w):
        return row_sq(X_f @ w - y_f)

    res = residuals(w)
    active = res < threshold
    left_at = np.where(active, -1, 0)  # epoch each sample left A; -1: still active
    g = gradient(w, active)
    scale = (lf * grad_scale(X_f, y_f) + la * grad_scale(X_a, y_a)
             + lk * grad_scale(X_a, p_o))
    if active.any() and vanishes(g, scale):
        return vanishing("icu", on_vanishing, w, "the ICU loss", g, scale, init)
    if lr is None:
        lr = 1.0 / (lf * smoothness(X_f) + (la + lk) * smoothness(X_a))
    hist = {"remaining_loss": [], "unlearning_loss": [], "active": [],
            "residuals": []}
    reason, k = "max_steps", 0
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below
        while True:
            hist["remaining_loss"].append(float(squared_loss(data.X_r, data.y_r, w)))
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
            if not np.isfinite(ul) or ul > OVERFLOW:  # keep the last finite iterate
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
    return result(w, run, reason, analog=analog, forget_threshold=threshold,
                   n_active=int(active.sum()), left_at=left_at,
                   forgotten_at_end=forgotten,
                   n_relearned=int(np.sum((left_at > 0) & ~forgotten)))
