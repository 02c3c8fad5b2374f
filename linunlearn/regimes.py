"""Regimes: the named scenarios that claims are checked on.

Regime              a named scenario, with a description and a place on a map
BASE                the sizes of the paper's base scenario (the ``"overlap"`` regime)
SUPPORTS            distinct, 40% and full overlap, as changes to ``BASE``
base_scenario       a scenario of the base sizes, with some of them changed
flat_teacher        ``w* = 1/sqrt(d)`` on every used feature
flat_scenario       a base scenario with the flat teacher
DEFAULT_REGIMES     distinct, 40% overlap, full overlap, label noise, separate teachers
map_regimes         a grid of overlap ratio by ``n_r / d_r`` (C5's map)
interpolating       whether the pretrained model interpolates (the paper's regime)

A *regime* is one scenario. A *family* (:mod:`linunlearn.families`) is a set
of claim entries on regimes beyond the paper (ridge, noise, ...).
"""

from dataclasses import dataclass

import numpy as np

from .scenarios import Scenario

__all__ = ["Regime", "BASE", "SUPPORTS", "base_scenario", "flat_teacher", "flat_scenario",
           "DEFAULT_REGIMES", "map_regimes", "interpolating"]

#: The sizes of the paper's base scenario: remaining and forgetting supports,
#: overlap (40% of ``d_f``), remaining and forgetting sample sizes.
BASE = {"d_r": 60, "d_f": 40, "d_lap": 16, "n_r": 30, "n_f": 15}


@dataclass(frozen=True)
class Regime:
    """A named scenario the claims are checked on.

    Attributes
    ----------
    name : str
    scenario : Scenario
    description : str
    coords : dict, optional
        Its place on a map (e.g. ``{"d_lap/d_f": 0.4, "n_r/d_r": 0.6}`` for
        the cells of :func:`map_regimes`).
    """

    name: str
    scenario: Scenario
    description: str = ""
    coords: dict = None

    @property
    def interpolating(self):
        """Whether the pretrained model interpolates (see :func:`interpolating`)."""
        return interpolating(self.scenario)


def interpolating(scenario):
    """Whether ``[X_r; X_f]`` has full row rank, so that the pretrained model interpolates.

    For Gaussian features on the supports this holds almost surely exactly
    when ``n_r <= d_r``, ``n_f <= d_f`` and ``n_r + n_f`` is below the number
    of used features (Hall's condition on the rows and the columns they may
    use; the last inequality is strict to stay away from the square,
    ill-conditioned case): the paper's regime.

    Examples
    --------
    >>> interpolating(base_scenario()), interpolating(base_scenario(d_r=20, n_r=25))
    (True, False)
    """
    s = scenario
    used = int((s.support_r | s.support_f).sum())
    return s.n_r <= s.d_r and s.n_f <= s.d_f and s.n_r + s.n_f < used


def base_scenario(**changes):
    """A scenario of the :data:`BASE` sizes, with ``changes`` applied.

    Keyword arguments are those of :meth:`Scenario.overlapping` (sizes and
    options such as ``sigma``, ``teacher``, ``w_star``, ``scale``).

    Examples
    --------
    >>> s = base_scenario(d_lap=0, sigma=0.3)
    >>> s.d_r, s.d_f, s.d_lap, s.n_r, s.n_f, s.sigma
    (60, 40, 0, 30, 15, 0.3)
    """
    options = {**BASE, **changes}
    sizes = [options.pop(k) for k in ("d_r", "d_f", "d_lap", "n_r", "n_f")]
    return Scenario.overlapping(*sizes, **options)


def flat_teacher(d_r, d_f, d_lap):
    """The flat teacher ``w* = 1/sqrt(|S_r + S_f|)`` on every used feature.

    Every block then carries signal in proportion to its size, so scenarios
    that differ only in ``d_lap`` or ``n_r`` differ in nothing else (a random
    teacher's block norms vary from one scenario to the next).

    Examples
    --------
    >>> flat_teacher(2, 2, 1)
    array([0.57735027, 0.57735027, 0.57735027])
    """
    d = d_r + d_f - d_lap
    return np.full(d, 1.0 / np.sqrt(d))


def flat_scenario(**changes):
    """:func:`base_scenario` with the :func:`flat_teacher` of its sizes (noiseless by default).

    Examples
    --------
    >>> s = flat_scenario(d_lap=0)
    >>> bool(np.allclose(s.w_r_star, 0.1))
    True
    """
    sizes = {**BASE, **changes}
    return base_scenario(**changes, w_star=flat_teacher(sizes["d_r"], sizes["d_f"],
                                                         sizes["d_lap"]))


def _regime(name, description, coords=None, **changes):
    return Regime(name, base_scenario(**changes), description, coords)


#: The three support layouts, as changes to :data:`BASE`: distinct features,
#: 40% overlap, full overlap (with fewer remaining samples, so that ``n_r +
#: n_f`` stays below the 60 used features).
SUPPORTS = {"distinct": {"d_lap": 0}, "overlap": {},
            "full-overlap": {"d_f": 60, "d_lap": 60, "n_r": 20}}

#: Built-in regimes: the paper's (noiseless, isotropic, overparameterised) with
#: distinct, 40% and full overlap, plus label noise and separate teachers.
DEFAULT_REGIMES = {r.name: r for r in (
    _regime("distinct", "d_lap = 0", **SUPPORTS["distinct"]),
    _regime("overlap", "d_lap / d_f = 0.4", **SUPPORTS["overlap"]),
    _regime("full-overlap", "d_lap = d_r = d_f", **SUPPORTS["full-overlap"]),
    _regime("noisy-overlap", "d_lap / d_f = 0.4, sigma = 0.3", sigma=0.3),
    _regime("separate-teachers", "d_lap / d_f = 0.4, independent teachers",
            teacher="separate"),
)}


def map_regimes(overlap_ratios=(0.2, 0.4, 0.6, 0.8), sample_ratios=(0.2, 0.4, 0.6, 0.8),
                *, d_r=BASE["d_r"], d_f=BASE["d_f"], n_f=BASE["n_f"]):
    """Regimes on a grid of overlap ratio ``d_lap / d_f`` by ``n_r / d_r`` (C5's map).

    Noiseless, isotropic, with the :func:`flat_teacher`, so that the cells
    differ only in ``d_lap`` and ``n_r``.

    Examples
    --------
    >>> [r.name for r in map_regimes((0.5,), (0.2, 0.4))]
    ['lap=0.5,n_r/d_r=0.2', 'lap=0.5,n_r/d_r=0.4']
    """
    regimes = []
    for lap in overlap_ratios:
        for nr in sample_ratios:
            d_lap, n_r = int(round(lap * d_f)), int(round(nr * d_r))
            regimes.append(Regime(
                f"lap={lap:g},n_r/d_r={nr:g}",
                flat_scenario(d_r=d_r, d_f=d_f, d_lap=d_lap, n_r=n_r, n_f=n_f),
                f"d_lap={d_lap}, n_r={n_r}, flat teacher",
                {"d_lap/d_f": lap, "n_r/d_r": nr}))
    return regimes
