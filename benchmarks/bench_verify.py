"""``linunlearn verify`` on its defaults: wall time, speed-up on two workers, the cache.

Runs the command as a user does (a new process each time, ``--json`` to
compare the evidence) and prints:

- the wall time with the defaults (every processor), goal under 8 s on a
  2-core machine, the symbolic cache warm;
- one worker against two: the ratio of the run's own times (goal 1.8x or
  more) and whether the evidence is the same;
- a cold cache (sympy derives and proves everything) against a warm one.

Run: ``python benchmarks/bench_verify.py [--repeats N]``; the minimum of
interleaved repeats is reported, with ``uptime`` before and after.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

GOAL_SECONDS, GOAL_RATIO = 8.0, 1.8


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(args, cache):
    """Wall time, the run's own time and the evidence of one ``linunlearn verify``."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "evidence.json")
        env = {**os.environ, "LINUNLEARN_CACHE": cache}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "linunlearn", "verify", "--quiet",
                               "--json", path, *args], capture_output=True, text=True,
                              env=env)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"verify {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        with open(path) as fh:
            evidence = json.load(fh)
    return wall, evidence["seconds"], evidence["claims"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(time.strftime("%Y-%m-%d %H:%M"), "|", uptime())
    with tempfile.TemporaryDirectory() as cache:
        cold = run([], cache)  # fills the cache
        best = {}
        for _ in range(args.repeats):  # interleaved
            for name, extra in (("default", []), ("1 worker", ["--workers", "1"]),
                                ("2 workers", ["--workers", "2"])):
                wall, own, claims = run(extra, cache)
                if name in best and claims != best[name][2]:
                    raise SystemExit(f"{name}: the evidence changed between repeats")
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, own, claims)
    same = best["1 worker"][2] == best["2 workers"][2] == best["default"][2] == cold[2]
    wall = best["default"][0]
    ratio = best["1 worker"][1] / best["2 workers"][1]
    print(f"defaults, warm cache: {wall:.2f} s wall (goal < {GOAL_SECONDS:g} s): "
          f"{'met' if wall < GOAL_SECONDS else 'MISSED'}")
    print(f"1 worker {best['1 worker'][1]:.2f} s / 2 workers {best['2 workers'][1]:.2f} s "
          f"(the runs' own times) = {ratio:.2f}x (goal >= {GOAL_RATIO:g}x): "
          f"{'met' if ratio >= GOAL_RATIO else 'MISSED'}")
    print(f"the same evidence for 1 and 2 workers, the defaults and a cold cache: {same}")
    print(f"cold cache {cold[0]:.2f} s wall, warm {wall:.2f} s: the cache saves "
          f"{cold[0] - wall:.2f} s")
    print(time.strftime("%Y-%m-%d %H:%M"), "|", uptime())
    ok = wall < GOAL_SECONDS and ratio >= GOAL_RATIO and same
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
