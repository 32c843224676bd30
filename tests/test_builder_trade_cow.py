"""Offline tests of builders/trade_cow.py on small hand-made fixtures (no /work/shared needed)."""

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from builders import trade_common, trade_cow
from builders.common import write_tables
from iranrussia.data import file_sha256, load

FIX = Path(__file__).parent / "fixtures" / "trade"


@pytest.fixture
def ndy():
    return pd.read_csv(FIX / "cow_ndy_sample.csv")


def _value(df, **match):
    sel = df
    for col, val in match.items():
        sel = sel[sel[col] == val]
    assert len(sel) == 1, f"expected one row for {match}, found {len(sel)}"
    return float(sel["value_musd"].iloc[0])


def test_bilateral_direction_and_total(ndy):
    rows = trade_cow.bilateral_rows(ndy)
    # 1992 in the fixture: Iran imports from Russia 258, Russia imports from Iran 48 -> total 306.
    assert _value(rows, period_label="1992", flow="russia_to_iran") == 258
    assert _value(rows, period_label="1992", flow="iran_to_russia") == 48
    assert _value(rows, period_label="1992", flow="total") == 306
    # 2014: 1460 + 352 = 1812.
    assert _value(rows, period_label="2014", flow="total") == 1812


def test_bilateral_year_window_and_missing_flow(ndy):
    rows = trade_cow.bilateral_rows(ndy)
    assert "1991" not in set(rows["period_label"])  # USSR year outside 1992-2014
    y1993 = rows[rows["period_label"] == "1993"]
    assert set(y1993["flow"]) == {"russia_to_iran"}  # missing flow -> no flow row, no total
    assert len(rows) == 3 + 1 + 3


def test_bilateral_metadata(ndy):
    rows = trade_cow.bilateral_rows(ndy)
    assert set(rows["reporter"]) == {"cow_imf_dots"}
    assert set(rows["period_type"]) == {"calendar_year"}
    r = rows[rows["period_label"] == "2014"].iloc[0]
    assert (r["period_start"], r["period_end"]) == (dt.date(2014, 1, 1), dt.date(2014, 12, 31))
    assert all("cow-trade-v4" in s.split(";") for s in rows["source"])


def test_totals_are_marked_as_the_books_calculation(ndy):
    # COW publishes the two flows; the total is our sum, so its qualifier must not claim it was reported.
    rows = trade_cow.bilateral_rows(ndy)
    totals, flows = rows[rows["flow"] == "total"], rows[rows["flow"] != "total"]
    assert set(totals["value_qualifier"]) == {"book_calculation"}
    assert set(flows["value_qualifier"]) == {"as_reported"}
    assert all(note.startswith("Book's calculation") for note in totals["note"])
    partners = trade_cow.partner_rows(
        pd.read_csv(FIX / "cow_partners_sample.csv"), pd.read_csv(FIX / "cow_sy_sample.csv")
    )
    assert set(partners.loc[partners["flow"] == "total", "value_qualifier"]) == {"book_calculation"}
    assert set(partners.loc[partners["flow"] != "total", "value_qualifier"]) == {"as_reported"}


@pytest.mark.parametrize("table", ["trade_bilateral", "trade_partners"])
def test_derived_rows_pass_their_manifest(scratch_manifests, ndy, table):
    # Written through the real manifest: every column, enum, key and source key checked before the write.
    rows = (
        trade_cow.bilateral_rows(ndy)
        if table == "trade_bilateral"
        else trade_cow.partner_rows(
            pd.read_csv(FIX / "cow_partners_sample.csv"), pd.read_csv(FIX / "cow_sy_sample.csv")
        )
    )
    data_dir = scratch_manifests(table)
    assert write_tables({table: rows}, data_dir=data_dir, say=lambda _: None) == 0
    assert len(load(table, data_dir=data_dir)) == len(rows)


def test_partner_rows():
    dyads = pd.read_csv(FIX / "cow_partners_sample.csv")
    national = pd.read_csv(FIX / "cow_sy_sample.csv")
    rows = trade_cow.partner_rows(dyads, national)
    china = rows[(rows["country"] == "iran") & (rows["partner"] == "china")]
    assert _value(china, flow="imports") == 574
    assert _value(china, flow="exports") == 1817  # China's imports from Iran = mirror of Iran's exports
    assert _value(china, flow="total") == 2391
    kaz = rows[(rows["country"] == "russia") & (rows["partner"] == "kazakhstan")]
    assert _value(kaz, flow="total") == 4636
    assert "germany" not in set(rows["partner"])  # not one of the chapter's partners
    iraq = rows[rows["partner"] == "iraq"]
    assert set(iraq["flow"]) == {"imports"}  # missing mirror flow -> no exports, no total
    assert "gap in COW" in iraq["note"].iloc[0]
    world = rows[(rows["country"] == "iran") & (rows["partner"] == "world")]
    assert _value(world, flow="total") == pytest.approx(43552.75)
    assert not ((rows["partner"] == "world") & (rows["country"] == "russia")).any()  # 1990 row dropped


def test_missing_column_is_reported(ndy):
    with pytest.raises(trade_cow.CowInputError, match="russia_imports_from_iran_musd"):
        trade_cow.bilateral_rows(ndy.drop(columns=["russia_imports_from_iran_musd"]))


def test_rerun_keeps_hand_rows(scratch_manifests, ndy):
    raw = scratch_manifests("trade_bilateral", "trade_partners") / "raw"
    raw.mkdir()
    for name, fixture in (
        (trade_cow.NDY_FILE, "cow_ndy_sample.csv"),
        (trade_cow.PARTNERS_FILE, "cow_partners_sample.csv"),
        (trade_cow.SY_FILE, "cow_sy_sample.csv"),
    ):
        (raw / name).write_text((FIX / fixture).read_text())
    data_dir = raw.parent
    hand = pd.DataFrame(
        [
            {
                "period_label": "2021",
                "period_type": "calendar_year",
                "calendar": "gregorian",
                "period_start": dt.date(2021, 1, 1),
                "period_end": dt.date(2021, 12, 31),
                "reporter": "russia_customs_fcs",
                "flow": "russia_to_iran",
                "value_musd": 3070,
                "value_qualifier": "as_reported",
                "source": "cow-trade-v4",
                "note": "hand row",
            }
        ]
    )
    partners = trade_cow.partner_rows(
        pd.read_csv(FIX / "cow_partners_sample.csv"), pd.read_csv(FIX / "cow_sy_sample.csv")
    )
    write_tables({"trade_bilateral": hand, "trade_partners": partners}, data_dir=data_dir, say=lambda _: None)
    args = argparse.Namespace(raw_dir=raw, data_dir=data_dir)
    for _ in range(2):  # a second run must not duplicate anything
        write_tables(trade_cow.build(args), data_dir=data_dir, say=lambda _: None)
    out = load("trade_bilateral", data_dir=data_dir)
    assert (out["reporter"] == "russia_customs_fcs").sum() == 1
    assert (out["reporter"] == "cow_imf_dots").sum() == 7
    assert f"sha256: {file_sha256(data_dir / 'trade_bilateral.csv')}" in (data_dir / "trade_bilateral.yml").read_text()
    # and a check of a third build finds the files as the second left them
    assert write_tables(trade_cow.build(args), data_dir=data_dir, check=True, say=lambda _: None) == 0


@pytest.mark.parametrize(
    "year,start,end",
    [
        (1399, dt.date(2020, 3, 20), dt.date(2021, 3, 20)),
        (1400, dt.date(2021, 3, 21), dt.date(2022, 3, 20)),
        (1402, dt.date(2023, 3, 21), dt.date(2024, 3, 19)),
        (1403, dt.date(2024, 3, 20), dt.date(2025, 3, 20)),
        (1405, dt.date(2026, 3, 21), dt.date(2027, 3, 20)),
    ],
)
def test_iranian_year_bounds(year, start, end):
    assert trade_common.iranian_year_bounds(year) == (start, end)


def test_check_iranian_rows_rejects_wrong_dates():
    bad = pd.DataFrame(
        [
            {
                "period_label": "1402",
                "period_type": "iranian_year",
                "period_start": "2023-03-21",
                "period_end": "2024-03-20",
            }
        ]
    )
    with pytest.raises(ValueError, match="1402"):
        trade_common.check_iranian_rows(bad)
