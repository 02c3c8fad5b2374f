"""Benchmark: the six analytic solutions against the Gram-product floor, and building a Dataset.

The goals:

- *wide data* (``n_r = n_f = 500``, ``d = 20000``): all six models of
  :data:`linunlearn.solutions.PAPER_METHODS` on a fresh Dataset (its
  factorisation included) within ``WIDE_GOAL`` times one Gram product
  ``X X^T`` of the stacked data (numpy, default threads), whatever the load;
  and at least ``SPEEDUP_GOAL`` times faster than ``numpy.linalg.pinv`` of the
  full matrices (``--naive``: it takes a minute), in O(n d) memory;
- *tall data* (``n_r = 4000``, ``n_f = 1000``, ``d = 500``, both sets on
  every feature): the same six models through the d x d normal equations
  within ``TALL_GOAL`` times one d x d Gram product ``X^T X``;
- *building a Dataset* from the arrays: one checked copy, measured against a
  bare copy (``numpy.concatenate``) and in peak memory (at most the copy and
  a few blocks besides).

Every route is checked against numpy's SVD (``lstsq`` or ``pinv``). Each time
is the best of ``--repeats`` runs. Run: ``python benchmarks/bench_solutions.py
[--repeats 3 --naive]``; the exit status is 1 when a goal is missed.
"""

import argparse
import time
import tracemalloc

import numpy as np

import linunlearn as lu
from linunlearn.solutions import PAPER_METHODS

#: The goals: six solutions within this many Gram products (wide data, n x n;
#: tall data, d x d), this speed-up over numpy's pinv and a peak memory of
#: this many times the n x d data.
WIDE_GOAL, TALL_GOAL, SPEEDUP_GOAL, MEMORY_GOAL = 1.3, 2.0, 10.0, 3.0
#: A Dataset's construction (checks included) within this many bare copies.
BUILD_GOAL = 2.0


def best_of(fn, repeats):
    """Best wall-clock time of ``repeats`` calls (and the last result)."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_arrays(n_r, n_f, d, seed, d_lap=None):
    """Overlapping supports filling all d coordinates (``d_lap`` default d/5).

    With ``d_lap = d`` both sets use every feature: ``X_r`` has full column
    rank when ``n_r >= d`` (with unused features ``X_r^T X_r`` is singular
    and the SVD answers).
    """
    d_lap = d // 5 if d_lap is None else d_lap
    d_r = (d + d_lap) // 2
    d_f = d + d_lap - d_r
    scenario = lu.Scenario.overlapping(d_r, d_f, d_lap, n_r, n_f, n_test=1, sigma=0.1)
    arrays = scenario.draw_arrays(rng=seed)
    keep = ("X_r", "y_r", "X_f", "y_f")
    return {k: arrays[k] for k in keep}, scenario


def dataset(arrays, scenario):
    """The Dataset (checked, read-only copy of the arrays): factorised on first use."""
    return lu.Dataset(**arrays, support_r=scenario.support_r,
                      support_f=scenario.support_f)


def solve_six(data):
    """The six analytic solutions, the first call factorising the data set."""
    return {m: lu.solve(data, m).w for m in PAPER_METHODS}


def reference(arrays, scenario):
    """numpy's SVD route: pinv of the full matrices, each computed once."""
    X_r, y_r, X_f, y_f = (arrays[k] for k in ("X_r", "y_r", "X_f", "y_f"))
    X, y = np.vstack([X_r, X_f]), np.concatenate([y_r, y_f])
    pinv_r = np.linalg.pinv(X_r)
    w_o = np.linalg.pinv(X) @ y

    def gd_limit(w0):  # w0 + X_r^+ (y_r - X_r w0)
        return w0 + pinv_r @ (y_r - X_r @ w0)

    m_r, m_f = scenario.support_r, ~scenario.support_f
    return {"pretrained": w_o, "finetune": gd_limit(w_o), "golden": pinv_r @ y_r,
            "rbm": gd_limit(m_r * w_o), "fbm": gd_limit(m_f * w_o),
            "projection": pinv_r @ (X_r @ w_o)}


def six_against(arrays, scenario, floor, repeats):
    """Best time of the six solutions on fresh Datasets (construction not counted)."""
    best, out = np.inf, None
    for _ in range(repeats):
        data = dataset(arrays, scenario)
        t0 = time.perf_counter()
        out = solve_six(data)
        best = min(best, time.perf_counter() - t0)
        del data
    return best, out


def deviation(fast, slow):
    """Largest deviation relative to each model's largest weight."""
    return max(np.max(np.abs(fast[m] - slow[m])) / np.max(np.abs(slow[m]))
               for m in PAPER_METHODS)


def peak_memory(fn):
    """Peak traced allocation (bytes) of one call."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def rows(repeats=3, naive=False, seed=0):
    """Measure every goal; return ``(label, value, goal text, met)`` rows."""
    import warnings
    out = []
    # wide data: n = 1000 <= d = 20000
    arrays, scenario = make_arrays(500, 500, 20000, seed)
    X = np.vstack([arrays["X_r"], arrays["X_f"]])
    t_floor, _ = best_of(lambda: X @ X.T, repeats)
    t_six, fast = six_against(arrays, scenario, t_floor, repeats)
    # the floor again, after: the load may have changed meanwhile
    t_floor = min(t_floor, best_of(lambda: X @ X.T, repeats)[0])
    out.append((f"wide 1000x20000: six solutions / one X X^T ({t_six:.3f} s / "
                f"{t_floor:.3f} s)", t_six / t_floor, f"<= {WIDE_GOAL:g}x",
                t_six / t_floor <= WIDE_GOAL))
    if naive:
        t_naive, slow = best_of(lambda: reference(arrays, scenario), 1)
        out.append((f"wide: numpy pinv route / six solutions ({t_naive:.1f} s)",
                    t_naive / t_six, f">= {SPEEDUP_GOAL:g}x", t_naive / t_six >= SPEEDUP_GOAL))
        # the Gram route loses about cond(X)^2 eps, cond(X) ~ 1.6 here
        dev = deviation(fast, slow)
        out.append(("wide: largest relative deviation from numpy's pinv", dev, "< 1e-8",
                    dev < 1e-8))
    peak = peak_memory(lambda: solve_six(dataset(arrays, scenario))) / X.nbytes
    out.append(("wide: peak memory of building and solving / the data", peak,
                f"<= {MEMORY_GOAL:g}x", peak <= MEMORY_GOAL))
    t_copy, _ = best_of(lambda: np.concatenate([arrays["X_r"], arrays["X_f"]]), repeats)
    t_build, _ = best_of(lambda: dataset(arrays, scenario), repeats)
    out.append((f"wide: building a Dataset / a bare copy ({t_build:.3f} s / "
                f"{t_copy:.3f} s)", t_build / t_copy, f"<= {BUILD_GOAL:g}x",
                t_build / t_copy <= BUILD_GOAL))
    extra = (peak_memory(lambda: dataset(arrays, scenario)) - X.nbytes) / X.nbytes
    out.append(("wide: building a Dataset, memory besides its copy / the data", extra,
                "<= 0.05 (blocks only)", extra <= 0.05))
    del X, arrays
    # tall data: n = 5000 > d = 500, the normal equations
    arrays, scenario = make_arrays(4000, 1000, 500, seed, d_lap=500)
    X = np.vstack([arrays["X_r"], arrays["X_f"]])
    t_floor, _ = best_of(lambda: X.T @ X, repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.IllConditionedWarning)  # n > d: rank n is impossible
        t_six, fast = six_against(arrays, scenario, t_floor, repeats)
        routes = [r.method for r in dataset(arrays, scenario).rows]
    t_floor = min(t_floor, best_of(lambda: X.T @ X, repeats)[0])
    out.append((f"tall 5000x500 ({'/'.join(routes)}): six solutions / one X^T X "
                f"({t_six:.3f} s / {t_floor:.3f} s)", t_six / t_floor,
                f"<= {TALL_GOAL:g}x", t_six / t_floor <= TALL_GOAL))
    t_svd, slow = best_of(lambda: reference(arrays, scenario), 1)
    dev = deviation(fast, slow)
    # normal equations: cond(X)^2 eps, cond(X) ~ 1.6 here
    out.append((f"tall: largest relative deviation from numpy's pinv (pinv route "
                f"{t_svd:.2f} s)", dev, "< 1e-8", dev < 1e-8))
    return out


def report(out):
    """Print the rows; return whether every goal is met."""
    for label, value, goal, met in out:
        print(f"  {label:<78} {value:9.3g}  goal {goal:<22} {'met' if met else 'MISSED'}")
    return all(met for *_, met in out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive", action="store_true",
                        help="also time numpy's pinv route on the wide data (a minute)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"Analytic solutions (best of {args.repeats}):")
    ok = report(rows(args.repeats, args.naive, args.seed))
    print("all goals met" if ok else "MISSED some goals")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
