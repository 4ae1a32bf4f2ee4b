"""Draw a control chart as a PNG (matplotlib's Agg backend, no display, no pyplot state)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.signals.charting import ChartData

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 6.0, 100  # 1000 x 600 pixels
_COLOURS = {
    "change": "#7b3fa0",
    "opened": "#c0392b",
    "contained": "#d68910",
    "resolved": "#1e8449",
    "eval": "#2471a3",
}


def _x(moments: list[datetime]) -> Any:
    """Datetimes as matplotlib's date numbers."""
    from matplotlib import dates

    return dates.date2num(moments)  # type: ignore[no-untyped-call]


def png(chart: ChartData) -> bytes:
    """The chart as PNG bytes, 1000 x 600 pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    _series(top, chart)
    _statistic(bottom, chart)
    for ax in (top, bottom):
        ax.xaxis_date()
        _markers(ax, chart, label=ax is top)
        ax.grid(alpha=0.25)
    fig.suptitle(f"{chart.title} — {chart.feature} ({chart.method.upper()})", fontsize=12)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _series(ax: Axes, chart: ChartData) -> None:
    at = _x([p.at for p in chart.points])
    ax.plot(at, [p.value for p in chart.points], "-o", ms=3, lw=1, color="#34495e", label="value")
    ax.axhline(chart.mean, color="#1e8449", lw=1.2, label=f"baseline mean {chart.mean:.3g}")
    ax.step(
        at,
        [p.upper for p in chart.points],
        where="mid",
        color="#c0392b",
        lw=0.8,
        ls="--",
        label="3σ limits",
    )
    ax.step(at, [p.lower for p in chart.points], where="mid", color="#c0392b", lw=0.8, ls="--")
    crossed = chart.crossings
    if crossed:
        ax.scatter(
            _x([p.at for p in crossed]),
            [p.value for p in crossed],
            s=36,
            color="#e74c3c",
            zorder=5,
            label="out of control",
        )
    evals = [p for p in chart.points if p.eval_run]
    if evals:
        ax.scatter(
            _x([p.at for p in evals]),
            [p.value for p in evals],
            s=50,
            marker="D",
            facecolors="none",
            edgecolors="#2471a3",
            zorder=6,
            label="eval run",
        )
    ax.set_ylabel("pass rate" if chart.rate else chart.signal)
    ax.legend(loc="lower left", fontsize=8)


def _statistic(ax: Axes, chart: ChartData) -> None:
    at = _x([p.at for p in chart.points])
    ax.plot(
        at,
        [p.statistic for p in chart.points],
        color="#34495e",
        lw=1.2,
        label=f"{chart.method.upper()} statistic",
    )
    limits = [p.limit for p in chart.points]
    if chart.direction != "higher_is_bad":
        ax.plot(at, [-x for x in limits], color="#c0392b", lw=0.8, ls="--", label="control limit")
    if chart.direction != "lower_is_bad":
        ax.plot(at, limits, color="#c0392b", lw=0.8, ls="--")
    crossed = chart.crossings
    if crossed:
        ax.scatter(
            _x([p.at for p in crossed]),
            [p.statistic for p in crossed],
            s=20,
            color="#e74c3c",
            zorder=5,
        )
    ax.axhline(0, color="#1e8449", lw=0.8)
    ax.set_ylabel("σ")
    ax.legend(loc="lower left", fontsize=8)


def _markers(ax: Axes, chart: ChartData, *, label: bool) -> None:
    for marker in chart.markers:
        colour = _COLOURS.get(marker.kind, "#555555")
        ax.axvline(float(_x([marker.at])[0]), color=colour, lw=1, ls=":")
        if label:
            ax.annotate(
                marker.label,
                xy=(float(_x([marker.at])[0]), 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=8,
                color=colour,
            )
