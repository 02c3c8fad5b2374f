"""Where jobs run: in this process, in worker processes, or on a Dask cluster.

processors      the processors this process may run on
useful_workers  the worker processes worth starting for some jobs, and why fewer
executor        the executor of ``--workers`` / ``--scheduler`` (a context manager)
run_jobs        apply a function to jobs wherever they run; results in job order

The verifier, the claim map and sweeps hand independent jobs to
:func:`run_jobs`. Every job draws its random numbers from seeds of its own
(:func:`linunlearn.montecarlo.seed_sequence`), so results are the same bytes
whatever the executor, the number of workers or the order in which jobs
finish. Worker processes are forked, so claims, methods and figures a user
declared before the run exist in them too. Dask (``pip install
"linunlearn[dask]"``) is imported only when a scheduler is asked for.
"""

import concurrent.futures
import contextlib
import multiprocessing
import os
import pickle
import signal

from ._validation import LinunlearnWarning, check_int, warn

__all__ = ["processors", "useful_workers", "executor", "run_jobs"]


def processors():
    """The number of processors this process may run on.

    Examples
    --------
    >>> processors() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def useful_workers(workers, jobs=None):
    """The worker processes worth starting, and a note when fewer than asked.

    More processes than processors only add switching and memory, and more
    than jobs stay idle.

    Parameters
    ----------
    workers : int
        Asked for (at least 1).
    jobs : int, optional
        How many independent jobs there are.

    Returns
    -------
    (int, str)
        The number to start, and ``""`` or a note saying why it is fewer.

    Examples
    --------
    >>> useful_workers(1, jobs=5)
    (1, '')
    >>> n, note = useful_workers(10 ** 6)
    >>> n == processors(), note.startswith("--workers 1000000: ")
    (True, True)
    """
    workers = check_int(workers, "workers", minimum=1)
    n, note = workers, ""
    if workers > processors():
        n = processors()
        note = (f"--workers {workers}: using {n}, the processors this machine gives the "
                f"run (more would only compete for them)")
    if jobs is not None:
        n = max(1, min(n, jobs))
    return n, note


def _ignore_interrupt():
    # Ctrl-C reaches the whole process group: the parent alone handles it
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Seconds to wait for a Dask scheduler's answer before saying it cannot be reached.
CONNECT_TIMEOUT = 5.0


def _dask_client(scheduler):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ValueError(f"--scheduler {scheduler}: Dask is not installed; install it with "
                         f"pip install \"linunlearn[dask]\"") from exc
    if scheduler.startswith("local:"):
        count = scheduler.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--scheduler {scheduler}: expected local:N with N >= 1 "
                             f"workers, e.g. local:2")
        cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT}s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                         f"({exc})") from exc


@contextlib.contextmanager
def executor(workers=1, scheduler=None, *, jobs=None):
    """The executor that runs jobs: ``None`` (this process), processes, or Dask.

    Parameters
    ----------
    workers : int
        Local worker processes (``1``: run in this process). Capped by
        :func:`useful_workers`.
    scheduler : str, optional
        A Dask scheduler: ``"local:N"`` starts a ``LocalCluster`` of ``N``
        single-threaded worker processes for the duration; any other value
        is the address of a running scheduler (``"tcp://host:8786"``).
        ``workers`` is then ignored.
    jobs : int, optional
        The number of jobs, to start no more workers than jobs.

    Yields
    ------
    concurrent.futures.Executor or None

    Examples
    --------
    >>> with executor(1) as ex:
    ...     ex is None
    ...
    True
    """
    if scheduler is not None:
        client, cluster = _dask_client(str(scheduler))
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    n, _ = useful_workers(workers, jobs)
    if n == 1:
        yield None
        return
    context = (multiprocessing.get_context("fork")
               if "fork" in multiprocessing.get_all_start_methods() else None)
    pool = concurrent.futures.ProcessPoolExecutor(n, mp_context=context,
                                                  initializer=_ignore_interrupt)
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    else:
        pool.shutdown()


def _stop(pool):
    """Stop a process pool now: cancel what waits, end what runs (after Ctrl-C)."""
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.terminate()


def _unpicklable(function, jobs):
    """Why ``function`` and its jobs cannot go to worker processes, or ``""``."""
    try:
        pickle.dumps((function, jobs))
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        return str(exc)
    return ""


def run_jobs(function, jobs, executor=None, *, done=None):
    """Apply ``function`` to every job; return the results in job order.

    Parameters
    ----------
    function : callable
        A module-level function (it is sent to worker processes by name).
    jobs : sequence
        Its arguments, one per call.
    executor : concurrent.futures.Executor, optional
        ``None`` runs the jobs here, one after the other.
    done : callable, optional
        ``done(index, result)`` is called in this process as each job
        finishes (in the order they finish), e.g. to save it at once or to
        move a progress bar. After an interruption (Ctrl-C) every finished
        job has been handed to it.

    Returns
    -------
    list

    Examples
    --------
    >>> run_jobs(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    jobs = list(jobs)
    results = [None] * len(jobs)
    if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        reason = _unpicklable(function, jobs)
        if reason:
            warn(f"the jobs cannot be sent to worker processes ({reason}); running them "
                 f"in this process: define your claims' and methods' functions at module "
                 f"level to run them in parallel", LinunlearnWarning)
            executor = None
    if executor is None:
        for i, job in enumerate(jobs):
            results[i] = function(job)
            if done is not None:
                done(i, results[i])
        return results
    futures = {executor.submit(function, job): i for i, job in enumerate(jobs)}
    try:
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if done is not None:
                done(i, results[i])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return results
