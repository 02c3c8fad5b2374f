"""Masking methods: SalUn and DeepClean, in the linear model.

``"salun"``         mask = top ``ratio`` of a forgetting saliency; gradient descent on
                    the random-label loss on ``D_f`` plus ``RL``, only masked weights
                    moving (Fan et al., ICLR 2024)
``"deepclean"``     Fisher ratio ``F_f / (F_r + eps max F_r)``; the selected weights
                    are zeroed and only they are fine-tuned on ``D_r`` (Shi et al.,
                    arXiv 2311.10448)
SALUN_SALIENCIES    the saliencies SalUn's mask can be built from
"""

import numpy as np

from .. import masks
from .._validation import LinunlearnWarning, as_generator, check_float, check_option, warn
from ..solutions import register_method
from ._shared import (VANISHING_RTOL, MAX_WEIGHT, check_lr, check_steps, grad, quadratic,
                      result, row_norms, stacked, start_model, vanishes)

#: Saliencies SalUn's mask can be built from.
SALUN_SALIENCIES = ("random_label", "fisher", "forget_gradient")

_NUMERIC_ONLY = ("gtol", "max_steps")


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
        g = grad(data.X_f, data.y_f, w0)
        return row_norms(g), scale(data.y_f), (
            "saliency='forget_gradient' (SalUn's original) is the gradient of the "
            "forgetting loss at the trained model, which is zero here (the model "
            "interpolates D_f); use saliency='random_label' or 'fisher'")
    if saliency == "random_label":
        g = grad(data.X_f, y_rand, w0)
        return row_norms(g), scale(y_rand), (
            "saliency='random_label': the gradient of the random-label loss "
            "vanishes at the trained model (the forgetting labels are zero, so "
            "the random labels are too, and the model fits them); use "
            "saliency='fisher'")
    scores = masks.saliency(data.X_f)
    return scores, float(np.sum(scores)), (
        "saliency='fisher': the Fisher diagonal of D_f is zero (X_f is zero)")


@register_method("salun", numeric_only=_NUMERIC_ONLY, label="SalUn", color="#CC6677", marker="P")
def _salun(data, *, numeric, saliency="random_label", ratio=0.5,
           retain_weight=1.0, steps=None, lr=None, rng=None, init=None, gtol=1e-12,
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
        Share of the features in the mask (the top 50% by default, the ratio
        of SalUn's original), among those with a positive score (ties at zero
        are not salient).
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
    init : ndarray of shape (d,) or (d, k), optional
        The trained model to start from (it plays ``w_o``'s part: saliency,
        frozen weights); default the pretrained model ``w_o``.
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
                                maximum=MAX_WEIGHT)
    steps, lr = check_steps(steps), check_lr(lr)
    gen = as_generator(rng)
    y_rand = np.sqrt(np.mean(data.y_f ** 2, axis=0)) * gen.standard_normal(
        data.y_f.shape)
    w0 = start_model(data, numeric, init)
    scores, scale, why = _salun_scores(data, saliency, w0, y_rand)
    if vanishes(scores, scale):
        raise ValueError(f"{why} (norm {np.linalg.norm(scores):.3g} <= "
                         f"{VANISHING_RTOL:g} x its scale {scale:.3g})")
    mask = masks.select(scores, ratio=ratio)  # never a zero score
    Z, t = stacked([(1.0, data.X_f, y_rand), (retain_weight, data.X_r, data.y_r)])
    w, run, reason, lr = quadratic(data, Z, t, w0, steps=steps, lr=lr, mask=mask,
                                    numeric=numeric, gtol=gtol, max_steps=max_steps,
                                    method="salun")
    out = result(w, run, reason, saliency=saliency, ratio=ratio, lr=lr,
                  random_labels=y_rand)
    out.update(mask=mask, semantics="freeze")
    return out


# --------------------------------------------------------------------------
# DeepClean


@register_method("deepclean", numeric_only=_NUMERIC_ONLY, label="DeepClean", color="#999933", marker="X")
def _deepclean(data, *, numeric, threshold=None, ratio=None, eps=1e-8,
               steps=None, lr=None, init=None, gtol=1e-12, max_steps=200_000):
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
    init : ndarray of shape (d,) or (d, k), optional
        The trained model to start from (in ``w_o``'s place); default the
        pretrained model ``w_o``.
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
    steps, lr = check_steps(steps), check_lr(lr)
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
    w_o = start_model(data, numeric, init)
    w0 = np.where(mask.reshape(mask.shape + (1,) * (w_o.ndim - 1)), 0.0, w_o)
    w, run, reason, lr = quadratic(data, data.X_r, data.y_r, w0, steps=steps,
                                    lr=lr, mask=mask, numeric=numeric, gtol=gtol,
                                    max_steps=max_steps, method="deepclean")
    out = result(w, run, reason, threshold=threshold, ratio=ratio, lr=lr,
                  n_selected=int(mask.sum()), scores=scores)
    out.update(mask=mask, semantics="freeze")
    return out
