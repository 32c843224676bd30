"""Derive the US sanctions-list tables of the policy chapter from a git-scrape history of OFAC's SDN list.

Run by hand from the repository root, never from a notebook:

    python -m builders.policy_ofac                  # rebuild and write both tables
    python -m builders.policy_ofac --check          # build in memory, report differences, write nothing
    python -m builders.policy_ofac --raw-dir PATH/raw/policy

Inputs (in ``--raw-dir``, by default ``../shared/raw/policy/`` beside the repository), both made from the
public git-scrape ``jackdwyer/specially-designated-nationals-list`` of OFAC's ``sdn.csv`` (309 commits,
2021-08-18 to 2024-05-03):

* ``us_ofac_sdn_iran_uav_missile_actions_2022_2024.csv``: one row per SDN entry that was newly listed
  (``change = new_listing``) or given a new program tag (``change = program_tag_added``) on one of 15 US action
  dates tied to Iran's drone and missile supply to Russia (columns ``action_date``, ``ent_num``, ``sdn_type``,
  ``change``, ``program_tags_added``, ``first_seen_utc``, ...).
* ``us_ofac_sdn_first_seen_2021-08_to_2024-05.csv.gz``: one row per SDN entry ever seen in the scrape, with the
  time of the first commit that holds it (``first_seen_utc``) and its latest program tags (``programs_latest``).

Outputs, aggregates only (no names leave this script):

* ``policy_designations``: one row per action date and entry type (individual, entity, vessel, aircraft): how
  many entries were new on the list and how many existing entries were re-tagged, with the span of first-seen
  times. A new entry's first-seen time approximates its designation date (the scrape ran about every six
  hours when the list changed).
* ``policy_sdn_monthly``: one row per calendar month from 2021-09 to 2024-05: entries first seen that month
  whose latest program tags mark an Iran proliferation nexus, by the rule ``IRAN_PROLIFERATION`` below
  (NPWMD together with IFSR, or IRAN-CON-ARMS-EO). Entries present in the first commit (2021-08-18) are the
  baseline, not designations, and are never counted. If the raw folder also holds the compiler's monthly file
  (``us_ofac_sdn_monthly_new_iran_proliferation_entries_2021_2024.csv``) the builder checks that it agrees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from builders.common import RAW_DIR, run

DEFAULT_RAW = RAW_DIR / "policy"
ACTIONS_FILE = "us_ofac_sdn_iran_uav_missile_actions_2022_2024.csv"
FIRST_SEEN_FILE = "us_ofac_sdn_first_seen_2021-08_to_2024-05.csv.gz"
MONTHLY_CHECK_FILE = "us_ofac_sdn_monthly_new_iran_proliferation_entries_2021_2024.csv"
SOURCE = "ofac-sdn-list;jackdwyer-sdn-git-scrape"
BASELINE_DATE = "2021-08-18"  # first commit of the scrape: entries present then are not designations
LAST_SCRAPE_DATE = "2024-05-03"  # last non-empty commit of the scrape
ENTRY_TYPES = ["individual", "entity", "vessel", "aircraft"]
CHANGES = ["new_listing", "program_tag_added"]

DESIGNATIONS = "policy_designations"
MONTHLY = "policy_sdn_monthly"
ACTIONS_NEEDED = ["action_date", "ent_num", "sdn_type", "change", "program_tags_added", "first_seen_utc"]
FIRST_SEEN_NEEDED = ["ent_num", "first_seen_utc", "programs_latest"]

# ==================================================================================================
# 1. Read
# ==================================================================================================


def _read(path: Path, needed: list[str]) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return df


def read_actions(path: Path) -> pd.DataFrame:
    return _read(path, ACTIONS_NEEDED)


def read_first_seen(path: Path) -> pd.DataFrame:
    return _read(path, FIRST_SEEN_NEEDED)


# ==================================================================================================
# 2. Transform
# ==================================================================================================


def program_tags(text: str) -> set[str]:
    """The SDN file joins programs as 'NPWMD] [IFSR'; the extract's added tags use ';'. Both -> a set."""
    return {t.strip() for t in text.replace("] [", ";").split(";") if t.strip()}


def iran_proliferation(tags: set[str]) -> bool:
    """The monthly series' rule: NPWMD together with IFSR (Iran), or the Iran conventional-arms order."""
    return ({"NPWMD", "IFSR"} <= tags) or ("IRAN-CON-ARMS-EO" in tags)


def designations(actions: pd.DataFrame) -> pd.DataFrame:
    """One row per action date and entry type: new entries, re-tagged entries, first-seen span and lag."""
    df = actions.copy()
    bad_type = ~df["sdn_type"].isin(ENTRY_TYPES)
    if bad_type.any():
        raise ValueError(f"unknown entry types: {sorted(set(df.loc[bad_type, 'sdn_type']))}")
    bad_change = ~df["change"].isin(CHANGES)
    if bad_change.any():
        raise ValueError(f"unknown change kinds: {sorted(set(df.loc[bad_change, 'change']))}")
    if df.duplicated(["action_date", "ent_num"]).any():
        raise ValueError("an entry appears twice on the same action date")
    df["first_seen_date"] = [dt.date.fromisoformat(t[:10]) for t in df["first_seen_utc"]]
    rows = []
    for (date, etype), part in df.groupby(["action_date", "sdn_type"], sort=True):
        new = part[part["change"] == "new_listing"]
        action = dt.date.fromisoformat(date)
        lags = [(d - action).days for d in new["first_seen_date"]]
        tags = set().union(*(program_tags(t) for t in part["program_tags_added"]))
        rows.append(
            {
                "action_date": action,
                "entry_type": etype,
                "new_listings": len(new),
                "retagged": int((part["change"] == "program_tag_added").sum()),
                "entries": len(part),
                # first-seen times describe new entries only: a re-tagged entry was first seen long before
                "first_seen_first": min(new["first_seen_date"]) if len(new) else None,
                "first_seen_last": max(new["first_seen_date"]) if len(new) else None,
                "max_days_after_action": max(lags) if lags else None,
                "tags_added": ";".join(sorted(tags)),
                "source": SOURCE,
            }
        )
    return pd.DataFrame(rows)  # row order: the manifest's sort_by (action date, then entry type as listed)


def monthly(
    first_seen: pd.DataFrame,
    first_month: str = "2021-09",
    last_date: str = LAST_SCRAPE_DATE,
    baseline: str = BASELINE_DATE,
) -> pd.DataFrame:
    """Entries first seen after the baseline, by month, whose latest tags meet ``iran_proliferation``."""
    fs = first_seen.copy()
    fs["date"] = fs["first_seen_utc"].str.slice(0, 10)
    fs = fs[fs["date"] > baseline]
    fs = fs[[iran_proliferation(program_tags(p)) for p in fs["programs_latest"]]]
    fs["month"] = fs["date"].str.slice(0, 7)
    counts = fs.groupby("month").size()
    last = dt.date.fromisoformat(last_date)
    rows = []
    for period in pd.period_range(first_month, last_date[:7], freq="M"):
        start, end = period.start_time.date(), period.end_time.date()
        partial = last < end
        rows.append(
            {
                "month": str(period),
                "month_start": start,
                "month_end": end,
                "new_iran_proliferation_entries": int(counts.get(str(period), 0)),
                "partial_month": partial,
                "source": SOURCE,
                "note": f"scrape ends {last_date}" if partial else "",
            }
        )
    return pd.DataFrame(rows)


# ==================================================================================================
# 3. Validate
# ==================================================================================================


def validate(des: pd.DataFrame, mon: pd.DataFrame) -> None:
    if des.duplicated(["action_date", "entry_type"]).any():
        raise ValueError(f"{DESIGNATIONS}: duplicate action date and entry type")
    if (des["new_listings"] + des["retagged"] != des["entries"]).any():
        raise ValueError(f"{DESIGNATIONS}: new + re-tagged != entries")
    if (des["max_days_after_action"].dropna() < 0).any():
        raise ValueError(f"{DESIGNATIONS}: an entry first seen before its action date")
    expected = [str(p) for p in pd.period_range(mon["month"].iloc[0], mon["month"].iloc[-1], freq="M")]
    if mon["month"].tolist() != expected:
        raise ValueError(f"{MONTHLY}: months are not consecutive")


def check_against_compiler(mon: pd.DataFrame, path: Path) -> None:
    """The compiler's own monthly counts (first count column) must equal ours month by month."""
    theirs = pd.read_csv(path, dtype=str)
    theirs = dict(zip(theirs.iloc[:, 0], theirs.iloc[:, 1].astype(int)))
    ours = dict(zip(mon["month"], mon["new_iran_proliferation_entries"]))
    diff = {m: (ours.get(m), v) for m, v in theirs.items() if ours.get(m) != v}
    if diff:
        raise ValueError(f"{MONTHLY}: differs from {path.name} (ours, theirs): {diff}")


# ==================================================================================================
# 4. Write (through the manifests: builders.common.run)
# ==================================================================================================


def build(args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """Read, transform and validate; the two tables by name (nothing is written here)."""
    des = designations(read_actions(args.raw_dir / ACTIONS_FILE))
    mon = monthly(read_first_seen(args.raw_dir / FIRST_SEEN_FILE))
    validate(des, mon)
    if (args.raw_dir / MONTHLY_CHECK_FILE).is_file():
        check_against_compiler(mon, args.raw_dir / MONTHLY_CHECK_FILE)
    return {DESIGNATIONS: des, MONTHLY: mon}


def main(argv: list[str] | None = None) -> int:
    return run(build, description=__doc__.split("\n")[0], inputs={"raw-dir": DEFAULT_RAW}, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
