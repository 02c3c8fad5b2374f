"""Membership inference on the forgetting set: the loss attack and LiRA, and their gaps to golden.

roc_auc          area under the ROC curve of member against non-member scores (ties: 1/2)
tpr_at_fpr       true-positive rate at a false-positive rate, tie blocks interpolated
loss_scores      the loss attack's per-sample scores: minus the squared residual
log_residuals    LiRA's statistic: the log of each sample's absolute residual
Shadows          the out-of-training statistics of LiRA's shadow models, per target
shadow_models    train the shadow models (closed forms) for one data set
lira_scores      offline LiRA scores: how much smaller a target's log-residual is
                 than the shadow models', in their standard deviations
attack_metrics   AUC and TPR at 1% FPR of both attacks for one model
attack_gaps      each attack metric's gap to the golden model's value
ATTACK_METRICS, GAP_METRICS, FPR, N_SHADOWS

The question every attack here asks is the unlearning one: does the model
treat the forgetting samples (the members it was asked to forget, the rows
of ``D_f``) differently from fresh samples of the same distribution (the
non-members, the held-out forgetting rows ``X_test_f, y_test_f``)? A score
is computed for every member and non-member; higher means "member". The AUC
is the probability that a random member outscores a random non-member
(ties count 1/2), so 0.5 is chance; the TPR at 1% FPR is the share of
members caught when 1% of non-members are wrongly accused. The golden
model never saw ``D_f``: for it members and non-members are exchangeable,
every attack's expected AUC is exactly 0.5, and its expected TPR at ``fpr``
is ``(k + 1) / (n_u + 1)``, ``k = floor(fpr n_u)`` (the best threshold is
chosen on the ``n_u`` non-members themselves: 2/101 at 1% of 100). Each
metric is also reported as the gap to the golden model's value on the same
data (docs/theory.md, section 3), which removes that baseline.

Examples
--------
>>> import linunlearn as lu
>>> data = lu.Scenario.distinct(30, 30, 10, 10, n_test=200).sample(rng=0)
>>> attack_metrics(data, lu.solve(data, "finetune").w)["mia_auc"]   # fits D_f exactly
1.0
"""

import warnings
from dataclasses import dataclass

import numpy as np

from ._linalg import RowSpace
from ._validation import IllConditionedWarning, as_generator, check_float, check_int
from .metrics import MIA_RTOL, sample_losses

__all__ = ["roc_auc", "tpr_at_fpr", "loss_scores", "log_residuals", "Shadows",
           "shadow_models",
           "lira_scores", "attack_metrics", "attack_gaps", "ATTACK_METRICS",
           "GAP_METRICS", "FPR", "N_SHADOWS"]

#: The attack metrics :func:`attack_metrics` reports (LiRA's with shadows only).
ATTACK_METRICS = ("mia_auc", "mia_tpr", "lira_auc", "lira_tpr")

#: Gap-to-golden keys: every attack metric and the loss attack's efficacy.
GAP_METRICS = tuple(f"{k}_gap" for k in ("mia_efficacy",) + ATTACK_METRICS)

#: The false-positive rate at which the true-positive rate is reported.
FPR = 0.01

#: Shadow models per data set. Offline LiRA fits a mean and a standard
#: deviation per target; 16 shadows estimate a standard deviation to about
#: 18% (relative standard error ``1 / sqrt(2 (K - 1))``), and cost 16 small
#: least-squares solves per data set, shared by every model evaluated on it.
N_SHADOWS = 16


def _check_scores(members, nonmembers):
    members = np.asarray(members, dtype=float)
    nonmembers = np.asarray(nonmembers, dtype=float)
    for name, s in (("members", members), ("nonmembers", nonmembers)):
        if s.ndim != 1 or s.size == 0:
            raise ValueError(f"{name} must be a non-empty vector of scores, got shape "
                             f"{s.shape}")
        if np.any(np.isnan(s)):
            raise ValueError(f"{name} must not contain NaN")
    return members, nonmembers


def roc_auc(members, nonmembers):
    """Area under the ROC curve: ``P(s_member > s_nonmember) + P(tie) / 2``.

    The Mann-Whitney statistic: for each member, the non-members it
    outscores plus half those it ties with (by binary search in the sorted
    non-member scores). Scores may be infinite; equal scores count one half,
    so a score that cannot tell the two groups apart gives 0.5.

    Parameters
    ----------
    members, nonmembers : ndarray of shape (n_m,), (n_u,)
        Scores, higher meaning "member".

    Returns
    -------
    float

    Examples
    --------
    >>> roc_auc([3.0, 2.0], [1.0, 0.0]), roc_auc([1.0, 1.0], [1.0]), roc_auc([0.0, 2.0], [1.0])
    (1.0, 0.5, 0.5)
    """
    members, nonmembers = _check_scores(members, nonmembers)
    u = np.sort(nonmembers)
    below = np.searchsorted(u, members, side="left")       # non-members < s_m
    tied = np.searchsorted(u, members, side="right") - below
    return float((below.sum() + 0.5 * tied.sum()) / (len(members) * len(u)))


def tpr_at_fpr(members, nonmembers, fpr=FPR):
    """True-positive rate at a false-positive rate, on the ROC curve with tie blocks interpolated.

    The ROC curve runs through the points ``(FPR(t), TPR(t))`` of calling
    "member" every score ``>= t``, for each distinct score ``t`` (and
    ``(0, 0)``). Equal scores form one block, joined by a straight segment:
    the randomised test that calls a share of a tied block members. The
    value at ``fpr`` is the largest TPR of a (randomised) threshold test
    whose false-positive rate is at most ``fpr``; scores that cannot tell
    the groups apart give ``fpr`` itself (chance).

    Parameters
    ----------
    members, nonmembers : ndarray of shape (n_m,), (n_u,)
        Scores, higher meaning "member".
    fpr : float in [0, 1], default 0.01

    Returns
    -------
    float

    Examples
    --------
    >>> tpr_at_fpr([3.0, 2.0], [1.0, 0.0]), tpr_at_fpr([0.0] * 3, [0.0] * 4, fpr=0.25)
    (1.0, 0.25)
    >>> tpr_at_fpr([5.0, 1.0], [2.0, 0.0], fpr=0.0)
    0.5
    """
    members, nonmembers = _check_scores(members, nonmembers)
    fpr = check_float(fpr, "fpr", minimum=0.0, maximum=1.0)
    values = np.unique(np.concatenate([members, nonmembers]))[::-1]  # descending

    def share_at_or_above(scores):   # for each threshold t: the share of scores >= t
        below = np.searchsorted(np.sort(scores), values, side="left")
        return np.concatenate([[0.0], (len(scores) - below) / len(scores)])

    tp, fp = share_at_or_above(members), share_at_or_above(nonmembers)
    i = int(np.nonzero(fp <= fpr)[0][-1])          # last point within the budget
    if i + 1 < len(fp) and fp[i + 1] > fp[i]:      # part of the next tied block
        return float(tp[i] + (tp[i + 1] - tp[i]) * (fpr - fp[i]) / (fp[i + 1] - fp[i]))
    return float(tp[i])


def loss_scores(X, y, w):
    """The loss attack's scores: minus each sample's squared residual (round-off is 0).

    Examples
    --------
    >>> import numpy as np
    >>> loss_scores(np.eye(2), np.array([1.0, 0.0]), np.array([1.0, 2.0]))
    array([-0., -4.])
    """
    return -sample_losses(X, y, w)


@dataclass(frozen=True)
class Shadows:
    """LiRA's out-of-training statistics, per target.

    For every member (row of ``D_f``) and non-member (held-out forgetting
    row), the mean and standard deviation over the shadow models of the
    target's log-residual :func:`log_residuals`.

    Attributes
    ----------
    mean_members, std_members : ndarray of shape (n_f,)
    mean_nonmembers, std_nonmembers : ndarray of shape (n_u,)
    n_shadows : int
    size : int
        Rows each shadow model was trained on.
    """

    mean_members: np.ndarray
    std_members: np.ndarray
    mean_nonmembers: np.ndarray
    std_nonmembers: np.ndarray
    n_shadows: int
    size: int


def log_residuals(X, y, w):
    """LiRA's statistic: ``log |x^T w - y|`` per sample, round-off residuals at round-off size.

    A residual entry within round-off of zero (at most :data:`MIA_RTOL`
    times ``|y| + ||x|| ||w||``, as in :func:`linunlearn.metrics.sample_losses`)
    is set to that bound, so that an exact fit gives a very negative but
    finite statistic whose value does not depend on the round-off. With
    ``k`` outputs the residual is the norm over the outputs.

    Examples
    --------
    >>> import numpy as np
    >>> out = log_residuals(np.eye(2), np.array([1.0, 0.0]), np.array([1.0, 2.0]))
    >>> bool(out[0] < -16), float(out[1]) == float(np.log(2.0))
    (True, True)
    """
    r = X @ w - y
    if y.ndim == X.ndim:  # (n, k): k outputs
        size = (np.abs(y) + np.linalg.norm(X, axis=-1)[..., None]
                * np.linalg.norm(w, axis=-2)[..., None, :])
        sq = np.sum(np.maximum(np.abs(r), MIA_RTOL * size) ** 2, axis=-1)
    else:
        size = np.abs(y) + np.linalg.norm(X, axis=-1) * np.linalg.norm(w)
        sq = np.maximum(np.abs(r), MIA_RTOL * size) ** 2
    return 0.5 * np.log(np.maximum(sq, np.finfo(float).tiny))


def shadow_models(data, *, n_shadows=N_SHADOWS, rng=None):
    """Train LiRA's shadow models on one data set; return their statistics per target.

    The attacker's pool of non-target data is the remaining distribution it
    holds: the rows of ``D_r`` and the held-out remaining rows. Each shadow
    model is the golden recipe (minimum-norm least squares, retraining from
    zero) on a random subset of the pool of ``min(n_r, pool // 2)`` rows, so
    that no shadow model ever saw a target: every shadow statistic is an
    out-of-training one. Shadow models are closed forms, one small solve each.

    Parameters
    ----------
    data : Dataset
        With held-out forgetting rows (the non-members).
    n_shadows : int >= 2, default 16
    rng : None, int or numpy.random.Generator
        Draws the subsets.

    Returns
    -------
    Shadows

    Raises
    ------
    ValueError
        No held-out forgetting rows.

    Examples
    --------
    >>> import linunlearn as lu
    >>> data = lu.Scenario.overlapping(20, 14, 6, 8, 5).sample(rng=0)
    >>> s = shadow_models(data, n_shadows=4, rng=0)
    >>> s.mean_members.shape, s.mean_nonmembers.shape, s.size
    ((5,), (100,), 8)
    """
    n_shadows = check_int(n_shadows, "n_shadows", minimum=2)
    if data.X_test_f is None:
        raise ValueError("the attacks need held-out forgetting rows (X_test_f, "
                         "y_test_f), the non-members")
    gen = as_generator(rng)
    X_pool, y_pool = data.X_r, data.y_r
    if data.X_test_r is not None:
        X_pool = np.concatenate([X_pool, data.X_test_r])
        y_pool = np.concatenate([y_pool, data.y_test_r])
    size = max(1, min(data.n_r, len(X_pool) // 2))
    phi_f, phi_u = [], []
    for _ in range(n_shadows):
        rows = gen.choice(len(X_pool), size, replace=False)
        with warnings.catch_warnings():
            # a shadow subset may be rank deficient (more rows than features):
            # the pseudo-inverse answer is the shadow model wanted, and the
            # warning would be about the attack's internals, not the user's data
            warnings.simplefilter("ignore", IllConditionedWarning)
            w = RowSpace(X_pool[rows]).pinv(y_pool[rows].T).T
        phi_f.append(log_residuals(data.X_f, data.y_f, w))
        phi_u.append(log_residuals(data.X_test_f, data.y_test_f, w))
    phi_f, phi_u = np.array(phi_f), np.array(phi_u)
    return Shadows(phi_f.mean(0), phi_f.std(0, ddof=1), phi_u.mean(0),
                   phi_u.std(0, ddof=1), n_shadows, size)


def lira_scores(data, w, shadows):
    """Offline LiRA scores of the members and non-members of a model.

    Carlini et al.'s offline likelihood-ratio attack: the target's statistic
    is compared with a Gaussian fitted to the shadow models that never
    trained on it. The statistic is the log-residual ``phi = log |x^T w -
    y|`` (:func:`log_residuals`; the log plays the part of the paper's logit
    scaling: it makes the statistic closer to Gaussian and an exact fit
    strong evidence), and the score is the one-sided test

    .. math:: s = \\frac{\\mu_{out} - \\phi}{\\max(\\sigma_{out}, \\sigma_{min})},

    monotone in the Gaussian probability that a shadow model's statistic is
    at least ``phi``: how much smaller than out-of-training residuals the
    target's residual is, in their own standard deviation. Unlike the loss
    attack, each target is judged against its own difficulty.
    ``sigma_min`` = :data:`~linunlearn.metrics.MIA_RTOL` is the relative
    round-off of a residual: where every shadow model gives the same residual
    (with distinct features no shadow model predicts the forgetting-only
    block), a deviation beyond round-off is decisive.

    Why offline: the online attack also fits the statistics of shadow models
    trained *with* the target; in the interpolating regime those residuals
    are exactly 0 (a point mass), and the likelihood ratio then orders the
    targets by their loss alone, which is the loss attack.

    Returns
    -------
    members, nonmembers : ndarray
        Scores of the rows of ``D_f`` and of the held-out forgetting rows.
    """
    s = shadows
    floor = MIA_RTOL
    return ((s.mean_members - log_residuals(data.X_f, data.y_f, w))
            / np.maximum(s.std_members, floor),
            (s.mean_nonmembers - log_residuals(data.X_test_f, data.y_test_f, w))
            / np.maximum(s.std_nonmembers, floor))


def attack_metrics(data, w, shadows=None, *, fpr=FPR):
    """AUC and TPR at ``fpr`` of the loss attack (and of LiRA, with shadows), for one model.

    Parameters
    ----------
    data : Dataset
    w : ndarray of shape (d,) or (d, k)
    shadows : Shadows, optional
        From :func:`shadow_models` on the same data set (LiRA is left out
        without them).
    fpr : float, default 0.01

    Returns
    -------
    dict of str to float
        ``mia_auc``, ``mia_tpr`` (loss attack), ``lira_auc``, ``lira_tpr``;
        empty when the data have no held-out forgetting rows.
    """
    if data.X_test_f is None:
        return {}
    w = data.as_weights(w)
    out = {"mia_auc": None, "mia_tpr": None}
    members = loss_scores(data.X_f, data.y_f, w)
    nonmembers = loss_scores(data.X_test_f, data.y_test_f, w)
    out["mia_auc"] = roc_auc(members, nonmembers)
    out["mia_tpr"] = tpr_at_fpr(members, nonmembers, fpr)
    if shadows is not None:
        members, nonmembers = lira_scores(data, w, shadows)
        out["lira_auc"] = roc_auc(members, nonmembers)
        out["lira_tpr"] = tpr_at_fpr(members, nonmembers, fpr)
    return out


def attack_gaps(metrics, golden):
    """``{key + "_gap": |metrics[key] - golden[key]|}`` for every attack metric both have.

    Examples
    --------
    >>> attack_gaps({"mia_auc": 1.0, "mia_efficacy": 0.25}, {"mia_auc": 0.5, "mia_efficacy": 1.0})
    {'mia_efficacy_gap': 0.75, 'mia_auc_gap': 0.5}
    """
    return {f"{k}_gap": abs(float(metrics[k]) - float(golden[k]))
            for k in ("mia_efficacy",) + ATTACK_METRICS if k in metrics and k in golden}
