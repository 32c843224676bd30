"""Helpers added for the arms-flows, iranian-skepticism and western-policy chapters (iranrussia.chapter, .charts)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from iranrussia import charts  # noqa: E402
from iranrussia.chapter import same_months_year_before  # noqa: E402


def monthly(months: list[str], partial: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month_start": pd.to_datetime([m + "-01" for m in months]),
            "partial_month": partial,
            "launched": range(1, len(months) + 1),
        }
    )


def test_same_months_year_before_takes_the_latest_years_full_months_and_the_same_months_before():
    # 2025: Jan..Jun; 2026: Jan, Feb, Mar full, Apr partial. Latest year's full months: Jan-Mar 2026,
    # compared with Jan-Mar 2025 (launched 1, 2, 3), not Apr-Jun 2025.
    frame = monthly(
        ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2026-01", "2026-02", "2026-03", "2026-04"],
        [False] * 9 + [True],
    )
    latest, before = same_months_year_before(frame)
    assert list(latest["month_start"].dt.strftime("%Y-%m")) == ["2026-01", "2026-02", "2026-03"]
    assert list(before["month_start"].dt.strftime("%Y-%m")) == ["2025-01", "2025-02", "2025-03"]
    assert latest["launched"].sum() == 7 + 8 + 9 and before["launched"].sum() == 1 + 2 + 3


def test_same_months_year_before_leaves_out_months_the_year_before_lacks():
    # The year before starts in March, so only March of it matches 2026's Feb-Mar.
    frame = monthly(["2025-03", "2025-04", "2026-02", "2026-03"], [True, False, False, False])
    latest, before = same_months_year_before(frame)
    assert list(latest["month_start"].dt.month) == [2, 3]
    assert list(before["month_start"].dt.strftime("%Y-%m")) == ["2025-03"]  # a partial month the year before counts


def test_month_bars_centres_each_bar_in_its_month_and_hatches_partial_months():
    fig, ax = plt.subplots()
    starts = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    bars = charts.month_bars(ax, starts, [5, 7], [False, True], color="#000000")
    # Centre at the 15th (start + 14 days); 24 days wide, so the bar runs from the 3rd to the 27th.
    first, second = bars.patches
    assert mdates.num2date(first.get_x()).strftime("%Y-%m-%d") == "2024-01-03"
    assert first.get_width() == 24 and second.get_height() == 7
    assert first.get_hatch() is None and second.get_hatch() == "////"
    assert first.get_edgecolor() == (1.0, 1.0, 1.0, 1.0)
    plt.close(fig)


def test_half_year_axis_ticks_january_and_july_with_the_format_given():
    fig, ax = plt.subplots()
    ax.plot(pd.to_datetime(["2023-03-01", "2024-09-01"]), [0, 1])
    charts.half_year_axis(ax.xaxis, "%b\n%Y")
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert shown == ["Jul\n2023", "Jan\n2024", "Jul\n2024"]
    plt.close(fig)


def test_thousands_writes_tick_labels_with_separators():
    fig, ax = plt.subplots()
    charts.thousands(ax.yaxis)
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(4000, 0) == "4,000" and formatter(12345.6, 0) == "12,346" and formatter(0, 0) == "0"
    plt.close(fig)
