"""Server-side SVG line charts: the template draws `<polyline>`s from points computed here.

No JavaScript and no inline styles (the CSP forbids them); colours and dash patterns come from
CSS classes. Every series also gets its own marker shape, so that a reader can tell the lines
apart without colour and a line hidden behind another still shows its markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Marker shapes, one per series (cycled): drawn as SVG path data around the point.
MARKERS = ("circle", "square", "diamond", "triangle", "triangle-down", "cross")
#: Points of different series closer than this (viewBox units) are spread apart vertically,
#: so that equal scores do not draw one line exactly on top of another.
DODGE_GAP = 3.5
#: Width of one character of an x label in viewBox units (generous: phones draw them larger).
LABEL_CHAR = 11
#: Space kept between two x labels, in viewBox units.
LABEL_GAP = 10


@dataclass
class ChartSeries:
    key: str
    label: str
    points: str
    dots: list[dict] = field(default_factory=list)
    css_class: str = ""
    marker: str = "circle"

    @property
    def legend_marker(self) -> str:
        """The series' marker centred in the legend swatch's 24×12 viewBox."""
        return marker_path(self.marker, 12, 6, 3.5)


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


def _polygon(x: float, y: float, corners: list[tuple[float, float]]) -> str:
    return "M" + "L".join(f"{_num(x + dx)},{_num(y + dy)}" for dx, dy in corners) + "Z"


def marker_path(shape: str, x: float, y: float, r: float) -> str:
    """SVG path data for a marker of radius about `r` centred on (x, y)."""
    if shape == "square":
        s = r * 0.9
        return _polygon(x, y, [(-s, -s), (s, -s), (s, s), (-s, s)])
    if shape == "diamond":
        d = r * 1.25
        return _polygon(x, y, [(0, -d), (d, 0), (0, d), (-d, 0)])
    if shape in ("triangle", "triangle-down"):
        t = r * 1.3 * (1 if shape == "triangle" else -1)
        return _polygon(x, y, [(0, -t), (t, t * 0.75), (-t, t * 0.75)])
    if shape == "cross":
        a, b = r * 1.1, r * 0.4
        corners = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b)]
        corners += [(b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b)]
        return _polygon(x, y, corners)
    return (
        f"M{_num(x - r)},{_num(y)}A{_num(r)},{_num(r)} 0 1,0 {_num(x + r)},{_num(y)}"
        f"A{_num(r)},{_num(r)} 0 1,0 {_num(x - r)},{_num(y)}Z"
    )


def _dodged(ys: dict[int, float]) -> dict[int, float]:
    """Spread points of different series that (nearly) coincide: each cluster of points
    closer than DODGE_GAP is fanned out around its centre, DODGE_GAP apart, in series order."""
    result = dict(ys)
    order = sorted(ys, key=lambda s: (ys[s], s))
    clusters: list[list[int]] = []
    for series_index in order:
        if clusters and ys[series_index] - ys[clusters[-1][-1]] < DODGE_GAP:
            clusters[-1].append(series_index)
        else:
            clusters.append([series_index])
    for cluster in clusters:
        if len(cluster) < 2:
            continue
        centre = sum(ys[s] for s in cluster) / len(cluster)
        for position, series_index in enumerate(sorted(cluster)):
            result[series_index] = centre + (position - (len(cluster) - 1) / 2) * DODGE_GAP
    return result


def _label_anchor(index: int, count: int) -> str:
    """Edge labels hang inwards from their point, so that they are never cut off."""
    if count > 1 and index == 0:
        return "start"
    if count > 1 and index == count - 1:
        return "end"
    return "middle"


def _thinned_labels(texts: list[str], xs: list[float]) -> list[dict]:
    """The x labels to draw: one where the label changes (sessions on the same day share it),
    skipping any that would touch the previous one."""
    count = len(texts)
    chosen: list[dict] = []
    previous_right = float("-inf")
    for index, text in enumerate(texts):
        if not text or (index and text == texts[index - 1]):
            continue
        anchor = _label_anchor(index, count)
        room = len(text) * LABEL_CHAR
        left = xs[index] - {"start": 0, "middle": room / 2, "end": room}[anchor]
        if left < previous_right + LABEL_GAP:
            continue
        previous_right = left + room
        chosen.append({"x": _num(xs[index]), "text": text, "anchor": anchor})
    return chosen


def line_chart(
    series: list[tuple[str, str, list[float | None]]],
    *,
    x_labels: list[str] | None = None,
    width: int = 640,
    height: int = 220,
    y_max: float = 100,
    padding: tuple[int, int, int, int] = (12, 16, 30, 40),  # top, right, bottom, left
) -> LineChart:
    """Lay out `series` — (key, label, values aligned on a shared x axis; None = no point) —
    in a `width`×`height` viewBox with a 0..y_max y axis.

    `x_labels` name each x position (a date); equal neighbours are labelled once."""
    top, right, bottom, left = padding
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max((len(values) for _, _, values in series), default=0)

    def x_at(index: int) -> float:
        return left + (plot_w / 2 if count <= 1 else plot_w * index / (count - 1))

    def y_at(value: float) -> float:
        clamped = max(0.0, min(float(y_max), float(value)))
        return top + plot_h * (1 - clamped / y_max)

    # Per x position, where each series' point goes once coinciding points are spread out.
    placed: dict[tuple[int, int], float] = {}
    for index in range(count):
        ys = {
            number: y_at(values[index])
            for number, (_, _, values) in enumerate(series)
            if index < len(values) and values[index] is not None
        }
        for number, y in _dodged(ys).items():
            placed[(number, index)] = y

    texts = list(x_labels or [])
    built = []
    for number, (key, label, values) in enumerate(series):
        marker = MARKERS[number % len(MARKERS)]
        dots = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x, y = x_at(i), placed[(number, i)]
            dots.append(
                {
                    "x": _num(x),
                    "y": _num(y),
                    "value": round(v),
                    "index": i,
                    "when": texts[i] if i < len(texts) else "",
                    "path": marker_path(marker, x, y, 3.5),
                }
            )
        points = " ".join(f"{d['x']},{d['y']}" for d in dots)
        built.append(ChartSeries(key, label, points, dots, f"series-{number % 8}", marker))

    gridlines = [
        {"y": round(y_at(v), 1), "label": int(v)}
        for v in (0, y_max / 4, y_max / 2, y_max * 3 / 4, y_max)
    ]
    labels = []
    if texts and count:
        labels = _thinned_labels(texts[:count], [x_at(i) for i in range(count)])
    return LineChart(width, height, built, gridlines, labels, left, width - right)
