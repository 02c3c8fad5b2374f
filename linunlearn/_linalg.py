"""Pseudo-inverses through n x n Gram matrices, never a d x d matrix for n <= d.

Every closed form of the paper is ``w0 + X^+ (y - X w0)``. With ``n`` rows and
``d >= n`` columns, ``X^+ r = X^T (X X^T)^+ r``: one Gram product (``n^2 d``
flops), one Cholesky factorisation (``n^3 / 3``) and matrix-vector products.
With more rows than columns (large problems: :data:`NORMAL_MIN_WORK`),
``X^+ r = (X^T X)^{-1} X^T r`` through the d x d Gram matrix ``X^T X`` (``n
d^2`` flops) and its Cholesky factor, the normal equations. An
ill-conditioned or rank-deficient ``X``, and every small ``X`` with more rows
than columns, is factorised by a thin SVD of ``X`` itself instead (O(n d)
memory). All functions accept stacks of problems, arrays of shape ``(..., n,
d)``, so Monte Carlo trials run as one batched computation.

The factorisations call LAPACK (``dpotrf``, ``dpocon``, ``dpotrs``) once per
problem of a stack, through the same scipy wrappers as
:func:`scipy.linalg.cho_factor` and :func:`scipy.linalg.cho_solve` (so the same
numbers), without their per-call checks, and on one BLAS thread
(:func:`one_blas_thread`).

mv, rmv             batched ``A x`` and ``A^T x``
norm                the 2-norm of a vector, without underflow of its squares
gram, gram_blocks   ``X X^T`` of an array, or of row blocks without stacking them
one_blas_thread     a context in which BLAS and LAPACK run on one thread
gram_once, gram_eigh, gram_eigvalsh, numpy_pinv
                    ``X X^T``, its ``eigh``, its eigenvalues, ``numpy.linalg.pinv(X)``:
                    each computed once per read-only array
                    (:func:`linunlearn._validation.once_per_array`)
RowSpace            the row space of ``X``: ``pinv``, ``project``, ``gd_limit``, ``dual``
rescaling_exponents powers of two that bring data far from unit size back to it
"""

import numpy as np
from scipy.linalg import lapack
from threadpoolctl import ThreadpoolController

from ._validation import IllConditionedWarning, once_per_array, warn

#: A Cholesky solve with ``G = X X^T`` leaves a relative residual of up to
#: about ``cond(G) * eps = cond(X)^2 * eps``. Below this reciprocal condition
#: number of ``G`` (``cond(X)`` above about 1e4) that could approach the
#: interpolation tolerance (``solutions.INTERPOLATION_RTOL = 1e-6``; here at
#: most ~1e-8, a margin of 100), so the factorisation falls back to the SVD
#: of ``X``, whose ``X^+ r = V S^-1 U^T r`` loses only about ``cond(X) * eps``
#: in the weights and in the residual ``X w - y``. (At 1e-10 a well-posed fit
#: with cond(X) = 8e4 was reported as not interpolating: residual 1.3e-6.)
#: The same bound applies to ``X^T X`` on the normal-equations route.
RCOND_MIN = 1e-8

#: With more rows than columns, the normal equations (the d x d Gram matrix
#: ``X^T X`` and its Cholesky factor) replace the thin SVD of ``X`` when a
#: problem's ``n d^2`` reaches this. The SVD is the more accurate route (it
#: loses ``cond(X) eps``, the normal equations ``cond(X)^2 eps``, at most
#: ~1e-8 relative below :data:`RCOND_MIN`) and below this size it costs
#: well under a millisecond a problem; above it, it costs many times the
#: Gram product (measured: 19x at n = 5000, d = 500).
NORMAL_MIN_WORK = 2 ** 22

_CONTROLLER = None


def one_blas_thread():
    """A context manager in which BLAS and LAPACK (numpy's and scipy's) use one thread.

    Factorisations of n x n matrices and stacks of small problems gain
    nothing from a second thread, and lose much on a loaded machine: on this
    project's 2-core machine, under load, a Cholesky factorisation of a 1000 x
    1000 matrix took 0.016 s on one OpenBLAS thread and 1.3 s on two. The
    thread-pool inventory is taken once (:class:`threadpoolctl.ThreadpoolController`),
    so entering the context costs microseconds.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def mv(A, x):
    """Batched matrix-vector product ``A @ x`` for stacks of vectors."""
    return (A @ x[..., None])[..., 0]


def rmv(A, x):
    """Batched ``A^T @ x`` for stacks of vectors."""
    return (x[..., None, :] @ A)[..., 0, :]


def norm(v):
    """The 2-norm of ``v``, without the underflow (or overflow) of its squares.

    ``numpy.linalg.norm`` squares the entries: a vector of size 1e-160 has
    norm 0 there (a gradient-descent run would stop at once, as if it had
    converged). Rescaled only outside ``(1e-140, 1e140)``.

    Examples
    --------
    >>> float(norm(np.array([3e-160, 4e-160])))
    5e-160
    """
    value = float(np.linalg.norm(v))
    if 1e-140 < value < 1e140:
        return value
    peak = float(np.max(np.abs(v)))
    return peak * float(np.linalg.norm(v / peak)) if peak > 0 else 0.0


def gram(X):
    """Return ``X X^T`` (symmetric, computed by a single BLAS product)."""
    return X @ np.swapaxes(X, -1, -2)


def gram_blocks(blocks):
    """Return the Gram matrix of the row blocks ``[X_1; X_2; ...]`` without stacking them.

    One product per block on or above the diagonal, written into the result
    (the blocks below the diagonal are their transposes).
    """
    if len(blocks) == 1:
        return gram(blocks[0])
    sizes = [B.shape[-2] for B in blocks]
    edges = np.cumsum([0, *sizes])
    shape = np.broadcast_shapes(*(B.shape[:-2] for B in blocks))
    G = np.empty(shape + (edges[-1], edges[-1]))
    for i, Bi in enumerate(blocks):
        rows = slice(edges[i], edges[i + 1])
        G[..., rows, rows] = gram(Bi)
        for j in range(i + 1, len(blocks)):
            cols = slice(edges[j], edges[j + 1])
            G[..., rows, cols] = Bi @ np.swapaxes(blocks[j], -1, -2)
            G[..., cols, rows] = np.swapaxes(G[..., rows, cols], -1, -2)
    return G


def gram_once(X):
    """``X X^T`` (once per read-only ``X``)."""
    return once_per_array(X, "gram", lambda: gram(X))


def gram_eigh(X):
    """``numpy.linalg.eigh(X X^T)`` (once per read-only ``X``)."""
    return once_per_array(X, "eigh", lambda: np.linalg.eigh(gram_once(X)))


def gram_eigvalsh(X):
    """``numpy.linalg.eigvalsh(X X^T)`` (once per read-only ``X``)."""
    return once_per_array(X, "eigvalsh", lambda: np.linalg.eigvalsh(gram_once(X)))


def numpy_pinv(X):
    """``numpy.linalg.pinv(X)``, numpy's SVD route (once per read-only ``X``)."""
    return once_per_array(X, "pinv", lambda: np.linalg.pinv(X))


def _problems(A, core):
    """``A`` as a flat sequence of problems with ``core`` trailing axes."""
    return A.reshape(-1, *A.shape[A.ndim - core:])


def cholesky(G):
    """Lower Cholesky factors of a stack of symmetric positive definite matrices.

    LAPACK's ``dpotrf`` per problem, as :func:`scipy.linalg.cho_factor` calls
    it (the entries above the diagonal are left as they were). Each problem
    of the returned stack is a Fortran-ordered matrix (what LAPACK reads
    without a copy).

    Raises
    ------
    numpy.linalg.LinAlgError
        A matrix of the stack is not (numerically) positive definite.
    """
    def factor(g):
        c, info = lapack.dpotrf(g, lower=1, clean=0)
        if info > 0:
            raise np.linalg.LinAlgError(
                f"{info}-th leading minor of the array is not positive definite")
        return c

    if G.ndim == 2:  # one problem: LAPACK's own (Fortran-ordered) result
        return factor(G)
    n = G.shape[-1]
    out = np.empty(G.shape[:-2] + (n, n))
    for g, o in zip(_problems(G, 2), _problems(out, 2)):
        o[...] = factor(g).T  # o (C order) holds L^T: its transpose is L, Fortran-ordered
    return np.swapaxes(out, -1, -2)


def _one_norm(G):
    """The 1-norm (largest column sum of ``|G|``) of each matrix of a stack.

    Rows are summed in order, a block of about ``2**16`` entries at a time:
    the numbers of ``np.abs(G).sum(axis=-2)``, without a temporary of ``G``'s
    size (fresh memory costs page faults: 15 ms for 1000 x 1000 here).
    """
    n = G.shape[-1]
    rows = max(1, 2 ** 16 // n)
    total = None
    for i in range(0, G.shape[-2], rows):
        block = np.abs(G[..., i:i + rows, :])
        total = np.add.reduce(block if total is None else
                              np.concatenate([total[..., None, :], block], axis=-2),
                              axis=-2)
    return total.max(axis=-1)


def _rcond(factor, G):
    """LAPACK estimate (``dpocon``) of the reciprocal condition number, per problem."""
    anorm = _one_norm(G)
    out = np.empty(anorm.shape)
    flat = out.reshape(-1)
    for i, (c, a) in enumerate(zip(_problems(factor, 2), anorm.reshape(-1))):
        flat[i], info = lapack.dpocon(c, a, uplo="L")
        if info != 0:  # pragma: no cover - LAPACK argument error
            flat[i] = 0.0
    return out


def _cho_solve(factor, r):
    """``(L L^T)^{-1} r`` per problem (LAPACK ``dpotrs``, as :func:`scipy.linalg.cho_solve`).

    ``factor`` (..., n, n) and ``r`` (..., n) broadcast over their stack axes.
    """
    n = factor.shape[-1]
    shape = np.broadcast_shapes(factor.shape[:-2], r.shape[:-1])
    factors = _problems(factor, 2)
    which = np.broadcast_to(np.arange(len(factors)).reshape(factor.shape[:-2]), shape)
    rhs = np.broadcast_to(r, shape + (n,)).reshape(-1, n)
    out = np.empty(rhs.shape)
    for o, i, b in zip(out, which.reshape(-1), rhs):
        o[...], info = lapack.dpotrs(factors[i], b, lower=1)
        if info != 0:  # pragma: no cover - LAPACK argument error
            raise ValueError(f"illegal value in argument {-info} of LAPACK dpotrs")
    return out.reshape(shape + (n,))


#: Data whose largest entry (per problem) lies outside this range are
#: factorised rescaled by a power of two (:func:`rescaling_exponents`):
#: below it their squares in the Gram matrix would be denormal or zero
#: (entries of 1e-155 made well-conditioned data look ill-conditioned,
#: 1e-310 gave NaN), above it they could overflow. Inside it nothing is
#: rescaled (nor would a power of two change any result).
SAFE_RANGE = (2.0 ** -250, 2.0 ** 250)


def rescaling_exponents(blocks, gram=None):
    """Per-problem exponents ``e`` with ``2^e X`` of largest entry in [1/2, 1), or ``None``.

    ``None`` when every problem is in :data:`SAFE_RANGE` (or zero). ``gram``:
    ``X X^T`` or ``X^T X`` if computed; when its largest diagonal entry (a
    squared row or column norm, between the largest squared entry and ``n``
    or ``d`` times it) is in the range squared, no pass over the data is
    needed.
    """
    low, high = SAFE_RANGE
    if gram is not None:
        top = np.max(np.diagonal(gram, axis1=-2, axis2=-1), axis=-1)
        if np.all((top >= low ** 2) & (top <= high ** 2)):
            return None
    peak = 0.0
    for B in blocks:
        peak = np.maximum(peak, np.max(np.abs(B), axis=(-2, -1)))
    if np.all((peak == 0) | ((peak >= low) & (peak <= high))):
        return None
    return np.where(peak > 0, -np.frexp(peak)[1], 0)


def _factor(G):
    """Cholesky factor of ``G`` and its reciprocal condition numbers, or ``(None, None)``.

    ``None`` unless every problem is positive definite and well conditioned.
    """
    try:
        factor = cholesky(G)
    except np.linalg.LinAlgError:
        return None, None
    rcond = _rcond(factor, G)
    return (factor, rcond) if np.all(rcond >= RCOND_MIN) else (None, None)


class RowSpace:
    """The row space of ``X`` and its pseudo-inverse.

    Parameters
    ----------
    X : ndarray of shape (..., n, d), or a tuple of them
        The data matrix (or a stack of them), or its row blocks
        ``(X_1, X_2, ...)``, which are never copied into one array unless the
        SVD fallback needs ``X`` itself.
    G : ndarray of shape (..., n, n), optional
        Its Gram matrix ``X X^T`` if already known (e.g. a block of a larger
        Gram matrix). Not used when ``n > d``.
    name : str
        How warnings refer to ``X``.
    factor : ndarray of shape (..., n, n), optional
        A lower Cholesky factor of ``G`` if already known (the leading block
        of a larger problem's factor is the factor of its leading block).
    rcond : ndarray, optional
        With ``factor``: a known lower bound on the reciprocal condition
        number of ``G`` (1-norm), per problem. Where it reaches
        :data:`RCOND_MIN` no estimate is made.
    C : ndarray of shape (..., d, d), optional
        ``X^T X`` if already known; used on the normal-equations route.
    exponent : ndarray of int, optional
        Per problem: ``G``, ``factor`` and ``rcond`` are those of ``X *
        2^exponent`` (a larger problem's, rescaled).

    Attributes
    ----------
    rank : ndarray of int
        Numerical rank of each problem.
    rcond : ndarray or None
        The reciprocal condition number of the factorised Gram matrix
        (LAPACK's estimate, or the bound given), per problem; ``None`` on the
        SVD route.
    exponent : ndarray of int or None
        Data far from unit size (largest entry outside :data:`SAFE_RANGE`)
        are factorised as ``X * 2^exponent``, exactly, and the results
        scaled back: the answer is the same, without the underflow of their
        squares. ``None`` when no problem needed it.
    method : {"cholesky", "normal", "svd"}
        The factorisation used: Cholesky of ``G = X X^T`` when ``n <= d``,
        Cholesky of ``X^T X`` (the normal equations) when ``n > d`` and
        ``n d^2 >=`` :data:`NORMAL_MIN_WORK`, each when well conditioned
        (reciprocal condition number at least :data:`RCOND_MIN`); otherwise a
        thin SVD of ``X`` with the rank cut-off of ``numpy.linalg.matrix_rank``.

    Notes
    -----
    ``dual(r)`` returns ``a = (X X^T)^+ r``, so that ``X^+ r = X^T a`` on the
    Cholesky route. The SVD route ``X = U S V^T`` computes
    ``X^+ r = V (S^+ U^T r)`` instead: going through ``(X X^T)^+ = U S^-2
    U^T`` would square the condition number again. The normal equations give
    ``X^+ r = (X^T X)^{-1} X^T r`` and ``P = X^+ X = I`` (full column rank).
    The pseudo-inverse answer is returned for rank-deficient ``X`` (duplicate
    or collinear rows, more rows than columns), with an
    :class:`IllConditionedWarning`.
    """

    def __init__(self, X, G=None, *, name="X", factor=None, rcond=None, C=None,
                 exponent=None):
        self.blocks = tuple(X) if isinstance(X, (tuple, list)) else (X,)
        n = sum(B.shape[-2] for B in self.blocks)
        d = self.blocks[0].shape[-1]
        self.n, self.rcond, self.name, self.exponent = n, None, name, None
        if exponent is not None:  # G, factor, rcond are those of X * 2^exponent
            self._rescale(exponent)
        with one_blas_thread():
            if n <= d:
                G = gram_blocks(self.blocks) if G is None else G
                if exponent is None and self._rescale(rescaling_exponents(self.blocks, G)):
                    G, factor = gram_blocks(self.blocks), None
                self._G = G
                if factor is None:
                    factor, rcond = _factor(G)
                elif rcond is None or not np.all(rcond >= RCOND_MIN):
                    rcond = _rcond(factor, G)
                    factor = factor if np.all(rcond >= RCOND_MIN) else None
                if factor is not None:
                    self.method, self.rcond = "cholesky", rcond
                    self._factor = (factor, True)
                    self.rank = np.full(G.shape[:-2], n)
                    return
            elif n * d * d >= NORMAL_MIN_WORK:
                if C is None:  # one product per block: no stacked copy
                    C = sum(np.swapaxes(B, -1, -2) @ B for B in self.blocks)
                if self._rescale(rescaling_exponents(self.blocks, C)):
                    C = sum(np.swapaxes(B, -1, -2) @ B for B in self.blocks)
                factor, rcond = _factor(C)
                if factor is not None:
                    self.method, self.rcond = "normal", rcond
                    self._factor = (factor, True)
                    self.rank = np.full(C.shape[:-2], d)
                    self._warn(name, d, d)
                    return
            elif self.exponent is None:
                self._rescale(rescaling_exponents(self.blocks))
            self.method = "svd"
            U, s, Vt = np.linalg.svd(self.X, full_matrices=False)
        cutoff = s[..., :1] * max(n, d) * np.finfo(float).eps
        self._keep = s > cutoff
        self.rank = self._keep.sum(axis=-1)
        self._inv_s = np.where(self._keep, 1.0 / np.where(self._keep, s, 1.0), 0.0)
        self._U, self._Vt = U, Vt
        if np.any(self.rank < n):
            self._warn(name, int(np.min(self.rank)), d)
        else:
            warn(f"{name} is ill-conditioned (reciprocal condition number of its "
                 f"Gram matrix below {RCOND_MIN:g}); using an SVD of {name}",
                 IllConditionedWarning)

    def _rescale(self, exponent):
        """Work on ``X * 2^exponent`` (per problem) from now on; whether it did.

        Multiplying by a power of two is exact, and so is undoing it on the
        results (:meth:`_up`) unless they leave the floating-point range.
        """
        if exponent is None:
            return False
        self.exponent = np.asarray(exponent)
        self.blocks = tuple(np.ldexp(B, self.exponent[..., None, None])
                            for B in self.blocks)
        return True

    def _up(self, v, power=1, shift=None, name="the weights"):
        """``v * 2^(power * exponent - shift)``: a rescaled problem's result in the data's units.

        ``shift``: the exponent a right-hand side was rescaled by
        (:meth:`_rhs`), per problem.
        """
        if self.exponent is None and shift is None:
            return v
        total = (0 if self.exponent is None else power * self.exponent) - (
            0 if shift is None else shift)
        with np.errstate(over="ignore"):
            out = np.ldexp(v, np.asarray(total)[..., None])
        if not np.all(np.isfinite(out)):
            size = float(np.max(np.abs(self.X))) if self.exponent is None else float(
                np.ldexp(1.0, -int(np.max(self.exponent))))
            raise ValueError(
                f"{self.name}: {name} overflow the floating-point range: its entries "
                f"(largest about {size:.3g}) are too small for labels of this size; "
                f"rescale {self.name} (the weights scale as the labels divided by "
                f"the features)")
        return out

    @staticmethod
    def _rhs(r):
        """``r`` rescaled by a power of two when far from unit size (denormal labels, say).

        Returns ``(r * 2^shift, shift)``, or ``(r, None)``: solves then keep
        every bit of ``r``, and :meth:`_up` undoes the shift exactly.
        """
        shift = rescaling_exponents((r[..., None],))
        return (r, None) if shift is None else (np.ldexp(r, shift[..., None]), shift)

    def _warn(self, name, rank, d):
        why = ("it has no nonzero column" if rank == 0 else
               "duplicate or collinear rows, or more rows than features")
        warn(f"{name} is rank deficient (rank {rank} < {self.n} rows: {why}); using "
             f"the pseudo-inverse, which is what gradient descent converges to",
             IllConditionedWarning)

    @property
    def X(self):
        """The data matrix (row blocks stacked: a copy when there are several)."""
        if len(self.blocks) == 1:
            return self.blocks[0]
        return np.concatenate(self.blocks, axis=-2)

    @property
    def gram(self):
        """The Gram matrix ``X X^T`` factorised (``n <= d``): of ``X * 2^exponent``
        when the data were rescaled (:attr:`exponent`)."""
        return self._G

    @property
    def full_row_rank(self):
        """Whether every problem has rank ``n`` (so it can be interpolated)."""
        return bool(np.all(self.rank == self.n))

    def leading_factor(self, k):
        """Cholesky factor of the leading ``k x k`` block of ``G``, if factorised."""
        if self.method != "cholesky":
            return None
        return self._factor[0][..., :k, :k]

    def _lapack_factor(self):
        """The Cholesky factor laid out as LAPACK reads it: every problem Fortran-ordered.

        A leading block of a larger problem's factor is not: it is copied once
        (instead of at every solve).
        """
        factor = self.__dict__.get("_lapack")
        if factor is None:
            factor = self._factor[0]
            n = factor.shape[-1]
            if factor.strides[-2:] != (factor.itemsize, factor.itemsize * n):
                factor = np.swapaxes(np.ascontiguousarray(np.swapaxes(factor, -1, -2)),
                                     -1, -2)
            self._lapack = factor
        return factor

    def _dual(self, r):
        """``(X X^T)^+ r`` of the (possibly rescaled) problem the factorisation is of."""
        if self.method == "cholesky":
            return _cho_solve(self._lapack_factor(), r)
        if self.method == "normal":  # X (X^T X)^-2 X^T r
            C_inv = lambda v: _cho_solve(self._lapack_factor(), v)  # noqa: E731
            return self._apply(C_inv(C_inv(self._apply_t(r))))
        U = self._U
        return mv(U, self._inv_s ** 2 * rmv(U, r))

    def dual(self, r):
        """Return ``(X X^T)^+ r`` for ``r`` of shape (..., n)."""
        r, shift = self._rhs(r)
        return self._up(self._dual(r), 2, shift, "(X X^T)^+ r")

    def _apply(self, w):
        if len(self.blocks) == 1:
            return mv(self.blocks[0], w)
        return np.concatenate([mv(B, w) for B in self.blocks], axis=-1)

    def _apply_t(self, a):
        out, start = 0.0, 0
        for B in self.blocks:
            stop = start + B.shape[-2]
            out = out + rmv(B, a[..., start:stop])
            start = stop
        return out

    def apply(self, w):
        """Return ``X w`` (shape (..., n))."""
        return self._up(self._apply(w), -1)

    def apply_transpose(self, a):
        """Return ``X^T a`` (shape (..., d)) for ``a`` of shape (..., n)."""
        return self._up(self._apply_t(a), -1)

    def _pinv(self, r):
        if self.method == "cholesky":
            return self._apply_t(self._dual(r))
        if self.method == "normal":
            return _cho_solve(self._lapack_factor(), self._apply_t(r))
        return rmv(self._Vt, self._inv_s * rmv(self._U, r))

    def pinv(self, r):
        """Return ``X^+ r`` (shape (..., d)) for ``r`` of shape (..., n)."""
        r, shift = self._rhs(r)
        return self._up(self._pinv(r), 1, shift)

    def project(self, w):
        """Return ``P w = X^+ X w``, the projection on the row space."""
        if self.method == "cholesky":
            return self._pinv(self._apply(w))
        if self.method == "normal":  # full column rank: the row space is everything
            return np.array(w, dtype=float)
        return rmv(self._Vt, self._keep * mv(self._Vt, w))

    def gd_limit(self, y, w0):
        """Return ``w0 + X^+ (y - X w0)``: where gradient descent from ``w0`` ends."""
        return w0 + self.pinv(y - self.apply(w0))

    def fit(self, y, w0=None, Xw0=None, fitted=True):
        """Return ``w = w0 + X^+ (y - X w0)`` and its fitted values ``X w``, or ``None``.

        ``w`` is :meth:`gd_limit`'s (:meth:`pinv`'s without ``w0``), by the
        same operations. On the Cholesky route ``w = w0 + X^T a`` and ``X w =
        X w0 + G a``: an n x n product instead of a pass over ``X``, equal to
        it up to round-off there (``cond(X) <= 1e4``); elsewhere, or without
        ``fitted``, ``None``. ``Xw0``: ``X w0``, if known.
        """
        fitted = fitted and self.method == "cholesky"
        if w0 is None:
            if not fitted:
                return self.pinv(y), None
            r, shift = self._rhs(y)
            a = self._dual(r)  # of the rescaled problem: G a is the same
            return (self._up(self._apply_t(a), 1, shift),
                    self._up(mv(self._G, a), 0, shift))
        Xw0 = self.apply(w0) if Xw0 is None else Xw0
        r = y - Xw0
        if not fitted:
            return w0 + self.pinv(r), None
        r, shift = self._rhs(r)
        a = self._dual(r)
        return (w0 + self._up(self._apply_t(a), 1, shift),
                Xw0 + self._up(mv(self._G, a), 0, shift))
