"""The models of the paper, in closed form and by running gradient descent, and the method registry.

solve               one model (core or registered), closed form or gradient descent
solve_all           several models on the same data
closed_form         the core models' analytic weights, on a Dataset or a DatasetBatch
mask_for            the mask of a masked method (RBM, FBM, or a given one)
route_deviation     largest gap between the analytic and the numeric weights
Solution            weights, method, options, mask, interpolation flag, GD runs
Stage               one gradient-descent run of a numeric solve: method, stage,
                    steps, final gradient norm, converged or not
numeric_plan        the runs a numeric solve would make, with the steps each
                    needs (from the spectrum) and their cost, before running
register_method     declare a method (also a decorator): name, options, docs,
                    place in ``compare`` and figure style follow from it
unregister_method   remove a declared method
method_spec         the declaration behind a method name (:class:`MethodSpec`)
available_methods   every method name, core ones first, in declaration order
describe            a method's documentation (objective, update, source, options)
METHODS             the core method names; PAPER_METHODS: the six models of the paper

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
matrices only (see :attr:`linunlearn.Dataset.rows`).

Every method, core or not, is one declaration (:func:`register_method`, used
as a decorator): the unlearning methods of :mod:`linunlearn.methods` and any
method of a user's are computed, compared and drawn exactly as the core ones.
"""

import inspect
from dataclasses import dataclass, field

import numpy as np

from . import masks
from ._linalg import RowSpace, mv, norm
from ._validation import MAX_ABS, as_mask, check_option, failures_named
from .scenarios import Dataset, computed_once
from .progress import Progress
from .simulate import GDRun, gradient_descent, smoothness, steps_to_converge

__all__ = ["METHODS", "PAPER_METHODS", "Solution", "Stage", "MethodSpec", "solve",
           "solve_all", "numeric_plan", "StagePlan",
           "closed_form", "mask_for", "route_deviation", "register_method",
           "unregister_method", "method_spec", "available_methods", "describe",
           "GD_OPTIONS", "INTERPOLATION_RTOL"]

#: The core methods: the models of the paper and the masked model.
METHODS = ("pretrained", "finetune", "golden", "masked", "rbm", "fbm", "projection")

#: The six models of the paper, in the order tables show them.
PAPER_METHODS = ("pretrained", "finetune", "golden", "rbm", "fbm", "projection")

#: A model interpolates its training data when the residual norm is below this
#: fraction of the label norm. Gradient descent stopped at a relative gradient
#: of 1e-12 leaves residuals many orders of magnitude smaller.
INTERPOLATION_RTOL = 1e-6

#: Options of :func:`linunlearn.gradient_descent` that the numeric route of the
#: core models passes on.
GD_OPTIONS = ("lr", "max_steps", "gtol", "batch_size", "rng")

#: The numeric options of the core models: those, and ``progress`` (a bar per
#: stage on a terminal, :class:`linunlearn.progress.Progress`).
_NUMERIC = GD_OPTIONS + ("progress",)

_MASKED = ("masked", "rbm", "fbm")


@dataclass(frozen=True)
class Solution:
    """A trained model and how it was obtained.

    Attributes
    ----------
    w : ndarray of shape (d,)
        The weights.
    method : str
        One of :func:`available_methods`.
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
        Method-specific facts (e.g. ``info["stop_reason"]``).
    stages : tuple of Stage
        For the numeric route: every gradient-descent run, in order (e.g.
        pretraining, then fine-tuning), each with its steps, final gradient
        norm and whether it converged; empty for a closed form.
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
    stages: tuple = ()

    @property
    def converged(self):
        """Whether every gradient-descent stage met its stopping rule (a closed form: True).

        ``run.stop_reason`` is the last stage's only: fine-tuning may
        converge from a pretrained model that did not.
        """
        return all(stage.converged for stage in self.stages)


@dataclass(frozen=True)
class Stage:
    """One gradient-descent run of a numeric solve: which method, which stage, how it ended.

    Attributes
    ----------
    method : str
    stage : str
        ``"pretraining"``, ``"fine-tuning"``, ``"retraining"``,
        ``"projection"``, ``"masked fine-tuning"`` or ``"training"`` (a
        declared method's own run).
    run : GDRun
    """

    method: str
    stage: str
    run: GDRun

    @property
    def steps(self):
        """Parameter updates made."""
        return self.run.n_steps

    @property
    def grad_norm(self):
        """The gradient norm when the run stopped."""
        return self.run.grad_norm

    @property
    def threshold(self):
        """The gradient norm below which the run counts as converged."""
        return self.run.threshold

    @property
    def converged(self):
        """Whether the run met its stopping rule."""
        return self.run.stop_reason == "converged"

    def to_dict(self):
        """JSON-ready: method, stage, steps, grad_norm, threshold, converged, stop_reason."""
        return {"method": self.method, "stage": self.stage, "steps": self.steps,
                "grad_norm": self.grad_norm, "threshold": self.threshold,
                "converged": self.converged, "stop_reason": self.run.stop_reason}


# --------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class MethodSpec:
    """The declaration of a method: everything that follows from it.

    Attributes
    ----------
    name : str
    solver : callable
        ``solver(data, *, numeric, **options)`` returning a dict with key
        ``"w"`` and optionally ``"run"``, ``"mask"``, ``"semantics"`` and
        ``"info"`` (fields of :class:`Solution`), and ``"fitted"``: ``X w``
        on the data the method fits, when the solver has it at no cost
        (:func:`solve` then checks interpolation from it).
    options : tuple of str
        Options accepted on both routes (the solver's keyword-only
        parameters).
    numeric_options : tuple of str
        Further options accepted only with ``numeric=True``.
    fits : {"remaining", "all"}
        The training data that :attr:`Solution.interpolates` refers to.
    compare : tuple of (str, dict)
        The rows of ``linunlearn compare``: ``(label, options)`` pairs.
    style : dict
        ``label``, ``color``, ``marker`` for figures (``None``: assigned).
    """

    name: str
    solver: object
    options: tuple
    numeric_options: tuple
    fits: str
    compare: tuple
    style: dict

    @property
    def doc(self):
        """The solver's docstring, cleaned (what :func:`describe` returns)."""
        return inspect.cleandoc(self.solver.__doc__ or f"{self.name}: no documentation.")


_REGISTRY = {}


def register_method(name, solver=None, *, numeric_only=(), fits="remaining",
                    compare=None, label=None, color=None, marker=None):
    """Declare a method, so that :func:`solve` (and ``compare``, figures) know it.

    Use it as a decorator (``@register_method("mine")``) or call it with the
    solver. The method's options are the solver's keyword-only parameters;
    its documentation (:func:`describe`) is the solver's docstring.

    Parameters
    ----------
    name : str
        A new method name.
    solver : callable, optional
        ``solver(data, *, numeric, **options)`` returning a dict with key
        ``"w"`` (weights of shape ``data.w_shape``) and optionally ``"run"``,
        ``"mask"``, ``"semantics"`` and ``"info"``.
    numeric_only : iterable of str
        Options accepted only when ``numeric=True`` (e.g. a step budget). A
        solver with ``**options`` receives these when it has no parameter of
        their name.
    fits : {"remaining", "all"}
        The training data that :attr:`Solution.interpolates` refers to.
    compare : None, False or dict of str to dict
        Rows of ``linunlearn compare`` (label to options); ``None`` (default):
        one row with the default options; ``False``: not compared.
    label, color, marker : str, optional
        How figures draw it (a colour and a marker are assigned when not
        given).

    Returns
    -------
    callable
        The solver (so that the decorator leaves the function usable).

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> @lu.register_method("shrunk_golden", compare=False)
    ... def shrunk_golden(data, *, numeric, factor=0.5):
    ...     '''Golden, shrunk by ``factor``.'''
    ...     return {"w": factor * lu.solve(data, "golden", numeric=numeric).w}
    ...
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sol = lu.solve(data, "shrunk_golden", factor=1.0)
    >>> bool(np.allclose(sol.w, lu.solve(data, "golden").w)), sol.interpolates
    (True, True)
    >>> lu.describe("shrunk_golden")
    'Golden, shrunk by ``factor``.'
    >>> lu.unregister_method("shrunk_golden")
    """
    if solver is None:
        return lambda fn: register_method(name, fn, numeric_only=numeric_only, fits=fits,
                                          compare=compare, label=label, color=color,
                                          marker=marker)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    if name in _REGISTRY:
        raise ValueError(f"method name {name!r} is taken")
    if not callable(solver):
        raise TypeError(f"solver must be callable, got {type(solver).__name__}")
    params = inspect.signature(solver).parameters
    if "numeric" not in params:
        raise TypeError(f"solver of {name!r} must take the keyword argument "
                        f"'numeric' (solver(data, *, numeric, **options))")
    numeric_only = tuple(numeric_only)
    options = tuple(p for p, v in params.items()
                    if v.kind == v.KEYWORD_ONLY and p != "numeric" and p not in numeric_only)
    rows = ((name, {}),) if compare is None else tuple((compare or {}).items())
    _REGISTRY[name] = MethodSpec(
        name, solver, options, numeric_only, check_option(fits, "fits", ("remaining", "all")),
        tuple((label_, dict(o)) for label_, o in rows),
        {"label": label or name, "color": color, "marker": marker})
    return solver


def unregister_method(name):
    """Remove a method declared with :func:`register_method` (core ones stay)."""
    if name in METHODS:
        raise ValueError(f"method {name!r} is a core method and cannot be removed")
    check_option(name, "name", available_methods())
    del _REGISTRY[name]


def method_spec(name):
    """Return the :class:`MethodSpec` of a method name."""
    check_option(name, "method", available_methods())
    return _REGISTRY[name]


def available_methods():
    """Names of every method :func:`solve` knows: core ones, then the others, in declaration order."""
    return tuple(_REGISTRY)


def describe(name):
    """Return the documentation of a method: objective, update rule, source, options.

    Parameters
    ----------
    name : str
        One of :func:`available_methods`.

    Returns
    -------
    str
        The docstring of the function behind ``solve(data, name, ...)``.

    Examples
    --------
    >>> print(describe("golden").splitlines()[0])
    The golden model: retraining from zero on the remaining data, ``X_r^+ y_r``.
    """
    check_option(name, "name", available_methods())
    return _REGISTRY[name].doc


# --------------------------------------------------------------------------
# closed forms and masks (batch-agnostic)


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
    return _closed_form(data, method, mask, semantics)[0]


def _closed_form(data, method, mask=None, semantics="reset", fitted=False):
    """:func:`closed_form`'s weights, and with ``fitted`` their fitted values or ``None``.

    The fitted values (``X w`` of the data the model fits) come cheaply from
    the Gram matrix on the Cholesky route
    (:meth:`~linunlearn._linalg.RowSpace.fit`), else are ``None``.
    """
    check_option(method, "method", METHODS)
    rows_all, rows_r = data.rows
    if method == "golden":
        return rows_r.fit(data.y_r, fitted=fitted)
    # w_o (and X_r w_o): computed once per data set, shared by every model from it
    w_o, fitted_o = computed_once(data, ("pretrained", fitted),
                                  lambda: rows_all.fit(data.y, fitted=fitted))
    if method == "pretrained":
        return w_o.copy(), fitted_o  # the shared one stays as computed
    if method in ("finetune", "projection"):
        Xw_o = computed_once(data, "X_r w_o", lambda: rows_r.apply(w_o))
        if method == "finetune":
            return rows_r.fit(data.y_r, w_o, Xw_o, fitted=fitted)
        if rows_r.method == "cholesky":  # P_r w_o = X_r^+ (X_r w_o)
            return rows_r.fit(Xw_o, fitted=fitted)
        return rows_r.project(w_o), None
    if semantics == "reset":
        return rows_r.fit(data.y_r, mask * w_o, fitted=fitted)
    masked = RowSpace(data.X_r * mask[..., None, :],
                      name=f"{method}: X_r restricted to the weights the mask updates")
    return w_o + masked.pinv(data.y_r - mv(data.X_r, w_o)), None


def _first_stage(data, method):
    """``(stage, X, y, w0, mask)`` of the first gradient-descent run of a core model."""
    zeros = np.zeros(data.w_shape)
    if method == "golden":
        return "retraining", data.X_r, data.y_r, zeros, None
    return "pretraining", data.X, data.y, zeros, None


def _second_stage(data, method, mask, semantics, w_o):
    """The run after pretraining (from ``w_o``), or ``None`` for golden and pretrained."""
    if method in ("golden", "pretrained"):
        return None
    if method == "finetune":
        return "fine-tuning", data.X_r, data.y_r, w_o, None
    if method == "projection":
        return "projection", data.X_r, data.X_r @ w_o, np.zeros(data.w_shape), None
    if semantics == "reset":
        return ("masked fine-tuning", data.X_r, data.y_r,
                mask.reshape(mask.shape + (1,) * (w_o.ndim - 1)) * w_o, None)
    return "masked fine-tuning", data.X_r, data.y_r, w_o, mask


def _numeric(data, method, mask, semantics, gd):
    """Gradient-descent runs, stage by stage, as the paper trains: a tuple of Stage."""
    monitors = {"remaining_loss": (data.X_r, data.y_r),
                "unlearning_loss": (data.X_f, data.y_f)}
    gd = dict(gd)
    progress = gd.pop("progress", False)

    def run(stage, X, y, w0, stage_mask):
        with Progress(None, f"{method}: {stage}", enabled=bool(progress)) as bar:
            result = gradient_descent(X, y, w0, mask=stage_mask, monitors=monitors,
                                      name=f"{method}, {stage}", progress=bar, **gd)
        return Stage(method, stage, result)

    stages = [run(*_first_stage(data, method))]
    second = _second_stage(data, method, mask, semantics, stages[0].run.w)
    if second is not None:
        stages.append(run(*second))
    return tuple(stages)


@dataclass(frozen=True)
class StagePlan:
    """A gradient-descent run that a numeric solve would make, predicted before it runs.

    Attributes
    ----------
    method, stage : str
        As in :class:`Stage`.
    on : str
        The data it runs on (``"[X_r; X_f]"``, ``"X_r"``, or ``"X_r"``
        restricted to a mask's columns).
    n, d : int
        Rows and columns (in the mask) of that data.
    cond : float
        Their condition number (non-zero singular values).
    steps : int or float
        Steps it takes to converge (:func:`linunlearn.simulate.steps_to_converge`;
        ``inf``: never).
    max_steps : int
        Its budget.
    seconds_per_step : float
        Measured on this machine, now (a few gradient evaluations).
    lr : float
        The step size it would use (``1/L`` unless given).
    lr_fastest : float
        ``2 / (L + mu)``, the constant step of the fastest guaranteed
        contraction (``mu``: the smallest non-zero curvature): about half
        the steps of ``1/L`` on an ill-conditioned problem, and safe (below
        ``2/L``).
    """

    method: str
    stage: str
    on: str
    n: int
    d: int
    cond: float
    steps: object
    max_steps: int
    seconds_per_step: float
    lr: float
    lr_fastest: float

    @property
    def converges(self):
        """Whether it would converge within its budget."""
        return self.steps <= self.max_steps

    @property
    def seconds(self):
        """Predicted run time: the steps it would make times the time of one."""
        return min(self.steps, self.max_steps) * self.seconds_per_step


def _seconds_per_step(X, y, w, monitors):
    """Time of one full-batch step (a gradient and the recorded losses), measured."""
    import time
    start = time.perf_counter()
    for _ in range(3):
        X.T @ (X @ w - y)  # the gradient
        for Xm, ym in ((X, y), *monitors):
            r = Xm @ w - ym
            float(np.sum(r * r))
    return (time.perf_counter() - start) / 3


def numeric_plan(data, methods=PAPER_METHODS, *, lr=None, max_steps=200_000, gtol=1e-12):
    """Predict the gradient-descent runs of ``solve(data, m, numeric=True)``, without running them.

    For each core method of ``methods`` (default masks) and each of its
    stages: the data it runs on, its condition number, the steps it needs
    to converge (exact for full-batch gradient descent, from the spectrum:
    :func:`linunlearn.simulate.steps_to_converge`; later stages start from
    the closed-form pretrained model, where the first stage converges to),
    and the time of a step, measured. Before a long run, this says how long
    it will be and whether it can converge within ``max_steps``.

    Parameters
    ----------
    data : Dataset
    methods : sequence of str
        Core methods (:data:`METHODS`).
    lr, max_steps, gtol
        As for :func:`linunlearn.gradient_descent` (full batch).

    Returns
    -------
    tuple of StagePlan

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> [(p.method, p.stage, p.converges) for p in numeric_plan(data, ["finetune"])]
    [('finetune', 'pretraining', True), ('finetune', 'fine-tuning', True)]
    """
    _check_data(data)
    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of method names, got the string "
                        f"{methods!r} (for one method: [{methods!r}])")
    for method in methods:
        check_option(method, "method", METHODS)
    monitors = ((data.X_r, data.y_r), (data.X_f, data.y_f))
    w_o = None
    memo, plans = {}, []

    def plan(method, stage, X, y, w0, mask, on):
        key = (stage if stage in ("pretraining", "retraining") else (method, stage))
        if key not in memo:
            Xm = X if mask is None else X[:, mask.ravel()]
            lam = np.linalg.eigvalsh(Xm @ Xm.T if Xm.shape[0] <= Xm.shape[1]
                                     else Xm.T @ Xm)
            live = lam[lam > lam[-1] * max(Xm.shape) * np.finfo(float).eps]
            L = smoothness(X, None if mask is None else mask.ravel())
            step = (1.0 / L if L > 0 else 1.0) if lr is None else lr
            memo[key] = (
                Xm.shape, float(np.sqrt(live[-1] / live[0])) if len(live) else np.inf,
                steps_to_converge(X, y, w0, lr=step, gtol=gtol,
                                  mask=None if mask is None else mask.ravel()),
                _seconds_per_step(X, y, w0, monitors), step,
                X.shape[0] / (live[-1] + live[0]) if len(live) else 1.0)
        shape, cond, steps, seconds, step, fastest = memo[key]
        plans.append(StagePlan(method, stage, on, shape[0], shape[1], cond, steps,
                               max_steps, seconds, step, fastest))

    for method in methods:
        if method == "masked":
            raise ValueError("numeric_plan covers the core methods with their default "
                             "masks: method 'masked' needs a mask (use 'rbm' or 'fbm')")
        mask, semantics = mask_for(data, method) if method in _MASKED else (None, None)
        stage, X, y, w0, _ = _first_stage(data, method)
        plan(method, stage, X, y, w0, None, "X_r" if method == "golden" else "[X_r; X_f]")
        if method not in ("golden", "pretrained"):
            w_o = solve(data, "pretrained").w if w_o is None else w_o
            stage, X, y, w0, stage_mask = _second_stage(data, method, mask, semantics, w_o)
            plan(method, stage, X, y, w0, stage_mask,
                 "X_r" if stage_mask is None else "X_r (columns in the mask)")
    return tuple(plans)


def _core(data, method, numeric, gd, mask_options=None):
    """The solver of a core model: closed form, or gradient descent stage by stage."""
    mask = semantics = None
    if method in _MASKED:
        mask, semantics = mask_for(data, method, **mask_options)
    if numeric:
        stages = _numeric(data, method, mask, semantics, gd)
        return {"w": stages[-1].run.w, "run": stages[-1].run, "stages": stages,
                "mask": mask, "semantics": semantics}
    w, fitted = _closed_form(data.outputs_first, method, mask, semantics, fitted=True)
    if data.n_outputs is not None:
        w, fitted = w.T, None if fitted is None else fitted.T
    return {"w": w, "mask": mask, "semantics": semantics, "fitted": fitted}


# The core models, each one declaration. Their numeric route passes the
# gradient-descent options on (GD_OPTIONS); masked models take mask options.

@register_method("pretrained", numeric_only=_NUMERIC, fits="all", compare=False,
                 label="pretrained $w_o$", color="#999999", marker="o")
def _pretrained(data, *, numeric, **gd):
    """The pretrained model: gradient descent from zero on all data, ``X^+ y``."""
    return _core(data, "pretrained", numeric, gd)


@register_method("finetune", numeric_only=_NUMERIC, label="fine-tuned $w_{ft}$",
                 color="#D55E00", marker="s")
def _finetune(data, *, numeric, **gd):
    """Fine-tuning: gradient descent on the remaining data from ``w_o``.

    Closed form ``w_o + X_r^+ (y_r - X_r w_o)``: equal to ``w_o`` whenever
    ``w_o`` interpolates ``D_r`` (docs/theory.md, C2).
    """
    return _core(data, "finetune", numeric, gd)


@register_method("golden", numeric_only=_NUMERIC, label="golden $w_g$ (retrained)",
                 color="#000000", marker="D")
def _golden(data, *, numeric, **gd):
    """The golden model: retraining from zero on the remaining data, ``X_r^+ y_r``."""
    return _core(data, "golden", numeric, gd)


@register_method("masked", numeric_only=_NUMERIC, compare=False, label="masked",
                 color="#777777", marker=".")
def _masked(data, *, numeric, mask=None, semantics="reset", **gd):
    """Masked fine-tuning with a given mask (the weights kept, or updated with freeze).

    Reset: ``(I - P_r)(m * w_o) + X_r^+ y_r``; freeze: ``w_o + X_m^+ (y_r -
    X_r w_o)`` with ``X_m`` the columns of ``X_r`` in the mask.
    """
    return _core(data, "masked", numeric, gd, {"mask": mask, "semantics": semantics})


@register_method("rbm", numeric_only=_NUMERIC, label="RBM", color="#0072B2",
                 marker="^")
def _rbm(data, *, numeric, mask=None, semantics="reset", saliency="support", tol=None,
         ratio=None, **gd):
    """Retention-based masking: keep the weights salient for ``D_r``, then fine-tune.

    With the support mask and reset semantics: golden with distinct features
    (C4), fine-tuning with full overlap (C6). Options as in :func:`mask_for`.
    """
    return _core(data, "rbm", numeric, gd, {"mask": mask, "semantics": semantics,
                                            "saliency": saliency, "tol": tol,
                                            "ratio": ratio})


@register_method("fbm", numeric_only=_NUMERIC, label="FBM", color="#E69F00",
                 marker="v")
def _fbm(data, *, numeric, mask=None, semantics="reset", saliency="support", tol=None,
         ratio=None, **gd):
    """Forgetting-based masking (SalUn's rule): unlearn the weights salient for ``D_f``.

    Options as in :func:`mask_for`.
    """
    return _core(data, "fbm", numeric, gd, {"mask": mask, "semantics": semantics,
                                            "saliency": saliency, "tol": tol,
                                            "ratio": ratio})


@register_method("projection", numeric_only=_NUMERIC, label="projection $P_r w_o$",
                 color="#009E73", marker="x")
def _projection(data, *, numeric, **gd):
    """Projection ``P_r w_o``: exact unlearning without the forgetting data (C7).

    Numeric route: gradient descent from zero on ``(X_r, X_r w_o)``.
    """
    return _core(data, "projection", numeric, gd)


# --------------------------------------------------------------------------
# solve


def _interpolates(X, y, w, fitted=None):
    """Whether ``X w = y`` to :data:`INTERPOLATION_RTOL`; ``X`` may be row blocks.

    ``fitted``: ``X w`` if already known.
    """
    if fitted is None:
        blocks = X if isinstance(X, tuple) else (X,)
        fitted = np.concatenate([B @ w for B in blocks])
    residual = norm(np.ravel(fitted - y))
    return bool(residual <= INTERPOLATION_RTOL * max(norm(np.ravel(y)), 1e-300))


def _check_weights(data, method, w):
    """Refuse weights of the wrong shape, not finite, or beyond ``MAX_ABS``."""
    shape = np.shape(w)
    if shape != data.w_shape:
        raise ValueError(f"{method}: its weights must have shape {data.w_shape} (one per "
                         f"feature{', per output' if len(data.w_shape) > 1 else ''}), "
                         f"got {shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{method}: its weights are not finite (NaN or inf)")
    largest = float(np.max(np.abs(w))) if np.size(w) else 0.0
    if not largest <= MAX_ABS:
        raise ValueError(
            f"{method}: its weights reach {largest:.3g}, beyond {MAX_ABS:g} (the limit "
            f"of what losses square): the features X_r, X_f (largest entry "
            f"{float(np.max(np.abs(data.X))):.3g}) are too small for the labels y_r, "
            f"y_f (largest {float(np.max(np.abs(data.y))):.3g}); rescale them (the "
            f"weights scale as the labels divided by the features)")


def _check_data(data):
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a linunlearn.Dataset (e.g. from "
                        f"Scenario.sample or Dataset(X_r, y_r, X_f, y_f)), got "
                        f"{type(data).__name__}")


def solve(data, method, *, numeric=False, **options):
    """Compute one model.

    Parameters
    ----------
    data : Dataset
    method : str
        One of :func:`available_methods` (the core :data:`METHODS`, the
        methods of :mod:`linunlearn.methods` and any declared with
        :func:`register_method`).
    numeric : bool
        ``False``: closed form. ``True``: run gradient descent for every stage
        (pretraining, then the method), as the paper trains.
    **options
        The method's options (:func:`describe`). Masked core methods:
        ``mask`` (``"masked"`` only: the weights kept, or with freeze
        semantics updated), ``semantics`` (``"reset"``, default, or
        ``"freeze"``), ``saliency`` (``"support"``, default, ``"fisher"`` or
        ``"gradient"``), ``tol`` or ``ratio`` (see
        :func:`linunlearn.masks.select`). Numeric route of the core methods:
        ``lr``, ``max_steps``, ``gtol``, ``batch_size``, ``rng`` (see
        :func:`linunlearn.simulate.gradient_descent`) and ``progress`` (a
        progress bar per stage, on a terminal).

    Returns
    -------
    Solution

    Raises
    ------
    TypeError
        ``data`` not a :class:`~linunlearn.Dataset`, ``numeric`` not a bool.
    ValueError
        Unknown method or option, a mask of the wrong length, a step size
        that makes gradient descent diverge, or weights beyond the inputs'
        limit (features far smaller than the labels: both sizes are named).

    Warns
    -----
    IllConditionedWarning
        A rank-deficient or ill-conditioned least-squares problem (the
        pseudo-inverse answer is returned).
    NotConvergedWarning
        ``numeric=True`` and a gradient-descent stage used up ``max_steps``
        (the warning names the method and the stage; every stage is in
        :attr:`Solution.stages`, and :attr:`Solution.converged` is true only
        when every stage converged).

    Notes
    -----
    RBM unlearns the weights that are not salient for ``D_r``, FBM those that
    are salient for ``D_f``. Reset semantics zeroes them and fine-tunes every
    weight on ``D_r``; freeze semantics fine-tunes only them, the others
    frozen at ``w_o`` (SalUn's rule). :attr:`Solution.mask` is the set kept
    (reset) or updated (freeze). The default salient sets are the supports,
    with reset semantics: with disjoint supports RBM is exactly golden
    (docs/theory.md, C4) and with full overlap it is exactly fine-tuning
    (C6). RBM with freeze semantics and the support mask updates only weights
    that ``X_r`` never uses, where the gradient on ``D_r`` is zero: it
    returns ``w_o`` (with a warning that the masked problem has no columns
    left).

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
    spec = method_spec(method)
    allowed = set(spec.options) | (set(spec.numeric_options) if numeric else set())
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for method "
                         f"{method!r} (numeric={numeric}); allowed: "
                         f"{', '.join(sorted(allowed)) or 'none'}")
    with failures_named(f"method {method!r}"):  # a registered method's own failure
        fields = spec.solver(data, numeric=numeric, **options)
    _check_weights(data, method, fields["w"])
    if numeric and "stages" not in fields and fields.get("run") is not None:
        fields["stages"] = (Stage(method, "training", fields["run"]),)
    X, y = ((data.X_r, data.X_f), data.y) if spec.fits == "all" else (data.X_r, data.y_r)
    fitted = fields.pop("fitted", None)  # X w, when the solver has it cheaply
    return Solution(method=method, route="numeric" if numeric else "analytic",
                    options=dict(options), interpolates=_interpolates(X, y, fields["w"],
                                                                      fitted),
                    **fields)


def solve_all(data, methods=PAPER_METHODS, *, numeric=False, **options):
    """Return ``{method: Solution}`` for several methods on the same data.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> sorted(solve_all(data))
    ['fbm', 'finetune', 'golden', 'pretrained', 'projection', 'rbm']
    """
    if isinstance(methods, str):
        raise TypeError(f"methods must be a sequence of method names, got the string "
                        f"{methods!r} (for one method: [{methods!r}])")
    try:
        methods = list(methods)
    except TypeError:
        raise TypeError(f"methods must be a sequence of method names, got "
                        f"{type(methods).__name__}") from None
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
    spec = method_spec(method)
    analytic = {k: v for k, v in options.items() if k not in spec.numeric_options}
    a = solve(data, method, **analytic).w
    b = solve(data, method, numeric=True, **options).w
    return float(np.max(np.abs(a - b)))
