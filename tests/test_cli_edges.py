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
