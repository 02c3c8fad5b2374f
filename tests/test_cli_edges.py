"""The command line at the edges: inputs it must refuse clearly, outputs it must not lose."""
import re

import numpy as np
import pytest

from linunlearn.cli import main

SMALL = ["--d-r", "8", "--d-f", "6", "--d-lap", "2", "--n-r", "3", "--n-f", "2"]


def _exit_message(argv, capsys, code=2):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == code
    return capsys.readouterr().err


def test_a_pickled_npz_names_the_file_and_the_array(tmp_path, capsys):
    path = tmp_path / "pickled.npz"
    np.savez(path, X_r=np.ones((2, 3), dtype=object), y_r=np.ones(2),
             X_f=np.ones((1, 3)), y_f=np.ones(1))
    err = _exit_message(["solve", "--data", str(path)], capsys)
    assert re.search(rf"--data {re.escape(str(path))}: array X_r holds Python objects "
                     r"\(a pickle\), which are not loaded", err), err


def test_label_noise_beyond_the_limit_names_sigma(capsys):
    err = _exit_message(["solve", *SMALL, "--sigma", "1e200"], capsys)
    assert "error: sigma must be <= 1e+148" in err and "y_r" not in err


# --------------------------------------------------------------------------
# outputs never lost: checked before the work, written whole


def test_figures_out_is_checked_before_the_work(tmp_path, capsys, monkeypatch):
    from linunlearn import figures
    computed = []
    spec = figures.FIGURES["geometry"]
    monkeypatch.setitem(figures.FIGURES, "geometry", figures.FigureSpec(
        "geometry", spec.description,
        lambda *a, **k: computed.append(1) or spec.compute(*a, **k), spec.draw))
    (tmp_path / "README.md").write_text("not a folder")
    for out, match in ((tmp_path / "README.md", r"--out .*README.md: is a file, not a "
                                                 r"folder"),
                       ("/proc/figs", r"--out /proc/figs: cannot create it"),
                       ("/proc/x/y", r"--out /proc/x/y: cannot create it")):
        err = _exit_message(["figures", "geometry", "--out", str(out), "--quiet"], capsys)
        assert re.search(match, err), err
        assert "Traceback" not in err
    assert computed == []  # refused before any figure was computed
    # a missing folder (and its missing parents) is made
    assert main(["figures", "geometry", "--out", str(tmp_path / "a" / "b"),
                 "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == [
        "MANIFEST.txt", "geometry.pdf", "geometry.png"]  # no temporary file left


def test_quick_figures_have_their_own_folder(tmp_path, capsys, monkeypatch):
    # In the repository's root, `linunlearn figures --quick` overwrote the
    # committed full-quality figures and their manifest.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "MANIFEST.txt").write_text("# committed\n")
    assert main(["figures", "geometry", "--quick", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "build/figures-quick/geometry.pdf" in out
    assert (tmp_path / "build" / "figures-quick" / "geometry.pdf").exists()
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["MANIFEST.txt"]
    # and --quick never overwrites a full-quality figure, wherever it is
    assert main(["figures", "geometry", "--out", "full", "--quiet"]) == 0
    before = (tmp_path / "full" / "geometry.pdf").read_bytes()
    err = _exit_message(["figures", "geometry", "--quick", "--out", "full", "--quiet"],
                        capsys)
    assert re.search(r"--out full: geometry.pdf there is a full-quality figure \(made "
                     r"without --quick\); --quick would overwrite it", err), err
    assert (tmp_path / "full" / "geometry.pdf").read_bytes() == before


def test_help_documents_exit_codes_seed_and_workers(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for line in ("0  success", "1  a claim is contradicted", "2  usage or input error",
                 "3  a claim is left inconclusive", "130  interrupted"):
        assert re.search(r"\s+" + r"\s+".join(map(re.escape, line.split())), out), line
    for command in ("solve", "verify", "compare", "stream", "figures", "sweep"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        if command != "sweep":  # a sweep's seeds are in its spec
            assert re.search(r"--seed SEED [a-z]", text), command  # a help text follows
        assert "%%" not in text  # argparse's escape, printed as is in a group title
        if command == "solve":
            assert "scenario (defaults: the 40% overlap regime)" in text
        if command in ("verify", "figures", "sweep"):
            assert re.search(r"--workers N [a-z]", text), command


# --------------------------------------------------------------------------
# Ctrl-C: one line and exit status 130, whatever the command


@pytest.mark.parametrize("command", ["solve", "verify", "compare", "stream", "figures"])
def test_interrupt_ends_with_one_line_and_130(command, monkeypatch, capsys):
    from linunlearn import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, f"_cmd_{command}", interrupted)
    with pytest.raises(SystemExit) as exc:
        main([command])
    assert exc.value.code == 130
    err = capsys.readouterr().err
    assert err == f"linunlearn {command}: interrupted\n"


def test_a_real_sigint_ends_with_130_and_no_traceback():
    import signal
    import subprocess
    import sys
    import time
    proc = subprocess.Popen([sys.executable, "-m", "linunlearn", "compare", "--trials",
                             "100000", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        # interrupt it once it runs (past its imports: 1.5 s of CPU time)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            with open(f"/proc/{proc.pid}/stat") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[11]) > 150:  # utime, ticks
                    break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err == "linunlearn compare: interrupted\n", err


# --------------------------------------------------------------------------
# limits up front


def test_huge_sizes_are_refused_with_the_memory_needed(capsys, monkeypatch):
    from linunlearn import _validation
    monkeypatch.setattr(_validation, "available_memory", lambda: 8 * 2 ** 30)
    err = _exit_message(["solve", "--d-r", "200000", "--d-f", "200000", "--n-r", "10000",
                         "--n-f", "5000"], capsys)
    assert re.search(r"linunlearn solve: error: Scenario.sample: drawing X_r \(10000 x "
                     r"399984\).* needs about [\d.]+ GiB of memory, 8\.0 GiB available", err)
    err = _exit_message(["compare", "--dataset", "digits", "--n-features", "10000000"],
                        capsys)
    assert re.search(r"linunlearn compare: error: random_features: 1797 samples x "
                     r"n_features=10000000 needs about [\d.]+ GiB", err), err


# --------------------------------------------------------------------------
# a user's own code that fails: one line naming it, exit status 2 (not 1,
# which means a contradicted claim), never a traceback

USER_CODE = '''
import numpy as np
import linunlearn as lu
from linunlearn import figures
from linunlearn.checks import Check
from linunlearn.claims import Claim, declare


def raising(batch, models=None):
    raise RuntimeError("boom")


def not_finite(batch, models=None):
    return np.full(len(batch), np.nan)


def one_value(batch, models=None):
    return np.zeros(1)


for key, statistic in (("QR", raising), ("QN", not_finite), ("QS", one_value)):
    declare(Claim(key, "a broken statistic", (Check(key + ".x", statistic, "positive",
                                                    "x > 0"),), regimes=("overlap",)))


@lu.register_method("edge_boom")
def edge_boom(data, *, numeric=False):
    raise RuntimeError("boom inside")


@lu.register_method("edge_nan")
def edge_nan(data, *, numeric=False):
    return {"w": np.full(data.w_shape, np.nan)}


@lu.register_method("edge_short")
def edge_short(data, *, numeric=False):
    return {"w": np.zeros(3)}


def compute(seed=0, *, quick=False, progress=None):
    raise RuntimeError("no data")


figures.register_figure("edge_figure", "a broken figure", compute=compute,
                        draw=lambda data: None)
'''


@pytest.fixture
def user_code(tmp_path):
    from linunlearn import claims, figures, solutions
    path = tmp_path / "edge_user_code.py"
    path.write_text(USER_CODE)
    yield str(path)
    for key in ("QR", "QN", "QS"):
        if key in claims.CLAIMS:
            claims.undeclare(key)
    for name in ("edge_boom", "edge_nan", "edge_short"):
        if name in solutions.available_methods():
            solutions.unregister_method(name)
    if "edge_figure" in figures.FIGURES:
        figures.unregister_figure("edge_figure")


def test_failures_in_a_users_code_are_one_line_and_exit_2(user_code, tmp_path, capsys):
    # before: a traceback ending in the user's exception, and exit status 1
    verify = ["verify", "--import", user_code, "--trials", "50", "--quiet", "--claims"]
    cases = [
        (verify + ["QR"], "QR.x on overlap: its statistic raised RuntimeError: boom"),
        (verify + ["QN"], "QN.x on overlap: the statistic returned NaN or inf on 50 of 50"),
        (verify + ["QS"], "QS.x on overlap: the statistic must return one number (or one "
                          "row) per draw, shape (50,) or (50, k); got shape (1,)"),
        (["compare", "--import", user_code, "--regimes", "overlap", "--trials", "3",
          "--quiet", "--methods", "golden", "edge_boom"],
         "method 'edge_boom' raised RuntimeError: boom inside"),
        (["compare", "--import", user_code, "--regimes", "overlap", "--trials", "3",
          "--quiet", "--methods", "edge_nan"], "edge_nan: its weights are not finite"),
        (["compare", "--import", user_code, "--regimes", "overlap", "--trials", "3",
          "--quiet", "--methods", "edge_short"],
         "edge_short: its weights must have shape (84,) (one per feature), got (3,)"),
        (["figures", "--import", user_code, "edge_figure", "--quick", "--out",
          str(tmp_path / "out")], "figure 'edge_figure': computing it raised RuntimeError"),
    ]
    for argv, message in cases:
        err = _exit_message(argv, capsys)
        assert message in err and "Traceback" not in err, (argv, err)


def test_an_import_that_fails_names_the_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "edge_syntax.py").write_text("def f(:\n    pass\n")
    (tmp_path / "edge_needs.py").write_text("raise ImportError('needs foo')\n")
    err = _exit_message(["verify", "--import", str(tmp_path / "edge_syntax.py")], capsys)
    assert "edge_syntax.py raised SyntaxError: invalid syntax (line 1)" in err
    # a module of the current folder, by name (as python -m would find it)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p not in ("", ".")])
    err = _exit_message(["compare", "--import", "edge_needs"], capsys)
    assert "--import edge_needs: importing edge_needs raised ImportError: needs foo" in err
    err = _exit_message(["verify", "--import", "edge_nowhere"], capsys)
    assert "No module named 'edge_nowhere' (a file is named with its .py)" in err


def test_repeated_options_add_up_or_are_refused(tmp_path, capsys):
    # before: a second --claims silently replaced the first, a second --method
    # for the same model silently won
    assert main(["verify", "--claims", "C1", "--claims", "C7", "--regimes", "overlap",
                 "--trials", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "\nC1 " in out and "\nC7 " in out
    path = tmp_path / "edge_rbm.py"
    path.write_text("import linunlearn as lu\n\ndef rbm(data):\n"
                    "    return lu.solve(data, 'rbm').w\n")
    err = _exit_message(["verify", "--method", f"rbm={path}:rbm", "--method",
                         f"rbm={path}:rbm"], capsys)
    assert f"--method rbm={path}:rbm: rbm is given twice" in err
    (tmp_path / "edge_loud.py").write_text("print('ran')\n")  # never run: the name is wrong
    with pytest.raises(SystemExit):
        main(["verify", "--method", f"foo={tmp_path / 'edge_loud.py'}:x"])
    out, err = capsys.readouterr()
    assert "unknown model 'foo'; the claims are about pretrained, finetune" in err
    assert "ran" not in out


def test_stream_names_its_options_and_keeps_distances_non_negative(capsys):
    assert "--requests must be >= 1, got 0" in _exit_message(
        ["stream", "--requests", "0"], capsys)
    assert "--trials must be >= 2, got 1" in _exit_message(["stream", "--trials", "1"],
                                                             capsys)
    # five draws: before, the intervals of distances near 0 went below it
    assert main(["stream", "--trials", "5", "--json"]) == 0
    import json
    cells = json.loads(capsys.readouterr().out)["methods"].values()
    assert min(min(c["low"]) for c in cells) == 0.0
