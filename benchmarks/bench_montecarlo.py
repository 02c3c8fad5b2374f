"""Benchmark: every Monte Carlo statistic against plain batched numpy (``reference.py``).

The goal: each statistic that ``linunlearn verify`` (the paper's
claims and the families') and the figures run should take at most
``GOAL`` times the plain batched numpy of ``reference.py`` computing the same
numbers from the same seeds. One case per statistic and model provider (the
first regime the verifier runs it on), plus the figures' statistics; the
gradient-descent runs (C0 and the identities' twins, a few draws each) are
iterations, not batched closed forms, and are timed by ``bench_verify.py``. Both
sides run one chunk of ``--trials`` trials on one BLAS thread, from the
spawning of the seeds on: the package through
:func:`linunlearn.montecarlo.run_trials` (sampling, the statistic, warning
capture), the reference through ``reference.Draws`` and its statistic. Each
time is the minimum of ``--repeats`` interleaved runs. The numbers must agree
(relative ``RTOL``, absolute ``ATOL`` for statistics that are round-off-sized
deviations); a case where they do not is reported and fails the run.

Run: ``python benchmarks/bench_montecarlo.py [--trials 250 --repeats 5 --only NAME]``;
the exit status is 1 when a goal is missed or a case disagrees.
"""

import argparse
import functools
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference as ref  # noqa: E402

from linunlearn import claims, families, montecarlo, verifier  # noqa: E402
from linunlearn._linalg import one_blas_thread  # noqa: E402
from linunlearn.figures import data as figdata  # noqa: E402
from linunlearn.regimes import flat_scenario, map_regimes  # noqa: E402
from linunlearn.scenarios import Scenario  # noqa: E402

#: The goal: at most this many times the plain-numpy reference.
GOAL = 1.2
#: Agreement of the two routes: relative, and absolute for statistics that
#: are round-off-sized deviations (identities: at most ~1e-12 on both sides).
RTOL, ATOL = 1e-7, 1e-9

_HELD_OUT = {"stat_rbm_disparity"}  # the statistics that read the held-out sets


def _provider(models):
    """The reference's model provider for a package provider."""
    if models is None:
        return ref.paper
    if isinstance(models, families.RidgeModels):
        return ref.ridge(models.lam)
    return ref.early(models.steps, models.pre_steps)


def _reference(statistic, models):
    """The reference of a check's statistic (a function of ``Draws``)."""
    keywords = {}
    if isinstance(statistic, functools.partial):
        keywords, statistic = statistic.keywords, statistic.func
    name = statistic.__name__
    fn = getattr(ref, name)
    if "fbm" in keywords:  # a partial FBM mask: its ratio
        keywords = {"fbm": keywords["fbm"]["ratio"]}
    if name.startswith("stat_ridge_"):
        return name, lambda D: fn(D, models.lam)
    if name.startswith("stat_early_"):
        return name, lambda D: fn(D, models.pre_steps)
    return name, lambda D: fn(D, _provider(models), **keywords)


def verifier_cases():
    """One case per (statistic, model provider): the first regime the verifier runs it on."""
    todo = verifier.entries()
    for family in families.FAMILIES.values():
        todo += family.entries()
    seen, out = set(), []
    for entry in todo:
        scenario = entry.regime.scenario
        reason = entry.reason or (entry.claim.premise(scenario)
                                  if entry.claim.premise else None)
        if reason:
            continue
        for check in entry.claim.checks:
            if check.stream == claims.GD_STREAM:
                continue
            name, reference = _reference(check.statistic, entry.models)
            variant = check.statistic.keywords if isinstance(
                check.statistic, functools.partial) else {}
            key = (name, repr(variant), type(entry.models).__name__,
                   getattr(entry.models, "pre_steps", None))
            if key in seen:
                continue
            seen.add(key)
            statistic = (check.statistic if entry.models is None else
                         functools.partial(check.statistic, models=entry.models))
            label = f"{check.name} [{entry.regime.name}]"
            out.append((label, scenario, statistic, reference, name in _HELD_OUT,
                        (check.name, entry.regime.name)))
    return out


def figure_cases():
    """The statistics of the figures (sweeps, claim map, regime gaps)."""
    flat = flat_scenario()
    lams = (0.0, *np.logspace(-4, 2, 13))
    steps = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    cell = map_regimes((0.5,), (0.5,))[0]  # a cell of the figure's 11 x 9 grid
    out = [("figure sweeps: six models", flat_scenario(d_lap=24), figdata._paper_metrics,
            ref.stat_paper_metrics, False, ("overlap_sweep", "0.6")),
           ("claim map cell: C5.disparity", cell.scenario, claims.stat_rbm_disparity,
            lambda D: ref.stat_rbm_disparity(D, ref.paper), True,
            ("C5.disparity", cell.name)),
           ("regime gaps (a): ridge curve", flat,
            functools.partial(families._stat_ridge_curve, lams=lams,
                              steps=families.RIDGE_STEPS),
            lambda D: ref.stat_ridge_curve(D, lams), False, ("ridge_curve",)),
           ("regime gaps (b): early-stopping paths", flat,
            functools.partial(families._stat_path, steps=steps),
            lambda D: ref.stat_path(D, steps), False, ("early_stopping_path",))]
    for n_r in (10, 30):
        s = Scenario.overlapping(20, 20, 20, n_r, 5, sigma=0.3)
        out.append((f"regime gaps (c): transition n_r={n_r}", s, families._stat_transition,
                    ref.stat_transition, False, ("transition", n_r)))
    return out


def _time(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def run_case(case, trials, repeats):
    label, scenario, statistic, reference, held_out, labels = case
    seq = montecarlo.seed_sequence(0, *labels)

    def package():
        return montecarlo.run_trials(statistic, scenario, trials, seq)

    def plain():
        children = np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key
                                          ).spawn(trials)
        with one_blas_thread():
            return reference(ref.Draws(scenario, children, held_out))

    t_pkg = t_ref = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):  # interleaved
            t, a = _time(package, 1)
            t_pkg = min(t_pkg, t)
            t, b = _time(plain, 1)
            t_ref = min(t_ref, t)
    a, b = np.asarray(a, float), np.asarray(b, float)
    deviation = np.abs(a - b)
    agree = bool(np.all(deviation <= ATOL + RTOL * np.abs(b)))
    scale = np.max(np.abs(b)) if b.size else 0.0
    return t_pkg, t_ref, agree, float(np.max(deviation)), float(scale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=None, help="cases whose label contains this")
    args = parser.parse_args(argv)
    cases = verifier_cases() + figure_cases()
    if args.only:
        cases = [c for c in cases if args.only in c[0]]
    print(f"Monte Carlo statistics: {args.trials} trials a chunk, best of "
          f"{args.repeats} interleaved runs, one BLAS thread; goal <= {GOAL:g}x "
          f"plain batched numpy (benchmarks/reference.py)")
    print(f"{'statistic [regime]':<62} {'package':>9} {'numpy':>9} {'ratio':>6}  "
          f"goal  agree (max deviation / scale)")
    missed, ratios = [], []
    for case in cases:
        t_pkg, t_ref, agree, dev, scale = run_case(case, args.trials, args.repeats)
        ratio = t_pkg / t_ref
        ratios.append(ratio)
        met = ratio <= GOAL
        if not (met and agree):
            missed.append(case[0])
        print(f"{case[0][:62]:<62} {t_pkg * 1e3:7.1f}ms {t_ref * 1e3:7.1f}ms "
              f"{ratio:6.2f}  {'met ' if met else 'MISS'}  "
              f"{'yes' if agree else 'NO '} ({dev:.1e} / {scale:.1e})")
    print(f"{len(cases)} statistics: ratio median {np.median(ratios):.2f}, worst "
          f"{max(ratios):.2f}; {len(cases) - len(missed)} meet the goal and agree")
    if missed:
        print("MISSED:", "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
