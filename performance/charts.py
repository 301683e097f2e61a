"""Server-side SVG line charts: the template draws `<polyline>`s from points computed here.

No JavaScript and no inline styles (the CSP forbids them); colours come from CSS classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChartSeries:
    key: str
    label: str
    points: str
    dots: list[dict] = field(default_factory=list)
    css_class: str = ""


@dataclass
class LineChart:
    width: int
    height: int
    series: list[ChartSeries]
    gridlines: list[dict]
    x_labels: list[dict]
    plot_left: int
    plot_right: int

    @property
    def axis_label_x(self) -> int:
        return self.plot_left - 6

    @property
    def x_label_y(self) -> int:
        return self.height - 8

    @property
    def is_empty(self) -> bool:
        return not any(s.dots for s in self.series)


def _num(value: float) -> str:
    """A coordinate as SVG wants it, never localised by the template engine."""
    return f"{value:.1f}"


def line_chart(
    series: list[tuple[str, str, list[float | None]]],
    *,
    x_labels: list[str] | None = None,
    width: int = 640,
    height: int = 220,
    y_max: float = 100,
    padding: tuple[int, int, int, int] = (12, 12, 28, 36),  # top, right, bottom, left
) -> LineChart:
    """Lay out `series` — (key, label, values aligned on a shared x axis; None = no point) —
    in a `width`×`height` viewBox with a 0..y_max y axis."""
    top, right, bottom, left = padding
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max((len(values) for _, _, values in series), default=0)

    def x_at(index: int) -> float:
        return left + (plot_w / 2 if count <= 1 else plot_w * index / (count - 1))

    def y_at(value: float) -> float:
        clamped = max(0.0, min(float(y_max), float(value)))
        return top + plot_h * (1 - clamped / y_max)

    built = []
    for number, (key, label, values) in enumerate(series):
        dots = [
            {"x": _num(x_at(i)), "y": _num(y_at(v)), "value": round(v), "index": i}
            for i, v in enumerate(values)
            if v is not None
        ]
        points = " ".join(f"{d['x']},{d['y']}" for d in dots)
        built.append(ChartSeries(key, label, points, dots, f"series-{number % 8}"))

    gridlines = [
        {"y": round(y_at(v), 1), "label": int(v)}
        for v in (0, y_max / 4, y_max / 2, y_max * 3 / 4, y_max)
    ]
    labels = []
    if x_labels and count:
        step = max(1, count // 6)
        for i in range(0, count, step):
            labels.append({"x": _num(x_at(i)), "text": x_labels[i]})
    return LineChart(width, height, built, gridlines, labels, left, width - right)
