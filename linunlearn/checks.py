"""Checks: how a per-trial statistic becomes a verdict, with stated error rates.

Check           a statistic and the rule that judges it (identity, theory, sign, monotone)
CheckResult     the evidence of one check on one regime
settle          final verdicts of many checks: Holm's correction across their decisions
combine         the verdict of several checks and proofs together
interval        a skewness-corrected Student-t interval and its p-values
holm            Holm's step-down rejections of a set of p-values
IDENTITY_RTOL   the relative accuracy identities are checked to (residual norms)
ZERO_ATOL       the width of "zero" for statistics whose claimed value is zero
FAMILY_ALPHA    the family-wise error level of one run of the verifier

Verdicts: ``"holds"``, ``"fails"``, ``"inconclusive"``, and for a sign check
whose statistic is zero in every draw, ``"equal"`` (both sides of the claim
coincide: a strict claim fails, a non-strict one holds with equality).

Statistical rules (docs/theory.md, section 8). A *pilot* of
:data:`PILOT_TRIALS` draws only chooses the sample size (and a theory check's
control-variate coefficients); the verdict is decided on a *fresh*,
independent sample from a stream of its own, so that looking at the pilot
cannot bias it. Intervals and p-values use the Student-t statistic corrected
for the skewness of the statistic (Hall 1992), which keeps one-sided error
rates near nominal for skewed statistics where the plain t interval does not.
Every statistical decision of a run (a sign settled, a theory value
rejected, a step of a path) has a p-value, and Holm's step-down procedure
across all of them keeps the chance of any wrong verdict in the run at most
:data:`FAMILY_ALPHA`.
"""

import functools
import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.special

from . import montecarlo

__all__ = ["Check", "CheckResult", "settle", "combine", "interval", "holm",
           "IDENTITY_RTOL", "ZERO_ATOL", "FAMILY_ALPHA", "PILOT_TRIALS", "MAX_TRIALS",
           "KINDS"]

#: Identities are checked to this relative accuracy, on residual *norms*
#: (never on squares, whose relative accuracy would be the square root). The
#: closed forms run in double precision on Gram matrices with condition
#: numbers below ~1e3 in the default regimes, so round-off stays below
#: ~1e-13 relative; a model off by 1e-6 relative is caught with a margin of
#: 100.
IDENTITY_RTOL = 1e-8

#: Statistics whose claimed value is zero are declared zero within this
#: absolute tolerance (losses are of order one in every regime here).
ZERO_ATOL = 1e-9

#: The family-wise error level of one run: the probability that any
#: statistical verdict of the run is wrong is at most this (Holm).
FAMILY_ALPHA = 0.01

#: Draws of the pilot that sizes the fresh sample, and the largest fresh sample.
PILOT_TRIALS = 200
MAX_TRIALS = 20000

#: Draws of an identity check (every one must meet the tolerance).
IDENTITY_TRIALS = 200

#: Fewest draws a theory check decides on (a standard error from fewer is not one).
MIN_THEORY_TRIALS = 20

#: The kinds of check.
KINDS = ("identity", "theory", "positive", "nonpositive", "monotone")


# --------------------------------------------------------------------------
# intervals and p-values


def _hall(t, a):
    """Hall's (1992) transformation of a studentised mean: nearly symmetric."""
    return t + a * t ** 2 + a ** 2 * t ** 3 / 3 + a


def _hall_inverse(z, a):
    if abs(a) < 1e-12:
        return z
    return (np.cbrt(1 + 3 * a * (z - a)) - 1) / a


@dataclass(frozen=True)
class _Sample:
    """Mean, standard error, skewness correction and size of a sample."""

    mean: float
    se: float
    a: float
    n: int

    def t_cdf(self, z):
        return scipy.special.stdtr(self.n - 1, z)

    def p_above(self, value):
        """p-value of the hypothesis ``mean <= value`` (small: the mean is above)."""
        if self.se == 0:
            return 0.0 if self.mean > value else 1.0
        return float(1 - self.t_cdf(_hall((self.mean - value) / self.se, self.a)))

    def p_below(self, value):
        """p-value of the hypothesis ``mean >= value`` (small: the mean is below)."""
        if self.se == 0:
            return 0.0 if self.mean < value else 1.0
        return float(self.t_cdf(_hall((self.mean - value) / self.se, self.a)))

    def bounds(self, alpha):
        """Two-sided ``1 - alpha`` interval."""
        if self.se == 0:
            return self.mean, self.mean
        z = float(scipy.special.stdtrit(self.n - 1, 1 - alpha / 2))
        return (self.mean - _hall_inverse(z, self.a) * self.se,
                self.mean - _hall_inverse(-z, self.a) * self.se)


def _sample(x):
    x = np.asarray(x, dtype=float)
    n = len(x)
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    skew = float(np.mean((x - mean) ** 3) / sd ** 3) if sd > 0 else 0.0
    return _Sample(mean, sd / np.sqrt(n), skew / (6 * np.sqrt(n)), n)


def interval(samples, confidence=montecarlo.CONFIDENCE):
    """The skewness-corrected Student-t interval of the mean of ``samples``.

    Parameters
    ----------
    samples : array_like of shape (n,)
        At least 2 values.
    confidence : float in (0, 1)

    Returns
    -------
    linunlearn.montecarlo.ConfidenceInterval

    Notes
    -----
    With ``T = (mean - mu) / se`` and ``a = g / (6 sqrt(n))`` (``g`` the
    sample skewness), Hall's transformation ``f(T) = T + a T^2 + a^2 T^3/3 +
    a`` is monotone and close to a Student-t variable; the interval is the
    set of ``mu`` with ``|f(T)| <= t_{n-1}``. For ``g = 0`` it is the plain
    Student-t interval.

    Examples
    --------
    >>> ci = interval([1.0, 2.0, 3.0, 4.0])
    >>> ci.estimate, round(ci.low, 6) == round(
    ...     __import__("linunlearn").montecarlo.confidence_interval([1.0, 2.0, 3.0, 4.0]).low, 6)
    (2.5, True)
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"samples must be a vector of at least 2 values, got shape {x.shape}")
    s = _sample(x)
    low, high = s.bounds(1 - confidence)
    return montecarlo.ConfidenceInterval(float(low), float(high), s.mean, s.se, s.n,
                                         confidence)


def holm(pvalues, alpha=FAMILY_ALPHA):
    """Holm's step-down procedure: which hypotheses to reject at family-wise level ``alpha``.

    Parameters
    ----------
    pvalues : sequence of float
    alpha : float

    Returns
    -------
    ndarray of bool
        ``True`` where the hypothesis is rejected.

    Examples
    --------
    >>> holm([0.001, 0.04, 0.03, 0.2], alpha=0.05).tolist()  # 0.001 <= 0.05/4 only
    [True, False, False, False]
    >>> holm([0.001, 0.012, 0.02], alpha=0.05).tolist()
    [True, True, True]
    """
    p = np.asarray(pvalues, dtype=float)
    reject = np.zeros(len(p), bool)
    for rank, i in enumerate(np.argsort(p, kind="stable")):
        if p[i] > alpha / (len(p) - rank):
            break
        reject[i] = True
    return reject


def _checked_sample(x, n, where, *, nan_allowed):
    """A statistic's draws: one value (or row) per draw, finite (NaN only where allowed).

    An identity's NaN means a gradient-descent run that reached no limit
    (its check is then inconclusive); anywhere else it is a broken statistic.
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[0] != n or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{where}: the statistic must return one number (or one row) "
                         f"per draw, shape ({n},) or ({n}, k); got shape {x.shape}, "
                         f"dtype {x.dtype}")
    bad = ~np.isfinite(x) if not nan_allowed else np.isinf(x)
    if bad.any():
        rows = int(np.any(bad.reshape(n, -1), axis=1).sum())
        raise ValueError(f"{where}: the statistic returned NaN or inf on {rows} of {n} "
                         f"draws")
    return x


# --------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class CheckResult:
    """The evidence of one empirical check on one regime.

    Attributes
    ----------
    name, kind, statement : str
        As in :class:`Check`.
    verdict : {"holds", "fails", "inconclusive", "equal"}
    estimate : dict or None
        ``{"max": ...}`` for identities; for the other kinds the mean and
        its 99.9% interval (``low``, ``high``), standard error and confidence
        (monotone checks: the mean path of each component).
    theory : float or None
        The exact value a ``"theory"`` check compares with.
    tolerance : float or None
        The largest allowed deviation of an identity, the half-width a theory
        check must reach, the width of "zero" of a sign check.
    n_trials : int
        Draws behind the verdict (the fresh sample; the pilot is not counted).
    detail : str
        A readable summary, and every warning the trials raised.
    masks : dict or None
        The masks of RBM / FBM the statistic used.
    decisions : tuple of dict
        The statistical decisions of the check: ``{"unit", "verdict", "p",
        "rejected"}``, one per sign settled, theory value tested or step of a
        path; ``rejected`` says whether Holm's procedure kept it.
    """

    name: str
    kind: str
    verdict: str
    statement: str
    estimate: dict = None
    theory: float = None
    tolerance: float = None
    n_trials: int = 0
    detail: str = ""
    masks: dict = None
    decisions: tuple = ()

    @property
    def outcome(self):
        """The verdict as it counts for the claim: ``"equal"`` fails a strict claim only."""
        if self.verdict == "equal":
            return "fails" if self.kind == "positive" else "holds"
        return self.verdict


def settle(results, alpha=FAMILY_ALPHA):
    """Final verdicts of many checks: Holm's correction across all their decisions.

    Parameters
    ----------
    results : sequence of CheckResult
        Results of :meth:`Check.run` (settled alone, or not).
    alpha : float
        Family-wise error level.

    Returns
    -------
    list of CheckResult
        The same results, each decision marked ``rejected`` or not, and each
        verdict recomputed: a decision that does not survive the correction
        leaves its unit inconclusive.
    """
    flat = [(i, j, d) for i, r in enumerate(results) for j, d in enumerate(r.decisions)]
    reject = holm([d["p"] for _, _, d in flat], alpha) if flat else []
    kept = {(i, j): bool(rej) for (i, j, _), rej in zip(flat, reject)}
    out = []
    for i, r in enumerate(results):
        if not r.decisions:
            out.append(r)
            continue
        decisions = tuple({**d, "rejected": kept[i, j]} for j, d in enumerate(r.decisions))
        units = {}
        for d in decisions:
            units.setdefault(d["unit"], []).append(d["verdict"] if d["rejected"]
                                                   else "inconclusive")
        unit_verdicts = [combine(v) for v in units.values()]
        verdict = _verdict(r, unit_verdicts)
        out.append(replace(r, decisions=decisions, verdict=verdict))
    return out


def _verdict(result, unit_verdicts):
    """A check's verdict from its units' verdicts after the correction."""
    if result.kind == "theory":
        # "fails" is a rejection; "holds" needs no rejection and the precision
        if "fails" in unit_verdicts:
            return "fails"
        return "holds" if result.estimate.get("precise") else "inconclusive"
    return combine(unit_verdicts)


# --------------------------------------------------------------------------
# checks


@dataclass(frozen=True)
class Check:
    """An empirical check: a per-trial statistic and how to judge it.

    kind
        ``"identity"``: the statistic (a relative deviation, a norm) is at
        most ``tolerance`` in every trial. ``"theory"``: its mean equals
        ``theory(scenario)``; the statistic may return ``(trials, 1 + c)``:
        the quantity and ``c`` control variates of known mean zero, whose
        coefficients the pilot estimates. The check holds when the theory
        value is not rejected and the interval's half-width reaches
        ``resolution / 2`` of it (so that an error of ``resolution`` relative
        would be rejected). ``"positive"`` / ``"nonpositive"``: the sign of
        its mean (``ZERO_ATOL`` counts as zero; a statistic that is zero in
        every draw gives ``"equal"``). ``"monotone"``: the statistic has
        shape (trials, k, c), the ``components`` along a path of ``k``
        weights; each ``(component, +1 / -1)`` of ``trend`` must rise / fall
        at every step; a ``(component, "towards", reference)`` trend must
        move towards the ``reference`` component while on one side of it and
        away once past it (every step settled by its sign).
    undecidable
        For ``"theory"`` checks: ``undecidable(scenario)`` returns a reason
        why no Monte Carlo interval can decide there (e.g. infinite moments),
        or ``None``. The verdict is then "inconclusive".
    masks
        The masks of RBM / FBM the statistic uses (recorded in the evidence).
    components, trend
        For ``"monotone"`` checks.
    path
        For ``"monotone"`` checks: labels of the ``k`` points of the path
        (e.g. ``("alpha = 0", "alpha = 0.1")``), used to say where a path
        crosses its reference; default their positions.
    requires
        ``requires(scenario)`` returns why the check cannot be run on a
        scenario (e.g. no exact expectation there), or ``None``. The verifier
        then leaves the check out and says so in the claim's statement,
        with ``stand_in`` (what gives the estimate instead).
    resolution
        For ``"theory"`` checks: the smallest relative error of the theory
        value that the check must detect (default ``2 * precision``).
    trained
        For ``"identity"`` checks about what training does: the verifier also
        checks them on actual gradient-descent runs.
    units
        Number of statistical decisions the check makes (a monotone check's
        steps times its trends; 0 for an identity), so that a run can size
        its samples for its family-wise level.
    trials
        A fixed number of draws for this check, whatever the run asks (the
        gradient-descent checks, whose draws are costly).
    stream
        The label of its random stream (default its name): checks sharing a
        stream see the same draws (the gradient-descent checks of a regime
        share their runs).
    """

    name: str
    statistic: object
    kind: str
    statement: str
    tolerance: float = None
    theory: object = None
    undecidable: object = None
    masks: dict = None
    trend: tuple = ()
    components: tuple = ()
    path: tuple = ()
    requires: object = None
    stand_in: str = ""
    resolution: float = None
    trained: bool = False
    units: int = 1
    trials: int = None
    stream: str = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "identity" and self.tolerance is None:
            raise ValueError(f"check {self.name!r}: an identity needs a tolerance")
        if self.kind == "theory" and self.theory is None:
            raise ValueError(f"check {self.name!r}: a theory check needs theory=...")
        if self.kind == "monotone" and not (self.trend and self.components):
            raise ValueError(f"check {self.name!r}: a monotone check needs trend= "
                             f"and components=")
        if self.kind == "identity":
            object.__setattr__(self, "units", 0)

    def run(self, regime, seed, *, precision=0.05, trials=None, executor=None,
            models=None, alpha=FAMILY_ALPHA, planned=1):
        """Run the check on ``regime``; return a :class:`CheckResult`, settled alone.

        Parameters
        ----------
        regime : linunlearn.regimes.Regime
        seed : int
            The pilot (and an identity's draws) use the children of
            ``seed_sequence(seed, self.name, regime.name)``, the fresh sample
            those of ``seed_sequence(seed, self.name, regime.name, "verdict")``.
        precision : float
            Default resolution of a theory check is ``2 * precision``.
        trials : int, optional
            A fixed number of draws (one stage, no pilot).
        executor : concurrent.futures.Executor, optional
        models : callable, optional
            The model provider the statistic is fed (``models(batch, *names,
            fbm=None)``); default the statistic's own.
        alpha : float
            Family-wise error level the decisions are settled at.
        planned : int
            Number of statistical decisions of the run this check belongs to:
            the sample is sized for the Bonferroni level ``alpha / planned``
            (Holm's procedure then rejects at least as much).
        """
        statistic = (self.statistic if models is None else
                     functools.partial(self.statistic, models=models))
        labels = (seed, self.stream or self.name, regime.name)
        trials = self.trials or trials

        def draw(n, *stage):
            where = f"{self.name} on {regime.name}"
            try:
                x = montecarlo.run_trials(statistic, regime.scenario, n,
                                          montecarlo.seed_sequence(*labels, *stage),
                                          executor=executor)
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{where}: {exc}") from exc
            except Exception as exc:  # a user's statistic: named, in one line
                raise ValueError(f"{where}: its statistic raised "
                                 f"{type(exc).__name__}: {exc}") from exc
            return _checked_sample(x, n, where, nan_allowed=self.kind == "identity")

        level = alpha / max(planned, 1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._judge(regime.scenario, draw, precision, trials, level)
        notes = sorted({str(w.message) for w in caught})
        detail = "; ".join([result.detail, *notes]).strip("; ")
        result = replace(result, detail=detail, masks=self.masks)
        return settle([result], alpha)[0]

    def _judge(self, scenario, draw, precision, trials, level):
        common = dict(name=self.name, kind=self.kind, statement=self.statement)
        if self.kind == "identity":
            x = draw(trials or IDENTITY_TRIALS)
            stalled = np.isnan(x).any(axis=-1) if x.ndim == 2 else np.isnan(x)
            if stalled.any():  # gradient descent reached no limit on some draws
                return CheckResult(**common, verdict="inconclusive",
                                   tolerance=self.tolerance, n_trials=len(x),
                                   detail=f"gradient descent used up its step budget on "
                                          f"{int(stalled.sum())} of {len(x)} draws "
                                          f"(ill-conditioned data): no limit to check")
            if x.ndim == 2:  # an identity on trained models, and their distance to GD
                worst, deviation = (float(v) for v in np.max(x, axis=0))
                verdict = "holds" if max(worst, deviation) <= self.tolerance else "fails"
                return CheckResult(**common, verdict=verdict, tolerance=self.tolerance,
                                   estimate={"max": worst, "gd_deviation": deviation},
                                   n_trials=len(x),
                                   detail=f"largest deviation {worst:.3g}; models "
                                          f"{deviation:.3g} from gradient descent")
            worst = float(np.max(x))
            verdict = "holds" if worst <= self.tolerance else "fails"
            return CheckResult(**common, verdict=verdict, tolerance=self.tolerance,
                               estimate={"max": worst}, n_trials=len(x),
                               detail=f"largest deviation {worst:.3g}")
        if self.kind == "theory":
            return self._theory(scenario, draw, trials, precision, level, common)
        x = self._sized(draw, trials, level)
        if self.kind == "monotone":
            return self._monotone(x, common)
        return self._sign(x, common)

    def _sized(self, draw, trials, level):
        """The fresh sample: sized from a pilot so that each sign is settled at ``level``."""
        if trials is not None:
            return draw(trials)
        pilot = draw(PILOT_TRIALS)
        x = pilot if pilot.ndim == 1 else self._units(pilot)
        x = np.atleast_2d(x.T).T  # (trials, units)
        means, sds = np.abs(x.mean(axis=0)), x.std(axis=0, ddof=1)
        z = scipy.special.ndtri(1 - level)
        # half-width of half the mean's size settles the sign; zero means do not
        need = [MAX_TRIALS if m <= ZERO_ATOL and s > 0 else
                2 if s == 0 else (2 * z * s / m) ** 2 for m, s in zip(means, sds)]
        n = int(np.clip(np.ceil(1.5 * max(need)), PILOT_TRIALS, MAX_TRIALS))
        return draw(n, "verdict")

    def _units(self, x):
        """The signed differences a monotone check settles: (trials, steps * trends)."""
        steps = np.diff(x, axis=1)
        out = []
        for name, *want in self.trend:
            j = self.components.index(name)
            if want[0] == "towards":
                ref = self.components.index(want[1])
                side = np.sign(np.mean(x[:, :, j] - x[:, :, ref], axis=0))
                for i in range(steps.shape[1]):
                    # towards the reference while below it, away once above it
                    # (a step that crosses it is free)
                    if side[i] == side[i + 1]:
                        out.append(-side[i] * steps[:, i, j] if side[i] < 0
                                   else steps[:, i, j])
            else:
                out += [want[0] * steps[:, i, j] for i in range(steps.shape[1])]
        return np.stack(out, axis=1)

    def _theory(self, scenario, draw, trials, precision, level, common):
        try:
            theory = float(self.theory(scenario))
        except ValueError as exc:
            return CheckResult(**common, verdict="inconclusive",
                               detail=f"no exact expectation here: {exc}")
        reason = self.undecidable(scenario) if self.undecidable else None
        if reason:
            return CheckResult(**common, verdict="inconclusive", theory=theory,
                               detail=f"theory {theory:.6g}; {reason}")
        resolution = self.resolution or 2 * precision
        allowed = max(resolution / 2 * abs(theory), ZERO_ATOL)
        pilot = draw(trials or PILOT_TRIALS)
        if trials is not None and len(pilot) < MIN_THEORY_TRIALS:
            return CheckResult(**common, verdict="inconclusive", theory=theory,
                               n_trials=len(pilot), tolerance=allowed,
                               detail=f"{len(pilot)} draws: a theory check needs at least "
                                      f"{MIN_THEORY_TRIALS}")
        if trials is not None and pilot.ndim == 2:
            # one stage: the coefficients from a third of the draws, the estimate
            # from the others, so that fitting them does not bias the estimate
            cut = len(pilot) // 3
            fit, pilot = pilot[:cut], pilot[cut:]
            fitted = f"; {cut} more draws fitted the control variates"
        else:
            fit, fitted = pilot, ""
        beta = None
        if fit.ndim == 2 and fit.shape[1] > 1:
            y, cv = fit[:, 0], fit[:, 1:]
            beta = np.linalg.lstsq(cv - cv.mean(0), y - y.mean(), rcond=None)[0]

        def adjusted(x):
            if x.ndim == 1:
                return x
            return x[:, 0] - (x[:, 1:] @ beta if beta is not None else 0.0)

        if trials is None:
            sd = float(adjusted(pilot).std(ddof=1))
            z = scipy.special.ndtri(1 - level / 2)
            n = int(np.clip(np.ceil(1.5 * (z * sd / allowed) ** 2), PILOT_TRIALS,
                            MAX_TRIALS))
            x = adjusted(draw(n, "verdict"))
        else:
            x = adjusted(pilot)
        s = _sample(x)
        low, high = s.bounds(level)
        half = (high - low) / 2
        # round-off of the exact value and of the statistic: a relative 1e-12
        slack = 1e-12 * abs(theory)
        p = min(1.0, 2 * min(s.p_above(theory + slack), s.p_below(theory - slack)))
        precise = half <= allowed
        estimate = {**_estimate(x), "precise": bool(precise),
                    "control_variates": 0 if beta is None else len(beta)}
        return CheckResult(**common, verdict="inconclusive", estimate=estimate,
                           theory=theory, n_trials=len(x), tolerance=allowed,
                           decisions=({"unit": 0, "verdict": "fails", "p": p},),
                           detail=(f"{'precise' if precise else 'imprecise'}: theory "
                                   f"{theory:.6g}, half-width {half:.3g} at level "
                                   f"{level:.2g} (needed {allowed:.3g}){fitted}"))

    def _sign(self, x, common):
        estimate = _estimate(x)
        if np.all(np.abs(x) <= ZERO_ATOL):  # both sides coincide in every draw
            verdict = "fails" if self.kind == "positive" else "holds"
            return CheckResult(**common, verdict="equal", estimate=estimate,
                               n_trials=len(x), tolerance=ZERO_ATOL,
                               detail=f"equal in every draw: the claim "
                                      f"{'needs a strict difference' if verdict == 'fails' else 'holds with equality'}")
        s = _sample(x)
        p_pos, p_nonpos = s.p_above(ZERO_ATOL), s.p_below(ZERO_ATOL)
        good, bad = (p_pos, p_nonpos) if self.kind == "positive" else (p_nonpos, p_pos)
        decision = ({"unit": 0, "verdict": "holds", "p": good} if good <= bad else
                    {"unit": 0, "verdict": "fails", "p": bad})
        return CheckResult(**common, verdict="inconclusive", estimate=estimate,
                           n_trials=len(x), tolerance=ZERO_ATOL, decisions=(decision,))

    def _monotone(self, x, common):
        units = self._units(x)
        decisions = []
        for u in range(units.shape[1]):
            d = units[:, u]
            if np.all(np.abs(d) <= ZERO_ATOL):  # a step that does not move: not a rise
                decisions.append({"unit": u, "verdict": "fails", "p": 0.0, "equal": True})
                continue
            s = _sample(d)
            good, bad = s.p_above(ZERO_ATOL), s.p_below(ZERO_ATOL)
            decisions.append({"unit": u, "verdict": "holds", "p": good} if good <= bad
                             else {"unit": u, "verdict": "fails", "p": bad})
        means = x.mean(axis=0)
        paths = {name: means[:, self.components.index(name)] for name, *_ in self.trend}
        label = {"unlearning_loss": "UL", "remaining_loss": "RL", "ul_gap": "UL gap",
                 "golden_unlearning_loss": "golden's UL"}
        detail = ", ".join(  # the whole path of one component, else the ends
            f"{label.get(n, n)} " + (" ".join(f"{v:.2g}" for v in p) if len(paths) == 1
                                     else f"{p[0]:.2g} -> {p[-1]:.2g}")
            for n, p in paths.items())
        for name, *want in self.trend:
            if want and want[0] == "towards":
                detail += "; " + _crossing(means[:, self.components.index(name)],
                                           means[:, self.components.index(want[1])],
                                           label.get(want[1], want[1]), self.path)
        return CheckResult(**common, verdict="inconclusive", n_trials=len(x),
                           estimate={name: means[:, j].tolist()
                                     for j, name in enumerate(self.components)},
                           tolerance=ZERO_ATOL, detail=detail, decisions=tuple(decisions))


def _crossing(path, reference, name, labels=()):
    """Where a mean path lies with respect to a reference path, in words."""
    below = np.asarray(path) < np.asarray(reference)
    labels = labels or [f"point {i + 1}" for i in range(len(below))]
    if below.all():
        return f"below {name} at every point: the gap narrows throughout"
    if not below.any():
        return f"above {name} at every point: the gap widens throughout"
    changes = np.flatnonzero(np.diff(below))
    if len(changes) > 1:
        return f"crosses {name} {len(changes)} times: the gap narrows and widens in turn"
    i = int(changes[0])
    return (f"{'passes' if below[0] else 'falls below'} {name} between {labels[i]} and "
            f"{labels[i + 1]}: the gap narrows, then widens")


def _estimate(x):
    """The mean of a sample, with its skewness-corrected 99.9% interval."""
    ci = interval(x)
    return {"mean": ci.estimate, "low": ci.low, "high": ci.high,
            "std_error": ci.std_error, "confidence": ci.confidence}


def combine(verdicts):
    """The verdict of several checks and proofs together.

    ``"fails"`` if any fails (or is disproved), ``"holds"`` if all hold (or
    are proved, or are equal where equality is allowed), ``"inconclusive"``
    otherwise.

    Examples
    --------
    >>> combine(["holds", "proved"]), combine(["holds", "inconclusive"]), combine([])
    ('holds', 'inconclusive', 'holds')
    """
    verdicts = list(verdicts)
    if any(v in ("fails", "disproved") for v in verdicts):
        return "fails"
    if all(v in ("holds", "proved") for v in verdicts):
        return "holds"
    return "inconclusive"
