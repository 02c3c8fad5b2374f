"""Numeric runs report every stage honestly, and long ones are announced before they start."""
import json
import re
import warnings

import numpy as np
import pytest

import linunlearn as lu
from linunlearn.cli import main
from linunlearn.simulate import steps_to_converge


@pytest.fixture(scope="module")
def badly_scaled():
    """D_f's features a thousand times smaller: pretraining is slow, fine-tuning fast.

    cond([X_r; X_f]) is about 1e3 (1e6 steps per factor e at lr = 1/L);
    cond(X_r) is about 4.
    """
    data = lu.Scenario.distinct(d_r=20, d_f=20, n_r=5, n_f=5).sample(rng=0)
    return lu.Dataset(data.X_r, data.y_r, data.X_f * 1e-3, data.y_f * 1e-3)


def test_every_stage_is_reported_and_converged_means_every_stage(badly_scaled):
    with pytest.warns(lu.NotConvergedWarning) as caught:
        sol = lu.solve(badly_scaled, "finetune", numeric=True, max_steps=2000)
    # before: only the last stage (fine-tuning: converged) was reported
    assert [(s.method, s.stage) for s in sol.stages] == [("finetune", "pretraining"),
                                                         ("finetune", "fine-tuning")]
    pre, ft = sol.stages
    assert not pre.converged and pre.steps == 2000 and pre.grad_norm > pre.threshold
    assert ft.converged and ft.grad_norm <= ft.threshold
    assert sol.run is ft.run and not sol.converged
    # the warning names the method and the stage
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("finetune, pretraining: gradient descent stopped at "
                            "max_steps=2000") for m in messages), messages
    # and the stage's record is complete
    assert pre.to_dict() == {"method": "finetune", "stage": "pretraining", "steps": 2000,
                             "grad_norm": pre.grad_norm, "threshold": pre.threshold,
                             "converged": False, "stop_reason": "max_steps"}
    # a run where every stage converges says so
    good = lu.Scenario.distinct(d_r=8, d_f=6, n_r=3, n_f=2).sample(rng=0)
    sol = lu.solve(good, "rbm", numeric=True)
    assert sol.converged and [s.stage for s in sol.stages] == ["pretraining",
                                                               "masked fine-tuning"]
    assert lu.solve(good, "rbm").converged and lu.solve(good, "rbm").stages == ()


def test_the_cli_reports_every_stage(badly_scaled, tmp_path, capsys):
    path = tmp_path / "scaled.npz"
    np.savez(path, X_r=badly_scaled.X_r, y_r=badly_scaled.y_r, X_f=badly_scaled.X_f,
             y_f=badly_scaled.y_f)
    args = ["solve", "--data", str(path), "--numeric", "--methods", "finetune", "golden",
            "--max-steps", "2000"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.NotConvergedWarning)
        assert main(args) == 0
    out = capsys.readouterr().out
    # before: "gradient descent stopped: finetune converged"
    assert "finetune converged" not in out
    assert re.search(r"finetune\s+pretraining\s+2000\s+\S+\s+\S+\s+no", out), out
    assert re.search(r"finetune\s+fine-tuning\s+\d+\s+\S+\s+\S+\s+yes", out), out
    assert "gradient descent stopped: finetune NOT converged (pretraining: max_steps); " \
           "golden converged" in out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.NotConvergedWarning)
        assert main([*args, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["methods"]["finetune"]
    assert row["stop_reason"] == "max_steps" and row["converged"] is False
    assert [s["stage"] for s in row["stages"]] == ["pretraining", "fine-tuning"]
    assert [s["converged"] for s in row["stages"]] == [False, True]


# --------------------------------------------------------------------------
# before a long run: the number of steps, from the spectrum


def test_steps_to_converge_is_what_gradient_descent_takes():
    rng = np.random.default_rng(3)
    for n, d, spread in ((5, 12, 1.0), (8, 30, 30.0), (20, 6, 5.0)):
        X = rng.standard_normal((n, d)) * np.logspace(0, np.log10(spread), d)
        y = rng.standard_normal(n)
        w0 = rng.standard_normal(d)
        predicted = steps_to_converge(X, y, w0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lu.IllConditionedWarning)
            run = lu.gradient_descent(X, y, w0)
        # the prediction is exact up to round-off in the last steps
        assert abs(predicted - run.n_steps) <= max(2, 1e-3 * run.n_steps), (
            predicted, run.n_steps)
    # a mask (freeze) and several outputs
    mask = np.arange(12) % 2 == 0
    X, Y = rng.standard_normal((4, 12)), rng.standard_normal((4, 2))
    run = lu.gradient_descent(X, Y, np.zeros((12, 2)), mask=mask)
    assert abs(steps_to_converge(X, Y, np.zeros((12, 2)), mask=mask) - run.n_steps) <= 2
    with pytest.raises(ValueError, match="gtol must be > 0"):
        steps_to_converge(X, Y, np.zeros((12, 2)), gtol=0.0)


def test_a_run_that_cannot_converge_is_refused_before_it_starts(tmp_path, capsys):
    # cond(X) = 1e4: about 2.8e9 steps per stage at lr = 1/L (the digits data,
    # cond 1.5e3, ran for hours in silence: 200,000 steps a stage, unconverged)
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((30, 8)))[0]
    X = (U * np.logspace(0, -4, 8)).T
    path = tmp_path / "hard.npz"
    np.savez(path, X_r=X[:5], y_r=rng.standard_normal(5), X_f=X[5:],
             y_f=rng.standard_normal(3))
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--data", str(path), "--numeric", "--methods", "golden"])
    assert exc.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert re.search(r"golden, retraining on X_r \(n=5, d=30, cond \S+\): about \S+e\+0\d "
                     r"steps to converge at lr = 1/L, beyond max_steps = 200000", err), err
    for option in ("the closed form (drop --numeric)", "--max-steps N",
                   "--lr", "2/(L + mu)"):
        assert option in err, option
    # with an explicit budget it runs, and says how it ended
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # shown as the command shows them
        assert main(["solve", "--data", str(path), "--numeric", "--methods", "golden",
                     "--max-steps", "50"]) == 0
    captured = capsys.readouterr()
    assert "golden NOT converged (retraining: max_steps)" in captured.out
    assert ("linunlearn solve: NotConvergedWarning: golden, retraining: gradient "
            "descent stopped at max_steps=50") in captured.err


def test_a_long_run_is_announced_and_refused_beyond_the_time_budget(monkeypatch, capsys):
    from linunlearn import cli
    monkeypatch.setattr(cli, "NUMERIC_BUDGET_SECONDS", 1e-9)
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--numeric", "--methods", "golden"])
    assert exc.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert re.search(r"about \S+ s in all, beyond the budget of 1e-09 s", err), err
    assert "--max-steps N" in err


def test_gradient_descent_reports_progress():
    X = np.random.default_rng(1).standard_normal((6, 20))
    seen = []
    run = lu.gradient_descent(X, np.ones(6), np.zeros(20), max_steps=5000,
                              progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (run.n_steps, 5000)
    assert all(total == 5000 for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
