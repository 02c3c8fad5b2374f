"""Pieces every unlearning method shares: starting model, stacked objectives, gradients.

VANISHING_RTOL      when a gradient counts as vanished (relative to its scale)
STOP_REASONS        every stop reason a method reports
OVERFLOW            ascent stops before the unlearning loss exceeds this
MAX_WEIGHT          the largest weight of one loss term
start_model         ``init``, or the pretrained model of the chosen route
stacked             one least-squares problem from weighted loss terms
quadratic           gradient descent on it (k-step closed form, limit, or a run)
check_conditioning  warn, naming the method, when its least-squares system is
                    ill-conditioned
grad, grad_scale    the gradient of a mean squared loss, and its scale at zero
vanishes            whether a gradient is below ``VANISHING_RTOL`` of its scale
vanishing           return the start with stop reason ``"vanishing_gradient"``, or raise
result              the dict a solver returns to :func:`linunlearn.solve`
doc_from            a docstring assembled from shared sections
"""

import numpy as np

from ..metrics import squared_loss  # noqa: F401  (re-exported for the methods)
from ..simulate import GDRun, gradient_descent, gradient_descent_steps, smoothness
from .._linalg import RCOND_MIN
from .._validation import IllConditionedWarning, check_float, check_int, warn

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

#: Ascent stops before the unlearning loss exceeds this (no inf, no NaN).
OVERFLOW = 1e100

#: Largest weight of one loss term (SalUn's ``retain_weight``, ICU's weights):
#: near ``1/eps = 4.5e15`` a term of weight one is below round-off in the
#: summed gradient, so larger weights add nothing but the risk of overflow in
#: the stacked problem.
MAX_WEIGHT = 1e15

_ADVICE = (
    "the method returns the starting model unchanged; to make it move, start "
    "from a model that does not minimise {which} (init=..., e.g. an "
    "early-stopped or ridge pretrained model), or use a method that needs no "
    "gradient at the pretrained model (projection, rbm, minnorm_og)")


# --------------------------------------------------------------------------
# shared pieces


def pinv(rows, r):
    """``X^+ r`` for ``r`` of shape (n,) or (n, k) (``RowSpace`` stacks outputs first)."""
    return rows.pinv(r.T).T


def start_model(data, numeric, init):
    """Return the starting model: ``init``, or the pretrained model."""
    if init is not None:
        return data.as_weights(init, "init").copy()
    if numeric:
        return gradient_descent(data.X, data.y, np.zeros(data.w_shape)).w
    return pinv(data.rows[0], data.y)


def check_steps(steps, *, allow_none=True):
    if steps is None and allow_none:
        return None
    return check_int(steps, "steps", minimum=0)


def check_lr(lr):
    return None if lr is None else check_float(lr, "lr", minimum=0.0, strict=True)


def loss_monitors(data):
    return {"remaining_loss": (data.X_r, data.y_r),
            "unlearning_loss": (data.X_f, data.y_f)}


def row_sq(r):
    """Squared residual of each sample, summed over outputs."""
    return r * r if r.ndim == 1 else np.sum(r * r, axis=1)


def row_norms(g):
    """Per-feature magnitude of a gradient: ``|g_j|``, or the norm of row ``j``."""
    return np.abs(g) if g.ndim == 1 else np.linalg.norm(g, axis=1)


def grad(X, y, w):
    """Gradient of ``(1/n) ||X w - y||^2``."""
    return (2.0 / len(y)) * (X.T @ (X @ w - y))


def grad_scale(X, y):
    return float(np.linalg.norm((2.0 / len(y)) * (X.T @ y)))


def vanishes(g, scale):
    return bool(np.linalg.norm(g) <= VANISHING_RTOL * max(scale, 1e-300))


def stacked(terms, *, batched=False):
    """``(Z, t)`` with ``(1/N) ||Z w - t||^2 = sum_s c_s (1/n_s) ||X_s w - y_s||^2``.

    ``terms`` is a sequence of ``(c_s, X_s, y_s)``. With ``batched=True`` the
    arrays have a leading trial axis and 1-D labels per trial.
    """
    rows = (lambda y: y.shape[-1]) if batched else len  # noqa: E731
    N = sum(rows(y) for _, _, y in terms)
    Z = np.concatenate([np.sqrt(N * c / rows(y)) * X for c, X, y in terms], axis=-2)
    t = np.concatenate([np.sqrt(N * c / rows(y)) * y for c, X, y in terms],
                       axis=-1 if batched else 0)
    return Z, t


#: A method's least-squares system is ill-conditioned above this condition
#: number: the threshold at which the closed forms leave the Cholesky route
#: (``1 / sqrt(linunlearn._linalg.RCOND_MIN)``, see there).
COND_MAX = 1.0 / np.sqrt(RCOND_MIN)


def check_conditioning(method, s, shape, masked):
    """Warn, naming ``method``, when the singular values ``s`` of its system are ill-conditioned.

    Over the non-zero singular values (numpy's rank cut-off): a rank-deficient
    system is routine here (a mask leaves some rows without a feature they
    use), its pseudo-inverse answer well defined; tiny non-zero singular
    values are what make the weights large.
    """
    if len(s) == 0 or not s[0] > 0:
        return
    live = s[s > s[0] * max(shape) * np.finfo(float).eps]
    cond = live[0] / live[-1]
    if cond > COND_MAX:
        warn(f"{method}: the least-squares system it solves ({shape[0]} rows x "
             f"{shape[1]} weights{' the mask updates' if masked else ''}) is "
             f"ill-conditioned (condition number {cond:.2g} > {COND_MAX:.0e}): the "
             f"answer is the pseudo-inverse's, but its weights may be large and its "
             f"test losses high"
             + ("; a mask whose size is further from the number of rows avoids a "
                "square system" if masked else ""), IllConditionedWarning)


def quadratic(data, Z, t, w0, *, steps, lr, mask=None, numeric=False,
              gtol=1e-12, max_steps=200_000, method="the method"):
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
        run = gradient_descent(Z, t, w0, lr=lr, mask=m, monitors=loss_monitors(data),
                               max_steps=max_steps if steps is None else steps,
                               gtol=gtol if steps is None else 0.0)
        return run.w, run, run.stop_reason, lr
    if steps is None:
        w = w0.copy()
        if m.any():
            delta, _, _, singular = np.linalg.lstsq(Z[:, m], t - Z @ w0, rcond=None)
            check_conditioning(method, singular, Z[:, m].shape, mask is not None)
            w[m] += delta
        return w, None, "closed_form", lr
    target = t - Z[:, ~m] @ w0[~m]
    w = gradient_descent_steps(Z * m, target, w0, steps, lr=lr)
    return w, None, "closed_form", lr


def result(w, run, stop_reason, **info):
    return {"w": w, "run": run, "info": {"stop_reason": stop_reason, **info}}


def vanishing(method, on_vanishing, w0, which, g, scale, init, other=""):
    """Return the starting model with stop reason ``"vanishing_gradient"``, or raise."""
    context = ("the pretrained model interpolates D_r + D_f, so it minimises "
               "every loss on them (docs/theory.md, C2)" if init is None else
               f"the given init minimises {which}")
    message = (f"the gradient of {which} vanishes at the starting model (norm "
               f"{np.linalg.norm(g):.3g} <= {VANISHING_RTOL:g} x its scale "
               f"{scale:.3g}): {context}{other}; {_ADVICE.format(which=which)}")
    if on_vanishing == "raise":
        raise ValueError(f"method {method!r}: {message}")
    run = GDRun(w=w0, steps=np.array([0]), history={}, n_steps=0,
                stop_reason="vanishing_gradient", lr=0.0)
    return result(w0, run, "vanishing_gradient", note=message)


def check_target(target_ul):
    return None if target_ul is None else check_float(
        target_ul, "target_ul", minimum=0.0, strict=True)


def doc_from(template, **sections):
    """Set a docstring, replacing each ``{name}`` by ``sections[name]``."""
    def decorate(fn):
        doc = template
        for name, text in sections.items():
            doc = doc.replace("{" + name + "}", text)
        fn.__doc__ = doc
        return fn
    return decorate
