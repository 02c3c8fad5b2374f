"""Batched, reproducible Monte Carlo over draws of a scenario, and confidence intervals.

ConfidenceInterval      a mean with its two-sided Student-t interval (the one
                        interval type of the package: claims, compare, figures)
confidence_interval     the ConfidenceInterval of samples (vectorised over columns)
t_quantile              the Student-t factor of those intervals: half-width / std error
seed_sequence           the SeedSequence of a labelled stream (a claim, a regime, ...)
run_trials              a statistic on independent draws of a scenario, batched
trials_for_precision    how many trials give an interval of a given half-width
CONFIDENCE              the confidence level of every interval the verifier reports

Trial ``i`` of a run always uses the ``i``-th child of one
:class:`numpy.random.SeedSequence`, so results do not depend on how trials are
split into batches or spread over worker processes. Trials are stacked into a
:class:`linunlearn.scenarios.DatasetBatch` (arrays of shape ``(trials, n, d)``)
and every closed form and metric runs on the whole stack at once.
"""

import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import scipy.special

from ._linalg import one_blas_thread
from ._validation import check_float, check_int, warn

__all__ = ["ConfidenceInterval", "confidence_interval", "t_quantile", "seed_sequence",
           "run_trials", "trials_for_precision", "CONFIDENCE"]

#: Two-sided confidence level of every interval the verifier reports. With a
#: few dozen intervals per run, 99.9% keeps the chance that any true claim is
#: reported as failing by sampling error alone to a few percent at most.
CONFIDENCE = 0.999

_CHUNK = 250  # trials per batch: memory stays near 250 * n * d floats


@dataclass(frozen=True)
class ConfidenceInterval:
    """A Monte Carlo mean with a two-sided confidence interval.

    The shape of :class:`scipy.stats._common.ConfidenceInterval` (``low``,
    ``high``) with the estimate it is built around and the trials behind it.
    Every field may be an array (one interval per column of the samples).

    Attributes
    ----------
    low, high : float or ndarray
        Ends of the interval (``None`` for a single trial: no interval).
    estimate : float or ndarray
        The sample mean.
    std_error : float or ndarray
        Its standard error (``nan`` for a single trial).
    n_trials : int
    confidence : float
        Two-sided level of the Student-t interval.
    """

    low: object
    high: object
    estimate: object
    std_error: object = float("nan")
    n_trials: int = 1
    confidence: float = CONFIDENCE

    @property
    def half_width(self):
        """What the interval adds to and takes from the estimate: ``t * std_error``.

        (Not ``(high - low) / 2``, which loses the last digits of a narrow
        interval around a large mean.)
        """
        return t_quantile(self.n_trials, self.confidence) * self.std_error

    def __getitem__(self, index):
        """The intervals of some columns (every array field indexed alike).

        Examples
        --------
        >>> ci = confidence_interval([[1.0, 5.0], [3.0, 5.0]])
        >>> ci[1].estimate, ci[1].half_width
        (np.float64(5.0), np.float64(0.0))
        """
        def take(value):
            return value[index] if isinstance(value, np.ndarray) else value
        return ConfidenceInterval(take(self.low), take(self.high), take(self.estimate),
                                  take(self.std_error), self.n_trials, self.confidence)

    def to_dict(self):
        """JSON-ready ``{"mean", "low", "high", "std_error", "confidence"}`` (floats)."""
        return {"mean": self.estimate, "low": self.low, "high": self.high,
                "std_error": self.std_error, "confidence": self.confidence}


def confidence_interval(samples, confidence=CONFIDENCE):
    """Return the Student-t :class:`ConfidenceInterval` of the mean of ``samples``.

    Parameters
    ----------
    samples : array_like of shape (trials,) or (trials, ...)
        At least 2 trials; with more axes, one interval per column.
    confidence : float in (0, 1)

    Returns
    -------
    ConfidenceInterval
        Floats for a vector of samples, arrays of shape ``samples.shape[1:]``
        otherwise.

    Examples
    --------
    >>> ci = confidence_interval([1.0, 2.0, 3.0, 4.0])
    >>> ci.estimate, ci.n_trials, ci.low < 2.5 < ci.high
    (2.5, 4, True)
    >>> ci = confidence_interval([[1.0, 0.0], [3.0, 0.0]])  # one interval per column
    >>> ci.estimate, ci.high[1]
    (array([2., 0.]), np.float64(0.0))
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim < 1 or len(x) < 2:
        raise ValueError(f"samples must hold at least 2 trials, got shape {x.shape}")
    n = len(x)
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / np.sqrt(n)
    half = t_quantile(n, confidence) * se
    if x.ndim == 1:
        mean, se, half = float(mean), float(se), float(half)
    return ConfidenceInterval(mean - half, mean + half, mean, se, n, confidence)


def t_quantile(n_trials, confidence=CONFIDENCE):
    """The Student-t quantile of :func:`confidence_interval` for ``n_trials`` samples.

    An interval of the mean of ``n_trials`` samples is the mean plus or minus
    ``t_quantile(n_trials, confidence)`` times its standard error; use it
    where only a mean and a standard error are at hand.

    Examples
    --------
    >>> t = t_quantile(4)
    >>> ci = confidence_interval([1.0, 2.0, 3.0, 4.0])
    >>> bool(ci.high == ci.estimate + t * ci.std_error)
    True
    """
    return float(scipy.special.stdtrit(n_trials - 1, 0.5 + confidence / 2))


def seed_sequence(seed, *labels):
    """Return the SeedSequence of a labelled stream (e.g. a claim and a regime).

    The same ``seed`` and labels always give the same stream, whatever else
    runs; different labels give independent streams.
    """
    seed = check_int(seed, "seed", minimum=0)
    keys = [zlib.crc32(str(label).encode()) for label in labels]
    return np.random.SeedSequence([seed, *keys])


def _run_chunk(task):
    """Run one batch; return its values and the warnings it raised.

    A batch is many small problems (one per trial): BLAS threads only add
    overhead there (measured: 1.9 s single-threaded against 29 s with two
    OpenBLAS threads for ``verify --claims C8`` on a loaded 2-core machine),
    so the batch runs on one thread; ``workers`` parallelise over batches.
    """
    statistic, scenario, seeds = task
    with warnings.catch_warnings(record=True) as caught, one_blas_thread():
        warnings.simplefilter("always")
        values = statistic(scenario.sample_batch(seeds))
    return values, [(w.category, str(w.message)) for w in caught]


def run_trials(statistic, scenario, n_trials, seed_seq, *, executor=None):
    """Evaluate ``statistic`` on ``n_trials`` independent draws of ``scenario``.

    Parameters
    ----------
    statistic : callable
        Maps a :class:`~linunlearn.scenarios.DatasetBatch` to an array of shape ``(trials,)`` or
        ``(trials, k)``. Must be picklable (a module-level function) to run
        in worker processes.
    scenario : Scenario
    n_trials : int
    seed_seq : numpy.random.SeedSequence
        Trial ``i`` uses ``seed_seq.spawn``'s ``i``-th child.
    executor : concurrent.futures.Executor, optional
        Runs batches in parallel; results are identical without it.

    Returns
    -------
    ndarray
    """
    n_trials = check_int(n_trials, "n_trials", minimum=2)
    children = np.random.SeedSequence(seed_seq.entropy, spawn_key=seed_seq.spawn_key
                                      ).spawn(n_trials)
    tasks = [(statistic, scenario, children[i:i + _CHUNK])
             for i in range(0, n_trials, _CHUNK)]
    if executor is None or len(tasks) == 1:
        parts = [_run_chunk(t) for t in tasks]
    else:
        parts = list(executor.map(_run_chunk, tasks))
    # Re-raise the batches' warnings here, so that callers see the same
    # warnings whether or not worker processes ran the batches.
    for category, message in dict.fromkeys(m for _, caught in parts for m in caught):
        warn(message, category)
    return np.concatenate([values for values, _ in parts], axis=0)


def trials_for_precision(pilot, precision, *, scale=None, confidence=CONFIDENCE,
                         minimum=200, maximum=20000):
    """Number of trials whose interval half-width is ``precision * scale``.

    ``scale`` defaults to the pilot's mean absolute value; the answer, with a
    1.5x margin for the pilot's own error, is clipped to ``[minimum, maximum]``.
    """
    precision = check_float(precision, "precision", minimum=0.0, strict=True)
    pilot = np.asarray(pilot, dtype=float)
    scale = float(np.mean(np.abs(pilot))) if scale is None else abs(scale)
    sd = float(np.std(pilot, ddof=1))
    if sd == 0 or scale == 0:
        return minimum
    z = scipy.special.ndtri(0.5 + confidence / 2)
    # 1.5x margin: the pilot's standard deviation is itself uncertain.
    needed = 1.5 * (z * sd / (precision * scale)) ** 2
    return int(np.clip(np.ceil(needed), minimum, maximum))
