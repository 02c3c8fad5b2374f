"""Where results are written: paths checked before the work, files written whole.

check_file      the folder of an output file exists and is writable, and the path is no folder
check_folder    an output folder is (or can be made) a writable folder
write_text      write a text file atomically (a temporary file, then a rename)
write_bytes     the same for bytes
write_json      a JSON document, atomically

A long run must not end in a traceback because its output cannot be
written: commands check every output path before they start, naming the
option that gave it. A file is first written to a temporary file in the
same folder and then renamed over the target, so that a reader (or an
interrupted run) never sees half a file.
"""

import json
import os
import tempfile

__all__ = ["check_file", "check_folder", "write_text", "write_bytes", "write_json"]


def _writable_folder(folder):
    """Whether a file can be created in ``folder`` (tried: permission bits lie to root)."""
    if not os.path.isdir(folder):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def check_file(path, option="path"):
    """Check that a file can be written at ``path``; return the path.

    Parameters
    ----------
    path : str or os.PathLike
    option : str
        How the user gave the path (``"--json"``), for the error message.

    Raises
    ------
    ValueError
        If ``path`` is empty, names a folder (or ends with a separator), or
        its folder is missing or not writable.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_file(folder, "--json")
    Traceback (most recent call last):
    ...
    ValueError: --json ...: is a folder; give a file name, e.g. .../evidence.json
    """
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{option}: the path is empty")
    if os.path.isdir(path) or path.endswith(os.sep):
        raise ValueError(f"{option} {path}: is a folder; give a file name, e.g. "
                         f"{os.path.join(path, 'evidence.json')}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {path}: its folder {folder} does not exist")
    if not _writable_folder(folder):
        raise ValueError(f"{option} {path}: its folder {folder} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{option} {path}: the file exists and is not writable")
    return path


def check_folder(path, option="path"):
    """Check that ``path`` is a writable folder, or can be made one; return the path.

    A missing folder is fine when its parent is a writable folder (it is
    created when written to).

    Raises
    ------
    ValueError
        If ``path`` is empty, is a file, or cannot be created or written.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_folder(os.path.join(folder, "figs"), "--out") == os.path.join(folder, "figs")
    True
    >>> with open(os.path.join(folder, "notes.md"), "w"):
    ...     pass
    ...
    >>> check_folder(os.path.join(folder, "notes.md"), "--out")
    Traceback (most recent call last):
    ...
    ValueError: --out .../notes.md: is a file, not a folder
    """
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{option}: the path is empty")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} {path}: is a file, not a folder")
    if os.path.isdir(path):
        if not _writable_folder(path):
            raise ValueError(f"{option} {path}: the folder is not writable")
        return path
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):  # created with its missing parents
        parent = os.path.dirname(parent)
    if not _writable_folder(parent):
        raise ValueError(f"{option} {path}: cannot create it ({parent} is not a "
                         f"writable folder)")
    return path


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically: all of it or, on any error, nothing.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> write_bytes(path, b"abc")
    >>> with open(path, "rb") as fh:
    ...     fh.read()
    ...
    b'abc'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path`` atomically.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.json")
    >>> write_json(path, {"a": 1})
    >>> with open(path) as fh:
    ...     json.load(fh)
    ...
    {'a': 1}
    """
    write_text(path, json.dumps(obj, indent=2) + "\n")


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
