"""Symbolic derivations and proofs (sympy) for the claims of the paper.

This module derives, rather than types in, the closed-form expectations that
the Monte Carlo verifier compares against, and it checks the algebraic
identities behind claims C1-C8 (docs/theory.md, section 5) with checks that
can fail.

Derivations
    projection_moments                second moments of a random rank-k projection
    inverse_chi_square_mean           E[1/chi2_nu], integrated against the density
    expected_trace_inverse_gram       E tr((X X^T)^-1) or E tr((X^T X)^-1)
    golden_unlearning_loss_expression E UL(w_g) as a sympy expression
    golden_remaining_loss_expression  E remaining test loss of w_g (sympy)
    expected_golden_unlearning_loss   the same, evaluated for given sizes and teachers
    expected_golden_unlearning_loss_for  the same, evaluated for a Scenario
    expected_golden_remaining_loss    the same, evaluated
    SYMBOLS                           the sympy symbols of these expressions
Checks
    SymbolicResult                    name, statement, verdict, detail
    check_identity                    lhs == rhs: proved / disproved / inconclusive
    check_nonnegative                 expr >= 0 by a nonnegative substitution
    symbolic_checks                   every check of one claim ("C1".."C8")
    SYMBOLIC_CHECKS                   claim id -> tuple of check functions

Conventions: coordinates in the layout ``[A | O | B]`` (A remaining-only, O the
overlap of size ``d_lap``, B forgetting-only); ``S_r = A u O`` has ``d_r``
coordinates and ``S_f = O u B`` has ``d_f``. Features are isotropic Gaussian on
their support; the golden model is ``w_g = X_r^+ y_r``; losses are mean
squared errors.
"""

import functools
import numbers
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError
from sympy.stats import Beta, ChiSquared, E, density

from ._validation import LinunlearnWarning, as_array, check_float, check_int, warn

__all__ = [
    "SYMBOLS", "ProjectionMoments", "projection_moments", "inverse_chi_square_mean",
    "expected_trace_inverse_gram", "golden_unlearning_loss_expression",
    "golden_remaining_loss_expression", "expected_golden_unlearning_loss",
    "expected_golden_unlearning_loss_for", "expected_golden_remaining_loss", "SymbolicResult", "check_identity",
    "check_nonnegative", "symbolic_checks", "SYMBOLIC_CHECKS",
    "check_c1_interpolation", "check_c2_fine_tuning_keeps_pretrained",
    "check_c2_projection_moments", "check_c2_inverse_gram_trace",
    "check_c2_loss_assembly", "check_c2_golden_loss_formula",
    "check_c2_golden_loss_positive", "check_c3_mechanism",
    "check_c4_distinct_features", "check_c5_rbm_forgets_the_forgetting_only_block",
    "check_c6_full_overlap", "check_c7_projection",
    "check_c8_weight_irrelevant_at_convergence", "c8_regularised_limits",
]

#: The possible verdicts of a symbolic check.
VERDICTS = ("proved", "disproved", "inconclusive")


# --------------------------------------------------------------------------
# symbols


@dataclass(frozen=True)
class _Symbols:
    """The sympy symbols of the derived expressions (see ``SYMBOLS``)."""

    m: sp.Symbol            # ambient dimension of the random projection (= d_r)
    k: sp.Symbol            # its rank (= d_r - n_r)
    nu: sp.Symbol           # degrees of freedom of a chi-square
    n: sp.Symbol            # rows of a Gaussian matrix
    p: sp.Symbol            # columns of a Gaussian matrix
    d_r: sp.Symbol
    d_f: sp.Symbol
    d_lap: sp.Symbol
    n_r: sp.Symbol
    sigma: sp.Symbol
    wr_A2: sp.Symbol        # ||w_r,A||^2
    wr_O2: sp.Symbol        # ||w_r,O||^2
    wf_O2: sp.Symbol        # ||w_f,O||^2
    wrf_O: sp.Symbol        # <w_r,O, w_f,O>
    wf_B2: sp.Symbol        # ||w_f,B||^2
    w_A2: sp.Symbol         # shared teacher: ||w_A||^2
    w_O2: sp.Symbol         # ||w_O||^2
    w_B2: sp.Symbol         # ||w_B||^2


def _make_symbols():
    pos = dict(positive=True, integer=True)
    nonneg = dict(nonnegative=True)
    return _Symbols(
        *sp.symbols("m k", **pos), sp.Symbol("nu", positive=True),
        *sp.symbols("n p d_r d_f", **pos), sp.Symbol("d_lap", nonnegative=True, integer=True),
        sp.Symbol("n_r", **pos), sp.Symbol("sigma", **nonneg),
        *sp.symbols("wr_A2 wr_O2 wf_O2", **nonneg), sp.Symbol("wrf_O", real=True),
        *sp.symbols("wf_B2 w_A2 w_O2 w_B2", **nonneg))


#: The sympy symbols used by every derived expression of this module.
SYMBOLS = _make_symbols()


# --------------------------------------------------------------------------
# derivations


@dataclass(frozen=True)
class ProjectionMoments:
    """Moments of a uniformly random rank-``k`` orthogonal projection ``Q`` in R^m.

    Attributes
    ----------
    diag : sympy.Expr
        ``E Q_11`` (from the Beta law of ``Q_11``).
    diag_sq : sympy.Expr
        ``E Q_11^2`` (from the Beta law).
    offdiag_sq : sympy.Expr
        ``E Q_12^2`` (solved from idempotence).
    diag_offdiag : sympy.Expr
        ``E[Q_11 Q_12] = 0`` (sign-flip invariance).
    offdiag_pair : sympy.Expr
        ``E[Q_12 Q_13] = 0`` (sign-flip invariance).
    c1 : sympy.Expr
        ``E Q_11^2 - E Q_12^2``.
    c2 : sympy.Expr
        ``E Q_12^2``.
    """

    diag: sp.Expr
    diag_sq: sp.Expr
    offdiag_sq: sp.Expr
    diag_offdiag: sp.Expr
    offdiag_pair: sp.Expr
    c1: sp.Expr
    c2: sp.Expr


@functools.lru_cache(maxsize=None)
def projection_moments():
    r"""Derive the second moments of a uniformly random rank-k projection.

    Returns
    -------
    ProjectionMoments
        Expressions in ``SYMBOLS.m`` and ``SYMBOLS.k``, valid for
        ``m >= 2`` and ``0 < k < m`` (at ``k = 0`` and ``k = m`` the
        projection is the constant 0 or I, and the expressions evaluate to
        its moments: see :func:`check_c2_projection_moments`).

    Notes
    -----
    ``Q_11 = ||Q e_1||^2`` is the squared length of the projection of a fixed
    unit vector on a uniformly random k-dimensional subspace, so
    :math:`Q_{11} \sim \mathrm{Beta}(k/2, (m-k)/2)`; sympy.stats integrates
    its first two moments. Idempotence and symmetry give
    :math:`Q_{11} = (Q^2)_{11} = \sum_j Q_{1j}^2`, and by permutation
    invariance all :math:`E Q_{1j}^2` (:math:`j \ne 1`) are equal, so
    :math:`E Q_{11} = E Q_{11}^2 + (m - 1) E Q_{12}^2`, solved for
    :math:`E Q_{12}^2`. The law of ``Q`` is invariant under ``Q -> D Q D`` for
    every diagonal sign matrix ``D``; flipping the sign of coordinate 2
    changes the sign of :math:`Q_{11} Q_{12}` and of :math:`Q_{12} Q_{13}`,
    so both have mean 0.

    Examples
    --------
    >>> from linunlearn.theory import projection_moments, SYMBOLS
    >>> mom = projection_moments()
    >>> mom.diag
    k/m
    >>> sp_m, sp_k = SYMBOLS.m, SYMBOLS.k
    >>> mom.c2.subs({sp_m: 4, sp_k: 2})
    1/18
    """
    m, k = SYMBOLS.m, SYMBOLS.k
    a, b = sp.symbols("alpha beta", positive=True)
    q11 = Beta("Q_11", a, b)
    half = {a: k / 2, b: (m - k) / 2}
    diag = sp.factor(sp.simplify(E(q11).subs(half)))
    diag_sq = sp.factor(sp.simplify(E(q11 ** 2).subs(half)))
    x = sp.Symbol("x")
    (offdiag_sq,) = sp.solve(sp.Eq(diag, diag_sq + (m - 1) * x), x)
    offdiag_sq = sp.factor(offdiag_sq)
    return ProjectionMoments(diag=diag, diag_sq=diag_sq, offdiag_sq=offdiag_sq,
                             diag_offdiag=sp.Integer(0), offdiag_pair=sp.Integer(0),
                             c1=sp.factor(diag_sq - offdiag_sq), c2=offdiag_sq)


@functools.lru_cache(maxsize=None)
def inverse_chi_square_mean():
    r"""Derive :math:`E[1/\chi^2_\nu]` by integrating against the chi-square density.

    Returns
    -------
    sympy.Expr
        An expression in ``SYMBOLS.nu``, valid for ``nu > 2`` (for
        ``nu <= 2`` the integral diverges: :func:`check_c2_inverse_gram_trace`).

    Notes
    -----
    .. math:: E[1/\chi^2_\nu] = \int_0^\infty x^{-1} f_\nu(x)\, dx,

    integrated by sympy with ``nu = 2 + s``, ``s > 0``.

    Examples
    --------
    >>> from linunlearn.theory import inverse_chi_square_mean
    >>> inverse_chi_square_mean()
    1/(nu - 2)
    """
    nu = SYMBOLS.nu
    s = sp.Symbol("s", positive=True)
    x = sp.Symbol("x", positive=True)
    f = density(ChiSquared("C", 2 + s))(x)
    mean = sp.integrate(f / x, (x, 0, sp.oo))
    return sp.simplify(mean.subs(s, nu - 2))


@functools.lru_cache(maxsize=None)
def expected_trace_inverse_gram(*, regime):
    r"""Derive the mean trace of the inverse Gram matrix of a Gaussian ``n x p`` matrix.

    Parameters
    ----------
    regime : {"over", "under"}
        ``"over"``: ``n < p``, the quantity is :math:`E\,\mathrm{tr}((X X^T)^{-1})`
        (finite for ``p > n + 1``). ``"under"``: ``n > p``, the quantity is
        :math:`E\,\mathrm{tr}((X^T X)^{-1})` (finite for ``n > p + 1``).

    Returns
    -------
    sympy.Expr
        An expression in ``SYMBOLS.n`` and ``SYMBOLS.p``.

    Notes
    -----
    For ``W = X X^T`` (Wishart with ``p`` degrees of freedom in dimension
    ``n``), :math:`(W^{-1})_{11} = 1/(W_{11} - W_{12} W_{22}^{-1} W_{21})`
    (Schur complement, checked in :func:`check_c2_inverse_gram_trace`) and the
    Schur complement is :math:`\chi^2_{p-n+1}` (Muirhead 1982, Thm 3.2.10), so
    :math:`E (W^{-1})_{11} = E[1/\chi^2_{p-n+1}]`; the ``n`` diagonal entries
    have the same law (permutation invariance of the rows). The ``"under"``
    case is the same with ``n`` and ``p`` exchanged.

    Examples
    --------
    >>> from linunlearn.theory import expected_trace_inverse_gram
    >>> expected_trace_inverse_gram(regime="over")
    n/(-n + p - 1)
    """
    _check_option(regime, "regime", ("over", "under"))
    n, p, nu = SYMBOLS.n, SYMBOLS.p, SYMBOLS.nu
    dim, dof = (n, p) if regime == "over" else (p, n)
    return sp.factor(dim * inverse_chi_square_mean().subs(nu, dof - dim + 1))


def _moment_symbols():
    """Abstract moments used to assemble the losses before substitution."""
    return sp.symbols("mu1 mu2 nu2 tau", real=True)


class _Gram:
    """Vectors as coefficient rows over named block vectors with a symbolic Gram matrix."""

    def __init__(self, names, gram):
        self.names = tuple(names)
        self.gram = sp.Matrix(gram)

    def vec(self, **coefficients):
        return sp.Matrix([[coefficients.get(name, 0) for name in self.names]])

    def dot(self, u, v):
        return sp.expand((u * self.gram * v.T)[0, 0])


def _teacher_gram(teacher):
    """Blocks ``(w_r,A, w_r,O, w_f,O, w_f,B)`` and their Gram matrix."""
    s = SYMBOLS
    if teacher == "shared":
        a2, o2, b2 = s.w_A2, s.w_O2, s.w_B2
        gram = [[a2, 0, 0, 0], [0, o2, o2, 0], [0, o2, o2, 0], [0, 0, 0, b2]]
    else:
        gram = [[s.wr_A2, 0, 0, 0], [0, s.wr_O2, s.wrf_O, 0],
                [0, s.wrf_O, s.wf_O2, 0], [0, 0, 0, s.wf_B2]]
    return _Gram(("rA", "rO", "fO", "fB"), gram)


def _second_moment_rule(mu2, nu2, count, full_sq, block_sq):
    r"""``sum_{i in C} E (e_i^T Q w)^2`` over ``count`` coordinates ``C``.

    ``E[Q e_i e_i^T Q] = nu2 I + (mu2 - nu2) e_i e_i^T`` (only the patterns
    ``Q_ii^2`` and ``Q_ij^2`` survive sign flips), so the sum is
    ``nu2 count ||w||^2 + (mu2 - nu2) ||w_C||^2``. Checked entry by entry at
    small ``m`` by :func:`check_c2_loss_assembly`.
    """
    return nu2 * count * full_sq + (mu2 - nu2) * block_sq


@functools.lru_cache(maxsize=None)
def _unlearning_loss_terms(teacher):
    """E UL(w_g) in the abstract moments: (signal, label noise, propagated noise)."""
    s = SYMBOLS
    mu1, mu2, nu2, tau = _moment_symbols()
    g = _teacher_gram(teacher)
    w_r = g.vec(rA=1, rO=1)
    w_rO = g.vec(rO=1)
    u = g.vec(rO=1, fO=-1)            # (w_r - w_f) on O
    w_fB = g.vec(fB=1)
    # e_O = u - (Q w_r)_O + (X_r^+ eps)_O and e_B = -w_f,B; E(Q w)_O = mu1 w_O,
    # and the noise has mean 0 and is independent of Q.
    signal_O = (g.dot(u, u) - 2 * mu1 * g.dot(u, w_rO)
                + _second_moment_rule(mu2, nu2, s.d_lap, g.dot(w_r, w_r), g.dot(w_rO, w_rO)))
    signal = signal_O + g.dot(w_fB, w_fB)
    propagated = s.sigma ** 2 * s.d_lap * tau     # sum over O of E (X^+ X^+T)_ii
    label = s.sigma ** 2                          # fresh eps_f on the forgetting set
    return signal, label, propagated


@functools.lru_cache(maxsize=None)
def _remaining_loss_terms():
    """E||(w_g - w_r)_{S_r}||^2 + sigma^2 in the abstract moments."""
    s = SYMBOLS
    mu1, mu2, nu2, tau = _moment_symbols()
    g = _teacher_gram("separate")
    w_r = g.vec(rA=1, rO=1)
    # e = -Q w_r + X_r^+ eps on all d_r coordinates of S_r
    signal = _second_moment_rule(mu2, nu2, s.d_r, g.dot(w_r, w_r), g.dot(w_r, w_r))
    return signal, s.sigma ** 2, s.sigma ** 2 * s.d_r * tau


@functools.lru_cache(maxsize=None)
def _regime_moments(regime):
    """Substitution of the abstract moments by the derived ones in ``regime``."""
    s = SYMBOLS
    mu1, mu2, nu2, tau = _moment_symbols()
    n, p = SYMBOLS.n, SYMBOLS.p
    trace = expected_trace_inverse_gram(regime=regime).subs({n: s.n_r, p: s.d_r})
    # the d_r diagonal entries of X^+ X^+T (or of (X^T X)^-1) share one law
    tau_value = sp.factor(trace / s.d_r)
    if regime == "under":                 # n_r >= d_r: w_g is unique, Q = 0
        return {mu1: 0, mu2: 0, nu2: 0, tau: tau_value}
    mom = projection_moments()
    proj = {SYMBOLS.m: s.d_r, SYMBOLS.k: s.d_r - s.n_r}
    return {mu1: mom.diag.subs(proj), mu2: mom.diag_sq.subs(proj),
            nu2: mom.offdiag_sq.subs(proj), tau: tau_value}


def _substitute(terms, regime):
    sub = _regime_moments(regime)
    return tuple(sp.factor(sp.simplify(t.xreplace(sub))) for t in terms)


@functools.lru_cache(maxsize=None)
def _unlearning_parts(teacher, regime):
    return _substitute(_unlearning_loss_terms(teacher), regime)


@functools.lru_cache(maxsize=None)
def _remaining_parts(regime):
    return _substitute(_remaining_loss_terms(), regime)


@functools.lru_cache(maxsize=None)
def golden_unlearning_loss_expression(*, teacher="shared", regime="over"):
    r"""Derived expected unlearning loss of the golden model, as a sympy expression.

    Parameters
    ----------
    teacher : {"shared", "separate"}
        ``"shared"``: ``w_f = w_r = w`` with block statistics ``w_A2, w_O2,
        w_B2``; ``"separate"``: statistics ``wr_A2, wr_O2, wf_O2, wrf_O,
        wf_B2`` (see ``SYMBOLS``).
    regime : {"over", "under"}
        ``"over"``: ``n_r < d_r`` (golden is the min-norm interpolator);
        ``"under"``: ``n_r >= d_r`` (golden is the unique least-squares
        solution, ``Q = 0``).

    Returns
    -------
    sympy.Expr
        :math:`E\,UL(w_g)` in ``d_r, d_lap, n_r, sigma`` and the teacher
        statistics. The label-noise part is finite only for
        ``|n_r - d_r| >= 2``.

    Notes
    -----
    With :math:`Q = I - X_r^+ X_r` on :math:`S_r` and
    :math:`u = w_{r,O} - w_{f,O}`,

    .. math::

        E\,UL(w_g) = \|w_{f,B}\|^2 + E\|u - (Q w_r)_O + (X_r^+\varepsilon)_O\|^2
                     + \sigma^2,

    expanded with :math:`E Q = (k/m) I`, the second-moment rule of
    :func:`projection_moments` and the trace of
    :func:`expected_trace_inverse_gram`.

    Examples
    --------
    >>> from linunlearn.theory import golden_unlearning_loss_expression, SYMBOLS
    >>> e = golden_unlearning_loss_expression(teacher="shared", regime="under")
    >>> e.subs(SYMBOLS.sigma, 0)
    w_B2
    """
    _check_option(teacher, "teacher", ("shared", "separate"))
    _check_option(regime, "regime", ("over", "under"))
    return sp.Add(*_unlearning_parts(teacher, regime))


@functools.lru_cache(maxsize=None)
def golden_remaining_loss_expression(*, regime="over"):
    r"""Derived expected remaining (population) test loss of the golden model.

    Parameters
    ----------
    regime : {"over", "under"}
        As in :func:`golden_unlearning_loss_expression`.

    Returns
    -------
    sympy.Expr
        :math:`E\|(w_g - w_r)_{S_r}\|^2 + \sigma^2` in ``d_r, n_r, sigma,
        wr_A2, wr_O2``.

    Examples
    --------
    >>> from linunlearn.theory import golden_remaining_loss_expression, SYMBOLS
    >>> e = golden_remaining_loss_expression(regime="over")
    >>> sp_s = SYMBOLS
    >>> e.subs({sp_s.sigma: 0, sp_s.d_r: 4, sp_s.n_r: 1, sp_s.wr_A2: 1, sp_s.wr_O2: 1})
    3/2
    """
    _check_option(regime, "regime", ("over", "under"))
    return sp.Add(*_remaining_parts(regime))


@functools.lru_cache(maxsize=None)
def _lambdified(kind, teacher, regime):
    """Float functions of the three derived parts of a loss expression."""
    s = SYMBOLS
    if kind == "unlearning":
        parts = _unlearning_parts(teacher, regime)
        stats = ((s.w_A2, s.w_O2, s.w_B2) if teacher == "shared"
                 else (s.wr_A2, s.wr_O2, s.wf_O2, s.wrf_O, s.wf_B2))
    else:
        parts = _remaining_parts(regime)
        stats = (s.wr_A2, s.wr_O2)
    args = (s.d_r, s.d_f, s.d_lap, s.n_r, s.sigma) + stats
    return tuple(sp.lambdify(args, part, modules="math") for part in parts)


def _validate_sizes(d_r, d_f, d_lap, n_r, expectation):
    d_r = check_int(d_r, "d_r", minimum=1)
    d_f = check_int(d_f, "d_f", minimum=1)
    d_lap = check_int(d_lap, "d_lap", minimum=0)
    n_r = check_int(n_r, "n_r", minimum=1)
    if d_lap > min(d_r, d_f):
        raise ValueError(f"d_lap must be <= min(d_r, d_f) = {min(d_r, d_f)} for the "
                         f"{expectation}, got d_lap={d_lap}")
    return d_r, d_f, d_lap, n_r


def _validate_teacher(w, name, length, expectation):
    if w is None or isinstance(w, (str, bytes)) or isinstance(w, numbers.Number):
        raise TypeError(f"{name} must be a vector of length d_r + d_f - d_lap = {length} "
                        f"for the {expectation}, got {type(w).__name__}")
    w = as_array(w, name, ndim=1)
    if w.shape[0] != length:
        raise ValueError(f"{name} must have length d_r + d_f - d_lap = {length} (layout "
                         f"[A | O | B]) for the {expectation}, got length {w.shape[0]}")
    return w


def _check_noise_finite(sigma, n_r, d_r, count, expectation):
    if sigma > 0 and count > 0 and abs(n_r - d_r) <= 1:
        raise ValueError(
            f"the {expectation} is infinite for sigma > 0 when |n_r - d_r| <= 1 (it "
            f"involves E[1/chi2_nu] with nu = |n_r - d_r| + 1 <= 2); got sigma={sigma}, "
            f"n_r={n_r}, d_r={d_r}")


def _evaluate(funcs, args, *, noisy):
    signal, label, propagated = funcs
    total = signal(*args) + label(*args)
    if noisy:
        total += propagated(*args)
    return float(total)


def expected_golden_unlearning_loss(d_r, d_f, d_lap, n_r, w_r, w_f=None, sigma=0.0):
    r"""Expected unlearning loss of the golden model, evaluated from the derivation.

    Parameters
    ----------
    d_r, d_f : int
        Sizes of the remaining and forgetting supports (>= 1).
    d_lap : int
        Size of the overlap, ``0 <= d_lap <= min(d_r, d_f)``.
    n_r : int
        Number of remaining samples (>= 1).
    w_r : array_like of shape (d_r + d_f - d_lap,)
        Remaining teacher in the layout ``[A | O | B]``.
    w_f : array_like of shape (d_r + d_f - d_lap,), optional
        Forgetting teacher; ``None`` (default) means the shared teacher
        ``w_f = w_r``.
    sigma : float, default 0.0
        Label-noise standard deviation (>= 0).

    Returns
    -------
    float
        :math:`E\,UL(w_g)` over ``X_r, eps_r, X_f, eps_f``: the value of
        :func:`golden_unlearning_loss_expression` at these arguments.

    Raises
    ------
    TypeError
        If a size is not an integer or a teacher is not an array.
    ValueError
        If a size is out of range, a teacher has the wrong length or is not
        finite, ``sigma < 0``, or the expectation is infinite
        (``sigma > 0``, ``d_lap > 0`` and ``|n_r - d_r| <= 1``).

    Notes
    -----
    For the shared teacher and ``sigma = 0`` this is
    :math:`\|w_B\|^2 + c_1 \|w_O\|^2 + c_2 d_{lap} \|w_{S_r}\|^2`
    (docs/theory.md, C2). With ``d_lap = 0`` or ``Q = 0`` the sums over the
    overlap are empty and contribute 0.

    Examples
    --------
    >>> from linunlearn.theory import expected_golden_unlearning_loss
    >>> expected_golden_unlearning_loss(2, 2, 1, 1, [0.0, 1.0, 0.0])
    0.375
    >>> expected_golden_unlearning_loss(2, 2, 0, 1, [1.0, 1.0, 1.0, 1.0])
    2.0
    """
    expectation = "expected golden unlearning loss"
    d_r, d_f, d_lap, n_r = _validate_sizes(d_r, d_f, d_lap, n_r, expectation)
    length = d_r + d_f - d_lap
    w_r = _validate_teacher(w_r, "w_r", length, expectation)
    shared = w_f is None
    w_f = w_r if shared else _validate_teacher(w_f, "w_f", length, expectation)
    sigma = check_float(sigma, "sigma", minimum=0.0)
    _check_noise_finite(sigma, n_r, d_r, d_lap, expectation)
    a, o = d_r - d_lap, d_r
    blocks = (w_r[:a], w_r[a:o], w_f[a:o], w_f[o:])
    if shared:
        stats = (blocks[0] @ blocks[0], blocks[1] @ blocks[1], blocks[3] @ blocks[3])
    else:
        stats = (blocks[0] @ blocks[0], blocks[1] @ blocks[1], blocks[2] @ blocks[2],
                 blocks[1] @ blocks[2], blocks[3] @ blocks[3])
    regime = "over" if n_r < d_r else "under"
    funcs = _lambdified("unlearning", "shared" if shared else "separate", regime)
    args = (d_r, d_f, d_lap, n_r, sigma) + tuple(float(x) for x in stats)
    return _evaluate(funcs, args, noisy=sigma > 0 and d_lap > 0)


def expected_golden_unlearning_loss_for(scenario):
    r"""Expected unlearning loss of the golden model in a scenario.

    Parameters
    ----------
    scenario : linunlearn.Scenario
        Or any object with the attributes ``d_r, d_f, d_lap, n_r, sigma,
        support_r, support_f, w_r_star, w_f_star, shared_teacher, scale``.
        The derivation assumes isotropic features (``scale`` all ones) with
        the used coordinates first, in the layout ``[A | O | B]``.

    Returns
    -------
    float
        :math:`E\,UL(w_g)`: :func:`expected_golden_unlearning_loss` at the
        scenario's sizes and ``sigma``, with its teachers restricted to the
        used coordinates (``w_f=None`` for a shared teacher).

    Warns
    -----
    LinunlearnWarning
        If the features are not isotropic or the supports are not in the
        layout ``[A | O | B]``: the value is evaluated anyway, and it is then
        not the expectation in that scenario.

    Raises
    ------
    ValueError
        As in :func:`expected_golden_unlearning_loss`; in particular the
        expectation is infinite for ``sigma > 0``, ``d_lap > 0`` and
        ``|n_r - d_r| <= 1``.

    Examples
    --------
    >>> import warnings
    >>> from linunlearn import Scenario
    >>> from linunlearn.theory import expected_golden_unlearning_loss_for
    >>> scenario = Scenario.overlapping(2, 2, 1, 1, 3, w_star=[0.0, 1.0, 0.0])
    >>> expected_golden_unlearning_loss_for(scenario)
    0.375
    >>> stretched = Scenario.overlapping(2, 2, 1, 1, 3, w_star=[0.0, 1.0, 0.0],
    ...                                  scale=[1.0, 2.0, 1.0])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = expected_golden_unlearning_loss_for(stretched)
    >>> value, caught[0].category.__name__
    (0.375, 'LinunlearnWarning')
    """
    d_r, d_f, d_lap = scenario.d_r, scenario.d_f, scenario.d_lap
    used = scenario.support_r | scenario.support_f
    expected = np.arange(d_r + d_f - d_lap)
    if (not np.all(scenario.scale == 1.0) or not np.array_equal(np.flatnonzero(used), expected)
            or not np.array_equal(np.flatnonzero(scenario.support_r), expected[:d_r])):
        warn("the exact expectation assumes isotropic features in the "
             "[A | O | B] layout; it is evaluated anyway", LinunlearnWarning)
    w_f = None if scenario.shared_teacher else scenario.w_f_star[used]
    return expected_golden_unlearning_loss(
        d_r, d_f, d_lap, scenario.n_r, scenario.w_r_star[used], w_f,
        sigma=scenario.sigma)


def expected_golden_remaining_loss(d_r, d_f, d_lap, n_r, w_r, sigma=0.0):
    r"""Expected remaining (population) test loss of the golden model.

    Parameters
    ----------
    d_r, d_f, d_lap, n_r : int
        As in :func:`expected_golden_unlearning_loss`.
    w_r : array_like of shape (d_r + d_f - d_lap,)
        Remaining teacher in the layout ``[A | O | B]`` (only ``S_r = A u O``
        matters).
    sigma : float, default 0.0
        Label-noise standard deviation (>= 0).

    Returns
    -------
    float
        :math:`E\|(w_g - w_r)_{S_r}\|^2 + \sigma^2`: the value of
        :func:`golden_remaining_loss_expression`.

    Raises
    ------
    TypeError, ValueError
        As in :func:`expected_golden_unlearning_loss`; infinite for
        ``sigma > 0`` and ``|n_r - d_r| <= 1``.

    Examples
    --------
    >>> from linunlearn.theory import expected_golden_remaining_loss
    >>> expected_golden_remaining_loss(4, 1, 0, 1, [1.0, 1.0, 0.0, 0.0, 5.0])
    1.5
    """
    expectation = "expected golden remaining loss"
    d_r, d_f, d_lap, n_r = _validate_sizes(d_r, d_f, d_lap, n_r, expectation)
    w_r = _validate_teacher(w_r, "w_r", d_r + d_f - d_lap, expectation)
    sigma = check_float(sigma, "sigma", minimum=0.0)
    _check_noise_finite(sigma, n_r, d_r, d_r, expectation)
    a = d_r - d_lap
    stats = (float(w_r[:a] @ w_r[:a]), float(w_r[a:d_r] @ w_r[a:d_r]))
    regime = "over" if n_r < d_r else "under"
    funcs = _lambdified("remaining", None, regime)
    return _evaluate(funcs, (d_r, d_f, d_lap, n_r, sigma) + stats, noisy=sigma > 0)


def _check_option(value, name, allowed):
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


# --------------------------------------------------------------------------
# checks that can fail


@dataclass(frozen=True)
class SymbolicResult:
    """Outcome of one symbolic check.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"C3.mechanism.matrix_symbols"``.
    statement : str
        What is checked, in words and formulas.
    verdict : {"proved", "disproved", "inconclusive"}
        ``"proved"`` only when sympy reduced the residual to exactly 0 (or the
        sign certificate holds); ``"disproved"`` on an exact counterexample.
    detail : str
        The residual, the counterexample, or why sympy could not decide.
    """

    name: str
    statement: str
    verdict: str
    detail: str

    def __post_init__(self):
        _check_option(self.verdict, "verdict", VERDICTS)


def _rewrite_products(expr, rules):
    """Replace contiguous factor runs ``pattern`` of every MatMul by ``replacement``."""
    def rewrite(mul):
        coeff, mats = mul.as_coeff_matrices()
        mats = list(mats)
        for pattern, replacement in rules:
            pat = list(pattern.args) if isinstance(pattern, sp.MatMul) else [pattern]
            rep = list(replacement.args) if isinstance(replacement, sp.MatMul) else [replacement]
            width = len(pat)
            i = 0
            while i + width <= len(mats):
                if mats[i:i + width] == pat:
                    mats[i:i + width] = rep
                    i = max(i - width, 0)
                else:
                    i += 1
        mats = [x for x in mats if not isinstance(x, sp.Identity)] or [sp.Identity(mul.rows)]
        return sp.MatMul(coeff, *mats).doit() if coeff != 1 else sp.MatMul(*mats).doit()

    return expr.replace(lambda e: isinstance(e, sp.MatMul), rewrite)


def _apply_assumptions(expr, assumptions):
    """Apply substitutions (symbol -> expr) and product rules (MatMul -> expr)."""
    if not assumptions:
        return expr
    subs = {p: r for p, r in assumptions if not isinstance(p, sp.MatMul)}
    rules = [(p, r) for p, r in assumptions if isinstance(p, sp.MatMul)]
    if subs:
        expr = expr.xreplace(subs)
    for _ in range(10):
        if isinstance(expr, sp.MatrixExpr):
            expr = sp.expand(expr)
        new = _rewrite_products(expr, rules) if rules and isinstance(expr, sp.Basic) else expr
        if new == expr:
            break
        expr = new
    return expr


def _simplified(expr):
    """The residual after sympy's simplification (explicit matrices entrywise)."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: sp.simplify(sp.cancel(sp.together(e))))
    if isinstance(expr, sp.MatrixExpr):
        out = sp.simplify(sp.expand(expr))
        return out.as_explicit() if _is_explicit(out) else out
    return sp.simplify(sp.cancel(sp.together(expr)))


def _is_explicit(expr):
    return isinstance(expr, sp.MatrixExpr) and not expr.free_symbols and \
        all(isinstance(d, (int, sp.Integer)) for d in expr.shape) and \
        not expr.atoms(sp.MatrixSymbol)


def _is_zero(expr):
    if isinstance(expr, sp.MatrixBase):
        return all(e == 0 for e in expr)
    if isinstance(expr, sp.MatrixExpr):
        return isinstance(expr, sp.ZeroMatrix) or expr.is_ZeroMatrix is True or expr == 0
    return expr == 0


def _random_rational(rng, symbol):
    num = int(rng.integers(1, 9))
    den = int(rng.integers(1, 5))
    value = sp.Rational(num, den)
    if symbol.is_integer:
        value = sp.Integer(num)
    if symbol.is_nonnegative or symbol.is_positive:
        return value
    return value if rng.random() < 0.5 else -value


def _random_matrix(rng, rows, cols):
    return sp.ImmutableMatrix(rows, cols, [sp.Rational(int(rng.integers(-5, 6)),
                                                       int(rng.integers(1, 4)))
                                           for _ in range(rows * cols)])


def _evaluate_instance(expr, values, rng):
    """Exact value of ``expr`` at ``values`` completed by random rationals."""
    sizes = {key: val for key, val in values.items() if isinstance(key, sp.Symbol)}
    expr = expr.xreplace(sizes).xreplace(
        {key: val for key, val in values.items() if key not in sizes})
    dims = set()
    for ms in expr.atoms(sp.MatrixSymbol):
        dims |= {d for d in ms.shape if isinstance(d, sp.Symbol)}
    free_dims = {d: sp.Integer(int(rng.integers(1, 4))) for d in dims}
    expr = expr.xreplace(free_dims)
    mats = {ms: _random_matrix(rng, *ms.shape) for ms in expr.atoms(sp.MatrixSymbol)}
    expr = expr.xreplace(mats)
    scalars = {s: _random_rational(rng, s) for s in expr.free_symbols
               if isinstance(s, sp.Symbol)}
    expr = expr.xreplace(scalars)
    if isinstance(expr, (sp.MatrixExpr, sp.MatrixBase)):
        expr = expr.doit()
        if isinstance(expr, sp.MatrixExpr):
            expr = expr.as_explicit()
        expr = sp.Matrix(expr).applyfunc(sp.nsimplify)
        if any(e.has(sp.zoo, sp.nan, sp.oo) for e in expr):
            return None, {}
        return expr, {**free_dims, **mats, **scalars}
    expr = sp.nsimplify(sp.simplify(expr))
    if expr.has(sp.zoo, sp.nan, sp.oo):
        return None, {}
    return expr, {**free_dims, **mats, **scalars}


def _search_counterexample(residual, *, sampler, trials, seed):
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        values = sampler(rng) if sampler is not None else {}
        try:
            value, used = _evaluate_instance(residual, values, rng)
        except (ZeroDivisionError, ValueError, TypeError, NonInvertibleMatrixError):
            continue
        if value is None:
            continue
        nonzero = (any(e != 0 for e in value) if isinstance(value, sp.MatrixBase)
                   else value != 0)
        if nonzero:
            shown = {str(k): (v.tolist() if isinstance(v, sp.MatrixBase) else str(v))
                     for k, v in {**values, **used}.items()}
            where = f"counterexample {shown}" if shown else "the exact instance"
            return f"{where} gives the nonzero residual {value}"
    return None


def check_identity(lhs, rhs, *, name, statement, assumptions=None, sampler=None,
                   trials=4, seed=0):
    r"""Check ``lhs == rhs`` symbolically; look for an exact counterexample otherwise.

    Parameters
    ----------
    lhs, rhs : sympy.Expr, sympy.MatrixExpr or sympy.Matrix
        Both sides; scalars, matrix expressions (``MatrixSymbol``) or
        explicit matrices.
    name, statement : str
        Recorded in the result.
    assumptions : sequence of (pattern, replacement) pairs, optional
        Hypotheses of the identity. A ``Symbol`` or ``MatrixSymbol`` pattern
        is substituted (e.g. ``y -> X w`` says that ``w`` interpolates); a
        ``MatMul`` pattern rewrites that contiguous product wherever it
        occurs (e.g. the Penrose identity ``X^+ X X^+ -> X^+``).
    sampler : callable, optional
        ``sampler(rng) -> dict`` of exact values for the symbols constrained
        by product-rule assumptions (e.g. ``X^+`` set to ``pinv(X)``). Without
        it, product-rule hypotheses disable the counterexample search, since
        a random ``X^+`` would not satisfy them.
    trials : int, default 4
        Random exact rational instances tried.
    seed : int, default 0
        Seed of the instances (``numpy.random.default_rng``).

    Returns
    -------
    SymbolicResult
        ``"proved"`` iff the simplified residual is exactly 0 (every entry,
        or ``ZeroMatrix``); ``"disproved"`` if an exact rational instance
        gives a nonzero residual; else ``"inconclusive"``.

    Examples
    --------
    >>> import sympy as sp
    >>> from linunlearn.theory import check_identity
    >>> x = sp.Symbol("x")
    >>> check_identity((x + 1)**2, x**2 + 2*x + 1, name="sq", statement="").verdict
    'proved'
    >>> check_identity((x + 1)**2, x**2 + 1, name="sq", statement="").verdict
    'disproved'
    """
    residual = lhs - rhs
    if not isinstance(residual, (sp.Basic, sp.MatrixBase)):
        residual = sp.sympify(residual)
    assumptions = list(assumptions or ())
    try:
        residual = _apply_assumptions(residual, assumptions)
        simplified = _simplified(residual)
    except (TypeError, ValueError, NotImplementedError) as exc:   # sympy gave up
        return SymbolicResult(name, statement, "inconclusive",
                              f"sympy could not simplify the residual: {exc}")
    if _is_zero(simplified):
        return SymbolicResult(name, statement, "proved", "residual simplifies to 0")
    constrained = any(isinstance(p, sp.MatMul) for p, _ in assumptions)
    if constrained and sampler is None:
        return SymbolicResult(
            name, statement, "inconclusive",
            f"residual {simplified} not reduced to 0; no counterexample search because "
            "product-rule hypotheses need a sampler")
    found = _search_counterexample(simplified, sampler=sampler, trials=trials, seed=seed)
    if found:
        return SymbolicResult(name, statement, "disproved", found)
    return SymbolicResult(name, statement, "inconclusive",
                          f"sympy left the residual {simplified}; no counterexample in "
                          f"{trials} exact instances")


def _sign_certificate(poly):
    coeffs = poly.coeffs()
    return all(c >= 0 for c in coeffs), poly.coeff_monomial(1)


def check_nonnegative(expr, *, name, statement, substitutions, strict=False,
                      trials=20, seed=0):
    r"""Prove ``expr >= 0`` (or ``> 0``) by a substitution into nonnegative variables.

    Parameters
    ----------
    expr : sympy.Expr
        A rational function.
    name, statement : str
        Recorded in the result; the statement must say which region the
        substitution's image covers (the caller's responsibility).
    substitutions : dict
        Maps symbols of ``expr`` to expressions in new symbols declared
        ``nonnegative=True`` (e.g. ``{m: 2 + p, k: q}``). After the
        substitution every free symbol must be declared nonnegative.
    strict : bool, default False
        Also require a positive constant term of the numerator (then
        ``expr > 0``).
    trials : int, default 20
        Random nonnegative rational points tried in the search for a
        counterexample.
    seed : int, default 0
        Seed of those points.

    Returns
    -------
    SymbolicResult
        ``"proved"`` when numerator and denominator are polynomials with
        nonnegative coefficients and the denominator has a positive constant
        term (sound: such a polynomial is >= 0 on the nonnegative orthant);
        ``"disproved"`` on an exact negative (or, if strict, zero) value;
        else ``"inconclusive"``.

    Examples
    --------
    >>> import sympy as sp
    >>> from linunlearn.theory import check_nonnegative
    >>> q = sp.Symbol("q", nonnegative=True)
    >>> x = sp.Symbol("x")
    >>> check_nonnegative(x * (x + 1), name="t", statement="x >= 0",
    ...                   substitutions={x: q}).verdict
    'proved'
    >>> check_nonnegative(x * (3 - x), name="t", statement="x >= 0",
    ...                   substitutions={x: q}).verdict
    'disproved'
    """
    e = sp.cancel(sp.together(sp.sympify(expr).xreplace(substitutions)))
    free = sorted(e.free_symbols, key=str)
    signed = [s for s in free if not s.is_nonnegative]
    if signed:
        return SymbolicResult(name, statement, "inconclusive",
                              f"symbols not declared nonnegative: {signed}")
    num, den = sp.fraction(e)
    gens = free or [sp.Dummy("z")]
    try:
        num_p, den_p = sp.Poly(num, *gens), sp.Poly(den, *gens)
    except sp.PolynomialError as exc:  # sqrt, exp, ...: no certificate of this kind
        return SymbolicResult(name, statement, "inconclusive",
                              f"not a rational function after {substitutions}: {exc}")
    if all(c <= 0 for c in den_p.coeffs()):
        num_p, den_p = -num_p, -den_p
    num_ok, num_const = _sign_certificate(num_p)
    den_ok, den_const = _sign_certificate(den_p)
    if num_ok and den_ok and den_const > 0 and (not strict or num_const > 0):
        kind = "positive" if strict else "nonnegative"
        return SymbolicResult(name, statement, "proved",
                              f"after {substitutions}: numerator {num_p.as_expr()} and "
                              f"denominator {den_p.as_expr()} have nonnegative coefficients "
                              f"(constant terms {num_const}, {den_const}): {kind}")
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        point = {s: sp.Rational(int(rng.integers(0, 12)), int(rng.integers(1, 4)))
                 for s in free}
        value = e.xreplace(point)
        if value.has(sp.zoo, sp.nan, sp.oo):
            continue
        if value < 0 or (strict and value == 0):
            return SymbolicResult(name, statement, "disproved",
                                  f"at {point} (after {substitutions}) the value is {value}")
    return SymbolicResult(name, statement, "inconclusive",
                          f"no sign certificate: numerator {num_p.as_expr()}, denominator "
                          f"{den_p.as_expr()}; no counterexample in {trials} points")


# --------------------------------------------------------------------------
# exact rational instances


def _rational_matrix(seed, rows, cols):
    """A reproducible exact rational matrix (integers in [-4, 4] over 1..3)."""
    rng = np.random.default_rng(seed)
    return _random_matrix(rng, rows, cols)


def _full_row_rank_matrix(seed, rows, cols):
    for offset in range(100):
        X = _rational_matrix(seed + 7919 * offset, rows, cols)
        if X.rank() == min(rows, cols):
            return X
    raise RuntimeError("no full-rank rational matrix found")  # pragma: no cover


def _gd_limit(X, y, w0):
    """Exact limit of gradient descent on ||X w - y||^2 started at ``w0``."""
    return w0 + X.pinv() * (y - X * w0)


def _dims(names):
    return sp.symbols(names, positive=True, integer=True)


# --------------------------------------------------------------------------
# per-claim checks


def check_c1_interpolation():
    r"""C1: fine-tuning interpolates the remaining data, ``RL(w_ft) = 0``.

    Returns
    -------
    list of SymbolicResult
        (1) :math:`X X^+ = I` with :math:`X^+ = X^T (X X^T)^{-1}` on
        MatrixSymbols of symbolic size, and the four Penrose conditions of
        :math:`X^T (X X^T)^{-1}` there; (2) :math:`X w_{ft} - y = 0` there;
        (3) on a symbolic 2x3 matrix, :math:`X^T (X X^T)^{-1}` satisfies the
        four Penrose conditions (so it is the pseudo-inverse) and
        :math:`X w_{ft} = y`; (4) exact rational instances with sympy's
        exact ``pinv``.

    Examples
    --------
    >>> from linunlearn.theory import check_c1_interpolation
    >>> {r.verdict for r in check_c1_interpolation()}
    {'proved'}
    """
    n, d = _dims("n d")
    X, w, y = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("w_o", d, 1), sp.MatrixSymbol("y", n, 1)
    Xp = sp.MatrixSymbol("X^+", d, n)
    full_rank = [(Xp, X.T * (X * X.T).I)]
    out = [check_identity(X * Xp, sp.Identity(n), name="C1.right_inverse.matrix_symbols",
                          statement="X X^+ = I_n for X^+ = X^T (X X^T)^-1 (full row rank)",
                          assumptions=full_rank)]
    A = X.T * (X * X.T).I
    for i, (lhs, rhs, text) in enumerate([(X * A * X, X, "X A X = X"), (A * X * A, A, "A X A = A"),
                                          ((X * A).T, X * A, "(X A)^T = X A"),
                                          ((A * X).T, A * X, "(A X)^T = A X")]):
        out.append(check_identity(lhs, rhs, name=f"C1.penrose{i + 1}.matrix_symbols",
                                  statement=f"{text} for A = X^T (X X^T)^-1 (any size, "
                                            "X X^T invertible)"))
    w_ft = w + Xp * (y - X * w)
    out.append(check_identity(X * w_ft - y, sp.ZeroMatrix(n, 1),
                              name="C1.residual.matrix_symbols",
                              statement="X_r w_ft - y_r = 0, w_ft = w_o + X^+(y - X w_o)",
                              assumptions=full_rank))
    Xs = sp.Matrix(2, 3, sp.symbols("x11 x12 x13 x21 x22 x23", real=True))
    ws, ys = sp.Matrix(sp.symbols("w1:4", real=True)), sp.Matrix(sp.symbols("y1:3", real=True))
    P = Xs.T * (Xs * Xs.T).inv()
    penrose = [(Xs * P * Xs, Xs, "X A X = X"), (P * Xs * P, P, "A X A = A"),
               ((Xs * P).T, Xs * P, "(X A)^T = X A"), ((P * Xs).T, P * Xs, "(A X)^T = A X")]
    for i, (lhs, rhs, text) in enumerate(penrose):
        out.append(check_identity(lhs, rhs, name=f"C1.penrose{i + 1}.symbolic_2x3",
                                  statement=f"{text} for A = X^T (X X^T)^-1, generic 2x3 X"))
    out.append(check_identity(Xs * (ws + P * (ys - Xs * ws)), ys,
                              name="C1.residual.symbolic_2x3",
                              statement="X w_ft = y for a generic symbolic 2x3 X"))
    for seed, (rows, cols) in enumerate([(2, 4), (3, 5), (1, 3)]):
        Xr = _full_row_rank_matrix(seed, rows, cols)
        w0, yr = _rational_matrix(100 + seed, cols, 1), _rational_matrix(200 + seed, rows, 1)
        out.append(check_identity(Xr * _gd_limit(Xr, yr, w0), yr,
                                  name=f"C1.residual.rational_{rows}x{cols}",
                                  statement="X_r w_ft = y_r on an exact rational instance "
                                            "(full row rank, sympy exact pinv)"))
    return out


def _interpolation_symbols():
    n, d = _dims("n d")
    return (sp.MatrixSymbol("X_r", n, d), sp.MatrixSymbol("X_r^+", d, n),
            sp.MatrixSymbol("w_o", d, 1), sp.MatrixSymbol("y_r", n, 1))


def check_c2_fine_tuning_keeps_pretrained():
    r"""C2(a): if ``X_r w_o = y_r`` then ``w_ft = w_o``, so ``UL(w_ft) = UL(w_o)``.

    ``X_r^+`` is an opaque symbol: only linearity is used, so the identity
    holds for every matrix in its place.

    Returns
    -------
    list of SymbolicResult

    Examples
    --------
    >>> from linunlearn.theory import check_c2_fine_tuning_keeps_pretrained
    >>> [r.verdict for r in check_c2_fine_tuning_keeps_pretrained()]
    ['proved']
    """
    X, Xp, w, y = _interpolation_symbols()
    return [check_identity(w + Xp * (y - X * w), w, name="C2.ft_equals_pretrained",
                           statement="w_o + X_r^+ (y_r - X_r w_o) = w_o when X_r w_o = y_r",
                           assumptions=[(y, X * w)])]


def _typed_c1_c2():
    """The brief's typed constants (used only as an independent cross-check)."""
    m, k = SYMBOLS.m, SYMBOLS.k
    return (k * (k * m + m - 2) / (m * (m - 1) * (m + 2)),
            k * (m - k) / (m * (m - 1) * (m + 2)))


def check_c2_projection_moments():
    r"""C2: the derived projection moments agree with the brief and with the limits.

    Returns
    -------
    list of SymbolicResult
        (1-2) derived ``c1``, ``c2`` equal docs/theory.md's typed formulas;
        (3) ``E Q_11 = E Q_11^2 + (m - 1) E Q_12^2`` (idempotence) holds for
        the derived moments; (4-5) at ``k = 0`` the moments are those of
        ``Q = 0``, at ``k = m`` those of ``Q = I``; (6-7) sign flips: for a
        symbolic symmetric 3x3 ``Q`` and ``D = diag(1, -1, 1)``,
        ``(DQD)_11 (DQD)_12 = -Q_11 Q_12`` and
        ``(DQD)_12 (DQD)_13 = -Q_12 Q_13``, so both means are 0.

    Examples
    --------
    >>> from linunlearn.theory import check_c2_projection_moments
    >>> {r.verdict for r in check_c2_projection_moments()}
    {'proved'}
    """
    m, k = SYMBOLS.m, SYMBOLS.k
    mom = projection_moments()
    c1, c2 = _typed_c1_c2()
    out = [check_identity(mom.c1, c1, name="C2.c1_matches_brief",
                          statement="E Q_11^2 - E Q_12^2 = k(km + m - 2)/(m(m-1)(m+2))"),
           check_identity(mom.c2, c2, name="C2.c2_matches_brief",
                          statement="E Q_12^2 = k(m - k)/(m(m-1)(m+2))"),
           check_identity(mom.diag, mom.diag_sq + (m - 1) * mom.offdiag_sq,
                          name="C2.idempotence", statement="E Q_11 = E Q_11^2 + (m-1) E Q_12^2")]
    at0 = sp.Matrix([mom.diag, mom.diag_sq, mom.offdiag_sq]).subs(k, 0)
    atm = sp.Matrix([mom.diag, mom.diag_sq, mom.offdiag_sq]).subs(k, m)
    out.append(check_identity(at0, sp.zeros(3, 1), name="C2.moments_at_k0",
                              statement="at k = 0 the moments (E Q_11, E Q_11^2, E Q_12^2) "
                                        "are (0, 0, 0), those of Q = 0"))
    out.append(check_identity(atm, sp.Matrix([1, 1, 0]), name="C2.moments_at_km",
                              statement="at k = m the moments are (1, 1, 0), those of Q = I"))
    q = sp.symbols("q11 q12 q13 q22 q23 q33", real=True)
    Q = sp.Matrix([[q[0], q[1], q[2]], [q[1], q[3], q[4]], [q[2], q[4], q[5]]])
    D = sp.diag(1, -1, 1)
    F = D * Q * D
    out.append(check_identity(F[0, 0] * F[0, 1], -Q[0, 0] * Q[0, 1], name="C2.sign_flip_11_12",
                              statement="(DQD)_11 (DQD)_12 = -Q_11 Q_12 for D = diag(1,-1,1)"))
    out.append(check_identity(F[0, 1] * F[0, 2], -Q[0, 1] * Q[0, 2], name="C2.sign_flip_12_13",
                              statement="(DQD)_12 (DQD)_13 = -Q_12 Q_13 for D = diag(1,-1,1)"))
    return out


def check_c2_inverse_gram_trace():
    r"""C2 (noise term): inverse chi-square mean and the inverse Wishart trace.

    Returns
    -------
    list of SymbolicResult
        (1) the derived :math:`E[1/\chi^2_\nu]` times :math:`\nu - 2` is 1;
        (2) the integral diverges for :math:`\nu = 1, 2` (so the noisy
        expectation is infinite for ``|n_r - d_r| <= 1``); (2b) the noise
        covariance: :math:`\mathrm{tr}(X^+ X^{+T}) = \mathrm{tr}((X X^T)^{-1})`
        (generic 2x3) and :math:`X^+ X^{+T} = (X^T X)^{-1}` (generic 3x2);
        (3) the Schur
        complement identity :math:`(W^{-1})_{11} = 1/(W_{11} - W_{12}
        W_{22}^{-1} W_{21})` on a symbolic symmetric 3x3 ``W``; (4-5) the
        derived traces are ``n/(p - n - 1)`` and ``p/(n - p - 1)``.

    Examples
    --------
    >>> from linunlearn.theory import check_c2_inverse_gram_trace
    >>> {r.verdict for r in check_c2_inverse_gram_trace()}
    {'proved'}
    """
    nu, n, p = SYMBOLS.nu, SYMBOLS.n, SYMBOLS.p
    out = [check_identity(inverse_chi_square_mean() * (nu - 2), 1, name="C2.inverse_chi2_mean",
                          statement="E[1/chi2_nu] = 1/(nu - 2) for nu > 2 "
                                    "(integral of the density)")]
    x = sp.Symbol("x", positive=True)
    diverges = []
    for dof in (1, 2):
        value = sp.integrate(density(ChiSquared("C", dof))(x) / x, (x, 0, sp.oo))
        diverges.append(value == sp.oo)
    out.append(SymbolicResult(
        "C2.inverse_chi2_diverges", "E[1/chi2_nu] = oo for nu in {1, 2}",
        "proved" if all(diverges) else "inconclusive",
        f"sympy integrals for nu = 1, 2 are infinite: {diverges}"))
    w = sp.symbols("w11 w12 w13 w22 w23 w33", real=True)
    W = sp.Matrix([[w[0], w[1], w[2]], [w[1], w[3], w[4]], [w[2], w[4], w[5]]])
    schur = W[0, 0] - (W[0, 1:] * W[1:, 1:].inv() * W[1:, 0])[0, 0]
    out.append(check_identity(W.inv()[0, 0], 1 / schur, name="C2.schur_complement",
                              statement="(W^-1)_11 = 1/(W_11 - W_12 W_22^-1 W_21), symmetric 3x3"))
    Xw = sp.Matrix(2, 3, sp.symbols("x11 x12 x13 x21 x22 x23", real=True))
    Pw = Xw.T * (Xw * Xw.T).inv()
    out.append(check_identity((Pw * Pw.T).trace(), (Xw * Xw.T).inv().trace(),
                              name="C2.noise_trace_over",
                              statement="tr(X^+ X^+T) = tr((X X^T)^-1), generic 2x3 X"))
    Xt = Xw.T
    Pt = (Xt.T * Xt).inv() * Xt.T
    out.append(check_identity(Pt * Pt.T, (Xt.T * Xt).inv(), name="C2.noise_cov_under",
                              statement="X^+ X^+T = (X^T X)^-1, generic 3x2 X"))
    out.append(check_identity(expected_trace_inverse_gram(regime="over"), n / (p - n - 1),
                              name="C2.trace_inverse_gram_over",
                              statement="E tr((X X^T)^-1) = n/(p - n - 1), X n x p, p > n + 1"))
    out.append(check_identity(expected_trace_inverse_gram(regime="under"), p / (n - p - 1),
                              name="C2.trace_inverse_gram_under",
                              statement="E tr((X^T X)^-1) = p/(n - p - 1), X n x p, n > p + 1"))
    return out


def _moment_oracle(expr, qsyms, zsyms, mu1, mu2, nu2, noise_var):
    """Replace monomials in the entries of Q and the noise z by their means.

    ``Q`` entries ``q[i, j]`` (symmetric): a product of two entries whose
    index multiset has an index of odd multiplicity has mean 0 (sign flip);
    ``q_ii^2 -> mu2``, ``q_ij^2 -> nu2``, ``q_ii -> mu1``, ``q_ij -> 0``.
    Noise: ``z_i z_j -> noise_var delta_ij``, odd powers of z -> 0,
    independent of Q.
    """
    poly = sp.Poly(sp.expand(expr), *qsyms.values(), *zsyms)
    keys = list(qsyms.keys())
    total = sp.Integer(0)
    for monom, coeff in poly.terms():
        qpow, zpow = monom[:len(keys)], monom[len(keys):]
        entries = [keys[i] for i, e in enumerate(qpow) for _ in range(e)]
        if len(entries) == 0:
            qmean = 1
        elif len(entries) == 1:
            i, j = entries[0]
            qmean = mu1 if i == j else 0
        elif len(entries) == 2:
            counts = {}
            for i, j in entries:
                counts[i] = counts.get(i, 0) + 1
                counts[j] = counts.get(j, 0) + 1
            if any(c % 2 for c in counts.values()):
                qmean = 0
            elif entries[0] == entries[1]:
                i, j = entries[0]
                qmean = mu2 if i == j else nu2
            else:
                raise NotImplementedError(f"moment of {entries} not needed")
        else:
            raise NotImplementedError("only second moments of Q are derived")
        zs = [e for e in zpow if e]
        if not zs:
            zmean = 1
        elif zs == [2]:
            zmean = noise_var
        else:
            zmean = 0
        total += coeff * qmean * zmean
    return sp.expand(total)


def check_c2_loss_assembly():
    r"""C2: the assembly of E UL(w_g) and E RL-test(w_g) from the moments, at small sizes.

    For ``(d_r, d_lap, d_f)`` in a few small cases it writes the error of the
    golden model coordinate by coordinate with a symbolic symmetric ``Q``,
    symbolic teachers and a noise vector ``z = X_r^+ eps``, takes the mean
    with the moment rules (:func:`projection_moments`; ``E z_i z_j =
    sigma^2 tau delta_ij``) and compares with the general template used by
    :func:`golden_unlearning_loss_expression` (abstract moments ``mu1, mu2,
    nu2, tau``) at the same sizes.

    Returns
    -------
    list of SymbolicResult

    Examples
    --------
    >>> from linunlearn.theory import check_c2_loss_assembly
    >>> {r.verdict for r in check_c2_loss_assembly()}
    {'proved'}
    """
    mu1, mu2, nu2, tau = _moment_symbols()
    s = SYMBOLS
    out = []
    for d_r, d_lap, d_f in [(3, 2, 3), (4, 4, 4), (3, 0, 2), (2, 1, 1)]:
        a = d_r - d_lap
        qsyms = {(i, j): sp.Symbol(f"q{i}{j}", real=True)
                 for i in range(d_r) for j in range(i, d_r)}
        Q = sp.Matrix(d_r, d_r, lambda i, j: qsyms[(min(i, j), max(i, j))])
        z = sp.Matrix(sp.symbols(f"z0:{d_r}", real=True))
        wr = sp.Matrix(sp.symbols(f"r0:{d_r + d_f - d_lap}", real=True))
        wf = sp.Matrix(sp.symbols(f"f0:{d_r + d_f - d_lap}", real=True))
        g_r = wr[:d_r, 0] - Q * wr[:d_r, 0] + z              # golden on S_r
        err_O = g_r[a:, 0] - wf[a:d_r, 0]
        err_B = -wf[d_r:, 0]
        ul = (err_O.T * err_O)[0, 0] + (err_B.T * err_B)[0, 0] + s.sigma ** 2
        mean_ul = _moment_oracle(ul, qsyms, list(z), mu1, mu2, nu2, s.sigma ** 2 * tau)
        stats = {s.wr_A2: (wr[:a, 0].T * wr[:a, 0])[0, 0],
                 s.wr_O2: (wr[a:d_r, 0].T * wr[a:d_r, 0])[0, 0],
                 s.wf_O2: (wf[a:d_r, 0].T * wf[a:d_r, 0])[0, 0],
                 s.wrf_O: (wr[a:d_r, 0].T * wf[a:d_r, 0])[0, 0],
                 s.wf_B2: (wf[d_r:, 0].T * wf[d_r:, 0])[0, 0],
                 s.d_r: d_r, s.d_lap: d_lap}
        template = sp.Add(*_unlearning_loss_terms("separate")).xreplace(stats)
        out.append(check_identity(mean_ul, template,
                                  name=f"C2.assembly_ul_d{d_r}_{d_lap}_{d_f}",
                                  statement=f"E UL(w_g) by coordinates = template, d_r={d_r}, "
                                            f"d_lap={d_lap}, d_f={d_f}"))
        err_r = g_r - wr[:d_r, 0]
        rl = (err_r.T * err_r)[0, 0] + s.sigma ** 2
        mean_rl = _moment_oracle(rl, qsyms, list(z), mu1, mu2, nu2, s.sigma ** 2 * tau)
        template_rl = sp.Add(*_remaining_loss_terms()).xreplace(stats)
        out.append(check_identity(mean_rl, template_rl,
                                  name=f"C2.assembly_rl_d{d_r}_{d_lap}_{d_f}",
                                  statement=f"E remaining test loss by coordinates = template, "
                                            f"d_r={d_r}"))
    return out


def check_c2_golden_loss_formula():
    r"""C2(c): the derived E UL(w_g) equals docs/theory.md's typed formula, and consistency.

    Returns
    -------
    list of SymbolicResult
        (1) shared teacher, ``sigma = 0``, ``n_r < d_r``: derived =
        :math:`\|w_B\|^2 + c_1\|w_O\|^2 + c_2 d_{lap}\|w_{S_r}\|^2`;
        (2) the separate-teacher expression with ``w_f = w_r`` equals the
        shared one (both regimes, with noise); (3) the derived remaining
        loss is :math:`(k/m)\|w_r\|^2 + \sigma^2 (1 + n_r/(d_r - n_r - 1))`.

    Examples
    --------
    >>> from linunlearn.theory import check_c2_golden_loss_formula
    >>> {r.verdict for r in check_c2_golden_loss_formula()}
    {'proved'}
    """
    s = SYMBOLS
    c1, c2 = _typed_c1_c2()
    proj = {SYMBOLS.m: s.d_r, SYMBOLS.k: s.d_r - s.n_r}
    brief = (s.w_B2 + c1.subs(proj) * s.w_O2 + c2.subs(proj) * s.d_lap * (s.w_A2 + s.w_O2))
    derived = golden_unlearning_loss_expression(teacher="shared", regime="over")
    out = [check_identity(derived.subs(s.sigma, 0), brief, name="C2.golden_ul_matches_brief",
                          statement="E UL(w_g) = ||w_B||^2 + c1 ||w_O||^2 + c2 d_lap "
                                    "||w_{S_r}||^2 (shared teacher, sigma = 0, n_r < d_r)")]
    shared = {s.wr_A2: s.w_A2, s.wr_O2: s.w_O2, s.wf_O2: s.w_O2, s.wrf_O: s.w_O2,
              s.wf_B2: s.w_B2}
    for regime in ("over", "under"):
        sep = golden_unlearning_loss_expression(teacher="separate", regime=regime)
        out.append(check_identity(sep.xreplace(shared),
                                  golden_unlearning_loss_expression(teacher="shared",
                                                                    regime=regime),
                                  name=f"C2.separate_reduces_to_shared_{regime}",
                                  statement="separate-teacher E UL(w_g) with w_f = w_r equals "
                                            f"the shared one ({regime}parameterised)"))
    wr2 = s.wr_A2 + s.wr_O2
    out.append(check_identity(golden_remaining_loss_expression(regime="over"),
                              (s.d_r - s.n_r) / s.d_r * wr2
                              + s.sigma ** 2 * (1 + s.n_r / (s.d_r - s.n_r - 1)),
                              name="C2.golden_remaining_over",
                              statement="E||(w_g - w_r)_{S_r}||^2 + sigma^2 = (k/m)||w_r||^2 "
                                        "+ sigma^2 (1 + n_r/(d_r - n_r - 1)), n_r < d_r - 1"))
    return out


def check_c2_golden_loss_positive():
    r"""C2(b): the golden model does not interpolate the forgetting set on average.

    Returns
    -------
    list of SymbolicResult
        (1) ``c1 >= 0`` for ``m >= 2, k >= 0`` and ``c1 > 0`` for ``k >= 1``;
        (2) ``c2 >= 0`` for ``m >= 2, 0 <= k < m`` (and ``c2 = 0`` at
        ``k = m``); (3) shared teacher, ``n_r < d_r``:
        ``E UL(w_g) - ||w_B||^2 - sigma^2 >= 0`` (noiseless for
        ``k >= 1``; noisy for ``k >= 2``), so
        ``E UL(w_g) >= ||w_B||^2 + sigma^2``, positive when the
        forgetting-only block carries signal or ``sigma > 0``.

    Examples
    --------
    >>> from linunlearn.theory import check_c2_golden_loss_positive
    >>> {r.verdict for r in check_c2_golden_loss_positive()}
    {'proved'}
    """
    s = SYMBOLS
    m, k = SYMBOLS.m, SYMBOLS.k
    mom = projection_moments()
    pp, q, r, t = sp.symbols("p_ q_ r_ t_", nonnegative=True)
    out = [check_nonnegative(mom.c1, name="C2.c1_nonnegative",
                             statement="c1 >= 0 for m >= 2, k >= 0 (m = 2 + p, k = q)",
                             substitutions={m: 2 + pp, k: q}),
           check_nonnegative(mom.c1, name="C2.c1_positive", strict=True,
                             statement="c1 > 0 for m >= 2, k >= 1 (m = 2 + p, k = 1 + q)",
                             substitutions={m: 2 + pp, k: 1 + q}),
           check_nonnegative(mom.c2, name="C2.c2_nonnegative",
                             statement="c2 >= 0 for m >= 2, 0 <= k < m "
                                       "(m = 2 + p, k = (2 + p) q/(1 + q))",
                             substitutions={m: 2 + pp, k: (2 + pp) * q / (1 + q)}),
           check_identity(mom.c2.subs(k, m), 0, name="C2.c2_at_k_equals_m",
                          statement="c2 = 0 at k = m")]
    derived = golden_unlearning_loss_expression(teacher="shared", regime="over")
    excess = derived - s.w_B2 - s.sigma ** 2
    out.append(check_nonnegative(excess.subs(s.sigma, 0), name="C2.golden_ul_excess_noiseless",
                                 statement="E UL(w_g) - ||w_B||^2 >= 0, sigma = 0, k >= 1 "
                                           "(n_r = 1 + t, d_r = 2 + q + t)",
                                 substitutions={s.n_r: 1 + t, s.d_r: 2 + q + t}))
    out.append(check_nonnegative(excess, name="C2.golden_ul_excess_noisy",
                                 statement="E UL(w_g) - ||w_B||^2 - sigma^2 >= 0, k >= 2 "
                                           "(n_r = 1 + t, d_r = 3 + q + t)",
                                 substitutions={s.n_r: 1 + t, s.d_r: 3 + q + t}))
    return out


def check_c3_mechanism():
    r"""C3: ``w_ft - w_g = (I - P_r) w_o`` for every ``w_o``.

    Returns
    -------
    list of SymbolicResult
        On MatrixSymbols with an opaque ``X_r^+`` (pure linearity), and on
        exact rational instances (including a rank-deficient ``X_r``).

    Examples
    --------
    >>> from linunlearn.theory import check_c3_mechanism
    >>> {r.verdict for r in check_c3_mechanism()}
    {'proved'}
    """
    X, Xp, w, y = _interpolation_symbols()
    d = X.shape[1]
    out = [check_identity((w + Xp * (y - X * w)) - Xp * y, (sp.Identity(d) - Xp * X) * w,
                          name="C3.mechanism.matrix_symbols",
                          statement="w_ft - w_g = (I - X_r^+ X_r) w_o, any w_o, opaque X_r^+")]
    for seed, (rows, cols, rank) in enumerate([(2, 4, 2), (3, 3, 2), (4, 2, 2)]):
        Xr = _rational_matrix(300 + seed, rows, rank) * _rational_matrix(400 + seed, rank, cols)
        w0, yr = _rational_matrix(500 + seed, cols, 1), _rational_matrix(600 + seed, rows, 1)
        Pr = Xr.pinv() * Xr
        out.append(check_identity(_gd_limit(Xr, yr, w0) - Xr.pinv() * yr,
                                  (sp.eye(cols) - Pr) * w0,
                                  name=f"C3.mechanism.rational_{rows}x{cols}_rank{rank}",
                                  statement="w_ft - w_g = (I - P_r) w_o on an exact instance"))
    return out


def _block_diag(A, B):
    return sp.BlockMatrix([[A, sp.ZeroMatrix(A.rows, B.cols)],
                           [sp.ZeroMatrix(B.rows, A.cols), B]])


def _penrose_rules(X, Xp):
    """Product rules of the four Penrose conditions for (X, X^+)."""
    return [(sp.MatMul(X, Xp, X), X), (sp.MatMul(Xp, X, Xp), Xp),
            (sp.MatMul(Xp.T, X.T), sp.MatMul(X, Xp)), (sp.MatMul(X.T, Xp.T), sp.MatMul(Xp, X))]


def _blockwise(name, statement, lhs, rhs, rules, sampler):
    diff = sp.block_collapse(lhs - rhs)
    blocks = diff.blocks if isinstance(diff, sp.BlockMatrix) else sp.Matrix([[diff]])
    results = [check_identity(blk, sp.ZeroMatrix(*blk.shape), name=name, statement=statement,
                              assumptions=rules, sampler=sampler) for blk in blocks]
    worst = next((r for r in results if r.verdict == "disproved"),
                 next((r for r in results if r.verdict == "inconclusive"), results[0]))
    return worst


def check_c4_distinct_features():
    r"""C4: with distinct features RBM (reset outside ``S_r``, fine-tune) is golden.

    Layout ``[A | B]``, ``X_r = [X_A, 0]``, ``X_f = [0, X_B]``; every step
    uses only the Penrose conditions of ``(X_A, X_A^+)`` and ``(X_B, X_B^+)``.

    Returns
    -------
    list of SymbolicResult
        (1) ``blockdiag(X_A^+, X_B^+)`` satisfies the Penrose conditions of
        ``blockdiag(X_A, X_B)`` and ``[X_A^+; 0]`` those of ``[X_A, 0]``;
        (2) ``w_o`` restricted to ``A`` equals ``w_g`` there (and ``w_g = 0``
        on ``B``); (3) ``(I - P_r)(m * w_o) + X_r^+ y_r = w_g`` for the mask
        ``m = 1_A``; (4) exact rational instances (over- and
        under-parameterised) with sympy's exact pinv.

    Examples
    --------
    >>> from linunlearn.theory import check_c4_distinct_features
    >>> {r.verdict for r in check_c4_distinct_features()}
    {'proved'}
    """
    a, b, nr, nf = _dims("a b n_r n_f")
    XA, XB = sp.MatrixSymbol("X_A", nr, a), sp.MatrixSymbol("X_B", nf, b)
    XAp, XBp = sp.MatrixSymbol("X_A^+", a, nr), sp.MatrixSymbol("X_B^+", b, nf)
    yr, yf = sp.MatrixSymbol("y_r", nr, 1), sp.MatrixSymbol("y_f", nf, 1)
    rules = _penrose_rules(XA, XAp) + _penrose_rules(XB, XBp)

    def sampler(rng):
        na, nb, ka, kb = (int(rng.integers(1, 4)) for _ in range(4))
        A, B = _random_matrix(rng, ka, na), _random_matrix(rng, kb, nb)
        return {a: na, b: nb, nr: ka, nf: kb,
                sp.MatrixSymbol("X_A", ka, na): A, sp.MatrixSymbol("X_B", kb, nb): B,
                sp.MatrixSymbol("X_A^+", na, ka): A.pinv(),
                sp.MatrixSymbol("X_B^+", nb, kb): B.pinv()}

    X = _block_diag(XA, XB)
    Z = _block_diag(XAp, XBp)
    Xr = sp.BlockMatrix([[XA, sp.ZeroMatrix(nr, b)]])
    Xrp = sp.BlockMatrix([[XAp], [sp.ZeroMatrix(b, nr)]])
    out = []
    for label, M, Mp in (("stacked", X, Z), ("remaining", Xr, Xrp)):
        conditions = [(M * Mp * M, M), (Mp * M * Mp, Mp), ((M * Mp).T, M * Mp),
                      ((Mp * M).T, Mp * M)]
        for i, (lhs, rhs) in enumerate(conditions):
            out.append(_blockwise(f"C4.penrose{i + 1}.{label}",
                                  f"Penrose condition {i + 1} for the block pseudo-inverse "
                                  f"of the {label} data", lhs, rhs, rules, sampler))
    y = sp.BlockMatrix([[yr], [yf]])
    w_o = sp.block_collapse(Z * y)
    w_g = sp.block_collapse(Xrp * yr)
    keep_A = _block_diag(sp.Identity(a), sp.ZeroMatrix(b, b))
    out.append(_blockwise("C4.pretrained_A_equals_golden",
                          "w_o restricted to A equals w_g (and w_g = 0 on B)",
                          sp.block_collapse(keep_A * w_o), w_g, rules, sampler))
    P_r = sp.block_collapse(Xrp * Xr)
    eye = _block_diag(sp.Identity(a), sp.Identity(b))
    w_rbm = sp.block_collapse((eye - P_r) * (keep_A * w_o) + Xrp * yr)
    out.append(_blockwise("C4.rbm_equals_golden.matrix_symbols",
                          "(I - P_r)(1_A * w_o) + X_r^+ y_r = w_g", w_rbm, w_g, rules, sampler))
    for seed, (n_r, n_f, da, db) in enumerate([(2, 1, 3, 2), (3, 2, 2, 3), (1, 1, 2, 2)]):
        A, B = _rational_matrix(700 + seed, n_r, da), _rational_matrix(800 + seed, n_f, db)
        Xs = sp.diag(A, B)
        ys = _rational_matrix(900 + seed, n_r + n_f, 1)
        w0 = Xs.pinv() * ys
        Xrr = A.row_join(sp.zeros(n_r, db))
        mask = sp.diag(*([1] * da + [0] * db))
        w_gold = Xrr.pinv() * ys[:n_r, 0]
        out.append(check_identity(_gd_limit(Xrr, ys[:n_r, 0], mask * w0), w_gold,
                                  name=f"C4.rbm_equals_golden.rational_{seed}",
                                  statement="RBM = golden on an exact rational instance "
                                            f"(n_r={n_r}, n_f={n_f}, |A|={da}, |B|={db})"))
    return out


def _c5_identities(remaining_sees_b=False):
    """C5(i)'s two identities on block matrices, as ``check_identity`` arguments.

    ``remaining_sees_b=True`` gives ``X_r`` a nonzero ``B`` block, where the
    identities are false (the tests feed that to ``check_identity``).
    """
    da, do, db, nr, nf = _dims("a o b n_r n_f")
    XrA, XrO = sp.MatrixSymbol("X_rA", nr, da), sp.MatrixSymbol("X_rO", nr, do)
    XrB = sp.MatrixSymbol("X_rB", nr, db) if remaining_sees_b else sp.ZeroMatrix(nr, db)
    XfO, XfB = sp.MatrixSymbol("X_fO", nf, do), sp.MatrixSymbol("X_fB", nf, db)
    a, o, b = (sp.MatrixSymbol(v, k, 1) for v, k in (("a", da), ("o", do), ("b", db)))
    yr, yf = sp.MatrixSymbol("y_r", nr, 1), sp.MatrixSymbol("y_f", nf, 1)
    Xrp = sp.MatrixSymbol("X_r^+", da + do + db, nr)
    Xr = sp.BlockMatrix([[XrA, XrO, XrB]])
    Xf = sp.BlockMatrix([[sp.ZeroMatrix(nf, da), XfO, XfB]])
    kept = sp.BlockMatrix([[a], [o], [sp.ZeroMatrix(db, 1)]])  # 1_{S_r} * w_o
    w_o = sp.BlockMatrix([[a], [o], [b]])
    interpolation = [(yr, sp.block_collapse(Xr * w_o)), (yf, XfO * o + XfB * b)]
    move = sp.block_collapse(Xrp * (yr - sp.block_collapse(Xr * kept)))
    residual = sp.block_collapse(Xf * kept) - yf + XfB * b
    return [("C5.rbm_reset_stays.matrix_symbols",
             "X_r^+ (y_r - X_r (1_{S_r} * w_o)) = 0: RBM's reset already fits D_r",
             move, sp.ZeroMatrix(da + do + db, 1), interpolation),
            ("C5.rbm_unlearning_residual.matrix_symbols",
             "X_f (1_{S_r} * w_o) - y_f = -X_{f,B} w_{o,B}",
             residual, sp.ZeroMatrix(nf, 1), interpolation)]


def check_c5_rbm_forgets_the_forgetting_only_block():
    r"""C5(i): at an interpolating ``w_o``, ``w_rbm = 1_{S_r} * w_o`` and
    ``X_f w_rbm - y_f = -X_{f,B} w_{o,B}``.

    Layout ``[A | O | B]``, ``X_r = [X_{rA}, X_{rO}, 0]``, ``X_f = [0, X_{fO},
    X_{fB}]``, ``w_o = [a; o; b]`` with the hypotheses ``y_r = X_r w_o`` and
    ``y_f = X_f w_o``. RBM (support mask, reset) fine-tunes from ``m * w_o``,
    ``m = 1_{S_r}``; ``X_r`` does not see ``B``, so that start already fits
    ``D_r`` and gradient descent does not move. Hence ``UL(w_rbm) = (1/n_f)
    ||X_{f,B} w_{o,B}||^2 >= 0 = UL(w_ft)``: RBM forgets exactly what the
    forgetting-only features carry.

    Returns
    -------
    list of SymbolicResult
        (1) ``w_rbm - m * w_o = 0``, with an opaque ``X_r^+`` (linearity only);
        (2) ``X_f w_rbm - y_f + X_{f,B} b = 0``; (3) exact rational instances
        with sympy's exact pinv.

    Examples
    --------
    >>> from linunlearn.theory import check_c5_rbm_forgets_the_forgetting_only_block
    >>> {r.verdict for r in check_c5_rbm_forgets_the_forgetting_only_block()}
    {'proved'}
    """
    out = [check_identity(lhs, rhs, name=name, statement=statement,
                          assumptions=assumptions)
           for name, statement, lhs, rhs, assumptions in _c5_identities()]
    for seed, (n_r, n_f, a_, o_, b_) in enumerate([(2, 1, 2, 1, 2), (1, 2, 1, 2, 2)]):
        Xr_ = _rational_matrix(1700 + seed, n_r, a_ + o_).row_join(sp.zeros(n_r, b_))
        Xf_ = sp.zeros(n_f, a_).row_join(_rational_matrix(1800 + seed, n_f, o_ + b_))
        X_ = Xr_.col_join(Xf_)
        if X_.rank() < n_r + n_f:  # pragma: no cover - seeds give full rank
            continue
        y_ = _rational_matrix(1900 + seed, n_r + n_f, 1)
        w0 = X_.pinv() * y_
        mask = sp.diag(*([1] * (a_ + o_) + [0] * b_))
        w_rbm = _gd_limit(Xr_, y_[:n_r, 0], mask * w0)
        out.append(check_identity(w_rbm, mask * w0, name=f"C5.rbm_reset_stays.rational_{seed}",
                                  statement="w_rbm = 1_{S_r} * w_o on an exact instance"))
        out.append(check_identity(
            Xf_ * w_rbm - y_[n_r:, 0], -Xf_[:, a_ + o_:] * w0[a_ + o_:, 0],
            name=f"C5.rbm_unlearning_residual.rational_{seed}",
            statement="X_f w_rbm - y_f = -X_{f,B} w_{o,B} on an exact interpolating "
                      f"instance (n_r={n_r}, n_f={n_f}, |A|={a_}, |O|={o_}, |B|={b_})"))
    return out


def _generic_matrix(seed, rows, cols):
    """A full-rank exact rational matrix without zero columns (generic position)."""
    for offset in range(100):
        X = _full_row_rank_matrix(seed + 104729 * offset, rows, cols)
        if all(any(X[i, j] != 0 for i in range(rows)) for j in range(cols)):
            return X
    raise RuntimeError("no generic rational matrix found")  # pragma: no cover


def _fisher_mask(X):
    """Coordinates with a nonzero Fisher diagonal sum_i x_ij^2 (exact)."""
    return [int(sum(X[i, j] ** 2 for i in range(X.rows)) != 0) for j in range(X.cols)]


def check_c6_full_overlap():
    r"""C6: with full overlap the RBM mask keeps everything, so ``w_rbm = w_ft``.

    Returns
    -------
    list of SymbolicResult
        (1) on MatrixSymbols: ``(I - P_r)(M w_o) + X_r^+ y_r`` with
        ``M = I`` equals ``w_o + X_r^+ (y_r - X_r w_o)``; (2) exact rational
        instances with ``S_r = S_f``: the Fisher-diagonal mask of ``D_r`` is
        all ones and the RBM model equals the fine-tuned one.

    Examples
    --------
    >>> from linunlearn.theory import check_c6_full_overlap
    >>> {r.verdict for r in check_c6_full_overlap()}
    {'proved'}
    """
    X, Xp, w, y = _interpolation_symbols()
    d = X.shape[1]
    Mask = sp.MatrixSymbol("M", d, d)
    out = [check_identity((sp.Identity(d) - Xp * X) * (Mask * w) + Xp * y,
                          w + Xp * (y - X * w), name="C6.rbm_equals_ft.matrix_symbols",
                          statement="(I - P_r)(M w_o) + X_r^+ y_r = w_ft when M = I",
                          assumptions=[(Mask, sp.Identity(d))])]
    for seed, (n_r, n_f, dim) in enumerate([(2, 1, 4), (1, 2, 4), (3, 1, 5)]):
        Xr = _generic_matrix(1000 + seed, n_r, dim)
        Xf = _generic_matrix(1100 + seed, n_f, dim)
        ys = _rational_matrix(1200 + seed, n_r + n_f, 1)
        w0 = Xr.col_join(Xf).pinv() * ys
        yr = ys[:n_r, 0]
        mask = _fisher_mask(Xr)
        w_rbm = _gd_limit(Xr, yr, sp.diag(*mask) * w0)
        out.append(check_identity(sp.Matrix(mask), sp.ones(dim, 1),
                                  name=f"C6.mask_keeps_all.rational_{seed}",
                                  statement="the RBM (Fisher) mask of D_r keeps every coordinate "
                                            "when S_r = S_f"))
        out.append(check_identity(w_rbm, _gd_limit(Xr, yr, w0),
                                  name=f"C6.rbm_equals_ft.rational_{seed}",
                                  statement="w_rbm = w_ft on an exact full-overlap instance"))
    return out


def check_c7_projection():
    r"""C7: ``P_r w_o = w_g`` whenever ``X_r w_o = y_r`` (noiseless or noisy).

    Returns
    -------
    list of SymbolicResult
        (1) on MatrixSymbols with opaque ``X_r^+`` and the hypothesis
        ``y_r = X_r w_o``; (2) exact rational instances with noisy labels
        where ``w_o = [X_r; X_f]^+ [y_r; y_f]`` (full row rank, so ``w_o``
        interpolates).

    Examples
    --------
    >>> from linunlearn.theory import check_c7_projection
    >>> {r.verdict for r in check_c7_projection()}
    {'proved'}
    """
    X, Xp, w, y = _interpolation_symbols()
    out = [check_identity(Xp * X * w, Xp * y, name="C7.projection.matrix_symbols",
                          statement="X_r^+ X_r w_o = X_r^+ y_r when X_r w_o = y_r",
                          assumptions=[(y, X * w)])]
    for seed, (n_r, n_f, dim) in enumerate([(2, 1, 4), (2, 2, 5), (1, 1, 3)]):
        Xs = _full_row_rank_matrix(1300 + seed, n_r + n_f, dim)
        ys = _rational_matrix(1400 + seed, n_r + n_f, 1)     # arbitrary labels: any noise
        w0 = Xs.pinv() * ys
        Xr = Xs[:n_r, :]
        out.append(check_identity(Xr.pinv() * Xr * w0, Xr.pinv() * ys[:n_r, 0],
                                  name=f"C7.projection.rational_{seed}",
                                  statement="P_r w_o = w_g on an exact interpolating instance "
                                            "with arbitrary (noisy) labels"))
    return out


def _weighted_gd_limit(S, c, weights, w0):
    """Exact GD limit from ``w0`` on ``(S w - c)^T diag(weights) (S w - c)``."""
    W = sp.diag(*weights)
    H = S.T * W * S
    return w0 + H.pinv() * (S.T * W * c - H * w0)


def c8_regularised_limits(S, c, n_r, alphas, w0):
    """Exact limits of fine-tuning with the forgetting term weighted by each alpha.

    Parameters
    ----------
    S : sympy.Matrix of shape (n_r + n_f, d)
        Stacked ``[X_r; X_f]``.
    c : sympy.Matrix of shape (n_r + n_f, 1)
        Stacked ``[y_r; y_wrong]``.
    n_r : int
        Rows of the remaining data.
    alphas : sequence of sympy.Rational
        Positive weights of the forgetting term.
    w0 : sympy.Matrix of shape (d, 1)
        Starting point (the pretrained weights).

    Returns
    -------
    list of sympy.Matrix
        The limit of gradient descent on
        ``(1/n_r)||X_r w - y_r||^2 + alpha (1/n_f)||X_f w - y_wrong||^2``.

    Examples
    --------
    >>> import sympy as sp
    >>> from linunlearn.theory import c8_regularised_limits
    >>> S = sp.Matrix([[1, 0, 0], [0, 1, 0]]); c = sp.Matrix([1, 2])
    >>> [w.T for w in c8_regularised_limits(S, c, 1, [1, 3], sp.zeros(3, 1))]
    [Matrix([[1, 2, 0]]), Matrix([[1, 2, 0]])]
    """
    n_f = S.rows - n_r
    return [_weighted_gd_limit(S, c, [sp.Rational(1, n_r)] * n_r
                               + [sp.Rational(alpha) / n_f] * n_f, w0) for alpha in alphas]


def check_c8_weight_irrelevant_at_convergence():
    r"""C8 (supporting): at convergence the weight of the forgetting term is irrelevant.

    When ``S = [X_r; X_f]`` has full row rank (so ``n_r + n_f <= d`` and the
    two interpolation sets intersect), gradient descent from ``w_o`` on
    ``RL + alpha L_f(wrong labels)`` converges to the point of the
    intersection closest to ``w_o``, for every ``alpha > 0``.

    Returns
    -------
    list of SymbolicResult
        (1) on MatrixSymbols: with ``W`` any weight matrix, ``H = S^T W S``
        and ``S^+ = S^T (S S^T)^{-1}``, ``H S^+ r = S^T W r``; since
        ``S^+ r`` lies in the row space of ``S`` (= range of ``H`` for
        ``W`` positive definite), the GD increment ``H^+ S^T W r`` equals
        ``S^+ r``, free of ``W``; (2) exact rational instances: the limits
        for ``alpha = 1`` and ``alpha = 7/3`` coincide and equal
        ``w_o + S^+ (c - S w_o)``.

    Examples
    --------
    >>> from linunlearn.theory import check_c8_weight_irrelevant_at_convergence
    >>> {r.verdict for r in check_c8_weight_irrelevant_at_convergence()}
    {'proved'}
    """
    n, d = _dims("n d")
    S, W = sp.MatrixSymbol("S", n, d), sp.MatrixSymbol("W", n, n)
    r = sp.MatrixSymbol("r", n, 1)
    Sp = S.T * (S * S.T).I
    out = [check_identity(S.T * W * S * Sp * r, S.T * W * r,
                          name="C8.weight_free_increment.matrix_symbols",
                          statement="S^T W S S^+ r = S^T W r for S^+ = S^T (S S^T)^-1")]
    for seed, (n_r, n_f, dim) in enumerate([(2, 1, 4), (1, 2, 4), (2, 2, 5)]):
        Xs = _full_row_rank_matrix(1500 + seed, n_r + n_f, dim)
        c = _rational_matrix(1600 + seed, n_r + n_f, 1)
        w0 = _rational_matrix(1700 + seed, dim, 1)
        lim1, lim2 = c8_regularised_limits(Xs, c, n_r, [1, sp.Rational(7, 3)], w0)
        out.append(check_identity(lim1, lim2, name=f"C8.alpha_irrelevant.rational_{seed}",
                                  statement="the regularised fine-tuning limits for alpha = 1 "
                                            "and alpha = 7/3 coincide (full row rank)"))
        out.append(check_identity(lim1, _gd_limit(Xs, c, w0),
                                  name=f"C8.closest_point.rational_{seed}",
                                  statement="the limit is the point of both interpolation sets "
                                            "closest to w_o"))
    return out


#: Claim id -> the symbolic check functions of that claim (empty: only empirical).
SYMBOLIC_CHECKS = {
    "C1": (check_c1_interpolation,),
    "C2": (check_c2_fine_tuning_keeps_pretrained, check_c2_projection_moments,
           check_c2_inverse_gram_trace, check_c2_loss_assembly,
           check_c2_golden_loss_formula, check_c2_golden_loss_positive),
    "C3": (check_c3_mechanism,),
    "C4": (check_c4_distinct_features,),
    "C5": (check_c5_rbm_forgets_the_forgetting_only_block,),
    "C6": (check_c6_full_overlap,),
    "C7": (check_c7_projection,),
    "C8": (check_c8_weight_irrelevant_at_convergence,),
}


def symbolic_checks(claim_id):
    """Run every symbolic check of one claim.

    Parameters
    ----------
    claim_id : str
        ``"C1"`` ... ``"C8"``.

    Returns
    -------
    list of SymbolicResult
        For C5 only its exact part (i) is symbolic; (ii) and (iii) are
        checked empirically.

    Raises
    ------
    ValueError
        If ``claim_id`` is not a known claim.

    Examples
    --------
    >>> from linunlearn.theory import symbolic_checks
    >>> [r.name for r in symbolic_checks("C5")][:2]
    ['C5.rbm_reset_stays.matrix_symbols', 'C5.rbm_unlearning_residual.matrix_symbols']
    >>> {r.verdict for r in symbolic_checks("C3")}
    {'proved'}
    """
    if not isinstance(claim_id, str) or claim_id not in SYMBOLIC_CHECKS:
        raise ValueError(f"claim_id must be one of {', '.join(SYMBOLIC_CHECKS)}, "
                         f"got {claim_id!r}")
    return [result for check in SYMBOLIC_CHECKS[claim_id] for result in check()]

