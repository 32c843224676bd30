"""The trade chapter's calculations (iranrussia.trade), against small tables worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from iranrussia import load, trade


def rows(*records) -> pd.DataFrame:
    columns = [
        "reporter",
        "period_label",
        "period_type",
        "calendar",
        "period_start",
        "period_end",
        "flow",
        "value_musd",
        "value_qualifier",
        "source",
        "note",
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame[["period_start", "period_end"]] = frame[["period_start", "period_end"]].apply(pd.to_datetime)
    return frame


def year(reporter, label, flow, value, source="a-2020", qualifier="as_reported", kind="calendar_year"):
    start, end = ("2020-01-01", "2020-06-30") if kind == "partial_period" else (f"{label}-01-01", f"{label}-12-31")
    return (reporter, label, kind, "gregorian", start, end, flow, value, qualifier, source, "x")


def test_book_sums_add_one_sources_two_flows_where_it_gave_no_total():
    table = rows(
        year("r", "2020", "russia_to_iran", 300.0),
        year("r", "2020", "iran_to_russia", 45.5),
        year("r", "2021", "russia_to_iran", 10.0),
        year("r", "2021", "iran_to_russia", 5.0),
        year("r", "2021", "total", 20.0),
    )
    sums = trade.book_sums(table)
    assert len(sums) == 1  # 2021 has a published total: no sum
    total = sums.iloc[0]
    assert (total["period_label"], total["flow"], total["value_musd"]) == ("2020", "total", 345.5)
    assert total["value_qualifier"] == "book_calculation" and total["note"] == trade.BOOK_SUM_NOTE
    assert list(sums.columns) == list(table.columns)


def test_book_sums_never_add_two_sources_a_partial_period_or_a_duplicated_flow():
    table = rows(
        year("r", "2020", "russia_to_iran", 300.0, source="a-2020"),
        year("r", "2020", "iran_to_russia", 45.0, source="b-2021"),
        year("s", "2020-H1", "russia_to_iran", 1.0, kind="partial_period"),
        year("s", "2020-H1", "iran_to_russia", 2.0, kind="partial_period"),
        year("t", "2020", "russia_to_iran", 1.0),
        year("t", "2020", "russia_to_iran", 2.0),
        year("t", "2020", "iran_to_russia", 3.0),
    )
    assert trade.book_sums(table).empty


def test_book_sums_take_other_parts_and_groupings():
    table = rows(year("r", "2020", "exports", 7.0, source="a-2020"), year("r", "2020", "imports", 3.0, source="b-2021"))
    sums = trade.book_sums(table, parts=("exports", "imports"), by=("period_label",))
    assert list(sums["value_musd"]) == [10.0]
    assert len(trade.with_book_sums(table, parts=("exports", "imports"), by=("period_label",))) == 3


def test_book_sums_take_a_note_made_from_the_row():
    table = rows(year("r", "2011", "russia_to_iran", 3599.0), year("r", "2011", "iran_to_russia", 1.0))
    sums = trade.book_sums(table, note=lambda row: f"Sum for {row['period_label']}.")
    assert sums[["flow", "value_musd", "note"]].values.tolist() == [["total", 3600.0, "Sum for 2011."]]


def test_period_text_says_what_each_kind_of_period_is():
    row = {
        "period_label": "1402",
        "period_type": "iranian_year",
        "calendar": "iranian",
        "period_start": pd.Timestamp("2023-03-21"),
        "period_end": pd.Timestamp("2024-03-19"),
    }
    assert trade.period_text(row) == "1402 (Iranian year: 21 Mar 2023–19 Mar 2024)"
    part = row | {
        "period_label": "1400-M01..M11",
        "period_type": "partial_period",
        "period_start": pd.Timestamp("2021-03-21"),
        "period_end": pd.Timestamp("2022-02-19"),
    }
    assert trade.period_text(part) == "1400-M01..M11 (part of Iranian year 1400: 21 Mar 2021–19 Feb 2022)"
    assert trade.period_text(row | {"period_label": "2021", "period_type": "calendar_year"}) == "2021 (calendar year)"
    half = row | {"period_label": "2022-H1", "period_type": "partial_period", "calendar": "gregorian"}
    assert trade.period_text(half).startswith("2022-H1 (part year: ")


KINDS = {"calendar_year": "calendar year", "iranian_year": "Iranian year", "partial_period": "part year"}


def test_periods_compared_counts_the_shared_days():
    calendar = {
        "period_type": "calendar_year",
        "period_start": pd.Timestamp("2021-01-01"),
        "period_end": pd.Timestamp("2021-12-31"),
    }
    iranian = {
        "period_type": "iranian_year",
        "period_start": pd.Timestamp("2021-03-21"),
        "period_end": pd.Timestamp("2022-03-20"),
    }
    # 21 March to 31 December 2021: 11 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 = 286 days of 365.
    assert (
        trade.periods_compared(calendar, iranian, KINDS) == "calendar year vs Iranian year: they share 286 of 365 days"
    )
    assert trade.periods_compared(calendar, dict(calendar), KINDS) == "same calendar year"


def test_figure_text_names_who_stands_behind_a_figure():
    row = {"reporter": "r", "period_label": "2023", "value_qualifier": "more_than"}
    assert trade.figure_text(row, None, {"r": "Officials"}) == "Officials, 2023, lower bound"
    assert trade.figure_text(row, "Russian data via X", {"r": "Officials"}) == "Russian data via X, 2023, lower bound"
    assert trade.figure_text(row | {"value_qualifier": "as_reported"}, pd.NA, {"r": "Officials"}) == "Officials, 2023"


def test_comparisons_of_the_books_table():
    bilateral = load("trade_bilateral")
    pairs = trade.comparisons(trade.with_book_sums(bilateral), load("trade_comparisons"))
    same_1399 = pairs.loc["irica_irica_1399_ir_ru"]
    assert same_1399["periods"] == "same Iranian year" and same_1399["group"] == "Same side, different publishers"
    # The book's sum of Iran's TPO flows for 1402 is the denominator of the 2023 total pair.
    assert pairs.loc["russia_tpo_2023_total", "second"].endswith("book's sum of the two flows")
    assert (pairs["factor"] >= 1).all() and len(pairs) == 14


def test_comparisons_refuse_a_pair_whose_year_is_wrong():
    compared = load("trade_comparisons").copy()
    compared.loc[0, "year"] = 1999
    with pytest.raises(ValueError, match="begins in 2005, not 1999"):
        trade.comparisons(trade.with_book_sums(load("trade_bilateral")), compared)
