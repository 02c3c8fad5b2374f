"""Checks at the boundary of every public function, and the project's warnings."""

import contextlib
import functools
import numbers
import os
import sys
import warnings
import weakref

import numpy as np

__all__ = ["LinunlearnWarning", "IllConditionedWarning", "NotConvergedWarning",
           "NumericallyZeroWarning"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class LinunlearnWarning(UserWarning):
    """Base class of the warnings that linunlearn emits."""


class IllConditionedWarning(LinunlearnWarning):
    """A least-squares problem is rank deficient or ill-conditioned.

    The toolkit still returns the pseudo-inverse answer (what gradient descent
    converges to); the warning says that a claim assuming full row rank or
    interpolation may not apply.
    """


class NotConvergedWarning(LinunlearnWarning):
    """Gradient descent used up its step budget before meeting its stopping rule.

    The weights returned are the last iterate, not the limit that the closed
    forms describe; the run's ``stop_reason`` is ``"max_steps"``.
    """


class NumericallyZeroWarning(LinunlearnWarning):
    """A column of the data is non-zero but negligible on its own scale.

    It is counted as not used by that set (see
    :func:`linunlearn.masks.supports`); give the supports explicitly to
    decide otherwise.
    """


def warn(message, category):
    """Emit a warning attributed to the user's call into the package.

    The warning points at the caller of the outermost linunlearn frame on the
    stack, however deep inside the package it was raised (a fixed
    ``stacklevel`` cannot: the same factorisation is reached from ``solve``,
    from a cached property of a data set, or from a Monte Carlo statistic).
    """
    frame, level, outermost = sys._getframe(1), 2, 2
    while frame is not None:
        if frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            outermost = level
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=outermost + 1)


#: Inputs are refused above this magnitude: their squares (in every loss and
#: Gram product) would come within a factor 1e8 of double precision's range.
MAX_ABS = 1e150


@contextlib.contextmanager
def failures_named(label):
    """Run a user's code: a failure other than a usage error is one ValueError naming ``label``.

    ``ValueError``, ``TypeError``, ``ArithmeticError`` and ``MemoryError`` pass
    as they are (linunlearn's own usage errors name their parameter already).

    Examples
    --------
    >>> with failures_named("method 'mine'"):
    ...     raise RuntimeError("boom")
    ...
    Traceback (most recent call last):
    ...
    ValueError: method 'mine' raised RuntimeError: boom
    """
    try:
        yield
    except (ValueError, TypeError, ArithmeticError, MemoryError):
        raise
    except Exception as exc:
        raise ValueError(f"{label} raised {type(exc).__name__}: {exc}") from exc


def as_array(value, name, *, ndim, dtype=float, batched=False, values=True):
    """Return ``value`` as a finite real float ndarray with ``ndim`` dimensions.

    ``ndim`` is an int or a tuple of allowed ints; with ``batched=True`` it is
    the number of core dimensions, and any number of leading stack axes may
    come before them. ``values=False`` leaves out the check of the entries
    (:func:`check_values`), for a caller that checks them itself.
    """
    not_numeric = f"{name} must be a numeric array, got {type(value).__name__}"
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(not_numeric) from exc
    if np.iscomplexobj(array):  # casting would drop the imaginary part
        raise TypeError(f"{name} must be real, got complex values")
    if array.dtype.kind not in "biuf":  # strings, None, other objects
        not_numeric = (f"{name} must be a numeric array, got an array of dtype "
                       f"{array.dtype}" if isinstance(value, np.ndarray) else
                       f"{not_numeric} (an array of dtype {array.dtype})")
        raise TypeError(not_numeric)
    try:
        array = array.astype(dtype, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(not_numeric) from exc
    allowed = ndim if isinstance(ndim, tuple) else (ndim,)
    if batched and array.ndim < min(allowed):
        raise ValueError(f"{name} must have at least {min(allowed)} dimension(s), "
                         f"got shape {array.shape}")
    if not batched and array.ndim not in allowed:
        expected = " or ".join(str(k) for k in allowed)
        raise ValueError(
            f"{name} must have {expected} dimension(s), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if dtype is float and values:  # a read-only array is checked once
        once_per_array(array, "checked", lambda: check_values(array, name) or True)
    return array


def check_values(array, name):
    """Refuse NaN, inf and entries above :data:`MAX_ABS` in a float array.

    Two reductions (the smallest and largest entry; NaN propagates through
    both) and no temporary of the array's size.
    """
    low, high = float(np.min(array)), float(np.max(array))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    largest = max(-low, high)
    if largest > MAX_ABS:
        raise ValueError(f"{name} must have entries below {MAX_ABS:g} in absolute "
                         f"value (losses and Gram matrices square them), got "
                         f"{largest:.3g}: rescale it")


_REMEMBERED = {}


def _immutable(array):
    """Whether ``array`` and every array it is a view of are read-only."""
    while isinstance(array, np.ndarray):
        if array.flags.writeable:
            return False
        array = array.base
    return True


def _forget(key, ref, remembered=_REMEMBERED):  # bound now: still there at exit
    if remembered.get(key, (None,))[0] is ref:
        del remembered[key]


def once_per_array(array, key, compute):
    """Return ``compute()``, computed once per read-only ``array`` and ``key``.

    For pure functions of an array that cannot change (it and the arrays it
    is a view of are read-only, as a :class:`~linunlearn.Dataset`'s and a
    :class:`~linunlearn.DatasetBatch`'s are): e.g. the eigendecomposition of
    ``X_r X_r^T`` that every k-step iterate of a batch's statistic uses. The
    result is the same array each time (made read-only) and is dropped with
    ``array``. For a writable array ``compute()`` runs every time.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(2)
    >>> X.setflags(write=False)
    >>> once_per_array(X, "trace", lambda: np.trace(X)) is once_per_array(
    ...     X, "trace", lambda: 0.0)
    True
    """
    if not _immutable(array):
        return compute()
    entry = _REMEMBERED.get(id(array))
    if entry is None or entry[0]() is not array:
        ref = weakref.ref(array, functools.partial(_forget, id(array)))
        entry = _REMEMBERED[id(array)] = (ref, {})
    results = entry[1]
    if key not in results:
        value = compute()
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, np.ndarray):
                part.setflags(write=False)
        results[key] = value
    return results[key]


def as_mask(mask, name, d):
    """Return ``mask`` as a boolean vector of length ``d``."""
    array = np.asarray(mask)
    if array.ndim != 1 or array.shape[0] != d:
        raise ValueError(
            f"{name} must be a vector of length d={d}, got shape {array.shape}")
    if array.dtype != bool:
        if not np.all(np.isin(array, (0, 1))):
            raise ValueError(f"{name} must be boolean (or 0/1), got values "
                             f"{np.unique(array)[:5]}")
        array = array.astype(bool)
    return array


def check_int(value, name, *, minimum):
    """Return ``value`` as an int, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_float(value, name, *, minimum=None, maximum=None, strict=False):
    """Return ``value`` as a finite float in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_option(value, name, allowed):
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def available_memory():
    """Bytes of memory a new allocation can have, or ``None`` when unknown.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux: free memory plus what the
    kernel can reclaim), else the free physical pages (``os.sysconf``).
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


#: Allocations below this are not checked (reading the system's figure
#: costs more than they do).
_CHECKED_BYTES = 64 * 2 ** 20


def check_memory(nbytes, what):
    """Refuse, before it starts, work needing about ``nbytes`` more than is available.

    ``what`` says what would be allocated, with the sizes (e.g.
    ``"Scenario.sample: drawing X_r (10000 x 399984)"``); the error adds the
    memory needed and the memory available, so that a user sees the limit
    instead of numpy's "Unable to allocate" traceback (or, on a larger
    machine, swapping).

    Raises
    ------
    ValueError
        If ``nbytes`` exceeds :func:`available_memory`.
    """
    if nbytes < _CHECKED_BYTES:
        return
    available = available_memory()
    if available is not None and nbytes > available:
        raise ValueError(f"{what} needs about {_size(nbytes)} of memory, "
                         f"{_size(available)} available: use smaller sizes")


def _size(nbytes):
    """``nbytes`` in GiB, MiB or KiB, one decimal."""
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if nbytes >= 2 ** power or unit == "KiB":
            return f"{nbytes / 2 ** power:.1f} {unit}"



def as_generator(rng, name="rng"):
    """``numpy.random.default_rng(rng)``, with an error that names the parameter."""
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} must be None, a non-negative int, a SeedSequence "
                        f"or a numpy.random.Generator, got {rng!r}") from None
