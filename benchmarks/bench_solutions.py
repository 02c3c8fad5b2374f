"""Benchmark: the six analytic solutions against the Gram-product floor and the naive route.

Issue 2, "Speed and memory": for ``n_r = n_f = 500`` and ``d = 20000`` all six
models of :data:`linunlearn.solutions.PAPER_METHODS` (with the data set's
factorisation) should take within 2x of one Gram product ``X X^T`` of the
stacked data, be at least 10x faster than ``numpy.linalg.pinv`` of the full
matrices, and use O(n d) memory.

Run: ``python benchmarks/bench_solutions.py [--n-r 500 --n-f 500 --d 20000 --repeats 3]``
"""

import argparse
import time
import tracemalloc

import numpy as np

import linunlearn as lu
from linunlearn.solutions import PAPER_METHODS


def best_of(fn, repeats):
    """Best wall-clock time of ``repeats`` calls (and the last result)."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_arrays(n_r, n_f, d, seed):
    """Overlapping supports (d_lap = d/5) filling all d coordinates."""
    d_lap = d // 5
    d_r = (d + d_lap) // 2
    d_f = d + d_lap - d_r
    scenario = lu.Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, n_test=1)
    arrays = scenario.draw_arrays(rng=seed)
    keep = ("X_r", "y_r", "X_f", "y_f")
    return {k: arrays[k] for k in keep}, scenario


def analytic(arrays, scenario):
    data = lu.Dataset(**arrays, support_r=scenario.support_r,
                      support_f=scenario.support_f)
    return {m: lu.solve(data, m).w for m in PAPER_METHODS}


def naive(arrays, scenario):
    """The textbook route: numpy.linalg.pinv of the full matrices, per model."""
    X_r, y_r, X_f, y_f = (arrays[k] for k in ("X_r", "y_r", "X_f", "y_f"))
    X, y = np.vstack([X_r, X_f]), np.concatenate([y_r, y_f])
    w_o = np.linalg.pinv(X) @ y
    out = {"pretrained": w_o}
    pinv_r = np.linalg.pinv(X_r)
    out["finetune"] = w_o + np.linalg.pinv(X_r) @ (y_r - X_r @ w_o)
    out["golden"] = pinv_r @ y_r
    m_r, m_f = scenario.support_r, ~scenario.support_f
    out["rbm"] = m_r * w_o + np.linalg.pinv(X_r) @ (y_r - X_r @ (m_r * w_o))
    out["fbm"] = m_f * w_o + np.linalg.pinv(X_r) @ (y_r - X_r @ (m_f * w_o))
    out["projection"] = np.linalg.pinv(X_r) @ (X_r @ w_o)
    return out


def peak_memory(fn):
    """Peak traced allocation (bytes) of one call."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-r", type=int, default=500)
    parser.add_argument("--n-f", type=int, default=500)
    parser.add_argument("--d", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    arrays, scenario = make_arrays(args.n_r, args.n_f, args.d, args.seed)
    X = np.vstack([arrays["X_r"], arrays["X_f"]])
    n, d = X.shape
    print(f"n_r={args.n_r}, n_f={args.n_f}, d={d}; best of {args.repeats} "
          f"(naive: {args.naive_repeats})")

    t_floor, _ = best_of(lambda: X @ X.T, args.repeats)
    t_fast, fast = best_of(lambda: analytic(arrays, scenario), args.repeats)
    t_naive, slow = best_of(lambda: naive(arrays, scenario), args.naive_repeats)

    print(f"floor (one Gram product X X^T, {n}x{d}):   {t_floor:8.3f} s")
    print(f"six analytic solutions (incl. factorisation): {t_fast:8.3f} s   "
          f"{t_fast / t_floor:5.2f}x the floor (goal <= 2x)")
    print(f"naive route (numpy.linalg.pinv per model):   {t_naive:8.3f} s   "
          f"speed-up {t_naive / t_fast:5.1f}x (goal >= 10x)")

    # both routes agree: relative to the weights' size; the Gram route loses
    # about cond(X)^2 * eps (cond(X) ~ (sqrt(d)+sqrt(n))/(sqrt(d)-sqrt(n)) ~ 1.6 here)
    worst = 0.0
    for m in PAPER_METHODS:
        err = np.max(np.abs(fast[m] - slow[m])) / np.max(np.abs(slow[m]))
        worst = max(worst, err)
        print(f"  {m:<11} max relative deviation {err:.2e}")
    agree = worst < 1e-8
    print(f"routes agree (max relative deviation {worst:.2e} < 1e-8): {agree}")

    data_bytes = X.nbytes  # the stacked data: n d doubles
    peak = peak_memory(lambda: analytic(arrays, scenario))
    print(f"peak memory of the analytic route: {peak / 2**20:8.1f} MiB = "
          f"{peak / data_bytes:.2f} x the data (n d = {data_bytes / 2**20:.1f} MiB); "
          f"a d x d matrix would be {d * d * 8 / 2**30:.1f} GiB")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
