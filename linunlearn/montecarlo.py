"""Batched, reproducible Monte Carlo over draws of a scenario.

Trial ``i`` of a run always uses the ``i``-th child of one
:class:`numpy.random.SeedSequence`, so results do not depend on how trials are
split into batches or spread over worker processes. Trials are stacked into a
:class:`DatasetBatch` (arrays of shape ``(trials, n, d)``) and every closed
form and metric runs on the whole stack at once.
"""

import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.stats
from threadpoolctl import threadpool_limits

from .scenarios import _row_spaces
from ._validation import check_float, check_int, warn

__all__ = ["DatasetBatch", "Estimate", "estimate", "seed_sequence",
           "sample_batch", "run_trials", "CONFIDENCE"]

#: Two-sided confidence level of every interval the verifier reports. With a
#: few dozen intervals per run, 99.9% keeps the chance that any true claim is
#: reported as failing by sampling error alone to a few percent at most.
CONFIDENCE = 0.999

_CHUNK = 250  # trials per batch: memory stays near 250 * n * d floats


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean with a confidence interval.

    Attributes
    ----------
    mean, std_error : float
    low, high : float
        Two-sided interval at ``confidence`` (Student t).
    n_trials : int
    confidence : float
    minimum, maximum : float
        Extremes over the trials (identity checks use the maximum).
    """

    mean: float
    std_error: float
    low: float
    high: float
    n_trials: int
    confidence: float
    minimum: float
    maximum: float


def estimate(samples, confidence=CONFIDENCE):
    """Return the :class:`Estimate` of the mean of ``samples``.

    Examples
    --------
    >>> e = estimate([1.0, 2.0, 3.0, 4.0])
    >>> e.mean, e.n_trials, e.low < 2.5 < e.high
    (2.5, 4, True)
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"samples must be a vector of at least 2 values, got shape {x.shape}")
    mean = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(len(x)))
    half = float(scipy.stats.t.ppf(0.5 + confidence / 2, len(x) - 1)) * se
    return Estimate(mean, se, mean - half, mean + half, len(x), confidence,
                    float(x.min()), float(x.max()))


def seed_sequence(seed, *labels):
    """Return the SeedSequence of a labelled stream (e.g. a claim and a regime).

    The same ``seed`` and labels always give the same stream, whatever else
    runs; different labels give independent streams.
    """
    seed = check_int(seed, "seed", minimum=0)
    keys = [zlib.crc32(str(label).encode()) for label in labels]
    return np.random.SeedSequence([seed, *keys])


class DatasetBatch:
    """A stack of data sets drawn from one scenario, shaped like a Dataset.

    Attributes mirror :class:`linunlearn.Dataset` with a leading trial axis on
    every sampled array; supports, scale and teachers are the scenario's.
    """

    def __init__(self, scenario, arrays):
        self.scenario = scenario
        for name, value in arrays.items():
            setattr(self, name, value)
        self.support_r, self.support_f = scenario.support_r, scenario.support_f
        self.scale, self.sigma = scenario.scale, scenario.sigma
        self.w_r_star, self.w_f_star = scenario.w_r_star, scenario.w_f_star
        self.has_population = True

    @property
    def n_trials(self):
        """Number of stacked trials."""
        return self.X_r.shape[0]

    @property
    def d(self):
        """Number of features."""
        return self.X_r.shape[-1]

    @cached_property
    def X(self):
        """All training features, shape (trials, n_r + n_f, d)."""
        return np.concatenate([self.X_r, self.X_f], axis=-2)

    @cached_property
    def y(self):
        """All training labels, shape (trials, n_r + n_f)."""
        return np.concatenate([self.y_r, self.y_f], axis=-1)

    @cached_property
    def rows(self):
        """Row spaces of all data and of ``X_r``, sharing one Gram product."""
        return _row_spaces(self.X_r, self.X_f)


def sample_batch(scenario, seeds):
    """Draw one data set per SeedSequence in ``seeds`` and stack them."""
    draws = [scenario.draw_arrays(np.random.default_rng(child)) for child in seeds]
    return DatasetBatch(scenario, {k: np.stack([a[k] for a in draws]) for k in draws[0]})


def _run_chunk(task):
    """Run one batch; return its values and the warnings it raised.

    A batch is many small problems (one per trial): BLAS threads only add
    overhead there (measured: 1.9 s single-threaded against 29 s with two
    OpenBLAS threads for ``verify --claims C8`` on a loaded 2-core machine),
    so the batch runs on one thread; ``workers`` parallelise over batches.
    """
    statistic, scenario, seeds = task
    with warnings.catch_warnings(record=True) as caught, \
            threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("always")
        values = statistic(sample_batch(scenario, seeds))
    return values, [(w.category, str(w.message)) for w in caught]


def run_trials(statistic, scenario, n_trials, seed_seq, *, executor=None):
    """Evaluate ``statistic`` on ``n_trials`` independent draws of ``scenario``.

    Parameters
    ----------
    statistic : callable
        Maps a :class:`DatasetBatch` to an array of shape ``(trials,)`` or
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
    z = scipy.stats.norm.ppf(0.5 + confidence / 2)
    # 1.5x margin: the pilot's standard deviation is itself uncertain.
    needed = 1.5 * (z * sd / (precision * scale)) ** 2
    return int(np.clip(np.ceil(needed), minimum, maximum))


def make_executor(workers):
    """A process pool for ``workers > 1``, else ``None`` (run in process)."""
    workers = check_int(workers, "workers", minimum=1)
    return ProcessPoolExecutor(workers) if workers > 1 else None
