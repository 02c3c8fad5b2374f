"""The figures' registry: writing, the manifest, the CLI, reproducible bytes."""

import hashlib
import os
import pathlib
import subprocess
import sys

import pytest

from linunlearn import figures
from linunlearn.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(ROOT, "figures")


def test_import_linunlearn_does_not_import_matplotlib():
    code = "import sys, linunlearn; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_tradeoff_unavailable_is_explained(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(figures.data, "available_methods", lambda: ("finetune",))
    reason = figures.tradeoff_unavailable()
    assert "ce_ft" in reason and "not registered" in reason
    result = figures.write_figures(["tradeoff"], str(tmp_path), quick=True)
    assert result.written == {} and "ce_ft" in result.skipped["tradeoff"]
    main(["figures", "tradeoff", "--quick", "--out", str(tmp_path), "--quiet"])
    assert "tradeoff: not produced: the discriminative" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="not registered"):
        figures.compute_tradeoff(0, quick=True)


def test_write_figures_computes_with_one_blas_thread(monkeypatch, tmp_path):
    from threadpoolctl import threadpool_info
    seen = []

    def compute(seed, *, quick, progress):
        seen.append([p["num_threads"] for p in threadpool_info()
                     if p["user_api"] == "blas"])
        return figures.compute_geometry(seed)

    spec = figures.FIGURES["geometry"]
    monkeypatch.setitem(figures.FIGURES, "geometry",
                        figures.FigureSpec("geometry", spec.description, compute,
                                           spec.draw))
    figures.write_figures(["geometry"], str(tmp_path))
    assert seen and all(n == 1 for n in seen[0])


def test_pdf_bytes_are_reproducible(tmp_path):
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = figures.write_figures(["geometry", "sample_sweep"], str(out), seed=3,
                                       quick=True)
        digests.append({n: [hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()
                            for p in paths] for n, paths in result.written.items()})
    assert digests[0] == digests[1]
    pdf = (tmp_path / "a" / "geometry.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"seed=3" in pdf


def test_committed_figures_match_the_manifest_and_registry():
    manifest = figures.read_manifest(os.path.join(COMMITTED, figures.MANIFEST))
    expected = [n for n, s in figures.FIGURES.items()
                if not (s.unavailable and s.unavailable())]
    assert manifest == expected
    files = sorted(f for f in os.listdir(COMMITTED) if f != figures.MANIFEST)
    assert files == sorted(f"{n}.{ext}" for n in manifest for ext in ("pdf", "png"))
    for n in manifest:
        pdf = pathlib.Path(COMMITTED, f"{n}.pdf").read_bytes()
        assert b"seed=0; quick=False" in pdf


def test_committed_pdfs_match_the_manifest_digests():
    """Every committed PDF is the one the manifest records, and nothing else is there."""
    with open(os.path.join(COMMITTED, figures.MANIFEST)) as fh:
        rows = [line.split("#", 1) for line in fh if not line.startswith("#")]
    digests = {name.strip(): note.split("sha256")[1].strip() for name, note in rows}
    assert len(digests) == len(rows) and all(len(d) == 16 for d in digests.values())
    files = sorted(os.listdir(COMMITTED))
    assert files == sorted([figures.MANIFEST] + [f"{n}.{ext}" for n in digests
                                                  for ext in ("pdf", "png")])
    for name, digest in digests.items():
        pdf = pathlib.Path(COMMITTED, f"{name}.pdf").read_bytes()
        assert hashlib.sha256(pdf).hexdigest()[:16] == digest, name


@pytest.mark.parametrize("name", ["geometry"])
def test_committed_figure_is_what_the_cli_writes(tmp_path, name):
    """The cheap figures regenerate byte for byte from the default seed."""
    main(["figures", name, "--out", str(tmp_path), "--quiet"])
    for ext in ("pdf", "png"):
        new = (tmp_path / f"{name}.{ext}").read_bytes()
        old = pathlib.Path(COMMITTED, f"{name}.{ext}").read_bytes()
        assert new == old


def test_write_figures_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="unknown figure 'nope'; known: training"):
        figures.write_figures(["nope"], str(tmp_path))
    with pytest.raises(ValueError, match="seed must be >= 0"):
        figures.write_figures(["geometry"], str(tmp_path), seed=-1)


def test_cli_lists_figures(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for name in figures.FIGURES:
        assert name in out
