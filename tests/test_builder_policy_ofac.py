"""Offline tests of builders/policy_ofac.py on hand-made fictional rows in the format of the raw extracts.

tests/fixtures/policy/sdn_actions_fixture.csv (six entries on two action dates):

    action_date  ent  type        change             tags added          first seen (UTC)
    2022-09-08   1    entity      new_listing        RUSSIA-EO14024      2022-09-08
    2022-09-08   2    entity      new_listing        NPWMD;IFSR          2022-09-08
    2022-09-08   3    individual  new_listing        NPWMD;IFSR          2022-09-08
    2023-10-18   4    entity      program_tag_added  IRAN-CON-ARMS-EO    2021-08-18 (baseline; an old entry)
    2023-10-18   5    entity      new_listing        NPWMD;IFSR          2023-10-19 (a day late)
    2023-10-18   6    vessel      program_tag_added  IRAN-CON-ARMS-EO    2021-08-18

Worked out by hand: 2022-09-08 has 1 individual (new) and 2 entities (new), tags IFSR, NPWMD and
RUSSIA-EO14024 on the entities; 2023-10-18 has 2 entities (1 new, first seen a day after the action, 1
re-tagged) and 1 vessel (re-tagged only, so no first-seen span).

tests/fixtures/policy/sdn_first_seen_fixture.csv (seven entries):

    ent  first seen   programs                         counted?
    10   2021-08-18   NPWMD, IFSR                      no: baseline (first commit)
    11   2021-10-05   NPWMD, IFSR                      yes -> 2021-10
    12   2021-10-20   NPWMD                            no: NPWMD without IFSR
    13   2021-11-30   IRAN-CON-ARMS-EO, RUSSIA-EO14024 yes -> 2021-11
    14   2021-11-02   CUBA                             no
    15   2021-12-01   SDGT, NPWMD, IRGC, IFSR          yes -> 2021-12 (removed later: still counted)
    16   2021-12-15   IFSR                             no: IFSR without NPWMD

So, with the scrape ending on 2021-12-10: 2021-09 0, 2021-10 1, 2021-11 1, 2021-12 1 (partial month).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from builders import policy_ofac as po
from builders.common import write_tables
from iranrussia.data import DataValidationError

SEP_8, OCT_18, OCT_19 = dt.date(2022, 9, 8), dt.date(2023, 10, 18), dt.date(2023, 10, 19)

FIX = Path(__file__).resolve().parent / "fixtures" / "policy"


@pytest.fixture(scope="module")
def des():
    return po.designations(po.read_actions(FIX / "sdn_actions_fixture.csv"))


@pytest.fixture(scope="module")
def mon():
    return po.monthly(
        po.read_first_seen(FIX / "sdn_first_seen_fixture.csv"), first_month="2021-09", last_date="2021-12-10"
    )


def test_one_row_per_action_and_type(des):
    assert sorted(zip(des["action_date"].astype(str), des["entry_type"])) == [
        ("2022-09-08", "entity"),
        ("2022-09-08", "individual"),
        ("2023-10-18", "entity"),
        ("2023-10-18", "vessel"),
    ]


def test_first_action_counts_and_tags(des):
    ent = des[(des["action_date"] == SEP_8) & (des["entry_type"] == "entity")].iloc[0]
    assert (ent["new_listings"], ent["retagged"], ent["entries"]) == (2, 0, 2)
    assert ent["tags_added"] == "IFSR;NPWMD;RUSSIA-EO14024"
    assert ent["max_days_after_action"] == 0
    ind = des[(des["action_date"] == SEP_8) & (des["entry_type"] == "individual")].iloc[0]
    assert (ind["new_listings"], ind["retagged"]) == (1, 0)


def test_retagged_entries_do_not_set_first_seen(des):
    ent = des[(des["action_date"] == OCT_18) & (des["entry_type"] == "entity")].iloc[0]
    assert (ent["new_listings"], ent["retagged"], ent["entries"]) == (1, 1, 2)
    # only entry 5 is new: first seen 2023-10-19, one day after the action
    assert (ent["first_seen_first"], ent["first_seen_last"], ent["max_days_after_action"]) == (OCT_19, OCT_19, 1)
    ves = des[des["entry_type"] == "vessel"].iloc[0]
    assert (ves["new_listings"], ves["retagged"]) == (0, 1)
    assert pd.isna(ves["first_seen_first"]) and pd.isna(ves["max_days_after_action"])


def test_monthly_rule_and_baseline(mon):
    assert mon["month"].tolist() == ["2021-09", "2021-10", "2021-11", "2021-12"]
    assert mon["new_iran_proliferation_entries"].tolist() == [0, 1, 1, 1]
    assert mon["partial_month"].tolist() == [False, False, False, True]


def test_program_rule():
    assert po.iran_proliferation(po.program_tags("NPWMD] [IFSR"))
    assert po.iran_proliferation(po.program_tags("IRAN-CON-ARMS-EO"))
    assert not po.iran_proliferation(po.program_tags("NPWMD] [RUSSIA-EO14024"))


def test_compiler_check(tmp_path, mon):
    good = tmp_path / "good.csv"
    good.write_text("month,count\n2021-10,1\n2021-11,1\n", encoding="utf-8")
    po.check_against_compiler(mon, good)
    bad = tmp_path / "bad.csv"
    bad.write_text("month,count\n2021-10,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="differs"):
        po.check_against_compiler(mon, bad)


def test_unknown_change_is_refused():
    df = po.read_actions(FIX / "sdn_actions_fixture.csv")
    df.loc[0, "change"] = "removed"
    with pytest.raises(ValueError, match="change"):
        po.designations(df)


def test_written_table_follows_its_manifest(scratch_manifests, des):
    tmp_path = scratch_manifests("policy_designations")  # the writer takes column and row order from it
    assert write_tables({"policy_designations": des}, data_dir=tmp_path, say=lambda _: None) == 0
    lines = (tmp_path / "policy_designations.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "action_date,entry_type,new_listings,retagged,entries,first_seen_first,first_seen_last,"
        "max_days_after_action,tags_added,source"
    )
    # action date first, then entry type in the manifest's enum order (individual before entity)
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["2022-09-08", "individual"],
        ["2022-09-08", "entity"],
        ["2023-10-18", "entity"],
        ["2023-10-18", "vessel"],
    ]
    assert lines[-1].startswith("2023-10-18,vessel,0,1,1,,,,IRAN-CON-ARMS-EO,")
    digest = hashlib.sha256((tmp_path / "policy_designations.csv").read_bytes()).hexdigest()
    assert f"sha256: {digest}" in (tmp_path / "policy_designations.yml").read_text(encoding="utf-8")


def test_a_table_that_breaks_its_manifest_is_not_written(scratch_manifests, des):
    tmp_path = scratch_manifests("policy_designations")
    (tmp_path / "policy_designations.csv").write_text("kept\n", encoding="utf-8")
    broken = des.assign(entry_type=des["entry_type"].replace({"vessel": "ship"}))
    with pytest.raises(DataValidationError, match="'ship' is not one of") as caught:
        write_tables({"policy_designations": broken}, data_dir=tmp_path, say=lambda _: None)
    assert (caught.value.rule, caught.value.column, caught.value.line) == ("enum", "entry_type", 5)
    assert (tmp_path / "policy_designations.csv").read_text(encoding="utf-8") == "kept\n"
