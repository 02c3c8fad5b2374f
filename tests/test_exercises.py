"""linunlearn.exercises.check: right answers accepted, wrong ones refused with a hint.

The right answers here are derived by hand (the notebook's solutions say
how); the package computes its expected answers with the toolkit, so each
acceptance below is the agreement of two routes.
"""

import re

import numpy as np
import pytest
import sympy as sp

from linunlearn import Scenario, exercises
from linunlearn.exercises import EXERCISES, check

m, k = sp.symbols("m k")

RIGHT = {
    1: 40 * 0.1 ** 2,                                   # ||w*_B||^2
    2: Scenario.overlapping(d_r=10, d_f=8, d_lap=4, n_r=9, n_f=10, sigma=0.5),
    3: [0.5, 1.0, 0.0],
    4: 0.0,
    5: ["equal", "fails"],
    6: k / m,                                           # tr Q = k, by symmetry
    7: k * (k + 2) / (m * (m + 2)),                     # Beta(k/2, (m-k)/2)
}

# (exercise, wrong answer, a phrase of the hint it must get)
WRONG = [
    (1, 0.0, "fine-tuning's unlearning loss"),
    (1, 1.0, "||w*||^2"),
    (1, 0.6, "weight of the remaining features"),
    (1, 0.5, "too high"),
    (1, 0.3, "too low"),
    (2, Scenario.overlapping(60, 40, 16, 30, 15), "w_o interpolates D_r and D_f"),
    (2, Scenario.overlapping(10, 8, 4, 9, 10), "without label noise"),
    (3, [0.5, 1.0, 0.5], "that is w_o"),
    (3, [0.75, 0.75, 0.0], "that is golden"),
    (3, [1.0, 1.0, 1.0], "reset the forgetting-only weight"),
    (3, [0.5, 1.0], "shape (3,)"),
    (4, 0.2, "at convergence"),
    (5, ["fails", "fails"], "with distinct features"),
    (5, ["equal", "holds"], "with overlap"),
    (5, ["holds", "fails"], "a verdict of its own"),
    (5, ["holds"], "give 2 verdicts"),
    (5, ["holds", "maybe"], "a verdict is one of"),
    (6, k / (m + 1), "at k = m, Q is the identity"),
    (6, (k + 1) / (m + 1), "at k = 0, Q is 0"),
    (6, k / m + sp.Symbol("x"), "use only the symbols m, k"),
    (7, k / m, "not at m = 5, k = 2"),
    (7, k ** 2 / m ** 2, "not at m = 5, k = 2"),
    (7, 2 * k / m, "at k = m, Q is the identity"),
]


def test_every_exercise_has_a_right_answer_and_a_wrong_one():
    assert set(RIGHT) == set(EXERCISES)
    assert {n for n, _, _ in WRONG} == set(EXERCISES)


@pytest.mark.parametrize("number", sorted(RIGHT))
def test_right_answers_are_accepted(number):
    feedback = check(number, RIGHT[number])
    assert feedback.correct and bool(feedback), feedback.message
    assert feedback.message.startswith(f"Exercise {number}: right (")
    assert EXERCISES[number].tolerance in feedback.message


@pytest.mark.parametrize("number, answer, hint", WRONG,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG)])
def test_wrong_answers_are_refused_with_a_hint(number, answer, hint):
    feedback = check(number, answer)
    assert not feedback.correct and not feedback
    assert feedback.message.startswith(f"Exercise {number}: not right (")
    assert "Hint: " + hint in feedback.message or hint in feedback.message, \
        feedback.message


def _spellings(number):
    """Ways the expected answer could appear in a message."""
    expected = EXERCISES[number].expected()
    if number == 1:
        return ["0.4", "0.40"]
    if number == 3:
        return ["0.5, 1", "[0.5 1.  0. ]", "(0.5, 1"]
    if number == 5:
        return ["equal, fails", "'equal', 'fails'"]
    if number in (6, 7):
        return [str(expected), str(sp.simplify(expected)), sp.latex(expected)]
    return []


@pytest.mark.parametrize("number", sorted(EXERCISES))
def test_no_message_shows_the_solution(number):
    for n, answer, _ in WRONG:
        if n != number:
            continue
        text = check(n, answer).message
        for spelling in _spellings(number):
            assert spelling not in text, (text, spelling)


def test_the_solution_check_finds_a_leak():
    """The spellings above would catch a message that printed the answer."""
    assert any(s in f"expected {EXERCISES[6].expected()}" for s in _spellings(6))
    assert any(s in "the answer is 0.4" for s in _spellings(1))


@pytest.mark.parametrize("number", sorted(EXERCISES))
def test_no_answer_yet(number):
    for empty in (..., None):
        feedback = check(number, empty)
        assert not feedback.correct
        assert "no answer yet" in feedback.message


def test_the_numbers_tolerance_is_what_it_says():
    expected = EXERCISES[1].expected()
    assert check(1, expected * (1 + 0.9 * exercises.PREDICTION_RTOL)).correct
    assert not check(1, expected * (1 + 1.1 * exercises.PREDICTION_RTOL)).correct
    assert check(3, np.array([0.5, 1.0, 0.0]) + 0.9 * exercises.HAND_ATOL).correct
    assert not check(3, np.array([0.5, 1.0, 0.0]) + 1.1 * exercises.HAND_ATOL).correct


def test_answers_of_other_forms():
    assert check(1, sp.Rational(2, 5)).correct            # a sympy number
    assert check(1, np.array([0.4])).correct               # a 1-element array
    assert check(6, sp.Rational(1, 1) * k / m).correct
    assert check(6, sp.Symbol("k", positive=True) / sp.Symbol("m")).correct  # assumptions
    data = RIGHT[2].sample(rng=0)
    assert check(2, data).correct                          # a Dataset


def test_expected_answers_come_from_the_toolkit():
    """Each expected answer is what the toolkit computes, not a typed-in number."""
    from linunlearn import theory
    from linunlearn.figures import compute_geometry
    assert EXERCISES[1].expected() == theory.expected_golden_unlearning_loss(
        60, 40, 0, 30, np.full(100, 0.1))
    assert np.array_equal(EXERCISES[3].expected(), compute_geometry().points["rbm"])
    assert EXERCISES[6].expected() == theory.projection_moments().diag
    assert EXERCISES[7].expected() == theory.projection_moments().diag_sq


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match=r"exercise must be one of 1, 2, .*got 9"):
        check(9, 0.4)
    with pytest.raises(ValueError, match="exercise must be one of"):
        check(True, 0.4)
    with pytest.raises(TypeError, match="must be a number, got an array of shape"):
        check(1, [0.4, 0.5])
    with pytest.raises(TypeError, match="exercise 2 must be a linunlearn.Scenario"):
        check(2, 3.0)
    with pytest.raises(TypeError, match="exercise 5 must be a list of two verdicts"):
        check(5, "holds")
    with pytest.raises(TypeError, match="must be a sympy expression in m, k"):
        check(6, "k/m")


def test_the_notebook_headings_are_the_exercises_titles():
    import pathlib
    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "notebooks"
            / "exercises.md").read_text()
    headings = dict(re.findall(r"^## (\d+)\. (.+)$", text, re.MULTILINE))
    assert {int(n): t for n, t in headings.items()} == \
        {n: e.title for n, e in EXERCISES.items()}
