"""The verifier behind ``linunlearn verify``: claims run on regimes, one loop, one report.

verify          check the paper's claims on their regimes (and C5's map), or a family
check_claim     one claim on any regime (premise not applied: how false cases are fed)
entries         the entries ``verify`` runs for a selection of claims and regimes
run             run entries: the one loop (symbolic proofs once per claim, Monte Carlo)
Interrupted     Ctrl-C during a run, with the report of what it finished
ClaimResult     the verdict of one claim on one regime, with its evidence
Report          every result of a run; ``to_dict`` is the JSON evidence
format_report   a readable table, a grid per mapped claim, and the notes

Verdicts per (claim, regime): ``"holds"`` when every symbolic proof is proved
and every empirical check holds, ``"fails"`` when any of them fails (or is
disproved), ``"inconclusive"`` otherwise (also when the claim's premise does
not apply to the regime: its single check ``"<key>.premise"`` says why).
"""

import functools
import time
from dataclasses import asdict, dataclass, field, replace

from . import cache, montecarlo, parallel
from ._validation import check_float, check_int
from .checks import FAMILY_ALPHA, CheckResult, combine, settle
from .claims import (CLAIMS, EXPECTED, GD_RTOL, GD_STREAM, GD_TRIALS, PREMISE, Claim, Entry,
                     Proof, UserModels, trained_twin)
from .families import FAMILIES
from .progress import Progress
from .regimes import DEFAULT_REGIMES, Regime, map_regimes

__all__ = ["verify", "check_claim", "entries", "run", "ClaimResult", "Report", "Interrupted",
           "format_report", "MC_ONLY"]

#: How a claim's statement says that a check was left out for lack of an exact value.
MC_ONLY = "Monte-Carlo-only"

#: The models the claims are about (what ``methods=`` may replace).
MODEL_NAMES = ("pretrained", "finetune", "golden", "rbm", "fbm", "projection")


@dataclass(frozen=True)
class ClaimResult:
    """The verdict of one claim on one regime, with its evidence.

    Attributes
    ----------
    id : str
        ``"C1"`` ... ``"C8"`` (or a family's claim id).
    regime : str
    verdict : {"holds", "fails", "inconclusive"}
    expected : {"holds", "depends"}
    statement : str
    symbolic : tuple of dict
        The symbolic proofs (name, verdict, statement, detail).
    checks : tuple of linunlearn.checks.CheckResult
    seed : int
    regime_description : str
    part : str
        The part of the claim checked (``""``: the claim itself).
    coords : dict or None
        The regime's place on a map (see :class:`linunlearn.regimes.Regime`).
    """

    id: str
    regime: str
    verdict: str
    expected: str
    statement: str
    symbolic: tuple = ()
    checks: tuple = ()
    seed: int = 0
    regime_description: str = ""
    part: str = ""
    coords: dict = None

    @property
    def key(self):
        """The claim's key (id, and part if any)."""
        return f"{self.id}-{self.part}" if self.part else self.id


@dataclass(frozen=True)
class Report:
    """All results of a :func:`verify` run."""

    results: tuple
    seed: int
    precision: float
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def failed_expected(self):
        """Results that contradict their expectation: should hold and fail, or the reverse."""
        return [r for r in self.results
                if (r.expected, r.verdict) in (("holds", "fails"), ("fails", "holds"))]

    @property
    def undecided_expected(self):
        """Results with an expectation that came out inconclusive (premises that do not apply aside)."""
        return [r for r in self.results if r.expected in ("holds", "fails")
                and r.verdict == "inconclusive"
                and not all(c.kind == "premise" for c in r.checks)]

    @property
    def exit_code(self):
        """``0``: every expectation met; ``1``: one contradicted; ``3``: one undecided."""
        return 1 if self.failed_expected else 3 if self.undecided_expected else 0

    def to_dict(self):
        """JSON-ready evidence: ``{"claims": [...], "seed": ..., ...}``.

        Each entry is a :class:`ClaimResult` as a dict, with its ``key``.
        """
        return {"claims": [{**asdict(r), "key": r.key} for r in self.results],
                "seed": self.seed, "precision": self.precision,
                "seconds": self.seconds, "settings": self.settings}


# --------------------------------------------------------------------------
# selecting and running


def _proved(claim):
    """The symbolic proofs of a claim as dicts, and whether each ran to its end."""
    out, complete = [], True
    for proof in claim.proofs:
        try:
            out += [{"name": r.name, "verdict": r.verdict, "statement": r.statement,
                     "detail": r.detail} for r in proof()]
        except Exception as exc:  # sympy failing to decide is not a pass
            complete = False
            out.append({"name": proof.__name__, "verdict": "inconclusive",
                        "statement": "", "detail": f"the symbolic check raised "
                                                   f"{type(exc).__name__}: {exc}"})
    return tuple(out), complete


def _cache_name(claim):
    """The cache key of a claim's proofs: only the package's own proofs are cached."""
    if not all(isinstance(p, Proof) or getattr(p, "__module__", "") == "linunlearn.proofs"
               for p in claim.proofs):
        return None
    return "proofs-" + "-".join(p.__name__ for p in claim.proofs)


def _symbolic(claim, *, use_cache=True):
    """The symbolic proofs of a claim as dicts (read back from :mod:`linunlearn.cache`)."""
    name = _cache_name(claim) if use_cache else None
    if name is not None:
        cached = cache.load(name)
        if cached is not None:
            return tuple(cached)
    out, complete = _proved(claim)
    if name is not None and complete:
        cache.store(name, list(out))
    return out


def _select(claims):
    """The :class:`Claim` objects selected by ids (``"C5"``: every part), keys or claims."""
    out = []
    for item in claims:
        if isinstance(item, Claim):
            matches = [item]
        else:
            matches = [c for k, c in CLAIMS.items() if item in (k, c.id)]
            if not matches:
                known = ", ".join(dict.fromkeys([*CLAIMS, *(c.id for c in CLAIMS.values())]))
                raise ValueError(f"unknown claim {item!r}; known: {known}")
        out += [c for c in matches if c not in out]
    return out


def entries(claims=None, regimes=None, *, disparity_map=True):
    """The entries :func:`verify` runs: each claim on its default regimes (and the map).

    Parameters
    ----------
    claims : sequence of str or Claim, optional
        Claim ids (``"C5"`` selects C5 and its parts), keys of
        :data:`linunlearn.claims.CLAIMS` (``"C5-disparity"``), or
        :class:`~linunlearn.claims.Claim` objects of a user's; default all.
    regimes : sequence of str or Regime, optional
        Run on these regimes instead of each claim's default ones (names of
        :data:`linunlearn.regimes.DEFAULT_REGIMES` restrict the defaults;
        :class:`~linunlearn.regimes.Regime` objects are run for every
        selected claim). The map then does not run.
    disparity_map : bool
        Run the mapped claims on :func:`linunlearn.regimes.map_regimes`.

    Returns
    -------
    list of Entry

    Examples
    --------
    >>> [(e.claim.key, e.regime.name) for e in entries(["C4", "C6"])]
    [('C4', 'distinct'), ('C6', 'full-overlap')]
    """
    for value, what in ((claims, "claims"), (regimes, "regimes")):
        if isinstance(value, str):
            raise TypeError(f"{what} must be a list, e.g. [{value!r}], got the string "
                            f"{value!r}")
        if value is not None and hasattr(value, "__len__") and len(value) == 0:
            raise ValueError(f"{what} is empty: leave it out (None) to run every one")
    selected = list(CLAIMS.values()) if claims is None else _select(claims)
    names = [r for r in regimes or () if isinstance(r, str)]
    for name in names:
        if name not in DEFAULT_REGIMES:
            raise ValueError(f"unknown regime {name!r}; known: {', '.join(DEFAULT_REGIMES)}")
    given = [r for r in regimes or () if isinstance(r, Regime)]
    if regimes is not None and len(names) + len(given) != len(regimes):
        raise TypeError("regimes must be names of default regimes or Regime objects")
    out = []
    for claim in selected:
        out += [Entry(claim, DEFAULT_REGIMES[r]) for r in claim.regimes
                if regimes is None or r in names]
        out += [Entry(claim, r) for r in given]
        if claim.mapped and disparity_map and regimes is None:
            out += [Entry(claim, r) for r in map_regimes()]
    return out


def _not_applicable(entry, reason, expected, statement, seed):
    check = CheckResult(name=f"{entry.claim.key}.premise", kind="premise",
                        verdict="inconclusive", statement=statement, detail=reason)
    return ClaimResult(id=entry.claim.id, part=entry.claim.part, regime=entry.regime.name,
                       verdict="inconclusive", expected=expected, statement=statement,
                       checks=(check,), seed=seed,
                       regime_description=entry.regime.description)


def _plan(entry, seed, apply_premise=True):
    """What an entry runs: ``(statement, checks)``, or its result if its premise fails."""
    claim, regime = entry.claim, entry.regime
    scenario = regime.scenario
    statement = entry.statement or claim.statement
    reason = entry.reason or (claim.premise(scenario) if claim.premise else None)
    if reason and apply_premise:
        return _not_applicable(entry, reason, entry.expected or claim.expected, statement,
                               seed)
    checks = []
    for check in claim.checks:
        if check.kind == "theory" and not entry.keep_theory:
            continue
        missing = check.requires(scenario) if check.requires else None
        if missing:
            note = missing.removeprefix(PREMISE)
            if check.stand_in:
                note = f"{note}; {check.stand_in}"
            statement = f"{statement} [{MC_ONLY}: {note}]"
            continue
        checks += [check, *_twins(check, claim, entry)]
    return statement, checks


def _result(entry, statement, checks, symbolic, seed):
    """The :class:`ClaimResult` of an entry from its checks' results."""
    claim, regime = entry.claim, entry.regime
    return ClaimResult(id=claim.id, part=claim.part, regime=regime.name,
                       verdict=_claim_verdict(symbolic, checks),
                       expected=entry.expected or claim.expected, statement=statement,
                       symbolic=symbolic, checks=tuple(checks), seed=seed,
                       regime_description=regime.description, coords=regime.coords)


def _run_entry(entry, seed, precision, trials, executor, symbolic, apply_premise=True,
               planned=1):
    plan = _plan(entry, seed, apply_premise)
    if isinstance(plan, ClaimResult):
        return plan
    statement, checks = plan
    results = [check.run(entry.regime, seed, precision=precision, trials=trials,
                         executor=executor, models=entry.models, planned=planned)
               for check in checks]
    return _result(entry, statement, results, symbolic, seed)


def _claim_verdict(symbolic, checks):
    return combine([s["verdict"] for s in symbolic] + [c.outcome for c in checks])


def _twins(check, claim, entry):
    """The gradient-descent version of an identity about what training does.

    Run on the paper's models (a user's, if given), not on a family's
    providers, whose models are not the paper's training; and in the
    paper's regime only (``[X_r; X_f]`` of full row rank), where gradient
    descent converges within its step budget.
    """
    models = entry.models
    if isinstance(models, UserModels):  # a user's models over a family's provider
        models = models.base
    if not check.trained or not claim.uses or models is not None:
        return []
    if not entry.regime.interpolating:
        return []
    return [replace(check, name=f"{check.name}.gd", tolerance=GD_RTOL, trained=False,
                    statistic=functools.partial(trained_twin, statistic=check.statistic,
                                                uses=claim.uses),
                    statement=f"{check.statement}, on gradient-descent runs; the models "
                              f"within tol of them", trials=GD_TRIALS,
                    stream=GD_STREAM)]


def check_claim(claim, regime, *, seed=0, precision=0.05, trials=None, executor=None,
                symbolic=None, models=None):
    """Check one claim on one regime, whether or not its premise holds there.

    This is how false cases are fed to a claim: every check runs on any
    regime (:func:`verify` reports a claim whose premise fails as
    "premise does not apply" instead).

    Parameters
    ----------
    claim : Claim or str
        A claim, or its key in :data:`linunlearn.claims.CLAIMS`.
    regime : Regime or str
        Any regime, or the name of a default one.
    seed, precision, trials, executor
        As in :func:`verify`.
    symbolic : tuple of dict, optional
        Precomputed symbolic results (the claim's proofs are run when ``None``).
    models : dict or callable, optional
        A user's models, ``{name: fn}`` (see :func:`verify`'s ``methods``),
        or a model provider fed to the statistics (default the paper's).

    Returns
    -------
    ClaimResult

    Examples
    --------
    >>> from linunlearn.regimes import DEFAULT_REGIMES
    >>> check_claim("C4", DEFAULT_REGIMES["overlap"], trials=20).verdict  # C4 is for distinct
    'fails'
    """
    if isinstance(claim, str):
        if claim not in CLAIMS:
            raise ValueError(f"unknown claim {claim!r}; known: {', '.join(CLAIMS)}")
        claim = CLAIMS[claim]
    if isinstance(regime, str):
        if regime not in DEFAULT_REGIMES:
            raise ValueError(f"unknown regime {regime!r}; known: "
                             f"{', '.join(DEFAULT_REGIMES)}")
        regime = DEFAULT_REGIMES[regime]
    precision = check_float(precision, "precision", minimum=0.0, strict=True)
    if trials is not None:
        trials = check_int(trials, "trials", minimum=2)
    if symbolic is None:
        symbolic = _symbolic(claim)
    entry = Entry(claim, regime, models=_user(models))
    result = _run_entry(entry, seed, precision, trials, executor, tuple(symbolic),
                        apply_premise=False, planned=_planned([entry]))
    return _settled([result])[0]


def _user(models):
    """A model provider from ``methods=`` / ``models=``: a dict becomes :class:`UserModels`."""
    return UserModels(models) if isinstance(models, dict) else models


def _planned(todo):
    """Statistical decisions a run of ``todo`` makes (its samples are sized for them)."""
    return max(1, sum(c.units for e in todo for c in e.claim.checks))


def _settled(results, alpha=FAMILY_ALPHA):
    """Every check's verdict after Holm's correction across the run, and the claims' again."""
    flat = [c for r in results for c in r.checks]
    settled = iter(settle(flat, alpha))
    out = []
    for r in results:
        checks = tuple(next(settled) for _ in r.checks)
        verdict = (r.verdict if all(c.kind == "premise" for c in checks) else
                   _claim_verdict(r.symbolic, checks))
        out.append(replace(r, checks=checks, verdict=verdict))
    return out


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C; ``report`` holds every claim-regime pair it finished."""

    def __init__(self, report, total):
        super().__init__(f"interrupted after {len(report.results)} of {total} "
                         f"claim-regime pairs")
        self.report = report
        self.total = total


def _check_jobs(todo, plans):
    """The jobs of a run: one check on one regime each, but a regime's gradient-descent
    checks together (they share its cached runs).

    Returns a list of ``(regime, [(entry index, check index, check, models)])``.
    """
    jobs, trained = [], {}
    for i, (entry, plan) in enumerate(zip(todo, plans)):
        if isinstance(plan, ClaimResult):
            continue
        for j, check in enumerate(plan[1]):
            task = (i, j, check, entry.models)
            if check.stream == GD_STREAM:
                if entry.regime.name not in trained:
                    trained[entry.regime.name] = (entry.regime, [])
                    jobs.append(trained[entry.regime.name])
                trained[entry.regime.name][1].append(task)
            else:
                jobs.append((entry.regime, [task]))
    # the longest first, so that no long job is left to run alone at the end
    return sorted(jobs, key=lambda job: -sum(_COST.get(task[2].kind, 1) * (
        4 if task[2].stream == GD_STREAM else 1) for task in job[1]))


#: Rough relative costs of the kinds of check, to order the jobs of a run.
_COST = {"theory": 10, "monotone": 3}


def _run_checks(job):
    """One job: checks on one regime, run here."""
    (regime, tasks), seed, precision, trials, planned = job
    return [(i, j, check.run(regime, seed, precision=precision, trials=trials,
                             models=models, planned=planned))
            for i, j, check, models in tasks]


def _job(job):
    """A job of :func:`run`: a claim's proofs, or checks on one regime."""
    kind, value = job
    if kind == "proof":
        return kind, (value, *_proved(value))
    return kind, _run_checks(value)


def run(todo, *, precision=0.05, seed=0, workers=1, scheduler=None, trials=None,
        progress=False, settings=None, alpha=FAMILY_ALPHA):
    """Run entries; return a :class:`Report` (the one loop of the verifier).

    Jobs are the regimes (a regime's entries share its gradient-descent
    runs) and, beside them, the claims' symbolic proofs not in the cache
    (:mod:`linunlearn.cache`); they run wherever ``workers`` or
    ``scheduler`` say (:func:`linunlearn.parallel.executor`), and the report
    does not depend on where.

    Parameters
    ----------
    todo : sequence of Entry
    precision, seed, workers, trials, progress
        As in :func:`verify`.
    scheduler : str, optional
        A Dask scheduler (``"local:N"`` or an address), instead of ``workers``.
    settings : dict, optional
        Recorded in the report.
    alpha : float
        Family-wise error level: Holm's correction across every statistical
        decision of the run keeps the chance of any wrong verdict below it.

    Returns
    -------
    Report

    Raises
    ------
    Interrupted
        On Ctrl-C, with the report of the finished claim-regime pairs.
    """
    precision = check_float(precision, "precision", minimum=0.0, strict=True)
    seed = check_int(seed, "seed", minimum=0)
    if trials is not None:
        trials = check_int(trials, "trials", minimum=2)
    start = time.perf_counter()
    planned = _planned(todo)
    claims = {e.claim.key: e.claim for e in todo if e.proofs and e.claim.proofs}
    proofs = {}
    for key, claim in claims.items():
        name = _cache_name(claim)
        cached = cache.load(name) if name is not None else None
        if cached is not None:
            proofs[key] = tuple(cached)
    plans = [_plan(entry, seed) for entry in todo]
    checks = {i: [None] * len(plan[1]) for i, plan in enumerate(plans)
              if not isinstance(plan, ClaimResult)}
    # the proofs first: the longest jobs, so that they run beside the Monte Carlo
    jobs = ([("proof", claim) for key, claim in claims.items() if key not in proofs]
            + [("checks", (job, seed, precision, trials, planned))
               for job in _check_jobs(todo, plans)])
    bar = Progress(len(todo), "verify", enabled=progress)
    for plan in plans:
        if isinstance(plan, ClaimResult):
            bar.update(f"{plan.key} {plan.regime}")

    def done(_, outcome):
        kind, value = outcome
        if kind == "proof":
            claim, symbolic, complete = value
            proofs[claim.key] = symbolic
            if complete and _cache_name(claim) is not None:
                cache.store(_cache_name(claim), list(symbolic))
            return
        for i, j, result in value:
            checks[i][j] = result
            if all(c is not None for c in checks[i]):
                bar.update(f"{todo[i].claim.key} {todo[i].regime.name}")

    def report():
        out = []
        for i, (entry, plan) in enumerate(zip(todo, plans)):
            if isinstance(plan, ClaimResult):
                out.append(plan)
            elif all(c is not None for c in checks[i]) and (
                    not entry.proofs or entry.claim.key not in claims
                    or entry.claim.key in proofs):
                symbolic = proofs.get(entry.claim.key, ()) if entry.proofs else ()
                out.append(_result(entry, plan[0], checks[i], symbolic, seed))
        out = _settled(out, alpha)
        decisions = sum(len(c.decisions) for r in out for c in r.checks)
        return Report(tuple(out), seed, precision, time.perf_counter() - start,
                      {"workers": workers, "trials": trials, "family_alpha": alpha,
                       "decisions": decisions, **(settings or {})})

    try:
        with parallel.executor(workers, scheduler, jobs=len(jobs)) as ex:
            parallel.run_jobs(_job, jobs, ex, done=done)
    except KeyboardInterrupt:
        partial = report()
        raise Interrupted(replace(partial, settings={**partial.settings, "interrupted": True,
                                                     "planned_pairs": len(todo)}),
                          len(todo)) from None
    finally:
        bar.close()
    return report()


def verify(claims=None, regimes=None, *, family=None, methods=None, precision=0.05,
           seed=0, workers=1, scheduler=None, trials=None, disparity_map=True,
           progress=False):
    """Check claims on regimes; return a :class:`Report`.

    Parameters
    ----------
    claims : sequence of str or Claim, optional
        Claim ids (``"C5"`` selects C5 and its parts), keys of
        :data:`linunlearn.claims.CLAIMS` (``"C5-disparity"``), or a user's
        :class:`~linunlearn.claims.Claim` objects; default all of the paper's.
    regimes : sequence of str or Regime, optional
        See :func:`entries`.
    family : str, optional
        Run a family of regimes beyond the paper instead
        (:data:`linunlearn.families.FAMILIES`: ``"ridge"``, ``"noise"``,
        ``"anisotropic"``, ``"early-stopping"``, ``"underparameterized"``);
        not with ``claims`` or ``regimes``.
    methods : dict of str to callable, optional
        Your own implementations: ``{"rbm": fn}`` replaces the built-in
        model by ``fn(data)``, which takes a :class:`~linunlearn.Dataset` and
        returns weights of shape ``(d,)`` (or, wrapped in
        :class:`linunlearn.claims.Batched`, takes a whole batch). Every claim
        then runs on your model, and the gradient-descent checks compare it
        with what training gives. Names: ``"pretrained"``, ``"finetune"``,
        ``"golden"``, ``"rbm"``, ``"fbm"``, ``"projection"``.
    precision : float
        Target relative half-width of the confidence intervals (default 0.05).
    seed : int
        Every number in the report is a function of the seed alone.
    workers : int
        Worker processes (capped at the processors and the jobs); the
        report does not depend on it.
    scheduler : str, optional
        Run on a Dask cluster instead: ``"local:N"`` or a scheduler's address
        (:func:`linunlearn.parallel.executor`). Same report.
    trials : int, optional
        Fix the Monte Carlo sample size (else chosen from ``precision``).
    disparity_map : bool
        Map the mapped claims (C5's disparity parts) over
        :func:`linunlearn.regimes.map_regimes`.
    progress : bool
        Show a progress bar on a terminal.

    Returns
    -------
    Report
        ``report.exit_code`` is 0 when every expectation is met, 1 when one
        is contradicted, 3 when one is undecided; the report states the
        family-wise error level of its statistical verdicts.

    Raises
    ------
    ValueError
        Unknown claims, regimes, family or model names, or a selection that
        leaves nothing to run; a user's model that raises or returns
        something other than finite weights of the right shape.
    Interrupted
        On Ctrl-C; its ``report`` holds the finished claim-regime pairs.

    Examples
    --------
    >>> report = verify(["C7"], ["overlap"], trials=20)
    >>> [(r.key, r.regime, r.verdict) for r in report.results]
    [('C7', 'overlap', 'holds')]
    """
    if family is not None:
        if claims is not None or regimes is not None:
            raise ValueError("family runs a whole family: it cannot be combined with "
                             "claims or regimes")
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
        todo = FAMILIES[family].entries()
        settings = {"family": family}
    else:
        todo = entries(claims, regimes, disparity_map=disparity_map)
        settings = {}
        if not todo:
            keys = ", ".join(c.key for c in _select(claims or CLAIMS.values()))
            raise ValueError(
                f"nothing to run: claims {keys} have no regime among "
                f"{', '.join(map(str, regimes))} (the disparity map runs only without "
                f"regimes)" if regimes else
                f"nothing to run: {keys} only run on the disparity map, which is "
                f"switched off")
    if methods is not None:
        unknown = sorted(set(methods) - set(MODEL_NAMES))
        if unknown:
            raise ValueError(f"methods: unknown model(s) {', '.join(unknown)}; the claims "
                             f"are about {', '.join(MODEL_NAMES)}")
        todo = [replace(e, models=UserModels(methods, base=e.models)) for e in todo]
        settings["methods"] = {name: f"{getattr(fn, '__module__', '?')}:"
                                     f"{getattr(fn, '__qualname__', repr(fn))}"
                               for name, fn in methods.items()}
    return run(todo, precision=precision, seed=seed, workers=workers, scheduler=scheduler,
               trials=trials, progress=progress, settings=settings)


# --------------------------------------------------------------------------
# the report as text


def _short(check):
    e = check.estimate or {}
    theory = f" vs {check.theory:.4g}" if check.theory is not None else ""
    if "mean" in e:
        return f"{e['mean']:.4g} [{e['low']:.4g}, {e['high']:.4g}]{theory}"
    if "gd_deviation" in e:
        return (f"max {e['max']:.2g}, GD dev {e['gd_deviation']:.2g} "
                f"(tol {check.tolerance:.0e})")
    if "max" in e:
        return f"max {e['max']:.2g} (tol {check.tolerance:.0e})"
    return check.detail if len(check.detail) < 50 else check.detail[:47] + "..."


def _table(rows):
    """Left-aligned columns as wide as their widest cell."""
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _map_grid(results):
    """A mapped claim's verdicts on its map: rows by columns of ``coords``."""
    row_name, col_name = list(results[0].coords)
    rows = sorted({r.coords[row_name] for r in results})
    cols = sorted({r.coords[col_name] for r in results})
    cell = {(r.coords[row_name], r.coords[col_name]): r for r in results}
    out = [[f"{row_name} \\ {col_name}", *(f"{c:g}" for c in cols)]]
    for y in rows:
        line = [f"{y:g}"]
        for x in cols:
            r = cell.get((y, x))
            mean = (r.checks[0].estimate or {}).get("mean") if r else None
            line.append("" if r is None else
                        f"{r.verdict}" + ("" if mean is None else f" ({mean:+.2g})"))
        out.append(line)
    return _table(out)


def _notes(report):
    """The details the table truncates: why premises fail, Monte-Carlo-only checks."""
    groups = {}
    for r in report.results:
        if f"[{MC_ONLY}: " in r.statement:
            note = r.statement[r.statement.rindex(f"[{MC_ONLY}: ") + 1:-1]
            groups.setdefault(note, []).append(f"{r.key}@{r.regime}")
        for c in r.checks:
            if PREMISE in c.detail:
                groups.setdefault(c.detail, []).append(f"{r.key}@{r.regime}")
    lines = [f"- {detail}\n    ({', '.join(where)})" for detail, where in groups.items()]
    return ("notes:\n" + "\n".join(lines)) if lines else ""


def _outcome(result):
    """A claim's verdict as the table shows it: findings never look like failures."""
    if result.checks and all(c.kind == "premise" for c in result.checks):
        return "premise does not apply"  # inconclusive in the evidence, never a verdict
    if result.expected == "depends":  # no prediction: a finding, in lower case
        return f"finding: {result.verdict}"
    if result.expected == "fails":
        return ("fails, as predicted" if result.verdict == "fails" else
                f"{result.verdict.upper()}, predicted to fail"
                + ("  <- CONTRADICTED" if result.verdict == "holds" else ""))
    return result.verdict.upper() + ("  <- CONTRADICTED" if result.verdict == "fails"
                                     else "")


def format_report(report):
    """A readable report: one row per check, a grid per mapped claim, then the notes.

    Examples
    --------
    >>> report = verify(["C7"], ["overlap"], trials=20)
    >>> print(format_report(report).splitlines()[0])
    claim  regime   check                    symbolic  estimate [99.9% interval] / max          verdict
    """
    rows = [["claim", "regime", "check", "symbolic",
             f"estimate [{100 * montecarlo.CONFIDENCE:g}% interval] / max", "verdict"]]
    maps = {}
    for r in report.results:
        if r.coords:
            maps.setdefault(r.key, []).append(r)
            continue
        sym = ("none" if not r.symbolic else
               combine(s["verdict"] for s in r.symbolic).replace("holds", "proved"))
        for i, c in enumerate(r.checks):
            first = i == 0
            rows.append([r.key if first else "", r.regime if first else "",
                         c.name.split(".", 1)[1], sym if first else "", _short(c),
                         "does not apply" if c.kind == "premise" else c.verdict])
        rows.append(["", "", "=> finding" if r.expected == "depends" else "=> claim", "",
                     "", _outcome(r)])
    lines = _table(rows) if len(rows) > 1 else []
    for key, results in maps.items():
        lines += ["", f"{key} (regime-dependent): {results[0].statement}",
                  f"verdict of '{results[0].checks[0].statement}' per cell (mean):"]
        lines += ["  " + line for line in _map_grid(results)]

    def counts(results):
        gated = sum(all(c.kind == "premise" for c in r.checks) for r in results)
        tally = [f"{sum(r.verdict == v for r in results)} {word}" for v, word in
                 (("holds", "hold"), ("fails", "fail"))]
        tally.append(f"{sum(r.verdict == 'inconclusive' for r in results) - gated} "
                     f"inconclusive")
        if gated:
            tally.append(f"{gated} whose premise does not apply")
        return f"{len(results)} ({', '.join(tally)})"

    by = {e: [r for r in report.results if r.expected == e] for e in EXPECTED}
    parts = [f"claim-regime pairs that should hold: {counts(by['holds'])}"]
    if by["fails"]:
        parts.append(f"predicted to fail: {counts(by['fails'])}")
    parts.append(f"regime-dependent (findings): {counts(by['depends'])}")
    alpha = report.settings.get("family_alpha")
    decisions = report.settings.get("decisions", 0)
    level = (f"; statistical verdicts at family-wise error level {alpha:g} (Holm across "
             f"{decisions} decisions)" if alpha is not None and decisions else "")
    lines.append(f"\n{'; '.join(parts)}; seed {report.seed}, {report.seconds:.1f} s{level}")
    if report.settings.get("interrupted"):
        lines.append(f"INTERRUPTED: {len(report.results)} of "
                     f"{report.settings.get('planned_pairs', '?')} claim-regime pairs ran "
                     f"before the run was stopped")
    contradicted = report.failed_expected
    if contradicted:
        lines.append("CONTRADICTED (expected to hold and failed, or predicted to fail and "
                     "held): " + ", ".join(f"{r.key}@{r.regime}" for r in contradicted))
    undecided = report.undecided_expected
    if undecided:
        lines.append("UNDECIDED (an expectation left inconclusive): "
                     + ", ".join(f"{r.key}@{r.regime}" for r in undecided))
    notes = _notes(report)
    return "\n".join(lines + ([notes] if notes else []))
