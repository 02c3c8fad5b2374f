"""The comparison table, its formats, the figure's data and the compare CLI."""

import json

import numpy as np
import pytest

import linunlearn as lu
from linunlearn.cli import main
from linunlearn.compare import (DEFAULT_COMPARE_METHODS, Comparison, compare,
                                draw_figure, figure_data)

SMALL = {"small-distinct": lu.Scenario.distinct(10, 8, 4, 3),
         "small-overlap": lu.Scenario.overlapping(10, 8, 3, 4, 3)}
METHODS = ["finetune", "golden", "rbm", "deepclean", "ga", "ngdiff",
           ("ce_ft[k=3]", "ce_ft", {"steps": 3, "alpha": 0.2})]


@pytest.fixture(scope="module")
def result():
    return compare(SMALL, methods=METHODS, n_trials=4, seed=1)


def test_table_structure_and_known_cells(result):
    assert isinstance(result, Comparison)
    assert result.regimes == tuple(SMALL) and result.methods[-1] == "ce_ft[k=3]"
    assert "gap_to_golden" in result.columns and "mia_efficacy" in result.columns
    cells = result.cells["small-distinct"]
    assert abs(cells["rbm"]["gap_to_golden"].mean) < 1e-12
    assert abs(cells["deepclean"]["gap_to_golden"].mean) < 1e-12
    assert cells["golden"]["gap_to_golden"].mean == 0.0
    assert cells["finetune"]["unlearning_loss"].mean < 1e-20
    assert cells["finetune"]["mia_efficacy"].mean == 0.0
    for regime in result.regimes:
        assert dict(result.stop_reasons[regime]["ga"]) == {"vanishing_gradient": 4}
        for label in result.methods:
            for cell in result.cells[regime][label].values():
                assert cell.low <= cell.mean <= cell.high and cell.n_trials == 4


def test_same_seed_same_table(result):
    again = compare(SMALL, methods=METHODS, n_trials=4, seed=1)
    other = compare(SMALL, methods=METHODS, n_trials=4, seed=2)
    for regime in result.regimes:
        for label in result.methods:
            for c in result.columns:
                if c != "time_ms":
                    assert (again.cells[regime][label][c].mean
                            == result.cells[regime][label][c].mean)
    assert (other.cells["small-overlap"]["golden"]["unlearning_loss"].mean
            != result.cells["small-overlap"]["golden"]["unlearning_loss"].mean)


def test_salun_random_labels_come_from_the_trial_streams():
    a = compare(SMALL, methods=["salun"], n_trials=2, seed=3)
    b = compare(SMALL, methods=["salun", "golden"], n_trials=2, seed=3)
    assert (a.cells["small-overlap"]["salun"]["unlearning_loss"].mean
            == b.cells["small-overlap"]["salun"]["unlearning_loss"].mean)


def test_formats(result):
    text = result.format_text()
    assert "regime small-overlap" in text and "vanishing_gradient" in text
    assert "nan" not in text.lower()
    latex = result.to_latex()
    assert latex.count("\\begin{tabular}") == 1 and "ce\\_ft[k=3]" in latex
    assert "\\emph{small-distinct}" in latex
    blob = json.loads(json.dumps(result.to_dict()))
    cell = blob["regimes"]["small-distinct"]["results"]["rbm"]["unlearning_loss"]
    assert set(cell) == {"mean", "low", "high"}
    assert blob["methods"]["ce_ft[k=3]"] == {"method": "ce_ft",
                                            "options": {"steps": 3, "alpha": 0.2}}


def test_user_data_gives_one_run_without_intervals():
    data = lu.Scenario.overlapping(10, 8, 3, 4, 3).sample(rng=0)
    res = compare(data=data, methods=["finetune", "golden", "kl_ft"])
    assert res.regimes == ("data",) and res.n_trials == 1
    cell = res.cells["data"]["kl_ft"]["unlearning_loss"]
    assert cell.low is None and cell.high is None
    assert "±" not in res.format_text().split("\n", 2)[2]
    json.dumps(res.to_dict())


def test_default_methods_cover_every_unlearning_method():
    methods = {m for _, m, _ in DEFAULT_COMPARE_METHODS}
    assert set(lu.methods.UNLEARNING_METHODS) <= methods


@pytest.mark.parametrize("kwargs,error,match", [
    ({"methods": ["nope"]}, ValueError, "methods: unknown method 'nope'"),
    ({"methods": [3]}, TypeError, "methods entries must be a method name"),
    ({"methods": ["rbm", "rbm"]}, ValueError, "duplicate label 'rbm'"),
    ({"methods": []}, ValueError, "methods must name at least one method"),
    ({"regimes": ["nowhere"]}, ValueError, "regimes: unknown regime 'nowhere'"),
    ({"regimes": [3]}, TypeError, "regimes must be default regime names"),
    ({"n_trials": 1}, ValueError, "n_trials must be >= 2"),
    ({"confidence": 1.0}, ValueError, "confidence must be < 1"),
    ({"confidence": 0.0}, ValueError, "confidence must be > 0"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"methods": [("x", "ce_ft", {"alpha": 2.0})]}, ValueError, "alpha must be <= 1"),
])
def test_validation(kwargs, error, match):
    kwargs = {"regimes": SMALL, "n_trials": 2, "methods": ["rbm"], **kwargs}
    with pytest.raises(error, match=match):
        compare(**kwargs)


def test_figure_data_and_drawing(result, tmp_path):
    d = figure_data(result, regime="overlap", alphas=(0.0, 0.1, 1.0), steps=3,
                    n_trials=2, seed=0)
    assert set(d["gap"]) == set(SMALL)
    assert d["gap"]["small-distinct"]["golden"][0] == 0.0
    assert d["tradeoff"]["ice_ft"]["alpha"] == [0.1, 1.0]
    ce = d["tradeoff"]["ce_ft"]
    assert np.all(np.diff(ce["unlearning_loss"]) > 0)  # UL grows with the weight
    assert np.all(np.diff(ce["remaining_loss"]) > 0)   # at a cost in RL
    assert ce["remaining_loss"][0] < 1e-20             # alpha = 0: fine-tuning
    fig = draw_figure(d, tmp_path / "compare.png")
    assert (tmp_path / "compare.png").stat().st_size > 0
    assert len(fig.axes) == 2


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys
    code = ("import sys, linunlearn, linunlearn.compare; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_cli_json_and_latex(capsys):
    assert main(["compare", "--regimes", "distinct", "--methods", "rbm", "ga",
                 "--trials", "2", "--json"]) == 0
    blob = json.loads(capsys.readouterr().out)
    assert blob["n_trials"] == 2
    rbm = blob["regimes"]["distinct"]["results"]["rbm"]
    assert abs(rbm["gap_to_golden"]["mean"]) < 1e-12
    assert main(["compare", "--regimes", "overlap", "--methods", "kl_ft",
                 "--trials", "2", "--latex"]) == 0
    assert "\\toprule" in capsys.readouterr().out
    assert main(["compare", "--regimes", "full-overlap", "--methods", "fbm",
                 "--trials", "2"]) == 0
    assert "regime full-overlap" in capsys.readouterr().out


def test_cli_errors_name_the_parameter(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--methods", "nope", "--trials", "2"])
    assert "unknown method 'nope'" in capsys.readouterr().err


def test_cli_user_data(tmp_path, capsys):
    data = lu.Scenario.overlapping(10, 8, 3, 4, 3).sample(rng=0)
    path = tmp_path / "d.npz"
    np.savez(path, X_r=data.X_r, y_r=data.y_r, X_f=data.X_f, y_f=data.y_f,
             X_test_r=data.X_test_r, y_test_r=data.y_test_r,
             X_test_f=data.X_test_f, y_test_f=data.y_test_f)
    assert main(["compare", "--data", str(path), "--methods", "golden", "rbm"]) == 0
    assert "regime data: user data" in capsys.readouterr().out
