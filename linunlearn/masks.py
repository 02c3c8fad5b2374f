"""Weight saliency maps (masks) computed from data (docs/theory.md, section 4).

At the pretrained model every gradient of the training loss vanishes (it
interpolates), so saliency is defined on the data: the gradient magnitude at
initialisation, ``|(2/n) X^T y|``, or the Fisher diagonal of a unit-noise
Gaussian likelihood, ``F_j = (1/n) sum_i x_ij^2``. The support of a set, the
features it actually uses, is measured scale-free (:func:`supports`): a
feature is used when it is non-zero on its own scale.

Layouts. ``X`` has shape ``(..., n, d)``: leading axes hold a stack of
problems. Labels ``y`` with one axis fewer than ``X``, ``(..., n)``, are one
output per problem; labels with as many axes as ``X``, ``(..., n, k)``, hold
``k`` outputs of each problem on their last axis. Scores have shape
``(..., d)``.

saliency        per-feature scores: Fisher diagonal or gradient magnitude at zero
select          the most salient features, by tolerance or top-k ratio
supports        the features each of two sets uses, measured scale-free
"""

import numpy as np

from ._validation import NumericallyZeroWarning, as_array, check_float, check_option, warn

__all__ = ["SUPPORT_RTOL", "USED_RTOL", "SALIENCIES", "saliency", "select", "supports"]

#: A feature is salient (:func:`select`'s default) when its score exceeds
#: this fraction of the largest score. Generated data are exactly zero off
#: their support, so any small positive tolerance recovers it; 1e-10 also
#: absorbs round-off in user data that was centred or rescaled. (A data
#: set's supports are measured scale-free instead: :func:`supports`.)
SUPPORT_RTOL = 1e-10

#: A set uses a feature when the largest magnitude of the feature in that set
#: exceeds this fraction of the feature's own scale, its largest magnitude in
#: both sets (:func:`supports`). Scale-free: a column in millimetres and one
#: in kilometres are judged alike (a tolerance relative to the largest
#: column dropped the small ones). Round-off left in a column that should
#: be zero (e.g. by centring) is about 1e-16 of its scale: 1e-10 sits well
#: above it and well below any magnitude real data hold on purpose.
USED_RTOL = 1e-10

#: The saliency scores that masks can be built from.
SALIENCIES = ("support", "fisher", "gradient")


def saliency(X, y=None, *, kind="fisher"):
    """Return the per-feature saliency scores of a data set.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
        Features.
    y : ndarray of shape (..., n), or (..., n, k) for ``k`` outputs, optional
        Labels (see the module's layouts); needed for ``kind="gradient"``.
        With several outputs the gradient magnitude is the Euclidean norm
        over outputs.
    kind : {"fisher", "support", "gradient"}
        ``"fisher"`` and ``"support"``: the Fisher diagonal ``mean(X**2, 0)``;
        ``"gradient"``: the gradient magnitude at zero, ``|(2/n) X^T y|``.

    Returns
    -------
    ndarray of shape (..., d)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    >>> saliency(X)
    array([1., 0., 2.])
    >>> saliency(X, np.array([1.0, -1.0]), kind="gradient")
    array([0., 0., 2.])
    """
    check_option(kind, "saliency", SALIENCIES)
    X = as_array(X, "X", ndim=2, batched=True)
    n = X.shape[-2]
    if kind != "gradient":
        return np.mean(X ** 2, axis=-2)
    if y is None:
        raise ValueError("saliency='gradient' needs the labels y")
    y = as_array(y, "y", ndim=1, batched=True)
    outputs = y.ndim == X.ndim  # (..., n, k): k outputs per problem
    if y.shape[-1 - outputs] != n:
        expected = f"(..., {n}, k)" if outputs else f"(..., {n})"
        raise ValueError(f"y must have shape {expected} for X of shape {X.shape}, "
                         f"got {y.shape}")
    if outputs:  # norm of each row of the (..., d, k) gradient
        return np.linalg.norm((2.0 / n) * (np.swapaxes(X, -1, -2) @ y), axis=-1)
    return np.abs((2.0 / n) * (y[..., None, :] @ X)[..., 0, :])


def select(scores, *, tol=None, ratio=None):
    """Return the boolean mask of the most salient features.

    With ``ratio`` (and with the default tolerance), a feature whose score is
    not above :data:`SUPPORT_RTOL` times the largest score (in particular a
    score of zero: a feature the data never use) is never salient; an
    explicit ``tol`` is applied as given (``tol=0`` keeps every positive
    score).

    Parameters
    ----------
    scores : ndarray of shape (..., d)
        Non-negative saliency scores.
    tol : float, optional
        Keep features whose score exceeds ``tol * max(scores)``. The default,
        when ``ratio`` is not given either, is :data:`SUPPORT_RTOL`.
    ratio : float in (0, 1], optional
        Keep the ``max(1, ceil(ratio * d))`` highest scores instead (ties
        broken by position, so the result is deterministic), among the
        features above the support tolerance: fewer when fewer are, none
        when every score is zero.

    Returns
    -------
    ndarray of bool, shape (..., d)

    Examples
    --------
    >>> import numpy as np
    >>> select(np.array([3.0, 0.0, 1.0, 2.0]))
    array([ True, False,  True,  True])
    >>> select(np.array([3.0, 0.0, 1.0, 2.0]), ratio=0.5)
    array([ True, False, False,  True])
    >>> select(np.array([3.0, 0.0, 1.0, 2.0]), ratio=1.0)   # a zero score is not salient
    array([ True, False,  True,  True])
    >>> select(np.array([3.0, 0.0, 1.0, 2.0]), ratio=1e-12)  # at least one feature
    array([ True, False, False, False])
    """
    # Scores are only ranked and compared: any finite size will do (Fisher
    # scores square the data, so they may exceed the limit of the inputs).
    scores = as_array(scores, "scores", ndim=1, batched=True, values=False)
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must contain only finite values (no NaN or inf)")
    if np.any(scores < 0):
        raise ValueError("scores must be non-negative")
    if tol is not None and ratio is not None:
        raise ValueError("give either tol or ratio, not both")
    top = np.max(scores, axis=-1, keepdims=True)
    if ratio is not None:
        ratio = check_float(ratio, "ratio", minimum=0.0, maximum=1.0, strict=True)
        d = scores.shape[-1]
        k = max(1, int(np.ceil(ratio * d - 1e-9)))
        order = np.argsort(-scores, axis=-1, kind="stable")
        mask = np.zeros(scores.shape, dtype=bool)
        np.put_along_axis(mask, order[..., :k], True, axis=-1)
        return mask & (scores > SUPPORT_RTOL * top)
    tol = SUPPORT_RTOL if tol is None else check_float(tol, "tol", minimum=0.0)
    return scores > tol * top


def used_features(peak, scale, name=None):
    """Whether each feature is used: ``peak > USED_RTOL * scale``, scale-free.

    ``peak``: the largest magnitude of each feature in one set; ``scale``:
    in both sets. With ``name`` (the set's array, e.g. ``"X_r"``), a warning
    names the features that are non-zero but below the tolerance (counted
    as unused: numerically zero).
    """
    used = peak > USED_RTOL * scale
    tiny = np.flatnonzero((peak > 0) & ~used)
    if name is not None and len(tiny):
        shown = ", ".join(str(j) for j in tiny[:10]) + (", ..." if len(tiny) > 10 else "")
        warn(f"{name}: column{'s' if len(tiny) > 1 else ''} {shown} (of {len(peak)}) "
             f"{'are' if len(tiny) > 1 else 'is'} non-zero but below {USED_RTOL:g} of "
             f"its scale (the column's largest entry in [X_r; X_f]): counted as "
             f"not used (numerically zero); pass support_r / support_f to decide "
             f"otherwise", NumericallyZeroWarning)
    return used


def supports(X_r, X_f):
    """Return the features the remaining and the forgetting data use, scale-free.

    Feature ``j`` is used by a set when its largest magnitude there exceeds
    :data:`USED_RTOL` times its scale, its largest magnitude in both sets:
    columns of any units are judged alike, a column that is exactly zero in
    a set is not used by it, and a column that is zero up to round-off
    (below the tolerance but not zero) is counted as unused with a
    :class:`~linunlearn.NumericallyZeroWarning` that names it. A
    :class:`~linunlearn.Dataset` measures its supports this way (in the
    pass that copies the data).

    Parameters
    ----------
    X_r : ndarray of shape (n_r, d)
    X_f : ndarray of shape (n_f, d)

    Returns
    -------
    support_r, support_f : ndarray of bool, shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> X_r = np.array([[1e-6, 0.0, 5e3], [2e-6, 0.0, 0.0]])
    >>> X_f = np.array([[0.0, 1e6, 1e3]])
    >>> supports(X_r, X_f)
    (array([ True, False,  True]), array([False,  True,  True]))
    """
    X_r = as_array(X_r, "X_r", ndim=2)
    X_f = as_array(X_f, "X_f", ndim=2)
    if X_f.shape[1] != X_r.shape[1]:
        raise ValueError(f"X_f must have {X_r.shape[1]} columns (as X_r), got "
                         f"{X_f.shape[1]}")
    peak_r, peak_f = np.max(np.abs(X_r), axis=0), np.max(np.abs(X_f), axis=0)
    scale = np.maximum(peak_r, peak_f)
    return used_features(peak_r, scale, "X_r"), used_features(peak_f, scale, "X_f")
