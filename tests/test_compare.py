"""The comparison table, its formats, the figure's data and the compare CLI."""

import json

import numpy as np
import pytest

import linunlearn as lu
from linunlearn.cli import main
from linunlearn import realdata
from linunlearn.compare import Comparison, Timing, _cell, compare, default_methods, gaps
from linunlearn.montecarlo import ConfidenceInterval
from linunlearn.montecarlo import seed_sequence

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
    assert abs(cells["rbm"]["gap_to_golden"].estimate) < 1e-12
    assert abs(cells["deepclean"]["gap_to_golden"].estimate) < 1e-12
    assert cells["golden"]["gap_to_golden"].estimate == 0.0
    assert cells["finetune"]["unlearning_loss"].estimate < 1e-20
    assert cells["finetune"]["mia_efficacy"].estimate == 0.0
    for regime in result.regimes:
        assert dict(result.stop_reasons[regime]["ga"]) == {"vanishing_gradient": 4}
        for label in result.methods:
            for column, cell in result.cells[regime][label].items():
                assert cell.n_trials == 4
                if column == "time_ms":  # median and minimum, no t-interval
                    assert isinstance(cell, Timing) and 0 < cell.minimum <= cell.median
                    continue
                assert isinstance(cell, ConfidenceInterval)
                assert 0 <= cell.low <= cell.estimate <= cell.high
                if column == "mia_efficacy":
                    assert cell.high <= 1.0


def test_intervals_are_clipped_to_the_metric_range_and_time_is_a_median():
    # A share near 1 with a little spread: the t-interval crosses 1.
    cell = _cell([1.0, 1.0, 1.0, 0.9], "mia_efficacy", 0.95)
    assert cell.high == 1.0 and cell.low < cell.estimate < 1.0
    cell = _cell([1e-18, 0.0, 2e-18, 0.0], "gap_to_golden", 0.95)
    assert cell.low == 0.0
    # A skewed run time: mean 26.5, median 2.5, minimum 1; never a negative bound.
    cell = _cell([3.0, 1.0, 2.0, 100.0], "time_ms", 0.95)
    assert (cell.median, cell.minimum, cell.mean) == (2.5, 1.0, 26.5)
    assert cell.to_dict()["low"] is None and cell.to_dict()["high"] is None
    one = _cell([5.0], "unlearning_loss", 0.95)
    assert (one.estimate, one.low, one.high, one.n_trials) == (5.0, None, None, 1)


def test_same_seed_same_table(result):
    again = compare(SMALL, methods=METHODS, n_trials=4, seed=1)
    other = compare(SMALL, methods=METHODS, n_trials=4, seed=2)
    for regime in result.regimes:
        for label in result.methods:
            for c in result.columns:
                if c != "time_ms":
                    assert (again.cells[regime][label][c].estimate
                            == result.cells[regime][label][c].estimate)
    assert (other.cells["small-overlap"]["golden"]["unlearning_loss"].estimate
            != result.cells["small-overlap"]["golden"]["unlearning_loss"].estimate)


def test_salun_random_labels_come_from_the_trial_streams():
    a = compare(SMALL, methods=["salun"], n_trials=2, seed=3)
    b = compare(SMALL, methods=["salun", "golden"], n_trials=2, seed=3)
    assert (a.cells["small-overlap"]["salun"]["unlearning_loss"].estimate
            == b.cells["small-overlap"]["salun"]["unlearning_loss"].estimate)


def test_warm_up_does_not_advance_the_trial_generator():
    # SalUn's random labels come from the trial's method stream; the untimed
    # warm-up call must not consume it.
    res = compare(SMALL, methods=["salun"], n_trials=2, seed=3)
    ul = []
    for child in seed_sequence(3, "compare", "small-overlap").spawn(2):
        data_seed, method_seed = child.spawn(2)
        data = SMALL["small-overlap"].sample(rng=np.random.default_rng(data_seed))
        w = lu.solve(data, "salun", rng=np.random.default_rng(method_seed)).w
        ul.append(lu.evaluate(data, w)["unlearning_loss"])
    assert res.cells["small-overlap"]["salun"]["unlearning_loss"].estimate == np.mean(ul)


def test_formats(result):
    text = result.format_text()
    assert "regime small-overlap" in text and "vanishing_gradient" in text
    assert "nan" not in text.lower()
    assert "95% Student-t interval" in text.splitlines()[0]
    assert "ms: median (min)" in text.splitlines()[0]
    latex = result.to_latex()
    assert latex.count("\\begin{tabular}") == 1 and "ce\\_ft[k=3]" in latex
    assert "\\emph{small-distinct}" in latex
    blob = json.loads(json.dumps(result.to_dict()))
    cell = blob["regimes"]["small-distinct"]["results"]["rbm"]["unlearning_loss"]
    assert set(cell) == {"mean", "low", "high"}
    cell = blob["regimes"]["small-distinct"]["results"]["rbm"]["time_ms"]
    assert set(cell) == {"mean", "low", "high", "median", "min"}
    assert blob["methods"]["ce_ft[k=3]"] == {"method": "ce_ft",
                                            "options": {"steps": 3, "alpha": 0.2}}


def test_user_data_gives_one_run_without_intervals():
    data = lu.Scenario.overlapping(10, 8, 3, 4, 3).sample(rng=0)
    res = compare(data=data, methods=["finetune", "golden", "kl_ft"])
    assert res.regimes == ("data",) and res.n_trials == 1
    cell = res.cells["data"]["kl_ft"]["unlearning_loss"]
    assert cell.low is None and cell.high is None
    text = res.format_text()
    assert "±" not in text and "[" not in text.split("\n", 2)[2]
    # one run: the header claims no interval
    assert "interval" not in text.splitlines()[0].replace("no intervals", "")
    assert "%" not in res.to_latex().splitlines()[0][1:]
    assert res.to_dict()["confidence"] is None
    json.dumps(res.to_dict())


def test_every_default_method_on_multi_output_real_data():
    # Class-wise forgetting of digit 3 with one-hot targets (10 outputs); four
    # features per training sample, as the defaults (at two, SalUn's masked
    # system is square and warns that it is ill-conditioned).
    data = realdata.digits_forgetting(3, n_train=200, n_features=800, rng=1).dataset()
    res = compare(data=data)
    assert res.methods == tuple(label for label, _, _ in default_methods())
    assert "k=10 outputs" in res.descriptions["data"]
    for label in res.methods:
        for column, cell in res.cells["data"][label].items():
            assert np.isfinite(cell.mean if column == "time_ms" else cell.estimate), (label, column)
    cells = res.cells["data"]
    # known answers that hold on any data: golden has no gap, finetune forgets
    # nothing of an interpolated D_f, minnorm_og is golden
    assert cells["golden"]["gap_to_golden"].estimate == 0.0
    assert cells["finetune"]["unlearning_loss"].estimate < 1e-15
    assert cells["minnorm_og"]["gap_to_golden"].estimate < 1e-10


def test_default_methods_cover_every_unlearning_method():
    methods = {m for _, m, _ in default_methods()}
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


def test_gaps_are_the_gap_column(result):
    g = gaps(result)
    assert set(g) == set(SMALL)
    assert g["small-distinct"]["golden"].estimate == 0.0
    for regime in SMALL:
        for label in result.methods:
            assert g[regime][label] is result.cells[regime][label]["gap_to_golden"]


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
    assert "regime data: one data set" in capsys.readouterr().out


def test_every_timed_call_factorises_its_own_data(monkeypatch):
    # Golden is solved first (for the gaps) and caches the factorisation on the
    # data set; the timed calls must not reuse it, or the core methods look
    # free next to those that cannot use it.
    from linunlearn import compare as compare_module
    cached_at_call = []
    real_solve = compare_module.solve

    def spy(data, method, **options):
        cached_at_call.append("rows" in vars(data))
        return real_solve(data, method, **options)

    monkeypatch.setattr(compare_module, "solve", spy)
    data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    compare_module._run_one(data, {"golden": ("golden", {}), "rbm": ("rbm", {})},
                            np.random.default_rng(0))
    # calls: golden for the gaps (fresh), then golden and rbm timed (fresh)
    assert cached_at_call == [False, False, False]


# ------------------------------------------- attacks and relearning (second table)

def test_attack_and_relearning_columns(result):
    from linunlearn.compare import EXTRA_COLUMNS, MAIN_COLUMNS
    assert result.columns == MAIN_COLUMNS + EXTRA_COLUMNS
    for regime in result.regimes:
        cells = result.cells[regime]
        # golden's gaps to itself are 0; fine-tuning fits D_f exactly (the
        # small regimes interpolate): the loss attack catches every member and
        # fine-tuning never unlearned, so it is back at once
        for c in EXTRA_COLUMNS:
            if c.endswith("_gap"):
                assert cells["golden"][c].estimate == 0.0, (regime, c)
        assert cells["finetune"]["mia_auc"].estimate == 1.0
        assert cells["finetune"]["mia_tpr"].estimate == 1.0
        assert cells["finetune"]["relearn_steps"].estimate == 0.0
        assert cells["golden"]["relearn_steps"].estimate > 0
        assert_gap = cells["finetune"]["mia_auc_gap"].estimate
        assert abs(assert_gap - (1 - cells["golden"]["mia_auc"].estimate)) < 1e-12
        for label in result.methods:
            for c in EXTRA_COLUMNS[:-1]:
                cell = cells[label][c]
                assert 0.0 <= cell.low <= cell.estimate <= cell.high <= 1.0, (label, c)


def test_attack_columns_match_the_attacks_module():
    from linunlearn import attacks, relearn
    res = compare({"s": SMALL["small-overlap"]}, methods=["rbm"], n_trials=2, seed=4)
    values = []
    for child in seed_sequence(4, "compare", "s").spawn(2):
        data_seed, _, attack_seed = child.spawn(3)
        data = SMALL["small-overlap"].sample(rng=np.random.default_rng(data_seed))
        shadows = attacks.shadow_models(data, rng=np.random.default_rng(attack_seed))
        w = lu.solve(data, "rbm").w
        m = attacks.attack_metrics(data, w, shadows)
        w_o, w_g = lu.solve(data, "pretrained").w, lu.solve(data, "golden").w
        values.append((m["lira_auc"], relearn.relearning(data, w, w_o, w_g).steps))
    cells = res.cells["s"]["rbm"]
    assert cells["lira_auc"].estimate == np.mean([v[0] for v in values])
    assert cells["relearn_steps"].estimate == np.mean([v[1] for v in values])


def test_text_json_and_latex_carry_the_second_table(result):
    text = result.format_text()
    assert "loss AUC" in text and "LiRA TPR@1%" in text and "relearn" in text
    assert text.splitlines()[-1].startswith("attacks on D_f against held-out")
    blob = json.loads(json.dumps(result.to_dict()))
    cells = blob["regimes"]["small-overlap"]["results"]["rbm"]
    assert {"mia_auc", "lira_tpr_gap", "relearn_steps", "mia_efficacy_gap"} <= set(cells)
    assert "lira_auc" in blob["columns"]
    assert "LiRA" not in result.to_latex()
    assert "LiRA AUC" in result.to_latex(columns=["lira_auc"])


def test_user_data_without_held_out_forgetting_rows_has_no_attack_columns():
    d = lu.Scenario.overlapping(10, 8, 3, 4, 3).sample(rng=0)
    plain = lu.Dataset(d.X_r, d.y_r, d.X_f, d.y_f, X_test_r=d.X_test_r, y_test_r=d.y_test_r)
    res = compare(data=plain, methods=["finetune", "golden"])
    assert "mia_auc" not in res.columns and "mia_efficacy_gap" in res.columns
    assert "relearn_steps" in res.columns


def test_one_data_set_shows_progress_per_method(monkeypatch):
    # before: a bar only over the regimes' trials; on --data or --dataset
    # (one data set, 20 s for the digits) nothing moved
    from linunlearn import compare as module
    seen = []

    class Recorder(module.Progress):
        def update(self, text=None, steps=1):
            seen.append((self.label, self.total, text))
            super().update(text, steps)

    monkeypatch.setattr(module, "Progress", Recorder)
    data = lu.Scenario.distinct(8, 6, 3, 2).sample(rng=0)
    module.compare(data=data, methods=["finetune", "golden", "rbm"], progress=True)
    assert seen == [("compare", 3, "finetune"), ("compare", 3, "golden"),
                    ("compare", 3, "rbm")]
