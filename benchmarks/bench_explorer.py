"""Benchmark: the explorer's redraw time, against the goal of 0.3 s (a lecture's pace).

A redraw is what the explorer does when a slider is released
(:meth:`linunlearn.explorer.Explorer.redraw` without the widgets): compute
the setting (:func:`linunlearn.explorer.explore`: the batched Monte Carlo
and the exact expectations), draw it (:func:`linunlearn.explorer.draw`) and
encode the PNG the notebook shows (:func:`linunlearn.explorer.to_png`). The
default sizes are the sliders' (``d_r = 60, d_f = 40, n_f = 15``, 100 draws).

The first redraw of a session also derives golden's expectations with sympy
(cached afterwards) and loads matplotlib; it is printed apart. Every later
redraw moves one slider, cycling through settings across the sliders'
ranges (overlap, sample ratio, noise, both masks); each is timed, and the
median and the worst are printed beside the goal, with ``uptime``'s load.

Run: ``python benchmarks/bench_explorer.py [--redraws 30 --trials 100]``.
The exit status is 1 when the median redraw misses the goal.
"""

import argparse
import io
import itertools
import os
import statistics
import time

GOAL = 0.3   # seconds per redraw: a slider must feel immediate in a lecture

SETTINGS = [dict(overlap=o, sample_ratio=r, sigma=s, mask=m)
            for o, r, s, m in itertools.product((0.0, 0.4, 1.0), (0.2, 0.5, 0.9),
                                                (0.0, 0.5), ("support", "salun"))]


def redraw(setting, trials):
    """One redraw; returns ``(compute, draw, png)`` seconds."""
    from linunlearn import explorer
    start = time.perf_counter()
    e = explorer.explore(**setting, trials=trials)
    computed = time.perf_counter()
    fig = explorer.draw(e)
    drawn = time.perf_counter()
    fig.savefig(io.BytesIO(), format="png", dpi=80)
    return computed - start, drawn - computed, time.perf_counter() - drawn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redraws", type=int, default=30)
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), "
          f"{os.getloadavg()[1]:.2f} (5 min)")
    first = sum(redraw(SETTINGS[0], args.trials))
    print(f"first redraw (sympy derivation, matplotlib import): {first:.3f} s")
    times = [redraw(SETTINGS[1 + i % (len(SETTINGS) - 1)], args.trials)
             for i in range(args.redraws)]
    totals = [sum(t) for t in times]
    for name, k in (("compute", 0), ("draw", 1), ("png", 2)):
        print(f"  {name:8s} median {statistics.median(t[k] for t in times):.3f} s")
    median, worst = statistics.median(totals), max(totals)
    print(f"redraw: median {median:.3f} s, worst {worst:.3f} s over {args.redraws} "
          f"redraws ({args.trials} Monte Carlo draws); goal {GOAL} s: "
          f"{'met' if median < GOAL else 'MISSED'}")
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    return 0 if median < GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
