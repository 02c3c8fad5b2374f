"""The figures of the paper's synthetic experiments, computed and drawn.

Every figure has one pure function that computes its data (a frozen
dataclass, tested; :mod:`linunlearn.figures.data`) and one that draws it (a
:class:`matplotlib.figure.Figure`; :mod:`linunlearn.figures.draw`).
:data:`FIGURES` maps each name to both; :func:`write_figures` writes PDF and
PNG files, and ``linunlearn figures`` calls it.

===================  ==========================================================
name                 what it shows
===================  ==========================================================
``training_curves``  remaining and unlearning loss over gradient-descent steps:
                     pretraining, then fine-tuning versus retraining (golden),
                     with golden's exact expected unlearning loss (C1, C2)
``overlap_sweep``    unlearning and remaining test loss of the six models of
                     the paper against the overlap ratio ``d_lap / d_f``
                     (Monte Carlo means with bands; exact curves)
``sample_sweep``     the same against the sample ratio ``n_r / d_r``
``claim_map``        verdicts of C5's checks over overlap ratio by ``n_r / d_r``
``tradeoff``         unlearning against remaining loss of the discriminative
                     regularisers ``ce_ft``, ``ice_ft``, ``kl_ft`` as their
                     weight varies (C8)
``method_gaps``      average gap to golden of every method of
                     ``linunlearn compare`` in each default regime
``regime_gaps``      fine-tuning's unlearning-loss gap to golden against the
                     ridge penalty, the fine-tuning budget and ``n_r / d_r``
                     across the interpolation threshold
``geometry``         a 3-D picture of where each model lands (C2, C3, C4, C7)
``deletion_stream``  distance to golden against the number of deletion requests
                     served, per method (data: :mod:`linunlearn.streams`)
``relearning``       unlearning loss while relearning half of ``D_f``, on the
                     relearned rows and on the rest (data:
                     :mod:`linunlearn.relearn`)
===================  ==========================================================

Public names (every one importable from here; ``data`` and ``draw`` name the
submodule that defines it):

=======================  ============================================  ======
name                     what it is                                    where
=======================  ============================================  ======
FIGURES                  figure name to its :class:`FigureSpec`
FigureSpec               a figure: description, compute, draw
register_figure          declare a figure (those above are so)
unregister_figure        remove a declared figure
render                   draw a figure from its data, in the style
save                     write a drawn figure as PDF and PNG
write_figures            compute, draw and write figures
check_out_dir            check an output folder before the work
WriteResult              what :func:`write_figures` wrote and skipped
MANIFEST                 the manifest's file name in an output folder
read_manifest            the figure names a manifest lists
compute_training_curves  data of ``training_curves``                   data
TrainingCurves           ... its type: one :class:`TrainingCase` per   data
                         case
TrainingCase             GD loss histories on one scenario             data
compute_overlap_sweep    data of ``overlap_sweep``                     data
compute_sample_sweep     data of ``sample_sweep``                      data
Sweep                    ... their type                                data
compute_claim_map        data of ``claim_map``                         data
ClaimMap                 ... its type                                  data
compute_tradeoff         data of ``tradeoff``                          data
Tradeoff                 ... its type                                  data
tradeoff_unavailable     why ``tradeoff`` cannot be made, or ``None``  data
compute_method_gaps      data of ``method_gaps``                       data
MethodGaps               ... its type                                  data
compute_regime_gaps      data of ``regime_gaps``                       data
RegimeGaps               ... its type                                  data
compute_geometry         data of ``geometry``                          data
Geometry                 ... its type                                  data
GEOMETRY_EXAMPLE         the class example ``geometry`` draws          data
FLAT_TEACHER             the synthetic figures' teacher, in words      data
draw_training_curves     draws ``training_curves``                     draw
draw_sweep               draws ``overlap_sweep`` and ``sample_sweep``  draw
draw_claim_map           draws ``claim_map``                           draw
draw_tradeoff            draws ``tradeoff``                            draw
draw_method_gaps         draws ``method_gaps``                         draw
draw_regime_gaps         draws ``regime_gaps``                         draw
draw_geometry            draws ``geometry``                            draw
draw_deletion_stream     draws ``deletion_stream``                     draw
draw_relearning          draws ``relearning``                          draw
STYLE                    matplotlib settings of every figure           draw
style_context            ``matplotlib.rc_context(STYLE)``              draw
method_style             colour, marker and label of a method          draw
new_figure               an empty Figure on the Agg canvas, no pyplot  draw
VERDICT_COLOURS          colour of each verdict of a claim map         draw
GEOMETRY_COLOURS         colours of ``geometry``'s plane and line      draw
THEORY_STYLE             line style of exact (theory) curves           draw
COLUMN, FULL             widths of a paper column and of the text      draw
=======================  ============================================  ======

Numbers depend on the seed alone: each Monte Carlo sweep point draws from
``montecarlo.seed_sequence(seed, name, ...)``; the claim map runs the
verifier's own checks (:meth:`linunlearn.checks.Check.run`) with the seed,
each cell decided on its own at the family-wise level 0.01.
Matplotlib is imported by :mod:`linunlearn.figures.draw` only, inside its
functions, never by ``import linunlearn`` or ``import linunlearn.figures``;
figures are drawn on the Agg canvas without pyplot, so no global backend is
changed. Every draw function rounds the numbers it plots (10 significant
digits, round-off-sized values drawn as exactly 0), so that round-off, which
depends on the BLAS build and its thread count, does not reach the bytes
written; :func:`write_figures` also computes with one BLAS thread.

Examples
--------
>>> from linunlearn import figures
>>> data = figures.compute_geometry(seed=0)
>>> sorted(data.points)
['finetune', 'golden', 'pretrained', 'projection', 'rbm']
"""

import hashlib
import inspect
import io
import os
import time
from dataclasses import dataclass, field

from .. import __version__, outputs, parallel
from ..progress import Progress
from ..relearn import compute_relearning
from ..streams import compute_stream_figure
from .._validation import check_int, failures_named
from . import data, draw
from .data import (FLAT_TEACHER, GEOMETRY_EXAMPLE, ClaimMap, Geometry, MethodGaps,
                   RegimeGaps, Sweep, Tradeoff, TrainingCase, TrainingCurves,
                   compute_claim_map, compute_geometry, compute_method_gaps,
                   compute_overlap_sweep, compute_regime_gaps, compute_sample_sweep,
                   compute_tradeoff, compute_training_curves, tradeoff_unavailable)
from .draw import (COLUMN, FULL, GEOMETRY_COLOURS, STYLE, THEORY_STYLE,
                   VERDICT_COLOURS, draw_claim_map, draw_deletion_stream, draw_geometry,
                   draw_method_gaps, draw_regime_gaps, draw_relearning, draw_sweep,
                   draw_tradeoff, draw_training_curves, method_style, new_figure,
                   style_context)

__all__ = ["FIGURES", "FigureSpec", "register_figure", "unregister_figure",
           "render", "save", "write_figures", "check_out_dir", "WriteResult",
           "MANIFEST", "read_manifest", *data.__all__, *draw.__all__]

#: File in the output directory that lists the figures written there.
MANIFEST = "MANIFEST.txt"


@dataclass(frozen=True)
class FigureSpec:
    """A figure: how to compute its data and how to draw them.

    Attributes
    ----------
    name : str
    description : str
    compute : callable
        ``compute(seed, *, quick, progress)`` returning the data.
    draw : callable
        ``draw(data)`` returning a matplotlib Figure.
    unavailable : callable or None
        Returns the reason the figure cannot be produced, or ``None``.
    """

    name: str
    description: str
    compute: object
    draw: object
    unavailable: object = None


#: Figure name to its :class:`FigureSpec`, in declaration order (the order of
#: ``linunlearn figures --list`` and of every manifest). Declare a figure with
#: :func:`register_figure`.
FIGURES = {}


def register_figure(name, description, *, compute, draw, unavailable=None):
    """Declare a figure, so that :func:`write_figures` and ``linunlearn figures`` make it.

    Parameters
    ----------
    name : str
        An identifier-like name, not yet taken; the figure is written as
        ``NAME.pdf`` and ``NAME.png``.
    description : str
        One line: what the figure shows (``linunlearn figures --list``, and
        the files' metadata).
    compute : callable
        ``compute(seed, *, quick, progress)`` returning the figure's data, a
        function of ``seed`` alone; ``quick`` asks for a small version,
        ``progress`` is ``None`` or a callable ``progress(done, total)``.
    draw : callable
        ``draw(data)`` returning a :class:`matplotlib.figure.Figure`;
        :func:`render` calls it inside :func:`style_context`.
    unavailable : callable, optional
        ``unavailable()`` returning why the figure cannot be produced now (a
        string: :func:`write_figures` then skips it), or ``None``.

    Returns
    -------
    FigureSpec
        The declaration, now ``FIGURES[name]`` (last in the order).

    Raises
    ------
    ValueError
        If ``name`` is not an identifier-like string or is taken.
    TypeError
        If ``compute``, ``draw`` or ``unavailable`` is not callable.

    See Also
    --------
    unregister_figure

    Examples
    --------
    >>> from linunlearn import figures
    >>> def compute(seed, *, quick=False, progress=None):
    ...     return [seed, seed + 1.0]
    ...
    >>> def draw(data):
    ...     from matplotlib.figure import Figure
    ...     fig = Figure(figsize=(2, 2))
    ...     fig.subplots().plot(data)
    ...     return fig
    ...
    >>> spec = figures.register_figure("two_points", "a line through two points",
    ...                                compute=compute, draw=draw)
    >>> list(figures.FIGURES)[-1], spec.compute(3, quick=True, progress=None)
    ('two_points', [3, 4.0])
    >>> figures.unregister_figure("two_points")
    >>> "two_points" in figures.FIGURES
    False

    ``figures.write_figures(["two_points"], "out")`` would then write
    ``out/two_points.pdf`` and ``out/two_points.png`` and list them in
    ``out/MANIFEST.txt``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    if name in FIGURES:
        raise ValueError(f"figure name {name!r} is taken")
    for what, fn in (("compute", compute), ("draw", draw), ("unavailable", unavailable)):
        if not (callable(fn) or (what == "unavailable" and fn is None)):
            raise TypeError(f"{what} must be callable, got {type(fn).__name__}")
    FIGURES[name] = FigureSpec(name, description, compute, draw, unavailable)
    return FIGURES[name]


def unregister_figure(name):
    """Remove a figure declared with :func:`register_figure`.

    Built-in figures can be removed too (and declared again, then last in the
    order). Files already written are left where they are.

    Raises
    ------
    ValueError
        If no figure has that name.
    """
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; known: {', '.join(FIGURES)}")
    del FIGURES[name]


# The built-in figures, in the order of the catalogue above.
register_figure("training_curves", "RL and UL over gradient descent: fine-tuning "
                "reaches zero remaining loss but never forgets (C1, C2)",
                compute=compute_training_curves, draw=draw_training_curves)
register_figure("overlap_sweep", "UL and remaining test loss of the six models "
                "against the overlap ratio d_lap/d_f",
                compute=compute_overlap_sweep, draw=draw_sweep)
register_figure("sample_sweep", "UL and remaining test loss of the six models "
                "against the sample ratio n_r/d_r",
                compute=compute_sample_sweep, draw=draw_sweep)
register_figure("claim_map", "verdicts of C5's checks over overlap ratio by n_r/d_r",
                compute=compute_claim_map, draw=draw_claim_map)
register_figure("tradeoff", "UL against RL of the discriminative regularisers "
                "as their weight varies (C8)", compute=compute_tradeoff,
                draw=draw_tradeoff, unavailable=tradeoff_unavailable)
register_figure("method_gaps", "average gap to golden of every method of "
                "`linunlearn compare` in each default regime",
                compute=compute_method_gaps, draw=draw_method_gaps)
register_figure("regime_gaps", "fine-tuning's UL gap to golden against the ridge "
                "penalty, the fine-tuning steps and n_r/d_r (below and above 1)",
                compute=compute_regime_gaps, draw=draw_regime_gaps)
register_figure("geometry", "3-D class example: where fine-tuning, golden, RBM and "
                "projection land", compute=compute_geometry, draw=draw_geometry)


register_figure("deletion_stream", "distance to golden against the number of deletion "
                "requests served, per method", compute=compute_stream_figure,
                draw=draw_deletion_stream)
register_figure("relearning", "UL while relearning half of D_f: on the relearned rows "
                "and on the rest, per method", compute=compute_relearning,
                draw=draw_relearning)


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_figures` did.

    Attributes
    ----------
    written : dict of str to tuple of str
        Figure name to the paths of its PDF and PNG.
    skipped : dict of str to str
        Figure name to the reason it was not produced.
    seconds : dict of str to float
        Time spent per written figure.
    manifest : str
        Path of the manifest file.
    """

    written: dict
    skipped: dict
    seconds: dict = field(default_factory=dict)
    manifest: str = ""


def render(name, data):
    """Draw the figure ``name`` from its data, in the project's style."""
    with style_context():
        return FIGURES[name].draw(data)


def save(fig, stem, *, name, seed, quick):
    """Write ``stem.pdf`` and ``stem.png`` with reproducible metadata; return the paths."""
    tag = f"linunlearn {__version__} figure {name}; seed={seed}; quick={quick}"
    description = FIGURES[name].description if name in FIGURES else name
    pdf_meta = {"Title": name, "Subject": description, "Keywords": tag,
                "Creator": f"linunlearn {__version__}", "CreationDate": None,
                "ModDate": None}
    png_meta = {"Title": name, "Description": f"{description}. {tag}"}
    paths = (f"{stem}.pdf", f"{stem}.png")
    with style_context():
        for path, kind, meta in zip(paths, ("pdf", "png"), (pdf_meta, png_meta)):
            buffer = io.BytesIO()  # written whole, or not at all (outputs)
            fig.savefig(buffer, format=kind, metadata=meta)
            outputs.write_bytes(path, buffer.getvalue())
    return paths


def _write_manifest(out_dir):
    present = [n for n in FIGURES
               if all(os.path.exists(os.path.join(out_dir, f"{n}.{ext}"))
                      for ext in ("pdf", "png"))]
    path = os.path.join(out_dir, MANIFEST)
    lines = ["# Figures written by `linunlearn figures`; one name per line.",
             "# Each name has NAME.pdf and NAME.png in this folder."]
    for n in present:
        with open(os.path.join(out_dir, f"{n}.pdf"), "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:16]
        lines.append(f"{n}  # pdf sha256 {digest}")
    outputs.write_text(path, "\n".join(lines) + "\n")
    return path


#: What a full-quality figure's PDF says of itself (:func:`save`'s keywords).
_FULL_QUALITY = b"; quick=False"


def check_out_dir(out_dir, names=None, *, quick=False, option="out_dir"):
    """Check an output folder before any figure is computed; return it.

    It must be (or be creatable as) a writable folder
    (:func:`linunlearn.outputs.check_folder`), and quick versions never
    replace a full-quality figure: with ``quick``, a folder holding the
    full-quality PDF of one of ``names`` (default: every figure) is
    refused.

    Raises
    ------
    ValueError
        Naming ``option`` (how the user gave the folder) and the problem.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_out_dir(os.path.join(folder, "figs"), quick=True) == os.path.join(folder, "figs")
    True
    """
    outputs.check_folder(out_dir, option)
    if quick and os.path.isdir(out_dir):
        for name in FIGURES if names is None else names:
            pdf = os.path.join(out_dir, f"{name}.pdf")
            if os.path.isfile(pdf):
                with open(pdf, "rb") as fh:
                    full = _FULL_QUALITY in fh.read()
                if full:
                    raise ValueError(
                        f"{option} {out_dir}: {name}.pdf there is a full-quality "
                        f"figure (made without --quick); --quick would overwrite it: "
                        f"write the quick versions elsewhere")
    return out_dir


def read_manifest(path):
    """Return the figure names listed in a manifest file."""
    with open(path) as fh:
        return [line.split("#", 1)[0].strip() for line in fh
                if line.split("#", 1)[0].strip()]


def write_figures(names=None, out_dir="figures", seed=0, quick=False, progress=False, *,
                  precomputed=None, workers=1, scheduler=None):
    """Compute, draw and write figures as PDF and PNG.

    Parameters
    ----------
    names : list of str, optional
        Figure names (default: every figure of :data:`FIGURES`).
    out_dir : str
        Output folder (created if missing; checked before any figure is
        computed: :func:`check_out_dir`). Its manifest lists every figure
        whose PDF and PNG it holds. Files are written whole (a temporary
        file, then a rename).
    seed : int
        Every number in a figure is a function of the seed alone.
    quick : bool
        Small versions (few Monte Carlo draws, coarse grids), for tests;
        never written over a full-quality figure.
    progress : bool
        Show a progress bar per figure on a terminal.
    precomputed : dict, optional
        Data to draw instead of computing them, by figure name (e.g. the
        claim map of a sweep, :func:`linunlearn.sweeps.claim_map`).
    workers, scheduler
        Where the independent jobs of a figure run (the claim map's cells:
        :func:`linunlearn.parallel.executor`); the bytes do not depend on it.

    Returns
    -------
    WriteResult

    Raises
    ------
    ValueError
        Unknown figure name; an output folder that cannot be written, or
        (with ``quick``) holds full-quality figures of these names.

    Notes
    -----
    Data are computed with BLAS limited to one thread
    (:func:`threadpoolctl.threadpool_limits`): the figures run many solves of
    size below 100, where thread start-up costs more than it saves.
    """
    names = list(FIGURES) if names is None else list(names)
    for n in names:
        if n not in FIGURES:
            raise ValueError(f"unknown figure {n!r}; known: {', '.join(FIGURES)}")
    seed = check_int(seed, "seed", minimum=0)
    check_out_dir(out_dir, names, quick=quick)
    from threadpoolctl import threadpool_limits
    os.makedirs(out_dir, exist_ok=True)
    precomputed = precomputed or {}
    parallel_jobs = [n for n in names if n not in precomputed
                     and "executor" in inspect.signature(FIGURES[n].compute).parameters]
    written, skipped, seconds = {}, {}, {}
    with parallel.executor(workers if parallel_jobs else 1,
                           scheduler if parallel_jobs else None) as executor:
        for n in names:
            spec = FIGURES[n]
            reason = spec.unavailable() if spec.unavailable else None
            if reason:
                skipped[n] = reason
                continue
            start = time.perf_counter()
            figure_data = precomputed.get(n)
            if figure_data is None:
                options = {"executor": executor} if n in parallel_jobs else {}
                # Many small solves, which BLAS threads only slow down (measured:
                # see the notes); one thread also takes the thread count out of
                # round-off.
                with threadpool_limits(limits=1, user_api="blas"), \
                        Progress(None, n, enabled=progress) as bar:
                    with failures_named(f"figure {n!r}: computing it"):
                        figure_data = spec.compute(seed, quick=quick, progress=bar,
                                                   **options)
            with failures_named(f"figure {n!r}: drawing it"):
                fig = render(n, figure_data)
            written[n] = save(fig, os.path.join(out_dir, n), name=n, seed=seed,
                              quick=quick)
            seconds[n] = time.perf_counter() - start
    return WriteResult(written, skipped, seconds, _write_manifest(out_dir))
