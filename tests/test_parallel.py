"""Jobs run anywhere with the same results; Ctrl-C keeps what was done."""
import json
import os
import pathlib
import signal

import pytest

from linunlearn import checks, parallel, verifier
from linunlearn.cli import main


def _square(x):
    return x * x


def test_workers_are_capped_at_the_processors_and_the_jobs():
    n, note = parallel.useful_workers(1000)
    assert n == parallel.processors() and "using" in note and "--workers 1000" in note
    assert parallel.useful_workers(parallel.processors(), jobs=1) == (1, "")
    assert parallel.useful_workers(1) == (1, "")
    with pytest.raises(ValueError, match="workers must be >= 1"):
        parallel.useful_workers(0)


def test_jobs_give_their_results_in_order_wherever_they_run():
    jobs = list(range(-5, 6))
    seen = []
    assert parallel.run_jobs(_square, jobs, done=lambda i, r: seen.append(i)) == \
        [x * x for x in jobs]
    assert seen == list(range(len(jobs)))
    with parallel.executor(2) as ex:
        finished = {}
        out = parallel.run_jobs(_square, jobs, ex, done=finished.__setitem__)
    assert out == [x * x for x in jobs] and finished == dict(enumerate(out))


def test_a_bad_scheduler_is_named():
    with pytest.raises(ValueError, match=r"--scheduler local:x: expected local:N"):
        with parallel.executor(scheduler="local:x"):
            pass


def _some_claims(**kwargs):
    return verifier.verify(["C2", "C5", "C7"], ["overlap", "noisy-overlap"], trials=40,
                           **kwargs)


def test_the_report_does_not_depend_on_the_workers():
    one = _some_claims(workers=1).to_dict()
    two = _some_claims(workers=2).to_dict()
    assert one["claims"] == two["claims"]
    assert len(verifier._check_jobs(verifier.entries(["C2", "C5", "C7"],
                                                     ["overlap", "noisy-overlap"]),
                                    [verifier._plan(e, 0) for e in verifier.entries(
                                        ["C2", "C5", "C7"], ["overlap", "noisy-overlap"])])) > 2


def _interrupt_on_c5(monkeypatch):
    """Ctrl-C while C5-keeps-overlap runs (after C3's checks: the jobs run in that order)."""
    original = checks.Check.run

    def run(self, regime, *args, **kwargs):
        if self.name == "C5.rbm_keeps_overlap":
            raise KeyboardInterrupt
        return original(self, regime, *args, **kwargs)

    monkeypatch.setattr(checks.Check, "run", run)


def test_ctrl_c_keeps_the_finished_pairs(monkeypatch):
    _interrupt_on_c5(monkeypatch)
    with pytest.raises(verifier.Interrupted) as stop:
        verifier.verify(["C3", "C5-keeps-overlap"], ["overlap"], trials=20, workers=1)
    report = stop.value.report
    assert [r.key for r in report.results] == ["C3"] and stop.value.total == 2
    assert report.settings["interrupted"] and "interrupted after 1 of 2" in str(stop.value)
    assert "INTERRUPTED: 1 of 2 claim-regime pairs ran" in verifier.format_report(report)


def test_ctrl_c_on_the_command_line_exits_130_with_the_partial_evidence(monkeypatch,
                                                                         tmp_path, capsys):
    _interrupt_on_c5(monkeypatch)
    path = tmp_path / "evidence.json"
    code = main(["verify", "--claims", "C3", "C5-keeps-overlap", "--regimes", "overlap",
                 "--trials", "20",
                 "--workers", "1", "--quiet", "--json", str(path)])
    err = capsys.readouterr().err
    assert code == 130
    assert err.strip().splitlines() == [
        f"linunlearn verify: interrupted after 1 of 2 claim-regime pairs; partial evidence "
        f"written to {path}"]
    evidence = json.loads(path.read_text())
    assert evidence["settings"]["interrupted"]
    assert [c["key"] for c in evidence["claims"]] == ["C3"]
    # without --json the finished pairs are printed
    assert main(["verify", "--claims", "C3", "C5-keeps-overlap", "--regimes", "overlap",
                 "--trials", "20", "--workers", "1", "--quiet"]) == 130
    captured = capsys.readouterr()
    assert "C3" in captured.out and "INTERRUPTED" in captured.out
    assert "the finished pairs are above" in captured.err


def test_workers_beyond_the_processors_get_a_note(capsys):
    assert main(["verify", "--claims", "C7", "--regimes", "overlap", "--trials", "20",
                 "--workers", "1000", "--quiet"]) == 0
    assert f"--workers 1000: using {parallel.processors()}" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes are forked")
def test_worker_processes_ignore_ctrl_c():
    # the parent alone handles it, so workers print no tracebacks of their own
    with parallel.executor(2) as ex:
        handler = ex.submit(signal.getsignal, signal.SIGINT).result()
    assert handler == signal.SIG_IGN


@pytest.mark.slow
def test_a_real_ctrl_c_with_worker_processes(tmp_path):
    import subprocess
    import sys
    import time
    path = tmp_path / "evidence.json"
    # --precision 0.01 makes the run last minutes: the interruption always comes first
    proc = subprocess.Popen([sys.executable, "-m", "linunlearn", "verify", "--workers", "2",
                             "--precision", "0.01", "--json", str(path), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    children = pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    if children.exists():  # Linux: until the worker processes are there
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not children.read_text().split():
            time.sleep(0.1)
        time.sleep(2.5)  # and past their first jobs
    else:
        time.sleep(5)  # past the start and the first jobs
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("linunlearn verify: interrupted after ")
    assert "Traceback" not in err
    evidence = json.loads(path.read_text())
    assert evidence["settings"]["interrupted"]
    assert 0 < len(evidence["claims"]) < evidence["settings"]["planned_pairs"]


def test_jobs_that_cannot_go_to_worker_processes_run_here_with_a_warning():
    from linunlearn.claims import Claim
    from linunlearn.checks import Check
    claim = Claim("L1", "a claim declared with a lambda",
                  (Check("L1.zero", lambda batch, models=None: batch.X_r[:, 0, 0] * 0.0,
                         "nonpositive", "0 <= 0"),),
                  regimes=("overlap", "distinct"))  # two jobs: two workers are useful
    alone = verifier.verify([claim], trials=20, workers=1)
    with pytest.warns(Warning, match="cannot be sent to worker processes"):
        pooled = verifier.verify([claim], trials=20, workers=2)
    assert alone.to_dict()["claims"] == pooled.to_dict()["claims"]
    assert {r.checks[0].verdict for r in pooled.results} == {"equal"}


def test_every_built_in_run_can_go_to_worker_processes():
    # the defaults and every family: nothing of theirs is a lambda or a closure
    from linunlearn.families import FAMILIES
    runs = {"defaults": verifier.entries(), **{n: f.entries() for n, f in FAMILIES.items()}}
    for name, todo in runs.items():
        plans = [verifier._plan(e, 0) for e in todo]
        jobs = verifier._check_jobs(todo, plans)
        assert parallel._unpicklable(verifier._run_checks, jobs) == "", name
