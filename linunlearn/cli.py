"""Command line: ``linunlearn solve``, ``verify``, ``compare``, ``stream`` and ``figures``.

The CLI only parses arguments and calls library functions.
"""

import argparse
import json
import os
import sys
import warnings
import zipfile

import numpy as np

from . import outputs
from .regimes import BASE


#: The scenario options of ``linunlearn solve`` and their defaults.
_SCENARIO_DEFAULTS = {**BASE, "sigma": 0.0, "teacher": "shared"}

#: The exit statuses of every command (``linunlearn --help`` shows them).
EXIT_STATUS = """exit status:
    0  success (verify: every claim meets its expectation)
    1  a claim is contradicted (verify, stream --claims)
    2  usage or input error (nothing was run, or nothing written)
    3  a claim is left inconclusive (verify)
  130  interrupted (Ctrl-C)"""

#: ``linunlearn solve --numeric`` refuses a run predicted to take longer than
#: this (in seconds) unless ``--max-steps`` is given.
NUMERIC_BUDGET_SECONDS = 300.0

#: Where ``linunlearn figures`` writes by default, and with ``--quick``: the
#: quick versions never go into the committed full-quality folder.
FIGURES_OUT, QUICK_FIGURES_OUT = "figures", os.path.join("build", "figures-quick")

#: Arrays an ``--data`` file may hold.
_DATA_KEYS = ("X_r", "y_r", "X_f", "y_f", "X_test_r", "y_test_r", "X_test_f", "y_test_f")


def _import_source(source, option):
    """Import a Python file (``x.py`` or a path) or a module by name; return the module.

    A file already imported (e.g. by a notebook) is not run again, so that
    what it declares is declared once.
    """
    import importlib
    import importlib.util
    if source.endswith(".py") or os.sep in source:
        if not os.path.isfile(source):
            raise ValueError(f"{option}: no such Python file {source}")
        name = os.path.splitext(os.path.basename(source))[0]
        loaded = sys.modules.get(name)
        if loaded is not None and os.path.samefile(getattr(loaded, "__file__", "") or
                                                   os.devnull, source):
            return loaded
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise ValueError(f"{option}: importing {source} raised "
                             f"{_exception_line(exc)}") from exc
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # a module of this folder, as under python -m
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as exc:
        raise ValueError(f"{option}: {exc} (a file is named with its .py)") from None
    except Exception as exc:
        raise ValueError(f"{option}: importing {source} raised "
                         f"{_exception_line(exc)}") from exc


def _exception_line(exc):
    """``Type: message`` of an exception, and where in the user's file for a syntax error."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    return f"{type(exc).__name__}: {exc}"


def _load(targets):
    """Import each ``--import`` target (a Python file or a module): its declarations run."""
    for target in targets or ():
        _import_source(target, f"--import {target}")


def _import_argument(parser):
    parser.add_argument("--import", dest="imports", action="append", metavar="FILE",
                        help="import this Python file or module first, so that the "
                             "methods, claims and figures it declares are known "
                             "(repeatable; see docs/extending.md)")


def _parallel_arguments(parser):
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes (default: every processor this machine "
                             "gives the run); the numbers do not depend on it")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster instead: local:N starts one of N "
                             "workers here, any other value is a scheduler's address "
                             "(tcp://host:8786); needs pip install \"linunlearn[dask]\"")


def _workers(args, jobs=None):
    """The worker processes of ``--workers`` (default: the processors), with a note if capped."""
    from .parallel import processors, useful_workers
    if args.workers is None:
        return processors()
    n, note = useful_workers(args.workers, jobs)
    if note:
        print(f"linunlearn {args.command}: {note}", file=sys.stderr)
    return n


def _seed(text):
    """argparse type of ``--seed``: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def _seed_argument(parser, workers=False):
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seed of every random draw (default 0); the same seed "
                             "gives the same numbers"
                             + (", whatever the number of workers" if workers else ""))


def _scenario_arguments(parser):
    group = parser.add_argument_group("scenario (defaults: the 40% overlap regime)")
    for flag, what in (("d_r", "remaining support size"), ("d_f", "forgetting support size"),
                       ("d_lap", "overlapping features"), ("n_r", "remaining samples"),
                       ("n_f", "forgetting samples")):
        group.add_argument(f"--{flag.replace('_', '-')}", type=int,
                           help=f"{what} ({BASE[flag]})")
    group.add_argument("--sigma", type=float, help="label noise (0)")
    group.add_argument("--teacher", choices=("shared", "separate"),
                       help="one teacher, or one per set (shared)")
    _data_argument(group)


def _data_argument(parser):
    parser.add_argument("--data", metavar="NPZ",
                        help="user arrays instead of a scenario: an .npz file with "
                             "X_r, y_r, X_f, y_f (optionally X_test_r, y_test_r, "
                             "X_test_f, y_test_f)")


def _format_table(rows, columns, row_label):
    """Fixed-width text table: rows is {name: {column: value}}."""
    width = max(12, *(len(c) for c in columns))
    first = max(len(row_label), *(len(r) for r in rows))
    lines = [f"{row_label:<{first}}  " + "  ".join(f"{c:>{width}}" for c in columns)]
    for name, values in rows.items():
        cells = []
        for c in columns:
            v = values.get(c)
            cells.append(f"{'-':>{width}}" if v is None else f"{v:>{width}.6g}")
        lines.append(f"{name:<{first}}  " + "  ".join(cells))
    return "\n".join(lines)


def _read_npz(path):
    """The user arrays of an ``--data`` file, checked; a clear error otherwise."""
    from .scenarios import Dataset
    try:
        fh = open(path, "rb")  # ours to close, whatever np.load raises
    except OSError as exc:
        raise ValueError(f"--data {path}: cannot read it ({exc.strerror or exc})") from None
    with fh:
        try:
            archive = np.load(fh, allow_pickle=False)
        except (ValueError, EOFError, zipfile.BadZipFile):
            raise ValueError(f"--data {path}: not an .npz archive of arrays") from None
        return _dataset_from_archive(archive, path, Dataset)


def _dataset_from_archive(archive, path, Dataset):
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"--data {path}: expected an .npz archive with arrays "
                         f"{', '.join(_DATA_KEYS[:4])}, got a single array")
    with archive:
        keys = set(archive.files)
        missing = [k for k in _DATA_KEYS[:4] if k not in keys]
        unknown = sorted(keys - set(_DATA_KEYS))
        if missing or unknown:
            raise ValueError(f"--data {path}: " + "; ".join(
                ([f"missing arrays {', '.join(missing)}"] if missing else [])
                + ([f"unknown arrays {', '.join(unknown)}"] if unknown else []))
                + f" (expected {', '.join(_DATA_KEYS)})")
        arrays = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError:  # object arrays need a pickle, which is never loaded
                raise ValueError(f"--data {path}: array {key} holds Python objects (a "
                                 f"pickle), which are not loaded; save numeric arrays "
                                 f"(e.g. X.astype(float))") from None
        try:
            return Dataset(**arrays)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"--data {path}: {exc}") from None


def _load_data(args):
    from .scenarios import Scenario
    given = [f"--{k.replace('_', '-')}" for k in _SCENARIO_DEFAULTS
             if getattr(args, k, None) is not None]
    if args.data:
        if given:
            raise ValueError(f"--data replaces the scenario: drop {', '.join(given)}")
        return _read_npz(args.data)
    options = {k: v if getattr(args, k) is None else getattr(args, k)
               for k, v in _SCENARIO_DEFAULTS.items()}
    scenario = Scenario.overlapping(options["d_r"], options["d_f"], options["d_lap"],
                                    options["n_r"], options["n_f"],
                                    sigma=options["sigma"], teacher=options["teacher"])
    return scenario.sample(rng=args.seed)


def _gd_options(args):
    """The gradient-descent options given on the command line."""
    if not args.numeric and (args.max_steps is not None or args.lr is not None):
        raise ValueError("--max-steps and --lr are for --numeric")
    return {k: v for k, v in (("max_steps", args.max_steps), ("lr", args.lr))
            if v is not None}


def _check_numeric_plan(data, methods, gd):
    """Refuse, before it starts, a numeric run that cannot converge or would be long.

    With an explicit ``--max-steps`` the run goes ahead (its warnings say how
    each stage ended); a long one is announced on standard error.
    """
    from .solutions import numeric_plan
    plans = numeric_plan(data, methods, **gd)
    total = sum(p.seconds for p in plans)
    stuck = [p for p in plans if not p.converges]
    if "max_steps" in gd:
        if total > 10:
            print(f"linunlearn solve: gradient descent: {len(plans)} stages, about "
                  f"{total:.0f} s", file=sys.stderr)
        return
    if not stuck and total <= NUMERIC_BUDGET_SECONDS:
        if total > 10:
            print(f"linunlearn solve: gradient descent: {len(plans)} stages, about "
                  f"{total:.0f} s", file=sys.stderr)
        return
    lines = [f"{p.method}, {p.stage} on {p.on} (n={p.n}, d={p.d}, cond {p.cond:.2g}): "
             f"about {p.steps:.2g} steps to converge at lr = "
             f"{'1/L' if 'lr' not in gd else format(p.lr, 'g')}"
             + (f", beyond max_steps = {p.max_steps}" if not p.converges else "")
             + f" ({p.seconds:.2g} s here for {min(p.steps, p.max_steps):.0f} steps)"
             for p in (stuck or plans)]
    why = ("gradient descent would stop before converging" if stuck else
           f"gradient descent would take about {total:.2g} s in all, beyond the "
           f"budget of {NUMERIC_BUDGET_SECONDS:g} s")
    fastest = min(p.lr_fastest for p in plans)
    raise ValueError(
        why + ":\n  " + "\n  ".join(lines) + "\n"
        "options: the closed form (drop --numeric), which is where gradient descent "
        "converges; --max-steps N to run N steps a stage anyway (unconverged below the "
        f"counts above); --lr {fastest:.3g}, 2/(L + mu) of these stages, the fastest "
        "safe constant step (about half the steps of 1/L when cond is large)")


def _cmd_solve(args):
    from .metrics import average_gap, evaluate
    from .solutions import solve_all
    gd = _gd_options(args)
    data = _load_data(args)
    if args.numeric:
        _check_numeric_plan(data, args.methods, gd)
        gd["progress"] = True  # a bar per stage, on a terminal only
    solutions = solve_all(data, args.methods, numeric=args.numeric, **gd)
    table = {m: evaluate(data, s.w) for m, s in solutions.items()}
    golden = evaluate(data, solve_all(data, ["golden"])["golden"].w)
    for m, row in table.items():
        row["gap_to_golden"] = average_gap(row, golden)
        row["interpolates"] = float(solutions[m].interpolates)
    if args.json:
        out = {"seed": args.seed, "numeric": args.numeric,
               "methods": {m: {**row, "interpolates": solutions[m].interpolates,
                               "semantics": solutions[m].semantics,
                               **_numeric_summary(solutions[m])}
                           for m, row in table.items()}}
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0
    columns = list(next(iter(table.values())))
    print(f"route: {'gradient descent' if args.numeric else 'closed form'}; "
          f"seed {args.seed}; n_r={data.n_r}, n_f={data.n_f}, d={data.d}")
    print(_format_table(table, columns, "method"))
    if args.numeric:
        print()
        print(_format_stages(solutions))
    return 0


def _numeric_summary(solution):
    """JSON of how a solution's gradient descent ended: every stage, and overall."""
    if not solution.stages:
        return {"stop_reason": None}
    return {"stop_reason": "converged" if solution.converged else "max_steps",
            "converged": solution.converged,
            "stages": [stage.to_dict() for stage in solution.stages]}


def _format_stages(solutions):
    """Every gradient-descent stage, then a summary: converged only if every stage did."""
    rows = [(s.method, s.stage, str(s.steps), f"{s.grad_norm:.3g}", f"{s.threshold:.3g}",
             "yes" if s.converged else "no")
            for sol in solutions.values() for s in sol.stages]
    head = ("method", "stage", "steps", "gradient norm", "threshold", "converged")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["gradient descent, stage by stage:",
             "  ".join(f"{h:<{w}}" if i < 2 else f"{h:>{w}}"
                       for i, (h, w) in enumerate(zip(head, widths)))]
    lines += ["  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}"
                        for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    summary = []
    for m, sol in solutions.items():
        stuck = [s.stage for s in sol.stages if not s.converged]
        summary.append(f"{m} converged" if not stuck else
                       f"{m} NOT converged ({', '.join(stuck)}: max_steps)")
    lines.append("gradient descent stopped: " + "; ".join(summary))
    return "\n".join(lines)


def _cmd_verify(args):
    from . import verifier
    _load(args.imports)
    if args.renamed_regime is not None:
        raise ValueError(f"--regime is now --family (a family of regimes beyond the "
                         f"paper): linunlearn verify --family {args.renamed_regime}")
    if args.json:
        outputs.check_file(args.json, "--json")
    if args.family is not None and (args.claims or args.regimes):
        raise ValueError("--family runs a whole family: it cannot be combined with "
                         "--claims or --regimes")
    methods = {}
    for spec in args.method or ():
        name, fn = _user_method(spec)
        if name in methods:
            raise ValueError(f"--method {spec}: {name} is given twice")
        methods[name] = fn
    try:
        report = verifier.verify(
            claims=args.claims, regimes=args.regimes, family=args.family,
            methods=methods or None,
            precision=0.05 if args.precision is None else args.precision, seed=args.seed,
            workers=_workers(args), scheduler=args.scheduler, trials=args.trials,
            disparity_map=not args.no_map, progress=not args.quiet)
    except verifier.Interrupted as stop:  # keep what was done: on disk, or on screen
        if args.json:
            outputs.write_json(args.json, stop.report.to_dict())
            where = f"partial evidence written to {args.json}"
        else:
            if stop.report.results:
                print(verifier.format_report(stop.report))
            where = "the finished pairs are above"
        print(f"linunlearn verify: {stop}; {where}", file=sys.stderr)
        return 130
    print(verifier.format_report(report))
    if args.json:
        outputs.write_json(args.json, report.to_dict())
        print(f"evidence written to {args.json}")
    return report.exit_code


def _user_method(spec):
    """``NAME=module:function`` or ``NAME=path/to/file.py:function``: a user's model."""
    name, sep, target = spec.partition("=")
    where, colon, function = target.rpartition(":")
    if not (sep and colon and name and where and function):
        raise ValueError(f"--method {spec}: expected NAME=module:function or "
                         f"NAME=file.py:function")
    from .verifier import MODEL_NAMES
    if name not in MODEL_NAMES:  # before the user's file runs
        raise ValueError(f"--method {spec}: unknown model {name!r}; the claims are about "
                         f"{', '.join(MODEL_NAMES)}")
    loaded = _import_source(where, f"--method {spec}")
    fn = getattr(loaded, function, None)
    if not callable(fn):
        raise ValueError(f"--method {spec}: {where} has no function {function!r}")
    return name, fn


def _cmd_compare(args):
    from .compare import compare
    _load(args.imports)
    data = None
    if args.data and args.dataset:
        raise ValueError("give either --data or --dataset, not both")
    if args.dataset is None and (args.forget_class is not None
                                 or args.n_train is not None
                                 or args.n_features is not None):
        raise ValueError("--forget-class, --n-train and --n-features need --dataset")
    if (args.data or args.dataset) and (args.regimes or args.trials is not None):
        raise ValueError("--regimes and --trials are for the built-in regimes; "
                         "--data and --dataset give one data set, run once")
    if args.data:
        data = _read_npz(args.data)
    elif args.dataset:
        from .realdata import digits_forgetting
        options = {k: getattr(args, k) for k in ("n_train", "n_features")
                   if getattr(args, k) is not None}
        problem = digits_forgetting(3 if args.forget_class is None else args.forget_class,
                                    rng=args.seed, **options)
        data = problem.dataset()
        print(f"digits: forgetting class {problem.forget_class}; "
              f"{data.n_r} remaining and {data.n_f} forgetting samples, "
              f"{data.d} random features", file=sys.stderr)
    result = compare(args.regimes, data=data, methods=args.methods,
                     n_trials=20 if args.trials is None else args.trials, seed=args.seed,
                     progress=not (args.quiet or args.json))
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        print()
    elif args.latex:
        print(result.to_latex())
    else:
        print(result.format_text())
    return 0


def _cmd_stream(args):
    from . import streams, verifier
    _load(args.imports)
    for flag, value, least in (("--requests", args.requests, 1), ("--trials", args.trials, 2)):
        if value is not None and value < least:
            raise ValueError(f"{flag} must be >= {least}, got {value}")
    quiet = args.quiet or args.json
    table = streams.stream_table(args.methods, args.regime, k=args.requests,
                                 n_trials=20 if args.trials is None else args.trials,
                                 seed=args.seed, progress=not quiet)
    report = (verifier.verify(claims=list(streams.STREAM_CLAIMS), seed=args.seed,
                              trials=args.trials, progress=not quiet)
              if args.claims else None)
    if args.json:
        out = table.to_dict()
        if report is not None:
            out["claims"] = report.to_dict()["claims"]
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        print(table.format_text())
        if report is not None:
            print()
            print(verifier.format_report(report))
    return 1 if report is not None and report.failed_expected else 0


def _cmd_figures(args):
    from . import figures
    _load(args.imports)
    if args.list:
        for name, spec in figures.FIGURES.items():
            reason = spec.unavailable() if spec.unavailable else None
            print(f"{name:<16} {spec.description}" + (f" [not available: {reason}]"
                                                       if reason else ""))
        return 0
    out = args.out or (QUICK_FIGURES_OUT if args.quick else FIGURES_OUT)
    names = args.names or None
    figures.check_out_dir(out, names, quick=args.quick, option="--out")
    data = None
    if args.from_dir is not None:
        from . import sweeps
        if args.names != ["claim_map"]:
            raise ValueError("--from draws the claim map from a sweep: linunlearn figures "
                             "claim_map --from DIR")
        data = {"claim_map": sweeps.claim_map(args.from_dir)}
    result = figures.write_figures(names, out, seed=args.seed, quick=args.quick,
                                   progress=not args.quiet, precomputed=data,
                                   workers=_workers(args), scheduler=args.scheduler)
    for name, paths in result.written.items():
        print(f"{name}: wrote {', '.join(paths)} ({result.seconds[name]:.1f} s)")
    for name, reason in result.skipped.items():
        print(f"{name}: not produced: {reason}")
    print(f"manifest: {result.manifest}")
    return 0


def _cmd_sweep(args):
    from . import sweeps
    _load(args.imports)
    spec = sweeps.read_spec(args.spec)
    outputs.check_folder(args.out, "--out")
    total = len(sweeps.cells(spec)) * max(len(spec.claims), 1) * len(spec.seeds)
    try:
        result = sweeps.run_sweep(spec, args.out, workers=_workers(args, total),
                                  scheduler=args.scheduler, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"linunlearn sweep: interrupted; every finished unit is in {args.out}/units: "
              f"run the same command to resume", file=sys.stderr)
        return 130
    print(f"sweep {spec.name}: {result.units} units ({result.resumed} done before, "
          f"{result.ran} run now); table: {result.csv}, {result.json}")
    return 0


def build_parser():
    """Return the argument parser of the ``linunlearn`` command."""
    from .solutions import PAPER_METHODS
    parser = argparse.ArgumentParser(
        prog="linunlearn", allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Verify the theory of fine-tuning-based unlearning in "
                    "linear regression.",
        epilog=EXIT_STATUS)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", allow_abbrev=False, help="compute every model on one scenario and "
                                     "print their metrics")
    _scenario_arguments(p)
    p.add_argument("--methods", nargs="+", choices=PAPER_METHODS,
                   default=list(PAPER_METHODS), metavar="METHOD",
                   help=f"models to compute (default: all six: "
                        f"{' '.join(PAPER_METHODS)})")
    p.add_argument("--numeric", action="store_true",
                   help="run gradient descent instead of the closed forms, stage by "
                        "stage; refused before it starts when a stage cannot converge "
                        "within its budget or the run would be long (the message "
                        "gives the estimate and the options)")
    p.add_argument("--max-steps", type=int, metavar="N",
                   help="with --numeric: the step budget of each stage (default "
                        "200000); given, the run goes ahead whatever the estimate")
    p.add_argument("--lr", type=float,
                   help="with --numeric: the step size (default 1/L; below 2/L)")
    _seed_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser("verify", allow_abbrev=False, help="check the paper's claims symbolically and "
                                      "by Monte Carlo")
    p.add_argument("--claims", nargs="+", action="extend", metavar="ID",
                   help="e.g. C1 C5 (repeatable)")
    p.add_argument("--regimes", nargs="+", action="extend", metavar="NAME",
                   help="default regimes to run: distinct, overlap, full-overlap, "
                        "noisy-overlap, separate-teachers (repeatable)")
    p.add_argument("--precision", type=float, default=None,
                   help="relative half-width aimed at by theory checks without a "
                        "resolution of their own (the families'; default 0.05): "
                        "they detect twice it")
    p.add_argument("--trials", type=int, default=None,
                   help="fix the Monte Carlo sample size per check")
    p.add_argument("--no-map", action="store_true",
                   help="skip the C5 disparity map over the regime grid")
    _seed_argument(p, workers=True)
    _parallel_arguments(p)
    p.add_argument("--json", metavar="PATH", help="write the full evidence here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _import_argument(p)
    p.add_argument("--method", action="append", metavar="NAME=MODULE:FUNCTION",
                   help="check your own implementation: replace the model NAME "
                        "(pretrained, finetune, golden, rbm, fbm, projection) by "
                        "FUNCTION(data) -> weights, from a module or a file.py "
                        "(repeatable)")
    p.add_argument("--regime", dest="renamed_regime", help=argparse.SUPPRESS)
    p.add_argument("--family", metavar="NAME",
                   help="re-run the claims in a family of regimes beyond the paper: "
                        "ridge, noise, anisotropic, early-stopping or "
                        "underparameterized; not with --claims or --regimes")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("compare", allow_abbrev=False, help="run every unlearning method on the same "
                                       "data and tabulate the metrics")
    p.add_argument("--regimes", nargs="+", metavar="NAME",
                   help="default regimes (default: distinct overlap full-overlap)")
    p.add_argument("--methods", nargs="+", metavar="METHOD",
                   help="methods with their default options (default: every "
                        "method, the regularised ones also after 5 steps)")
    _data_argument(p)
    p.add_argument("--dataset", choices=("digits",),
                   help="real data shipped with scikit-learn instead of the regimes: "
                        "class-wise forgetting on the handwritten digits, with "
                        "random ReLU features and one-hot targets")
    p.add_argument("--forget-class", type=int, metavar="K",
                   help="with --dataset: the digit to forget (default 3)")
    p.add_argument("--n-train", type=int, metavar="N",
                   help="with --dataset: training samples (default 1000)")
    p.add_argument("--n-features", type=int, metavar="D",
                   help="with --dataset: random features (default 4000, four "
                        "times the training samples: the masked systems of SalUn, "
                        "half the features, and DeepClean stay far from square)")
    p.add_argument("--trials", type=int,
                   help="Monte Carlo draws per regime (default 20)")
    _seed_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _import_argument(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable output")
    out.add_argument("--latex", action="store_true", help="a LaTeX table")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("stream", allow_abbrev=False,
                       help="delete D_f in a stream of requests with each method and "
                            "report the distance to golden after every request")
    p.add_argument("--methods", nargs="+", metavar="METHOD",
                   help="methods with their default options (default: finetune, rbm, "
                        "fbm, projection, newton, ridge_downdate, pru and two variants)")
    p.add_argument("--requests", type=int, default=5, metavar="K",
                   help="number of requests D_f is split into (default 5)")
    p.add_argument("--regime", default="overlap", metavar="NAME",
                   help="default regime to draw from (default overlap)")
    p.add_argument("--trials", type=int,
                   help="Monte Carlo draws (default 20; with --claims also the claims' "
                        "trials, else the verifier's 200)")
    p.add_argument("--claims", action="store_true",
                   help="also check what theory predicts along a stream (claims S1-S4, "
                        "5 requests); exit status 1 if one fails")
    _seed_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _import_argument(p)
    p.set_defaults(func=_cmd_stream)

    p = sub.add_parser("figures", allow_abbrev=False, help="compute and draw the paper's figures "
                                       "(PDF and PNG)")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="figures to make (default: all; see --list)")
    p.add_argument("--out", metavar="DIR",
                   help=f"output folder (default: {FIGURES_OUT}; with --quick "
                        f"{QUICK_FIGURES_OUT}, so that quick versions never "
                        f"replace the full-quality figures)")
    _seed_argument(p, workers=True)
    p.add_argument("--quick", action="store_true",
                   help="small versions: few Monte Carlo draws, coarse grids")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--from", dest="from_dir", metavar="DIR",
                   help="draw claim_map from a sweep's table in DIR (linunlearn sweep) "
                        "instead of computing it")
    _parallel_arguments(p)
    _import_argument(p)
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("sweep", allow_abbrev=False,
                       help="run a grid of scenarios x claims (or methods) x seeds from a "
                            "TOML spec into a folder; resumable")
    p.add_argument("spec", metavar="SPEC.toml",
                   help="the sweep's spec (see linunlearn.sweeps for its keys)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="the sweep's folder: one file per finished unit, then table.csv "
                        "and table.json; the same command resumes an interrupted sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _parallel_arguments(p)
    _import_argument(p)
    p.set_defaults(func=_cmd_sweep)
    return parser


def main(argv=None):
    """Entry point of the ``linunlearn`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)

    def show(message, category, *_):  # one plain line, not the library's call site
        print(f"linunlearn {args.command}: {category.__name__}: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return args.func(args)
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"linunlearn {args.command}: error: {exc}\n")
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback
        parser.exit(130, f"linunlearn {args.command}: interrupted\n")
    except BrokenPipeError:  # e.g. ``linunlearn solve --json | head``: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
