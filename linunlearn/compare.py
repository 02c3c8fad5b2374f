"""Every unlearning method on the same data, with the same metrics (``linunlearn compare``).

compare             run every method on draws of the regimes, or on user data
Comparison          its result: text, JSON (``to_dict``) and LaTeX (``to_latex``)
default_methods     the rows compared by default (from the method declarations)
gaps                every row's average gap to golden (the ``method_gaps`` figure)
Timing              a run-time cell: median and minimum over the trials
DEFAULT_COMPARE_REGIMES, COLUMNS, MAIN_COLUMNS, EXTRA_COLUMNS

:func:`compare` runs each method (core models of :mod:`linunlearn.solutions`
and the methods of :mod:`linunlearn.methods`) on Monte Carlo draws of the
default regimes (distinct, 40% overlap, full overlap) or on user data, and
returns a :class:`Comparison`: per regime and method, the mean and confidence
interval of UA (unlearning loss), RA (remaining loss and remaining test
loss), TA (test loss), MIA-efficacy and the average gap to the golden model,
and the median and minimum run time, with the stop reasons the methods gave.
Further columns (:data:`EXTRA_COLUMNS`, a second table per regime in the
text) hold the membership attacks on the forgetting set
(:mod:`linunlearn.attacks`: the loss attack's and offline LiRA's AUC and
true-positive rate at 1% false positives, each with its gap to the golden
model's value, and the gap of MIA-efficacy) and the relearn time
(:mod:`linunlearn.relearn`). It formats as text, JSON
(:meth:`Comparison.to_dict`) and LaTeX (:meth:`Comparison.to_latex`). User data may have multi-output labels (e.g.
one-hot classes, :func:`linunlearn.realdata.digits_forgetting`): every
method fits the outputs jointly and the losses sum over them.

Every metric cell is a :class:`~linunlearn.montecarlo.ConfidenceInterval`
(the package's one interval type).
"""

import copy
import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import attacks, relearn
from ._validation import check_float, check_int
from .metrics import METRICS, average_gap, evaluate
from .montecarlo import ConfidenceInterval, confidence_interval
from .progress import Progress
from .solutions import available_methods, closed_form, method_spec, solve

__all__ = ["Timing", "Comparison", "compare", "default_methods",
           "DEFAULT_COMPARE_REGIMES", "gaps", "COLUMNS", "MAIN_COLUMNS",
           "EXTRA_COLUMNS"]

#: The regimes :func:`compare` runs by default (from
#: :data:`linunlearn.regimes.DEFAULT_REGIMES`).
DEFAULT_COMPARE_REGIMES = ("distinct", "overlap", "full-overlap")


def default_methods():
    """``(label, method, options)`` of every row ``compare`` runs by default.

    Derived from the method declarations (:func:`linunlearn.register_method`'s
    ``compare``), in declaration order: the core models, then every
    declared method with its documented default options; the regularised
    variants both at convergence and after 5 gradient steps (the budget of
    claim C8). A method declared by a user appears here too.

    Examples
    --------
    >>> [label for label, _, _ in default_methods()][:5]
    ['finetune', 'golden', 'rbm', 'fbm', 'projection']
    """
    return tuple((label, name, dict(options)) for name in available_methods()
                 for label, options in method_spec(name).compare)


#: The first table's columns: the metrics (those the data allow), the
#: average gap to golden, the time.
MAIN_COLUMNS = METRICS + ("gap_to_golden", "time_ms")

#: The second table's columns: MIA-efficacy's gap to golden, the attacks on
#: the forgetting set (each with its gap to golden's value; they need
#: held-out forgetting rows) and the relearn time.
EXTRA_COLUMNS = ("mia_efficacy_gap", "mia_auc", "mia_auc_gap", "mia_tpr", "mia_tpr_gap",
                 "lira_auc", "lira_auc_gap", "lira_tpr", "lira_tpr_gap",
                 "relearn_steps")

#: Every column, in order (JSON lists those the data allow).
COLUMNS = MAIN_COLUMNS + EXTRA_COLUMNS

_SHORT = {"remaining_loss": "RL", "unlearning_loss": "UA: UL",
          "test_remaining_loss": "RA: test_r", "test_forgetting_loss": "test_f",
          "test_loss": "TA: test", "mia_efficacy": "MIA", "gap_to_golden": "gap",
          "time_ms": "ms", "mia_efficacy_gap": "MIA gap", "mia_auc": "loss AUC",
          "mia_auc_gap": "gap", "mia_tpr": "TPR@1%", "mia_tpr_gap": "gap",
          "lira_auc": "LiRA AUC", "lira_auc_gap": "gap", "lira_tpr": "LiRA TPR@1%",
          "lira_tpr_gap": "gap", "relearn_steps": "relearn"}

#: The range of each column's values (losses, gap, time and relearn steps are
#: non-negative; MIA-efficacy, AUCs, TPRs and their gaps are shares):
#: intervals are clipped to it. The true mean lies in the range, so clipping
#: keeps the coverage of the interval.
_RANGES = {c: (0.0, 1.0) for c in ("mia_efficacy",) + EXTRA_COLUMNS[:-1]}
_NON_NEGATIVE = (0.0, np.inf)

_HEADER_TRIALS = (
    "cells: mean ± half-width of the {confidence:.0%} Student-t interval, or "
    "mean [low, high] where it is clipped to the metric's range (losses >= 0, "
    "MIA in [0, 1]); ms: median (min) over the trials, each method timed on a "
    "fresh copy of the data (its factorisation included) after an untimed "
    "warm-up call")
_EXTRA_HEADER = (
    "attacks on D_f against held-out forgetting rows (AUC: 0.5 is chance; TPR at "
    "1% false positives; gap: |value - golden's| on the same data); relearn: "
    "gradient steps on half of D_f until its loss is back within 10% of the "
    "golden-pretrained gap")
_HEADER_ONE_RUN = (
    "cells: the values of one run on the given data (no intervals); ms: one "
    "timed call on a fresh copy of the data (its factorisation included) after "
    "an untimed warm-up call")


@dataclass(frozen=True)
class Timing:
    """The run time of a method over the trials, in milliseconds.

    Run times are skewed (a t-interval around their mean can reach below
    zero): the table gives the ``median`` and the ``minimum`` instead.
    """

    median: float
    minimum: float
    mean: float
    n_trials: int = 1

    def to_dict(self):
        """JSON-ready ``{"mean", "low", "high", "median", "min"}`` (no interval)."""
        return {"mean": self.mean, "low": None, "high": None, "median": self.median,
                "min": self.minimum}


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    regimes : tuple of str
        Regime names (``"data"`` for user data).
    methods : tuple of str
        Row labels.
    specs : dict
        ``label -> (method, options)``.
    columns : tuple of str
        The columns present (a subset of :data:`COLUMNS`).
    cells : dict
        ``cells[regime][label][column]`` is a
        :class:`~linunlearn.montecarlo.ConfidenceInterval` (its Student-t
        interval clipped to the metric's range, MIA-efficacy in [0, 1], the
        others non-negative; ``low`` and ``high`` are ``None`` for a single
        data set), or a :class:`Timing` for the run time.
    stop_reasons : dict
        ``stop_reasons[regime][label]`` maps each stop reason to its count
        over trials (``info["stop_reason"]``, or the gradient-descent stop
        reason, or ``"closed_form"``).
    descriptions : dict
        ``regime -> description`` (sizes of the scenario).
    n_trials : int
    seed : int or None
    confidence : float
    """

    regimes: tuple
    methods: tuple
    specs: dict
    columns: tuple
    cells: dict
    stop_reasons: dict
    descriptions: dict = field(default_factory=dict)
    n_trials: int = 1
    seed: int = None
    confidence: float = 0.95

    def to_dict(self):
        """A JSON-serialisable dict of everything in the result.

        Each cell has ``mean``, ``low`` and ``high``; the run-time cells also
        ``median`` and ``min``.
        """
        return {
            "seed": self.seed, "n_trials": self.n_trials,
            "confidence": self.confidence if self.n_trials > 1 else None,
            "columns": list(self.columns),
            "methods": {label: {"method": m, "options": _jsonable(o)}
                        for label, (m, o) in self.specs.items()},
            "regimes": {r: {"description": self.descriptions.get(r, ""),
                            "results": {label: {
                                **{c: _cell_dict(cell)
                                   for c, cell in self.cells[r][label].items()},
                                "stop_reasons": dict(self.stop_reasons[r][label])}
                                for label in self.methods}}
                        for r in self.regimes}}

    def _header(self):
        if self.n_trials == 1:
            return (f"{len(self.methods)} methods; one run (seed {self.seed}); "
                    + _HEADER_ONE_RUN)
        return (f"{len(self.methods)} methods; {self.n_trials} trials per regime, "
                f"seed {self.seed}; "
                + _HEADER_TRIALS.format(confidence=self.confidence))

    def format_text(self):
        """Fixed-width text: per regime, a table of the metrics and one of the attacks.

        The header says what a cell holds; the second table (attacks and
        relearning, :data:`EXTRA_COLUMNS`) follows the first in each regime.
        """
        out = [self._header()]
        main = [c for c in self.columns if c in MAIN_COLUMNS]
        extra = [c for c in self.columns if c in EXTRA_COLUMNS]
        for r in self.regimes:
            out.append("")
            out.append(f"regime {r}: {self.descriptions.get(r, '')}".rstrip(": "))
            out += self._text_table(r, main, stop=True)
            if extra:
                out.append("")
                out += self._text_table(r, extra, stop=False)
        if extra:
            out += ["", _EXTRA_HEADER]
        return "\n".join(out)

    def _text_table(self, regime, columns, *, stop):
        heads = [_SHORT.get(c, c) for c in columns] + (["stop"] if stop else [])
        first = max(len("method"), *(len(m) for m in self.methods))
        rows = []
        for label in self.methods:
            cells = [_text_cell(self.cells[regime][label][c]) for c in columns]
            if stop:
                reasons = self.stop_reasons[regime][label]
                cells.append(",".join(sorted(reasons, key=reasons.get, reverse=True)))
            rows.append((label, cells))
        widths = [max(len(h), *(len(cells[i]) for _, cells in rows))
                  for i, h in enumerate(heads)]
        last = len(heads) - 1 if stop else len(heads)  # the stop column is left-aligned
        lines = [f"{'method':<{first}}  " + "  ".join(
            f"{h:>{w}}" if i < last else h for i, (h, w) in enumerate(zip(heads, widths)))]
        for label, cells in rows:
            lines.append(f"{label:<{first}}  " + "  ".join(
                f"{c:>{w}}" if i < last else c
                for i, (c, w) in enumerate(zip(cells, widths))))
        return lines

    def to_latex(self, *, columns=None):
        """A booktabs LaTeX table: a block of rows per regime (cells as in :meth:`format_text`).

        ``columns`` defaults to the first table's (:data:`MAIN_COLUMNS`); give
        e.g. :data:`EXTRA_COLUMNS` for the attacks.
        """
        columns = (tuple(c for c in self.columns if c in MAIN_COLUMNS) if columns is None
                   else tuple(columns))
        head = " & ".join(["method"] + [_latex_escape(_SHORT.get(c, c))
                                          for c in columns])
        lines = [f"% linunlearn compare: {self._header()}",
                 "\\begin{tabular}{l" + "r" * len(columns) + "}", "\\toprule",
                 head + " \\\\"]
        for r in self.regimes:
            lines += ["\\midrule", f"\\multicolumn{{{len(columns) + 1}}}{{l}}"
                                   f"{{\\emph{{{_latex_escape(r)}}}}} \\\\"]
            for label in self.methods:
                cells = [_latex_cell(self.cells[r][label][c]) for c in columns]
                lines.append(" & ".join([f"\\texttt{{{_latex_escape(label)}}}"]
                                        + cells) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines)


def _jsonable(options):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in options.items()}


def _fmt(x):
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


def _cell_dict(cell):
    if isinstance(cell, Timing):
        return cell.to_dict()
    return {"mean": cell.estimate, "low": cell.low, "high": cell.high}


def _symmetric(cell):
    below, above = cell.estimate - cell.low, cell.high - cell.estimate
    return abs(below - above) <= 1e-9 * max(below, above, 1e-300)


def _text_cell(cell):
    if isinstance(cell, Timing):
        return (f"{_fmt(cell.median)} ({_fmt(cell.minimum)})" if cell.n_trials > 1
                else _fmt(cell.median))
    if cell.low is None:
        return _fmt(cell.estimate)
    if _symmetric(cell):
        return f"{_fmt(cell.estimate)}±{_fmt(0.5 * (cell.high - cell.low))}"
    return f"{_fmt(cell.estimate)} [{_fmt(cell.low)}, {_fmt(cell.high)}]"


def _latex_cell(cell):
    if isinstance(cell, Timing):
        return (f"${_fmt(cell.median)}$ (${_fmt(cell.minimum)}$)" if cell.n_trials > 1
                else f"${_fmt(cell.median)}$")
    if cell.low is None:
        return f"${_fmt(cell.estimate)}$"
    if _symmetric(cell):
        return f"${_fmt(cell.estimate)} \\pm {_fmt(0.5 * (cell.high - cell.low))}$"
    return f"${_fmt(cell.estimate)}\\ [{_fmt(cell.low)}, {_fmt(cell.high)}]$"


def _cell(values, column, confidence):
    """The cell of one column over the trials: an interval, or a :class:`Timing`.

    A column with an infinite value (a relearn time of a model that is never
    back) has the mean ``inf`` and no interval.
    """
    values = np.asarray(values, dtype=float)
    if column == "time_ms":
        return Timing(float(np.median(values)), float(values.min()), float(values.mean()),
                      len(values))
    if len(values) == 1 or not np.all(np.isfinite(values)):
        return ConfidenceInterval(None, None, float(np.mean(values)), n_trials=len(values),
                                  confidence=confidence)
    e = confidence_interval(values, confidence)
    lo, hi = _RANGES.get(column, _NON_NEGATIVE)
    return dataclasses.replace(e, low=max(e.low, lo), high=min(e.high, hi))


def _latex_escape(text):
    return text.replace("_", "\\_").replace("%", "\\%").replace("&", "\\&")


def _method_specs(methods):
    if methods is None:
        return {label: (m, dict(o)) for label, m, o in default_methods()}
    specs = {}
    known = available_methods()
    for entry in methods:
        if isinstance(entry, str):
            label, method, options = entry, entry, {}
        elif isinstance(entry, tuple) and len(entry) == 3:
            label, method, options = entry
        else:
            raise TypeError(f"methods entries must be a method name or a "
                            f"(label, method, options) tuple, got {entry!r}")
        if method not in known:
            raise ValueError(f"methods: unknown method {method!r}; known: "
                             f"{', '.join(known)}")
        if label in specs:
            raise ValueError(f"methods: duplicate label {label!r}")
        specs[label] = (method, dict(options))
    if not specs:
        raise ValueError("methods must name at least one method")
    return specs


def _regimes(regimes):
    from .regimes import DEFAULT_REGIMES
    from .scenarios import Scenario
    regimes = DEFAULT_COMPARE_REGIMES if regimes is None else regimes
    if isinstance(regimes, dict):
        items = list(regimes.items())
    else:
        items = []
        for r in regimes:
            if isinstance(r, str):
                if r not in DEFAULT_REGIMES:
                    raise ValueError(f"regimes: unknown regime {r!r}; known: "
                                     f"{', '.join(DEFAULT_REGIMES)}")
                items.append((r, DEFAULT_REGIMES[r].scenario))
            else:
                items.append((getattr(r, "name", None), getattr(r, "scenario", r)))
    out = {}
    for name, scenario in items:
        if not isinstance(scenario, Scenario) or name is None:
            raise TypeError(f"regimes must be default regime names, Regime objects "
                            f"or a dict of name -> Scenario, got {scenario!r}")
        out[name] = scenario
    if not out:
        raise ValueError("regimes must name at least one regime")
    return out


_CONTROLLER = []


def _one_thread():
    """BLAS on one thread: the attacks' and relearning's many small solves.

    Measured on this 2-core machine under load (``compare`` on the digits,
    300 x 600, every default method): with two OpenBLAS threads these small
    factorisations contend and the run took 18-30 s; with them on one thread
    2.7 s (2.8 s before the attacks were added). One thread also takes the
    thread count out of their round-off. The controller, which reads the
    process's loaded libraries, is made once: ``threadpool_limits`` made
    anew for each of the default run's 1500 calls cost 2 s of its 10.
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _pretrained(data):
    w = closed_form(data.outputs_first, "pretrained")
    return w if data.n_outputs is None else w.T


def _run_one(data, specs, rng, *, warm_up=False, attack_rng=None, bar=None):
    """Metrics, time and stop reason of every method on one data set.

    ``warm_up``: call each method once, untimed, before the timed call (on a
    copy of its options, so that a generator in them is not advanced). The
    timed call gets a fresh copy of the data set, without the factorisation
    that earlier calls cached, so every method pays for its own.
    ``attack_rng`` draws LiRA's shadow subsets (its own stream, so that the
    methods' random numbers do not change). Attacks, gaps and relearning are
    computed outside the timed call, on one BLAS thread (:func:`_one_thread`).
    ``bar``: a :class:`~linunlearn.progress.Progress` told of each method done.
    """
    w_g = solve(data, "golden").w
    golden = evaluate(data, w_g)
    w_o = _pretrained(data)
    with _one_thread():
        shadows = (attacks.shadow_models(data, rng=attack_rng)
                   if data.X_test_f is not None else None)
        golden_attacks = {**golden, **attacks.attack_metrics(data, w_g, shadows)}
        back = relearn.relearn_threshold(data, w_o, w_g)
    rows = {}
    for label, (method, options) in specs.items():
        opts = dict(options)
        if method == "salun" and "rng" not in opts:
            opts["rng"] = rng
        if warm_up:
            solve(data, method, **copy.deepcopy(opts))
        fresh = dataclasses.replace(data)  # no cached factorisation (untimed copy)
        start = time.perf_counter()
        sol = solve(fresh, method, **opts)
        elapsed = 1e3 * (time.perf_counter() - start)
        metrics = evaluate(data, sol.w)
        metrics["gap_to_golden"] = average_gap(metrics, golden)
        metrics["time_ms"] = elapsed
        with _one_thread():
            metrics.update(attacks.attack_metrics(data, sol.w, shadows))
            metrics.update(attacks.attack_gaps(metrics, golden_attacks))
            metrics["relearn_steps"] = relearn.relearn_time(data, sol.w, back)
        reason = sol.info.get("stop_reason") or (
            sol.run.stop_reason if sol.run is not None else "closed_form")
        rows[label] = (metrics, reason)
        if bar is not None:
            bar.update(label)
    return rows


def _describe(s):
    return (f"d_r={s.d_r}, d_f={s.d_f}, d_lap={s.d_lap}, n_r={s.n_r}, "
            f"n_f={s.n_f}, sigma={s.sigma:g}")


def compare(regimes=None, *, data=None, methods=None, n_trials=20, seed=0,
            confidence=0.95, progress=False):
    """Run every unlearning method on the same data and tabulate the metrics.

    Parameters
    ----------
    regimes : sequence of str or Regime, or dict of str to Scenario, optional
        Scenarios to draw from; default :data:`DEFAULT_COMPARE_REGIMES`.
        Ignored when ``data`` is given.
    data : Dataset, optional
        User data, with labels of shape (n,) or (n, k): one run, no
        intervals (regime name ``"data"``).
    methods : sequence, optional
        Method names, or ``(label, method, options)`` tuples; default
        :func:`default_methods`. SalUn's random labels come from the
        trial's generator unless ``rng`` is in its options.
    n_trials : int
        Monte Carlo draws per regime (at least 2).
    seed : int
        Trial ``i`` of regime ``r`` uses the ``i``-th child of
        ``seed_sequence(seed, "compare", r)``, split into one stream for the
        data, one for the methods and one for the attacks' shadow models.
    confidence : float in (0, 1)
        Level of the Student-t intervals (clipped to each metric's range).
    progress : bool
        Show a progress bar on a terminal (per trial; per method on user
        data).

    Returns
    -------
    Comparison
        Metric cells hold the mean and interval over the trials; run-time
        cells the median and minimum (each method is called once, untimed,
        before the timed calls of a regime; every timed call starts from a
        copy of the data without a cached factorisation).

    Raises
    ------
    ValueError, TypeError
        Unknown regime or method, a bad option of a method, ``n_trials < 2``.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> from linunlearn.compare import compare
    >>> res = compare({"tiny": Scenario.distinct(8, 6, 3, 2)},
    ...               methods=["finetune", "rbm", "deepclean", "ga"], n_trials=3)
    >>> round(res.cells["tiny"]["rbm"]["gap_to_golden"].estimate, 12)
    0.0
    >>> dict(res.stop_reasons["tiny"]["ga"])
    {'vanishing_gradient': 3}
    """
    from .montecarlo import seed_sequence
    specs = _method_specs(methods)
    confidence = check_float(confidence, "confidence", minimum=0.0, maximum=1.0,
                             strict=True)
    if confidence >= 1.0:
        raise ValueError(f"confidence must be < 1, got {confidence}")
    seed = check_int(seed, "seed", minimum=0)
    if data is not None:
        with Progress(len(specs), "compare", enabled=progress) as bar:
            rows = _run_one(data, specs, np.random.default_rng(seed), warm_up=True,
                            attack_rng=np.random.default_rng(
                                seed_sequence(seed, "compare", "data", "attacks")),
                            bar=bar)
        cells = {"data": {label: {c: _cell([v], c, confidence) for c, v in m.items()}
                          for label, (m, _) in rows.items()}}
        reasons = {"data": {label: Counter([r]) for label, (_, r) in rows.items()}}
        columns = tuple(c for c in COLUMNS if c in next(iter(rows.values()))[0])
        outputs = "" if data.n_outputs is None else f", k={data.n_outputs} outputs"
        return Comparison(("data",), tuple(specs), specs, columns, cells, reasons,
                          {"data": f"one data set: n_r={data.n_r}, n_f={data.n_f}, "
                                   f"d={data.d}{outputs}"}, 1, seed, confidence)
    n_trials = check_int(n_trials, "n_trials", minimum=2)
    scenarios = _regimes(regimes)
    cells, reasons, descriptions = {}, {}, {}
    columns = None
    bar = Progress(len(scenarios) * n_trials, "compare", enabled=progress)
    for name, scenario in scenarios.items():
        trials = []
        for i, child in enumerate(seed_sequence(seed, "compare", name).spawn(n_trials)):
            # the first two children are those of child.spawn(2): the data and
            # the methods' streams; the third draws the attacks' shadow subsets
            data_seed, method_seed, attack_seed = child.spawn(3)
            sample = scenario.sample(rng=np.random.default_rng(data_seed))
            trials.append(_run_one(sample, specs, np.random.default_rng(method_seed),
                                   warm_up=i == 0,
                                   attack_rng=np.random.default_rng(attack_seed)))
            bar.update(name)
        columns = tuple(c for c in COLUMNS if c in trials[0][next(iter(specs))][0])
        cells[name] = {label: {c: _cell([t[label][0][c] for t in trials], c, confidence)
                               for c in columns} for label in specs}
        reasons[name] = {label: Counter(t[label][1] for t in trials) for label in specs}
        descriptions[name] = _describe(scenario)
    bar.close()
    return Comparison(tuple(scenarios), tuple(specs), specs, columns, cells,
                      reasons, descriptions, n_trials, seed, confidence)


def gaps(comparison):
    """The average gap to golden of every row: ``{regime: {label: ConfidenceInterval}}``.

    The data of the ``method_gaps`` figure.

    Examples
    --------
    >>> from linunlearn import Scenario
    >>> res = compare({"tiny": Scenario.distinct(8, 6, 3, 2)}, methods=["rbm"], n_trials=2)
    >>> round(gaps(res)["tiny"]["rbm"].estimate, 12)
    0.0
    """
    return {r: {label: c["gap_to_golden"] for label, c in comparison.cells[r].items()}
            for r in comparison.regimes}
