"""Results worth computing once: the symbolic proofs' verdicts, kept on disk.

folder          where the cache lives (``LINUNLEARN_CACHE``; ``off`` switches it off)
fingerprint     what the cached results depend on: the package, its symbolic sources, sympy
load            a cached value, or ``None``
store           keep a value (written atomically)
clear           remove every cached value

Sympy takes seconds to prove what does not change between runs; a run of
``linunlearn verify`` reads the verdicts back instead. A value is keyed by
its name and by :func:`fingerprint`: the package version, a hash of the
modules that produce symbolic results (``theory``, ``symbolic``, ``proofs``)
and the sympy version. Any change to one of them is a new key, so a stale
value is never read. ``tests/test_cache.py`` recomputes every cached proof
and compares it with what the cache holds.
"""

import functools
import hashlib
import importlib.metadata
import json
import os

from . import outputs

__all__ = ["folder", "fingerprint", "load", "store", "clear"]

#: The modules whose source decides the symbolic results.
SOURCES = ("theory.py", "symbolic.py", "proofs.py")


def folder():
    """The cache folder, or ``None`` when caching is off.

    ``$LINUNLEARN_CACHE`` if set (``off``, ``0`` or ``""``: no cache), else
    ``$XDG_CACHE_HOME/linunlearn`` or ``~/.cache/linunlearn``.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"LINUNLEARN_CACHE": "off"}):
    ...     folder() is None
    ...
    True
    """
    chosen = os.environ.get("LINUNLEARN_CACHE")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "0", "off", "no") else chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                              ".cache")
    return os.path.join(base, "linunlearn")


@functools.cache
def fingerprint():
    """A short hash of what cached results depend on.

    Examples
    --------
    >>> len(fingerprint())
    16
    """
    h = hashlib.sha256()
    for package in ("linunlearn", "sympy"):
        try:
            h.update(importlib.metadata.version(package).encode())
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            h.update(b"?")
    here = os.path.dirname(os.path.abspath(__file__))
    for name in SOURCES:
        with open(os.path.join(here, name), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def _path(name):
    where = folder()
    if where is None:
        return None
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return os.path.join(where, f"{safe}-{fingerprint()}.json")


def load(name):
    """The value stored under ``name`` for this :func:`fingerprint`, or ``None``.

    An unreadable or damaged file counts as absent.
    """
    path = _path(name)
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def store(name, value):
    """Keep ``value`` (JSON-ready) under ``name``; quietly do nothing if the folder is not writable."""
    path = _path(name)
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        outputs.write_json(path, value)
    except OSError:
        pass  # a cache that cannot be written is only a slower run


def clear():
    """Remove every cached value; return how many files were removed."""
    where = folder()
    if where is None or not os.path.isdir(where):
        return 0
    removed = 0
    for name in os.listdir(where):
        if name.endswith(".json"):
            os.remove(os.path.join(where, name))
            removed += 1
    return removed
