"""Charts drawn on the server as SVG geometry: no JavaScript, no library, light on a phone.

A chart is computed here (positions and sizes in a 360-unit-wide viewBox, which a phone shows
at about its natural size) and drawn by the `chart` macro of templates/dashboard/_macros.html,
on screen and in the PDF summary. Every chart has a title and a description for screen readers,
its values written as text next to the bars, and the table it was drawn from shown beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 360


def _fmt(value) -> str:
    if isinstance(value, float):
        return (f"{value:.1f}".rstrip("0").rstrip(".")).replace(".", ",")
    return f"{value}"


@dataclass
class Bar:
    """One bar: its box, its series (for the colour) and its label."""

    x: float
    y: float
    w: float
    h: float
    series: int
    value_text: str
    text_x: float
    text_y: float
    label: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class Chart:
    """A chart ready to draw."""

    key: str
    title: str
    desc: str
    height: float
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, float, str]] = field(default_factory=list)  #: (x, y, text)
    legend: list[tuple[float, float, int, str]] = field(default_factory=list)  #: x, y, series
    axis_y: float | None = None  #: y of the base line (column charts)
    grid: tuple[float, str] | None = None  #: y and label of the line at the highest value
    width: int = WIDTH
    suffix: str = ""

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not self.bars


def bars(key: str, title: str, items: list[tuple[str, float]], suffix: str = "") -> Chart:
    """Horizontal bars, one per (label, value): the label above its bar, the value after it."""
    row, top = 46, 4
    items = [(label, value) for label, value in items if value]
    top_value = max((v for _, v in items), default=0) or 1
    chart = Chart(key, title, "", top + row * len(items) + 4, suffix=suffix)
    usable = WIDTH - 60
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(usable * value / top_value, 2)
        chart.bars.append(Bar(0, y + 20, w, 18, 0, _fmt(value) + suffix, w + 6, y + 34,
                              label, 0, y + 15))
    chart.desc = "; ".join(f"{label} : {_fmt(v)}{suffix}" for label, v in items) or "Aucune donnée."
    return chart


def columns(key: str, title: str, categories: list[str],
            series: list[tuple[str, list[float]]], suffix: str = "") -> Chart:
    """Vertical columns per category (e.g. month), one colour per series, a legend on top."""
    left, right, legend_h, plot_h, bottom = 4, WIDTH - 4, 22, 130, 22
    chart = Chart(key, title, "", legend_h + plot_h + bottom + 8, suffix=suffix)
    x = left
    for s, (name, _) in enumerate(series):
        chart.legend.append((x, 6, s, name))
        x += 14 + 7.5 * len(name) + 16
    n = max(len(categories), 1)
    group = (right - left) / n
    width = min((group - 4) / max(len(series), 1), 28)
    top_value = max((v for _, values in series for v in values), default=0) or 1
    base = legend_h + plot_h + 6
    chart.axis_y = base
    if any(v for _, values in series for v in values):
        top_y = base - (plot_h - 14)
        chart.grid = (top_y, _fmt(top_value) + suffix)
    show_values = group >= 44  # values written above columns only when they cannot collide
    for i, cat in enumerate(categories):
        gx = left + i * group + (group - width * len(series)) / 2
        for s, (_, values) in enumerate(series):
            v = values[i]
            h = (plot_h - 14) * v / top_value if v else 0
            bx = gx + s * width
            chart.bars.append(Bar(bx, base - h, max(width - 1, 1), h, s,
                                  _fmt(v) + suffix if show_values and v else "",
                                  bx + width / 2, base - h - 3))
        step = 1 if n <= 12 else (2 if n <= 24 else 3)
        if i % step == 0:
            chart.labels.append((left + i * group + group / 2, base + 15, cat))
    parts = []
    for i, cat in enumerate(categories):
        parts.append(f"{cat} : " + ", ".join(f"{name} {_fmt(values[i])}{suffix}"
                                              for name, values in series))
    chart.desc = "; ".join(parts) or "Aucune donnée."
    return chart
