"""`ride plot`'s picture: the curves drawn with matplotlib (the only module that imports it).

One panel a changing value, all on the frames axis (seconds along the top, beats along the
bottom), keys as dots, timeline keys as dashed lines, the conditioning weights as stacked areas
in the last panel; the values that never change are listed under it. The same curves give the
same bytes: no dates, a fixed SVG hash salt, no version string.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..compile.music import BeatGrid
from .series import WEIGHT, Curves

FORMATS = ("png", "svg")
WIDTH = 10.0  # inches
PANEL = 1.5  # inches a panel
DPI = 100
# Fixed settings, whatever the user's matplotlibrc says: the output depends on the curves alone.
STYLE = {"svg.hashsalt": "ride", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
         "axes.grid": True, "grid.alpha": 0.3, "path.simplify": False}
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")


def draw(curves: Curves) -> Figure:
    """The figure of these curves (not yet written)."""
    values = [s for s in curves.series if s.group != WEIGHT and not s.constant]
    constants = [s for s in curves.series if s.group != WEIGHT and s.constant]
    weights = curves.group(WEIGHT)
    panels = len(values) + (1 if weights else 0) or 1
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH, 1.2 + PANEL * panels), dpi=DPI, layout="constrained")
        axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
        frames = list(range(curves.start, curves.stop))
        for ax, series in zip(axes, values):
            ax.plot(frames, series.values, color=COLORS[0], linewidth=1.2)
            if series.keys:
                ax.plot(series.keys, [series.values[k - curves.start] for k in series.keys], "o",
                        color=COLORS[3], markersize=4, label="keys")
            ax.set_ylabel(series.name + (f"\n({series.unit})" if series.unit else ""))
        if weights:
            ax = axes[len(values)]
            ax.stackplot(frames, [s.values for s in weights], labels=[s.name for s in weights],
                         colors=[COLORS[i % len(COLORS)] for i in range(len(weights))], alpha=0.8)
            ax.set_ylim(0, 1)
            ax.set_ylabel("conditioning\nweights")
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
        for ax in axes:
            for key in curves.timeline_keys:
                ax.axvline(key, color="#555555", linestyle="--", linewidth=0.6)
            ax.set_xlim(curves.start, max(curves.stop - 1, curves.start + 1))
        _time_axes(axes, curves)
        title = f"{curves.title}: frames {curves.start}-{curves.stop - 1}"
        if constants:
            # wrapped: with the 3D camera's seven fields a scene has some twenty constant columns
            title += "\n" + textwrap.fill("constant: " + ", ".join(f"{s.name} {s.values[0]:g}" for s in constants),
                                          width=110, break_long_words=False)
        figure.suptitle(title, fontsize=10)
    return figure


def _time_axes(axes, curves: Curves) -> None:
    """Frames along the bottom, seconds along the top, beats under the frames."""
    fps, beat = curves.fps, 60.0 / curves.bpm * curves.fps  # frames a beat
    top = axes[0].secondary_xaxis("top", functions=(lambda f: f / fps, lambda s: s * fps))
    top.set_xlabel("seconds")
    axes[-1].set_xlabel("frames")
    if curves.beats:  # `bpm auto`: beat N is the song's detected beat N
        grid = BeatGrid(np.asarray(curves.beats), curves.bpm)
        functions = (lambda f: grid.beat_at(np.asarray(f) / fps), lambda b: grid.seconds(np.asarray(b)) * fps)
        label = f"beats (detected; about {curves.bpm:g} bpm)"
    else:
        functions, label = (lambda f: f / beat, lambda b: b * beat), f"beats (bpm {curves.bpm:g})"
    beats = axes[-1].secondary_xaxis(-0.45, functions=functions)
    beats.set_xlabel(label)


def write(curves: Curves, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, the same for the same curves."""
    figure = draw(curves)
    out = io.BytesIO()
    metadata = {"Date": None, "Creator": "ride"} if fmt == "svg" else {"Software": "ride"}
    with matplotlib.rc_context(STYLE):
        figure.savefig(out, format=fmt, metadata=metadata, dpi=DPI)
    return out.getvalue()


def drawn(figure: Figure) -> list[dict]:
    """What each panel shows, as data (for golden tests): its label, and every line's points."""
    panels = []
    for ax in figure.axes:
        if not ax.get_ylabel() and not ax.lines:
            continue  # the secondary time axes
        panels.append({
            "label": ax.get_ylabel(),
            "lines": [[[round(float(x), 4), round(float(y), 6)] for x, y in zip(*line.get_data())]
                      for line in ax.lines],
            "areas": [[[round(float(x), 4), round(float(y), 6)] for x, y in path.vertices]
                      for area in ax.collections for path in area.get_paths()],
            "legend": [text.get_text() for text in ax.get_legend().get_texts()] if ax.get_legend() else [],
        })
    return panels
