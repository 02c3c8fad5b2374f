"""The symbolic-check engine: identities and signs that sympy proves, or fails to.

A check returns a :class:`SymbolicResult` whose verdict is ``"proved"`` only
when sympy reduced the residual to exactly 0 (or a sign certificate holds),
``"disproved"`` on an exact counterexample, and ``"inconclusive"`` when sympy
cannot decide, never ``"proved"``. The checks of claims C1-C8 built on it are
in :mod:`linunlearn.proofs` (docs/theory.md, section 5).

Checks
    VERDICTS                the possible verdicts of a check
    SymbolicResult          name, statement, verdict, detail
    check_identity          lhs == rhs: proved / disproved / inconclusive
    check_nonnegative       expr >= 0 by a substitution into nonnegative variables
Exact instances
    random_rational_matrix  an exact rational matrix, as the counterexample search draws
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError

from ._validation import check_option

__all__ = ["VERDICTS", "SymbolicResult", "check_identity", "check_nonnegative",
           "random_rational_matrix"]

#: The possible verdicts of a symbolic check.
VERDICTS = ("proved", "disproved", "inconclusive")


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

    Raises
    ------
    ValueError
        If ``verdict`` is not one of :data:`VERDICTS`.

    Examples
    --------
    >>> from linunlearn.symbolic import SymbolicResult
    >>> SymbolicResult("t", "1 + 1 = 2", "proved", "residual simplifies to 0").verdict
    'proved'
    """

    name: str
    statement: str
    verdict: str
    detail: str

    def __post_init__(self):
        check_option(self.verdict, "verdict", VERDICTS)


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


def random_rational_matrix(rng, rows, cols):
    """An exact rational matrix with entries ``a/b``, ``a`` in -5..5, ``b`` in 1..3.

    The counterexample search of :func:`check_identity` draws its matrices
    with it; the exact instances of :mod:`linunlearn.proofs` too.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the entries (``rows * cols`` pairs of draws, row by row).
    rows, cols : int
        Shape.

    Returns
    -------
    sympy.ImmutableMatrix

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn.symbolic import random_rational_matrix
    >>> random_rational_matrix(np.random.default_rng(0), 2, 2)
    Matrix([
    [ 2,  0],
    [-2, -5]])
    """
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
    mats = {ms: random_rational_matrix(rng, *ms.shape) for ms in expr.atoms(sp.MatrixSymbol)}
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
    >>> from linunlearn.symbolic import check_identity
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
    >>> from linunlearn.symbolic import check_nonnegative
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
