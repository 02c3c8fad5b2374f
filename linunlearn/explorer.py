"""The lecture's interactive explorer: move a slider, see the models move.

explore       the six models' losses and the geometry for one setting of the
              sliders (a pure function: testable without a browser)
Exploration   what :func:`explore` returns
draw          an :class:`Exploration` as a matplotlib Figure (three panels)
to_png        the same as PNG bytes (what the explorer shows)
Explorer      ipywidgets sliders wired to :func:`explore` and :func:`draw`
SLIDERS       each slider's range, step and default
MASKS         the mask choices: FBM's mask options of C5's two mapped parts

The sliders set the overlap ratio ``d_lap / d_f``, the sample ratio
``n_r / d_r``, the label noise ``sigma`` and FBM's mask, on the base sizes
(``d_r = 60, d_f = 40, n_f = 15``) with the flat teacher
(:func:`linunlearn.regimes.flat_scenario`). The unlearning loss and the
remaining test loss of each model are exact expectations where the toolkit
has them (golden from :mod:`linunlearn.theory`; projection equal to golden
and a zero unlearning loss for the pretrained and fine-tuned models while
``w_o`` interpolates: C7, C1, C2), and otherwise the means of a small batched
Monte Carlo with a fixed seed (the same seed gives the same numbers). The
Monte Carlo runs for every model, so the exact values can be compared with it.

ipywidgets is needed by :class:`Explorer` only, and imported there
(``pip install "linunlearn[notebook]"``); matplotlib is imported by
:func:`draw`; ``import linunlearn`` imports neither.

Examples
--------
>>> from linunlearn.explorer import explore
>>> e = explore(overlap=0.4, sample_ratio=0.5)
>>> e.sizes
{'d_r': 60, 'd_f': 40, 'd_lap': 16, 'n_r': 30, 'n_f': 15}
>>> e.value("finetune", "unlearning_loss"), e.source("finetune", "unlearning_loss")
(0.0, 'exact')
>>> round(e.value("golden", "unlearning_loss"), 4), e.source("rbm", "unlearning_loss")
(0.381, 'monte carlo')
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import IllConditionedWarning, check_float, check_int, check_option

__all__ = ["explore", "Exploration", "draw", "to_png", "Explorer", "SLIDERS", "MASKS"]

#: Slider name to ``(minimum, maximum, step, default)``. The sample ratio stays
#: below 1, where golden's expectations are finite with noise (they diverge
#: at ``|n_r - d_r| <= 1``: :func:`linunlearn.theory.expected_golden_remaining_loss`).
SLIDERS = {"overlap": (0.0, 1.0, 0.1, 0.4), "sample_ratio": (0.1, 0.9, 0.05, 0.5),
           "sigma": (0.0, 1.0, 0.1, 0.0)}

#: Mask choice to what it does. RBM keeps the support of ``D_r`` in both; FBM's
#: options are those of C5's two mapped parts (:data:`linunlearn.claims.DEFAULT_MASKS`,
#: :data:`linunlearn.claims.PARTIAL_FBM`).
MASKS = {"support": "FBM resets the whole support of D_f",
         "salun": "FBM resets the top 20% of the weights by D_f's gradient saliency "
                  "(SalUn-style)"}

#: The two metrics, in the order of :attr:`Exploration.mean`'s last axis.
METRICS = ("unlearning_loss", "test_remaining_loss")

_METHODS = ("pretrained", "finetune", "golden", "rbm", "fbm", "projection")
_AXES = ("row space of $X_r$ (along $P_r w_o$)",
         "$S_r$ unseen by $D_r$ (along $(I-P_r) w_o$ on $S_r$)",
         "forgetting-only $B$ (along $w_o$ on $B$)")


@dataclass(frozen=True)
class Exploration:
    """The losses and the geometry for one setting of the sliders.

    Attributes
    ----------
    settings : dict
        ``overlap``, ``sample_ratio``, ``sigma``, ``mask`` as given.
    sizes : dict
        ``d_r, d_f, d_lap, n_r, n_f`` of the scenario.
    interpolating : bool
        Whether ``w_o`` interpolates ``D_r`` and ``D_f`` (the paper's regime;
        :func:`linunlearn.regimes.interpolating`).
    methods : tuple of str
        The six models of the paper.
    metrics : tuple of str
        ``("unlearning_loss", "test_remaining_loss")``.
    mean, low, high : ndarray of shape (6, 2)
        Monte Carlo means and confidence interval ends
        (:data:`linunlearn.montecarlo.CONFIDENCE`).
    exact : ndarray of shape (6, 2)
        Exact expectations, NaN where the toolkit has none.
    coordinates : ndarray of shape (6, 3)
        Each model of the first draw in the frame of :attr:`axes`.
    off_picture : ndarray of shape (6,)
        The norm of what the frame does not show of each model.
    axes : tuple of str
        The frame: the row space of ``X_r`` along ``P_r w_o``, the part of
        ``S_r`` that ``D_r`` does not see along ``(I - P_r) w_o`` restricted
        to ``S_r``, and the forgetting-only block along ``w_o`` on ``B``
        (orthonormal; an axis is undefined, and its coordinates 0, where its
        direction is 0, e.g. the second with distinct features).
    axes_defined : tuple of bool
    fits_remaining : float
        First coordinate of the models that fit ``D_r`` (they all have
        ``P_r w = w_g``): the plane ``x = fits_remaining`` of the picture.
    n_trials, seed : int
    seconds : float
        Time the computation took.
    """

    settings: dict
    sizes: dict
    interpolating: bool
    methods: tuple
    metrics: tuple
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray
    coordinates: np.ndarray
    off_picture: np.ndarray
    axes: tuple
    axes_defined: tuple
    fits_remaining: float
    n_trials: int
    seed: int
    seconds: float

    def _index(self, method, metric):
        check_option(method, "method", self.methods)
        check_option(metric, "metric", self.metrics)
        return self.methods.index(method), self.metrics.index(metric)

    def value(self, method, metric):
        """The exact expectation where there is one, else the Monte Carlo mean."""
        i, j = self._index(method, metric)
        return float(self.exact[i, j] if np.isfinite(self.exact[i, j])
                     else self.mean[i, j])

    def source(self, method, metric):
        """``"exact"`` or ``"monte carlo"``: where :meth:`value` comes from."""
        i, j = self._index(method, metric)
        return "exact" if np.isfinite(self.exact[i, j]) else "monte carlo"


def _fbm_options(mask):
    from . import claims
    return claims.PARTIAL_FBM if mask == "salun" else None


def _metrics(batch, models):
    """Per trial and model: unlearning loss and remaining test loss, shape (trials, 6, 2)."""
    from .metrics import evaluate
    out = []
    for method in _METHODS:
        m = evaluate(batch, models[method])
        out.append(np.stack([m[k] for k in METRICS], axis=-1))
    return np.stack(out, axis=1)


def _frame(data, weights):
    """Coordinates of each model of one data set in the explorer's frame."""
    rows_r = data.rows[1]
    w_o = weights["pretrained"]
    along_row = rows_r.project(w_o)
    unseen = w_o - along_row
    on_b = np.where(data.support_r, 0.0, unseen)
    directions = (along_row, unseen - on_b, on_b)
    scale = max(np.linalg.norm(w_o), 1e-300)
    # A direction shorter than round-off of w_o is no direction (e.g. the
    # unseen part of S_r with distinct features, or B with full overlap).
    defined = tuple(bool(np.linalg.norm(v) > 1e-10 * scale) for v in directions)
    basis = np.array([v / np.linalg.norm(v) if ok else np.zeros_like(v)
                      for v, ok in zip(directions, defined)])
    coords = np.array([basis @ weights[m] for m in _METHODS])
    off = np.array([np.linalg.norm(weights[m] - coords[i] @ basis)
                    for i, m in enumerate(_METHODS)])
    golden = rows_r.project(weights["golden"])
    return coords, off, defined, float(basis[0] @ golden)


def _exact(scenario, interpolating):
    """Exact expectations, shape (6, 2), NaN where the toolkit has none."""
    from . import expectations
    s = scenario
    used = s.support_r | s.support_f
    args = (s.d_r, s.d_f, s.d_lap, s.n_r, s.w_r_star[used])
    exact = np.full((len(_METHODS), len(METRICS)), np.nan)
    golden = (expectations.expected_golden_unlearning_loss(*args, sigma=s.sigma),
              expectations.expected_golden_remaining_loss(*args, sigma=s.sigma))
    rows = [_METHODS.index("golden")]
    if interpolating:
        rows.append(_METHODS.index("projection"))  # C7: P_r w_o = w_g
        for m in ("pretrained", "finetune"):           # C1, C2: UL = 0
            exact[_METHODS.index(m), 0] = 0.0
    for i in rows:
        exact[i] = golden
    return exact


def explore(overlap=0.4, sample_ratio=0.5, sigma=0.0, mask="support", *, trials=100,
            seed=0):
    """The six models' losses and the geometry for one setting of the sliders.

    Parameters
    ----------
    overlap : float in [0, 1]
        ``d_lap / d_f`` (``d_lap`` rounded to an integer of the 40 features).
    sample_ratio : float in [0.05, 0.9]
        ``n_r / d_r`` (``n_r`` rounded to an integer of the 60 features).
    sigma : float in [0, 5]
        Label-noise standard deviation.
    mask : {"support", "salun"}
        FBM's mask (:data:`MASKS`).
    trials : int, default 100
        Monte Carlo draws (at least 2).
    seed : int, default 0
        Every setting draws from ``montecarlo.seed_sequence(seed, "explorer")``.

    Returns
    -------
    Exploration

    Raises
    ------
    TypeError, ValueError
        A parameter of the wrong type or out of its range, named.

    Examples
    --------
    >>> from linunlearn.explorer import explore
    >>> e = explore(overlap=0.0, trials=50)          # distinct features: C4
    >>> e.axes_defined                               # nothing of S_r is unseen
    (True, False, True)
    >>> bool(abs(e.mean[3, 0] - e.mean[2, 0]) < 1e-12)   # RBM's UL is golden's
    True
    >>> explore(overlap=1.5)
    Traceback (most recent call last):
    ...
    ValueError: overlap must be <= 1.0, got 1.5
    """
    from threadpoolctl import threadpool_limits
    from . import claims, montecarlo, regimes
    start = time.perf_counter()
    overlap = check_float(overlap, "overlap", minimum=0.0, maximum=1.0)
    sample_ratio = check_float(sample_ratio, "sample_ratio", minimum=0.05, maximum=0.9)
    sigma = check_float(sigma, "sigma", minimum=0.0, maximum=5.0)
    mask = check_option(mask, "mask", tuple(MASKS))
    trials = check_int(trials, "trials", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    base = regimes.BASE
    sizes = dict(d_r=base["d_r"], d_f=base["d_f"],
                 d_lap=int(round(overlap * base["d_f"])),
                 n_r=max(1, int(round(sample_ratio * base["d_r"]))), n_f=base["n_f"])
    scenario = regimes.flat_scenario(**sizes, sigma=sigma)
    interpolating = regimes.interpolating(scenario)
    children = montecarlo.seed_sequence(seed, "explorer").spawn(trials)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        # Outside the paper's regime w_o is a least-squares fit: the toolkit
        # warns so on every draw; the Exploration says it once (interpolating).
        warnings.simplefilter("ignore", IllConditionedWarning)
        batch = scenario.sample_batch(children)
        models = claims.paper_models(batch, *_METHODS, fbm=_fbm_options(mask))
        values = _metrics(batch, models)
        coords, off, defined, fits = _frame(batch[0], {m: w[0] for m, w in models.items()})
    ci = montecarlo.confidence_interval(values)
    return Exploration(
        dict(overlap=overlap, sample_ratio=sample_ratio, sigma=sigma, mask=mask),
        sizes, interpolating, _METHODS, METRICS, ci.estimate, ci.low, ci.high,
        _exact(scenario, interpolating), coords, off, _AXES, defined, fits, trials, seed,
        time.perf_counter() - start)


# --------------------------------------------------------------------------
# drawing


def _short(method):
    return {"pretrained": "$w_o$", "finetune": "FT", "golden": "golden", "rbm": "RBM",
            "fbm": "FBM", "projection": "$P_r w_o$"}[method]


def _bars(ax, e, j, title):
    from .figures.draw import THEORY_STYLE, method_style
    x = np.arange(len(e.methods))
    colours = [method_style(m)["color"] for m in e.methods]
    mean = e.mean[:, j]
    ax.bar(x, mean, width=0.7, color=colours, alpha=0.75)
    ax.errorbar(x, mean, yerr=[mean - e.low[:, j], e.high[:, j] - mean], fmt="none",
                ecolor="k", elinewidth=0.8, capsize=2)
    exact = np.isfinite(e.exact[:, j])
    ax.hlines(e.exact[exact, j], x[exact] - 0.45, x[exact] + 0.45,
              colors=THEORY_STYLE["color"], linewidth=2.0, label="exact")
    ax.set_xticks(x, [_short(m) for m in e.methods], rotation=40, ha="right")
    ax.set_title(title)
    ax.set_ylim(bottom=0)


def _geometry(ax, e):
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    from .figures.draw import GEOMETRY_COLOURS, method_style
    c = e.coordinates
    span = max(float(np.max(np.abs(c))), 1e-3) * 1.15
    x0 = e.fits_remaining
    if e.interpolating:
        corners = [[x0, -span, -span], [x0, span, -span], [x0, span, span],
                   [x0, -span, span]]
        ax.add_collection3d(Poly3DCollection([corners], facecolor=GEOMETRY_COLOURS["plane"],
                                             alpha=0.35, edgecolor="none"))
    ax.plot([0, span], [0, 0], [0, 0], color=GEOMETRY_COLOURS["row_space"], linewidth=1)
    w_o, w_g = c[0], c[2]
    ax.plot(*np.c_[w_o, w_g], color=method_style("finetune")["color"], linestyle="--",
            linewidth=0.9)
    for i, m in enumerate(e.methods):
        style = method_style(m)
        label = _short(m) + (f" ({e.off_picture[i]:.2f} off)" if e.off_picture[i] > 1e-3
                             else "")
        ax.scatter(*c[i], color=style["color"], marker=style["marker"], s=28,
                   depthshade=False, label=label)
    for setter, name, ok in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel),
                                ("row space", "$S_r$ unseen", "$B$"), e.axes_defined):
        setter(name if ok else f"{name} (none)", labelpad=-12, fontsize=7)
    ax.set_xlim(-0.1 * span, span)
    ax.set_ylim(-span, span)
    ax.set_zlim(-span, span)
    # The picture is about positions, not values: no ticks (they also cost
    # a third of the drawing time).
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color((1.0, 1.0, 1.0, 0.0))
    ax.view_init(elev=18, azim=-35)
    ax.set_box_aspect((1, 1, 1), zoom=1.1)
    ax.legend(loc="upper left", bbox_to_anchor=(0.9, 1.0), fontsize=6, handletextpad=0.1)
    ax.set_title("one draw, in the frame of $w_o$")


def draw(exploration):
    """Draw an :class:`Exploration`: two loss panels and the geometry.

    Bars are Monte Carlo means with their confidence intervals, black strokes
    the exact expectations; the 3-D panel places each model of the first
    draw in the frame of :attr:`Exploration.axes` (the plane holds the models
    that fit ``D_r``; a model's distance off the picture is in the legend).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .figures.draw import new_figure, style_context
    e = exploration
    with style_context():
        fig = new_figure(9.0, 3.4)
        grid = fig.add_gridspec(1, 3, width_ratios=(1, 1, 1.7), wspace=0.25)
        _bars(fig.add_subplot(grid[0]), e, 0, "unlearning loss (on $D_f$)")
        _bars(fig.add_subplot(grid[1]), e, 1, "remaining test loss")
        _geometry(fig.add_subplot(grid[2], projection="3d"), e)
        s, z = e.settings, e.sizes
        fig.suptitle(f"$d_{{lap}}/d_f$ = {s['overlap']:g} ($d_{{lap}}$ = {z['d_lap']}), "
                     f"$n_r/d_r$ = {s['sample_ratio']:g} ($n_r$ = {z['n_r']}), "
                     f"$\\sigma$ = {s['sigma']:g}, FBM mask: {s['mask']}"
                     + ("" if e.interpolating else "; $w_o$ does not interpolate"),
                     fontsize=8)
        fig.subplots_adjust(left=0.05, right=0.9, bottom=0.17, top=0.86)
    return fig


def to_png(exploration, dpi=80):
    """The :func:`draw` figure as PNG bytes (``dpi`` 80: a screen, not a paper)."""
    import io
    from .figures.draw import style_context
    buffer = io.BytesIO()
    with style_context():
        draw(exploration).savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# the widgets


class Explorer:
    """Sliders for the overlap, ``n_r / d_r``, the noise and FBM's mask, and the picture.

    In a notebook, ``Explorer()`` as the last line of a cell shows the
    sliders and redraws on every change (when a slider is released); the
    line under the picture gives the redraw time. Needs ipywidgets
    (``pip install "linunlearn[notebook]"``).

    Parameters
    ----------
    overlap, sample_ratio, sigma, mask
        Initial values (defaults: :data:`SLIDERS`, ``"support"``).
    trials, seed
        As in :func:`explore`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The sliders, the picture (an ``ipywidgets.Image``) and a status line.
    controls : dict of str to ipywidgets.Widget
        The sliders and the mask menu, by parameter name.
    exploration : Exploration
        The last one drawn.
    seconds : float
        The last redraw's time (compute, draw, PNG).
    """

    def __init__(self, overlap=SLIDERS["overlap"][3],
                 sample_ratio=SLIDERS["sample_ratio"][3], sigma=SLIDERS["sigma"][3],
                 mask="support", *, trials=100, seed=0):
        import ipywidgets as widgets
        self._options = dict(trials=trials, seed=seed)
        initial = dict(overlap=overlap, sample_ratio=sample_ratio, sigma=sigma)
        labels = {"overlap": "d_lap / d_f", "sample_ratio": "n_r / d_r",
                  "sigma": "noise sigma"}
        self.controls = {
            name: widgets.FloatSlider(value=initial[name], min=lo, max=hi, step=step,
                                      description=labels[name],
                                      continuous_update=False)
            for name, (lo, hi, step, _) in SLIDERS.items()}
        self.controls["mask"] = widgets.Dropdown(
            options=[(f"{key}: {text}", key) for key, text in MASKS.items()],
            value=mask, description="FBM mask")
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())[:3]),
                                    self.controls["mask"], self.image, self.status])
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.redraw()

    def values(self):
        """The controls' current values, as :func:`explore`'s keyword arguments."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self):
        """Compute, draw and show the current setting; return its :class:`Exploration`."""
        start = time.perf_counter()
        self.exploration = explore(**self.values(), **self._options)
        self.image.value = to_png(self.exploration)
        self.seconds = time.perf_counter() - start
        e = self.exploration
        regime = ("w_o interpolates (the paper's regime)" if e.interpolating
                  else "w_o does not interpolate: fine-tuning moves")
        self.status.value = (f"{e.n_trials} Monte Carlo draws, seed {e.seed}; {regime}; "
                             f"redrawn in {self.seconds:.2f} s")
        return self.exploration

    def _changed(self, change):
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
