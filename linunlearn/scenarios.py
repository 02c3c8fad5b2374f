"""Data models: generated scenarios and data sets (docs/theory.md, section 1).

Scenario        a generative model: supports, sample sizes, teachers, noise, scale
Dataset         one remaining set and one forgetting set (generated or user arrays)
DatasetBatch    a stack of data sets drawn from one scenario (Monte Carlo trials)
row_spaces      the row spaces of ``[X_r; X_f]`` and of ``X_r``, one Gram product
computed_once   a result computed once per data set or batch (e.g. ``w_o``, shared
                by every model of the data set)

Coordinates are laid out as ``[A | O | B | unused]``: ``A`` is used only by the
remaining data, ``O`` (size ``d_lap``) by both, ``B`` only by the forgetting
data. The remaining support is ``S_r = A + O`` (size ``d_r``), the forgetting
support ``S_f = O + B`` (size ``d_f``). A :class:`Dataset` and a
:class:`DatasetBatch` have the same attributes (the batch with a leading trial
axis on every sampled array), so every closed form and metric of the package
runs on either.
"""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import masks
from ._linalg import NORMAL_MIN_WORK, RowSpace, gram, gram_blocks
from ._validation import (MAX_ABS, as_array, as_generator, as_mask, check_float,
                          check_int, check_memory, check_option, check_values)

__all__ = ["Dataset", "DatasetBatch", "Scenario", "row_spaces", "computed_once"]

#: Generated features and labels are Gaussian draws times the scale, the
#: teacher's reach or sigma: those stay below this, so that the draws (a
#: standard normal is below 10 in magnitude with probability 1 - 2e-23) stay
#: below the inputs' limit :data:`~linunlearn._validation.MAX_ABS`.
_DRAWN_MAX = MAX_ABS / 100

#: Spawn key that separates the default teachers' random stream from every
#: stream a user seed (or a Monte Carlo child seed) gives the data.
_TEACHER_STREAM = 0x7EAC4E5


def _read_only(array, copy=True):
    """A read-only copy of ``array`` (or ``array`` itself, made read-only)."""
    array = np.array(array, copy=True) if copy else array
    array.setflags(write=False)
    return array


def _optional_pair(X, y, name, d, values=True):
    if (X is None) != (y is None):
        raise ValueError(f"give both X_{name} and y_{name}, or neither")
    if X is None:
        return None, None
    X = as_array(X, f"X_{name}", ndim=2, values=values)
    y = as_array(y, f"y_{name}", ndim=(1, 2))
    if X.shape[1] != d:
        raise ValueError(f"X_{name} must have d={d} columns, got {X.shape[1]}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y_{name} must have {X.shape[0]} entries (rows of "
                         f"X_{name}), got {y.shape[0]}")
    return X, y


#: Bytes of the row blocks a Dataset copies and checks at once: small enough
#: to stay in cache between the copy and the check, so that the data are
#: read from memory once.
_BLOCK_BYTES = 1 << 20


def _stacked_copy(parts, names):
    """One copy ``[part_1; part_2; ...]``, each part's entries checked as they are copied.

    Returns the copy and, for each part, the largest magnitude of each of
    its columns (what :func:`linunlearn.masks.supports` measures supports
    from), accumulated block by block: no temporary of the data's size.
    """
    d = parts[0].shape[1]
    out = np.empty((sum(len(p) for p in parts), d))
    rows = max(1, _BLOCK_BYTES // (8 * d))
    start, peaks = 0, []
    for part, name in zip(parts, names):
        peak = np.zeros(d)
        for i in range(0, len(part), rows):
            source = part[i:i + rows]
            block = out[start + i:start + i + len(source)]
            block[...] = source
            check_values(block, name)
            np.maximum(peak, np.max(np.abs(block), axis=0), out=peak)
        peaks.append(peak)
        start += len(part)
    return out, peaks


def row_spaces(X_r, X_f, X=None):
    """Return the row spaces of ``[X_r; X_f]`` and of ``X_r``, sharing their factorisation.

    Parameters
    ----------
    X_r : ndarray of shape (..., n_r, d)
    X_f : ndarray of shape (..., n_f, d)
    X : ndarray of shape (..., n_r + n_f, d), optional
        ``[X_r; X_f]`` when the data are stored stacked (a :class:`Dataset`,
        whose ``X_r`` and ``X_f`` are views of it): its Gram matrix is then
        one product. Without it the Gram matrix is assembled from the blocks'
        products (no stacked copy is made).

    Returns
    -------
    tuple of two RowSpace
        The row space of all the data, then that of ``X_r``; each gives
        ``pinv``, ``project`` and ``gd_limit`` (see :class:`Dataset.rows`).

    Notes
    -----
    With ``n_r + n_f <= d``: one Gram product of all data, whose leading block
    is the Gram matrix of ``X_r``, and one Cholesky factorisation, whose
    leading block is the factor for ``X_r``. With more rows than features,
    large problems take the normal equations: the d x d Gram matrices
    ``X_r^T X_r`` and ``X_r^T X_r + X_f^T X_f`` (one pass over the data), each
    factorised; small ones the SVD of the stacked data and of ``X_r`` (see
    :class:`~linunlearn._linalg.RowSpace`).

    Examples
    --------
    >>> import numpy as np
    >>> rows, rows_r = row_spaces(np.eye(3)[:1], np.eye(3)[1:2])
    >>> rows.pinv(np.array([2.0, 3.0])), rows_r.project(np.ones(3))
    (array([2., 3., 0.]), array([1., 0., 0.]))
    """
    n_r, d = X_r.shape[-2:]
    n = n_r + X_f.shape[-2]
    blocks = (X_r, X_f) if X is None else X
    if n > d:
        C_r = C = None
        if n * d * d >= NORMAL_MIN_WORK:  # the normal equations' d x d matrices
            C_r = np.swapaxes(X_r, -1, -2) @ X_r
            C = C_r + np.swapaxes(X_f, -1, -2) @ X_f
        return (RowSpace(blocks, name="[X_r; X_f]", C=C),
                RowSpace(X_r, name="X_r", C=C_r))
    G = gram_blocks(blocks) if X is None else gram(X)
    rows = RowSpace(blocks, G, name="[X_r; X_f]")
    # The leading block of G is at least as well conditioned as G (2-norm, by
    # eigenvalue interlacing), so in the 1-norm of the LAPACK estimate its
    # reciprocal condition number is at least G's over n^2: X_r needs no
    # estimate of its own unless G's is within that factor of the threshold.
    # (Data far from unit size are factorised rescaled by a power of two:
    # rows.exponent; X_r shares it with its Gram block and factor.)
    bound = None if rows.rcond is None else rows.rcond / n ** 2
    return rows, RowSpace(X_r, rows.gram[..., :n_r, :n_r], name="X_r",
                          factor=rows.leading_factor(n_r), rcond=bound,
                          exponent=rows.exponent)


def computed_once(data, key, compute):
    """Return ``compute()``, computed once per data set (or batch) and ``key``.

    For results that depend only on the data set's arrays, which do not
    change (a :class:`Dataset` holds read-only copies; a
    :class:`DatasetBatch` is not to be edited either): the pretrained model
    ``w_o``, shared by every model of the data set, or a factorisation used
    by several statistics of the same batch.

    Examples
    --------
    >>> data = Scenario.overlapping(6, 4, 2, 3, 2).sample(rng=0)
    >>> calls = []
    >>> first = computed_once(data, "answer", lambda: calls.append(1) or 42)
    >>> computed_once(data, "answer", lambda: calls.append(1) or 42), len(calls)
    (42, 1)
    """
    memo = data.__dict__.setdefault("_computed_once", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


#: Array fields of a Dataset other than the training data, copied read-only.
_COPIED_FIELDS = ("w_r_star", "w_f_star", "scale", "support_r", "support_f",
                  "X_test_r", "y_test_r", "X_test_f", "y_test_f")


class _OutputsFirst:
    """Attribute bag: a multi-output Dataset with outputs as the leading axis."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A remaining set ``D_r`` and a forgetting set ``D_f``.

    Built by :meth:`Scenario.sample`, or directly from user arrays (real data).
    The arrays are copied and made read-only, so that editing the caller's
    arrays afterwards cannot desynchronise them from the factorisations a
    data set caches.

    Parameters
    ----------
    X_r : ndarray of shape (n_r, d)
    y_r : ndarray of shape (n_r,) or (n_r, k)
        Labels; a 2-D array holds ``k`` outputs (e.g. one-hot classes), fitted
        jointly: weights then have shape (d, k) and losses sum over outputs.
    X_f : ndarray of shape (n_f, d)
    y_f : ndarray of shape (n_f,) or (n_f, k)
    w_r_star, w_f_star : ndarray of shape (d,) or (d, k), optional
        Teachers, when known. ``w_f_star`` defaults to ``w_r_star``.
    sigma : float, optional
        Label-noise standard deviation, when known.
    scale : ndarray of shape (d,), optional
        Per-coordinate standard deviation of Gaussian features. Given together
        with the teachers and ``sigma`` (as generated data are), it makes the
        population test losses exact.
    support_r, support_f : ndarray of bool, shape (d,), optional
        The features each distribution uses. Measured from the data when
        not given, scale-free (:func:`linunlearn.masks.supports`): a column
        is used by a set when its largest magnitude there exceeds
        :data:`linunlearn.masks.USED_RTOL` of its largest magnitude in both
        sets; a column dropped as numerically zero is named in a
        :class:`~linunlearn.NumericallyZeroWarning`.
    X_test_r, y_test_r, X_test_f, y_test_f : ndarray, optional
        Held-out samples of each distribution, for empirical test losses and
        the membership-inference attack.

    Raises
    ------
    ValueError, TypeError
        Naming the array: a shape that disagrees, a dtype that is not real
        numbers (it is named), NaN, inf or entries above 1e150, or a copy
        that needs more memory than is available (both sizes are named).

    Examples
    --------
    >>> import numpy as np
    >>> data = Dataset(np.eye(2, 4), np.ones(2), np.eye(4)[2:3], np.ones(1))
    >>> data.n_r, data.n_f, data.d
    (2, 1, 4)
    >>> data.support_f
    array([False, False,  True, False])
    """

    X_r: np.ndarray
    y_r: np.ndarray
    X_f: np.ndarray
    y_f: np.ndarray
    w_r_star: np.ndarray = None
    w_f_star: np.ndarray = None
    sigma: float = None
    scale: np.ndarray = None
    support_r: np.ndarray = None
    support_f: np.ndarray = None
    X_test_r: np.ndarray = field(default=None, repr=False)
    y_test_r: np.ndarray = field(default=None, repr=False)
    X_test_f: np.ndarray = field(default=None, repr=False)
    y_test_f: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        # Shapes and types first; the entries of X_r and X_f are checked once,
        # block by block, while they are copied into X = [X_r; X_f].
        X_r = as_array(self.X_r, "X_r", ndim=2, values=False)
        X_f = as_array(self.X_f, "X_f", ndim=2, values=False)
        if X_f.shape[1] != X_r.shape[1]:
            raise ValueError(f"X_f must have as many columns as X_r "
                             f"({X_r.shape[1]}), got {X_f.shape[1]}")
        d = X_r.shape[1]
        for name, X in (("r", X_r), ("f", X_f)):
            X, y = _optional_pair(X, getattr(self, f"y_{name}"), name, d, values=False)
            set_(f"X_{name}", X)
            set_(f"y_{name}", y)
            X, y = _optional_pair(getattr(self, f"X_test_{name}"),
                                  getattr(self, f"y_test_{name}"), f"test_{name}", d)
            set_(f"X_test_{name}", X)
            set_(f"y_test_{name}", y)
        outputs = {y.shape[1:] for y in (self.y_r, self.y_f, self.y_test_r,
                                         self.y_test_f) if y is not None}
        if len(outputs) > 1:
            raise ValueError(f"all label arrays must have the same number of "
                             f"outputs, got trailing shapes {sorted(outputs)}")
        if self.w_f_star is not None and self.w_r_star is None:
            raise ValueError("w_f_star needs w_r_star (give both teachers, or "
                             "only w_r_star for a shared teacher)")
        for name, shape in (("w_r_star", self.w_shape), ("w_f_star", self.w_shape),
                            ("scale", (d,))):
            value = getattr(self, name)
            if value is not None:
                value = as_array(value, name, ndim=(1, 2))
                if value.shape != shape:
                    raise ValueError(f"{name} must have shape {shape}, got "
                                     f"{value.shape}")
                set_(name, value)
        if self.w_r_star is not None and self.w_f_star is None:
            set_("w_f_star", self.w_r_star)
        if self.scale is not None and np.any(self.scale <= 0):
            raise ValueError("scale must be positive")
        if self.sigma is not None:
            set_("sigma", check_float(self.sigma, "sigma", minimum=0.0))
        for name in ("support_r", "support_f"):
            support = getattr(self, name)
            if support is not None:
                set_(name, as_mask(support, name, d))
        # One read-only copy of the training data: X_r and X_f (y_r and y_f)
        # are views of X = [X_r; X_f] (y), which needs no copy of its own.
        n_r = self.X_r.shape[0]
        n = n_r + self.X_f.shape[0]
        check_memory(8 * n * d, f"Dataset: a copy of X_r and X_f ({n} x {d})")
        X, peaks = _stacked_copy((self.X_r, self.X_f), ("X_r", "X_f"))
        scale = np.maximum(*peaks)  # each column's own scale
        for name, part, peak in zip(("support_r", "support_f"), ("X_r", "X_f"), peaks):
            if getattr(self, name) is None:  # the features the data use (masks.supports)
                set_(name, masks.used_features(peak, scale, part))
        y = np.concatenate([self.y_r, self.y_f])
        for whole, stacked, part_r, part_f in (("_X", X, "X_r", "X_f"),
                                               ("_y", y, "y_r", "y_f")):
            stacked = _read_only(stacked, copy=False)
            set_(whole, stacked)
            set_(part_r, stacked[:n_r])
            set_(part_f, stacked[n_r:])
        for name in _COPIED_FIELDS:
            value = getattr(self, name)
            if value is not None:
                set_(name, _read_only(value))

    @property
    def n_r(self):
        """Number of remaining samples."""
        return self.X_r.shape[0]

    @property
    def n_f(self):
        """Number of forgetting samples."""
        return self.X_f.shape[0]

    @property
    def d(self):
        """Number of features."""
        return self.X_r.shape[1]

    @property
    def w_shape(self):
        """Shape of a weight vector for this data set: (d,), or (d, k) for k outputs."""
        return (self.d, *self.y_r.shape[1:])

    def as_weights(self, value, name="w"):
        """``value`` as weights of shape :attr:`w_shape`, or an error naming ``name``."""
        w = as_array(value, name, ndim=(1, 2))
        if w.shape != self.w_shape:
            raise ValueError(f"{name} must have shape {self.w_shape}, got {w.shape}")
        return w

    @property
    def n_outputs(self):
        """Number of outputs ``k`` for 2-D labels, ``None`` for 1-D labels."""
        return self.y_r.shape[1] if self.y_r.ndim == 2 else None

    @property
    def X(self):
        """All training features ``[X_r; X_f]``, shape (n_r + n_f, d).

        ``X_r`` and ``X_f`` are views of this array.
        """
        return self._X

    @property
    def y(self):
        """All training labels ``[y_r; y_f]`` (``y_r`` and ``y_f`` are views of it)."""
        return self._y

    @property
    def has_population(self):
        """Whether exact population losses are available (generated data)."""
        return (self.scale is not None and self.w_r_star is not None
                and self.sigma is not None)

    @cached_property
    def outputs_first(self):
        """This data set with outputs as a leading axis: labels (k, n), teachers (k, d).

        Closed forms and metrics work on stacks, so ``k`` outputs are solved
        jointly as a stack of ``k`` problems sharing one factorisation. For
        1-D labels this is the data set itself.
        """
        if self.n_outputs is None:
            return self
        view = _OutputsFirst()
        view.__dict__.update({k: getattr(self, k) for k in (
            "X_r", "X_f", "X_test_r", "X_test_f", "support_r", "support_f", "scale",
            "sigma", "has_population", "rows", "d", "n_r", "n_f")})
        for name in ("y_r", "y_f", "y_test_r", "y_test_f", "y", "w_r_star", "w_f_star"):
            value = getattr(self, name)
            view.__dict__[name] = None if value is None else value.T
        return view

    @cached_property
    def rows(self):
        """Row spaces of all data and of ``X_r``, sharing one Gram product."""
        return row_spaces(self.X_r, self.X_f, self.X)


#: The held-out sets of a data set, in the order they are drawn.
_HELD_OUT = ("X_test_r", "y_test_r", "X_test_f", "y_test_f")


class DatasetBatch:
    """A stack of data sets drawn from one scenario, shaped like a :class:`Dataset`.

    Every sampled array has a leading trial axis (``X_r`` of shape
    ``(trials, n_r, d)``, ``y_r`` of shape ``(trials, n_r)``, ...); supports,
    scale, noise level and teachers are the scenario's. The closed forms
    (:func:`linunlearn.solutions.closed_form`), masks
    (:func:`linunlearn.solutions.mask_for`) and metrics
    (:func:`linunlearn.metrics.evaluate`) run on the whole stack at once.

    Parameters
    ----------
    scenario : Scenario
    arrays : dict of str to ndarray
        ``X_r, y_r, X_f, y_f`` and optionally ``X_test_r, y_test_r, X_test_f,
        y_test_f``, each with the trial axis first.
    generators : sequence of numpy.random.Generator, optional
        Each trial's generator, just after the draws of its training sets:
        the held-out sets are drawn from them, in the order of
        :meth:`Scenario.draw_arrays` (remaining, then forgetting), when first
        read (most statistics read none, the membership attack only the
        remaining one). :meth:`Scenario.sample_batch` passes them.

    Examples
    --------
    >>> import numpy as np
    >>> s = Scenario.overlapping(6, 4, 2, 3, 2)
    >>> batch = s.sample_batch(np.random.SeedSequence(0).spawn(5))
    >>> batch.n_trials, batch.X_r.shape, batch[0].X_r.shape
    (5, (5, 3, 8), (3, 8))
    >>> batch.X_test_r.shape                  # drawn when first read
    (5, 100, 8)
    """

    def __init__(self, scenario, arrays, *, generators=None):
        self.scenario = scenario
        self._held_out = {k: arrays[k] for k in _HELD_OUT if k in arrays}
        for name, value in arrays.items():
            if name not in _HELD_OUT:
                setattr(self, name, value)
        self._generators = generators
        self.support_r, self.support_f = scenario.support_r, scenario.support_f
        self.scale, self.sigma = scenario.scale, scenario.sigma
        self.w_r_star, self.w_f_star = scenario.w_r_star, scenario.w_f_star
        self.has_population = True

    def _read_held_out(self, name):
        # In stream order, each set when first needed: the remaining one
        # alone serves the membership attack (test losses are exact).
        for part in ("r", "f"):
            if self._generators is not None and f"X_test_{part}" not in self._held_out:
                drawn = self.scenario._held_out_stack(self._generators, part)
                for value in drawn.values():
                    value.setflags(write=False)
                self._held_out.update(drawn)
            if name.endswith(part):
                break
        if "X_test_f" in self._held_out:
            self._generators = None
        return self._held_out.get(name)

    X_test_r = property(lambda self: self._read_held_out("X_test_r"),
                        doc="Held-out remaining features, shape (trials, n_test, d).")
    y_test_r = property(lambda self: self._read_held_out("y_test_r"),
                        doc="Held-out remaining labels, shape (trials, n_test).")
    X_test_f = property(lambda self: self._read_held_out("X_test_f"),
                        doc="Held-out forgetting features, shape (trials, n_test, d).")
    y_test_f = property(lambda self: self._read_held_out("y_test_f"),
                        doc="Held-out forgetting labels, shape (trials, n_test).")

    @property
    def n_trials(self):
        """Number of stacked trials."""
        return self.X_r.shape[0]

    @property
    def n_r(self):
        """Number of remaining samples per trial."""
        return self.X_r.shape[-2]

    @property
    def n_f(self):
        """Number of forgetting samples per trial."""
        return self.X_f.shape[-2]

    @property
    def d(self):
        """Number of features."""
        return self.X_r.shape[-1]

    @cached_property
    def X(self):
        """All training features, shape (trials, n_r + n_f, d)."""
        return _read_only(np.concatenate([self.X_r, self.X_f], axis=-2), copy=False)

    @cached_property
    def y(self):
        """All training labels, shape (trials, n_r + n_f)."""
        return _read_only(np.concatenate([self.y_r, self.y_f], axis=-1), copy=False)

    @cached_property
    def rows(self):
        """Row spaces of all data and of ``X_r``, sharing one Gram product."""
        return row_spaces(self.X_r, self.X_f)

    def __len__(self):
        return self.n_trials

    def __getitem__(self, i):
        """Trial ``i`` as a :class:`Dataset` (with the scenario's teachers and supports)."""
        arrays = {k: getattr(self, k) for k in ("X_r", "y_r", "X_f", "y_f", *_HELD_OUT)}
        return Dataset(**{k: v[i] for k, v in arrays.items() if v is not None},
                       w_r_star=self.w_r_star, w_f_star=self.w_f_star,
                       sigma=self.sigma, scale=self.scale, support_r=self.support_r,
                       support_f=self.support_f)


@dataclass(frozen=True, eq=False)
class Scenario:
    """A generative model of remaining and forgetting data.

    Use the constructors :meth:`overlapping`, :meth:`distinct` or
    :meth:`from_supports`; :meth:`sample` draws a :class:`Dataset`.

    Attributes
    ----------
    support_r, support_f : ndarray of bool, shape (d,)
    n_r, n_f : int
    w_r_star, w_f_star : ndarray of shape (d,)
        Teachers (equal arrays for a shared teacher).
    sigma : float
        Label-noise standard deviation.
    scale : ndarray of shape (d,)
        Per-coordinate standard deviation of the features (ones: isotropic).
    n_test : int
        Held-out samples drawn per distribution (for the membership attack).

    Examples
    --------
    >>> s = Scenario.overlapping(d_r=6, d_f=4, d_lap=2, n_r=3, n_f=2)
    >>> s.d, s.d_lap, s.support_r.astype(int)
    (8, 2, array([1, 1, 1, 1, 1, 1, 0, 0]))
    >>> data = s.sample(rng=0)
    >>> data.X_r.shape, data.X_f.shape
    ((3, 8), (2, 8))
    """

    support_r: np.ndarray
    support_f: np.ndarray
    n_r: int
    n_f: int
    w_r_star: np.ndarray
    w_f_star: np.ndarray
    sigma: float = 0.0
    scale: np.ndarray = None
    n_test: int = 100

    @classmethod
    def overlapping(cls, d_r, d_f, d_lap, n_r, n_f, *, d_unused=0, sigma=0.0,
                    teacher="shared", w_star=None, w_f_star=None, scale=None,
                    n_test=100, teacher_seed=0):
        """Remaining and forgetting supports sharing ``d_lap`` features.

        Parameters
        ----------
        d_r, d_f : int
            Sizes of the remaining support ``S_r`` and forgetting support ``S_f``.
        d_lap : int
            Number of shared features, ``0 <= d_lap <= min(d_r, d_f)``.
        n_r, n_f : int
            Sample sizes.
        d_unused : int
            Extra coordinates that no data uses.
        sigma : float
            Label-noise standard deviation.
        teacher : {"shared", "separate"}
            One teacher for both sets, or independent ones (version 1 of the
            paper). Ignored when teachers are given.
        w_star, w_f_star : ndarray of shape (d,), optional
            User-given teachers (``w_f_star`` alone makes them separate).
            Default: i.i.d. ``N(0, 1/|S_r + S_f|)`` entries on the used
            coordinates, from ``teacher_seed``.
        scale : ndarray of shape (d,), optional
            Per-coordinate feature standard deviation (diagonal covariance).
        n_test : int
            Held-out samples per distribution.
        teacher_seed : int
            Seed of the default teachers, so that a scenario is a fixed object.
        """
        d_r = check_int(d_r, "d_r", minimum=1)
        d_f = check_int(d_f, "d_f", minimum=1)
        d_lap = check_int(d_lap, "d_lap", minimum=0)
        d_unused = check_int(d_unused, "d_unused", minimum=0)
        if d_lap > min(d_r, d_f):
            raise ValueError(f"d_lap must be <= min(d_r, d_f) = {min(d_r, d_f)}, "
                             f"got {d_lap}")
        d = d_r + d_f - d_lap + d_unused
        coords = np.arange(d)
        support_r = coords < d_r
        support_f = (coords >= d_r - d_lap) & (coords < d_r + d_f - d_lap)
        return cls.from_supports(support_r, support_f, n_r, n_f, sigma=sigma,
                                 teacher=teacher, w_star=w_star, w_f_star=w_f_star,
                                 scale=scale, n_test=n_test,
                                 teacher_seed=teacher_seed)

    @classmethod
    def distinct(cls, d_r, d_f, n_r, n_f, **options):
        """Disjoint supports: :meth:`overlapping` with ``d_lap = 0``."""
        return cls.overlapping(d_r, d_f, 0, n_r, n_f, **options)

    @classmethod
    def from_supports(cls, support_r, support_f, n_r, n_f, *, sigma=0.0,
                      teacher="shared", w_star=None, w_f_star=None, scale=None,
                      n_test=100, teacher_seed=0):
        """Arbitrary supports, given as boolean masks of length ``d``.

        Options are those of :meth:`overlapping`.
        """
        support_r = np.asarray(support_r)
        if support_r.ndim != 1:
            raise ValueError(f"support_r must be a boolean vector, got shape "
                             f"{support_r.shape}")
        d = support_r.shape[0]
        support_r = as_mask(support_r, "support_r", d)
        support_f = as_mask(support_f, "support_f", d)
        for name, s in (("support_r", support_r), ("support_f", support_f)):
            if not s.any():
                raise ValueError(f"{name} must select at least one feature")
        n_r = check_int(n_r, "n_r", minimum=1)
        n_f = check_int(n_f, "n_f", minimum=1)
        n_test = check_int(n_test, "n_test", minimum=1)
        sigma = check_float(sigma, "sigma", minimum=0.0)
        if sigma > _DRAWN_MAX:
            raise ValueError(f"sigma must be <= {_DRAWN_MAX:g} (the labels X w* + "
                             f"sigma * noise must stay below {MAX_ABS:g}), got {sigma:g}")
        check_option(teacher, "teacher", ("shared", "separate"))
        teacher_seed = check_int(teacher_seed, "teacher_seed", minimum=0)
        used = support_r | support_f
        # A stream of its own: default_rng(teacher_seed) would be the stream of
        # sample(rng=teacher_seed), making the teacher a multiple of a data row.
        gen = np.random.default_rng(np.random.SeedSequence(
            teacher_seed, spawn_key=(_TEACHER_STREAM,)))

        def default_teacher():
            w = np.zeros(d)
            w[used] = gen.standard_normal(used.sum()) / np.sqrt(used.sum())
            return w

        if w_star is None:
            if w_f_star is not None:
                raise ValueError("w_f_star needs w_star")
            w_star = default_teacher()
            if teacher == "separate":
                w_f_star = default_teacher()
        for name, w in (("w_star", w_star), ("w_f_star", w_f_star)):
            if w is not None and np.shape(w) != (d,):
                raise ValueError(f"{name} must have shape ({d},), got {np.shape(w)}")
        w_star = as_array(w_star, "w_star", ndim=1)
        w_f_star = w_star if w_f_star is None else as_array(w_f_star, "w_f_star", ndim=1)
        if scale is None:
            scale = np.ones(d)
        scale = as_array(scale, "scale", ndim=1, values=False)
        if scale.shape != (d,) or not np.all(scale > 0):
            raise ValueError(f"scale must be a positive vector of length {d}")
        if np.max(scale) > _DRAWN_MAX:
            raise ValueError(f"scale must have entries below {_DRAWN_MAX:g} (features "
                             f"are Gaussian times the scale and must stay below "
                             f"{MAX_ABS:g}), got {np.max(scale):.3g}")
        for name, w in (("w_star", w_star), ("w_f_star", w_f_star)):
            reach = float(np.sum(np.abs(scale * w)))  # |x . w| <= max|z| * reach
            if reach > _DRAWN_MAX:
                raise ValueError(f"{name} times the features' scale is too large: "
                                 f"sum |scale * {name}| = {reach:.3g}, above "
                                 f"{_DRAWN_MAX:g} (labels must stay below "
                                 f"{MAX_ABS:g}); rescale {name} or scale")
        return cls(*(_read_only(a) for a in (support_r, support_f)), n_r, n_f,
                   *(_read_only(a) for a in (w_star, w_f_star)), sigma,
                   _read_only(scale), n_test)

    @property
    def d(self):
        """Total number of coordinates."""
        return self.support_r.shape[0]

    @property
    def d_r(self):
        """Size of the remaining support."""
        return int(self.support_r.sum())

    @property
    def d_f(self):
        """Size of the forgetting support."""
        return int(self.support_f.sum())

    @property
    def d_lap(self):
        """Number of overlapping features."""
        return int((self.support_r & self.support_f).sum())

    @property
    def shared_teacher(self):
        """Whether both sets have the same teacher."""
        return bool(np.array_equal(self.w_r_star, self.w_f_star))

    def _draw_stack(self, generators, n, support, w_star):
        """``X`` (trials, n, d) and ``y`` (trials, n): each generator draws its features, then its noise.

        The features of trial ``t`` are ``generators[t].standard_normal((n,
        |support|))`` times the scale, placed on the support; the labels are
        ``X @ w_star + sigma * noise``. One trial per generator.
        """
        cols = np.flatnonzero(support)
        if cols[-1] - cols[0] + 1 == len(cols):  # a contiguous block: a slice
            cols = slice(int(cols[0]), int(cols[-1]) + 1)
        Z = np.empty((len(generators), n, int(support.sum())))
        noise = np.empty((len(generators), n))
        for gen, Z_t, noise_t in zip(generators, Z, noise):
            gen.standard_normal(out=Z_t)
            gen.standard_normal(out=noise_t)
        X = np.zeros((len(generators), n, self.d))
        scale = self.scale[support]
        X[..., cols] = Z if np.all(scale == 1.0) else Z * scale  # x * 1.0 == x exactly
        return X, X @ w_star + self.sigma * noise

    def _training_stack(self, generators):
        """The training sets of one trial per generator, trial axis first."""
        out = {}
        out["X_r"], out["y_r"] = self._draw_stack(generators, self.n_r, self.support_r,
                                                  self.w_r_star)
        out["X_f"], out["y_f"] = self._draw_stack(generators, self.n_f, self.support_f,
                                                  self.w_f_star)
        return out

    def _held_out_stack(self, generators, part=None):
        """The held-out sets, drawn from the generators after the training sets.

        ``part``: ``"r"`` or ``"f"`` draws one of them (the forgetting one
        only after the remaining one), ``None`` both.
        """
        out = {}
        check_memory(self._draw_bytes(len(generators), (self.n_test,) * (
            2 if part is None else 1)), f"drawing the held-out sets of {len(generators)} "
                     f"trials ({self.n_test} x {self.d} each)")
        if part in (None, "r"):
            out["X_test_r"], out["y_test_r"] = self._draw_stack(
                generators, self.n_test, self.support_r, self.w_r_star)
        if part in (None, "f"):
            out["X_test_f"], out["y_test_f"] = self._draw_stack(
                generators, self.n_test, self.support_f, self.w_f_star)
        return out

    def _draw_bytes(self, trials, rows):
        """Peak bytes of drawing ``rows`` (sizes of sets) for ``trials`` trials.

        Each set is drawn as Gaussian columns on its support and placed in a
        zeroed array of ``d`` columns (:meth:`_draw_stack`); the largest
        support's draws are alive at once with the arrays drawn so far.
        """
        support = max(self.d_r, self.d_f)
        return 8 * trials * (sum(rows) * self.d + max(rows) * support)

    def sample(self, rng=None):
        """Draw a :class:`Dataset` (training sets and held-out test sets).

        Parameters
        ----------
        rng : None, int or numpy.random.Generator
            Source of randomness (``numpy.random.default_rng(rng)``).

        Raises
        ------
        ValueError
            If the draw (and the data set's copy of it) needs more memory
            than is available: checked before anything is drawn.
        """
        rows = (self.n_r, self.n_f, self.n_test, self.n_test)
        check_memory(self._draw_bytes(1, rows) + 8 * (self.n_r + self.n_f) * self.d,
                     f"Scenario.sample: drawing X_r ({self.n_r} x {self.d}), X_f "
                     f"({self.n_f} x {self.d}) and the held-out sets (2 x {self.n_test} "
                     f"x {self.d}) and copying the training sets")
        return Dataset(**self.draw_arrays(rng), w_r_star=self.w_r_star,
                       w_f_star=self.w_f_star, sigma=self.sigma, scale=self.scale,
                       support_r=self.support_r, support_f=self.support_f)

    def sample_batch(self, seeds):
        """Draw one data set per seed and stack them into a :class:`DatasetBatch`.

        Parameters
        ----------
        seeds : sequence of numpy.random.SeedSequence (or anything ``default_rng`` takes)
            Trial ``i`` is exactly ``sample(rng=numpy.random.default_rng(seeds[i]))``.
            Its held-out sets are drawn when the batch first reads one of them.

        Returns
        -------
        DatasetBatch
        """
        generators = [np.random.default_rng(seed) for seed in seeds]
        if not generators:
            raise ValueError("seeds must hold at least one seed")
        check_memory(self._draw_bytes(len(generators), (self.n_r, self.n_f)),
                     f"Scenario.sample_batch: drawing {len(generators)} trials of X_r "
                     f"({self.n_r} x {self.d}) and X_f ({self.n_f} x {self.d})")
        arrays = self._training_stack(generators)
        for value in arrays.values():  # a batch's arrays never change
            value.setflags(write=False)
        return DatasetBatch(self, arrays, generators=generators)

    def draw_arrays(self, rng=None):
        """Draw the arrays of :meth:`sample` (same draws) as a dict, unchecked.

        Keys: ``X_r, y_r, X_f, y_f, X_test_r, y_test_r, X_test_f, y_test_f``.
        """
        gen = [as_generator(rng)]
        arrays = {**self._training_stack(gen), **self._held_out_stack(gen)}
        return {k: v[0] for k, v in arrays.items()}
