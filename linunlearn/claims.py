"""The claims registry and the verifier behind ``linunlearn verify``.

Each claim of THEORY.md section 5 has an id, a statement, the regimes it
applies to, its symbolic checks (:mod:`linunlearn.theory`) and its empirical
checks: batched Monte Carlo over independent draws with confidence intervals.
Every check can report "fails": the test suite feeds each one a regime where
its claim is false.

Verdicts per (claim, regime): ``"holds"`` when every symbolic check is proved
and every empirical check holds, ``"fails"`` when any of them fails (or is
disproved), ``"inconclusive"`` otherwise.
"""

import functools
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from . import montecarlo
from ._linalg import mv
from ._validation import LinunlearnWarning, check_float, check_int, warn
from .metrics import average_gap, evaluate
from .scenarios import Scenario
from .methods import discriminative_finetune as regularised_path
from .solutions import closed_form, mask_for

__all__ = ["Regime", "Check", "Claim", "CheckResult", "ClaimResult", "Report",
           "CLAIMS", "DEFAULT_REGIMES", "DEFAULT_MASKS", "PARTIAL_FBM",
           "disparity_map_regimes", "flat_teacher", "interpolating", "mask_options",
           "check_claim", "verify", "format_report", "discriminative_finetune",
           "IDENTITY_RTOL", "ZERO_ATOL"]

#: Identities are checked to this relative accuracy. The closed forms run in
#: double precision on Gram matrices with condition numbers below ~1e3 in the
#: default regimes, so round-off stays near 1e-12; any real violation of an
#: identity is of order one.
IDENTITY_RTOL = 1e-8

#: Statistics whose claimed value is zero are declared zero within this
#: absolute tolerance (losses are of order one in every regime here).
ZERO_ATOL = 1e-9


# --------------------------------------------------------------------------
# regimes


@dataclass(frozen=True)
class Regime:
    """A named scenario the claims are checked on.

    ``coords`` places the regime on a map (e.g. ``{"d_lap/d_f": 0.4,
    "n_r/d_r": 0.6}`` for the cells of :func:`disparity_map_regimes`).
    """

    name: str
    scenario: Scenario
    description: str = ""
    coords: dict = None

    @property
    def interpolating(self):
        """Whether ``n_r + n_f`` is below the number of used features."""
        return interpolating(self.scenario)


def interpolating(scenario):
    """Whether ``n_r + n_f`` is below the scenario's number of used features.

    Then (Gaussian features) ``[X_r; X_f]`` has full row rank almost surely
    and the pretrained model interpolates, the paper's regime.
    """
    s = scenario
    return s.n_r + s.n_f < int((s.support_r | s.support_f).sum())


def _regime(name, d_r, d_f, d_lap, n_r, n_f, description, coords=None, **options):
    return Regime(name, Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, **options),
                  description, coords)


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


#: Built-in regimes: the paper's (noiseless, isotropic, overparameterised) with
#: distinct, 40% and full overlap, plus label noise and separate teachers.
DEFAULT_REGIMES = {r.name: r for r in (
    _regime("distinct", 60, 40, 0, 30, 15, "d_lap = 0"),
    _regime("overlap", 60, 40, 16, 30, 15, "d_lap / d_f = 0.4"),
    _regime("full-overlap", 60, 60, 60, 20, 15, "d_lap = d_r = d_f"),
    _regime("noisy-overlap", 60, 40, 16, 30, 15, "d_lap / d_f = 0.4, sigma = 0.3",
            sigma=0.3),
    _regime("separate-teachers", 60, 40, 16, 30, 15,
            "d_lap / d_f = 0.4, independent teachers", teacher="separate"),
)}


def disparity_map_regimes(overlap_ratios=(0.2, 0.4, 0.6, 0.8),
                          sample_ratios=(0.2, 0.4, 0.6, 0.8), *, d_r=60, d_f=40,
                          n_f=15):
    """Regimes on a grid of overlap ratio ``d_lap/d_f`` by ``n_r/d_r`` (for C5).

    Noiseless, isotropic, with the :func:`flat_teacher`, so that the cells
    differ only in ``d_lap`` and ``n_r``.
    """
    regimes = []
    for lap in overlap_ratios:
        for nr in sample_ratios:
            d_lap, n_r = int(round(lap * d_f)), int(round(nr * d_r))
            regimes.append(_regime(f"lap={lap:g},n_r/d_r={nr:g}", d_r, d_f, d_lap,
                                   n_r, n_f, f"d_lap={d_lap}, n_r={n_r}, flat teacher",
                                   {"d_lap/d_f": lap, "n_r/d_r": nr},
                                   w_star=flat_teacher(d_r, d_f, d_lap)))
    return regimes


# --------------------------------------------------------------------------
# per-trial statistics (module level, so worker processes can run them)


#: The masks of RBM and FBM that the claims use unless a check says otherwise:
#: the supports, reset semantics (THEORY.md section 4; C4 and C6 are stated
#: for them).
DEFAULT_MASKS = {"rbm": {"saliency": "support", "semantics": "reset"},
                 "fbm": {"saliency": "support", "semantics": "reset"}}

#: A SalUn-style FBM mask: reset the top 20% of all weights by the gradient
#: saliency of D_f. (SalUn keeps 50%; in the default regimes 50% of all
#: weights covers the whole forgetting support, i.e. the support mask.)
PARTIAL_FBM = {"saliency": "gradient", "ratio": 0.2, "semantics": "reset"}


def mask_options(method, fbm=None):
    """The mask options of ``"rbm"`` or ``"fbm"``: :data:`DEFAULT_MASKS`, FBM's from ``fbm``."""
    return fbm if method == "fbm" and fbm else DEFAULT_MASKS[method]


def _models(batch, *methods, fbm=None):
    masks = {m: mask_for(batch, m, **mask_options(m, fbm))
             for m in methods if m in ("rbm", "fbm")}
    return {m: closed_form(batch, m, *masks.get(m, (None, "reset"))) for m in methods}


def _norm(x):
    return np.linalg.norm(x, axis=-1)


def _rel(a, b):
    return _norm(a - b) / np.maximum(_norm(b), 1e-300)


def _mean_sq(y):
    return np.mean(y ** 2, axis=-1)


def _ul(batch, w):
    return np.mean((mv(batch.X_f, w) - batch.y_f) ** 2, axis=-1)


def _rl(batch, w):
    return np.mean((mv(batch.X_r, w) - batch.y_r) ** 2, axis=-1)


def stat_finetune_remaining_loss(batch, models=None):
    """C1: ``RL(w_ft)`` relative to the mean squared remaining label.

    Every statistic takes ``models``, a function ``models(batch, *methods,
    fbm=None)`` returning ``{method: weights}`` (default: the paper's closed
    forms), so that other regimes (e.g. ridge pretraining) reuse the checks.
    """
    return _rl(batch, (models or _models)(batch, "finetune")["finetune"]) / _mean_sq(batch.y_r)


def stat_finetune_is_pretrained(batch, models=None):
    """C2: ``||w_ft - w_o|| / ||w_o||``."""
    w = (models or _models)(batch, "finetune", "pretrained")
    return _rel(w["finetune"], w["pretrained"])


def stat_finetune_unlearning_loss(batch, models=None):
    """C2: ``UL(w_ft)`` relative to the mean squared forgetting label."""
    return _ul(batch, (models or _models)(batch, "finetune")["finetune"]) / _mean_sq(batch.y_f)


def stat_golden_unlearning_loss(batch, models=None):
    """C2: ``UL(w_g)``, to compare with its exact expectation."""
    return _ul(batch, (models or _models)(batch, "golden")["golden"])


def stat_mechanism(batch, models=None):
    """C3: ``||w_ft - w_g - (I - P_r) w_o|| / ||w_o||``, ``P_r`` from numpy's pinv."""
    w = (models or _models)(batch, "finetune", "golden", "pretrained")
    w_o = w["pretrained"]
    # An independent route to P_r: numpy's SVD-based pseudo-inverse.
    P_w = mv(np.linalg.pinv(batch.X_r), mv(batch.X_r, w_o))
    return _norm(w["finetune"] - w["golden"] - (w_o - P_w)) / _norm(w_o)


def stat_rbm_vs_golden(batch, models=None):
    """C4: ``||w_rbm - w_g|| / ||w_g||``."""
    w = (models or _models)(batch, "rbm", "golden")
    return _rel(w["rbm"], w["golden"])


def stat_rbm_forgets_more(batch, models=None):
    """C5: ``UL(w_rbm) - UL(w_ft)``."""
    w = (models or _models)(batch, "rbm", "finetune")
    return _ul(batch, w["rbm"]) - _ul(batch, w["finetune"])


def stat_rbm_keeps_overlap(batch, models=None):
    """C5: remaining test loss of RBM minus that of FBM."""
    w = (models or _models)(batch, "rbm", "fbm")
    return (evaluate(batch, w["rbm"])["test_remaining_loss"]
            - evaluate(batch, w["fbm"])["test_remaining_loss"])


def stat_rbm_disparity(batch, fbm=None, models=None):
    """C5: average gap to golden of RBM minus that of FBM (all metrics).

    ``fbm``: FBM's mask options (default :data:`DEFAULT_MASKS`).
    """
    w = (models or _models)(batch, "rbm", "fbm", "golden", fbm=fbm)
    golden = evaluate(batch, w["golden"])
    return (average_gap(evaluate(batch, w["rbm"]), golden)
            - average_gap(evaluate(batch, w["fbm"]), golden))


def stat_rbm_vs_finetune(batch, models=None):
    """C6: ``||w_rbm - w_ft|| / ||w_ft||``."""
    w = (models or _models)(batch, "rbm", "finetune")
    return _rel(w["rbm"], w["finetune"])


def stat_projection_vs_golden(batch, models=None):
    """C7: ``||P_r w_o - w_g|| / ||w_g||``."""
    w = (models or _models)(batch, "projection", "golden")
    return _rel(w["projection"], w["golden"])


#: Weights of the discriminative term along C8's paths, and the fine-tuning
#: budget. CE-FT and KL-FT accept alpha in [0, 1]; ICE-FT's alpha (on the
#: remaining term) is in (0, 1], and its relative forgetting weight 1/alpha
#: grows along C8_ICE_ALPHAS. The trade-off is a finite-budget statement: at
#: convergence every alpha > 0 gives the same model (see proofs/C8.md).
C8_ALPHAS = (0.0, 0.03, 0.1, 0.3, 1.0)
C8_ICE_ALPHAS = (1.0, 0.3, 0.1, 0.03)
C8_STEPS = 5
#: The step size of every C8 run is ``1/L`` of the objective at this weight.
C8_LR_ALPHA = 1.0

#: The variants of version 1's regulariser (see :func:`discriminative_finetune`).
C8_VARIANTS = ("ce", "kl", "ice")

#: What :func:`stat_regulariser_path` records at each weight.
PATH_COMPONENTS = ("unlearning_loss", "remaining_loss", "ul_gap")


def discriminative_finetune(batch, alpha, steps, *, lr=None, models=None, variant="ce"):
    """C8's fine-tuning with version 1's regulariser from the provider's ``w_o``.

    :func:`linunlearn.methods.discriminative_finetune` with the step size of
    weight ``max(alpha, C8_LR_ALPHA)``; ``models`` provides ``w_o`` (see
    :func:`stat_finetune_remaining_loss`).
    """
    if variant not in C8_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(C8_VARIANTS)}, got {variant!r}")
    w_o = (models or _models)(batch, "pretrained")["pretrained"]
    return regularised_path(batch, w_o, alpha, steps, variant=variant, lr=lr,
                            lr_alpha=C8_LR_ALPHA)


def stat_regulariser_weight_irrelevant(batch, models=None):
    """C8: converged solutions for alpha = 0.3 and 3 differ by this much (relative)."""
    a = discriminative_finetune(batch, 0.3, np.inf, models=models)
    b = discriminative_finetune(batch, 3.0, np.inf, models=models)
    return _rel(a, b)


def stat_regulariser_path(batch, models=None, variant="ce"):
    """C8: along the weights, UL, RL and the UL gap to golden after C8_STEPS.

    Weights: :data:`C8_ALPHAS`, or :data:`C8_ICE_ALPHAS` for ICE-FT, in
    order of a growing relative weight of the forgetting term. Returns an
    array of shape (trials, weights, 3), the :data:`PATH_COMPONENTS`.
    """
    golden_ul = _ul(batch, (models or _models)(batch, "golden")["golden"])
    out = []
    for a in C8_ICE_ALPHAS if variant == "ice" else C8_ALPHAS:
        w = discriminative_finetune(batch, a, C8_STEPS, models=models, variant=variant)
        ul = _ul(batch, w)
        out.append(np.stack([ul, _rl(batch, w), np.abs(ul - golden_ul)], -1))
    return np.stack(out, axis=1)


# --------------------------------------------------------------------------
# checks


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
        zero). ``"monotone"``: the statistic has shape (trials, k, 3), the
        :data:`PATH_COMPONENTS` along a path of ``k`` weights; each
        ``(component, +1 / -1)`` of ``trend`` must rise / fall at every step.
    undecidable
        For ``"theory"`` checks: ``undecidable(scenario)`` returns a reason
        why no Monte Carlo interval can decide there (e.g. infinite variance),
        or ``None``. The verdict is then "inconclusive".
    masks
        The masks of RBM / FBM the statistic uses (recorded in the evidence).
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

    def run(self, regime, seed, *, precision=0.05, trials=None, executor=None):
        """Run the check on ``regime``; return a :class:`CheckResult`."""
        seq = montecarlo.seed_sequence(seed, self.name, regime.name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._judge(regime, seq, precision, trials, executor)
        notes = sorted({str(w.message).split(";")[0] for w in caught})
        detail = "; ".join([result.detail, *notes]).strip("; ")
        return replace(result, detail=detail, masks=self.masks)

    def _judge(self, regime, seq, precision, trials, executor):
        run = lambda n: montecarlo.run_trials(self.statistic, regime.scenario, n,  # noqa: E731
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
            j = PATH_COMPONENTS.index(name)
            for i in range(steps.shape[1]):
                e = montecarlo.confidence_interval(want * steps[:, i, j])
                verdicts.append("holds" if e.low > ZERO_ATOL else
                                "fails" if e.high <= ZERO_ATOL else "inconclusive")
        means = x.mean(axis=0)
        paths = {name: means[:, PATH_COMPONENTS.index(name)] for name, _ in self.trend}
        label = {"unlearning_loss": "UL", "remaining_loss": "RL", "ul_gap": "UL gap"}
        detail = ", ".join(  # the whole path of one component, else the ends
            f"{label[n]} " + (" ".join(f"{v:.2g}" for v in p) if len(paths) == 1
                              else f"{p[0]:.2g} -> {p[-1]:.2g}")
            for n, p in paths.items())
        return CheckResult(**common, verdict=_combine(verdicts), n_trials=len(x),
                           estimate={name: means[:, j].tolist()
                                     for j, name in enumerate(PATH_COMPONENTS)},
                           tolerance=ZERO_ATOL, detail=detail)


def _summary(est):
    return est.to_dict()


def _sign_settled(est):
    """Whether an interval decides a sign (``ZERO_ATOL`` counts as zero)."""
    return est.low > ZERO_ATOL or est.high <= ZERO_ATOL



def _combine(verdicts):
    verdicts = list(verdicts)
    if any(v in ("fails", "disproved") for v in verdicts):
        return "fails"
    if all(v in ("holds", "proved") for v in verdicts):
        return "holds"
    return "inconclusive"


# --------------------------------------------------------------------------
# the registry


def _golden_ul_theory(scenario):
    from . import theory
    return theory.expected_golden_unlearning_loss_for(scenario)


def _golden_ul_heavy_tailed(scenario):
    """Why a Monte Carlo interval cannot decide C2's expectation here, if it cannot.

    With label noise reaching the overlap, ``UL(w_g)`` carries a term
    ``1/chi2_nu``, ``nu = |n_r - d_r| + 1``, whose variance is infinite for
    ``nu <= 4`` (its mean is finite for ``nu > 2``): the central limit
    theorem, and with it the t interval, does not apply.
    """
    nu = abs(scenario.n_r - scenario.d_r) + 1
    if scenario.sigma > 0 and scenario.d_lap > 0 and nu <= 4:
        return (f"UL(w_g) has infinite variance here (label noise on the overlap "
                f"enters through 1/chi2_nu with nu = |n_r - d_r| + 1 = {nu} <= 4), "
                f"so no Monte Carlo interval can decide")
    return None


@dataclass(frozen=True)
class Claim:
    """A claim of the paper, formalised.

    Attributes
    ----------
    id : str
        ``"C1"`` ... ``"C8"``.
    part : str
        ``""`` for the claim itself, or the name of a part that is checked
        (and reported) on its own, e.g. C5's ``"disparity"``.
    statement : str
    section : str
        Where THEORY.md (and the paper) states it.
    regimes : tuple of str
        Default regimes it applies to.
    checks : tuple of Check
    expected : {"holds", "depends"}
        ``"depends"``: the claim is true in some regimes only (a failure is
        a finding, not an error).
    mapped : bool
        :func:`verify` also runs it on :func:`disparity_map_regimes`.
    """

    id: str
    statement: str
    section: str
    regimes: tuple
    checks: tuple
    expected: str = "holds"
    part: str = ""
    mapped: bool = False

    @property
    def key(self):
        """The claim's key in :data:`CLAIMS`: its id, and its part if it has one."""
        return f"{self.id}-{self.part}" if self.part else self.id


_ALL = tuple(DEFAULT_REGIMES)
_OVERLAP = ("overlap", "noisy-overlap", "separate-teachers")

CLAIMS = {c.key: c for c in (
    Claim("C1", "Fine-tuning reaches zero remaining loss: RL(w_ft) = 0.",
          "THEORY.md 5, C1", _ALL,
          (Check("C1.remaining_loss", stat_finetune_remaining_loss, "identity",
                 "RL(w_ft) / mean(y_r^2) <= tol in every trial", IDENTITY_RTOL),)),
    Claim("C2", "Fine-tuning does not forget: w_ft = w_o, UL(w_ft) = 0, while "
          "E UL(w_g) > 0 equals its exact expectation.", "THEORY.md 5, C2", _ALL,
          (Check("C2.finetune_is_pretrained", stat_finetune_is_pretrained, "identity",
                 "||w_ft - w_o|| / ||w_o|| <= tol", IDENTITY_RTOL),
           Check("C2.finetune_unlearning_loss", stat_finetune_unlearning_loss,
                 "identity", "UL(w_ft) / mean(y_f^2) <= tol", IDENTITY_RTOL),
           Check("C2.golden_unlearning_loss", stat_golden_unlearning_loss, "theory",
                 "mean UL(w_g) = theory.expected_golden_unlearning_loss",
                 theory=_golden_ul_theory, undecidable=_golden_ul_heavy_tailed),
           Check("C2.golden_forgets", stat_golden_unlearning_loss, "positive",
                 "E UL(w_g) > 0"))),
    Claim("C3", "The mechanism: w_ft - w_g = (I - P_r) w_o.", "THEORY.md 5, C3", _ALL,
          (Check("C3.mechanism", stat_mechanism, "identity",
                 "||w_ft - w_g - (I - P_r) w_o|| / ||w_o|| <= tol (P_r via numpy pinv)",
                 IDENTITY_RTOL),)),
    Claim("C4", "Distinct features: RBM (support mask, reset) is exactly golden.",
          "THEORY.md 5, C4", ("distinct",),
          (Check("C4.rbm_is_golden", stat_rbm_vs_golden, "identity",
                 "||w_rbm - w_g|| / ||w_g|| <= tol", IDENTITY_RTOL,
                 masks=DEFAULT_MASKS),)),
    Claim("C5", "Overlapping features: RBM raises UL above fine-tuning's (it "
          "forgets exactly the forgetting-only block).", "THEORY.md 5, C5", _OVERLAP,
          (Check("C5.rbm_forgets_more", stat_rbm_forgets_more, "positive",
                 "E[UL(w_rbm) - UL(w_ft)] > 0", masks=DEFAULT_MASKS),)),
    Claim("C5", "Overlapping features: RBM keeps the overlap, so its remaining "
          "test loss is no worse than FBM's.", "THEORY.md 5, C5", _OVERLAP,
          (Check("C5.rbm_keeps_overlap", stat_rbm_keeps_overlap, "nonpositive",
                 "E[test_r(w_rbm) - test_r(w_fbm)] <= 0", masks=DEFAULT_MASKS),),
          part="keeps-overlap"),
    Claim("C5", "RBM has a lower average gap to golden than FBM with the "
          "support mask (regime-dependent: mapped over overlap ratio by n_r/d_r).",
          "THEORY.md 5, C5", (),
          (Check("C5.disparity", stat_rbm_disparity, "nonpositive",
                 "E[gap(w_rbm) - gap(w_fbm)] <= 0", masks=DEFAULT_MASKS),),
          expected="depends", part="disparity", mapped=True),
    Claim("C5", "RBM has a lower average gap to golden than FBM with a "
          "SalUn-style partial mask (top 20% of the weights by D_f's gradient "
          "saliency; regime-dependent: mapped over overlap ratio by n_r/d_r).",
          "THEORY.md 5, C5", (),
          (Check("C5.disparity_salun_mask",
                 functools.partial(stat_rbm_disparity, fbm=PARTIAL_FBM), "nonpositive",
                 "E[gap(w_rbm) - gap(w_fbm)] <= 0",
                 masks={**DEFAULT_MASKS, "fbm": PARTIAL_FBM}),),
          expected="depends", part="disparity-salun", mapped=True),
    Claim("C6", "Full overlap makes retention-based masking void: w_rbm = w_ft.",
          "THEORY.md 5, C6", ("full-overlap",),
          (Check("C6.rbm_is_finetune", stat_rbm_vs_finetune, "identity",
                 "||w_rbm - w_ft|| / ||w_ft|| <= tol", IDENTITY_RTOL,
                 masks=DEFAULT_MASKS),)),
    Claim("C7", "Projection is exact unlearning without the forgetting data: "
          "P_r w_o = w_g.", "THEORY.md 5, C7", _ALL,
          (Check("C7.projection_is_golden", stat_projection_vs_golden, "identity",
                 "||P_r w_o - w_g|| / ||w_g|| <= tol", IDENTITY_RTOL),)),
    Claim("C8", "At convergence in the interpolating regime the weight of version "
          "1's discriminative regulariser stops mattering: every alpha > 0 gives "
          "the same model.", "THEORY.md 5, C8", _ALL,
          (Check("C8.weight_irrelevant_at_convergence",
                 stat_regulariser_weight_irrelevant, "identity",
                 "converged w(alpha=0.3) = w(alpha=3) (relative)", 1e-6),)),
    Claim("C8", f"After a finite budget ({C8_STEPS} steps), a larger weight of the "
          f"forgetting term trades remaining loss for unlearning loss: UL and RL "
          f"both rise (CE-FT, KL-FT, ICE-FT).", "THEORY.md 5, C8", ("overlap",),
          tuple(Check(f"C8.tradeoff_{v}", functools.partial(stat_regulariser_path,
                                                            variant=v), "monotone",
                      f"{v.upper()}-FT after {C8_STEPS} steps, weights "
                      f"{C8_ICE_ALPHAS if v == 'ice' else C8_ALPHAS}: UL and RL rise",
                      trend=(("unlearning_loss", +1), ("remaining_loss", +1)))
                for v in C8_VARIANTS), part="tradeoff"),
    Claim("C8", "... and so narrows the UL gap to golden as the weight grows "
          "(regime-dependent: once UL passes golden's, a larger weight widens "
          "the gap).", "THEORY.md 5, C8", ("overlap",),
          tuple(Check(f"C8.gap_{v}", functools.partial(stat_regulariser_path,
                                                       variant=v), "monotone",
                      f"{v.upper()}-FT after {C8_STEPS} steps, weights "
                      f"{C8_ICE_ALPHAS if v == 'ice' else C8_ALPHAS}: |UL - UL(w_g)| falls",
                      trend=(("ul_gap", -1),))
                for v in C8_VARIANTS), expected="depends", part="gap"),
)}


# --------------------------------------------------------------------------
# running claims


@dataclass(frozen=True)
class ClaimResult:
    """The verdict of one claim on one regime, with its evidence.

    Attributes
    ----------
    id : str
        ``"C1"`` ... ``"C8"``.
    part : str
        The part of the claim checked (``""``: the claim itself).
    regime : str
    verdict : {"holds", "fails", "inconclusive"}
    expected : {"holds", "depends"}
    statement : str
    symbolic : tuple of dict
        The symbolic checks (name, verdict, statement, detail).
    checks : tuple of CheckResult
    seed : int
    regime_description : str
    coords : dict or None
        The regime's place on a map (see :class:`Regime`).
    """

    id: str
    regime: str
    verdict: str
    expected: str
    statement: str
    symbolic: tuple = ()
    checks: tuple = ()
    seed: int = 0
    regime_description: str = ""
    part: str = ""
    coords: dict = None

    @property
    def key(self):
        """The claim's key in :data:`CLAIMS` (id, and part if any)."""
        return f"{self.id}-{self.part}" if self.part else self.id


@dataclass(frozen=True)
class Report:
    """All results of a :func:`verify` run."""

    results: tuple
    seed: int
    precision: float
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def failed_expected(self):
        """Results of claims that should hold and fail."""
        return [r for r in self.results if r.expected == "holds" and r.verdict == "fails"]

    def to_dict(self):
        """JSON-ready evidence: ``{"claims": [...], "seed": ..., ...}``.

        Each entry is a :class:`ClaimResult` as a dict, with its ``key``.
        """
        return {"claims": [{**asdict(r), "key": r.key} for r in self.results],
                "seed": self.seed,
                "precision": self.precision, "seconds": self.seconds,
                "settings": self.settings}


def _symbolic(claim_key):
    """The symbolic checks of a claim as dicts; a check that errors is inconclusive.

    Parts of a claim (keys such as ``"C5-disparity"``) have none of their own.
    """
    from . import proofs
    out = []
    for check in proofs.SYMBOLIC_CHECKS.get(claim_key, ()):
        try:
            out += [{"name": r.name, "verdict": r.verdict, "statement": r.statement,
                     "detail": r.detail} for r in check()]
        except Exception as exc:  # sympy failing to decide is not a pass
            out.append({"name": check.__name__, "verdict": "inconclusive",
                        "statement": "", "detail": f"the symbolic check raised "
                                                   f"{type(exc).__name__}: {exc}"})
    return tuple(out)


def _select(claims):
    """Keys of :data:`CLAIMS` selected by ids (``"C5"``: every part) or keys."""
    keys = []
    for name in claims:
        matches = [k for k, c in CLAIMS.items() if name in (k, c.id)]
        if not matches:
            known = ", ".join(dict.fromkeys([*CLAIMS, *(c.id for c in CLAIMS.values())]))
            raise ValueError(f"unknown claim {name!r}; known: {known}")
        keys += [k for k in matches if k not in keys]
    return keys


def check_claim(claim, regime, *, seed=0, precision=0.05, trials=None,
                executor=None, symbolic=None):
    """Check one claim on one regime.

    Parameters
    ----------
    claim : Claim or str
    regime : Regime or str
        Any regime, not only the claim's defaults (so false cases can be fed).
    seed : int
    precision : float
        Target relative half-width of the confidence intervals.
    trials : int, optional
        Fix the number of Monte Carlo trials instead.
    symbolic : tuple of dict, optional
        Precomputed symbolic results (computed when ``None``).

    Returns
    -------
    ClaimResult
    """
    if isinstance(claim, str):
        if claim not in CLAIMS:
            raise ValueError(f"unknown claim {claim!r}; known: {', '.join(CLAIMS)}")
        claim = CLAIMS[claim]
    if isinstance(regime, str):
        if regime not in DEFAULT_REGIMES:
            raise ValueError(f"unknown regime {regime!r}; known: "
                             f"{', '.join(DEFAULT_REGIMES)}")
        regime = DEFAULT_REGIMES[regime]
    if trials is not None:
        trials = check_int(trials, "n_trials", minimum=2)
    if symbolic is None:
        symbolic = _symbolic(claim.key)
    checks = tuple(c.run(regime, seed, precision=precision, trials=trials,
                         executor=executor) for c in claim.checks)
    verdict = _combine([s["verdict"] for s in symbolic] + [c.verdict for c in checks])
    return ClaimResult(id=claim.id, part=claim.part, regime=regime.name,
                       verdict=verdict, expected=claim.expected,
                       statement=claim.statement, symbolic=symbolic, checks=checks,
                       seed=seed, regime_description=regime.description,
                       coords=regime.coords)


class _Progress:
    def __init__(self, total, enabled):
        self.total, self.done, self.enabled = total, 0, enabled and sys.stderr.isatty()

    def step(self, label):
        self.done += 1
        if self.enabled:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] "
                             f"{self.done}/{self.total} {label:<40.40}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def verify(claims=None, regimes=None, *, precision=0.05, seed=0, workers=1,
           trials=None, disparity_map=True, progress=False):
    """Check the claims on their regimes; return a :class:`Report`.

    Parameters
    ----------
    claims : list of str, optional
        Claim ids (``"C5"`` selects C5 and its parts) or keys of
        :data:`CLAIMS` (``"C5-disparity"``); default: all.
    regimes : list of str, optional
        Restrict to these default regimes (the C5 disparity map, which has
        regimes of its own, then does not run).
    precision : float
        Target relative half-width of the confidence intervals (default 0.05).
    seed : int
        Every number in the report is a function of the seed alone.
    workers : int
        Worker processes; the report does not depend on it.
    trials : int, optional
        Fix the Monte Carlo sample size (else chosen from ``precision``).
    disparity_map : bool
        Map C5's disparity parts over :func:`disparity_map_regimes`.
    progress : bool
        Show a progress bar on a terminal.

    Raises
    ------
    ValueError
        Unknown claims or regimes, or a selection that leaves nothing to run.
    """
    precision = 0.05 if precision is None else check_float(
        precision, "precision", minimum=0.0, strict=True)
    seed = check_int(seed, "seed", minimum=0)
    if trials is not None:
        trials = check_int(trials, "n_trials", minimum=2)
    keys = list(CLAIMS) if claims is None else _select(claims)
    for name in regimes or ():
        if name not in DEFAULT_REGIMES:
            raise ValueError(f"unknown regime {name!r}; known: "
                             f"{', '.join(DEFAULT_REGIMES)}")
    jobs = []
    for key in keys:
        claim = CLAIMS[key]
        names = [r for r in claim.regimes if regimes is None or r in regimes]
        jobs += [(claim, DEFAULT_REGIMES[r]) for r in names]
        if claim.mapped and disparity_map and regimes is None:
            jobs += [(claim, r) for r in disparity_map_regimes()]
    if not jobs:
        raise ValueError(
            f"nothing to run: claims {', '.join(keys)} have no regime among "
            f"{', '.join(regimes)} (the disparity map runs only without "
            f"--regimes)" if regimes else
            f"nothing to run: {', '.join(keys)} only run on the disparity map, "
            f"which is switched off")
    start = time.perf_counter()
    bar = _Progress(len(jobs), progress)
    executor = montecarlo.make_executor(workers)
    symbolic = {}
    results = []
    try:
        for claim, regime in jobs:
            if claim.key not in symbolic:
                symbolic[claim.key] = _symbolic(claim.key)
            results.append(check_claim(claim, regime, seed=seed, precision=precision,
                                       trials=trials, executor=executor,
                                       symbolic=symbolic[claim.key]))
            bar.step(f"{claim.id} {regime.name}")
    finally:
        if executor is not None:
            executor.shutdown()
    return Report(tuple(results), seed, precision, time.perf_counter() - start,
                  {"workers": workers, "trials": trials})


def _short(check):
    e = check.estimate or {}
    theory = f" vs {check.theory:.4g}" if check.theory is not None else ""
    if "mean" in e:
        return f"{e['mean']:.4g} [{e['low']:.4g}, {e['high']:.4g}]{theory}"
    if "max" in e:
        return f"max {e['max']:.2g} (tol {check.tolerance:.0e})"
    return check.detail if len(check.detail) < 50 else check.detail[:47] + "..."


def _table(rows):
    """Left-aligned columns as wide as their widest cell."""
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _map_grid(results):
    """A regime-dependent claim's verdicts on its map: rows by columns of ``coords``."""
    row_name, col_name = list(results[0].coords)
    rows = sorted({r.coords[row_name] for r in results})
    cols = sorted({r.coords[col_name] for r in results})
    cell = {(r.coords[row_name], r.coords[col_name]): r for r in results}
    out = [[f"{row_name} \\ {col_name}", *(f"{c:g}" for c in cols)]]
    for y in rows:
        line = [f"{y:g}"]
        for x in cols:
            r = cell.get((y, x))
            mean = (r.checks[0].estimate or {}).get("mean") if r else None
            line.append("" if r is None else
                        f"{r.verdict}" + ("" if mean is None else f" ({mean:+.2g})"))
        out.append(line)
    return _table(out)


def format_report(report):
    """A readable report: one row per check, then a grid per mapped claim.

    Examples
    --------
    >>> report = verify(["C7"], ["overlap"], trials=20)
    >>> print(format_report(report).splitlines()[0])
    claim  regime   check                 symbolic  estimate [99.9% interval] / max  verdict
    """
    rows = [["claim", "regime", "check", "symbolic", "estimate [99.9% interval] / max",
             "verdict"]]
    maps = {}
    for r in report.results:
        if r.coords:
            maps.setdefault(r.key, []).append(r)
            continue
        sym = ("none" if not r.symbolic else
               _combine(s["verdict"] for s in r.symbolic).replace("holds", "proved"))
        for i, c in enumerate(r.checks):
            first = i == 0
            rows.append([r.key if first else "", r.regime if first else "",
                         c.name.split(".", 1)[1], sym if first else "", _short(c),
                         c.verdict])
        rows.append(["", "", "=> claim", "", "", r.verdict.upper()])
    lines = _table(rows) if len(rows) > 1 else []
    for key, results in maps.items():
        claim = CLAIMS.get(key)
        lines += ["", f"{key} (regime-dependent): {claim.statement if claim else ''}",
                  f"verdict of '{results[0].checks[0].statement}' per cell (mean):"]
        lines += ["  " + line for line in _map_grid(results)]
    failed = report.failed_expected

    def counts(expected):
        results = [r for r in report.results if r.expected == expected]
        gated = sum(all(c.kind == "premise" for c in r.checks) for r in results)
        tally = [f"{sum(r.verdict == v for r in results)} {word}" for v, word in
                 (("holds", "hold"), ("fails", "fail"))]
        tally.append(f"{sum(r.verdict == 'inconclusive' for r in results) - gated} "
                     f"inconclusive")
        if gated:
            tally.append(f"{gated} whose premise does not apply")
        return f"{len(results)} ({', '.join(tally)})"

    lines.append(f"\nclaim-regime pairs that should hold: {counts('holds')}; "
                 f"regime-dependent (findings): {counts('depends')}; seed "
                 f"{report.seed}, {report.seconds:.1f} s")
    if failed:
        lines.append("FAILED (claims that should hold): " +
                     ", ".join(f"{r.key}@{r.regime}" for r in failed))
    return "\n".join(lines)
