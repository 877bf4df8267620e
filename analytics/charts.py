"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable by screen readers.

Every chart is an `<svg role="img">` named by its `<title>` and summarised by its `<desc>`; each bar and point
carries its own `<title>`, which browsers show as a tooltip. Axes have tick labels and a label saying what they
measure. The page puts the numbers beside each chart in a table too.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 56
MAX_X_LABELS = 8
PALETTE = ["#0b5cad", "#c2410c", "#15803d", "#7c3aed", "#b3261e"]


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    values: Sequence[float]
    color: str


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def compact(value: float) -> str:
    """1500 -> "1.5k", 2000000 -> "2M": short enough for an axis."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{_fmt(value / size)}{suffix}"
    return _fmt(value)


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def nice_step(maximum: float, ticks: int = 4, integer: bool = True) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that `ticks` steps reach `maximum`."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw and (not integer or step == int(step)):
            return step
    return 10 * magnitude


def bucket_label(day: date, interval: str, long: bool = False) -> str:
    """A bucket's name in the active language: its month and day names come from Django's date formats."""
    if interval == "month":
        return date_format(day, "F Y" if long else "M Y")
    if long:
        text = date_format(day, "j M Y")
        return gettext("Week of %(date)s") % {"date": text} if interval == "week" else text
    return date_format(day, "j M")


class _Frame:
    """The plot area of a time chart: y scale from 0 to a round maximum, one band per bucket."""

    def __init__(self, count: int, maximum: float, integer: bool) -> None:
        self.count = max(count, 1)
        step = nice_step(maximum, integer=integer)
        self.ticks = [step * i for i in range(5)]  # four round steps always reach the maximum
        self.top_value = self.ticks[-1]
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.band = self.plot_w / self.count

    def x(self, index: int) -> float:
        return LEFT + (index + 0.5) * self.band

    def y(self, value: float) -> float:
        return TOP + self.plot_h - (value / self.top_value) * self.plot_h


def _open(chart_id: str, title: str, description: str, height: int = HEIGHT, width: int = WIDTH) -> list[str]:
    return [
        f'<svg class="chart" id="{_t(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{_t(chart_id)}-title">{_t(title)}</title>',
        f'<desc id="{_t(chart_id)}-desc">{_t(description)}</desc>',
    ]


def _axes(frame: _Frame, labels: Sequence[str], y_label: str, x_label: str, tick: Callable[[float], str]) -> list[str]:
    parts = ['<g class="chart__grid" aria-hidden="true">']
    for value in frame.ticks:
        y = frame.y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}" />')
        parts.append(f'<text class="chart__tick" x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">'
                     f'{_t(tick(value))}</text>')
    parts.append("</g>")
    bottom = TOP + frame.plot_h
    parts.append(f'<g class="chart__axes" aria-hidden="true"><line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" '
                 f'y2="{bottom}" /><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" /></g>')
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    parts.append('<g class="chart__x-labels" aria-hidden="true">')
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(f'<text class="chart__tick" x="{_fmt(frame.x(index))}" y="{bottom + 16}" '
                         f'text-anchor="middle">{_t(label)}</text>')
    parts.append("</g>")
    parts.append(f'<text class="chart__axis-label" x="{LEFT + frame.plot_w / 2:.1f}" y="{HEIGHT - 8}" '
                 f'text-anchor="middle">{_t(x_label)}</text>')
    parts.append(f'<text class="chart__axis-label" transform="translate(14 {TOP + frame.plot_h / 2:.1f}) '
                 f'rotate(-90)" text-anchor="middle">{_t(y_label)}</text>')
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = ['<g class="chart__legend" aria-hidden="true">']
    x = LEFT
    for item in series:
        parts.append(f'<rect x="{x}" y="12" width="12" height="12" rx="2" fill="{item.color}" />')
        parts.append(f'<text x="{x + 17}" y="22">{_t(item.name)}</text>')
        x += 30 + 8 * len(item.name)
    parts.append("</g>")
    return parts


def _maximum(series: Sequence[Series]) -> float:
    return max((float(value) for item in series for value in item.values), default=0.0)


def line_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str], tooltips: Sequence[str],
               series: Sequence[Series], y_label: str, x_label: str, value_text: Callable[[float], str] = _fmt,
               tick_text: Callable[[float], str] = compact, integer: bool = True) -> SafeString:
    """Lines with a point per bucket; each point's tooltip names the bucket, the series and the value."""
    frame = _Frame(len(labels), _maximum(series), integer)
    parts = _open(chart_id, title, description)
    parts += _axes(frame, labels, y_label, x_label, tick_text)
    for item in series:
        points = [(frame.x(i), frame.y(float(value))) for i, value in enumerate(item.values)]
        parts.append(f'<g class="chart__series" data-series="{_t(item.key)}">')
        parts.append(f'<polyline class="chart__line" fill="none" stroke="{item.color}" stroke-width="2" '
                     f'points="{" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)}" />')
        radius = 3.5 if len(points) <= 62 else 2
        for (x, y), value, when in zip(points, item.values, tooltips, strict=True):
            parts.append(f'<circle class="chart__point" cx="{_fmt(x)}" cy="{_fmt(y)}" r="{radius}" '
                         f'fill="{item.color}"><title>{_t(when)} · {_t(item.name)}: {_t(value_text(float(value)))}'
                         f"</title></circle>")
        parts.append("</g>")
    parts += _legend(series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside went through escape()


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str], tooltips: Sequence[str],
              series: Sequence[Series], y_label: str, x_label: str, value_text: Callable[[float], str] = _fmt,
              tick_text: Callable[[float], str] = compact, integer: bool = True) -> SafeString:
    """Vertical bars, grouped side by side when there are several series."""
    frame = _Frame(len(labels), _maximum(series), integer)
    parts = _open(chart_id, title, description)
    parts += _axes(frame, labels, y_label, x_label, tick_text)
    inner = frame.band * 0.8
    width = inner / max(len(series), 1)
    for position, item in enumerate(series):
        parts.append(f'<g class="chart__series" data-series="{_t(item.key)}">')
        for index, (value, when) in enumerate(zip(item.values, tooltips, strict=True)):
            x = frame.x(index) - inner / 2 + position * width
            y = frame.y(float(value))
            parts.append(f'<rect class="chart__bar" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(max(width, 0.5))}" '
                         f'height="{_fmt(TOP + frame.plot_h - y)}" fill="{item.color}"><title>{_t(when)} · '
                         f"{_t(item.name)}: {_t(value_text(float(value)))}</title></rect>")
        parts.append("</g>")
    parts += _legend(series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside went through escape()


def hbar_chart(*, chart_id: str, title: str, description: str, items: Sequence[tuple[str, int]],
               unit: str | Callable[[int], str], x_label: str, color: str = PALETTE[0], width: int = 420) -> SafeString:
    """Horizontal bars, one per item (a status funnel): label on the left, the count at the bar's end.
    Narrower than the time charts, so that two fit side by side at a readable size. `unit` follows the count
    ("3 projects"), or writes the count with its noun itself (a function, for languages' plural forms)."""
    row, label_w, right = 30, 100, 44
    height = TOP // 2 + row * max(len(items), 1) + 40
    maximum = max((value for _, value in items), default=0) or 1
    plot_w = width - label_w - right
    parts = _open(chart_id, title, description, height, width)
    bottom = TOP // 2 + row * len(items)
    for index, (label, value) in enumerate(items):
        y = TOP // 2 + index * row
        bar_w = plot_w * value / maximum
        counted = unit(value) if callable(unit) else f"{value} {unit}"
        parts.append(f'<text class="chart__tick" x="{label_w - 8}" y="{y + 19}" text-anchor="end" '
                     f'aria-hidden="true">{_t(label)}</text>')
        parts.append(f'<rect class="chart__bar" x="{label_w}" y="{y + 5}" width="{_fmt(max(bar_w, 0.5))}" '
                     f'height="{row - 10}" rx="3" fill="{color}"><title>{_t(label)}: {_t(counted)}</title></rect>')
        parts.append(f'<text class="chart__value" x="{_fmt(label_w + bar_w + 6)}" y="{y + 19}" '
                     f'aria-hidden="true">{value}</text>')
    parts.append(f'<line class="chart__baseline" x1="{label_w}" x2="{label_w}" y1="{TOP // 2}" y2="{bottom}" '
                 f'aria-hidden="true" />')
    parts.append(f'<text class="chart__axis-label" x="{label_w + plot_w / 2:.1f}" y="{bottom + 28}" '
                 f'text-anchor="middle">{_t(x_label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside went through escape()
