"""The unlearning methods of the literature, in the linear model.

Each method is one declaration (:func:`linunlearn.register_method`) in the
module of its family: :mod:`~linunlearn.methods.exact`,
:mod:`~linunlearn.methods.masking`, :mod:`~linunlearn.methods.regularised`,
:mod:`~linunlearn.methods.ascent` and :mod:`~linunlearn.methods.deletion`
(the deletion baselines for linear models, docs/theory.md section 9). Importing this package declares them,
so that ``linunlearn.solve(data, NAME, ...)`` computes them, ``linunlearn
compare`` tabulates them and the figures draw them. :func:`describe` returns
a method's full documentation (objective, update rule, source, options with
their defaults).

UNLEARNING_METHODS      the names declared here, in declaration order
REGULARISED_METHODS     version 1's regularisers (``"ce_ft"``, ``"ice_ft"``, ``"kl_ft"``)
describe                a method's documentation
discriminative_finetune the regularisers on a stack of data sets (k-step closed form)
VANISHING_RTOL, STOP_REASONS, SALUN_SALIENCIES

====================  ==========================================================  ==================
method                objective / update, from the model ``w_start``              closed form
====================  ==========================================================  ==================
``"salun"``           mask = top ``ratio`` of a forgetting saliency; GD on the     k-step and limit
                      random-label loss on ``D_f`` plus ``RL``, only masked
                      weights moving (Fan et al., ICLR 2024)
``"deepclean"``       Fisher ratio ``F_f / (F_r + eps max F_r)``; the selected     k-step and limit
                      weights are zeroed and only they are fine-tuned on ``D_r``
                      (Shi et al., arXiv 2311.10448)
``"ce_ft"``           GD on ``RL + alpha * WL`` (version 1 of the paper)           k-step and limit
``"ice_ft"``          GD on ``alpha * RL + WL``                                     k-step and limit
``"kl_ft"``           GD on ``RL + alpha * (1/n_f) ||X_f (w - w_ref)||^2``          k-step and limit
``"ga"``              ascent on ``UL`` (Jang et al., ACL 2023)                     k-step
``"gdiff"``           descent on ``RL``, ascent on ``UL``                          k-step (dual space)
``"ngdiff"``          direction ``g_r/||g_r|| - g_f/||g_f||``, exact step on RL    none (iteration)
                      (Bu et al., arXiv 2410.22086)
``"icu"``             ascent on active ``D_f`` + analog loss + KL to ``w_o``       none (iteration)
                      (Tang et al., arXiv 2407.20271)
``"minnorm_og"``      minimum-norm interpolator of ``D_r`` from ``w_o`` and D_r    ``P_r w_o + X_r^+ (y_r - X_r w_o)``
``"newton"``          one Newton step from the removed points' gradient, ridge     exact (= ridge retraining)
                      ``lam`` (Guo et al., arXiv 1911.03030)
``"certified"``       loss-perturbed ridge training, then the Newton step; noise   exact (= perturbed retraining)
                      scale for (epsilon, delta) (same source)
``"pru"``             leave-k-out predictions projected on the deleted rows        ``theta + X_f^+ (y'_f - X_f theta)``
                      (Izzo et al., arXiv 2002.10077)
``"ridge_downdate"``  Sherman-Morrison-Woodbury downdate of ridge ``alpha``        exact (= ridge retraining)
====================  ==========================================================  ==================

``RL(w) = (1/n_r) ||X_r w - y_r||^2``, ``UL(w) = (1/n_f) ||X_f w - y_f||^2``
and the wrong-label loss ``WL(w) = (1/n_f) ||X_f w + y_f||^2`` (labels
negated, the regression form of version 1's discriminative term, as in
:func:`discriminative_finetune`).

Multi-output labels. Every method accepts labels of shape ``(n, k)`` (e.g.
one-hot classes): the weights then have shape ``(d, k)``, every loss is
summed over the outputs (Frobenius norms, as in :mod:`linunlearn.metrics`),
and the ``k`` columns are treated jointly, never in a Python loop: closed
forms share one factorisation, NGDiff's normalisation and step use Frobenius
norms and inner products, ICU's per-sample residual is the squared norm over
the outputs, and masks (one entry per feature, i.e. per row of the weights)
come from scores that combine the outputs.

Routes. ``numeric=False`` starts from the closed-form pretrained model
``w_o = X^+ y`` and uses the method's closed form (the k-step formula of
:func:`linunlearn.simulate.gradient_descent_steps`, or the limit by least
squares); methods without a closed form (NGDiff, ICU) run their iteration.
``numeric=True`` pretrains by gradient descent and then runs the method's
update in weight space, with a loss history (:class:`GDRun`) and a stop
reason. Every solution's ``info["stop_reason"]`` says why it stopped.

Vanishing gradients. The pretrained model interpolates ``D_r + D_f`` in the
paper's regime, so ``grad RL(w_o) = grad UL(w_o) = 0``: gradient ascent,
GDiff, NGDiff and ICU cannot move (NGDiff's direction is 0/0), and SalUn's
original saliency (the forgetting-loss gradient) is zero. These methods then
return their starting model unchanged with stop reason
``"vanishing_gradient"`` and an explanation in ``info["note"]`` (which
gradient vanished, and what to do), or raise a ``ValueError`` with
``on_vanishing="raise"``; they never return NaN.

Examples
--------
>>> import numpy as np
>>> import linunlearn as lu
>>> data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
>>> ga = lu.solve(data, "ga")        # at an interpolating model
>>> ga.info["stop_reason"], bool(np.array_equal(ga.w, lu.solve(data, "pretrained").w))
('vanishing_gradient', True)
>>> ft = lu.solve(data, "finetune").w
>>> bool(np.allclose(lu.solve(data, "ce_ft", alpha=0.0, steps=5).w, ft))
True
>>> bool(np.allclose(lu.solve(data, "minnorm_og").w, lu.solve(data, "golden").w))
True
>>> print(describe("ga").splitlines()[0])
Gradient ascent on the forgetting loss (the standard baseline).
"""

from ..solutions import available_methods, describe, METHODS
from . import exact, masking, regularised, ascent, deletion  # noqa: F401  (declare the methods)
from ._shared import STOP_REASONS, VANISHING_RTOL
from .masking import SALUN_SALIENCIES
from .regularised import discriminative_finetune

__all__ = ["UNLEARNING_METHODS", "REGULARISED_METHODS", "VANISHING_RTOL",
           "STOP_REASONS", "SALUN_SALIENCIES", "describe", "discriminative_finetune"]

#: The methods this package declares, in declaration order.
UNLEARNING_METHODS = tuple(m for m in available_methods() if m not in METHODS)

#: The discriminative-regularisation variants of version 1 of the paper.
REGULARISED_METHODS = ("ce_ft", "ice_ft", "kl_ft")
