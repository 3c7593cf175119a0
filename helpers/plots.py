"""A few plotting functions so every notebook's charts look alike.

    plots.balance_over_time({"ACC-001": (times, balances)}, title="...")   # step lines
    plots.bars({"with snapshot": 0.4, "without": 650.0}, title="...", ylabel="ms")
    plots.flow_diagram(boxes, arrows, title="...")                             # boxes and arrows

Each returns the matplotlib Axes it drew on; pass `ax=` to draw into a figure of your own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

PALETTE = ("#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f", "#3d405b", "#9c89b8", "#f4a261", "#2a9d8f")


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    """The given axes, or fresh ones in a new figure."""
    if ax is not None:
        return ax
    return plt.subplots(figsize=size)[1]


def balance_over_time(series: Mapping[str, tuple[Sequence[datetime], Sequence[Decimal]]], *,
                      title: str = "Balance over time", ax: Axes | None = None) -> Axes:
    """One step line per account: the balance holds until the next event changes it."""
    ax = _axes(ax)
    for index, (label, (times, balances)) in enumerate(sorted(series.items())):
        ax.step(list(times), [float(b) for b in balances], where="post", label=label,
                color=PALETTE[index % len(PALETTE)], linewidth=1.5)
    ax.set_title(title)
    ax.set_ylabel("balance")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def bars(values: Mapping[str, float], *, title: str, ylabel: str = "", xlabel: str = "",
         log: bool = False, fmt: str = "{:,.0f}", ax: Axes | None = None) -> Axes:
    """A bar per key, in the given order, with each value written above its bar."""
    ax = _axes(ax, (7, 4))
    labels = list(values)
    heights = [float(values[label]) for label in labels]
    drawn = ax.bar(labels, heights, color=[PALETTE[i % len(PALETTE)] for i in range(len(labels))])
    ax.bar_label(drawn, labels=[fmt.format(h) for h in heights], padding=2, fontsize="small")
    if max((len(label) for label in labels), default=0) > 10:
        ax.tick_params(axis="x", labelrotation=20)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)
    return ax


def _edge_points(a: tuple[float, float], b: tuple[float, float], half_w: float,
                 half_h: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the straight line between two box centres leaves the first box and enters the second."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    scale = min(half_w / abs(dx) if dx else float("inf"), half_h / abs(dy) if dy else float("inf"))
    return (a[0] + dx * scale, a[1] + dy * scale), (b[0] - dx * scale, b[1] - dy * scale)


def flow_diagram(boxes: Mapping[str, tuple[float, float]], arrows: Sequence[tuple[str, str, str]], *,
                 colors: Mapping[str, str] | None = None, title: str = "", size: tuple[float, float] = (11, 5),
                 box: tuple[float, float] = (1.5, 0.6), ax: Axes | None = None) -> Axes:
    """Named boxes at (x, y) in a 0..10 x 0..6 canvas, joined by labelled arrows (source, target, label)."""
    ax = _axes(ax, size)
    colors = colors or {}
    width, height = box
    for name, (x, y) in boxes.items():
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.05", facecolor=colors.get(name, "#e8eef2"),
                                    edgecolor="#3d405b"))
        ax.text(x, y, name, ha="center", va="center", fontsize=9, wrap=True)
    for source, target, label in arrows:
        start, end = _edge_points(boxes[source], boxes[target], width / 2 + 0.08, height / 2 + 0.08)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color="#3d405b",
                                     shrinkA=0, shrinkB=0, linewidth=1.2))
        if label:
            ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.12, label, ha="center",
                    fontsize=8, color="#555", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
