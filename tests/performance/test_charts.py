"""The dashboard's SVG chart layout (performance/charts.py): labels, overlaps, markers."""

import itertools
import re

from performance.charts import DODGE_GAP, LABEL_CHAR, MARKERS, line_chart


def _xs(chart):
    return [float(label["x"]) for label in chart.x_labels]


def test_sessions_on_the_same_day_share_one_label():
    labels = ["25 Nov", "25 Nov", "25 Nov", "26 Nov", "26 Nov", "27 Nov"]
    chart = line_chart([("total", "Total", [50, 60, 70, 80, 90, 95])], x_labels=labels)
    assert [label["text"] for label in chart.x_labels] == ["25 Nov", "26 Nov", "27 Nov"]
    # ... each under the first session of its day
    session_x = [float(p.split(",")[0]) for p in chart.series[0].points.split()]
    assert _xs(chart) == [session_x[0], session_x[3], session_x[5]]


def test_edge_labels_hang_inwards_so_they_are_never_cut_off():
    chart = line_chart([("total", "Total", [10, 20, 30])], x_labels=["25 Nov", "26 Nov", "27 Nov"])
    anchors = [label["anchor"] for label in chart.x_labels]
    assert anchors == ["start", "middle", "end"]
    last = chart.x_labels[-1]
    assert float(last["x"]) <= chart.width  # drawn leftwards from a point inside the viewBox
    assert float(chart.x_labels[0]["x"]) >= 0


def test_a_single_session_is_centred_with_a_centred_label():
    chart = line_chart([("total", "Total", [80])], x_labels=["27 Nov"])
    assert chart.x_labels == [
        {"x": chart.series[0].dots[0]["x"], "text": "27 Nov", "anchor": "middle"}
    ]


def test_many_sessions_get_labels_that_never_touch():
    labels = [f"{day} Nov" for day in range(1, 31)]
    chart = line_chart([("total", "Total", list(range(30)))], x_labels=labels)
    assert 3 <= len(chart.x_labels) < 30
    spans = []
    for label in chart.x_labels:
        x, room = float(label["x"]), len(label["text"]) * LABEL_CHAR
        left = x - {"start": 0, "middle": room / 2, "end": room}[label["anchor"]]
        spans.append((left, left + room))
    assert all(left >= 0 and right <= chart.width for left, right in spans)
    assert all(b[0] > a[1] for a, b in itertools.pairwise(spans))


def test_equal_scores_are_spread_apart_so_every_line_stays_visible():
    chart = line_chart(
        [
            ("clarity", "Clarity", [100, 90, 40]),
            ("resolution", "Resolution", [100, 90, 10]),
            ("greeting", "Greeting", [100, 20, 40]),
        ]
    )
    clarity, resolution, greeting = ([float(d["y"]) for d in s.dots] for s in chart.series)
    # Three at 100 fan out around where 100 is drawn, DODGE_GAP apart, in series order
    assert resolution[0] - clarity[0] == DODGE_GAP
    assert greeting[0] - resolution[0] == DODGE_GAP
    assert resolution[0] == chart.gridlines[-1]["y"]
    assert clarity[1] != resolution[1]
    # A point alone keeps its exact place; the values shown stay the true ones
    y_of = {g["label"]: g["y"] for g in chart.gridlines}
    assert resolution[2] == round(y_of[0] - (y_of[0] - y_of[100]) * 0.1, 1)
    assert clarity[2] != greeting[2]  # 40 and 40: spread
    assert [d["value"] for d in chart.series[0].dots] == [100, 90, 40]


def test_every_series_has_its_own_marker_and_dash_class():
    series = [(f"c{i}", f"C{i}", [i * 10]) for i in range(len(MARKERS))]
    chart = line_chart(series, x_labels=["27 Nov"])
    assert [s.marker for s in chart.series] == list(MARKERS)
    assert len({s.css_class for s in chart.series}) == len(MARKERS)
    for built in chart.series:
        assert re.fullmatch(r"M[-\d.,LAHVZ ]+", built.dots[0]["path"])
        assert re.fullmatch(r"M[-\d.,LAHVZ ]+", built.legend_marker)
        assert built.dots[0]["when"] == "27 Nov"


def test_missing_values_leave_gaps_and_no_labels_without_names():
    chart = line_chart([("a", "A", [None, 50, None]), ("b", "B", [None, None, None])])
    assert [d["index"] for d in chart.series[0].dots] == [1]
    assert chart.series[1].dots == []
    assert chart.x_labels == []
