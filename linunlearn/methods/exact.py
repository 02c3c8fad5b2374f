"""Exact unlearning from the trained model: MinNorm-OG.

``"minnorm_og"``    the minimum-norm interpolator of ``D_r`` from ``w_o`` and ``D_r``:
                    ``P_r w_o + X_r^+ (y_r - X_r w_o)``, the golden model by construction
"""

import numpy as np

from ..simulate import gradient_descent
from ..solutions import register_method
from ._shared import loss_monitors, pinv, result, start_model


@register_method("minnorm_og", label="min-norm OG", color="#117733", marker="+")
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
    ``w_o`` interpolates ``D_r`` (then this is the projection, docs/theory.md, C7).
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
    w_o = start_model(data, numeric, init)
    rows_r = data.rows[1]
    if not numeric:
        w = rows_r.project(w_o.T).T + pinv(rows_r, data.y_r - data.X_r @ w_o)
        return result(w, None, "closed_form", uses_forget_data=False)
    zeros = np.zeros(data.w_shape)
    proj = gradient_descent(data.X_r, data.X_r @ w_o, zeros, monitors=loss_monitors(data))
    run = gradient_descent(data.X_r, data.y_r, proj.w, monitors=loss_monitors(data))
    return result(run.w, run, run.stop_reason, uses_forget_data=False)
