"""Pseudo-inverses through n x n Gram matrices, never a d x d matrix.

Every closed form of the paper is ``w0 + X^+ (y - X w0)``. With ``n`` rows and
``d >= n`` columns, ``X^+ r = X^T (X X^T)^+ r``: one Gram product (``n^2 d``
flops), one Cholesky factorisation (``n^3 / 3``) and matrix-vector products.
An ill-conditioned or rank-deficient ``X``, and every ``X`` with more rows
than columns, is factorised by a thin SVD of ``X`` itself instead (O(n d)
memory). All functions accept stacks of problems, arrays of shape
``(..., n, d)``, so Monte Carlo trials run as one batched computation.
"""

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from ._validation import IllConditionedWarning, warn

#: A Cholesky solve with ``G = X X^T`` leaves a relative residual of up to
#: about ``cond(G) * eps = cond(X)^2 * eps``. Below this reciprocal condition
#: number of ``G`` (``cond(X)`` above about 1e4) that could approach the
#: interpolation tolerance (``solutions.INTERPOLATION_RTOL = 1e-6``; here at
#: most ~1e-8, a margin of 100), so the factorisation falls back to the SVD
#: of ``X``, whose ``X^+ r = V S^-1 U^T r`` loses only about ``cond(X) * eps``
#: in the weights and in the residual ``X w - y``. (At 1e-10 a well-posed fit
#: with cond(X) = 8e4 was reported as not interpolating: residual 1.3e-6.)
RCOND_MIN = 1e-8


def mv(A, x):
    """Batched matrix-vector product ``A @ x`` for stacks of vectors."""
    return (A @ x[..., None])[..., 0]


def rmv(A, x):
    """Batched ``A^T @ x`` for stacks of vectors."""
    return (x[..., None, :] @ A)[..., 0, :]


def gram(X):
    """Return ``X X^T`` (symmetric, computed by a single BLAS product)."""
    return X @ np.swapaxes(X, -1, -2)


def gram_blocks(blocks):
    """Return the Gram matrix of the row blocks ``[X_1; X_2; ...]`` without stacking them."""
    if len(blocks) == 1:
        return gram(blocks[0])
    rows = []
    for i, Bi in enumerate(blocks):
        rows.append([gram(Bi) if i == j else
                     np.swapaxes(rows[j][i], -1, -2) if j < i else
                     Bi @ np.swapaxes(Bj, -1, -2) for j, Bj in enumerate(blocks)])
    return np.concatenate([np.concatenate(r, axis=-1) for r in rows], axis=-2)


def _rcond(factor, G):
    """LAPACK estimate of the reciprocal condition number, per problem."""
    flat_c = factor.reshape(-1, *factor.shape[-2:])
    flat_g = G.reshape(-1, *G.shape[-2:])
    out = np.empty(len(flat_c))
    for i, (c, g) in enumerate(zip(flat_c, flat_g)):
        anorm = np.abs(g).sum(axis=0).max()
        out[i], info = lapack.dpocon(c, anorm, uplo="L")
        if info != 0:  # pragma: no cover - LAPACK argument error
            out[i] = 0.0
    return out.reshape(factor.shape[:-2])


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

    Attributes
    ----------
    rank : ndarray of int
        Numerical rank of each problem.
    method : {"cholesky", "svd"}
        The factorisation used: Cholesky of ``G`` when ``n <= d`` and ``G`` is
        well conditioned (reciprocal condition number at least
        :data:`RCOND_MIN`), otherwise a thin SVD of ``X`` with the rank
        cut-off of ``numpy.linalg.matrix_rank``.

    Notes
    -----
    ``dual(r)`` returns ``a = (X X^T)^+ r``, so that ``X^+ r = X^T a`` on the
    Cholesky route. The SVD route ``X = U S V^T`` computes
    ``X^+ r = V (S^+ U^T r)`` instead: going through ``(X X^T)^+ = U S^-2
    U^T`` would square the condition number again. The pseudo-inverse answer
    is returned for rank-deficient ``X`` (duplicate or collinear rows, more
    rows than columns), with an :class:`IllConditionedWarning`.
    """

    def __init__(self, X, G=None, *, name="X", factor=None):
        self.blocks = tuple(X) if isinstance(X, (tuple, list)) else (X,)
        n = sum(B.shape[-2] for B in self.blocks)
        d = self.blocks[0].shape[-1]
        self.n = n
        if n <= d:  # more rows than columns: rank deficient, no Gram needed
            G = gram_blocks(self.blocks) if G is None else G
            try:
                if factor is None:
                    factor, _ = scipy.linalg.cho_factor(G, lower=True,
                                                        check_finite=False)
                well_conditioned = bool(np.all(_rcond(factor, G) >= RCOND_MIN))
            except np.linalg.LinAlgError:
                well_conditioned = False
            if well_conditioned:
                self.method = "cholesky"
                self._factor = (factor, True)
                self.rank = np.full(G.shape[:-2], n)
                return
        self.method = "svd"
        U, s, Vt = np.linalg.svd(self.X, full_matrices=False)
        cutoff = s[..., :1] * max(n, d) * np.finfo(float).eps
        self._keep = s > cutoff
        self.rank = self._keep.sum(axis=-1)
        self._inv_s = np.where(self._keep, 1.0 / np.where(self._keep, s, 1.0), 0.0)
        self._U, self._Vt = U, Vt
        if np.any(self.rank < n):
            why = ("it has no nonzero column" if np.min(self.rank) == 0 else
                   "duplicate or collinear rows, or more rows than features")
            warn(f"{name} is rank deficient (rank {int(np.min(self.rank))} < "
                 f"{n} rows: {why}); using the pseudo-inverse, which is what "
                 f"gradient descent converges to", IllConditionedWarning)
        else:
            warn(f"{name} is ill-conditioned (reciprocal condition number of its "
                 f"Gram matrix below {RCOND_MIN:g}); using an SVD of {name}",
                 IllConditionedWarning)

    @property
    def X(self):
        """The data matrix (row blocks stacked: a copy when there are several)."""
        if len(self.blocks) == 1:
            return self.blocks[0]
        return np.concatenate(self.blocks, axis=-2)

    @property
    def full_row_rank(self):
        """Whether every problem has rank ``n`` (so it can be interpolated)."""
        return bool(np.all(self.rank == self.n))

    def leading_factor(self, k):
        """Cholesky factor of the leading ``k x k`` block of ``G``, if factorised."""
        if self.method != "cholesky":
            return None
        return self._factor[0][..., :k, :k]

    def dual(self, r):
        """Return ``(X X^T)^+ r`` for ``r`` of shape (..., n)."""
        if self.method == "cholesky":
            return scipy.linalg.cho_solve(self._factor, r[..., None],
                                          check_finite=False)[..., 0]
        U = self._U
        return mv(U, self._inv_s ** 2 * rmv(U, r))

    def apply(self, w):
        """Return ``X w`` (shape (..., n))."""
        if len(self.blocks) == 1:
            return mv(self.blocks[0], w)
        return np.concatenate([mv(B, w) for B in self.blocks], axis=-1)

    def apply_transpose(self, a):
        """Return ``X^T a`` (shape (..., d)) for ``a`` of shape (..., n)."""
        out, start = 0.0, 0
        for B in self.blocks:
            stop = start + B.shape[-2]
            out = out + rmv(B, a[..., start:stop])
            start = stop
        return out

    def pinv(self, r):
        """Return ``X^+ r`` (shape (..., d)) for ``r`` of shape (..., n)."""
        if self.method == "cholesky":
            return self.apply_transpose(self.dual(r))
        return rmv(self._Vt, self._inv_s * rmv(self._U, r))

    def project(self, w):
        """Return ``P w = X^+ X w``, the projection on the row space."""
        if self.method == "cholesky":
            return self.pinv(self.apply(w))
        return rmv(self._Vt, self._keep * mv(self._Vt, w))

    def gd_limit(self, y, w0):
        """Return ``w0 + X^+ (y - X w0)``: where gradient descent from ``w0`` ends."""
        return w0 + self.pinv(y - self.apply(w0))
