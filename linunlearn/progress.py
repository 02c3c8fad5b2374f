"""One progress reporter for long work: verify, compare, figures and sweeps.

Progress    a tqdm bar on standard error, drawn only on a terminal and when enabled

The bar never writes to standard output (JSON and tables stay clean), is
silent when standard error is not a terminal (logs, pipes, the test suite)
and with ``enabled=False`` (``--quiet``, JSON output).
"""

import sys

__all__ = ["Progress"]


class Progress:
    """A progress bar over the steps of one job.

    Parameters
    ----------
    total : int or None
        Number of steps; ``None`` when the job learns it as it goes (it is
        then given by the first :meth:`__call__`).
    label : str
        What is running (the bar's prefix).
    enabled : bool
        ``False`` draws nothing (``--quiet``, JSON output).

    Examples
    --------
    >>> with Progress(3, "demo", enabled=False) as bar:
    ...     for step in range(3):
    ...         bar.update(f"step {step}")
    ...
    >>> bar.done
    3
    >>> callback = Progress(None, "figure", enabled=False)
    >>> callback(2, 5); callback.done, callback.total
    (2, 5)
    """

    def __init__(self, total, label, *, enabled=True):
        self.total, self.label, self.done = total, label, 0
        self._draw = enabled and sys.stderr.isatty()
        self._bar = None

    def _ensure_bar(self):
        if self._draw and self._bar is None and self.total is not None:
            from tqdm import tqdm  # imported on use: only terminals draw bars
            self._bar = tqdm(total=self.total, desc=self.label, file=sys.stderr,
                             leave=False, dynamic_ncols=True, unit="step")

    def update(self, text=None, steps=1):
        """Count ``steps`` more steps done; ``text`` says what was just done."""
        self.done += steps
        self._ensure_bar()
        if self._bar is not None:
            if text:
                self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(steps)

    def __call__(self, done, total=None):
        """Callback form ``progress(done, total)``: set the count of steps done."""
        if total is not None and self.total is None:
            self.total = int(total)
        self.update(steps=done - self.done)

    def close(self):
        """Remove the bar from the terminal."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
