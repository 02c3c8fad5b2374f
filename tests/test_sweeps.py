"""Sweeps from a file: checked specs, seeds per cell, resumable, the same bytes anywhere."""
import json
import os
import textwrap

import numpy as np
import pytest

from linunlearn import sweeps
from linunlearn.cli import main

#: The quick claim map's grid, as a sweep (figures.data.compute_claim_map(quick=True)).
CLAIM_MAP = {"claims": ["C5-disparity", "C5-disparity-salun", "C5"], "trials": 30,
             "grid": {"d_lap/d_f": [0.0, 0.5, 1.0], "n_r/d_r": [0.2, 0.5]}}


def _write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("spec, message", [
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "colour": 1}, "colour: unknown key"),
    ({"claims": ["C5"]}, "grid: a non-empty table"),
    ({"claims": ["C5"], "grid": {}}, "grid: a non-empty table"),
    ({"claims": ["C5"], "grid": {"n_r": []}}, "grid.n_r: an empty list"),
    ({"claims": ["C5"], "grid": {"n_r": 10}}, "grid.n_r: must be a list"),
    ({"claims": ["C5"], "grid": {"n_r": [1.5]}}, "grid.n_r: must be an integer"),
    ({"claims": ["C5"], "grid": {"n_r/d_r": ["a"]}}, "grid.n_r/d_r: must be a finite number"),
    ({"claims": ["C5"], "grid": {"d_lap/d_f": [1.5]}}, "grid.d_lap/d_f: must be <= 1"),
    ({"claims": ["C5"], "grid": {"speed": [1]}}, "grid.speed: unknown parameter"),
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "scenario": {"n_r": 5}},
     "grid.n_r: also fixed in"),
    ({"claims": ["C5"], "grid": {"n_r": [10], "n_r/d_r": [0.5]}}, "n_r/d_r: n_r is given too"),
    ({"claims": ["C5"], "methods": ["rbm"], "grid": {"n_r": [10]}}, "claims: give either"),
    ({"grid": {"n_r": [10]}}, "claims: give either"),
    ({"claims": ["C99"], "grid": {"n_r": [10]}}, "claims: unknown claim 'C99'"),
    ({"methods": ["magic"], "grid": {"n_r": [10]}}, "methods: unknown method 'magic'"),
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "seeds": 0}, "seeds: must be >= 1"),
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "seeds": [1, 1]}, "seeds: repeated seeds"),
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "trials": 1}, "trials: must be >= 2"),
    ({"claims": ["C5"], "grid": {"n_r": [10]}, "scenario": {"teacher": "x"}},
     "scenario.teacher: must be 'flat' or 'random'"),
    ({"claims": ["C5"], "grid": {"n_r/d_r": [0.001]}},
     r"grid cell n_r/d_r=0.001 \(d_r=60, d_f=40, d_lap=16, n_r=0, n_f=15\): n_r must be"),
])
def test_a_bad_spec_gets_an_error_naming_the_key(spec, message):
    with pytest.raises(ValueError, match=f"spec: {message}"):
        sweeps.read_spec(spec)


def test_a_spec_file_is_read_and_its_errors_name_the_file(tmp_path):
    path = _write(tmp_path, """
        seeds = [0, 3]
        claims = ["C5-disparity"]
        [grid]
        "n_r/d_r" = [0.2, 0.5]
    """)
    spec = sweeps.read_spec(path)
    assert spec.seeds == (0, 3) and spec.grid == {"n_r/d_r": (0.2, 0.5)}
    bad = _write(tmp_path, "claims = [\n", "bad.toml")
    with pytest.raises(ValueError, match=rf"{bad}: not valid TOML"):
        sweeps.read_spec(bad)
    with pytest.raises(ValueError, match="cannot read the spec"):
        sweeps.read_spec(tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="d_lap = 60 exceeds min"):
        sweeps.cells(sweeps.read_spec({"claims": ["C5"], "grid": {"d_lap": [60]}}))


def test_a_sweep_is_the_claim_map(tmp_path):
    from linunlearn.figures.data import compute_claim_map
    result = sweeps.run_sweep(CLAIM_MAP, tmp_path / "map")
    assert result.units == result.ran == 6 * 4 and result.resumed == 0
    ours, theirs = sweeps.claim_map(tmp_path / "map"), compute_claim_map(quick=True)
    for field in ("checks", "statements", "masks", "teacher"):
        assert getattr(ours, field) == getattr(theirs, field)
    for field in ("overlap_ratios", "sample_ratios", "verdicts", "means", "equal",
                  "n_trials"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field))
    # the table: one row per cell and check, the swept parameters first
    table = sweeps.read_table(tmp_path / "map")
    assert table["columns"][:3] == ["d_lap/d_f", "n_r/d_r", "cell"]
    # C5's parts: two disparity checks, three checks of C5(i), one of C5(ii)
    assert len(table["rows"]) == 6 * 6
    header = (tmp_path / "map" / "table.csv").read_text().splitlines()[0]
    assert header.startswith("d_lap/d_f,n_r/d_r,cell,d_r,d_f,d_lap,n_r,n_f,sigma,seed,claim")


def test_the_same_bytes_whatever_the_workers_and_a_resumed_sweep(tmp_path):
    spec = {**CLAIM_MAP, "seeds": 2}
    sweeps.run_sweep(spec, tmp_path / "one")
    sweeps.run_sweep(spec, tmp_path / "two", workers=2)
    one = (tmp_path / "one" / "table.csv").read_bytes()
    assert one == (tmp_path / "two" / "table.csv").read_bytes()
    assert (tmp_path / "one" / "table.json").read_bytes() == \
        (tmp_path / "two" / "table.json").read_bytes()
    # lose five finished units and the table: the same call runs those five only
    units = sorted((tmp_path / "one" / "units").iterdir())
    assert len(units) == 48
    for path in units[::10]:
        path.unlink()
    (tmp_path / "one" / "table.csv").unlink()
    again = sweeps.run_sweep(spec, tmp_path / "one")
    assert (again.ran, again.resumed) == (5, 43)
    assert (tmp_path / "one" / "table.csv").read_bytes() == one


def test_seeds_come_from_the_spec_and_the_cell():
    # a cell's numbers do not depend on the other cells of the grid
    small = sweeps.run_sweep({**CLAIM_MAP, "grid": {"d_lap/d_f": [0.5], "n_r/d_r": [0.5]}},
                             os.path.join(os.environ["LINUNLEARN_CACHE"], "small"))
    full = sweeps.run_sweep(CLAIM_MAP, os.path.join(os.environ["LINUNLEARN_CACHE"], "full"))
    cell = [r for r in full.rows if r["cell"] == "lap=0.5,n_r/d_r=0.5"]
    assert list(small.rows) == cell


def _interrupt_after(n):
    calls = []
    original = sweeps._run_unit

    def unit(job):
        if len(calls) == n:
            raise KeyboardInterrupt
        calls.append(job)
        return original(job)
    return unit


def test_an_interrupted_sweep_loses_nothing_done_and_resumes(tmp_path, monkeypatch, capsys):
    spec = _write(tmp_path, """
        claims = ["C5-disparity"]
        trials = 30
        [grid]
        "d_lap/d_f" = [0.0, 0.5, 1.0]
        "n_r/d_r" = [0.2, 0.5]
    """)
    out = tmp_path / "out"
    monkeypatch.setattr(sweeps, "_run_unit", _interrupt_after(4))
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 130
    assert "run the same command to resume" in capsys.readouterr().err
    assert len(list((out / "units").iterdir())) == 4 and not (out / "table.csv").exists()
    monkeypatch.undo()
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "6 units (4 done before, 2 run now)" in capsys.readouterr().out
    whole = tmp_path / "whole"
    assert main(["sweep", str(spec), "--out", str(whole), "--workers", "1", "--quiet"]) == 0
    assert (out / "table.csv").read_bytes() == (whole / "table.csv").read_bytes()


_RUN_UNIT = sweeps._run_unit


def _dying_unit(job):
    """Kills its worker process the first time it meets the cell lap=0.5,n_r/d_r=0.2."""
    marker = os.environ["LINUNLEARN_TEST_MARKER"]
    if job[0].name == "lap=0.5,n_r/d_r=0.2" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return _RUN_UNIT(job)


def test_a_killed_worker_costs_only_its_units(tmp_path, monkeypatch):
    monkeypatch.setenv("LINUNLEARN_TEST_MARKER", str(tmp_path / "died"))
    serial = sweeps.run_sweep(CLAIM_MAP, tmp_path / "serial")
    monkeypatch.setattr(sweeps, "_run_unit", _dying_unit)
    pooled = sweeps.run_sweep(CLAIM_MAP, tmp_path / "pooled", workers=2)
    assert (tmp_path / "died").exists()  # a worker did die
    assert (tmp_path / "serial" / "table.csv").read_bytes() == \
        (tmp_path / "pooled" / "table.csv").read_bytes()
    assert pooled.rows == serial.rows


def test_a_folder_of_another_sweep_is_refused(tmp_path):
    sweeps.run_sweep({**CLAIM_MAP, "grid": {"n_r/d_r": [0.5]}}, tmp_path)
    with pytest.raises(ValueError, match="holds a sweep of another spec"):
        sweeps.run_sweep({**CLAIM_MAP, "grid": {"n_r/d_r": [0.2]}}, tmp_path)
    with pytest.raises(ValueError, match="is a file, not a folder"):
        sweeps.run_sweep(CLAIM_MAP, tmp_path / "table.csv")


def test_a_damaged_unit_is_run_again_and_named(tmp_path):
    # before: "Expecting property name ..." from json, and no way to resume
    spec = {**CLAIM_MAP, "grid": {"n_r/d_r": [0.5]}}
    first = sweeps.run_sweep(spec, tmp_path)
    table = (tmp_path / "table.csv").read_bytes()
    damaged, emptied = sorted((tmp_path / "units").iterdir())[:2]
    damaged.write_text("{bad")
    emptied.write_text("")
    with pytest.warns(UserWarning, match="not a finished unit") as caught:
        again = sweeps.run_sweep(spec, tmp_path)
    assert {str(damaged), str(emptied)} <= {str(w.message).split(":")[0] for w in caught}
    assert (again.ran, again.resumed) == (2, first.units - 2)
    assert (tmp_path / "table.csv").read_bytes() == table
    (tmp_path / "spec.json").write_text("{")
    with pytest.raises(ValueError, match="its spec.json is damaged; remove it"):
        sweeps.run_sweep(spec, tmp_path)


def test_methods_are_swept_without_run_times(tmp_path):
    result = sweeps.run_sweep({"methods": ["finetune", "golden"], "trials": 3,
                               "grid": {"d_lap/d_f": [0.0, 0.4]}}, tmp_path)
    rows = result.rows
    assert {r["method"] for r in rows} == {"finetune", "golden"}
    assert "time" not in {r["metric"] for r in rows}
    golden_gap = [r for r in rows if r["method"] == "golden" and r["metric"] == "gap_to_golden"]
    assert len(golden_gap) == 2 and all(r["estimate"] == 0.0 for r in golden_gap)


def test_the_claim_map_figure_is_drawn_from_a_sweep(tmp_path, capsys):
    spec = _write(tmp_path, """
        claims = ["C5-disparity", "C5-disparity-salun"]
        trials = 30
        [grid]
        "d_lap/d_f" = [0.0, 0.5, 1.0]
        "n_r/d_r" = [0.2, 0.5]
    """)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "s"), "--quiet",
                 "--workers", "1"]) == 0
    assert main(["figures", "claim_map", "--from", str(tmp_path / "s"), "--out",
                 str(tmp_path / "figs"), "--quiet"]) == 0
    assert (tmp_path / "figs" / "claim_map.pdf").exists()
    capsys.readouterr()
    # a sweep over other parameters is not a claim map
    other = {"claims": ["C5-disparity"], "trials": 30, "grid": {"n_r/d_r": [0.5]}}
    sweeps.run_sweep(other, tmp_path / "other")
    with pytest.raises(SystemExit) as exc:
        main(["figures", "claim_map", "--from", str(tmp_path / "other"), "--out",
              str(tmp_path / "figs")])
    assert exc.value.code == 2 and "a claim map needs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["figures", "claim_map", "--from", str(tmp_path / "nothing"), "--out",
              str(tmp_path / "figs")])
    assert "no sweep table there" in capsys.readouterr().err
