"""Deletion streams: requests to forget ``D_f`` arriving one group after another.

split_requests      the ``k`` groups of ``D_f``'s rows (contiguous, sizes differing by <= 1)
request_data        the data set of request ``j``: what remains, and the group to delete
delete_stream       run any method request after request, each from the previous model
StreamResult        its models, the golden model after each request, the distances
stream_table        Monte Carlo means of the distance to golden after each request
StreamTable         its result: text and JSON (``linunlearn stream``)
STREAM_CLAIMS       S1-S4, what theory predicts along a stream, as claims for the verifier
stat_*              their per-trial statistics (a stream runner is their model provider)
compute_stream_figure, StreamFigure   the data of the ``deletion_stream`` figure
STREAM_METHODS, DEFAULT_REQUESTS

A stream deletes ``D_f`` in ``k`` requests. Before request ``j`` the model has
been trained on ``D_r`` and the groups ``j, ..., k`` not yet deleted; request
``j`` hands a method the data set whose remaining part is ``D_r`` plus the
groups ``j + 1, ..., k`` and whose forgetting part is group ``j``
(:func:`request_data`), and the model it returned for request ``j - 1``. The
reference after request ``j`` is the golden model of what remains,
``w_g^(j) = X_(r,j)^+ y_(r,j)``, and the reported error is
``||w_j - w_g^(j)|| / ||w_g^(j)||`` (docs/theory.md, section 9).

Methods continue from the previous model through their ``init`` option. The
core models of :mod:`linunlearn.solutions` have none, and their closed forms
are applied to the previous model ``w`` instead: fine-tuning ``w + X_r^+ (y_r
- X_r w)``, projection ``P_r w``, RBM, FBM and ``"masked"`` the reset (or
freeze) of ``w`` then fine-tuning, golden ``X_r^+ y_r`` and ``"pretrained"``
``w`` itself (no deletion). The first request runs the method as
:func:`linunlearn.solve` does, from its own trained model. Methods without
``init`` (``"certified"``: its loss perturbation is drawn at training) can
serve a single request only.
"""

from dataclasses import dataclass, replace

import numpy as np

from . import montecarlo
from ._linalg import RowSpace
from ._validation import check_int
from .checks import IDENTITY_RTOL, Check
from .claims import Claim, pretrained_interpolates
from .progress import Progress
from .scenarios import Dataset
from .solutions import METHODS, available_methods, mask_for, method_spec, solve

__all__ = ["split_requests", "request_data", "delete_stream", "StreamResult",
           "stream_table", "StreamTable", "STREAM_CLAIMS", "STREAM_METHODS",
           "DEFAULT_REQUESTS", "compute_stream_figure", "StreamFigure",
           "stat_projection_stays_exact", "stat_finetune_never_moves",
           "stat_finetune_error_grows", "stat_ridge_streams_exact"]

#: Requests a stream has by default (``n_f = 15`` in the default regimes:
#: groups of three rows).
DEFAULT_REQUESTS = 5

#: The rows of ``linunlearn stream`` by default: ``(label, method, options)``.
STREAM_METHODS = (("finetune", "finetune", {}), ("rbm", "rbm", {}), ("fbm", "fbm", {}),
                  ("projection", "projection", {}), ("newton", "newton", {}),
                  ("ridge_downdate", "ridge_downdate", {}), ("pru", "pru", {}),
                  ("pru[alpha=0]", "pru", {"alpha": 0.0}),
                  ("kl_ft[k=5]", "kl_ft", {"steps": 5}))


def split_requests(n_f, k):
    """The row indices of ``D_f`` deleted by each of ``k`` requests, in order.

    Contiguous groups whose sizes differ by at most one (the larger first).

    Examples
    --------
    >>> [g.tolist() for g in split_requests(5, 2)]
    [[0, 1, 2], [3, 4]]
    """
    k = check_int(k, "k", minimum=1)
    if k > n_f:
        raise ValueError(f"k, the number of requests, must be at most n_f = {n_f} (one "
                         f"row per request at most), got {k}")
    return tuple(np.array_split(np.arange(n_f), k))


def request_data(data, groups, j):
    """The data set of request ``j`` (0-based): remaining ``D_r`` + later groups, forgetting group ``j``.

    Supports are measured from the rows (the remaining part of an early
    request still holds forgetting rows); held-out sets are kept.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(8, 6, 2, 3, 4).sample(rng=0)
    >>> r = request_data(data, split_requests(4, 2), 0)
    >>> r.n_r, r.n_f
    (5, 2)
    """
    later = np.concatenate([np.asarray(g) for g in groups[j + 1:]] or [np.array([], int)])
    return Dataset(np.concatenate([data.X_r, data.X_f[later]]),
                   np.concatenate([data.y_r, data.y_f[later]]),
                   data.X_f[groups[j]], data.y_f[groups[j]],
                   X_test_r=data.X_test_r, y_test_r=data.y_test_r,
                   X_test_f=data.X_test_f, y_test_f=data.y_test_f)


def _outputs(fn, data, *arrays):
    """Apply a stacked-outputs closed form to (d,) or (d, k) weights."""
    if data.n_outputs is None:
        return fn(*arrays)
    return fn(*(a.T for a in arrays)).T


def _core_update(data, method, w, options):
    """A core model's closed form, applied to the previous model ``w``."""
    rows_r = data.rows[1]
    if method == "pretrained":
        return w
    if method == "golden":
        return _outputs(rows_r.pinv, data, data.y_r)
    if method == "finetune":
        return _outputs(rows_r.gd_limit, data, data.y_r, w)
    if method == "projection":
        return _outputs(rows_r.project, data, w)
    gd = set(options) - {"mask", "semantics", "saliency", "tol", "ratio"}
    if gd:
        raise ValueError(f"streams use the closed forms: option(s) {', '.join(sorted(gd))} "
                         f"of {method!r} are for gradient descent")
    mask, semantics = mask_for(data, method, **options)
    m = mask.reshape(mask.shape + (1,) * (w.ndim - 1))
    if semantics == "reset":
        return _outputs(rows_r.gd_limit, data, data.y_r, m * w)
    masked = RowSpace(data.X_r * mask, name="X_r restricted to the mask")
    return w + _outputs(masked.pinv, data, data.y_r - data.X_r @ w)


@dataclass(frozen=True)
class StreamResult:
    """A method run on a stream of deletion requests.

    Attributes
    ----------
    method : str
    options : dict
    groups : tuple of ndarray
        The rows of ``D_f`` each request deleted.
    start : ndarray
        The pretrained model ``w_o = X^+ y`` of all the data.
    models : ndarray of shape (k, d) or (k, d, outputs)
        The model after each request.
    goldens : ndarray, like ``models``
        The golden model of what remains after each request.
    n_remaining : ndarray of int, shape (k,)
        Rows left after each request.
    """

    method: str
    options: dict
    groups: tuple
    start: np.ndarray
    models: np.ndarray
    goldens: np.ndarray
    n_remaining: np.ndarray

    @property
    def distance(self):
        """``||w_j - w_g^(j)||`` after each request (Frobenius with outputs)."""
        diff = (self.models - self.goldens).reshape(len(self.models), -1)
        return np.linalg.norm(diff, axis=1)

    @property
    def relative_distance(self):
        """``||w_j - w_g^(j)|| / ||w_g^(j)||`` after each request."""
        norm = np.linalg.norm(self.goldens.reshape(len(self.goldens), -1), axis=1)
        return self.distance / np.maximum(norm, 1e-300)


def delete_stream(data, method, k=DEFAULT_REQUESTS, *, groups=None, **options):
    """Delete ``D_f`` in ``k`` requests with one method; each request starts from the previous model.

    Parameters
    ----------
    data : Dataset
    method : str
        Any declared method (see the module's notes on the core models and on
        methods without an ``init`` option).
    k : int
        Number of requests (groups of :func:`split_requests`).
    groups : sequence of index arrays, optional
        The rows of ``D_f`` of each request instead (disjoint, covering ``D_f``).
    **options
        The method's options, the same at every request.

    Returns
    -------
    StreamResult

    Raises
    ------
    ValueError
        Unknown method, bad groups, or a method without ``init`` asked for
        more than one request.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 6).sample(rng=0)
    >>> s = delete_stream(data, "projection", 3)
    >>> bool(s.relative_distance.max() < 1e-10), s.n_remaining.tolist()
    (True, [12, 10, 8])
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a linunlearn.Dataset, got {type(data).__name__}")
    spec = method_spec(method)
    if groups is None:
        groups = split_requests(data.n_f, k)
    else:
        groups = tuple(np.asarray(g, dtype=int) for g in groups)
        covered = np.sort(np.concatenate(groups)) if groups else np.array([], int)
        if not np.array_equal(covered, np.arange(data.n_f)):
            raise ValueError(f"groups must split the rows 0..{data.n_f - 1} of D_f into "
                             f"disjoint requests")
    core = method in METHODS
    if not core and "init" not in spec.options and len(groups) > 1:
        raise ValueError(f"method {method!r} cannot continue from the previous request's "
                         f"model (it has no init option); it can serve one request only "
                         f"(k=1)")
    start = solve(data, "pretrained").w
    models, goldens, left = [], [], []
    w = start
    for j in range(len(groups)):
        req = request_data(data, groups, j)
        if core:
            w = _core_update(req, method, w, options)
        elif j == 0:
            w = solve(req, method, **options).w
        else:
            w = solve(req, method, init=w, **options).w
        models.append(w)
        goldens.append(solve(req, "golden").w)
        left.append(req.n_r)
    return StreamResult(method, dict(options), groups, start, np.array(models),
                        np.array(goldens), np.array(left))


# --------------------------------------------------------------------------
# Monte Carlo table (linunlearn stream)


def _specs(methods):
    if methods is None:
        return {label: (m, dict(o)) for label, m, o in STREAM_METHODS}
    specs = {}
    for entry in methods:
        label, method, options = (entry, entry, {}) if isinstance(entry, str) else entry
        if method not in available_methods():
            raise ValueError(f"methods: unknown method {method!r}; known: "
                             f"{', '.join(available_methods())}")
        specs[label] = (method, dict(options))
    if not specs:
        raise ValueError("methods must name at least one method")
    return specs


@dataclass(frozen=True)
class StreamTable:
    """The result of :func:`stream_table`.

    Attributes
    ----------
    regime, description : str
    k : int
    methods : tuple of str
        Row labels.
    specs : dict
        ``label -> (method, options)``.
    cells : dict
        ``cells[label]`` is a :class:`~linunlearn.montecarlo.ConfidenceInterval`
        whose fields are arrays of shape (k,): the relative distance to
        golden after each request.
    n_trials, seed : int
    """

    regime: str
    description: str
    k: int
    methods: tuple
    specs: dict
    cells: dict
    n_trials: int
    seed: int

    def to_dict(self):
        """JSON-ready: per method, mean, low and high after each request."""
        return {"regime": self.regime, "description": self.description, "k": self.k,
                "n_trials": self.n_trials, "seed": self.seed,
                "confidence": montecarlo.CONFIDENCE,
                "metric": "||w_j - w_g^(j)|| / ||w_g^(j)|| after request j",
                "methods": {label: {"method": m, "options": dict(o),
                                    "mean": self.cells[label].estimate.tolist(),
                                    "low": self.cells[label].low.tolist(),
                                    "high": self.cells[label].high.tolist()}
                            for label, (m, o) in self.specs.items()}}

    def format_text(self):
        """One row per method, one column per request (mean relative distance to golden)."""
        head = [f"after {j + 1}" for j in range(self.k)]
        rows = {label: [f"{v:.3g}" for v in self.cells[label].estimate]
                for label in self.methods}
        first = max(len("method"), *(len(m) for m in self.methods))
        widths = [max(len(h), *(len(r[i]) for r in rows.values()))
                  for i, h in enumerate(head)]
        out = [f"{self.n_trials} draws of regime {self.regime} ({self.description}), "
               f"D_f deleted in {self.k} requests, seed {self.seed}; cells: mean of "
               f"||w_j - w_g^(j)|| / ||w_g^(j)||, w_g^(j) the golden model of what "
               f"remains after request j",
               f"{'method':<{first}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(head, widths))]
        for label, cells in rows.items():
            out.append(f"{label:<{first}}  " + "  ".join(
                f"{c:>{w}}" for c, w in zip(cells, widths)))
        return "\n".join(out)


def stream_table(methods=None, regime="overlap", *, k=DEFAULT_REQUESTS, n_trials=20,
                 seed=0, progress=False):
    """The mean relative distance to golden after each request, for several methods.

    Parameters
    ----------
    methods : sequence of str or (label, method, options), optional
        Default :data:`STREAM_METHODS`.
    regime : str or Regime
        A default regime's name or a :class:`~linunlearn.regimes.Regime`.
    k : int
    n_trials : int >= 2
        Trial ``i`` draws from the ``i``-th child of ``seed_sequence(seed,
        "stream", regime)``; every method runs on the same draws.
    seed : int
    progress : bool

    Returns
    -------
    StreamTable

    Examples
    --------
    >>> t = stream_table(["finetune", "projection"], "overlap", k=3, n_trials=3)
    >>> bool(t.cells["projection"].estimate.max() < 1e-10), t.cells["finetune"].estimate.shape
    (True, (3,))
    """
    from .regimes import DEFAULT_REGIMES, Regime
    if isinstance(regime, str):
        if regime not in DEFAULT_REGIMES:
            raise ValueError(f"regime: unknown regime {regime!r}; known: "
                             f"{', '.join(DEFAULT_REGIMES)}")
        regime = DEFAULT_REGIMES[regime]
    elif not isinstance(regime, Regime):
        raise TypeError(f"regime must be a default regime's name or a Regime, got "
                        f"{regime!r}")
    specs = _specs(methods)
    n_trials = check_int(n_trials, "n_trials", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    k = check_int(k, "k", minimum=1)
    split_requests(regime.scenario.n_f, k)  # a clear error before any work
    values = {label: [] for label in specs}
    bar = Progress(n_trials, "stream", enabled=progress)
    for child in montecarlo.seed_sequence(seed, "stream", regime.name).spawn(n_trials):
        data = regime.scenario.sample(rng=np.random.default_rng(child))
        for label, (method, options) in specs.items():
            values[label].append(delete_stream(data, method, k, **options).relative_distance)
        bar.update(regime.name)
    bar.close()
    cells = {}
    for label, v in values.items():  # a distance's interval stays at or above 0
        ci = montecarlo.confidence_interval(np.array(v))
        cells[label] = replace(ci, low=np.maximum(ci.low, 0.0))
    s = regime.scenario
    description = (f"d_r={s.d_r}, d_f={s.d_f}, d_lap={s.d_lap}, n_r={s.n_r}, n_f={s.n_f}, "
                   f"sigma={s.sigma:g}")
    return StreamTable(regime.name, description, k, tuple(specs), specs, cells, n_trials,
                       seed)


# --------------------------------------------------------------------------
# claims: what theory predicts along a stream (docs/theory.md, section 9)

#: The ridge penalties the exactness claim S4 runs Newton removal and the
#: downdate with (the methods' defaults).
_RIDGE = (("newton", {"lam": 0.01}), ("ridge_downdate", {"alpha": 0.5}))


def _per_trial(batch, stream, fn):
    stream = stream or delete_stream
    return np.array([fn(batch[i], stream) for i in range(batch.n_trials)])


def _norm(x):
    return float(np.linalg.norm(x))


def stat_projection_stays_exact(batch, models=None):
    """Per trial: the largest ``||w_j - w_g^(j)|| / ||w_g^(j)||`` of the projection stream.

    ``models`` is the stream runner (default :func:`delete_stream`).
    """
    return _per_trial(batch, models, lambda data, stream: float(
        np.max(stream(data, "projection", DEFAULT_REQUESTS).relative_distance)))


def stat_finetune_never_moves(batch, models=None):
    """Per trial: the largest ``||w_j - w_o|| / ||w_o||`` of the fine-tuning stream."""
    def one(data, stream):
        s = stream(data, "finetune", DEFAULT_REQUESTS)
        return max(_norm(w - s.start) for w in s.models) / max(_norm(s.start), 1e-300)
    return _per_trial(batch, models, one)


def stat_finetune_error_grows(batch, models=None):
    """Per trial: fine-tuning's largest deviation from ``||(I - P_(r,j)) w_o||`` or decrease.

    The larger of ``max_j | ||w_j - w_g^(j)|| - ||(I - P_(r,j)) w_o|| |`` (C3
    at each request, ``P_(r,j)`` by numpy's SVD-based pseudo-inverse, an
    independent route) and the largest decrease ``max_j (d_(j-1) - d_j)``
    of the distance, relative to ``||w_o||``.
    """
    def one(data, stream):
        s = stream(data, "finetune", DEFAULT_REQUESTS)
        d = s.distance
        off = []
        for j in range(len(s.groups)):
            X_r = request_data(data, s.groups, j).X_r
            off.append(_norm(s.start - np.linalg.pinv(X_r) @ (X_r @ s.start)))
        worst = max(float(np.max(np.abs(d - np.array(off)))),
                    float(np.max(np.diff(np.concatenate([[0.0], d])) * -1.0, initial=0.0)))
        return worst / max(_norm(s.start), 1e-300)
    return _per_trial(batch, models, one)


def stat_ridge_streams_exact(batch, models=None):
    """Per trial: the largest relative distance of the Newton and downdate streams to ridge retraining.

    After request ``j`` Newton removal (``lam``) should equal
    ``ridge_fit(X_(r,j), y_(r,j), lam)`` and the downdate (``alpha``)
    ``ridge_fit(X_(r,j), y_(r,j), alpha / n_(r,j))``
    (:func:`linunlearn.families.ridge_fit`, an independent route: one
    regularised solve per request).
    """
    from .families import ridge_fit

    def one(data, stream):
        worst = 0.0
        for method, options in _RIDGE:
            s = stream(data, method, DEFAULT_REQUESTS, **options)
            for j, w in enumerate(s.models):
                req = request_data(data, s.groups, j)
                lam = options.get("lam", options.get("alpha", 0.0) / max(req.n_r, 1))
                target = ridge_fit(req.X_r, req.y_r, lam)
                worst = max(worst, _norm(w - target) / max(_norm(target), 1e-300))
        return worst
    return _per_trial(batch, models, one)


def _claim(cid, statement, stat, check_statement, premise=pretrained_interpolates):
    return Claim(cid, statement, (Check(f"{cid}.{stat.__name__[5:]}", stat, "identity",
                                        check_statement, tolerance=IDENTITY_RTOL),),
                 regimes=("distinct", "overlap", "full-overlap"), premise=premise,
                 section="docs/theory.md, 9")


#: What theory predicts along a stream of ``DEFAULT_REQUESTS`` requests, as
#: claims: run them with ``verifier.verify(claims=STREAM_CLAIMS)`` (or
#: ``linunlearn stream --claims``) or on any regime with
#: ``verifier.check_claim``. They are not declared in ``claims.CLAIMS``, so
#: ``linunlearn verify`` does not run them by default.
STREAM_CLAIMS = (
    _claim("S1", "Projection stays exact after every request: P_(r,j) w_(j-1) is the "
           "golden model of what remains (C7 at each request, by induction).",
           stat_projection_stays_exact, "max_j ||w_j - w_g^(j)|| / ||w_g^(j)|| <= 1e-8"),
    _claim("S2", "Fine-tuning never moves from an interpolating w_o, request after "
           "request (C2 at each request).",
           stat_finetune_never_moves, "max_j ||w_j - w_o|| / ||w_o|| <= 1e-8"),
    _claim("S3", "Fine-tuning's error after request j is ||(I - P_(r,j)) w_o|| (C3), "
           "and it never decreases along the stream: the row spaces shrink.",
           stat_finetune_error_grows,
           "max_j of |d_j - ||(I - P_(r,j)) w_o||| and of the decrease d_(j-1) - d_j, "
           "over ||w_o||, <= 1e-8"),
    _claim("S4", "Newton removal (lam > 0) and the ridge downdate stay exact after every "
           "request: each equals ridge retraining on what remains.",
           stat_ridge_streams_exact,
           "max_j ||w_j - ridge retrained|| / ||ridge retrained|| <= 1e-8", premise=None),
)


# --------------------------------------------------------------------------
# the deletion_stream figure


@dataclass(frozen=True)
class StreamFigure:
    """Data of the ``deletion_stream`` figure.

    Attributes
    ----------
    requests : ndarray of int, shape (k,)
        ``1 .. k``.
    methods : tuple of str
        Row labels (``"kl_ft[k=5]"``: a variant of a method).
    mean, low, high : ndarray of shape (methods, k)
        Relative distance to golden after each request, and its interval.
    description : str
    n_trials, seed : int
    confidence : float
    """

    requests: np.ndarray
    methods: tuple
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    description: str
    n_trials: int
    seed: int
    confidence: float


def compute_stream_figure(seed=0, *, quick=False, progress=None):
    """Relative distance to golden against the number of requests (regime ``overlap``).

    Every row of :data:`STREAM_METHODS` on the ``overlap`` regime, ``D_f``
    deleted one row per request (15 requests; quick: 5 requests, 3 draws;
    full: 100 draws).
    """
    seed = check_int(seed, "seed", minimum=0)
    k, n_trials = (5, 3) if quick else (15, 100)
    table = stream_table(None, "overlap", k=k, n_trials=n_trials, seed=seed)
    if progress:
        progress(1, 1)
    cells = [table.cells[m] for m in table.methods]
    return StreamFigure(np.arange(1, k + 1), table.methods,
                        np.array([c.estimate for c in cells]),
                        np.array([c.low for c in cells]), np.array([c.high for c in cells]),
                        table.description, n_trials, seed, montecarlo.CONFIDENCE)
