"""Offline tests of the SIPRI builder (builders/arms_sipri.py, stages in builders/sipri/) on hand-made
SIPRI-format fixtures, and of the committed tables.

Every expected number below was worked out by hand from the rows in tests/fixtures/arms/ (see the
comments); none is copied from the builder's output. The fixture builds read their hand-kept inputs
(tests/fixtures/arms/arms_deal_annotations.csv, and the press-only rows of tests/fixtures/arms/arms_deals.csv)
from a scratch data folder holding the real manifests, and write through those manifests. The last tests
read only data/.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from builders import arms_sipri
from builders.common import write_tables
from builders.sipri import annual, deals, periods, read
from builders.sipri.read import Export
from iranrussia import data

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "arms"
TABLES = ["arms_tiv_annual", "arms_iran_imports_by_supplier", "arms_russia_exports_by_recipient", "arms_deals"]
HAND_KEPT = ["arms_deals", "arms_deal_annotations"]  # the fixture's versions are copied into the scratch folder

FIXTURE_CONFIG = (
    Export(2024, "transfers", "sipri_transfers_fixture.csv"),
    Export(2024, "tiv_import", "sipri_tiv_import_fixture.csv"),
    Export(2024, "tiv_export", "sipri_tiv_export_fixture.csv"),
    Export(2025, "register", "sipri_register_2025_fixture.csv"),
    Export(2026, "register", "sipri_register_2026_fixture.csv"),
)


def rehash(folder: Path, name: str) -> None:
    data.refresh_manifest_sha256(folder / f"{name}.csv", folder / f"{name}.yml")


@pytest.fixture
def scratch(scratch_manifests) -> Path:
    """A data folder with the real manifests of the four tables and the annotations, and the fixture's
    hand-kept tables (rehashed into their manifests)."""
    folder = scratch_manifests(*TABLES, "arms_deal_annotations")
    for name in HAND_KEPT:
        shutil.copy(FIX / f"{name}.csv", folder / f"{name}.csv")
        rehash(folder, name)
    return folder


@pytest.fixture
def tables(scratch):
    return arms_sipri.build_tables(FIX, scratch, FIXTURE_CONFIG)


def cell(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for col, value in match.items():
        sel = sel[sel[col] == value]
    assert len(sel) == 1, f"expected one row for {match}, found {len(sel)}"
    return sel.iloc[0]


def data_lines(folder: Path, name: str) -> list[str]:
    return (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]


# ----------------------------------------------------------------------------- reading / parsing ----


def test_header_block_is_skipped_and_generation_date_read():
    meta, body = read.split_export(read.read_text(FIX / "sipri_transfers_fixture.csv"), read.HEADER_PREFIX["transfers"])
    assert meta["header_lines"] == 11  # 8 explanatory lines, a blank, 'Source:', 'Data generated:'
    assert meta["generated"] == dt.date(2024, 4, 13)
    assert body.startswith("SIPRI AT Database ID,")


def test_semicolon_crlf_layout_parses_like_the_plain_one():
    plain = read.load_export(FIX / "sipri_transfers_fixture.csv", "transfers")[1]
    meta, semi = read.load_export(FIX / "sipri_transfers_semicolon_fixture.csv", "transfers")
    assert meta["generated"] == dt.date(2026, 2, 12)
    assert len(semi) == 10
    assert semi["tiv"].tolist() == plain["tiv"].tolist()
    assert semi["Local production"].tolist() == ["No"] * 10  # no ';' left on the last column


def test_register_blank_columns_named_and_latin1_decoded():
    _, reg = read.load_export(FIX / "sipri_register_2026_fixture.csv", "register")
    assert "Year of order uncertain" in reg.columns
    assert "Number delivered uncertain" in reg.columns
    assert "Côte d'Ivoire" in reg["Recipient"].tolist()
    assert len(reg) == 11


def test_tiv_table_zero_and_empty_cells():
    _, t = read.load_export(FIX / "sipri_tiv_export_fixture.csv", "tiv_export")
    iran = t[t["entity"] == "Iran"].set_index("year")
    assert iran.loc[2023, "value"] == 0.0 and iran.loc[2023, "cell"] == "0"  # '0 ' = below 0.5
    assert pd.isna(iran.loc[1990, "value"])  # empty = none identified


def test_load_all_gives_each_release_once():
    exports = read.load_all(FIX, FIXTURE_CONFIG)
    assert sorted(exports.transfers) == [2024] and sorted(exports.registers) == [2025, 2026]
    assert exports.latest_register == 2026
    tr = exports.transfers[2024]
    assert len(tr) == 10 and set(tr["generated"]) == {dt.date(2024, 4, 13)}
    (tiv,) = exports.tiv_tables["tiv_import"][2024]
    assert tiv.generated == dt.date(2024, 10, 13)


def test_the_same_delivery_rows_in_two_exports_of_one_release_are_refused():
    # the semicolon fixture holds the plain fixture's ten delivery rows: one release cannot hold both
    twice = FIXTURE_CONFIG + (Export(2024, "transfers", "sipri_transfers_semicolon_fixture.csv"),)
    with pytest.raises(ValueError, match="two exports of one release"):
        read.load_all(FIX, twice)


# ------------------------------------------------------------------------------ annual table ----


def test_annual_book_sums_by_hand(tables):
    a = tables["arms_tiv_annual"]
    book = a[a["calculation"] == "book_sum"]
    # USSR -> Iran 1990: MiG-29 289.1 + R-73 15 = 304.1
    assert cell(book, supplier="Soviet Union", recipient="Iran", year=1990)["tiv_millions"] == 304.1
    # Russia -> Iran 1993: T-72M1 130 + second Kilo 220 = 350 (two delivery rows)
    r93 = cell(book, supplier="Russia", recipient="Iran", year=1993)
    assert (r93["tiv_millions"], r93["n_delivery_rows"]) == (350, 2)
    # all suppliers -> Iran 1992: Kilo 220 + China's C-802 15 = 235
    assert cell(book, supplier="All suppliers", recipient="Iran", year=1992)["tiv_millions"] == 235
    # Russia -> everyone 1993: 350 to Iran + 80 to India = 430
    assert cell(book, supplier="Russia", recipient="All recipients", year=1993)["tiv_millions"] == 430
    # Iran -> Russia 2022: 10 Shahed-136 x 0.2 = 2, plus 20 Mohajer-6 x 0.15 = 3: 5
    assert cell(book, supplier="Iran", recipient="Russia", year=2022)["tiv_millions"] == 5
    # Russia's imports 2023: only North Korea's 5 Hwasong-11 x 2.5 = 12.5; Iran delivered nothing that year
    assert cell(book, supplier="All suppliers", recipient="Russia", year=2023)["tiv_millions"] == 12.5
    assert cell(book, supplier="North Korea", recipient="Russia", year=2023)["tiv_millions"] == 12.5
    nk22 = cell(book, supplier="North Korea", recipient="Russia", year=2022)
    assert (nk22["tiv_millions"], nk22["no_deliveries_identified"]) == (0, True)
    assert cell(book, supplier="Iran", recipient="Russia", year=2023)["no_deliveries_identified"]
    # no row for USSR -> Iran in 1991: zero, flagged
    r91 = cell(book, supplier="Soviet Union", recipient="Iran", year=1991)
    assert (r91["tiv_millions"], r91["no_deliveries_identified"]) == (0, True)
    # the suppliers to Russia since the war are Iran and North Korea; China only ever supplied Iran
    assert set(book.loc[book["recipient"] == "Russia", "supplier"]) == {"Iran", "North Korea", "All suppliers"}


def test_annual_table_rows_copied_from_sipri(tables):
    a = tables["arms_tiv_annual"]
    tab = a[a["calculation"] == "sipri_table"]
    r = cell(tab, supplier="All suppliers", recipient="Iran", year=1990)
    assert (r["tiv_millions"], r["sipri_generated"], r["source"]) == (304, dt.date(2024, 10, 13), "sipri-atdb-2024")
    empty = cell(tab, supplier="All suppliers", recipient="Iran", year=1991)
    assert empty["no_deliveries_identified"]
    # Russia's imports are copied from 2022 on only: 5 (2022) and 13 (2023, SIPRI's rounding of 12.5)
    russia = tab[(tab["supplier"] == "All suppliers") & (tab["recipient"] == "Russia")].sort_values("year")
    assert russia["year"].tolist() == [2022, 2023] and russia["tiv_millions"].tolist() == [5, 13]
    # releases never merge: every row names one release and one calculation
    assert set(a["sipri_release"]) == {2024}
    assert set(a["calculation"]) == {"book_sum", "sipri_table"}


def test_the_series_table_drives_the_annual_table():
    exports = read.load_all(FIX, FIXTURE_CONFIG)
    one = (
        annual.Series("Russia", "Iran", 1992, 1993, "book_sum"),
        annual.Series("Soviet Union", "All recipients", 1980, 1991, "sipri_table"),
    )
    out = annual.build_annual(exports, one)
    book = out[out["calculation"] == "book_sum"]
    assert book["year"].tolist() == [1992, 1993] and book["tiv_millions"].tolist() == [220, 350]  # Kilo; +T-72
    table = out[out["calculation"] == "sipri_table"]
    # the export table's years run 1990-1993 and 2022-2023; the series stops at 1991: 304, then empty
    assert table["year"].tolist() == list(range(1980, 1992))
    assert cell(table, year=1990)["tiv_millions"] == 304 and cell(table, year=1980)["no_deliveries_identified"]


def test_validate_annual_rejects_disagreeing_sum(tables):
    bad = tables["arms_tiv_annual"].copy()
    idx = bad[
        (bad["calculation"] == "book_sum")
        & (bad["supplier"] == "All suppliers")
        & (bad["recipient"] == "Iran")
        & (bad["year"] == 1993)
    ].index
    assert len(idx) == 1
    bad.loc[idx, "tiv_millions"] = 352.0  # table says 350
    with pytest.raises(ValueError, match="differ"):
        annual.validate_annual(bad)


# ------------------------------------------------------------------------------ period tables ----


def test_five_year_periods():
    assert periods.five_year_periods(1990, 2023) == [
        (1990, 1994),
        (1995, 1999),
        (2000, 2004),
        (2005, 2009),
        (2010, 2014),
        (2015, 2019),
    ]
    assert periods.five_year_periods(1993, 2004) == [(1995, 1999), (2000, 2004)]


def test_iran_imports_by_supplier_by_hand(tables):
    imp = tables["arms_iran_imports_by_supplier"]
    first = imp[imp["period_start"] == 1990]
    assert set(first["supplier"]) == {"Soviet Union", "Russia", "China"}
    russia = cell(first, supplier="Russia")
    assert (russia["tiv_millions"], russia["n_delivery_rows"], russia["period_end"]) == (570, 3, 1994)  # 220+130+220
    assert cell(first, supplier="Soviet Union")["tiv_millions"] == 304.1
    assert cell(first, supplier="China")["tiv_millions"] == 15


def test_russia_exports_by_recipient_by_hand(tables):
    ex = tables["arms_russia_exports_by_recipient"]
    first = ex[ex["period_start"] == 1990]
    assert cell(first, supplier="Russia", recipient="India")["tiv_millions"] == 80
    assert cell(first, supplier="Russia", recipient="Iran")["tiv_millions"] == 570
    assert "China" not in set(first["supplier"])  # only Soviet/Russian exports


def test_validate_periods_rejects_a_period_not_five_years_long(tables):
    bad = tables["arms_iran_imports_by_supplier"].copy()
    bad.loc[bad.index[0], "period_end"] = bad.loc[bad.index[0], "period_start"] + 3
    with pytest.raises(ValueError, match="not five years long"):
        periods.validate_periods(bad, "arms_iran_imports_by_supplier")


# ------------------------------------------------------------------------------- deal register ----


def test_condense_years_and_status_rules():
    assert deals.condense_years([1993, 1994, 1996, 1997, 1998]) == "1993-1994, 1996-1998"
    assert deals.condense_years([2016]) == "2016"
    assert deals.deal_status(24, 6) == "partial"
    assert deals.deal_status(None, 6600) == "partial"
    assert deals.deal_status(4, 4) == "delivered"
    assert deals.deal_status(None, 0) == "ordered"


def test_deals_by_hand(tables):
    d = tables["arms_deals"]
    # 8 in-scope rows of the 2026 register + Shahed-238 (only in 2025) + 2 press-only hand rows of the fixture
    # table + 2 earlier versions of the Shahed-136 deal (release 2025 register, release 2024 transfers)
    assert len(d) == 13
    assert d["record"].value_counts().to_dict() == {"current": 8, "press_only": 2, "superseded": 2, "dropped": 1}
    assert {"SU-IR-1989-mig-29-1", "SU-IR-1989-mig-29-2"} <= set(d["deal_id"])
    assert cell(d, deal_id="SU-IR-1989-mig-29-1")["number_delivered"] == 14  # first delivered in 1990
    t72 = cell(d, deal_id="RU-IR-1991-t-72m1")
    assert (t72["delivery_years"], t72["status"], t72["weapon_category"], t72["year_ordered"]) == (
        "1993-1994, 1996-1997",
        "delivered",
        "armoured_vehicle",
        1991,
    )
    assert cell(d, deal_id="RU-IR-2022-yak-130")["status"] == "partial"
    su35 = cell(d, deal_id="RU-IR-2023-su-35s")
    assert (su35["status"], su35["number_ordered"]) == ("ordered", None)
    shahed = cell(d, deal_id="IR-RU-2022-shahed-136")
    assert (shahed["sipri_release"], shahed["number_delivered"], shahed["tiv_delivered_millions"]) == (2026, 6600, 264)
    dropped = cell(d, deal_id="IR-RU-2023-shahed-238")
    assert (dropped["sipri_release"], dropped["in_latest_release"], dropped["record"]) == (2025, False, "dropped")
    assert "RU-IR-2007-kasta-2e2" not in set(d["deal_id"])  # renamed, not dropped
    assert not d["deal_id"].str.contains("btr-60p").any()  # ordered 1966: outside the chapter


def test_annotations_are_joined_by_hand(tables):
    d = tables["arms_deals"]
    # (Iran, Russia, Shahed-136): description, SIPRI note then press note, press keys after the release key
    shahed = cell(d, deal_id="IR-RU-2022-shahed-136")
    assert shahed["description"] == "Shahed-136 drones in the fixture's words"
    assert shahed["note"] == "The fixture's paraphrase of SIPRI; What the fixture's press items add"
    assert shahed["source"] == (
        "sipri-atdb-2026;interfaxua-2022-budanov-shahed-contract;novayagazeta-2022-first-shahed-downed"
    )
    # (Soviet Union, Iran, MiG-29) is keyed once and reaches both 1989 orders
    assert set(d.loc[d["weapon_designation"] == "MiG-29", "description"]) == {"MiG-29 fighters in the fixture's words"}
    # a dropped deal: its annotation has no description, so the template; the note names both releases
    dropped = cell(d, deal_id="IR-RU-2023-shahed-238")
    assert dropped["description"] == "One-way attack drone (Shahed-238)"
    assert dropped["note"] == "No delivery recorded; Listed in SIPRI's 2025 release but not in the 2026 release"
    # no annotation: template description, no note, the release key alone
    t72 = cell(d, deal_id="RU-IR-1991-t-72m1")
    assert (t72["description"], t72["note"], t72["source"]) == ("Tank (T-72M1)", None, "sipri-atdb-2026")
    assert cell(d, deal_id="IR-RU-2022-mohajer-6")["description"] == "Armed drone (Mohajer-6)"


def test_superseded_versions_keep_each_release_figures(tables):
    d = tables["arms_deals"]
    # release 2025 register: 6600 ordered, 4600 delivered 2022-2024 at 0.1 TIV each = 460
    r25 = cell(d, deal_id="IR-RU-2022-shahed-136-r2025")
    fields = ["record", "sipri_release", "number_ordered", "number_delivered", "delivery_years", "tiv_per_unit"]
    assert r25[[*fields, "tiv_delivered_millions"]].tolist() == ["superseded", 2025, 6600, 4600, "2022-2024", 0.1, 460]
    assert r25["note"] == (
        "The deal as SIPRI's 2025 release recorded it (trade register); later releases changed "
        "number ordered, number delivered, delivery years, tiv per unit"
    )
    # release 2024 transfers: one delivery row, 10 drones in 2022 at 0.2 = 2; no number ordered in that layout,
    # compared with the 2025 version: number ordered is no revision there
    r24 = cell(d, deal_id="IR-RU-2022-shahed-136-r2024")
    fields = ["number_ordered", "number_delivered", "tiv_per_unit", "tiv_delivered_millions", "in_latest_release"]
    assert r24[[*fields, "source"]].tolist() == [None, 10, 0.2, 2, False, "sipri-atdb-2024"]
    assert r24["note"].endswith(
        "gives no number ordered); later releases changed number delivered, delivery years, tiv per unit"
    )
    # the book's own fields follow the current version of the deal, the annotation's description included
    assert (r24["weapon_category"], r24["description"]) == ("uav", "Shahed-136 drones in the fixture's words")
    # identical in every release (Mohajer-6; Yak-130 and Su-35S in the 2025 register): no extra row
    assert not d["deal_id"].str.contains("mohajer-6-r|yak-130-r|su-35s-r").any()


def test_an_annotation_keyed_to_no_deal_is_refused(scratch):
    with open(scratch / "arms_deal_annotations.csv", "a", encoding="utf-8") as handle:
        handle.write("Russia,Iran,Kinzhal,Kinzhal missiles,,,,2026\n")  # no such deal in the fixture register
    rehash(scratch, "arms_deal_annotations")
    with pytest.raises(ValueError, match=r"arms_deal_annotations: .*\('Russia', 'Iran', 'Kinzhal'\)"):
        arms_sipri.build_tables(FIX, scratch, FIXTURE_CONFIG)


def test_an_annotation_of_a_superseded_or_press_only_deal_alone_is_refused(scratch):
    # the S-300PMU-1 is a press-only hand row: it carries its own words, an annotation cannot reach it
    with open(scratch / "arms_deal_annotations.csv", "a", encoding="utf-8") as handle:
        handle.write("Russia,Iran,S-300PMU-1,Other words,,,,2026\n")
    rehash(scratch, "arms_deal_annotations")
    with pytest.raises(ValueError, match="S-300PMU-1"):
        arms_sipri.build_tables(FIX, scratch, FIXTURE_CONFIG)


def test_the_dropped_note_names_the_newest_release_used(scratch):
    # the same two registers labelled one release earlier: the note must follow, never say 2026
    earlier = FIXTURE_CONFIG[:3] + (
        Export(2024, "register", "sipri_register_2025_fixture.csv"),
        Export(2025, "register", "sipri_register_2026_fixture.csv"),
    )
    d = arms_sipri.build_tables(FIX, scratch, earlier)["arms_deals"]
    dropped = cell(d, deal_id="IR-RU-2023-shahed-238")
    assert dropped["note"] == "No delivery recorded; Listed in SIPRI's 2024 release but not in the 2025 release"
    assert cell(d, deal_id="IR-RU-2022-shahed-136")["sipri_release"] == 2025


def test_validate_deals_refuses_an_id_its_row_does_not_give(tables):
    d = tables["arms_deals"].copy()
    d.loc[d["deal_id"] == "RU-IR-1991-t-72m1", "year_ordered"] = 1992
    with pytest.raises(ValueError, match="RU-IR-1991-t-72m1"):
        deals.validate_deals(d)
    d = tables["arms_deals"].copy()
    d.loc[d["deal_id"] == "RU-IR-2025-verba", "deal_id"] = "IR-IR-2025-verba"  # a hand row's codes too
    with pytest.raises(ValueError, match="IR-IR-2025-verba"):
        deals.validate_deals(d)


def test_validate_deals_refuses_more_delivered_than_ordered(tables):
    d = tables["arms_deals"].copy()
    d.loc[d["deal_id"] == "RU-IR-2022-yak-130", "number_delivered"] = 25  # 24 ordered
    with pytest.raises(ValueError, match="more delivered than ordered.*RU-IR-2022-yak-130"):
        deals.validate_deals(d)
    deals.validate_deals(tables["arms_deals"])


# ------------------------------------------------------- writing through the real manifests ----


def test_fixture_tables_write_through_the_real_manifests(tables, scratch):
    said = []
    assert write_tables(tables, data_dir=scratch, say=said.append) == 0
    assert all("written" in line for line in said), said
    # first row by the manifest's sort_by (supplier, recipient, calculation, release, year), cells by type
    assert data_lines(scratch, "arms_tiv_annual")[0] == (
        "All suppliers,Iran,1990,304.1,false,2,2024,book_sum,2024-04-13,sipri-atdb-2024,"
        "Book's sum of 2 SIPRI delivery row(s); not a SIPRI figure"
    )
    # the 2026 register's T-72M1 row: order year marked '?' (uncertain), 422 of 422 delivered at 2.6 each
    assert (
        "RU-IR-1991-t-72m1,Russia,Iran,T-72M1,tank,Tank (T-72M1),armoured_vehicle,1991,422,422,"
        '"1993-1994, 1996-1997",1993,1997,delivered,2.6,1097.2,true,2026,true,current,sipri-atdb-2026,'
        in data_lines(scratch, "arms_deals")
    )
    ids = [line.split(",")[0] for line in data_lines(scratch, "arms_deals")]
    assert ids == sorted(ids)
    for name in TABLES:
        assert len(data.load(name, data_dir=scratch)) == len(tables[name])
    # written once, the same build is unchanged
    said.clear()
    assert write_tables(tables, data_dir=scratch, check=True, say=said.append) == 0
    assert all("unchanged" in line for line in said), said


def test_press_only_hand_rows_survive_a_rebuild(tables, scratch):
    fixture_lines = data_lines(FIX, "arms_deals")
    hand = [line for line in fixture_lines if ",press_only," in line]
    assert len(hand) == 2
    write_tables(tables, data_dir=scratch)
    written = data_lines(scratch, "arms_deals")
    assert set(hand) <= set(written)  # kept byte for byte
    assert not any(line.startswith("RU-IR-1999-stale-fixture-row,") for line in written)  # a SIPRI row: rebuilt
    # rebuilt from the table just written: the same hand rows, nothing changes
    again = arms_sipri.build_tables(FIX, scratch, FIXTURE_CONFIG)
    assert write_tables(again, data_dir=scratch, check=True, say=lambda _: None) == 0


def test_annotations_only_carries_an_edit_into_the_deals_without_raw_files(tables, scratch):
    write_tables(tables, data_dir=scratch)
    text = (scratch / "arms_deal_annotations.csv").read_text(encoding="utf-8")
    (scratch / "arms_deal_annotations.csv").write_text(
        text.replace("MiG-29 fighters in the fixture's words", "MiG-29 fighters (edited)"), encoding="utf-8"
    )
    rehash(scratch, "arms_deal_annotations")
    # no --raw-dir given that exists: only the committed table and the annotations are read
    assert (
        arms_sipri.main(["--annotations-only", "--raw-dir", str(scratch / "no-raw-here"), "--data-dir", str(scratch)])
        == 0
    )
    d = data.load("arms_deals", data_dir=scratch)
    assert set(d.loc[d["weapon_designation"] == "MiG-29", "description"]) == {"MiG-29 fighters (edited)"}
    # everything else is as the full build made it
    full = arms_sipri.build_tables(FIX, scratch, FIXTURE_CONFIG)
    assert write_tables(full, data_dir=scratch, check=True, say=lambda _: None) == 0


# ------------------------------------------------------- the committed tables (read data/ only) ----


@pytest.fixture(scope="module")
def committed():
    # the table ships with the book, so a missing file is a failure, not a skip
    return data.load("arms_tiv_annual")


def test_committed_book_sums_agree_with_sipri_tables(committed):
    k = ["supplier", "recipient", "year", "sipri_release"]
    both = committed[committed["calculation"] == "book_sum"].merge(
        committed[committed["calculation"] == "sipri_table"], on=k, suffixes=("_sum", "_table")
    )
    pairs = set(zip(both["supplier"], both["recipient"]))
    assert pairs == {
        ("All suppliers", "Iran"),
        ("Soviet Union", "All recipients"),
        ("Russia", "All recipients"),
        ("Iran", "All recipients"),
        ("All suppliers", "Russia"),
    }
    # every value copied from SIPRI's table has a book sum to compare with: nothing is left unchecked
    table_rows = committed[committed["calculation"] == "sipri_table"]
    assert len(both) == len(table_rows) and len(both) >= 90
    # SIPRI prints whole numbers, so a faithful sum is within rounding (0.5) of the printed value
    worst = (both["tiv_millions_sum"] - both["tiv_millions_table"]).abs().max()
    assert worst <= 0.5 + 1e-9, f"largest gap {worst} TIV"
    # an empty SIPRI cell (none identified) must match an empty sum
    flags = both[both["no_deliveries_identified_table"]]
    assert len(flags) > 0 and (flags["tiv_millions_sum"] == 0).all()


def test_committed_releases_are_separate_series(committed):
    for release, group in committed.groupby("sipri_release"):
        assert set(group["source"]) == {f"sipri-atdb-{release}"}


def test_committed_deals_carry_the_committed_annotations():
    # an edit of data/arms_deal_annotations.csv must reach arms_deals (python -m builders.arms_sipri
    # --annotations-only); this reads data/ only, no raw export
    table = arms_sipri.reannotate_deals()["arms_deals"]
    result = data.write("arms_deals", table, check=True)
    assert not result.changed, f"arms_deals differs from its annotations: +{result.added[:2]} -{result.removed[:2]}"
