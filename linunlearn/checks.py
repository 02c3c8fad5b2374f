"""Checks: how a per-trial statistic becomes a verdict.

Check           a statistic and the rule that judges it (identity, theory, sign, monotone)
CheckResult     the evidence of one check on one regime
combine         the verdict of several checks and proofs together
IDENTITY_RTOL   the relative accuracy identities are checked to
ZERO_ATOL       the width of "zero" for statistics whose claimed value is zero

Verdicts: ``"holds"``, ``"fails"``, ``"inconclusive"``. Every check can
report "fails": the tests feed each one a case where its claim is false.
"""

import functools
import warnings
from dataclasses import dataclass, replace

import numpy as np

from . import montecarlo

__all__ = ["Check", "CheckResult", "combine", "IDENTITY_RTOL", "ZERO_ATOL", "KINDS"]

#: Identities are checked to this relative accuracy. The closed forms run in
#: double precision on Gram matrices with condition numbers below ~1e3 in the
#: default regimes, so round-off stays near 1e-12; any real violation of an
#: identity is of order one.
IDENTITY_RTOL = 1e-8

#: Statistics whose claimed value is zero are declared zero within this
#: absolute tolerance (losses are of order one in every regime here).
ZERO_ATOL = 1e-9

#: The kinds of check.
KINDS = ("identity", "theory", "positive", "nonpositive", "monotone")


@dataclass(frozen=True)
class CheckResult:
    """The evidence of one empirical check on one regime.

    Attributes
    ----------
    name, kind, statement : str
        As in :class:`Check`.
    verdict : {"holds", "fails", "inconclusive"}
    estimate : dict or None
        ``{"max": ...}`` for identities; mean, interval (``low``, ``high``),
        standard error and confidence level otherwise.
    theory : float or None
        The exact value a ``"theory"`` check compares with.
    tolerance : float or None
        What decided the verdict: the largest allowed deviation of an
        identity, the allowed interval half-width of a theory check
        (``precision * |theory|``), the width of "zero" of a sign check.
    n_trials : int
    detail : str
        A readable summary, and every warning the trials raised.
    masks : dict or None
        The masks of RBM / FBM the statistic used.
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


@dataclass(frozen=True)
class Check:
    """An empirical check: a per-trial statistic and how to judge it.

    kind
        ``"identity"``: the statistic (a relative deviation) is at most
        ``tolerance`` in every trial. ``"theory"``: its mean equals
        ``theory(scenario)`` (inside the confidence interval, which must be
        narrower than ``precision`` relative). ``"positive"`` / ``"nonpositive"``:
        the sign of its mean, decided by the interval (``ZERO_ATOL`` counts as
        zero). ``"monotone"``: the statistic has shape (trials, k, c), the
        ``components`` along a path of ``k`` weights; each
        ``(component, +1 / -1)`` of ``trend`` must rise / fall at every step.
    undecidable
        For ``"theory"`` checks: ``undecidable(scenario)`` returns a reason
        why no Monte Carlo interval can decide there (e.g. infinite variance),
        or ``None``. The verdict is then "inconclusive".
    masks
        The masks of RBM / FBM the statistic uses (recorded in the evidence).
    components, trend
        For ``"monotone"`` checks: the names of the statistic's last axis, and
        the ``(component, +1 / -1)`` pairs that must rise / fall.
    requires
        ``requires(scenario)`` returns why the check cannot be run on a
        scenario (e.g. no exact expectation there), or ``None``. The verifier
        then leaves the check out and says so in the claim's statement,
        with ``stand_in`` (what gives the estimate instead).
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
    requires: object = None
    stand_in: str = ""

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

    def run(self, regime, seed, *, precision=0.05, trials=None, executor=None,
            models=None):
        """Run the check on ``regime``; return a :class:`CheckResult`.

        Parameters
        ----------
        regime : linunlearn.regimes.Regime
        seed : int
            Trial ``i`` uses the ``i``-th child of
            ``seed_sequence(seed, self.name, regime.name)``.
        precision : float
            Target relative half-width of a theory check's interval.
        trials : int, optional
            A fixed number of trials (else chosen by the rule of the kind).
        executor : concurrent.futures.Executor, optional
        models : callable, optional
            The model provider the statistic is fed (``models(batch, *names,
            fbm=None)``); default the statistic's own.
        """
        seq = montecarlo.seed_sequence(seed, self.name, regime.name)
        statistic = (self.statistic if models is None else
                     functools.partial(self.statistic, models=models))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._judge(statistic, regime, seq, precision, trials, executor)
        notes = sorted({str(w.message).split(";")[0] for w in caught})
        detail = "; ".join([result.detail, *notes]).strip("; ")
        return replace(result, detail=detail, masks=self.masks)

    def _judge(self, statistic, regime, seq, precision, trials, executor):
        run = lambda n: montecarlo.run_trials(statistic, regime.scenario, n,  # noqa: E731
                                              seq, executor=executor)
        common = dict(name=self.name, kind=self.kind, statement=self.statement)
        if self.kind == "identity":
            x = run(trials or 200)
            worst = float(np.max(x))
            verdict = "holds" if worst <= self.tolerance else "fails"
            return CheckResult(**common, verdict=verdict, tolerance=self.tolerance,
                               estimate={"max": worst}, n_trials=len(x),
                               detail=f"largest deviation {worst:.3g}")
        if self.kind == "monotone":
            return self._monotone(run(trials or 400), common)
        if self.kind == "theory":
            return self._theory(regime.scenario, run, trials, precision, common)
        return self._sign(run, trials, common)

    def _theory(self, scenario, run, trials, precision, common):
        try:
            theory = float(self.theory(scenario))
        except ValueError as exc:
            return CheckResult(**common, verdict="inconclusive",
                               detail=f"no exact expectation here: {exc}")
        reason = self.undecidable(scenario) if self.undecidable else None
        if reason:
            return CheckResult(**common, verdict="inconclusive", theory=theory,
                               detail=f"theory {theory:.6g}; {reason}")
        x = run(trials or 200)
        if trials is None:
            n = montecarlo.trials_for_precision(x, precision, scale=theory)
            if n > len(x):
                x = run(n)
        est = montecarlo.confidence_interval(x)
        allowed = max(precision * abs(theory), ZERO_ATOL)
        half = (est.high - est.low) / 2
        verdict = ("fails" if not est.low <= theory <= est.high else
                   "holds" if half <= allowed else "inconclusive")
        return CheckResult(**common, verdict=verdict, estimate=_summary(est),
                           theory=theory, n_trials=len(x), tolerance=allowed,
                           detail=f"theory {theory:.6g}, interval half-width {half:.3g}")

    def _sign(self, run, trials, common):
        x = run(trials or 200)
        if trials is None and not _sign_settled(montecarlo.confidence_interval(x)):
            # Enough trials for a half-width of half the mean's size, which
            # then excludes zero (capped: a mean of zero is never settled).
            n = montecarlo.trials_for_precision(x, 0.5, scale=np.mean(x), maximum=20000)
            if n > len(x):
                x = run(n)
        est = montecarlo.confidence_interval(x)
        positive, nonpositive = est.low > ZERO_ATOL, est.high <= ZERO_ATOL
        if self.kind == "positive":
            verdict = "holds" if positive else "fails" if nonpositive else "inconclusive"
        else:
            verdict = "holds" if nonpositive else "fails" if positive else "inconclusive"
        return CheckResult(**common, verdict=verdict, estimate=_summary(est),
                           n_trials=len(x), tolerance=ZERO_ATOL)

    def _monotone(self, x, common):
        # Paired differences between consecutive weights, per component: a
        # step counts as a rise (fall) when its interval lies above (below)
        # ZERO_ATOL, so round-off never decides.
        steps = np.diff(x, axis=1)
        verdicts = []
        for name, want in self.trend:
            j = self.components.index(name)
            for i in range(steps.shape[1]):
                e = montecarlo.confidence_interval(want * steps[:, i, j])
                verdicts.append("holds" if e.low > ZERO_ATOL else
                                "fails" if e.high <= ZERO_ATOL else "inconclusive")
        means = x.mean(axis=0)
        paths = {name: means[:, self.components.index(name)] for name, _ in self.trend}
        label = {"unlearning_loss": "UL", "remaining_loss": "RL", "ul_gap": "UL gap"}
        detail = ", ".join(  # the whole path of one component, else the ends
            f"{label[n]} " + (" ".join(f"{v:.2g}" for v in p) if len(paths) == 1
                              else f"{p[0]:.2g} -> {p[-1]:.2g}")
            for n, p in paths.items())
        return CheckResult(**common, verdict=combine(verdicts), n_trials=len(x),
                           estimate={name: means[:, j].tolist()
                                     for j, name in enumerate(self.components)},
                           tolerance=ZERO_ATOL, detail=detail)


def _summary(est):
    return est.to_dict()


def _sign_settled(est):
    """Whether an interval decides a sign (``ZERO_ATOL`` counts as zero)."""
    return est.low > ZERO_ATOL or est.high <= ZERO_ATOL



def combine(verdicts):
    """The verdict of several checks and proofs together.

    ``"fails"`` if any fails (or is disproved), ``"holds"`` if all hold (or
    are proved), ``"inconclusive"`` otherwise.

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
