"""The Iranian (Solar Hijri) calendar, shared by the trade-chapter builders and the tests of the trade tables.

Run nothing here directly; ``builders/trade_cow.py`` and ``builders/trade_comtrade.py`` import it.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

# Borkowski's break years of the Solar Hijri (Jalali) calendar, as used by the jalaali family of
# libraries; valid for Solar Hijri years -61 .. 3177.
_JALALI_BREAKS = [
    -61,
    9,
    38,
    199,
    426,
    686,
    756,
    818,
    1111,
    1181,
    1210,
    1635,
    2060,
    2097,
    2192,
    2262,
    2324,
    2394,
    2456,
    3178,
]


def _nowruz_day_in_march(jy: int) -> int:
    """Day of March (Gregorian year jy + 621) on which Solar Hijri year ``jy`` begins."""
    if not (_JALALI_BREAKS[0] <= jy < _JALALI_BREAKS[-1]):
        raise ValueError(f"Solar Hijri year {jy} is outside the supported range")
    gy = jy + 621
    leap_j = -14
    jp = _JALALI_BREAKS[0]
    jump = 0
    for jm in _JALALI_BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += (jump // 33) * 8 + (jump % 33) // 4
        jp = jm
    n = jy - jp
    leap_j += (n // 33) * 8 + ((n % 33) + 3) // 4
    if jump % 33 == 4 and jump - n == 4:
        leap_j += 1
    leap_g = gy // 4 - ((gy // 100 + 1) * 3) // 4 - 150
    return 20 + leap_j - leap_g


def iranian_year_bounds(jy: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of Solar Hijri year ``jy`` (e.g. 1402 -> 2023-03-21, 2024-03-19)."""
    start = dt.date(jy + 621, 3, _nowruz_day_in_march(jy))
    next_start = dt.date(jy + 622, 3, _nowruz_day_in_march(jy + 1))
    return start, next_start - dt.timedelta(days=1)


def check_iranian_rows(df: pd.DataFrame) -> None:
    """Raise ValueError if a full Iranian-year row has start/end dates that differ from the calendar."""
    rows = df[df["period_type"] == "iranian_year"]
    for idx, row in rows.iterrows():
        label = str(row["period_label"])
        if not re.fullmatch(r"\d{4}", label):
            raise ValueError(f"row {idx}: iranian_year label must be four digits, got {label!r}")
        start, end = iranian_year_bounds(int(label))
        if pd.Timestamp(row["period_start"]) != pd.Timestamp(start) or pd.Timestamp(row["period_end"]) != pd.Timestamp(
            end
        ):
            raise ValueError(
                f"row {idx}: Iranian year {label} runs {start}..{end}, not {row['period_start']}..{row['period_end']}"
            )
