"""The symbolic checks of claims C1-C8, one section per written proof.

The sections follow proofs/C1.md ... proofs/C8.md (the claims of
docs/theory.md, section 5), and each written proof names the functions here
that check its steps. A check function returns a tuple of
:class:`linunlearn.symbolic.SymbolicResult` and computes it once per process
(sympy is slow, and ``linunlearn verify``, the tests and the docs ask for the
same results again).

C1
    check_c1_interpolation                  fine-tuning interpolates D_r: RL(w_ft) = 0
C2
    check_c2_fine_tuning_keeps_pretrained   X_r w_o = y_r gives w_ft = w_o
    check_c2_projection_moments             moments of a random projection: brief, limits
    check_c2_inverse_gram_trace             E[1/chi2_nu] and the inverse-Gram traces
    check_c2_loss_assembly                  the loss templates, coordinate by coordinate
    check_c2_golden_loss_formula            E UL(w_g) equals the typed formula
    check_c2_golden_loss_positive           E UL(w_g) >= ||w_B||^2 + sigma^2
C3
    check_c3_mechanism                      w_ft - w_g = (I - P_r) w_o
C4
    check_c4_distinct_features              distinct features: RBM = golden
C5
    check_c5_rbm_forgets_the_forgetting_only_block
                                            (i): RBM resets B and nothing else moves
C6
    check_c6_full_overlap                   full overlap: RBM = FT
C7
    check_c7_projection                     P_r w_o = w_g when w_o interpolates D_r
C8
    c8_regularised_limits                   exact limits of FT + alpha * L_f(wrong labels)
    check_c8_weight_irrelevant_at_convergence
                                            the limit does not depend on alpha
Registry
    SYMBOLIC_CHECKS                         claim id -> tuple of check functions
    symbolic_checks                         every result of one claim ("C1".."C8")
"""

import functools

import numpy as np
import sympy as sp
from sympy.stats import ChiSquared, density

from .symbolic import SymbolicResult, check_identity, check_nonnegative, random_rational_matrix
from .theory import (SYMBOLS, expected_trace_inverse_gram, golden_remaining_loss_expression,
                     golden_remaining_loss_template, golden_unlearning_loss_expression,
                     golden_unlearning_loss_template, inverse_chi_square_mean,
                     projection_moments)

__all__ = [
    "check_c1_interpolation", "check_c2_fine_tuning_keeps_pretrained",
    "check_c2_projection_moments", "check_c2_inverse_gram_trace",
    "check_c2_loss_assembly", "check_c2_golden_loss_formula",
    "check_c2_golden_loss_positive", "check_c3_mechanism",
    "check_c4_distinct_features", "check_c5_rbm_forgets_the_forgetting_only_block",
    "check_c6_full_overlap", "check_c7_projection", "c8_regularised_limits",
    "check_c8_weight_irrelevant_at_convergence", "SYMBOLIC_CHECKS", "symbolic_checks",
]


# ==========================================================================
# shared: matrix symbols and exact rational instances


def _rational_matrix(seed, rows, cols):
    """A reproducible exact rational matrix (``random_rational_matrix`` seeded by ``seed``)."""
    return random_rational_matrix(np.random.default_rng(seed), rows, cols)


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


def _interpolation_symbols():
    n, d = _dims("n d")
    return (sp.MatrixSymbol("X_r", n, d), sp.MatrixSymbol("X_r^+", d, n),
            sp.MatrixSymbol("w_o", d, 1), sp.MatrixSymbol("y_r", n, 1))


# ==========================================================================
# C1. Fine-tuning reaches zero remaining loss (proofs/C1.md)


@functools.cache
def check_c1_interpolation():
    r"""C1: fine-tuning interpolates the remaining data, ``RL(w_ft) = 0``.

    Returns
    -------
    tuple of SymbolicResult
        (1) :math:`X X^+ = I` with :math:`X^+ = X^T (X X^T)^{-1}` on
        MatrixSymbols of symbolic size, and the four Penrose conditions of
        :math:`X^T (X X^T)^{-1}` there; (2) :math:`X w_{ft} - y = 0` there;
        (3) on a symbolic 2x3 matrix, :math:`X^T (X X^T)^{-1}` satisfies the
        four Penrose conditions (so it is the pseudo-inverse) and
        :math:`X w_{ft} = y`; (4) exact rational instances with sympy's
        exact ``pinv``.

    Examples
    --------
    >>> from linunlearn.proofs import check_c1_interpolation
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
    return tuple(out)


# ==========================================================================
# C2. Fine-tuning does not forget; the golden model does (proofs/C2.md)


@functools.cache
def check_c2_fine_tuning_keeps_pretrained():
    r"""C2(a): if ``X_r w_o = y_r`` then ``w_ft = w_o``, so ``UL(w_ft) = UL(w_o)``.

    ``X_r^+`` is an opaque symbol: only linearity is used, so the identity
    holds for every matrix in its place.

    Returns
    -------
    tuple of SymbolicResult

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_fine_tuning_keeps_pretrained
    >>> [r.verdict for r in check_c2_fine_tuning_keeps_pretrained()]
    ['proved']
    """
    X, Xp, w, y = _interpolation_symbols()
    return (check_identity(w + Xp * (y - X * w), w, name="C2.ft_equals_pretrained",
                           statement="w_o + X_r^+ (y_r - X_r w_o) = w_o when X_r w_o = y_r",
                           assumptions=[(y, X * w)]),)


def _typed_c1_c2():
    """The brief's typed constants (used only as an independent cross-check)."""
    m, k = SYMBOLS.m, SYMBOLS.k
    return (k * (k * m + m - 2) / (m * (m - 1) * (m + 2)),
            k * (m - k) / (m * (m - 1) * (m + 2)))


@functools.cache
def check_c2_projection_moments():
    r"""C2: the derived projection moments agree with the brief and with the limits.

    Returns
    -------
    tuple of SymbolicResult
        (1-2) derived ``c1``, ``c2`` equal docs/theory.md's typed formulas;
        (3) ``E Q_11 = E Q_11^2 + (m - 1) E Q_12^2`` (idempotence) holds for
        the derived moments; (4-5) at ``k = 0`` the moments are those of
        ``Q = 0``, at ``k = m`` those of ``Q = I``; (6-7) sign flips: for a
        symbolic symmetric 3x3 ``Q`` and ``D = diag(1, -1, 1)``,
        ``(DQD)_11 (DQD)_12 = -Q_11 Q_12`` and
        ``(DQD)_12 (DQD)_13 = -Q_12 Q_13``, so both means are 0.

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_projection_moments
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
    return tuple(out)


@functools.cache
def check_c2_inverse_gram_trace():
    r"""C2 (noise term): inverse chi-square mean and the inverse Wishart trace.

    Returns
    -------
    tuple of SymbolicResult
        (1) the derived :math:`E[1/\chi^2_\nu]` times :math:`\nu - 2` is 1; (2)
        the integral diverges for :math:`\nu = 1, 2` (so the noisy
        expectation is infinite for ``|n_r - d_r| <= 1``); (2b) the noise
        covariance: :math:`\mathrm{tr}(X^+ X^{+T}) = \mathrm{tr}((X X^T)^{-1})`
        (generic 2x3) and :math:`X^+ X^{+T} = (X^T X)^{-1}` (generic 3x2); (3)
        the Schur complement identity :math:`(W^{-1})_{11} = 1/(W_{11} - W_{12}
        W_{22}^{-1} W_{21})` on a symbolic symmetric 3x3 ``W``; (4-5) the
        derived traces are ``n/(p - n - 1)`` and ``p/(n - p - 1)``.

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_inverse_gram_trace
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
    return tuple(out)


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


@functools.cache
def check_c2_loss_assembly():
    r"""C2: the assembly of E UL(w_g) and E RL-test(w_g) from the moments, at small sizes.

    For ``(d_r, d_lap, d_f)`` in a few small cases it writes the error of the
    golden model coordinate by coordinate with a symbolic symmetric ``Q``,
    symbolic teachers and a noise vector ``z = X_r^+ eps``, takes the mean
    with the moment rules (:func:`linunlearn.theory.projection_moments`;
    ``E z_i z_j = sigma^2 tau delta_ij``) and compares with the general
    templates :func:`linunlearn.theory.golden_unlearning_loss_template` and
    :func:`linunlearn.theory.golden_remaining_loss_template` (abstract moments
    ``mu1, mu2, nu2, tau``), which
    :func:`linunlearn.theory.golden_unlearning_loss_expression` uses, at the
    same sizes.

    Returns
    -------
    tuple of SymbolicResult

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_loss_assembly
    >>> {r.verdict for r in check_c2_loss_assembly()}
    {'proved'}
    """
    s = SYMBOLS
    mu1, mu2, nu2, tau = s.mu1, s.mu2, s.nu2, s.tau
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
        template = golden_unlearning_loss_template(teacher="separate").xreplace(stats)
        out.append(check_identity(mean_ul, template,
                                  name=f"C2.assembly_ul_d{d_r}_{d_lap}_{d_f}",
                                  statement=f"E UL(w_g) by coordinates = template, d_r={d_r}, "
                                            f"d_lap={d_lap}, d_f={d_f}"))
        err_r = g_r - wr[:d_r, 0]
        rl = (err_r.T * err_r)[0, 0] + s.sigma ** 2
        mean_rl = _moment_oracle(rl, qsyms, list(z), mu1, mu2, nu2, s.sigma ** 2 * tau)
        template_rl = golden_remaining_loss_template().xreplace(stats)
        out.append(check_identity(mean_rl, template_rl,
                                  name=f"C2.assembly_rl_d{d_r}_{d_lap}_{d_f}",
                                  statement=f"E remaining test loss by coordinates = template, "
                                            f"d_r={d_r}"))
    return tuple(out)


@functools.cache
def check_c2_golden_loss_formula():
    r"""C2(c): the derived E UL(w_g) equals docs/theory.md's typed formula, and consistency.

    Returns
    -------
    tuple of SymbolicResult
        (1) shared teacher, ``sigma = 0``, ``n_r < d_r``: derived =
        :math:`\|w_B\|^2 + c_1\|w_O\|^2 + c_2 d_{lap}\|w_{S_r}\|^2`;
        (2) the separate-teacher expression with ``w_f = w_r`` equals the
        shared one (both regimes, with noise); (3) the derived remaining
        loss is :math:`(k/m)\|w_r\|^2 + \sigma^2 (1 + n_r/(d_r - n_r - 1))`.

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_golden_loss_formula
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
    return tuple(out)


@functools.cache
def check_c2_golden_loss_positive():
    r"""C2(b): the golden model does not interpolate the forgetting set on average.

    Returns
    -------
    tuple of SymbolicResult
        (1) ``c1 >= 0`` for ``m >= 2, k >= 0`` and ``c1 > 0`` for ``k >= 1``; (2)
        ``c2 >= 0`` for ``m >= 2, 0 <= k < m`` (and ``c2 = 0`` at
        ``k = m``); (3) shared teacher, ``n_r < d_r``:
        ``E UL(w_g) - ||w_B||^2 - sigma^2 >= 0`` (noiseless for
        ``k >= 1``; noisy for ``k >= 2``), so
        ``E UL(w_g) >= ||w_B||^2 + sigma^2``, positive when the
        forgetting-only block carries signal or ``sigma > 0``.

    Examples
    --------
    >>> from linunlearn.proofs import check_c2_golden_loss_positive
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
    return tuple(out)


# ==========================================================================
# C3. The mechanism: w_ft - w_g = (I - P_r) w_o (proofs/C3.md)


@functools.cache
def check_c3_mechanism():
    r"""C3: ``w_ft - w_g = (I - P_r) w_o`` for every ``w_o``.

    Returns
    -------
    tuple of SymbolicResult
        On MatrixSymbols with an opaque ``X_r^+`` (pure linearity), and on
        exact rational instances (including a rank-deficient ``X_r``).

    Examples
    --------
    >>> from linunlearn.proofs import check_c3_mechanism
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
    return tuple(out)


# ==========================================================================
# C4. Distinct features: RBM is exactly golden (proofs/C4.md)


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


@functools.cache
def check_c4_distinct_features():
    r"""C4: with distinct features RBM (reset outside ``S_r``, fine-tune) is golden.

    Layout ``[A | B]``, ``X_r = [X_A, 0]``, ``X_f = [0, X_B]``; every step
    uses only the Penrose conditions of ``(X_A, X_A^+)`` and ``(X_B, X_B^+)``.

    Returns
    -------
    tuple of SymbolicResult
        (1) ``blockdiag(X_A^+, X_B^+)`` satisfies the Penrose conditions of
        ``blockdiag(X_A, X_B)`` and ``[X_A^+; 0]`` those of ``[X_A, 0]``;
        (2) ``w_o`` restricted to ``A`` equals ``w_g`` there (and ``w_g = 0``
        on ``B``); (3) ``(I - P_r)(m * w_o) + X_r^+ y_r = w_g`` for the mask
        ``m = 1_A``; (4) exact rational instances (over- and
        under-parameterised) with sympy's exact pinv.

    Examples
    --------
    >>> from linunlearn.proofs import check_c4_distinct_features
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
        A, B = random_rational_matrix(rng, ka, na), random_rational_matrix(rng, kb, nb)
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
    return tuple(out)


# ==========================================================================
# C5. Overlapping features: RBM versus fine-tuning and FBM (proofs/C5.md)


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


@functools.cache
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
    tuple of SymbolicResult
        (1) ``w_rbm - m * w_o = 0``, with an opaque ``X_r^+`` (linearity only); (2)
        ``X_f w_rbm - y_f + X_{f,B} b = 0``; (3) exact rational instances
        with sympy's exact pinv.

    Examples
    --------
    >>> from linunlearn.proofs import check_c5_rbm_forgets_the_forgetting_only_block
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
    return tuple(out)


# ==========================================================================
# C6. Full overlap makes retention-based masking void (proofs/C6.md)


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


@functools.cache
def check_c6_full_overlap():
    r"""C6: with full overlap the RBM mask keeps everything, so ``w_rbm = w_ft``.

    Returns
    -------
    tuple of SymbolicResult
        (1) on MatrixSymbols: ``(I - P_r)(M w_o) + X_r^+ y_r`` with
        ``M = I`` equals ``w_o + X_r^+ (y_r - X_r w_o)``; (2) exact rational
        instances with ``S_r = S_f``: the Fisher-diagonal mask of ``D_r`` is
        all ones and the RBM model equals the fine-tuned one.

    Examples
    --------
    >>> from linunlearn.proofs import check_c6_full_overlap
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
    return tuple(out)


# ==========================================================================
# C7. Projection is exact unlearning without the forgetting data (proofs/C7.md)


@functools.cache
def check_c7_projection():
    r"""C7: ``P_r w_o = w_g`` whenever ``X_r w_o = y_r`` (noiseless or noisy).

    Returns
    -------
    tuple of SymbolicResult
        (1) on MatrixSymbols with opaque ``X_r^+`` and the hypothesis
        ``y_r = X_r w_o``; (2) exact rational instances with noisy labels
        where ``w_o = [X_r; X_f]^+ [y_r; y_f]`` (full row rank, so ``w_o``
        interpolates).

    Examples
    --------
    >>> from linunlearn.proofs import check_c7_projection
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
    return tuple(out)


# ==========================================================================
# C8. Discriminative regularisation: the weight is irrelevant at convergence (proofs/C8.md)


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
    >>> from linunlearn.proofs import c8_regularised_limits
    >>> S = sp.Matrix([[1, 0, 0], [0, 1, 0]]); c = sp.Matrix([1, 2])
    >>> [w.T for w in c8_regularised_limits(S, c, 1, [1, 3], sp.zeros(3, 1))]
    [Matrix([[1, 2, 0]]), Matrix([[1, 2, 0]])]
    """
    n_f = S.rows - n_r
    return [_weighted_gd_limit(S, c, [sp.Rational(1, n_r)] * n_r
                               + [sp.Rational(alpha) / n_f] * n_f, w0) for alpha in alphas]


@functools.cache
def check_c8_weight_irrelevant_at_convergence():
    r"""C8 (supporting): at convergence the weight of the forgetting term is irrelevant.

    When ``S = [X_r; X_f]`` has full row rank (so ``n_r + n_f <= d`` and the
    two interpolation sets intersect), gradient descent from ``w_o`` on
    ``RL + alpha L_f(wrong labels)`` converges to the point of the
    intersection closest to ``w_o``, for every ``alpha > 0``.

    Returns
    -------
    tuple of SymbolicResult
        (1) on MatrixSymbols: with ``W`` any weight matrix, ``H = S^T W S``
        and ``S^+ = S^T (S S^T)^{-1}``, ``H S^+ r = S^T W r``; since
        ``S^+ r`` lies in the row space of ``S`` (= range of ``H`` for
        ``W`` positive definite), the GD increment ``H^+ S^T W r`` equals
        ``S^+ r``, free of ``W``; (2) exact rational instances: the limits
        for ``alpha = 1`` and ``alpha = 7/3`` coincide and equal
        ``w_o + S^+ (c - S w_o)``.

    Examples
    --------
    >>> from linunlearn.proofs import check_c8_weight_irrelevant_at_convergence
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
    return tuple(out)


# ==========================================================================
# the registry


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
    tuple of SymbolicResult
        For C5 only its exact part (i) is symbolic; (ii) and (iii) are
        checked empirically.

    Raises
    ------
    ValueError
        If ``claim_id`` is not a known claim.

    Examples
    --------
    >>> from linunlearn.proofs import symbolic_checks
    >>> [r.name for r in symbolic_checks("C5")][:2]
    ['C5.rbm_reset_stays.matrix_symbols', 'C5.rbm_unlearning_residual.matrix_symbols']
    >>> {r.verdict for r in symbolic_checks("C3")}
    {'proved'}
    """
    if not isinstance(claim_id, str) or claim_id not in SYMBOLIC_CHECKS:
        raise ValueError(f"claim_id must be one of {', '.join(SYMBOLIC_CHECKS)}, "
                         f"got {claim_id!r}")
    return tuple(result for check in SYMBOLIC_CHECKS[claim_id] for result in check())
