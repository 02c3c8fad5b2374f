"""Checked answers to the exercises of ``docs/notebooks/exercises.md``.

check       whether an answer to exercise N is right, within what tolerance,
            with a hint where it is wrong; it never shows the solution
Feedback    what :func:`check` returns (shown as one sentence in a notebook)
EXERCISES   exercise number to its :class:`Exercise`: title, kind of answer,
            tolerance
Exercise    one exercise: how its expected answer is computed and judged

Every expected answer is computed by the toolkit when first needed (the
golden model's expectation by :mod:`linunlearn.theory`, a model by
:func:`linunlearn.solve`, a verdict by the verifier's own check, a moment by
sympy's derivation), never typed in; the exercises' statements are in the
notebook, one per ``## N. title`` heading with the titles below.

Examples
--------
>>> from linunlearn import exercises
>>> exercises.check(1, 0.4)
Exercise 1: right (within a relative 0.001 of the expected value).
>>> feedback = exercises.check(1, 0.0)
>>> feedback.correct
False
>>> print(feedback.message)  # doctest: +ELLIPSIS
Exercise 1: not right (...). Hint: 0 is fine-tuning's unlearning loss...
>>> exercises.check(1, ...)
Exercise 1: no answer yet (replace ... by your answer).
"""

import functools
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import IllConditionedWarning

__all__ = ["check", "Feedback", "EXERCISES", "Exercise"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes
    ----------
    exercise : int
    correct : bool
        ``bool(feedback)`` is ``correct``.
    message : str
        One sentence: right or not, the tolerance, and a hint where wrong. It
        never contains the expected answer.
    tolerance : str
        How close an answer must be (e.g. ``"a relative 0.001"``).
    """

    exercise: int
    correct: bool
    message: str
    tolerance: str

    def __bool__(self):
        return self.correct

    def __repr__(self):
        return self.message

    __str__ = __repr__


@dataclass(frozen=True)
class Exercise:
    """An exercise: its title, the kind of answer, and how it is judged.

    Attributes
    ----------
    number : int
    title : str
        As the notebook's heading ``## N. title`` spells it.
    kind : str
        ``"number"``, ``"array"``, ``"expression"`` (sympy, in the symbols
        named in ``symbols``), ``"verdicts"`` (a list of strings) or
        ``"scenario"`` (a :class:`linunlearn.Scenario` or
        :class:`linunlearn.Dataset` with a property to meet).
    expected : callable
        ``expected()`` computes the expected answer with the toolkit (cached).
    tolerance : str
        The tolerance, in words.
    judge : callable
        ``judge(answer, expected)`` returning ``(correct, hint)``.
    symbols : tuple of str
        The symbols an expression may use.
    """

    number: int
    title: str
    kind: str
    expected: object
    tolerance: str
    judge: object
    symbols: tuple = field(default=())


# --------------------------------------------------------------------------
# the expected answers, computed by the toolkit


#: Exercise 1's scenario: distinct features, ``w* = 0.1`` on all of them.
_EXERCISE_1 = dict(d_r=60, d_f=40, n_r=30, w_star=np.full(100, 0.1))


@functools.lru_cache(maxsize=None)
def _golden_distinct():
    """Exercise 1: ``E UL(w_g)`` in its scenario (:mod:`linunlearn.theory`)."""
    from . import expectations
    s = _EXERCISE_1
    return expectations.expected_golden_unlearning_loss(s["d_r"], s["d_f"], 0, s["n_r"],
                                                  s["w_star"])


@functools.lru_cache(maxsize=None)
def _geometry_rbm():
    """Exercise 3: RBM on the class example of the ``geometry`` figure."""
    from .figures.data import compute_geometry
    return compute_geometry().points["rbm"]


@functools.lru_cache(maxsize=None)
def _weight_at_convergence():
    """Exercise 4: ``||w_ce_ft(0.3) - w_ce_ft(0.9)||`` at convergence."""
    from .scenarios import Scenario
    from .solutions import solve
    data = Scenario.overlapping(60, 40, 16, 30, 15).sample(rng=4)
    a, b = (solve(data, "ce_ft", alpha=alpha).w for alpha in (0.3, 0.9))
    return float(np.linalg.norm(a - b))


@functools.lru_cache(maxsize=None)
def _disparity_verdicts():
    """Exercise 5: the verifier's verdicts of C5's disparity part, distinct and 40%."""
    from . import claims, regimes
    check = claims.CLAIMS["C5-disparity"].checks[0]
    cells = regimes.map_regimes((0.0, 0.4), (0.5,))
    return tuple(check.run(cell, 0, trials=100).verdict for cell in cells)


def _moment(name):
    from .theory import projection_moments
    return getattr(projection_moments(), name)


# --------------------------------------------------------------------------
# judging


def _as_number(answer):
    value = np.asarray(answer, dtype=float) if not _is_sympy(answer) else float(answer)
    if np.ndim(value) != 0 and np.size(value) != 1:
        raise TypeError(f"the answer must be a number, got an array of shape "
                        f"{np.shape(value)}")
    return float(np.reshape(value, ()))


def _is_sympy(answer):
    return type(answer).__module__.startswith("sympy")


def _close(value, expected, rtol=0.0, atol=0.0):
    return bool(abs(value - expected) <= atol + rtol * abs(expected))


# Predictions made by hand are rounded: three significant digits are enough.
PREDICTION_RTOL = 1e-3
# Coordinates computed by hand (halves and quarters here) to three decimals.
HAND_ATOL = 1e-3
# A distance between two converged models: zero up to the round-off of two
# closed forms (about 1e-12 here), far below any step of gradient descent.
CONVERGED_ATOL = 1e-6
# Fine-tuning "moves" when it changes w_o by more than round-off.
MOVED_RTOL = 1e-8


def _judge_golden(answer, expected):
    value = _as_number(answer)
    if _close(value, expected, rtol=PREDICTION_RTOL):
        return True, ""
    w, d_r = _EXERCISE_1["w_star"], _EXERCISE_1["d_r"]
    teacher_sq, remaining_sq = w @ w, w[:d_r] @ w[:d_r]   # ||w*||^2, ||w*_{S_r}||^2
    if abs(value) <= 1e-9:
        hint = ("0 is fine-tuning's unlearning loss; the golden model never saw "
                "D_f: what does it predict on the forgetting-only features?")
    elif _close(value, teacher_sq, rtol=PREDICTION_RTOL):
        hint = ("that is ||w*||^2 over all the features, but the forgetting data "
                "use only d_f of them.")
    elif _close(value, remaining_sq, rtol=PREDICTION_RTOL):
        hint = ("that is the weight of the remaining features; with distinct "
                "features the forgetting data do not use them.")
    else:
        hint = ("with distinct features the golden model is zero on the block B "
                "that the forgetting data use: its loss there is the whole "
                "signal of B. Your value is too "
                + ("high." if value > expected else "low."))
    return False, hint


def _judge_scenario(answer, expected):
    from .regimes import interpolating
    from .scenarios import Dataset, Scenario
    from .solutions import solve
    if isinstance(answer, Scenario):
        draws = [answer.sample(rng=seed) for seed in range(3)]
    elif isinstance(answer, Dataset):
        draws = [answer]
    else:
        raise TypeError(f"the answer to exercise 2 must be a linunlearn.Scenario or "
                        f"Dataset, got {type(answer).__name__}")
    moved = []
    with warnings.catch_warnings():
        # Where fine-tuning moves, [X_r; X_f] has more rows than its rank: the
        # toolkit warns so, and that is the point of the exercise.
        warnings.simplefilter("ignore", IllConditionedWarning)
        for data in draws:
            w_o, w_ft = solve(data, "pretrained").w, solve(data, "finetune").w
            moved.append(np.linalg.norm(w_ft - w_o) > MOVED_RTOL * np.linalg.norm(w_o))
    if all(moved):
        return True, ""
    if isinstance(answer, Scenario) and interpolating(answer):
        used = int((answer.support_r | answer.support_f).sum())
        return False, (f"here n_r + n_f = {answer.n_r + answer.n_f} samples and {used} "
                       "used features: w_o interpolates D_r and D_f, so the gradient "
                       "of the remaining loss vanishes at w_o. Make w_o unable to fit "
                       "D_r.")
    if getattr(answer, "sigma", 0.0) == 0.0:
        return False, ("without label noise the teacher itself fits every sample, so "
                       "w_o still fits D_r: add label noise.")
    return False, ("fine-tuning did not move on every draw: is w_o already fitting "
                   "D_r?")


def _judge_array(answer, expected):
    value = np.asarray(answer, dtype=float)
    if value.shape != expected.shape:
        return False, f"the answer must have shape {expected.shape}, got {value.shape}."
    if np.all(np.abs(value - expected) <= HAND_ATOL):
        return True, ""
    from .figures.data import compute_geometry
    points = compute_geometry().points
    if np.all(np.abs(value - points["pretrained"]) <= HAND_ATOL):
        return False, ("that is w_o (and w_ft). RBM first resets the weights the "
                       "remaining data do not use.")
    if np.all(np.abs(value - points["golden"]) <= HAND_ATOL):
        return False, ("that is golden. RBM keeps the weights the remaining data use, "
                       "the overlap included.")
    return False, ("reset the forgetting-only weight of w_o, then ask whether the "
                   "result still fits D_r (if so, fine-tuning leaves it there).")


def _judge_converged(answer, expected):
    value = _as_number(answer)
    if _close(value, expected, atol=CONVERGED_ATOL):
        return True, ""
    return False, ("at convergence both terms are fitted exactly, whatever their "
                   "weights; is your number the distance after a few steps?")


_VERDICTS = ("holds", "fails", "inconclusive", "equal")


def _judge_verdicts(answer, expected):
    if isinstance(answer, str) or not all(isinstance(v, str) for v in answer):
        raise TypeError("the answer to exercise 5 must be a list of two verdicts "
                        "(strings), distinct features first")
    answer = [v.strip().lower() for v in answer]
    if len(answer) != len(expected):
        return False, f"give {len(expected)} verdicts: distinct features, then 40% overlap."
    for v in answer:
        if v not in _VERDICTS:
            return False, f"a verdict is one of {', '.join(_VERDICTS)}; got {v!r}."
    if tuple(answer) == tuple(expected):
        return True, ""
    if answer[0] != expected[0]:
        if answer[0] == "holds" and expected[0] == "equal":
            return False, ("with distinct features '<= 0' is met, but look at the "
                           "difference draw by draw: the verifier has a verdict of its "
                           "own for what you see there.")
        return False, ("with distinct features RBM and FBM reset the same weights: "
                       "what is the gap difference then, and does '<= 0' hold?")
    return False, ("with overlap, FBM relearns the overlap from D_r while RBM keeps "
                   "what D_f taught it there: which model is then nearer golden?")


def _as_expression(answer, names):
    import sympy as sp
    from .theory import SYMBOLS
    if isinstance(answer, numbers.Number) and not isinstance(answer, bool):
        answer = sp.nsimplify(answer)
    if not isinstance(answer, sp.Expr):
        raise TypeError(f"the answer must be a sympy expression in {', '.join(names)}, "
                        f"got {type(answer).__name__}")
    ours = {getattr(SYMBOLS, n) for n in names}
    mapping = {s: getattr(SYMBOLS, s.name) for s in answer.free_symbols
               if s.name in names}
    other = sorted(s.name for s in answer.free_symbols if s.name not in names)
    return answer.xreplace(mapping), ours, other


def _judge_moment(answer, expected, names=("m", "k")):
    import sympy as sp
    from .theory import SYMBOLS
    value, _, other = _as_expression(answer, names)
    if other:
        return False, (f"use only the symbols {', '.join(names)}; your expression "
                       f"also has {', '.join(other)}.")
    if sp.simplify(value - expected) == 0:
        return True, ""
    m, k = SYMBOLS.m, SYMBOLS.k
    for case, subs, why in (("k = m", {k: m}, "Q is the identity"),
                            ("k = 0", {k: 0}, "Q is 0")):
        if sp.simplify((value - expected).subs(subs)) != 0:
            target = sp.simplify(expected.subs(subs))
            return False, f"at {case}, {why}, so the moment is {target}; yours is not."
    for mv, kv in ((5, 2), (7, 3), (9, 4)):
        got = value.subs({m: mv, k: kv})
        if sp.simplify(got - expected.subs({m: mv, k: kv})) != 0:
            return False, (f"your expression has the right values at k = 0 and k = m "
                           f"but not at m = {mv}, k = {kv} (yours gives {got}).")
    return False, "your expression differs from the moment for some m, k."


EXERCISES = {e.number: e for e in (
    Exercise(1, "Predict the golden model's unlearning loss", "number",
             _golden_distinct, f"a relative {PREDICTION_RTOL:g}", _judge_golden),
    Exercise(2, "When does fine-tuning move at all?", "scenario", lambda: None,
             f"fine-tuning must change w_o by more than a relative {MOVED_RTOL:g} "
             "on every draw", _judge_scenario),
    Exercise(3, "RBM by hand", "array", _geometry_rbm,
             f"an absolute {HAND_ATOL:g} per coordinate", _judge_array),
    Exercise(4, "Does the regulariser's weight matter?", "number",
             _weight_at_convergence, f"an absolute {CONVERGED_ATOL:g}",
             _judge_converged),
    Exercise(5, "Map a claim yourself", "verdicts", _disparity_verdicts,
             "exact: the verifier's verdicts", _judge_verdicts),
    Exercise(6, "The diagonal of a random projection", "expression",
             functools.partial(_moment, "diag"),
             "exact: sympy reduces the difference to 0", _judge_moment, ("m", "k")),
    Exercise(7, "Its second moment", "expression",
             functools.partial(_moment, "diag_sq"),
             "exact: sympy reduces the difference to 0", _judge_moment, ("m", "k")),
)}


def check(exercise, answer):
    """Tell whether ``answer`` answers exercise ``exercise`` right.

    Parameters
    ----------
    exercise : int
        The exercise's number (a key of :data:`EXERCISES`).
    answer : number, array_like, sympy expression, list of str, Scenario or Dataset
        What the exercise asks for (its :attr:`Exercise.kind`); ``...`` or
        ``None`` means "no answer yet".

    Returns
    -------
    Feedback
        Right or not, within what tolerance, with a hint where wrong. The
        expected answer itself is never shown.

    Raises
    ------
    ValueError
        If there is no exercise with that number.
    TypeError
        If the answer is not of the kind the exercise asks for.

    Examples
    --------
    >>> from linunlearn.exercises import check
    >>> check(3, [0.5, 1.0, 0.0]).correct
    True
    >>> print(check(3, [0.5, 1.0, 0.5]))  # doctest: +ELLIPSIS
    Exercise 3: not right (...). Hint: that is w_o (and w_ft). RBM first resets ...
    >>> import sympy
    >>> m, k = sympy.symbols("m k")
    >>> check(6, k / m)
    Exercise 6: right (exact: sympy reduces the difference to 0).
    """
    if isinstance(exercise, bool) or exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(map(str, EXERCISES))}, "
                         f"got {exercise!r}")
    spec = EXERCISES[exercise]
    if answer is None or answer is Ellipsis:
        return Feedback(exercise, False, f"Exercise {exercise}: no answer yet (replace "
                        "... by your answer).", spec.tolerance)
    correct, hint = spec.judge(answer, spec.expected())
    if correct:
        text = f"right (within {spec.tolerance} of the expected value)" \
            if spec.kind in ("number", "array") else f"right ({spec.tolerance})"
        return Feedback(exercise, True, f"Exercise {exercise}: {text}.", spec.tolerance)
    tolerance = (f"tolerance: {spec.tolerance}" if spec.kind in ("number", "array")
                 else spec.tolerance)
    return Feedback(exercise, False, f"Exercise {exercise}: not right ({tolerance}). "
                    f"Hint: {hint}", spec.tolerance)
