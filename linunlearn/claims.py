"""The claims of the paper, each declared once: statement, premise, statistics, proofs, verdict.

Claim               a claim (or a part of one): what is checked, where, and how
Entry               one claim to run on one regime (with a model provider, if any)
CLAIMS              the paper's claims C1-C8 and their parts, by key (``"C5-disparity"``)
declare, undeclare  add a claim of one's own to ``CLAIMS`` (``verify`` then runs it)
paper_models        the model provider of the paper's closed forms (``models(batch, *names)``)
DEFAULT_MASKS       RBM's and FBM's masks in the claims (supports, reset semantics)
PARTIAL_FBM         a SalUn-style partial FBM mask (top 20% by D_f's gradient saliency)
premises            ``pretrained_interpolates``, ``remaining_interpolable``, ...: why a
                    claim does not apply to a scenario, or ``None``
stat_*              the per-trial statistics (batched, module level for worker processes)

Each claim of docs/theory.md section 5 is one :class:`Claim` below, next to
the statistics of its checks (:class:`linunlearn.checks.Check`), the premise
under which it is stated, and its symbolic proofs (:mod:`linunlearn.proofs`).
:func:`linunlearn.verifier.verify` runs them; :mod:`linunlearn.families`
re-runs them beyond the paper. Every statistic takes ``models``, a model
provider ``models(batch, *names, fbm=None) -> {name: weights}`` (default
:func:`paper_models`), so that a family (ridge pretraining, early stopping)
or a user's own implementation is checked by the same statistics.
"""

import functools
from dataclasses import dataclass

import numpy as np

from . import proofs, theory
from ._linalg import mv, numpy_pinv
from .checks import IDENTITY_RTOL, Check
from .metrics import average_gap, evaluate, squared_loss
from .methods import discriminative_finetune
from .regimes import DEFAULT_REGIMES, Regime, interpolating
from .solutions import closed_form, mask_for

__all__ = ["Claim", "Entry", "CLAIMS", "declare", "undeclare", "paper_models", "mask_options", "DEFAULT_MASKS",
           "PARTIAL_FBM", "PREMISE", "pretrained_interpolates", "remaining_interpolable",
           "isotropic", "golden_ul_expectation", "golden_ul_exact", "golden_ul_heavy_tailed",
           "C8_ALPHAS", "C8_ICE_ALPHAS", "C8_STEPS", "C8_LR_ALPHA", "C8_VARIANTS",
           "PATH_COMPONENTS", "regulariser_path"]

#: Every premise reason starts with this.
PREMISE = "premise does not apply: "


@dataclass(frozen=True)
class Claim:
    """A claim, formalised: what is checked, on which regimes, and what verdict is expected.

    Attributes
    ----------
    id : str
        ``"C1"`` ... ``"C8"`` (or a family's ``"R1"``, ...).
    statement : str
    checks : tuple of linunlearn.checks.Check
        The empirical checks.
    regimes : tuple of str
        Default regimes it runs on (keys of
        :data:`linunlearn.regimes.DEFAULT_REGIMES`).
    premise : callable, optional
        ``premise(scenario)`` returns why the claim does not apply to a
        scenario (a string starting with :data:`PREMISE`), or ``None``.
    proofs : tuple of callable
        Symbolic checks (each returns a tuple of
        :class:`linunlearn.symbolic.SymbolicResult`).
    expected : {"holds", "depends"}
        ``"depends"``: true in some regimes only (a failure is a finding).
    outside : {"holds", "depends"}
        The expected verdict beyond the paper's regime (in the families of
        :mod:`linunlearn.families`): ``"depends"`` for statements that are
        findings rather than theorems there.
    part : str
        ``""`` for the claim itself, or the name of a part that is checked
        and reported on its own (e.g. C5's ``"disparity"``).
    mapped : bool
        :func:`linunlearn.verifier.verify` also runs it on
        :func:`linunlearn.regimes.map_regimes`.
    section : str
        Where docs/theory.md states it.
    """

    id: str
    statement: str
    checks: tuple
    regimes: tuple = ()
    premise: object = None
    proofs: tuple = ()
    expected: str = "holds"
    outside: str = "holds"
    part: str = ""
    mapped: bool = False
    section: str = ""

    @property
    def key(self):
        """The claim's key in :data:`CLAIMS`: its id, and its part if it has one."""
        return f"{self.id}-{self.part}" if self.part else self.id

    def __post_init__(self):
        for name in ("expected", "outside"):
            if getattr(self, name) not in ("holds", "depends"):
                raise ValueError(f"{name} must be 'holds' or 'depends', got "
                                 f"{getattr(self, name)!r}")
        if not self.section:
            object.__setattr__(self, "section", f"docs/theory.md, {self.id}")


CLAIMS = {}


@dataclass(frozen=True)
class Entry:
    """One claim to run on one regime.

    Attributes
    ----------
    claim : Claim
    regime : linunlearn.regimes.Regime
    models : callable, optional
        The model provider fed to every statistic (default: the
        statistic's own, the paper's closed forms).
    expected : {"holds", "depends"}, optional
        Overrides the claim's expected verdict.
    reason : str, optional
        Why the claim does not apply here (overrides the claim's premise).
    statement : str, optional
        Overrides the claim's statement.
    keep_theory : bool
        ``False`` leaves out the ``"theory"`` checks (their exact values are
        for the paper's models).
    proofs : bool
        Attach the claim's symbolic proofs (they are proofs for the paper's
        regime; families do not attach them).
    """

    claim: Claim
    regime: Regime
    models: object = None
    expected: str = None
    reason: str = None
    statement: str = None
    keep_theory: bool = True
    proofs: bool = True


def declare(claim):
    """Add a claim to :data:`CLAIMS`, so that ``verify`` runs it by default.

    Parameters
    ----------
    claim : Claim

    Returns
    -------
    Claim
        ``claim`` itself.

    Raises
    ------
    ValueError
        A claim with the same key is declared already.
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"claim must be a linunlearn.claims.Claim, got "
                        f"{type(claim).__name__}")
    if claim.key in CLAIMS:
        raise ValueError(f"claim {claim.key!r} is declared already")
    CLAIMS[claim.key] = claim
    return claim


def undeclare(key):
    """Remove a claim declared with :func:`declare` (by its key)."""
    if key not in CLAIMS:
        raise ValueError(f"unknown claim {key!r}; known: {', '.join(CLAIMS)}")
    del CLAIMS[key]


# --------------------------------------------------------------------------
# premises


def pretrained_interpolates(scenario):
    """Why the pretrained model need not interpolate ``D_r + D_f`` (see :func:`interpolating`), or ``None``.

    Examples
    --------
    >>> from linunlearn.regimes import base_scenario
    >>> pretrained_interpolates(base_scenario()) is None
    True
    >>> print(pretrained_interpolates(base_scenario(n_r=60, n_f=30)))
    premise does not apply: n_r + n_f = 90 is not below the 84 used features, so the pretrained model need not interpolate
    """
    s = scenario
    if interpolating(s):
        return None
    used = int((s.support_r | s.support_f).sum())
    if s.n_r + s.n_f >= used:
        return (f"{PREMISE}n_r + n_f = {s.n_r + s.n_f} is not below the {used} used "
                f"features, so the pretrained model need not interpolate")
    which = "n_r > d_r" if s.n_r > s.d_r else "n_f > d_f"
    return (f"{PREMISE}{which} (n_r={s.n_r}, d_r={s.d_r}, n_f={s.n_f}, d_f={s.d_f}), "
            f"so [X_r; X_f] cannot have full row rank and the pretrained model "
            f"need not interpolate")


def remaining_interpolable(scenario):
    """Why ``D_r`` cannot be interpolated (more rows than features, noisy labels), or ``None``."""
    s = scenario
    if s.n_r >= s.d_r and s.sigma > 0:
        return (f"{PREMISE}n_r = {s.n_r} >= d_r = {s.d_r} with noisy labels, "
                f"so D_r cannot be interpolated")
    return None


def _distinct(s):
    return (None if s.d_lap == 0 else
            f"{PREMISE}supports overlap (d_lap = {s.d_lap}), C4 is for distinct ones")


def _partial_overlap(s):
    return pretrained_interpolates(s) or (
        None if 0 < s.d_lap < min(s.d_r, s.d_f) else
        f"{PREMISE}C5 is for partial overlap, here d_lap = {s.d_lap}")


def _full_overlap(s):
    return (None if s.d_lap == s.d_r == s.d_f else
            f"{PREMISE}C6 is for full overlap (d_lap = d_r = d_f)")


def isotropic(scenario):
    """Whether every used feature has unit variance (what theory's formulas assume)."""
    s = scenario
    return bool(np.all(s.scale[s.support_r | s.support_f] == 1.0))


# --------------------------------------------------------------------------
# the model provider of the paper


#: The masks of RBM and FBM that the claims use unless a check says otherwise:
#: the supports, reset semantics (docs/theory.md section 4; C4 and C6 are
#: stated for them).
DEFAULT_MASKS = {"rbm": {"saliency": "support", "semantics": "reset"},
                 "fbm": {"saliency": "support", "semantics": "reset"}}

#: A SalUn-style FBM mask: reset the top 20% of all weights by the gradient
#: saliency of D_f. (SalUn keeps 50%; in the default regimes 50% of all
#: weights covers the whole forgetting support, i.e. the support mask.)
PARTIAL_FBM = {"saliency": "gradient", "ratio": 0.2, "semantics": "reset"}


def mask_options(method, fbm=None):
    """The mask options of ``"rbm"`` or ``"fbm"``: :data:`DEFAULT_MASKS`, FBM's from ``fbm``."""
    return fbm if method == "fbm" and fbm else DEFAULT_MASKS[method]


def paper_models(batch, *methods, fbm=None):
    """The paper's closed forms on a batch: ``{method: weights of shape (trials, d)}``.

    The model provider every statistic uses by default. ``fbm``: FBM's mask
    options (default :data:`DEFAULT_MASKS`).

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn.regimes import base_scenario
    >>> batch = base_scenario().sample_batch(np.random.SeedSequence(0).spawn(2))
    >>> {m: w.shape for m, w in paper_models(batch, "golden", "rbm").items()}
    {'golden': (2, 84), 'rbm': (2, 84)}
    """
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
    return squared_loss(batch.X_f, batch.y_f, w)


def _rl(batch, w):
    return squared_loss(batch.X_r, batch.y_r, w)


_ALL = tuple(DEFAULT_REGIMES)
_OVERLAP = ("overlap", "noisy-overlap", "separate-teachers")


# --------------------------------------------------------------------------
# C1


def stat_finetune_remaining_loss(batch, models=None):
    """C1: ``RL(w_ft)`` relative to the mean squared remaining label."""
    w = (models or paper_models)(batch, "finetune")["finetune"]
    return _rl(batch, w) / _mean_sq(batch.y_r)


declare(Claim(
    "C1", "Fine-tuning reaches zero remaining loss: RL(w_ft) = 0.",
    (Check("C1.remaining_loss", stat_finetune_remaining_loss, "identity",
           "RL(w_ft) / mean(y_r^2) <= tol in every trial", IDENTITY_RTOL),),
    _ALL, remaining_interpolable, (proofs.check_c1_interpolation,)))


# --------------------------------------------------------------------------
# C2


def stat_finetune_is_pretrained(batch, models=None):
    """C2: ``||w_ft - w_o|| / ||w_o||``."""
    w = (models or paper_models)(batch, "finetune", "pretrained")
    return _rel(w["finetune"], w["pretrained"])


def stat_finetune_unlearning_loss(batch, models=None):
    """C2: ``UL(w_ft)`` relative to the mean squared forgetting label."""
    w = (models or paper_models)(batch, "finetune")["finetune"]
    return _ul(batch, w) / _mean_sq(batch.y_f)


def stat_golden_unlearning_loss(batch, models=None):
    """C2: ``UL(w_g)``, to compare with its exact expectation."""
    return _ul(batch, (models or paper_models)(batch, "golden")["golden"])


def golden_ul_exact(scenario):
    """Why ``E UL(w_g)`` has no exact expectation for this scenario, or ``None``.

    It is exact for isotropic features (:mod:`linunlearn.theory`), and
    without overlap for any diagonal spectrum; it is infinite when noise
    reaches the overlap with ``|n_r - d_r| <= 1``.
    """
    s = scenario
    if not isotropic(s) and s.d_lap > 0:
        return (f"{PREMISE}features are not isotropic and the supports overlap, "
                f"so E UL(w_g) has no exact expectation here")
    if s.sigma > 0 and s.d_lap > 0 and abs(s.d_r - s.n_r) <= 1:
        return f"{PREMISE}E UL(w_g) is infinite when |n_r - d_r| <= 1 with noise"
    return None


def golden_ul_expectation(scenario):
    """Exact ``E UL(w_g)`` of a scenario.

    :func:`linunlearn.theory.expected_golden_unlearning_loss_for` for
    isotropic features; without overlap, ``||s_B w*_B||^2 + sigma^2`` for any
    diagonal spectrum (``w_g`` lives on ``S_r``, which ``X_f`` does not see,
    so ``UL(w_g)`` is the mean squared forgetting label).

    Examples
    --------
    >>> from linunlearn.regimes import DEFAULT_REGIMES
    >>> round(golden_ul_expectation(DEFAULT_REGIMES["overlap"].scenario), 4)
    0.4232
    """
    reason = golden_ul_exact(scenario)
    if reason:
        raise ValueError(reason)
    if isotropic(scenario):
        return theory.expected_golden_unlearning_loss_for(scenario)
    only_f = scenario.support_f & ~scenario.support_r
    return float(np.sum((scenario.scale * scenario.w_f_star)[only_f] ** 2)
                 + scenario.sigma ** 2)


def golden_ul_heavy_tailed(scenario):
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


declare(Claim(
    "C2", "Fine-tuning does not forget: w_ft = w_o, UL(w_ft) = 0, while E UL(w_g) > 0 "
    "equals its exact expectation.",
    (Check("C2.finetune_is_pretrained", stat_finetune_is_pretrained, "identity",
           "||w_ft - w_o|| / ||w_o|| <= tol", IDENTITY_RTOL),
     Check("C2.finetune_unlearning_loss", stat_finetune_unlearning_loss, "identity",
           "UL(w_ft) / mean(y_f^2) <= tol", IDENTITY_RTOL),
     Check("C2.golden_unlearning_loss", stat_golden_unlearning_loss, "theory",
           "mean UL(w_g) = theory.expected_golden_unlearning_loss",
           theory=golden_ul_expectation, undecidable=golden_ul_heavy_tailed,
           requires=golden_ul_exact, stand_in="golden_forgets gives its estimate"),
     Check("C2.golden_forgets", stat_golden_unlearning_loss, "positive",
           "E UL(w_g) > 0")),
    _ALL, pretrained_interpolates,
    (proofs.check_c2_fine_tuning_keeps_pretrained, proofs.check_c2_projection_moments,
     proofs.check_c2_inverse_gram_trace, proofs.check_c2_loss_assembly,
     proofs.check_c2_golden_loss_formula, proofs.check_c2_golden_loss_positive)))


# --------------------------------------------------------------------------
# C3


def stat_mechanism(batch, models=None):
    """C3: ``||w_ft - w_g - (I - P_r) w_o|| / ||w_o||``, ``P_r`` from numpy's pinv."""
    w = (models or paper_models)(batch, "finetune", "golden", "pretrained")
    w_o = w["pretrained"]
    # An independent route to P_r: numpy's SVD-based pseudo-inverse.
    P_w = mv(numpy_pinv(batch.X_r), mv(batch.X_r, w_o))
    return _norm(w["finetune"] - w["golden"] - (w_o - P_w)) / _norm(w_o)


declare(Claim(
    "C3", "The mechanism: w_ft - w_g = (I - P_r) w_o.",
    (Check("C3.mechanism", stat_mechanism, "identity",
           "||w_ft - w_g - (I - P_r) w_o|| / ||w_o|| <= tol (P_r via numpy pinv)",
           IDENTITY_RTOL),),
    _ALL, None, (proofs.check_c3_mechanism,)))


# --------------------------------------------------------------------------
# C4


def stat_rbm_vs_golden(batch, models=None):
    """C4: ``||w_rbm - w_g|| / ||w_g||``."""
    w = (models or paper_models)(batch, "rbm", "golden")
    return _rel(w["rbm"], w["golden"])


declare(Claim(
    "C4", "Distinct features: RBM (support mask, reset) is exactly golden.",
    (Check("C4.rbm_is_golden", stat_rbm_vs_golden, "identity",
           "||w_rbm - w_g|| / ||w_g|| <= tol", IDENTITY_RTOL, masks=DEFAULT_MASKS),),
    ("distinct",), _distinct, (proofs.check_c4_distinct_features,)))


# --------------------------------------------------------------------------
# C5 and its parts


def stat_rbm_forgets_more(batch, models=None):
    """C5: ``UL(w_rbm) - UL(w_ft)``."""
    w = (models or paper_models)(batch, "rbm", "finetune")
    return _ul(batch, w["rbm"]) - _ul(batch, w["finetune"])


def stat_rbm_keeps_overlap(batch, models=None):
    """C5: remaining test loss of RBM minus that of FBM."""
    w = (models or paper_models)(batch, "rbm", "fbm")
    test_r = ("test_remaining_loss",)
    return (evaluate(batch, w["rbm"], test_r)["test_remaining_loss"]
            - evaluate(batch, w["fbm"], test_r)["test_remaining_loss"])


def stat_rbm_disparity(batch, fbm=None, models=None):
    """C5: average gap to golden of RBM minus that of FBM (all metrics).

    ``fbm``: FBM's mask options (default :data:`DEFAULT_MASKS`).
    """
    w = (models or paper_models)(batch, "rbm", "fbm", "golden", fbm=fbm)
    golden = evaluate(batch, w["golden"])
    return (average_gap(evaluate(batch, w["rbm"]), golden)
            - average_gap(evaluate(batch, w["fbm"]), golden))


_C5_PROOFS = (proofs.check_c5_rbm_forgets_the_forgetting_only_block,)
declare(Claim(
    "C5", "Overlapping features: RBM raises UL above fine-tuning's (it forgets exactly "
    "the forgetting-only block).",
    (Check("C5.rbm_forgets_more", stat_rbm_forgets_more, "positive",
           "E[UL(w_rbm) - UL(w_ft)] > 0", masks=DEFAULT_MASKS),),
    _OVERLAP, _partial_overlap, _C5_PROOFS))
declare(Claim(
    "C5", "Overlapping features: RBM keeps the overlap, so its remaining test loss is "
    "no worse than FBM's.",
    (Check("C5.rbm_keeps_overlap", stat_rbm_keeps_overlap, "nonpositive",
           "E[test_r(w_rbm) - test_r(w_fbm)] <= 0", masks=DEFAULT_MASKS),),
    _OVERLAP, _partial_overlap, part="keeps-overlap", outside="depends"))
declare(Claim(
    "C5", "RBM has a lower average gap to golden than FBM with the support mask "
    "(regime-dependent: mapped over overlap ratio by n_r/d_r).",
    (Check("C5.disparity", stat_rbm_disparity, "nonpositive",
           "E[gap(w_rbm) - gap(w_fbm)] <= 0", masks=DEFAULT_MASKS),),
    (), _partial_overlap, expected="depends", outside="depends", part="disparity",
    mapped=True))
declare(Claim(
    "C5", "RBM has a lower average gap to golden than FBM with a SalUn-style partial "
    "mask (top 20% of the weights by D_f's gradient saliency; regime-dependent: mapped "
    "over overlap ratio by n_r/d_r).",
    (Check("C5.disparity_salun_mask", functools.partial(stat_rbm_disparity,
                                                        fbm=PARTIAL_FBM),
           "nonpositive", "E[gap(w_rbm) - gap(w_fbm)] <= 0",
           masks={**DEFAULT_MASKS, "fbm": PARTIAL_FBM}),),
    (), _partial_overlap, expected="depends", outside="depends",
    part="disparity-salun", mapped=True))


# --------------------------------------------------------------------------
# C6


def stat_rbm_vs_finetune(batch, models=None):
    """C6: ``||w_rbm - w_ft|| / ||w_ft||``."""
    w = (models or paper_models)(batch, "rbm", "finetune")
    return _rel(w["rbm"], w["finetune"])


declare(Claim(
    "C6", "Full overlap makes retention-based masking void: w_rbm = w_ft.",
    (Check("C6.rbm_is_finetune", stat_rbm_vs_finetune, "identity",
           "||w_rbm - w_ft|| / ||w_ft|| <= tol", IDENTITY_RTOL, masks=DEFAULT_MASKS),),
    ("full-overlap",), _full_overlap, (proofs.check_c6_full_overlap,)))


# --------------------------------------------------------------------------
# C7


def stat_projection_vs_golden(batch, models=None):
    """C7: ``||P_r w_o - w_g|| / ||w_g||``."""
    w = (models or paper_models)(batch, "projection", "golden")
    return _rel(w["projection"], w["golden"])


declare(Claim(
    "C7", "Projection is exact unlearning without the forgetting data: P_r w_o = w_g.",
    (Check("C7.projection_is_golden", stat_projection_vs_golden, "identity",
           "||P_r w_o - w_g|| / ||w_g|| <= tol", IDENTITY_RTOL),),
    _ALL, pretrained_interpolates, (proofs.check_c7_projection,)))


# --------------------------------------------------------------------------
# C8 and its parts


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

#: The variants of version 1's regulariser (see
#: :func:`linunlearn.methods.discriminative_finetune`).
C8_VARIANTS = ("ce", "kl", "ice")

#: What :func:`stat_regulariser_path` records at each weight.
PATH_COMPONENTS = ("unlearning_loss", "remaining_loss", "ul_gap")


def regulariser_path(batch, alpha, steps, *, lr=None, models=None, variant="ce"):
    """C8's fine-tuning with version 1's regulariser, from the provider's ``w_o``.

    :func:`linunlearn.methods.discriminative_finetune` with the step size of
    weight ``max(alpha, C8_LR_ALPHA)``; ``steps=numpy.inf`` gives the limit.
    """
    if variant not in C8_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(C8_VARIANTS)}, got {variant!r}")
    w_o = (models or paper_models)(batch, "pretrained")["pretrained"]
    return discriminative_finetune(batch, w_o, alpha, steps, variant=variant, lr=lr,
                                   lr_alpha=C8_LR_ALPHA)


def stat_regulariser_weight_irrelevant(batch, models=None):
    """C8: converged solutions for alpha = 0.3 and 3 differ by this much (relative)."""
    a = regulariser_path(batch, 0.3, np.inf, models=models)
    b = regulariser_path(batch, 3.0, np.inf, models=models)
    return _rel(a, b)


def stat_regulariser_path(batch, models=None, variant="ce"):
    """C8: along the weights, UL, RL and the UL gap to golden after C8_STEPS.

    Weights: :data:`C8_ALPHAS`, or :data:`C8_ICE_ALPHAS` for ICE-FT, in
    order of a growing relative weight of the forgetting term. Returns an
    array of shape (trials, weights, 3), the :data:`PATH_COMPONENTS`.
    """
    golden_ul = _ul(batch, (models or paper_models)(batch, "golden")["golden"])
    out = []
    for a in C8_ICE_ALPHAS if variant == "ice" else C8_ALPHAS:
        w = regulariser_path(batch, a, C8_STEPS, models=models, variant=variant)
        ul = _ul(batch, w)
        out.append(np.stack([ul, _rl(batch, w), np.abs(ul - golden_ul)], -1))
    return np.stack(out, axis=1)


def _path_check(name, variant, trend, statement):
    alphas = C8_ICE_ALPHAS if variant == "ice" else C8_ALPHAS
    return Check(f"C8.{name}_{variant}",
                 functools.partial(stat_regulariser_path, variant=variant), "monotone",
                 f"{variant.upper()}-FT after {C8_STEPS} steps, weights {alphas}: "
                 f"{statement}", trend=trend, components=PATH_COMPONENTS)


declare(Claim(
    "C8", "At convergence in the interpolating regime the weight of version 1's "
    "discriminative regulariser stops mattering: every alpha > 0 gives the same model.",
    (Check("C8.weight_irrelevant_at_convergence", stat_regulariser_weight_irrelevant,
           "identity", "converged w(alpha=0.3) = w(alpha=3) (relative)", 1e-6),),
    _ALL, pretrained_interpolates, (proofs.check_c8_weight_irrelevant_at_convergence,)))
declare(Claim(
    "C8", f"After a finite budget ({C8_STEPS} steps), a larger weight of the forgetting "
    f"term trades remaining loss for unlearning loss: UL and RL both rise (CE-FT, "
    f"KL-FT, ICE-FT).",
    tuple(_path_check("tradeoff", v, (("unlearning_loss", +1), ("remaining_loss", +1)),
                      "UL and RL rise") for v in C8_VARIANTS),
    ("overlap",), pretrained_interpolates, part="tradeoff", outside="depends"))
declare(Claim(
    "C8", "... and so narrows the UL gap to golden as the weight grows (regime-dependent: "
    "once UL passes golden's, a larger weight widens the gap).",
    tuple(_path_check("gap", v, (("ul_gap", -1),), "|UL - UL(w_g)| falls")
          for v in C8_VARIANTS),
    ("overlap",), pretrained_interpolates, expected="depends", outside="depends",
    part="gap"))
