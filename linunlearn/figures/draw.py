"""The figures' drawing: one function per figure, and the style they share.

Each ``draw_*`` function takes the data of a ``compute_*`` function of
:mod:`linunlearn.figures.data` and returns a :class:`matplotlib.figure.Figure`
on the Agg canvas (no pyplot, so no global backend is changed); draw it
inside :func:`style_context` (as :func:`linunlearn.figures.render` does) for
the project's style. This is the only module of :mod:`linunlearn.figures`
that uses matplotlib, and it imports it inside functions only, so that
``import linunlearn.figures`` does not import it.

=====================  =======================================================
name                   what it is
=====================  =======================================================
draw_training_curves   ``training_curves``: loss over gradient-descent steps
draw_sweep             ``overlap_sweep`` and ``sample_sweep``: two panels
                       against the swept ratio
draw_claim_map         ``claim_map``: a grid of verdicts per check
draw_tradeoff          ``tradeoff``: UL against RL of the regularisers
draw_method_gaps       ``method_gaps``: a lollipop per method and regime
draw_regime_gaps       ``regime_gaps``: three panels of fine-tuning's gap
draw_geometry          ``geometry``: a 3-D view of the class example
draw_deletion_stream   ``deletion_stream``: distance to golden against requests
draw_relearning        ``relearning``: two panels of relearning curves
STYLE                  matplotlib settings of every figure
style_context          ``matplotlib.rc_context(STYLE)``
method_style           colour, marker and label of a declared method
VERDICT_COLOURS        colour of each verdict of a claim map
GEOMETRY_COLOURS       colours of the plane and row space of ``geometry``
THEORY_STYLE           line style of exact (theory) curves
COLUMN, FULL           widths of one paper column and of the full text
=====================  =======================================================

Every draw function passes its data through ``_tidy`` (plotted numbers
rounded to 10 significant digits, round-off-sized values set to exactly 0), so
that round-off, which depends on the BLAS build and its thread count, does not
reach the bytes written.

Examples
--------
>>> from linunlearn.figures.data import compute_geometry
>>> with style_context():
...     fig = draw_geometry(compute_geometry())
...
>>> len(fig.axes), fig.axes[0].name
(1, '3d')
"""

import numpy as np

from .. import montecarlo
from ..solutions import available_methods, method_spec
from .data import FLAT_TEACHER

__all__ = ["STYLE", "style_context", "method_style", "new_figure", "VERDICT_COLOURS",
           "GEOMETRY_COLOURS", "THEORY_STYLE", "COLUMN", "FULL",
           "draw_training_curves", "draw_sweep", "draw_claim_map", "draw_tradeoff",
           "draw_method_gaps", "draw_regime_gaps", "draw_geometry",
           "draw_deletion_stream", "draw_relearning"]


#: Width of one paper column and of the full text, in inches.
COLUMN, FULL = 3.4, 6.9

#: Matplotlib settings of every figure (applied with :func:`style_context`).
STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
    "font.family": "DejaVu Sans", "mathtext.fontset": "dejavusans",
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.linewidth": 0.6, "lines.linewidth": 1.2, "lines.markersize": 4,
    "legend.frameon": False, "savefig.dpi": 200,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "linunlearn",
}


def style_context():
    """The matplotlib settings :data:`STYLE`, as a context manager.

    ``with style_context(): ...`` draws or saves in the project's style and
    restores the previous settings after (:func:`matplotlib.rc_context`).
    """
    import matplotlib
    return matplotlib.rc_context(STYLE)

# Method styles come from the method declarations (register_method's label,
# color and marker): Okabe & Ito's colour-blind-safe palette for the paper's
# models, Paul Tol's muted set for the other methods. A method declared
# without a style gets one of _FALLBACK_COLOURS and a marker, in declaration
# order. Variants of a method (``ce_ft[k=5]``) share its style, drawn hollow.
_FALLBACK_COLOURS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE",
                     "#AA3377", "#BBBBBB")
_FALLBACK_MARKERS = ("o", "s", "^", "v", "D", "P", "X")


def method_style(name):
    """``dict(color, marker, label)`` of a declared method (see :func:`linunlearn.register_method`).

    Examples
    --------
    >>> method_style("golden")["label"]
    'golden $w_g$ (retrained)'
    """
    spec = method_spec(name)
    style = dict(spec.style)
    if style["color"] is None or style["marker"] is None:
        unstyled = [m for m in available_methods()
                    if None in (method_spec(m).style["color"], method_spec(m).style["marker"])]
        i = unstyled.index(name)
        style["color"] = style["color"] or _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)]
        style["marker"] = style["marker"] or _FALLBACK_MARKERS[i % len(_FALLBACK_MARKERS)]
    return style


#: Colour of each verdict in claim maps (Paul Tol's light scheme: no method
#: uses these colours), and white for cells outside the regime.
VERDICT_COLOURS = {"holds": "#77AADD", "fails": "#EE8866",
                   "inconclusive": "#DDDDDD", "n/a": "#FFFFFF"}
_VERDICT_SYMBOL = {"holds": "\u2713", "fails": "\u2717", "inconclusive": "?",
                   "n/a": ""}

#: Colours of the geometric objects of the ``geometry`` figure (used by no method).
GEOMETRY_COLOURS = {"plane": "#EEDD88", "plane_edge": "#AA9900",
                    "row_space": "#555555"}

#: Exact (theory) curves: a broad translucent stroke under the Monte Carlo
#: data, so that a mean lying on its expectation stays visible.
THEORY_STYLE = dict(color="#000000", alpha=0.28, linewidth=3.5,
                    solid_capstyle="butt", zorder=1)

#: Plotted numbers keep this many significant digits, and values smaller than
#: ``_TINY`` in magnitude are drawn as exactly 0: every quantity drawn here is
#: a loss or weight of order 1e-3 to 10, while round-off (whose sign and last
#: digits depend on the BLAS build and thread count) is near 1e-15. Without
#: this a converged loss of +-1e-16 flips a marker offset between 0 and -0 in
#: the PDF.
_DIGITS, _TINY = 10, 1e-12


def _tidy(data):
    """Round every float of ``data`` (dataclass, dict, tuple, array, number) for drawing.

    Returns the same structure with floats rounded to ``_DIGITS`` significant
    digits and magnitudes below ``_TINY`` set to exactly ``0.0`` (never -0).
    Strings, integers and ``None`` pass through.
    """
    import dataclasses
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return dataclasses.replace(data, **{f.name: _tidy(getattr(data, f.name))
                                            for f in dataclasses.fields(data)
                                            if f.init})
    if isinstance(data, dict):
        return {k: _tidy(v) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return type(data)(_tidy(v) for v in data)
    if isinstance(data, (float, np.floating)):
        return float(_tidy(np.array([data]))[0])
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        x = np.array(data, float)
        tiny = np.abs(x) < _TINY
        keep = np.isfinite(x) & ~tiny
        scale = 10.0 ** (_DIGITS - 1 - np.floor(np.log10(np.abs(x[keep]))))
        x[keep] = np.round(x[keep] * scale) / scale
        x[tiny] = 0.0
        return x + 0.0  # turns -0.0 into 0.0
    return data


_METRIC_LABEL = {"unlearning_loss": "unlearning loss UL (train, $D_f$)",
                 "test_remaining_loss": "remaining test loss"}


def _footer(fig, text):
    """The small grey line at the top right that states a figure's setting."""
    fig.text(0.99, 0.995, text, ha="right", va="top", fontsize=6, color="#555555",
             linespacing=1.3)


# --------------------------------------------------------------------------
# 1. training curves


def draw_training_curves(data):
    """Two rows (cases) by two columns (pretraining, unlearning)."""
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = new_figure(FULL, 4.6)
    axes = fig.subplots(2, 2, sharey="row", gridspec_kw=dict(width_ratios=(1, 1.35)))
    g, ft = method_style("golden")["color"], method_style("finetune")["color"]
    pre = method_style("pretrained")["color"]
    for row, case in zip(axes, data.cases):
        ax = row[0]
        steps = np.arange(len(case.pretrain_remaining))
        ax.plot(steps, case.pretrain_remaining, color=pre)
        ax.plot(steps, case.pretrain_unlearning, color=pre, linestyle="--")
        ax.set_ylabel(f"{case.description}\nmean squared loss")
        ax = row[1]
        steps = np.arange(len(case.golden_remaining))
        ax.fill_between(steps, case.golden_unlearning_low, case.golden_unlearning_high,
                        color=g, alpha=0.08, linewidth=0)
        ax.plot(steps, case.golden_remaining, color=g)
        ax.plot(steps, case.golden_unlearning, color=g, linestyle="--")
        ax.plot(steps, case.finetune_remaining, color=ft)
        ax.plot(steps, case.finetune_unlearning, color=ft, linestyle="--", linewidth=2.0)
        ax.axhline(case.expected_golden_unlearning, **THEORY_STYLE)
        ax.annotate(f"exact $E\\,UL(w_g) = {case.expected_golden_unlearning:.3f}$",
                    (steps[-1], case.expected_golden_unlearning),
                    xytext=(0, -6), textcoords="offset points", ha="right",
                    va="top", fontsize=7)
        ax.annotate("fine-tuning: RL and UL stay 0", (steps[-1], 0.0),
                    xytext=(0, 3), textcoords="offset points", ha="right",
                    va="bottom", fontsize=7, color=ft)
        for ax in row:
            ax.set_xscale("symlog", linthresh=10, linscale=0.6)
            ax.set_xlim(0, ax.lines[0].get_xdata()[-1])
            ax.set_ylim(-0.03, 1.08 * max(np.max(case.pretrain_remaining),
                                          np.max(case.golden_unlearning_high)))
    axes[0, 0].set_title("pretraining: GD on $D_r \\cup D_f$ from 0")
    axes[0, 1].set_title("unlearning: GD on $D_r$, fine-tuning from $w_o$ "
                         "or retraining from 0")
    for ax in axes[1]:
        ax.set_xlabel("gradient-descent step (log scale beyond 10)")
    key = "#555555"  # line-style keys: no method's colour
    styles = [Line2D([], [], color=key, linestyle="-", label="remaining loss RL"),
              Line2D([], [], color=key, linestyle="--", label="unlearning loss UL"),
              Line2D([], [], **{**THEORY_STYLE, "linewidth": 3.0},
                     label="exact $E\\,UL(w_g)$")]
    colours = [Line2D([], [], color=pre, label="pretraining"),
               Line2D([], [], color=ft, label="fine-tuning"),
               Line2D([], [], color=g, label="retraining (golden)")]
    for handles, title, x in ((styles, "line style", 0.02), (colours, "colour", 0.52)):
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(x, 0.0),
                   ncol=3, handlelength=2.0, columnspacing=1.0, handletextpad=0.4,
                   title=title, title_fontsize=7, alignment="left")
    _footer(fig, f"means over {data.cases[0].n_draws} draws per case (band: "
                 f"{100 * montecarlo.CONFIDENCE:g}% interval of golden's mean UL)\n"
                 f"d_r=60, d_f=40, n_r=30, n_f=15; {FLAT_TEACHER}")
    fig.subplots_adjust(left=0.085, right=0.99, top=0.88, bottom=0.19,
                        hspace=0.28, wspace=0.06)
    return fig


# --------------------------------------------------------------------------
# 2, 3. sweeps over the overlap ratio and the sample ratio


# Nested markers, so that coinciding curves stay visible (golden = projection
# exactly; pretrained = fine-tuned, and for the remaining test loss also RBM):
# large hollow shapes behind, small filled ones in front.
_SWEEP_DRAW = {"pretrained": dict(markersize=8, markerfacecolor="none", zorder=2),
               "finetune": dict(markersize=3, zorder=4),
               "golden": dict(markersize=7, markerfacecolor="none", zorder=2),
               "rbm": dict(markersize=6, markerfacecolor="none", zorder=3),
               "fbm": dict(markersize=4.5, zorder=3),
               "projection": dict(markersize=4.5, zorder=4)}

_SHORT_LABEL = {"pretrained": "$w_o$", "finetune": "$w_{ft}$", "golden": "$w_g$",
                "rbm": "RBM", "fbm": "FBM", "projection": "$P_r w_o$"}


def _coinciding(methods, values):
    """Groups (of two or more) of methods whose curves are equal at every point.

    ``values`` has shape (points, methods); equal means within ``rtol=1e-9``
    (the closed forms agree to round-off, ~1e-15, when the models coincide).
    """
    groups, seen = [], set()
    for j, m in enumerate(methods):
        if m in seen:
            continue
        group = [k for k in range(len(methods))
                 if np.allclose(values[:, k], values[:, j], rtol=1e-9, atol=_TINY)]
        if len(group) > 1:
            groups.append([methods[k] for k in group])
            seen.update(methods[k] for k in group)
    return groups


def draw_sweep(data):
    """Two panels: unlearning loss and remaining test loss against the ratio."""
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = new_figure(FULL, 3.0)
    axes = fig.subplots(1, 2)
    titles = ("(a) forgetting: higher is more forgotten",
              "(b) remaining performance: lower is better")
    for k, (ax, metric) in enumerate(zip(axes, data.metrics)):
        for j, method in enumerate(data.methods):
            style = method_style(method)
            ax.fill_between(data.x, data.low[:, j, k], data.high[:, j, k],
                            color=style["color"], alpha=0.18, linewidth=0)
            ax.plot(data.x, data.mean[:, j, k], color=style["color"],
                    marker=style["marker"], linewidth=0.8, label=style["label"],
                    **_SWEEP_DRAW[method])
        for (method, m), curve in data.theory.items():
            if m == metric and method != "projection":
                ax.plot(data.x, curve, **THEORY_STYLE)
        ax.set_xlabel(data.parameter)
        ax.set_ylabel(_METRIC_LABEL[metric])
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.margins(x=0.03)
        same = _coinciding(data.methods, data.mean[:, :, k])
        note = "; ".join(" = ".join(_SHORT_LABEL[m] for m in g) for g in same)
        ax.set_title(titles[k], pad=12 if note else 6)
        if note:
            ax.text(0.5, 1.0, f"equal at every point: {note}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=6.5, color="#555555")
    handles, _ = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], **{**THEORY_STYLE, "linewidth": 3.0},
                          label="exact expectation"))
    fig.legend(handles=handles, loc="lower center", ncol=7, columnspacing=1.0,
               handletextpad=0.4)
    _footer(fig, f"Monte Carlo: {data.n_trials} draws per point, bands "
                 f"{100 * data.confidence:g}% confidence\n{data.setting}")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.8, bottom=0.26, wspace=0.22)
    return fig


# --------------------------------------------------------------------------
# 4. claim maps


_MAP_TITLES = {"C5.disparity": "C5 disparity: gap(RBM) $\\leq$ gap(FBM)",
               "C5.disparity_salun_mask": "C5 disparity: gap(RBM) $\\leq$ gap(FBM)",
               "C5.rbm_forgets_more": "C5: UL(RBM) > UL(fine-tuned)",
               "C5.rbm_keeps_overlap": "C5: test$_r$(RBM) $\\leq$ test$_r$(FBM)"}


def _mask_text(options, data_set):
    """``{"saliency": "gradient", "ratio": 0.2, ...}`` as words."""
    semantics = options.get("semantics", "reset")
    if options.get("saliency", "support") == "support":
        return f"support of $D_{data_set}$, {semantics}"
    return (f"top {100 * options['ratio']:g}% by {options['saliency']} saliency "
            f"of $D_{data_set}$, {semantics}")


def draw_claim_map(data):
    """Two rows of panels: C5's disparity per FBM mask; C5's other checks."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle
    data = _tidy(data)
    n = len(data.checks)
    rows = (n + 1) // 2
    fig = new_figure(FULL, 2.45 * rows + 0.75)
    axes = np.atleast_1d(fig.subplots(rows, 2, sharex=True, sharey=True)).ravel()
    order = ("holds", "fails", "inconclusive", "n/a")
    cmap = ListedColormap([VERDICT_COLOURS[v] for v in order])
    codes = np.vectorize(order.index)(data.verdicts)
    na = "#BBBBBB"
    for c, ax in enumerate(axes[:n]):
        ax.pcolormesh(np.arange(len(data.overlap_ratios) + 1),
                      np.arange(len(data.sample_ratios) + 1), codes[c].T, cmap=cmap,
                      vmin=-0.5, vmax=3.5, edgecolors="white", linewidth=0.6)
        for a in range(len(data.overlap_ratios)):
            for b in range(len(data.sample_ratios)):
                v = data.verdicts[c, a, b]
                if v == "n/a":
                    ax.add_patch(Rectangle((a + 0.06, b + 0.06), 0.88, 0.88,
                                           facecolor="none", edgecolor=na,
                                           hatch="////", linewidth=0))
                    continue
                symbol = "=" if data.equal[c, a, b] else _VERDICT_SYMBOL[v]
                ax.text(a + 0.5, b + 0.5, symbol, ha="center", va="center",
                        fontsize=7, color="#000000")
        masks = data.masks[c] or {}
        title = _MAP_TITLES.get(data.checks[c], data.checks[c])
        if "disparity" in data.checks[c] or "overlap" in data.checks[c]:
            title += f"\nFBM: {_mask_text(masks.get('fbm', {}), 'f')}"
        full = np.flatnonzero(data.overlap_ratios == 1.0)
        used = data.verdicts[c, full[0]] != "n/a" if len(full) else None
        if data.checks[c] == "C5.rbm_forgets_more" and len(full) and np.any(used) \
                and np.all(data.equal[c, full[0]][used]):
            title += "\n= at $d_{lap} = d_f$: RBM is fine-tuning there (C6)"
        ax.set_title(title, fontsize=7.5, linespacing=1.3)
        ax.set_xticks(np.arange(len(data.overlap_ratios)) + 0.5)
        ax.set_xticklabels([f"{x:g}" for x in data.overlap_ratios])
        ax.set_yticks(np.arange(len(data.sample_ratios)) + 0.5)
        ax.set_yticklabels([f"{x:g}" for x in data.sample_ratios])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - 2):n]:
        ax.set_xlabel("overlap ratio $d_{lap} / d_f$")
    for ax in axes[:n:2]:
        ax.set_ylabel("sample ratio $n_r / d_r$")
    labels = {"holds": "holds", "fails": "fails", "inconclusive": "inconclusive",
              "n/a": "n/a: $n_r + n_f \\geq d$ (not overparameterised)"}
    handles = [Patch(facecolor=VERDICT_COLOURS[v], edgecolor=na, linewidth=0.5,
                     hatch="////" if v == "n/a" else None,
                     label=f"{_VERDICT_SYMBOL[v]} {labels[v]}".strip()) for v in order]
    handles.append(Patch(facecolor="white", edgecolor="white",
                         label="= both sides equal in every draw"))
    fig.legend(handles=handles, loc="lower center", ncol=5, handlelength=1.5,
               columnspacing=1.2)
    trials = data.n_trials[data.n_trials > 0]
    span = (f"{trials.min()}" if len(trials) and trials.min() == trials.max()
            else f"{trials.min()}-{trials.max()}" if len(trials) else "no")
    rule = ("" if data.precision is None else
            " (added until the interval settles the sign)")
    rbm = _mask_text((data.masks[0] or {}).get("rbm", {}), "r")
    teacher = FLAT_TEACHER if data.teacher == "flat" else "teachers vary by cell"
    _footer(fig, f"Monte Carlo per cell: {span} draws{rule}; verdicts at "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence\n"
                 f"d_r=60, d_f=40, n_f=15; {teacher}; RBM keeps the {rbm.split(',')[0]}")
    fig.subplots_adjust(left=0.08, right=0.99, top=1 - 0.75 / fig.get_figheight(),
                        bottom=0.75 / fig.get_figheight(), hspace=0.42, wspace=0.06)
    return fig


# --------------------------------------------------------------------------
# 5. trade-off of the discriminative regularisers


def draw_tradeoff(data):
    """(a) the three regularisers after a fixed budget; (b) CE-FT over budgets.

    RL spans four decades (KL-FT's curve sits well left of CE-FT's), so the
    x-axes are symmetric-logarithmic: linear below ``1e-5``, where the
    fine-tuned model (``alpha = 0``, RL = 0) and converged CE-FT sit.
    """
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    data = _tidy(data)
    fig = new_figure(FULL, 3.1)
    axes = fig.subplots(1, 2, sharey=True)
    bars = dict(linestyle="none", elinewidth=0.5, capsize=0, alpha=0.45)

    def curve(ax, x, y, xh, yh, colour, marker, label):
        # alpha = 0 is the fine-tuned model, drawn once on its own: a segment
        # from it across the linear part of the axis would not be data.
        x, y, xh, yh = (v[1:] for v in (x, y, xh, yh))
        ax.errorbar(x, y, xerr=xh, yerr=yh, color=colour, **bars)
        ax.plot(x, y, color=colour, marker=marker, markersize=3.5, linewidth=1.0,
                label=label)

    ax = axes[0]
    for i, method in enumerate(data.methods):
        style = method_style(method)
        curve(ax, data.remaining[i], data.unlearning[i], data.remaining_half[i],
              data.unlearning_half[i], style["color"], style["marker"], style["label"])
        # CE-FT and KL-FT run from alpha = 0 (fine-tuning) to 1; ICE-FT from
        # alpha = 1 (CE-FT at 1) down to the smallest positive weight.
        end = 0 if method == "ice_ft" else -1
        alpha = data.alphas[1] if method == "ice_ft" else data.alphas[-1]
        offset, ha, va = {"ice_ft": ((0, -7), "center", "top"),
                          "ce_ft": ((-6, 2), "right", "bottom"),
                          "kl_ft": ((4, -6), "left", "top")}[method]
        ax.annotate(f"$\\alpha$={alpha:g}", (data.remaining[i, end],
                                            data.unlearning[i, end]),
                    xytext=offset, textcoords="offset points", fontsize=6.5,
                    color=style["color"], ha=ha, va=va)
    ax.set_title(f"(a) after {data.steps} gradient steps, weight "
                 f"$\\alpha$ from 0 to 1")
    ax = axes[1]
    cmap = colormaps["viridis"]
    finite = [k for k in data.budgets if k is not None]
    for i, k in enumerate(data.budgets):
        if k is None:
            # every alpha > 0 gives one model: a single point, no curve
            ax.plot(data.budget_remaining[i, 1:], data.budget_unlearning[i, 1:],
                    linestyle="none", marker="*", markersize=9, color="#000000",
                    markerfacecolor="white", zorder=5,
                    label="converged, every $\\alpha > 0$ (one model)")
            continue
        colour = cmap(0.8 * i / max(len(finite) - 1, 1))
        curve(ax, data.budget_remaining[i], data.budget_unlearning[i],
              data.budget_remaining_half[i], data.budget_unlearning_half[i], colour,
              "o", f"{k} step{'s' if k != 1 else ''}")
    ax.set_title("(b) CE-FT: the trade-off depends on the budget")
    for ax in axes:
        ax.axhline(data.golden_unlearning, color=method_style("golden")["color"],
                   linestyle=(0, (1.5, 1.5)), linewidth=0.9, zorder=1)
        ax.plot([0], [data.finetune_unlearning], linestyle="none",
                **{k: v for k, v in method_style("finetune").items() if k != "label"},
                markersize=5, zorder=6)
        ax.set_xscale("symlog", linthresh=1e-5, linscale=0.4)
        ax.set_xlim(-2e-6, 0.3)
        ax.set_xlabel("remaining loss RL (lower is better; log scale)")
        ax.text(1.5e-5, data.golden_unlearning, "golden UL (mean)", ha="left",
                va="bottom", fontsize=6.5)
    axes[0].set_ylabel("unlearning loss UL (higher: more forgotten)")
    ft = Line2D([], [], linestyle="none", markersize=5, label="fine-tuned ($\\alpha = 0$)",
                **{k: v for k, v in method_style("finetune").items() if k != "label"})
    for ax, where in zip(axes, ((0.02, 0.52), (0.02, 0.3))):
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(handles=handles + [ft], loc="lower left", bbox_to_anchor=where,
                  handlelength=1.6)
    _footer(fig, f"means over {data.n_draws} draws, bars "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence\n{data.setting}")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.84, bottom=0.15, wspace=0.08)
    return fig


# --------------------------------------------------------------------------
# 7. every method's gap to golden (``linunlearn compare``)


def _row_style(label):
    """Style of a ``compare`` row label: ``"ce_ft[k=5]"`` is CE-FT's, drawn hollow."""
    base, _, variant = label.partition("[")
    style = dict(method_style(base))
    if variant:
        style["label"] = f"{style['label']} [{variant}"
    return style, bool(variant)


def draw_method_gaps(data):
    """One panel per regime: a lollipop per method, mean gap with its interval."""
    data = _tidy(data)
    n = len(data.methods)
    fig = new_figure(FULL, 0.17 * n + 1.4)
    axes = fig.subplots(1, len(data.regimes), sharey=True)
    y = np.arange(n)[::-1]
    for r, ax in enumerate(np.atleast_1d(axes)):
        for j, label in enumerate(data.methods):
            style, hollow = _row_style(label)
            colour = style["color"]
            ax.plot([0, data.mean[r, j]], [y[j], y[j]], color=colour, linewidth=1.0,
                    linestyle=":" if hollow else "-", alpha=0.7)
            ax.plot([data.low[r, j], data.high[r, j]], [y[j], y[j]], color=colour,
                    linewidth=2.2, alpha=0.35, solid_capstyle="butt")
            ax.plot(data.mean[r, j], y[j], marker=style["marker"], color=colour,
                    markersize=4.5, markerfacecolor="white" if hollow else colour,
                    markeredgewidth=1.0, linestyle="none")
        ax.axvline(0, color="#000000", linewidth=0.6)
        ax.set_xlim(left=-0.04 * ax.get_xlim()[1])
        sizes = data.descriptions[r].split(", sigma")[0].split(", ")
        ax.set_title(f"{data.regimes[r]}\n" + ", ".join(sizes[:3]) + "\n"
                     + ", ".join(sizes[3:]), fontsize=7, linespacing=1.3)
        ax.set_xlabel("average gap to golden")
        ax.grid(axis="y", color="#EEEEEE", linewidth=0.5)
        ax.tick_params(axis="y", length=0)
    ax = np.atleast_1d(axes)[0]
    ax.set_yticks(y)
    ax.set_yticklabels([_row_style(m)[0]["label"] for m in data.methods])
    ax.set_ylim(-0.6, n - 0.4)
    _footer(fig, f"{data.n_trials} draws per regime, default random teacher, "
                 f"noiseless; thick bar: {100 * data.confidence:g}% confidence\n"
                 f"gap = mean |metric - golden's| over UL, RL, test losses and MIA; "
                 f"hollow, dotted: a variant (its options in brackets)")
    fig.subplots_adjust(left=0.2, right=0.99, top=1 - 0.85 / fig.get_figheight(),
                        bottom=0.4 / fig.get_figheight(), wspace=0.1)
    return fig


# --------------------------------------------------------------------------
# 8. fine-tuning's gap to golden beyond the paper's regime


def draw_regime_gaps(data):
    """Three panels: gap against lambda, against steps, against n_r / d_r."""
    data = _tidy(data)
    fig = new_figure(FULL, 3.0)
    axes = fig.subplots(1, 3)
    ft = method_style("finetune")

    def band(ax, x, mean, half, colour, marker, label, hollow=False, **kw):
        ax.fill_between(x, mean - half, mean + half, color=colour, alpha=0.2,
                        linewidth=0)
        ax.plot(x, mean, color=colour, marker=marker, markersize=3.5, linewidth=1.0,
                label=label, markerfacecolor="white" if hollow else colour, **kw)

    ax = axes[0]
    band(ax, data.lambdas, data.ridge_unpenalised, data.ridge_unpenalised_half,
         ft["color"], ft["marker"], "no penalty, converged")
    band(ax, data.lambdas, data.ridge_penalised, data.ridge_penalised_half,
         ft["color"], ft["marker"], f"penalised, {data.ridge_steps} steps",
         hollow=True, linestyle="--")
    ax.set_xscale("symlog", linthresh=1e-4, linscale=0.8)
    ax.set_xticks([0, 1e-4, 1e-2, 1, 1e2])
    ax.set_xlabel("ridge penalty $\\lambda$ (0: the paper's regime)")
    ax.set_title("(a) ridge: fine-tuning vs ridge golden")
    ax = axes[1]
    for m in ("finetune", "rbm", "fbm"):
        style = method_style(m)
        band(ax, data.steps, data.path[m], data.path_half[m], style["color"],
             style["marker"], {"finetune": "fine-tuned from $w_o$",
                               "rbm": "RBM (reset, then fine-tune)",
                               "fbm": "FBM (reset, then fine-tune)"}[m])
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.set_xlabel("fine-tuning steps $k$ (step $1/L$)")
    ax.set_title("(b) early-stopped fine-tuning")
    ax = axes[2]
    band(ax, data.ratios, data.transition, data.transition_half, ft["color"],
         ft["marker"], "fine-tuned (converged)")
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.axvline(data.interpolation_ratio, color="#555555", linewidth=0.8,
               linestyle=(0, (2, 2)))
    top = ax.get_ylim()[1]
    ax.text(1.0, top, " $n_r = d_r$", ha="left", va="top", fontsize=6.5,
            color="#555555")
    ax.text(data.interpolation_ratio, top, "$n_r + n_f = d$ ", ha="right", va="top",
            fontsize=6.5, color="#555555")
    ax.set_xlabel("sample ratio $n_r / d_r$")
    ax.set_title("(c) crossing $n_r = d_r$")
    for ax, (loc, anchor) in zip(axes, (("lower left", (0.0, 0.06)),
                                        ("upper right", (1.0, 0.86)),
                                        ("upper right", (1.0, 0.85)))):
        ax.axhline(0, color="#000000", linewidth=0.6, zorder=1)
        ax.legend(loc=loc, bbox_to_anchor=anchor, fontsize=6.5, handlelength=1.5)
    axes[0].set_ylabel("unlearning-loss gap $UL(w_g) - UL(w)$")
    _footer(fig, f"{data.trials} draws per point, bands "
                 f"{100 * montecarlo.CONFIDENCE:g}% confidence; gap > 0: forgets "
                 f"less than golden\n(a), (b): {data.settings[0]}\n"
                 f"(c): {data.settings[2]}")
    fig.subplots_adjust(left=0.075, right=0.99, top=0.76, bottom=0.16, wspace=0.25)
    return fig


# --------------------------------------------------------------------------
# 6. geometry in three dimensions


def draw_geometry(data):
    """A 3-D view: the plane of models fitting ``D_r``, the row space, the models."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    data = _tidy(data)
    fig = new_figure(COLUMN, 3.5)
    ax = fig.add_subplot(projection="3d", computed_zorder=False)
    p = data.points
    w_o, w_g, w_rbm = p["pretrained"], p["golden"], p["rbm"]
    plane, row = GEOMETRY_COLOURS["plane"], GEOMETRY_COLOURS["row_space"]
    ft, rbm = method_style("finetune")["color"], method_style("rbm")["color"]
    ax.add_collection3d(Poly3DCollection([data.plane], facecolor=plane, alpha=0.45,
                                         edgecolor=GEOMETRY_COLOURS["plane_edge"],
                                         linewidth=0.6, zorder=1))
    ax.plot(*data.line.T, color=row, linewidth=1.1)
    ax.plot(*data.right_angle.T, color=row, linewidth=0.8)
    ax.plot(*np.c_[w_o, w_g], color=ft, linestyle="--", linewidth=1.0)
    ax.plot(*np.c_[np.zeros(3), w_o], color=method_style("pretrained")["color"],
            linestyle=":", linewidth=0.8)
    ax.plot(*np.c_[w_o, w_rbm], color=rbm, linestyle=":", linewidth=1.0)
    ax.scatter(0, 0, 0, color="k", marker="+", s=24)
    for method, size in (("pretrained", 52), ("finetune", 12), ("golden", 52),
                         ("projection", 18), ("rbm", 30)):
        style = method_style(method)
        kw = (dict(facecolors="none", edgecolors=style["color"])
              if method in ("pretrained", "golden") else dict(color=style["color"]))
        ax.scatter(*p[method], marker=style["marker"], s=size, linewidths=1.0,
                   label=style["label"], depthshade=False, **kw)
    text = dict(fontsize=7, zorder=10)
    ax.text(*(w_o + [0, 0, 0.09]), "$w_o = w_{ft}$", color="#555555", ha="center",
            va="bottom", **text)
    ax.text(*(w_g + [0, 0, -0.1]), "$w_g = P_r w_o$", color="k", ha="center",
            va="top", **text)
    ax.text(*w_rbm, "RBM  ", color=rbm, ha="right", va="center", **text)
    ax.text(*(0.75 * w_o + 0.25 * w_g), "$(I - P_r)\\,w_o$  ", color=ft,
            ha="right", va="center", **text)
    ax.text(*(0.5 * (w_o + w_rbm) + [0, 0.03, 0]), " reset $w_B$", color=rbm,
            ha="left", va="center", **text)
    ax.text(0, 0, -0.06, "0", ha="center", va="top", **text)
    ax.text(*data.line[1], " row space\n of $X_r$", color=row, ha="left",
            va="center", **text)
    ax.text(*data.plane[np.argmax(data.plane[:, 2])], "$x_r^T w = y_r$ (fits $D_r$)",
            color="#665C00", ha="center", va="bottom", **text)
    ax.set_xlabel("$w_A$ (remaining only)", labelpad=-4, fontsize=7)
    ax.set_ylabel("$w_O$ (overlap)", labelpad=-4, fontsize=7)
    ax.set_zlabel("$w_B$ (forgetting only)", labelpad=-4, fontsize=7)
    ax.tick_params(labelsize=7, pad=-2)
    ax.view_init(elev=22, azim=-65)
    ax.set_box_aspect((1, 1, 0.9))
    fig.legend(loc="lower center", ncol=2, fontsize=7, handletextpad=0.2,
               columnspacing=0.8)
    fig.subplots_adjust(left=0.0, right=0.92, top=1.04, bottom=0.15)
    return fig


def new_figure(width, height):
    """An empty Figure of ``width`` by ``height`` inches on the Agg canvas (no pyplot).

    What every drawing function starts from: no global backend is changed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


# --------------------------------------------------------------------------
# 9. deletion streams and relearning (linunlearn.streams, linunlearn.relearn)


def draw_deletion_stream(data):
    """Relative distance to golden against the number of deletion requests, one line per method."""
    data = _tidy(data)
    fig = new_figure(FULL, 2.8)
    ax = fig.subplots()
    for j, label in enumerate(data.methods):
        style, hollow = _row_style(label)
        ax.fill_between(data.requests, data.low[j], data.high[j], color=style["color"],
                        alpha=0.15, linewidth=0)
        ax.plot(data.requests, data.mean[j], color=style["color"], marker=style["marker"],
                markersize=3.5, linewidth=1.0, linestyle="--" if hollow else "-",
                markerfacecolor="white" if hollow else style["color"],
                label=style["label"])
    ax.axhline(0, color="#000000", linewidth=0.6, zorder=1)
    ax.set_xticks(data.requests)
    ax.set_xlabel("deletion requests served (one row of $D_f$ each)")
    ax.set_ylabel("$\\|w_j - w_g^{(j)}\\| \\,/\\, \\|w_g^{(j)}\\|$")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6.5,
              handlelength=1.8)
    _footer(fig, f"overlap regime ({data.description}); {data.n_trials} draws, bands "
                 f"{100 * data.confidence:g}% confidence\n$w_g^{{(j)}}$: the golden model "
                 f"of what remains after request $j$")
    fig.subplots_adjust(left=0.09, right=0.78, top=0.86, bottom=0.16)
    return fig


def draw_relearning(data):
    """Two panels: the relearned rows' and the other rows' loss over relearning steps."""
    data = _tidy(data)
    fig = new_figure(FULL, 3.0)
    axes = fig.subplots(1, 2)
    for ax, values, half, title in (
            (axes[0], data.relearned, data.relearned_half,
             f"(a) the relearned rows ({100 * data.fraction:g}% of $D_f$)"),
            (axes[1], data.rest, data.rest_half, "(b) the rest of $D_f$")):
        for j, label in enumerate(data.methods):
            style, hollow = _row_style(label)
            ax.fill_between(data.steps, np.maximum(values[j] - half[j], 0.0),
                            values[j] + half[j], color=style["color"], alpha=0.15,
                            linewidth=0)
            ax.plot(data.steps, values[j], color=style["color"], marker=style["marker"],
                    markersize=3, linewidth=1.0, linestyle="--" if hollow else "-",
                    markerfacecolor="white" if hollow else style["color"],
                    label=f"{style['label']}: {data.times[j]:.2g}")
        ax.set_xlabel("relearning steps $k$ on the relearned rows")
        ax.set_title(title)
        ax.axhline(0, color="#000000", linewidth=0.6)
    axes[0].axhline(data.tol, color="#555555", linewidth=0.8, linestyle=(0, (2, 2)))
    axes[0].text(data.steps[-1], data.tol, "back (tol) ", ha="right", va="bottom",
                 fontsize=6.5, color="#555555")
    axes[0].set_yscale("symlog", linthresh=1e-2)
    axes[0].set_ylim(bottom=0)
    axes[0].set_ylabel("UL$(w_k)$ / UL$(w_g)$ on the same rows")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6,
                   title="mean relearn time", title_fontsize=6, handlelength=1.8)
    _footer(fig, f"overlap regime, {data.n_trials} draws, bands "
                 f"{100 * data.confidence:g}% confidence; gradient descent, step $1/L$"
                 f"\nrelearn time: first $k$ with UL $\\leq$ UL$(w_o)$ + {data.tol:g} "
                 f"(UL$(w_g)$ - UL$(w_o)$) on the relearned rows")
    fig.subplots_adjust(left=0.08, right=0.77, top=0.8, bottom=0.15, wspace=0.22)
    return fig
