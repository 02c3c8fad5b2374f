"""Version 1's discriminative regularisation: CE-FT, ICE-FT and KL-FT.

``"ce_ft"``                 gradient descent on ``RL + alpha WL`` from ``w_o``
``"ice_ft"``                the weight moved to the remaining term: ``alpha RL + WL``
``"kl_ft"``                 ``RL + alpha (1/n_f) ||X_f (w - w_ref)||^2`` (a Gaussian KL)
objective_terms             the weighted loss terms of each variant (one definition)
discriminative_finetune     the same objectives on a stack of data sets, k-step closed form
VARIANTS                    ``("ce", "kl", "ice")``

``WL(w) = (1/n_f) ||X_f w + y_f||^2`` is the loss on the forgetting set with
negated (wrong) labels, the regression form of version 1's discriminative term.
"""

import numpy as np

from .._linalg import RowSpace
from .._validation import as_array, check_float, check_option
from ..scenarios import computed_once
from ..solutions import register_method
from ._shared import (check_lr, check_steps, doc_from, gradient_descent_steps, quadratic,
                      result, smoothness, stacked, start_model)

#: The variants of version 1's regulariser (``"ce_ft"``, ``"kl_ft"``, ``"ice_ft"``).
VARIANTS = ("ce", "kl", "ice")

_NUMERIC_ONLY = ("gtol", "max_steps")


def objective_terms(variant, X_r, y_r, X_f, y_f, alpha, f_target=None):
    """The weighted loss terms of a version-1 regulariser, for :func:`stacked`.

    ``"ce"``: ``RL + alpha WL``; ``"ice"``: ``alpha RL + WL``; ``"kl"``: ``RL +
    alpha (1/n_f) ||X_f w - f_target||^2`` (``f_target = X_f w_ref``). ``WL``
    is the loss on ``D_f`` with negated labels.
    """
    check_option(variant, "variant", VARIANTS)
    if variant == "kl":
        return [(1.0, X_r, y_r), (alpha, X_f, f_target)]
    if variant == "ce":
        return [(1.0, X_r, y_r), (alpha, X_f, -y_f)]
    return [(alpha, X_r, y_r), (1.0, X_f, -y_f)]


def _regularised(data, variant, numeric, alpha, steps, lr, gtol, max_steps,
                 reference=None, init=None):
    """Gradient descent from ``w_o`` on version 1's regularised objectives."""
    alpha = check_float(alpha, "alpha", minimum=0.0, maximum=1.0,
                        strict=variant == "ice")
    steps, lr = check_steps(steps), check_lr(lr)
    w_o = start_model(data, numeric, init)
    info = {"alpha": alpha}
    f_target = None
    if variant == "kl":
        if isinstance(reference, str):
            check_option(reference, "reference", ("zero",))
            w_ref = np.zeros(data.w_shape)
        else:
            w_ref = data.as_weights(reference, "reference")
        info["reference"] = "zero" if isinstance(reference, str) else "array"
        f_target = data.X_f @ w_ref
    if lr is None:
        # one step size for every alpha: 1/L of the objective at alpha = 1
        lr = 1.0 / smoothness(stacked(objective_terms(
            "ce", data.X_r, data.y_r, data.X_f, data.y_f, 1.0))[0])
    Z, t = stacked(objective_terms(variant, data.X_r, data.y_r, data.X_f, data.y_f,
                                   alpha, f_target))
    w, run, reason, lr = quadratic(data, Z, t, w_o, steps=steps, lr=lr,
                                   numeric=numeric, gtol=gtol, max_steps=max_steps,
                                   method=f"{variant}_ft")
    return result(w, run, reason, lr=lr, steps=steps, **info)


def discriminative_finetune(batch, w_o, alpha, steps, *, variant="ce", lr=None,
                            lr_alpha=1.0):
    r"""Fine-tuning with version 1's regulariser on a stack of data sets, k-step closed form.

    The same objectives as ``"ce_ft"``, ``"kl_ft"`` (zero reference) and
    ``"ice_ft"``, for a :class:`~linunlearn.scenarios.DatasetBatch` (or one
    :class:`~linunlearn.Dataset` with 1-D labels), from given pretrained
    weights: gradient descent from ``w_o`` on

    - ``variant="ce"``: :math:`RL(w) + \alpha \frac{1}{n_f} \|X_f w + y_f\|^2`;
    - ``"kl"``: :math:`RL(w) + \alpha \frac{1}{n_f} \|X_f w\|^2`;
    - ``"ice"``: :math:`\alpha RL(w) + \frac{1}{n_f} \|X_f w + y_f\|^2`.

    Parameters
    ----------
    batch : DatasetBatch or Dataset
    w_o : ndarray of shape (trials, d) or (d,)
        Starting weights.
    alpha : float
    steps : int or numpy.inf
        ``numpy.inf`` gives the limit.
    variant : {"ce", "kl", "ice"}
    lr : float or ndarray of shape (trials, 1), optional
        Default ``1/L`` of the objective with the forgetting (for ICE-FT the
        remaining) weight at ``max(alpha, lr_alpha)``, per trial, so that the
        weights compared along a path share one step size.
    lr_alpha : float

    Returns
    -------
    ndarray of the shape of ``w_o``

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> w_o = lu.solve(data, "pretrained").w
    >>> lr = 0.05
    >>> one = discriminative_finetune(data, w_o, 0.3, 5, lr=lr)
    >>> bool(np.allclose(one, lu.solve(data, "ce_ft", alpha=0.3, steps=5, lr=lr).w))
    True
    """
    n = batch.X_r.shape[-2] + batch.X_f.shape[-2]
    f_target = 0.0 * batch.y_f if variant == "kl" else None

    def problem(a):
        return stacked(objective_terms(variant, batch.X_r, batch.y_r, batch.X_f,
                                       batch.y_f, a, f_target), batched=True)

    def step(a):
        X_max, _ = problem(a)
        top = np.linalg.eigvalsh(X_max @ np.swapaxes(X_max, -1, -2))[..., -1]
        lr = n / (2.0 * top)
        return lr[..., None] if np.ndim(lr) else float(lr)

    X, y = problem(alpha)
    if lr is None and steps == np.inf:
        # The limit does not depend on the step, and the default step cannot
        # diverge (the objective grows with the weight, in the Loewner order).
        w_o = as_array(w_o, "w_o", ndim=1, batched=True)
        if w_o.shape[-1] != X.shape[-1]:
            raise ValueError(f"w_o must have {X.shape[-1]} weights (one per feature), "
                             f"got shape {w_o.shape}")
        return RowSpace(X).gd_limit(y, w_o)
    if lr is None:  # one step for every weight up to lr_alpha: computed once
        a = max(lr_alpha, alpha)
        lr = computed_once(batch, ("discriminative_finetune step", variant, a),
                           lambda: step(a))
    return gradient_descent_steps(X, y, w_o, steps, lr=lr)


_REG_PARAMS = """
    steps : int or None, default None
        Gradient steps; ``None``: to convergence, the limit ``w_o + Z^+ (t -
        Z w_o)`` of the stacked least-squares problem ``(Z, t)``.
    lr : float, optional
        Step size; default ``1/L`` of the objective at ``alpha = 1``, so that
        runs with different weights share one step size. It must be below
        ``2/L`` on both routes (also for ``steps=None``, where the limit does
        not depend on it).
    init : ndarray of shape (d,) or (d, k), optional
        The model to start from; default the pretrained model ``w_o``.
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


@register_method("ce_ft", numeric_only=_NUMERIC_ONLY, label="CE-FT", color="#CC79A7",
                 marker="o", compare={"ce_ft": {}, "ce_ft[k=5]": {"steps": 5}})
@doc_from("""CE-FT: fine-tuning plus a weighted wrong-label loss on the forgetting set.

    Gradient descent from the pretrained model ``w_o``,
    ``w <- w - lr * grad J(w)``, on

    .. math:: J(w) = RL(w) + \\alpha \\frac{1}{n_f} \\|X_f w + y_f\\|^2,
              \\quad \\alpha \\in [0, 1],

    the forgetting set with negated (wrong) labels, as in
    :func:`discriminative_finetune` (which computes the same iterate for
    batches of data sets). ``alpha = 0`` is fine-tuning.

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
def _ce(data, *, numeric, alpha=0.5, steps=None, lr=None, init=None, gtol=1e-12,
        max_steps=200_000):
    return _regularised(data, "ce", numeric, alpha, steps, lr, gtol, max_steps,
                        init=init)


@register_method("ice_ft", numeric_only=_NUMERIC_ONLY, label="ICE-FT", color="#56B4E9",
                 marker="s", compare={"ice_ft": {}, "ice_ft[k=5]": {"steps": 5}})
@doc_from("""ICE-FT: the weight moved from the forgetting term to the remaining term.

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
def _ice(data, *, numeric, alpha=0.5, steps=None, lr=None, init=None, gtol=1e-12,
         max_steps=200_000):
    return _regularised(data, "ice", numeric, alpha, steps, lr, gtol, max_steps,
                        init=init)


@register_method("kl_ft", numeric_only=_NUMERIC_ONLY, label="KL-FT", color="#882255",
                 marker="^", compare={"kl_ft": {}, "kl_ft[k=5]": {"steps": 5}})
@doc_from("""KL-FT: fine-tuning plus a Gaussian KL to a reference model on the forgetting set.

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
        init=None, gtol=1e-12, max_steps=200_000):
    return _regularised(data, "kl", numeric, alpha, steps, lr, gtol, max_steps,
                        reference=reference, init=init)
