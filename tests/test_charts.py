"""The chart helper enforces the book's chart anatomy."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from iranrussia import charts, figuredata, page, read_manifest  # noqa: E402


def test_figure_without_units_is_refused():
    with pytest.raises(ValueError, match="units"):
        charts.figure("A title", units=" ")


def test_finish_refuses_a_figure_made_without_a_title():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="no title"):
        charts.finish(fig, tables=["events"])
    plt.close(fig)


def test_finish_adds_the_tables_credit_line():
    fig, ax = charts.figure("Events", units="events per year")
    charts.finish(fig, tables=["events"], note="Counts are the book's own.")
    texts = [t.get_text().replace("\n", " ") for t in fig.texts]
    plt.close(fig)
    credit = read_manifest("events").credit
    assert any(t.startswith("Source: ") and credit in t and "Counts are the book's own." in t for t in texts)


PLOTTED = pd.DataFrame(
    {"year": [2022, 2023], "events": [0.1 + 0.2, 4.5], "first": pd.to_datetime(["2022-02-24", None])}
)


def test_show_finishes_the_figure_then_shows_it(monkeypatch):
    fig, ax = charts.figure("Events", units="events per year")
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append([t.get_text().replace("\n", " ") for t in fig.texts]))
    assert charts.show(fig, tables=["events"], data=PLOTTED, note="Counts are the book's own.") is None
    plt.close(fig)
    assert len(shown) == 1, "shown once"
    credit = read_manifest("events").credit
    assert [t for t in shown[0] if t.startswith("Source: ") and credit in t and "Counts are the book's own." in t]


def test_show_refuses_a_figure_made_without_a_title_before_showing_it(monkeypatch):
    fig, _ = plt.subplots()
    monkeypatch.setattr(plt, "show", lambda: pytest.fail("a figure without a title was shown"))
    with pytest.raises(ValueError, match="no title"):
        charts.show(fig, tables=["events"], data=PLOTTED)
    plt.close(fig)


def test_the_chart_data_is_the_plotted_values_under_the_chart_anatomy():
    fig, ax = charts.figure("Events a year,\nsince 2022", units="events per year")
    charts.finish(fig, tables=["events"], note="Counts are ours.")
    header, columns, rows = figuredata.read_csv_text(
        charts.data_csv(fig, PLOTTED, tables=["events"], note="Counts are ours.")
    )
    plt.close(fig)
    assert header["Chart"] == "Events a year, since 2022"  # one comment line whatever the title's breaks
    assert header["Units"] == "events per year"
    assert header["Source"] == charts.source_line(["events"], "Counts are ours.").removeprefix("Source: ")
    assert header["Tables"].startswith("events")
    # cells written as the book's tables write theirs: numbers plainly, dates as dates, missing as empty
    assert columns == ["year", "events", "first"]
    assert rows == [["2022", "0.3", "2022-02-24"], ["2023", "4.5", ""]]  # 0.3, not 0.30000000000000004


@pytest.mark.parametrize(
    "data",
    [None, pd.DataFrame(), pd.DataFrame({"a": []}), pd.DataFrame([[1, 2]]), pd.DataFrame([[1, 2]], columns=["a", "a"])],
)
def test_a_chart_without_named_plotted_values_is_refused(data):
    fig, _ = charts.figure("Events", units="events per year")
    with pytest.raises(ValueError, match="data"):
        charts.data_csv(fig, data, tables=["events"])
    plt.close(fig)


def test_figure_data_reads_each_chart_cells_csv_by_figure_name():
    text = figuredata.csv_text([("Chart", "A")], ["x"], [["1"]])
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {
                "cell_type": "code",
                "metadata": {"mystnb": {"figure": {"name": "fig-a"}}},
                "outputs": [{"output_type": "display_data", "data": {figuredata.MIMETYPE: text.splitlines(True)}}],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "display_data", "data": {"text/plain": "x"}}],
            },
        ]
    }
    assert figuredata.figure_data(notebook) == {"fig-a": text}


def test_source_line_needs_a_table():
    with pytest.raises(ValueError, match="at least one"):
        charts.source_line([])


def test_style_has_opaque_light_background_and_safe_palette():
    charts.use_style()
    for key in ("figure.facecolor", "axes.facecolor", "savefig.facecolor"):
        red, green, blue, alpha = mcolors.to_rgba(matplotlib.rcParams[key])
        assert alpha == 1.0 and min(red, green, blue) > 0.9, key
    assert not matplotlib.rcParams["savefig.transparent"]
    cycle = [c.lower() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.lower() for c in charts.PALETTE.values()]


def test_source_line_is_the_table_credit_and_the_book_name():
    line = charts.source_line(["events"], note="Counts are ours.")
    assert line == f"{page.credit_text(['events'], 'Counts are ours.')} Chart: {charts.BOOK_NAME}."
    assert line.startswith("Source: ")
    assert line.endswith("Counts are ours. Chart: Iran–Russia relations: an open data book.")


def test_period_figures_draw_a_bar_across_the_period_and_a_marker_styled_by_qualifier():
    fig, ax = plt.subplots()
    rows = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "period_end": pd.to_datetime(["2020-12-31", "2021-12-31"]),
            "mid": pd.to_datetime(["2020-07-01", "2021-07-01"]),
            "value": [5.0, 7.0],
            "colour": ["#0072B2", "#D55E00"],
            "marker": ["s", "s"],
            "value_qualifier": ["approximately", "more_than"],
        }
    )
    charts.period_figures(ax, rows, "value")
    bar, marker, _, lower_bound = ax.lines
    assert list(bar.get_ydata()) == [5.0, 5.0] and bar.get_alpha() == 0.5
    assert marker.get_marker() == "s" and marker.get_markerfacecolor() == "white"
    assert lower_bound.get_marker() == "^" and lower_bound.get_color() == "#D55E00"
    plt.close(fig)


def test_legend_keys_annotations_and_axes():
    fig, ax = plt.subplots()
    key = charts.marker_key("lower bound", "^", markersize=7)
    assert (key.get_marker(), key.get_linestyle(), key.get_color(), key.get_label()) == (
        "^",
        "None",
        "#444444",
        "lower bound",
    )
    line = charts.line_key("Route", "#000000")
    assert line.get_linewidth() == 2.5 and line.get_linestyle() == "-"
    legend = charts.legend(ax, [key, line], "Marker", loc="upper left")
    assert legend.get_title().get_text() == "Marker" and legend.get_title().get_fontsize() == 8
    assert [t.get_fontsize() for t in legend.get_texts()] == [8, 8]
    note = charts.annotate(ax, "year not stated", (1, 2), (0, -9), ha="center")
    assert (note.xyann, note.get_fontsize(), note.get_ha()) == ((0, -9), 8, "center")
    charts.year_axis(ax, "1992", "2027", step=5)
    assert [round(x) for x in ax.get_xlim()] == [round(mdates.date2num(pd.Timestamp(d))) for d in ("1992", "2027")]
    charts.grid_only(ax, "x")
    assert ax.xaxis._major_tick_kw["gridOn"] and not ax.yaxis._major_tick_kw["gridOn"]
    plt.close(fig)
