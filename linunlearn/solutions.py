"""The models of the paper, in closed form and by running gradient descent.

=================  ==========================================  ==============================
method             how it is trained                           closed form
=================  ==========================================  ==============================
``"pretrained"``   GD on ``D_r + D_f`` from 0                  ``X^+ y``
``"finetune"``     GD on ``D_r`` from ``w_o``                  ``w_o + X_r^+ (y_r - X_r w_o)``
``"golden"``       GD on ``D_r`` from 0 (retraining)           ``X_r^+ y_r``
``"masked"``       reset: keep ``w_o`` on the mask ``m``,      ``(I - P_r)(m * w_o) + X_r^+ y_r``
                   zero the rest, GD on ``D_r`` (all weights)
                   freeze: GD on ``D_r`` from ``w_o``,         ``w_o + X_m^+ (y_r - X_r w_o)``
                   updating only the weights in ``m``
``"rbm"``          masked; unlearns the weights not salient    ``m = S_r`` (reset) or
                   for ``D_r``                                 ``m = not S_r`` (freeze)
``"fbm"``          masked; unlearns the weights salient for    ``m = not S_f`` (reset) or
                   ``D_f`` (SalUn's rule)                      ``m = S_f`` (freeze)
``"projection"``   ``P_r w_o``, without ``D_f``                ``X_r^+ X_r w_o``
=================  ==========================================  ==============================

``P_r = X_r^+ X_r`` and ``X_m`` is ``X_r`` with the columns outside the mask
zeroed. RBM and FBM each have a set of weights they *unlearn* (``S_r``, ``S_f``
stand for the salient sets, by default the supports): reset semantics zeroes
those weights and then fine-tunes all weights on ``D_r``; freeze semantics
fine-tunes only those weights on ``D_r``, the others frozen at ``w_o``, as
SalUn updates only the forget-salient weights. In both cases the mask ``m``
that :attr:`Solution.mask` reports means what it means for ``"masked"``: the
weights kept (reset) or updated (freeze). Closed forms use n x n Gram
matrices only (see ``_linalg``).
"""

from dataclasses import dataclass, field

import numpy as np

from . import masks
from ._linalg import RowSpace, mv
from ._validation import as_mask, check_option
from .scenarios import Dataset
from .simulate import GDRun, gradient_descent

__all__ = ["METHODS", "PAPER_METHODS", "Solution", "solve", "solve_all",
           "closed_form", "mask_for", "route_deviation", "register_method",
           "available_methods", "INTERPOLATION_RTOL"]

#: The methods that :func:`solve` knows.
METHODS = ("pretrained", "finetune", "golden", "masked", "rbm", "fbm", "projection")

#: The six models of the paper, in the order tables show them.
PAPER_METHODS = ("pretrained", "finetune", "golden", "rbm", "fbm", "projection")

#: A model interpolates its training data when the residual norm is below this
#: fraction of the label norm. Gradient descent stopped at a relative gradient
#: of 1e-12 leaves residuals many orders of magnitude smaller.
INTERPOLATION_RTOL = 1e-6

_MASK_OPTIONS = ("mask", "semantics", "saliency", "tol", "ratio")
_MASKED = ("masked", "rbm", "fbm")
_GD_OPTIONS = ("lr", "max_steps", "gtol", "batch_size", "rng")


@dataclass(frozen=True)
class Solution:
    """A trained model and how it was obtained.

    Attributes
    ----------
    w : ndarray of shape (d,)
        The weights.
    method : str
        One of :data:`METHODS`.
    route : {"analytic", "numeric"}
        Closed form, or an actual gradient-descent run.
    options : dict
        The options the method was called with.
    interpolates : bool
        Whether the model fits its training data (``D_r + D_f`` for the
        pretrained model, ``D_r`` otherwise) up to :data:`INTERPOLATION_RTOL`;
        the paper's claims assume it does.
    mask : ndarray of bool, shape (d,), or None
        For masked methods: the weights kept (reset semantics) or updated
        (freeze semantics).
    semantics : {"reset", "freeze"} or None
        How the mask was applied.
    run : GDRun or None
        For the numeric route: the last gradient-descent run, with its loss
        history and stop reason.
    info : dict
        Method-specific facts (for methods added with :func:`register_method`).
    """

    w: np.ndarray
    method: str
    route: str
    options: dict = field(default_factory=dict)
    interpolates: bool = True
    mask: np.ndarray = None
    semantics: str = None
    run: GDRun = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Registered:
    solver: object
    options: frozenset
    numeric_options: frozenset
    fits: str


_REGISTRY = {}


def register_method(name, solver, *, options=(), numeric_options=_GD_OPTIONS,
                    fits="remaining"):
    """Make ``solve(data, name, ...)`` call ``solver``.

    Parameters
    ----------
    name : str
        A new method name (the names of :data:`METHODS` are taken).
    solver : callable
        ``solver(data, *, numeric, **options)`` returning a dict with key
        ``"w"`` and optionally ``"run"``, ``"mask"``, ``"semantics"`` and
        ``"info"`` (fields of :class:`Solution`).
    options : iterable of str
        Options the method accepts on both routes.
    numeric_options : iterable of str
        Further options accepted when ``numeric=True``.
    fits : {"remaining", "all"}
        The training data that :attr:`Solution.interpolates` refers to.
    """
    if name in METHODS:
        raise ValueError(f"method name {name!r} is taken by a core method")
    _REGISTRY[name] = _Registered(solver, frozenset(options),
                                  frozenset(numeric_options),
                                  check_option(fits, "fits", ("remaining", "all")))


def available_methods():
    """Names of every method :func:`solve` knows: core ones, then registered ones."""
    return METHODS + tuple(_REGISTRY)


def mask_for(data, method, *, mask=None, semantics="reset", saliency="support",
             tol=None, ratio=None):
    """Return the mask of a masked method and its semantics.

    Parameters
    ----------
    data : Dataset or DatasetBatch
    method : {"masked", "rbm", "fbm"}
    mask : ndarray of bool, shape (d,)
        ``"masked"`` only: the weights kept (reset) or updated (freeze).
    semantics : {"reset", "freeze"}
    saliency : {"support", "fisher", "gradient"}
        The scores the salient set is selected from
        (:func:`linunlearn.masks.saliency`); ``"support"`` without ``tol`` or
        ``ratio`` is the data set's support.
    tol, ratio : float, optional
        Selection rule of :func:`linunlearn.masks.select`.

    Returns
    -------
    mask : ndarray of bool, shape (d,) or (trials, d)
        What :attr:`Solution.mask` reports: the weights kept (reset
        semantics) or updated (freeze semantics).
    semantics : str

    Notes
    -----
    RBM and FBM unlearn the complement of the weights they keep: the weights
    not salient for ``D_r`` (RBM) or salient for ``D_f`` (FBM).

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(3, 2, 1, 1, 1).sample(rng=0)
    >>> mask_for(data, "rbm")[0].astype(int), mask_for(data, "fbm")[0].astype(int)
    (array([1, 1, 1, 0]), array([1, 1, 0, 0]))
    """
    semantics = check_option(semantics, "semantics", ("reset", "freeze"))
    check_option(method, "method", _MASKED)
    if method == "masked":
        if mask is None:
            raise ValueError("method 'masked' needs a mask=... option "
                             "(boolean vector of length d)")
        return as_mask(mask, "mask", data.d), semantics
    if mask is not None:
        raise ValueError(f"method {method!r} computes its own mask; use "
                         f"method='masked' to give one")
    X, y, support = ((data.X_r, data.y_r, data.support_r) if method == "rbm"
                     else (data.X_f, data.y_f, data.support_f))
    if saliency == "support" and tol is None and ratio is None:
        salient = support
    else:
        salient = masks.select(masks.saliency(X, y, kind=saliency), tol=tol, ratio=ratio)
    # RBM keeps what the remaining data uses; FBM unlearns what the forgetting data uses.
    kept = salient if method == "rbm" else ~salient
    return (kept if semantics == "reset" else ~kept), semantics


def closed_form(data, method, mask=None, semantics="reset"):
    """Return the analytic weights of a core model, on one data set or a batch.

    Parameters
    ----------
    data : Dataset or DatasetBatch
        With a batch, every array has a leading trial axis and so do the
        weights returned. Labels are 1-D per problem (for ``k`` outputs use
        ``data.outputs_first``, whose outputs form the leading axis).
    method : {"pretrained", "finetune", "golden", "masked", "rbm", "fbm", "projection"}
    mask : ndarray of bool, shape (d,) or (trials, d), optional
        For masked methods (from :func:`mask_for`).
    semantics : {"reset", "freeze"}

    Returns
    -------
    ndarray of shape (d,) or (trials, d)

    Notes
    -----
    With ``P_r = X_r^+ X_r`` (no d x d matrix is formed: see
    :attr:`linunlearn.Dataset.rows`),

    .. math::

        w_o = X^+ y, \\quad w_{ft} = w_o + X_r^+ (y_r - X_r w_o), \\quad
        w_g = X_r^+ y_r, \\quad w_{mask} = (I - P_r)(m \\odot w_o) + X_r^+ y_r

    (reset semantics); freeze semantics gives ``w_o + X_m^+ (y_r - X_r w_o)``
    with ``X_m`` the columns of ``X_r`` in the mask; projection is
    ``P_r w_o``.

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn import Scenario
    >>> batch = Scenario.distinct(6, 4, 2, 2).sample_batch(
    ...     np.random.SeedSequence(0).spawn(3))
    >>> mask, semantics = mask_for(batch, "rbm")
    >>> w_rbm = closed_form(batch, "rbm", mask, semantics)
    >>> w_rbm.shape, bool(np.allclose(w_rbm, closed_form(batch, "golden")))
    ((3, 10), True)
    """
    check_option(method, "method", METHODS)
    rows_all, rows_r = data.rows
    if method == "golden":
        return rows_r.pinv(data.y_r)
    w_o = rows_all.pinv(data.y)
    if method == "pretrained":
        return w_o
    if method == "finetune":
        return rows_r.gd_limit(data.y_r, w_o)
    if method == "projection":
        return rows_r.project(w_o)
    if semantics == "reset":
        return rows_r.gd_limit(data.y_r, mask * w_o)
    masked = RowSpace(data.X_r * mask[..., None, :],
                      name="X_r restricted to the weights the mask updates")
    return w_o + masked.pinv(data.y_r - mv(data.X_r, w_o))


def _numeric(data, method, mask, semantics, gd):
    """Gradient-descent runs, stage by stage, as the paper trains."""
    monitors = {"remaining_loss": (data.X_r, data.y_r),
                "unlearning_loss": (data.X_f, data.y_f)}
    zeros = np.zeros(data.w_shape)
    if mask is not None:
        mask = mask.reshape(mask.shape + (1,) * (zeros.ndim - 1))
    if method == "golden":
        return gradient_descent(data.X_r, data.y_r, zeros, monitors=monitors, **gd)
    pre = gradient_descent(data.X, data.y, zeros, monitors=monitors, **gd)
    if method == "pretrained":
        return pre
    if method == "finetune":
        return gradient_descent(data.X_r, data.y_r, pre.w, monitors=monitors, **gd)
    if method == "projection":
        return gradient_descent(data.X_r, data.X_r @ pre.w, zeros,
                                monitors=monitors, **gd)
    if semantics == "reset":
        return gradient_descent(data.X_r, data.y_r, mask * pre.w,
                                monitors=monitors, **gd)
    return gradient_descent(data.X_r, data.y_r, pre.w, mask=mask.ravel(),
                            monitors=monitors, **gd)


def _interpolates(X, y, w):
    """Whether ``X w = y`` to :data:`INTERPOLATION_RTOL`; ``X`` may be row blocks."""
    blocks = X if isinstance(X, tuple) else (X,)
    residual = np.linalg.norm(np.concatenate([B @ w for B in blocks]) - y)
    return bool(residual <= INTERPOLATION_RTOL * max(np.linalg.norm(y), 1e-300))


def _check_data(data):
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a linunlearn.Dataset (e.g. from "
                        f"Scenario.sample or Dataset(X_r, y_r, X_f, y_f)), got "
                        f"{type(data).__name__}")


def solve(data, method, *, numeric=False, **options):
    """Compute one model of the paper.

    Parameters
    ----------
    data : Dataset
    method : str
        One of :func:`available_methods` (the core :data:`METHODS` and those
        added with :func:`register_method`).
    numeric : bool
        ``False``: closed form. ``True``: run gradient descent for every stage
        (pretraining, then the method), as the paper trains.
    **options
        Masked methods: ``mask`` (``"masked"`` only: the weights kept, or
        with freeze semantics updated), ``semantics`` (``"reset"``, default,
        or ``"freeze"``), ``saliency`` (``"support"``, default, ``"fisher"``
        or ``"gradient"``), ``tol`` or ``ratio`` (see
        :func:`linunlearn.masks.select`). Numeric route: ``lr``,
        ``max_steps``, ``gtol``, ``batch_size``, ``rng`` (see
        :func:`linunlearn.simulate.gradient_descent`).

    Returns
    -------
    Solution

    Raises
    ------
    TypeError
        ``data`` not a :class:`~linunlearn.Dataset`, ``numeric`` not a bool.
    ValueError
        Unknown method or option, a mask of the wrong length, or a step size
        that makes gradient descent diverge.

    Warns
    -----
    IllConditionedWarning
        A rank-deficient or ill-conditioned least-squares problem (the
        pseudo-inverse answer is returned).
    NotConvergedWarning
        ``numeric=True`` and a gradient-descent stage used up ``max_steps``.

    Notes
    -----
    RBM unlearns the weights that are not salient for ``D_r``, FBM those that
    are salient for ``D_f``. Reset semantics zeroes them and fine-tunes every
    weight on ``D_r``; freeze semantics fine-tunes only them, the others
    frozen at ``w_o`` (SalUn's rule). :attr:`Solution.mask` is the set kept
    (reset) or updated (freeze). The default salient sets are the supports,
    with reset semantics: with disjoint supports RBM is exactly golden
    (THEORY.md, C4) and with full overlap it is exactly fine-tuning (C6).
    RBM with freeze semantics and the support mask updates only weights that
    ``X_r`` never uses, where the gradient on ``D_r`` is zero: it returns
    ``w_o`` (with a warning that the masked problem has no columns left).

    Examples
    --------
    >>> from linunlearn import Scenario, solve
    >>> data = Scenario.distinct(d_r=8, d_f=6, n_r=3, n_f=2).sample(rng=0)
    >>> import numpy as np
    >>> bool(np.allclose(solve(data, "rbm").w, solve(data, "golden").w))
    True
    >>> numeric = solve(data, "finetune", numeric=True)
    >>> numeric.run.stop_reason
    'converged'
    """
    _check_data(data)
    if not isinstance(numeric, (bool, np.bool_)):
        raise TypeError(f"numeric must be True or False, got {numeric!r}")
    numeric = bool(numeric)
    check_option(method, "method", available_methods())
    spec = _REGISTRY.get(method)
    if spec is not None:
        allowed = spec.options | (spec.numeric_options if numeric else set())
    else:
        allowed = set(_GD_OPTIONS if numeric else ())
        if method in ("masked", "rbm", "fbm"):
            allowed |= set(_MASK_OPTIONS)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for method "
                         f"{method!r} (numeric={numeric}); allowed: "
                         f"{', '.join(sorted(allowed)) or 'none'}")
    route = "numeric" if numeric else "analytic"
    if spec is not None:
        fields = spec.solver(data, numeric=numeric, **options)
        X, y = ((data.X_r, data.X_f), data.y) if spec.fits == "all" else (data.X_r, data.y_r)
        return Solution(method=method, route=route, options=dict(options),
                        interpolates=_interpolates(X, y, fields["w"]), **fields)
    mask = semantics = None
    if method in ("masked", "rbm", "fbm"):
        mask_options = {k: v for k, v in options.items() if k in _MASK_OPTIONS}
        mask, semantics = mask_for(data, method, **mask_options)
    run = None
    if numeric:
        gd = {k: v for k, v in options.items() if k in _GD_OPTIONS}
        run = _numeric(data, method, mask, semantics, gd)
        w = run.w
    else:
        w = closed_form(data.outputs_first, method, mask, semantics)
        w = w if data.n_outputs is None else w.T
    X, y = ((data.X_r, data.X_f), data.y) if method == "pretrained" else (data.X_r, data.y_r)
    return Solution(w=w, method=method, route=route,
                    options=dict(options), interpolates=_interpolates(X, y, w),
                    mask=mask, semantics=semantics, run=run)


def solve_all(data, methods=PAPER_METHODS, *, numeric=False, **options):
    """Return ``{method: Solution}`` for several methods on the same data.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sorted(solve_all(data))
    ['fbm', 'finetune', 'golden', 'pretrained', 'projection', 'rbm']
    """
    return {m: solve(data, m, numeric=numeric, **options) for m in methods}


def route_deviation(data, method, **options):
    """Return the largest absolute deviation between analytic and numeric weights.

    Parameters
    ----------
    data : Dataset
    method : str
    **options
        Passed to :func:`solve`; the options that only the numeric route
        takes (e.g. ``max_steps``) are left out of the analytic one.

    Returns
    -------
    float
        ``max_j |w_analytic_j - w_numeric_j|``.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=1)
    >>> route_deviation(data, "rbm") < 1e-8
    True
    """
    spec = _REGISTRY.get(method)
    numeric_only = (spec.numeric_options - spec.options) if spec else set(_GD_OPTIONS)
    analytic = {k: v for k, v in options.items() if k not in numeric_only}
    a = solve(data, method, **analytic).w
    b = solve(data, method, numeric=True, **options).w
    return float(np.max(np.abs(a - b)))
