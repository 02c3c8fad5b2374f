"""The exact expectations of the golden model, evaluated (sympy only on a cache miss).

expected_golden_unlearning_loss      E UL(w_g), for given sizes and teachers
expected_golden_unlearning_loss_for  E UL(w_g), for a Scenario
expected_golden_remaining_loss       E remaining test loss of w_g

:mod:`linunlearn.theory` derives these expectations with sympy; this module
evaluates them from the Python source of the derived expressions
(:func:`linunlearn.theory.loss_sources`), which :mod:`linunlearn.cache` keeps
on disk, so that a run of the verifier need not import sympy or derive them
again. The same names are importable from :mod:`linunlearn.theory`.
"""

import functools
import math
import numbers

import numpy as np

from . import cache
from ._validation import LinunlearnWarning, as_array, check_float, check_int, warn

__all__ = ["expected_golden_unlearning_loss", "expected_golden_unlearning_loss_for",
           "expected_golden_remaining_loss"]


@functools.lru_cache(maxsize=None)
def _functions(kind, teacher, regime):
    """Float functions of the three derived parts of a loss (cached source, else sympy)."""
    name = f"theory-{kind}-{teacher}-{regime}"
    sources = cache.load(name)
    if sources is None:
        from .theory import loss_sources
        sources = list(loss_sources(kind, teacher, regime))
        cache.store(name, sources)
    out = []
    for source in sources:
        namespace = dict(vars(math))
        exec(source, namespace)  # the source sympy.lambdify wrote: arithmetic only
        out.append(namespace["_lambdifygenerated"])
    return tuple(out)


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
        :func:`linunlearn.theory.golden_unlearning_loss_expression` at these arguments.

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
    funcs = _functions("unlearning", "shared" if shared else "separate", regime)
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
    ...
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
        :func:`linunlearn.theory.golden_remaining_loss_expression`.

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
    funcs = _functions("remaining", None, regime)
    return _evaluate(funcs, (d_r, d_f, d_lap, n_r, sigma) + stats, noisy=sigma > 0)


