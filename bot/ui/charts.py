"""Charts as inline SVG: pure geometry here, drawing in `templates/_charts.html`.

Each chart has a title and a description for screen readers; the numbers are always also in a
table beside it, so the chart is a picture of the table, never the only place a number is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 12, 40
MAX_X_LABELS = 6


@dataclass(frozen=True)
class Line:
    name: str
    css: str  # a class: the colour and dash pattern come from ui.css
    path: str
    dots: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    x_ticks: tuple[tuple[float, str, str], ...]  # x, label, text-anchor
    y_ticks: tuple[tuple[float, str], ...]
    lines: tuple[Line, ...] = ()
    bars: tuple[Bar, ...] = ()
    markers: tuple[tuple[float, str, str], ...] = ()  # x, label, text-anchor
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 up to at least `top` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    y_format: Callable[[float], str],
    axis_format: Callable[[float], str] | None = None,
) -> Chart:
    """Lines over equally spaced categories; a None value breaks the line there."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    y = _scale(0, ticks[-1], HEIGHT - BOTTOM, TOP)
    x = _categories(len(x_labels))
    lines = tuple(
        Line(
            name,
            css,
            _path([(x(i), y(v)) if v is not None else None for i, v in enumerate(vs)]),
            tuple((x(i), y(v), f"{name} {x_labels[i]}: {y_format(v)}") for i, v in _known(vs)),
        )
        for name, css, vs in series
    )
    shown = ", ".join(name for name, _, vs in series if any(v is not None for v in vs)) or "no data"
    return Chart(
        title=title,
        description=f"{title}: lines for {shown}, over {len(x_labels)} periods.",
        x_ticks=_x_ticks(x_labels, x),
        y_ticks=tuple((y(t), (axis_format or y_format)(t)) for t in ticks),
        lines=lines,
    )


def bar_chart(
    title: str, x_labels: Sequence[str], values: Sequence[float], y_format: Callable[[float], str]
) -> Chart:
    """Bars over equally spaced categories."""
    ticks = nice_ticks(max(values, default=0.0))
    y = _scale(0, ticks[-1], HEIGHT - BOTTOM, TOP)
    x = _categories(len(x_labels))
    slot = (WIDTH - RIGHT - LEFT) / max(len(x_labels), 1)
    bars = tuple(
        Bar(x(i) - slot * 0.35, y(v), slot * 0.7, y(0) - y(v), f"{x_labels[i]}: {y_format(v)}")
        for i, v in enumerate(values)
    )
    return Chart(
        title=title,
        description=f"{title}: {len(values)} bars, highest {y_format(max(values, default=0))}.",
        x_ticks=_x_ticks(x_labels, x),
        y_ticks=tuple((y(t), y_format(t)) for t in ticks),
        bars=bars,
    )


def time_chart(
    title: str,
    points: Sequence[tuple[datetime, float, str]],
    markers: Sequence[tuple[datetime, str]],
    y_format: Callable[[float], str],
    x_format: Callable[[datetime], str],
    y_max: float | None = None,
) -> Chart:
    """One line over real time, with labelled vertical markers (e.g. contained, resolved)."""
    moments = [p[0] for p in points] + [m[0] for m in markers]
    start, end = min(moments), max(moments)
    span = max((end - start).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() / span * (WIDTH - RIGHT - LEFT)

    ticks = nice_ticks(y_max if y_max is not None else max((p[1] for p in points), default=0.0))
    y = _scale(0, ticks[-1], HEIGHT - BOTTOM, TOP)
    line = Line(
        "value",
        "series-0",
        _path([(x(at), y(v)) for at, v, _ in points]),
        tuple((x(at), y(v), label) for at, v, label in points),
    )
    shown = [start + (end - start) * i / 3 for i in range(4)]
    x_ticks = tuple((x(at), x_format(at), _anchor(x(at))) for at in shown)
    return Chart(
        title=title,
        description=f"{title}: {len(points)} points from {x_format(start)} to {x_format(end)}.",
        x_ticks=x_ticks,
        y_ticks=tuple((y(t), y_format(t)) for t in ticks),
        lines=(line,),
        markers=tuple((x(at), label, _anchor(x(at))) for at, label in markers),
    )


def _scale(low: float, high: float, out_low: float, out_high: float) -> Callable[[float], float]:
    span = (high - low) or 1.0
    return lambda v: round(out_low + (v - low) / span * (out_high - out_low), 1)


def _categories(n: int) -> Callable[[int], float]:
    slot = (WIDTH - RIGHT - LEFT) / max(n, 1)
    return lambda i: round(LEFT + slot * (i + 0.5), 1)


def _x_ticks(
    labels: Sequence[str], x: Callable[[int], float]
) -> tuple[tuple[float, str, str], ...]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return tuple((x(i), label, _anchor(x(i))) for i, label in enumerate(labels) if i % every == 0)


def _anchor(x: float) -> str:
    """Keep labels near the edges inside the picture."""
    if x < LEFT + 40:
        return "start"
    return "end" if x > WIDTH - RIGHT - 40 else "middle"


def _known(values: Sequence[float | None]) -> list[tuple[int, float]]:
    return [(i, v) for i, v in enumerate(values) if v is not None]


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points, lifting the pen at gaps."""
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]},{point[1]}")
        pen_down = True
    return " ".join(parts)
