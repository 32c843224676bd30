"""The chapters' shared helpers (iranrussia.chapter), each against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iranrussia import chapter
from iranrussia.data import Column, Manifest
from iranrussia.page import Markup

ROWS = pd.DataFrame({"reporter": ["a", "a", "b"], "year": ["2022", "2023", "2023"], "value": [1.0, 2.0, 3.0]})


def frame_with(columns: list[Column], data: dict) -> pd.DataFrame:
    """A frame carrying a manifest, as load() returns it."""
    manifest = Manifest(
        name="sample",
        title="Sample",
        description="A sample.",
        path=Path("sample.csv"),
        sha256="0",
        producer="Us",
        licence={"name": "CC BY 4.0", "url": "https://example.org"},
        credit="Us.",
        primary_key=(columns[0].name,),
        columns=tuple(columns),
        manifest_path=Path("sample.yml"),
    )
    frame = pd.DataFrame(data)
    frame.attrs["manifest"] = manifest
    return frame


# pick


def test_pick_returns_the_one_matching_row():
    assert chapter.pick(ROWS, reporter="a", year="2023")["value"] == 2.0


@pytest.mark.parametrize("match, found", [({"reporter": "a"}, 2), ({"reporter": "c"}, 0)])
def test_pick_refuses_anything_but_one_row(match, found):
    with pytest.raises(LookupError, match=f"^{found} rows match"):
        chapter.pick(ROWS, **match)


# numbers


@pytest.mark.parametrize(
    "value, spec, text", [(-0.17, ".0%", "−17%"), (0.25, ".0%", "+25%"), (12.34, ".1f", "+12.3"), (0, ".0f", "+0")]
)
def test_signed_always_shows_the_sign_and_a_true_minus(value, spec, text):
    assert chapter.signed(value, spec) == text


def test_pct_writes_a_fraction_as_a_percentage():
    assert chapter.pct(0.257) == "26%"
    assert chapter.pct(0.257, 1) == "25.7%"
    assert chapter.pct(1.5) == "150%"


def test_percent_writes_a_value_already_in_percent():
    assert chapter.percent(12.0) == "12%"
    assert chapter.percent(7.5) == "7.5%"
    assert chapter.percent(0.25) == "0.25%"


@pytest.mark.parametrize(
    "style, value, text",
    [
        ("count", 14, "14"),
        ("count", 3.0, "3"),
        ("number", 4012.4, "4,012"),
        ("number", 2619.5, "2,620"),
        ("number1", 108.54, "108.5"),
        ("ratio", 2.06, "2.1"),
        ("percent1", 0.63, "0.6%"),
        ("share", 0.4, "40%"),
        ("change", -0.174, "−17%"),
        ("change1", -0.0433, "−4.3%"),
        ("growth", 12.2, "+12%"),
        ("growth", -9.6, "−10%"),
        ("date", pd.Timestamp("2026-03-05"), "5 March 2026"),
        ("month", pd.Timestamp("2026-03-05"), "March 2026"),
        ("year", pd.Timestamp("2026-03-05"), "2026"),
    ],
)
def test_each_standard_format(style, value, text):
    assert chapter.formatted(style, value) == text


def test_a_count_must_be_whole_and_a_format_must_exist():
    with pytest.raises(ValueError, match="not a whole number"):
        chapter.formatted("count", 2.5)
    with pytest.raises(KeyError, match="no format 'thousands'"):
        chapter.formatted("thousands", 1)


def test_glue_as_glues_each_value_formatted(monkeypatch):
    glued = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: glued.append((name, value, display)))
    chapter.glue_as("number", low=1234.4, high=5678.9)
    chapter.glue_text(who="Russian customs")
    assert glued == [("low", "1,234", False), ("high", "5,679", False), ("who", "Russian customs", False)]


def test_glue_text_takes_only_text(monkeypatch):
    monkeypatch.setattr("myst_nb.glue", lambda *a, **k: None)
    with pytest.raises(TypeError, match="glue_as"):
        chapter.glue_text(n=3)


# dates


@pytest.mark.parametrize(
    "precision, padded, text",
    [
        ("day", False, "5 Mar 2026"),
        ("day", True, "05 Mar 2026"),
        ("report_day", True, "05 Mar 2026"),
        ("month", False, "Mar 2026"),
        ("month", True, "Mar 2026"),
        ("year", False, "2026"),
        ("by_date", False, "by 5 Mar 2026"),
    ],
)
def test_date_text_writes_a_date_at_its_precision(precision, padded, text):
    assert chapter.date_text(pd.Timestamp("2026-03-05"), precision, padded=padded) == text


def test_date_text_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="unknown date precision 'week'"):
        chapter.date_text(pd.Timestamp("2026-03-05"), "week")


# labels and sources


def test_labels_come_from_the_manifests_labelled_enum():
    flow = Column(
        name="flow",
        type="string",
        description="Direction.",
        enum=("in", "out"),
        labels={"in": "Imports", "out": "Exports"},
    )
    frame = frame_with([flow], {"flow": ["in"]})
    assert chapter.labels(frame, "flow") == {"in": "Imports", "out": "Exports"}


def test_labels_of_a_plain_column_are_an_error():
    frame = frame_with(
        [Column(name="flow", type="string", description="Direction.", enum=("in", "out"))], {"flow": ["in"]}
    )
    with pytest.raises(KeyError, match="no labelled enum"):
        chapter.labels(frame, "flow")


def test_labels_read_a_book_table_by_name():
    names = chapter.labels("trade_bilateral", "reporter")
    assert names["russia_customs_fcs"] == "Russian customs (FCS)"


def sourced() -> pd.DataFrame:
    columns = [
        Column(name="id", type="string", description="Id."),
        Column(name="source", type="string", description="Keys.", source_keys=True),
        Column(name="status_source", type="string", description="Keys.", source_keys=True),
        Column(name="note", type="string", description="Free text."),
    ]
    return frame_with(
        columns,
        {
            "id": ["x", "y"],
            "source": ["zeta-2024-b; alpha-2020-a", "alpha-2020-a"],
            "status_source": ["mid-2022-c", None],
            "note": ["not-a-key", "ignored"],
        },
    )


def test_keys_of_reads_every_source_key_column_in_first_use_order():
    assert chapter.keys_of(sourced()) == ["zeta-2024-b", "alpha-2020-a", "mid-2022-c"]


def test_sources_cites_every_key_once_in_alphabetical_order():
    assert chapter.sources(sourced()) == "{cite:p}`alpha-2020-a,mid-2022-c,zeta-2024-b`"


def test_cite_each_gives_one_role_per_key_and_refuses_a_malformed_key():
    assert chapter.cite_each(["b-2020", "a-2021"]) == "{cite}`b-2020`, {cite}`a-2021`"
    with pytest.raises(ValueError, match="not a bibliography key"):
        chapter.cite_each(["a`}<script>"])


def test_source_lines_give_one_paragraph_per_labelled_frame():
    text = chapter.source_lines([("Deals", sourced()), ("Polls <b>", sourced())])
    assert isinstance(text, Markup)
    first = "{cite}`zeta-2024-b`, {cite}`alpha-2020-a`, {cite}`mid-2022-c`."
    assert text == f"Deals: {first}\n\nPolls \\<b\\>: {first}"


def test_where_keeps_every_matching_row_in_order_and_takes_lists_as_any_of():
    assert list(chapter.where(ROWS, year="2023")["value"]) == [2.0, 3.0]
    assert list(chapter.where(ROWS, reporter=["b", "c"])["value"]) == [3.0]
    assert list(chapter.where(ROWS, reporter=("a", "b"), year="2022")["value"]) == [1.0]
    assert chapter.where(ROWS, reporter="c").empty
