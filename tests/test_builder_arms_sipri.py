"""Offline tests of builders/arms_sipri.py on hand-made SIPRI-format fixtures, and of the committed table.

Every expected number below was worked out by hand from the rows in tests/fixtures/arms/ (see the
comments); none is copied from the builder's output. The last tests read only data/arms_*.csv.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from builders import arms_sipri as sb

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "arms"
DATA = ROOT / "data"

FIXTURE_CONFIG = (
    sb.Export(2024, "transfers", "sipri_transfers_fixture.csv"),
    sb.Export(2024, "tiv_import", "sipri_tiv_import_fixture.csv"),
    sb.Export(2024, "tiv_export", "sipri_tiv_export_fixture.csv"),
    sb.Export(2025, "register", "sipri_register_2025_fixture.csv"),
    sb.Export(2026, "register", "sipri_register_2026_fixture.csv"),
)


@pytest.fixture(scope="module")
def tables():
    return sb.build_all(FIX, FIXTURE_CONFIG)


def cell(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for col, value in match.items():
        sel = sel[sel[col].astype(str) == str(value)]
    assert len(sel) == 1, f"expected one row for {match}, found {len(sel)}"
    return sel.iloc[0]


# ----------------------------------------------------------------------------- reading / parsing ----

def test_header_block_is_skipped_and_generation_date_read():
    meta, body = sb.split_export(sb.read_text(FIX / "sipri_transfers_fixture.csv"), sb.HEADER_PREFIX["transfers"])
    assert meta["header_lines"] == 11          # 8 explanatory lines, a blank, 'Source:', 'Data generated:'
    assert meta["generated"] == dt.date(2024, 4, 13)
    assert body.startswith("SIPRI AT Database ID,")


def test_semicolon_crlf_layout_parses_like_the_plain_one():
    plain = sb.load_export(FIX / "sipri_transfers_fixture.csv", "transfers")[1]
    meta, semi = sb.load_export(FIX / "sipri_transfers_semicolon_fixture.csv", "transfers")
    assert meta["generated"] == dt.date(2026, 2, 12)
    assert len(semi) == 10
    assert semi["tiv"].tolist() == plain["tiv"].tolist()
    assert semi["Local production"].tolist() == ["No"] * 10     # no ';' left on the last column


def test_register_blank_columns_named_and_latin1_decoded():
    _, reg = sb.load_export(FIX / "sipri_register_2026_fixture.csv", "register")
    assert "Year of order uncertain" in reg.columns
    assert "Number delivered uncertain" in reg.columns
    assert "Côte d'Ivoire" in reg["Recipient"].tolist()
    assert len(reg) == 11


def test_tiv_table_zero_and_empty_cells():
    _, t = sb.load_export(FIX / "sipri_tiv_export_fixture.csv", "tiv_export")
    iran = t[t["entity"] == "Iran"].set_index("year")
    assert iran.loc[2023, "value"] == 0.0 and iran.loc[2023, "cell"] == "0"   # '0 ' = below 0.5
    assert pd.isna(iran.loc[1990, "value"])                                  # empty = none identified


# ------------------------------------------------------------------------------ annual table ----

def test_annual_book_sums_by_hand(tables):
    a = tables["arms_tiv_annual"]
    book = a[a["calculation"] == "book_sum"]
    # USSR -> Iran 1990: MiG-29 289.1 + R-73 15 = 304.1
    assert cell(book, supplier="Soviet Union", recipient="Iran", year=1990)["tiv_millions"] == "304.1"
    # Russia -> Iran 1993: T-72M1 130 + second Kilo 220 = 350 (two delivery rows)
    r93 = cell(book, supplier="Russia", recipient="Iran", year=1993)
    assert (r93["tiv_millions"], r93["n_delivery_rows"]) == ("350", "2")
    # all suppliers -> Iran 1992: Kilo 220 + China's C-802 15 = 235
    assert cell(book, supplier="All suppliers", recipient="Iran", year=1992)["tiv_millions"] == "235"
    # Russia -> everyone 1993: 350 to Iran + 80 to India = 430
    assert cell(book, supplier="Russia", recipient="All recipients", year=1993)["tiv_millions"] == "430"
    # Iran -> Russia 2022: 10 Shahed-136 x 0.2 = 2, plus 20 Mohajer-6 x 0.15 = 3: 5
    assert cell(book, supplier="Iran", recipient="Russia", year=2022)["tiv_millions"] == "5"
    # Russia's imports 2023: only North Korea's 5 Hwasong-11 x 2.5 = 12.5; Iran delivered nothing that year
    assert cell(book, supplier="All suppliers", recipient="Russia", year=2023)["tiv_millions"] == "12.5"
    assert cell(book, supplier="North Korea", recipient="Russia", year=2023)["tiv_millions"] == "12.5"
    nk22 = cell(book, supplier="North Korea", recipient="Russia", year=2022)
    assert (nk22["tiv_millions"], nk22["no_deliveries_identified"]) == ("0", "true")
    assert cell(book, supplier="Iran", recipient="Russia", year=2023)["no_deliveries_identified"] == "true"
    # no row for USSR -> Iran in 1991: zero, flagged
    r91 = cell(book, supplier="Soviet Union", recipient="Iran", year=1991)
    assert (r91["tiv_millions"], r91["no_deliveries_identified"]) == ("0", "true")


def test_annual_table_rows_copied_from_sipri(tables):
    a = tables["arms_tiv_annual"]
    tab = a[a["calculation"] == "sipri_table"]
    r = cell(tab, supplier="All suppliers", recipient="Iran", year=1990)
    assert (r["tiv_millions"], r["sipri_generated"], r["source"]) == ("304", "2024-10-13", "sipri-atdb-2024")
    empty = cell(tab, supplier="All suppliers", recipient="Iran", year=1991)
    assert empty["no_deliveries_identified"] == "true"
    # Russia's imports are copied from 2022 on only: 5 (2022) and 13 (2023, SIPRI's rounding of 12.5)
    russia = tab[(tab["supplier"] == "All suppliers") & (tab["recipient"] == "Russia")]
    assert russia["year"].tolist() == [2022, 2023] and russia["tiv_millions"].tolist() == ["5", "13"]
    # releases never merge: every row names one release and one calculation
    assert set(a["sipri_release"]) == {"2024"}
    assert set(a["calculation"]) == {"book_sum", "sipri_table"}


def test_validate_annual_rejects_disagreeing_sum(tables):
    bad = tables["arms_tiv_annual"].copy()
    idx = bad[(bad["calculation"] == "book_sum") & (bad["supplier"] == "All suppliers")
              & (bad["year"] == 1993)].index
    bad.loc[idx, "tiv_millions"] = "352"     # table says 350
    with pytest.raises(ValueError, match="differ"):
        sb.validate_annual(bad)


# ------------------------------------------------------------------------------ period tables ----

def test_five_year_periods():
    assert sb.five_year_periods(1990, 2023) == [(1990, 1994), (1995, 1999), (2000, 2004), (2005, 2009),
                                                (2010, 2014), (2015, 2019)]
    assert sb.five_year_periods(1993, 2004) == [(1995, 1999), (2000, 2004)]


def test_iran_imports_by_supplier_by_hand(tables):
    imp = tables["arms_iran_imports_by_supplier"]
    first = imp[imp["period_start"] == "1990"]
    assert set(first["supplier"]) == {"Soviet Union", "Russia", "China"}
    assert cell(first, supplier="Russia")["tiv_millions"] == "570"          # 220 + 130 + 220
    assert cell(first, supplier="Soviet Union")["tiv_millions"] == "304.1"
    assert cell(first, supplier="China")["tiv_millions"] == "15"


def test_russia_exports_by_recipient_by_hand(tables):
    ex = tables["arms_russia_exports_by_recipient"]
    first = ex[ex["period_start"] == "1990"]
    assert cell(first, supplier="Russia", recipient="India")["tiv_millions"] == "80"
    assert cell(first, supplier="Russia", recipient="Iran")["tiv_millions"] == "570"
    assert "China" not in set(first["supplier"])          # only Soviet/Russian exports


# ------------------------------------------------------------------------------- deal register ----

def test_condense_years_and_status_rules():
    assert sb.condense_years([1993, 1994, 1996, 1997, 1998]) == "1993-1994, 1996-1998"
    assert sb.condense_years([2016]) == "2016"
    assert sb.deal_status("24", "6") == "partial"
    assert sb.deal_status("", "6600") == "partial"
    assert sb.deal_status("4", "4") == "delivered"
    assert sb.deal_status("", "0") == "ordered"


def test_deals_by_hand(tables):
    d = tables["arms_deals"]
    # 8 in-scope rows of the 2026 register + Shahed-238 (only in 2025) + 4 press-only rows
    # + 2 earlier versions of the Shahed-136 deal (release 2025 register, release 2024 transfers)
    assert len(d) == 15
    assert d["record"].value_counts().to_dict() == {"current": 8, "press_only": 4, "superseded": 2, "dropped": 1}
    verba = cell(d, deal_id="RU-IR-2025-verba")      # reported in 2026, too recent for SIPRI's release
    assert (verba["status"], verba["sipri_release"], verba["in_latest_release"]) == ("reported_unconfirmed", "", "false")
    assert {"SU-IR-1989-mig-29-1", "SU-IR-1989-mig-29-2"} <= set(d["deal_id"])
    assert cell(d, deal_id="SU-IR-1989-mig-29-1")["number_delivered"] == "14"      # first delivered in 1990
    t72 = cell(d, deal_id="RU-IR-1991-t-72m1")
    assert (t72["delivery_years"], t72["status"], t72["weapon_category"]) == ("1993-1994, 1996-1997", "delivered",
                                                                             "armoured_vehicle")
    assert cell(d, deal_id="RU-IR-2022-yak-130")["status"] == "partial"
    assert cell(d, deal_id="RU-IR-2023-su-35s")["status"] == "ordered"
    shahed = cell(d, deal_id="IR-RU-2022-shahed-136")
    assert (shahed["sipri_release"], shahed["number_delivered"], shahed["tiv_delivered_millions"]) == (
        "2026", "6600", "264")
    dropped = cell(d, deal_id="IR-RU-2023-shahed-238")
    assert (dropped["sipri_release"], dropped["in_latest_release"], dropped["record"]) == ("2025", "false",
                                                                                          "dropped")
    assert "RU-IR-2007-kasta-2e2" not in set(d["deal_id"])      # renamed, not dropped
    assert not d["deal_id"].str.contains("btr-60p").any()        # ordered 1966: outside the chapter
    assert cell(d, deal_id="RU-IR-2007-s-300pmu-1")["status"] == "cancelled"


def test_superseded_versions_keep_each_release_figures(tables):
    d = tables["arms_deals"]
    # release 2025 register: 6600 ordered, 4600 delivered 2022-2024 at 0.1 TIV each = 460
    r25 = cell(d, deal_id="IR-RU-2022-shahed-136-r2025")
    assert (r25["record"], r25["sipri_release"], r25["number_ordered"], r25["number_delivered"],
            r25["delivery_years"], r25["tiv_per_unit"], r25["tiv_delivered_millions"]) == (
        "superseded", "2025", "6600", "4600", "2022-2024", "0.1", "460")
    # release 2024 transfers: one delivery row, 10 drones in 2022 at 0.2 = 2; no number ordered in that layout
    r24 = cell(d, deal_id="IR-RU-2022-shahed-136-r2024")
    assert (r24["number_ordered"], r24["number_delivered"], r24["tiv_per_unit"], r24["tiv_delivered_millions"],
            r24["in_latest_release"]) == ("", "10", "0.2", "2", "false")
    # the book's own fields follow the current version of the deal
    assert r24["weapon_category"] == cell(d, deal_id="IR-RU-2022-shahed-136")["weapon_category"]
    # identical in every release (Mohajer-6; Yak-130 and Su-35S in the 2025 register): no extra row
    assert not d["deal_id"].str.contains("mohajer-6-r|yak-130-r|su-35s-r").any()


# ------------------------------------------------------- the committed table (reads data/ only) ----

@pytest.fixture(scope="module")
def committed():
    # the table ships with the book, so a missing file is a failure, not a skip
    return pd.read_csv(DATA / "arms_tiv_annual.csv", dtype=str, keep_default_na=False)


def test_committed_book_sums_agree_with_sipri_tables(committed):
    num = committed.assign(v=pd.to_numeric(committed["tiv_millions"]))
    k = ["supplier", "recipient", "year", "sipri_release"]
    both = num[num["calculation"] == "book_sum"].merge(num[num["calculation"] == "sipri_table"], on=k,
                                                       suffixes=("_sum", "_table"))
    pairs = set(zip(both["supplier"], both["recipient"]))
    assert pairs == {("All suppliers", "Iran"), ("Soviet Union", "All recipients"),
                     ("Russia", "All recipients"), ("Iran", "All recipients"), ("All suppliers", "Russia")}
    # every value copied from SIPRI's table has a book sum to compare with: nothing is left unchecked
    table_rows = num[num["calculation"] == "sipri_table"]
    assert len(both) == len(table_rows) and len(both) >= 90
    # SIPRI prints whole numbers, so a faithful sum is within rounding (0.5) of the printed value
    worst = (both["v_sum"] - both["v_table"]).abs().max()
    assert worst <= 0.5 + 1e-9, f"largest gap {worst} TIV"
    # an empty SIPRI cell (none identified) must match an empty sum, and the reverse
    flags = both[both["no_deliveries_identified_table"] == "true"]
    assert (flags["v_sum"] == 0).all()


def test_committed_releases_are_separate_series(committed):
    assert not committed.duplicated(["supplier", "recipient", "year", "sipri_release", "calculation"]).any()
    for release, group in committed.groupby("sipri_release"):
        assert set(group["source"]) == {f"sipri-atdb-{release}"}
