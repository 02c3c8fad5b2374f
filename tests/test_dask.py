"""Past one machine: verify, sweeps and figures on a Dask cluster give the serial bytes.

The tests start a LocalCluster on this machine and stop it themselves.
"""
import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from linunlearn import parallel, sweeps, verifier  # noqa: E402
from linunlearn.cli import main  # noqa: E402

SPEC = {"claims": ["C5-disparity", "C5-disparity-salun"], "trials": 30, "seeds": 3,
        "grid": {"d_lap/d_f": [0.0, 0.5, 1.0], "n_r/d_r": [0.2, 0.5]}}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster


def test_verify_on_a_cluster_is_verify_here(cluster):
    here = verifier.verify(["C2", "C7"], ["overlap"], trials=40).to_dict()["claims"]
    there = verifier.verify(["C2", "C7"], ["overlap"], trials=40,
                            scheduler=cluster.scheduler_address).to_dict()["claims"]
    assert here == there


def test_a_sweep_on_a_cluster_is_the_serial_sweep(cluster, tmp_path):
    sweeps.run_sweep(SPEC, tmp_path / "serial")
    sweeps.run_sweep(SPEC, tmp_path / "dask", scheduler=cluster.scheduler_address)
    for name in ("table.csv", "table.json"):
        assert (tmp_path / "serial" / name).read_bytes() == \
            (tmp_path / "dask" / name).read_bytes()


def test_a_worker_killed_mid_sweep_costs_only_its_units(cluster, tmp_path):
    sweeps.run_sweep(SPEC, tmp_path / "serial")
    with distributed.Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)
    units = tmp_path / "dask" / "units"
    killed = []

    def kill_one_when_the_sweep_is_under_way():
        deadline = time.time() + 120
        while time.time() < deadline:
            if units.exists() and len(list(units.iterdir())) >= 3:
                os.kill(next(iter(pids.values())), signal.SIGKILL)
                killed.append(len(list(units.iterdir())))
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=kill_one_when_the_sweep_is_under_way)
    watcher.start()
    result = sweeps.run_sweep(SPEC, tmp_path / "dask", scheduler=cluster.scheduler_address)
    watcher.join()
    assert killed and killed[0] < result.units  # killed while units were left to run
    assert (tmp_path / "serial" / "table.csv").read_bytes() == \
        (tmp_path / "dask" / "table.csv").read_bytes()


def test_figures_on_a_cluster(cluster, tmp_path):
    from linunlearn.figures.data import compute_claim_map
    with parallel.executor(scheduler=cluster.scheduler_address) as ex:
        there = compute_claim_map(quick=True, executor=ex)
    here = compute_claim_map(quick=True)
    np.testing.assert_array_equal(there.verdicts, here.verdicts)
    np.testing.assert_array_equal(there.means, here.means)


def test_the_command_line_starts_and_stops_its_own_local_cluster(capsys):
    assert main(["verify", "--claims", "C7", "--regimes", "overlap", "--trials", "20",
                 "--scheduler", "local:2", "--quiet"]) == 0
    assert "HOLDS" in capsys.readouterr().out


def test_an_unreachable_scheduler_is_named(capsys, monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--claims", "C7", "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert exc.value.code == 2
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler there" in \
        capsys.readouterr().err


def test_without_dask_the_message_says_how_to_install_it(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ValueError, match=r'pip install "linunlearn\[dask\]"'):
        with parallel.executor(scheduler="local:2"):
            pass
