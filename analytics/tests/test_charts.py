"""Periods, buckets and the SVG charts, without the database."""

from datetime import UTC, date, datetime

import pytest

from analytics import charts, selectors


@pytest.mark.parametrize(("days", "interval", "expected"), [
    (7, "day", ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08", "2024-03-09", "2024-03-10"]),
    (14, "week", ["2024-02-26", "2024-03-04"]),  # Mondays
    (10, "week", ["2024-02-26", "2024-03-04"]),  # the first week is cut by the period's start (1 March)
    (90, "month", ["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]),
    (1, "day", ["2024-03-10"]),
])
def test_buckets_cover_the_period(days, interval, expected):
    period = selectors.period_for(days, interval, now=datetime(2024, 3, 10, 15, 30, tzinfo=UTC))
    assert [bucket.isoformat() for bucket in period.buckets] == expected


def test_period_starts_at_midnight_days_minus_one_ago():
    period = selectors.period_for(30, now=datetime(2024, 3, 10, 15, 30, tzinfo=UTC))
    assert period.start == datetime(2024, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(("days", "interval"), [(0, "day"), (366, "day"), (7, "year")])
def test_period_refuses_what_the_api_refuses(days, interval):
    with pytest.raises(ValueError):
        selectors.period_for(days, interval)


def test_money_and_ratios():
    assert selectors.money(150000) == "1500.00" and selectors.money(None) == "0.00" and selectors.money(5) == "0.05"
    assert selectors.money_decimal(2500.505) == "2500.51"
    assert selectors.ratio(1, 3, 100) == 33.33 and selectors.ratio(1, 0) is None


@pytest.mark.parametrize(("maximum", "integer", "step"), [(0, True, 1), (1, True, 1), (7, True, 2), (10, True, 5),
                                                          (2000, False, 500), (1234.5, False, 500), (3, False, 1)])
def test_axis_steps_are_round(maximum, integer, step):
    assert charts.nice_step(maximum, integer=integer) == step


def test_labels():
    day = date(2024, 3, 4)
    assert charts.bucket_label(day, "day") == "4 Mar" and charts.bucket_label(day, "day", long=True) == "4 Mar 2024"
    assert charts.bucket_label(day, "week", long=True) == "Week of 4 Mar 2024"
    assert charts.bucket_label(day, "month") == "Mar 2024" and charts.bucket_label(day, "month", True) == "March 2024"
    assert charts.compact(1500) == "1.5k" and charts.compact(2_000_000) == "2M" and charts.compact(40) == "40"


def test_line_chart_is_accessible_svg_with_a_point_per_bucket():
    svg = charts.line_chart(
        chart_id="c", title="Sign-ups <by type>", description="Two series & three days", labels=["1", "2", "3"],
        tooltips=["Day 1", "Day 2", "Day 3"], y_label="Sign-ups", x_label="Day",
        series=[charts.Series("a", "A", [0, 2, 5], "#000"), charts.Series("b", "B<script>", [1, 1, 1], "#111")])
    assert svg.startswith('<svg class="chart" id="c"') and svg.endswith("</svg>")
    assert '<title id="c-title">Sign-ups &lt;by type&gt;</title>' in svg
    assert '<desc id="c-desc">Two series &amp; three days</desc>' in svg
    assert svg.count('class="chart__point"') == 6 and svg.count("<polyline") == 2
    assert "<title>Day 3 · A: 5</title>" in svg and "B&lt;script&gt;" in svg and "<script>" not in svg


def test_bar_charts_draw_every_bucket_even_at_zero():
    svg = charts.bar_chart(chart_id="b", title="t", description="d", labels=["x", "y"], tooltips=["X", "Y"],
                           y_label="Count", x_label="Day", series=[charts.Series("p", "P", [0, 0], "#000")])
    assert svg.count('class="chart__bar"') == 2
    hbar = charts.hbar_chart(chart_id="h", title="t", description="d", items=[("Open", 3), ("Closed", 0)],
                             unit="projects", x_label="Projects")
    assert hbar.count('class="chart__bar"') == 2 and "<title>Open: 3 projects</title>" in hbar
