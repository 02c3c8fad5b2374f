"""Derivations (sympy) of the exact expectations of the golden model.

This module derives, rather than types in, the closed-form expectations that
the Monte Carlo verifier compares against (docs/theory.md, C2). The checks of
the algebra behind claims C1-C8 are in :mod:`linunlearn.proofs`, built on the
engine of :mod:`linunlearn.symbolic`.

Derivations
    SYMBOLS                              the sympy symbols of these expressions
    ProjectionMoments                    moments of a random projection (a record)
    projection_moments                   derive them for a random rank-k projection
    inverse_chi_square_mean              E[1/chi2_nu], integrated against the density
    expected_trace_inverse_gram          E tr((X X^T)^-1) or E tr((X^T X)^-1)
    golden_unlearning_loss_template      E UL(w_g) in the abstract moments mu1, mu2, nu2, tau
    golden_remaining_loss_template       E remaining test loss of w_g, likewise
    golden_unlearning_loss_expression    E UL(w_g) as a sympy expression
    golden_remaining_loss_expression     E remaining test loss of w_g (sympy)
    loss_sources                         the expressions as Python source, to evaluate
Evaluations (defined in linunlearn.expectations)
    expected_golden_unlearning_loss      E UL(w_g), for given sizes and teachers
    expected_golden_unlearning_loss_for  E UL(w_g), for a Scenario
    expected_golden_remaining_loss       E remaining test loss of w_g, evaluated

Conventions: coordinates in the layout ``[A | O | B]`` (A remaining-only, O the
overlap of size ``d_lap``, B forgetting-only); ``S_r = A u O`` has ``d_r``
coordinates and ``S_f = O u B`` has ``d_f``. Features are isotropic Gaussian on
their support; the golden model is ``w_g = X_r^+ y_r``; losses are mean
squared errors.
"""

import functools
import inspect
from dataclasses import dataclass

import sympy as sp
from sympy.stats import Beta, ChiSquared, E, density

from ._validation import check_option

__all__ = [
    "SYMBOLS", "ProjectionMoments", "projection_moments", "inverse_chi_square_mean",
    "expected_trace_inverse_gram", "golden_unlearning_loss_template",
    "golden_remaining_loss_template", "golden_unlearning_loss_expression",
    "golden_remaining_loss_expression", "loss_sources", "expected_golden_unlearning_loss",
    "expected_golden_unlearning_loss_for", "expected_golden_remaining_loss",
]


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
    mu1: sp.Symbol          # abstract moments of the templates: E Q_ii
    mu2: sp.Symbol          # E Q_ii^2
    nu2: sp.Symbol          # E Q_ij^2, i != j
    tau: sp.Symbol          # E (X_r^+ X_r^+T)_ii


def _make_symbols():
    pos = dict(positive=True, integer=True)
    nonneg = dict(nonnegative=True)
    return _Symbols(
        *sp.symbols("m k", **pos), sp.Symbol("nu", positive=True),
        *sp.symbols("n p d_r d_f", **pos), sp.Symbol("d_lap", nonnegative=True, integer=True),
        sp.Symbol("n_r", **pos), sp.Symbol("sigma", **nonneg),
        *sp.symbols("wr_A2 wr_O2 wf_O2", **nonneg), sp.Symbol("wrf_O", real=True),
        *sp.symbols("wf_B2 w_A2 w_O2 w_B2", **nonneg),
        *sp.symbols("mu1 mu2 nu2 tau", real=True))


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
        its moments: see :func:`linunlearn.proofs.check_c2_projection_moments`).

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
        ``nu <= 2`` the integral diverges:
        :func:`linunlearn.proofs.check_c2_inverse_gram_trace`).

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
    (Schur complement, checked in
    :func:`linunlearn.proofs.check_c2_inverse_gram_trace`) and the
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
    check_option(regime, "regime", ("over", "under"))
    n, p, nu = SYMBOLS.n, SYMBOLS.p, SYMBOLS.nu
    dim, dof = (n, p) if regime == "over" else (p, n)
    return sp.factor(dim * inverse_chi_square_mean().subs(nu, dof - dim + 1))


def _moment_symbols():
    """Abstract moments used to assemble the losses before substitution."""
    return SYMBOLS.mu1, SYMBOLS.mu2, SYMBOLS.nu2, SYMBOLS.tau


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
    small ``m`` by :func:`linunlearn.proofs.check_c2_loss_assembly`.
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


def golden_unlearning_loss_template(*, teacher="shared"):
    r"""E UL(w_g) assembled in the abstract moments, before they are derived.

    Parameters
    ----------
    teacher : {"shared", "separate"}
        As in :func:`golden_unlearning_loss_expression`.

    Returns
    -------
    sympy.Expr
        :math:`E\,UL(w_g)` in the abstract moments ``SYMBOLS.mu1`` (``E
        Q_ii``), ``SYMBOLS.mu2`` (``E Q_ii^2``), ``SYMBOLS.nu2`` (``E Q_ij^2``,
        ``i != j``) and ``SYMBOLS.tau`` (``E (X_r^+ X_r^{+T})_ii``), the sizes
        and the teacher statistics. :func:`golden_unlearning_loss_expression`
        substitutes the derived moments of a regime into it;
        :func:`linunlearn.proofs.check_c2_loss_assembly` checks it coordinate
        by coordinate at small sizes.

    Notes
    -----
    The error of ``w_g`` is ``-w_{f,B}`` on ``B`` and
    ``u - (Q w_r)_O + (X_r^+ eps)_O`` on ``O``, with ``u = w_{r,O} - w_{f,O}``;
    ``E Q = mu1 I`` and ``E[Q e_i e_i^T Q] = nu2 I + (mu2 - nu2) e_i e_i^T``.

    Examples
    --------
    >>> from linunlearn.theory import golden_unlearning_loss_template, SYMBOLS
    >>> s = SYMBOLS
    >>> golden_unlearning_loss_template()
    d_lap*nu2*(w_A2 + w_O2) + d_lap*sigma**2*tau + sigma**2 + w_B2 + w_O2*(mu2 - nu2)
    >>> golden_unlearning_loss_template().subs({s.mu1: 0, s.mu2: 0, s.nu2: 0})  # Q = 0
    d_lap*sigma**2*tau + sigma**2 + w_B2
    """
    check_option(teacher, "teacher", ("shared", "separate"))
    return sp.Add(*_unlearning_loss_terms(teacher))


def golden_remaining_loss_template():
    r"""E remaining test loss of w_g assembled in the abstract moments.

    Returns
    -------
    sympy.Expr
        :math:`E\|(w_g - w_r)_{S_r}\|^2 + \sigma^2` in ``SYMBOLS.mu2``,
        ``SYMBOLS.nu2``, ``SYMBOLS.tau`` (see
        :func:`golden_unlearning_loss_template`), ``d_r``, ``sigma``, ``wr_A2``
        and ``wr_O2``.

    Examples
    --------
    >>> from linunlearn.theory import golden_remaining_loss_template, SYMBOLS
    >>> s = SYMBOLS
    >>> golden_remaining_loss_template().subs({s.mu2: 0, s.nu2: 0, s.d_r: 3})  # Q = 0
    3*sigma**2*tau + sigma**2
    """
    return sp.Add(*_remaining_loss_terms())


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
    check_option(teacher, "teacher", ("shared", "separate"))
    check_option(regime, "regime", ("over", "under"))
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
    check_option(regime, "regime", ("over", "under"))
    return sp.Add(*_remaining_parts(regime))


def loss_sources(kind, teacher=None, regime="over"):
    """Python source of the three derived parts of an expected loss, for evaluation.

    Parameters
    ----------
    kind : {"unlearning", "remaining"}
        :func:`golden_unlearning_loss_expression` or
        :func:`golden_remaining_loss_expression`.
    teacher : {"shared", "separate"}, optional
        For ``"unlearning"``.
    regime : {"over", "under"}
        ``n_r < d_r`` or ``n_r > d_r``.

    Returns
    -------
    tuple of str
        The source of one function per part (signal, label noise, noise
        propagated through ``X_r^+``), as :func:`sympy.lambdify` writes it
        for the ``math`` module. Their arguments are ``d_r, d_f, d_lap, n_r,
        sigma`` and the teacher's block norms (``w_A2, w_O2, w_B2`` for the
        shared teacher, ``wr_A2, wr_O2, wf_O2, wrf_O, wf_B2`` for separate
        ones, ``wr_A2, wr_O2`` for the remaining loss).
        :mod:`linunlearn.expectations` evaluates them (and caches them).

    Examples
    --------
    >>> loss_sources("remaining", regime="over")[0].splitlines()[0]
    'def _lambdifygenerated(d_r, d_f, d_lap, n_r, sigma, wr_A2, wr_O2):'
    """
    check_option(kind, "kind", ("unlearning", "remaining"))
    check_option(regime, "regime", ("over", "under"))
    s = SYMBOLS
    if kind == "unlearning":
        check_option(teacher, "teacher", ("shared", "separate"))
        parts = _unlearning_parts(teacher, regime)
        stats = ((s.w_A2, s.w_O2, s.w_B2) if teacher == "shared"
                 else (s.wr_A2, s.wr_O2, s.wf_O2, s.wrf_O, s.wf_B2))
    else:
        parts = _remaining_parts(regime)
        stats = (s.wr_A2, s.wr_O2)
    args = (s.d_r, s.d_f, s.d_lap, s.n_r, s.sigma) + stats
    return tuple(inspect.getsource(sp.lambdify(args, part, modules="math"))
                 for part in parts)


# The evaluations live in linunlearn.expectations (no sympy when cached); they
# are names of this module too.
from .expectations import (expected_golden_remaining_loss,  # noqa: E402
                           expected_golden_unlearning_loss,
                           expected_golden_unlearning_loss_for)
