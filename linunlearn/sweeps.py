"""Sweeps from a file: a grid of scenarios x claims (or methods) x seeds, resumable.

read_spec       a sweep's spec from a TOML file (or a dict), checked key by key
Spec            a checked spec: the grid, the claims or methods, the seeds
cells           the regimes of a spec's grid, in grid order
run_sweep       run a spec into a folder: each finished unit saved at once, then the table
read_table      the tidy table of a finished sweep folder
claim_map       the ``claim_map`` figure's data from a sweep folder
COLUMNS         the table's fixed columns

A spec (``linunlearn sweep SPEC.toml --out DIR``)::

    seeds = 1                          # or a list: [0, 7]
    trials = 200                       # optional: else sized from precision
    precision = 0.05
    claims = ["C5-disparity"]          # or: methods = ["finetune", "rbm"]

    [scenario]                         # fixed parameters (default: the base sizes)
    d_r = 60
    teacher = "flat"                   # or "random"

    [grid]                             # swept parameters: one list each
    "d_lap/d_f" = [0.0, 0.5, 1.0]
    "n_r/d_r" = [0.2, 0.5]

A *unit* is one cell, one claim (or all the methods) and one seed. Its
random numbers come from the seed and the cell alone (a claim's check uses
``seed_sequence(seed, check, cell)``, as :func:`linunlearn.verifier.verify`
does; methods those of :func:`linunlearn.compare.compare` for a regime named
after the cell), so the table is the same bytes whatever the order, the
number of workers or the backend. Each finished unit is written at once to
``DIR/units/``: an interrupted sweep loses nothing done, and the same command
resumes it. Cells are decided one by one (each check at the family-wise level
0.01 on its own), as in the claim map.
"""

import csv
import io
import json
import os
import re
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass

import numpy as np

from . import outputs, parallel
from ._validation import LinunlearnWarning, warn
from .progress import Progress
from .regimes import BASE, Regime, base_scenario, flat_scenario

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Spec", "read_spec", "cells", "run_sweep", "read_table", "claim_map", "COLUMNS"]

#: Columns of the table besides the swept parameters (which come first).
COLUMNS = ("cell", "d_r", "d_f", "d_lap", "n_r", "n_f", "sigma", "seed", "claim", "check",
           "method", "metric", "estimate", "low", "high", "trials", "verdict")

_SIZES = ("d_r", "d_f", "d_lap", "n_r", "n_f")
_RATIOS = {"d_lap/d_f": ("d_lap", "d_f"), "n_r/d_r": ("n_r", "d_r")}
_PARAMETERS = (*_SIZES, "sigma", *_RATIOS)
_TOP = ("name", "seeds", "trials", "precision", "claims", "methods", "scenario", "grid")
_LABELS = {"d_lap/d_f": "lap"}  # as in regimes.map_regimes: the claim map's cells
_RETRIES = 3  # fresh process pools after a worker died, before giving up


@dataclass(frozen=True)
class Spec:
    """A checked sweep spec (see the module docstring for the file)."""

    seeds: tuple
    claims: tuple = ()
    methods: tuple = ()
    scenario: dict = None
    grid: dict = None
    trials: int = None
    precision: float = 0.05
    teacher: str = "flat"
    name: str = "sweep"

    def to_dict(self):
        """The spec as plain data (what a sweep folder records)."""
        return asdict(self)


def _fail(where, key, message):
    raise ValueError(f"{where}: {key}: {message}")


def _int(where, key, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, key, f"must be an integer, got {value!r}")
    if value < minimum:
        _fail(where, key, f"must be >= {minimum}, got {value}")
    return value


def _number(where, key, value, minimum=None, maximum=None, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not np.isfinite(value):
        _fail(where, key, f"must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        _fail(where, key, f"must be {'>' if strict else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        _fail(where, key, f"must be <= {maximum}, got {value}")
    return float(value)


def _parameter(where, label, value):
    key = label.rpartition(".")[2]  # "grid.n_r" -> "n_r"
    if key in _SIZES:
        return _int(where, label, value, 0 if key == "d_lap" else 1)
    if key == "sigma":
        return _number(where, label, value, minimum=0.0)
    return _number(where, label, value, minimum=0.0,
                   maximum=1.0 if key == "d_lap/d_f" else None)


def read_spec(source):
    """Read and check a sweep spec.

    Parameters
    ----------
    source : str, os.PathLike or dict
        A TOML file, or its content as a dict.

    Returns
    -------
    Spec

    Raises
    ------
    ValueError
        An unreadable file, an unknown key, a value of the wrong type or
        range, an empty grid, or neither (or both) of claims and methods;
        the message names the key.

    Examples
    --------
    >>> spec = read_spec({"claims": ["C5-disparity"], "grid": {"n_r/d_r": [0.2, 0.5]}})
    >>> spec.seeds, spec.grid
    ((0,), {'n_r/d_r': (0.2, 0.5)})
    >>> read_spec({"claims": ["C5"], "grid": {"n_r": []}})
    Traceback (most recent call last):
    ...
    ValueError: spec: grid.n_r: an empty list: give at least one value
    """
    from .claims import CLAIMS
    from .solutions import available_methods
    if isinstance(source, dict):
        where, raw = "spec", source
    else:
        where = os.fspath(source)
        try:
            with open(where, "rb") as fh:
                raw = tomllib.load(fh)
        except OSError as exc:
            raise ValueError(f"{where}: cannot read the spec: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{where}: not valid TOML: {exc}") from None
    for key in raw:
        if key not in _TOP:
            _fail(where, key, f"unknown key; a spec has {', '.join(_TOP)}")
    seeds = raw.get("seeds", 1)
    if isinstance(seeds, list):
        if not seeds:
            _fail(where, "seeds", "an empty list: give at least one seed")
        seeds = tuple(_int(where, "seeds", s, 0) for s in seeds)
        if len(set(seeds)) != len(seeds):
            _fail(where, "seeds", f"repeated seeds in {list(seeds)}")
    else:
        seeds = tuple(range(_int(where, "seeds", seeds, 1)))
    claims, methods = raw.get("claims"), raw.get("methods")
    if (claims is None) == (methods is None):
        _fail(where, "claims", "give either claims (checked per cell) or methods "
                               "(compared per cell), not both")
    for key, chosen, known in (("claims", claims, list(CLAIMS)),
                               ("methods", methods, list(available_methods()))):
        if chosen is None:
            continue
        if not isinstance(chosen, list) or not chosen or \
                not all(isinstance(c, str) for c in chosen):
            _fail(where, key, f"must be a non-empty list of names, got {chosen!r}")
        for c in chosen:
            if key == "claims" and c not in known and not any(
                    CLAIMS[k].id == c for k in CLAIMS):
                _fail(where, key, f"unknown claim {c!r}; known: {', '.join(known)}")
            if key == "methods" and c not in known:
                _fail(where, key, f"unknown method {c!r}; known: {', '.join(known)}")
    scenario = raw.get("scenario", {})
    if not isinstance(scenario, dict):
        _fail(where, "scenario", "must be a table of parameters")
    teacher = scenario.get("teacher", "flat")
    if teacher not in ("flat", "random"):
        _fail(where, "scenario.teacher", f"must be 'flat' or 'random', got {teacher!r}")
    fixed = {}
    for key, value in scenario.items():
        if key == "teacher":
            continue
        if key not in _PARAMETERS:
            _fail(where, f"scenario.{key}", f"unknown parameter; known: "
                                            f"{', '.join(_PARAMETERS)}, teacher")
        fixed[key] = _parameter(where, f"scenario.{key}", value)
    grid = raw.get("grid")
    if not isinstance(grid, dict) or not grid:
        _fail(where, "grid", "a non-empty table of swept parameters is needed, e.g. "
                             "[grid] \"n_r/d_r\" = [0.2, 0.5]")
    swept = {}
    for key, values in grid.items():
        if key not in _PARAMETERS:
            _fail(where, f"grid.{key}", f"unknown parameter; known: {', '.join(_PARAMETERS)}")
        if key in fixed:
            _fail(where, f"grid.{key}", "also fixed in [scenario]: give it in one place")
        if not isinstance(values, list):
            _fail(where, f"grid.{key}", f"must be a list of values, got {values!r}")
        if not values:
            _fail(where, f"grid.{key}", "an empty list: give at least one value")
        swept[key] = tuple(_parameter(where, f"grid.{key}", v) for v in values)
    given = set(fixed) | set(swept)
    for ratio, (size, _) in _RATIOS.items():
        if ratio in given and size in given:
            _fail(where, ratio, f"{size} is given too: give the size or the ratio")
    trials = raw.get("trials")
    if trials is not None:
        trials = _int(where, "trials", trials, 2)
    precision = _number(where, "precision", raw.get("precision", 0.05), minimum=0.0,
                        strict=True)
    name = raw.get("name", "sweep")
    if not isinstance(name, str):
        _fail(where, "name", f"must be a string, got {name!r}")
    spec = Spec(seeds, tuple(claims or ()), tuple(methods or ()), fixed, swept, trials,
                precision, teacher, name)
    try:
        cells(spec)  # every cell a valid scenario, before any work
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return spec


def _cell_name(point):
    return ",".join(f"{_LABELS.get(k, k)}={v:g}" for k, v in point.items())


def cells(spec):
    """The regimes of a spec's grid, in grid order (the last parameter varies fastest).

    Ratios are turned into sizes as in :func:`linunlearn.regimes.map_regimes`
    (``d_lap = round(ratio * d_f)``), so a grid of ``d_lap/d_f`` by
    ``n_r/d_r`` gives the claim map's cells, names included.

    Examples
    --------
    >>> [r.name for r in cells(read_spec({"methods": ["rbm"],
    ...                                   "grid": {"d_lap/d_f": [0.2], "n_r/d_r": [0.5]}}))]
    ['lap=0.2,n_r/d_r=0.5']
    """
    keys = list(spec.grid)
    out = []
    for values in np.ndindex(*(len(spec.grid[k]) for k in keys)):
        point = {k: spec.grid[k][i] for k, i in zip(keys, values)}
        params = {**BASE, "sigma": 0.0}
        params.update({k: v for k, v in {**spec.scenario, **point}.items() if k in params})
        for ratio, (size, of) in _RATIOS.items():
            value = {**spec.scenario, **point}.get(ratio)
            if value is not None:
                params[size] = int(round(value * params[of]))
        sizes = {k: int(params[k]) for k in _SIZES}
        if sizes["d_lap"] > min(sizes["d_r"], sizes["d_f"]):
            raise ValueError(f"grid cell {_cell_name(point)}: d_lap = {sizes['d_lap']} "
                             f"exceeds min(d_r, d_f) = {min(sizes['d_r'], sizes['d_f'])}")
        make = flat_scenario if spec.teacher == "flat" else base_scenario
        try:
            scenario = make(**sizes, sigma=params["sigma"])
        except ValueError as exc:  # e.g. a ratio that rounds a size to 0
            raise ValueError(f"grid cell {_cell_name(point)} "
                             f"({', '.join(f'{k}={v}' for k, v in sizes.items())}): "
                             f"{exc}") from None
        out.append(Regime(_cell_name(point), scenario,
                          ", ".join(f"{k}={v}" for k, v in sizes.items()), point))
    return out


def _units(spec):
    """``(cell index, claim key or "", seed)`` of every unit, in table order."""
    topics = _claim_keys(spec) if spec.claims else ("",)
    return [(c, topic, seed) for c in range(len(cells(spec))) for topic in topics
            for seed in spec.seeds]


def _claim_keys(spec):
    from .claims import CLAIMS
    keys = []
    for c in spec.claims:
        keys += [k for k in CLAIMS if c in (k, CLAIMS[k].id) and k not in keys]
    return tuple(keys)


def _unit_file(cell, topic, seed):
    text = f"{cell}__{topic or 'methods'}__seed{seed}"
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text) + ".json"


def _base_row(regime, seed):
    s = regime.scenario
    return {**dict(regime.coords), "cell": regime.name, "d_r": s.d_r, "d_f": s.d_f,
            "d_lap": s.d_lap, "n_r": s.n_r, "n_f": s.n_f, "sigma": s.sigma, "seed": seed}


def _run_unit(job):
    """One unit: a claim's checks (or every method) on one cell with one seed."""
    regime, topic, seed, trials, precision, methods = job
    base = _base_row(regime, seed)
    if topic:
        from .claims import CLAIMS
        rows = []
        for check in CLAIMS[topic].checks:
            row = {**base, "claim": topic, "check": check.name}
            if not regime.interpolating:
                rows.append({**row, "verdict": "n/a"})
                continue
            result = check.run(regime, seed, trials=trials, precision=precision)
            e = result.estimate or {}
            kind = "max" if "max" in e else "mean"
            rows.append({**row, "metric": kind, "estimate": e.get(kind),
                         "low": e.get("low"), "high": e.get("high"),
                         "trials": result.n_trials, "verdict": result.verdict})
        return rows
    from .compare import compare
    from .montecarlo import ConfidenceInterval
    result = compare({regime.name: regime.scenario}, methods=list(methods),
                     n_trials=trials or 20, seed=seed)
    rows = []
    for label in result.methods:
        for column in result.columns:
            cell = result.cells[regime.name][label][column]
            if isinstance(cell, ConfidenceInterval):  # run times are not reproducible
                rows.append({**base, "method": label, "metric": column,
                             "estimate": cell.estimate, "low": cell.low, "high": cell.high,
                             "trials": cell.n_trials})
    return rows


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` did: the table and its files, and how many units ran."""

    rows: tuple
    units: int
    ran: int
    resumed: int
    csv: str
    json: str


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def run_sweep(spec, out_dir, *, workers=1, scheduler=None, progress=False):
    """Run a sweep into ``out_dir``; resume it if the folder holds part of it.

    Parameters
    ----------
    spec : Spec, dict, str or os.PathLike
        A spec, or what :func:`read_spec` reads.
    out_dir : str or os.PathLike
        The sweep's folder: ``spec.json`` (the checked spec), ``units/``
        (one file per finished unit, written as it finishes) and the table,
        ``table.csv`` and ``table.json``.
    workers, scheduler
        Where the units run (:func:`linunlearn.parallel.executor`). A worker
        process that dies costs only its units: they are run again.
    progress : bool
        A progress bar on a terminal.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        A bad spec, a folder that cannot be written, or a folder that holds a
        sweep of another spec.
    KeyboardInterrupt
        On Ctrl-C; every finished unit is on disk, and the same call resumes.
    """
    spec = spec if isinstance(spec, Spec) else read_spec(spec)
    out_dir = outputs.check_folder(out_dir, "--out")
    regimes = cells(spec)
    units = _units(spec)
    recorded = os.path.join(out_dir, "spec.json")
    canonical = json.loads(json.dumps(spec.to_dict()))
    if os.path.exists(recorded):
        with open(recorded) as fh:
            try:
                previous = json.load(fh)
            except ValueError:
                raise ValueError(f"--out {out_dir}: its spec.json is damaged; remove it "
                                 f"(the finished units are kept) to go on") from None
            if previous != canonical:
                raise ValueError(f"--out {out_dir}: holds a sweep of another spec; give "
                                 f"another folder, or remove it to start again")
    unit_dir = os.path.join(out_dir, "units")
    os.makedirs(unit_dir, exist_ok=True)
    if not os.path.exists(recorded):
        outputs.write_json(recorded, canonical)
    files = [_unit_file(regimes[c].name, topic, seed) for c, topic, seed in units]
    todo = [i for i, f in enumerate(files) if _load_unit(os.path.join(unit_dir, f)) is None]
    resumed = len(units) - len(todo)
    bar = Progress(len(units), "sweep", enabled=progress)
    bar.update(steps=resumed)

    saved = set()

    def save(k, rows):
        i = todo_now[k]
        outputs.write_json(os.path.join(unit_dir, files[i]),
                           [{key: _jsonable(v) for key, v in row.items()} for row in rows])
        saved.add(i)
        bar.update(regimes[units[i][0]].name)

    try:
        for attempt in range(_RETRIES + 1):  # after a lost worker, what it did not save
            todo_now = [i for i in todo if i not in saved]
            jobs = [(regimes[units[i][0]], units[i][1], units[i][2], spec.trials,
                     spec.precision, spec.methods) for i in todo_now]
            try:
                with parallel.executor(workers, scheduler, jobs=len(jobs)) as ex:
                    parallel.run_jobs(_run_unit, jobs, ex, done=save)
                break
            except BrokenProcessPool:
                if attempt == _RETRIES:
                    raise
    finally:
        bar.close()
    rows = []
    for f in files:
        rows += _load_unit(os.path.join(unit_dir, f))
    csv_path, json_path = _write_table(out_dir, spec, rows)
    return SweepResult(tuple(rows), len(units), len(todo), resumed, csv_path, json_path)


def _load_unit(path):
    """The rows of a finished unit, or ``None`` (not run, or damaged: run again, warned)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as fh:
            rows = json.load(fh)
        if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
            return rows
    except (OSError, ValueError):
        pass
    warn(f"{path}: not a finished unit (damaged or empty); running it again",
         LinunlearnWarning)
    return None


def _write_table(out_dir, spec, rows):
    fields = [*spec.grid, *(c for c in COLUMNS if c not in spec.grid)]
    used = [f for f in fields if any(f in r for r in rows)]
    text = io.StringIO()
    writer = csv.DictWriter(text, used, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else
                         (repr(row[k]) if isinstance(row[k], float) else row[k])
                         for k in used})
    csv_path = os.path.join(out_dir, "table.csv")
    json_path = os.path.join(out_dir, "table.json")
    outputs.write_text(csv_path, text.getvalue())
    outputs.write_json(json_path, {"spec": spec.to_dict(), "columns": used, "rows": rows})
    return csv_path, json_path


def read_table(folder):
    """The rows and spec of a finished sweep: ``{"spec", "columns", "rows"}``.

    Raises
    ------
    ValueError
        If ``folder`` holds no finished sweep.
    """
    path = os.path.join(os.fspath(folder), "table.json")
    if not os.path.exists(path):
        raise ValueError(f"--from {folder}: no sweep table there (table.json); run "
                         f"linunlearn sweep SPEC.toml --out {folder} first")
    with open(path) as fh:
        return json.load(fh)


def claim_map(folder):
    """The ``claim_map`` figure's data from a sweep over ``d_lap/d_f`` by ``n_r/d_r``.

    The sweep must check claims (their sign checks are mapped) over a grid
    of exactly these two parameters, with one seed.

    Returns
    -------
    linunlearn.figures.data.ClaimMap

    Raises
    ------
    ValueError
        If the folder's sweep is not such a map.
    """
    from .claims import CLAIMS
    from .figures.data import ClaimMap
    table = read_table(folder)
    spec = table["spec"]
    if list(spec["grid"]) != ["d_lap/d_f", "n_r/d_r"] or not spec["claims"] or \
            len(spec["seeds"]) != 1:
        raise ValueError(f"--from {folder}: a claim map needs a sweep of claims over "
                         f"grid d_lap/d_f by n_r/d_r with one seed; this one sweeps "
                         f"{', '.join(spec['grid'])} with {len(spec['seeds'])} seed(s)")
    checks = {c.name: c for claim in CLAIMS.values() for c in claim.checks}
    rows = [r for r in table["rows"] if checks.get(r["check"]) is not None
            and checks[r["check"]].kind in ("positive", "nonpositive")]
    names = tuple(dict.fromkeys(r["check"] for r in rows))
    laps = np.asarray(spec["grid"]["d_lap/d_f"], float)
    nrs = np.asarray(spec["grid"]["n_r/d_r"], float)
    shape = (len(names), len(laps), len(nrs))
    verdicts = np.full(shape, "n/a", dtype=object)
    means, equal = np.full(shape, np.nan), np.zeros(shape, bool)
    n_trials = np.zeros(shape, int)
    for r in rows:
        c = names.index(r["check"])
        a = int(np.flatnonzero(laps == r["d_lap/d_f"])[0])
        b = int(np.flatnonzero(nrs == r["n_r/d_r"])[0])
        if r["verdict"] == "n/a":
            continue
        kind = checks[r["check"]].kind
        equal[c, a, b] = r["verdict"] == "equal"
        verdicts[c, a, b] = (("fails" if kind == "positive" else "holds")
                             if equal[c, a, b] else r["verdict"])
        means[c, a, b] = r["estimate"]
        n_trials[c, a, b] = r["trials"]
    flat = spec["teacher"] == "flat"
    return ClaimMap(names, tuple(checks[n].statement for n in names),
                    tuple(checks[n].masks for n in names), "flat" if flat else "other",
                    laps, nrs, verdicts.astype(str), means, equal, n_trials,
                    spec["seeds"][0], None if spec["trials"] else spec["precision"])
