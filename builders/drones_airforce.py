"""Derive data/drones_monthly.csv from the daily Ukrainian Air Force reports compiled on Kaggle.

Run by hand from the repository root, never from a notebook:

    python -m builders.drones_airforce              # rebuild and write the table
    python -m builders.drones_airforce --check      # build in memory, report differences, write nothing
    python -m builders.drones_airforce --daily PATH/missile_attacks_daily.csv

Input: ``missile_attacks_daily.csv`` of Petro Ivaniuk's Kaggle dataset "Massive Missile Attacks on Ukraine"
(one row per Air Force report and weapon model, columns ``time_start``, ``time_end``, ``model``,
``launched``, ``destroyed``, ``not_reach_goal``, ``is_shahed``, ...). Only monthly sums leave this script.

Shahed-type rule: a row counts when its ``model`` names a Shahed (case-insensitive ``shahed``): in the
compilation that is ``Shahed-136/131`` and one ``Shahed-136/131 and Lancet`` row. Rows that name Shahed
together with another type cannot be split and are counted whole; months holding such rows, or reports
whose "of which Shaheds" sub-count (``is_shahed``) is below the launched figure, are flagged
``combined_count = true``. A row belongs to the month of its ``time_end`` (the report's date).
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd

from builders.common import RAW_DIR, run

DEFAULT_DAILY = RAW_DIR / "arms" / "missile_attacks_daily_kaggle_mirror_2026-06-07.csv"
TABLE = "drones_monthly"
SOURCE = "ivaniuk-2026-kaggle-missile-attacks;uaf-2026-daily-air-attack-reports"
SHAHED_PATTERN = re.compile(r"shahed", re.IGNORECASE)
FIRST_MONTH = "2022-09"

NEEDED = ["time_start", "time_end", "model", "launched", "destroyed", "not_reach_goal", "is_shahed"]

# ==================================================================================================
# 1. Read
# ==================================================================================================


def read_daily(path: Path) -> pd.DataFrame:
    """The compilation as text columns; refuse a file without the columns the rule needs."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return df


# ==================================================================================================
# 2. Transform
# ==================================================================================================


def to_number(series: pd.Series) -> pd.Series:
    """'93.0' -> 93.0; '' -> NaN."""
    return pd.to_numeric(series.str.strip().replace("", None), errors="raise")


def report_date(series: pd.Series) -> pd.Series:
    """Date part of 'YYYY-MM-DD[ HH:MM]' (the compilation mixes both forms)."""
    dates = series.str.strip().str.slice(0, 10)
    bad = ~dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    if bad.any():
        raise ValueError(f"unparseable report times: {series[bad].tolist()[:5]}")
    return pd.to_datetime(dates, format="%Y-%m-%d").dt.date


def select_shahed(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose model names a Shahed; adds ``mixed`` (model names another type as well)."""
    sel = df[df["model"].str.contains(SHAHED_PATTERN)].copy()
    sel["mixed"] = sel["model"].str.contains(r"\band\b|,|\+", regex=True)
    return sel


def monthly(
    df: pd.DataFrame, coverage_start: dt.date, coverage_end: dt.date, first_month: str = FIRST_MONTH
) -> pd.DataFrame:
    """Monthly sums of the Shahed-type rows of ``df`` (the whole compilation) from FIRST_MONTH on.

    ``coverage_start``/``coverage_end``: first and last report date of the whole compilation, used to
    mark months the compilation covers only in part. Months without a Shahed row get zeros.
    """
    sh = select_shahed(df)
    sh["date"] = report_date(sh["time_end"])
    sh["month"] = [d.strftime("%Y-%m") for d in sh["date"]]
    for col in ("launched", "destroyed", "not_reach_goal", "is_shahed"):
        sh[col] = to_number(sh[col])
    sh["combined_row"] = sh["mixed"] | (sh["is_shahed"].notna() & (sh["is_shahed"] < sh["launched"]))
    months = pd.period_range(first_month, coverage_end.strftime("%Y-%m"), freq="M")
    rows = []
    for period in months:
        m = str(period)
        part = sh[sh["month"] == m]
        start = period.start_time.date()
        end = period.end_time.date()
        partial = coverage_start > start or coverage_end < end
        notes = []
        if coverage_start > start:
            notes.append(f"compilation starts {coverage_start.isoformat()}")
        if coverage_end < end:
            notes.append(f"compilation ends {coverage_end.isoformat()}")
        if part["mixed"].any():
            notes.append("includes report(s) naming Shahed with another type")
        sub = part["is_shahed"]
        rows.append(
            {
                "month": m,
                "month_start": start,
                "month_end": end,
                "launched": int(part["launched"].fillna(0).sum()),
                "destroyed": int(part["destroyed"].fillna(0).sum()),
                "not_reach_goal": int(part["not_reach_goal"].fillna(0).sum()),
                "n_reports": int(len(part)),
                "is_shahed_subtotal": int(sub.sum()) if sub.notna().any() else None,
                "n_reports_with_subtotal": int(sub.notna().sum()),
                "combined_count": bool(part["combined_row"].any()),
                "mixed_model_rows": int(part["mixed"].sum()),
                "first_report": min(part["date"]) if len(part) else None,
                "last_report": max(part["date"]) if len(part) else None,
                "partial_month": partial,
                "source": SOURCE,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def build(df: pd.DataFrame, first_month: str = FIRST_MONTH) -> pd.DataFrame:
    """Monthly table from the whole compilation (its first and last report bound the coverage)."""
    all_dates = report_date(df["time_end"])
    return monthly(df, min(all_dates), max(all_dates), first_month)


# ==================================================================================================
# 3. Validate
# ==================================================================================================


def validate(table: pd.DataFrame) -> None:
    if table["month"].duplicated().any():
        raise ValueError("drones_monthly: duplicate months")
    expected = [str(p) for p in pd.period_range(table["month"].iloc[0], table["month"].iloc[-1], freq="M")]
    if table["month"].tolist() != expected:
        raise ValueError("drones_monthly: months are not consecutive")
    for col in ("launched", "destroyed", "not_reach_goal", "n_reports"):
        if (table[col] < 0).any():
            raise ValueError(f"drones_monthly: negative {col}")
    over = table[table["destroyed"] > table["launched"]]
    if not over.empty:
        raise ValueError(f"drones_monthly: more destroyed than launched in {over['month'].tolist()}")
    for _, r in table.iterrows():
        last_day = calendar.monthrange(int(r["month"][:4]), int(r["month"][5:]))[1]
        if r["month_end"] != dt.date(int(r["month"][:4]), int(r["month"][5:]), last_day):
            raise ValueError(f"drones_monthly: bad month_end for {r['month']}")


# ==================================================================================================
# 4. Write (through the manifest: builders.common.run)
# ==================================================================================================


def build_tables(args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """Read, transform and validate; the table by name (nothing is written here)."""
    table = build(read_daily(args.daily))
    validate(table)
    return {TABLE: table}


def main(argv: list[str] | None = None) -> int:
    return run(build_tables, description=__doc__.split("\n")[0], inputs={"daily": DEFAULT_DAILY}, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
