"""Losses and unlearning metrics (docs/theory.md, section 3).

squared_loss    ``(1/n) ||X w - y||^2`` (summed over outputs), on stacks of problems
population_loss the exact population loss of generated data (remaining or forgetting)
evaluate        every metric of weights on a Dataset (floats) or a DatasetBatch (arrays)
average_gap     mean absolute metric difference to a reference (the golden model)
mia_efficacy    share of targets a calibrated loss-threshold attack calls non-members
                (0.5, chance, when no threshold tells members from non-members)
sample_losses   per-sample squared residuals, round-off counted as zero (the attacks' losses)
METRICS         the metric names, in table order

================================  ===============================================
key                               meaning
================================  ===============================================
``remaining_loss`` (RA)           ``(1/n_r) ||X_r w - y_r||^2``
``unlearning_loss`` (UA)          ``(1/n_f) ||X_f w - y_f||^2``; high = forgotten
``test_remaining_loss``           population loss on the remaining distribution
``test_forgetting_loss``          population loss on the forgetting distribution
``test_loss`` (TA)                the mixture ``(n_r * remaining + n_f *
                                  forgetting) / (n_r + n_f)``
``mia_efficacy``                  share of forgetting samples that a calibrated
                                  loss-threshold attack calls non-members; 0.5
                                  when the attack has no advantage
================================  ===============================================

The membership attack compares per-sample losses, so it must not split on
round-off: a residual below :data:`MIA_RTOL` times the size of the terms
that produced it counts as exactly zero, and equal losses are never split.

Population losses are exact for generated data (Gaussian features with a
diagonal covariance): ``E (x^T w - y)^2 = sum_{j in S} s_j^2 (w - w*)_j^2 +
sigma^2``; on user data they are the empirical losses on the held-out sets,
and are absent without them.
"""

import numpy as np

from ._linalg import mv
from ._validation import as_array, check_option, once_per_array
from .scenarios import Dataset, DatasetBatch

__all__ = ["squared_loss", "population_loss", "evaluate", "average_gap", "mia_efficacy",
           "sample_losses", "METRICS", "MIA_RTOL", "MIA_CHANCE"]

#: Every metric :func:`evaluate` can report, in table order.
METRICS = ("remaining_loss", "unlearning_loss", "test_remaining_loss",
           "test_forgetting_loss", "test_loss", "mia_efficacy")


#: A residual ``x_i^T w - y_i`` is round-off, and its loss counts as exactly
#: zero in the membership attack, when it is at most this fraction of
#: ``|y_i| + ||x_i|| ||w||`` (which bounds the terms it is computed from).
#: On a model that fits its data exactly the closed forms leave about 1e-15 of
#: that and gradient descent (stopped at a relative gradient of 1e-12) about
#: 4e-11 (an n_r > d_r noiseless scenario); ``sqrt(eps)`` = 1.5e-8 sits above
#: both, so the attack cannot split training and held-out samples on round-off.
MIA_RTOL = float(np.sqrt(np.finfo(float).eps))

#: What :func:`mia_efficacy` reports when no threshold tells members from
#: non-members: the share a coin flip calls non-members. (Until this version
#: it reported 1.0 there, "everything forgotten", which flattered models that
#: forgot nothing wherever every loss is zero, e.g. noiseless data with
#: ``n_r > d_r``.)
MIA_CHANCE = 0.5


def squared_loss(X, y, w):
    """Return the mean squared loss ``(1/n) ||X w - y||^2`` of each problem of a stack.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
    y : ndarray of shape (..., n), or (..., n, k) for ``k`` outputs
        Labels with one axis fewer than ``X`` are one output per problem;
        labels with as many axes hold ``k`` outputs on their last axis, whose
        squared residuals are summed (the Frobenius norm).
    w : ndarray of shape (..., d), or (..., d, k) for ``k`` outputs

    Returns
    -------
    ndarray of shape (...)
        A 0-d array for a single problem.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> float(squared_loss(X, np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    2.5
    >>> squared_loss(np.stack([X, X]), np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]]))
    array([0.5, 0. ])
    >>> float(squared_loss(X, np.eye(2), np.eye(2)))   # two outputs
    0.5
    """
    outputs = np.ndim(y) == np.ndim(X)
    core = 2 if outputs else 1
    if np.ndim(X) < 2 or np.ndim(y) < core or np.ndim(w) < core:
        raise ValueError(f"squared_loss needs X of shape (..., n, d), y of shape "
                         f"(..., n) or (..., n, k) and w of shape (..., d) or "
                         f"(..., d, k); got {np.shape(X)}, {np.shape(y)}, {np.shape(w)}")
    if outputs:  # output by output (X shared), so the total is exactly their sum
        r = mv(X[..., None, :, :], np.swapaxes(w, -1, -2)) - np.swapaxes(y, -1, -2)
        return np.sum(np.mean(r ** 2, axis=-1), axis=-1)
    r = mv(X, w) - y
    return np.mean(r ** 2, axis=-1)


def sample_losses(X, y, w):
    """Per-sample squared residuals (summed over outputs), round-off set to 0.

    A residual entry counts as round-off (:data:`MIA_RTOL`) relative to
    ``|y_i| + ||x_i|| ||w||`` (per output column), so that a membership
    attack cannot split samples a model fits exactly on round-off.

    Parameters
    ----------
    X : ndarray of shape (..., n, d)
    y : ndarray of shape (..., n), or (n, k) for ``k`` outputs
    w : ndarray of shape (..., d), or (d, k)

    Returns
    -------
    ndarray of shape (..., n)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(2); w = np.array([1.0, 2.0])
    >>> sample_losses(X, np.array([1.0 + 1e-17, 0.0]), w)
    array([0., 4.])
    """
    rows = once_per_array(X, "row norms", lambda: np.linalg.norm(X, axis=-1))
    if y.ndim == X.ndim:  # (..., n, k): k outputs
        r = X @ w - y
        size = np.abs(y) + rows[..., None] * np.linalg.norm(w, axis=-2)[..., None, :]
        return np.sum(np.where(np.abs(r) <= MIA_RTOL * size, 0.0, r) ** 2, axis=-1)
    r = mv(X, w) - y
    size = np.abs(y) + rows * np.linalg.norm(w, axis=-1)[..., None]
    return np.where(np.abs(r) <= MIA_RTOL * size, 0.0, r) ** 2


def population_loss(data, w, which="forgetting"):
    """The exact population loss of ``w`` on one distribution of generated data.

    ``E (x^T w - y)^2 = sum_{j in S} s_j^2 (w - w*)_j^2 + sigma^2`` over a
    fresh draw ``(x, y)`` of the remaining or forgetting distribution
    (Gaussian features with scales ``s`` on the support ``S``).

    Parameters
    ----------
    data : Dataset or DatasetBatch
        With a population model (``data.has_population``).
    w : ndarray of shape (d,) or (trials, d)
    which : {"remaining", "forgetting"}

    Returns
    -------
    ndarray of shape () or (trials,)

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn import Scenario
    >>> data = Scenario.distinct(2, 2, 1, 1, w_star=np.ones(4)).sample(rng=0)
    >>> float(population_loss(data, np.zeros(4))), float(population_loss(data, np.ones(4)))
    (2.0, 0.0)
    """
    check_option(which, "which", ("remaining", "forgetting"))
    if not data.has_population:
        raise ValueError("population_loss needs generated data (a scale, teachers "
                         "and sigma): use the losses on held-out sets instead")
    if which == "remaining":
        return _population(data, w, data.support_r, data.w_r_star)
    return _population(data, w, data.support_f, data.w_f_star)


def _population(data, w, support, w_star):
    """Exact population loss ``sum_{j in S} s_j^2 (w - w*)_j^2 + sigma^2`` (per output)."""
    if w.ndim == 2 and data.w_r_star.ndim == 2:  # (d, k): k outputs, summed
        e = (w - w_star) * data.scale[:, None]
        return np.sum(np.sum(np.where(support[:, None], e ** 2, 0.0), axis=0)
                      + data.sigma ** 2)
    e = (w - w_star) * data.scale
    return np.sum(np.where(support, e ** 2, 0.0), axis=-1) + data.sigma ** 2


def mia_efficacy(member_losses, nonmember_losses, target_losses):
    """Share of target samples that a loss-threshold attack calls non-members.

    The attack predicts "member" when a sample's loss is at most a threshold
    ``tau``, chosen to maximise the balanced accuracy between the member and
    non-member losses it is calibrated on (``tau`` is the midpoint between the
    two neighbouring sorted losses where the best split falls; the first best
    split when several tie). Equal losses fall on the same side of every
    threshold, so splits only fall between distinct losses. The candidates
    include "no threshold", taken when no threshold does better than chance:
    an attack without an advantage is a coin flip, and the efficacy is then
    :data:`MIA_CHANCE` (0.5) whatever the targets' losses (for instance when
    members, non-members and targets all have zero loss). It used to call
    everything a non-member there and report 1.0, the value of a model that
    forgot everything, which flattered models that forgot nothing.

    Parameters
    ----------
    member_losses : ndarray of shape (..., n_m)
    nonmember_losses : ndarray of shape (..., n_u)
    target_losses : ndarray of shape (..., n_t)

    Returns
    -------
    ndarray of shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> float(mia_efficacy(np.zeros(3), np.array([1.0, 2.0]), np.array([0.0, 3.0])))
    0.5
    >>> float(mia_efficacy(np.zeros(3), np.zeros(2), np.array([0.0, 0.0])))  # chance
    0.5
    """
    n_m, n_u = member_losses.shape[-1], nonmember_losses.shape[-1]
    losses = np.concatenate([member_losses, nonmember_losses], axis=-1)
    is_member = np.concatenate([np.ones(member_losses.shape, bool),
                                np.zeros(nonmember_losses.shape, bool)], axis=-1)
    order = np.argsort(losses, axis=-1, kind="stable")
    losses = np.take_along_axis(losses, order, axis=-1)
    is_member = np.take_along_axis(is_member, order, axis=-1)
    # Split after position i: members at or below, non-members above. Its
    # score n_m n_u (TPR + TNR - 1) is an exact integer, so ties are exact.
    score = (np.cumsum(is_member, axis=-1) * n_u
             - np.cumsum(~is_member, axis=-1) * n_m)
    last_of_ties = np.concatenate([losses[..., 1:] > losses[..., :-1],
                                   np.ones(losses.shape[:-1] + (1,), bool)], axis=-1)
    score = np.where(last_of_ties, score, -2 * n_m * n_u)
    # Candidate 0: no threshold (score 0, chance: a coin flip, efficacy
    # MIA_CHANCE); candidate i + 1: split after position i.
    score = np.concatenate([np.zeros(score.shape[:-1] + (1,), score.dtype), score],
                           axis=-1)
    best = np.argmax(score, axis=-1)[..., None]
    at = np.maximum(best - 1, 0)
    upper = np.concatenate([losses[..., 1:], 2 * losses[..., -1:] + 1], axis=-1)
    tau = 0.5 * (np.take_along_axis(losses, at, -1) + np.take_along_axis(upper, at, -1))
    efficacy = np.mean(target_losses > tau, axis=-1)
    return np.where(best[..., 0] == 0, MIA_CHANCE, efficacy)


def _metrics(data, w, keys=METRICS):
    """The metrics ``keys`` (those the data allow) as arrays; works on a Dataset or a batch.

    Only what ``keys`` needs is computed: held-out sets are read (for a
    batch, drawn) only for the membership attack.
    """
    out = {}
    if "remaining_loss" in keys:
        out["remaining_loss"] = squared_loss(data.X_r, data.y_r, w)
    if "unlearning_loss" in keys:
        out["unlearning_loss"] = squared_loss(data.X_f, data.y_f, w)
    tests = {"test_remaining_loss", "test_forgetting_loss", "test_loss"} & set(keys)
    if tests and data.has_population:
        test_r = _population(data, w, data.support_r, data.w_r_star)
        test_f = _population(data, w, data.support_f, data.w_f_star)
    elif tests and data.X_test_r is not None and data.X_test_f is not None:
        test_r = squared_loss(data.X_test_r, data.y_test_r, w)
        test_f = squared_loss(data.X_test_f, data.y_test_f, w)
    else:
        test_r = test_f = None
    if test_r is not None:
        n_r, n_f = data.X_r.shape[-2], data.X_f.shape[-2]
        out["test_remaining_loss"] = test_r
        out["test_forgetting_loss"] = test_f
        out["test_loss"] = (n_r * test_r + n_f * test_f) / (n_r + n_f)
    if "mia_efficacy" in keys and data.X_test_r is not None:
        out["mia_efficacy"] = mia_efficacy(sample_losses(data.X_r, data.y_r, w),
                                           sample_losses(data.X_test_r, data.y_test_r, w),
                                           sample_losses(data.X_f, data.y_f, w))
    return {k: v for k, v in out.items() if k in keys}


def evaluate(data, w, metrics=METRICS):
    """Return the metrics of weights ``w`` on a data set, or on a batch of them.

    Parameters
    ----------
    data : Dataset or DatasetBatch
    w : ndarray of shape (d,), or (d, k) for ``k`` outputs; (trials, d) for a batch
    metrics : sequence of str
        The metrics wanted (default: every one of :data:`METRICS`); only
        these are computed.

    Returns
    -------
    dict of str to float (to ndarray of shape (trials,) for a batch)
        The keys of ``metrics`` that the data allow: always
        ``"remaining_loss"`` and ``"unlearning_loss"``; the test losses with a
        population model or held-out sets; ``"mia_efficacy"`` with a held-out
        remaining set (the attack's non-members).

    Raises
    ------
    TypeError
        ``data`` not a :class:`~linunlearn.Dataset` or
        :class:`~linunlearn.DatasetBatch`, ``w`` not numeric.
    ValueError
        ``w`` of the wrong shape, or not finite; an unknown metric.

    Examples
    --------
    >>> import numpy as np
    >>> from linunlearn import Scenario, solve, evaluate
    >>> data = Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    >>> m = evaluate(data, solve(data, "finetune").w)
    >>> m["remaining_loss"] < 1e-20, m["unlearning_loss"] < 1e-20
    (True, True)
    >>> batch = Scenario.overlapping(8, 6, 2, 3, 2).sample_batch(np.random.SeedSequence(0).spawn(4))
    >>> evaluate(batch, np.zeros((4, 12)), ["unlearning_loss"])["unlearning_loss"].shape
    (4,)
    """
    if isinstance(metrics, str) or not all(m in METRICS for m in metrics):
        raise ValueError(f"metrics must be a sequence of names from "
                         f"{', '.join(METRICS)}, got {metrics!r}")
    if isinstance(data, DatasetBatch):
        w = as_array(w, "w", ndim=2)
        if w.shape != (data.n_trials, data.d):
            raise ValueError(f"w must have shape {(data.n_trials, data.d)} (one weight "
                             f"vector per trial), got {w.shape}")
        return _metrics(data, w, metrics)
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a linunlearn.Dataset or DatasetBatch, got "
                        f"{type(data).__name__}")
    w = data.as_weights(w)
    return {k: float(v) for k, v in _metrics(data, w, metrics).items()}


def average_gap(metrics, reference):
    """Mean absolute difference over the metrics both mappings have.

    This is the "average gap" (disparity) to the golden model when
    ``reference`` holds the golden model's metrics.

    Examples
    --------
    >>> average_gap({"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 3.0, "c": 9.0})
    0.5
    """
    keys = [k for k in metrics if k in reference]
    if not keys:
        raise ValueError("metrics and reference share no metric")
    gap = sum(np.abs(np.asarray(metrics[k]) - np.asarray(reference[k]))
              for k in keys) / len(keys)
    return float(gap) if np.ndim(gap) == 0 else gap
