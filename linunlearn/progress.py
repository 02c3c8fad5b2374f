"""One progress reporter for long work: verify, compare, figures and sweeps.

Progress    a tqdm bar on standard error, drawn only on a terminal and when enabled

The bar never writes to standard output (JSON and tables stay clean), is
silent when standard error is not a terminal (logs, pipes, the test suite)
and with ``enabled=False`` (``--quiet``).
"""

import sys

__all__ = ["Progress"]


class Progress:
    """A progress bar over ``total`` steps of one job.

    Parameters
    ----------
    total : int
        Number of steps.
    label : str
        What is running (the bar's prefix).
    enabled : bool
        ``False`` draws nothing (``--quiet``, JSON output).

    Examples
    --------
    >>> with Progress(3, "demo", enabled=False) as bar:
    ...     for step in range(3):
    ...         bar.update(f"step {step}")
    >>> bar.done
    3
    """

    def __init__(self, total, label, *, enabled=True):
        self.total, self.label, self.done = int(total), label, 0
        self._bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm  # imported on use: only terminals draw bars
            self._bar = tqdm(total=self.total, desc=label, file=sys.stderr,
                             leave=False, dynamic_ncols=True, unit="step")

    def update(self, text=None, steps=1):
        """Count ``steps`` more steps done; ``text`` says what was just done."""
        self.done += steps
        if self._bar is not None:
            if text:
                self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(steps)

    def __call__(self, done, total=None):
        """Callback form: set the count of steps done (``total`` ignored)."""
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
