"""The ``linunlearn solve`` command: table, JSON, user arrays, errors."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn.cli import main
from linunlearn.solutions import PAPER_METHODS

SMALL = ["--d-r", "8", "--d-f", "6", "--d-lap", "2", "--n-r", "3", "--n-f", "2"]


def test_table(capsys):
    assert main(["solve", *SMALL, "--seed", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].startswith("route: closed form; seed 3; n_r=3, n_f=2, d=12")
    header = lines[1].split()
    assert header[:3] == ["method", "remaining_loss", "unlearning_loss"]
    assert "gap_to_golden" in header and "mia_efficacy" in header
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    assert list(rows) == list(PAPER_METHODS)
    assert all(len(r) == len(header) - 1 for r in rows.values())
    # golden's gap to itself is zero
    assert float(rows["golden"][header.index("gap_to_golden") - 1]) == 0.0


def test_json_matches_the_library(capsys):
    assert main(["solve", *SMALL, "--seed", "5", "--json", "--sigma", "0.1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seed"] == 5 and out["numeric"] is False
    assert set(out["methods"]) == set(PAPER_METHODS)
    data = lu.Scenario.overlapping(8, 6, 2, 3, 2, sigma=0.1).sample(rng=5)
    for method in PAPER_METHODS:
        row = out["methods"][method]
        expected = lu.evaluate(data, lu.solve(data, method).w)
        for key in lu.METRICS:
            # JSON round-trips floats exactly; same computation, same numbers
            assert_allclose(row[key], expected[key], rtol=1e-12, atol=1e-300)
        assert row["interpolates"] is True
        assert row["semantics"] == ("reset" if method in ("rbm", "fbm") else None)


def test_numeric_route_and_method_subset(capsys):
    assert main(["solve", *SMALL, "--numeric", "--methods", "golden", "finetune",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["numeric"] is True and list(out["methods"]) == ["golden", "finetune"]


@pytest.mark.parametrize("args,match", [
    (["--d-lap", "9"], r"d_lap must be <= min\(d_r, d_f\) = 6, got 9"),
    (["--n-r", "0"], "n_r must be >= 1, got 0"),
    (["--sigma", "-1"], "sigma must be >= 0.0"),
])
def test_bad_parameter_exits_with_code_2(capsys, args, match):
    with pytest.raises(SystemExit) as exc:
        main(["solve", *SMALL, *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("linunlearn solve: error: ")
    assert re.search(match, err)


@pytest.mark.parametrize("args,match", [
    (["--n-r", "three"], "argument --n-r: invalid int value: 'three'"),
    (["--methods", "retrain"], "argument --methods: invalid choice: 'retrain'"),
    (["--teacher", "both"], "argument --teacher: invalid choice: 'both'"),
])
def test_unparsable_arguments_exit_with_code_2(capsys, args, match):
    with pytest.raises(SystemExit) as exc:
        main(["solve", *args])
    assert exc.value.code == 2
    assert match in capsys.readouterr().err


def _user_arrays(tmp_path, **extra):
    rng = np.random.default_rng(0)
    arrays = dict(X_r=rng.standard_normal((4, 10)), y_r=rng.standard_normal(4),
                  X_f=rng.standard_normal((3, 10)), y_f=rng.standard_normal(3), **extra)
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path, arrays


def test_user_arrays_from_npz(tmp_path, capsys):
    path, arrays = _user_arrays(tmp_path)
    assert main(["solve", "--data", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    data = lu.Dataset(**arrays)
    for method in PAPER_METHODS:
        row = out["methods"][method]
        # no held-out sets: no test losses, no attack
        assert "test_loss" not in row and "mia_efficacy" not in row
        expected = lu.evaluate(data, lu.solve(data, method).w)
        assert_allclose(row["unlearning_loss"], expected["unlearning_loss"],
                        rtol=1e-12, atol=1e-300)
    # with held-out sets: empirical test losses and the attack
    rng = np.random.default_rng(1)
    path, _ = _user_arrays(tmp_path, X_test_r=rng.standard_normal((5, 10)),
                           y_test_r=rng.standard_normal(5),
                           X_test_f=rng.standard_normal((5, 10)),
                           y_test_f=rng.standard_normal(5))
    assert main(["solve", "--data", str(path)]) == 0
    assert "test_loss" in capsys.readouterr().out


def test_bad_user_arrays(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "bad.npz"
    np.savez(path, X_r=rng.standard_normal((4, 10)), y_r=np.ones(5),
             X_f=rng.standard_normal((3, 10)), y_f=np.ones(3))
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--data", str(path)])
    assert exc.value.code == 2
    assert "y_r must have 4 entries" in capsys.readouterr().err
    nan = tmp_path / "nan.npz"
    np.savez(nan, X_r=np.full((2, 5), np.nan), y_r=np.ones(2), X_f=np.ones((1, 5)),
             y_f=np.ones(1))
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--data", str(nan)])
    assert exc.value.code == 2
    assert "X_r must contain only finite values" in capsys.readouterr().err


def test_python_dash_m_json():
    proc = subprocess.run([sys.executable, "-m", "linunlearn", "solve", *SMALL,
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out["methods"]) == set(PAPER_METHODS)
    assert all("unlearning_loss" in row for row in out["methods"].values())
    bad = subprocess.run([sys.executable, "-m", "linunlearn", "solve", "--d-r", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "d_r must be >= 1, got 0" in bad.stderr


def _exit_message(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_unreadable_data_files(tmp_path, capsys):
    assert "cannot read it" in _exit_message(
        ["solve", "--data", str(tmp_path / "missing.npz")], capsys)
    np.save(tmp_path / "one.npy", np.ones(3))
    assert "got a single array" in _exit_message(
        ["solve", "--data", str(tmp_path / "one.npy")], capsys)
    for name, content in (("text.npz", b"not numpy"), ("empty.npz", b""),
                          ("zip.npz", b"PK\x03\x04garbage")):
        (tmp_path / name).write_bytes(content)
        assert "not an .npz archive" in _exit_message(
            ["solve", "--data", str(tmp_path / name)], capsys)
    np.savez(tmp_path / "keys.npz", X_r=np.ones((2, 3)), y_r=np.ones(2), w_star=np.ones(3))
    err = _exit_message(["solve", "--data", str(tmp_path / "keys.npz")], capsys)
    assert "missing arrays X_f, y_f; unknown arrays w_star" in err
    path, _ = _user_arrays(tmp_path)
    assert "--data replaces the scenario: drop --d-r" in _exit_message(
        ["solve", "--data", str(path), "--d-r", "5"], capsys)


def test_seed_must_be_a_nonnegative_integer(capsys):
    assert "argument --seed: must be an integer >= 0, got -1" in _exit_message(
        ["solve", "--seed", "-1"], capsys)


def test_numeric_route_reports_how_gradient_descent_stopped(capsys):
    assert main(["solve", *SMALL, "--numeric", "--methods", "golden"]) == 0
    assert "gradient descent stopped: golden converged" in capsys.readouterr().out
    assert main(["solve", *SMALL, "--numeric", "--methods", "golden", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["methods"]["golden"]["stop_reason"] == \
        "converged"


def test_verify_family_refuses_claim_selection(capsys):
    assert "cannot be combined with --claims" in _exit_message(
        ["verify", "--family", "ridge", "--claims", "C1"], capsys)
    # the old flag says where it went, and no option is abbreviated
    assert "--regime is now --family" in _exit_message(
        ["verify", "--regime", "ridge"], capsys)
    assert "unrecognized arguments: --precis" in _exit_message(
        ["verify", "--precis", "0.1"], capsys)


def test_compare_on_the_digits(capsys):
    assert main(["compare", "--dataset", "digits", "--forget-class", "5", "--n-train",
                 "150", "--n-features", "300", "--methods", "finetune", "golden",
                 "--json"]) == 0
    captured = capsys.readouterr()
    assert "forgetting class 5" in captured.err
    results = json.loads(captured.out)["regimes"]["data"]["results"]
    ul = {m: results[m]["unlearning_loss"]["mean"] for m in ("finetune", "golden")}
    assert ul["finetune"] < 1e-12 < ul["golden"]  # C2 on real data
    assert "need --dataset" in _exit_message(["compare", "--forget-class", "3"], capsys)
    assert "either --data or --dataset" in _exit_message(
        ["compare", "--dataset", "digits", "--data", "x.npz"], capsys)


def test_warnings_are_one_plain_line(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 5))
    path = tmp_path / "duplicate_rows.npz"
    np.savez(path, X_r=np.vstack([X, X[:1]]), y_r=np.ones(4), X_f=2 * X[1:2], y_f=np.ones(1))
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "linunlearn", "solve",
                           "--data", str(path), "--methods", "golden"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith("linunlearn solve: IllConditionedWarning: ")
                         for line in lines)


def test_verify_json_folder_is_checked_before_the_run(capsys):
    assert "its folder /nonexistent-folder does not exist" in _exit_message(
        ["verify", "--claims", "C1", "--json", "/nonexistent-folder/x.json"], capsys)
    assert "is a folder; give a file name" in _exit_message(
        ["verify", "--claims", "C1", "--json", "/tmp"], capsys)
    assert "its folder /proc is not writable" in _exit_message(
        ["verify", "--claims", "C1", "--json", "/proc/x.json"], capsys)


def test_compare_options_that_do_not_apply_to_one_data_set(tmp_path, capsys):
    path, _ = _user_arrays(tmp_path)
    for extra in (["--trials", "3"], ["--regimes", "overlap"]):
        assert "--data and --dataset give one data set" in _exit_message(
            ["compare", "--data", str(path), *extra], capsys)
