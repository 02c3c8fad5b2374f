"""The figures' registry: writing, the manifest, the CLI, reproducible bytes."""

import hashlib
import os
import pathlib
import subprocess
import sys

import numpy as np
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


def test_import_linunlearn_figures_does_not_import_matplotlib():
    code = ("import sys, linunlearn.figures, linunlearn.figures.data, "
            "linunlearn.figures.draw; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_modules_share_only_public_names_and_only_draw_uses_matplotlib():
    """The package's layout: data is pure, draw alone uses matplotlib, no private imports."""
    import ast
    package = os.path.dirname(figures.__file__)
    for module in ("__init__", "data", "draw"):
        with open(os.path.join(package, f"{module}.py")) as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                if node.level == 1:  # from .data import ..., from . import draw
                    assert not any(n.startswith("_") for n in names), (module, names)
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            if module != "draw":
                assert not any(m.split(".")[0] in ("matplotlib", "mpl_toolkits")
                               for m in modules), (module, modules)


def test_public_names_are_importable_from_the_package():
    old = ["FIGURES", "FigureSpec", "WriteResult", "write_figures", "STYLE",
           "method_style", "VERDICT_COLOURS", "GEOMETRY_COLOURS", "THEORY_STYLE",
           "MANIFEST", "read_manifest", "render", "save",
           "TrainingCurves", "TrainingCase", "Sweep", "ClaimMap", "Tradeoff",
           "MethodGaps", "RegimeGaps", "Geometry", "compute_training_curves",
           "compute_overlap_sweep", "compute_sample_sweep", "compute_claim_map",
           "compute_tradeoff", "compute_method_gaps", "compute_regime_gaps",
           "compute_geometry", "draw_training_curves", "draw_sweep",
           "draw_claim_map", "draw_tradeoff", "draw_method_gaps",
           "draw_regime_gaps", "draw_geometry"]
    public = figures.data.__all__ + figures.draw.__all__
    assert set(old + public + ["register_figure", "unregister_figure"]) \
        <= set(figures.__all__)
    for name in figures.__all__:
        assert hasattr(figures, name), name
    for name in public:
        source = figures.data if name in figures.data.__all__ else figures.draw
        assert getattr(figures, name) is getattr(source, name), name


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


def _tiny_compute(seed, *, quick, progress):
    """Data of a figure declared by a test: two points that depend on the seed."""
    if progress is not None:
        progress(1, 1)
    return np.array([float(seed), seed + (0.5 if quick else 1.0)])


def _tiny_draw(data):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2.0, 1.5))
    fig.subplots().plot(data, marker="o")
    return fig


def test_a_registered_figure_is_written_with_its_manifest_line_and_unregistered(
        tmp_path, capsys):
    spec = figures.register_figure("tiny_test_figure", "two points of a test",
                                   compute=_tiny_compute, draw=_tiny_draw)
    try:
        assert figures.FIGURES["tiny_test_figure"] is spec
        assert list(figures.FIGURES)[-1] == "tiny_test_figure"
        assert spec == figures.FigureSpec("tiny_test_figure", "two points of a test",
                                          _tiny_compute, _tiny_draw, None)
        result = figures.write_figures(["tiny_test_figure"], str(tmp_path), seed=4,
                                       quick=True)
        stem = os.path.join(str(tmp_path), "tiny_test_figure")
        assert result.written == {"tiny_test_figure": (f"{stem}.pdf", f"{stem}.png")}
        assert result.skipped == {} and result.seconds["tiny_test_figure"] >= 0
        pdf = pathlib.Path(f"{stem}.pdf").read_bytes()
        assert b"figure tiny_test_figure; seed=4; quick=True" in pdf
        assert b"two points of a test" in pdf
        assert pathlib.Path(f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        # the manifest lists it, with its PDF's digest
        assert result.manifest == os.path.join(str(tmp_path), figures.MANIFEST)
        assert figures.read_manifest(result.manifest) == ["tiny_test_figure"]
        digest = hashlib.sha256(pdf).hexdigest()[:16]
        lines = pathlib.Path(result.manifest).read_text().splitlines()
        assert lines[-1] == f"tiny_test_figure  # pdf sha256 {digest}"
        # the CLI knows it too
        assert main(["figures", "--list"]) == 0
        assert "tiny_test_figure" in capsys.readouterr().out
    finally:
        figures.unregister_figure("tiny_test_figure")
    assert "tiny_test_figure" not in figures.FIGURES
    assert list(figures.FIGURES) == ["training_curves", "overlap_sweep", "sample_sweep",
                                     "claim_map", "tradeoff", "method_gaps",
                                     "regime_gaps", "geometry", "deletion_stream",
                                     "relearning"]
    with pytest.raises(ValueError, match="unknown figure 'tiny_test_figure'"):
        figures.write_figures(["tiny_test_figure"], str(tmp_path))
    # a manifest written now no longer lists it, though its files are still there
    figures.write_figures([], str(tmp_path))
    assert figures.read_manifest(os.path.join(str(tmp_path), figures.MANIFEST)) == []
    assert (tmp_path / "tiny_test_figure.pdf").exists()


def test_register_figure_rejects_bad_declarations():
    with pytest.raises(ValueError, match="figure name 'geometry' is taken"):
        figures.register_figure("geometry", "again", compute=_tiny_compute,
                                draw=_tiny_draw)
    for name in ("two words", "", None, "../escape"):
        with pytest.raises(ValueError, match="identifier-like"):
            figures.register_figure(name, "bad", compute=_tiny_compute, draw=_tiny_draw)
    with pytest.raises(TypeError, match="compute must be callable"):
        figures.register_figure("tiny_bad", "bad", compute=1, draw=_tiny_draw)
    with pytest.raises(TypeError, match="draw must be callable"):
        figures.register_figure("tiny_bad", "bad", compute=_tiny_compute, draw=None)
    with pytest.raises(TypeError, match="unavailable must be callable"):
        figures.register_figure("tiny_bad", "bad", compute=_tiny_compute,
                                draw=_tiny_draw, unavailable="no")
    assert "tiny_bad" not in figures.FIGURES
    with pytest.raises(ValueError, match="unknown figure 'nope'; known: training"):
        figures.unregister_figure("nope")


def test_a_built_in_figure_can_be_declared_again(monkeypatch):
    # monkeypatch restores FIGURES (and its order) after the test
    monkeypatch.setattr(figures, "FIGURES", dict(figures.FIGURES))
    spec = figures.FIGURES["geometry"]
    figures.unregister_figure("geometry")
    assert "geometry" not in figures.FIGURES
    again = figures.register_figure("geometry", spec.description,
                                    compute=spec.compute, draw=spec.draw)
    assert again == spec and list(figures.FIGURES)[-1] == "geometry"
