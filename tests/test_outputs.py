"""Output paths are checked before the work, and files are written whole."""
import json
import os

import pytest

from linunlearn import outputs


def test_a_folder_is_not_a_file(tmp_path):
    for path in (tmp_path, f"{tmp_path}{os.sep}"):
        with pytest.raises(ValueError, match=r"--json .*: is a folder; give a file name"):
            outputs.check_file(path, "--json")


def test_a_missing_or_unwritable_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"its folder .*missing does not exist"):
        outputs.check_file(tmp_path / "missing" / "x.json", "--json")
    # /proc refuses new files even to root (permission bits would say yes)
    with pytest.raises(ValueError, match=r"--json /proc/x.json: its folder /proc is not "
                                         r"writable"):
        outputs.check_file("/proc/x.json", "--json")
    with pytest.raises(ValueError, match=r"--out /proc/figs: cannot create it"):
        outputs.check_folder("/proc/figs", "--out")
    with pytest.raises(ValueError, match="the path is empty"):
        outputs.check_file("", "--json")


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "README.md").write_text("x")
    with pytest.raises(ValueError, match=r"README.md: is a file, not a folder"):
        outputs.check_folder(tmp_path / "README.md", "--out")
    # a folder that does not exist yet is fine when it can be made
    assert outputs.check_folder(tmp_path / "a" / "b", "--out") == str(tmp_path / "a" / "b")
    assert outputs.check_file(tmp_path / "x.json", "--json") == str(tmp_path / "x.json")


def test_writes_are_whole_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "evidence.json"
    outputs.write_json(path, {"a": [1, 2]})
    assert json.loads(path.read_text()) == {"a": [1, 2]}

    class Boom(Exception):
        pass

    def broken_replace(src, dst):
        raise Boom("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(Boom):
        outputs.write_json(path, {"a": "new"})
    # the old file is intact and no temporary file is left behind
    assert json.loads(path.read_text()) == {"a": [1, 2]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.json"]


def test_written_files_have_ordinary_permissions(tmp_path):
    path = tmp_path / "x.txt"
    outputs.write_text(path, "hello")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    assert path.read_text() == "hello"
