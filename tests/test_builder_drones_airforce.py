"""Offline tests of builders/drones_airforce.py on a hand-made slice of the Kaggle daily compilation.

tests/fixtures/arms/missile_attacks_daily_fixture.csv has seven report rows (newest first, as on Kaggle):

    time_end          model                        launched destroyed not_reach_goal is_shahed
    2024-11-04 08:00  Shahed-136/131               10       10        0              10
    2024-11-02 08:00  Shahed-136/131               200      170       5              120
    2024-10-10        Lancet                       3        3                             (not Shahed)
    2024-10-06 08:00  Shahed-136/131 and Lancet    20       15        0                   (mixed row)
    2024-10-01 08:00  Shahed-136/131               100      80        10                  (started 30 Sep)
    2024-09-29        Iskander-M                   5        2                             (not Shahed)
    2024-09-30 09:00  Shahed-136/131               50       45        (blank)

The expected monthly figures below are sums of those lines done by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from builders import drones_airforce as da
from builders.common import write_tables

FIX = Path(__file__).resolve().parent / "fixtures" / "arms" / "missile_attacks_daily_fixture.csv"


@pytest.fixture(scope="module")
def table():
    return da.build(da.read_daily(FIX), first_month="2024-09").set_index("month")


def test_months_cover_first_to_last_report(table):
    assert table.index.tolist() == ["2024-09", "2024-10", "2024-11"]


def test_september_only_the_shahed_row(table):
    sep = table.loc["2024-09"]
    assert (sep["launched"], sep["destroyed"], sep["not_reach_goal"], sep["n_reports"]) == (50, 45, 0, 1)
    assert sep["partial_month"]  # compilation starts on 29 Sep
    assert not sep["combined_count"]


def test_october_assigned_by_report_date_and_flagged_mixed(table):
    octo = table.loc["2024-10"]
    # 100 (night of 30 Sep, reported 1 Oct) + 20 (Shahed and Lancet); the Lancet-only row is left out
    assert (octo["launched"], octo["destroyed"], octo["not_reach_goal"], octo["n_reports"]) == (120, 95, 10, 2)
    assert octo["mixed_model_rows"] == 1 and octo["combined_count"]
    assert not octo["partial_month"]
    assert pd.isna(octo["is_shahed_subtotal"]) and octo["n_reports_with_subtotal"] == 0


def test_november_subtotal_below_launched_is_flagged(table):
    nov = table.loc["2024-11"]
    assert (nov["launched"], nov["destroyed"], nov["not_reach_goal"]) == (210, 180, 5)
    assert (nov["is_shahed_subtotal"], nov["n_reports_with_subtotal"]) == (130, 2)
    assert nov["combined_count"]  # 120 'of which Shaheds' out of 200 launched
    assert nov["partial_month"]  # compilation ends 4 Nov
    assert nov["last_report"] == dt.date(2024, 11, 4)


def test_shahed_rule_is_name_based():
    df = da.read_daily(FIX)
    picked = da.select_shahed(df)["model"].tolist()
    assert picked.count("Shahed-136/131") == 4 and "Shahed-136/131 and Lancet" in picked
    assert "Lancet" not in picked and "Iskander-M" not in picked


def test_validate_rejects_gaps(table):
    broken = table.reset_index().drop(index=1).reset_index(drop=True)
    with pytest.raises(ValueError, match="consecutive"):
        da.validate(broken)


def test_written_table_follows_its_manifest(scratch_manifests, table):
    tmp_path = scratch_manifests("drones_monthly")
    assert write_tables({"drones_monthly": table.reset_index()}, data_dir=tmp_path, say=lambda _: None) == 0
    text = (tmp_path / "drones_monthly.csv").read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("month,month_start,month_end,launched")
    assert text[3].startswith("2024-11,2024-11-01,2024-11-30,210,180,5,2,130,2,true,0,2024-11-02,2024-11-04,true,")
    digest = hashlib.sha256((tmp_path / "drones_monthly.csv").read_bytes()).hexdigest()
    assert f"sha256: {digest}" in (tmp_path / "drones_monthly.yml").read_text(encoding="utf-8")
    # a check of the same frame against what was just written finds nothing to change
    assert write_tables({"drones_monthly": table.reset_index()}, data_dir=tmp_path, check=True, say=lambda _: None) == 0


def test_check_reports_a_difference_and_writes_nothing(scratch_manifests, table):
    tmp_path = scratch_manifests("drones_monthly")
    write_tables({"drones_monthly": table.reset_index()}, data_dir=tmp_path, say=lambda _: None)
    before = (tmp_path / "drones_monthly.csv").read_bytes()
    changed = table.reset_index()
    changed.loc[0, "launched"] = 51
    said = []
    assert write_tables({"drones_monthly": changed}, data_dir=tmp_path, check=True, say=said.append) == 1
    assert (tmp_path / "drones_monthly.csv").read_bytes() == before
    assert said[0] == "drones_monthly: 3 rows, DIFFERS from drones_monthly.csv: 1 lines new, 1 lines gone"
    assert said[1].startswith("  + 2024-09,2024-09-01,2024-09-30,51,45,")


# ------------------------------------------------------- the committed table (reads data/ only) ----


def test_committed_table_is_consistent():
    # the table ships with the book, so a missing file is a failure, not a skip
    d = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "drones_monthly.csv")
    months = pd.PeriodIndex(d["month"], freq="M").asi8  # month numbers
    assert ((months[1:] - months[:-1]) == 1).all(), "months must be consecutive"
    assert (d["destroyed"] + d["not_reach_goal"] <= d["launched"]).all()
    # only the compilation's first and last months are partial, and they are flagged
    assert d.loc[d["partial_month"], "month"].tolist() == [d["month"].iloc[0], d["month"].iloc[-1]]
    # a month with an "of which Shaheds" sub-count below its launched figure must be flagged combined
    sub = d.dropna(subset=["is_shahed_subtotal"])
    assert sub.loc[sub["is_shahed_subtotal"] < sub["launched"], "combined_count"].all()
