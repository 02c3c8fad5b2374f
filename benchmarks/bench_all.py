"""Every speed goal in one run: Monte Carlo, verify, analytic, figures, test suite.

Prints the machine's load (``uptime``) before and after, then each measured
ratio or time with its goal and whether it is met:

1. every Monte Carlo statistic of the verifier and the figures within 1.2x of
   plain batched numpy (``bench_montecarlo.py``, against ``reference.py``);
2. ``linunlearn verify`` with its defaults under 8 s, 1.8x or more on two
   workers, the same evidence (``bench_verify.py``);
3. a full regeneration of the figures (``linunlearn figures --out DIR``) in
   under 60 s, byte for byte the committed ones (``figures/MANIFEST.txt``);
4. the six analytic solutions within 1.3x of one Gram product (wide data) and
   2x (tall data, the normal equations); building a Dataset in one checked
   copy (``bench_solutions.py``);
5. the test suite in under 2 minutes.

Run: ``python benchmarks/bench_all.py [--quick]`` (``--quick``: fewer
repeats; ``--skip figures tests`` leaves those out). The exit status is 1
when a goal is missed.
"""

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_montecarlo  # noqa: E402
import bench_solutions  # noqa: E402
import bench_verify  # noqa: E402

FIGURES_GOAL, TESTS_GOAL = 60.0, 120.0


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed(command, cwd):
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t0, done


def figures():
    """Time a full regeneration and compare every file with the committed figures."""
    committed = ROOT / "figures"
    with tempfile.TemporaryDirectory() as out:
        seconds, done = timed([sys.executable, "-m", "linunlearn", "figures", "--out", out,
                               "--quiet"], ROOT)
        if done.returncode != 0:
            return seconds, f"failed: {done.stderr[-500:]}"
        names = sorted(p.name for p in committed.iterdir() if p.suffix in (".pdf", ".png")
                       or p.name == "MANIFEST.txt")
        _, mismatch, errors = filecmp.cmpfiles(committed, out, names, shallow=False)
    differ = mismatch + errors
    return seconds, ("byte for byte the committed figures" if not differ else
                     f"DIFFERENT from the committed figures: {', '.join(differ)}")


def tests():
    """Time the test suite (as COMMON.md runs it)."""
    seconds, done = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          ROOT)
    return seconds, (done.stdout.strip().splitlines() or ["(no output)"])[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--skip", nargs="*", default=(),
                        choices=("montecarlo", "verify", "analytic", "figures", "tests"))
    args = parser.parse_args(argv)
    print(time.strftime("%Y-%m-%d %H:%M"), "|", uptime())
    ok = True
    if "montecarlo" not in args.skip:
        print("\n1. Monte Carlo")
        ok &= bench_montecarlo.main(["--repeats", "2" if args.quick else "5"]) == 0
    if "verify" not in args.skip:
        print("\n2. verify")
        ok &= bench_verify.main(["--repeats", "1" if args.quick else "3"]) == 0
    if "analytic" not in args.skip:
        print("\n4. Analytic")
        ok &= bench_solutions.report(bench_solutions.rows(2 if args.quick else 3))
    if "figures" not in args.skip:
        seconds, verdict = figures()
        met = seconds < FIGURES_GOAL and verdict.startswith("byte")
        ok &= met
        print(f"\n3. Figures: full regeneration {seconds:.1f} s (goal < {FIGURES_GOAL:g} s), "
              f"{verdict}: {'met' if met else 'MISSED'}")
    if "tests" not in args.skip:
        seconds, summary = tests()
        met = seconds < TESTS_GOAL and "failed" not in summary
        ok &= met
        print(f"\n5. Test suite: {seconds:.1f} s (goal < {TESTS_GOAL:g} s), {summary}: "
              f"{'met' if met else 'MISSED'}")
    print("\n" + time.strftime("%Y-%m-%d %H:%M"), "|", uptime())
    print("all goals met" if ok else "MISSED some goals")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
