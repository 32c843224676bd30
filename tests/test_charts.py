"""The chart helper enforces the book's chart anatomy."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from iranrussia import charts, read_manifest  # noqa: E402


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
